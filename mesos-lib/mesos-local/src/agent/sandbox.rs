//! Sandbox directories, laid out as a real agent lays them out under its work dir:
//! `slaves/<aid>/frameworks/<fid>/executors/<eid>/runs/<cid>` plus a `latest` symlink.

use std::path::{Component, Path, PathBuf};

/// The run directory of one executor container.
pub(crate) fn run_dir(
    work_dir: &Path,
    agent: &str,
    framework: &str,
    executor: &str,
    container: &str,
) -> PathBuf {
    executor_dir(work_dir, agent, framework, executor)
        .join("runs")
        .join(container)
}

fn executor_dir(work_dir: &Path, agent: &str, framework: &str, executor: &str) -> PathBuf {
    work_dir
        .join("slaves")
        .join(agent)
        .join("frameworks")
        .join(framework)
        .join("executors")
        .join(executor)
}

/// Creates the run directory, empty `stdout` and `stderr` if `logs`, and points `runs/latest`
/// at it.
pub(crate) fn create(dir: &Path, logs: bool) -> std::io::Result<()> {
    let runs = dir.parent();
    // A new executor is the common case: three mkdirs from its directory down, where
    // `create_dir_all` would first fail on the run directory and each parent in turn.
    let fresh = runs
        .and_then(Path::parent)
        .is_some_and(|executor| std::fs::create_dir(executor).is_ok());
    match runs {
        Some(runs) if fresh => std::fs::create_dir(runs)?,
        Some(runs) => std::fs::create_dir_all(runs)?,
        None => {}
    }
    match std::fs::create_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        r => r?,
    }
    if logs {
        std::fs::File::create(dir.join("stdout"))?;
        std::fs::File::create(dir.join("stderr"))?;
    }
    if let (Some(runs), Some(name)) = (dir.parent(), dir.file_name()) {
        let latest = runs.join("latest");
        if !fresh {
            let _ = std::fs::remove_file(&latest);
        }
        std::os::unix::fs::symlink(name, latest)?;
    }
    Ok(())
}

/// Creates the sandbox of a task in a task group as the default executor's nested container
/// gets it: `<executor sandbox>/containers/<container>/` with `stdout` and `stderr`, and
/// `<executor sandbox>/tasks/<task>` a symlink to it.
pub(crate) fn create_task(
    executor_dir: &Path,
    container: &str,
    task: &str,
) -> std::io::Result<PathBuf> {
    let dir = executor_dir.join("containers").join(container);
    std::fs::create_dir_all(&dir)?;
    std::fs::File::create(dir.join("stdout"))?;
    std::fs::File::create(dir.join("stderr"))?;
    let tasks = executor_dir.join("tasks");
    std::fs::create_dir_all(&tasks)?;
    std::os::unix::fs::symlink(&dir, tasks.join(task))?;
    Ok(dir)
}

/// The virtual path the files API attaches a sandbox under.
pub(crate) fn virtual_path(framework: &str, executor: &str, run: &str) -> String {
    format!("/frameworks/{framework}/executors/{executor}/runs/{run}")
}

/// Resolves `rest` (the part of a virtual path below an attached sandbox) to a real path that
/// stays inside `root`: no `..`, no absolute parts, and no symlink leading out.
pub(crate) fn resolve_inside(root: &Path, rest: &str) -> Option<PathBuf> {
    let rel = Path::new(rest.trim_start_matches('/'));
    if rel
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return None;
    }
    let root = std::fs::canonicalize(root).ok()?;
    let real = std::fs::canonicalize(root.join(rel)).ok()?;
    real.starts_with(&root).then_some(real)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_escapes() {
        let base = std::env::temp_dir().join(format!("sandbox-test-{}", std::process::id()));
        let dir = run_dir(&base, "a", "f", "e", "c");
        create(&dir, true).unwrap();
        assert!(resolve_inside(&dir, "stdout").is_some());
        assert!(resolve_inside(&dir, "").is_some());
        assert!(resolve_inside(&dir, "../../../../../../etc/passwd").is_none());
        std::os::unix::fs::symlink("/etc", dir.join("out")).unwrap();
        assert!(resolve_inside(&dir, "out/passwd").is_none());
        assert!(dir.parent().unwrap().join("latest").join("stdout").exists());
        std::fs::remove_dir_all(&base).unwrap();
    }
}
