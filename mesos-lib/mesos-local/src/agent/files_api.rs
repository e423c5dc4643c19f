//! The agent's files API over virtual paths (`/frameworks/<fid>/executors/<eid>/runs/latest`):
//! `/files/debug`, `/files/browse`, `/files/read`. Only files inside a sandbox are served.

use std::collections::HashMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::{Agent, sandbox};
use crate::http::{bad_request, json_ok, plain};

/// Virtual path → sandbox directory, for every run the agent knows.
fn attachments(agent: &Agent) -> Vec<(String, PathBuf)> {
    let st = agent.state.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = Vec::new();
    for (fid, fw) in &st.frameworks {
        // A task group's tasks are reached through their executor's sandbox.
        let command_tasks = fw.executors.values().chain(fw.completed.iter());
        for run in command_tasks.filter(|r| r.parent_container.is_none() && !r.custom) {
            out.push((
                sandbox::virtual_path(fid, &run.executor_id, &run.container_id),
                run.directory.clone(),
            ));
            // `latest` follows the symlink the sandbox keeps.
            if let Some(runs) = run.directory.parent() {
                out.push((
                    sandbox::virtual_path(fid, &run.executor_id, "latest"),
                    runs.join("latest"),
                ));
            }
        }
    }
    for (fid, fw) in &st.frameworks {
        let groups = fw
            .groups
            .iter()
            .map(|(eid, g)| (eid.as_str(), &g.container_id, &g.directory));
        let custom = (fw.custom.values().chain(fw.custom_ended.iter()))
            .map(|e| (&*e.info.executor_id.value, &e.container_id, &e.directory));
        for (eid, cid, dir) in groups.chain(custom) {
            out.push((sandbox::virtual_path(fid, eid, cid), dir.clone()));
            if let Some(runs) = dir.parent() {
                out.push((
                    sandbox::virtual_path(fid, eid, "latest"),
                    runs.join("latest"),
                ));
            }
        }
    }
    out
}

/// Maps a virtual path to a real one inside an attached sandbox.
fn resolve(agent: &Agent, path: &str) -> Option<PathBuf> {
    let path = path.trim_end_matches('/');
    attachments(agent).into_iter().find_map(|(virt, root)| {
        let rest = if path == virt {
            ""
        } else {
            path.strip_prefix(&virt)?.strip_prefix('/')?
        };
        sandbox::resolve_inside(&root, rest)
    })
}

fn not_found() -> Response {
    plain(StatusCode::NOT_FOUND, "")
}

/// `GET /files/debug`: the attached virtual paths.
pub(crate) async fn debug(State(agent): State<std::sync::Arc<Agent>>) -> Response {
    let mut m = Map::new();
    for (virt, root) in attachments(&agent) {
        m.insert(virt, json!(root.display().to_string()));
    }
    json_ok(&Value::Object(m))
}

fn user_name(uid: u32) -> String {
    // SAFETY: getpwuid returns a pointer to static storage or null; only read at once.
    unsafe {
        let p = libc::getpwuid(uid);
        if p.is_null() || (*p).pw_name.is_null() {
            return uid.to_string();
        }
        std::ffi::CStr::from_ptr((*p).pw_name)
            .to_string_lossy()
            .into_owned()
    }
}

fn group_name(gid: u32) -> String {
    // SAFETY: getgrgid returns a pointer to static storage or null; only read at once.
    unsafe {
        let p = libc::getgrgid(gid);
        if p.is_null() || (*p).gr_name.is_null() {
            return gid.to_string();
        }
        std::ffi::CStr::from_ptr((*p).gr_name)
            .to_string_lossy()
            .into_owned()
    }
}

fn mode_string(meta: &std::fs::Metadata) -> String {
    let mode = meta.permissions().mode();
    let kind = if meta.is_dir() { 'd' } else { '-' };
    let bits = ['r', 'w', 'x'];
    let mut s = String::from(kind);
    for i in (0..9).rev() {
        s.push(if mode & (1 << i) != 0 {
            bits[(8 - i) % 3]
        } else {
            '-'
        });
    }
    s
}

fn entry(virt: &str, meta: &std::fs::Metadata) -> Value {
    json!({
        "gid": group_name(meta.gid()),
        "mode": mode_string(meta),
        "mtime": meta.mtime() as f64,
        "nlink": meta.nlink(),
        "path": virt,
        "size": meta.size(),
        "uid": user_name(meta.uid()),
    })
}

/// `GET /files/browse?path=…`: a directory listing sorted by path.
pub(crate) async fn browse(
    State(agent): State<std::sync::Arc<Agent>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(path) = q.get("path").filter(|p| !p.is_empty()) else {
        return bad_request("Expecting 'path=value' in query.\n");
    };
    let Some(items) = listing(&agent, path) else {
        return not_found();
    };
    let items: Vec<Value> = items.iter().map(|(virt, meta)| entry(virt, meta)).collect();
    json_ok(&Value::Array(items))
}

/// The entries of the directory at virtual `path`, sorted by virtual path; `None` when it is
/// not a directory the agent serves.
pub(crate) fn listing(agent: &Agent, path: &str) -> Option<Vec<(String, std::fs::Metadata)>> {
    let real = resolve(agent, path)?;
    let rd = std::fs::read_dir(&real).ok()?;
    let base = path.trim_end_matches('/');
    let mut items: Vec<(String, std::fs::Metadata)> = rd
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let virt = format!("{base}/{name}");
            // Symlinks are followed only when they stay in the sandbox.
            resolve(agent, &virt)?;
            let meta = std::fs::metadata(e.path()).ok()?;
            Some((virt, meta))
        })
        .collect();
    items.sort_by(|a, b| a.0.cmp(&b.0));
    Some(items)
}

/// A file's v1 `FileInfo` (operator LIST_FILES).
pub(crate) fn file_info(virt: &str, meta: &std::fs::Metadata) -> Value {
    json!({
        "path": virt,
        "nlink": meta.nlink(),
        "size": meta.size(),
        "mtime": {"nanoseconds": meta.mtime().saturating_mul(1_000_000_000)},
        "mode": meta.mode(),
        "uid": user_name(meta.uid()),
        "gid": group_name(meta.gid()),
    })
}

/// Up to `length` bytes (capped at 16 pages) of the file at virtual `path` from `offset`,
/// and the file's size; the error is the files API's answer (404, or 400 for a directory).
pub(crate) fn read_at(
    agent: &Agent,
    path: &str,
    offset: u64,
    length: Option<u64>,
) -> Result<(u64, Vec<u8>), Box<Response>> {
    let real = resolve(agent, path).ok_or_else(|| Box::new(not_found()))?;
    if real.is_dir() {
        return Err(Box::new(bad_request("Cannot read a directory.\n")));
    }
    let bytes = std::fs::read(&real).map_err(|_| Box::new(not_found()))?;
    let size = bytes.len() as u64;
    let start = offset.min(size) as usize;
    let max = length.unwrap_or(PAGE_CAP).min(PAGE_CAP) as usize;
    let end = (start + max).min(bytes.len());
    Ok((size, bytes[start..end].to_vec()))
}

/// The most a read returns: 16 pages.
const PAGE_CAP: u64 = 16 * 4096;

/// `GET /files/read?path=…&offset=…&length=…`: `{"data", "offset"}`; offset -1 gives the size.
pub(crate) async fn read(
    State(agent): State<std::sync::Arc<Agent>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(path) = q.get("path").filter(|p| !p.is_empty()) else {
        return bad_request("Expecting 'path=value' in query.\n");
    };
    let offset: i64 = match q.get("offset").map(|o| o.parse::<i64>()) {
        None => -1,
        Some(Ok(o)) => o,
        Some(Err(e)) => return bad_request(format!("Failed to parse offset: {e}.\n")),
    };
    let length: Option<usize> = match q.get("length").map(|l| l.parse::<i64>()) {
        None => None,
        Some(Ok(l)) if l >= 0 => Some(l as usize),
        Some(Ok(l)) => return bad_request(format!("Negative length provided: {l}.\n")),
        Some(Err(e)) => return bad_request(format!("Failed to parse length: {e}.\n")),
    };
    let Some(real) = resolve(&agent, path) else {
        return not_found();
    };
    read_file(&real, offset, length)
}

fn read_file(real: &Path, offset: i64, length: Option<usize>) -> Response {
    if real.is_dir() {
        return bad_request("Cannot read a directory.\n");
    }
    let Ok(bytes) = std::fs::read(real) else {
        return not_found();
    };
    let size = bytes.len() as i64;
    if offset < 0 {
        return json_ok(&json!({"data": "", "offset": size}));
    }
    let start = offset.min(size) as usize;
    let max = length.unwrap_or(16 * 4096).min(16 * 4096);
    let end = (start + max).min(bytes.len());
    let data = String::from_utf8_lossy(&bytes[start..end]).into_owned();
    json_ok(&json!({"data": data, "offset": offset}))
}
