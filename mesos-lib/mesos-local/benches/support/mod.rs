//! What the benchmarks share: a `mesos-local` child process and readings from /proc.
// Each benchmark compiles this module on its own and uses a part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// An environment variable parsed, or `default`.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Where a benchmark puts sandboxes: `$var` if set, else /dev/shm (a tmpfs) when there is
/// one, else the temp dir. On a disk, creating thousands of sandbox directories costs more
/// than the master's work (ext4's inode allocator), for a baseline and the agent alike.
pub fn work_base(var: &str) -> PathBuf {
    std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        let shm = PathBuf::from("/dev/shm");
        if shm.is_dir() {
            shm
        } else {
            std::env::temp_dir()
        }
    })
}

/// A `mesos-local` child process; stopped with SIGTERM (it then kills every task it started).
pub struct MesosLocal {
    child: Child,
    /// The URL it printed.
    pub url: String,
}

impl MesosLocal {
    /// Starts `mesos-local --port 0` with `args` and waits for the URL it prints.
    pub fn start(args: &[&str]) -> MesosLocal {
        // Cargo builds the binary for benchmarks; MESOS_LOCAL_BIN points at another build.
        let bin = std::env::var("MESOS_LOCAL_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from(env!("CARGO_BIN_EXE_mesos-local")));
        let mut child = Command::new(&bin)
            .args(["--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {} ({e})", bin.display()));
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut line)
            .expect("mesos-local prints its URL");
        MesosLocal {
            child,
            url: line.trim().to_string(),
        }
    }

    /// The master's own CPU time so far (not its tasks').
    pub fn cpu(&self) -> Duration {
        proc_cpu(&format!("/proc/{}/stat", self.child.id()))
    }

    /// CPU time so far of its threads named `name`, and of all the others.
    pub fn thread_cpu(&self, name: &str) -> (Duration, Duration) {
        let dir = format!("/proc/{}/task", self.child.id());
        let (mut named, mut rest) = (Duration::ZERO, Duration::ZERO);
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
            let cpu = proc_cpu(&path.join("stat").display().to_string());
            if comm.trim() == name {
                named += cpu;
            } else {
                rest += cpu;
            }
        }
        (named, rest)
    }

    /// Its `VmRSS` and `VmHWM`, in MB.
    pub fn memory_mb(&self) -> (f64, f64) {
        memory_mb(&format!("/proc/{}/status", self.child.id()))
    }

    /// SIGTERM, the orderly stop (tasks killed, sandboxes removed), and wait for it.
    pub fn stop(mut self) {
        // SAFETY: kill(2) only sends a signal.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let _ = self.child.wait();
    }
}

/// utime + stime of a process from its `stat` file (clock ticks of 10 ms on Linux).
pub fn proc_cpu(path: &str) -> Duration {
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse().ok())
        .collect();
    Duration::from_millis(10 * f.iter().sum::<u64>())
}

/// `VmRSS` and `VmHWM` from a `status` file, in MB.
pub fn memory_mb(path: &str) -> (f64, f64) {
    let status = std::fs::read_to_string(path).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}
