//! `AgentInfo` and agent capabilities.

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

proto_enum!(
    /// `agent::Call.Type`: the calls of an agent's operator API (`POST /api/v1` on the agent).
    AgentCallType {
        /// `UNKNOWN`, the proto's zero value.
        Unspecified = "UNKNOWN",
        /// Health.
        GetHealth = "GET_HEALTH",
        /// Flags.
        GetFlags = "GET_FLAGS",
        /// Version.
        GetVersion = "GET_VERSION",
        /// Metrics snapshot (needs `get_metrics`).
        GetMetrics = "GET_METRICS",
        /// glog verbosity.
        GetLoggingLevel = "GET_LOGGING_LEVEL",
        /// Set glog verbosity.
        SetLoggingLevel = "SET_LOGGING_LEVEL",
        /// List sandbox files.
        ListFiles = "LIST_FILES",
        /// Read a file.
        ReadFile = "READ_FILE",
        /// Tasks, executors and frameworks.
        GetState = "GET_STATE",
        /// Containers.
        GetContainers = "GET_CONTAINERS",
        /// Frameworks.
        GetFrameworks = "GET_FRAMEWORKS",
        /// Executors.
        GetExecutors = "GET_EXECUTORS",
        /// Operations.
        GetOperations = "GET_OPERATIONS",
        /// Tasks.
        GetTasks = "GET_TASKS",
        /// The agent's AgentInfo.
        GetAgent = "GET_AGENT",
        /// Resource providers.
        GetResourceProviders = "GET_RESOURCE_PROVIDERS",
        /// Launch a nested container.
        LaunchNestedContainer = "LAUNCH_NESTED_CONTAINER",
        /// Wait for a nested container.
        WaitNestedContainer = "WAIT_NESTED_CONTAINER",
        /// Kill a nested container.
        KillNestedContainer = "KILL_NESTED_CONTAINER",
        /// Remove a nested container.
        RemoveNestedContainer = "REMOVE_NESTED_CONTAINER",
        /// Launch a nested container attached to this connection.
        LaunchNestedContainerSession = "LAUNCH_NESTED_CONTAINER_SESSION",
        /// Stream input to a container.
        AttachContainerInput = "ATTACH_CONTAINER_INPUT",
        /// Stream a container's output.
        AttachContainerOutput = "ATTACH_CONTAINER_OUTPUT",
        /// Launch a (standalone or nested) container.
        LaunchContainer = "LAUNCH_CONTAINER",
        /// Wait for a container.
        WaitContainer = "WAIT_CONTAINER",
        /// Kill a container.
        KillContainer = "KILL_CONTAINER",
        /// Remove a container.
        RemoveContainer = "REMOVE_CONTAINER",
        /// Add a resource provider config.
        AddResourceProviderConfig = "ADD_RESOURCE_PROVIDER_CONFIG",
        /// Update a resource provider config.
        UpdateResourceProviderConfig = "UPDATE_RESOURCE_PROVIDER_CONFIG",
        /// Remove a resource provider config.
        RemoveResourceProviderConfig = "REMOVE_RESOURCE_PROVIDER_CONFIG",
        /// Mark a resource provider gone.
        MarkResourceProviderGone = "MARK_RESOURCE_PROVIDER_GONE",
        /// Prune container images.
        PruneImages = "PRUNE_IMAGES",
    }
);
