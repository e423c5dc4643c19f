//! Starts task processes from one thread that has its own, nearly empty, descriptor table,
//! and waits for them through pidfds.
//!
//! posix_spawn copies the caller's descriptor table and the exec then closes it again. At
//! 10,000 tasks the embedded Mesos holds about 11,000 descriptors (a pidfd per task, a
//! listener per agent), which every spawn paid for: a third of the cost of starting a
//! process. The spawner thread unshares its table (`unshare(CLONE_FILES)`) and closes its
//! copy of everything, so the files it opens for a task and the table a child copies stay
//! small whatever the rest of the process holds. This is the job Mesos gives its own
//! launcher helper.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::ExitStatus;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc as std_mpsc;
use std::time::Instant;

use tokio::io::unix::AsyncFd;
use tokio::sync::oneshot;

/// Builds the command of one task (opening its output files) on the spawner thread.
pub(crate) type Build = Box<dyn FnOnce() -> io::Result<std::process::Command> + Send>;

struct Request {
    build: Build,
    reply: Reply,
}

type Reply = oneshot::Sender<io::Result<u32>>;

/// Processes the spawner thread has started (or failed to), since the process started.
static SPAWNS: AtomicU64 = AtomicU64::new(0);
/// Nanoseconds the spawner thread spent building and spawning, as opposed to waiting for work.
static BUSY_NANOS: AtomicU64 = AtomicU64::new(0);

/// What the spawner thread has done so far: (spawns, seconds busy). A launch during which
/// busy time grows as fast as the clock was bound by spawning, not by what feeds the queue.
pub(crate) fn stats() -> (u64, f64) {
    (
        SPAWNS.load(Ordering::Relaxed),
        BUSY_NANOS.load(Ordering::Relaxed) as f64 / 1e9,
    )
}

/// The process-wide spawner thread's queue.
fn queue() -> &'static std_mpsc::Sender<Request> {
    static QUEUE: OnceLock<std_mpsc::Sender<Request>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let (tx, rx) = std_mpsc::channel::<Request>();
        let (done_tx, done_rx) = std_mpsc::channel::<(io::Result<u32>, Reply)>();
        // It lives as long as the process: a task's parent-death signal fires when the thread
        // that spawned it ends.
        std::thread::Builder::new()
            .name("task-spawner".into())
            .spawn(move || serve(rx, done_tx))
            .expect("spawner thread");
        // Answering wakes the runtime by writing to its descriptors, which are not in the
        // spawner's table: a second thread, sharing the process's table, answers instead.
        std::thread::Builder::new()
            .name("spawn-relay".into())
            .spawn(move || {
                for (spawned, reply) in done_rx {
                    let _ = reply.send(spawned);
                }
            })
            .expect("spawner relay thread");
        tx
    })
}

/// The spawner thread. Nothing here may use a descriptor of the rest of the process (waking
/// the runtime, logging to a file): the numbers mean other files, or nothing, in its table.
fn serve(rx: std_mpsc::Receiver<Request>, done: std_mpsc::Sender<(io::Result<u32>, Reply)>) {
    if let Err(e) = private_descriptor_table() {
        tracing::debug!("spawning tasks with the shared descriptor table: {e}");
    }
    for req in rx {
        // The clock is read through the vDSO: no descriptor involved.
        let started = Instant::now();
        let spawned = (req.build)().and_then(|mut cmd| cmd.spawn()).map(|child| {
            let pid = child.id();
            // The std handle owns no descriptor here (output goes to files), and dropping it
            // neither waits nor kills: the pidfd below takes over.
            drop(child);
            pid
        });
        SPAWNS.fetch_add(1, Ordering::Relaxed);
        BUSY_NANOS.fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        if let Err(std_mpsc::SendError((_, reply))) = done.send((spawned, req.reply)) {
            // Dropping a reply wakes its receiver: keep it rather than touch the runtime.
            std::mem::forget(reply);
        }
    }
}

/// Gives this thread its own copy of the descriptor table and closes everything in it but
/// stdin, stdout and stderr (the rest of the process keeps its descriptors).
fn private_descriptor_table() -> io::Result<()> {
    // SAFETY: unshare and close_range only change this thread's descriptor table.
    unsafe {
        if libc::unshare(libc::CLONE_FILES) != 0 {
            return Err(io::Error::last_os_error());
        }
        if libc::close_range(3, u32::MAX, 0) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// A started task process, reaped once it ends (or after a kill if dropped before).
pub(crate) struct TaskProcess {
    pid: u32,
    pidfd: Option<AsyncFd<OwnedFd>>,
}

impl TaskProcess {
    /// Builds and starts a process on the spawner thread.
    pub(crate) async fn spawn(build: Build) -> io::Result<TaskProcess> {
        let (reply, answer) = oneshot::channel();
        queue()
            .send(Request { build, reply })
            .map_err(|_| io::Error::other("task spawner thread is gone"))?;
        let pid = answer
            .await
            .map_err(|_| io::Error::other("task spawner thread is gone"))??;
        // Our own unreaped child: its pid cannot be reused before we wait for it.
        let pidfd = match pidfd_open(pid).and_then(register) {
            Ok(fd) => fd,
            Err(e) => {
                kill_and_reap(pid);
                return Err(e);
            }
        };
        Ok(TaskProcess {
            pid,
            pidfd: Some(pidfd),
        })
    }

    /// Its pid.
    pub(crate) fn id(&self) -> u32 {
        self.pid
    }

    /// Waits until it ends and reaps it.
    pub(crate) async fn wait(&mut self) -> io::Result<ExitStatus> {
        let Some(fd) = self.pidfd.as_ref() else {
            return Err(io::Error::other("already reaped"));
        };
        // A pidfd becomes readable once the process has exited.
        let _ready = fd.readable().await?;
        let status = reap(self.pid)?;
        self.pidfd = None;
        Ok(status)
    }
}

impl Drop for TaskProcess {
    fn drop(&mut self) {
        let Some(fd) = self.pidfd.take() else { return };
        let pid = self.pid;
        // SAFETY: kill(2) only sends a signal.
        unsafe {
            libc::kill(pid as i32, libc::SIGKILL);
        }
        // Reap in the background so no zombie is left; without a runtime, wait here (it was
        // just SIGKILLed).
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(async move {
                    let _ = fd.readable().await;
                    let _ = reap(pid);
                });
            }
            Err(_) => {
                let _ = reap(pid);
            }
        }
    }
}

fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    // SAFETY: pidfd_open returns a new descriptor or -1; nothing else is touched.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// `fd` watched by the runtime's reactor.
fn register(fd: OwnedFd) -> io::Result<AsyncFd<OwnedFd>> {
    // SAFETY: an OwnedFd keeps its descriptor open, and the same, until it is dropped, which
    // the AsyncFd that takes it does last.
    Ok(unsafe { AsyncFd::register(fd) }?)
}

/// waitpid(pid): the exit status of our child `pid`, which has ended or is about to.
fn reap(pid: u32) -> io::Result<ExitStatus> {
    use std::os::unix::process::ExitStatusExt;
    let mut status = 0;
    loop {
        // SAFETY: waitpid writes the status into our local.
        let r = unsafe { libc::waitpid(pid as libc::pid_t, &mut status, 0) };
        if r == pid as libc::pid_t {
            return Ok(ExitStatus::from_raw(status));
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

fn kill_and_reap(pid: u32) {
    // SAFETY: kill(2) only sends a signal.
    unsafe {
        libc::kill(pid as i32, libc::SIGKILL);
    }
    let _ = reap(pid);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn descriptors() -> usize {
        std::fs::read_dir("/proc/self/fd").unwrap().count()
    }

    /// Starts `sh -c script` through the spawner.
    async fn sh(script: &'static str) -> TaskProcess {
        TaskProcess::spawn(Box::new(move || {
            let mut c = std::process::Command::new("/bin/sh");
            c.args(["-c", script]);
            Ok(c)
        }))
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn spawns_from_a_small_descriptor_table_and_reaps() {
        // Descriptors the rest of the process holds must not reach the child.
        let held: Vec<std::fs::File> = (0..50)
            .map(|_| std::fs::File::open("/dev/null").unwrap())
            .collect();
        let before = descriptors();
        // Counts the child's own descriptors (the listing's own one included).
        let mut p = sh("n=$(ls /proc/self/fd | wc -l); exit $n").await;
        assert!(p.id() > 0);
        let status = p.wait().await.unwrap();
        let child_fds = status.code().unwrap();
        assert!(
            child_fds < 10,
            "the child saw {child_fds} descriptors while this process holds {before}"
        );
        drop(held);
        // Reaped: waiting again is refused.
        assert!(p.wait().await.is_err());
    }

    #[tokio::test]
    async fn a_build_error_is_the_spawn_error_and_exit_codes_come_back() {
        let err = TaskProcess::spawn(Box::new(|| Err(io::Error::other("no sandbox"))))
            .await
            .err()
            .unwrap();
        assert_eq!(err.to_string(), "no sandbox");
        let mut p = sh("exit 7").await;
        assert_eq!(p.wait().await.unwrap().code(), Some(7));
    }

    #[tokio::test]
    async fn dropping_a_running_process_kills_and_reaps_it() {
        let p = sh("exec sleep 600").await;
        let pid = p.id() as i32;
        drop(p);
        // The background reap ends when the process is gone: /proc/<pid> disappears.
        let gone = async {
            while std::path::Path::new(&format!("/proc/{pid}")).exists() {
                tokio::task::yield_now().await;
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(10), gone)
            .await
            .expect("killed and reaped");
    }
}
