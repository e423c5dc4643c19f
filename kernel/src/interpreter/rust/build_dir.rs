//! A build directory for evcxr that outlives the kernel process, so the `mesos-lib` crate Rust
//! cells use is compiled once and reused by later kernels (a restart included), not rebuilt
//! from nothing on every start.
//!
//! evcxr keeps its crate and `target/` in `EVCXR_TMPDIR` when that is set (else a temporary
//! directory deleted on exit). Two kernels must not share one, as each rewrites its sources:
//! a kernel takes the first of a few slots it can lock (flock, released when the process
//! ends), and cargo's own freshness checks decide what a slot must rebuild.

use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
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

/// A finished build of the crates Rust cells use (mesos-lib and its dependencies), kept once per
/// machine beside the slots: a slot that has no build yet starts from a copy of it, so a second
/// kernel running at the same time, or a new slot, does not compile mesos-lib again. Cargo's own
/// freshness checks still decide what is rebuilt; a copy only saves work.
#[derive(Debug, Clone)]
pub struct Seed {
    dir: PathBuf,
}

/// What a slot's build is made of, copied to and from the seed (`src/` is rewritten per cell).
const BUILD_PARTS: [&str; 3] = ["Cargo.toml", "Cargo.lock", "target"];

/// The file in a slot naming the seed its build is of.
const SEED_MARKER: &str = ".seed";

impl Seed {
    /// The seed for a session started with these evcxr commands (`:dep` lines), or `None`
    /// without a cache directory. Each distinct start-up (e.g. another mesos-lib source) has its own.
    pub fn for_startup(startup: &[String]) -> Option<Seed> {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(startup.join("\n").as_bytes());
        let key = hex::encode(&digest[..8]);
        Some(Seed {
            dir: cache_dir()?.join("evcxr").join(format!("seed-{key}")),
        })
    }

    /// Where the seed is.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Whether a seed has been published.
    pub fn exists(&self) -> bool {
        self.dir.join("target").is_dir()
    }

    /// The seed's name (`seed-<key>`), which a slot records to say which build it holds.
    fn name(&self) -> &str {
        self.dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
    }

    /// Copies the seed into `slot` unless the slot holds a build of this seed already: a slot
    /// that never built, or built another start-up (mesos-lib's sources changed with an
    /// upgrade, so cargo would rebuild it there, in every slot), starts from the seed.
    pub fn sow(&self, slot: &Path) {
        let built = slot.join("target").exists();
        if !self.exists() || (built && self.is_in(slot)) {
            return;
        }
        let started = std::time::Instant::now();
        if built {
            for part in BUILD_PARTS {
                let _ = std::fs::remove_dir_all(slot.join(part));
                let _ = std::fs::remove_file(slot.join(part));
            }
        }
        match copy_parts(&self.dir, slot) {
            Ok(()) => {
                self.mark(slot);
                tracing::info!(
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    seed = %self.dir.display(),
                    replaced_another_build = built,
                    "build directory started from the shared build"
                );
            }
            Err(e) => {
                // Cargo rebuilds whatever the partial copy lacks.
                tracing::warn!(error = %e, "could not copy the shared build; building from scratch");
            }
        }
    }

    /// Whether `slot` holds a build of this seed (its marker names it).
    fn is_in(&self, slot: &Path) -> bool {
        std::fs::read_to_string(slot.join(SEED_MARKER)).is_ok_and(|n| n.trim() == self.name())
    }

    /// Records in `slot` that its build is this seed's.
    fn mark(&self, slot: &Path) {
        if let Err(e) = std::fs::write(slot.join(SEED_MARKER), self.name()) {
            tracing::debug!(error = %e, "could not mark the build directory's seed");
        }
    }

    /// Makes `slot`'s build the seed, unless there is one already (written whole, then renamed,
    /// so no kernel ever copies half a seed).
    pub fn publish(&self, slot: &Path) {
        if !slot.join("target").is_dir() {
            return;
        }
        // The slot's build is this start-up's now, whoever publishes.
        self.mark(slot);
        if self.dir.exists() {
            self.prune_others();
            return;
        }
        let Some(parent) = self.dir.parent() else {
            return;
        };
        let partial = parent.join(format!(".seed-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&partial);
        let result = std::fs::create_dir_all(&partial)
            .and_then(|()| copy_parts(slot, &partial))
            .and_then(|()| std::fs::rename(&partial, &self.dir));
        match result {
            Ok(()) => {
                tracing::info!(seed = %self.dir.display(), "shared build published");
                self.prune_others();
            }
            Err(e) => {
                let _ = std::fs::remove_dir_all(&partial);
                // Another kernel published first, or the disk is full: nothing is lost either way.
                tracing::debug!(error = %e, "shared build not published");
            }
        }
    }

    /// Removes the shared builds of other start-ups (older mesos-lib sources: each is over a
    /// gigabyte, and every upgrade left one behind) and the half-written seeds of processes
    /// that died publishing. A slot keeps its own copy, so no slot loses its build; only a kernel
    /// of another version sharing the cache has its seed to build again.
    fn prune_others(&self) {
        let (Some(parent), Some(own)) = (self.dir.parent(), self.dir.file_name()) else {
            return;
        };
        let Ok(entries) = std::fs::read_dir(parent) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(text) = name.to_str() else { continue };
            let stale = if let Some(pid) = text.strip_prefix(".seed-") {
                pid.parse::<u32>()
                    .is_ok_and(|pid| !Path::new(&format!("/proc/{pid}")).exists())
            } else {
                text.starts_with("seed-") && name != own
            };
            if stale {
                match std::fs::remove_dir_all(entry.path()) {
                    Ok(()) => {
                        tracing::info!(seed = text, "removed another start-up's shared build")
                    }
                    Err(e) => {
                        tracing::debug!(seed = text, error = %e, "could not remove a stale shared build")
                    }
                }
            }
        }
    }
}

/// Copies the build parts of one crate directory into another (`cp -a`: links, modes and times
/// kept, so cargo sees the same build it left).
fn copy_parts(from: &Path, to: &Path) -> std::io::Result<()> {
    for part in BUILD_PARTS {
        let src = from.join(part);
        if !src.exists() {
            continue;
        }
        let status = std::process::Command::new("cp")
            .arg("-a")
            .arg(&src)
            .arg(to)
            .status()?;
        if !status.success() {
            return Err(std::io::Error::other(format!(
                "cp -a {} {} failed ({status})",
                src.display(),
                to.display()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn a_slot_holding_another_build_starts_again_from_the_seed() {
        let root = std::env::temp_dir().join(format!("seed-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let seed = Seed {
            dir: root.join("seed-new"),
        };
        write(&seed.dir.join("target/lib-new"), "new");
        write(&seed.dir.join("Cargo.toml"), "new");
        let slot = root.join("slot-0");
        // Built before, from another start-up: replaced by the seed, and marked.
        write(&slot.join("target/lib-old"), "old");
        write(&slot.join(SEED_MARKER), "seed-old");
        seed.sow(&slot);
        assert!(slot.join("target/lib-new").exists());
        assert!(!slot.join("target/lib-old").exists());
        assert!(seed.is_in(&slot));
        // Holding this seed's build: left alone (what cargo built there since is kept).
        write(&slot.join("target/lib-more"), "more");
        seed.sow(&slot);
        assert!(slot.join("target/lib-more").exists());
        // Never built (its directory made by `claim`): sown.
        let fresh = root.join("slot-1");
        std::fs::create_dir_all(&fresh).unwrap();
        seed.sow(&fresh);
        assert!(fresh.join("target/lib-new").exists() && seed.is_in(&fresh));
        // A slot that built the start-up itself is marked when it publishes.
        let other = Seed {
            dir: root.join("seed-other"),
        };
        let builder = root.join("slot-2");
        write(&builder.join("target/lib-other"), "other");
        // Publishing removes the other start-up's seed and a dead process's half-written one,
        // and leaves the slots alone.
        let dead = root.join(format!(".seed-{}", u32::MAX));
        write(&dead.join("target/partial"), "partial");
        other.publish(&builder);
        assert!(other.is_in(&builder) && other.exists());
        assert!(!seed.exists() && !seed.dir.exists());
        assert!(!dead.exists());
        assert!(slot.join("target/lib-more").exists() && fresh.join("target/lib-new").exists());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
