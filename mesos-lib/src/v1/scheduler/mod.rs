//! Scheduler API (`POST /api/v1/scheduler`): calls, events and call constructors.

pub mod builders;
pub mod call;
pub mod event;

pub use call::{Call, CallType};
pub use event::{Event, EventType};
