//! The inputs executed in this process, for `history_request`.

use crate::protocol::content::HistoryRequest;
use serde_json::{Value, json};

/// IPython numbers sessions from 1; this process is always session 1.
const SESSION: i64 = 1;

/// Inputs by execution count.
#[derive(Default)]
pub struct History {
    entries: Vec<(i64, String)>,
}

impl History {
    /// Records an input under its execution count.
    pub fn record(&mut self, line: i64, input: &str) {
        self.entries.push((line, input.to_owned()));
    }

    /// Answers a history request with `[session, line, input]` triples.
    pub fn query(&self, req: &HistoryRequest) -> Vec<Value> {
        let pick: Vec<&(i64, String)> = match req.hist_access_type.as_str() {
            "tail" => {
                let n = req.n.unwrap_or(10);
                self.entries
                    .iter()
                    .skip(self.entries.len().saturating_sub(n))
                    .collect()
            }
            "range" => {
                // 0 means "this session", as does our own number; earlier sessions do not exist.
                if req.session != 0 && req.session != SESSION {
                    Vec::new()
                } else {
                    let stop = req.stop.unwrap_or(i64::MAX);
                    self.entries
                        .iter()
                        .filter(|(line, _)| *line >= req.start && *line < stop)
                        .collect()
                }
            }
            "search" => {
                let pattern = req.pattern.as_deref().unwrap_or("*");
                let mut hits: Vec<&(i64, String)> = self
                    .entries
                    .iter()
                    .filter(|(_, input)| glob_match(pattern, input))
                    .collect();
                if req.unique {
                    let mut seen = std::collections::HashSet::new();
                    let mut unique: Vec<&(i64, String)> = hits
                        .iter()
                        .rev()
                        .filter(|(_, input)| seen.insert(input.as_str()))
                        .copied()
                        .collect();
                    unique.reverse();
                    hits = unique;
                }
                if let Some(n) = req.n {
                    hits = hits.split_off(hits.len().saturating_sub(n));
                }
                hits
            }
            _ => Vec::new(),
        };
        pick.into_iter()
            .map(|(line, input)| {
                if req.output {
                    json!([SESSION, line, [input, null]])
                } else {
                    json!([SESSION, line, input])
                }
            })
            .collect()
    }
}

/// Glob with `*` and `?`, as IPython's history search uses.
fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        // `*` first: a `*` in the pattern is always a wildcard, even where the text has one.
        if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(kind: &str) -> HistoryRequest {
        serde_json::from_value(json!({"hist_access_type": kind})).unwrap()
    }

    #[test]
    fn tail_range_and_search() {
        let mut h = History::default();
        for (i, s) in ["let a = 1;", "print(a)", "let b = 2;", "let a = 1;"]
            .iter()
            .enumerate()
        {
            h.record(i as i64 + 1, s);
        }
        let mut tail = req("tail");
        tail.n = Some(2);
        assert_eq!(
            h.query(&tail),
            vec![json!([1, 3, "let b = 2;"]), json!([1, 4, "let a = 1;"])]
        );
        let mut range = req("range");
        range.start = 2;
        range.stop = Some(4);
        assert_eq!(h.query(&range).len(), 2);
        let mut search = req("search");
        search.pattern = Some("let *".into());
        assert_eq!(h.query(&search).len(), 3);
        search.unique = true;
        assert_eq!(h.query(&search).len(), 2);
    }

    #[test]
    fn globs() {
        assert!(glob_match("a*c", "abbbc"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "abbc"));
        assert!(glob_match("*", ""));
    }

    #[test]
    fn a_star_in_the_pattern_is_a_wildcard_where_the_text_has_a_star() {
        // Compared literally, the first `*` ate the text's `*` and `b` then missed `a`.
        assert!(glob_match("*b", "*ab"));
        assert!(glob_match("x * *y", "x * a*y"));
        assert!(glob_match("*\"*\"*", "let s = \"*\";"));
        assert!(!glob_match("*b", "*a"));
    }
}
