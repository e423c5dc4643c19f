//! Apache Mesos v1 HTTP API library.
//!
//! The light core (`v1`, `recordio`, `resources`) needs only serde, serde_json,
//! base64 and thiserror, so it compiles with `--no-default-features` for the
//! kernel's evcxr cells.

// Fuzz target bodies, public only for mesos-lib/fuzz and the smoke test.
#[doc(hidden)]
pub mod fuzzing;
pub mod recordio;
pub mod resources;
pub mod v1;

// Feature-gated modules (the HTTP clients behind `client`, the embedded master
// behind `local`) are declared below this line.
#[cfg(feature = "cell")]
pub mod bind;
#[cfg(feature = "client")]
pub mod detector;
#[cfg(feature = "client")]
pub mod httpcli;
#[cfg(feature = "local")]
pub mod local;
#[cfg(feature = "client")]
pub mod operator;
#[cfg(feature = "client")]
pub mod scheduler;
#[cfg(feature = "cell")]
pub mod session;
