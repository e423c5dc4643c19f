//! A build directory for evcxr that outlives the kernel process, so the `mesos-lib` crate Rust
//! cells use is compiled once and reused by later kernels (a restart included), not rebuilt
//! from nothing on every start.
//!
//! evcxr keeps its crate and `target/` in `EVCXR_TMPDIR` when that is set (else a temporary
//! directory deleted on exit). Two kernels must not share one, as each rewrites its sources:
//! a kernel takes the first of a few slots it can lock (flock, released when the process
//! ends), and cargo's own freshness checks decide what a slot must rebuild.

use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::sync::OnceLock;

/// How many kernels at once get a kept build directory; the rest use a temporary one.
const SLOTS: usize = 8;

/// The lock held for the life of the process.
static HELD: OnceLock<std::fs::File> = OnceLock::new();

/// `$MESOS_KERNEL_CACHE_DIR`, else `$XDG_CACHE_HOME/mesos-kernel`, else `~/.cache/mesos-kernel`.
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("MESOS_KERNEL_CACHE_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return Some(PathBuf::from(d).join("mesos-kernel"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/mesos-kernel"))
}

/// Locks a free slot and returns its directory, or `None` (all taken, or no cache dir).
pub fn claim() -> Option<PathBuf> {
    let root = cache_dir()?.join("evcxr");
    if let Err(e) = std::fs::create_dir_all(&root) {
        tracing::warn!(error = %e, dir = %root.display(), "no kept evcxr build directory");
        return None;
    }
    for slot in 0..SLOTS {
        let lock = root.join(format!("slot-{slot}.lock"));
        let Ok(file) = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock)
        else {
            continue;
        };
        // SAFETY: flock on a file descriptor this function owns; no memory is involved.
        let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
        if locked {
            let dir = root.join(format!("slot-{slot}"));
            if std::fs::create_dir_all(&dir).is_err() {
                continue;
            }
            let _ = HELD.set(file);
            return Some(dir);
        }
    }
    tracing::info!("every kept evcxr build directory is in use; using a temporary one");
    None
}

/// `LD_LIBRARY_PATH` for the evcxr child, leading with rustc's target libdir (where
/// `libstd-*.so` is). Cells are built with `-Cprefer-dynamic` and a RUNPATH relative to
/// `target/…/deps`, but evcxr loads the copy one directory up; from a kept directory under the
/// same parent as the toolchain (`~/.cache` and `~/.rustup`) that relative path misses by one
/// level and `dlopen` fails. (A temporary directory works only because extra `..` stop at `/`.)
pub fn child_library_path() -> Option<(String, String)> {
    let out = std::process::Command::new("rustc")
        .args(["--print", "target-libdir"])
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let dir = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    if dir.is_empty() {
        return None;
    }
    let value = match std::env::var("LD_LIBRARY_PATH") {
        Ok(old) if !old.is_empty() => format!("{dir}:{old}"),
        _ => dir,
    };
    Some(("LD_LIBRARY_PATH".to_owned(), value))
}
