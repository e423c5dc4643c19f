//! The crate every Rust session gets at start: `mesos-lib`'s light core (v1 types, RecordIO,
//! resources, builders) plus `mesos_lib::session`, the client of the kernel's live session.
//!
//! Its sources are found, in order: `$MESOS_KERNEL_LIB_DIR`; `share/mesos-kernel/mesos-lib`
//! beside the binary's `bin/` directory (where the wheel installs them); else the copy embedded
//! in this binary when it was built (see `build.rs`), written once under the cache directory.
//! The embedded copy is the same revision the kernel was built from, so the cell side of the
//! session always matches the kernel's, and a kernel from `cargo install` needs no checkout.

use std::path::{Path, PathBuf};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/cell_crate_files.rs"));
}

/// Where the installed sources are, relative to the `bin/` directory holding the binary.
const INSTALLED: &str = "../share/mesos-kernel/mesos-lib";

/// Why no source of `mesos-lib` could be found or written.
#[derive(Debug, thiserror::Error)]
#[error("no mesos-lib source for Rust cells; tried: {}", .tried.join("; "))]
pub struct NotFound {
    /// Each place looked at, and why it did not do.
    pub tried: Vec<String>,
}

/// Where `mesos-lib`'s source is (a directory holding its Cargo.toml), by the order above.
pub fn mesos_lib_dir() -> Result<PathBuf, NotFound> {
    let mut tried = Vec::new();
    if let Some(d) = std::env::var_os("MESOS_KERNEL_LIB_DIR") {
        let d = PathBuf::from(d);
        if is_crate(&d) {
            return Ok(d);
        }
        tried.push(format!(
            "$MESOS_KERNEL_LIB_DIR={} (no Cargo.toml)",
            d.display()
        ));
    }
    match std::env::current_exe().map(|exe| exe.with_file_name(INSTALLED)) {
        Ok(d) if is_crate(&d) => return Ok(d),
        Ok(d) => tried.push(format!("{} (not there)", d.display())),
        Err(e) => tried.push(format!("beside the binary ({e})")),
    }
    let root = super::build_dir::cache_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("cell-crate");
    match write_embedded(&root) {
        Ok(d) => Ok(d),
        Err(e) => {
            tried.push(format!(
                "the copy built into this kernel, written to {} ({e})",
                root.display()
            ));
            Err(NotFound { tried })
        }
    }
}

fn is_crate(dir: &Path) -> bool {
    dir.join("Cargo.toml").is_file()
}

/// Writes the embedded sources to `root/ID/` unless there already (written whole, then renamed,
/// so a kernel never sees half a copy); returns the mesos-lib directory in it.
pub fn write_embedded(root: &Path) -> std::io::Result<PathBuf> {
    let dir = root.join(embedded::ID);
    let lib = dir.join("mesos-lib");
    if is_crate(&lib) {
        return Ok(lib);
    }
    std::fs::create_dir_all(root)?;
    let partial = root.join(format!(".{}-{}", embedded::ID, std::process::id()));
    let _ = std::fs::remove_dir_all(&partial);
    for (rel, bytes) in embedded::FILES {
        let path = partial.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, bytes)?;
    }
    if let Err(e) = std::fs::rename(&partial, &dir) {
        let _ = std::fs::remove_dir_all(&partial);
        // Another kernel wrote it first: theirs is the same.
        if !is_crate(&lib) {
            return Err(e);
        }
    }
    Ok(lib)
}

/// The evcxr `:dep` line adding it, or `None` (with a warning) when no source is found.
pub fn dep_command() -> Option<String> {
    match mesos_lib_dir().and_then(|d| {
        d.canonicalize().map_err(|e| NotFound {
            tried: vec![format!("{} ({e})", d.display())],
        })
    }) {
        Ok(dir) => {
            // The path in the message (no field markup): tests read it from the log.
            tracing::info!("Rust cells build against mesos-lib in {}", dir.display());
            Some(dep_line(&dir.to_string_lossy()))
        }
        Err(e) => {
            tracing::warn!("{e}: Rust cells get no mesos_lib crate (set MESOS_KERNEL_LIB_DIR)");
            None
        }
    }
}

fn dep_line(path: &str) -> String {
    // Debug of a str is a valid TOML basic string (quotes and backslashes escaped).
    format!(
        ":dep mesos-lib = {{ path = {path:?}, default-features = false, features = [\"cell\"] }}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dep_line_is_light_and_quoted() {
        assert_eq!(
            dep_line("/a \"b\"/mesos-lib"),
            r#":dep mesos-lib = { path = "/a \"b\"/mesos-lib", default-features = false, features = ["cell"] }"#
        );
    }

    #[test]
    fn the_embedded_copy_is_a_workspace_of_mesos_lib_alone() {
        let root = std::env::temp_dir().join(format!("cell-crate-test-{}", std::process::id()));
        let lib = write_embedded(&root).unwrap();
        // Written once: a second call finds it.
        assert_eq!(write_embedded(&root).unwrap(), lib);
        let manifest = std::fs::read_to_string(lib.join("Cargo.toml")).unwrap();
        assert!(manifest.contains("name = \"mesos-lib\""), "{manifest}");
        assert!(lib.join("src/lib.rs").is_file() && lib.join("src/session").is_dir());
        let workspace = std::fs::read_to_string(lib.join("../Cargo.toml")).unwrap();
        assert!(
            workspace.contains("members = [\"mesos-lib\"]"),
            "{workspace}"
        );
        assert!(workspace.contains("[workspace.dependencies]") && workspace.contains("serde"));
        assert!(!workspace.contains("\"kernel\""), "{workspace}");
        // The same bytes as the checkout's.
        let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("../mesos-lib/src/lib.rs");
        assert_eq!(
            std::fs::read(lib.join("src/lib.rs")).unwrap(),
            std::fs::read(checkout).unwrap()
        );
        let _ = std::fs::remove_dir_all(root);
    }
}
