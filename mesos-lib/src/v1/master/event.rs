//! Operator `master::Event`, read from the operator SUBSCRIBE stream.

use serde::{Deserialize, Serialize};

use crate::proto_enum;
use crate::v1::Extra;
use crate::v1::framework::FrameworkInfo;
use crate::v1::ids::{AgentId, FrameworkId};
use crate::v1::status::{TaskState, TaskStatus};
use crate::v1::task::Task;

use super::response::{Agent, Framework, GetState};

proto_enum!(
    /// `master::Event.Type`.
    EventType {
        /// First event: the whole state.
        Subscribed = "SUBSCRIBED",
        /// A task was accepted.
        TaskAdded = "TASK_ADDED",
        /// A task changed state.
        TaskUpdated = "TASK_UPDATED",
        /// An agent registered.
        AgentAdded = "AGENT_ADDED",
        /// An agent was removed.
        AgentRemoved = "AGENT_REMOVED",
        /// A framework subscribed.
        FrameworkAdded = "FRAMEWORK_ADDED",
        /// A framework changed.
        FrameworkUpdated = "FRAMEWORK_UPDATED",
        /// A framework was removed.
        FrameworkRemoved = "FRAMEWORK_REMOVED",
        /// Keep-alive.
        Heartbeat = "HEARTBEAT",
    }
);

/// `Event.Subscribed`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Subscribed {
    /// Full state at subscription time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_state: Option<GetState>,
    /// Heartbeat period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_interval_seconds: Option<f64>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Event.TaskAdded`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TaskAdded {
    /// The task.
    pub task: Task,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Event.TaskUpdated`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TaskUpdated {
    /// Framework.
    pub framework_id: FrameworkId,
    /// Latest status.
    pub status: TaskStatus,
    /// Latest state.
    pub state: TaskState,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Event.AgentAdded`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AgentAdded {
    /// The agent.
    pub agent: Agent,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Event.AgentRemoved`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AgentRemoved {
    /// The agent.
    pub agent_id: AgentId,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Event.FrameworkAdded` / `Event.FrameworkUpdated`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FrameworkChanged {
    /// The framework.
    pub framework: Framework,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Event.FrameworkRemoved`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FrameworkRemoved {
    /// The framework.
    pub framework_info: FrameworkInfo,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `master::Event`: a typed envelope, `type` plus the body that matches it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Event type.
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// SUBSCRIBED body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscribed: Option<Subscribed>,
    /// TASK_ADDED body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_added: Option<TaskAdded>,
    /// TASK_UPDATED body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_updated: Option<TaskUpdated>,
    /// AGENT_ADDED body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_added: Option<AgentAdded>,
    /// AGENT_REMOVED body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_removed: Option<AgentRemoved>,
    /// FRAMEWORK_ADDED body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framework_added: Option<FrameworkChanged>,
    /// FRAMEWORK_UPDATED body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framework_updated: Option<FrameworkChanged>,
    /// FRAMEWORK_REMOVED body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framework_removed: Option<FrameworkRemoved>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Event {
    /// An event of `event_type` with no body.
    pub fn new(event_type: EventType) -> Self {
        Self {
            event_type,
            subscribed: None,
            task_added: None,
            task_updated: None,
            agent_added: None,
            agent_removed: None,
            framework_added: None,
            framework_updated: None,
            framework_removed: None,
            extra: Extra::new(),
        }
    }

    /// HEARTBEAT.
    pub fn heartbeat() -> Self {
        Self::new(EventType::Heartbeat)
    }
}
