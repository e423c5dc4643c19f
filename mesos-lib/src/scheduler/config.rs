//! Session settings.

use std::time::Duration;

use crate::httpcli::ClientConfig;
use crate::v1::FrameworkInfo;

/// How a scheduler session subscribes, reconnects, acknowledges and reconciles.
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    /// The framework (its `id` is filled in after the first SUBSCRIBED).
    pub framework_info: FrameworkInfo,
    /// Roles that start suppressed.
    pub suppressed_roles: Vec<String>,
    /// HTTP settings (auth, TLS, timeouts).
    pub http: ClientConfig,
    /// Acknowledge status updates carrying a uuid as soon as they arrive.
    pub auto_acknowledge: bool,
    /// First reconnect delay (doubles, jittered).
    pub reconnect_min_delay: Duration,
    /// Reconnect delay cap (Mesos advises about 15 s).
    pub reconnect_max_delay: Duration,
    /// Heartbeat intervals without any event after which the stream is presumed dead.
    pub heartbeat_misses: u32,
    /// Recent events kept in the log (consecutive heartbeats share one entry).
    pub event_log_capacity: usize,
    /// Status updates kept per task.
    pub task_history_capacity: usize,
    /// First wait for answers to an explicit reconciliation.
    pub reconcile_min_delay: Duration,
    /// Longest wait between explicit reconciliation rounds.
    pub reconcile_max_delay: Duration,
    /// Explicit rounds before the final implicit reconciliation.
    pub reconcile_max_rounds: u32,
    /// Period of implicit reconciliation while subscribed (`None`: only after SUBSCRIBED).
    pub periodic_reconcile: Option<Duration>,
}

impl SchedulerConfig {
    /// Defaults for `framework_info`: auto-acks, 5 missed heartbeats, reconnects capped at 15 s.
    pub fn new(framework_info: FrameworkInfo) -> Self {
        Self {
            framework_info,
            suppressed_roles: Vec::new(),
            http: ClientConfig::default(),
            auto_acknowledge: true,
            reconnect_min_delay: Duration::from_millis(500),
            reconnect_max_delay: Duration::from_secs(15),
            heartbeat_misses: 5,
            event_log_capacity: 500,
            task_history_capacity: 64,
            reconcile_min_delay: Duration::from_secs(1),
            reconcile_max_delay: Duration::from_secs(30),
            reconcile_max_rounds: 5,
            periodic_reconcile: Some(Duration::from_secs(15 * 60)),
        }
    }
}
