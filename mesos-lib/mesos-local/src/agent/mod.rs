//! An embedded agent: runs command tasks, keeps their status updates until acknowledged,
//! and serves its own `/state` and files API on its own port.

pub(crate) mod container_api;
pub(crate) mod custom_executor;
mod custom_start;
pub(crate) mod default_executor;
pub(crate) mod drain;
pub(crate) mod executor;
pub(crate) mod executor_api;
pub(crate) mod executor_calls;
pub(crate) mod executor_events;
pub(crate) mod files_api;
pub(crate) mod http;
pub(crate) mod launch_queue;
pub(crate) mod media;
pub(crate) mod nested;
pub(crate) mod operator_api;
mod operator_call;
pub(crate) mod process;
pub(crate) mod sandbox;
pub(crate) mod spawner;
pub(crate) mod status_updates;
pub(crate) mod usage;
pub(crate) mod volumes;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::stored_status::StoredStatus;
use mesos_lib::resources::Resources;
use mesos_lib::v1::resources::Attribute;
use mesos_lib::v1::{FrameworkCapabilityType, FrameworkInfo, TaskInfo, TaskState, TaskStatus};
use status_updates::{Ack, StatusUpdateManager, Update};

/// Messages from agents to whichever master currently leads.
#[derive(Debug)]
pub(crate) enum ToMaster {
    /// A status update (also a re-sent one) for the framework.
    Update {
        agent_id: String,
        framework_id: String,
        update: Update,
    },
    /// An executor ended (`ExitedExecutorMessage`), with its wait status.
    ExecutorExited {
        agent_id: String,
        framework_id: String,
        executor_id: String,
        status: i32,
    },
    /// An executor's MESSAGE for its scheduler (`ExecutorToFrameworkMessage`).
    ExecutorMessage {
        agent_id: String,
        framework_id: String,
        executor_id: String,
        data: mesos_lib::v1::Bytes,
    },
}

/// One executor run (the command executor of one task).
pub(crate) struct ExecutorRun {
    pub framework_id: String,
    pub executor_id: String,
    pub container_id: String,
    pub directory: PathBuf,
    pub task: Arc<TaskInfo>,
    pub state: TaskState,
    pub statuses: Vec<StoredStatus>,
    pub kill_tx: Option<mpsc::UnboundedSender<Duration>>,
    pub pid: Option<u32>,
    /// The executor's container, for a task of a task group (which runs in a container
    /// nested in its executor's); `None` for a command task.
    pub parent_container: Option<String>,
    /// A task of a custom executor (listed under it, killed through it); its container is
    /// the executor's.
    pub custom: bool,
}

#[derive(Default)]
pub(crate) struct AgentFramework {
    /// The FrameworkInfo as the master gave it with the framework's latest task.
    pub info: FrameworkInfo,
    pub executors: BTreeMap<String, ExecutorRun>,
    pub completed: Vec<ExecutorRun>,
    /// DEFAULT executors of task groups, by executor ID (their tasks are in `executors`
    /// and `completed`, by task ID).
    pub groups: BTreeMap<String, default_executor::GroupExecutor>,
    /// Custom executors, by executor ID (their tasks are in `executors` and `completed`, by
    /// task ID), and the ones an executor of the same ID replaced.
    pub custom: BTreeMap<String, custom_executor::CustomExecutor>,
    pub custom_ended: Vec<custom_executor::CustomExecutor>,
}

#[derive(Default)]
pub(crate) struct AgentState {
    pub frameworks: BTreeMap<String, AgentFramework>,
    pub removed: HashSet<String>,
    pub updates: StatusUpdateManager,
    /// Set while the master has it drain (`DrainSlaveMessage`).
    pub drain: Option<drain::DrainConfig>,
}

/// An embedded agent.
pub(crate) struct Agent {
    pub id: String,
    pub hostname: String,
    pub ip: IpAddr,
    pub port: u16,
    /// Its `--resources`, as registered (`AgentInfo.resources`).
    pub resources: Resources,
    /// Its total after the reservations applied to it, which the agent keeps as real agents
    /// checkpoint them: they outlive a master's restart.
    checkpointed: Mutex<Resources>,
    /// The offer operations with an `id` it applied whose status is not yet acknowledged
    /// (v1 `Operation`s, for GET_OPERATIONS), as the master passes them on.
    pub operations: Mutex<Vec<mesos_lib::v1::operation::Operation>>,
    pub attributes: Vec<Attribute>,
    pub work_dir: PathBuf,
    pub start_time: f64,
    pub master_hostname: String,
    pub groups: process::ProcessGroups,
    pub state: Mutex<AgentState>,
    /// Containers nested in its tasks' containers through the operator API.
    pub nested: nested::NestedContainers,
    to_master: mpsc::UnboundedSender<ToMaster>,
    /// Users found by `getpwnam` and when: it reads /etc/passwd, too dear for every launch.
    known_users: Mutex<HashMap<String, Instant>>,
    /// `--executor_registration_timeout`: how long a custom executor has to subscribe.
    pub executor_registration_timeout: Duration,
    /// How often a subscribed executor gets a HEARTBEAT event.
    pub executor_heartbeat_interval: Duration,
    /// Launches the master handed over, carried out in order apart from its call.
    launches: launch_queue::LaunchQueue,
}

/// How long a user found on this machine is trusted to still exist without looking again.
const KNOWN_USER_TTL: Duration = Duration::from_secs(10);

impl Agent {
    /// A new agent; its HTTP server is started by the cluster.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        id: String,
        hostname: String,
        ip: IpAddr,
        port: u16,
        resources: Resources,
        attributes: Vec<Attribute>,
        work_dir: PathBuf,
        master_hostname: String,
        to_master: mpsc::UnboundedSender<ToMaster>,
    ) -> Agent {
        Agent {
            id,
            hostname,
            ip,
            port,
            checkpointed: Mutex::new(resources.clone()),
            operations: Mutex::new(Vec::new()),
            resources,
            attributes,
            work_dir,
            start_time: crate::ids::now_secs(),
            master_hostname,
            groups: Arc::default(),
            state: Mutex::new(AgentState::default()),
            nested: nested::NestedContainers::default(),
            to_master,
            known_users: Mutex::new(HashMap::new()),
            executor_registration_timeout: Duration::from_secs(60),
            executor_heartbeat_interval: Duration::from_secs(30 * 60),
            launches: launch_queue::LaunchQueue::default(),
        }
    }

    /// The same agent with its `--executor_registration_timeout`.
    pub(crate) fn with_executor_registration_timeout(mut self, timeout: Duration) -> Agent {
        self.executor_registration_timeout = timeout;
        self
    }

    /// The same agent with the interval of its executors' HEARTBEAT events.
    pub(crate) fn with_executor_heartbeat_interval(mut self, interval: Duration) -> Agent {
        self.executor_heartbeat_interval = interval;
        self
    }

    /// Whether a user exists on this machine, looked up again at most every `KNOWN_USER_TTL`.
    fn user_exists(&self, user: &str) -> bool {
        let now = Instant::now();
        let mut known = self.known_users.lock().unwrap_or_else(|e| e.into_inner());
        if known
            .get(user)
            .is_some_and(|t| now.duration_since(*t) < KNOWN_USER_TTL)
        {
            return true;
        }
        let exists = executor::lookup_user(user);
        if exists {
            known.insert(user.to_string(), now);
        } else {
            known.remove(user);
        }
        exists
    }

    /// Its total resources, reservations included.
    pub(crate) fn total(&self) -> Resources {
        self.checkpointed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Keeps the total the master computed after a reservation or a volume operation
    /// (`CheckpointResourcesMessage`): volumes new in it are made on disk, those gone removed.
    pub(crate) fn checkpoint(&self, total: Resources) {
        let mut kept = self.checkpointed.lock().unwrap_or_else(|e| e.into_inner());
        volumes::sync(&self.work_dir, &kept, &total);
        *kept = total;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, AgentState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn add_run(&self, framework_info: &FrameworkInfo, run: ExecutorRun) {
        let mut st = self.lock();
        let fw = st.frameworks.entry(run.framework_id.clone()).or_default();
        // Compared first: the same FrameworkInfo comes with every task, and copying it is dearer.
        if fw.info != *framework_info {
            fw.info = framework_info.clone();
        }
        fw.executors.insert(run.executor_id.clone(), run);
    }

    fn set_pid(&self, fid: &str, eid: &str, pid: u32) {
        if let Some(run) = self
            .lock()
            .frameworks
            .get_mut(fid)
            .and_then(|f| f.executors.get_mut(eid))
        {
            run.pid = Some(pid);
        }
    }

    fn pid_of(&self, fid: &str, eid: &str) -> Option<u32> {
        self.lock()
            .frameworks
            .get(fid)
            .and_then(|f| f.executors.get(eid))
            .and_then(|r| r.pid)
    }

    /// Runs `f` on a live run with whether its framework has TASK_KILLING_STATE.
    fn with_run<T>(
        &self,
        fid: &str,
        tid: &str,
        f: impl FnOnce(&mut ExecutorRun, bool) -> T,
    ) -> Option<T> {
        let mut st = self.lock();
        let fw = st.frameworks.get_mut(fid)?;
        let cap = (fw.info).has_capability(&FrameworkCapabilityType::TaskKillingState);
        let run = fw.executors.get_mut(tid)?;
        if run.state.is_terminal() {
            return None;
        }
        Some(f(run, cap))
    }

    /// Records an update on the task and hands it to the status update manager.
    pub(crate) fn emit(&self, fid: &str, tid: &str, status: TaskStatus) {
        let status = self.drain_status(fid, status);
        // Serialised before taking the lock every task of this agent shares.
        let update = Update::new(status);
        let forward = {
            let mut st = self.lock();
            if st.removed.contains(fid) {
                return;
            }
            if let Some(run) = st
                .frameworks
                .get_mut(fid)
                .and_then(|f| f.executors.get_mut(tid))
            {
                run.state = update.state().clone();
                run.statuses.push(update.stored.clone());
                if run.state.is_terminal() {
                    run.kill_tx = None;
                }
            }
            st.updates.push(fid, tid, update, Instant::now())
        };
        if let Some(update) = forward {
            self.forward(fid, update);
        }
    }

    fn forward(&self, fid: &str, update: Update) {
        let _ = self.to_master.send(ToMaster::Update {
            agent_id: self.id.clone(),
            framework_id: fid.to_string(),
            update,
        });
    }

    /// A scheduler's ACKNOWLEDGE relayed by the master.
    pub(crate) fn acknowledge(&self, fid: &str, tid: &str, uuid: &str) {
        let next = {
            let mut st = self.lock();
            let ack = st.updates.ack(fid, tid, uuid, Instant::now());
            let Ack::Accepted(next) = ack else { return };
            if next.is_none()
                && let Some(fw) = st.frameworks.get_mut(fid)
                && fw.executors.get(tid).is_some_and(|r| r.state.is_terminal())
                && let Some(run) = fw.executors.remove(tid)
            {
                fw.completed.push(run);
            }
            next
        };
        if let Some(next) = next {
            self.forward(fid, next);
        }
        self.group_task_acknowledged(fid, tid);
    }

    /// Re-sends unacknowledged heads older than `interval`.
    pub(crate) fn retry_due(&self, interval: Duration) {
        let due = self.lock().updates.due(Instant::now(), interval);
        for (fid, update) in due {
            self.forward(&fid, update);
        }
    }

    /// Re-sends every in-flight head of a framework at once (it just resubscribed).
    pub(crate) fn resend_framework(&self, fid: &str) {
        let heads = self.lock().updates.heads(fid, Instant::now());
        for update in heads {
            self.forward(fid, update);
        }
    }

    /// The framework was removed: kill its tasks and forget its updates.
    pub(crate) fn shutdown_framework(self: &Arc<Self>, fid: &str) {
        self.catch_up();
        let kills: Vec<(mpsc::UnboundedSender<Duration>, Duration)> = {
            let mut st = self.lock();
            st.removed.insert(fid.to_string());
            st.updates.remove_framework(fid);
            st.frameworks
                .get(fid)
                .map(|fw| {
                    fw.executors
                        .values()
                        .filter_map(|r| {
                            let grace = executor::kill_grace(&r.task)
                                .unwrap_or(executor::DEFAULT_KILL_GRACE);
                            r.kill_tx.clone().map(|t| (t, grace))
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        for (tx, grace) in kills {
            let _ = tx.send(grace);
        }
        self.shutdown_custom_executors(fid);
    }

    /// Tasks not yet acknowledged as terminal, for (re-)registration with a master:
    /// (framework info, task info, latest state, statuses).
    pub(crate) fn live_tasks(
        &self,
    ) -> Vec<(FrameworkInfo, Arc<TaskInfo>, TaskState, Vec<StoredStatus>)> {
        let st = self.lock();
        st.frameworks
            .iter()
            .filter(|(fid, _)| !st.removed.contains(*fid))
            .flat_map(|(_, fw)| {
                fw.executors.values().map(|r| {
                    (
                        fw.info.clone(),
                        r.task.clone(),
                        r.state.clone(),
                        r.statuses.clone(),
                    )
                })
            })
            .collect()
    }

    /// Kills every task process right away (removal, shutdown); launches still waiting are
    /// dropped, not started only to be killed.
    pub(crate) fn kill_all(&self) {
        self.close_launches();
        process::kill_all(&self.groups);
    }

    /// `slave(1)@ip:port`.
    pub(crate) fn pid(&self) -> String {
        format!("slave(1)@{}:{}", self.ip, self.port)
    }
}

/// The ID of the framework a FrameworkInfo describes (the master always sets it).
pub(crate) fn framework_id_of(info: &FrameworkInfo) -> String {
    info.id
        .as_ref()
        .map(|id| id.value.clone())
        .unwrap_or_default()
}
