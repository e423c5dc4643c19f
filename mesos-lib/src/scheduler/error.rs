//! Session errors.

use std::time::Duration;

use super::state::SessionState;
use crate::httpcli::HttpError;

/// Why a session operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The master refused or could not be reached; status and reason are kept verbatim.
    #[error(transparent)]
    Http(#[from] HttpError),
    /// No live subscription to make the call on.
    #[error("not subscribed (session {0})")]
    NotSubscribed(SessionState),
    /// The session was closed.
    #[error("the session is closed")]
    Closed,
    /// A wait ended without its condition.
    #[error("timed out after {after:?} waiting for {what}")]
    Timeout {
        /// The limit.
        after: Duration,
        /// The condition.
        what: String,
    },
    /// The offer is not outstanding (used, declined, rescinded or never seen).
    #[error("offer {0} is not outstanding")]
    UnknownOffer(String),
    /// The session will not send this call (the reason says why and what to do instead).
    #[error("{0}")]
    Refused(String),
    /// A call could not be encoded.
    #[error("cannot encode call: {0}")]
    Encode(#[from] serde_json::Error),
}
