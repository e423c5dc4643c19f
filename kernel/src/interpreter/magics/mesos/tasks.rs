//! Acting on this framework's tasks: `%kill`, `%wait`, and the live task view that `%wait`
//! and `%launch --wait` share.

use super::pictures::{record_lines, timeline_of};
use super::{Body, MagicResult, duration_flag, interrupted, mesos_error, show, usage};
use crate::display::counted;
use crate::display::svg::{picture_id, with_picture};
use crate::display::table::Table;
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::registry::{
    ArgKind, FlagSpec, MagicContext, MagicKind, MagicSpec, spec_in,
};
use crate::mesos::LiveKind;
use mesos_lib::scheduler::{Scheduler, TaskRecord};
use mesos_lib::v1::TaskState;
use mesos_lib::v1::container::ContainerType;
use std::time::{Duration, Instant};

/// States a user may wait for.
pub(super) const STATES: &[&str] = &[
    "TASK_STAGING",
    "TASK_STARTING",
    "TASK_RUNNING",
    "TASK_FINISHED",
    "TASK_FAILED",
    "TASK_KILLED",
    "TASK_ERROR",
    "TASK_LOST",
    "TASK_DROPPED",
    "TASK_GONE",
];

/// How long `%wait` waits without `--timeout`.
pub(super) const DEFAULT_WAIT: Duration = Duration::from_secs(60);

pub(super) static MAGICS: &[(MagicSpec, Body)] = &[
    (
        MagicSpec {
            name: "kill",
            kind: MagicKind::Line,
            usage: "%kill TASK...",
            summary: "KILL tasks of this framework.",
            help: "TASK is a task id or the name of a task this framework launched. \
                   Sends KILL for each task still active; a task already in a terminal state is \
                   reported, not killed again. `%wait TASK --state TASK_KILLED` waits for the end.",
            flags: &[],
            positional: ArgKind::Live(LiveKind::TaskId),
        },
        |args, ctx| Box::pin(kill(args, ctx)),
    ),
    (
        MagicSpec {
            name: "wait",
            kind: MagicKind::Line,
            usage: "%wait TASK [--state STATE] [--timeout DURATION]",
            summary: "Wait for a task to reach a state, showing it live.",
            help: "TASK is a task id or a task name. Without --state, waits for any terminal state. Returns at once when the state \
                   is already reached; fails if the task ends in another terminal state. \
                   Interrupt stops the wait and leaves the session as it was.",
            flags: &[
                FlagSpec {
                    name: "state",
                    value: ArgKind::Choice(STATES),
                    help: "the state to wait for",
                },
                FlagSpec {
                    name: "timeout",
                    value: ArgKind::Text,
                    help: "give up after this long (default 60s)",
                },
            ],
            positional: ArgKind::Live(LiveKind::TaskId),
        },
        |args, ctx| Box::pin(wait(args, ctx)),
    ),
];

/// One row per task: id, name, state, agent, latest message.
pub(super) fn task_table(records: &[TaskRecord]) -> Table {
    let mut t = Table::new(&["task", "name", "state", "agent", "message"]);
    for r in records {
        t.row(vec![
            r.task_id.value.clone(),
            r.info.as_ref().map(|i| i.name.clone()).unwrap_or_default(),
            r.state().to_string(),
            r.agent_id
                .as_ref()
                .map(|a| a.value.clone())
                .unwrap_or_else(|| "-".into()),
            r.latest
                .as_ref()
                .and_then(|s| s.message.clone())
                .unwrap_or_default(),
        ]);
    }
    t
}

async fn kill(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let spec = spec_in(MAGICS, "kill");
    if args.positional.is_empty() {
        return Err(usage(spec, "name at least one task"));
    }
    let s = ctx.mesos.scheduler().map_err(mesos_error)?;
    let mut t = Table::new(&["task", "result"]);
    for word in &args.positional {
        let id = match resolve(&s, word) {
            Ok(id) => id,
            Err(why) => {
                t.row(vec![word.clone(), format!("{why}; nothing sent")]);
                continue;
            }
        };
        let id = &id;
        let result = match s.task(id) {
            None => "unknown to this framework; nothing sent".to_owned(),
            Some(r) if r.is_terminal() => format!("already {}; nothing to do", r.state()),
            Some(_) => match s.kill(id).await {
                Ok(()) => "KILL sent".to_owned(),
                Err(e) => format!("KILL failed: {e}"),
            },
        };
        t.row(vec![id.clone(), result]);
    }
    Ok(Some(t.to_bundle()))
}

/// The id of the task `word` names: a task id, or the name of a task this framework launched
/// (the active one; the latest one when all have ended). Names are what users remember.
pub(super) fn resolve(s: &Scheduler, word: &str) -> Result<String, String> {
    if s.task(word).is_some() {
        return Ok(word.to_owned());
    }
    s.read(|b| {
        let named: Vec<_> = b
            .tasks
            .iter()
            .filter(|t| t.info.as_ref().is_some_and(|i| i.name == word))
            .collect();
        let active: Vec<_> = named.iter().filter(|t| !t.is_terminal()).collect();
        match (active.as_slice(), named.is_empty()) {
            ([one], _) => Ok(one.task_id.value.clone()),
            ([], true) => Err(format!(
                "no task of this framework has the id or name {word:?}"
            )),
            ([], false) => Ok(named
                .iter()
                .max_by_key(|t| t.last_seen_seq)
                .map(|t| t.task_id.value.clone())
                .unwrap_or_default()),
            (many, _) => Err(format!(
                "{} are named {word:?}: give an id ({})",
                counted(many.len(), "active task"),
                many.iter()
                    .map(|t| t.task_id.value.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    })
}

/// Why a task ended, from its latest status (` (REASON: message)`), with a hint where the
/// agent's words alone are cryptic.
pub(super) fn end_reason(rec: &TaskRecord) -> String {
    let Some(st) = &rec.latest else {
        return String::new();
    };
    let words: Vec<&str> = st
        .reason
        .as_ref()
        .map(|r| r.as_str())
        .into_iter()
        .chain(st.message.as_deref())
        .collect();
    if words.is_empty() {
        return String::new();
    }
    let mut text = format!(" ({})", words.join(": "));
    let docker = rec
        .info
        .as_ref()
        .and_then(|i| i.container.as_ref())
        .is_some_and(|c| c.container_type == Some(ContainerType::Docker));
    // A real agent without the docker containerizer says only "unknown container".
    if docker
        && st
            .message
            .as_deref()
            .is_some_and(|m| m.contains("unknown container"))
    {
        text.push_str(
            "\nThe agent cannot run DOCKER containers: it has no docker containerizer (a real \
             agent needs --containerizers=docker,mesos and a Docker engine; the embedded \
             mesos-local runs command tasks as plain processes). Launch the command without \
             --docker, or target a cluster whose agents run Docker.",
        );
    }
    text
}

/// Parses `RUNNING` or `TASK_RUNNING`.
pub(super) fn parse_state(text: &str) -> TaskState {
    let upper = text.to_ascii_uppercase();
    let name = if upper.starts_with("TASK_") {
        upper
    } else {
        format!("TASK_{upper}")
    };
    TaskState::from_name(&name)
}

async fn wait(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let spec = spec_in(MAGICS, "wait");
    let [task_id] = args.positional.as_slice() else {
        return Err(usage(spec, "name exactly one task"));
    };
    let timeout = duration_flag(spec, &args, "timeout", DEFAULT_WAIT)?;
    let want = args.value("state").map(parse_state);
    let s = ctx.mesos.scheduler().map_err(mesos_error)?;
    let task_id = resolve(&s, task_id).map_err(mesos_error)?;
    watch_task(ctx, &s, &task_id, want, timeout).await
}

/// Shows a task's state in one display, updated in place on every change, until it reaches
/// `want` (any terminal state when `None`), ends otherwise, times out or is interrupted.
pub(super) async fn watch_task(
    ctx: &MagicContext<'_>,
    s: &Scheduler,
    task_id: &str,
    want: Option<TaskState>,
    timeout: Duration,
) -> MagicResult {
    let display_id = format!("mesos-task-{}", uuid::Uuid::new_v4().simple());
    let deadline = Instant::now() + timeout;
    let mut shown: Option<TaskState> = None;
    loop {
        let Some(rec) = s.task(task_id) else {
            return Err(mesos_error(format!("task {task_id} is unknown")));
        };
        let state = rec.state();
        if shown.as_ref() != Some(&state) {
            let mut table = task_table(std::slice::from_ref(&rec));
            table.caption = Some(match &want {
                Some(w) => format!("waiting for {w}"),
                None => "waiting for a terminal state".into(),
            });
            if want.as_ref().map_or(state.is_terminal(), |w| w == &state) {
                table.caption = Some(format!("reached {state}"));
            }
            // The picture is redrawn with the table: the task's states so far, on a time axis.
            let picture = timeline_of(record_lines(std::slice::from_ref(&rec)), "task")
                .to_svg(&picture_id("task"));
            show(
                ctx,
                &with_picture(table.to_bundle(), &picture),
                &display_id,
                shown.is_none(),
            );
            shown = Some(state.clone());
        }
        match &want {
            Some(w) if w == &state => return Ok(None),
            None if state.is_terminal() => return Ok(None),
            Some(w) if state.is_terminal() => {
                return Err(mesos_error(format!(
                    "task {task_id} ended in {state}, not {w}{}",
                    end_reason(&rec)
                )));
            }
            _ => {}
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        let changed = s.wait_until(remaining, "a task update", |b| {
            let now = b.tasks.get(task_id).map(|t| t.state());
            (now.as_ref() != Some(&state) || b.state.is_terminal()).then_some(b.state.clone())
        });
        let session = tokio::select! {
            r = changed => r,
            _ = ctx.cancel.cancelled() => return Err(interrupted(&format!("waiting for task {task_id}"))),
        };
        match session {
            Ok(st)
                if st.is_terminal()
                    && s.task(task_id).map(|r| r.state()).as_ref() == Some(&state) =>
            {
                return Err(mesos_error(format!("the framework session ended ({st})")));
            }
            Ok(_) => {}
            Err(_) => {
                return Err(mesos_error(format!(
                    "task {task_id} is still {state} after {timeout:?}"
                )));
            }
        }
    }
}
