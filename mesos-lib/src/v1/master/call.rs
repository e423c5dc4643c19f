//! Operator `master::Call`: `{"type": "GET_STATE"}` or `{"type": "...", "<lowercase type>": {...}}`.

use serde::{Deserialize, Serialize};

use super::sharing::UpdateWeights;
use crate::proto_enum;
use crate::v1::Extra;
use crate::v1::common::{DurationInfo, ProtoDuration};
use crate::v1::ids::{AgentId, FrameworkId};
use crate::v1::resources::Resource;

proto_enum!(
    /// `master::Call.Type`.
    CallType {
        /// `UNKNOWN`, the proto's zero value (the master answers 501).
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
        /// Whole state: tasks, executors, frameworks, agents.
        GetState = "GET_STATE",
        /// Agents.
        GetAgents = "GET_AGENTS",
        /// Frameworks.
        GetFrameworks = "GET_FRAMEWORKS",
        /// Executors.
        GetExecutors = "GET_EXECUTORS",
        /// Operations.
        GetOperations = "GET_OPERATIONS",
        /// Tasks.
        GetTasks = "GET_TASKS",
        /// Roles.
        GetRoles = "GET_ROLES",
        /// Weights.
        GetWeights = "GET_WEIGHTS",
        /// Update weights.
        UpdateWeights = "UPDATE_WEIGHTS",
        /// Leading master.
        GetMaster = "GET_MASTER",
        /// Event stream.
        Subscribe = "SUBSCRIBE",
        /// Reserve resources on an agent.
        ReserveResources = "RESERVE_RESOURCES",
        /// Unreserve resources on an agent.
        UnreserveResources = "UNRESERVE_RESOURCES",
        /// Create volumes.
        CreateVolumes = "CREATE_VOLUMES",
        /// Destroy volumes.
        DestroyVolumes = "DESTROY_VOLUMES",
        /// Grow a volume.
        GrowVolume = "GROW_VOLUME",
        /// Shrink a volume.
        ShrinkVolume = "SHRINK_VOLUME",
        /// Maintenance status.
        GetMaintenanceStatus = "GET_MAINTENANCE_STATUS",
        /// Maintenance schedule.
        GetMaintenanceSchedule = "GET_MAINTENANCE_SCHEDULE",
        /// Update the maintenance schedule.
        UpdateMaintenanceSchedule = "UPDATE_MAINTENANCE_SCHEDULE",
        /// Start maintenance.
        StartMaintenance = "START_MAINTENANCE",
        /// Stop maintenance.
        StopMaintenance = "STOP_MAINTENANCE",
        /// Drain an agent.
        DrainAgent = "DRAIN_AGENT",
        /// Deactivate an agent.
        DeactivateAgent = "DEACTIVATE_AGENT",
        /// Reactivate an agent.
        ReactivateAgent = "REACTIVATE_AGENT",
        /// Quota.
        GetQuota = "GET_QUOTA",
        /// Update quota.
        UpdateQuota = "UPDATE_QUOTA",
        /// Set a role's quota (deprecated by UPDATE_QUOTA).
        SetQuota = "SET_QUOTA",
        /// Remove a role's quota (deprecated by UPDATE_QUOTA).
        RemoveQuota = "REMOVE_QUOTA",
        /// Remove a framework.
        Teardown = "TEARDOWN",
        /// Mark an agent gone.
        MarkAgentGone = "MARK_AGENT_GONE",
    }
);

/// `Call.GetMetrics`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GetMetrics {
    /// How long to wait for metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<DurationInfo>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.SetLoggingLevel`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SetLoggingLevel {
    /// glog verbosity (also read from a string, as Mesos reads it).
    #[serde(deserialize_with = "crate::v1::lenient::u32")]
    pub level: u32,
    /// How long before reverting.
    pub duration: DurationInfo,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.ListFiles`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ListFiles {
    /// The virtual path to list.
    pub path: String,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.ReadFile`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ReadFile {
    /// The virtual path of the file.
    pub path: String,
    /// Where to start reading, in bytes.
    #[serde(deserialize_with = "crate::v1::lenient::u64")]
    pub offset: u64,
    /// How many bytes to read at most.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::v1::lenient::opt_u64"
    )]
    pub length: Option<u64>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.ReserveResources`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ReserveResources {
    /// Agent.
    pub agent_id: AgentId,
    /// Resources as they are.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source: Vec<Resource>,
    /// Resources with the reservation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Resource>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.UnreserveResources`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UnreserveResources {
    /// Agent.
    pub agent_id: AgentId,
    /// Reserved resources to release.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Resource>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.DrainAgent`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DrainAgent {
    /// The agent to drain.
    pub agent_id: AgentId,
    /// The most a task's kill grace period may be (none: each task's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_grace_period: Option<ProtoDuration>,
    /// Whether the agent is marked gone once drained.
    #[serde(default, deserialize_with = "crate::v1::lenient::bool")]
    pub mark_gone: bool,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.DeactivateAgent` and `Call.ReactivateAgent`: the same one field.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OnAgent {
    /// The agent.
    pub agent_id: AgentId,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.Teardown`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Teardown {
    /// Framework to remove.
    pub framework_id: FrameworkId,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `QuotaRequest`: the pre-1.9 form of a role's quota.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct QuotaRequest {
    /// Whether the master skips its capacity check.
    #[serde(default, deserialize_with = "crate::v1::lenient::bool")]
    pub force: bool,
    /// The role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// What the role is guaranteed (scalars without metadata).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guarantee: Vec<Resource>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.SetQuota` (deprecated by UPDATE_QUOTA).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SetQuota {
    /// The quota to set.
    pub quota_request: QuotaRequest,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.RemoveQuota` (deprecated by UPDATE_QUOTA).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RemoveQuota {
    /// The role whose quota goes.
    pub role: String,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `master::Call`: a typed envelope, `type` plus the body that matches it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Call {
    /// Call type.
    #[serde(rename = "type")]
    pub call_type: CallType,
    /// GET_METRICS body (required by the master).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_metrics: Option<GetMetrics>,
    /// SET_LOGGING_LEVEL body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_logging_level: Option<SetLoggingLevel>,
    /// LIST_FILES body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_files: Option<ListFiles>,
    /// READ_FILE body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_file: Option<ReadFile>,
    /// UPDATE_WEIGHTS body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_weights: Option<UpdateWeights>,
    /// RESERVE_RESOURCES body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserve_resources: Option<ReserveResources>,
    /// UNRESERVE_RESOURCES body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreserve_resources: Option<UnreserveResources>,
    /// DRAIN_AGENT body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drain_agent: Option<DrainAgent>,
    /// DEACTIVATE_AGENT body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deactivate_agent: Option<OnAgent>,
    /// REACTIVATE_AGENT body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reactivate_agent: Option<OnAgent>,
    /// TEARDOWN body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teardown: Option<Teardown>,
    /// MARK_AGENT_GONE body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark_agent_gone: Option<OnAgent>,
    /// SET_QUOTA body (deprecated by UPDATE_QUOTA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_quota: Option<SetQuota>,
    /// REMOVE_QUOTA body (deprecated by UPDATE_QUOTA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove_quota: Option<RemoveQuota>,
    /// Fields this library does not model (bodies of the other calls: volumes, maintenance,
    /// UPDATE_QUOTA).
    #[serde(flatten)]
    pub extra: Extra,
}

impl Call {
    /// A call with no body (GET_HEALTH, GET_STATE, SUBSCRIBE, ...).
    pub fn new(call_type: CallType) -> Self {
        Self {
            call_type,
            get_metrics: None,
            set_logging_level: None,
            list_files: None,
            read_file: None,
            update_weights: None,
            reserve_resources: None,
            unreserve_resources: None,
            drain_agent: None,
            deactivate_agent: None,
            reactivate_agent: None,
            teardown: None,
            mark_agent_gone: None,
            set_quota: None,
            remove_quota: None,
            extra: Extra::new(),
        }
    }

    /// GET_HEALTH.
    pub fn get_health() -> Self {
        Self::new(CallType::GetHealth)
    }

    /// GET_FLAGS.
    pub fn get_flags() -> Self {
        Self::new(CallType::GetFlags)
    }

    /// GET_VERSION.
    pub fn get_version() -> Self {
        Self::new(CallType::GetVersion)
    }

    /// GET_METRICS, always with its body (the master rejects the call without it).
    pub fn get_metrics(timeout: Option<DurationInfo>) -> Self {
        Self {
            get_metrics: Some(GetMetrics {
                timeout,
                extra: Extra::new(),
            }),
            ..Self::new(CallType::GetMetrics)
        }
    }

    /// GET_LOGGING_LEVEL.
    pub fn get_logging_level() -> Self {
        Self::new(CallType::GetLoggingLevel)
    }

    /// GET_MASTER.
    pub fn get_master() -> Self {
        Self::new(CallType::GetMaster)
    }

    /// GET_STATE.
    pub fn get_state() -> Self {
        Self::new(CallType::GetState)
    }

    /// GET_AGENTS.
    pub fn get_agents() -> Self {
        Self::new(CallType::GetAgents)
    }

    /// GET_FRAMEWORKS.
    pub fn get_frameworks() -> Self {
        Self::new(CallType::GetFrameworks)
    }

    /// GET_EXECUTORS.
    pub fn get_executors() -> Self {
        Self::new(CallType::GetExecutors)
    }

    /// GET_OPERATIONS.
    pub fn get_operations() -> Self {
        Self::new(CallType::GetOperations)
    }

    /// GET_TASKS.
    pub fn get_tasks() -> Self {
        Self::new(CallType::GetTasks)
    }

    /// GET_ROLES.
    pub fn get_roles() -> Self {
        Self::new(CallType::GetRoles)
    }

    /// SUBSCRIBE to the operator event stream.
    pub fn subscribe() -> Self {
        Self::new(CallType::Subscribe)
    }

    /// TEARDOWN `framework_id`.
    pub fn teardown(framework_id: FrameworkId) -> Self {
        Self {
            teardown: Some(Teardown {
                framework_id,
                extra: Extra::new(),
            }),
            ..Self::new(CallType::Teardown)
        }
    }

    /// RESERVE_RESOURCES on an agent.
    pub fn reserve_resources(
        agent_id: AgentId,
        source: Vec<Resource>,
        resources: Vec<Resource>,
    ) -> Self {
        Self {
            reserve_resources: Some(ReserveResources {
                agent_id,
                source,
                resources,
                extra: Extra::new(),
            }),
            ..Self::new(CallType::ReserveResources)
        }
    }

    /// UNRESERVE_RESOURCES on an agent.
    pub fn unreserve_resources(agent_id: AgentId, resources: Vec<Resource>) -> Self {
        Self {
            unreserve_resources: Some(UnreserveResources {
                agent_id,
                resources,
                extra: Extra::new(),
            }),
            ..Self::new(CallType::UnreserveResources)
        }
    }
}
