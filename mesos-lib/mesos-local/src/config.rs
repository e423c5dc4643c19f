//! Configuration of an embedded local Mesos.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::Arc;

use super::http::auth::HttpAuth;
use std::time::Duration;

/// The default agent resources: a small VM.
pub const DEFAULT_RESOURCES: &str = "cpus:2;mem:1024;disk:4096;ports:[31000-32000]";

/// The Mesos version the embedded master and agents report.
pub const MESOS_VERSION: &str = "1.11.0";

/// How an embedded local Mesos is laid out and paced.
#[derive(Debug, Clone)]
pub struct LocalConfig {
    /// Address every master and agent binds to (loopback by default).
    pub ip: IpAddr,
    /// Port of the first master; 0 picks an ephemeral port.
    pub port: u16,
    /// Number of masters; the first one leads (with `zk`, the lowest ZooKeeper node leads).
    pub masters: usize,
    /// Number of agents.
    pub agents: usize,
    /// Each agent's resources, in the agent `--resources` flag syntax.
    pub resources: String,
    /// Each agent's attributes, in the agent `--attributes` flag syntax.
    pub attributes: Option<String>,
    /// Hostname advertised by masters and agents (defaults to the IP).
    pub hostname: Option<String>,
    /// Hostnames of the agents, in order; an agent without one (or with an empty one)
    /// advertises `hostname`. Maintenance treats each (hostname, IP) as one machine.
    pub agent_hostnames: Vec<String>,
    /// Interval between HEARTBEAT events on scheduler and operator streams.
    pub heartbeat_interval: Duration,
    /// Interval between allocation (offer) cycles.
    pub allocation_interval: Duration,
    /// Interval after which an agent re-sends an unacknowledged status update.
    pub status_update_retry_interval: Duration,
    /// Directory holding the agents' sandboxes; a fresh temporary one when `None`.
    pub work_dir: Option<PathBuf>,
    /// `zk://host:port/path`: masters register there and the election decides who leads.
    pub zk: Option<String>,
    /// Session timeout of each master's ZooKeeper session (Mesos's `--zk_session_timeout`).
    pub zk_session_timeout: Duration,
    /// HTTP authentication (`--credentials` and `--authenticate_http_*`); none by default.
    pub http_auth: Option<Arc<HttpAuth>>,
    /// Role weights in the master `--weights` syntax, `role=weight,role=weight`.
    pub weights: Option<String>,
    /// The master's `--min_allocatable_resources` (`cpus:0.01|mem:32` when `None`): resources
    /// are offered only if they hold every quantity of one of the `|`-separated sets.
    pub min_allocatable_resources: Option<String>,
    /// How long a custom executor has to subscribe (the agent's
    /// `--executor_registration_timeout`).
    pub executor_registration_timeout: Duration,
    /// Interval between the HEARTBEAT events an agent sends a subscribed executor (a constant
    /// of the real agent, `DEFAULT_EXECUTOR_HEARTBEAT_INTERVAL`: 30 minutes).
    pub executor_heartbeat_interval: Duration,
}

impl Default for LocalConfig {
    fn default() -> Self {
        LocalConfig {
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            masters: 1,
            agents: 1,
            resources: DEFAULT_RESOURCES.to_string(),
            attributes: None,
            hostname: None,
            agent_hostnames: Vec::new(),
            heartbeat_interval: Duration::from_secs(15),
            allocation_interval: Duration::from_secs(1),
            status_update_retry_interval: Duration::from_secs(10),
            work_dir: None,
            zk: None,
            zk_session_timeout: Duration::from_secs(10),
            http_auth: None,
            weights: None,
            min_allocatable_resources: None,
            executor_registration_timeout: Duration::from_secs(60),
            executor_heartbeat_interval: Duration::from_secs(30 * 60),
        }
    }
}

impl LocalConfig {
    /// The hostname masters and agents advertise.
    pub fn advertised_hostname(&self) -> String {
        self.hostname.clone().unwrap_or_else(|| self.ip.to_string())
    }

    /// The hostname agent number `i` advertises.
    pub fn agent_hostname(&self, i: usize) -> String {
        match self.agent_hostnames.get(i) {
            Some(h) if !h.is_empty() => h.clone(),
            _ => self.advertised_hostname(),
        }
    }
}
