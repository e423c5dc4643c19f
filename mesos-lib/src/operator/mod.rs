//! The operator client: typed v1 operator calls (`POST /api/v1`), the operator event
//! stream with the scheduler's redirect, heartbeat and reconnect logic, and the legacy
//! `/master/state` and agent `/state` JSON, an agent's files API and its nested containers.

mod client;
mod containers;
mod files;
mod legacy;
mod sharing;
mod volumes;
mod watch;

pub use client::OperatorClient;
pub use containers::{NestedSession, ProcessOutput, exit_code, nested_container_id};
pub use files::{FileChunk, MAX_READ};
pub use legacy::{
    AgentExecutor, AgentFramework, AgentState, FlatResources, FlatValue, LegacyFramework,
    LegacyLeaderInfo, LegacyMasterState, LegacySlave, LegacyTask,
};
pub use watch::{OperatorWatch, WatchConfig, WatchStatus};
