//! Handing what a magic showed to Rust cells: `--bind NAME` queues a `let NAME = …;` that the
//! interpreter evaluates in evcxr right after the magic, so a Rust cell can compute with the
//! offers, agents or tasks the user just looked at. Values are plain Rust literals of
//! mesos-lib's `bind` views (brought in as `mesos` by [`PRELUDE`]), which every Rust session
//! already has: nothing for evcxr to download or build.

use mesos_lib::bind as view;
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

/// Renders values as Rust source.
pub trait ToRust {
    /// A Rust expression that rebuilds the value (views as `mesos::…`).
    fn to_rust(&self) -> String;
}

impl ToRust for String {
    fn to_rust(&self) -> String {
        // Debug of a str is a valid Rust literal (quotes, escapes, \u{..}).
        format!("{self:?}.to_string()")
    }
}

impl ToRust for f64 {
    fn to_rust(&self) -> String {
        if self.is_finite() {
            format!("{self:?}_f64")
        } else {
            "0.0_f64".into()
        }
    }
}

impl ToRust for u64 {
    fn to_rust(&self) -> String {
        format!("{self}_u64")
    }
}

impl<A: ToRust, B: ToRust> ToRust for (A, B) {
    fn to_rust(&self) -> String {
        format!("({}, {})", self.0.to_rust(), self.1.to_rust())
    }
}

impl<T: ToRust> ToRust for Vec<T> {
    fn to_rust(&self) -> String {
        let items: Vec<String> = self.iter().map(ToRust::to_rust).collect();
        format!("vec![{}]", items.join(", "))
    }
}

/// `ToRust` for `mesos::` views: a struct literal of every field. The pattern lists the fields
/// without `..`, so a field added to a view and not here fails to compile.
macro_rules! view_literals {
    ($($ty:ident { $($field:ident),* })*) => {$(
        impl ToRust for view::$ty {
            fn to_rust(&self) -> String {
                let view::$ty { $($field),* } = self;
                struct_literal(stringify!($ty), &[$((stringify!($field), $field.to_rust())),*])
            }
        }
    )*};
}

view_literals! {
    Resources { cpus, mem, disk, ports }
    Offer { id, agent_id, hostname, resources, attributes }
    Agent { id, hostname, total, used, attributes }
    Task { id, name, state, framework_id, agent_id, hostname, resources, ports }
}

/// A struct literal `mesos::NAME { field: value, … }`.
pub fn struct_literal(name: &str, fields: &[(&str, String)]) -> String {
    let body: Vec<String> = fields.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!("mesos::{name} {{ {} }}", body.join(", "))
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
    fn views_render_as_mesos_literals() {
        let r = view::Resources {
            cpus: 0.5,
            mem: 32.0,
            disk: 0.0,
            ports: vec![(1, 2)],
        };
        assert_eq!(
            r.to_rust(),
            "mesos::Resources { cpus: 0.5_f64, mem: 32.0_f64, disk: 0.0_f64, ports: vec![(1_u64, 2_u64)] }"
        );
    }

    #[test]
    fn literals_escape_and_type() {
        assert_eq!("a\"b\n".to_string().to_rust(), "\"a\\\"b\\n\".to_string()");
        assert_eq!(1.0_f64.to_rust(), "1.0_f64");
        assert_eq!(f64::NAN.to_rust(), "0.0_f64");
        assert_eq!(vec![(1_u64, 2_u64)].to_rust(), "vec![(1_u64, 2_u64)]");
        let b = Binding {
            name: "x".into(),
            type_name: "Vec<u64>".into(),
            len: Some(1),
            value: vec![3_u64].to_rust(),
        };
        assert_eq!(b.statement(), "let x: Vec<u64> = vec![3_u64];");
        assert_eq!(b.note(), "bound `x`: Vec<u64> (1 item)\n");
    }
}
