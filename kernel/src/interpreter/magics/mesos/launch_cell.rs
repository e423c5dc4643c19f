//! `%%launch`: tasks (or a task group under one executor) from TaskInfo JSON, placed on an
//! offer that holds them all, re-run safe as `%launch` is.

use super::launch::{LINE_ONLY, accept, launch_note, launched, show_active};
use super::offers::{OfferFilter, choose_offer};
use super::task_group::{self, GroupDraft};
use super::task_json::{self, TaskDraft};
use super::tasks::{parse_state, task_table};
use super::{MagicResult, interrupted, mesos_error, usage};
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::registry::{MagicContext, MagicSpec};
use crate::interpreter::rust::errors::simple;
use crate::mesos::rerun::{active_twin, fill_in};
use crate::protocol::content::StreamName;
use mesos_lib::resources::Want;
use mesos_lib::scheduler::{SessionError, TaskRecord};
use mesos_lib::v1::{TaskInfo, TaskState};

/// `%%launch` with its JSON body: a task group, or one or more TaskInfos.
pub(super) async fn launch_json(
    spec: &MagicSpec,
    args: &Args,
    body: &str,
    ctx: &MagicContext<'_>,
) -> MagicResult {
    if let Some(flag) = LINE_ONLY.iter().find(|f| args.has(f)) {
        return Err(usage(
            spec,
            format!("--{flag} is for the line form; in %%launch put it in the TaskInfo JSON"),
        ));
    }
    if args.rest.is_some() {
        return Err(usage(
            spec,
            "%%launch takes its command from the TaskInfo JSON, not after --",
        ));
    }
    let want_state = args.value("wait").map(parse_state);
    if let Some(group) = task_group::parse(body) {
        let group =
            group.map_err(|e| simple("TaskInfoJSONError", format!("the task group JSON, {e}")))?;
        let filter = OfferFilter::from_args(spec, args)?;
        return launch_group(ctx, filter, group, want_state).await;
    }
    let drafts = task_json::parse(body)
        .map_err(|e| simple("TaskInfoJSONError", format!("the TaskInfo JSON, {e}")))?;
    let mut filter = OfferFilter::from_args(spec, args)?;
    let s = ctx.mesos.scheduler().map_err(mesos_error)?;

    let mut active = Vec::new();
    let mut fresh: Vec<TaskDraft> = Vec::new();
    for d in drafts {
        let id = d.has_id.then_some(d.info.task_id.value.as_str());
        match active_twin(&s, id, &d.info.name) {
            Some(rec) => active.push(rec),
            None => fresh.push(d),
        }
    }
    if fresh.is_empty() {
        return show_active(ctx, &s, &active, want_state).await;
    }
    if !active.is_empty() {
        let mut table = task_table(&active);
        table.caption = Some("already active: not launched again".into());
        ctx.out.display(&table.to_bundle(), None);
    }
    for d in &fresh {
        let agent = &d.info.agent_id.value;
        if !agent.is_empty() {
            filter.on_agent(agent).map_err(mesos_error)?;
        }
    }
    let want = want_of_drafts(&fresh);
    let offer = tokio::select! {
        r = choose_offer(ctx, &s, &filter, &want) => r?,
        _ = ctx.cancel.cancelled() => return Err(interrupted("choosing an offer")),
    };
    let tasks: Vec<TaskInfo> = fresh
        .into_iter()
        .map(|d| {
            let mut t = d.info;
            fill_in(&mut t, d.has_id, &offer);
            t
        })
        .collect();
    let ids: Vec<String> = tasks.iter().map(|t| t.task_id.value.clone()).collect();
    accept(&s, &offer, tasks).await?;
    let note: String = ids.iter().map(|id| launch_note(id, &offer, &[])).collect();
    ctx.out.stream(StreamName::Stdout, &note);
    launched(ctx, &s, &ids, &offer, want_state).await
}

/// What `%%launch`'s tasks ask of one offer: theirs, and each custom executor's they name once.
fn want_of_drafts(fresh: &[TaskDraft]) -> Want {
    let mut want = Want {
        resources: fresh
            .iter()
            .flat_map(|d| d.info.resources.iter().cloned())
            .collect(),
        ports: 0,
    };
    let mut executors: Vec<&str> = Vec::new();
    for e in fresh.iter().filter_map(|d| d.info.executor.as_ref()) {
        if !executors.contains(&e.executor_id.value.as_str()) {
            executors.push(&e.executor_id.value);
            want.resources.extend(e.resources.iter().cloned());
        }
    }
    want
}

/// `%%launch` of a task group: one offer holding the executor's and every task's resources,
/// one LAUNCH_GROUP; re-running while its tasks are active shows them instead.
async fn launch_group(
    ctx: &MagicContext<'_>,
    mut filter: OfferFilter,
    group: GroupDraft,
    want_state: Option<TaskState>,
) -> MagicResult {
    let s = ctx.mesos.scheduler().map_err(mesos_error)?;
    let active: Vec<TaskRecord> = group
        .tasks
        .iter()
        .filter_map(|d| {
            active_twin(
                &s,
                d.has_id.then_some(d.info.task_id.value.as_str()),
                &d.info.name,
            )
        })
        .collect();
    if active.len() == group.tasks.len() {
        return show_active(ctx, &s, &active, want_state).await;
    }
    for d in &group.tasks {
        if !d.info.agent_id.value.is_empty() {
            filter
                .on_agent(&d.info.agent_id.value)
                .map_err(mesos_error)?;
        }
    }
    let resources = group.tasks.iter().flat_map(|d| d.info.resources.iter());
    let want = Want {
        resources: resources
            .chain(&group.executor.resources)
            .cloned()
            .collect(),
        ports: 0,
    };
    let offer = tokio::select! {
        r = choose_offer(ctx, &s, &filter, &want) => r?,
        _ = ctx.cancel.cancelled() => return Err(interrupted("choosing an offer")),
    };
    let tasks: Vec<TaskInfo> = (group.tasks.into_iter())
        .map(|d| {
            let mut t = d.info;
            fill_in(&mut t, d.has_id, &offer);
            t
        })
        .collect();
    let ids: Vec<String> = tasks.iter().map(|t| t.task_id.value.clone()).collect();
    let eid = group.executor.executor_id.value.clone();
    match s.launch_group(&offer.id, group.executor, tasks).await {
        Ok(()) => {}
        Err(SessionError::UnknownOffer(id)) => {
            return Err(mesos_error(format!(
                "offer {id} no longer exists (rescinded or used); run the cell again"
            )));
        }
        Err(e) => return Err(mesos_error(format!("LAUNCH_GROUP failed: {e}"))),
    }
    let note = format!(
        "launching task group {} under executor {eid} on {} (agent {}, offer {})\n",
        ids.join(", "),
        offer.hostname,
        offer.agent_id,
        offer.id
    );
    ctx.out.stream(StreamName::Stdout, &note);
    launched(ctx, &s, &ids, &offer, want_state).await
}
