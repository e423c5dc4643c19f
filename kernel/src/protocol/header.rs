//! Message headers.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A message header; unknown keys (e.g. `subshell_id`) are kept so a parent header echoes exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Unique id of this message.
    pub msg_id: String,
    /// Id of the session that sent it.
    pub session: String,
    /// User that sent it.
    #[serde(default)]
    pub username: String,
    /// ISO 8601 time of creation.
    #[serde(default)]
    pub date: String,
    /// Message type, e.g. `execute_request`.
    pub msg_type: String,
    /// Protocol version of the sender.
    #[serde(default)]
    pub version: String,
    /// Keys we do not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The identity this kernel process stamps on every message it sends.
#[derive(Debug, Clone)]
pub struct KernelIdentity {
    /// One session id per process: clients notice a restart when it changes.
    pub session: String,
    /// Who the kernel runs as.
    pub username: String,
}

impl KernelIdentity {
    /// A fresh identity for this process.
    pub fn new() -> Self {
        let username = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "kernel".to_owned());
        Self {
            session: uuid::Uuid::new_v4().to_string(),
            username,
        }
    }

    /// A new header of `msg_type` from this kernel.
    pub fn header(&self, msg_type: &str) -> Header {
        Header {
            msg_id: uuid::Uuid::new_v4().to_string(),
            session: self.session.clone(),
            username: self.username.clone(),
            date: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            msg_type: msg_type.to_owned(),
            version: super::PROTOCOL_VERSION.to_owned(),
            extra: Map::new(),
        }
    }
}

impl Default for KernelIdentity {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_fresh_and_complete() {
        let id = KernelIdentity::new();
        let a = id.header("status");
        let b = id.header("status");
        assert_ne!(a.msg_id, b.msg_id);
        assert_eq!(a.session, b.session);
        assert_eq!(a.version, "5.5");
        assert!(chrono::DateTime::parse_from_rfc3339(&a.date).is_ok());
    }

    #[test]
    fn unknown_keys_survive_a_round_trip() {
        let text = r#"{"msg_id":"1","session":"s","username":"u","date":"d","msg_type":"m","version":"5.5","subshell_id":"x"}"#;
        let h: Header = serde_json::from_str(text).unwrap();
        let back = serde_json::to_value(&h).unwrap();
        assert_eq!(back["subshell_id"], "x");
    }
}
