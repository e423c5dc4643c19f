//! Persistent volumes on the agent's disk, as a real agent keeps them: the directory
//! `<work_dir>/volumes/roles/<role>/<persistence id>` (a `/` of a hierarchical role written
//! as a space, `paths::getPersistentVolumePath`) is made when a volume enters the agent's
//! checkpointed resources and removed when it leaves (`Slave::syncCheckpointedResources`).
//! A task using a volume sees it in its sandbox at its container path through a symlink, as
//! the posix filesystem isolator makes it (no filesystem isolation here).

use std::path::{Path, PathBuf};

use crate::resource_views as rv;
use mesos_lib::resources::Resources;
use mesos_lib::v1::resources::Resource;

/// Where the volume `r` lives, if it is one.
pub(crate) fn path(work_dir: &Path, r: &Resource) -> Option<PathBuf> {
    let id = rv::persistence_id(r)?;
    let role = r.reservation_role()?.replace('/', " ");
    Some(work_dir.join("volumes").join("roles").join(role).join(id))
}

/// Makes the directories of the volumes new in `after` and removes those gone from it.
pub(crate) fn sync(work_dir: &Path, before: &Resources, after: &Resources) {
    let dirs =
        |r: &Resources| -> Vec<PathBuf> { r.iter().filter_map(|x| path(work_dir, x)).collect() };
    let (old, new) = (dirs(before), dirs(after));
    for dir in new.iter().filter(|d| !old.contains(d)) {
        match std::fs::create_dir_all(dir) {
            Ok(()) => tracing::info!(path = %dir.display(), "created persistent volume"),
            Err(e) => {
                tracing::error!(path = %dir.display(), "failed to create persistent volume: {e}")
            }
        }
    }
    for dir in old.iter().filter(|d| !new.contains(d)) {
        match std::fs::remove_dir_all(dir) {
            Ok(()) => tracing::info!(path = %dir.display(), "removed persistent volume"),
            Err(e) => {
                tracing::error!(path = %dir.display(), "failed to remove persistent volume: {e}")
            }
        }
    }
}

/// Links each volume among `resources` into `sandbox` at its container path
/// (`PosixFilesystemIsolatorProcess::update`): a path with a slash is skipped with a
/// warning, as that isolator skips it.
pub(crate) fn link_into(work_dir: &Path, sandbox: &Path, resources: &Resources) {
    for r in resources.iter() {
        let (Some(original), Some(container_path)) = (
            path(work_dir, r),
            r.disk
                .as_ref()
                .and_then(|d| d.volume.as_ref())
                .map(|v| v.container_path.as_str()),
        ) else {
            continue;
        };
        if container_path.contains('/') || container_path.is_empty() {
            tracing::warn!(
                "Skipping updating symlink for persistent volume {} because the container path '{container_path}' contains slash",
                rv::resource_text(r, None)
            );
            continue;
        }
        let link = sandbox.join(container_path);
        if let Err(e) = std::os::unix::fs::symlink(&original, &link) {
            tracing::error!(
                "Failed to symlink persistent volume from '{}' to '{}': {e}",
                original.display(),
                link.display()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn volumes_come_and_go_with_the_checkpointed_resources() {
        let base = std::env::temp_dir().join(format!("volumes-test-{}", std::process::id()));
        let vol = rv::from_typed(&[serde_json::from_value(json!({"name": "disk",
            "type": "SCALAR", "scalar": {"value": 32.0},
            "reservations": [{"type": "DYNAMIC", "role": "eng/web"}],
            "disk": {"persistence": {"id": "v1"}, "volume": {"container_path": "data", "mode": "RW"}}}))
        .unwrap()]);
        let dir = base.join("volumes/roles/eng web/v1");
        sync(&base, &Resources::new(), &vol);
        assert!(dir.is_dir());
        let sandbox = base.join("sandbox");
        std::fs::create_dir_all(&sandbox).unwrap();
        link_into(&base, &sandbox, &vol);
        std::fs::write(sandbox.join("data/f"), "x").unwrap();
        assert_eq!(std::fs::read_to_string(dir.join("f")).unwrap(), "x");
        sync(&base, &vol, &Resources::new());
        assert!(!dir.exists());
        std::fs::remove_dir_all(&base).unwrap();
    }
}
