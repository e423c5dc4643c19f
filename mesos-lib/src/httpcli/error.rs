//! Typed HTTP errors: a non-2xx answer keeps its status and Mesos's plain-text reason verbatim.

use std::time::Duration;

use crate::recordio::RecordIoError;

/// What went wrong talking to a master or agent.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The server answered a non-success status; `reason` is its body, verbatim.
    #[error("HTTP {status} from {url}: {reason}")]
    Status {
        /// The HTTP status code.
        status: u16,
        /// The plain-text body Mesos sent (e.g. "Framework is not subscribed").
        reason: String,
        /// The URL that answered.
        url: String,
    },
    /// More 307s than allowed.
    #[error("gave up after {hops} redirects (last {url})")]
    TooManyRedirects {
        /// Redirects followed.
        hops: usize,
        /// The last URL tried.
        url: String,
    },
    /// A redirect without a usable `Location`.
    #[error("redirect from {url} has no usable Location ({location:?}): {reason}")]
    BadRedirect {
        /// The URL that redirected.
        url: String,
        /// The header, if any.
        location: Option<String>,
        /// Why it could not be used.
        reason: String,
    },
    /// Connecting, sending or reading failed. The message carries the whole cause chain:
    /// reqwest's own text ("error sending request") hides what went wrong (refused, TLS...).
    #[error("request to {url} failed: {}", cause_chain(source))]
    Transport {
        /// The URL tried.
        url: String,
        /// The cause (its own URL stripped).
        #[source]
        source: reqwest::Error,
    },
    /// No answer in time.
    #[error("timed out after {after:?} waiting for {what}")]
    Timeout {
        /// The limit.
        after: Duration,
        /// What was awaited.
        what: String,
    },
    /// A URL that cannot be used.
    #[error("invalid URL {url}: {reason}")]
    InvalidUrl {
        /// The URL (redacted if it held credentials).
        url: String,
        /// Why.
        reason: String,
    },
    /// A body that is not the expected JSON.
    #[error("cannot decode {what}: {source}")]
    Decode {
        /// What was decoded.
        what: String,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// A corrupt RecordIO stream.
    #[error("corrupt event stream: {0}")]
    RecordIo(#[from] RecordIoError),
    /// The client could not be built (bad CA PEM, ...).
    #[error("client configuration: {0}")]
    Config(String),
}

/// An error and its sources, joined with ": ", skipping repeats.
fn cause_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = cause.source();
    }
    parts.join(": ")
}

/// The meaning of an error, mapped from the status as mesos-go's `apierrors` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 307: not the leader.
    NotLeader,
    /// 400: malformed or invalid call (or unknown framework, wrong stream id).
    Malformed,
    /// 401: authentication failed.
    Unauthorized,
    /// 403: the subscription is lost ("Framework is not subscribed").
    Unsubscribed,
    /// 404.
    NotFound,
    /// 405.
    MethodNotAllowed,
    /// 406.
    NotAcceptable,
    /// 409: conflicting update.
    Conflict,
    /// 415.
    UnsupportedMediaType,
    /// 429.
    RateLimited,
    /// 503: no leader or recovering.
    Unavailable,
    /// 501.
    NotImplemented,
    /// Another status.
    OtherStatus,
    /// Network failure or timeout.
    Transport,
    /// Anything else (bad redirect, decoding, framing, configuration).
    Protocol,
}

impl From<crate::zk::InvalidZkUrl> for HttpError {
    fn from(e: crate::zk::InvalidZkUrl) -> Self {
        HttpError::InvalidUrl {
            url: e.url,
            reason: e.reason,
        }
    }
}

impl HttpError {
    /// The HTTP status, for errors that have one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Mesos's plain-text reason, verbatim, for status errors.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Status { reason, .. } => Some(reason),
            _ => None,
        }
    }

    /// The error's meaning.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Status { status, .. } => match status {
                307 => ErrorKind::NotLeader,
                400 => ErrorKind::Malformed,
                401 => ErrorKind::Unauthorized,
                403 => ErrorKind::Unsubscribed,
                404 => ErrorKind::NotFound,
                405 => ErrorKind::MethodNotAllowed,
                406 => ErrorKind::NotAcceptable,
                409 => ErrorKind::Conflict,
                415 => ErrorKind::UnsupportedMediaType,
                429 => ErrorKind::RateLimited,
                501 => ErrorKind::NotImplemented,
                503 => ErrorKind::Unavailable,
                _ => ErrorKind::OtherStatus,
            },
            Self::Transport { .. } | Self::Timeout { .. } => ErrorKind::Transport,
            Self::TooManyRedirects { .. } => ErrorKind::NotLeader,
            _ => ErrorKind::Protocol,
        }
    }

    /// Whether retrying later may succeed (429, 503, network trouble, leader churn).
    pub fn is_temporary(&self) -> bool {
        matches!(
            self.kind(),
            ErrorKind::RateLimited
                | ErrorKind::Unavailable
                | ErrorKind::Transport
                | ErrorKind::NotLeader
        ) || matches!(self, Self::RecordIo(_))
    }
}
