//! The magic registry: each magic declares its name, flags and help here.

use super::call::MagicCall;
use crate::core::output::CellOutput;
use crate::interpreter::ExecuteOutcome;
use crate::mesos::{LiveKind, MesosHandle};
use futures::future::BoxFuture;
use std::sync::Arc;

/// Whether a magic is written `%name` (line), `%%name` (cell) or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MagicKind {
    /// `%name args`.
    Line,
    /// `%%name args` followed by a body.
    Cell,
    /// Either form.
    LineAndCell,
}

/// What a positional argument or flag value is, so completion can offer candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// Takes nothing.
    None,
    /// Free text.
    Text,
    /// The name of a magic.
    MagicName,
    /// One of a fixed set of words.
    Choice(&'static [&'static str]),
    /// A live value from the Mesos session (task, offer or agent id).
    Live(LiveKind),
}

/// A flag a magic accepts.
#[derive(Debug, Clone, Copy)]
pub struct FlagSpec {
    /// Long name without dashes.
    pub name: &'static str,
    /// What its value is (`ArgKind::None` for a switch).
    pub value: ArgKind,
    /// One-line help.
    pub help: &'static str,
}

/// A magic's declaration.
#[derive(Debug, Clone, Copy)]
pub struct MagicSpec {
    /// Name without `%`.
    pub name: &'static str,
    /// Line, cell or both.
    pub kind: MagicKind,
    /// Usage line, e.g. `%help [NAME]`.
    pub usage: &'static str,
    /// One-line summary for `%lsmagic`.
    pub summary: &'static str,
    /// Longer help shown by `%help NAME` and inspect.
    pub help: &'static str,
    /// Accepted flags.
    pub flags: &'static [FlagSpec],
    /// What positional arguments are.
    pub positional: ArgKind,
}

impl MagicSpec {
    /// A line magic (`%name …`): the one constructor the magic tables share.
    pub const fn line(
        name: &'static str,
        usage: &'static str,
        summary: &'static str,
        help: &'static str,
        flags: &'static [FlagSpec],
        positional: ArgKind,
    ) -> MagicSpec {
        MagicSpec {
            name,
            kind: MagicKind::Line,
            usage,
            summary,
            help,
            flags,
            positional,
        }
    }

    /// The name as typed, with the right number of `%`.
    pub fn display_name(&self) -> String {
        match self.kind {
            MagicKind::Cell => format!("%%{}", self.name),
            _ => format!("%{}", self.name),
        }
    }

    /// Full help text.
    pub fn help_text(&self) -> String {
        let mut s = format!("{}\n\n{}\n\n{}", self.usage, self.summary, self.help.trim());
        // `--live` belongs to the live-view wrapper, not to the magic's own flags.
        let live = super::live::LIVE_MAGICS.contains(&self.name);
        if !self.flags.is_empty() || live {
            s.push_str("\n\nOptions:");
            for f in self.flags {
                let value = match f.value {
                    ArgKind::None => String::new(),
                    ArgKind::Choice(c) => format!(" {{{}}}", c.join("|")),
                    _ => " VALUE".into(),
                };
                s.push_str(&format!("\n  --{}{}  {}", f.name, value, f.help));
            }
            if live {
                s.push_str(&format!("\n  --live  {}", super::live::LIVE_FLAG_HELP));
            }
        }
        s
    }
}

/// The declaration called `name` in a module's table of magics (each paired with its body);
/// a name missing from the table is a programming error.
pub fn spec_in<B>(table: &'static [(MagicSpec, B)], name: &str) -> &'static MagicSpec {
    &table
        .iter()
        .find(|(s, _)| s.name == name)
        .unwrap_or_else(|| panic!("magic {name} is not declared in this table"))
        .0
}

/// What a running magic can reach.
pub struct MagicContext<'a> {
    /// Where its output goes.
    pub out: &'a CellOutput,
    /// The registry, for magics about magics.
    pub registry: &'a MagicRegistry,
    /// The kernel's Mesos session.
    pub mesos: &'a MesosHandle,
    /// Cancelled when the user interrupts this cell; long waits select on it.
    pub cancel: &'a tokio_util::sync::CancellationToken,
    /// Values to hand to the Rust session once the magic is done (`--bind`).
    pub bindings: &'a super::bindings::Bindings,
}

/// A magic implementation.
pub trait Magic: Send + Sync {
    /// Its declaration.
    fn spec(&self) -> &'static MagicSpec;
    /// Runs one call.
    fn run<'a>(
        &'a self,
        call: &'a MagicCall,
        ctx: &'a MagicContext<'a>,
    ) -> BoxFuture<'a, ExecuteOutcome>;
}

/// Every magic the kernel knows.
#[derive(Clone, Default)]
pub struct MagicRegistry {
    magics: Vec<Arc<dyn Magic>>,
}

impl MagicRegistry {
    /// Adds a magic.
    pub fn register(&mut self, magic: Arc<dyn Magic>) {
        self.magics.push(magic);
    }

    /// All declarations, sorted by name.
    pub fn specs(&self) -> Vec<&'static MagicSpec> {
        let mut v: Vec<_> = self.magics.iter().map(|m| m.spec()).collect();
        v.sort_by_key(|s| s.name);
        v
    }

    /// The magic called `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Magic>> {
        self.magics.iter().find(|m| m.spec().name == name)
    }

    /// Up to three known names closest to a misspelt one.
    pub fn closest(&self, name: &str) -> Vec<&'static str> {
        let mut scored: Vec<(f64, &'static str)> = self
            .specs()
            .iter()
            .map(|s| {
                let score = strsim::jaro_winkler(name, s.name);
                let bonus = if s.name.starts_with(name) || name.starts_with(s.name) {
                    0.2
                } else {
                    0.0
                };
                (score + bonus, s.name)
            })
            .filter(|(score, _)| *score >= 0.7)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored.into_iter().take(3).map(|(_, n)| n).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interpreter::magics::{every_magic, live::LIVE_MAGICS};

    #[test]
    fn the_help_of_the_live_views_names_live() {
        let registry = every_magic();
        let live: Vec<&MagicSpec> = LIVE_MAGICS
            .iter()
            .filter_map(|name| registry.get(name).map(|m| m.spec()))
            .collect();
        assert_eq!(
            live.len(),
            6,
            "%tasks, %agents, %offers, %timeline, %events, %shares"
        );
        for spec in live {
            assert!(spec.usage.contains("--live"), "{}", spec.usage);
            assert!(spec.help_text().contains("\n  --live  "), "{}", spec.name);
        }
        let kill = registry.get("kill").unwrap().spec();
        assert!(!kill.help_text().contains("--live"));
    }
}
