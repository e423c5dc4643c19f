//! Rust cells, evaluated by evcxr on a thread of their own.

pub mod build_dir;
pub mod cell_crate;
pub mod engine;
pub mod errors;
pub mod pump;
mod session;
pub mod warm_up;

pub use engine::{EngineSetup, RustEngine};
pub use session::prepare;
