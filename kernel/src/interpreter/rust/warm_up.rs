//! What a Rust session runs before the user's first cell, so that cell, and every later one,
//! costs one compile.
//!
//! - evcxr shows a cell's final value by compiling `(value).evcxr_display();` first and, when the
//!   type has no such method (almost always), compiling again with `{:?}`: two compiles per cell.
//!   A trait giving every `Debug` type an `evcxr_display` that prints what the second compile
//!   would have printed makes the first compile succeed. Inherent `evcxr_display` methods (rich
//!   output) still win, as inherent methods come before trait methods; a type without `Debug`
//!   still falls back and fails as before.
//! - `:dep mesos-lib` makes the analyzer reload the crate graph (~2 s): it runs while the user
//!   reads, or before the first cell that names `mesos_lib`, not before every first cell.
//! - The analyzer infers the types of a session's first top-level `let` from scratch (~1.5 s):
//!   one `let`, then dropped (so it leaves no variable), does that while the user reads.

/// The trait every session gets: `{:?}` of the value between evcxr's content markers.
pub const SHOW_DEBUG: &str = "trait MesosKernelShowDebug { fn evcxr_display(&self); }
impl<T: std::fmt::Debug + ?Sized> MesosKernelShowDebug for T {
    fn evcxr_display(&self) {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = write!(out, \"EVCXR_BEGIN_CONTENT text/plain\\n{:?}\\nEVCXR_END_CONTENT\\n\", self);
    }
}";

/// The same trait without its impl: evcxr keeps an impl with the item before it, so this
/// replaces both, and values go back to evcxr's own two-step display.
pub const NO_SHOW_DEBUG: &str = "trait MesosKernelShowDebug {}";

/// A cell that makes the analyzer infer a top-level `let` and leaves no variable behind (the
/// value is moved, so evcxr does not keep it). One cell, so a user's cell cannot come between
/// the `let` and the `drop` and find the variable.
pub const ANALYZER_CELL: &str =
    "let mesos_kernel_warm_up = String::new();\ndrop(mesos_kernel_warm_up);";

/// Whether code needs the start-up commands (`:dep mesos-lib`) run first: a Rust crate is
/// reached only through its name, so code that never names `mesos_lib` cannot use it.
pub fn needs_startup(code: &str) -> bool {
    code.contains("mesos_lib")
}

/// The method name the trait adds to every type; not worth offering in completions.
pub const DISPLAY_METHOD: &str = "evcxr_display";

/// The evcxr commands (`:fmt`, …) a cell holds, by name.
fn commands(code: &str) -> Vec<&str> {
    code.lines()
        .filter_map(|l| l.trim_start().strip_prefix(':'))
        .filter_map(|l| l.split_whitespace().next())
        .collect()
}

/// What to run before a cell: `:fmt` and `:types` change evcxr's own display, which the trait
/// would bypass, so the trait goes before such a cell shows its value.
pub fn before_cell(code: &str) -> Option<&'static str> {
    let commands = commands(code);
    commands
        .iter()
        .any(|c| *c == "fmt" || *c == "types")
        .then_some(NO_SHOW_DEBUG)
}

/// What to run after a cell: `:clear` drops every item, the trait too, so it comes back
/// (unless the cell also changed the display).
pub fn after_cell(code: &str) -> Option<&'static str> {
    (before_cell(code).is_none() && commands(code).contains(&"clear")).then_some(SHOW_DEBUG)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_commands_remove_the_trait_and_clear_restores_it() {
        assert_eq!(before_cell("let x = 1;\nx"), None);
        assert_eq!(after_cell("let x = 1;\nx"), None);
        assert_eq!(before_cell(":fmt {:#?}\nvec![1]"), Some(NO_SHOW_DEBUG));
        assert_eq!(before_cell("  :types"), Some(NO_SHOW_DEBUG));
        assert_eq!(after_cell(":clear"), Some(SHOW_DEBUG));
        assert_eq!(before_cell(":clear"), None);
        assert_eq!(after_cell(":clear\n:fmt {}"), None);
        // A path in code is not a command.
        assert_eq!(before_cell("let t = std::fmt::Write;"), None);
    }

    #[test]
    fn only_code_naming_mesos_lib_waits_for_the_start_up() {
        assert!(needs_startup("mesos_lib::v1::TaskId::new(\"x\")"));
        assert!(needs_startup("use mesos_lib::bind as mesos;"));
        assert!(!needs_startup("let v = 3 * 2; v + 1"));
    }

    #[test]
    fn the_trait_prints_what_evcxrs_fallback_prints() {
        // evcxr's fallback writes these markers around `format!("{:?}", value)`.
        assert!(SHOW_DEBUG.contains("EVCXR_BEGIN_CONTENT text/plain\\n{:?}\\nEVCXR_END_CONTENT"));
        assert!(SHOW_DEBUG.contains(&format!("fn {DISPLAY_METHOD}(&self)")));
        assert!(NO_SHOW_DEBUG.starts_with("trait MesosKernelShowDebug"));
    }
}
