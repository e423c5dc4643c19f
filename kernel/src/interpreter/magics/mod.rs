//! Magics: `%line` and `%%cell` commands, declared once so that running, completion, inspect
//! and help all come from the same registry.

pub mod args;
pub mod bindings;
pub mod builtin;
pub mod call;
pub mod complete;
pub mod live;
pub mod mesos;
pub mod registry;

pub use call::{CellMagics, MagicCall, parse_cell};

/// Every magic the kernel serves: the built-ins (with `%live`) and the Mesos magics.
pub fn every_magic() -> MagicRegistry {
    let mut registry = MagicRegistry::default();
    builtin::register(&mut registry);
    mesos::register(&mut registry);
    registry
}
pub use registry::{ArgKind, FlagSpec, Magic, MagicContext, MagicKind, MagicRegistry, MagicSpec};
