//! The legacy JSON endpoints, typed: the master's `/master/state` (a fallback for masters
//! without the v1 operator API) and the agent's `/state`. v0 words (`slaves`, `slave_id`)
//! and flat resource maps (`{"cpus": 2.0, "ports": "[31000-32000]"}`) are kept as Mesos
//! writes them; unmodelled fields land in `extra`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::v1::{Extra, TaskState, TaskStatus};

/// A value of a flat resource or attribute map: a number, or text for ranges and sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FlatValue {
    /// A scalar.
    Number(f64),
    /// Ranges (`[31000-32000]`), sets (`{a,b}`) or text attributes.
    Text(String),
}

/// A flat resource map, as `/state` writes resources.
pub type FlatResources = BTreeMap<String, FlatValue>;

/// `leader_info` in `/master/state` (a partial MasterInfo).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LegacyLeaderInfo {
    /// Master ID.
    pub id: String,
    /// `master@ip:port`.
    pub pid: String,
    /// Port.
    pub port: u32,
    /// Hostname.
    pub hostname: String,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A task in legacy JSON.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LegacyTask {
    /// Task ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Framework.
    pub framework_id: String,
    /// Executor (empty for command tasks on old masters).
    pub executor_id: String,
    /// Agent.
    pub slave_id: String,
    /// Latest state.
    pub state: TaskState,
    /// Resources.
    pub resources: FlatResources,
    /// Status history (without task IDs).
    pub statuses: Vec<TaskStatus>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A framework in `/master/state`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LegacyFramework {
    /// Framework ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Unix user.
    pub user: String,
    /// Offers are being made to it.
    pub active: bool,
    /// Its scheduler is connected.
    pub connected: bool,
    /// Seconds kept after a disconnect.
    pub failover_timeout: f64,
    /// Resources used by its tasks.
    pub used_resources: FlatResources,
    /// Resources offered to it.
    pub offered_resources: FlatResources,
    /// Active tasks.
    pub tasks: Vec<LegacyTask>,
    /// Terminal tasks.
    pub completed_tasks: Vec<LegacyTask>,
    /// Fields this library does not model (offers, executors, roles...).
    #[serde(flatten)]
    pub extra: Extra,
}

/// An agent in `/master/state`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LegacySlave {
    /// Agent ID.
    pub id: String,
    /// Hostname.
    pub hostname: String,
    /// Port.
    pub port: u32,
    /// `slave(1)@ip:port`.
    pub pid: String,
    /// Attributes.
    pub attributes: BTreeMap<String, FlatValue>,
    /// Total resources.
    pub resources: FlatResources,
    /// Used resources.
    pub used_resources: FlatResources,
    /// Offered resources.
    pub offered_resources: FlatResources,
    /// Active.
    pub active: bool,
    /// Mesos version.
    pub version: String,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `GET /master/state` (≡ `/state` on the master).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LegacyMasterState {
    /// Mesos version.
    pub version: String,
    /// Master ID.
    pub id: String,
    /// `master@ip:port`.
    pub pid: String,
    /// Hostname.
    pub hostname: String,
    /// Epoch seconds.
    pub start_time: f64,
    /// Epoch seconds (absent on followers).
    pub elected_time: Option<f64>,
    /// Leader's pid.
    pub leader: Option<String>,
    /// Leader.
    pub leader_info: Option<LegacyLeaderInfo>,
    /// Active agents.
    pub activated_slaves: f64,
    /// Flags.
    pub flags: BTreeMap<String, String>,
    /// Agents.
    pub slaves: Vec<LegacySlave>,
    /// Frameworks.
    pub frameworks: Vec<LegacyFramework>,
    /// Removed frameworks.
    pub completed_frameworks: Vec<LegacyFramework>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An executor in the agent's `/state`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AgentExecutor {
    /// Executor ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Container ID.
    pub container: String,
    /// Sandbox directory.
    pub directory: String,
    /// Running tasks.
    pub tasks: Vec<LegacyTask>,
    /// Tasks not yet started.
    pub queued_tasks: Vec<LegacyTask>,
    /// Finished tasks.
    pub completed_tasks: Vec<LegacyTask>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A framework in the agent's `/state`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AgentFramework {
    /// Framework ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Live executors.
    pub executors: Vec<AgentExecutor>,
    /// Finished executors.
    pub completed_executors: Vec<AgentExecutor>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `GET /state` on an agent (port 5051).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AgentState {
    /// Mesos version.
    pub version: String,
    /// Agent ID.
    pub id: String,
    /// `slave(1)@ip:port`.
    pub pid: String,
    /// Hostname.
    pub hostname: String,
    /// Total resources.
    pub resources: FlatResources,
    /// Attributes.
    pub attributes: BTreeMap<String, FlatValue>,
    /// Its master's hostname.
    pub master_hostname: String,
    /// Flags.
    pub flags: BTreeMap<String, String>,
    /// Frameworks with executors here.
    pub frameworks: Vec<AgentFramework>,
    /// Finished frameworks.
    pub completed_frameworks: Vec<AgentFramework>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}
