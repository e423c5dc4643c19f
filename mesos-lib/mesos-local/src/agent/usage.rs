//! `ResourceStatistics` of a container as the posix/cpu and posix/mem isolators report them:
//! CPU times and resident memory summed over the container's process tree (read from /proc),
//! and the limits its resources set.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

/// CPU seconds (user, system) and resident bytes of one process, with its parent.
struct ProcStat {
    ppid: u32,
    user: f64,
    system: f64,
    rss: u64,
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf only reads a configuration value.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as f64 } else { 100.0 }
}

fn page_size() -> u64 {
    // SAFETY: sysconf only reads a configuration value.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 { p as u64 } else { 4096 }
}

/// `/proc/<pid>/stat`, parsed after the command name (which may hold spaces).
fn read_stat(pid: u32, tick: f64, page: u64) -> Option<ProcStat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // Fields from `state` (3rd in proc(5)): ppid 4th, utime 14th, stime 15th, rss 24th.
    let num = |i: usize| f.get(i - 3).and_then(|v| v.parse::<u64>().ok());
    Some(ProcStat {
        ppid: num(4)? as u32,
        user: num(14)? as f64 / tick,
        system: num(15)? as f64 / tick,
        rss: num(24)? * page,
    })
}

/// Every process on the machine, by pid.
fn all_processes() -> HashMap<u32, ProcStat> {
    let (tick, page) = (clock_ticks(), page_size());
    std::fs::read_dir("/proc")
        .map(|dir| {
            dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
                .filter_map(|pid| Some((pid, read_stat(pid, tick, page)?)))
                .collect()
        })
        .unwrap_or_default()
}

/// A snapshot of the machine's processes, to sum any number of containers' trees.
pub(crate) struct Usage {
    procs: HashMap<u32, ProcStat>,
}

impl Usage {
    /// Reads /proc once.
    pub(crate) fn now() -> Usage {
        Usage {
            procs: all_processes(),
        }
    }

    /// (user seconds, system seconds, resident bytes) of `pid` and its descendants.
    fn tree(&self, pid: u32) -> Option<(f64, f64, u64)> {
        self.procs.get(&pid)?;
        let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
        for (p, s) in &self.procs {
            children.entry(s.ppid).or_default().push(*p);
        }
        let (mut user, mut system, mut rss) = (0.0, 0.0, 0);
        let mut todo = vec![pid];
        while let Some(p) = todo.pop() {
            if let Some(s) = self.procs.get(&p) {
                user += s.user;
                system += s.system;
                rss += s.rss;
            }
            todo.extend(children.get(&p).into_iter().flatten());
        }
        Some((user, system, rss))
    }

    /// The `resource_statistics` of a container with process `pid` and the given cpus and
    /// mem (MB) allowance, in the key order real agents write.
    pub(crate) fn statistics(
        &self,
        pid: Option<u32>,
        cpus: Option<f64>,
        mem: Option<f64>,
    ) -> Value {
        let mut m = Map::new();
        m.insert("timestamp".into(), json!(crate::ids::now_secs()));
        let tree = pid.and_then(|p| self.tree(p));
        if let Some((user, system, _)) = tree {
            m.insert("cpus_user_time_secs".into(), json!(user));
            m.insert("cpus_system_time_secs".into(), json!(system));
        }
        if let Some(c) = cpus {
            m.insert("cpus_soft_limit".into(), json!(c));
        }
        if let Some(mb) = mem {
            let bytes = (mb * 1024.0 * 1024.0) as u64;
            m.insert("mem_limit_bytes".into(), json!(bytes));
            m.insert("mem_soft_limit_bytes".into(), json!(bytes));
        }
        if let Some((_, _, rss)) = tree {
            m.insert("mem_rss_bytes".into(), json!(rss));
        }
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_a_tree_with_memory() {
        let usage = Usage::now();
        let (_, _, rss) = usage.tree(std::process::id()).expect("own stat");
        assert!(rss > 0);
        let stats = usage.statistics(Some(std::process::id()), Some(0.2), Some(64.0));
        assert_eq!(stats["mem_limit_bytes"], 67108864);
        let keys: Vec<&String> = stats.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "timestamp",
                "cpus_user_time_secs",
                "cpus_system_time_secs",
                "cpus_soft_limit",
                "mem_limit_bytes",
                "mem_soft_limit_bytes",
                "mem_rss_bytes"
            ]
        );
    }
}
