//! The session's recent scheduler events: `%events`, once or followed live.

use super::{Body, MagicResult, mesos_error, num, resource_text, show, usage};
use crate::display::counted;
use crate::display::table::Table;
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::registry::{ArgKind, FlagSpec, MagicContext, MagicKind, MagicSpec};
use crate::protocol::content::ErrorContent;
use mesos_lib::scheduler::{Book, LoggedEvent};
use mesos_lib::v1::offer::Offer;
use mesos_lib::v1::scheduler::event::Failure;
use mesos_lib::v1::scheduler::{Event, EventType};
use mesos_lib::v1::status::TaskStatus;
use std::time::{Duration, Instant, SystemTime};

/// Rows shown without `-n`.
const DEFAULT_ROWS: usize = 20;
/// `--follow` without `--timeout` runs until interrupted; this only keeps the deadline finite.
const FOLLOW_FOREVER: Duration = Duration::from_secs(365 * 24 * 3600);

/// Event types `--type` accepts.
const TYPES: &[&str] = &[
    "SUBSCRIBED",
    "OFFERS",
    "INVERSE_OFFERS",
    "RESCIND",
    "RESCIND_INVERSE_OFFER",
    "UPDATE",
    "UPDATE_OPERATION_STATUS",
    "MESSAGE",
    "FAILURE",
    "ERROR",
    "HEARTBEAT",
];

pub(super) static MAGICS: &[(MagicSpec, Body)] = &[(
    MagicSpec {
        name: "events",
        kind: MagicKind::Line,
        usage: "%events [-n N] [--type TYPE] [--follow | --live] [--timeout DURATION]",
        summary: "The framework's recent scheduler events (newest last), or follow them live.",
        help: "Reads the session's bounded event log (consecutive heartbeats share one row). \
               --type keeps one kind (repeatable). --follow keeps one table updated as events \
               arrive until you interrupt it (the table stays) or --timeout passes.",
        flags: &[
            FlagSpec {
                name: "n",
                value: ArgKind::Text,
                help: "how many rows (default 20); -n N works too",
            },
            FlagSpec {
                name: "type",
                value: ArgKind::Choice(TYPES),
                help: "only events of this type",
            },
            FlagSpec {
                name: "follow",
                value: ArgKind::None,
                help: "keep the table updated as events arrive",
            },
            FlagSpec {
                name: "timeout",
                value: ArgKind::Text,
                help: "with --follow: stop after this long",
            },
        ],
        positional: ArgKind::None,
    },
    |args, ctx| Box::pin(events(args, ctx)),
)];

fn spec() -> &'static MagicSpec {
    &MAGICS[0].0
}

/// A wall-clock time as `HH:MM:SS.mmm` (local time).
pub(super) fn clock(at: SystemTime) -> String {
    chrono::DateTime::<chrono::Local>::from(at)
        .format("%H:%M:%S%.3f")
        .to_string()
}

/// One line saying what an event carried.
fn summary(e: &Event) -> String {
    let text = match e.event_type {
        EventType::Subscribed => e.subscribed.as_ref().map(|s| {
            format!(
                "framework {}, heartbeat every {}s",
                s.framework_id,
                num(s.heartbeat_interval_seconds)
            )
        }),
        EventType::Offers => e.offers.as_ref().map(|o| offers_summary(&o.offers)),
        EventType::Rescind => e.rescind.as_ref().map(|r| format!("offer {}", r.offer_id)),
        EventType::Update => e.update.as_ref().map(|u| status_summary(&u.status)),
        EventType::UpdateOperationStatus => e.update_operation_status.as_ref().map(|u| {
            let id = u.status.operation_id.as_ref();
            let id = id.map(|o| o.value.as_str()).unwrap_or("?");
            format!("operation {id} {}", u.status.state)
        }),
        EventType::Message => e.message.as_ref().map(|m| {
            format!(
                "from executor {} on agent {}: {}",
                m.executor_id,
                m.agent_id,
                message_text(m.data.as_slice())
            )
        }),
        EventType::Failure => e.failure.as_ref().map(failure_summary),
        EventType::Error => e.error.as_ref().map(|x| x.message.clone()),
        _ => None,
    };
    text.unwrap_or_default()
}

/// Each offer of an OFFERS event: its id, agent and resources.
fn offers_summary(offers: &[Offer]) -> String {
    offers
        .iter()
        .map(|o| {
            format!(
                "{} (agent {}: {})",
                o.id,
                o.agent_id,
                resource_text(&o.resources)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A status update: the task, its state, and the reason and message when there are some.
fn status_summary(s: &TaskStatus) -> String {
    let task = s.task_id.as_ref().map(|t| t.value.as_str()).unwrap_or("?");
    let mut text = format!("task {task} {}", s.state);
    if let Some(r) = &s.reason {
        text.push_str(&format!(" ({r})"));
    }
    if let Some(m) = s.message.as_ref().filter(|m| !m.is_empty()) {
        text.push_str(&format!(": {m}"));
    }
    text
}

/// A FAILURE event: the agent, the executor and its exit status, those that are given.
fn failure_summary(f: &Failure) -> String {
    let mut parts = Vec::new();
    if let Some(a) = &f.agent_id {
        parts.push(format!("agent {a}"));
    }
    if let Some(x) = &f.executor_id {
        parts.push(format!("executor {x}"));
    }
    if let Some(s) = f.status {
        parts.push(format!("exit status {s}"));
    }
    parts.join(", ")
}

/// A framework message's data as text (base64 in JSON, decoded): UTF-8 shown quoted and
/// shortened; other bytes by their count.
fn message_text(data: &[u8]) -> String {
    const SHOWN: usize = 200;
    match std::str::from_utf8(data) {
        Ok(text) if text.chars().count() > SHOWN => {
            let head: String = text.chars().take(SHOWN).collect();
            format!("{head:?}… ({} bytes)", data.len())
        }
        Ok(text) => format!("{text:?}"),
        Err(_) => format!("{} bytes of binary data", data.len()),
    }
}

fn row(e: &LoggedEvent) -> Vec<String> {
    let mut what = summary(&e.event);
    if e.count > 1 {
        what = format!("×{} (last one at this time)", e.count);
    }
    vec![clock(e.at), e.event.event_type.to_string(), what]
}

/// The last `n` logged events of the wanted types, as a table.
fn table(b: &Book, types: &[EventType], n: usize) -> Table {
    let wanted: Vec<&LoggedEvent> = b
        .events
        .iter()
        .filter(|e| types.is_empty() || types.contains(&e.event.event_type))
        .collect();
    let mut t = Table::new(&["time", "type", "summary"]);
    for e in &wanted[wanted.len().saturating_sub(n)..] {
        t.row(row(e));
    }
    t.caption = Some(caption(
        t.rows.len(),
        wanted.len(),
        types,
        b.event_log_capacity,
        b.events_logged,
    ));
    t
}

/// "2 of 3 events of type MESSAGE logged (…)": `counted` pluralises the first word, so the
/// noun leads ("logged event" read "loggeds event").
fn caption(
    shown: usize,
    matching: usize,
    types: &[EventType],
    capacity: usize,
    received: u64,
) -> String {
    let of_type = if types.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = types.iter().map(ToString::to_string).collect();
        format!(" of type {}", names.join(", "))
    };
    format!(
        "{shown} of {}{of_type} logged (log keeps {capacity}; {received} received in all)",
        counted(matching, "event")
    )
}

/// `-n N`, `-nN` or `--n N`.
fn row_count(args: &Args) -> Result<usize, ErrorContent> {
    let mut value = args.value("n").map(str::to_owned);
    let mut words = args.positional.iter();
    while let Some(w) = words.next() {
        if w == "-n" {
            value = Some(
                words
                    .next()
                    .cloned()
                    .ok_or_else(|| usage(spec(), "-n needs a number"))?,
            );
        } else if let Some(v) = w.strip_prefix("-n") {
            value = Some(v.to_owned());
        } else {
            return Err(usage(spec(), format!("unexpected argument {w:?}")));
        }
    }
    match value {
        None => Ok(DEFAULT_ROWS),
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| usage(spec(), format!("-n takes a positive number, not {v:?}"))),
    }
}

async fn events(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let n = row_count(&args)?;
    let types: Vec<EventType> = args
        .flags
        .get("type")
        .map(|v| v.iter().map(|t| EventType::from_name(t)).collect())
        .unwrap_or_default();
    let follow = args.has("follow");
    if args.has("timeout") && !follow {
        return Err(usage(spec(), "--timeout only applies with --follow"));
    }
    let timeout = super::duration_flag(spec(), &args, "timeout", FOLLOW_FOREVER)?;
    let s = ctx.mesos.scheduler().map_err(mesos_error)?;
    if !follow {
        return Ok(Some(s.read(|b| table(b, &types, n)).to_bundle()));
    }
    let display_id = format!("mesos-events-{}", uuid::Uuid::new_v4().simple());
    let deadline = Instant::now() + timeout;
    let mut shown: Option<String> = None;
    loop {
        let (mut t, seen, state) =
            s.read(|b| (table(b, &types, n), b.events_logged, b.state.clone()));
        let ended = state.is_terminal();
        t.caption = Some(format!(
            "{} — {}",
            t.caption.take().unwrap_or_default(),
            if ended {
                format!("session {state}: stopped following")
            } else {
                "following (interrupt to stop)".into()
            }
        ));
        // Only rows decide: events of other types change the counts, not what is shown.
        let rows = format!("{:?}", t.rows);
        if shown.as_ref() != Some(&rows) || ended {
            show(ctx, &t.to_bundle(), &display_id, shown.is_none());
            shown = Some(rows);
        }
        if ended {
            return Ok(None);
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        let changed = s.wait_until(remaining, "a new event", |b| {
            (b.events_logged != seen || b.state.is_terminal()).then_some(())
        });
        tokio::select! {
            r = changed => if r.is_err() {
                // --timeout passed: the table stays as the cell's output.
                return Ok(None);
            },
            // Interrupting is how a follow normally ends: the table is kept, the cell is fine.
            _ = ctx.cancel.cancelled() => return Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(words: &[&str]) -> Result<usize, ErrorContent> {
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        let args = crate::interpreter::magics::args::parse(spec(), &words).unwrap();
        row_count(&args)
    }

    #[test]
    fn message_data_is_shown_decoded() {
        assert_eq!(
            message_text(b"hello-from-executor"),
            "\"hello-from-executor\""
        );
        assert_eq!(message_text(&[0xff, 0x00]), "2 bytes of binary data");
        assert!(message_text("x".repeat(300).as_bytes()).ends_with("… (300 bytes)"));
    }

    #[test]
    fn the_caption_counts_events_in_plain_words() {
        let message = [EventType::Message];
        assert_eq!(
            caption(1, 1, &message, 8, 2),
            "1 of 1 event of type MESSAGE logged (log keeps 8; 2 received in all)"
        );
        assert_eq!(
            caption(2, 2, &message, 8, 3),
            "2 of 2 events of type MESSAGE logged (log keeps 8; 3 received in all)"
        );
        assert_eq!(
            caption(1, 3, &[], 500, 3),
            "1 of 3 events logged (log keeps 500; 3 received in all)"
        );
    }

    #[test]
    fn row_counts() {
        assert_eq!(parsed(&[]).unwrap(), DEFAULT_ROWS);
        assert_eq!(parsed(&["-n", "5"]).unwrap(), 5);
        assert_eq!(parsed(&["-n7"]).unwrap(), 7);
        assert_eq!(parsed(&["--n", "3"]).unwrap(), 3);
        assert!(parsed(&["-n", "zero"]).is_err());
        assert!(parsed(&["-n", "0"]).is_err());
        assert!(parsed(&["-n"]).is_err());
        assert!(parsed(&["stray"]).is_err());
    }
}
