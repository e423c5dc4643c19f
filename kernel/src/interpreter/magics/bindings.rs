//! Handing what a magic showed to Rust cells: `--bind NAME` queues a `let NAME = …;` that the
//! interpreter evaluates in evcxr right after the magic, so a Rust cell can compute with the
//! offers, agents or tasks the user just looked at. Values are mesos-lib's `bind` model
//! (brought in as `mesos` by [`PRELUDE`]), which every Rust session already has: nothing for
//! evcxr to download or build. They go over as JSON that `mesos::decode` reads back, so the
//! model's types are the only description of them.

use serde::Serialize;
use std::sync::Mutex;

/// One `let` to evaluate in the Rust session.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    /// The variable name.
    pub name: String,
    /// Its Rust type, as shown to the user.
    pub type_name: String,
    /// How many items it holds (for the note shown under the magic's output).
    pub len: Option<usize>,
    /// The expression.
    pub value: String,
}

impl Binding {
    /// `NAME: Vec<mesos::TYPE>` holding `items`.
    pub fn list<T: Serialize>(name: String, type_name: &str, items: &[T]) -> Binding {
        Binding {
            name,
            type_name: format!("Vec<mesos::{type_name}>"),
            len: Some(items.len()),
            value: decode_expr(items),
        }
    }

    /// `NAME: mesos::TYPE` holding `item`.
    pub fn one<T: Serialize>(name: String, type_name: &str, item: &T) -> Binding {
        Binding {
            name,
            type_name: format!("mesos::{type_name}"),
            len: None,
            value: decode_expr(item),
        }
    }

    /// The statement evcxr runs.
    pub fn statement(&self) -> String {
        format!("let {}: {} = {};", self.name, self.type_name, self.value)
    }

    /// The line shown after binding.
    pub fn note(&self) -> String {
        match self.len {
            Some(n) => format!(
                "bound `{}`: {} ({n} item{})\n",
                self.name,
                self.type_name,
                if n == 1 { "" } else { "s" }
            ),
            None => format!("bound `{}`: {}\n", self.name, self.type_name),
        }
    }
}

/// Bindings a magic queued during one call.
#[derive(Debug, Default)]
pub struct Bindings {
    pending: Mutex<Vec<Binding>>,
}

impl Bindings {
    /// Queues a binding.
    pub fn push(&self, b: Binding) {
        self.lock().push(b);
    }

    /// Takes everything queued.
    pub fn take(&self) -> Vec<Binding> {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Binding>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Whether `name` can be a Rust variable: an identifier, not a keyword.
pub fn valid_name(name: &str) -> Result<(), String> {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
        "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move",
        "mut", "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait",
        "true", "type", "unsafe", "use", "where", "while", "mesos",
    ];
    let mut chars = name.chars();
    let ok_start = chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic());
    if !ok_start || !chars.all(|c| c == '_' || c.is_ascii_alphanumeric()) || name == "_" {
        return Err(format!("--bind {name:?}: not a Rust variable name"));
    }
    if KEYWORDS.contains(&name) {
        return Err(format!("--bind {name:?}: that name is reserved"));
    }
    Ok(())
}

/// Brings the types bound values have into a Rust session (once, and again after a restart):
/// mesos-lib's own views of offers, agents and tasks (`mesos_lib::bind`), named `mesos`.
pub const PRELUDE: &str = "use mesos_lib::bind as mesos;";

/// `mesos::decode(r#"JSON"#)`: the expression that rebuilds `value` in the Rust session.
fn decode_expr<T: Serialize + ?Sized>(value: &T) -> String {
    // The model holds strings, numbers and v1 statuses: serializing it cannot fail.
    let json = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
    format!("mesos::decode({})", raw_string(&json))
}

/// `text` as a Rust raw string literal, with enough `#`s that no `"#…` inside ends it.
fn raw_string(text: &str) -> String {
    let mut hashes = String::from("#");
    while text.contains(&format!("\"{hashes}")) {
        hashes.push('#');
    }
    format!("r{hashes}\"{text}\"{hashes}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(valid_name("offers").is_ok());
        assert!(valid_name("_x1").is_ok());
        assert!(valid_name("1x").is_err());
        assert!(valid_name("a-b").is_err());
        assert!(valid_name("fn").is_err());
        assert!(valid_name("mesos").is_err());
        assert!(valid_name("").is_err());
    }

    #[test]
    fn raw_strings_outlast_their_content() {
        assert_eq!(raw_string("ab"), "r#\"ab\"#");
        assert_eq!(raw_string("a\"#b"), "r##\"a\"#b\"##");
        assert_eq!(raw_string("\"##\"#"), "r###\"\"##\"#\"###");
    }

    #[test]
    fn bindings_decode_the_model_from_json() {
        let r = mesos_lib::bind::Resources::want(0.5, 32.0, 0);
        let b = Binding::list("x".into(), "Resources", std::slice::from_ref(&r));
        assert_eq!(
            b.statement(),
            "let x: Vec<mesos::Resources> = mesos::decode(r#\"[{\"cpus\":0.5,\"mem\":32.0,\"disk\":0.0,\"ports\":[]}]\"#);"
        );
        assert_eq!(b.note(), "bound `x`: Vec<mesos::Resources> (1 item)\n");
        let one = Binding::one("t".into(), "Resources", &r);
        assert_eq!(one.type_name, "mesos::Resources");
        assert_eq!(one.note(), "bound `t`: mesos::Resources\n");
    }
}
