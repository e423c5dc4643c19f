//! Rich display: tables and help pages as HTML with a text/plain fallback, and pictures (inline
//! SVG) drawn above some tables.

pub mod svg;
pub mod table;

/// A count and what it counts, in words: the first word of `one` (a noun phrase in the
/// singular) takes its plural unless `n` is 1, so `counted(1, "task")` is "1 task" and
/// `counted(2, "task of this framework")` is "2 tasks of this framework". Every caption and
/// picture title that counts goes through here.
pub fn counted(n: usize, one: &str) -> String {
    if n == 1 {
        return format!("1 {one}");
    }
    let (noun, rest) = match one.split_once(' ') {
        Some((noun, rest)) => (noun, format!(" {rest}")),
        None => (one, String::new()),
    };
    let ending = if ["s", "sh", "ch", "x"].iter().any(|e| noun.ends_with(e)) {
        "es"
    } else {
        "s"
    };
    format!("{n} {noun}{ending}{rest}")
}

/// Escapes text for HTML.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::counted;

    #[test]
    fn counted_nouns_agree_with_their_number() {
        assert_eq!(counted(1, "task"), "1 task");
        assert_eq!(counted(0, "task"), "0 tasks");
        assert_eq!(
            counted(2, "task of this framework"),
            "2 tasks of this framework"
        );
        assert_eq!(counted(1, "framework"), "1 framework");
        assert_eq!(counted(3, "match"), "3 matches");
    }
}
