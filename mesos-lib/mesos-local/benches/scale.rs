//! Scale benchmark (issue 10, "Scale"): one framework launching 10,000 tasks across 1,000
//! agents of a `mesos-local` process. Prints the launch wall time and tasks/s next to the
//! rate at which this machine spawns the same processes with nothing else going on (the
//! bound the issue asks for), alone and each into a sandbox laid out as an agent does,
//! `GET_STATE` latency and size and `/master/state` size with
//! every task alive, and the resident memory of the `mesos-local` process (master and 1,000
//! agents; the tasks are their own processes; the scheduler is this process).
//!
//! The tasks are `sleep 600.<pid>` (exec form, one process each), so that they stay alive
//! for the measurement and carry a marker unique to this run: after TEARDOWN and shutdown,
//! `pgrep -f` must count none of them.
//!
//! Run from the repository root: `CARGO_TARGET_DIR=target-mesos cargo bench --locked -p mesos-local --bench scale`
//! Environment: `SCALE_TASKS` (10000), `SCALE_AGENTS` (1000), `SCALE_SPAWN_SAMPLE` (2000
//! processes for the spawn baseline), `SCALE_SAMPLES` (7 requests per state endpoint),
//! `SCALE_WORK_DIR` (where the baseline's and the agents' sandboxes go; default /dev/shm, a
//! tmpfs, if present: on ext4 the inode allocator costs more than the master's work).
//! Prints figures; asserts nothing about speed.

mod support;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use mesos_lib::operator::OperatorClient;
use mesos_lib::scheduler::{Scheduler, SchedulerConfig};
use mesos_lib::v1::task::CommandInfo;
use mesos_lib::v1::{FrameworkInfo, Resource, TaskInfo, TaskState};
use support::{MesosLocal, env_or, memory_mb};

/// Latency samples per endpoint by default (`SCALE_SAMPLES`); the median is the headline,
/// the max is shown too.
const SAMPLES: usize = 7;

/// Live processes whose command line contains `marker`.
fn count_marked(marker: &str) -> usize {
    let out = Command::new("pgrep")
        .args(["-f", "-c", marker])
        .output()
        .expect("pgrep");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

/// Median and max of `samples`.
fn summary(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    (samples[samples.len() / 2], samples[samples.len() - 1])
}

/// Spawns `n` processes of `sleep <arg>` the way the agent does (`setpriv` setting the
/// parent-death signal, own process group, output to files), with nothing else running:
/// the spawn rate this machine allows. With `sandboxes`, each process first gets the
/// directory layout a Mesos agent creates for a task (run directory, stdout and stderr,
/// `runs/latest`), which the embedded agent does too. Returns processes per second; kills
/// them after.
fn spawn_baseline(base: &Path, n: usize, arg: &str, sandboxes: bool) -> f64 {
    let dir = base.join(format!("scale-spawn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("baseline dir");
    let t = Instant::now();
    let mut children = Vec::with_capacity(n);
    for i in 0..n {
        let run = if sandboxes {
            let executor = dir.join(format!("slaves/S0/frameworks/F0/executors/e{i}/runs"));
            let run = executor.join(format!("{:032x}", i));
            std::fs::create_dir_all(&run).expect("sandbox");
            std::fs::File::create(run.join("stdout")).expect("stdout");
            std::fs::File::create(run.join("stderr")).expect("stderr");
            std::os::unix::fs::symlink(run.file_name().expect("name"), executor.join("latest"))
                .expect("latest");
            run
        } else {
            dir.clone()
        };
        let file = |name: &str| {
            std::fs::File::options()
                .create(true)
                .append(true)
                .open(run.join(name))
                .expect("output file")
        };
        let child = Command::new("/usr/bin/setpriv")
            .args(["--pdeathsig", "KILL", "--", "/bin/sleep", arg])
            .process_group(0)
            .current_dir(&run)
            .stdin(std::process::Stdio::null())
            .stdout(file("stdout"))
            .stderr(file("stderr"))
            .spawn()
            .expect("spawn");
        children.push(child);
    }
    let rate = n as f64 / t.elapsed().as_secs_f64();
    for mut c in children {
        let _ = c.kill();
        let _ = c.wait();
    }
    let _ = std::fs::remove_dir_all(&dir);
    rate
}

/// Seconds mesos-local's spawner thread has spent starting processes (its admin endpoint).
async fn spawner_busy(http: &reqwest::Client, url: &str) -> f64 {
    let stats: serde_json::Value = http
        .get(format!("{url}/__local/spawner"))
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .expect("/__local/spawner")
        .json()
        .await
        .expect("spawner stats");
    stats["busy_seconds"].as_f64().expect("busy_seconds")
}

async fn run(tasks_total: usize, agents: usize, marker: &str) {
    let spawn_sample = env_or("SCALE_SPAWN_SAMPLE", 2000usize).min(tasks_total);
    let sleep_arg = marker.trim_start_matches("sleep ").to_string();
    // The baseline's sandboxes and the agents' share one filesystem.
    let base = support::work_base("SCALE_WORK_DIR");
    let spawn_rate = spawn_baseline(&base, spawn_sample, &format!("{sleep_arg}0"), false);
    let sandboxed_rate = spawn_baseline(&base, spawn_sample, &format!("{sleep_arg}0"), true);
    println!(
        "scale: baseline: {spawn_sample} processes spawned alone at {spawn_rate:.0}/s, {sandboxed_rate:.0}/s each in an agent-style sandbox (under {})",
        base.display()
    );
    let work_dir = base.join(format!("scale-bench-{}", std::process::id()));
    let t = Instant::now();
    let mesos = MesosLocal::start(&[
        "--agents",
        &agents.to_string(),
        "--work-dir",
        &work_dir.display().to_string(),
    ]);
    let url = mesos.url.clone();
    let (rss0, _) = mesos.memory_mb();
    println!(
        "scale: mesos-local with {agents} agents started in {:.2?} ({url}), VmRSS {rss0:.0} MB",
        t.elapsed()
    );

    let user = std::env::var("USER").unwrap_or_else(|_| "root".into());
    let mut cfg = SchedulerConfig::new(FrameworkInfo::new(user, "scale-bench"));
    cfg.periodic_reconcile = None;
    let s = Scheduler::connect(&url, cfg).expect("session");
    s.wait_subscribed(Duration::from_secs(30))
        .await
        .expect("subscribed");

    // Spread evenly: every agent gets the same share, at most what one offer can hold.
    let per_agent = tasks_total.div_ceil(agents);
    let mut launched = 0usize;
    let mut start = None;
    let http = reqwest::Client::new();
    let busy0 = spawner_busy(&http, &url).await;
    let (cpu0, (spawner0, other0)) = (
        support::proc_cpu("/proc/self/stat"),
        mesos.thread_cpu("task-spawner"),
    );
    while launched < tasks_total {
        let offers = s
            .wait_for_offers(Duration::from_secs(60))
            .await
            .expect("offers");
        start.get_or_insert_with(Instant::now);
        for offer in offers {
            let n = per_agent.min(tasks_total - launched);
            if n == 0 {
                s.decline(vec![offer.id.clone()], Some(3600.0))
                    .await
                    .expect("decline");
                continue;
            }
            let tasks = (0..n)
                .map(|i| {
                    let id = format!("s{}", launched + i);
                    TaskInfo::command(
                        id.as_str(),
                        id.as_str(),
                        offer.agent_id.clone(),
                        CommandInfo::exec("sleep", ["sleep", sleep_arg.as_str()]),
                        vec![Resource::scalar("cpus", 0.1), Resource::scalar("mem", 8.0)],
                    )
                })
                .collect();
            s.launch(&offer.id, tasks).await.expect("launch");
            launched += n;
        }
    }
    let start = start.expect("launched");
    let accepted = start.elapsed();
    // Poll rather than `wait_until`: re-scanning 10,000 tasks on every one of ~20,000 book
    // changes would measure our polling, not the master.
    let (running, bad) = loop {
        let (running, bad) = s.read(|b| {
            let mut running = 0;
            let mut bad = 0;
            for t in b.tasks.iter() {
                match t.state() {
                    TaskState::Running => running += 1,
                    st if st.is_terminal() => bad += 1,
                    _ => {}
                }
            }
            (running, bad)
        });
        if running + bad >= tasks_total || start.elapsed() > Duration::from_secs(1200) {
            break (running, bad);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let wall = start.elapsed();
    let busy = spawner_busy(&http, &url).await - busy0;
    let rate = running as f64 / wall.as_secs_f64();
    let (spawner_cpu, other_cpu) = mesos.thread_cpu("task-spawner");
    let (spawner_cpu, other_cpu) = (spawner_cpu - spawner0, other_cpu - other0);
    let own_cpu = support::proc_cpu("/proc/self/stat") - cpu0;
    println!(
        "scale: {launched} tasks accepted in {accepted:.2?}; {running} RUNNING ({bad} ended early) after {wall:.2?}: {rate:.0} tasks/s, {:.2} of the spawn baseline ({:.2} of spawning into sandboxes)",
        rate / spawn_rate,
        rate / sandboxed_rate
    );
    // Where mesos-local's CPU went: the spawner thread opens each task's output files and
    // spawns it (the exec itself is the child's time); every other thread is the master, the
    // agents (sandbox directories included) and their HTTP servers.
    println!(
        "scale: CPU during the launch: mesos-local's spawner thread {spawner_cpu:.2?}, its other threads (master, agents, HTTP) {other_cpu:.2?}; this process (the scheduler) {own_cpu:.2?}"
    );
    // Busy as long as the launch lasted: the spawner never waited for the master to hand it
    // a task, so spawning set the pace.
    println!(
        "scale: mesos-local's spawner thread was busy starting processes {busy:.2}s of the launch's {:.2}s ({:.0}%)",
        wall.as_secs_f64(),
        100.0 * busy / wall.as_secs_f64()
    );
    println!(
        "scale: live marked processes ({marker:?}): {}",
        count_marked(marker)
    );

    // Before the state endpoints: their answers (16 MB at 10,000 tasks) raise the peak.
    let (rss_running, _) = mesos.memory_mb();
    let op = OperatorClient::connect(&url, Default::default()).expect("operator client");
    let (mut typed, mut raw, mut legacy) = (Vec::new(), Vec::new(), Vec::new());
    let (mut raw_size, mut legacy_size, mut typed_tasks) = (0, 0, 0);
    for _ in 0..env_or("SCALE_SAMPLES", SAMPLES) {
        let t = Instant::now();
        let state = op.get_state().await.expect("GET_STATE");
        typed.push(t.elapsed());
        typed_tasks = state.get_tasks.as_ref().map_or(0, |g| g.tasks.len());

        let t = Instant::now();
        let body = http
            .post(format!("{url}/api/v1"))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .body(r#"{"type":"GET_STATE"}"#)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .expect("GET_STATE")
            .bytes()
            .await
            .expect("body");
        raw.push(t.elapsed());
        raw_size = body.len();

        let t = Instant::now();
        let body = http
            .get(format!("{url}/master/state"))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .expect("/master/state")
            .bytes()
            .await
            .expect("body");
        legacy.push(t.elapsed());
        legacy_size = body.len();
    }
    let (raw_med, raw_max) = summary(raw);
    let (typed_med, typed_max) = summary(typed);
    let (legacy_med, legacy_max) = summary(legacy);
    println!(
        "scale: GET_STATE at {running} tasks: {:.1} MB; HTTP round trip median {raw_med:.2?} (max {raw_max:.2?}); with typed decode median {typed_med:.2?} (max {typed_max:.2?}, {typed_tasks} tasks decoded)",
        raw_size as f64 / 1e6
    );
    println!(
        "scale: /master/state: {:.1} MB, median {legacy_med:.2?} (max {legacy_max:.2?})",
        legacy_size as f64 / 1e6
    );
    let (rss, hwm) = mesos.memory_mb();
    // The allocator gives freed pages back after a delay (mimalloc's purge delay, 1 s): the
    // figure that stays is read once it has stopped falling for a second (at most 10 s).
    let t = Instant::now();
    let mut settled = rss;
    while t.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let (now, _) = mesos.memory_mb();
        if now >= settled {
            break;
        }
        settled = now;
    }
    let (own, _) = memory_mb("/proc/self/status");
    println!(
        "scale: memory of mesos-local (master + {agents} agents) at {running} tasks: VmRSS {rss_running:.0} MB with every task running; after the state endpoints {rss:.0} MB at once, {settled:.0} MB once freed pages are given back (VmHWM {hwm:.0} MB; at start {rss0:.0} MB); the scheduler (this process): VmRSS {own:.0} MB"
    );

    let t = Instant::now();
    s.teardown().await.expect("teardown");
    let mut left = count_marked(marker);
    while left > 0 && t.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        left = count_marked(marker);
    }
    println!(
        "scale: TEARDOWN: {left} marked processes left after {:.2?}",
        t.elapsed()
    );
    // SIGTERM kills whatever teardown missed, and returns once mesos-local has exited.
    mesos.stop();
    let _ = std::fs::remove_dir_all(&work_dir);
    let left = count_marked(marker);
    println!(
        "scale: after mesos-local stopped: {left} marked processes left ({})",
        if left == 0 { "clean" } else { "LEAK" }
    );
}

fn main() {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .try_init();
    let tasks: usize = env_or("SCALE_TASKS", 10_000);
    let agents: usize = env_or("SCALE_AGENTS", 1_000);
    // Unique to this run, so the leak check cannot count anyone else's sleeps.
    let marker = format!("sleep 600.{}", std::process::id());
    println!("scale: {tasks} tasks `{marker}` on {agents} agents");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(run(tasks, agents, &marker));
}
