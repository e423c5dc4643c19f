//! The evcxr engine on a thread of its own: cells, completions and hover go to it as jobs.
//!
//! evcxr's `CommandContext` blocks while a cell compiles and runs, so it lives on one OS thread;
//! the kernel talks to it through a channel and stays free to answer kernel_info, heartbeats,
//! interrupts and shutdown meanwhile. It starts warming up at kernel start, in the background.

use super::errors::{compile_errors, simple};
use super::pump::{PanicReport, Pump};
use super::session::{Session, new_session, run_startup, run_step};
use super::warm_up;
use crate::core::output::CellOutput;
use crate::interpreter::{Completions, ExecuteOutcome, code_point_offset};
use crate::protocol::content::{ErrorContent, MimeBundle};
use evcxr::{CommandContext, Error, EvalCallbacks};
use serde_json::{Map, Value, json};
use std::panic::AssertUnwindSafe;
use std::process::Child;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use tokio::sync::oneshot;

const LOST_VARIABLES: &str = "Variables defined in earlier cells are lost; functions, types, `use` \
     items and :dep crates are kept. The next cell runs normally.";

enum Job {
    Execute {
        code: String,
        out: CellOutput,
        reply: oneshot::Sender<ExecuteOutcome>,
    },
    Complete {
        code: String,
        byte_pos: usize,
        reply: oneshot::Sender<Completions>,
    },
    Hover {
        code: String,
        byte_pos: usize,
        reply: oneshot::Sender<Option<MimeBundle>>,
    },
}

/// What every Rust session gets before its first cell.
#[derive(Debug, Clone, Default)]
pub struct EngineSetup {
    /// Environment variables for the evcxr child only (the cell session socket and secret).
    pub child_env: Vec<(String, String)>,
    /// evcxr commands run once per session (again after evcxr is rebuilt), e.g. `:dep`.
    pub startup: Vec<String>,
    /// The kept build directory evcxr uses (`EVCXR_TMPDIR`), if any.
    pub build_dir: Option<std::path::PathBuf>,
    /// The shared build a build directory without one starts from, and is published as.
    pub seed: Option<super::build_dir::Seed>,
}

/// What the engine thread and the kernel's handle both see.
#[derive(Default)]
pub(super) struct Shared {
    /// evcxr has started (or failed to): completions may be asked for.
    pub(super) ready: AtomicBool,
    executing: AtomicBool,
    interrupted: AtomicBool,
    /// The evcxr child process, to end on interrupt.
    pub(super) child: Mutex<Option<Arc<Mutex<Child>>>>,
}

/// Handle to the engine thread.
#[derive(Clone)]
pub struct RustEngine {
    jobs: mpsc::Sender<Job>,
    shared: Arc<Shared>,
}

impl RustEngine {
    /// Starts the engine thread; evcxr warms up (and runs `setup`) in the background.
    pub fn start(setup: EngineSetup) -> Self {
        let (jobs, rx) = mpsc::channel();
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        std::thread::Builder::new()
            .name("evcxr".into())
            .spawn(move || engine_thread(rx, s, setup))
            .expect("spawn evcxr thread");
        Self { jobs, shared }
    }

    /// Whether evcxr has finished warming up.
    pub fn is_ready(&self) -> bool {
        self.shared.ready.load(Ordering::SeqCst)
    }

    /// Runs a cell.
    pub async fn execute(&self, code: &str, out: &CellOutput) -> ExecuteOutcome {
        let (reply, rx) = oneshot::channel();
        let job = Job::Execute {
            code: code.to_owned(),
            out: out.clone(),
            reply,
        };
        if self.jobs.send(job).is_err() {
            return ExecuteOutcome::Error(simple(
                "EngineGone",
                "the Rust engine thread has stopped",
            ));
        }
        rx.await.unwrap_or_else(|_| {
            ExecuteOutcome::Error(simple("EngineGone", "the Rust engine dropped the cell"))
        })
    }

    /// Whether a cell is running on the engine (from any subshell).
    fn is_busy(&self) -> bool {
        self.shared.executing.load(Ordering::SeqCst)
    }

    /// Completions at a byte position; empty while warming up or while a cell of another
    /// subshell runs, rather than blocking the shell until it ends.
    pub async fn complete(&self, code: &str, byte_pos: usize) -> Completions {
        if !self.is_ready() || self.is_busy() {
            return Completions::default();
        }
        let (reply, rx) = oneshot::channel();
        let job = Job::Complete {
            code: code.to_owned(),
            byte_pos,
            reply,
        };
        if self.jobs.send(job).is_err() {
            return Completions::default();
        }
        rx.await.unwrap_or_default()
    }

    /// Hover documentation at a byte position (none while warming up or busy, as completion).
    pub async fn hover(&self, code: &str, byte_pos: usize) -> Option<MimeBundle> {
        if !self.is_ready() || self.is_busy() {
            return None;
        }
        let (reply, rx) = oneshot::channel();
        let job = Job::Hover {
            code: code.to_owned(),
            byte_pos,
            reply,
        };
        self.jobs.send(job).ok()?;
        rx.await.ok().flatten()
    }

    /// Stops the running cell by ending the child process that runs it, once per cell.
    pub fn interrupt(&self) {
        if !self.shared.executing.load(Ordering::SeqCst) {
            return;
        }
        // Only the first interrupt of a cell kills: evcxr starts a fresh child before the cell
        // returns, and a second interrupt (a double click, a storm) killed that one too, so the
        // next cell failed with RuntimeCrashed.
        if self.shared.interrupted.swap(true, Ordering::SeqCst) {
            return;
        }
        self.kill_child();
    }

    /// Ends the child process for good (kernel shutdown).
    pub fn kill_child(&self) {
        if let Some(child) = self.shared.child.lock().expect("child handle").as_ref() {
            let mut child = child.lock().unwrap_or_else(|p| p.into_inner());
            let _ = child.kill();
        }
    }
}

/// What the engine does while no job waits: the start-up commands first (so a cell using
/// `mesos_lib` finds it ready), then the analyzer's warm-up.
#[derive(Clone, Copy)]
enum IdleStep {
    /// The start-up commands, unless a job ran them already.
    Startup,
    /// [`warm_up::ANALYZER_CELL`].
    AnalyzerWarmUp,
}

const IDLE_STEPS: [IdleStep; 2] = [IdleStep::Startup, IdleStep::AnalyzerWarmUp];

fn engine_thread(rx: mpsc::Receiver<Job>, shared: Arc<Shared>, setup: EngineSetup) {
    let mut session = match new_session(&shared, &setup) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::error!("evcxr failed to start: {e}");
            shared.ready.store(true, Ordering::SeqCst);
            None
        }
    };
    let mut startup_error = None;
    if session.is_none() {
        startup_error =
            Some("evcxr failed to start (see the kernel log); is cargo on PATH?".to_owned());
    }
    // Idle steps run while no job waits; a cell that arrives first goes first.
    let mut idle_steps: Vec<IdleStep> = match session {
        Some(_) => IDLE_STEPS.to_vec(),
        None => Vec::new(),
    };
    while let Some(job) = next_job(&rx, &mut idle_steps, session.as_mut(), &setup) {
        if matches!(job, Job::Execute { .. }) {
            idle_steps.retain(|s| matches!(s, IdleStep::Startup));
        }
        // A context that panicked is rebuilt before the next job.
        if session.is_none() && startup_error.is_none() {
            match new_session(&shared, &setup) {
                Ok(s) => {
                    session = Some(s);
                    idle_steps = vec![IdleStep::Startup];
                }
                Err(e) => startup_error = Some(format!("evcxr failed to restart: {e}")),
            }
        }
        let Some(s) = session.as_mut() else {
            let msg = startup_error.clone().unwrap_or_default();
            match job {
                Job::Execute { reply, .. } => {
                    let _ = reply.send(ExecuteOutcome::Error(simple("EngineUnavailable", msg)));
                }
                Job::Complete { reply, .. } => {
                    let _ = reply.send(Completions::default());
                }
                Job::Hover { reply, .. } => {
                    let _ = reply.send(None);
                }
            }
            continue;
        };
        // A job that names mesos_lib needs the start-up commands first.
        if s.startup_pending && warm_up::needs_startup(job.code()) {
            run_startup(s, &setup);
        }
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
            run_job(&mut s.command, &s.pump, &shared, job)
        }));
        if result.is_err() {
            tracing::error!("evcxr panicked; rebuilding the Rust context");
            shared.executing.store(false, Ordering::SeqCst);
            session = None;
        }
    }
}

impl Job {
    /// The code the job is about.
    fn code(&self) -> &str {
        match self {
            Job::Execute { code, .. } | Job::Complete { code, .. } | Job::Hover { code, .. } => {
                code
            }
        }
    }
}

/// The next job; while none waits, runs the idle steps one at a time. `None` once the kernel
/// has dropped its handle.
fn next_job(
    rx: &mpsc::Receiver<Job>,
    idle_steps: &mut Vec<IdleStep>,
    mut session: Option<&mut Session>,
    setup: &EngineSetup,
) -> Option<Job> {
    loop {
        if idle_steps.is_empty() {
            return rx.recv().ok();
        }
        match rx.try_recv() {
            Ok(job) => return Some(job),
            Err(mpsc::TryRecvError::Disconnected) => return None,
            Err(mpsc::TryRecvError::Empty) => {
                let step = idle_steps.remove(0);
                let Some(s) = session.as_deref_mut() else {
                    continue;
                };
                match step {
                    IdleStep::Startup => run_startup(s, setup),
                    IdleStep::AnalyzerWarmUp => {
                        run_step(&mut s.command, warm_up::ANALYZER_CELL, "analyzer warm-up");
                    }
                }
            }
        }
    }
}

fn run_job(command: &mut CommandContext, pump: &Pump, shared: &Shared, job: Job) {
    match job {
        Job::Execute { code, out, reply } => {
            let outcome = execute(command, pump, shared, &code, &out);
            let _ = reply.send(outcome);
        }
        Job::Complete {
            code,
            byte_pos,
            reply,
        } => {
            let _ = reply.send(complete(command, &code, byte_pos));
        }
        Job::Hover {
            code,
            byte_pos,
            reply,
        } => {
            let _ = reply.send(hover(command, &code, byte_pos));
        }
    }
}

fn execute(
    command: &mut CommandContext,
    pump: &Pump,
    shared: &Shared,
    code: &str,
    out: &CellOutput,
) -> ExecuteOutcome {
    if let Some(fix) = warm_up::before_cell(code) {
        run_step(command, fix, "value display update");
    }
    pump.begin(out.clone());
    shared.interrupted.store(false, Ordering::SeqCst);
    shared.executing.store(true, Ordering::SeqCst);
    // evcxr does not export its InputRequest type: the closure's argument type comes from the field.
    let mut callbacks = EvalCallbacks {
        input_reader: &|req| match out.input(&req.prompt, req.is_password) {
            Ok(v) => v,
            Err(e) => {
                out.stream(
                    crate::protocol::content::StreamName::Stderr,
                    &format!("input: {e}\n"),
                );
                String::new()
            }
        },
    };
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
        command.execute_with_callbacks(code, &mut callbacks)
    }));
    shared.executing.store(false, Ordering::SeqCst);
    let panic = pump.finish();
    let result = match result {
        Ok(r) => r,
        Err(p) => std::panic::resume_unwind(p),
    };
    if let Some(fix) = warm_up::after_cell(code) {
        run_step(command, fix, "value display update");
    }
    outcome(result, panic, code, shared, out)
}

/// What a cell's evaluation comes to: its value or display, or the error the user is shown
/// (a panic caught in the child counts as an error although evcxr returned its outputs).
fn outcome(
    result: Result<evcxr::EvalOutputs, Error>,
    panic: Option<PanicReport>,
    code: &str,
    shared: &Shared,
    out: &CellOutput,
) -> ExecuteOutcome {
    match result {
        Ok(outputs) => {
            if let Some(p) = panic {
                let message = if p.message.is_empty() {
                    "the cell panicked".to_owned()
                } else {
                    p.message
                };
                return ExecuteOutcome::Error(simple(
                    "Panic",
                    format!(
                        "{message} (at {}); variables from earlier cells are kept",
                        p.location
                    ),
                ));
            }
            match bundle(outputs.content_by_mime_type) {
                Some(b) if !b.data.contains_key("text/plain") => {
                    out.display(&b, None);
                    ExecuteOutcome::Ok(None)
                }
                value => ExecuteOutcome::Ok(value),
            }
        }
        Err(Error::CompilationErrors(errors)) => {
            ExecuteOutcome::Error(compile_errors(code, &errors))
        }
        Err(Error::SubprocessTerminated(why)) => {
            if shared.interrupted.swap(false, Ordering::SeqCst) {
                ExecuteOutcome::Error(simple(
                    "Interrupted",
                    format!(
                        "the cell was stopped by ending the process that ran it. {LOST_VARIABLES}"
                    ),
                ))
            } else {
                ExecuteOutcome::Error(simple(
                    "RuntimeCrashed",
                    format!(
                        "the process running Rust cells ended ({}). {LOST_VARIABLES}",
                        why.trim()
                    ),
                ))
            }
        }
        Err(Error::TypeRedefinedVariablesLost(vars)) => ExecuteOutcome::Error(simple(
            "VariablesLost",
            format!(
                "a type was redefined, so these variables were dropped: {}",
                vars.join(", ")
            ),
        )),
        Err(Error::Message(m)) => ExecuteOutcome::Error(simple("Error", m)),
    }
}

/// evcxr's mime map as a bundle: with `text/plain` it is the cell's value (execute_result);
/// without, it came from an explicit `evcxr_display` and is shown as display_data.
fn bundle(content: std::collections::HashMap<String, String>) -> Option<MimeBundle> {
    // A cell ending in a loop or a call returning `()` has no value worth a result, as a
    // Python cell ending in `None` shows nothing.
    let unit = content.len() == 1 && content.get("text/plain").is_some_and(|v| v == "()");
    if content.is_empty() || unit {
        return None;
    }
    let mut data = Map::new();
    for (mime, value) in content {
        let value = if mime == "application/json" || mime.ends_with("+json") {
            serde_json::from_str(&value).unwrap_or(Value::String(value))
        } else {
            Value::String(value)
        };
        data.insert(mime, value);
    }
    Some(MimeBundle {
        data,
        metadata: Map::new(),
    })
}

fn complete(command: &mut CommandContext, code: &str, byte_pos: usize) -> Completions {
    match command.completions(code, byte_pos.min(code.len())) {
        Ok(c) => {
            // The value display's method is on every type: noise in a completion list.
            let mut c = c;
            c.completions.retain(|x| x.code != warm_up::DISPLAY_METHOD);
            let types: Vec<Value> = c
                .completions
                .iter()
                .map(|x| {
                    json!({"start": code_point_offset(code, c.start_offset), "end": code_point_offset(code, c.end_offset),
                           "text": x.code, "type": x.kind, "signature": x.label})
                })
                .collect();
            let mut metadata = Map::new();
            metadata.insert("_jupyter_types_experimental".into(), Value::Array(types));
            Completions {
                matches: c.completions.into_iter().map(|x| x.code).collect(),
                cursor_start: code_point_offset(code, c.start_offset),
                cursor_end: code_point_offset(code, c.end_offset),
                metadata,
            }
        }
        Err(e) => {
            tracing::debug!("completion failed: {e}");
            Completions::default()
        }
    }
}

fn hover(command: &mut CommandContext, code: &str, byte_pos: usize) -> Option<MimeBundle> {
    let pos = byte_pos.min(code.len());
    if !code.is_char_boundary(pos) {
        return None;
    }
    match command.hover_at(code, pos) {
        Ok((plain, html)) if !plain.trim().is_empty() => {
            Some(MimeBundle::text(plain).with("text/html", html))
        }
        Ok(_) => None,
        Err(e) => {
            tracing::debug!("hover failed: {e}");
            None
        }
    }
}

/// The error for a user expression that cannot be evaluated.
pub fn expression_error(e: &ExecuteOutcome) -> ErrorContent {
    match e {
        ExecuteOutcome::Error(err) => err.clone(),
        ExecuteOutcome::Ok(_) => simple("NoValue", "the expression produced no value"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_is_no_value_but_other_results_are() {
        let one =
            |k: &str, v: &str| std::collections::HashMap::from([(k.to_owned(), v.to_owned())]);
        assert!(bundle(one("text/plain", "()")).is_none());
        assert!(bundle(one("text/plain", "(1, 2)")).is_some());
        assert!(bundle(one("text/html", "()")).is_some());
    }
}
