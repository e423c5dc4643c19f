//! Executor API (`POST /api/v1/executor` on an agent, `mesos/v1/executor/executor.proto`):
//! the calls an executor makes and the events its agent sends it.

pub mod call;
pub mod event;

pub use call::{Call, CallType};
pub use event::{Event, EventType};
