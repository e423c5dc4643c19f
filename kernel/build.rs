//! Records the rustc version for kernel_info, so answering it never spawns a process; and
//! embeds the sources of the crate Rust cells build against (mesos-lib), so an installed kernel
//! needs no checkout (`src/interpreter/rust/cell_crate.rs` writes them out when needed).

use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.split_whitespace().nth(1).map(str::to_owned))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=MESOS_KERNEL_RUSTC_VERSION={version}");
    println!("cargo:rerun-if-changed=build.rs");
    embed_cell_crate();
}

/// Writes `$OUT_DIR/cell_crate_files.rs`: `FILES` (relative path, bytes) and `ID` (a hash of
/// them). The layout is a workspace holding only mesos-lib: its manifest inherits from the
/// workspace (`version.workspace = true`…), so the root manifest comes along, cut down to the
/// `[workspace.package]` and `[workspace.dependencies]` tables it inherits from.
fn embed_cell_crate() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    let root = manifest_dir.join("..");
    let lib = root.join("mesos-lib");
    let root_manifest = root.join("Cargo.toml");
    println!("cargo:rerun-if-changed={}", root_manifest.display());
    let workspace = std::fs::read_to_string(&root_manifest).expect("the workspace Cargo.toml");
    let wrapper = out.join("cell-crate-workspace.toml");
    std::fs::write(&wrapper, cell_workspace(&workspace)).expect("write to OUT_DIR");

    let mut files = Vec::new();
    collect(&lib, &lib, &mut files);
    let mut files: Vec<_> = files
        .into_iter()
        .map(|(rel, path)| (format!("mesos-lib/{rel}"), path))
        .collect();
    files.push(("Cargo.toml".to_owned(), wrapper));
    files.sort();
    let mut hasher = std::hash::DefaultHasher::new();
    let mut code = String::from("/// The cell crate's files: (path in its workspace, bytes).\n");
    code.push_str("pub const FILES: &[(&str, &[u8])] = &[\n");
    for (rel, path) in &files {
        rel.hash(&mut hasher);
        std::fs::read(path)
            .expect("readable source")
            .hash(&mut hasher);
        writeln!(
            code,
            "    ({rel:?}, include_bytes!({:?})),",
            path.display().to_string()
        )
        .expect("string write");
    }
    code.push_str("];\n");
    writeln!(
        code,
        "/// A hash of `FILES`, naming the directory they are written to.\npub const ID: &str = \"{:016x}\";",
        hasher.finish()
    )
    .expect("string write");
    std::fs::write(out.join("cell_crate_files.rs"), code).expect("write to OUT_DIR");
}

/// The root manifest reduced to a workspace of mesos-lib alone.
fn cell_workspace(root: &str) -> String {
    let mut text = String::from(
        "# The workspace mesos-lib inherits from, as embedded in mesos-kernel.\n[workspace]\nresolver = \"3\"\nmembers = [\"mesos-lib\"]\n",
    );
    let mut keep = false;
    for line in root.lines() {
        let header = line.trim_start();
        if header.starts_with('[') {
            keep = header.starts_with("[workspace.package]")
                || header.starts_with("[workspace.dependencies]");
            if keep {
                text.push('\n');
            }
        }
        if keep {
            text.push_str(line);
            text.push('\n');
        }
    }
    text
}

/// Every file under `dir` except build output, the fuzzing crate and any nested package
/// (a directory with its own Cargo.toml is another crate, not part of mesos-lib).
fn collect(base: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("mesos-lib's directory")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if path.is_dir() {
            let skipped = name == "target" || name == "fuzz" || name.starts_with('.');
            if !skipped && !path.join("Cargo.toml").exists() {
                collect(base, &path, files);
            }
        } else if path.is_file() {
            println!("cargo:rerun-if-changed={}", path.display());
            let rel = path
                .strip_prefix(base)
                .expect("under base")
                .to_string_lossy()
                .into_owned();
            files.push((rel, path));
        }
    }
}
