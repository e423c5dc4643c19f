//! Answers to cell requests, computed from the kernel's one session with the same calls the
//! magics make (the book for reads, `Scheduler` methods for actions, `%launch`'s re-run rule).

use crate::mesos::rerun::{active_twin, fill_in};
use crate::mesos::{MesosHandle, Target};
use mesos_lib::bind;
use mesos_lib::session::proto::{Answer, Launched, Reply, Request, SessionInfo};
use mesos_lib::v1::{OfferId, TaskInfo};

/// Answers one request.
pub(super) async fn handle(request: Request, mesos: &MesosHandle) -> Answer {
    match request {
        Request::Info => Ok(Reply::Info(info(mesos))),
        Request::Offers => {
            let s = mesos.scheduler().map_err(|e| e.to_string())?;
            Ok(Reply::Offers(
                s.offers().iter().map(bind::Offer::from).collect(),
            ))
        }
        Request::Tasks => {
            let s = mesos.scheduler().map_err(|e| e.to_string())?;
            // The book does not know agents' hostnames: they stay empty, as in `%tasks`.
            Ok(Reply::Tasks(s.read(|b| {
                let framework = b.framework_id.as_ref().map_or("", |f| f.value.as_str());
                b.tasks
                    .iter()
                    .map(|r| bind::Task::from_record(r, framework, ""))
                    .collect()
            })))
        }
        Request::Agents => {
            let conn = mesos.connection().map_err(|e| e.to_string())?;
            let agents = conn
                .operator
                .get_agents()
                .await
                .map_err(|e| format!("GET_AGENTS failed: {e}"))?;
            Ok(Reply::Agents(
                agents.agents.iter().map(bind::Agent::from).collect(),
            ))
        }
        Request::Launch { offer_id, tasks } => {
            launch(mesos, offer_id, tasks).await.map(Reply::Launched)
        }
        Request::Decline {
            offer_ids,
            refuse_seconds,
        } => {
            let s = mesos.scheduler().map_err(|e| e.to_string())?;
            s.decline(offer_ids, refuse_seconds)
                .await
                .map_err(|e| format!("DECLINE failed: {e}"))?;
            Ok(Reply::Done)
        }
        Request::Kill { task_ids } => {
            let s = mesos.scheduler().map_err(|e| e.to_string())?;
            for id in task_ids {
                s.kill(&id.value)
                    .await
                    .map_err(|e| format!("KILL {id} failed: {e}"))?;
            }
            Ok(Reply::Done)
        }
        Request::Reconcile { task_ids } => {
            let s = mesos.scheduler().map_err(|e| e.to_string())?;
            let tasks = task_ids
                .into_iter()
                .map(|id| {
                    let agent = s.task(&id.value).and_then(|r| r.agent_id);
                    (id, agent)
                })
                .collect();
            s.reconcile(tasks)
                .await
                .map_err(|e| format!("RECONCILE failed: {e}"))?;
            Ok(Reply::Done)
        }
    }
}

fn info(mesos: &MesosHandle) -> SessionInfo {
    let conn = mesos.try_connection();
    let mut info = SessionInfo {
        master: conn.as_ref().map(|c| c.target.url().to_owned()),
        local: matches!(conn.map(|c| c.target), Some(Target::Local(_))),
        ..SessionInfo::default()
    };
    if let Some(s) = mesos.try_scheduler() {
        s.read(|b| {
            info.state = Some(b.state.to_string());
            info.framework_id = b.framework_id.clone();
            info.framework_name = Some(b.framework_info.name.clone());
            info.offers = b.offers.len();
            info.tasks = b.tasks.len();
            info.active_tasks = b.tasks.iter().filter(|t| !t.is_terminal()).count();
        });
    }
    info
}

/// `%%launch`'s rules: tasks already active are reported, not sent again (checked before the
/// offer, so re-running a cell whose offer was used still answers); missing ids and agents
/// are filled in; the rest go in one LAUNCH on the offer.
async fn launch(
    mesos: &MesosHandle,
    offer_id: OfferId,
    tasks: Vec<TaskInfo>,
) -> Result<Launched, String> {
    let s = mesos.scheduler().map_err(|e| e.to_string())?;
    let mut result = Launched::default();
    let mut fresh = Vec::new();
    for t in tasks {
        let id = (!t.task_id.value.is_empty()).then_some(t.task_id.value.as_str());
        match active_twin(&s, id, &t.name) {
            Some(rec) => result.already_active.push(rec.task_id),
            None => fresh.push(t),
        }
    }
    if fresh.is_empty() {
        return Ok(result);
    }
    let offer = s
        .read(|b| b.offers.get(&offer_id).cloned())
        .ok_or_else(|| {
            format!(
                "offer {offer_id} is not outstanding (used, declined or rescinded); take one from session::offers()"
            )
        })?;
    for t in &mut fresh {
        let has_id = !t.task_id.value.is_empty();
        fill_in(t, has_id, &offer);
    }
    let ids: Vec<_> = fresh.iter().map(|t| t.task_id.clone()).collect();
    s.launch(&offer.id, fresh)
        .await
        .map_err(|e| format!("LAUNCH failed: {e}"))?;
    tracing::info!(tasks = ids.len(), offer = %offer.id, "launched tasks for a Rust cell");
    result.launched = ids;
    Ok(result)
}
