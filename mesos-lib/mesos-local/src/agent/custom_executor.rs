//! Custom executors, as a real agent runs them (`src/slave/slave.cpp`): its tasks and task
//! groups queued until it SUBSCRIBEs on the executor API and then sent as LAUNCH and
//! LAUNCH_GROUP events, KILL, MESSAGE and SHUTDOWN relayed to it, and its tasks' end when it
//! exits. Its start (sandbox, command, registration timeout) is in `custom_start`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::executor::StatusSpec;
use super::executor_events::Work;
use super::process;
use super::{Agent, ExecutorRun, ToMaster, framework_id_of, sandbox};
use crate::http::EventSender;
use crate::ids;
use crate::master::launch_group::GroupLaunch;
use mesos_lib::v1::common::DurationInfo;
use mesos_lib::v1::executor::Event;
use mesos_lib::v1::task::{ExecutorInfo, KillPolicy};
use mesos_lib::v1::{Bytes, Extra, FrameworkInfo, Reason, Source, TaskId, TaskInfo, TaskState};

/// Where an executor is in its life (`Executor::State`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Started, not subscribed yet: its tasks wait in the queue.
    Registering,
    /// Subscribed: tasks go to it as they come.
    Running,
    /// Being shut down or killed.
    Terminating,
    /// Its process is gone.
    Terminated,
}

/// Why an executor is being terminated, for its tasks' last statuses
/// (`Executor::pendingTermination`).
#[derive(Clone, Debug)]
pub(crate) struct PendingTermination {
    pub state: TaskState,
    pub reason: Reason,
    pub message: String,
}

/// A custom executor on this agent.
pub(crate) struct CustomExecutor {
    /// Its ExecutorInfo, as the master passed it.
    pub info: Arc<ExecutorInfo>,
    pub container_id: String,
    pub directory: PathBuf,
    pub phase: Phase,
    /// Its SUBSCRIBE stream, once subscribed.
    pub stream: Option<EventSender>,
    /// Tasks waiting for it to subscribe, in launch order (those of task groups too).
    pub queued: Vec<String>,
    /// The task groups among them, each sent whole (`queuedTaskGroups`).
    pub queued_groups: Vec<Vec<String>>,
    /// Every task given to it, in launch order (their runs are the framework's).
    pub task_ids: Vec<String>,
    /// Whether a task was ever sent to it.
    pub ever_sent_task: bool,
    /// Kills its process: SIGTERM, then SIGKILL after the duration.
    pub kill_tx: Option<mpsc::UnboundedSender<Duration>>,
    pub pid: Option<u32>,
    pub pending_termination: Option<PendingTermination>,
}

impl CustomExecutor {
    /// A new executor, waiting for its SUBSCRIBE with `task_ids` to be sent to it.
    fn registering(
        info: &Arc<ExecutorInfo>,
        cid: &str,
        dir: &std::path::Path,
        task_ids: Vec<String>,
    ) -> CustomExecutor {
        CustomExecutor {
            info: Arc::clone(info),
            container_id: cid.to_string(),
            directory: dir.to_path_buf(),
            phase: Phase::Registering,
            stream: None,
            queued: Vec::new(),
            queued_groups: Vec::new(),
            task_ids,
            ever_sent_task: false,
            kill_tx: None,
            pid: None,
            pending_termination: None,
        }
    }
}

/// The stout text of a duration, as the agent writes flags into messages (`1mins`).
pub(crate) fn stout_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    let (value, unit) = if secs < 1.0 {
        // From whole nanoseconds: 0.3 s is 300ms, not 300.00000000000006ms.
        (d.as_nanos() as f64 / 1e6, "ms")
    } else if secs < 60.0 {
        (secs, "secs")
    } else if secs < 3600.0 {
        (secs / 60.0, "mins")
    } else if secs < 86400.0 {
        (secs / 3600.0, "hrs")
    } else {
        (secs / 86400.0, "days")
    };
    format!("{value}{unit}")
}

/// The executor's shutdown grace period: its own, else the agent's flag.
pub(super) fn shutdown_grace(info: &ExecutorInfo) -> Duration {
    (info.shutdown_grace_period.as_ref())
        .map(|d| Duration::from_nanos(d.nanoseconds.max(0) as u64))
        .unwrap_or(EXECUTOR_SHUTDOWN_GRACE_PERIOD)
}

/// `--executor_shutdown_grace_period`'s default.
pub(crate) const EXECUTOR_SHUTDOWN_GRACE_PERIOD: Duration = Duration::from_secs(5);

impl Agent {
    /// A task with an ExecutorInfo: given to its running executor, queued for one that has
    /// not subscribed yet, or the executor is started first.
    pub(crate) fn launch_on_executor(self: &Arc<Self>, fw: &FrameworkInfo, task: Arc<TaskInfo>) {
        // The caller launches here only a task with an executor.
        let info = Arc::new(task.executor.clone().unwrap_or_default());
        self.run_on_executor(fw, info, Work::Task(task));
    }

    /// A task group for a CUSTOM executor: as a task, but sent whole as one LAUNCH_GROUP.
    pub(crate) fn launch_group_on_executor(
        self: &Arc<Self>,
        framework_info: &FrameworkInfo,
        group: GroupLaunch,
    ) {
        self.run_on_executor(framework_info, group.executor, Work::Group(group.tasks));
    }

    /// `Slave::__run` for a custom executor: the work's tasks are the executor's from now
    /// on, sent to it if it runs, queued if it has not subscribed, lost if it is terminating;
    /// a new executor is started with the work queued.
    fn run_on_executor(
        self: &Arc<Self>,
        fw_info: &FrameworkInfo,
        info: Arc<ExecutorInfo>,
        work: Work,
    ) {
        let fid = framework_id_of(fw_info);
        let eid = info.executor_id.value.clone();
        let tids = work.task_ids();
        let start = {
            let mut st = self.lock();
            let fw = st.frameworks.entry(fid.clone()).or_default();
            if fw.info != *fw_info {
                fw.info = fw_info.clone();
            }
            let live = fw.custom.get(&eid).filter(|e| e.phase != Phase::Terminated);
            let (cid, dir, phase) = match live {
                Some(e) => (e.container_id.clone(), e.directory.clone(), Some(e.phase)),
                None => {
                    let cid = ids::uuid_string();
                    let dir = sandbox::run_dir(&self.work_dir, &self.id, &fid, &eid, &cid);
                    (cid, dir, None)
                }
            };
            for (tid, task) in tids.iter().zip(work.tasks()) {
                fw.executors.insert(
                    tid.clone(),
                    ExecutorRun {
                        framework_id: fid.clone(),
                        executor_id: eid.clone(),
                        container_id: cid.clone(),
                        directory: dir.clone(),
                        task: Arc::clone(task),
                        state: TaskState::Staging,
                        statuses: Vec::new(),
                        kill_tx: None,
                        pid: None,
                        parent_container: None,
                        custom: true,
                    },
                );
            }
            match phase {
                Some(Phase::Running) => {
                    let e = fw.custom.get_mut(&eid).expect("live executor");
                    e.task_ids.extend(tids.iter().cloned());
                    e.ever_sent_task = true;
                    if let Some(s) = &e.stream {
                        s.send(&work.event());
                    }
                    None
                }
                Some(Phase::Registering) => {
                    let e = fw.custom.get_mut(&eid).expect("live executor");
                    e.task_ids.extend(tids.iter().cloned());
                    e.enqueue(&work);
                    None
                }
                Some(_) => Some(Err(())),
                None => {
                    let mut e = CustomExecutor::registering(&info, &cid, &dir, tids.clone());
                    e.enqueue(&work);
                    let old = fw.custom.insert(eid.clone(), e);
                    fw.custom_ended.extend(old);
                    Some(Ok((cid, dir)))
                }
            }
        };
        match start {
            None => {}
            // `Slave::__run`: an executor being shut down takes no more tasks.
            Some(Err(())) => self.lose_all(&fid, &eid, &tids, "Executor terminating"),
            Some(Ok((cid, dir))) => {
                self.start_executor(fw_info, &fid, &eid, &cid, &dir, &info);
            }
        }
    }

    /// TASK_LOST (REASON_EXECUTOR_TERMINATED) for each of `tids`, from the agent.
    fn lose_all(&self, fid: &str, eid: &str, tids: &[String], message: &str) {
        for tid in tids {
            let spec = agent_spec(TaskState::Lost, message.into(), Reason::ExecutorTerminated);
            let st = self.status(tid, eid, spec);
            self.emit(fid, tid, st);
        }
    }

    /// Runs `f` on executor `eid` of `fid` if it still runs in container `cid`.
    pub(super) fn with_executor<T>(
        &self,
        fid: &str,
        eid: &str,
        cid: &str,
        f: impl FnOnce(&mut CustomExecutor) -> T,
    ) -> Option<T> {
        let mut st = self.lock();
        st.frameworks
            .get_mut(fid)
            .and_then(|fw| fw.custom.get_mut(eid))
            .filter(|e| e.container_id == cid)
            .map(f)
    }

    /// `executorTerminated`: the master hears that the executor exited (with its wait
    /// status; -1 when unknown), then each of its tasks not yet ended gets its last status.
    /// `setup_failed` is the state and message of an executor whose sandbox could not be made.
    pub(super) fn end_executor(
        &self,
        fid: &str,
        eid: &str,
        cid: &str,
        status: Option<i32>,
        setup_failed: Option<(TaskState, String)>,
    ) {
        let (tasks, pending, removed) = {
            let mut st = self.lock();
            let removed = st.removed.contains(fid);
            let Some(fw) = st.frameworks.get_mut(fid) else {
                return;
            };
            let Some(e) = fw
                .custom
                .get_mut(eid)
                .filter(|e| e.container_id == cid && e.phase != Phase::Terminated)
            else {
                return;
            };
            e.phase = Phase::Terminated;
            e.stream = None;
            e.kill_tx = None;
            e.queued.clear();
            e.queued_groups.clear();
            let pending = e.pending_termination.clone();
            let ids = e.task_ids.clone();
            let live: Vec<String> = ids
                .into_iter()
                .filter(|t| fw.executors.get(t).is_some_and(|r| !r.state.is_terminal()))
                .collect();
            (live, pending, removed)
        };
        if removed {
            return;
        }
        let _ = self.to_master.send(ToMaster::ExecutorExited {
            agent_id: self.id.clone(),
            framework_id: fid.to_string(),
            executor_id: eid.to_string(),
            status: status.unwrap_or(-1),
        });
        for tid in tasks {
            let spec = match (&setup_failed, &pending) {
                (Some((state, message)), _) => {
                    agent_spec(state.clone(), message.clone(), Reason::ExecutorTerminated)
                }
                (None, Some(p)) => agent_spec(p.state.clone(), p.message.clone(), p.reason.clone()),
                (None, None) => agent_spec(
                    TaskState::Failed,
                    "Executor terminated".into(),
                    Reason::ExecutorTerminated,
                ),
            };
            let st = self.status(&tid, eid, spec);
            self.emit(fid, &tid, st);
        }
    }

    /// A scheduler's KILL of a task on a custom executor: a queued task ends at once
    /// (TASK_KILLED, "Killed before delivery to the executor"), with the rest of its task
    /// group; a launched one is the executor's to kill (KILL event). False when the task is
    /// not on a custom executor.
    pub(crate) fn kill_on_executor(
        self: &Arc<Self>,
        fid: &str,
        tid: &str,
        grace: Option<Duration>,
    ) -> bool {
        let (eid, taken, in_group, shutdown) = {
            let mut st = self.lock();
            let Some(fw) = st.frameworks.get_mut(fid) else {
                return false;
            };
            let Some(run) = fw.executors.get(tid).filter(|r| r.custom) else {
                return false;
            };
            if run.state.is_terminal() {
                return true;
            }
            let eid = run.executor_id.clone();
            let Some(e) = fw.custom.get_mut(&eid) else {
                return true;
            };
            if matches!(e.phase, Phase::Terminating | Phase::Terminated) {
                tracing::warn!(task = tid, "ignoring kill: its executor is terminating");
                return true;
            }
            let (taken, in_group) = e.dequeue_with_group(tid);
            if taken.is_empty() {
                let policy = grace.map(|g| KillPolicy {
                    grace_period: Some(DurationInfo {
                        nanoseconds: i64::try_from(g.as_nanos()).unwrap_or(i64::MAX),
                        extra: Extra::new(),
                    }),
                    extra: Extra::new(),
                });
                if let Some(s) = &e.stream {
                    s.send(&Event::kill(TaskId::new(tid), policy));
                }
                return true;
            }
            let shutdown = !e.ever_sent_task && e.queued.is_empty();
            (eid, taken, in_group, shutdown)
        };
        let message = if in_group {
            "A task within the task group was killed before delivery to the executor"
        } else {
            "Killed before delivery to the executor"
        };
        for t in &taken {
            let spec = agent_spec(
                TaskState::Killed,
                message.into(),
                Reason::TaskKilledDuringLaunch,
            );
            let st = self.status(t, &eid, spec);
            self.emit(fid, t, st);
        }
        if shutdown {
            self.shutdown_executor(fid, &eid);
        }
        true
    }

    /// A scheduler's SHUTDOWN of executor `eid` (`_shutdownExecutor`): SHUTDOWN to a custom
    /// executor, killed after its grace period; a command task's executor (its task's ID)
    /// or a task group's is killed as before.
    pub(crate) fn shutdown_executor(self: &Arc<Self>, fid: &str, eid: &str) {
        self.catch_up();
        let custom = {
            let mut st = self.lock();
            let e = st
                .frameworks
                .get_mut(fid)
                .and_then(|f| f.custom.get_mut(eid))
                .filter(|e| matches!(e.phase, Phase::Registering | Phase::Running));
            e.map(|e| {
                e.phase = Phase::Terminating;
                if let Some(s) = &e.stream {
                    s.send(&Event::shutdown());
                }
                (e.container_id.clone(), shutdown_grace(&e.info))
            })
        };
        match custom {
            Some((cid, grace)) => {
                // `shutdownExecutorTimeout`: the container is destroyed if it is still there.
                let agent = Arc::clone(self);
                let (fid, eid) = (fid.to_string(), eid.to_string());
                tokio::spawn(async move {
                    tokio::time::sleep(grace).await;
                    agent.with_executor(&fid, &eid, &cid, destroy);
                });
            }
            None => self.kill(fid, eid, None),
        }
    }

    /// A scheduler's MESSAGE for executor `eid`: a MESSAGE event if it is subscribed,
    /// dropped otherwise (as the agent drops it).
    pub(crate) fn framework_message(self: &Arc<Self>, fid: &str, eid: &str, data: &Bytes) {
        self.catch_up();
        let st = self.lock();
        let stream = st
            .frameworks
            .get(fid)
            .and_then(|f| f.custom.get(eid))
            .filter(|e| e.phase == Phase::Running)
            .and_then(|e| e.stream.as_ref());
        match stream {
            Some(s) => {
                s.send(&Event::message(data.clone()));
            }
            None => tracing::warn!(
                executor = eid,
                "dropping a framework message: the executor is not running or not subscribed"
            ),
        }
    }

    /// The shutdown of a removed framework's custom executors (no statuses follow).
    pub(crate) fn shutdown_custom_executors(self: &Arc<Self>, fid: &str) {
        let ids: Vec<String> = {
            let st = self.lock();
            st.frameworks
                .get(fid)
                .map(|f| f.custom.keys().cloned().collect())
                .unwrap_or_default()
        };
        for eid in ids {
            self.shutdown_executor(fid, &eid);
        }
    }

    /// The custom executors still running: (framework, ExecutorInfo).
    pub(crate) fn live_custom_executors(&self) -> Vec<(String, Arc<ExecutorInfo>)> {
        let st = self.lock();
        st.frameworks
            .iter()
            .filter(|(fid, _)| !st.removed.contains(*fid))
            .flat_map(|(fid, fw)| {
                fw.custom
                    .values()
                    .filter(|e| e.phase != Phase::Terminated)
                    .map(|e| (fid.clone(), Arc::clone(&e.info)))
            })
            .collect()
    }
}

/// Destroys the executor's container: its processes are SIGKILLed, as the containerizer
/// does (no SIGTERM first).
pub(super) fn destroy(e: &mut CustomExecutor) {
    if e.phase == Phase::Terminated {
        return;
    }
    match (e.pid, &e.kill_tx) {
        // The executor leads its own process group.
        (Some(pid), _) => process::signal_group(pid as i32, libc::SIGKILL),
        (None, Some(tx)) => {
            let _ = tx.send(Duration::ZERO);
        }
        (None, None) => {}
    }
}

/// A status the agent itself sends for a task (`SOURCE_AGENT`).
fn agent_spec(state: TaskState, message: String, reason: Reason) -> StatusSpec<'static> {
    StatusSpec {
        state,
        message: Some(message),
        source: Source::Agent,
        reason: Some(reason),
        container: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_written_as_stout_writes_them() {
        assert_eq!(stout_duration(Duration::from_secs(60)), "1mins");
        assert_eq!(stout_duration(Duration::from_secs(5)), "5secs");
        assert_eq!(stout_duration(Duration::from_millis(300)), "300ms");
        assert_eq!(stout_duration(Duration::from_secs(90)), "1.5mins");
    }
}
