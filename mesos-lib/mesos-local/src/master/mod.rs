//! The embedded master: framework lifecycle, status-update routing, reconciliation.

pub(crate) mod accept;
pub(crate) mod accept_call;
pub(crate) mod allocator;
pub(crate) mod draining;
pub(crate) mod events;
pub(crate) mod faults;
pub(crate) mod fixed_json;
pub(crate) mod framework_checks;
pub(crate) mod group_checks;
pub(crate) mod inverse_offers;
pub(crate) mod launch_group;
pub(crate) mod legacy;
pub(crate) mod list_query;
pub(crate) mod machines;
pub(crate) mod maintenance;
pub(crate) mod operations;
pub(crate) mod operator_api;
pub(crate) mod operator_call;
pub(crate) mod operator_checks;
pub(crate) mod quota;
pub(crate) mod reservations;
pub(crate) mod reserve;
pub(crate) mod resize;
pub(crate) mod roles;
pub(crate) mod routes;
pub(crate) mod schedule_input;
pub(crate) mod scheduler_api;
pub(crate) mod scheduler_call;
pub(crate) mod state;
pub(crate) mod suppression;
pub(crate) mod task_executor;
pub(crate) mod views;
pub(crate) mod volumes;
pub(crate) mod weights;

use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;

use crate::agent::status_updates::Update;
use crate::agent::{Agent, ToMaster};
use crate::config::LocalConfig;
use crate::http::EventSender;
use crate::ids;
use crate::json as j;
use crate::resource_views as rv;
use crate::stored_status::StoredStatus;
use mesos_lib::resources::Resources;
use mesos_lib::v1::common::Address;
use mesos_lib::v1::ids::OfferId;
use mesos_lib::v1::master::event::AgentAdded;
use mesos_lib::v1::master_info::{MasterCapability, MasterCapabilityType, MasterInfo};
use mesos_lib::v1::scheduler::Event;
use mesos_lib::v1::scheduler::call::ReconcileTask;
use mesos_lib::v1::{Reason, TaskState, TaskStatus};
use state::{AgentEntry, Framework, MasterState, Subscription, Task};

/// Messages processed by the master's mailbox task.
pub(crate) enum Mail {
    /// From an agent.
    Agent(ToMaster),
    /// A scheduler stream's body was dropped (client gone or stream closed).
    StreamClosed {
        framework_id: String,
        stream_id: String,
    },
}

/// Who leads among the K masters, and where each listens.
pub(crate) struct Election {
    pub ports: Vec<u16>,
    pub leader: Option<usize>,
}

/// The master side of the embedded cluster (one state, served by the leading master).
pub(crate) struct Master {
    pub cfg: Arc<LocalConfig>,
    pub ip: IpAddr,
    pub hostname: String,
    pub state: Mutex<MasterState>,
    pub election: Mutex<Election>,
    pub agents: Mutex<Vec<Arc<Agent>>>,
    pub mail: mpsc::UnboundedSender<Mail>,
    /// The ZooKeeper election, when the cluster runs with `--zk`.
    pub ha: std::sync::OnceLock<Arc<crate::ha::Ha>>,
}

impl Master {
    /// Locks the master state.
    pub(crate) fn lock(&self) -> MutexGuard<'_, MasterState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// MasterInfo of the current leader.
    pub(crate) fn master_info(&self, st: &MasterState) -> MasterInfo {
        self.master_info_for(&st.id, st.port)
    }

    /// MasterInfo of the master with ID `id` listening on `port`.
    pub(crate) fn master_info_for(&self, id: &str, port: u16) -> MasterInfo {
        let ip = self.ip.to_string();
        let capability = |capability_type| MasterCapability {
            capability_type,
            extra: Default::default(),
        };
        MasterInfo {
            id: id.to_string(),
            ip: ids::packed_ip(self.ip),
            port: u32::from(port),
            pid: Some(format!("master@{ip}:{}", port)),
            hostname: Some(self.hostname.clone()),
            version: Some(crate::config::MESOS_VERSION.into()),
            address: Some(Address {
                hostname: Some(self.hostname.clone()),
                ip: Some(ip),
                port: i32::from(port),
                extra: Default::default(),
            }),
            domain: None,
            capabilities: vec![
                capability(MasterCapabilityType::AgentUpdate),
                capability(MasterCapabilityType::AgentDraining),
                capability(MasterCapabilityType::QuotaV2),
            ],
            extra: Default::default(),
        }
    }

    /// Registers an agent (initially, and again after a master restart with its live tasks).
    pub(crate) fn register_agent(&self, st: &mut MasterState, agent: &Arc<Agent>) {
        // What it reports includes every launch a master before this one handed it.
        agent.catch_up();
        let machine = st.maintenance.machine_of(agent);
        if st.maintenance.machines[machine].mode == machines::Mode::Down {
            tracing::warn!(agent = %agent.id, machine = %st.maintenance.machines[machine].id.display(),
                "refusing registration of an agent whose machine is DOWN");
            return;
        }
        let mut used = Resources::new();
        let total = agent.total();
        for (fw_info, task_info, state, statuses) in agent.live_tasks() {
            let fid = crate::agent::framework_id_of(&fw_info);
            let tid = task_info.task_id.value.clone();
            if st.is_removed(&fid) {
                continue;
            }
            let fw = st
                .frameworks
                .entry(fid.clone())
                .or_insert_with(|| Framework::new(&fid, fw_info, ids::now_nanos(), true));
            let held = (!state.is_terminal()).then(|| {
                let resources = rv::volumes_as_in(&rv::from_typed(&task_info.resources), &total);
                used.add_all(&resources);
                fw.allocated
                    .add(state::resources_role(&task_info.resources), &resources);
                resources
            });
            let last = statuses.last();
            let last_state = last.map(|_| state.clone());
            let mut task = Task::new(task_info, &fid, &agent.id, state, held);
            task.status_update_state = last_state;
            task.status_update_uuid = last.and_then(|s| s.uuid()).map(str::to_string);
            task.statuses = statuses;
            fw.tasks.insert(tid, task);
        }
        used.add_all(&self.recover_executors(st, agent));
        let entry = AgentEntry::new(agent, used);
        let view = views::agent_v1(&entry, &st.agent_registry);
        st.agents.insert(agent.id.clone(), entry);
        st.broadcast(&mesos_lib::v1::master::Event {
            agent_added: Some(AgentAdded {
                agent: view,
                extra: Default::default(),
            }),
            ..mesos_lib::v1::master::Event::new(mesos_lib::v1::master::EventType::AgentAdded)
        });
    }

    /// Processes mailbox messages until the channel closes.
    pub(crate) async fn run_mailbox(self: Arc<Self>, mut rx: mpsc::UnboundedReceiver<Mail>) {
        while let Some(mail) = rx.recv().await {
            match mail {
                Mail::Agent(ToMaster::Update {
                    agent_id,
                    framework_id,
                    update,
                }) => self.status_update(&agent_id, &framework_id, update),
                Mail::Agent(ToMaster::ExecutorExited {
                    agent_id,
                    framework_id,
                    executor_id,
                    status,
                }) => self.executor_exited(&agent_id, &framework_id, &executor_id, status),
                Mail::Agent(ToMaster::ExecutorMessage {
                    agent_id,
                    framework_id,
                    executor_id,
                    data,
                }) => self.executor_message(&agent_id, &framework_id, &executor_id, &data),
                Mail::StreamClosed {
                    framework_id,
                    stream_id,
                } => self.stream_closed(&framework_id, &stream_id),
            }
        }
    }

    /// A status update from an agent: record it, tell operators, forward to the scheduler.
    fn status_update(&self, agent_id: &str, fid: &str, Update { status, stored }: Update) {
        let mut st = self.lock();
        // As the real master does ("Ignoring status update ... from unknown agent"): a removed
        // agent's late updates (its killed processes' TASK_FAILED) must not follow TASK_LOST.
        if !st.agents.contains_key(agent_id) {
            tracing::debug!(
                agent = agent_id,
                "ignoring a status update from an unknown agent"
            );
            return;
        }
        let state = &status.state;
        let tid = status.task_id.as_ref().map_or("", |t| t.value.as_str());
        let uuid = stored.uuid().map(str::to_string);
        let Some(fw) = st.frameworks.get_mut(fid) else {
            return;
        };
        let mut changed = false;
        let mut release = None;
        if let Some(task) = fw.tasks.get_mut(tid) {
            let seen = task
                .statuses
                .iter()
                .any(|s| uuid.is_some() && s.uuid() == uuid.as_deref());
            if !seen {
                changed = task.state != *state;
                task.state = state.clone();
                // The agent's own copy: one text for both.
                task.statuses.push(stored);
                if state.is_terminal() {
                    release = task.release(&mut fw.allocated);
                }
            }
            task.status_update_state = Some(state.clone());
            task.status_update_uuid = uuid.clone();
        }
        if let Some(sub) = &fw.subscription {
            sub.sender.send(&events::update(&status));
        }
        if let Some(r) = release
            && let Some(a) = st.agents.get_mut(agent_id)
        {
            a.used.subtract_all(&r);
        }
        if changed {
            st.broadcast_with(|_| {
                json!({"type": "TASK_UPDATED", "task_updated": {
                "framework_id": j::id(fid), "status": &*status, "state": state}})
            });
        }
    }

    /// A scheduler connection went away: disconnect, recover offers, start the failover timer.
    pub(crate) fn stream_closed(self: &Arc<Self>, fid: &str, stream_id: &str) {
        let timeout = {
            let mut st = self.lock();
            let Some(fw) = st.frameworks.get_mut(fid) else {
                return;
            };
            if fw.subscription.as_ref().map(|s| s.stream_id.as_str()) != Some(stream_id) {
                return;
            }
            tracing::info!(
                framework = fid,
                "scheduler stream closed; framework disconnected"
            );
            fw.subscription = None;
            fw.active = false;
            fw.generation += 1;
            let generation = fw.generation;
            let timeout = fw.info.failover_timeout.unwrap_or(0.0);
            let view = views::framework_v1(&st.frameworks[fid], &st);
            st.broadcast(
                &json!({"type": "FRAMEWORK_UPDATED", "framework_updated": {"framework": view}}),
            );
            self.rescind_offers_of(&mut st, fid, false);
            self.forget_framework_inverse_offers(&mut st, fid, false);
            (timeout, generation)
        };
        let (secs, generation) = timeout;
        if secs <= 0.0 || !secs.is_finite() && secs.is_sign_negative() {
            self.remove_framework(fid);
            return;
        }
        let master = Arc::clone(self);
        let fid = fid.to_string();
        let dur = Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX);
        tokio::spawn(async move {
            tokio::time::sleep(dur.min(Duration::from_secs(100 * 365 * 86400))).await;
            let expired = master
                .lock()
                .frameworks
                .get(&fid)
                .is_some_and(|f| f.generation == generation && !f.connected());
            if expired {
                master.remove_framework(&fid);
            }
        });
    }

    /// Drops a framework's outstanding offers (optionally telling it with RESCIND).
    pub(crate) fn rescind_offers_of(&self, st: &mut MasterState, fid: &str, tell: bool) {
        self.remove_offers_where(st, |o| o.framework_id == fid, tell);
    }

    /// Drops the outstanding offers `which` picks (optionally telling their frameworks).
    pub(crate) fn remove_offers_where(
        &self,
        st: &mut MasterState,
        which: impl Fn(&state::Offer) -> bool,
        tell: bool,
    ) {
        let ids: Vec<String> = st
            .offers
            .iter()
            .filter(|(_, o)| which(o))
            .map(|(id, _)| id.clone())
            .collect();
        for id in ids {
            self.remove_offer(st, &id, tell);
        }
    }

    /// Removes one offer, giving its resources back to the agent.
    pub(crate) fn remove_offer(&self, st: &mut MasterState, offer_id: &str, tell: bool) {
        let Some(offer) = st.offers.remove(offer_id) else {
            return;
        };
        if let Some(a) = st.agents.get_mut(&offer.agent_id) {
            a.offered.subtract_all(&offer.resources);
        }
        if tell
            && let Some(sub) = st
                .frameworks
                .get(&offer.framework_id)
                .and_then(|f| f.subscription.as_ref())
        {
            sub.sender.send(&Event::rescind(OfferId::new(offer_id)));
        }
    }

    /// TEARDOWN, failover timeout, operator teardown: kill tasks, close the stream, forget.
    pub(crate) fn remove_framework(&self, fid: &str) {
        let agents: Vec<Arc<Agent>> = {
            let mut st = self.lock();
            let Some(mut fw) = st.frameworks.remove(fid) else {
                return;
            };
            tracing::info!(framework = fid, "removing framework");
            self.rescind_offers_of(&mut st, fid, false);
            self.forget_framework_inverse_offers(&mut st, fid, true);
            self.forget_executors(&mut st, fid);
            // Its operations' statuses have no one to go to any more.
            let agents: Vec<String> = st
                .operations
                .iter()
                .filter(|r| r.framework_id == fid)
                .map(|r| r.agent_id.clone())
                .collect();
            st.operations.retain(|r| r.framework_id != fid);
            for aid in agents {
                st.sync_operations(&aid);
            }
            let now_nanos = ids::now_nanos();
            for (_, mut task) in std::mem::take(&mut fw.tasks) {
                if !task.state.is_terminal() {
                    let status = master_status(&task, TaskState::Killed, "Framework removed", None);
                    task.state = TaskState::Killed;
                    task.statuses.push(StoredStatus::new(&status));
                    st.broadcast(&json!({"type": "TASK_UPDATED", "task_updated": {
                        "framework_id": j::id(fid), "status": status, "state": TaskState::Killed}}));
                }
                if let Some(r) = task.release(&mut fw.allocated)
                    && let Some(a) = st.agents.get_mut(&task.agent_id)
                {
                    a.used.subtract_all(&r);
                }
                fw.complete(task);
            }
            fw.subscription = None;
            fw.active = false;
            fw.unregistered_time = Some(now_nanos);
            st.broadcast(&json!({"type": "FRAMEWORK_REMOVED", "framework_removed": {"framework_info": fw.info}}));
            st.completed_frameworks.push(fw);
            if st.completed_frameworks.len() > 50 {
                st.completed_frameworks.remove(0);
            }
            st.agents.values().map(|a| Arc::clone(&a.agent)).collect()
        };
        for a in agents {
            a.shutdown_framework(fid);
        }
    }

    /// Sends HEARTBEAT to every subscription (unless stalled by fault injection).
    pub(crate) fn heartbeat(&self) {
        let mut st = self.lock();
        if st.stall_heartbeats {
            return;
        }
        let hb = Event::heartbeat();
        for fw in st.frameworks.values() {
            if let Some(sub) = &fw.subscription {
                sub.sender.send(&hb);
            }
        }
        st.broadcast(&mesos_lib::v1::master::Event::heartbeat());
    }

    /// Explicit or implicit reconciliation, answered as the master does (`_reconcileTasks`).
    pub(crate) fn reconcile(&self, st: &MasterState, fid: &str, tasks: &[ReconcileTask]) {
        let Some(fw) = st.frameworks.get(fid) else {
            return;
        };
        let Some(sub) = &fw.subscription else { return };
        let partition_aware =
            fw.has_capability(mesos_lib::v1::FrameworkCapabilityType::PartitionAware);
        let send = |status: TaskStatus| {
            sub.sender.send(&events::update(&status));
        };
        if tasks.is_empty() {
            for task in fw.tasks.values() {
                send(latest_state_status(task));
            }
            return;
        }
        for t in tasks {
            let tid = t.task_id.value.as_str();
            let aid = t.agent_id.as_ref().map(|a| a.value.as_str());
            if let Some(task) = fw.tasks.get(tid) {
                send(latest_state_status(task));
            } else if let Some(aid) = aid.filter(|a| st.agent_registry.gone.contains_key(*a)) {
                let state = if partition_aware {
                    TaskState::GoneByOperator
                } else {
                    TaskState::Lost
                };
                send(reconcile_status(
                    tid,
                    Some(aid),
                    state,
                    "Reconciliation: Task is gone",
                ));
            } else if let Some(aid) = aid.filter(|a| st.agents.contains_key(*a)) {
                let state = if partition_aware {
                    TaskState::Gone
                } else {
                    TaskState::Lost
                };
                send(reconcile_status(
                    tid,
                    Some(aid),
                    state,
                    "Reconciliation: Task is unknown to the agent",
                ));
            } else {
                let state = if partition_aware {
                    TaskState::TaskUnknown
                } else {
                    TaskState::Lost
                };
                send(reconcile_status(
                    tid,
                    None,
                    state,
                    "Reconciliation: Task is unknown",
                ));
            }
        }
    }
}

/// A master-generated status of a task the master knows.
pub(crate) fn master_status(
    task: &Task,
    state: TaskState,
    message: &str,
    reason: Option<Reason>,
) -> TaskStatus {
    let tid = &task.info.task_id.value;
    events::master_status(tid, Some(&task.agent_id), state, reason, message)
}

fn reconcile_status(tid: &str, aid: Option<&str>, state: TaskState, message: &str) -> TaskStatus {
    events::master_status(tid, aid, state, Some(Reason::Reconciliation), message)
}

/// "Reconciliation: Latest task state" for a known task, with the container status of its
/// latest update.
fn latest_state_status(task: &Task) -> TaskStatus {
    let state = task.status_update_state.as_ref().unwrap_or(&task.state);
    let mut status = master_status(
        task,
        state.clone(),
        "Reconciliation: Latest task state",
        Some(Reason::Reconciliation),
    );
    status.container_status = (task.statuses.last())
        .and_then(|s| s.status())
        .and_then(|s| s.container_status);
    status
}

/// A new subscription's stream for `fid`, recording the sender.
pub(crate) fn subscription(stream_id: String, sender: EventSender) -> Subscription {
    Subscription { stream_id, sender }
}

/// Per-listener context: the shared master and which of the K masters this port is.
#[derive(Clone)]
pub(crate) struct Ctx {
    pub master: Arc<Master>,
    pub index: usize,
}

impl Ctx {
    /// `None` when this master leads; otherwise the 307 (to `//leader/master<path>`) or the
    /// 503 "No leader elected" a follower answers.
    pub(crate) fn follower_response(&self, path: &str) -> Option<axum::response::Response> {
        let el = self
            .master
            .election
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match el.leader {
            Some(l) if l == self.index => None,
            Some(l) => Some(crate::http::redirect(&format!(
                "//{}:{}/master{path}",
                self.master.hostname, el.ports[l]
            ))),
            None => Some(crate::http::plain(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "No leader elected",
            )),
        }
    }

    /// `//leader-host:port`, or `None` without a leader.
    pub(crate) fn leader_location(&self) -> Option<String> {
        let el = self
            .master
            .election
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        el.leader
            .map(|l| format!("//{}:{}", self.master.hostname, el.ports[l]))
    }
}
