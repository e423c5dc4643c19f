//! Which framework this user last ran on each master, by framework name, so that `%subscribe`
//! after a kernel restart resumes that framework (and its tasks) instead of registering a new
//! one. Kept in a small JSON file beside the embedded Mesos's record; keyed by master id, so
//! a new embedded Mesos (a new master id) never inherits a stale id.

use super::local::state_dir;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// master id → framework name → framework id.
type Memory = BTreeMap<String, BTreeMap<String, String>>;

fn file() -> PathBuf {
    state_dir().join("frameworks.json")
}

fn load() -> Memory {
    std::fs::read(file())
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn save(m: &Memory) {
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(state_dir())?;
        let tmp = file().with_extension("json.tmp");
        std::fs::write(
            &tmp,
            serde_json::to_vec_pretty(m).map_err(std::io::Error::other)?,
        )?;
        // Renamed into place, so two kernels writing at once never leave half a file.
        std::fs::rename(tmp, file())
    };
    if let Err(e) = write() {
        tracing::warn!(error = %e, "cannot remember the framework id");
    }
}

/// The framework id last used on `master_id` under `name`.
pub fn remembered(master_id: &str, name: &str) -> Option<String> {
    load().get(master_id)?.get(name).cloned()
}

/// Remembers `framework_id` for `master_id` and `name`.
pub fn remember(master_id: &str, name: &str, framework_id: &str) {
    let mut m = load();
    m.entry(master_id.to_owned())
        .or_default()
        .insert(name.to_owned(), framework_id.to_owned());
    save(&m);
}

/// Forgets a framework (torn down, or gone from the master).
pub fn forget(framework_id: &str) {
    let mut m = load();
    for names in m.values_mut() {
        names.retain(|_, id| id != framework_id);
    }
    m.retain(|_, names| !names.is_empty());
    save(&m);
}
