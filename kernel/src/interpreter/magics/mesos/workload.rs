//! `%workload`: demo frameworks that compete for the cluster, each in its own role, launching
//! short tasks on every offer they get (see [`crate::mesos::workloads`]).

use super::sharing::check_role;
use super::subscribe::subscribe_once;
use super::{Body, MagicResult, mesos_error, num, number_flag, usage};
use crate::display::table::Table;
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::registry::{
    ArgKind, FlagSpec, MagicContext, MagicKind, MagicSpec, spec_in,
};
use crate::mesos::LiveKind;
use crate::mesos::workloads::{TaskShape, Workload};
use crate::protocol::content::ErrorContent;
use mesos_lib::v1::FrameworkInfo;
use std::sync::atomic::Ordering;

pub(super) static MAGICS: &[(MagicSpec, Body)] = &[(
    MagicSpec {
        name: "workload",
        kind: MagicKind::Line,
        usage: "%workload [start NAME --role ROLE [--cpus N] [--mem MB] [--seconds A-B] [--tasks N] \
                | stop [NAME...]]",
        summary: "Demo frameworks competing for the cluster, one role each: start, list, stop.",
        help: "start subscribes a framework called NAME in ROLE, beside this kernel's own \
               session, that launches one task on every offer it gets (--cpus 0.5 --mem 64 by \
               default, taking what is reserved for ROLE first; each sleeps between A and B \
               seconds, default 4-8) and gives the rest back at once, so every task is an \
               allocation decision; until stopped (or --tasks N are launched). Several such workloads in \
               different roles show how the allocator shares the cluster out: %shares draws \
               it. Re-running start while NAME runs shows it and starts nothing. Without \
               arguments: each workload, its framework, tasks launched, and the roles of \
               reserved resources its offers held (only its own, ever). stop tears the named \
               workloads (all without names) down: their tasks end. They are failover-timeout-0 \
               frameworks: the master removes them if the kernel goes.",
        flags: &[
            FlagSpec {
                name: "role",
                value: ArgKind::Live(LiveKind::Role),
                help: "the role the workload's framework subscribes in",
            },
            FlagSpec {
                name: "cpus",
                value: ArgKind::Text,
                help: "cpus per task (default 0.5)",
            },
            FlagSpec {
                name: "mem",
                value: ArgKind::Text,
                help: "memory per task in MB (default 64)",
            },
            FlagSpec {
                name: "seconds",
                value: ArgKind::Text,
                help: "how long each task runs, A-B seconds (default 4-8)",
            },
            FlagSpec {
                name: "tasks",
                value: ArgKind::Text,
                help: "stop launching after this many tasks (default: until stopped)",
            },
        ],
        positional: ArgKind::Choice(&["start", "stop"]),
    },
    |args, ctx| Box::pin(workload(args, ctx)),
)];

fn table(list: &[Workload]) -> Table {
    let mut t = Table::new(&[
        "workload",
        "role",
        "framework",
        "state",
        "launched",
        "running",
        "task",
        "reserved offered",
    ]);
    for w in list {
        let (id, state, running) = w.scheduler.read(|b| {
            (
                b.framework_id
                    .as_ref()
                    .map_or_else(|| "-".into(), |f| f.value.clone()),
                b.state.to_string(),
                b.tasks.iter().filter(|t| !t.is_terminal()).count(),
            )
        });
        let seen = w
            .reserved_seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect::<Vec<_>>();
        t.row(vec![
            w.name.clone(),
            w.role.clone(),
            id,
            state,
            w.launched.load(Ordering::Relaxed).to_string(),
            running.to_string(),
            format!(
                "cpus:{};mem:{}, {}-{}s",
                num(Some(w.shape.cpus)),
                num(Some(w.shape.mem)),
                num(Some(w.shape.seconds.0)),
                num(Some(w.shape.seconds.1))
            ),
            if seen.is_empty() {
                "none".into()
            } else {
                seen.join(",")
            },
        ]);
    }
    t
}

/// `A-B` seconds (or one number for both).
fn parse_seconds(spec: &MagicSpec, text: &str) -> Result<(f64, f64), ErrorContent> {
    let bad = || {
        usage(
            spec,
            format!("--seconds takes A-B (e.g. 4-8), not {text:?}"),
        )
    };
    let (a, b) = text.split_once('-').unwrap_or((text, text));
    let a: f64 = a.trim().trim_end_matches('s').parse().map_err(|_| bad())?;
    let b: f64 = b.trim().trim_end_matches('s').parse().map_err(|_| bad())?;
    if !(a.is_finite() && b.is_finite() && a > 0.0 && b >= a) {
        return Err(bad());
    }
    Ok((a, b))
}

async fn start(args: &Args, ctx: &MagicContext<'_>) -> MagicResult {
    let spec = spec_in(MAGICS, "workload");
    let name = match &args.positional[1..] {
        [n] => n.clone(),
        [] => return Err(usage(spec, "start needs the workload's NAME")),
        [_, extra, ..] => return Err(usage(spec, format!("unexpected argument {extra:?}"))),
    };
    let role = args
        .value("role")
        .ok_or_else(|| usage(spec, "start needs --role ROLE"))?
        .to_owned();
    check_role(spec, &role)?;
    let cpus = number_flag(spec, args, "cpus", Some(0.5))?.unwrap_or(0.5);
    let mem = number_flag(spec, args, "mem", Some(64.0))?.unwrap_or(64.0);
    if cpus <= 0.0 || mem <= 0.0 {
        return Err(usage(spec, "--cpus and --mem must be above 0"));
    }
    let shape = TaskShape {
        cpus,
        mem,
        seconds: parse_seconds(spec, args.value("seconds").unwrap_or("4-8"))?,
        max_tasks: number_flag(spec, args, "tasks", None)?.map(|n| n as u64),
    };
    let workloads = ctx.mesos.workloads();
    if let Some(w) = workloads.get(&name)
        && !w.scheduler.state().is_terminal()
    {
        let mut t = table(&[w]);
        t.caption = Some(format!(
            "workload {name} is already running: nothing started"
        ));
        return Ok(Some(t.to_bundle()));
    }
    // A workload whose session ended (master gone) is replaced.
    workloads.stop(&name).await;
    let conn = ctx.mesos.connection().map_err(mesos_error)?;
    let user = std::env::var("USER").unwrap_or_else(|_| "root".into());
    let mut info = FrameworkInfo::new(user, name.as_str());
    info.role = Some(role.clone());
    info.failover_timeout = Some(0.0);
    let s = subscribe_once(ctx, &conn, info, &[])
        .await
        .map_err(|why| mesos_error(format!("workload {name}: SUBSCRIBE failed: {why}")))?;
    workloads.start(&name, &role, shape, s);
    ctx.mesos.note_roles([role.clone()]);
    let list: Vec<Workload> = workloads.get(&name).into_iter().collect();
    let mut t = table(&list);
    t.caption = Some(format!(
        "workload {name} started in role {role}: it launches a task on every offer it gets"
    ));
    Ok(Some(t.to_bundle()))
}

async fn workload(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let spec = spec_in(MAGICS, "workload");
    let setting = ["role", "cpus", "mem", "seconds", "tasks"]
        .iter()
        .find(|f| args.has(f));
    match args.positional.first().map(String::as_str) {
        Some("start") => start(&args, ctx).await,
        Some("stop") | None if setting.is_some() => Err(usage(
            spec,
            format!("--{} goes with start", setting.copied().unwrap_or_default()),
        )),
        Some("stop") => {
            let names: Vec<String> = if args.positional.len() > 1 {
                args.positional[1..].to_vec()
            } else {
                ctx.mesos
                    .workloads()
                    .list()
                    .into_iter()
                    .map(|w| w.name)
                    .collect()
            };
            let mut t = Table::new(&["workload", "stopped"]);
            for n in &names {
                let stopped = ctx.mesos.workloads().stop(n).await;
                t.row(vec![
                    n.clone(),
                    if stopped {
                        "torn down: its tasks end".into()
                    } else {
                        "not running: nothing to do".into()
                    },
                ]);
            }
            t.caption = Some(if names.is_empty() {
                "no workload running: nothing to stop".into()
            } else {
                format!("{} stopped", names.len())
            });
            Ok(Some(t.to_bundle()))
        }
        None => {
            let list = ctx.mesos.workloads().list();
            let mut t = table(&list);
            t.caption = Some(if list.is_empty() {
                "no workload running (%workload start NAME --role ROLE)".into()
            } else {
                crate::display::counted(list.len(), "workload")
            });
            Ok(Some(t.to_bundle()))
        }
        Some(other) => Err(usage(
            spec,
            format!("{other:?}: give start, stop or nothing"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_a_span() {
        let spec = spec_in(MAGICS, "workload");
        assert_eq!(parse_seconds(spec, "4-8").unwrap(), (4.0, 8.0));
        assert_eq!(parse_seconds(spec, "3").unwrap(), (3.0, 3.0));
        assert_eq!(parse_seconds(spec, "2s-5s").unwrap(), (2.0, 5.0));
        for bad in ["8-4", "x", "0-1", "-1-2"] {
            assert!(parse_seconds(spec, bad).is_err(), "{bad}");
        }
    }
}
