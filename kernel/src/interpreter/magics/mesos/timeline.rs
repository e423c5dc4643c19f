//! `%timeline`: tasks' states over time, as a picture above the same told in a table; live
//! with `--follow`.

use super::operator::{all_tasks, unreachable};
use super::pictures::{record_lines, states_text, task_lines, timeline_of};
use super::{Body, MagicResult, duration_flag, mesos_error, no_positional, show, usage};
use crate::display::counted;
use crate::display::svg::timeline::TaskLine;
use crate::display::svg::{picture_id, with_picture};
use crate::display::table::Table;
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::registry::{ArgKind, FlagSpec, MagicContext, MagicKind, MagicSpec};
use crate::protocol::content::MimeBundle;
use mesos_lib::scheduler::{Book, Scheduler};
use std::time::Duration;

/// How long `--follow` runs without `--timeout`.
const FOLLOW_DEFAULT: Duration = Duration::from_secs(30);

pub(super) static MAGICS: &[(MagicSpec, Body)] = &[(
    MagicSpec {
        name: "timeline",
        kind: MagicKind::Line,
        usage: "%timeline [--all] [--follow | --live] [--timeout DURATION]",
        summary: "Tasks' states over time: one row per task, a segment per state.",
        help: "This framework's tasks, from the status updates the session received (with \
               --all, or without a %subscribe session, every task the master reports, from the \
               statuses it keeps). Segments are coloured and labelled by state on a common time \
               axis from the updates' timestamps; beyond 30 tasks, one row per latest state. \
               The table beside it says the same in words. --follow redraws the picture in \
               place as updates arrive, until the timeout (default 30s) or an interrupt, both \
               of which end the cell normally.",
        flags: &[
            FlagSpec {
                name: "all",
                value: ArgKind::None,
                help: "every task the master knows, not only this framework's",
            },
            FlagSpec {
                name: "follow",
                value: ArgKind::None,
                help: "redraw as status updates arrive (this framework's tasks)",
            },
            FlagSpec {
                name: "timeout",
                value: ArgKind::Text,
                help: "stop following after this long (default 30s)",
            },
        ],
        positional: ArgKind::None,
    },
    |args, ctx| Box::pin(timeline(args, ctx)),
)];

/// The picture above a table of the same rows: task, latest state, states and time in each;
/// `note` follows the count in the caption.
pub fn timeline_bundle(lines: Vec<TaskLine>, what: &str, note: Option<String>) -> MimeBundle {
    let mut t = Table::new(&["task", "state", "states (time in each)"]);
    t.extend_capped(lines.iter(), |l| {
        vec![l.label.clone(), l.state.clone(), states_text(l)]
    });
    let n = t.total_rows();
    t.caption = Some(match note {
        Some(note) => format!("{}: {note}", counted(n, what)),
        None => counted(n, what),
    });
    let svg = timeline_of(lines, what).to_svg(&picture_id("timeline"));
    with_picture(t.to_bundle(), &svg)
}

const MINE: &str = "task of this framework";

/// This framework's tasks as the session knows them now.
fn session_bundle(s: &Scheduler, note: Option<String>) -> MimeBundle {
    let records: Vec<_> = s.read(|b| b.tasks.iter().cloned().collect());
    timeline_bundle(record_lines(&records), MINE, note)
}

/// What changes when a status update arrives: the number of tasks and the latest sequence.
fn progress(b: &Book) -> (usize, u64) {
    (
        b.tasks.len(),
        b.tasks.iter().map(|t| t.last_seen_seq).max().unwrap_or(0),
    )
}

async fn timeline(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let spec = &MAGICS[0].0;
    no_positional(spec, &args)?;
    let follow = args.has("follow");
    let timeout = duration_flag(spec, &args, "timeout", FOLLOW_DEFAULT)?;
    let session = if args.has("all") {
        None
    } else {
        ctx.mesos.try_scheduler()
    };
    let Some(s) = session else {
        if follow {
            return Err(usage(
                spec,
                "--follow redraws this framework's tasks: %subscribe first (--all shows the \
                 cluster's tasks once)",
            ));
        }
        let conn = ctx.mesos.connection().map_err(mesos_error)?;
        let got = conn
            .operator
            .get_tasks()
            .await
            .map_err(|e| unreachable(&conn, e))?;
        let lines = task_lines(all_tasks(&got));
        return Ok(Some(timeline_bundle(lines, "task", None)));
    };
    if !follow {
        return Ok(Some(session_bundle(&s, None)));
    }
    let display_id = format!("mesos-timeline-{}", uuid::Uuid::new_v4().simple());
    let live = format!("following for {timeout:?}");
    show(
        ctx,
        &session_bundle(&s, Some(live.clone())),
        &display_id,
        true,
    );
    let deadline = tokio::time::Instant::now() + timeout;
    let mut seen = s.read(progress);
    let end = loop {
        let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
        let changed = s.wait_until(remaining, "a task update", |b| {
            let now = progress(b);
            (now != seen || b.state.is_terminal()).then_some((now, b.state.clone()))
        });
        let got = tokio::select! {
            r = changed => r,
            _ = ctx.cancel.cancelled() => break "stopped (interrupted)".to_owned(),
        };
        match got {
            Ok((_, state)) if state.is_terminal() => {
                break format!("the framework session ended ({state})");
            }
            Ok((now, _)) => {
                seen = now;
                show(
                    ctx,
                    &session_bundle(&s, Some(live.clone())),
                    &display_id,
                    false,
                );
            }
            Err(_) => break format!("stopped after {timeout:?}"),
        }
    };
    show(ctx, &session_bundle(&s, Some(end)), &display_id, false);
    Ok(None)
}
