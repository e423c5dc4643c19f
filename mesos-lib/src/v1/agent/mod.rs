//! The agent: its `AgentInfo` and capabilities, and its operator API's calls (`agent::Call`).

pub mod call;
pub mod containers;

pub use call::{AgentCallType, Call};

use serde::{Deserialize, Serialize};

use super::common::DomainInfo;
use super::ids::AgentId;
use super::resources::{Attribute, Resource};
use super::{Extra, proto_enum};

proto_enum!(
    /// `AgentInfo.Capability.Type`.
    AgentCapabilityType {
        /// Multi-role frameworks.
        MultiRole = "MULTI_ROLE",
        /// Hierarchical roles.
        HierarchicalRole = "HIERARCHICAL_ROLE",
        /// Reservation refinement.
        ReservationRefinement = "RESERVATION_REFINEMENT",
        /// Resource providers.
        ResourceProvider = "RESOURCE_PROVIDER",
        /// Volume resizing.
        ResizeVolume = "RESIZE_VOLUME",
        /// Operation feedback.
        AgentOperationFeedback = "AGENT_OPERATION_FEEDBACK",
        /// Draining.
        AgentDraining = "AGENT_DRAINING",
        /// Task resource limits.
        TaskResourceLimits = "TASK_RESOURCE_LIMITS",
    }
);

/// `AgentInfo.Capability`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentCapability {
    /// The capability.
    #[serde(rename = "type")]
    pub capability_type: AgentCapabilityType,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `AgentInfo`: an agent's identity, resources and attributes.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AgentInfo {
    /// Hostname (required).
    pub hostname: String,
    /// Port (default 5051).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    /// Total resources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Resource>,
    /// Attributes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<Attribute>,
    /// Agent ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<AgentId>,
    /// Whether the agent checkpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<bool>,
    /// Fault domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<DomainInfo>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}
