//! `TaskInfo` and what it carries: `CommandInfo`, `ExecutorInfo`, health checks, kill policy, discovery.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::bytes::Bytes;
use super::common::{DurationInfo, Environment, Labels};
use super::container::ContainerInfo;
use super::ids::{AgentId, ExecutorId, FrameworkId, TaskId};
use super::resources::{Resource, Scalar};
use super::{Extra, proto_enum};

/// `CommandInfo.URI`: something the fetcher downloads into the sandbox.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CommandUri {
    /// URI (required).
    pub value: String,
    /// chmod +x after fetching.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executable: Option<bool>,
    /// Extract archives (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extract: Option<bool>,
    /// Use the fetcher cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<bool>,
    /// File name in the sandbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_file: Option<String>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl CommandUri {
    /// A URI with default options.
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            ..Default::default()
        }
    }
}

/// `CommandInfo`: what to run.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CommandInfo {
    /// Files to fetch first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uris: Vec<CommandUri>,
    /// Environment variables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<Environment>,
    /// `true` (Mesos default): run `value` with `/bin/sh -c`; `false`: exec `value` with `arguments`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shell: Option<bool>,
    /// The command line or executable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// argv (shell=false only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arguments: Vec<String>,
    /// User to run as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl CommandInfo {
    /// A shell command (`/bin/sh -c <command>`).
    pub fn shell(command: impl Into<String>) -> Self {
        Self {
            shell: Some(true),
            value: Some(command.into()),
            ..Default::default()
        }
    }

    /// A direct exec of `program` with `arguments` (`argv[0]` included, as Mesos expects).
    pub fn exec<S: Into<String>>(
        program: impl Into<String>,
        arguments: impl IntoIterator<Item = S>,
    ) -> Self {
        Self {
            shell: Some(false),
            value: Some(program.into()),
            arguments: arguments.into_iter().map(Into::into).collect(),
            ..Default::default()
        }
    }
}

proto_enum!(
    /// `ExecutorInfo.Type`.
    ExecutorType {
        /// Mesos's built-in executor (for task groups).
        Default = "DEFAULT",
        /// A framework-supplied executor.
        Custom = "CUSTOM",
    }
);

/// `ExecutorInfo`: a (custom or default) executor; fields in the proto's declaration order,
/// which Mesos writes them in.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ExecutorInfo {
    /// DEFAULT or CUSTOM.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub executor_type: Option<ExecutorType>,
    /// ID (required).
    pub executor_id: ExecutorId,
    /// Framework.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framework_id: Option<FrameworkId>,
    /// Command (CUSTOM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<CommandInfo>,
    /// Container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<ContainerInfo>,
    /// Resources for the executor itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Resource>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Where the executor comes from (deprecated since 1.0; the agent's `/state` lists it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Opaque data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Bytes>,
    /// Service discovery (not interpreted by Mesos).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovery: Option<DiscoveryInfo>,
    /// How long the agent waits after SHUTDOWN before destroying the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shutdown_grace_period: Option<DurationInfo>,
    /// Labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Labels>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `KillPolicy`: how long between SIGTERM and SIGKILL.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct KillPolicy {
    /// Grace period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_period: Option<DurationInfo>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

proto_enum!(
    /// `HealthCheck.Type`.
    HealthCheckType {
        /// Run a command.
        Command = "COMMAND",
        /// HTTP GET.
        Http = "HTTP",
        /// TCP connect.
        Tcp = "TCP",
    }
);

/// `HealthCheck.HTTPCheckInfo`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct HttpCheckInfo {
    /// Port (required).
    pub port: u32,
    /// Path, e.g. `/health`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// `http` or `https`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    /// Accepted status codes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<u32>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `HealthCheck.TCPCheckInfo`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TcpCheckInfo {
    /// Port (required).
    pub port: u32,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `HealthCheck`: periodic liveness probe (defaults: delay 15, interval 10, timeout 20, failures 3, grace 10 s);
/// fields in the proto's order, which Mesos writes them in.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct HealthCheck {
    /// Seconds before the first check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_seconds: Option<f64>,
    /// Seconds between checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_seconds: Option<f64>,
    /// Seconds before a check times out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<f64>,
    /// Failures before the task is killed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consecutive_failures: Option<u32>,
    /// Seconds during which failures are ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_period_seconds: Option<f64>,
    /// COMMAND, HTTP or TCP.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub check_type: Option<HealthCheckType>,
    /// Command to run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<CommandInfo>,
    /// HTTP probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpCheckInfo>,
    /// TCP probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<TcpCheckInfo>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

proto_enum!(
    /// `DiscoveryInfo.Visibility`.
    DiscoveryVisibility {
        /// Framework only.
        Framework = "FRAMEWORK",
        /// Cluster.
        Cluster = "CLUSTER",
        /// Everyone.
        External = "EXTERNAL",
    }
);

/// `DiscoveryInfo`: service-discovery metadata.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DiscoveryInfo {
    /// Visibility (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<DiscoveryVisibility>,
    /// Service name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Fields this library does not model (environment, location, version, ports, labels).
    #[serde(flatten)]
    pub extra: Extra,
}

/// `TaskInfo`: what a LAUNCH operation starts.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TaskInfo {
    /// Human-readable name (required).
    pub name: String,
    /// Unique per framework (required).
    pub task_id: TaskId,
    /// Agent of the offer (required).
    pub agent_id: AgentId,
    /// Resources taken from the offer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Resource>,
    /// Custom executor (exclusive with `command`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor: Option<ExecutorInfo>,
    /// Command (exclusive with `executor`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<CommandInfo>,
    /// Container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<ContainerInfo>,
    /// Health check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,
    /// Kill policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kill_policy: Option<KillPolicy>,
    /// Opaque data for the executor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Bytes>,
    /// Labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Labels>,
    /// Discovery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovery: Option<DiscoveryInfo>,
    /// Task killed after this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_completion_time: Option<DurationInfo>,
    /// Resource limits above the request, a `map<string, Value.Scalar>`: `{"cpus": {"value": 2.0}}`
    /// ("Infinity" allowed by Mesos).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: BTreeMap<String, Scalar>,
    /// Fields this library does not model (check, ...).
    #[serde(flatten)]
    pub extra: Extra,
}

impl TaskInfo {
    /// A command task (`shell` form) on `agent_id` using `resources`.
    pub fn command(
        task_id: impl Into<TaskId>,
        name: impl Into<String>,
        agent_id: AgentId,
        command: CommandInfo,
        resources: Vec<Resource>,
    ) -> Self {
        Self {
            name: name.into(),
            task_id: task_id.into(),
            agent_id,
            resources,
            command: Some(command),
            ..Default::default()
        }
    }

    /// Sets the container (builder style).
    pub fn with_container(mut self, container: ContainerInfo) -> Self {
        self.container = Some(container);
        self
    }
}

/// `TaskGroupInfo`: tasks launched together by one default executor.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TaskGroupInfo {
    /// The tasks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<TaskInfo>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Task`: the master's view of a task (operator API, events).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Task {
    /// Name.
    pub name: String,
    /// Task ID.
    pub task_id: TaskId,
    /// Framework.
    pub framework_id: FrameworkId,
    /// Executor, if not a command task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor_id: Option<ExecutorId>,
    /// Agent.
    pub agent_id: AgentId,
    /// Latest state.
    pub state: super::status::TaskState,
    /// Resources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Resource>,
    /// Status history.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<super::status::TaskStatus>,
    /// State of the latest update not yet acknowledged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_update_state: Option<super::status::TaskState>,
    /// UUID of that update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_update_uuid: Option<Bytes>,
    /// Labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Labels>,
    /// Discovery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovery: Option<DiscoveryInfo>,
    /// Container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<ContainerInfo>,
    /// Health check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,
    /// User.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_executor_info_is_written_in_the_protos_order() {
        // Given in another order, with the grace period's nanoseconds as a string (stout
        // reads int64 fields from strings too).
        let text = r#"{"labels":{"labels":[{"key":"k","value":"v"}]},
            "shutdown_grace_period":{"nanoseconds":"200000000"},
            "discovery":{"visibility":"FRAMEWORK","name":"svc"},"data":"AAE=",
            "source":"src","name":"n","executor_id":{"value":"e"},"type":"CUSTOM",
            "command":{"value":"true"},"framework_id":{"value":"f"},"unmodelled":1}"#;
        let info: ExecutorInfo = serde_json::from_str(text).unwrap();
        assert_eq!(info.source.as_deref(), Some("src"));
        assert_eq!(
            info.shutdown_grace_period.as_ref().unwrap().nanoseconds,
            200_000_000
        );
        assert_eq!(
            serde_json::to_string(&info).unwrap(),
            concat!(
                r#"{"type":"CUSTOM","executor_id":{"value":"e"},"framework_id":{"value":"f"},"#,
                r#""command":{"value":"true"},"name":"n","source":"src","data":"AAE=","#,
                r#""discovery":{"visibility":"FRAMEWORK","name":"svc"},"#,
                r#""shutdown_grace_period":{"nanoseconds":200000000},"#,
                r#""labels":{"labels":[{"key":"k","value":"v"}]},"unmodelled":1}"#
            )
        );
    }
}
