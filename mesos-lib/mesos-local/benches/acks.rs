//! Acknowledgement benchmark (issue 3, "Speed"): status updates received and automatically
//! acknowledged per second by our `Scheduler`, side by side with the Python client avmesos
//! 0.4.2 doing the same thing against the same kind of master.
//!
//! Both sides run against their own fresh `mesos-local` process started with identical flags
//! (so neither inherits the other's tasks or state), and both run the same loop: on every
//! offer, launch as many tasks as fit (at most the workload's per-offer cap) until enough
//! tasks for `ACKS_UPDATES` updates have been launched, and acknowledge every update that
//! carries a uuid. The clock runs from the first launch to the last acknowledgement.
//!
//! Workloads (`ACKS_WORKLOAD`):
//! - `container` (default): tasks with a DOCKER ContainerInfo. The embedded agent has no Docker
//!   containerizer, so, as a real agent without one, it fails each task at once with one
//!   TASK_FAILED carrying a uuid (after creating its sandbox): one acknowledged update per task
//!   and no process, so the clients, not process spawning, are what is measured.
//! - `true`: short `true` command tasks, 3 updates each (STARTING, RUNNING, FINISHED); here
//!   spawning processes in the shared master dominates both sides.
//!
//! Besides wall rates, the client's own CPU time per update is printed, and the master's.
//!
//! Run: `CARGO_TARGET_DIR=target-mesos cargo bench --locked -p mesos-local --bench acks`
//! Environment: `ACKS_UPDATES` (default 100000), `ACKS_WORKLOAD` (`container`), `ACKS_AGENTS`
//! (4), `ACKS_WORK_DIR` (where the sandboxes go; default /dev/shm, a tmpfs, if present),
//! `MESOS_LOCAL_BIN`, `ACKS_PYTHON` (default `.venv/bin/python`; `none` skips avmesos).

mod support;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{MesosLocal, env_or, proc_cpu};

use mesos_lib::resources::Resources;
use mesos_lib::scheduler::{Scheduler, SchedulerConfig};
use mesos_lib::v1::task::CommandInfo;
use mesos_lib::v1::{ContainerInfo, FrameworkInfo, Resource, TaskInfo};

/// Each agent's resources.
const AGENT_RESOURCES: &str = "cpus:8;mem:4096;disk:4096;ports:[31000-32000]";
/// The image of container tasks; never pulled (the agent has no Docker containerizer).
const DOCKER_IMAGE: &str = "busybox";
/// Short enough that offer pacing is not what limits either side.
const ALLOCATION_INTERVAL: &str = "0.05";

/// What each side launches; the same for both.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Workload {
    /// DOCKER tasks the agent fails at once: one update each, no process.
    Container,
    /// `true` command tasks: three updates each, one process each.
    True,
}

impl Workload {
    fn from_env() -> Workload {
        match std::env::var("ACKS_WORKLOAD").as_deref() {
            Ok("true") => Workload::True,
            Ok("container") | Err(_) => Workload::Container,
            Ok(other) => panic!("ACKS_WORKLOAD must be `container` or `true`, not {other:?}"),
        }
    }
    fn name(self) -> &'static str {
        match self {
            Workload::Container => "container",
            Workload::True => "true",
        }
    }
    /// Updates with a uuid each task yields.
    fn updates_per_task(self) -> u64 {
        match self {
            Workload::Container => 1,
            Workload::True => 3,
        }
    }
    /// (cpus, mem) of one task: small, so that an agent takes many at once (800 container
    /// tasks, or 32 `true` tasks, per agent).
    fn task_size(self) -> (f64, f64) {
        match self {
            Workload::Container => (0.01, 4.0),
            Workload::True => (0.25, 32.0),
        }
    }
    /// Tasks launched on one offer at most: `true` tasks stay spread across agents; container
    /// tasks end at once, so an offer cycle must carry many for it not to pace the run.
    fn per_offer(self) -> usize {
        match self {
            Workload::Container => 512,
            Workload::True => 16,
        }
    }
}

/// The repository root (this package is `mesos-lib/mesos-local/`).
fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("workspace root")
        .to_path_buf()
}

/// A fresh `mesos-local` with the benchmark's agents, and its work dir (removed by `stop`).
fn start_master(agents: usize) -> (MesosLocal, PathBuf) {
    let base = support::work_base("ACKS_WORK_DIR");
    let dir = base.join(format!("acks-bench-{}-{}", std::process::id(), agents));
    let _ = std::fs::remove_dir_all(&dir);
    let master = MesosLocal::start(&[
        "--agents",
        &agents.to_string(),
        "--resources",
        AGENT_RESOURCES,
        "--allocation-interval",
        ALLOCATION_INTERVAL,
        "--work-dir",
        &dir.display().to_string(),
    ]);
    (master, dir)
}

/// Stops a master and removes its work dir.
fn stop_master((master, dir): (MesosLocal, PathBuf)) {
    master.stop();
    let _ = std::fs::remove_dir_all(&dir);
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

async fn run_rust(url: &str, target: u64, w: Workload) -> Run {
    let framework = FrameworkInfo::new(whoami(), "acks-bench-rust");
    let mut cfg = SchedulerConfig::new(framework);
    // No periodic work during the run beyond what every session does.
    cfg.periodic_reconcile = None;
    let s = Scheduler::connect(url, cfg).expect("session");
    s.wait_subscribed(Duration::from_secs(30))
        .await
        .expect("subscribed");
    let tasks_needed = target.div_ceil(w.updates_per_task());
    let (task_cpus, task_mem) = w.task_size();
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
            let fit = ((free.cpus().unwrap_or(0.0) / task_cpus + 1e-9) as usize)
                .min((free.mem().unwrap_or(0.0) / task_mem + 1e-9) as usize)
                .min(w.per_offer())
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
                    let mut t = TaskInfo::command(
                        id.as_str(),
                        id.as_str(),
                        offer.agent_id.clone(),
                        CommandInfo::exec("true", ["true"]),
                        vec![
                            Resource::scalar("cpus", task_cpus),
                            Resource::scalar("mem", task_mem),
                        ],
                    );
                    if w == Workload::Container {
                        t.container = Some(ContainerInfo::docker(DOCKER_IMAGE));
                    }
                    t
                })
                .collect();
            s.launch(&offer.id, tasks).await.expect("launch");
            launched += fit as u64;
        }
    }
    let expected = launched * w.updates_per_task();
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
fn run_python(python: &str, url: &str, target: u64, w: Workload) -> Option<Run> {
    let (task_cpus, task_mem) = w.task_size();
    let script = workspace().join("bench/avmesos_acks.py");
    let out = Command::new(python)
        .arg(&script)
        .args(["--url", url, "--updates", &target.to_string()])
        .args(["--workload", w.name(), "--image", DOCKER_IMAGE])
        .args([
            "--cpus",
            &task_cpus.to_string(),
            "--mem",
            &task_mem.to_string(),
        ])
        .args(["--per-offer", &w.per_offer().to_string()])
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
    let target: u64 = env_or("ACKS_UPDATES", 100_000);
    let agents: usize = env_or("ACKS_AGENTS", 4);
    let w = Workload::from_env();
    println!(
        "acks: N = {target} status updates per side ({} `{}` tasks), {agents} agents of {AGENT_RESOURCES}, allocation interval {ALLOCATION_INTERVAL} s, <= {} tasks per offer",
        target.div_ceil(w.updates_per_task()),
        w.name(),
        w.per_offer()
    );

    let master = start_master(agents);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let m0 = master.0.cpu();
    let mut rust = rt.block_on(run_rust(&master.0.url, target, w));
    rust.master_cpu = master.0.cpu().saturating_sub(m0);
    stop_master(master);
    print_run("rust", &rust);

    let python = std::env::var("ACKS_PYTHON")
        .unwrap_or_else(|_| workspace().join(".venv/bin/python").display().to_string());
    if python == "none" {
        return;
    }
    let master = start_master(agents);
    let m0 = master.0.cpu();
    let py = run_python(&python, &master.0.url, target, w);
    let master_cpu = master.0.cpu().saturating_sub(m0);
    stop_master(master);
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
