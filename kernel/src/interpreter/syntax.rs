//! A lexical judge of Rust cell completeness for `is_complete_request`.
//!
//! Consoles ask after every Enter, so it must be instant: brackets, strings, chars and comments
//! are tracked; parsing proper is left to the compiler.

use crate::protocol::content::Completeness;

/// Whether a Rust cell is complete, needs more lines, or can never be valid.
pub fn rust_completeness(code: &str) -> Completeness {
    let c: Vec<char> = code.chars().collect();
    let mut stack: Vec<char> = Vec::new();
    let mut i = 0;
    while i < c.len() {
        match c[i] {
            '/' if c.get(i + 1) == Some(&'/') => {
                while i < c.len() && c[i] != '\n' {
                    i += 1;
                }
            }
            '/' if c.get(i + 1) == Some(&'*') => match block_comment_end(&c, i) {
                Some(end) => {
                    i = end;
                    continue;
                }
                None => return Completeness::Incomplete(indent(stack.len())),
            },
            'r' if is_raw_string_start(&c, i) => match raw_string_end(&c, i) {
                Some(end) => i = end,
                None => return Completeness::Incomplete(String::new()),
            },
            '"' => match string_end(&c, i) {
                Some(end) => i = end,
                None => return Completeness::Incomplete(String::new()),
            },
            '\'' => i = char_literal_end(&c, i),
            open @ ('(' | '[' | '{') => stack.push(open),
            close @ (')' | ']' | '}') => {
                let want = match close {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                if stack.pop() != Some(want) {
                    return Completeness::Invalid;
                }
            }
            _ => {}
        }
        i += 1;
    }
    if stack.is_empty() {
        Completeness::Complete
    } else {
        Completeness::Incomplete(indent(stack.len()))
    }
}

/// The block comment opening at `i`: the index just past its end (comments nest in Rust), or
/// `None` when the cell ends inside it.
fn block_comment_end(c: &[char], i: usize) -> Option<usize> {
    let mut depth = 1;
    let mut i = i + 2;
    while depth > 0 {
        if i + 1 >= c.len() {
            return None;
        }
        if c[i] == '/' && c[i + 1] == '*' {
            depth += 1;
            i += 1;
        } else if c[i] == '*' && c[i + 1] == '/' {
            depth -= 1;
            i += 1;
        }
        i += 1;
    }
    Some(i)
}

/// The raw string (`r"…"`, `r#"…"#`) opening at `i`: the index of its last character, or
/// `None` when the cell ends inside it.
fn raw_string_end(c: &[char], i: usize) -> Option<usize> {
    let mut j = i + 1;
    let mut hashes = 0;
    while c[j] == '#' {
        hashes += 1;
        j += 1;
    }
    j += 1; // the opening quote
    loop {
        if j >= c.len() {
            return None;
        }
        if c[j] == '"' && (0..hashes).all(|k| c.get(j + 1 + k) == Some(&'#')) {
            return Some(j + hashes);
        }
        j += 1;
    }
}

/// The string opening at `i`: the index of its closing quote, or `None` when the cell ends
/// inside it.
fn string_end(c: &[char], i: usize) -> Option<usize> {
    let mut i = i + 1;
    loop {
        if i >= c.len() {
            return None;
        }
        match c[i] {
            '\\' => i += 1,
            '"' => return Some(i),
            _ => {}
        }
        i += 1;
    }
}

/// The quote at `i`: the index of a char literal's closing quote, or `i` itself for a
/// lifetime (a char literal closes within a few characters).
fn char_literal_end(c: &[char], i: usize) -> usize {
    if c.get(i + 1) == Some(&'\\') {
        (i + 2..c.len().min(i + 12))
            .find(|&k| c[k] == '\'')
            .unwrap_or(i)
    } else if c.get(i + 2) == Some(&'\'') {
        i + 2
    } else {
        i
    }
}

fn indent(depth: usize) -> String {
    "    ".repeat(depth)
}

fn is_raw_string_start(c: &[char], i: usize) -> bool {
    // `r"` or `r#…"`, not part of an identifier such as `bar"`.
    if i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_') {
        return false;
    }
    let mut j = i + 1;
    while j < c.len() && c[j] == '#' {
        j += 1;
    }
    j < c.len() && c[j] == '"'
}

#[cfg(test)]
mod tests {
    use super::*;
    use Completeness::*;

    #[test]
    fn judges_cells() {
        assert_eq!(rust_completeness("let x = 1;"), Complete);
        assert_eq!(rust_completeness(""), Complete);
        assert_eq!(rust_completeness("fn f() {"), Incomplete("    ".into()));
        assert_eq!(
            rust_completeness("fn f() {\n  if x { ("),
            Incomplete("            ".into())
        );
        assert_eq!(
            rust_completeness("let s = \"abc"),
            Incomplete(String::new())
        );
        assert_eq!(rust_completeness("/* open"), Incomplete(String::new()));
        assert_eq!(rust_completeness("}"), Invalid);
        assert_eq!(rust_completeness("(]"), Invalid);
    }

    #[test]
    fn ignores_brackets_in_strings_chars_comments_and_lifetimes() {
        assert_eq!(rust_completeness("let s = \"{(\";"), Complete);
        assert_eq!(rust_completeness("let c = '{';"), Complete);
        assert_eq!(rust_completeness("let c = '\\'';"), Complete);
        assert_eq!(rust_completeness("// {\nlet x = 1;"), Complete);
        assert_eq!(rust_completeness("/* { /* } */ */ fn f() {}"), Complete);
        assert_eq!(
            rust_completeness("fn f<'a>(x: &'a str) -> &'a str { x }"),
            Complete
        );
        assert_eq!(rust_completeness("let s = r#\"a \" { \"#;"), Complete);
    }
}
