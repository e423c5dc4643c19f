//! `FrameworkInfo` and its capabilities.

use serde::{Deserialize, Serialize};

use super::common::Labels;
use super::ids::FrameworkId;
use super::{Extra, proto_enum};

proto_enum!(
    /// `FrameworkInfo.Capability.Type`.
    FrameworkCapabilityType {
        /// Receive revocable resources.
        RevocableResources = "REVOCABLE_RESOURCES",
        /// Receive TASK_KILLING.
        TaskKillingState = "TASK_KILLING_STATE",
        /// Receive GPU resources.
        GpuResources = "GPU_RESOURCES",
        /// Use shared resources.
        SharedResources = "SHARED_RESOURCES",
        /// Receive the partition-aware task states.
        PartitionAware = "PARTITION_AWARE",
        /// Subscribe with `roles`; offers carry `allocation_info`.
        MultiRole = "MULTI_ROLE",
        /// Resources in the refinement (`reservations`) format.
        ReservationRefinement = "RESERVATION_REFINEMENT",
        /// Receive offers from remote regions.
        RegionAware = "REGION_AWARE",
    }
);

/// `FrameworkInfo.Capability`: `{"type": ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameworkCapability {
    /// The capability; optional in the proto, so a capability without it is taken (and
    /// written back without it), as Mesos takes it.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub capability_type: Option<FrameworkCapabilityType>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl From<FrameworkCapabilityType> for FrameworkCapability {
    fn from(capability_type: FrameworkCapabilityType) -> Self {
        Self {
            capability_type: Some(capability_type),
            extra: Extra::new(),
        }
    }
}

/// `FrameworkInfo`: who the framework is; sent in SUBSCRIBE and UPDATE_FRAMEWORK.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FrameworkInfo {
    /// Unix user tasks run as (required; the HTTP API does not fill it in).
    pub user: String,
    /// Name (required).
    pub name: String,
    /// Set when resubscribing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<FrameworkId>,
    /// Seconds the master keeps the framework after a disconnect (Mesos default 0: removed at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failover_timeout: Option<f64>,
    /// Whether agents checkpoint the framework's tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<bool>,
    /// Deprecated single role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Roles (needs MULTI_ROLE).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// Scheduler host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Authentication principal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// Web UI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webui_url: Option<String>,
    /// Capabilities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capabilities: Vec<FrameworkCapability>,
    /// Labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Labels>,
    /// Fields this library does not model (offer_filters...).
    #[serde(flatten)]
    pub extra: Extra,
}

impl FrameworkInfo {
    /// A framework named `name` running tasks as `user`.
    pub fn new(user: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            user: user.into(),
            name: name.into(),
            ..Default::default()
        }
    }

    /// Adds a capability unless present (builder style).
    pub fn with_capability(mut self, capability: FrameworkCapabilityType) -> Self {
        if !self.has_capability(&capability) {
            self.capabilities.push(capability.into());
        }
        self
    }

    /// Whether the framework declares `capability`.
    pub fn has_capability(&self, capability: &FrameworkCapabilityType) -> bool {
        self.capabilities
            .iter()
            .any(|c| c.capability_type.as_ref() == Some(capability))
    }

    /// The roles it subscribes with: `roles` if MULTI_ROLE, else `role` or `*`.
    pub fn effective_roles(&self) -> Vec<String> {
        if self.has_capability(&FrameworkCapabilityType::MultiRole) {
            self.roles.clone()
        } else {
            vec![self.role.clone().unwrap_or_else(|| "*".to_string())]
        }
    }
}
