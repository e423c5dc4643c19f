//! `%inverse_offers [accept | decline]`: the framework's side of maintenance. The master sends
//! INVERSE_OFFERS to a framework holding resources on a machine scheduled for maintenance; the
//! framework answers with ACCEPT_INVERSE_OFFERS (it will give them back in time) or
//! DECLINE_INVERSE_OFFERS, which the operator sees in the maintenance status.

use super::maintenance::{how_long, when};
use super::{Body, MagicResult, duration_flag, interrupted, mesos_error, usage};
use crate::display::table::Table;
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::registry::{ArgKind, FlagSpec, MagicContext, MagicKind, MagicSpec};
use crate::protocol::content::MimeBundle;
use mesos_lib::v1::InverseOffer;
use std::time::Duration;

/// How long `accept`/`decline` wait for an inverse offer when none is outstanding: the master
/// sends them at its next allocation cycle after a window is scheduled.
const DEFAULT_WAIT: Duration = Duration::from_secs(15);

const ACTIONS: &[&str] = &["accept", "decline"];

pub(super) static MAGICS: &[(MagicSpec, Body)] = &[(
    MagicSpec {
        name: "inverse_offers",
        kind: MagicKind::Line,
        usage: "%inverse_offers [accept | decline] [--refuse D] [--timeout D]",
        summary: "Inverse offers (maintenance asking for resources back): list, accept, decline.",
        help: "Without an action, lists the outstanding inverse offers this framework got: agent, \
               and the maintenance window that makes the master ask. `accept` answers every \
               outstanding one with ACCEPT_INVERSE_OFFERS, `decline` with \
               DECLINE_INVERSE_OFFERS; when none is outstanding yet they wait for one up to \
               --timeout (default 15s), and say so if none comes. The answer shows in \
               `%maintenance status`; the master asks again after --refuse (its default 5s) \
               while the window stands.",
        flags: &[
            FlagSpec {
                name: "refuse",
                value: ArgKind::Text,
                help: "with accept or decline: filters.refuse_seconds, how long until the master asks again (e.g. 1m)",
            },
            FlagSpec {
                name: "timeout",
                value: ArgKind::Text,
                help: "with accept or decline: how long to wait for an inverse offer (default 15s)",
            },
        ],
        positional: ArgKind::Choice(ACTIONS),
    },
    |args, ctx| Box::pin(inverse_offers(args, ctx)),
)];

async fn inverse_offers(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let spec = &MAGICS[0].0;
    let action = match args.positional.as_slice() {
        [] => None,
        [a] if ACTIONS.contains(&a.as_str()) => Some(a.as_str()),
        [a] => {
            return Err(usage(
                spec,
                format!("unknown action {a:?} (accept or decline)"),
            ));
        }
        [_, extra, ..] => return Err(usage(spec, format!("unexpected argument {extra:?}"))),
    };
    if action.is_none() && (args.has("refuse") || args.has("timeout")) {
        return Err(usage(
            spec,
            "--refuse and --timeout go with accept or decline",
        ));
    }
    let refuse = match args.value("refuse") {
        Some(_) => Some(duration_flag(spec, &args, "refuse", Duration::ZERO)?.as_secs_f64()),
        None => None,
    };
    let timeout = duration_flag(spec, &args, "timeout", DEFAULT_WAIT)?;
    let s = ctx.mesos.scheduler().map_err(mesos_error)?;
    let Some(action) = action else {
        let outstanding = s.inverse_offers();
        let mut t = table(&outstanding, None);
        t.caption = Some(format!("{} outstanding", how_many(outstanding.len())));
        return Ok(Some(t.to_bundle()));
    };
    let waited = s.wait_until(timeout, "an inverse offer", |b| {
        (!b.inverse_offers.is_empty() || b.state.is_terminal()).then(|| b.inverse_offers.clone())
    });
    let outstanding = tokio::select! {
        r = waited => r.unwrap_or_default(),
        _ = ctx.cancel.cancelled() => return Err(interrupted("waiting for an inverse offer")),
    };
    if outstanding.is_empty() {
        return Ok(Some(MimeBundle::text(format!(
            "no inverse offer came within {}: nothing to {action} (the master sends them to \
             frameworks holding resources on a machine scheduled for maintenance)",
            how_long(timeout)
        ))));
    }
    let accept = action == "accept";
    let ids = outstanding.iter().map(|o| o.id.clone()).collect();
    s.answer_inverse_offers(ids, accept, refuse)
        .await
        .map_err(|e| mesos_error(format!("{} failed: {e}", call_name(accept))))?;
    let again = match refuse {
        Some(r) => how_long(Duration::from_secs_f64(r)),
        None => "5s (the master's default)".into(),
    };
    let result = format!(
        "{}; asked again in {again} while the window stands",
        if accept { "accepted" } else { "declined" }
    );
    let mut t = table(&outstanding, Some(&result));
    t.caption = Some(format!(
        "{} sent for {}",
        call_name(accept),
        how_many(outstanding.len())
    ));
    Ok(Some(t.to_bundle()))
}

/// "1 inverse offer", "2 inverse offers" (`counted` would pluralise "inverse").
fn how_many(n: usize) -> String {
    format!("{n} inverse offer{}", if n == 1 { "" } else { "s" })
}

fn call_name(accept: bool) -> &'static str {
    if accept {
        "ACCEPT_INVERSE_OFFERS"
    } else {
        "DECLINE_INVERSE_OFFERS"
    }
}

/// One row per inverse offer: its agent and window (and what was done, when given).
fn table(offers: &[InverseOffer], result: Option<&str>) -> Table {
    let mut headers = vec!["inverse offer", "agent", "unavailable"];
    if result.is_some() {
        headers.push("result");
    }
    let mut t = Table::new(&headers);
    for o in offers {
        let una = &o.unavailability;
        let window = match &una.duration {
            Some(d) => format!(
                "from {} for {}",
                when(una.start.nanoseconds),
                how_long(Duration::from_nanos(d.nanoseconds.max(0) as u64))
            ),
            None => format!("from {}", when(una.start.nanoseconds)),
        };
        let mut row = vec![
            o.id.value.clone(),
            o.agent_id
                .as_ref()
                .map(|a| a.value.clone())
                .unwrap_or_else(|| "-".into()),
            window,
        ];
        row.extend(result.map(str::to_string));
        t.row(row);
    }
    t
}
