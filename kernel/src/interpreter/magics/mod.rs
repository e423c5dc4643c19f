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
pub use registry::{ArgKind, FlagSpec, Magic, MagicContext, MagicKind, MagicRegistry, MagicSpec};
