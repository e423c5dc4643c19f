//! HTTP plumbing shared by the scheduler and operator clients: exact media-type headers,
//! 307 following (protocol-relative `Location`), 503 retries with backoff, the
//! `/master/redirect` leader probe, basic auth, custom-CA TLS, and RecordIO event streams.

mod auth;
mod client;
mod config;
mod error;
mod pipeline;
mod stream;
mod url;

pub use crate::backoff::Backoff;
pub use crate::secret::Secret;
pub use auth::Credentials;
pub use client::{HttpClient, RawReply, Reply};
pub use config::ClientConfig;
pub use error::{ErrorKind, HttpError};
pub use pipeline::Pipeline;
pub use stream::EventStream;
pub use url::{origin_of, parse_base_url, resolve_location};

/// The only message encoding this client speaks; sent exactly, without a charset.
pub const APPLICATION_JSON: &str = "application/json";
/// The header carrying the scheduler stream's identity.
pub const STREAM_ID_HEADER: &str = "Mesos-Stream-Id";
/// The scheduler API path.
pub const SCHEDULER_PATH: &str = "/api/v1/scheduler";
/// The operator API path.
pub const OPERATOR_PATH: &str = "/api/v1";
