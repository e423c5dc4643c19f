//! The DRF allocator as a pure function (`mesos_local::allocator::allocate`), driven cycle by
//! cycle: frameworks launch one task from each offer and decline the rest (no filter), as
//! the notebook's frameworks do. No clock, no processes.

use std::collections::HashMap;

use mesos_lib::resources::Resources;
use mesos_lib::v1::resources::Resource;
use mesos_local::allocator::{
    AgentView, Client, Cluster, Counts, MinAllocatable, QuotaConfig, allocate,
};

fn res(cpus: f64, mem: f64) -> Resources {
    Resources::from(vec![
        Resource::scalar("cpus", cpus),
        Resource::scalar("mem", mem),
    ])
}

fn agent(id: &str, cpus: f64, mem: f64) -> AgentView {
    AgentView {
        id: id.into(),
        total: res(cpus, mem),
        available: res(cpus, mem),
    }
}

fn client(fid: &str, role: &str) -> Client {
    Client {
        framework_id: fid.into(),
        role: role.into(),
        allocated: Resources::new(),
        active: true,
        refused: HashMap::new(),
        min_allocatable: None,
    }
}

/// A cluster and frameworks that each launch `task` once per offer while it fits.
struct Sim {
    cluster: Cluster,
    counts: Counts,
    task: Vec<Resources>,
    launched: Vec<u32>,
}

impl Sim {
    fn new(agents: Vec<AgentView>, clients: Vec<(Client, Resources)>) -> Sim {
        let (clients, task): (Vec<Client>, Vec<Resources>) = clients.into_iter().unzip();
        Sim {
            launched: vec![0; clients.len()],
            cluster: Cluster {
                agents,
                clients,
                ..Cluster::default()
            },
            counts: Counts::default(),
            task,
        }
    }

    /// One allocation cycle and the launches it leads to; whether anything launched.
    fn cycle(&mut self) -> bool {
        let grants = allocate(&self.cluster, &mut self.counts);
        let mut progress = false;
        for g in grants {
            let task = &self.task[g.client];
            if g.resources.contains(task) {
                self.cluster.agents[g.agent].available.subtract_all(task);
                self.cluster.clients[g.client].allocated.add_all(task);
                self.launched[g.client] += 1;
                progress = true;
            }
        }
        progress
    }

    /// Cycles until no framework can launch; how many cycles that took.
    fn run(&mut self) -> usize {
        (1..1000)
            .find(|_| !self.cycle())
            .expect("the cluster fills up")
    }

    fn total(&self, name: &str) -> f64 {
        let t: f64 = self
            .cluster
            .agents
            .iter()
            .map(|a| a.total.scalar(name).unwrap_or(0.0))
            .sum();
        t
    }

    fn dominant_share(&self, client: usize) -> f64 {
        let held = &self.cluster.clients[client].allocated;
        ["cpus", "mem"]
            .iter()
            .map(|n| held.scalar(n).unwrap_or(0.0) / self.total(n))
            .fold(0.0, f64::max)
    }
}

#[test]
fn drf_equalises_dominant_shares_of_a_cpu_and_a_memory_heavy_framework() {
    // The DRF paper's example: 9 cpus, 18 GB; A's tasks <1 cpu, 4 GB>, B's <3 cpus, 1 GB>.
    let mut sim = Sim::new(
        vec![agent("a1", 9.0, 18432.0)],
        vec![
            (client("A", "a"), res(1.0, 4096.0)),
            (client("B", "b"), res(3.0, 1024.0)),
        ],
    );
    sim.run();
    assert_eq!(sim.launched, [3, 2], "A runs 3 tasks and B 2, as DRF gives");
    let (a, b) = (sim.dominant_share(0), sim.dominant_share(1));
    assert!(
        (a - 2.0 / 3.0).abs() < 1e-9 && (b - 2.0 / 3.0).abs() < 1e-9,
        "{a} {b}"
    );
}

#[test]
fn weights_1_and_3_give_dominant_shares_of_1_to_3() {
    // Four small agents; the roles' frameworks launch <0.5 cpu, 64 MB> tasks.
    let agents = (0..4)
        .map(|i| agent(&format!("a{i}"), 4.0, 4096.0))
        .collect();
    let mut sim = Sim::new(
        agents,
        vec![
            (client("F1", "light"), res(0.5, 64.0)),
            (client("F3", "heavy"), res(0.5, 64.0)),
        ],
    );
    sim.cluster.weights = [("heavy".to_string(), 3.0)].into();
    sim.run();
    let (light, heavy) = (sim.dominant_share(0), sim.dominant_share(1));
    // 32 tasks fit: 8 and 24, shares 0.25 and 0.75, within one task of it.
    assert_eq!(sim.launched.iter().sum::<u32>(), 32);
    let ratio = heavy / light;
    assert!(
        (ratio - 3.0).abs() <= 0.5,
        "ratio {ratio} ({light} vs {heavy})"
    );
    // And on the way there: after any cycle the weighted shares stay within one task.
    let mut sim2 = Sim::new(
        vec![agent("a", 8.0, 8192.0)],
        vec![
            (client("F1", "light"), res(0.5, 64.0)),
            (client("F3", "heavy"), res(0.5, 64.0)),
        ],
    );
    sim2.cluster.weights = [("heavy".to_string(), 3.0)].into();
    while sim2.cycle() {
        let gap = sim2.dominant_share(0) - sim2.dominant_share(1) / 3.0;
        assert!(
            gap.abs() <= 0.5 / 8.0 + 1e-9,
            "weighted shares apart by {gap}"
        );
    }
    assert_eq!(sim2.launched, [4, 12]);
}

#[test]
fn hierarchical_roles_share_level_by_level() {
    // eng/web and eng/db share eng's half; ops alone has the other half.
    let mut sim = Sim::new(
        vec![agent("a", 12.0, 12288.0)],
        vec![
            (client("web", "eng/web"), res(1.0, 64.0)),
            (client("db", "eng/db"), res(1.0, 64.0)),
            (client("ops", "ops"), res(1.0, 64.0)),
        ],
    );
    sim.run();
    assert_eq!(sim.launched, [3, 3, 6]);
}

#[test]
fn a_suppressed_role_gets_no_offers_and_its_other_role_still_does() {
    let mut sim = Sim::new(
        vec![agent("a", 4.0, 4096.0), agent("b", 4.0, 4096.0)],
        vec![
            (client("F", "batch"), res(1.0, 64.0)),
            (client("F", "web"), res(1.0, 64.0)),
            (client("G", "web"), res(1.0, 64.0)),
        ],
    );
    // F suppressed its role "batch": none of its clients there is offered anything.
    sim.cluster.clients[0].active = false;
    let grants = allocate(&sim.cluster, &mut sim.counts);
    assert!(!grants.is_empty());
    assert!(grants.iter().all(|g| g.client != 0), "{grants:?}");
    // Both agents went to role "web" (F and G), as "batch" asks for nothing.
    assert_eq!(grants.len(), 2);
    sim.run();
    assert_eq!(sim.launched[0], 0);
    assert_eq!(sim.launched[1] + sim.launched[2], 8);
}

#[test]
fn resources_below_every_minimum_are_not_offered() {
    let mut cluster = Cluster {
        agents: vec![agent("a", 1.0, 1024.0)],
        clients: vec![client("F", "r")],
        ..Cluster::default()
    };
    // The default cpus:0.01|mem:32: 0.005 cpus and 16 MB are not worth an offer.
    cluster.agents[0].available = res(0.005, 16.0);
    assert!(allocate(&cluster, &mut Counts::default()).is_empty());
    cluster.agents[0].available = res(0.005, 32.0);
    assert_eq!(allocate(&cluster, &mut Counts::default()).len(), 1);
    // A master started with --min_allocatable_resources=cpus:1;mem:256.
    cluster.min_allocatable = MinAllocatable::parse("cpus:1;mem:256").unwrap();
    cluster.agents[0].available = res(0.5, 1024.0);
    assert!(allocate(&cluster, &mut Counts::default()).is_empty());
    cluster.agents[0].available = res(1.0, 256.0);
    assert_eq!(allocate(&cluster, &mut Counts::default()).len(), 1);
    // A framework's own minimum for its role replaces the master's; an empty one takes
    // anything.
    let two_cpus: std::collections::BTreeMap<String, f64> = [("cpus".to_string(), 2.0)].into();
    cluster.clients[0].min_allocatable = Some(MinAllocatable::from_sets(vec![two_cpus]));
    assert!(allocate(&cluster, &mut Counts::default()).is_empty());
    cluster.clients[0].min_allocatable = Some(MinAllocatable::from_sets(vec![]));
    cluster.agents[0].available = res(0.001, 1.0);
    assert_eq!(allocate(&cluster, &mut Counts::default()).len(), 1);
}

#[test]
fn a_refused_agent_goes_to_the_next_framework_until_it_has_more() {
    let mut cluster = Cluster {
        agents: vec![agent("a", 2.0, 1024.0)],
        clients: vec![client("F", "r"), client("G", "r")],
        ..Cluster::default()
    };
    cluster.clients[1].allocated = res(1.0, 0.0);
    cluster.clients[0]
        .refused
        .insert("a".into(), res(2.0, 1024.0));
    // F has the smaller share but refused all of agent a: G is offered it.
    let grants = allocate(&cluster, &mut Counts::default());
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].client, 1);
    // A filter covers only what was refused: more than that is offered again.
    cluster.clients[0]
        .refused
        .insert("a".into(), res(1.0, 512.0));
    let grants = allocate(&cluster, &mut Counts::default());
    assert_eq!(grants[0].client, 0);
}

#[test]
fn quota_guarantees_come_before_fair_shares() {
    // Both roles hold nothing; DRF alone would put "dev" first (the smaller name). "prod",
    // guaranteed and limited to 3 cpus, is offered first: agent a whole and 1 cpu of b;
    // "dev" gets the rest of b.
    let mut cluster = Cluster {
        agents: vec![agent("a", 2.0, 2048.0), agent("b", 2.0, 2048.0)],
        clients: vec![client("P", "prod"), client("D", "dev")],
        ..Cluster::default()
    };
    let three: std::collections::BTreeMap<String, f64> = [("cpus".to_string(), 3.0)].into();
    cluster.quotas = [(
        "prod".to_string(),
        QuotaConfig {
            guarantees: three.clone(),
            limits: three,
        },
    )]
    .into();
    let grants = allocate(&cluster, &mut Counts::default());
    let cpus = |c: usize, a: usize| -> f64 {
        grants
            .iter()
            .filter(|g| g.client == c && g.agent == a)
            .map(|g| g.resources.cpus().unwrap_or(0.0))
            .sum()
    };
    assert_eq!((cpus(0, 0), cpus(0, 1)), (2.0, 1.0), "{grants:?}");
    assert_eq!((cpus(1, 0), cpus(1, 1)), (0.0, 1.0), "{grants:?}");
}

#[test]
fn ties_go_to_the_framework_chosen_fewer_times() {
    // Nothing launches: both stay at share 0, and each cycle the one offered less
    // often so far is first, so a single agent alternates between them.
    let cluster = Cluster {
        agents: vec![agent("a", 1.0, 1024.0)],
        clients: vec![client("F", "r"), client("G", "r")],
        ..Cluster::default()
    };
    let mut counts = Counts::default();
    let picks: Vec<usize> = (0..4)
        .map(|_| allocate(&cluster, &mut counts)[0].client)
        .collect();
    assert_eq!(picks, [0, 1, 0, 1]);
}
