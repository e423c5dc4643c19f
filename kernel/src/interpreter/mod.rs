//! Interpreters: what runs a cell. They see code and a [`CellOutput`], never the protocol.

pub mod cells;
pub mod magics;
pub mod rust;
pub mod syntax;

use crate::core::output::CellOutput;
use crate::protocol::content::{Completeness, ErrorContent, HelpLink, LanguageInfo, MimeBundle};
use serde_json::{Map, Value};
use std::future::Future;
use std::sync::Arc;

/// The result of running a cell.
#[derive(Debug, Clone, PartialEq)]
pub enum ExecuteOutcome {
    /// Ran; maybe with a value to show as `execute_result`.
    Ok(Option<MimeBundle>),
    /// Failed; shown as an `error` output and an error reply.
    Error(ErrorContent),
}

/// Completion matches, with positions in unicode code points.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Completions {
    /// Candidate replacements.
    pub matches: Vec<String>,
    /// Start of the replaced text.
    pub cursor_start: usize,
    /// End of the replaced text.
    pub cursor_end: usize,
    /// Extra data (`_jupyter_types_experimental`).
    pub metadata: Map<String, Value>,
}

/// Static facts for kernel_info.
#[derive(Debug, Clone)]
pub struct KernelInfo {
    /// The language.
    pub language_info: LanguageInfo,
    /// Banner for consoles.
    pub banner: String,
    /// Help menu links.
    pub help_links: Vec<HelpLink>,
}

/// Asynchronous actions the control channel may take while a cell runs.
#[derive(Clone)]
pub struct ControlHooks {
    /// Stops the running cell.
    pub interrupt: Arc<dyn Fn() + Send + Sync>,
    /// Releases child processes before the kernel exits.
    pub shutdown: Arc<dyn Fn() + Send + Sync>,
}

/// Whether a cell may run alongside cells of other subshells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Concurrency {
    /// Needs nothing exclusive (e.g. magics on the shared Mesos session): runs at once.
    Shared,
    /// Needs the one language engine: waits its turn behind any cell that holds it.
    Exclusive,
}

/// A language back end (the xeus interpreter shape). Shared by every subshell, so it takes
/// `&self` and synchronises what it owns.
pub trait Interpreter: Send + Sync + 'static {
    /// Facts for kernel_info; must answer at once, even while warming up.
    fn kernel_info(&self) -> KernelInfo;
    /// Whether `code` can run alongside other cells or needs the engine to itself.
    fn concurrency(&self, _code: &str) -> Concurrency {
        Concurrency::Exclusive
    }
    /// Runs a cell.
    fn execute(&self, code: &str, out: &CellOutput) -> impl Future<Output = ExecuteOutcome> + Send;
    /// Evaluates one of `user_expressions` after a successful cell.
    fn evaluate(
        &self,
        expr: &str,
        out: &CellOutput,
    ) -> impl Future<Output = Result<MimeBundle, ErrorContent>> + Send;
    /// Completions at a code-point cursor.
    fn complete(&self, code: &str, cursor: usize) -> impl Future<Output = Completions> + Send;
    /// Help for what is under a code-point cursor.
    fn inspect(
        &self,
        code: &str,
        cursor: usize,
        detail: u8,
    ) -> impl Future<Output = Option<MimeBundle>> + Send;
    /// Whether the code is ready to run.
    fn is_complete(&self, code: &str) -> Completeness;
    /// Hooks for the control channel.
    fn control_hooks(&self) -> ControlHooks;
}

/// Converts a code-point offset in `s` to a byte offset (clamped to the end).
pub fn byte_offset(s: &str, code_points: usize) -> usize {
    s.char_indices()
        .nth(code_points)
        .map(|(b, _)| b)
        .unwrap_or(s.len())
}

/// Converts a byte offset in `s` to a code-point offset.
pub fn code_point_offset(s: &str, byte: usize) -> usize {
    let byte = byte.min(s.len());
    s.char_indices().take_while(|(b, _)| *b < byte).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_round_trip_through_multibyte_text() {
        let s = "é = \"ü\"; x";
        for cp in 0..=s.chars().count() {
            assert_eq!(code_point_offset(s, byte_offset(s, cp)), cp);
        }
        assert_eq!(byte_offset(s, 1), 2);
        assert_eq!(byte_offset(s, 100), s.len());
    }
}
