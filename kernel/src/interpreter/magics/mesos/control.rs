//! Steering the offer flow and asking for task states: `%decline`, `%revive`, `%suppress`,
//! `%reconcile`.

use super::events::clock;
use super::{
    Body, MagicResult, duration_flag, interrupted, mesos_error, no_positional, parse_duration,
    resource_text, usage,
};
use crate::display::counted;
use crate::display::table::Table;
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::registry::{
    ArgKind, FlagSpec, MagicContext, MagicKind, MagicSpec, spec_in,
};
use crate::mesos::LiveKind;
use crate::protocol::content::{ErrorContent, MimeBundle};
use mesos_lib::scheduler::{OfferEnd, Scheduler};
use mesos_lib::v1::scheduler::EventType;
use mesos_lib::v1::{OfferId, TaskId};
use std::collections::BTreeSet;
use std::time::Duration;

/// How long `%reconcile TASK…` waits for every named task to be answered.
const EXPLICIT_WAIT: Duration = Duration::from_secs(10);
/// How long implicit reconciliation collects answers: the master does not say how many come.
const IMPLICIT_WINDOW: Duration = Duration::from_secs(2);

const ROLE_FLAG: &[FlagSpec] = &[FlagSpec {
    name: "role",
    value: ArgKind::Text,
    help: "only this role (repeatable; default: every role of the framework)",
}];

pub(super) static MAGICS: &[(MagicSpec, Body)] = &[
    (
        MagicSpec {
            name: "decline",
            kind: MagicKind::Line,
            usage: "%decline [OFFER... | --all] [--refuse DURATION]",
            summary: "DECLINE offers, optionally refusing their agents for a while.",
            help: "One DECLINE for the named outstanding offers (or all of them). --refuse sets \
                   filters.refuse_seconds (the master's default is 5s). An offer that is no \
                   longer outstanding gets a row saying why (already declined, used, \
                   rescinded) and is not sent again; an id never offered is an error.",
            flags: &[
                FlagSpec {
                    name: "all",
                    value: ArgKind::None,
                    help: "every outstanding offer",
                },
                FlagSpec {
                    name: "refuse",
                    value: ArgKind::Text,
                    help: "do not offer these agents' resources again for this long (e.g. 30s)",
                },
            ],
            positional: ArgKind::Live(LiveKind::OfferId),
        },
        |args, ctx| Box::pin(decline(args, ctx)),
    ),
    (
        MagicSpec {
            name: "revive",
            kind: MagicKind::Line,
            usage: "%revive [--role ROLE]",
            summary: "REVIVE: clear offer filters and un-suppress (offers resume).",
            help: "Without --role it applies to every role of the framework. Safe to re-run.",
            flags: ROLE_FLAG,
            positional: ArgKind::None,
        },
        |args, ctx| Box::pin(revive(args, ctx)),
    ),
    (
        MagicSpec {
            name: "suppress",
            kind: MagicKind::Line,
            usage: "%suppress [--role ROLE]",
            summary: "SUPPRESS: no more offers until %revive.",
            help: "Without --role it applies to every role of the framework. %status lists the \
                   suppressed roles; they stay suppressed across reconnects.",
            flags: ROLE_FLAG,
            positional: ArgKind::None,
        },
        |args, ctx| Box::pin(suppress(args, ctx)),
    ),
    (
        MagicSpec {
            name: "reconcile",
            kind: MagicKind::Line,
            usage: "%reconcile [TASK...] [--timeout DURATION]",
            summary: "RECONCILE: ask the master for task states and show its answers.",
            help: "With tasks: explicit reconciliation, waiting until each named task is answered \
                   (default 10s). Without: implicit reconciliation; the master answers for every \
                   task it knows, and the answers that arrive within the window (default 2s) \
                   are shown. Answers arrive as UPDATE events (no uuid, nothing to acknowledge).",
            flags: &[FlagSpec {
                name: "timeout",
                value: ArgKind::Text,
                help: "how long to wait for answers",
            }],
            positional: ArgKind::Live(LiveKind::TaskId),
        },
        |args, ctx| Box::pin(reconcile(args, ctx)),
    ),
];

/// Where a named offer stands before DECLINE.
enum OfferCheck {
    /// Outstanding: agent and resources, for the row.
    Outstanding(String, String),
    /// Gone, and why.
    Ended(OfferEnd),
    /// Never seen by this session.
    Unknown,
}

fn check_offer(s: &Scheduler, id: &OfferId) -> OfferCheck {
    s.read(|b| match b.offers.get(id) {
        Some(o) => OfferCheck::Outstanding(o.agent_id.value.clone(), resource_text(&o.resources)),
        None => b
            .offers
            .ended(id)
            .map_or(OfferCheck::Unknown, OfferCheck::Ended),
    })
}

async fn decline(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let spec = spec_in(MAGICS, "decline");
    let all = args.has("all");
    if all && !args.positional.is_empty() {
        return Err(usage(spec, "name offers or give --all, not both"));
    }
    if !all && args.positional.is_empty() {
        return Err(usage(spec, "name at least one offer, or give --all"));
    }
    let refuse = args
        .value("refuse")
        .map(|v| parse_duration(v).map_err(|e| usage(spec, format!("--refuse: {e}"))))
        .transpose()?
        .map(|d| d.as_secs_f64());
    let s = ctx.mesos.scheduler().map_err(mesos_error)?;
    let ids: Vec<String> = if all {
        s.offers().into_iter().map(|o| o.id.value).collect()
    } else {
        // A repeated id is one offer.
        let mut seen = BTreeSet::new();
        args.positional
            .iter()
            .filter(|id| seen.insert(id.as_str()))
            .cloned()
            .collect()
    };
    if ids.is_empty() {
        return Ok(Some(MimeBundle::text(
            "no outstanding offers: nothing to decline",
        )));
    }
    let checks: Vec<(String, OfferCheck)> = ids
        .into_iter()
        .map(|id| {
            let c = check_offer(&s, &OfferId::new(id.as_str()));
            (id, c)
        })
        .collect();
    let to_send: Vec<OfferId> = checks
        .iter()
        .filter(|(_, c)| matches!(c, OfferCheck::Outstanding(..)))
        .map(|(id, _)| OfferId::new(id.as_str()))
        .collect();
    let unknown: Vec<&str> = checks
        .iter()
        .filter(|(_, c)| matches!(c, OfferCheck::Unknown))
        .map(|(id, _)| id.as_str())
        .collect();
    if to_send.is_empty() && !unknown.is_empty() {
        return Err(mesos_error(format!(
            "no such outstanding offer: {} (never offered to this framework; %offers lists the \
             outstanding ones)",
            unknown.join(", ")
        )));
    }
    if !to_send.is_empty() {
        s.decline(to_send, refuse)
            .await
            .map_err(|e| mesos_error(format!("DECLINE failed: {e}")))?;
    }
    Ok(Some(declined_table(checks, refuse)))
}

/// What `%decline` did, offer by offer.
fn declined_table(checks: Vec<(String, OfferCheck)>, refuse: Option<f64>) -> MimeBundle {
    let sent = match refuse {
        Some(r) => format!("declined; agent refused for {}s", super::num(Some(r))),
        None => "declined (the master refuses the agent for its default 5s)".into(),
    };
    let mut t = Table::new(&["offer", "agent", "resources", "result"]);
    for (id, check) in checks {
        let (agent, res, result) = match check {
            OfferCheck::Outstanding(agent, res) => (agent, res, sent.clone()),
            OfferCheck::Ended(OfferEnd::Declined) => (
                "-".into(),
                "-".into(),
                "already declined; nothing sent".into(),
            ),
            OfferCheck::Ended(end) => ("-".into(), "-".into(), format!("{end}; nothing sent")),
            OfferCheck::Unknown => (
                "-".into(),
                "-".into(),
                "error: not an offer of this framework; nothing sent".into(),
            ),
        };
        t.row(vec![id, agent, res, result]);
    }
    t.to_bundle()
}

/// The roles a REVIVE/SUPPRESS names, as text for the answer.
fn roles_text(roles: &[String], s: &Scheduler) -> String {
    if roles.is_empty() {
        let fw = s.read(|b| {
            b.framework_id
                .as_ref()
                .map(|f| f.value.clone())
                .unwrap_or_default()
        });
        format!("every role of framework {fw}")
    } else {
        format!("role {}", roles.join(", "))
    }
}

async fn revive(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    no_positional(spec_in(MAGICS, "revive"), &args)?;
    let roles = args.flags.get("role").cloned().unwrap_or_default();
    let s = ctx.mesos.scheduler().map_err(mesos_error)?;
    s.revive(roles.clone())
        .await
        .map_err(|e| mesos_error(format!("REVIVE failed: {e}")))?;
    let still = suppressed_text(&s);
    Ok(Some(MimeBundle::text(format!(
        "REVIVE sent for {}: the master cleared this framework's offer filters and offers \
         resume{still}",
        roles_text(&roles, &s)
    ))))
}

async fn suppress(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    no_positional(spec_in(MAGICS, "suppress"), &args)?;
    let roles = args.flags.get("role").cloned().unwrap_or_default();
    let s = ctx.mesos.scheduler().map_err(mesos_error)?;
    s.suppress(roles.clone())
        .await
        .map_err(|e| mesos_error(format!("SUPPRESS failed: {e}")))?;
    Ok(Some(MimeBundle::text(format!(
        "SUPPRESS sent for {}: no offers until %revive{}",
        roles_text(&roles, &s),
        suppressed_text(&s)
    ))))
}

fn suppressed_text(s: &Scheduler) -> String {
    s.read(|b| {
        if b.suppressed_roles.is_empty() {
            "; no role is suppressed now".to_owned()
        } else {
            format!(
                "; suppressed now: {}",
                b.suppressed_roles
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    })
}

/// What `%reconcile` asks about and waits for.
struct Targets {
    /// Whether tasks were named (explicit) or not (implicit).
    explicit: bool,
    /// The named tasks, each once, in order.
    named: Vec<String>,
    /// The tasks whose answers end the wait early: the named ones, or every live task.
    awaited: Vec<String>,
}

impl Targets {
    fn new(s: &Scheduler, positional: &[String]) -> Self {
        let mut seen = BTreeSet::new();
        let named: Vec<String> = positional
            .iter()
            .filter(|t| seen.insert(t.as_str()))
            .cloned()
            .collect();
        let explicit = !named.is_empty();
        // Implicit: what we know is live, to stop early once all answered.
        let awaited = if explicit {
            named.clone()
        } else {
            s.read(|b| {
                b.tasks
                    .non_terminal()
                    .into_iter()
                    .map(|(t, _)| t.value)
                    .collect()
            })
        };
        Self {
            explicit,
            named,
            awaited,
        }
    }
}

async fn reconcile(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let spec = spec_in(MAGICS, "reconcile");
    let default_wait = if args.positional.is_empty() {
        IMPLICIT_WINDOW
    } else {
        EXPLICIT_WAIT
    };
    let timeout = duration_flag(spec, &args, "timeout", default_wait)?;
    let s = ctx.mesos.scheduler().map_err(mesos_error)?;
    let targets = Targets::new(&s, &args.positional);
    let (log_mark, timed_out) = send_and_wait(ctx, &s, &targets, timeout).await?;
    let (mut t, answered) = answers_table(&s, log_mark, &targets);
    let missing = add_unanswered_rows(&mut t, &targets.named, &answered, timeout);
    t.caption = Some(caption(&targets, t.rows.len(), missing, timed_out, timeout));
    Ok(Some(t.to_bundle()))
}

/// Sends RECONCILE and waits until every awaited task has been answered, the session ends or
/// `timeout` passes; returns the event-log mark taken before the call and whether it timed out.
async fn send_and_wait(
    ctx: &MagicContext<'_>,
    s: &Scheduler,
    targets: &Targets,
    timeout: Duration,
) -> Result<(u64, bool), ErrorContent> {
    let tasks: Vec<(TaskId, Option<_>)> = targets
        .named
        .iter()
        .map(|t| {
            let agent = s.task(t).and_then(|r| r.agent_id);
            (TaskId::new(t.as_str()), agent)
        })
        .collect();
    // Marks taken before the call: answers are what is logged after them.
    let (task_mark, log_mark) = s.read(|b| (b.tasks.seq(), b.events_logged));
    s.reconcile(tasks)
        .await
        .map_err(|e| mesos_error(format!("RECONCILE failed: {e}")))?;
    let awaited = &targets.awaited;
    let answered = s.wait_until(timeout, "reconciliation answers", |b| {
        let all = !awaited.is_empty()
            && awaited
                .iter()
                .all(|t| b.tasks.get(t).is_some_and(|r| r.last_seen_seq > task_mark));
        (all || b.state.is_terminal()).then_some(())
    });
    let timed_out = tokio::select! {
        r = answered => r.is_err(),
        _ = ctx.cancel.cancelled() => return Err(interrupted("waiting for reconciliation answers")),
    };
    Ok((log_mark, timed_out))
}

/// One row per UPDATE logged since `log_mark` (only the named tasks' when explicit), and the
/// tasks answered.
fn answers_table(s: &Scheduler, log_mark: u64, targets: &Targets) -> (Table, BTreeSet<String>) {
    let mut t = Table::new(&["time", "task", "state", "reason", "source", "message"]);
    let mut answered: BTreeSet<String> = BTreeSet::new();
    s.read(|b| {
        for e in b.events_since(log_mark) {
            let Some(u) = e
                .event
                .update
                .as_ref()
                .filter(|_| e.event.event_type == EventType::Update)
            else {
                continue;
            };
            let task = u
                .status
                .task_id
                .as_ref()
                .map(|t| t.value.clone())
                .unwrap_or_default();
            if targets.explicit && !targets.named.contains(&task) {
                continue;
            }
            answered.insert(task.clone());
            let dash = |o: Option<String>| o.unwrap_or_else(|| "-".into());
            t.row(vec![
                clock(e.at),
                task,
                u.status.state.to_string(),
                dash(u.status.reason.as_ref().map(ToString::to_string)),
                dash(u.status.source.as_ref().map(ToString::to_string)),
                u.status.message.clone().unwrap_or_default(),
            ]);
        }
    });
    (t, answered)
}

/// A row saying so for each named task without an answer; returns how many there were.
fn add_unanswered_rows(
    t: &mut Table,
    named: &[String],
    answered: &BTreeSet<String>,
    timeout: Duration,
) -> usize {
    let missing: Vec<&String> = named.iter().filter(|n| !answered.contains(*n)).collect();
    for m in &missing {
        t.row(vec![
            "-".into(),
            (*m).clone(),
            "-".into(),
            "-".into(),
            "-".into(),
            format!(
                "no answer within {}",
                super::num(Some(timeout.as_secs_f64()))
            ) + "s",
        ]);
    }
    missing.len()
}

/// The table's caption: what was reconciled and how it ended.
fn caption(
    targets: &Targets,
    rows: usize,
    missing: usize,
    timed_out: bool,
    timeout: Duration,
) -> String {
    if targets.explicit {
        let named = targets.named.len();
        format!(
            "explicit reconciliation of {}: {} answered{}",
            counted(named, "task"),
            named - missing,
            if timed_out && missing > 0 {
                format!(" (gave up after {timeout:?})")
            } else {
                String::new()
            }
        )
    } else {
        format!(
            "implicit reconciliation: {} {}",
            counted(rows, "update"),
            if timed_out || targets.awaited.is_empty() {
                format!("within {timeout:?}")
            } else {
                "(every live task answered)".into()
            }
        )
    }
}
