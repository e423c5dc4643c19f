//! The agent's side of a drain (`Slave::drain`): every task is killed, its grace period
//! capped by the drain's `max_grace_period`; while it drains, the agent reports TASK_KILLING
//! and TASK_KILLED with REASON_AGENT_DRAINING, and TASK_GONE_BY_OPERATOR instead of
//! TASK_KILLED to a partition-aware framework when the agent is to be marked gone.

use std::time::Duration;

use super::Agent;
use mesos_lib::v1::{FrameworkCapabilityType, Reason, TaskState, TaskStatus};

/// What the agent keeps of the master's `DrainConfig` while it drains.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DrainConfig {
    pub mark_gone: bool,
}

impl Agent {
    /// `DrainSlaveMessage`: kill every live task, none for longer than `max_grace`.
    pub(crate) fn drain(self: &std::sync::Arc<Self>, max_grace: Option<Duration>, mark_gone: bool) {
        self.catch_up();
        let kills: Vec<(String, String, Option<Duration>)> = {
            let mut st = self.lock();
            st.drain = Some(DrainConfig { mark_gone });
            let removed = &st.removed;
            st.frameworks
                .iter()
                .filter(|(fid, _)| !removed.contains(*fid))
                .flat_map(|(fid, fw)| {
                    fw.executors
                        .iter()
                        .filter(|(_, r)| !r.state.is_terminal())
                        .map(move |(tid, r)| {
                            let own = super::executor::kill_grace(&r.task);
                            // `calculateKillPolicy`: the cap replaces a longer or absent one.
                            let grace = match (max_grace, own) {
                                (Some(m), Some(o)) => Some(m.min(o)),
                                (m, o) => m.or(o),
                            };
                            (fid.clone(), tid.clone(), grace)
                        })
                })
                .collect()
        };
        for (fid, tid, grace) in kills {
            self.kill(&fid, &tid, grace);
        }
    }

    /// The drain is over (the master found it DRAINED, or reactivated the agent).
    pub(crate) fn stop_draining(&self) {
        self.lock().drain = None;
    }

    /// `status` as a draining agent reports it (unchanged when not draining).
    pub(crate) fn drain_status(&self, fid: &str, status: TaskStatus) -> TaskStatus {
        let state = status.state.clone();
        if !matches!(state, TaskState::Killing | TaskState::Killed) {
            return status;
        }
        let (drain, aware) = {
            let st = self.lock();
            let aware = st.frameworks.get(fid).is_some_and(|fw| {
                (fw.info).has_capability(&FrameworkCapabilityType::PartitionAware)
            });
            (st.drain, aware)
        };
        let Some(drain) = drain else { return status };
        let gone = drain.mark_gone && aware && state == TaskState::Killed;
        with_drain_reason(status, gone)
    }
}

/// The status with `reason` REASON_AGENT_DRAINING, and TASK_GONE_BY_OPERATOR as its state
/// when `gone`.
fn with_drain_reason(mut status: TaskStatus, gone: bool) -> TaskStatus {
    status.reason = Some(Reason::AgentDraining);
    if gone {
        status.state = TaskState::GoneByOperator;
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_drain_reason_follows_the_source() {
        let s: TaskStatus = serde_json::from_str(
            r#"{"task_id": {"value": "t"}, "state": "TASK_KILLED", "message": "m",
            "source": "SOURCE_EXECUTOR", "agent_id": {"value": "a"}}"#,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&with_drain_reason(s.clone(), false)).unwrap(),
            r#"{"task_id":{"value":"t"},"state":"TASK_KILLED","message":"m","source":"SOURCE_EXECUTOR","reason":"REASON_AGENT_DRAINING","agent_id":{"value":"a"}}"#
        );
        assert_eq!(with_drain_reason(s, true).state, TaskState::GoneByOperator);
    }
}
