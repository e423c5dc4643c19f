//! Acknowledgement benchmark (issue 3, "Speed"): status updates received and automatically
//! acknowledged per second by our `Scheduler`, side by side with the Python client avmesos
//! 0.4.2 doing the same thing against the same kind of master.
//!
//! Both sides run against their own fresh `mesos-local` process started with identical flags
//! (so neither inherits the other's tasks or state), and both run the same loop: on every
//! offer, launch as many short `true` tasks as fit (at most `PER_OFFER`), until
//! `ACKS_UPDATES / 3` tasks have been launched; every task yields STARTING, RUNNING and
//! FINISHED, each acknowledged. The clock runs from the first launch to the last
//! acknowledgement. Besides wall rates, the client's own CPU time per update is printed:
//! spawning `true` processes and the master's work are shared by both sides, so the CPU
//! figure is the one that isolates the client.
//!
//! Run: `CARGO_TARGET_DIR=/work/main/target-mesos cargo bench -p mesos-lib --bench acks`
//! Environment: `ACKS_UPDATES` (default 30000), `ACKS_AGENTS` (4), `MESOS_LOCAL_BIN`,
//! `ACKS_PYTHON` (default `.venv/bin/python`; `none` skips avmesos).

mod support;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{MesosLocal, env_or, proc_cpu};

use mesos_lib::resources::Resources;
use mesos_lib::scheduler::{Scheduler, SchedulerConfig};
use mesos_lib::v1::task::CommandInfo;
use mesos_lib::v1::{FrameworkInfo, Resource, TaskInfo};

/// Tasks launched on one offer at most, so that launches stay spread across agents.
const PER_OFFER: usize = 16;
/// What one `true` task asks for; small, so that an agent runs many at once.
const TASK_CPUS: f64 = 0.25;
const TASK_MEM: f64 = 32.0;
/// Each agent's resources: 32 concurrent tasks per agent.
const AGENT_RESOURCES: &str = "cpus:8;mem:4096;disk:4096;ports:[31000-32000]";
/// Short enough that offer pacing is not what limits either side.
const ALLOCATION_INTERVAL: &str = "0.05";

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// A fresh `mesos-local` with the benchmark's agents.
fn start_master(agents: usize) -> MesosLocal {
    MesosLocal::start(&[
        "--agents",
        &agents.to_string(),
        "--resources",
        AGENT_RESOURCES,
        "--allocation-interval",
        ALLOCATION_INTERVAL,
    ])
}

/// One side's figures.
#[derive(Debug, Default)]
struct Run {
    updates: u64,
    wall: Duration,
    client_cpu: Duration,
    master_cpu: Duration,
}

impl Run {
    fn rate(&self) -> f64 {
        self.updates as f64 / self.wall.as_secs_f64()
    }
    fn cpu_us_per_update(&self) -> f64 {
        self.client_cpu.as_secs_f64() * 1e6 / self.updates as f64
    }
}

async fn run_rust(url: &str, target: u64) -> Run {
    let framework = FrameworkInfo::new(whoami(), "acks-bench-rust");
    let mut cfg = SchedulerConfig::new(framework);
    // No periodic work during the run beyond what every session does.
    cfg.periodic_reconcile = None;
    let s = Scheduler::connect(url, cfg).expect("session");
    s.wait_subscribed(Duration::from_secs(30))
        .await
        .expect("subscribed");
    let tasks_needed = target.div_ceil(3);
    let mut launched = 0u64;
    let cpu0 = self_cpu();
    let mut start = None;
    while launched < tasks_needed {
        let offers = s
            .wait_for_offers(Duration::from_secs(60))
            .await
            .expect("offers");
        start.get_or_insert_with(Instant::now);
        for offer in offers {
            let free = Resources::from(offer.resources.clone());
            let fit = ((free.cpus().unwrap_or(0.0) / TASK_CPUS + 1e-9) as usize)
                .min((free.mem().unwrap_or(0.0) / TASK_MEM + 1e-9) as usize)
                .min(PER_OFFER)
                .min((tasks_needed - launched) as usize);
            if fit == 0 {
                // refuse_seconds 0: the default (5 s) would idle the agent far longer than a task lives.
                s.decline(vec![offer.id.clone()], Some(0.0))
                    .await
                    .expect("decline");
                continue;
            }
            let tasks: Vec<TaskInfo> = (0..fit)
                .map(|i| {
                    let id = format!("t{}", launched + i as u64);
                    TaskInfo::command(
                        id.as_str(),
                        id.as_str(),
                        offer.agent_id.clone(),
                        CommandInfo::exec("true", ["true"]),
                        vec![
                            Resource::scalar("cpus", TASK_CPUS),
                            Resource::scalar("mem", TASK_MEM),
                        ],
                    )
                })
                .collect();
            s.launch(&offer.id, tasks).await.expect("launch");
            launched += fit as u64;
        }
    }
    let expected = launched * 3;
    s.wait_until(
        Duration::from_secs(3600),
        "every update acknowledged",
        |b| (b.acks_sent >= expected).then_some(()),
    )
    .await
    .expect("all acknowledged");
    let wall = start.expect("started").elapsed();
    let client_cpu = self_cpu().saturating_sub(cpu0);
    let failures = s.read(|b| b.ack_failures);
    if failures > 0 {
        println!("acks: rust: {failures} acknowledgements failed (and were retried)");
    }
    s.teardown().await.expect("teardown");
    Run {
        updates: expected,
        wall,
        client_cpu,
        ..Default::default()
    }
}

fn self_cpu() -> Duration {
    proc_cpu("/proc/self/stat")
}

fn whoami() -> String {
    std::env::var("USER").unwrap_or_else(|_| "root".into())
}

/// Runs `bench/avmesos_acks.py` and parses its last line (`key=value` pairs).
fn run_python(python: &str, url: &str, target: u64) -> Option<Run> {
    let script = workspace().join("bench/avmesos_acks.py");
    let out = Command::new(python)
        .arg(&script)
        .args(["--url", url, "--updates", &target.to_string()])
        .args([
            "--cpus",
            &TASK_CPUS.to_string(),
            "--mem",
            &TASK_MEM.to_string(),
        ])
        .args(["--per-offer", &PER_OFFER.to_string()])
        .stderr(Stdio::inherit())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().rev().find(|l| l.starts_with("avmesos:"))?;
    let get = |k: &str| -> Option<f64> {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
            .and_then(|v| v.parse().ok())
    };
    Some(Run {
        updates: get("updates")? as u64,
        wall: Duration::from_secs_f64(get("wall_s")?),
        client_cpu: Duration::from_secs_f64(get("cpu_s")?),
        ..Default::default()
    })
}

fn print_run(name: &str, r: &Run) {
    println!(
        "acks: {name:<8} {} updates in {:.2?}: {:.0} updates/s; client CPU {:.1} µs/update; master CPU {:.1} µs/update",
        r.updates,
        r.wall,
        r.rate(),
        r.cpu_us_per_update(),
        r.master_cpu.as_secs_f64() * 1e6 / r.updates as f64
    );
}

fn main() {
    tracing_subscriber_init();
    let target: u64 = env_or("ACKS_UPDATES", 30_000);
    let agents: usize = env_or("ACKS_AGENTS", 4);
    println!(
        "acks: N = {target} status updates per side ({} tasks `true`), {agents} agents of {AGENT_RESOURCES}, allocation interval {ALLOCATION_INTERVAL} s, <= {PER_OFFER} tasks per offer",
        target.div_ceil(3)
    );

    let master = start_master(agents);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let m0 = master.cpu();
    let mut rust = rt.block_on(run_rust(&master.url, target));
    rust.master_cpu = master.cpu().saturating_sub(m0);
    master.stop();
    print_run("rust", &rust);

    let python = std::env::var("ACKS_PYTHON")
        .unwrap_or_else(|_| workspace().join(".venv/bin/python").display().to_string());
    if python == "none" {
        return;
    }
    let master = start_master(agents);
    let m0 = master.cpu();
    let py = run_python(&python, &master.url, target);
    let master_cpu = master.cpu().saturating_sub(m0);
    master.stop();
    let Some(mut py) = py else {
        println!("acks: avmesos run failed (see stderr)");
        return;
    };
    py.master_cpu = master_cpu;
    print_run("avmesos", &py);
    let ratio = rust.rate() / py.rate();
    println!(
        "acks: ratio rust / avmesos = {ratio:.1}x updates/s (target >= 20x: {}); client CPU per update {:.1}x less",
        if ratio >= 20.0 { "met" } else { "MISSED" },
        py.cpu_us_per_update() / rust.cpu_us_per_update().max(1e-9)
    );
}

/// Library logs go to stderr, filtered by `RUST_LOG` (quiet by default).
fn tracing_subscriber_init() {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .try_init();
}
