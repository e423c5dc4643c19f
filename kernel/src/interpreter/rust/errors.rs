//! evcxr errors turned into readable Jupyter errors.

use crate::protocol::content::ErrorContent;
use evcxr::CompilationError;

const RED: &str = "\x1b[31m";
const BOLD: &str = "\x1b[1m";
const BLUE: &str = "\x1b[34m";
const RESET: &str = "\x1b[0m";

/// Compile errors as one traceback, each with the offending line of the cell and a caret.
pub fn compile_errors(code: &str, errors: &[CompilationError]) -> ErrorContent {
    let lines: Vec<&str> = code.lines().collect();
    let mut traceback = Vec::new();
    for e in errors {
        let code_tag = e.code().map(|c| format!("[{c}]")).unwrap_or_default();
        let level = e.level();
        traceback.push(format!(
            "{RED}{BOLD}{level}{code_tag}{RESET}{BOLD}: {}{RESET}",
            e.message()
        ));
        let mut shown_span = false;
        for m in e.spanned_messages() {
            let Some(span) = m.span else { continue };
            shown_span = true;
            let width = span.start_line.to_string().len();
            traceback.push(format!(
                "{BLUE}{:width$}--> cell:{}:{}{RESET}",
                "", span.start_line, span.start_column
            ));
            if let Some(src) = lines.get(span.start_line.saturating_sub(1)) {
                traceback.push(format!("{BLUE}{} |{RESET} {src}", span.start_line));
                let start = span.start_column.saturating_sub(1);
                let end = if span.end_line == span.start_line {
                    span.end_column.saturating_sub(1).max(start + 1)
                } else {
                    src.chars().count().max(start + 1)
                };
                traceback.push(format!(
                    "{BLUE}{:width$} |{RESET} {}{RED}{}{} {}{RESET}",
                    "",
                    " ".repeat(start),
                    "^".repeat(end - start),
                    "",
                    m.label
                ));
            }
        }
        if !shown_span {
            // The error lies in code evcxr generated around the cell; rustc's own text says most.
            let rendered = e.rendered();
            if !rendered.is_empty() {
                traceback.extend(rendered.lines().map(str::to_owned));
            }
        }
        for help in e.help() {
            traceback.push(format!("{BOLD}help{RESET}: {help}"));
        }
        if let Some(hint) = e.evcxr_extra_hint() {
            traceback.push(format!("{BOLD}note{RESET}: {hint}"));
        }
    }
    let evalue = errors
        .first()
        .map(|e| {
            let n = errors.len();
            if n > 1 {
                format!("{} (and {} more)", e.message(), n - 1)
            } else {
                e.message()
            }
        })
        .unwrap_or_else(|| "compilation failed".into());
    ErrorContent {
        ename: "CompileError".into(),
        evalue,
        traceback,
    }
}

/// An error with a one-line traceback.
pub fn simple(ename: &str, evalue: impl Into<String>) -> ErrorContent {
    let evalue = evalue.into();
    ErrorContent {
        ename: ename.to_owned(),
        traceback: vec![format!("{RED}{BOLD}{ename}{RESET}: {evalue}")],
        evalue,
    }
}
