//! The operator client: typed v1 operator calls (`POST /api/v1`), the operator event
//! stream with the scheduler's redirect, heartbeat and reconnect logic, and the legacy
//! `/master/state` and agent `/state` JSON, and an agent's files API.

mod client;
mod files;
mod legacy;
mod sharing;
mod watch;

pub use client::OperatorClient;
pub use files::{FileChunk, MAX_READ};
pub use legacy::{
    AgentExecutor, AgentFramework, AgentState, FlatResources, FlatValue, LegacyFramework,
    LegacyLeaderInfo, LegacyMasterState, LegacySlave, LegacyTask,
};
pub use watch::{OperatorWatch, WatchConfig, WatchStatus};
