//! The Jupyter messaging protocol: connection files, signing, the wire format and typed messages.
//!
//! Nothing in here touches a socket; the transport hands us frames and takes frames back.

pub mod connection;
pub mod content;
pub mod header;
pub mod message;
pub mod outgoing;
pub mod signing;
pub mod wire;

/// The messaging-protocol version this kernel fully implements, stamped on every header.
pub const PROTOCOL_VERSION: &str = "5.5";
