//! Starting a custom executor (`Slave::launchExecutor`): its sandbox, its command with the
//! `MESOS_*` environment, and the registration timer that kills it if it never subscribes.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::Agent;
use super::custom_executor::{PendingTermination, Phase, destroy, shutdown_grace, stout_duration};
use super::process::{self, Launch, Outcome};
use super::sandbox;
use mesos_lib::v1::task::ExecutorInfo;
use mesos_lib::v1::{FrameworkInfo, Reason, TaskState};

impl Agent {
    /// Makes the executor's sandbox and starts its command there, with the registration
    /// timer running.
    pub(super) fn start_executor(
        self: &Arc<Self>,
        framework_info: &FrameworkInfo,
        fid: &str,
        eid: &str,
        cid: &str,
        dir: &std::path::Path,
        info: &ExecutorInfo,
    ) {
        let command = info.command.as_ref();
        let user =
            (command.and_then(|c| c.user.clone())).unwrap_or_else(|| framework_info.user.clone());
        let setup = if self.user_exists(&user) {
            sandbox::create(dir, true).map_err(|e| e.to_string())
        } else {
            Err(format!(
                "Failed to chown directory to '{user}': No such user '{user}'"
            ))
        };
        if let Err(e) = setup {
            let message = format!(
                "Failed to create executor directory '{}': {e}",
                dir.display()
            );
            self.end_executor(fid, eid, cid, None, Some((TaskState::Lost, message)));
            return;
        }
        let (kill_tx, kill_rx) = mpsc::unbounded_channel();
        self.with_executor(fid, eid, cid, |e| e.kill_tx = Some(kill_tx));
        let launch = Launch {
            command: command.cloned().unwrap_or_default(),
            sandbox: dir.to_path_buf(),
            env: self.executor_environment(fid, eid, dir, info),
        };
        let agent = Arc::clone(self);
        let ids = (fid.to_string(), eid.to_string(), cid.to_string());
        tokio::spawn(async move {
            let (fid, eid, cid) = ids;
            let started = Arc::clone(&agent);
            let outcome = process::run(launch, agent.groups.clone(), kill_rx, |pid| {
                started.with_executor(&fid, &eid, &cid, |e| e.pid = Some(pid));
            })
            .await;
            let status = match outcome {
                Outcome::Exited { status, .. } => {
                    use std::os::unix::process::ExitStatusExt;
                    Some(status.into_raw())
                }
                Outcome::LaunchFailed(e) => {
                    tracing::warn!(executor = %eid, "failed to launch executor: {e}");
                    None
                }
            };
            agent.end_executor(&fid, &eid, &cid, status, None);
        });
        let agent = Arc::clone(self);
        let timeout = self.executor_registration_timeout;
        let ids = (fid.to_string(), eid.to_string(), cid.to_string());
        tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            agent.registration_timeout(&ids.0, &ids.1, &ids.2, timeout);
        });
    }

    /// The environment a real agent gives an executor (`executorEnvironment`).
    fn executor_environment(
        &self,
        fid: &str,
        eid: &str,
        dir: &std::path::Path,
        info: &ExecutorInfo,
    ) -> Vec<(String, String)> {
        let d = dir.display().to_string();
        let grace = shutdown_grace(info);
        vec![
            ("LIBPROCESS_IP".into(), self.ip.to_string()),
            ("LIBPROCESS_PORT".into(), "0".into()),
            (
                "MESOS_AGENT_ENDPOINT".into(),
                format!("{}:{}", self.ip, self.port),
            ),
            ("MESOS_CHECKPOINT".into(), "0".into()),
            ("MESOS_DIRECTORY".into(), d.clone()),
            ("MESOS_EXECUTOR_ID".into(), eid.into()),
            (
                "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD".into(),
                stout_duration(grace),
            ),
            ("MESOS_FRAMEWORK_ID".into(), fid.into()),
            ("MESOS_HTTP_COMMAND_EXECUTOR".into(), "0".into()),
            ("MESOS_SANDBOX".into(), d),
            ("MESOS_SLAVE_ID".into(), self.id.clone()),
            ("MESOS_SLAVE_PID".into(), self.pid()),
        ]
    }

    /// `registerExecutorTimeout`: an executor still not subscribed is killed, and its tasks
    /// fail with REASON_EXECUTOR_REGISTRATION_TIMEOUT.
    fn registration_timeout(&self, fid: &str, eid: &str, cid: &str, timeout: Duration) {
        self.with_executor(fid, eid, cid, |e| {
            if e.phase != Phase::Registering {
                return;
            }
            tracing::info!(
                executor = eid,
                "terminating executor: it did not register in time"
            );
            e.phase = Phase::Terminating;
            e.pending_termination = Some(PendingTermination {
                state: TaskState::Failed,
                reason: Reason::ExecutorRegistrationTimeout,
                message: format!(
                    "Executor did not register within {}",
                    stout_duration(timeout)
                ),
            });
            destroy(e);
        });
    }
}
