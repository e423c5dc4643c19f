//! evcxr on its own, as `evcxr_jupyter` drives it (the same evcxr version, `CommandContext::new()`
//! and its default options), for `bench/rust_cells.py` to compare our kernel with.
//!
//! Reads one cell per stdin line, as a JSON string; after start-up and after each cell writes
//! one JSON line to stdout: `{"ready_ms": …}`, then `{"ms": …, "ok": …, "phases": {name: ms}}`.
//! Lines starting with `:` are evcxr commands (`:opt 0`, `:dep …`), timed the same way.

use std::io::{BufRead, Write};
use std::time::Instant;

fn main() {
    // The binary re-executes itself as the cell runtime and as a rustc wrapper.
    evcxr::runtime_hook();
    let started = Instant::now();
    let (mut ctx, outputs) = match evcxr::CommandContext::new() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("evcxr failed to start: {e}");
            std::process::exit(1);
        }
    };
    // Drain the cells' own output so it never blocks the child.
    std::thread::spawn(move || while outputs.stdout.recv().is_ok() {});
    let mut out = std::io::stdout().lock();
    let ready_ms = started.elapsed().as_secs_f64() * 1e3;
    let _ = writeln!(
        out,
        "{}",
        serde_json::json!({ "ready_ms": ready_ms, "rss_mb": rss_mb() })
    );
    let _ = out.flush();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let Ok(code) = serde_json::from_str::<String>(&line) else {
            eprintln!("not a JSON string: {line}");
            continue;
        };
        let t = Instant::now();
        let result = ctx.execute(&code);
        let ms = t.elapsed().as_secs_f64() * 1e3;
        let (ok, phases) = match &result {
            Ok(o) => (
                true,
                o.phases
                    .iter()
                    .map(|p| (p.name.clone(), (p.duration.as_secs_f64() * 1e3).into()))
                    .collect::<serde_json::Map<_, _>>(),
            ),
            Err(e) => {
                eprintln!("cell failed: {e}");
                (false, serde_json::Map::new())
            }
        };
        let _ = writeln!(
            out,
            "{}",
            serde_json::json!({ "ms": ms, "ok": ok, "phases": phases, "rss_mb": rss_mb() })
        );
        let _ = out.flush();
    }
}

/// This process's resident memory in MB (where evcxr's analyzer lives), from /proc.
fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
