//! More of the operator API: `%flags`, `%metrics`, and `%watch`, the operator event
//! stream shown live.

use super::operator::{all_tasks, unreachable};
use super::{Body, MagicResult, duration_flag, mesos_error, num, pictures, show, usage};
use crate::display::counted;
use crate::display::svg::{picture_id, with_picture};
use crate::display::table::Table;
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::registry::{ArgKind, FlagSpec, MagicContext, MagicSpec, spec_in};
use crate::mesos::Connection;
use crate::protocol::content::{ErrorContent, MimeBundle};
use mesos_lib::operator::WatchConfig;
use mesos_lib::v1::common::DurationInfo;
use mesos_lib::v1::master::{Event, EventType};
use mesos_lib::v1::task::Task;
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};
use tokio::sync::broadcast::error::RecvError;

/// How long `%watch` runs without `--timeout`.
const WATCH_DEFAULT: Duration = Duration::from_secs(30);
/// Rows a live `%watch` display keeps; older events are counted, not shown.
const WATCH_ROWS: usize = 40;
/// Event types `--type` accepts.
const WATCH_TYPES: &[&str] = &[
    "SUBSCRIBED",
    "TASK_ADDED",
    "TASK_UPDATED",
    "AGENT_ADDED",
    "AGENT_REMOVED",
    "FRAMEWORK_ADDED",
    "FRAMEWORK_UPDATED",
    "FRAMEWORK_REMOVED",
    "HEARTBEAT",
];

pub(super) static MAGICS: &[(MagicSpec, Body)] = &[
    (
        MagicSpec::line(
            "flags",
            "%flags [PATTERN]",
            "The master's command-line flags (GET_FLAGS).",
            "With PATTERN, only flags whose name contains it (case-insensitive).",
            &[],
            ArgKind::Text,
        ),
        |args, ctx| Box::pin(flags(args, ctx)),
    ),
    (
        MagicSpec::line(
            "metrics",
            "%metrics [PATTERN]",
            "The master's metrics (GET_METRICS), e.g. %metrics master/tasks.",
            "With PATTERN, only metrics whose name contains it (case-insensitive). Gauges are \
             read with a 5 s timeout, as the master's own /metrics/snapshot does by default.",
            &[],
            ArgKind::Text,
        ),
        |args, ctx| Box::pin(metrics(args, ctx)),
    ),
    (
        MagicSpec::line(
            "watch",
            "%watch [--timeout DURATION] [--type TYPE]... [--heartbeats]",
            "The operator event stream, live: tasks, agents, frameworks as they change.",
            "Opens the operator API's SUBSCRIBE stream and updates one table in place as events \
             arrive, until the timeout (default 30s) or an interrupt; both end the cell \
             normally and close the stream. Above the table, the timeline of the tasks the \
             stream told of (its first state, then TASK_ADDED and TASK_UPDATED) is redrawn \
             with it. Heartbeats are counted but only listed with \
             --heartbeats. The framework session is not touched.",
            &[
                FlagSpec {
                    name: "timeout",
                    value: ArgKind::Text,
                    help: "stop watching after this long (default 30s)",
                },
                FlagSpec {
                    name: "type",
                    value: ArgKind::Choice(WATCH_TYPES),
                    help: "only events of this type (repeatable)",
                },
                FlagSpec {
                    name: "heartbeats",
                    value: ArgKind::None,
                    help: "list HEARTBEAT events too",
                },
            ],
            ArgKind::None,
        ),
        |args, ctx| Box::pin(watch(args, ctx)),
    ),
];

/// The one optional PATTERN word, lower-cased.
fn pattern(name: &str, args: &Args) -> Result<Option<String>, ErrorContent> {
    match args.positional.as_slice() {
        [] => Ok(None),
        [p] => Ok(Some(p.to_lowercase())),
        [_, extra, ..] => Err(usage(
            spec_in(MAGICS, name),
            format!("unexpected argument {extra:?}"),
        )),
    }
}

fn connection(ctx: &MagicContext<'_>) -> Result<Connection, ErrorContent> {
    ctx.mesos.connection().map_err(mesos_error)
}

fn matches(pattern: &Option<String>, name: &str) -> bool {
    pattern
        .as_deref()
        .is_none_or(|p| name.to_lowercase().contains(p))
}

fn caption(shown: usize, total: usize, pattern: &Option<String>, what: &str) -> String {
    match pattern {
        Some(p) => format!("{shown} of {} matching {p:?}", counted(total, what)),
        None => counted(total, what),
    }
}

async fn flags(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let pat = pattern("flags", &args)?;
    let conn = connection(ctx)?;
    let got = conn
        .operator
        .get_flags()
        .await
        .map_err(|e| unreachable(&conn, e))?;
    let mut t = Table::new(&["flag", "value"]);
    for f in got.flags.iter().filter(|f| matches(&pat, &f.name)) {
        t.row(vec![f.name.clone(), f.value.clone().unwrap_or_default()]);
    }
    t.caption = Some(caption(t.rows.len(), got.flags.len(), &pat, "flag"));
    Ok(Some(t.to_bundle()))
}

async fn metrics(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let pat = pattern("metrics", &args)?;
    let conn = connection(ctx)?;
    let got = conn
        .operator
        .get_metrics(Some(DurationInfo::from_secs(5)))
        .await
        .map_err(|e| unreachable(&conn, e))?;
    let mut rows: Vec<_> = got
        .metrics
        .iter()
        .filter(|m| matches(&pat, &m.name))
        .collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    let mut t = Table::new(&["metric", "value"]);
    for m in &rows {
        t.row(vec![m.name.clone(), num(m.value)]);
    }
    t.caption = Some(caption(rows.len(), got.metrics.len(), &pat, "metric"));
    Ok(Some(t.to_bundle()))
}

/// One line per event: what changed, in a few words.
fn summary(e: &Event) -> String {
    if let Some(s) = &e.subscribed {
        let st = s.get_state.as_ref();
        let agents = st
            .and_then(|s| s.get_agents.as_ref())
            .map_or(0, |a| a.agents.len());
        let frameworks = st
            .and_then(|s| s.get_frameworks.as_ref())
            .map_or(0, |f| f.frameworks.len());
        let tasks = st
            .and_then(|s| s.get_tasks.as_ref())
            .map_or(0, |t| t.tasks.len());
        return format!(
            "state: {}, {}, {}",
            counted(agents, "agent"),
            counted(frameworks, "framework"),
            counted(tasks, "active task")
        );
    }
    if let Some(t) = &e.task_added {
        return format!(
            "{} ({}) {} on {}",
            t.task.task_id, t.task.name, t.task.state, t.task.agent_id
        );
    }
    if let Some(t) = &e.task_updated {
        let msg = t.status.message.as_deref().unwrap_or("");
        let id = t.status.task_id.as_ref().map(|i| i.value.as_str());
        return format!("{} {} {msg}", id.unwrap_or("-"), t.state)
            .trim_end()
            .to_owned();
    }
    if let Some(a) = &e.agent_added {
        let id = a.agent.agent_info.id.as_ref().map(|i| i.value.as_str());
        return format!(
            "{} {}",
            id.unwrap_or("-"),
            a.agent.agent_info.hostname.as_str()
        );
    }
    if let Some(a) = &e.agent_removed {
        return a.agent_id.to_string();
    }
    if let Some(f) = e.framework_added.as_ref().or(e.framework_updated.as_ref()) {
        let info = &f.framework.framework_info;
        let id = info.id.as_ref().map(|i| i.value.as_str()).unwrap_or("-");
        return format!("{id} ({}) active={}", info.name, f.framework.active);
    }
    if let Some(f) = &e.framework_removed {
        let info = &f.framework_info;
        let id = info.id.as_ref().map(|i| i.value.as_str()).unwrap_or("-");
        return format!("{id} ({})", info.name);
    }
    String::new()
}

fn clock(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Local>::from(t)
        .format("%H:%M:%S%.3f")
        .to_string()
}

/// What `%watch` has seen so far.
struct Seen {
    rows: Vec<[String; 3]>,
    listed: usize,
    heartbeats: usize,
    /// Tasks as the stream told of them, with every status it carried, for the timeline.
    tasks: BTreeMap<String, Task>,
}

impl Seen {
    /// Keeps the tasks an event tells of, whatever `--type` lists.
    fn track(&mut self, e: &Event) {
        let state = e.subscribed.as_ref().and_then(|s| s.get_state.as_ref());
        if let Some(got) = state.and_then(|s| s.get_tasks.as_ref()) {
            for t in all_tasks(got) {
                self.tasks.insert(t.task_id.value.clone(), t.clone());
            }
        }
        if let Some(t) = &e.task_added {
            self.tasks
                .insert(t.task.task_id.value.clone(), t.task.clone());
        }
        if let Some(u) = &e.task_updated
            && let Some(id) = &u.status.task_id
            && let Some(t) = self.tasks.get_mut(&id.value)
        {
            t.state = u.state.clone();
            t.statuses.push(u.status.clone());
        }
    }

    /// The table, with the tasks' timeline above it once there are tasks.
    fn bundle(&self, note: &str) -> MimeBundle {
        let table = self.table(note).to_bundle();
        if self.tasks.is_empty() {
            return table;
        }
        let svg =
            pictures::tasks_timeline(self.tasks.values(), "task seen").to_svg(&picture_id("watch"));
        with_picture(table, &svg)
    }

    fn table(&self, note: &str) -> Table {
        let mut t = Table::new(&["time", "event", "what"]);
        let skip = self.rows.len().saturating_sub(WATCH_ROWS);
        for r in &self.rows[skip..] {
            t.row(r.to_vec());
        }
        let older = if skip > 0 {
            format!(" (the last {WATCH_ROWS} shown)")
        } else {
            String::new()
        };
        t.caption = Some(format!(
            "{note}: {}{older}, {}",
            counted(self.listed, "event"),
            counted(self.heartbeats, "heartbeat")
        ));
        t
    }
}

async fn watch(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let spec = spec_in(MAGICS, "watch");
    super::no_positional(spec, &args)?;
    let timeout = duration_flag(spec, &args, "timeout", WATCH_DEFAULT)?;
    let types: Vec<EventType> = args
        .flags
        .get("type")
        .map(|v| v.iter().map(|t| EventType::from_name(t)).collect())
        .unwrap_or_default();
    let heartbeats = args.has("heartbeats");
    let conn = connection(ctx)?;
    // Fail fast on a dead master rather than showing an empty live table for the whole timeout.
    conn.operator
        .get_health()
        .await
        .map_err(|e| unreachable(&conn, e))?;

    let watch = conn.operator.subscribe(WatchConfig::default());
    let mut events = watch.events();
    let display_id = format!("mesos-watch-{}", uuid::Uuid::new_v4().simple());
    let mut seen = Seen {
        rows: Vec::new(),
        listed: 0,
        heartbeats: 0,
        tasks: BTreeMap::new(),
    };
    let live = format!("watching {} for {timeout:?}", conn.target.url());
    show(ctx, &seen.bundle(&live), &display_id, true);
    let deadline = tokio::time::Instant::now() + timeout;
    let end = loop {
        let event = tokio::select! {
            e = events.recv() => e,
            _ = tokio::time::sleep_until(deadline) => break format!("stopped after {timeout:?}"),
            _ = ctx.cancel.cancelled() => break "stopped (interrupted)".to_owned(),
        };
        let event = match event {
            Ok(e) => e,
            Err(RecvError::Lagged(n)) => {
                seen.rows.push([
                    clock(SystemTime::now()),
                    "(skipped)".into(),
                    format!(
                        "{} came faster than the table could show",
                        counted(n as usize, "event")
                    ),
                ]);
                continue;
            }
            Err(RecvError::Closed) => break "the stream closed".to_owned(),
        };
        seen.track(&event);
        if event.event_type == EventType::Heartbeat {
            seen.heartbeats += 1;
            if !heartbeats {
                show(ctx, &seen.bundle(&live), &display_id, false);
                continue;
            }
        }
        if !types.is_empty() && !types.contains(&event.event_type) {
            continue;
        }
        seen.listed += 1;
        seen.rows.push([
            clock(SystemTime::now()),
            event.event_type.to_string(),
            summary(&event),
        ]);
        show(ctx, &seen.bundle(&live), &display_id, false);
    };
    watch.close().await;
    show(ctx, &seen.bundle(&end), &display_id, false);
    Ok(None)
}
