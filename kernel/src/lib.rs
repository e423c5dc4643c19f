//! mesos-kernel: a Jupyter kernel for experimenting with Apache Mesos, with Rust cells.
//!
//! Layers, outermost first: `transport` (ZeroMQ sockets ↔ frames), `protocol` (frames ↔ typed,
//! signed messages), `core` (dispatch, busy/idle, counters, history, abort-on-error) and
//! `interpreter` (Rust cells through evcxr, `%` magics). An interpreter never sees a socket or
//! a wire frame.

pub mod cellbridge;
pub mod core;
pub mod display;
// Fuzz target bodies, public only for kernel/fuzz and the smoke test.
#[doc(hidden)]
pub mod fuzzing;
pub mod install;
pub mod interpreter;
pub mod mesos;
pub mod protocol;
pub mod transport;
