//! The message envelope shared by every channel.

use super::header::Header;
use bytes::Bytes;
use serde_json::{Map, Value};

/// A decoded, verified Jupyter message. Content stays JSON here; `content.rs` types it.
#[derive(Debug, Clone)]
pub struct Message {
    /// ROUTER routing prefix (or the IOPub topic), echoed on replies.
    pub identities: Vec<Bytes>,
    /// This message's header.
    pub header: Header,
    /// The header of the request this answers, if any.
    pub parent_header: Option<Header>,
    /// Free-form metadata.
    pub metadata: Map<String, Value>,
    /// The content dict.
    pub content: Value,
    /// Binary buffers after the content frame.
    pub buffers: Vec<Bytes>,
}

impl Message {
    /// The message type from the header.
    pub fn msg_type(&self) -> &str {
        &self.header.msg_type
    }
}
