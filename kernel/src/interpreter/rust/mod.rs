//! Rust cells, evaluated by evcxr on a thread of their own.

pub mod engine;
pub mod errors;
pub mod pump;

pub use engine::RustEngine;
