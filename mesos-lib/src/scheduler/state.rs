//! The session's state machine as the kernel shows it.

use std::fmt;
use std::time::SystemTime;

/// Where a scheduler session stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionState {
    /// Opening the first subscription.
    Connecting,
    /// SUBSCRIBED received; the stream is live.
    Subscribed,
    /// The stream was lost; resubscribing.
    Reconnecting {
        /// Why the previous stream ended.
        reason: String,
    },
    /// Terminal: the master refused the framework (failed over, removed, invalid...).
    Failed {
        /// Mesos's reason, verbatim where it gave one.
        reason: String,
    },
    /// Terminal: closed by the user (or torn down).
    Closed,
}

impl SessionState {
    /// Whether the session will never change state again.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Failed { .. } | Self::Closed)
    }
}

impl fmt::Display for SessionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connecting => f.write_str("connecting"),
            Self::Subscribed => f.write_str("subscribed"),
            Self::Reconnecting { reason } => write!(f, "reconnecting ({reason})"),
            Self::Failed { reason } => write!(f, "failed ({reason})"),
            Self::Closed => f.write_str("closed"),
        }
    }
}

/// One lost stream.
#[derive(Debug, Clone, PartialEq)]
pub struct ReconnectRecord {
    /// When it was lost.
    pub at: SystemTime,
    /// Why.
    pub reason: String,
}
