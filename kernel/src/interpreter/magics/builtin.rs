//! Magics about magics: `%lsmagic` and `%help`.

use super::call::MagicCall;
use super::registry::{
    ArgKind, FlagSpec, Magic, MagicContext, MagicKind, MagicRegistry, MagicSpec,
};
use crate::display::counted;
use crate::display::table::Table;
use crate::interpreter::ExecuteOutcome;
use crate::protocol::content::{ErrorContent, MimeBundle};
use futures::future::BoxFuture;
use std::sync::Arc;

/// Registers the built-in magics.
pub fn register(registry: &mut MagicRegistry) {
    registry.register(Arc::new(LsMagic));
    registry.register(Arc::new(Help));
    registry.register(Arc::new(Clear));
    super::live::register(registry);
}

static CLEAR: MagicSpec = MagicSpec {
    name: "clear",
    kind: MagicKind::Line,
    usage: "%clear [--wait]",
    summary: "Clear this cell's output.",
    help: "With --wait the output is cleared only when the next output arrives, which avoids \
           flicker in cells that redraw themselves.",
    flags: &[FlagSpec {
        name: "wait",
        value: ArgKind::None,
        help: "clear when the next output arrives",
    }],
    positional: ArgKind::None,
};

/// `%clear`.
struct Clear;

impl Magic for Clear {
    fn spec(&self) -> &'static MagicSpec {
        &CLEAR
    }

    fn run<'a>(
        &'a self,
        call: &'a MagicCall,
        ctx: &'a MagicContext<'a>,
    ) -> BoxFuture<'a, ExecuteOutcome> {
        Box::pin(async move {
            match super::args::parse(&CLEAR, &call.args) {
                Ok(args) => {
                    ctx.out.clear_output(args.has("wait"));
                    ExecuteOutcome::Ok(None)
                }
                Err(e) => ExecuteOutcome::Error(usage_error(&CLEAR, e)),
            }
        })
    }
}

/// A usage error for a magic, with its usage line.
pub fn usage_error(spec: &MagicSpec, e: impl std::fmt::Display) -> ErrorContent {
    let evalue = format!("{e}\nusage: {}", spec.usage);
    ErrorContent {
        ename: "MagicUsage".into(),
        traceback: evalue.lines().map(|l| format!("MagicUsage: {l}")).collect(),
        evalue,
    }
}

static LSMAGIC: MagicSpec = MagicSpec {
    name: "lsmagic",
    kind: MagicKind::Line,
    usage: "%lsmagic",
    summary: "List every magic with a one-line summary.",
    help: "Lines starting with % (line magics) and cells starting with %% (cell magics) are \
           commands for the kernel; every other cell is Rust. `%help NAME` or `%NAME?` shows the \
           help of one magic.",
    flags: &[],
    positional: ArgKind::None,
};

static HELP: MagicSpec = MagicSpec {
    name: "help",
    kind: MagicKind::Line,
    usage: "%help [NAME]",
    summary: "Show the help of a magic (also: %NAME? or Shift-Tab on it).",
    help: "Without a name, explains how cells and magics work; `%help rust` explains what Rust \
           cells get: the `mesos_lib` crate and the kernel's live Mesos session.",
    flags: &[],
    positional: ArgKind::MagicName,
};

/// `%lsmagic`.
struct LsMagic;

impl Magic for LsMagic {
    fn spec(&self) -> &'static MagicSpec {
        &LSMAGIC
    }

    fn run<'a>(
        &'a self,
        _call: &'a MagicCall,
        ctx: &'a MagicContext<'a>,
    ) -> BoxFuture<'a, ExecuteOutcome> {
        Box::pin(async move { ExecuteOutcome::Ok(Some(magic_table(ctx.registry))) })
    }
}

/// The table `%lsmagic` shows.
pub fn magic_table(registry: &MagicRegistry) -> MimeBundle {
    let mut table = Table::new(&["magic", "usage", "what it does"]);
    for spec in registry.specs() {
        table.row(vec![
            spec.display_name(),
            spec.usage.to_owned(),
            spec.summary.to_owned(),
        ]);
    }
    table.caption = Some(format!(
        "{}. %help NAME for details.",
        counted(registry.specs().len(), "magic")
    ));
    table.to_bundle()
}

/// `%help`.
struct Help;

impl Magic for Help {
    fn spec(&self) -> &'static MagicSpec {
        &HELP
    }

    fn run<'a>(
        &'a self,
        call: &'a MagicCall,
        ctx: &'a MagicContext<'a>,
    ) -> BoxFuture<'a, ExecuteOutcome> {
        Box::pin(async move {
            match call.args.first() {
                None => ExecuteOutcome::Ok(Some(MimeBundle::text(format!(
                    "{}\n\n{}",
                    LSMAGIC.help,
                    magic_table(ctx.registry).data["text/plain"]
                        .as_str()
                        .unwrap_or_default()
                )))),
                Some(name) if name == "rust" => {
                    ExecuteOutcome::Ok(Some(MimeBundle::text(RUST_HELP.to_owned())))
                }
                Some(name) => {
                    let name = name.trim_start_matches('%');
                    match ctx.registry.get(name) {
                        Some(m) => ExecuteOutcome::Ok(Some(help_bundle(m.spec()))),
                        None => ExecuteOutcome::Error(unknown_magic(ctx.registry, name)),
                    }
                }
            }
        })
    }
}

/// `%help rust`: what a Rust cell gets without any set-up.
pub const RUST_HELP: &str = "\
Rust cells (evcxr) start with the crate `mesos_lib` loaded (its light core: v1 types, resources,
builders, RecordIO; compiled once, then reused from the kernel's cache directory).
`mesos_lib::session` reaches the kernel's one Mesos session (%connect, %subscribe) over a private
socket: offers(), tasks(), agents(), info(), framework_id() are snapshots taken when called;
launch(&offer_id, tasks), decline(ids, refuse), kill(ids), reconcile(ids) go through the kernel's
one framework. launch() skips tasks already active (same id, or same name without an id), so
re-running a cell does not duplicate them; an empty task_id or agent_id is filled in.
offers(), tasks() and agents() answer with the types of the `mesos` module (mesos::Offer,
…), which `--bind NAME` on magics hands cells too.

    use mesos_lib::{session, v1::{CommandInfo, Resource, TaskInfo}};
    let offer = &session::offers().unwrap()[0];
    let task = TaskInfo::command(\"\", \"hello\", Default::default(),
        CommandInfo::shell(\"echo hi; sleep 60\"),
        vec![Resource::scalar(\"cpus\", 0.1), Resource::scalar(\"mem\", 32.0)]);
    session::launch(&offer.id, vec![task]).unwrap()
";

/// A magic's help as text and HTML.
pub fn help_bundle(spec: &MagicSpec) -> MimeBundle {
    let text = spec.help_text();
    MimeBundle::text(text.clone()).with(
        "text/html",
        format!("<pre>{}</pre>", crate::display::escape_html(&text)),
    )
}

/// The error for a magic that does not exist, naming the closest ones.
pub fn unknown_magic(registry: &MagicRegistry, name: &str) -> ErrorContent {
    let closest = registry.closest(name);
    let hint = if closest.is_empty() {
        "%lsmagic lists them all".to_owned()
    } else {
        format!(
            "did you mean {}? (%lsmagic lists them all)",
            closest
                .iter()
                .map(|n| format!("%{n}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let evalue = format!("unknown magic %{name}; {hint}");
    ErrorContent {
        ename: "UnknownMagic".into(),
        traceback: vec![format!("UnknownMagic: {evalue}")],
        evalue,
    }
}
