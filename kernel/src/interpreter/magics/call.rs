//! Recognising magic cells and splitting them into calls.

/// One magic invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MagicCall {
    /// Name without `%`.
    pub name: String,
    /// Written `%%name` with a body.
    pub is_cell: bool,
    /// Shell-style words after the name.
    pub args: Vec<String>,
    /// The text after the name, unsplit.
    pub raw_args: String,
    /// For cell magics: the lines after the first.
    pub body: String,
    /// `%name?`: show help instead of running.
    pub wants_help: bool,
    /// 1-based line of the call within the cell.
    pub line: usize,
}

/// A cell made of magics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CellMagics {
    /// One `%%name` with its body.
    Cell(MagicCall),
    /// One or more `%name` lines, run in order.
    Lines(Vec<MagicCall>),
}

/// Why a magic cell cannot be run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// Quotes not closed.
    #[error("line {line}: unbalanced quotes in {text:?}")]
    Quotes {
        /// 1-based line.
        line: usize,
        /// The offending line.
        text: String,
    },
    /// `%` alone.
    #[error("line {0}: a magic name must follow '%'")]
    NoName(usize),
    /// Rust mixed into a cell of line magics.
    #[error(
        "line {0}: a cell that starts with a line magic may hold only line magics (and # comments); put Rust code in a cell of its own"
    )]
    Mixed(usize),
}

/// Reads a cell: `None` when it is plain Rust.
pub fn parse_cell(code: &str) -> Option<Result<CellMagics, CallError>> {
    let first = code
        .lines()
        .enumerate()
        .find(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))?;
    let (first_idx, first_line) = first;
    let trimmed = first_line.trim_start();
    if let Some(rest) = trimmed.strip_prefix("%%") {
        let body: String = code
            .lines()
            .skip(first_idx + 1)
            .collect::<Vec<_>>()
            .join("\n");
        return Some(call(rest, first_idx + 1, true, body).map(CellMagics::Cell));
    }
    if !trimmed.starts_with('%') {
        return None;
    }
    let mut calls = Vec::new();
    for (idx, line) in code.lines().enumerate().skip(first_idx) {
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let Some(rest) = t.strip_prefix('%') else {
            return Some(Err(CallError::Mixed(idx + 1)));
        };
        match call(rest, idx + 1, false, String::new()) {
            Ok(c) => calls.push(c),
            Err(e) => return Some(Err(e)),
        }
    }
    Some(Ok(CellMagics::Lines(calls)))
}

fn call(rest: &str, line: usize, is_cell: bool, body: String) -> Result<MagicCall, CallError> {
    let rest = rest.trim_end();
    let name_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let mut name = &rest[..name_end];
    let raw_args = rest[name_end..].trim_start().to_owned();
    let wants_help = name.ends_with('?');
    name = name.trim_end_matches('?');
    if name.is_empty() {
        return Err(CallError::NoName(line));
    }
    let args = shlex::split(&raw_args).ok_or_else(|| CallError::Quotes {
        line,
        text: rest.to_owned(),
    })?;
    Ok(MagicCall {
        name: name.to_owned(),
        is_cell,
        args,
        raw_args,
        body,
        wants_help,
        line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_rust_is_not_a_magic() {
        assert!(parse_cell("let x = 5 % 3;").is_none());
        assert!(parse_cell("").is_none());
    }

    #[test]
    fn line_magics_run_in_order() {
        let Some(Ok(CellMagics::Lines(calls))) = parse_cell("# tour\n%lsmagic\n\n%help 'help'")
        else {
            panic!()
        };
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[1].args, vec!["help"]);
        assert_eq!(calls[1].line, 4);
    }

    #[test]
    fn cell_magic_keeps_its_body_and_help_marks_parse() {
        let Some(Ok(CellMagics::Cell(c))) = parse_cell("%%call --x 1\n{\"type\": \"X\"}") else {
            panic!()
        };
        assert_eq!(
            (c.name.as_str(), c.body.as_str()),
            ("call", "{\"type\": \"X\"}")
        );
        let Some(Ok(CellMagics::Lines(calls))) = parse_cell("%help?") else {
            panic!()
        };
        assert!(calls[0].wants_help);
    }

    #[test]
    fn errors_are_specific() {
        assert_eq!(
            parse_cell("%lsmagic\nlet x = 1;"),
            Some(Err(CallError::Mixed(2)))
        );
        assert!(matches!(
            parse_cell("%help 'oops"),
            Some(Err(CallError::Quotes { line: 1, .. }))
        ));
        assert_eq!(parse_cell("%  "), Some(Err(CallError::NoName(1))));
    }
}
