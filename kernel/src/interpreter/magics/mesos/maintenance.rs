//! `%maintenance`: the maintenance schedule and machines through the operator API
//! (GET/UPDATE_MAINTENANCE_SCHEDULE, GET_MAINTENANCE_STATUS, START/STOP_MAINTENANCE). A
//! machine is a (hostname, IP) pair, as the master matches them: naming an agent or a hostname
//! names the machines its agents run on.

use super::agent_admin::{
    agent_hostname, agent_id, agent_ip, agents_json, call_with, operator_json, send_again_safe,
};
use super::{Body, MagicResult, mesos_error, parse_duration, usage};
use crate::display::table::Table;
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::registry::{
    ArgKind, FlagSpec, MagicContext, MagicKind, MagicSpec, spec_in,
};
use crate::mesos::Connection;
use crate::protocol::content::ErrorContent;
use mesos_lib::v1::master::CallType;
use serde_json::{Value, json};
use std::time::Duration;

const ACTIONS: &[&str] = &["status", "schedule", "start", "stop", "clear"];

pub(super) static MAGICS: &[(MagicSpec, Body)] = &[(
    MagicSpec {
        name: "maintenance",
        kind: MagicKind::Line,
        usage: "%maintenance [status | schedule TARGET... [--start D] [--duration D] | start TARGET... | stop TARGET... | clear [TARGET...]]",
        summary: "Maintenance windows: schedule machines, bring them DOWN and UP, see the status.",
        help: "A TARGET is an agent id, a hostname, or HOSTNAME@IP; it names the machines \
               (hostname, IP) its agents run on, as the master matches machines. \
               `schedule` adds a window for them starting --start from now (default: now) and \
               lasting --duration (default: open-ended), keeping the rest of the schedule: the \
               frameworks running tasks there get inverse offers, and offers from there carry \
               the unavailability. `start` brings scheduled machines DOWN (START_MAINTENANCE: \
               their agents are removed and their tasks lost), `stop` brings them UP again and \
               out of the schedule, `clear` takes machines (or, without TARGET, all) out of the \
               schedule. Re-run on machines already DOWN (start), or UP and out of the \
               schedule (stop), it says so with the master's answer instead of failing. Each \
               shows the status after: every scheduled machine, its mode, window, agents, and \
               the frameworks' answers to its inverse offers.",
        flags: &[
            FlagSpec {
                name: "start",
                value: ArgKind::Text,
                help: "with schedule: the window starts this long from now (e.g. 1h; default 0)",
            },
            FlagSpec {
                name: "duration",
                value: ArgKind::Text,
                help: "with schedule: how long the window lasts (default: open-ended)",
            },
        ],
        positional: ArgKind::Choice(ACTIONS),
    },
    |args, ctx| Box::pin(maintenance(args, ctx)),
)];

/// A machine as maintenance names it.
#[derive(Debug, Clone, PartialEq)]
struct Machine {
    hostname: Option<String>,
    ip: Option<String>,
}

impl Machine {
    fn of(v: &Value) -> Machine {
        Machine {
            hostname: v["hostname"].as_str().map(str::to_string),
            ip: v["ip"].as_str().map(str::to_string),
        }
    }

    fn json(&self) -> Value {
        let mut m = serde_json::Map::new();
        if let Some(h) = &self.hostname {
            m.insert("hostname".into(), json!(h));
        }
        if let Some(ip) = &self.ip {
            m.insert("ip".into(), json!(ip));
        }
        Value::Object(m)
    }

    /// As the master compares them: hostname ignoring case, IP exactly.
    fn same(&self, other: &Machine) -> bool {
        let host = |m: &Machine| m.hostname.as_ref().map(|h| h.to_lowercase());
        host(self) == host(other) && self.ip == other.ip
    }

    fn label(&self) -> String {
        match (&self.hostname, &self.ip) {
            (Some(h), Some(ip)) => format!("{h} ({ip})"),
            (Some(h), None) => h.clone(),
            (None, ip) => format!("({})", ip.as_deref().unwrap_or("")),
        }
    }
}

/// Everything `%maintenance` looks at: agents, the schedule's windows, the status.
struct View {
    agents: Vec<Value>,
    windows: Vec<Value>,
    status: Value,
}

async fn view(conn: &Connection) -> Result<View, ErrorContent> {
    let agents = agents_json(conn).await?;
    let schedule = operator_json(conn, &call_with(CallType::GetMaintenanceSchedule, None)).await?;
    let status = operator_json(conn, &call_with(CallType::GetMaintenanceStatus, None)).await?;
    Ok(View {
        agents,
        windows: schedule["get_maintenance_schedule"]["schedule"]["windows"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
        status: status["get_maintenance_status"]["status"].clone(),
    })
}

fn agent_machine(a: &Value) -> Machine {
    Machine {
        hostname: Some(agent_hostname(a).to_string()),
        ip: agent_ip(a["pid"].as_str()),
    }
}

impl View {
    /// Every machine known: the agents' and the scheduled ones.
    fn machines(&self) -> Vec<Machine> {
        let mut out: Vec<Machine> = Vec::new();
        let scheduled = self
            .windows
            .iter()
            .flat_map(|w| w["machine_ids"].as_array().cloned().unwrap_or_default())
            .map(|m| Machine::of(&m));
        for m in self.agents.iter().map(agent_machine).chain(scheduled) {
            if !out.iter().any(|o| o.same(&m)) {
                out.push(m);
            }
        }
        out
    }

    /// The machines `word` names: an agent's, a hostname's, or HOSTNAME@IP.
    fn targets(&self, word: &str) -> Result<Vec<Machine>, String> {
        if let Some(a) = self.agents.iter().find(|a| agent_id(a) == word) {
            return Ok(vec![agent_machine(a)]);
        }
        let known = self.machines();
        let found: Vec<Machine> = match word.split_once('@') {
            Some((host, ip)) => {
                let m = Machine {
                    hostname: Some(host.to_string()),
                    ip: Some(ip.to_string()),
                };
                return Ok(vec![m]);
            }
            None => known
                .iter()
                .filter(|m| {
                    m.hostname
                        .as_deref()
                        .is_some_and(|h| h.eq_ignore_ascii_case(word))
                })
                .cloned()
                .collect(),
        };
        if found.is_empty() {
            let names: Vec<String> = known.iter().map(Machine::label).collect();
            return Err(format!(
                "no agent or machine {word:?} (machines: {}; name one by agent id, hostname or HOSTNAME@IP)",
                names.join(", ")
            ));
        }
        Ok(found)
    }

    fn status_of(&self, m: &Machine) -> (&'static str, Vec<String>) {
        let listed = |key: &str| self.status[key].as_array().cloned().unwrap_or_default();
        if listed("down_machines")
            .iter()
            .any(|d| Machine::of(d).same(m))
        {
            return ("DOWN", Vec::new());
        }
        for d in listed("draining_machines") {
            if Machine::of(&d["id"]).same(m) {
                let answers = d["statuses"]
                    .as_array()
                    .map(|s| {
                        s.iter()
                            .map(|s| {
                                format!(
                                    "{} {}",
                                    s["framework_id"]["value"].as_str().unwrap_or("-"),
                                    s["status"].as_str().unwrap_or("-")
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                return ("DRAINING", answers);
            }
        }
        ("UP", Vec::new())
    }

    /// `Some("DOWN")` when every one of `machines` is DOWN already (a re-run of `start`).
    fn all_down(&self, machines: &[Machine]) -> Option<&'static str> {
        machines
            .iter()
            .all(|m| self.status_of(m).0 == "DOWN")
            .then_some("DOWN")
    }

    /// `Some("UP")` when every one of `machines` is UP and out of the schedule already (a
    /// re-run of `stop`).
    fn all_up(&self, machines: &[Machine]) -> Option<&'static str> {
        machines
            .iter()
            .all(|m| self.status_of(m).0 == "UP" && !self.scheduled(m))
            .then_some("UP and out of the schedule")
    }

    fn scheduled(&self, m: &Machine) -> bool {
        self.windows.iter().any(|w| {
            w["machine_ids"]
                .as_array()
                .is_some_and(|ids| ids.iter().any(|id| Machine::of(id).same(m)))
        })
    }

    /// One row per scheduled machine.
    fn table(&self, note: &str) -> Table {
        let mut t = Table::new(&[
            "machine",
            "mode",
            "starts",
            "lasts",
            "agents",
            "inverse offers answered",
        ]);
        for w in &self.windows {
            let una = &w["unavailability"];
            for id in w["machine_ids"].as_array().cloned().unwrap_or_default() {
                let m = Machine::of(&id);
                let (mode, answers) = self.status_of(&m);
                let agents: Vec<&str> = self
                    .agents
                    .iter()
                    .filter(|a| agent_machine(a).same(&m))
                    .map(agent_id)
                    .collect();
                t.row(vec![
                    m.label(),
                    mode.to_string(),
                    una["start"]["nanoseconds"]
                        .as_i64()
                        .map(when)
                        .unwrap_or_else(|| "-".into()),
                    una["duration"]["nanoseconds"]
                        .as_i64()
                        .map(|n| how_long(Duration::from_nanos(n.max(0) as u64)))
                        .unwrap_or_else(|| "open-ended".into()),
                    if agents.is_empty() {
                        "-".into()
                    } else {
                        agents.join(", ")
                    },
                    if answers.is_empty() {
                        "-".into()
                    } else {
                        answers.join("; ")
                    },
                ]);
            }
        }
        t.caption = Some(match t.total_rows() {
            0 => format!("{note}; no machine is scheduled"),
            n => format!("{note}; {n} machine(s) in the schedule"),
        });
        t
    }
}

/// The window of the machine (hostname, ip) in the schedule's `windows`, in words.
pub(super) fn window_of(windows: &[Value], hostname: &str, ip: Option<&str>) -> Option<String> {
    let m = Machine {
        hostname: Some(hostname.to_string()),
        ip: ip.map(str::to_string),
    };
    let w = windows.iter().find(|w| {
        w["machine_ids"]
            .as_array()
            .is_some_and(|ids| ids.iter().any(|id| Machine::of(id).same(&m)))
    })?;
    let una = &w["unavailability"];
    let start = una["start"]["nanoseconds"].as_i64().map(when)?;
    Some(match una["duration"]["nanoseconds"].as_i64() {
        Some(n) => format!(
            "from {start} for {}",
            how_long(Duration::from_nanos(n.max(0) as u64))
        ),
        None => format!("from {start}"),
    })
}

/// The schedule's windows, or none when the master does not say (an error is not shown:
/// `%agents` works without them).
pub(super) async fn windows(conn: &Connection) -> Vec<Value> {
    match operator_json(conn, &call_with(CallType::GetMaintenanceSchedule, None)).await {
        Ok(v) => v["get_maintenance_schedule"]["schedule"]["windows"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

/// Epoch nanoseconds as a UTC time.
pub(super) fn when(nanos: i64) -> String {
    chrono::DateTime::from_timestamp_nanos(nanos)
        .format("%Y-%m-%d %H:%M:%S UTC")
        .to_string()
}

/// `1h`, `30m`, `90s`, `1.5s`.
pub(super) fn how_long(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 3600.0 && s % 3600.0 == 0.0 {
        format!("{}h", s / 3600.0)
    } else if s >= 60.0 && s % 60.0 == 0.0 {
        format!("{}m", s / 60.0)
    } else {
        format!("{s}s")
    }
}

/// The schedule without `drop` machines (windows left empty go too).
fn without(windows: &[Value], drop: &[Machine]) -> Vec<Value> {
    windows
        .iter()
        .filter_map(|w| {
            let kept: Vec<Value> = w["machine_ids"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|m| !drop.iter().any(|d| d.same(&Machine::of(m))))
                .collect();
            (!kept.is_empty())
                .then(|| json!({"machine_ids": kept, "unavailability": w["unavailability"]}))
        })
        .collect()
}

/// A window starting `start` from now and lasting `duration` (open-ended without).
fn unavailability(start: Option<Duration>, duration: Option<Duration>) -> Value {
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0);
    let begin = now + start.unwrap_or_default().as_nanos() as i64;
    let mut una = json!({"start": {"nanoseconds": begin}});
    if let Some(d) = duration {
        una["duration"] = json!({"nanoseconds": d.as_nanos() as i64});
    }
    una
}

async fn update(conn: &Connection, windows: Vec<Value>) -> Result<(), ErrorContent> {
    let body = json!({"schedule": if windows.is_empty() { json!({}) } else { json!({"windows": windows}) }});
    operator_json(
        conn,
        &call_with(CallType::UpdateMaintenanceSchedule, Some(body)),
    )
    .await?;
    Ok(())
}

/// What a `%maintenance` line asks for, its arguments checked.
struct Request<'a> {
    action: &'a str,
    words: &'a [String],
    start: Option<Duration>,
    duration: Option<Duration>,
}

/// Reads and checks a `%maintenance` line: the action, its targets, `--start`/`--duration`.
fn request(args: &Args) -> Result<Request<'_>, ErrorContent> {
    let spec = spec_in(MAGICS, "maintenance");
    let (action, words) = match args.positional.split_first() {
        Some((a, rest)) => (a.as_str(), rest),
        None => ("status", &[][..]),
    };
    if !ACTIONS.contains(&action) {
        return Err(usage(
            spec,
            format!("unknown action {action:?} (one of {})", ACTIONS.join(", ")),
        ));
    }
    if action != "schedule" && (args.has("start") || args.has("duration")) {
        return Err(usage(spec, "--start and --duration go with `schedule`"));
    }
    let needs_targets = matches!(action, "schedule" | "start" | "stop");
    if needs_targets && words.is_empty() {
        return Err(usage(
            spec,
            format!("`{action}` needs a TARGET (an agent id, a hostname or HOSTNAME@IP)"),
        ));
    }
    if action == "status" && !words.is_empty() {
        return Err(usage(spec, format!("unexpected argument {:?}", words[0])));
    }
    let parse = |name: &str| -> Result<Option<Duration>, ErrorContent> {
        args.value(name)
            .map(|v| parse_duration(v).map_err(|e| usage(spec, format!("--{name}: {e}"))))
            .transpose()
    };
    Ok(Request {
        action,
        words,
        start: parse("start")?,
        duration: parse("duration")?,
    })
}

async fn maintenance(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let Request {
        action,
        words,
        start,
        duration,
    } = request(&args)?;
    let conn = ctx.mesos.connection().map_err(mesos_error)?;
    let before = view(&conn).await?;
    let mut targets: Vec<Machine> = Vec::new();
    for w in words {
        for m in before.targets(w).map_err(mesos_error)? {
            if !targets.iter().any(|t| t.same(&m)) {
                targets.push(m);
            }
        }
    }
    let ids: Vec<Value> = targets.iter().map(Machine::json).collect();
    let note = match action {
        "status" => "maintenance status".to_string(),
        "schedule" => {
            let mut windows = without(&before.windows, &targets);
            windows.push(
                json!({"machine_ids": ids, "unavailability": unavailability(start, duration)}),
            );
            update(&conn, windows).await?;
            "UPDATE_MAINTENANCE_SCHEDULE sent: 200 OK".into()
        }
        "clear" => {
            let windows = if targets.is_empty() {
                Vec::new()
            } else {
                without(&before.windows, &targets)
            };
            update(&conn, windows).await?;
            "UPDATE_MAINTENANCE_SCHEDULE sent: 200 OK".into()
        }
        _ => {
            let (ty, already) = if action == "start" {
                (CallType::StartMaintenance, before.all_down(&targets))
            } else {
                (CallType::StopMaintenance, before.all_up(&targets))
            };
            let call = call_with(ty, Some(json!({"machines": ids})));
            let what = match targets.as_slice() {
                [one] => format!("machine {}", one.label()),
                _ => "every machine named".to_string(),
            };
            send_again_safe(&conn, &call, &what, already).await?
        }
    };
    let after = if action == "status" {
        before
    } else {
        view(&conn).await?
    };
    Ok(Some(after.table(&note).to_bundle()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(id: &str, host: &str) -> Value {
        json!({"agent_info": {"id": {"value": id}, "hostname": host}, "pid": "slave(1)@127.0.0.1:5051"})
    }

    #[test]
    fn targets_name_machines_as_the_master_matches_them() {
        let v = View {
            agents: vec![
                agent("S0", "127.0.0.1"),
                agent("S1", "127.0.0.1"),
                agent("S2", "maint-host"),
            ],
            windows: vec![
                json!({"machine_ids": [{"hostname": "old", "ip": "10.0.0.1"}],
                "unavailability": {"start": {"nanoseconds": 0}}}),
            ],
            status: json!({"down_machines": [{"hostname": "old", "ip": "10.0.0.1"}]}),
        };
        let maint = Machine {
            hostname: Some("maint-host".into()),
            ip: Some("127.0.0.1".into()),
        };
        assert_eq!(v.targets("S2").unwrap(), vec![maint.clone()]);
        assert_eq!(v.targets("MAINT-HOST").unwrap(), vec![maint]);
        assert_eq!(v.targets("old").unwrap()[0].ip.as_deref(), Some("10.0.0.1"));
        assert!(
            v.targets("nope")
                .unwrap_err()
                .contains("maint-host (127.0.0.1)")
        );
        let t = v.table("x").to_text();
        assert!(
            t.contains("old (10.0.0.1)") && t.contains("DOWN") && t.contains("open-ended"),
            "{t}"
        );
        assert_eq!(
            without(&v.windows, &v.targets("old").unwrap()),
            Vec::<Value>::new()
        );
        assert_eq!(how_long(Duration::from_secs(3600)), "1h");
        assert_eq!(how_long(Duration::from_millis(1500)), "1.5s");
    }
}
