//! Operator `master::Response`: `{"type": "GET_STATE", "get_state": {...}}`.

use serde::{Deserialize, Serialize};

use crate::v1::Extra;
use crate::v1::agent::{AgentCapability, AgentInfo};
use crate::v1::common::TimeInfo;
use crate::v1::framework::FrameworkInfo;
use crate::v1::ids::{AgentId, FrameworkId};
use crate::v1::master_info::MasterInfo;
use crate::v1::offer::Offer;
use crate::v1::operation::Operation;
use crate::v1::resources::Resource;
use crate::v1::task::{ExecutorInfo, Task};

pub use super::call::CallType as ResponseType;

/// `Response.GetHealth`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GetHealth {
    /// Healthy.
    pub healthy: bool,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Flag`: one command-line flag.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Flag {
    /// Name.
    pub name: String,
    /// Value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Response.GetFlags`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GetFlags {
    /// Flags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<Flag>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `VersionInfo`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct VersionInfo {
    /// e.g. `1.11.0`.
    pub version: String,
    /// Build date text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_date: Option<String>,
    /// Build time, epoch seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_time: Option<f64>,
    /// Build user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_user: Option<String>,
    /// Git SHA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_sha: Option<String>,
    /// Git branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_branch: Option<String>,
    /// Git tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_tag: Option<String>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Response.GetVersion`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GetVersion {
    /// Version.
    pub version_info: VersionInfo,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Metric`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Metric {
    /// Name, e.g. `master/elected`.
    pub name: String,
    /// Value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Response.GetMetrics`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GetMetrics {
    /// Metrics.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<Metric>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Response.GetLoggingLevel`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GetLoggingLevel {
    /// glog verbosity.
    pub level: u32,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Response.GetMaster`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GetMaster {
    /// The master.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master_info: Option<MasterInfo>,
    /// Start, epoch seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<f64>,
    /// Election, epoch seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elected_time: Option<f64>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Response.GetAgents.Agent`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Agent {
    /// Agent info.
    pub agent_info: AgentInfo,
    /// Active.
    pub active: bool,
    /// Deactivated (draining or by the operator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deactivated: Option<bool>,
    /// Mesos version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// libprocess PID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<String>,
    /// Registration time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_time: Option<TimeInfo>,
    /// Reregistration time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reregistered_time: Option<TimeInfo>,
    /// Total resources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub total_resources: Vec<Resource>,
    /// Allocated resources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allocated_resources: Vec<Resource>,
    /// Offered resources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offered_resources: Vec<Resource>,
    /// Capabilities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capabilities: Vec<AgentCapability>,
    /// Fields this library does not model (resource_providers, drain_info...).
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Response.GetAgents`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GetAgents {
    /// Registered agents.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agents: Vec<Agent>,
    /// Agents known from the registry but not reregistered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recovered_agents: Vec<AgentInfo>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Response.GetFrameworks.Framework`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Framework {
    /// Framework info.
    pub framework_info: FrameworkInfo,
    /// Active (not suppressed/deactivated).
    pub active: bool,
    /// Connected.
    pub connected: bool,
    /// Recovered after master failover but not reregistered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovered: Option<bool>,
    /// Registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_time: Option<TimeInfo>,
    /// Reregistration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reregistered_time: Option<TimeInfo>,
    /// Unregistration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unregistered_time: Option<TimeInfo>,
    /// Outstanding offers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offers: Vec<Offer>,
    /// Allocated resources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allocated_resources: Vec<Resource>,
    /// Offered resources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offered_resources: Vec<Resource>,
    /// Fields this library does not model (inverse_offers, offer_constraints).
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Response.GetFrameworks`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GetFrameworks {
    /// Current frameworks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frameworks: Vec<Framework>,
    /// Removed frameworks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub completed_frameworks: Vec<Framework>,
    /// Fields this library does not model (recovered_frameworks).
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Response.GetExecutors.Executor`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Executor {
    /// Executor info.
    pub executor_info: ExecutorInfo,
    /// Agent.
    pub agent_id: AgentId,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Response.GetExecutors`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GetExecutors {
    /// Executors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub executors: Vec<Executor>,
    /// Fields this library does not model (orphan_executors).
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Response.GetTasks`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GetTasks {
    /// Accepted but not yet launched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending_tasks: Vec<Task>,
    /// Active tasks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<Task>,
    /// Tasks on unreachable agents.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreachable_tasks: Vec<Task>,
    /// Terminal tasks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub completed_tasks: Vec<Task>,
    /// Fields this library does not model (orphan_tasks).
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Response.GetOperations`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GetOperations {
    /// Operations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<Operation>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Role`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Role {
    /// Name.
    pub name: String,
    /// Weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    /// Frameworks in the role.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frameworks: Vec<FrameworkId>,
    /// Allocated resources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Resource>,
    /// Fields this library does not model (quota, allocated, offered, reserved).
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Response.GetRoles`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GetRoles {
    /// Roles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Role>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Response.GetState`: the four lists in one.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GetState {
    /// Tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_tasks: Option<GetTasks>,
    /// Executors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_executors: Option<GetExecutors>,
    /// Frameworks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_frameworks: Option<GetFrameworks>,
    /// Agents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_agents: Option<GetAgents>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `master::Response`: a typed envelope, `type` plus the body that matches it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// The call type this answers.
    #[serde(rename = "type")]
    pub response_type: ResponseType,
    /// GET_HEALTH.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_health: Option<GetHealth>,
    /// GET_FLAGS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_flags: Option<GetFlags>,
    /// GET_VERSION.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_version: Option<GetVersion>,
    /// GET_METRICS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_metrics: Option<GetMetrics>,
    /// GET_LOGGING_LEVEL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_logging_level: Option<GetLoggingLevel>,
    /// GET_STATE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_state: Option<GetState>,
    /// GET_AGENTS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_agents: Option<GetAgents>,
    /// GET_FRAMEWORKS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_frameworks: Option<GetFrameworks>,
    /// GET_EXECUTORS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_executors: Option<GetExecutors>,
    /// GET_OPERATIONS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_operations: Option<GetOperations>,
    /// GET_TASKS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_tasks: Option<GetTasks>,
    /// GET_ROLES.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_roles: Option<GetRoles>,
    /// GET_MASTER.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_master: Option<GetMaster>,
    /// Fields this library does not model (other responses).
    #[serde(flatten)]
    pub extra: Extra,
}

impl Response {
    /// A response of `response_type` with no body set.
    pub fn new(response_type: ResponseType) -> Self {
        Self {
            response_type,
            get_health: None,
            get_flags: None,
            get_version: None,
            get_metrics: None,
            get_logging_level: None,
            get_state: None,
            get_agents: None,
            get_frameworks: None,
            get_executors: None,
            get_operations: None,
            get_tasks: None,
            get_roles: None,
            get_master: None,
            extra: Extra::new(),
        }
    }
}
