//! Offers and launching: `%offers`, `%launch`.

use super::tasks::{DEFAULT_WAIT, STATES, parse_state, task_table, watch_task};
use super::{
    Body, MagicResult, attributes_text, duration_flag, interrupted, mesos_error, no_positional,
    number_flag, resource_cells, resource_text, show, usage,
};
use crate::display::table::Table;
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::registry::{ArgKind, FlagSpec, MagicContext, MagicKind, MagicSpec};
use mesos_lib::resources::offer_fits;
use mesos_lib::scheduler::SessionError;
use mesos_lib::v1::{CommandInfo, Offer, Resource, TaskInfo};
use std::time::Duration;

/// How long `%launch` waits for a first offer when none is held.
const OFFER_WAIT: Duration = Duration::from_secs(15);

pub(super) static MAGICS: &[(MagicSpec, Body)] = &[
    (
        MagicSpec {
            name: "offers",
            kind: MagicKind::Line,
            usage: "%offers [--wait DURATION]",
            summary: "Outstanding offers: agent, hostname, cpus, mem, disk, ports, attributes.",
            help: "With --wait, waits up to DURATION for a first offer when none is held, \
                   showing the table when it arrives.",
            flags: &[FlagSpec {
                name: "wait",
                value: ArgKind::Text,
                help: "wait this long for an offer (e.g. 10s)",
            }],
            positional: ArgKind::None,
        },
        |args, ctx| Box::pin(offers(args, ctx)),
    ),
    (
        MagicSpec {
            name: "launch",
            kind: MagicKind::Line,
            usage: "%launch [--name NAME] [--id ID] [--cpus N] [--mem MB] [--disk MB] [--wait STATE] -- COMMAND...",
            summary: "Launch a command task on an offer that fits.",
            help: "Picks an outstanding offer that holds the resources (or says what is missing), \
                   ACCEPTs it with a LAUNCH and shows the task. Re-running while a task with that \
                   --id (or, without --id, that --name) is active shows it instead of launching \
                   another. --wait shows the state live until it reaches STATE.",
            flags: &[
                FlagSpec {
                    name: "name",
                    value: ArgKind::Text,
                    help: "task name (default: task)",
                },
                FlagSpec {
                    name: "id",
                    value: ArgKind::Text,
                    help: "task id (default: NAME-<random>)",
                },
                FlagSpec {
                    name: "cpus",
                    value: ArgKind::Text,
                    help: "cpus (default 0.1)",
                },
                FlagSpec {
                    name: "mem",
                    value: ArgKind::Text,
                    help: "memory in MB (default 32)",
                },
                FlagSpec {
                    name: "disk",
                    value: ArgKind::Text,
                    help: "disk in MB (default none)",
                },
                FlagSpec {
                    name: "wait",
                    value: ArgKind::Choice(STATES),
                    help: "show the state live until it reaches this one",
                },
            ],
            positional: ArgKind::None,
        },
        |args, ctx| Box::pin(launch(args, ctx)),
    ),
];

fn spec(name: &str) -> &'static MagicSpec {
    &MAGICS
        .iter()
        .find(|(s, _)| s.name == name)
        .expect("declared")
        .0
}

fn offers_table(offers: &[Offer]) -> Table {
    let mut t = Table::new(&[
        "offer",
        "agent",
        "hostname",
        "cpus",
        "mem",
        "disk",
        "ports",
        "attributes",
    ]);
    for o in offers {
        let [cpus, mem, disk, ports] = resource_cells(&o.resources);
        t.row(vec![
            o.id.value.clone(),
            o.agent_id.value.clone(),
            o.hostname.clone(),
            cpus,
            mem,
            disk,
            ports,
            attributes_text(&o.attributes),
        ]);
    }
    t.caption = Some(format!("{} offers", offers.len()));
    t
}

async fn offers(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let spec = spec("offers");
    no_positional(spec, &args)?;
    let wait = args
        .has("wait")
        .then(|| duration_flag(spec, &args, "wait", Duration::ZERO))
        .transpose()?;
    let s = ctx.mesos.scheduler().map_err(mesos_error)?;
    let now = s.offers();
    let Some(wait) = wait.filter(|_| now.is_empty()) else {
        return Ok(Some(offers_table(&now).to_bundle()));
    };
    let display_id = format!("mesos-offers-{}", uuid::Uuid::new_v4().simple());
    let mut table = offers_table(&[]);
    table.caption = Some(format!("waiting up to {wait:?} for offers…"));
    show(ctx, &table.to_bundle(), &display_id, true);
    let got = tokio::select! {
        r = s.wait_for_offers(wait) => r,
        _ = ctx.cancel.cancelled() => return Err(interrupted("waiting for offers")),
    };
    let mut table = offers_table(&got.unwrap_or_default());
    if table.rows.is_empty() {
        table.caption = Some(format!("no offers within {wait:?}"));
    }
    show(ctx, &table.to_bundle(), &display_id, false);
    Ok(None)
}

async fn launch(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let spec = spec("launch");
    no_positional(spec, &args)?;
    let command = match &args.rest {
        Some(words) if !words.is_empty() => shlex::try_join(words.iter().map(String::as_str))
            .map_err(|e| usage(spec, format!("cannot quote the command: {e}")))?,
        _ => return Err(usage(spec, "give the command after --")),
    };
    let cpus = number_flag(spec, &args, "cpus", Some(0.1))?;
    let mem = number_flag(spec, &args, "mem", Some(32.0))?;
    let disk = number_flag(spec, &args, "disk", None)?;
    let want = args.value("wait").map(parse_state);
    let name = args.value("name").unwrap_or("task").to_owned();
    let id_flag = args.value("id").map(str::to_owned);
    let s = ctx.mesos.scheduler().map_err(mesos_error)?;

    // Re-running the cell: an active task with this id (or name) is shown, not launched again.
    let existing = s.read(|b| {
        b.tasks
            .iter()
            .find(|t| {
                !t.is_terminal()
                    && match &id_flag {
                        Some(id) => &t.task_id.value == id,
                        None => t.info.as_ref().is_some_and(|i| i.name == name),
                    }
            })
            .cloned()
    });
    if let Some(rec) = existing {
        let id = rec.task_id.value.clone();
        let mut table = task_table(std::slice::from_ref(&rec));
        table.caption = Some(format!(
            "task {id} is already active ({}): not launching another",
            rec.state()
        ));
        if want.is_none() {
            return Ok(Some(table.to_bundle()));
        }
        ctx.out.display(&table.to_bundle(), None);
        return watch_task(ctx, &s, &id, want, DEFAULT_WAIT).await;
    }

    let mut wanted: Vec<Resource> = Vec::new();
    for (n, v) in [("cpus", cpus), ("mem", mem), ("disk", disk)] {
        if let Some(v) = v.filter(|v| *v > 0.0) {
            wanted.push(Resource::scalar(n, v));
        }
    }
    let mut offers = s.offers();
    if offers.is_empty() {
        offers = tokio::select! {
            r = s.wait_for_offers(OFFER_WAIT) => r.map_err(|e| mesos_error(format!("no offer to launch on: {e}")))?,
            _ = ctx.cancel.cancelled() => return Err(interrupted("waiting for an offer")),
        };
    }
    let Some(offer) = offers.iter().find(|o| offer_fits(o, &wanted)) else {
        let offered = offers
            .iter()
            .map(|o| {
                format!(
                    "{} on {}: {}",
                    o.id,
                    o.hostname,
                    resource_text(&o.resources)
                )
            })
            .collect::<Vec<_>>()
            .join("\n  ");
        return Err(mesos_error(format!(
            "no offer holds {}; offered:\n  {offered}",
            resource_text(&wanted)
        )));
    };
    let task_id = id_flag
        .unwrap_or_else(|| format!("{name}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]));
    let task = TaskInfo::command(
        task_id.clone(),
        name.clone(),
        offer.agent_id.clone(),
        CommandInfo::shell(command),
        wanted,
    );
    match s.launch(&offer.id, vec![task]).await {
        Ok(()) => {}
        Err(SessionError::UnknownOffer(id)) => {
            return Err(mesos_error(format!(
                "offer {id} no longer exists (rescinded or used); run the cell again"
            )));
        }
        Err(e) => return Err(mesos_error(format!("LAUNCH failed: {e}"))),
    }
    match want {
        Some(w) => watch_task(ctx, &s, &task_id, Some(w), DEFAULT_WAIT).await,
        None => {
            let rec = s.task(&task_id).into_iter().collect::<Vec<_>>();
            let mut table = task_table(&rec);
            table.caption = Some(format!("launched {task_id} on {}", offer.hostname));
            Ok(Some(table.to_bundle()))
        }
    }
}
