//! `usage_request` on control: the kernel's CPU and memory (with its child processes, e.g.
//! the evcxr child) and the host's, with the fields ipykernel's `usage_reply` has, read from
//! `/proc` so JupyterLab's resource indicators work.

use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Instant;

/// CPU counters at one moment, to turn the next reading into a percentage (as psutil's
/// `cpu_percent()` compares with its previous call).
struct Sample {
    at: Instant,
    /// Ticks the kernel process tree has used, by pid.
    process_ticks: HashMap<u32, u64>,
    /// Host (busy, total) ticks.
    host: (u64, u64),
}

/// Answers usage requests; keeps the previous sample.
pub struct Usage {
    last: Mutex<Sample>,
}

impl Default for Usage {
    fn default() -> Self {
        Self {
            last: Mutex::new(sample()),
        }
    }
}

impl Usage {
    /// The `usage_reply` content.
    pub fn reply(&self) -> Value {
        let now = sample();
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let wall = now.at.duration_since(last.at).as_secs_f64();
        let tick = clock_ticks() as f64;
        let used: u64 = now
            .process_ticks
            .iter()
            .map(|(pid, t)| t.saturating_sub(*last.process_ticks.get(pid).unwrap_or(&0)))
            .sum();
        let kernel_cpu = if wall > 0.0 {
            round1(100.0 * used as f64 / tick / wall)
        } else {
            0.0
        };
        let (busy, total) = (
            now.host.0.saturating_sub(last.host.0),
            now.host.1.saturating_sub(last.host.1),
        );
        let kernel_memory: u64 = now.process_ticks.keys().map(|p| rss_bytes(*p)).sum();
        let mut content = json!({
            "hostname": hostname(),
            "pid": std::process::id(),
            "kernel_cpu": kernel_cpu,
            "kernel_memory": kernel_memory,
            "cpu_count": cpu_count(),
            "host_virtual_memory": host_memory(),
        });
        if total > 0 && busy > 0 {
            // psutil leaves a meaningless 0.0 out; so do we.
            content["host_cpu_percent"] = json!(round1(100.0 * busy as f64 / total as f64));
        }
        *last = now;
        content
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn sample() -> Sample {
    let me = std::process::id();
    let tree = process_tree(me);
    Sample {
        at: Instant::now(),
        process_ticks: tree.into_iter().map(|p| (p, process_ticks(p))).collect(),
        host: host_ticks(),
    }
}

/// `pid` and all its descendants.
fn process_tree(pid: u32) -> BTreeSet<u32> {
    let mut parents: HashMap<u32, Vec<u32>> = HashMap::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Some(child) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
                continue;
            };
            if let Some(ppid) = stat_fields(child).and_then(|f| f.get(1)?.parse().ok()) {
                parents.entry(ppid).or_default().push(child);
            }
        }
    }
    let mut tree = BTreeSet::from([pid]);
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        for c in parents.get(&p).into_iter().flatten() {
            if tree.insert(*c) {
                todo.push(*c);
            }
        }
    }
    tree
}

/// The fields of `/proc/PID/stat` after the command name (state is index 0, ppid 1).
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: split after its last ')'.
    let rest = &text[text.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

/// User plus system ticks of one process (utime, stime: fields 14 and 15 of stat).
fn process_ticks(pid: u32) -> u64 {
    stat_fields(pid)
        .map(|f| {
            let get = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            get(11) + get(12)
        })
        .unwrap_or(0)
}

fn rss_bytes(pid: u32) -> u64 {
    let pages = std::fs::read_to_string(format!("/proc/{pid}/statm"))
        .ok()
        .and_then(|t| t.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0);
    pages * page_size()
}

/// Host (busy, total) ticks from the first line of `/proc/stat`.
fn host_ticks() -> (u64, u64) {
    let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = text.lines().next() else {
        return (0, 0);
    };
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let total: u64 = v.iter().sum();
    // idle and iowait are fields 3 and 4.
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    (total.saturating_sub(idle), total)
}

/// Host memory in bytes, with psutil's `virtual_memory()` main keys.
fn host_memory() -> Value {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let kb = |key: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0)
            * 1024
    };
    let (total, available, free) = (kb("MemTotal"), kb("MemAvailable"), kb("MemFree"));
    let used = total.saturating_sub(available);
    let percent = if total > 0 {
        round1(100.0 * used as f64 / total as f64)
    } else {
        0.0
    };
    json!({
        "total": total, "available": available, "percent": percent, "used": used,
        "free": free, "buffers": kb("Buffers"), "cached": kb("Cached"), "shared": kb("Shmem"),
    })
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default()
}

fn clock_ticks() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as u64 } else { 100 }
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 { p as u64 } else { 4096 }
}

fn cpu_count() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    if n > 0 { n as u64 } else { 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_counts_this_process_and_the_host() {
        let u = Usage::default();
        // Burn a little CPU so the kernel's share is measurable.
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_add(i ^ (x >> 3));
        }
        assert_ne!(x, 1);
        let r = u.reply();
        assert_eq!(r["pid"], std::process::id());
        assert!(r["kernel_memory"].as_u64().unwrap() > 1_000_000);
        assert!(r["cpu_count"].as_u64().unwrap() >= 1);
        let mem = &r["host_virtual_memory"];
        assert!(mem["total"].as_u64().unwrap() >= mem["available"].as_u64().unwrap());
        assert!(r["kernel_cpu"].as_f64().unwrap() > 0.0);
    }
}
