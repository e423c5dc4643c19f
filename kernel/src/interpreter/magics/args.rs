//! Flag parsing driven by a magic's declared [`FlagSpec`]s.

use super::registry::{ArgKind, MagicSpec};
use std::collections::BTreeMap;

/// Parsed arguments of one call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Args {
    /// Flag name → values given (switches get one empty value).
    pub flags: BTreeMap<String, Vec<String>>,
    /// Words that are not flags.
    pub positional: Vec<String>,
    /// Everything after a bare `--`.
    pub rest: Option<Vec<String>>,
    /// For `%%name`: the lines after the first (the cell body).
    pub body: Option<String>,
    /// The text after a bare `--`, unsplit, so a shell command keeps its `>`, `&&` and quotes.
    pub rest_raw: Option<String>,
}

#[cfg(test)]
impl Args {
    /// Arguments as the parser would give them: positional `words` and `flags` (name, value),
    /// for unit tests of a magic's own reading of them.
    pub fn of(words: &[&str], flags: &[(&str, &str)]) -> Args {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in flags {
            map.entry((*k).to_owned())
                .or_default()
                .push((*v).to_owned());
        }
        Args {
            positional: words.iter().map(|w| (*w).to_owned()).collect(),
            flags: map,
            ..Args::default()
        }
    }
}

/// The text after the first bare `--` word of `raw` (`a -- echo 'x' > f` → `echo 'x' > f`).
pub fn raw_rest(raw: &str) -> Option<String> {
    if let Some(r) = raw.strip_prefix("--")
        && (r.is_empty() || r.starts_with(char::is_whitespace))
    {
        return Some(r.trim().to_owned());
    }
    let mut from = 0;
    while let Some(i) = raw[from..].find("--") {
        let at = from + i;
        let before_ok = raw[..at].ends_with(char::is_whitespace);
        let after = &raw[at + 2..];
        if before_ok && (after.is_empty() || after.starts_with(char::is_whitespace)) {
            return Some(after.trim().to_owned());
        }
        from = at + 2;
    }
    None
}

impl Args {
    /// Whether a switch or flag was given.
    pub fn has(&self, name: &str) -> bool {
        self.flags.contains_key(name)
    }

    /// The last value given for a flag.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.flags
            .get(name)
            .and_then(|v| v.last())
            .map(String::as_str)
    }
}

/// A bad flag, with a suggestion where one is close.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgsError {
    /// Not a flag of this magic.
    #[error("%{magic} has no flag --{flag}{}", suggestion(.closest))]
    UnknownFlag {
        /// The magic.
        magic: &'static str,
        /// What was typed.
        flag: String,
        /// Close matches.
        closest: Vec<&'static str>,
    },
    /// A flag that needs a value got none.
    #[error("--{0} needs a value")]
    MissingValue(String),
    /// A value outside a fixed set.
    #[error("--{flag} takes one of {allowed}, not {got:?}")]
    BadChoice {
        /// The flag.
        flag: String,
        /// What was given.
        got: String,
        /// The allowed words.
        allowed: String,
    },
}

fn suggestion(closest: &[&str]) -> String {
    if closest.is_empty() {
        String::new()
    } else {
        format!(
            "; did you mean {}?",
            closest
                .iter()
                .map(|c| format!("--{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// Parses words against a magic's flags: `--name value`, `--name=value`, `--switch`, `--`.
pub fn parse(spec: &'static MagicSpec, words: &[String]) -> Result<Args, ArgsError> {
    let mut args = Args::default();
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        if w == "--" {
            args.rest = Some(words[i + 1..].to_vec());
            break;
        }
        let Some(body) = w.strip_prefix("--") else {
            args.positional.push(w.clone());
            i += 1;
            continue;
        };
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (body, None),
        };
        let Some(flag) = spec.flags.iter().find(|f| f.name == name) else {
            let mut closest: Vec<(f64, &'static str)> = spec
                .flags
                .iter()
                .map(|f| (strsim::jaro_winkler(name, f.name), f.name))
                .filter(|(s, _)| *s > 0.75)
                .collect();
            closest.sort_by(|a, b| b.0.total_cmp(&a.0));
            return Err(ArgsError::UnknownFlag {
                magic: spec.name,
                flag: name.to_owned(),
                closest: closest.into_iter().take(2).map(|(_, n)| n).collect(),
            });
        };
        let value = if flag.value == ArgKind::None {
            String::new()
        } else if let Some(v) = inline {
            v
        } else {
            i += 1;
            words
                .get(i)
                .cloned()
                .ok_or_else(|| ArgsError::MissingValue(name.to_owned()))?
        };
        if let ArgKind::Choice(allowed) = flag.value
            && !allowed.contains(&value.as_str())
        {
            return Err(ArgsError::BadChoice {
                flag: name.to_owned(),
                got: value,
                allowed: allowed.join(", "),
            });
        }
        args.flags.entry(name.to_owned()).or_default().push(value);
        i += 1;
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_rest_keeps_shell_syntax() {
        assert_eq!(
            raw_rest("--ports 1 -- echo '<h1>' > index.html && exec x $PORT0").as_deref(),
            Some("echo '<h1>' > index.html && exec x $PORT0")
        );
        assert_eq!(raw_rest("-- ls").as_deref(), Some("ls"));
        assert_eq!(
            raw_rest("--name a--b -- ls --all").as_deref(),
            Some("ls --all")
        );
        assert_eq!(raw_rest("--name x"), None);
    }
    use crate::interpreter::magics::registry::{FlagSpec, MagicKind};

    static SPEC: MagicSpec = MagicSpec {
        name: "demo",
        kind: MagicKind::Line,
        usage: "%demo",
        summary: "",
        help: "",
        flags: &[
            FlagSpec {
                name: "cpus",
                value: ArgKind::Text,
                help: "",
            },
            FlagSpec {
                name: "wait",
                value: ArgKind::None,
                help: "",
            },
            FlagSpec {
                name: "network",
                value: ArgKind::Choice(&["host", "bridge"]),
                help: "",
            },
        ],
        positional: ArgKind::Text,
    };

    fn words(s: &str) -> Vec<String> {
        shlex::split(s).unwrap()
    }

    #[test]
    fn parses_values_switches_positionals_and_rest() {
        let a = parse(
            &SPEC,
            &words("x --cpus 0.5 --wait --network=host -- echo --cpus"),
        )
        .unwrap();
        assert_eq!(a.value("cpus"), Some("0.5"));
        assert!(a.has("wait"));
        assert_eq!(a.value("network"), Some("host"));
        assert_eq!(a.positional, vec!["x"]);
        assert_eq!(a.rest, Some(vec!["echo".to_owned(), "--cpus".to_owned()]));
    }

    #[test]
    fn explains_mistakes() {
        let e = parse(&SPEC, &words("--cpu 1")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "%demo has no flag --cpu; did you mean --cpus?"
        );
        assert_eq!(
            parse(&SPEC, &words("--cpus")).unwrap_err(),
            ArgsError::MissingValue("cpus".into())
        );
        assert!(matches!(
            parse(&SPEC, &words("--network nat")),
            Err(ArgsError::BadChoice { .. })
        ));
    }
}
