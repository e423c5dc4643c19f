//! `%shares`: each role's dominant share of the cluster over time, rebuilt from the tasks the
//! master keeps (when each started and ended, what it held, in which role), so DRF is
//! something you watch; `--follow` redraws it every second. Only v1 operator calls.

use super::operator::{all_tasks, unreachable};
use super::roles::{Quantities, SHARED, add, allocation_role, quantities, quantities_text};
use super::{Body, MagicResult, duration_flag, mesos_error, no_positional, num, show};
use crate::display::svg::shares::{ShareSeries, SharesChart};
use crate::display::svg::timeline::is_terminal;
use crate::display::svg::{picture_id, with_picture};
use crate::display::table::Table;
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::registry::{ArgKind, FlagSpec, MagicContext, MagicKind, MagicSpec};
use crate::mesos::Connection;
use crate::protocol::content::{ErrorContent, MimeBundle};
use mesos_lib::v1::master::response::{Framework, GetTasks};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

/// The span drawn without `--since`.
const SINCE_DEFAULT: Duration = Duration::from_secs(120);
/// How long `--follow` runs without `--timeout`.
const FOLLOW_DEFAULT: Duration = Duration::from_secs(30);
/// How often `--follow` reads the master again.
const FOLLOW_EVERY: Duration = Duration::from_secs(1);

pub(super) static MAGICS: &[(MagicSpec, Body)] = &[(
    MagicSpec {
        name: "shares",
        kind: MagicKind::Line,
        usage: "%shares [--since DURATION] [--follow [--timeout DURATION] | --live]",
        summary: "Each role's dominant share of the cluster over time (what DRF evens out).",
        help: "A role's dominant share is the largest, over cpus, mem and disk (and gpus), of \
               what its tasks hold divided by the cluster's total; its weighted share is that \
               divided by the role's weight, which Mesos's weighted DRF allocator keeps even \
               between roles that want more. The picture draws both (solid and dashed) over the \
               last --since (default 2m), from the tasks the master keeps: each counts from its \
               first status to its terminal one, in the role its resources were allocated to. \
               The table gives each role's share now and its mean over the span. --follow \
               redraws it every second until the timeout (default 30s) or an interrupt, both of \
               which end the cell normally.",
        flags: &[
            FlagSpec {
                name: "since",
                value: ArgKind::Text,
                help: "how far back the picture and the mean go (default 2m)",
            },
            FlagSpec {
                name: "follow",
                value: ArgKind::None,
                help: "redraw every second",
            },
            FlagSpec {
                name: "timeout",
                value: ArgKind::Text,
                help: "stop following after this long (default 30s)",
            },
        ],
        positional: ArgKind::None,
    },
    |args, ctx| Box::pin(shares(args, ctx)),
)];

/// One task's hold on the cluster: from `start` to `end` (still held: `None`).
#[derive(Debug, Clone, PartialEq)]
struct Hold {
    role: String,
    start: f64,
    end: Option<f64>,
    amounts: Quantities,
}

fn epoch_secs(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Every task's hold, from its statuses' timestamps (a task with none yet holds from `now`).
fn holds(tasks: &GetTasks, frameworks: &[Framework], now: f64) -> Vec<Hold> {
    let by_id: BTreeMap<&str, &Framework> = frameworks
        .iter()
        .filter_map(|f| f.framework_info.id.as_ref().map(|i| (i.value.as_str(), f)))
        .collect();
    all_tasks(tasks)
        .filter_map(|t| {
            let stamps: Vec<f64> = t.statuses.iter().filter_map(|s| s.timestamp).collect();
            let start = stamps.iter().copied().fold(f64::INFINITY, f64::min);
            let start = if start.is_finite() { start } else { now };
            let end = is_terminal(&t.state.to_string())
                .then(|| stamps.iter().copied().fold(start, f64::max));
            let role = match (
                t.resources.first(),
                by_id.get(t.framework_id.value.as_str()),
            ) {
                (Some(r), Some(f)) => allocation_role(r, f),
                (Some(r), None) => r
                    .allocation_info
                    .as_ref()
                    .and_then(|a| a.role.clone())
                    .unwrap_or_else(|| "*".into()),
                (None, _) => return None,
            };
            Some(Hold {
                role,
                start,
                end,
                amounts: quantities(&t.resources),
            })
        })
        .collect()
}

/// The largest fraction of `total` that `held` is, over the resources DRF counts.
fn dominant(held: &Quantities, total: &Quantities) -> f64 {
    SHARED
        .iter()
        .filter_map(|k| {
            let t = total.get(*k).copied().filter(|t| *t > 0.0)?;
            Some(held.get(*k).copied().unwrap_or(0.0) / t)
        })
        .fold(0.0, f64::max)
}

/// Each role's dominant share as steps over [start, now], and what it holds now.
fn series(
    holds: &[Hold],
    total: &Quantities,
    weights: &BTreeMap<String, f64>,
    start: f64,
) -> (Vec<ShareSeries>, BTreeMap<String, Quantities>) {
    // (time, role, amounts, +1 or -1), in time order; ends before starts at the same instant.
    let mut changes: Vec<(f64, &str, &Quantities, f64)> = Vec::new();
    for h in holds {
        changes.push((h.start, &h.role, &h.amounts, 1.0));
        if let Some(end) = h.end {
            changes.push((end, &h.role, &h.amounts, -1.0));
        }
    }
    changes.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.3.total_cmp(&b.3)));
    let mut held: BTreeMap<String, Quantities> = BTreeMap::new();
    let mut points: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for (t, role, amounts, sign) in changes {
        let q = held.entry(role.to_owned()).or_default();
        let signed: Quantities = amounts.iter().map(|(k, v)| (k.clone(), v * sign)).collect();
        add(q, &signed);
        let share = dominant(q, total);
        let p = points
            .entry(role.to_owned())
            .or_insert_with(|| vec![(start, 0.0)]);
        let at = t.max(start);
        match p.last_mut() {
            Some(last) if last.0 >= at => last.1 = share,
            _ => p.push((at, share)),
        }
    }
    let series = points
        .into_iter()
        .filter(|(_, p)| p.iter().any(|(_, s)| *s > 1e-9))
        .map(|(role, points)| ShareSeries {
            weight: weights.get(&role).copied().unwrap_or(1.0),
            role,
            points,
        })
        .collect();
    (series, held)
}

/// The time-weighted mean of a step series over [start, end].
fn mean(points: &[(f64, f64)], end: f64) -> f64 {
    let Some(first) = points.first() else {
        return 0.0;
    };
    let span = end - first.0;
    if span <= 0.0 {
        return points.last().map_or(0.0, |p| p.1);
    }
    let mut sum = 0.0;
    for (i, (t, v)) in points.iter().enumerate() {
        let next = points.get(i + 1).map_or(end, |p| p.0);
        sum += v * (next.min(end) - t).max(0.0);
    }
    sum / span
}

/// Reads the master and draws the picture above its table.
async fn bundle(
    conn: &Connection,
    since: Duration,
    note: &str,
) -> Result<MimeBundle, ErrorContent> {
    let op = &conn.operator;
    let (tasks, frameworks, agents, roles) = tokio::try_join!(
        op.get_tasks(),
        op.get_frameworks(),
        op.get_agents(),
        op.get_roles()
    )
    .map_err(|e| unreachable(conn, e))?;
    let now = epoch_secs(SystemTime::now());
    let mut total = Quantities::new();
    for a in &agents.agents {
        add(&mut total, &quantities(&a.total_resources));
    }
    let weights: BTreeMap<String, f64> = roles
        .roles
        .iter()
        .map(|r| (r.name.clone(), r.weight.unwrap_or(1.0)))
        .collect();
    let all: Vec<Framework> = frameworks
        .frameworks
        .into_iter()
        .chain(frameworks.completed_frameworks)
        .collect();
    let holds = holds(&tasks, &all, now);
    let start = now - since.as_secs_f64();
    let (series, held) = series(&holds, &total, &weights, start);
    let mut t = Table::new(&[
        "role",
        "weight",
        "holds now",
        "dominant share",
        "weighted share",
        "mean dominant share",
    ]);
    for s in &series {
        let now_held = held.get(&s.role).cloned().unwrap_or_default();
        t.row(vec![
            s.role.clone(),
            num(Some(s.weight)),
            quantities_text(&now_held),
            format!("{:.3}", s.last()),
            format!("{:.3}", s.last() / s.weight),
            format!("{:.3}", mean(&s.points, now)),
        ]);
    }
    let span = format!("the last {:.0}s", since.as_secs_f64());
    t.caption = Some(format!(
        "dominant shares of a cluster of {} over {span}{note}",
        quantities_text(&total)
    ));
    let chart = SharesChart {
        series,
        start,
        end: now,
        title: format!("dominant share per role, {span}"),
    };
    Ok(with_picture(
        t.to_bundle(),
        &chart.to_svg(&picture_id("shares")),
    ))
}

async fn shares(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let spec = &MAGICS[0].0;
    no_positional(spec, &args)?;
    let since = duration_flag(spec, &args, "since", SINCE_DEFAULT)?;
    let timeout = duration_flag(spec, &args, "timeout", FOLLOW_DEFAULT)?;
    if since.is_zero() {
        return Err(super::usage(spec, "--since must be longer than 0s"));
    }
    let conn = ctx.mesos.connection().map_err(mesos_error)?;
    if !args.has("follow") {
        return Ok(Some(bundle(&conn, since, "").await?));
    }
    let display_id = format!("mesos-shares-{}", uuid::Uuid::new_v4().simple());
    let live = format!(" (following for {timeout:?})");
    show(ctx, &bundle(&conn, since, &live).await?, &display_id, true);
    let deadline = tokio::time::Instant::now() + timeout;
    let end = loop {
        // The master pushes no allocation changes: the view reads it again every second.
        tokio::select! {
            _ = tokio::time::sleep(FOLLOW_EVERY) => {}
            _ = tokio::time::sleep_until(deadline) => break format!(" (stopped after {timeout:?})"),
            _ = ctx.cancel.cancelled() => break " (stopped: interrupted)".to_owned(),
        }
        show(ctx, &bundle(&conn, since, &live).await?, &display_id, false);
    };
    show(ctx, &bundle(&conn, since, &end).await?, &display_id, false);
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(cpus: f64, mem: f64) -> Quantities {
        [("cpus".to_owned(), cpus), ("mem".to_owned(), mem)].into()
    }

    #[test]
    fn dominant_shares_step_as_tasks_start_and_end() {
        let total = q(8.0, 1024.0);
        let holds = vec![
            Hold {
                role: "web".into(),
                start: 10.0,
                end: None,
                amounts: q(1.0, 512.0),
            },
            Hold {
                role: "batch".into(),
                start: 12.0,
                end: Some(14.0),
                amounts: q(4.0, 64.0),
            },
        ];
        let weights = [("web".to_owned(), 3.0)].into();
        let (series, held) = series(&holds, &total, &weights, 0.0);
        let batch = &series[0];
        assert_eq!(batch.role, "batch");
        // cpus dominate batch (4/8), mem dominates web (512/1024).
        assert_eq!(batch.points, vec![(0.0, 0.0), (12.0, 0.5), (14.0, 0.0)]);
        assert_eq!(series[1].points, vec![(0.0, 0.0), (10.0, 0.5)]);
        assert_eq!(series[1].weight, 3.0);
        assert_eq!(held["web"]["cpus"], 1.0);
        assert_eq!(held["batch"]["cpus"], 0.0);
        // Held half the time from 10 to 20: mean 0.25 over [0, 20].
        assert!((mean(&series[1].points, 20.0) - 0.25).abs() < 1e-9);
        assert!((mean(&batch.points, 20.0) - 0.05).abs() < 1e-9);
    }
}
