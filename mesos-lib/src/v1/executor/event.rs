//! Executor `Event`: `{"type": "...", "<lowercase type>": {...}}`, what an agent sends an
//! executor on its SUBSCRIBE stream. SHUTDOWN and HEARTBEAT carry no section.

use serde::{Deserialize, Serialize};

use crate::proto_enum;
use crate::v1::Extra;
use crate::v1::agent::AgentInfo;
use crate::v1::bytes::Bytes;
use crate::v1::framework::FrameworkInfo;
use crate::v1::ids::{ContainerId, TaskId};
use crate::v1::task::{ExecutorInfo, KillPolicy, TaskGroupInfo, TaskInfo};

proto_enum!(
    /// `executor::Event.Type`.
    EventType {
        /// `UNKNOWN`, the proto's zero value.
        Unspecified = "UNKNOWN",
        /// First event of a stream.
        Subscribed = "SUBSCRIBED",
        /// A task to run.
        Launch = "LAUNCH",
        /// A task group to run.
        LaunchGroup = "LAUNCH_GROUP",
        /// A task to kill.
        Kill = "KILL",
        /// A status update was acknowledged by the scheduler (or the agent).
        Acknowledged = "ACKNOWLEDGED",
        /// Framework-to-executor data.
        Message = "MESSAGE",
        /// Fatal error.
        Error = "ERROR",
        /// The executor is to kill its tasks and exit.
        Shutdown = "SHUTDOWN",
        /// Keep-alive.
        Heartbeat = "HEARTBEAT",
    }
);

/// `Event.Subscribed`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Subscribed {
    /// The executor as the agent runs it.
    pub executor_info: ExecutorInfo,
    /// Its framework.
    pub framework_info: FrameworkInfo,
    /// The agent.
    pub agent_info: AgentInfo,
    /// The executor's container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_id: Option<ContainerId>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Event.Launch`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Launch {
    /// The task.
    pub task: TaskInfo,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Event.LaunchGroup`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LaunchGroup {
    /// The task group.
    pub task_group: TaskGroupInfo,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Event.Kill`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Kill {
    /// The task.
    pub task_id: TaskId,
    /// Overrides the task's kill policy (a scheduler's KILL with one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kill_policy: Option<KillPolicy>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Event.Acknowledged`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Acknowledged {
    /// The task of the update.
    pub task_id: TaskId,
    /// The update's uuid.
    pub uuid: Bytes,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Event.Message`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Message {
    /// Payload from the scheduler.
    pub data: Bytes,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Event.Error`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Error {
    /// Message.
    pub message: String,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `executor::Event`: `type` plus the section that matches it, in `executor.proto`'s
/// field order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Event type.
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// SUBSCRIBED section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscribed: Option<Subscribed>,
    /// ACKNOWLEDGED section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<Acknowledged>,
    /// LAUNCH section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch: Option<Launch>,
    /// LAUNCH_GROUP section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_group: Option<LaunchGroup>,
    /// KILL section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kill: Option<Kill>,
    /// MESSAGE section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
    /// ERROR section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Event {
    /// An event of `event_type` with no section.
    pub fn new(event_type: EventType) -> Self {
        Self {
            event_type,
            subscribed: None,
            acknowledged: None,
            launch: None,
            launch_group: None,
            kill: None,
            message: None,
            error: None,
            extra: Extra::new(),
        }
    }

    /// SUBSCRIBED.
    pub fn subscribed(
        executor_info: ExecutorInfo,
        framework_info: FrameworkInfo,
        agent_info: AgentInfo,
        container_id: Option<ContainerId>,
    ) -> Self {
        Self {
            subscribed: Some(Subscribed {
                executor_info,
                framework_info,
                agent_info,
                container_id,
                extra: Extra::new(),
            }),
            ..Self::new(EventType::Subscribed)
        }
    }

    /// LAUNCH of `task`.
    pub fn launch(task: TaskInfo) -> Self {
        Self {
            launch: Some(Launch {
                task,
                extra: Extra::new(),
            }),
            ..Self::new(EventType::Launch)
        }
    }

    /// LAUNCH_GROUP of `tasks`.
    pub fn launch_group(tasks: Vec<TaskInfo>) -> Self {
        Self {
            launch_group: Some(LaunchGroup {
                task_group: TaskGroupInfo {
                    tasks,
                    extra: Extra::new(),
                },
                extra: Extra::new(),
            }),
            ..Self::new(EventType::LaunchGroup)
        }
    }

    /// KILL of `task_id`, with the scheduler's kill policy if it gave one.
    pub fn kill(task_id: TaskId, kill_policy: Option<KillPolicy>) -> Self {
        Self {
            kill: Some(Kill {
                task_id,
                kill_policy,
                extra: Extra::new(),
            }),
            ..Self::new(EventType::Kill)
        }
    }

    /// ACKNOWLEDGED of the update `uuid` of `task_id`.
    pub fn acknowledged(task_id: TaskId, uuid: Bytes) -> Self {
        Self {
            acknowledged: Some(Acknowledged {
                task_id,
                uuid,
                extra: Extra::new(),
            }),
            ..Self::new(EventType::Acknowledged)
        }
    }

    /// MESSAGE from the scheduler.
    pub fn message(data: Bytes) -> Self {
        Self {
            message: Some(Message {
                data,
                extra: Extra::new(),
            }),
            ..Self::new(EventType::Message)
        }
    }

    /// ERROR with `message`.
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            error: Some(Error {
                message: message.into(),
                extra: Extra::new(),
            }),
            ..Self::new(EventType::Error)
        }
    }

    /// SHUTDOWN.
    pub fn shutdown() -> Self {
        Self::new(EventType::Shutdown)
    }

    /// HEARTBEAT.
    pub fn heartbeat() -> Self {
        Self::new(EventType::Heartbeat)
    }
}

#[cfg(test)]
mod tests;
