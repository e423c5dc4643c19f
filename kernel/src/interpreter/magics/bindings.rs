//! Handing what a magic showed to Rust cells: `--bind NAME` queues a `let NAME = …;` that the
//! interpreter evaluates in evcxr right after the magic, so a Rust cell can compute with the
//! offers, agents or tasks the user just looked at. Values are plain Rust literals of the
//! small dependency-free types in [`PRELUDE`]: nothing for evcxr to download or build.

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

/// The types bound values have, defined once per Rust session (again after a restart).
pub const PRELUDE: &str = r#"
/// Cluster data handed over by the Mesos magics (`--bind NAME`).
pub mod mesos {
    /// cpus, mem (MB), disk (MB) and port ranges.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Resources { pub cpus: f64, pub mem: f64, pub disk: f64, pub ports: Vec<(u64, u64)> }
    impl Resources {
        /// How many ports the ranges hold.
        pub fn port_count(&self) -> u64 { self.ports.iter().map(|(b, e)| e - b + 1).sum() }
        /// Whether `want` fits in these resources.
        pub fn fits(&self, want: &Resources) -> bool {
            self.cpus + 1e-9 >= want.cpus && self.mem + 1e-9 >= want.mem
                && self.disk + 1e-9 >= want.disk && self.port_count() >= want.port_count()
        }
        /// How many copies of `want` fit side by side.
        pub fn how_many(&self, want: &Resources) -> u64 {
            let per = |have: f64, need: f64| if need > 0.0 { ((have + 1e-9) / need).floor() as u64 } else { u64::MAX };
            let ports = if want.port_count() > 0 { self.port_count() / want.port_count() } else { u64::MAX };
            per(self.cpus, want.cpus).min(per(self.mem, want.mem)).min(per(self.disk, want.disk)).min(ports)
        }
        /// Resources of `cpus`, `mem` MB and `ports` ports (for `fits` and `how_many`).
        pub fn want(cpus: f64, mem: f64, ports: u64) -> Resources {
            Resources { cpus, mem, disk: 0.0, ports: if ports > 0 { vec![(1, ports)] } else { vec![] } }
        }
    }
    /// An outstanding offer.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Offer { pub id: String, pub agent_id: String, pub hostname: String, pub resources: Resources, pub attributes: Vec<(String, String)> }
    /// An agent: what it has and what is in use.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Agent { pub id: String, pub hostname: String, pub total: Resources, pub used: Resources, pub attributes: Vec<(String, String)> }
    /// A task as the master or this framework knows it.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Task { pub id: String, pub name: String, pub state: String, pub framework_id: String, pub agent_id: String, pub hostname: String, pub resources: Resources, pub ports: Vec<u64> }
    impl Offer {
        /// The value of attribute `name`.
        pub fn attribute(&self, name: &str) -> Option<&str> { self.attributes.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()) }
    }
    impl Agent {
        /// What is not in use.
        pub fn free(&self) -> Resources {
            Resources { cpus: self.total.cpus - self.used.cpus, mem: self.total.mem - self.used.mem, disk: self.total.disk - self.used.disk, ports: self.total.ports.clone() }
        }
    }
}
"#;

/// Renders values as Rust source.
pub trait ToRust {
    /// A Rust expression that rebuilds the value in the prelude's types.
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
