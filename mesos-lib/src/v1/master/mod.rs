//! Operator API (`POST /api/v1` on the master): calls, responses and events.

pub mod call;
pub mod event;
pub mod response;
pub mod sharing;
pub mod volumes;

pub use call::{Call, CallType};
pub use event::{Event, EventType};
pub use response::Response;
