//! The command executor's side of a task: checks a real agent makes before launching,
//! the MESOS_* environment, and the status updates it sends.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::{Agent, ExecutorRun, framework_id_of, sandbox, volumes};
use crate::agent::process::{self, Launch, Outcome};
use crate::ids;
use crate::resource_views as rv;
use mesos_lib::v1::container::{IpAddress, NetworkInfo};
use mesos_lib::v1::ids::{AgentId, ContainerId, ExecutorId, TaskId};
use mesos_lib::v1::task::CommandInfo;
use mesos_lib::v1::{
    ContainerStatus, FrameworkInfo, Reason, Source, TaskInfo, TaskState, TaskStatus,
};

/// Default grace period between SIGTERM and SIGKILL (the command executor's KillPolicy default).
pub(crate) const DEFAULT_KILL_GRACE: Duration = Duration::from_secs(3);

/// Who a task is: framework, task, executor and container IDs.
struct TaskIds {
    fid: String,
    tid: String,
    eid: String,
    cid: String,
}

/// One status update, built with the key order real agents use.
pub(crate) struct StatusSpec<'a> {
    pub state: TaskState,
    pub message: Option<String>,
    pub source: Source,
    pub reason: Option<Reason>,
    pub container: Option<(&'a str, Option<u32>)>,
}

impl Agent {
    /// Builds a TaskStatus with a fresh uuid.
    /// The task could not get an executor directory: TASK_LOST, as a real agent reports it.
    fn lose_before_launch(&self, fid: &str, tid: &str, eid: &str, msg: String) {
        let st = self.status(
            tid,
            eid,
            StatusSpec {
                state: TaskState::Lost,
                message: Some(msg),
                source: Source::Agent,
                reason: Some(Reason::ExecutorTerminated),
                container: None,
            },
        );
        self.emit(fid, tid, st);
    }

    pub(crate) fn status(
        &self,
        task_id: &str,
        executor_id: &str,
        spec: StatusSpec<'_>,
    ) -> TaskStatus {
        TaskStatus {
            task_id: Some(TaskId::new(task_id)),
            state: spec.state,
            message: spec.message,
            source: Some(spec.source),
            reason: spec.reason,
            agent_id: Some(AgentId::new(self.id.as_str())),
            executor_id: Some(ExecutorId::new(executor_id)),
            timestamp: Some(ids::now_secs()),
            uuid: Some(ids::status_uuid_bytes()),
            container_status: spec.container.map(|(cid, pid)| ContainerStatus {
                container_id: Some(ContainerId::new(cid)),
                network_infos: vec![self.network_info()],
                executor_pid: pid,
                ..ContainerStatus::default()
            }),
            ..TaskStatus::default()
        }
    }

    /// The network a task's container is on: the agent's IPv4 address, as TASK_RUNNING shows.
    pub(crate) fn network_info(&self) -> NetworkInfo {
        NetworkInfo {
            ip_addresses: vec![IpAddress {
                protocol: Some("IPv4".into()),
                ip_address: Some(self.ip.to_string()),
                ..IpAddress::default()
            }],
            ..NetworkInfo::default()
        }
    }

    /// Launches a task received from the master.
    pub(crate) fn launch(self: &Arc<Self>, framework_info: &FrameworkInfo, task: Arc<TaskInfo>) {
        if task.executor.is_some() {
            return self.launch_on_executor(framework_info, task);
        }
        let fid = framework_id_of(framework_info);
        let tid = task.task_id.value.clone();
        let eid = tid.clone();
        let cid = ids::uuid_string();
        let dir = sandbox::run_dir(&self.work_dir, &self.id, &fid, &eid, &cid);
        let (kill_tx, kill_rx) = mpsc::unbounded_channel();
        self.add_run(
            framework_info,
            ExecutorRun {
                framework_id: fid.clone(),
                executor_id: eid.clone(),
                container_id: cid.clone(),
                directory: dir.clone(),
                task: Arc::clone(&task),
                state: TaskState::Staging,
                statuses: Vec::new(),
                kill_tx: Some(kill_tx),
                pid: None,
                parent_container: None,
                custom: false,
            },
        );

        let Some(command) = self.prepare(
            framework_info,
            &task,
            [fid.as_str(), tid.as_str(), eid.as_str()],
            &dir,
        ) else {
            return;
        };
        let env = self.environment(&fid, &eid, &tid, &dir);
        let launch = Launch {
            command,
            sandbox: dir,
            env,
        };
        self.run_command(TaskIds { fid, tid, eid, cid }, launch, kill_rx);
    }

    /// The checks a real agent makes before it starts the command: the user exists, the
    /// sandbox can be made, a containerizer takes the container, the task has a command. The
    /// command, or `None` once the task has been reported lost or failed.
    fn prepare(
        &self,
        framework_info: &FrameworkInfo,
        task: &TaskInfo,
        [fid, tid, eid]: [&str; 3],
        dir: &std::path::Path,
    ) -> Option<CommandInfo> {
        let user = (task.command.as_ref())
            .and_then(|c| c.user.as_deref())
            .unwrap_or(&framework_info.user)
            .to_string();
        if !self.user_exists(&user) {
            let msg = format!(
                "Failed to create executor directory '{}': Failed to chown directory to '{user}': No such user '{user}'",
                dir.display()
            );
            self.lose_before_launch(fid, tid, eid, msg);
            return None;
        }
        // No containerizer takes a container task here, so no container logger creates its
        // stdout and stderr, as on a real agent.
        let unsupported = container_unsupported(task);
        if let Err(e) = sandbox::create(dir, unsupported.is_none()) {
            let msg = format!(
                "Failed to create executor directory '{}': {e}",
                dir.display()
            );
            self.lose_before_launch(fid, tid, eid, msg);
            return None;
        }
        let failed = match (unsupported, &task.command) {
            (None, Some(command)) => {
                let resources = rv::from_typed(&task.resources);
                volumes::link_into(&self.work_dir, dir, &resources);
                return Some(command.clone());
            }
            (Some((message, reason)), _) => (message, reason),
            (None, None) => (
                "Abnormal executor termination: custom executors are not supported by mesos-local"
                    .into(),
                Reason::ExecutorTerminated,
            ),
        };
        let st = self.status(
            tid,
            eid,
            StatusSpec {
                state: TaskState::Failed,
                message: Some(failed.0),
                source: Source::Agent,
                reason: Some(failed.1),
                container: None,
            },
        );
        self.emit(fid, tid, st);
        None
    }

    /// Runs the command in the background: TASK_STARTING and TASK_RUNNING once it has a
    /// process, then the terminal status its end gives.
    fn run_command(
        self: &Arc<Self>,
        task_ids: TaskIds,
        launch: Launch,
        kill_rx: mpsc::UnboundedReceiver<Duration>,
    ) {
        let agent = Arc::clone(self);
        tokio::spawn(async move {
            let TaskIds { fid, tid, eid, cid } = task_ids;
            let started_agent = Arc::clone(&agent);
            let (fid2, tid2, eid2, cid2) = (fid.clone(), tid.clone(), eid.clone(), cid.clone());
            let outcome = process::run(launch, agent.groups.clone(), kill_rx, move |pid| {
                started_agent.set_pid(&fid2, &eid2, pid);
                for state in [TaskState::Starting, TaskState::Running] {
                    let st = started_agent.status(
                        &tid2,
                        &eid2,
                        StatusSpec {
                            state,
                            message: None,
                            source: Source::Executor,
                            reason: None,
                            container: Some((&cid2, Some(pid))),
                        },
                    );
                    started_agent.emit(&fid2, &tid2, st);
                }
            })
            .await;
            let pid = agent.pid_of(&fid, &eid);
            let (state, message) = match outcome {
                Outcome::LaunchFailed(e) => {
                    (TaskState::Failed, format!("Failed to launch command: {e}"))
                }
                Outcome::Exited { status, killed } => describe_exit(status, killed),
            };
            let container = pid.map(|p| (cid.as_str(), Some(p)));
            let st = agent.status(
                &tid,
                &eid,
                StatusSpec {
                    state,
                    message: Some(message),
                    source: Source::Executor,
                    reason: None,
                    container,
                },
            );
            agent.emit(&fid, &tid, st);
        });
    }

    /// The whole environment a command task's process was started with: this process's, then
    /// what `process::build` lays over it. Rebuilt, not kept: it is the same for the life of
    /// the task.
    pub(crate) fn task_environment(&self, run: &ExecutorRun) -> Vec<(String, String)> {
        let command = run.task.command.clone().unwrap_or_default();
        let agent = self.environment(
            &run.framework_id,
            &run.executor_id,
            &run.task.task_id.value,
            &run.directory,
        );
        process::overlay(
            std::env::vars().collect(),
            process::command_variables(&command, &agent),
        )
    }

    /// The environment a command executor gives its task.
    fn environment(
        &self,
        fid: &str,
        eid: &str,
        tid: &str,
        dir: &std::path::Path,
    ) -> Vec<(String, String)> {
        let d = dir.display().to_string();
        vec![
            ("MESOS_FRAMEWORK_ID".into(), fid.into()),
            ("MESOS_EXECUTOR_ID".into(), eid.into()),
            ("MESOS_TASK_ID".into(), tid.into()),
            ("MESOS_DIRECTORY".into(), d.clone()),
            ("MESOS_SANDBOX".into(), d),
            (
                "MESOS_AGENT_ENDPOINT".into(),
                format!("{}:{}", self.ip, self.port),
            ),
            ("MESOS_SLAVE_ID".into(), self.id.clone()),
            (
                "MESOS_SLAVE_PID".into(),
                format!("slave(1)@{}:{}", self.ip, self.port),
            ),
            ("MESOS_CHECKPOINT".into(), "0".into()),
            ("MESOS_HTTP_COMMAND_EXECUTOR".into(), "0".into()),
            (
                "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD".into(),
                "5secs".into(),
            ),
            ("LIBPROCESS_PORT".into(), "0".into()),
        ]
    }

    /// Kills a task: TASK_KILLING first for frameworks that asked for it, then SIGTERM and,
    /// after the grace period, SIGKILL.
    pub(crate) fn kill(self: &Arc<Self>, fid: &str, tid: &str, grace: Option<Duration>) {
        self.catch_up();
        if self.kill_in_group(fid, tid, grace) || self.kill_on_executor(fid, tid, grace) {
            return;
        }
        let found = self.with_run(fid, tid, |run, killing_cap| {
            let grace = grace
                .or_else(|| kill_grace(&run.task))
                .unwrap_or(DEFAULT_KILL_GRACE);
            let tx = run.kill_tx.clone()?;
            Some((tx, grace, killing_cap, run.container_id.clone(), run.pid))
        });
        if let Some(Some((tx, grace, killing_cap, cid, pid))) = found {
            if killing_cap {
                let st = self.status(
                    tid,
                    tid,
                    StatusSpec {
                        state: TaskState::Killing,
                        message: None,
                        source: Source::Executor,
                        reason: None,
                        container: Some((&cid, pid)),
                    },
                );
                self.emit(fid, tid, st);
            }
            let _ = tx.send(grace);
        }
    }
}

/// The command executor's words for how a process ended.
pub(crate) fn describe_exit(status: std::process::ExitStatus, killed: bool) -> (TaskState, String) {
    use std::os::unix::process::ExitStatusExt;
    if let Some(code) = status.code() {
        let state = if killed {
            TaskState::Killed
        } else if code == 0 {
            TaskState::Finished
        } else {
            TaskState::Failed
        };
        (state, format!("Command exited with status {code}"))
    } else {
        let sig = status.signal().unwrap_or(0);
        let state = if killed {
            TaskState::Killed
        } else {
            TaskState::Failed
        };
        (
            state,
            format!(
                "Command terminated with signal {}",
                process::signal_name(sig)
            ),
        )
    }
}

/// The grace period of a task's KillPolicy (negative taken as none).
pub(crate) fn kill_grace(task: &TaskInfo) -> Option<Duration> {
    let ns = task
        .kill_policy
        .as_ref()?
        .grace_period
        .as_ref()?
        .nanoseconds;
    Some(Duration::from_nanos(ns.max(0) as u64))
}

/// What an agent with only the Mesos containerizer and no image provisioner answers to a
/// container task: (message, reason) of its TASK_FAILED; `None` for a task it can run.
fn container_unsupported(task: &TaskInfo) -> Option<(String, Reason)> {
    let container = task.container.as_ref()?;
    match container.container_type.as_ref().map(|t| t.as_str()) {
        Some("DOCKER") => Some((
            "Abnormal executor termination: unknown container".into(),
            Reason::ExecutorTerminated,
        )),
        Some("MESOS") => {
            let image = container.mesos.as_ref()?.image.as_ref()?;
            let kind = match image.image_type.as_ref().map(|t| t.as_str()) {
                Some("APPC") => 1,
                _ => 2,
            };
            Some((
                format!("Failed to launch container: Unsupported container image type: {kind}"),
                Reason::ContainerLaunchFailed,
            ))
        }
        _ => None,
    }
}

/// Whether a user name exists on this machine (an empty name never does).
pub(crate) fn lookup_user(user: &str) -> bool {
    let Ok(c) = std::ffi::CString::new(user) else {
        return false;
    };
    if user.is_empty() {
        return false;
    }
    // SAFETY: getpwnam reads a NUL-terminated name; the result is only tested for null.
    unsafe { !libc::getpwnam(c.as_ptr()).is_null() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_writes_its_typed_values_as_the_agent_always_wrote_them() {
        let (to_master, _rx) = mpsc::unbounded_channel();
        let agent = Agent::new(
            "a1".into(),
            "host".into(),
            "127.0.0.1".parse().unwrap(),
            5051,
            Default::default(),
            Vec::new(),
            std::env::temp_dir(),
            "host".into(),
            to_master,
        );
        let spec = StatusSpec {
            state: TaskState::Failed,
            message: Some("Command exited with status 1".into()),
            source: Source::Agent,
            reason: Some(Reason::ContainerLaunchFailed),
            container: Some(("c1", Some(7))),
        };
        let mut status = agent.status("t1", "e1", spec);
        status.timestamp = Some(1.5);
        status.uuid = Some(mesos_lib::v1::Bytes::new([0u8, 1].as_slice()));
        // The key order is what real agents write.
        assert_eq!(
            serde_json::to_string(&status).unwrap(),
            concat!(
                r#"{"task_id":{"value":"t1"},"state":"TASK_FAILED","#,
                r#""message":"Command exited with status 1","source":"SOURCE_AGENT","#,
                r#""reason":"REASON_CONTAINER_LAUNCH_FAILED","agent_id":{"value":"a1"},"#,
                r#""executor_id":{"value":"e1"},"timestamp":1.5,"uuid":"AAE=","#,
                r#""container_status":{"container_id":{"value":"c1"},"#,
                r#""network_infos":[{"ip_addresses":[{"protocol":"IPv4","ip_address":"127.0.0.1"}]}],"#,
                r#""executor_pid":7}}"#
            )
        );
        // A signal ends a task FAILED, unless the agent killed it.
        let signalled = std::os::unix::process::ExitStatusExt::from_raw(9);
        assert_eq!(describe_exit(signalled, false).0, TaskState::Failed);
        assert_eq!(describe_exit(signalled, true).0, TaskState::Killed);
    }
}
