//! `%sandbox`: a task's stdout or stderr, read from its agent's files API the way a real
//! cluster needs it (the agent found through GET_AGENTS, the sandbox through the agent's
//! `/state` and `/files/debug`), optionally followed live.

use super::{Body, MagicResult, duration_flag, interrupted, mesos_error, usage};
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::registry::{ArgKind, FlagSpec, MagicContext, MagicKind, MagicSpec};
use crate::mesos::LiveKind;
use crate::protocol::content::{ErrorContent, MimeBundle, StreamName};
use mesos_lib::operator::{AgentState, FileChunk, MAX_READ, OperatorClient};
use mesos_lib::v1::TaskState;
use mesos_lib::v1::task::Task;
use std::time::{Duration, Instant};

/// How long `--follow` follows without `--timeout`.
const DEFAULT_FOLLOW: Duration = Duration::from_secs(300);

/// How often `--follow` asks the agent for more output; the files API has no push.
const POLL: Duration = Duration::from_millis(300);

/// The most `%sandbox` without `--follow` shows: the end of a longer file.
const MAX_SHOWN: u64 = 1 << 20;

pub(super) static MAGICS: &[(MagicSpec, Body)] = &[(
    MagicSpec {
        name: "sandbox",
        kind: MagicKind::Line,
        usage: "%sandbox TASK [stdout|stderr] [--follow] [--timeout DURATION]",
        summary: "A task's stdout or stderr, from its agent's sandbox.",
        help: "Finds the task's agent (GET_AGENTS) and sandbox (the agent's /state and \
               /files/debug) and reads the file through the agent's /files/read. --follow \
               streams new output as it is written until the task has ended and the file is \
               drained, the timeout passes (default 5m) or the cell is interrupted.",
        flags: &[
            FlagSpec {
                name: "follow",
                value: ArgKind::None,
                help: "stream new output until the task ends",
            },
            FlagSpec {
                name: "timeout",
                value: ArgKind::Text,
                help: "stop following after this long (default 5m)",
            },
        ],
        positional: ArgKind::Live(LiveKind::TaskId),
    },
    |args, ctx| Box::pin(sandbox(args, ctx)),
)];

/// Where a task's sandbox is served.
#[derive(Debug, Clone)]
struct Sandbox {
    /// The agent's base URL.
    agent_url: String,
    /// The sandbox's path in the agent's files API.
    dir: String,
    framework_id: String,
}

async fn sandbox(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let spec = &MAGICS[0].0;
    let (task_id, file) = match args.positional.as_slice() {
        [t] => (t.as_str(), "stdout"),
        [t, f] if f == "stdout" || f == "stderr" => (t.as_str(), f.as_str()),
        [_, f] => return Err(usage(spec, format!("FILE is stdout or stderr, not {f:?}"))),
        [] => return Err(usage(spec, "name a task")),
        _ => return Err(usage(spec, "name one task and at most one file")),
    };
    // A task name of this framework stands for its id, as in %kill and %wait.
    let resolved = ctx
        .mesos
        .try_scheduler()
        .and_then(|s| super::tasks::resolve(&s, task_id).ok());
    let task_id = resolved.as_deref().unwrap_or(task_id);
    let follow = args.has("follow");
    let timeout = duration_flag(spec, &args, "timeout", DEFAULT_FOLLOW)?;
    let op = ctx.mesos.connection().map_err(mesos_error)?.operator;
    let found = tokio::select! {
        r = locate(ctx, &op, task_id) => r?,
        _ = ctx.cancel.cancelled() => return Err(interrupted("finding the sandbox")),
    };
    let sandbox_file = SandboxFile {
        op: &op,
        path: format!("{}/{file}", found.dir),
        sandbox: &found,
        task_id,
        name: file,
        stream: if file == "stderr" {
            StreamName::Stderr
        } else {
            StreamName::Stdout
        },
    };
    if follow {
        sandbox_file.follow(ctx, timeout).await
    } else {
        sandbox_file.show_end(ctx).await
    }
}

/// One file of a task's sandbox, as `%sandbox` reads it.
struct SandboxFile<'a> {
    op: &'a OperatorClient,
    sandbox: &'a Sandbox,
    task_id: &'a str,
    /// `stdout` or `stderr`.
    name: &'a str,
    /// Its path in the agent's files API.
    path: String,
    /// Where its text goes.
    stream: StreamName,
}

impl SandboxFile<'_> {
    /// Up to `length` bytes from `offset`.
    async fn read(&self, offset: u64, length: u64) -> Result<FileChunk, ErrorContent> {
        let (url, path) = (&self.sandbox.agent_url, &self.path);
        self.op
            .agent_files_read(url, path, Some(offset), length)
            .await
            .map_err(|e| mesos_error(format!("cannot read {path} from {url}: {e}")))
    }

    /// Without `--follow`: the file as it is now, its last [`MAX_SHOWN`] bytes at most.
    async fn show_end(&self, ctx: &MagicContext<'_>) -> MagicResult {
        let (file, path) = (self.name, &self.path);
        let size = self
            .op
            .agent_files_read(&self.sandbox.agent_url, path, None, 0)
            .await
            .map_err(|e| mesos_error(format!("cannot read {path}: {e}")))?
            .offset;
        if size == 0 {
            return Ok(Some(MimeBundle::text(format!(
                "{file} of task {} is empty so far",
                self.task_id
            ))));
        }
        let mut offset = size.saturating_sub(MAX_SHOWN);
        if offset > 0 {
            ctx.out.stream(
                StreamName::Stdout,
                &format!("[{file} holds {size} bytes; showing the last {MAX_SHOWN}]\n"),
            );
        }
        while offset < size {
            let chunk = self.read(offset, MAX_READ).await?;
            if chunk.data.is_empty() {
                break;
            }
            offset += chunk.data.len() as u64;
            ctx.out.stream(self.stream, &chunk.data);
        }
        Ok(None)
    }

    /// `--follow`: streams the file from its start until the task has ended and the file is
    /// drained, the timeout passes or the cell is interrupted.
    async fn follow(&self, ctx: &MagicContext<'_>, timeout: Duration) -> MagicResult {
        let (file, task_id) = (self.name, self.task_id);
        let deadline = Instant::now() + timeout;
        let mut offset = 0;
        loop {
            // Checked before the read: once terminal, an empty read means nothing more will come.
            let ended = task_state(ctx, self.op, task_id, &self.sandbox.framework_id)
                .await?
                .is_some_and(|s| s.is_terminal());
            let chunk = self.read(offset, MAX_READ).await?;
            if !chunk.data.is_empty() {
                offset += chunk.data.len() as u64;
                ctx.out.stream(self.stream, &chunk.data);
                continue;
            }
            if ended {
                return Ok(None);
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(mesos_error(format!(
                    "stopped following {file} of task {task_id} after {timeout:?}; the task is still active"
                )));
            }
            tokio::select! {
                _ = task_end_or(ctx, task_id, POLL.min(remaining)) => {}
                _ = ctx.cancel.cancelled() => {
                    return Err(interrupted(&format!("following {file} of task {task_id}")));
                }
            }
        }
    }
}

/// Waits `pause`, or less when this framework's task `task_id` ends first.
async fn task_end_or(ctx: &MagicContext<'_>, task_id: &str, pause: Duration) {
    match ctx.mesos.try_scheduler() {
        Some(s) => {
            let _ = s
                .wait_until(pause, "the task's end", |b| {
                    b.tasks
                        .get(task_id)
                        .is_some_and(|t| t.is_terminal())
                        .then_some(())
                })
                .await;
        }
        None => tokio::time::sleep(pause).await,
    }
}

/// The task's state: from this framework's book, else from the master's GET_TASKS.
async fn task_state(
    ctx: &MagicContext<'_>,
    op: &OperatorClient,
    task_id: &str,
    framework_id: &str,
) -> Result<Option<TaskState>, ErrorContent> {
    if let Some(rec) = ctx.mesos.try_scheduler().and_then(|s| s.task(task_id)) {
        return Ok(Some(rec.state()));
    }
    let tasks = op.get_tasks().await.map_err(mesos_error)?;
    Ok(tasks
        .tasks
        .iter()
        .chain(&tasks.completed_tasks)
        .chain(&tasks.unreachable_tasks)
        .find(|t| t.task_id.value == task_id && t.framework_id.value == framework_id)
        .map(|t| t.state.clone()))
}

/// Finds the agent and sandbox of `task_id`.
async fn locate(
    ctx: &MagicContext<'_>,
    op: &OperatorClient,
    task_id: &str,
) -> Result<Sandbox, ErrorContent> {
    let (agent_id, framework_id) = task_agent(ctx, op, task_id).await?;
    let (agent_url, hostname) = agent_url(op, &agent_id, task_id).await?;
    let state = op
        .agent_state(&agent_url)
        .await
        .map_err(|e| mesos_error(format!("cannot read agent {agent_id}'s /state: {e}")))?;
    let Some((directory, virtual_dir)) = executor_directory(&state, &framework_id, task_id) else {
        return Err(mesos_error(format!(
            "task {task_id} has no sandbox on agent {agent_id} ({hostname}) yet: it is still being \
             staged, or the agent has dropped it"
        )));
    };
    // The files API serves sandboxes under virtual paths; /files/debug maps them to directories.
    let debug = op
        .agent_files_debug(&agent_url)
        .await
        .map_err(|e| mesos_error(format!("cannot read agent {agent_id}'s /files/debug: {e}")))?;
    let dir = debug
        .iter()
        .find(|(virt, real)| **real == directory && !virt.ends_with("/latest"))
        .map(|(virt, _)| virt.clone())
        .unwrap_or(virtual_dir);
    // A task of a task group has its own sandbox inside the default executor's, at
    // `tasks/TASK_ID` (a link to its nested container's directory); the executor's own
    // stdout and stderr are the executor's log, not the task's.
    let own = format!("{dir}/tasks/{task_id}");
    let dir = match op
        .agent_files_read(&agent_url, &format!("{own}/stdout"), None, 0)
        .await
    {
        Ok(_) => own,
        Err(_) => dir,
    };
    Ok(Sandbox {
        agent_url,
        dir,
        framework_id,
    })
}

/// The agent and framework IDs of `task_id`: from this framework's book, else from the
/// master's GET_TASKS.
async fn task_agent(
    ctx: &MagicContext<'_>,
    op: &OperatorClient,
    task_id: &str,
) -> Result<(String, String), ErrorContent> {
    let ours = ctx.mesos.try_scheduler().and_then(|s| {
        let rec = s.task(task_id)?;
        Some((rec.agent_id?.value, s.framework_id()?.value))
    });
    if let Some(ids) = ours {
        return Ok(ids);
    }
    let t = master_task(op, task_id).await?;
    Ok((t.agent_id.value, t.framework_id.value))
}

/// Task `task_id` as the master knows it (GET_TASKS: active, completed or unreachable); the
/// error says no one knows it.
pub(super) async fn master_task(op: &OperatorClient, task_id: &str) -> Result<Task, ErrorContent> {
    let tasks = op.get_tasks().await.map_err(mesos_error)?;
    tasks
        .tasks
        .into_iter()
        .chain(tasks.completed_tasks)
        .chain(tasks.unreachable_tasks)
        .find(|t| t.task_id.value == task_id)
        .ok_or_else(|| {
            mesos_error(format!(
                "task {task_id} is unknown: neither this framework nor the master \
                 (GET_TASKS) knows it"
            ))
        })
}

/// The base URL of agent `agent_id` (GET_AGENTS), with its hostname.
pub(super) async fn agent_url(
    op: &OperatorClient,
    agent_id: &str,
    task_id: &str,
) -> Result<(String, String), ErrorContent> {
    let agents = op.get_agents().await.map_err(mesos_error)?;
    let agent = agents
        .agents
        .iter()
        .find(|a| {
            a.agent_info
                .id
                .as_ref()
                .is_some_and(|id| id.value == agent_id)
        })
        .ok_or_else(|| {
            mesos_error(format!(
                "agent {agent_id} of task {task_id} is not registered with the master; its \
                 sandbox cannot be reached"
            ))
        })?;
    let scheme = op
        .leader()
        .map_or("http".to_owned(), |u| u.scheme().to_owned());
    // The pid carries the address the agent listens on; the hostname may not resolve here.
    let addr = agent
        .pid
        .as_deref()
        .and_then(|p| p.split_once('@'))
        .map(|(_, addr)| addr.to_owned())
        .unwrap_or_else(|| {
            format!(
                "{}:{}",
                agent.agent_info.hostname,
                agent.agent_info.port.unwrap_or(5051)
            )
        });
    Ok((
        format!("{scheme}://{addr}"),
        agent.agent_info.hostname.clone(),
    ))
}

/// The real sandbox directory of the executor that ran `task_id`, and its virtual path.
fn executor_directory(
    state: &AgentState,
    framework_id: &str,
    task_id: &str,
) -> Option<(String, String)> {
    let framework = state
        .frameworks
        .iter()
        .chain(&state.completed_frameworks)
        .find(|f| f.id == framework_id)?;
    let ran = |e: &&mesos_lib::operator::AgentExecutor| {
        e.tasks
            .iter()
            .chain(&e.queued_tasks)
            .chain(&e.completed_tasks)
            .any(|t| t.id == task_id)
    };
    let e = framework
        .executors
        .iter()
        .find(ran)
        .or_else(|| framework.completed_executors.iter().rev().find(ran))?;
    let virtual_dir = format!(
        "/frameworks/{framework_id}/executors/{}/runs/{}",
        e.id, e.container
    );
    Some((e.directory.clone(), virtual_dir))
}
