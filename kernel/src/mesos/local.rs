//! The embedded local Mesos, run as its own `mesos-local` process so that it outlives a kernel
//! restart: its URL and PID are recorded in a small state file that a restarted kernel reads.

use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Attributes every embedded agent gets: those of the original tutorial.
pub const AGENT_ATTRIBUTES: &str = "rack:r2d2;pod:demo,dev";

/// How long `mesos-local` may take to print its URL (a private ZooKeeper's JVM included).
const START_TIMEOUT: Duration = Duration::from_secs(90);
/// How long it may take to kill its tasks and exit after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// What the state file records about a running `mesos-local`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalRecord {
    /// The master URL it printed.
    pub url: String,
    /// Its process id.
    pub pid: u32,
    /// How many masters it runs (records of older kernels say nothing: one).
    #[serde(default = "one")]
    pub masters: usize,
    /// The ZooKeeper URL its masters elect their leader through, if any.
    #[serde(default)]
    pub zk: Option<String>,
    /// Whether that ZooKeeper is its own (`--zk auto`), stopped with it.
    #[serde(default)]
    pub own_zk: bool,
}

fn one() -> usize {
    1
}

impl LocalRecord {
    /// What a session should connect to: the ZooKeeper URL when the masters elect a leader
    /// there (so the session follows failovers), else the master's URL.
    pub fn connect_url(&self) -> &str {
        self.zk.as_deref().unwrap_or(&self.url)
    }
}

/// How `%local start` lays the embedded Mesos out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalLayout {
    /// Number of masters.
    pub masters: usize,
    /// ZooKeeper URL for the masters' election; with several masters and none given,
    /// `mesos-local` starts its own ZooKeeper.
    pub zk: Option<String>,
}

impl LocalLayout {
    /// Whether `mesos-local` must start a ZooKeeper of its own for the election.
    pub fn own_zk(&self) -> bool {
        self.masters > 1 && self.zk.is_none()
    }

    /// Whether the running `rec` is laid out as this asks.
    pub fn describes(&self, rec: &LocalRecord) -> bool {
        let same_zk = match &self.zk {
            Some(zk) => rec.zk.as_ref() == Some(zk),
            None if self.own_zk() => rec.own_zk,
            None => rec.zk.is_none(),
        };
        rec.masters == self.masters && same_zk
    }
}

impl Default for LocalLayout {
    fn default() -> Self {
        Self {
            masters: 1,
            zk: None,
        }
    }
}

/// Why the embedded Mesos could not be started or stopped.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedMesosError {
    /// No `mesos-local` binary next to the kernel or on PATH.
    #[error(
        "cannot find the mesos-local binary next to the kernel ({0}) or on PATH; build it with `cargo build --release -p mesos-local`"
    )]
    NoBinary(String),
    /// Spawning or talking to it failed.
    #[error("mesos-local: {0}")]
    Io(#[from] std::io::Error),
    /// It exited or stayed silent instead of printing its URL.
    #[error("mesos-local did not print its URL: {0}")]
    NoUrl(String),
}

/// The embedded Mesos this kernel knows about.
#[derive(Debug, Default)]
pub struct EmbeddedMesosProcess {
    /// Set when this kernel process spawned it, so it can be reaped (no zombie) when stopped.
    child: Option<Child>,
    record: Option<LocalRecord>,
}

/// Where the state file lives: `$MESOS_KERNEL_STATE_DIR`, else `$XDG_RUNTIME_DIR/mesos-kernel`,
/// else `~/.local/share/mesos-kernel`, else a directory under the system temp dir.
pub fn state_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("MESOS_KERNEL_STATE_DIR") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_RUNTIME_DIR") {
        return PathBuf::from(d).join("mesos-kernel");
    }
    if let Some(h) = std::env::var_os("HOME") {
        return PathBuf::from(h).join(".local/share/mesos-kernel");
    }
    std::env::temp_dir().join("mesos-kernel")
}

fn state_file() -> PathBuf {
    state_dir().join("local-mesos.json")
}

/// Whether `pid` is a live (not zombie) `mesos-local` process; guards against PID reuse.
pub fn is_mesos_local(pid: u32) -> bool {
    is_live_program(pid, "mesos-local")
}

/// Whether `pid` is a live (not zombie) process whose argv[0] ends with `program`.
fn is_live_program(pid: u32, program: &str) -> bool {
    let proc = PathBuf::from(format!("/proc/{pid}"));
    let Ok(cmdline) = std::fs::read(proc.join("cmdline")) else {
        return false;
    };
    let zombie = std::fs::read_to_string(proc.join("stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, r)| r.trim_start().starts_with('Z'))
        })
        .unwrap_or(false);
    let argv0 = cmdline.split(|b| *b == 0).next().unwrap_or_default();
    !zombie && String::from_utf8_lossy(argv0).ends_with(program)
}

fn binary() -> Result<PathBuf, EmbeddedMesosError> {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("mesos-local")));
    if let Some(p) = &beside
        && p.is_file()
    {
        return Ok(p.clone());
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("mesos-local"))
            .find(|p| p.is_file())
    });
    on_path.ok_or_else(|| {
        EmbeddedMesosError::NoBinary(
            beside
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "?".into()),
        )
    })
}

impl EmbeddedMesosProcess {
    /// The running instance: the one this kernel started, else one recorded in the state file
    /// by an earlier kernel (if its process is still alive).
    pub fn current(&mut self) -> Option<LocalRecord> {
        if let Some(child) = &mut self.child
            && (matches!(child.try_wait(), Ok(Some(_))) || !is_mesos_local(child.id()))
        {
            // It died under us: forget it, and its stale record. Killed, its first thread is a
            // zombie while the others still exit, and waitpid has nothing to reap until they
            // have: it is reaped on a thread of its own, not by the next look.
            if let Some(mut dying) = self.child.take() {
                std::thread::spawn(move || dying.wait());
            }
            self.record = None;
            let _ = std::fs::remove_file(state_file());
        }
        if self.record.is_none() {
            self.record = read_record(&state_file()).filter(|r| is_mesos_local(r.pid));
        }
        self.record.clone()
    }

    /// Starts `mesos-local` laid out as `layout` unless one is already running; returns it and
    /// whether it is new.
    pub fn start(
        &mut self,
        layout: &LocalLayout,
    ) -> Result<(LocalRecord, bool), EmbeddedMesosError> {
        if let Some(r) = self.current() {
            return Ok((r, false));
        }
        let dir = state_dir();
        std::fs::create_dir_all(&dir)?;
        let log = std::fs::File::create(dir.join("mesos-local.log"))?;
        let mut child = command(&binary()?, layout, &dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            // Its own process group: an interrupt sent to the kernel's group must not stop it.
            .process_group(0)
            .spawn()?;
        let mut lines = announced(&mut child, layout, &dir)?;
        let url = lines.remove(0);
        let record = LocalRecord {
            url,
            pid: child.id(),
            masters: layout.masters,
            zk: layout.zk.clone().or_else(|| lines.pop()),
            own_zk: layout.own_zk(),
        };
        std::fs::write(
            state_file(),
            serde_json::to_vec(&record).map_err(std::io::Error::other)?,
        )?;
        tracing::info!(url = %record.url, pid = record.pid, "started mesos-local");
        self.child = Some(child);
        self.record = Some(record.clone());
        Ok((record, true))
    }

    /// Stops it (SIGTERM, so it kills its tasks), waits for it to exit and removes the record.
    /// Returns what was stopped, or `None` when nothing was running.
    pub fn stop(&mut self) -> Result<Option<LocalRecord>, EmbeddedMesosError> {
        let Some(record) = self.current() else {
            return Ok(None);
        };
        // SAFETY: kill(2) with a pid we checked is a mesos-local process.
        unsafe { libc::kill(record.pid as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + STOP_TIMEOUT;
        let mut child = self.child.take();
        loop {
            let gone = match &mut child {
                // Ours: reap it, or it lingers as a zombie.
                Some(c) => matches!(c.try_wait(), Ok(Some(_)) | Err(_)),
                None => {
                    !Path::new(&format!("/proc/{}", record.pid)).exists()
                        || !is_mesos_local(record.pid)
                }
            };
            if gone {
                break;
            }
            if Instant::now() >= deadline {
                tracing::warn!(pid = record.pid, "mesos-local ignored SIGTERM; killing it");
                // SAFETY: as above.
                unsafe { libc::kill(record.pid as libc::pid_t, libc::SIGKILL) };
                if let Some(c) = &mut child {
                    let _ = c.wait();
                }
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.record = None;
        let _ = std::fs::remove_file(state_file());
        Ok(Some(record))
    }
}

/// Where kernels that may use the embedded Mesos leave a file named after their PID, so the
/// last one to shut down for good can stop it (and a restart, which starts a new kernel that
/// registers again, does not).
fn users_dir() -> PathBuf {
    state_dir().join("local-mesos.users")
}

/// Whether `pid` is a live kernel process (not a zombie, not a reused PID).
fn is_kernel(pid: u32) -> bool {
    is_live_program(pid, "mesos-kernel")
}

/// Records this kernel as a user of the embedded Mesos.
pub fn register_user() -> std::io::Result<()> {
    let dir = users_dir();
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join(std::process::id().to_string()), b"")
}

/// Removes this kernel's record; returns how many other live kernels remain registered
/// (records of dead ones are removed on the way).
pub fn unregister_user() -> usize {
    let dir = users_dir();
    let me = std::process::id();
    let _ = std::fs::remove_file(dir.join(me.to_string()));
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return 0;
    };
    let mut live = 0;
    for e in entries.flatten() {
        match e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) {
            Some(pid) if pid != me && is_kernel(pid) => live += 1,
            _ => {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    live
}

/// The `mesos-local` command for `layout`, its state under `dir`.
fn command(bin: &Path, layout: &LocalLayout, dir: &Path) -> Command {
    let mut cmd = Command::new(bin);
    cmd.args(["--port", "0", "--attributes", AGENT_ATTRIBUTES]);
    if layout.masters > 1 {
        cmd.args(["--masters", &layout.masters.to_string()]);
    }
    if let Some(zk) = &layout.zk {
        cmd.args(["--zk", zk]);
    } else if layout.own_zk() {
        // Its data under the state dir; the process dies with mesos-local.
        cmd.args(["--zk", "auto", "--zk-dir"])
            .arg(dir.join("zookeeper"));
    }
    cmd
}

/// The URLs a starting `mesos-local` prints: the master's, then (when the masters elect
/// through ZooKeeper) ZooKeeper's. Both are read, as the pipe closes when the reader ends. On
/// failure the child is killed and the error says why, with the log's last error.
fn announced(
    child: &mut Child,
    layout: &LocalLayout,
    dir: &Path,
) -> Result<Vec<String>, EmbeddedMesosError> {
    let stdout = child.stdout.take().expect("piped stdout");
    let wanted = if layout.zk.is_some() || layout.own_zk() {
        2
    } else {
        1
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        for _ in 0..wanted {
            let mut line = String::new();
            let r = reader.read_line(&mut line).map(|_| line);
            if tx.send(r).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + START_TIMEOUT;
    let mut lines = Vec::new();
    for prefix in ["http", "zk://"].into_iter().take(wanted) {
        let wait = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(wait) {
            Ok(Ok(line)) if line.trim().starts_with(prefix) => lines.push(line.trim().to_owned()),
            other => {
                let log = dir.join("mesos-local.log");
                let why = match other {
                    Ok(Ok(l)) if l.is_empty() => {
                        let _ = child.wait();
                        format!("it exited{}", last_error(&log))
                    }
                    Ok(Ok(l)) => format!("it printed {l:?}"),
                    Ok(Err(e)) => e.to_string(),
                    Err(_) => format!("nothing within {START_TIMEOUT:?}"),
                };
                let _ = child.kill();
                let _ = child.wait();
                return Err(EmbeddedMesosError::NoUrl(format!(
                    "{why} (log: {})",
                    log.display()
                )));
            }
        }
    }
    Ok(lines)
}

/// `: <why>` from the `Error: …` line `mesos-local` wrote to its log when it gave up, if any.
fn last_error(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .rev()
        .find_map(|l| l.strip_prefix("Error: "))
        .map(|e| format!(": {e}"))
        .unwrap_or_default()
}

fn read_record(path: &Path) -> Option<LocalRecord> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}
