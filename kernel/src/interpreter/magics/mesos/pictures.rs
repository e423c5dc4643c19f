//! What the magics' pictures are made of: agents, offers and tasks as Mesos gives them, turned
//! into the rows `display::svg` draws.

use super::attribute_value;
use crate::display::counted;
use crate::display::svg::bars::{BarChart, BarRow, Part, Usage, fit, group_by};
use crate::display::svg::picture_id;
use crate::display::svg::timeline::{self, TaskLine, Timeline};
use mesos_lib::resources::ranges;
use mesos_lib::scheduler::TaskRecord;
use mesos_lib::v1::master::response::{Agent, GetAgents};
use mesos_lib::v1::task::Task;
use mesos_lib::v1::{Attribute, Offer, Resource};
use std::collections::BTreeMap;
use std::time::SystemTime;

/// Seconds since the epoch now: where a running task's last segment ends.
pub fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// cpus, mem, disk and the number of ports in `list` (only the resources `keep` accepts), read
/// in one pass without merging: the bars need sums, and merging 1,000 agents' lists through
/// `Resources` cost most of the 50 ms budget.
fn amounts(list: &[Resource], keep: impl Fn(&Resource) -> bool) -> [f64; 4] {
    let mut out = [0.0; 4];
    let mut ports = Vec::new();
    for r in list.iter().filter(|r| keep(r)) {
        let slot = match r.name.as_str() {
            "cpus" => 0,
            "mem" => 1,
            "disk" => 2,
            "ports" => {
                ports.extend(r.ranges.as_ref().map(ranges::pairs).unwrap_or_default());
                continue;
            }
            _ => continue,
        };
        out[slot] += r.scalar.as_ref().map_or(0.0, |s| s.value);
    }
    out[3] = ranges::count(&ranges::coalesce(ports)) as f64;
    out
}

/// An agent's bars: what its tasks use, what is offered, what is reserved and neither, and
/// the rest, which is free.
fn agent_usage(a: &Agent) -> [Usage; 4] {
    let all = |_: &Resource| true;
    let (t, u, o) = (
        amounts(&a.total_resources, all),
        amounts(&a.allocated_resources, all),
        amounts(&a.offered_resources, all),
    );
    let (rt, ru, ro) = (
        amounts(&a.total_resources, Resource::is_reserved),
        amounts(&a.allocated_resources, Resource::is_reserved),
        amounts(&a.offered_resources, Resource::is_reserved),
    );
    std::array::from_fn(|i| {
        let idle_reserved = (rt[i] - ru[i] - ro[i]).max(0.0);
        Usage {
            used: u[i],
            offered: o[i],
            reserved: idle_reserved,
            free: (t[i] - u[i] - o[i] - idle_reserved).max(0.0),
        }
    })
}

/// `rack=r2d2`, or `(no rack)` for agents without the attribute.
fn group_label(attrs: &[Attribute], name: &str) -> String {
    attrs
        .iter()
        .find(|a| a.name == name)
        .map(|a| format!("{name}={}", attribute_value(a)))
        .unwrap_or_else(|| format!("(no {name})"))
}

/// The agents' resource bars, one per agent, grouped by an attribute when `group` names one,
/// summed into runs beyond a few dozen rows.
pub fn agents_chart(agents: &GetAgents, group: Option<&str>) -> BarChart {
    let rows: Vec<BarRow> = agents
        .agents
        .iter()
        .map(|a| BarRow {
            label: match group {
                Some(g) => group_label(&a.agent_info.attributes, g),
                None => a.agent_info.hostname.clone(),
            },
            agents: 1,
            usage: agent_usage(a),
        })
        .collect();
    let n = rows.len();
    let (rows, title) = match group {
        Some(g) => {
            let grouped = group_by(rows, |r| r.label.clone());
            let title = format!("{} by {g}: resources", counted(n, "agent"));
            (grouped, title)
        }
        None => (rows, format!("{}: resources", counted(n, "agent"))),
    };
    let (rows, note) = match group {
        Some(_) => fit(rows, "groups", true),
        None => fit(rows, "agents", false),
    };
    let note = match (note, group) {
        (Some(n), None) => Some(format!("{n} (--group-by ATTRIBUTE groups them instead)")),
        (n, _) => n,
    };
    BarChart {
        title,
        parts: &Part::ALL,
        rows,
        note,
        marker: None,
    }
}

/// The agents' picture as SVG.
pub fn agents_svg(agents: &GetAgents, group: Option<&str>) -> String {
    agents_chart(agents, group).to_svg(&picture_id("agents"))
}

/// What is offered, summed per agent (in the order agents first appear), on a shared scale;
/// `want` marks what a launch asks for.
pub fn offers_chart(offers: &[&Offer], want: Option<[Option<f64>; 4]>) -> BarChart {
    let mut per_agent: Vec<BarRow> = Vec::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for o in offers {
        let i = *index.entry(o.agent_id.value.as_str()).or_insert_with(|| {
            per_agent.push(BarRow {
                label: o.hostname.clone(),
                agents: 1,
                ..BarRow::default()
            });
            per_agent.len() - 1
        });
        let a = amounts(&o.resources, |_| true);
        for (u, v) in per_agent[i].usage.iter_mut().zip(a) {
            u.offered += v;
        }
    }
    let agents = per_agent.len();
    let (rows, note) = fit(per_agent, "agents", false);
    BarChart {
        title: format!(
            "{} from {}",
            counted(offers.len(), "offer"),
            counted(agents, "agent")
        ),
        parts: &[Part::Offered],
        rows,
        note,
        marker: want.map(|w| (w, "what the launch asks for".to_owned())),
    }
}

/// One timeline row for a task the master reports, from the statuses it keeps.
fn task_line(t: &Task, now: f64) -> TaskLine {
    let statuses = t
        .statuses
        .iter()
        .filter_map(|s| Some((s.state.to_string(), s.timestamp?)));
    TaskLine {
        label: t.task_id.value.clone(),
        state: t.state.to_string(),
        tasks: 1,
        segments: timeline::segments(statuses, now),
    }
}

/// One timeline row for a task of this framework, from the session's task book.
fn record_line(r: &TaskRecord, now: f64) -> TaskLine {
    let statuses = r
        .history
        .iter()
        .filter_map(|s| Some((s.state.to_string(), s.timestamp?)));
    let name = r.info.as_ref().map(|i| i.name.as_str()).unwrap_or("");
    TaskLine {
        label: if name.is_empty() || name == r.task_id.value {
            r.task_id.value.clone()
        } else {
            format!("{} ({name})", r.task_id.value)
        },
        state: r.state().to_string(),
        tasks: 1,
        segments: timeline::segments(statuses, now),
    }
}

/// A timeline of `lines`, with one row per state beyond a few dozen tasks.
pub fn timeline_of(lines: Vec<TaskLine>, what: &str) -> Timeline {
    let n = lines.len();
    let (lines, note) = timeline::fit(lines);
    Timeline {
        title: format!("{}: states over time", counted(n, what)),
        lines,
        note,
    }
}

/// Timeline rows of tasks the operator API reports.
pub fn task_lines<'a>(tasks: impl Iterator<Item = &'a Task>) -> Vec<TaskLine> {
    let now = now_secs();
    tasks.map(|t| task_line(t, now)).collect()
}

/// Timeline rows of this framework's tasks, from the session.
pub fn record_lines(records: &[TaskRecord]) -> Vec<TaskLine> {
    let now = now_secs();
    records.iter().map(|r| record_line(r, now)).collect()
}

/// The timeline of tasks the operator API reports.
pub fn tasks_timeline<'a>(tasks: impl Iterator<Item = &'a Task>, what: &str) -> Timeline {
    timeline_of(task_lines(tasks), what)
}

/// A row's states in words: `STAGING 0.2s → RUNNING 4.1s → KILLED`, the text beside the picture.
pub fn states_text(line: &TaskLine) -> String {
    line.segments
        .iter()
        .map(|s| {
            let short = s.state.strip_prefix("TASK_").unwrap_or(&s.state);
            if timeline::is_terminal(&s.state) {
                short.to_owned()
            } else {
                format!("{short} {}", timeline::span_text(s.end - s.start))
            }
        })
        .collect::<Vec<_>>()
        .join(" → ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesos_lib::v1::AgentInfo;

    fn reserved(name: &str, v: f64) -> Resource {
        let mut r = Resource::scalar(name, v);
        r.role = Some("analytics".into());
        r
    }

    #[test]
    fn agent_usage_splits_total_into_parts() {
        let a = Agent {
            agent_info: AgentInfo {
                hostname: "h".into(),
                ..AgentInfo::default()
            },
            total_resources: vec![
                Resource::scalar("cpus", 3.0),
                reserved("cpus", 1.0),
                Resource::ranges("ports", [(31000, 31009)]),
            ],
            allocated_resources: vec![
                Resource::scalar("cpus", 1.0),
                Resource::ranges("ports", [(31000, 31001)]),
            ],
            offered_resources: vec![Resource::scalar("cpus", 0.5)],
            ..Agent::default()
        };
        let [cpus, _, _, ports] = agent_usage(&a);
        assert_eq!(
            cpus,
            Usage {
                used: 1.0,
                offered: 0.5,
                reserved: 1.0,
                free: 1.5
            }
        );
        assert_eq!((ports.used, ports.free), (2.0, 8.0));
    }
}
