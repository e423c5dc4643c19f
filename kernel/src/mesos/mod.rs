//! The kernel's side of Mesos: the one connection and scheduler session that magics and cells
//! act on (held by [`handle::MesosHandle`]), the launch re-run rule they share, and the handle
//! on the embedded Mesos process. Interpreters still never see a socket or a frame.

pub mod frameworks;
pub mod handle;
pub mod live_views;
pub mod local;
pub mod rerun;
pub mod role_resources;
pub mod security;
pub mod workloads;

pub use handle::{Connection, HandleError, LiveKind, MesosHandle, Target};
pub use security::{Security, SecurityArgs};
