//! Allocator benchmark (issue 18): one allocation cycle of the DRF allocator
//! (`mesos_local::allocator::allocate`, the function the master runs every allocation
//! interval on a snapshot of its state) over 1,000 agents and 20 frameworks in six roles,
//! two of them nested, some weighted, one with a quota guarantee and limit. Half the agents
//! are partly used by the frameworks' tasks; a few frameworks are suppressed or have refuse
//! filters. Each sample runs the cycle on a fresh copy of the same snapshot (the copy is
//! not timed). Prints the median and p95; the target is < 10 ms. Asserts nothing about speed.
//!
//! Run from the repository root: `cargo bench --locked -p mesos-local --bench allocator`
//! Environment: `ALLOC_AGENTS` (1000), `ALLOC_FRAMEWORKS` (20), `ALLOC_SAMPLES` (200).

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use mesos_lib::resources::Resources;
use mesos_lib::resources::parse_resources;
use mesos_local::allocator::{
    AgentView, Client, Cluster, Counts, MinAllocatable, QuotaConfig, allocate,
};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn resources(text: &str) -> Resources {
    Resources::from(parse_resources(text).expect("resources parse"))
}

const ROLES: [&str; 6] = ["web", "batch", "eng/api", "eng/db", "analytics", "ops"];

/// The snapshot: agents of 8 cpus, 16 GB, 100 GB disk and 1,000 ports; framework `i` in
/// role `ROLES[i % 6]` runs a task of `(i % 4) + 1` cpus and 1 GB per GB on every other
/// agent it is given.
fn cluster(agents: usize, frameworks: usize) -> Cluster {
    let total = "cpus:8;mem:16384;disk:102400;ports:[31000-31999]";
    let mut clients: Vec<Client> = (0..frameworks)
        .map(|i| Client {
            framework_id: format!("framework-{i:04}"),
            role: ROLES[i % ROLES.len()].to_string(),
            allocated: Resources::new(),
            // Two suppressed frameworks: the sorters skip them.
            active: i % 10 != 9,
            refused: HashMap::new(),
            min_allocatable: None,
        })
        .collect();
    let mut views = Vec::with_capacity(agents);
    for a in 0..agents {
        let id = format!("agent-S{a}");
        let total = resources(total);
        let mut available = total.clone();
        if a % 2 == 0 {
            let f = (a / 2) % frameworks;
            let cpus = (f % 4 + 1) as f64;
            let used = resources(&format!("cpus:{cpus};mem:{}", 1024.0 * cpus));
            available.subtract_all(&used);
            clients[f].allocated.add_all(&used);
        }
        if a % 7 == 0 {
            // Framework 3 declined this agent's resources a while ago.
            clients[3].refused.insert(id.clone(), available.clone());
        }
        views.push(AgentView {
            id,
            total,
            available,
        });
    }
    let weights: BTreeMap<String, f64> = [
        ("web".to_string(), 3.0),
        ("eng".to_string(), 2.0),
        ("analytics".to_string(), 0.5),
    ]
    .into();
    let quotas: BTreeMap<String, QuotaConfig> = [(
        "analytics".to_string(),
        QuotaConfig {
            guarantees: [("cpus".to_string(), 400.0), ("mem".to_string(), 409600.0)].into(),
            limits: [("cpus".to_string(), 1200.0)].into(),
        },
    )]
    .into();
    Cluster {
        agents: views,
        clients,
        weights,
        quotas,
        min_allocatable: MinAllocatable::default(),
    }
}

fn main() {
    let agents = env_or("ALLOC_AGENTS", 1000);
    let frameworks = env_or("ALLOC_FRAMEWORKS", 20);
    let samples = env_or("ALLOC_SAMPLES", 200).max(1);
    let snapshot = cluster(agents, frameworks);
    let mut times: Vec<Duration> = Vec::with_capacity(samples);
    let mut offers = 0;
    for _ in 0..samples {
        let input = snapshot.clone();
        let mut counts = Counts::default();
        let start = Instant::now();
        let grants = allocate(&input, &mut counts);
        times.push(start.elapsed());
        offers = grants.len();
    }
    times.sort();
    let median = times[times.len() / 2];
    let p95 = times[(times.len() * 95 / 100).min(times.len() - 1)];
    println!(
        "allocation cycle, {agents} agents, {frameworks} frameworks in {} roles: {offers} offers; \
         median {:.2} ms, p95 {:.2} ms over {samples} cycles (target < 10 ms)",
        ROLES.len(),
        median.as_secs_f64() * 1e3,
        p95.as_secs_f64() * 1e3,
    );
}
