//! An embedded local Mesos, in the spirit of Mesos's `mesos-local`: K masters and N agents in
//! this process, speaking the real v1 scheduler and operator HTTP APIs (as of Mesos 1.11) on
//! loopback ports, and running command tasks as real child processes. Built on mesos-lib's
//! types and its `zk` module, not on its HTTP clients; the `mesos-local` binary (feature `cli`)
//! runs it as a process.
//!
//! ```no_run
//! # async fn demo() -> Result<(), mesos_local::LocalError> {
//! let mesos = mesos_local::LocalMesos::start(Default::default()).await?;
//! println!("{}", mesos.url());
//! mesos.shutdown().await;
//! # Ok(()) }
//! ```

mod admin;
mod agent;
pub mod allocator;
mod call_checks;
mod cluster;
mod config;
mod flags;
// Fuzz target bodies, public only for mesos-lib/fuzz and the smoke test.
#[doc(hidden)]
pub mod fuzzing;
mod ha;
mod http;
mod ids;
mod json;
mod master;
mod resource_views;
mod stored_status;
mod views;
mod zookeeper;

pub use cluster::{LocalAgent, LocalError, LocalMesos};
pub use config::{DEFAULT_RESOURCES, LocalConfig, MESOS_VERSION};
pub use ha::LocalContender;
pub use http::auth::{HttpAuth, Realm};
pub use zookeeper::{ZooKeeperError, ZooKeeperServer};

/// The request decoders of the embedded master, for the fuzz targets in `crate::fuzzing`.
pub(crate) mod fuzz_hooks {
    pub(crate) use super::master::operator_api::decode_request as decode_operator_request;
    pub(crate) use super::master::operator_call::{has_section, into_call as into_operator_call};
    pub(crate) use super::master::scheduler_api::decode_request as decode_scheduler_request;
    pub(crate) use super::master::scheduler_call::{framework_info_of, into_call};
}
