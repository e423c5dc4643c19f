//! Completion of magic names, flags and flag values.

use super::registry::{ArgKind, MagicKind, MagicRegistry, MagicSpec};
use crate::interpreter::Completions;
use crate::mesos::LiveKind;

/// Completions for a cursor on a magic line; `None` when the line is not a magic.
///
/// `line` is the text of the current line up to the cursor; `line_start` is the code-point offset
/// of that line in the cell, so the returned positions are cell-relative code points.
pub fn complete(
    registry: &MagicRegistry,
    line: &str,
    line_start: usize,
    is_first_line: bool,
) -> Option<Completions> {
    complete_live(registry, line, line_start, is_first_line, &|_| Vec::new())
}

/// As [`complete`], with `live` supplying live values (task, offer and agent ids).
pub fn complete_live(
    registry: &MagicRegistry,
    line: &str,
    line_start: usize,
    is_first_line: bool,
    live: &dyn Fn(LiveKind) -> Vec<String>,
) -> Option<Completions> {
    let trimmed = line.trim_start();
    if !trimmed.starts_with('%') {
        return None;
    }
    // In bytes, like `word_start` it is compared with.
    let lead = line.len() - trimmed.len();
    // The word being typed: from the last whitespace to the cursor. That whitespace may be
    // several bytes long (U+3000, U+00A0), so step over the whole character.
    let word_start = line
        .char_indices()
        .rfind(|(_, c)| c.is_whitespace())
        .map(|(b, c)| b + c.len_utf8())
        .unwrap_or(0);
    let word = &line[word_start..];
    let word_cp_start = line_start + line[..word_start].chars().count();
    let cursor = line_start + line.chars().count();
    let mut matches = if word_start <= lead {
        magic_names(registry, word, is_first_line)
    } else {
        let name = trimmed
            .trim_start_matches('%')
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_end_matches('?');
        let spec = registry.get(name)?.spec();
        let previous = line[..word_start].split_whitespace().last().unwrap_or("");
        argument_values(registry, spec, previous, word, live)
    };
    matches.sort();
    matches.dedup();
    Some(Completions {
        matches,
        cursor_start: word_cp_start,
        cursor_end: cursor,
        metadata: Default::default(),
    })
}

/// The magic names (`%name`, `%%name` on a first line) that start with `word`.
fn magic_names(registry: &MagicRegistry, word: &str, is_first_line: bool) -> Vec<String> {
    let cell_form = word.starts_with("%%");
    let mut matches = Vec::new();
    for spec in registry.specs() {
        let forms: &[&str] = match spec.kind {
            MagicKind::Line => &["%"],
            // Cell magics only make sense on the first line.
            MagicKind::Cell if is_first_line => &["%%"],
            MagicKind::Cell => &[],
            MagicKind::LineAndCell if is_first_line => &["%", "%%"],
            MagicKind::LineAndCell => &["%"],
        };
        for form in forms {
            if cell_form && *form == "%" {
                continue;
            }
            let full = format!("{form}{}", spec.name);
            if full.starts_with(word) {
                matches.push(full);
            }
        }
    }
    matches
}

/// Completions for `word` among `spec`'s arguments: the value of the flag `previous` names,
/// a flag, or a positional value.
fn argument_values(
    registry: &MagicRegistry,
    spec: &MagicSpec,
    previous: &str,
    word: &str,
    live: &dyn Fn(LiveKind) -> Vec<String>,
) -> Vec<String> {
    let value_kind = previous
        .strip_prefix("--")
        .and_then(|f| spec.flags.iter().find(|s| s.name == f))
        .map(|f| f.value)
        .filter(|k| *k != ArgKind::None);
    if let Some(kind) = value_kind {
        candidates(registry, kind, word, live)
    } else if word.starts_with('-') {
        // `--live` is the live-view wrapper's flag, not the magic's own.
        let live_flag = super::live::LIVE_MAGICS
            .contains(&spec.name)
            .then(|| "--live".to_owned());
        spec.flags
            .iter()
            .map(|f| format!("--{}", f.name))
            .chain(live_flag)
            .filter(|f| f.starts_with(word))
            .collect()
    } else {
        candidates(registry, spec.positional, word, live)
    }
}

fn candidates(
    registry: &MagicRegistry,
    kind: ArgKind,
    word: &str,
    live: &dyn Fn(LiveKind) -> Vec<String>,
) -> Vec<String> {
    match kind {
        ArgKind::MagicName => registry
            .specs()
            .iter()
            .map(|s| s.name.to_owned())
            .filter(|n| n.starts_with(word))
            .collect(),
        ArgKind::Choice(words) => words
            .iter()
            .filter(|w| w.starts_with(word))
            .map(|w| w.to_string())
            .collect(),
        ArgKind::Live(k) => live(k)
            .into_iter()
            .filter(|v| v.starts_with(word))
            .collect(),
        ArgKind::None | ArgKind::Text => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interpreter::magics::builtin;

    #[test]
    fn multi_byte_whitespace_before_the_word_is_stepped_over() {
        let mut registry = MagicRegistry::default();
        builtin::register(&mut registry);
        // U+3000 is three bytes of whitespace; the word used to start inside it (a panic).
        let c = complete(&registry, "%help\u{3000}ls", 0, true).unwrap();
        assert_eq!(c.matches, vec!["lsmagic"]);
        assert_eq!((c.cursor_start, c.cursor_end), (6, 8));
    }

    #[test]
    fn the_live_views_offer_live() {
        let registry = crate::interpreter::magics::every_magic();
        let c = complete(&registry, "%tasks --l", 0, true).unwrap();
        assert_eq!(c.matches, vec!["--live"]);
        let c = complete(&registry, "%kill --l", 0, true).unwrap();
        assert!(c.matches.is_empty());
    }

    #[test]
    fn multi_byte_indentation_still_completes_the_magic_name() {
        let mut registry = MagicRegistry::default();
        builtin::register(&mut registry);
        let c = complete(&registry, "\u{3000}%he", 0, true).unwrap();
        assert_eq!(c.matches, vec!["%help"]);
        assert_eq!((c.cursor_start, c.cursor_end), (1, 4));
    }
}
