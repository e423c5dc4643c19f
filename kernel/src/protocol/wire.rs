//! Frames ↔ messages: `[ident…, "<IDS|MSG>", hmac, header, parent, metadata, content, buffers…]`.

use super::header::Header;
use super::message::Message;
use super::signing::{Refusal, Signer};
use bytes::Bytes;
use serde_json::{Map, Value};

/// The delimiter between routing identities and the message proper.
pub const DELIMITER: &[u8] = b"<IDS|MSG>";

/// Why a frame set was dropped.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum WireError {
    /// No `<IDS|MSG>` frame.
    #[error("no <IDS|MSG> delimiter among {0} frames")]
    NoDelimiter(usize),
    /// Fewer than the five frames after the delimiter.
    #[error("message has {0} frames after the delimiter, needs at least 5")]
    TooFewFrames(usize),
    /// The HMAC does not match.
    #[error("invalid signature")]
    BadSignature,
    /// The HMAC matches a message already accepted: a replay (ipykernel: "Duplicate Signature").
    #[error("duplicate signature: a replayed message")]
    DuplicateSignature,
    /// A dict frame is not the JSON it should be.
    #[error("{frame} is not valid: {reason}")]
    BadJson {
        /// Which frame.
        frame: &'static str,
        /// The parser's complaint.
        reason: String,
    },
}

/// Decodes and verifies a multipart message.
pub fn decode(frames: Vec<Bytes>, signer: &Signer) -> Result<Message, WireError> {
    let n = frames.len();
    let split = frames
        .iter()
        .position(|f| f.as_ref() == DELIMITER)
        .ok_or(WireError::NoDelimiter(n))?;
    let rest = n - split - 1;
    if rest < 5 {
        return Err(WireError::TooFewFrames(rest));
    }
    let mut frames = frames;
    let tail = frames.split_off(split);
    let identities = frames;
    let (signature, header, parent, metadata, content) =
        (&tail[1], &tail[2], &tail[3], &tail[4], &tail[5]);
    signer
        .accept(signature, &[header, parent, metadata, content])
        .map_err(|r| match r {
            Refusal::Invalid => WireError::BadSignature,
            Refusal::Duplicate => WireError::DuplicateSignature,
        })?;
    let header: Header = parse(header, "header")?;
    let parent: Value = parse(parent, "parent_header")?;
    let parent_header = match parent {
        Value::Object(ref m) if m.is_empty() => None,
        Value::Null => None,
        other => Some(serde_json::from_value(other).map_err(|e| bad("parent_header", e))?),
    };
    let metadata: Map<String, Value> = parse(metadata, "metadata")?;
    let content: Value = parse(content, "content")?;
    if !content.is_object() {
        return Err(WireError::BadJson {
            frame: "content",
            reason: "not a JSON object".into(),
        });
    }
    Ok(Message {
        identities,
        header,
        parent_header,
        metadata,
        content,
        buffers: tail[6..].to_vec(),
    })
}

/// Encodes and signs a message into frames.
pub fn encode(msg: &Message, signer: &Signer) -> Vec<Bytes> {
    let header = serde_json::to_vec(&msg.header).expect("headers serialize");
    let parent = match &msg.parent_header {
        Some(p) => serde_json::to_vec(p).expect("headers serialize"),
        None => b"{}".to_vec(),
    };
    let metadata = serde_json::to_vec(&msg.metadata).expect("maps serialize");
    let content = serde_json::to_vec(&msg.content).expect("values serialize");
    let signature = signer.sign(&[&header, &parent, &metadata, &content]);
    let mut frames = Vec::with_capacity(msg.identities.len() + 6 + msg.buffers.len());
    frames.extend(msg.identities.iter().cloned());
    frames.push(Bytes::from_static(DELIMITER));
    frames.push(Bytes::from(signature));
    frames.push(Bytes::from(header));
    frames.push(Bytes::from(parent));
    frames.push(Bytes::from(metadata));
    frames.push(Bytes::from(content));
    frames.extend(msg.buffers.iter().cloned());
    frames
}

fn parse<T: serde::de::DeserializeOwned>(frame: &[u8], name: &'static str) -> Result<T, WireError> {
    serde_json::from_slice(frame).map_err(|e| bad(name, e))
}

fn bad(frame: &'static str, e: serde_json::Error) -> WireError {
    WireError::BadJson {
        frame,
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::header::KernelIdentity;

    fn frames(signer: &Signer, msg_type: &str) -> Vec<Bytes> {
        let msg = Message {
            identities: vec![Bytes::from_static(b"peer")],
            header: KernelIdentity::new().header(msg_type),
            parent_header: None,
            metadata: Map::new(),
            content: serde_json::json!({}),
            buffers: Vec::new(),
        };
        encode(&msg, signer)
    }

    #[test]
    fn a_message_replayed_byte_for_byte_is_refused_and_others_still_pass() {
        let signer = Signer::new("secret");
        let first = frames(&signer, "kernel_info_request");
        assert!(decode(first.clone(), &signer).is_ok());
        assert_eq!(
            decode(first, &signer).unwrap_err(),
            WireError::DuplicateSignature
        );
        // A new message (new msg_id, so a new signature) of the same type is fine.
        assert!(decode(frames(&signer, "kernel_info_request"), &signer).is_ok());
    }

    #[test]
    fn swapped_frames_break_the_signature() {
        let signer = Signer::new("secret");
        let mut f = frames(&signer, "kernel_info_request");
        let n = f.len();
        f.swap(n - 1, n - 4); // content and header
        assert_eq!(decode(f, &signer).unwrap_err(), WireError::BadSignature);
    }
}
