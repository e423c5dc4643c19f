//! One evcxr session: started with the value display, then the start-up commands
//! (`:dep mesos-lib`) run when the engine is idle or a job needs them, and the shared build is
//! published once they have all run.

use super::engine::{EngineSetup, Shared};
use super::pump::Pump;
use super::warm_up;
use evcxr::{CommandContext, Error, EvalContext};
use std::sync::atomic::Ordering;

/// A running evcxr context, and whether the start-up commands (`:dep mesos-lib`) still have
/// to run in it.
pub(super) struct Session {
    pub(super) command: CommandContext,
    pub(super) pump: Pump,
    pub(super) startup_pending: bool,
}

/// Prepares a kept build directory without a kernel (`mesos-kernel prepare`): runs the start-up
/// commands, so the shared build exists before any notebook needs it.
pub fn prepare(setup: &EngineSetup) -> Result<(), Error> {
    let shared = Shared::default();
    let mut session = new_session(&shared, setup)?;
    run_startup(&mut session, setup);
    drop(session);
    match &setup.seed {
        Some(seed) if !seed.exists() => Err(Error::Message(format!(
            "the start-up commands failed, so nothing was kept in {} (see the log above)",
            seed.path().display()
        ))),
        _ => Ok(()),
    }
}

/// Starts evcxr with the value display, ready for cells. The start-up commands are left to
/// [`run_startup`]: adding mesos-lib reloads the analyzer's view of the crate (~2 s), which a
/// first cell that does not use it need not wait for.
pub(super) fn new_session(shared: &Shared, setup: &EngineSetup) -> Result<Session, Error> {
    let started = std::time::Instant::now();
    if let (Some(seed), Some(dir)) = (&setup.seed, &setup.build_dir) {
        seed.sow(dir);
    }
    // The child is this binary (evcxr::runtime_hook); its environment alone gets `child_env`.
    let mut child = std::process::Command::new(std::env::current_exe()?);
    child.envs(setup.child_env.iter().map(|(k, v)| (k, v)));
    let (eval, outputs) = EvalContext::with_subprocess_command(child)?;
    let mut command = CommandContext::with_eval_context(eval);
    *shared.child.lock().expect("child handle") = Some(command.process_handle());
    let warm = started.elapsed();
    run_step(&mut command, warm_up::SHOW_DEBUG, "value display");
    // Drain what the start-up printed so the first cell does not show it.
    while outputs.stdout.try_recv().is_ok() {}
    while outputs.stderr.try_recv().is_ok() {}
    shared.ready.store(true, Ordering::SeqCst);
    // Starting evcxr (and its analyzer) frees ~200 MB it no longer needs: give it back.
    crate::core::memory::release_free_memory();
    tracing::info!(
        warm_up_ms = warm.as_millis() as u64,
        total_ms = started.elapsed().as_millis() as u64,
        "evcxr ready"
    );
    Ok(Session {
        command,
        pump: Pump::start(outputs.stdout, outputs.stderr),
        startup_pending: !setup.startup.is_empty(),
    })
}

/// Runs the start-up commands once per session; a build holding everything they asked for is
/// published as the shared build. What they print is dropped, not shown in a cell.
pub(super) fn run_startup(session: &mut Session, setup: &EngineSetup) {
    if !session.startup_pending {
        return;
    }
    session.startup_pending = false;
    let mut all_done = true;
    let cell = session.pump.detach();
    for line in &setup.startup {
        all_done &= run_step(&mut session.command, line, "evcxr start-up command");
    }
    session.pump.finish();
    session.pump.reattach(cell);
    if all_done && let (Some(seed), Some(dir)) = (&setup.seed, &setup.build_dir) {
        seed.publish(dir);
    }
}

/// Runs one preparation step; cells still work when it fails (the log says what is missing).
pub(super) fn run_step(command: &mut CommandContext, code: &str, what: &str) -> bool {
    let step = std::time::Instant::now();
    // The first line names it (a `:dep` line, a trait's head); the rest is noise in a log.
    let head = code.lines().next().unwrap_or_default();
    match command.execute(code) {
        Ok(_) => {
            tracing::info!(
                elapsed_ms = step.elapsed().as_millis() as u64,
                command = %head,
                "{what} done"
            );
            true
        }
        Err(e) => {
            tracing::warn!(command = %head, error = %e, "{what} failed");
            false
        }
    }
}
