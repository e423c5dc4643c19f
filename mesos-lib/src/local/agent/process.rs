//! Runs a command task as a child process in its own process group, the way the Mesos
//! command executor does, and reports its fate.

use std::collections::HashSet;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;

use crate::local::json;

/// Process groups of every task still running, so that no process outlives the embedded Mesos.
pub(crate) type ProcessGroups = Arc<Mutex<HashSet<i32>>>;

/// What a task needs to be launched.
pub(crate) struct Launch {
    /// CommandInfo of the task.
    pub command: Value,
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
    let groups: Vec<i32> = groups
        .lock()
        .map(|g| g.iter().copied().collect())
        .unwrap_or_default();
    for pgid in groups {
        signal_group(pgid, libc::SIGKILL);
    }
}

fn build(launch: &Launch) -> std::io::Result<tokio::process::Command> {
    let shell = json::bool_at(&launch.command, "shell").unwrap_or(true);
    let value = json::str_at(&launch.command, "value")
        .unwrap_or("")
        .to_string();
    let mut std_cmd = if shell {
        let mut c = std::process::Command::new("/bin/sh");
        c.arg("-c").arg(&value);
        c
    } else {
        // execvp(value, arguments): arguments carries argv[0] itself.
        let args: Vec<String> = json::array_at(&launch.command, "arguments")
            .iter()
            .filter_map(|a| a.as_str().map(str::to_string))
            .collect();
        let mut c = std::process::Command::new(&value);
        if let Some((argv0, rest)) = args.split_first() {
            c.arg0(argv0);
            c.args(rest);
        }
        c
    };
    std_cmd.current_dir(&launch.sandbox);
    for var in json::array_at(&launch.command, "environment.variables") {
        if let (Some(n), Some(v)) = (json::str_at(var, "name"), json::str_at(var, "value")) {
            std_cmd.env(n, v);
        }
    }
    for (k, v) in &launch.env {
        std_cmd.env(k, v);
    }
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
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        std_cmd.pre_exec(|| {
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
    let mut cmd = tokio::process::Command::from(std_cmd);
    cmd.kill_on_drop(true);
    Ok(cmd)
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
    let mut child = match build(&launch).and_then(|mut c| c.spawn()) {
        Ok(child) => child,
        Err(e) => return Outcome::LaunchFailed(e.to_string()),
    };
    let pid = child.id().unwrap_or(0);
    let pgid = pid as i32;
    if let Ok(mut g) = groups.lock() {
        g.insert(pgid);
    }
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
    if let Ok(mut g) = groups.lock() {
        g.remove(&pgid);
    }
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
