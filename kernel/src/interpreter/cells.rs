//! The kernel's interpreter: magic cells go to the magic registry, everything else to evcxr.

use super::magics::bindings::{Binding, Bindings, PRELUDE};
use super::magics::builtin::{help_bundle, unknown_magic};
use super::magics::{
    CellMagics, MagicCall, MagicContext, MagicKind, MagicRegistry, complete, live, parse_cell,
};
use super::rust::engine::expression_error;
use super::rust::errors::simple;
use super::rust::{EngineSetup, RustEngine};
use super::syntax::rust_completeness;
use super::{
    Completions, Concurrency, ControlHooks, ExecuteOutcome, Interpreter, KernelInfo, byte_offset,
};
use crate::core::output::CellOutput;
use crate::mesos::MesosHandle;
use crate::protocol::content::{
    Completeness, ErrorContent, HelpLink, LanguageInfo, MimeBundle, StreamName,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

/// Rust cells plus magics.
pub struct CellInterpreter {
    magics: MagicRegistry,
    rust: RustEngine,
    mesos: MesosHandle,
    /// The interrupt epoch: every running magic holds a child of it, so one interrupt stops
    /// the magics of every subshell (interrupt is kernel-wide, JEP 91); replaced after use.
    cancel: Arc<Mutex<CancellationToken>>,
    /// Whether the `mesos` types of `--bind` were defined in the Rust session (reset on the
    /// first failed binding, as a restarted session has lost them).
    prelude_sent: AtomicBool,
}

impl CellInterpreter {
    /// An interpreter with the given magics; evcxr starts warming up (and runs `setup`) now.
    pub fn new(magics: MagicRegistry, setup: EngineSetup) -> Self {
        Self {
            magics,
            rust: RustEngine::start(setup),
            mesos: MesosHandle::default(),
            cancel: Arc::default(),
            prelude_sent: AtomicBool::new(false),
        }
    }

    /// Uses `mesos` as the session the Mesos magics act on.
    pub fn with_mesos(mut self, mesos: MesosHandle) -> Self {
        self.mesos = mesos;
        self
    }

    async fn run_magic(&self, call: &MagicCall, out: &CellOutput) -> ExecuteOutcome {
        let Some(magic) = self.magics.get(&call.name) else {
            return ExecuteOutcome::Error(unknown_magic(&self.magics, &call.name));
        };
        let spec = magic.spec();
        if call.wants_help {
            // `%name?` opens the pager, as `name?` does in IPython.
            out.page(&help_bundle(spec));
            return ExecuteOutcome::Ok(None);
        }
        match (spec.kind, call.is_cell) {
            (MagicKind::Line, true) => {
                return ExecuteOutcome::Error(simple(
                    "MagicUsage",
                    format!("%{0} is a line magic: write %{0}, not %%{0}", spec.name),
                ));
            }
            (MagicKind::Cell, false) => {
                return ExecuteOutcome::Error(simple(
                    "MagicUsage",
                    format!(
                        "%%{0} is a cell magic: start the cell with %%{0} and put the body below",
                        spec.name
                    ),
                ));
            }
            _ => {}
        }
        let cancel = self
            .cancel
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .child_token();
        if live::wants_live(call) {
            return live::start(
                call,
                Arc::clone(magic),
                &self.magics,
                &self.mesos,
                out,
                &cancel,
            )
            .await;
        }
        let bindings = Bindings::default();
        let ctx = MagicContext {
            out,
            registry: &self.magics,
            mesos: &self.mesos,
            cancel: &cancel,
            bindings: &bindings,
        };
        let outcome = magic.run(call, &ctx).await;
        let pending = bindings.take();
        match outcome {
            ExecuteOutcome::Ok(bundle) if !pending.is_empty() => {
                // Show the magic's result first so a failed binding loses nothing.
                if let Some(b) = &bundle {
                    out.display(b, None);
                }
                match self.bind(pending, out).await {
                    Ok(()) => ExecuteOutcome::Ok(None),
                    Err(e) => ExecuteOutcome::Error(e),
                }
            }
            other => other,
        }
    }

    /// Evaluates `--bind` values in the Rust session, bringing in the `mesos` types first when
    /// needed (again after a failure, which is what a restarted session looks like).
    async fn bind(&self, pending: Vec<Binding>, out: &CellOutput) -> Result<(), ErrorContent> {
        for b in pending {
            let mut tries = 0;
            loop {
                if !self.prelude_sent.load(Ordering::Acquire) {
                    if let ExecuteOutcome::Error(e) = self.rust.execute(PRELUDE, out).await {
                        return Err(bind_error(&b, &e.evalue));
                    }
                    self.prelude_sent.store(true, Ordering::Release);
                }
                match self.rust.execute(&b.statement(), out).await {
                    ExecuteOutcome::Error(e) if tries == 0 => {
                        tracing::debug!(error = %e.evalue, "binding failed; bringing in the mesos types again");
                        self.prelude_sent.store(false, Ordering::Release);
                        tries += 1;
                    }
                    ExecuteOutcome::Error(e) => return Err(bind_error(&b, &e.evalue)),
                    _ => break,
                }
            }
            out.stream(StreamName::Stdout, &b.note());
        }
        Ok(())
    }
}

/// Whether a magic call asks for `--bind` (a value evaluated in the Rust session).
fn binds(call: &MagicCall) -> bool {
    call.args
        .iter()
        .any(|a| a == "--bind" || a.starts_with("--bind="))
}

fn bind_error(b: &Binding, why: &str) -> ErrorContent {
    simple(
        "BindFailed",
        format!("could not bind `{}` in the Rust session: {why}", b.name),
    )
}

impl Interpreter for CellInterpreter {
    fn concurrency(&self, code: &str) -> Concurrency {
        // Magics act on the shared Mesos session and run alongside anything; Rust code and
        // `--bind` (which evaluates in the Rust session) need the one evcxr engine.
        match parse_cell(code) {
            Some(Ok(CellMagics::Cell(call))) if !binds(&call) => Concurrency::Shared,
            Some(Ok(CellMagics::Lines(calls))) if !calls.iter().any(binds) => Concurrency::Shared,
            Some(Err(_)) => Concurrency::Shared,
            _ => Concurrency::Exclusive,
        }
    }

    fn kernel_info(&self) -> KernelInfo {
        KernelInfo {
            language_info: LanguageInfo {
                name: "rust".into(),
                version: rustc_version().to_owned(),
                mimetype: "text/rust".into(),
                file_extension: ".rs".into(),
                pygments_lexer: "rust".into(),
                codemirror_mode: "rust".into(),
                nbconvert_exporter: "rust".into(),
            },
            banner: format!(
                "Mesos (Rust) kernel {}: Rust cells run through evcxr with the mesos_lib crate and the live session (%help rust); %lsmagic lists the Mesos magics, %help NAME explains one.",
                env!("CARGO_PKG_VERSION")
            ),
            help_links: vec![
                HelpLink {
                    text: "Mesos HTTP API".into(),
                    url: "https://mesos.apache.org/documentation/latest/scheduler-http-api/".into(),
                },
                HelpLink {
                    text: "Mesos operator API".into(),
                    url: "https://mesos.apache.org/documentation/latest/operator-http-api/".into(),
                },
                HelpLink {
                    text: "evcxr".into(),
                    url: "https://github.com/evcxr/evcxr/blob/main/COMMON.md".into(),
                },
                HelpLink {
                    text: "The Rust standard library".into(),
                    url: "https://doc.rust-lang.org/std/".into(),
                },
            ],
        }
    }

    async fn execute(&self, code: &str, out: &CellOutput) -> ExecuteOutcome {
        match parse_cell(code) {
            None => self.rust.execute(code, out).await,
            Some(Err(e)) => ExecuteOutcome::Error(simple("MagicSyntax", e.to_string())),
            Some(Ok(CellMagics::Cell(call))) => self.run_magic(&call, out).await,
            Some(Ok(CellMagics::Lines(calls))) => {
                let last = calls.len().saturating_sub(1);
                for (i, call) in calls.iter().enumerate() {
                    match self.run_magic(call, out).await {
                        ExecuteOutcome::Ok(Some(bundle)) if i < last => out.display(&bundle, None),
                        ExecuteOutcome::Ok(_) if i < last => {}
                        outcome => return outcome,
                    }
                }
                ExecuteOutcome::Ok(None)
            }
        }
    }

    async fn evaluate(&self, expr: &str, out: &CellOutput) -> Result<MimeBundle, ErrorContent> {
        match self.rust.execute(expr, out).await {
            ExecuteOutcome::Ok(Some(b)) => Ok(b),
            other => Err(expression_error(&other)),
        }
    }

    async fn complete(&self, code: &str, cursor: usize) -> Completions {
        let byte = byte_offset(code, cursor);
        let line_start_byte = code[..byte].rfind('\n').map(|i| i + 1).unwrap_or(0);
        let line = &code[line_start_byte..byte];
        let is_first_line = code[..line_start_byte].trim().is_empty();
        let line_start = cursor - line.chars().count();
        let mesos = self.mesos.clone();
        let live = move |kind: crate::mesos::LiveKind| mesos.live_values(kind);
        if let Some(c) =
            complete::complete_live(&self.magics, line, line_start, is_first_line, &live)
        {
            return c;
        }
        if code.trim_start().starts_with("%%") {
            // The body of a cell magic is not Rust.
            return Completions {
                cursor_start: cursor,
                cursor_end: cursor,
                ..Completions::default()
            };
        }
        let mut c = self.rust.complete(code, byte).await;
        if c.matches.is_empty() {
            c.cursor_start = cursor;
            c.cursor_end = cursor;
        }
        c
    }

    async fn inspect(&self, code: &str, cursor: usize, _detail: u8) -> Option<MimeBundle> {
        let byte = byte_offset(code, cursor);
        // A magic name under or just before the cursor: its help.
        let line_start = code[..byte].rfind('\n').map(|i| i + 1).unwrap_or(0);
        let line_end = code[byte..]
            .find('\n')
            .map(|i| byte + i)
            .unwrap_or(code.len());
        let line = code[line_start..line_end].trim_start();
        if let Some(rest) = line.strip_prefix('%') {
            let name = rest
                .trim_start_matches('%')
                .split(|c: char| c.is_whitespace() || c == '?')
                .next()?;
            return self.magics.get(name).map(|m| help_bundle(m.spec()));
        }
        self.rust.hover(code, byte).await
    }

    fn is_complete(&self, code: &str) -> Completeness {
        match parse_cell(code) {
            Some(Ok(_)) => Completeness::Complete,
            Some(Err(_)) => Completeness::Invalid,
            None => rust_completeness(code),
        }
    }

    fn control_hooks(&self) -> ControlHooks {
        let interrupt = self.rust.clone();
        let shutdown = self.rust.clone();
        let cancel = Arc::clone(&self.cancel);
        ControlHooks {
            interrupt: Arc::new(move || {
                // Running magics (e.g. %wait) stop at their next await; evcxr is stopped too.
                let old = std::mem::take(&mut *cancel.lock().unwrap_or_else(|e| e.into_inner()));
                old.cancel();
                interrupt.interrupt();
            }),
            shutdown: Arc::new(move || shutdown.kill_child()),
        }
    }
}

/// The rustc this kernel was built with; evcxr compiles cells with the same toolchain.
fn rustc_version() -> &'static str {
    env!("MESOS_KERNEL_RUSTC_VERSION")
}
