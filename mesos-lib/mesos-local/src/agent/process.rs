//! Runs a command task as a child process in its own process group, the way the Mesos
//! command executor does, and reports its fate.

use std::collections::HashSet;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use mesos_lib::v1::task::CommandInfo;
use tokio::sync::mpsc;

use super::spawner::TaskProcess;

/// Process groups of every task still running, so that no process outlives the embedded Mesos.
pub(crate) type ProcessGroups = Arc<Groups>;

/// An agent's live process groups; once `kill_all` has run, a process still being spawned
/// then is killed as it registers, so none outlives its agent's removal or stop.
#[derive(Default)]
pub(crate) struct Groups {
    live: Mutex<HashSet<i32>>,
    closed: AtomicBool,
}

impl Groups {
    fn live(&self) -> MutexGuard<'_, HashSet<i32>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a new group; once the agent is gone, kills it instead.
    pub(crate) fn register(&self, pgid: i32) {
        let mut live = self.live();
        if self.closed.load(Ordering::SeqCst) {
            drop(live);
            signal_group(pgid, libc::SIGKILL);
        } else {
            live.insert(pgid);
        }
    }

    /// Forgets a group whose leader has been reaped.
    pub(crate) fn forget(&self, pgid: i32) {
        self.live().remove(&pgid);
    }
}

/// What a task needs to be launched.
pub(crate) struct Launch {
    /// CommandInfo of the task.
    pub command: CommandInfo,
    /// Sandbox directory (working directory, stdout and stderr files).
    pub sandbox: PathBuf,
    /// Environment added to the agent's own.
    pub env: Vec<(String, String)>,
}

/// How a task process ended, in the command executor's words.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Could not be started at all.
    LaunchFailed(String),
    /// Exited or was signalled; `killed` when a kill was requested.
    Exited { status: ExitStatus, killed: bool },
}

/// Signals a whole process group (negative pid).
pub(crate) fn signal_group(pgid: i32, signal: i32) {
    // SAFETY: kill(2) with a negative pid only sends a signal; no memory is touched.
    unsafe {
        libc::kill(-pgid, signal);
    }
}

/// Kills every registered process group at once (shutdown and Drop).
pub(crate) fn kill_all(groups: &ProcessGroups) {
    let groups: Vec<i32> = {
        let live = groups.live();
        groups.closed.store(true, Ordering::SeqCst);
        live.iter().copied().collect()
    };
    for pgid in groups {
        signal_group(pgid, libc::SIGKILL);
    }
}

/// util-linux's `setpriv`, which sets the parent-death signal and then execs the task.
const SETPRIV: &str = "/usr/bin/setpriv";

/// Whether tasks can be spawned through `setpriv` (checked once).
fn setpriv_available() -> bool {
    static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *AVAILABLE.get_or_init(|| std::path::Path::new(SETPRIV).is_file())
}

/// The executable `execvp` would run for `program` under `path` (the task's `PATH`).
fn find_program(program: &str, path: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let runnable = |p: &std::path::Path| {
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.contains('/') {
        let p = PathBuf::from(program);
        return runnable(&p).then_some(p);
    }
    std::env::split_paths(path)
        .map(|dir| dir.join(program))
        .find(|p| runnable(p))
}

/// The program, argv[0] and the other arguments of a CommandInfo.
pub(crate) fn argv(command: &CommandInfo) -> (String, String, Vec<String>) {
    let value = command.value.clone().unwrap_or_default();
    if command.shell.unwrap_or(true) {
        return ("/bin/sh".into(), "/bin/sh".into(), vec!["-c".into(), value]);
    }
    // execvp(value, arguments): arguments carries argv[0] itself.
    let mut args = command.arguments.clone();
    let argv0 = if args.is_empty() {
        value.clone()
    } else {
        args.remove(0)
    };
    (value, argv0, args)
}

/// What a command's process gets on top of the environment it inherits: the command's own
/// variables (`environment.variables`), then `extra`; a later one of a name wins.
pub(crate) fn command_variables(
    command: &CommandInfo,
    extra: &[(String, String)],
) -> Vec<(String, String)> {
    let own = (command.environment.iter())
        .flat_map(|e| &e.variables)
        .filter_map(|var| Some((var.name.clone(), var.value.clone()?)));
    own.chain(extra.iter().cloned()).collect()
}

/// `base` with `vars` laid over it, as a process started with both sees them: a variable set
/// again replaces the earlier one.
pub(crate) fn overlay(
    mut base: Vec<(String, String)>,
    vars: Vec<(String, String)>,
) -> Vec<(String, String)> {
    for (k, v) in vars {
        base.retain(|(n, _)| *n != k);
        base.push((k, v));
    }
    base
}

/// The task's command, its output files opened (on the spawner thread, see `spawner`).
fn build(launch: &Launch) -> std::io::Result<std::process::Command> {
    let (program, argv0, args) = argv(&launch.command);
    let env = command_variables(&launch.command, &launch.env);
    // fork(2) copies the page tables of this (possibly large, many-threaded) process for every
    // task, which made launching cost grow with the number of tasks already running. Going
    // through `setpriv` with no pre-exec code lets std use posix_spawn (a vfork), at the
    // price of one small extra exec. It cannot set argv[0] apart from the program, so that
    // rare case keeps the fork.
    let cheap = setpriv_available() && argv0 == program;
    let mut std_cmd = if cheap {
        let path = env
            .iter()
            .rev()
            .find(|(k, _)| k == "PATH")
            .map(|(_, v)| v.clone())
            .or_else(|| std::env::var("PATH").ok())
            .unwrap_or_default();
        // Resolved here so that a missing program fails the launch as execvp would, instead
        // of becoming setpriv's exit status.
        let exe = find_program(&program, &path)
            .ok_or_else(|| std::io::Error::from_raw_os_error(libc::ENOENT))?;
        let mut c = std::process::Command::new(SETPRIV);
        c.args(["--pdeathsig", "KILL", "--"]).arg(exe).args(&args);
        // Own process group so a kill reaches every descendant.
        c.process_group(0);
        c
    } else {
        let mut c = std::process::Command::new(&program);
        c.arg0(&argv0).args(&args);
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            c.pre_exec(|| {
                // Own process group (and session) so a kill reaches every descendant.
                if libc::setsid() == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                // Die with the embedded Mesos even if it is SIGKILLed.
                #[cfg(target_os = "linux")]
                libc::prctl(
                    libc::PR_SET_PDEATHSIG,
                    libc::SIGKILL as libc::c_ulong,
                    0,
                    0,
                    0,
                );
                Ok(())
            });
        }
        c
    };
    std_cmd.current_dir(&launch.sandbox);
    std_cmd.envs(env);
    std_cmd.stdin(Stdio::null());
    std_cmd.stdout(
        std::fs::File::options()
            .append(true)
            .open(launch.sandbox.join("stdout"))?,
    );
    std_cmd.stderr(
        std::fs::File::options()
            .append(true)
            .open(launch.sandbox.join("stderr"))?,
    );
    Ok(std_cmd)
}

/// Spawns the task; `started(pid)` is called once it runs; `kills` carries kill requests
/// (each with its grace period). Resolves when the process (group leader) is gone; the rest
/// of its group is SIGKILLed then, as the container is destroyed.
pub(crate) async fn run(
    launch: Launch,
    groups: ProcessGroups,
    mut kills: mpsc::UnboundedReceiver<Duration>,
    started: impl FnOnce(u32),
) -> Outcome {
    // The launch is dropped on the spawner thread once built: not needed while the task
    // runs, which may be for days and by the thousand.
    let mut child = match TaskProcess::spawn(Box::new(move || build(&launch))).await {
        Ok(child) => child,
        Err(e) => return Outcome::LaunchFailed(e.to_string()),
    };
    let pid = child.id();
    let pgid = pid as i32;
    groups.register(pgid);
    started(pid);
    let mut killed = false;
    let mut deadline: Option<tokio::time::Instant> = None;
    let status = loop {
        tokio::select! {
            status = child.wait() => break status,
            Some(grace) = kills.recv(), if !killed => {
                killed = true;
                signal_group(pgid, libc::SIGTERM);
                deadline = Some(tokio::time::Instant::now() + grace);
            }
            _ = async { tokio::time::sleep_until(deadline.unwrap()).await }, if deadline.is_some() => {
                signal_group(pgid, libc::SIGKILL);
                deadline = None;
            }
        }
    };
    signal_group(pgid, libc::SIGKILL);
    groups.forget(pgid);
    match status {
        Ok(status) => Outcome::Exited { status, killed },
        Err(e) => Outcome::LaunchFailed(e.to_string()),
    }
}

/// The signal's description as strsignal(3) gives it ("Terminated", "Killed").
pub(crate) fn signal_name(sig: i32) -> String {
    // SAFETY: strsignal returns a pointer to a static or thread-local string.
    unsafe {
        let p = libc::strsignal(sig);
        if p.is_null() {
            return format!("Unknown signal {sig}");
        }
        std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}
