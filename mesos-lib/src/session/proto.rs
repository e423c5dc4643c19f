//! The wire format between a Rust cell and the kernel: one JSON line per request, one per
//! answer, on a Unix socket the kernel serves. Each request carries the per-process secret the
//! kernel gave its evcxr child; the kernel refuses any line without it.
//!
//! This is the channel's one definition (messages, environment variable names, limits). It
//! lives here, in mesos-lib's `cell` feature, because both ends link mesos-lib: the kernel
//! serves it (`kernel/src/cellbridge/`) and cells ask through [`super`]; a cell cannot depend
//! on the kernel crate.

use crate::bind::{Agent, Offer, Task};
use crate::v1::{FrameworkId, OfferId, TaskId, TaskInfo};
use serde::{Deserialize, Serialize};

/// Environment variable holding the socket's path (set for the evcxr child only).
pub const SOCKET_ENV: &str = "MESOS_KERNEL_CELL_SOCKET";
/// Environment variable holding the per-process secret (set for the evcxr child only).
pub const SECRET_ENV: &str = "MESOS_KERNEL_CELL_SECRET";
/// Longest request line the kernel reads; a launch of many TaskInfos stays far below it.
pub const MAX_LINE: usize = 16 * 1024 * 1024;

/// One request line: the secret and what is asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// The secret from [`SECRET_ENV`].
    pub secret: String,
    /// What the cell asks for.
    pub request: Request,
}

/// What a cell can ask of the kernel's session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    /// Where the session stands.
    Info,
    /// Outstanding offers.
    Offers,
    /// This framework's tasks and their latest statuses.
    Tasks,
    /// The cluster's agents (operator GET_AGENTS).
    Agents,
    /// LAUNCH tasks on one offer; tasks already active (same id, or same name without an id)
    /// are not launched again.
    Launch {
        /// The offer to use.
        offer_id: OfferId,
        /// The tasks; an empty `task_id` becomes NAME-<random>, an empty `agent_id` the offer's.
        tasks: Vec<TaskInfo>,
    },
    /// DECLINE offers.
    Decline {
        /// The offers.
        offer_ids: Vec<OfferId>,
        /// `filters.refuse_seconds`, if given.
        refuse_seconds: Option<f64>,
    },
    /// KILL tasks.
    Kill {
        /// The tasks.
        task_ids: Vec<TaskId>,
    },
    /// RECONCILE the given tasks (none: implicit reconciliation).
    Reconcile {
        /// The tasks.
        task_ids: Vec<TaskId>,
    },
}

/// The kernel's answer: a [`Reply`], or why not.
pub type Answer = Result<Reply, String>;

/// What the kernel sends back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    /// For [`Request::Info`].
    Info(SessionInfo),
    /// For [`Request::Offers`].
    Offers(Vec<Offer>),
    /// For [`Request::Tasks`].
    Tasks(Vec<Task>),
    /// For [`Request::Agents`].
    Agents(Vec<Agent>),
    /// For [`Request::Launch`].
    Launched(Launched),
    /// The call was sent and accepted by the master.
    Done,
}

/// The session as a cell sees it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The master URL the kernel is connected to (`%connect`).
    pub master: Option<String>,
    /// Whether that is the embedded local Mesos.
    pub local: bool,
    /// The scheduler session's state (`subscribed`, `reconnecting (…)`…), if subscribed.
    pub state: Option<String>,
    /// The framework ID.
    pub framework_id: Option<FrameworkId>,
    /// The framework's name.
    pub framework_name: Option<String>,
    /// Outstanding offers.
    pub offers: usize,
    /// Tasks the session knows.
    pub tasks: usize,
    /// Of which not terminal.
    pub active_tasks: usize,
}

/// What a launch did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Launched {
    /// Tasks sent in the LAUNCH.
    pub launched: Vec<TaskId>,
    /// Tasks already active, not launched again.
    pub already_active: Vec<TaskId>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::AgentId;

    #[test]
    fn requests_and_answers_round_trip_as_json_lines() {
        let env = Envelope {
            secret: "s".into(),
            request: Request::Launch {
                offer_id: "o1".into(),
                tasks: vec![TaskInfo::command(
                    "t1",
                    "t",
                    AgentId::default(),
                    crate::v1::CommandInfo::shell("sleep 1"),
                    vec![crate::v1::Resource::scalar("cpus", 0.1)],
                )],
            },
        };
        let line = serde_json::to_string(&env).unwrap();
        assert!(!line.contains('\n'));
        assert_eq!(serde_json::from_str::<Envelope>(&line).unwrap(), env);
        let answer: Answer = Ok(Reply::Launched(Launched {
            launched: vec!["t1".into()],
            already_active: vec![],
        }));
        let line = serde_json::to_string(&answer).unwrap();
        assert_eq!(serde_json::from_str::<Answer>(&line).unwrap(), answer);
        let refused: Answer = Err("refused".into());
        let line = serde_json::to_string(&refused).unwrap();
        assert_eq!(serde_json::from_str::<Answer>(&line).unwrap(), refused);
    }
}
