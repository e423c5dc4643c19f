//! Render benchmark (issue 4, "Speed"; issue 9, "Pictures"): the kernel-side time to turn what
//! the master answered into what `%tasks` shows for 10,000 tasks and what `%offers` shows for
//! 1,000 agents' offers, text and HTML both (`Table::to_bundle`), and the pictures: `%agents`
//! bars for 1,000 agents, `%tasks`/`%timeline` timelines for 10,000 tasks, with the size of
//! each SVG. Also times decoding the GET_TASKS JSON, which the kernel does first. Target: under
//! 50 ms each.
//!
//! Run: `cargo bench -p mesos-kernel --bench render`. Prints figures; asserts nothing about
//! speed.

use mesos_kernel::display::svg::with_picture;
use mesos_kernel::interpreter::magics::mesos::bench_api::{
    agents_svg, agents_table, offers_chart, offers_table, task_lines, tasks_table, tasks_timeline,
    timeline_bundle,
};
use mesos_lib::v1::master::response::{Agent, GetAgents, GetTasks};
use mesos_lib::v1::task::Task;
use mesos_lib::v1::{AgentInfo, Attribute, Offer, Resource, TaskState, TaskStatus};
use std::hint::black_box;
use std::time::{Duration, Instant};

const TASKS: usize = 10_000;
const AGENTS: usize = 1_000;
const TARGET: Duration = Duration::from_millis(50);
/// The best of several rounds counts, so noise from other work on a shared machine does not
/// decide the figure.
const ROUNDS: usize = 15;

fn tasks() -> GetTasks {
    let states = [
        TaskState::Running,
        TaskState::Finished,
        TaskState::Failed,
        TaskState::Killed,
        TaskState::Staging,
    ];
    let mut got = GetTasks::default();
    for i in 0..TASKS {
        let task = Task {
            name: format!("web-{}", i % 97),
            task_id: format!("web-{i:05}-3f2a9c1e").as_str().into(),
            framework_id: format!("5d8e4c0b-7f1a-4c2e-9b3d-2a6f8e1c4d7b-{:04}", i % 7)
                .as_str()
                .into(),
            agent_id: format!("5d8e4c0b-7f1a-4c2e-9b3d-2a6f8e1c4d7b-S{}", i % AGENTS)
                .as_str()
                .into(),
            state: states[i % states.len()].clone(),
            resources: vec![
                Resource::scalar("cpus", 0.1),
                Resource::scalar("mem", 64.0),
                Resource::ranges(
                    "ports",
                    [(31000 + (i % 1000) as u64, 31000 + (i % 1000) as u64)],
                ),
            ],
            // Three updates each, a second apart, as the timeline reads them.
            statuses: [
                TaskState::Staging,
                TaskState::Running,
                states[i % states.len()].clone(),
            ]
            .into_iter()
            .enumerate()
            .map(|(k, state)| TaskStatus {
                state,
                timestamp: Some(1.7e9 + i as f64 * 0.01 + k as f64),
                ..TaskStatus::default()
            })
            .collect(),
            ..Task::default()
        };
        got.tasks.push(task);
    }
    got
}

fn offers() -> Vec<Offer> {
    (0..AGENTS)
        .map(|i| Offer {
            id: format!("5d8e4c0b-7f1a-4c2e-9b3d-2a6f8e1c4d7b-O{i}")
                .as_str()
                .into(),
            agent_id: format!("5d8e4c0b-7f1a-4c2e-9b3d-2a6f8e1c4d7b-S{i}")
                .as_str()
                .into(),
            hostname: format!("agent-{i:04}.dc1.example.com"),
            resources: vec![
                Resource::scalar("cpus", 8.0),
                Resource::scalar("mem", 31_744.0),
                Resource::scalar("disk", 409_600.0),
                Resource::ranges("ports", [(31000, 32000), (33000, 34000)]),
            ],
            attributes: vec![
                Attribute::text("rack", format!("r{}", i % 40)),
                Attribute::text("pod", "demo,dev"),
            ],
            ..Offer::default()
        })
        .collect()
}

fn agents() -> GetAgents {
    GetAgents {
        agents: (0..AGENTS)
            .map(|i| Agent {
                agent_info: AgentInfo {
                    hostname: format!("agent-{i:04}.dc1.example.com"),
                    attributes: vec![Attribute::text("rack", format!("r{}", i % 40))],
                    ..AgentInfo::default()
                },
                total_resources: vec![
                    Resource::scalar("cpus", 8.0),
                    Resource::scalar("mem", 31_744.0),
                    Resource::scalar("disk", 409_600.0),
                    Resource::ranges("ports", [(31000, 32000)]),
                ],
                allocated_resources: vec![
                    Resource::scalar("cpus", (i % 8) as f64),
                    Resource::scalar("mem", 1024.0 * (i % 8) as f64),
                    Resource::ranges("ports", [(31000, 31000 + (i % 8) as u64)]),
                ],
                offered_resources: vec![Resource::scalar("cpus", 0.5)],
                ..Agent::default()
            })
            .collect(),
        ..GetAgents::default()
    }
}

/// Best and median of `ROUNDS` runs of `f`.
fn time(mut f: impl FnMut()) -> (Duration, Duration) {
    let mut all: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    all.sort();
    (all[0], all[ROUNDS / 2])
}

fn report(what: &str, (best, median): (Duration, Duration)) {
    let ratio = best.as_secs_f64() / TARGET.as_secs_f64();
    println!(
        "{what:<44} best {:>7.2} ms  median {:>7.2} ms  ({ratio:.2} of the 50 ms target: {})",
        best.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e3,
        if best < TARGET { "met" } else { "NOT met" }
    );
}

fn main() {
    let got = tasks();
    let json = serde_json::to_vec(&got).expect("encodes");
    report(
        "%tasks, 10,000 tasks: table + text + HTML",
        time(|| {
            black_box(tasks_table(got.tasks.iter(), false).to_bundle());
        }),
    );
    report(
        "%tasks, 10,000 tasks: decode JSON + render",
        time(|| {
            let decoded: GetTasks = serde_json::from_slice(&json).expect("decodes");
            black_box(tasks_table(decoded.tasks.iter(), false).to_bundle());
        }),
    );
    let offers = offers();
    report(
        "%offers, 1,000 agents: table + text + HTML",
        time(|| {
            black_box(offers_table(&offers).to_bundle());
        }),
    );
    let agents = agents();
    let mut size = 0;
    report(
        "%agents, 1,000 agents: table + bars picture",
        time(|| {
            let svg = agents_svg(&agents, None);
            size = svg.len();
            black_box(with_picture(agents_table(&agents).to_bundle(), &svg));
        }),
    );
    println!("  (agents SVG: {:.1} KB)", size as f64 / 1e3);
    report(
        "%agents, 1,000 agents: bars picture alone",
        time(|| {
            black_box(agents_svg(&agents, None));
        }),
    );
    report(
        "%agents --group-by rack, 1,000 agents",
        time(|| {
            let svg = agents_svg(&agents, Some("rack"));
            size = svg.len();
            black_box(with_picture(agents_table(&agents).to_bundle(), &svg));
        }),
    );
    println!("  (grouped agents SVG: {:.1} KB)", size as f64 / 1e3);
    report(
        "%tasks, 10,000 tasks: table + timeline",
        time(|| {
            let svg = tasks_timeline(got.tasks.iter(), "task").to_svg("bench");
            size = svg.len();
            black_box(with_picture(
                tasks_table(got.tasks.iter(), false).to_bundle(),
                &svg,
            ));
        }),
    );
    println!("  (tasks timeline SVG: {:.1} KB)", size as f64 / 1e3);
    report(
        "%timeline --all, 10,000 tasks",
        time(|| {
            black_box(timeline_bundle(task_lines(got.tasks.iter()), "task", None));
        }),
    );
    let few: Vec<&Task> = got.tasks.iter().take(30).collect();
    report(
        "%timeline, 30 tasks drawn one by one",
        time(|| {
            let svg = tasks_timeline(few.iter().copied(), "task").to_svg("bench");
            size = svg.len();
            black_box(svg);
        }),
    );
    println!("  (30-task timeline SVG: {:.1} KB)", size as f64 / 1e3);
    let offer_refs: Vec<&Offer> = offers.iter().collect();
    report(
        "%offers, 1,000 agents: bars picture",
        time(|| {
            black_box(offers_chart(&offer_refs, None).to_svg("bench"));
        }),
    );
    println!(
        "(GET_TASKS JSON for {TASKS} tasks: {:.1} MB; tables show {} rows and count the rest)",
        json.len() as f64 / 1e6,
        mesos_kernel::display::table::MAX_ROWS
    );
}
