//! The kernel's Mesos session: the one connection and subscription that magics act on, and the
//! embedded local Mesos process. Magics reach it through [`session::MesosHandle`]; interpreters
//! still never see a socket or a frame.

pub mod frameworks;
pub mod live_views;
pub mod local;
pub mod security;
pub mod session;

pub use security::{Security, SecurityArgs};
pub use session::{Connection, LiveKind, MesosHandle, SessionError, Target};
