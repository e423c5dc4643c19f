//! Apache Mesos v1 HTTP API library.
//!
//! The light core (`v1`, `recordio`, `resources`, `secret`) needs only serde, serde_json,
//! base64 and thiserror, so it compiles with `--no-default-features` for the
//! kernel's evcxr cells. The embedded Mesos is its own crate, `mesos-local`
//! (`mesos-lib/mesos-local/`), built on the core and `zk`.

// Fuzz target bodies, public only for mesos-lib/fuzz and the smoke test.
#[doc(hidden)]
pub mod fuzzing;
pub mod recordio;
pub mod resources;
pub mod secret;
pub mod v1;

// Feature-gated modules (ZooKeeper and backoff behind `zk`, shared with mesos-local; the
// HTTP clients behind `client`) are declared below this line.
#[cfg(feature = "backoff")]
pub mod backoff;
#[cfg(feature = "cell")]
pub mod bind;
#[cfg(feature = "client")]
pub mod detector;
#[cfg(feature = "client")]
pub mod httpcli;
#[cfg(feature = "client")]
pub mod operator;
#[cfg(feature = "client")]
pub mod scheduler;
#[cfg(feature = "cell")]
pub mod session;
#[cfg(feature = "zk")]
pub mod zk;
