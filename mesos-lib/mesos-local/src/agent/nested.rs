//! Containers nested in a task's container, as the agent's operator API launches them
//! (LAUNCH_NESTED_CONTAINER_SESSION, LAUNCH_(NESTED_)CONTAINER). The embedded agent has no
//! isolation: a nested container is a plain process in its own process group, started in the
//! parent's sandbox (a session, Mesos's DEBUG class) or in its own nested sandbox. A session's
//! stdin, stdout and stderr are pipes, as the I/O switchboard gives them; a plain nested
//! container writes to `stdout`/`stderr` in its sandbox, as the container logger does.

use std::collections::BTreeMap;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use tokio::process::ChildStdin;
use tokio::sync::{broadcast, mpsc, watch};

use super::Agent;
use super::process::{self, ProcessGroups};
use mesos_lib::v1::ContainerId;
use mesos_lib::v1::agent::containers::ProcessIoStream;
use mesos_lib::v1::task::CommandInfo;

/// A container's id from root to leaf (`ContainerID` with its `parent` chain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContainerPath(Vec<String>);

impl ContainerPath {
    /// The path of a `ContainerID`.
    pub(crate) fn of(id: &ContainerId) -> ContainerPath {
        let mut ids = Vec::new();
        let mut at = Some(id);
        while let Some(c) = at {
            ids.push(c.value.clone());
            at = c.parent.as_deref();
        }
        ids.reverse();
        ContainerPath(ids)
    }

    /// Whether it has a parent.
    pub(crate) fn is_nested(&self) -> bool {
        self.0.len() > 1
    }

    /// Its root container (a task's or executor's container).
    pub(crate) fn root(&self) -> &str {
        &self.0[0]
    }

    /// Its own id, without the parents.
    pub(crate) fn leaf(&self) -> &str {
        self.0.last().map(String::as_str).unwrap_or("")
    }

    /// Its parent's path.
    pub(crate) fn parent(&self) -> Option<ContainerPath> {
        self.is_nested()
            .then(|| ContainerPath(self.0[..self.0.len() - 1].to_vec()))
    }

    /// Back to a `ContainerID` JSON object.
    pub(crate) fn to_json(&self) -> Value {
        let mut id = Value::Null;
        for (i, v) in self.0.iter().enumerate() {
            id = if i == 0 {
                json!({"value": v})
            } else {
                json!({"value": v, "parent": id})
            };
        }
        id
    }
}

impl std::fmt::Display for ContainerPath {
    /// `parent.child`, as Mesos stringifies a ContainerID.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join("."))
    }
}

/// What an output subscriber receives.
#[derive(Debug, Clone)]
pub(crate) enum Output {
    /// A chunk of stdout or stderr.
    Data(ProcessIoStream, Bytes),
    /// Both stdout and stderr reached their end.
    End,
}

/// How many output chunks a slow reader may fall behind before it loses some.
const OUTPUT_BACKLOG: usize = 4096;

/// One nested container.
pub(crate) struct Nested {
    pub path: ContainerPath,
    /// Where its command runs.
    pub cwd: PathBuf,
    /// Its own sandbox (`containers/<id>` in its parent's).
    pub sandbox: PathBuf,
    pub pid: u32,
    /// Whether it has an I/O switchboard (a session): its streams can be attached.
    pub session: bool,
    stdin: tokio::sync::Mutex<Option<ChildStdin>>,
    input_attached: AtomicBool,
    output: broadcast::Sender<Output>,
    output_done: AtomicBool,
    signals: mpsc::UnboundedSender<i32>,
    /// Its wait status once it has ended.
    ended: watch::Receiver<Option<i32>>,
}

impl Nested {
    /// Its wait status, once ended.
    pub(crate) fn exit_status(&self) -> Option<i32> {
        *self.ended.borrow()
    }

    /// Waits until it ends; its wait status.
    pub(crate) async fn wait(&self) -> i32 {
        let mut rx = self.ended.clone();
        loop {
            if let Some(s) = *rx.borrow_and_update() {
                return s;
            }
            if rx.changed().await.is_err() {
                // The watcher task is gone without a status: the runtime is shutting down.
                return libc::SIGKILL;
            }
        }
    }

    /// Sends `signal` to its processes; false once it has ended.
    pub(crate) fn kill(&self, signal: i32) -> bool {
        self.exit_status().is_none() && self.signals.send(signal).is_ok()
    }

    /// Its output from now on; `None` when it has already ended.
    pub(crate) fn subscribe(&self) -> Option<broadcast::Receiver<Output>> {
        let rx = self.output.subscribe();
        (!self.output_done.load(Ordering::SeqCst)).then_some(rx)
    }

    /// Claims its input; false when another connection holds it.
    pub(crate) fn claim_input(&self) -> bool {
        !self.input_attached.swap(true, Ordering::SeqCst)
    }

    /// Gives the input back for another connection.
    pub(crate) fn release_input(&self) {
        self.input_attached.store(false, Ordering::SeqCst);
    }

    /// Writes to its stdin; an empty chunk closes it (EOF). Err when stdin is gone.
    pub(crate) async fn write_stdin(&self, data: &[u8]) -> std::io::Result<()> {
        use tokio::io::AsyncWriteExt;
        let mut stdin = self.stdin.lock().await;
        if data.is_empty() {
            stdin.take();
            return Ok(());
        }
        match stdin.as_mut() {
            Some(w) => w.write_all(data).await,
            None => Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe)),
        }
    }
}

/// The nested containers of one agent, running or ended and not yet removed, by
/// `parent.child` id.
#[derive(Default)]
pub(crate) struct NestedContainers {
    map: Mutex<BTreeMap<String, Arc<Nested>>>,
}

impl NestedContainers {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Arc<Nested>>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The container `path`, running or ended.
    pub(crate) fn get(&self, path: &ContainerPath) -> Option<Arc<Nested>> {
        self.lock().get(&path.to_string()).cloned()
    }

    /// Forgets an ended container; what it was.
    pub(crate) fn remove(&self, path: &ContainerPath) -> Option<Arc<Nested>> {
        self.lock().remove(&path.to_string())
    }

    /// Every container still running.
    pub(crate) fn running(&self) -> Vec<Arc<Nested>> {
        self.lock()
            .values()
            .filter(|n| n.exit_status().is_none())
            .cloned()
            .collect()
    }
}

/// A launch request, checked.
pub(crate) struct NestedLaunch {
    pub path: ContainerPath,
    /// Its CommandInfo.
    pub command: CommandInfo,
    /// A session (DEBUG class): runs in the parent's sandbox, with the parent's environment,
    /// its streams piped.
    pub session: bool,
}

/// Why a launch did not happen.
#[derive(Debug)]
pub(crate) enum LaunchError {
    /// A container with this id is running (Mesos: ALREADY_LAUNCHED).
    AlreadyRunning,
    /// The parent is not a running container of this agent.
    NoParent,
    /// The process could not be started.
    Failed(String),
}

/// Where a running container's processes live.
struct Parent {
    /// Its working directory and sandbox.
    cwd: PathBuf,
    sandbox: PathBuf,
    /// Its process, when it has one.
    pid: Option<u32>,
    /// The environment its process was started with, when the agent keeps it.
    env: Option<Vec<(String, String)>>,
}

impl Agent {
    /// A running container of this agent: a task's, a task group executor's, or a nested one.
    fn running_container(&self, path: &ContainerPath) -> Option<Parent> {
        if let Some(n) = self.nested.get(path) {
            return n.exit_status().is_none().then(|| Parent {
                cwd: n.cwd.clone(),
                sandbox: n.sandbox.clone(),
                pid: Some(n.pid),
                env: None,
            });
        }
        let id = path.leaf();
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        for fw in st.frameworks.values() {
            if let Some(r) = fw
                .executors
                .values()
                .find(|r| r.container_id == id && !r.state.is_terminal())
            {
                return Some(Parent {
                    cwd: r.directory.clone(),
                    sandbox: r.directory.clone(),
                    pid: r.pid,
                    // A command task's, as the agent started it (a custom executor's task
                    // runs in the executor's process, whose environment is read instead).
                    env: (!r.custom && r.parent_container.is_none())
                        .then(|| self.task_environment(r)),
                });
            }
            if let Some(g) = fw
                .groups
                .values()
                .find(|g| g.container_id == id && !g.exited)
            {
                return Some(Parent {
                    cwd: g.directory.clone(),
                    sandbox: g.directory.clone(),
                    pid: None,
                    env: None,
                });
            }
        }
        None
    }

    /// Whether `root` is the container of a live executor (a task's or a task group's).
    pub(crate) fn has_executor_container(&self, root: &str) -> bool {
        self.running_container(&ContainerPath(vec![root.to_string()]))
            .is_some()
    }

    /// Starts a nested container; with a session, the receiver of its output, subscribed
    /// before the process could write anything.
    pub(crate) async fn launch_nested(
        self: &Arc<Self>,
        req: NestedLaunch,
    ) -> Result<(Arc<Nested>, Option<broadcast::Receiver<Output>>), LaunchError> {
        if self
            .nested
            .get(&req.path)
            .is_some_and(|n| n.exit_status().is_none())
        {
            return Err(LaunchError::AlreadyRunning);
        }
        let parent_path = req.path.parent().ok_or(LaunchError::NoParent)?;
        let parent = self
            .running_container(&parent_path)
            .ok_or(LaunchError::NoParent)?;
        let sandbox = parent.sandbox.join("containers").join(req.path.leaf());
        std::fs::create_dir_all(&sandbox).map_err(|e| {
            LaunchError::Failed(format!(
                "Failed to create nested sandbox '{}': {e}",
                sandbox.display()
            ))
        })?;
        let cwd = if req.session {
            parent.cwd.clone()
        } else {
            sandbox.clone()
        };
        let env = environment(&req, &parent, &sandbox);
        let mut cmd = command(&req.command, &cwd, env);
        wire_stdio(&mut cmd, req.session, &sandbox)?;
        let mut child = cmd
            .spawn()
            .map_err(|e| LaunchError::Failed(format!("Failed to launch command: {e}")))?;
        let pid = child.id().unwrap_or(0);
        self.groups.register(pid as i32);
        let (output, first_rx) = broadcast::channel(OUTPUT_BACKLOG);
        let (signals, signal_rx) = mpsc::unbounded_channel();
        let (ended_tx, ended) = watch::channel(None);
        let nested = Arc::new(Nested {
            path: req.path.clone(),
            cwd,
            sandbox,
            pid,
            session: req.session,
            stdin: tokio::sync::Mutex::new(child.stdin.take()),
            input_attached: AtomicBool::new(false),
            output,
            output_done: AtomicBool::new(false),
            signals,
            ended,
        });
        self.nested
            .lock()
            .insert(req.path.to_string(), Arc::clone(&nested));
        pump_output(&mut child, &nested);
        let watcher = ParentWatch::open(parent.pid, self, &parent_path);
        tokio::spawn(supervise(
            child,
            self.groups.clone(),
            signal_rx,
            watcher,
            ended_tx,
        ));
        Ok((nested, req.session.then_some(first_rx)))
    }
}

/// A session's container talks through pipes; any other writes to `stdout` and `stderr` in
/// its sandbox, as the agent's container logger keeps them.
fn wire_stdio(
    cmd: &mut tokio::process::Command,
    session: bool,
    sandbox: &Path,
) -> Result<(), LaunchError> {
    if session {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        return Ok(());
    }
    let open = |name: &str| {
        std::fs::File::options()
            .create(true)
            .append(true)
            .open(sandbox.join(name))
            .map_err(|e| LaunchError::Failed(e.to_string()))
    };
    cmd.stdin(Stdio::null())
        .stdout(open("stdout")?)
        .stderr(open("stderr")?);
    Ok(())
}

/// Copies a session's output pipes to its subscribers, then marks the output done.
fn pump_output(child: &mut tokio::process::Child, nested: &Arc<Nested>) {
    let readers = [
        child
            .stdout
            .take()
            .map(|r| pump(r, ProcessIoStream::Stdout, nested)),
        child
            .stderr
            .take()
            .map(|r| pump(r, ProcessIoStream::Stderr, nested)),
    ];
    let n = Arc::clone(nested);
    tokio::spawn(async move {
        for r in readers.into_iter().flatten() {
            let _ = r.await;
        }
        n.output_done.store(true, Ordering::SeqCst);
        let _ = n.output.send(Output::End);
    });
}

/// Copies one output pipe to the container's subscribers.
fn pump(
    mut pipe: impl tokio::io::AsyncRead + Unpin + Send + 'static,
    kind: ProcessIoStream,
    nested: &Arc<Nested>,
) -> tokio::task::JoinHandle<()> {
    let n = Arc::clone(nested);
    tokio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match pipe.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(len) => {
                    // No subscriber is not an error: the output of an unattached session is lost,
                    // as with the switchboard.
                    let _ = n.output.send(Output::Data(
                        kind.clone(),
                        Bytes::copy_from_slice(&buf[..len]),
                    ));
                }
            }
        }
    })
}

/// The parent's process, watched so that a nested container dies with its parent.
enum ParentWatch {
    /// Readable once the parent's process has exited.
    Process(tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>),
    /// The parent has no process of its own (a task group's executor).
    Never,
    /// The parent ended before the watch began.
    Gone,
}

impl ParentWatch {
    fn open(pid: Option<u32>, agent: &Agent, parent: &ContainerPath) -> ParentWatch {
        let Some(pid) = pid else {
            return ParentWatch::Never;
        };
        // SAFETY: pidfd_open returns a new descriptor or -1; nothing else is touched.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
        if fd < 0 {
            return ParentWatch::Gone;
        }
        // SAFETY: a fresh descriptor nothing else owns.
        let owned: std::os::fd::OwnedFd = unsafe { std::os::fd::FromRawFd::from_raw_fd(fd as i32) };
        // SAFETY: the AsyncFd takes the OwnedFd, which keeps the descriptor open and the same
        // until it is dropped.
        let Ok(fd) = (unsafe { tokio::io::unix::AsyncFd::register(owned) }) else {
            return ParentWatch::Never;
        };
        // Opened after the parent may have ended and its pid been reused: check it still runs.
        if agent.running_container(parent).is_none() {
            return ParentWatch::Gone;
        }
        ParentWatch::Process(fd)
    }

    async fn ended(&self) {
        match self {
            ParentWatch::Process(fd) => {
                let _ = fd.readable().await;
            }
            ParentWatch::Never => std::future::pending().await,
            ParentWatch::Gone => {}
        }
    }
}

/// Waits for the container's process, relaying signals, and destroys the rest of its process
/// group once it ends (or its parent does); publishes the wait status.
async fn supervise(
    mut child: tokio::process::Child,
    groups: ProcessGroups,
    mut signals: mpsc::UnboundedReceiver<i32>,
    parent: ParentWatch,
    ended: watch::Sender<Option<i32>>,
) {
    let pgid = child.id().unwrap_or(0) as i32;
    let mut orphaned = false;
    let status = loop {
        tokio::select! {
            status = child.wait() => break status,
            Some(sig) = signals.recv() => process::signal_group(pgid, sig),
            _ = parent.ended(), if !orphaned => {
                orphaned = true;
                process::signal_group(pgid, libc::SIGKILL);
            }
        }
    };
    process::signal_group(pgid, libc::SIGKILL);
    groups.forget(pgid);
    let raw = status.map(|s| s.into_raw()).unwrap_or(libc::SIGKILL);
    let _ = ended.send(Some(raw));
}

/// The environment of a nested container: a session gets its parent's, as the DEBUG class
/// inherits it (the one the agent started it with, else read from the parent's process); any
/// other the agent's with its own sandbox; then the command's own variables.
fn environment(req: &NestedLaunch, parent: &Parent, sandbox: &Path) -> Vec<(String, String)> {
    let inherited = req
        .session
        .then(|| (parent.env.clone()).or_else(|| parent.pid.and_then(process_environment)))
        .flatten();
    let env = inherited.unwrap_or_else(|| {
        let dir = if req.session { &parent.cwd } else { sandbox };
        let sandbox_var = vec![("MESOS_SANDBOX".into(), dir.display().to_string())];
        process::overlay(std::env::vars().collect(), sandbox_var)
    });
    process::overlay(env, process::command_variables(&req.command, &[]))
}

/// The environment of process `pid` (`/proc/<pid>/environ`).
fn process_environment(pid: u32) -> Option<Vec<(String, String)>> {
    let raw = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    // Empty while the process is between two programs (`exec`): no environment to inherit.
    if raw.is_empty() {
        return None;
    }
    Some(
        raw.split(|b| *b == 0)
            .filter_map(|kv| {
                let kv = String::from_utf8_lossy(kv);
                let (k, v) = kv.split_once('=')?;
                Some((k.to_string(), v.to_string()))
            })
            .collect(),
    )
}

/// The process of a CommandInfo: in its own process group, dying with the embedded Mesos.
fn command(info: &CommandInfo, cwd: &Path, env: Vec<(String, String)>) -> tokio::process::Command {
    let (program, argv0, args) = process::argv(info);
    let mut std_cmd = std::process::Command::new(program);
    std_cmd.arg0(argv0).args(args);
    std_cmd.current_dir(cwd).env_clear().envs(env);
    std_cmd.process_group(0);
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        std_cmd.pre_exec(|| {
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
    tokio::process::Command::from(std_cmd)
}
