//! `%exec TASK -- COMMAND`: runs a command inside a running task's container through its
//! agent's nested container session (LAUNCH_NESTED_CONTAINER_SESSION, what `mesos task exec`
//! uses), streams its stdout and stderr into the cell as they come, and reports its exit
//! status. An interrupt kills the nested container.

use super::sandbox::{agent_url, master_task};
use super::{Body, MagicResult, mesos_error, usage};
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::registry::{ArgKind, MagicContext, MagicKind, MagicSpec};
use crate::interpreter::rust::errors::simple;
use crate::mesos::LiveKind;
use crate::protocol::content::{ErrorContent, MimeBundle, StreamName};
use mesos_lib::operator::{NestedSession, OperatorClient, ProcessOutput, exit_code};
use mesos_lib::v1::TaskState;
use serde_json::{Value, json};

pub(super) static MAGICS: &[(MagicSpec, Body)] = &[(
    MagicSpec {
        name: "exec",
        kind: MagicKind::Line,
        usage: "%exec TASK -- COMMAND",
        summary: "Run a command inside a running task's container; stream its output.",
        help: "Finds the task's agent and container (the master's GET_TASKS: \
               statuses[].container_status.container_id), launches COMMAND (run by /bin/sh -c) \
               in a container nested in the task's with LAUNCH_NESTED_CONTAINER_SESSION on the \
               agent's /api/v1: it runs in the task's sandbox with the task's environment. \
               stdout and stderr stream into the cell as they arrive; the exit status comes \
               from WAIT_NESTED_CONTAINER, and the nested container is removed afterwards. \
               The command gets no stdin. Interrupting the cell kills the nested container.",
        flags: &[],
        positional: ArgKind::Live(LiveKind::TaskId),
    },
    |args, ctx| Box::pin(exec(args, ctx)),
)];

async fn exec(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let spec = &MAGICS[0].0;
    let task_word = match args.positional.as_slice() {
        [t] => t.as_str(),
        [] => return Err(usage(spec, "name a task")),
        _ => return Err(usage(spec, "name one task, then -- COMMAND")),
    };
    let Some(command) = args.rest_raw.clone().filter(|c| !c.trim().is_empty()) else {
        return Err(usage(spec, "give the command after --"));
    };
    // A task name of this framework stands for its id, as in %kill and %sandbox.
    let resolved = ctx
        .mesos
        .try_scheduler()
        .and_then(|s| super::tasks::resolve(&s, task_word).ok());
    let task_id = resolved.as_deref().unwrap_or(task_word);
    let op = ctx.mesos.connection().map_err(mesos_error)?.operator;
    let target = tokio::select! {
        t = locate(&op, task_id) => t?,
        _ = ctx.cancel.cancelled() => {
            return Err(super::interrupted("finding the task's container"));
        }
    };
    let child = format!("exec-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let command = json!({"shell": true, "value": command});
    let session = tokio::select! {
        s = op.launch_nested_session(
            &target.agent_url,
            &target.container_id,
            &child,
            &command,
        ) => s.map_err(|e| mesos_error(format!(
            "cannot start a session in task {task_id}'s container on {}: {e}",
            target.agent_url
        )))?,
        _ = ctx.cancel.cancelled() => {
            return Err(super::interrupted("starting the session"));
        }
    };
    run(ctx, &op, &target, session, task_id).await
}

/// Streams the session's output until the command ends or the cell is interrupted.
async fn run(
    ctx: &MagicContext<'_>,
    op: &OperatorClient,
    target: &Target,
    mut session: NestedSession,
    task_id: &str,
) -> MagicResult {
    let id = session.container_id.clone();
    let agent = target.agent_url.as_str();
    loop {
        let next = tokio::select! {
            n = session.next() => n,
            _ = ctx.cancel.cancelled() => {
                // Closing the stream destroys a session too; the kill makes it certain and
                // immediate, and the wait below reaps its status for the message.
                let _ = op.kill_nested_container(agent, &id).await;
                drop(session);
                let _ = op.wait_nested_container(agent, &id).await;
                let _ = op.remove_nested_container(agent, &id).await;
                return Err(simple(
                    "Interrupted",
                    format!(
                        "interrupted: the command in task {task_id}'s container was killed \
                         (nested container {})",
                        id["value"].as_str().unwrap_or("")
                    ),
                ));
            }
        };
        match next {
            None => break,
            Some(Ok(ProcessOutput::Stdout(b))) => {
                ctx.out
                    .stream(StreamName::Stdout, &String::from_utf8_lossy(&b));
            }
            Some(Ok(ProcessOutput::Stderr(b))) => {
                ctx.out
                    .stream(StreamName::Stderr, &String::from_utf8_lossy(&b));
            }
            Some(Err(e)) => {
                let _ = op.kill_nested_container(agent, &id).await;
                return Err(mesos_error(format!("the session's output broke off: {e}")));
            }
        }
    }
    let status = op
        .wait_nested_container(agent, &id)
        .await
        .map_err(|e| mesos_error(format!("cannot read the command's exit status: {e}")))?;
    // The agent keeps an ended container until it is removed; nothing else will use it.
    let _ = op.remove_nested_container(agent, &id).await;
    Ok(Some(MimeBundle::text(describe(status))))
}

/// The exit status as a line.
fn describe(status: Option<i32>) -> String {
    match status {
        None => "the command ended; the agent reported no exit status".into(),
        Some(s) if s & 0x7f != 0 => format!(
            "the command was killed by signal {} (exit status {})",
            s & 0x7f,
            exit_code(s)
        ),
        Some(s) => format!("exit status {}", exit_code(s)),
    }
}

/// Where a task's container runs.
struct Target {
    agent_url: String,
    /// Its `ContainerID` (with any parent).
    container_id: Value,
}

/// The agent and container of a running task, from the master's GET_TASKS.
async fn locate(op: &OperatorClient, task_id: &str) -> Result<Target, ErrorContent> {
    let task = master_task(op, task_id).await?;
    if task.state != TaskState::Running {
        return Err(mesos_error(format!(
            "task {task_id} is {}, not running: there is no container to run a command in",
            task.state.as_str()
        )));
    }
    let container = task
        .statuses
        .iter()
        .rev()
        .find_map(|s| s.container_status.as_ref()?.container_id.clone())
        .ok_or_else(|| {
            mesos_error(format!(
                "task {task_id} has no container id in its statuses yet"
            ))
        })?;
    let (agent_url, _) = agent_url(op, &task.agent_id.value, task_id).await?;
    Ok(Target {
        agent_url,
        container_id: serde_json::to_value(&container).map_err(mesos_error)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_statuses_read_as_the_shell_does() {
        assert_eq!(describe(Some(3 << 8)), "exit status 3");
        assert_eq!(describe(Some(0)), "exit status 0");
        assert_eq!(
            describe(Some(9)),
            "the command was killed by signal 9 (exit status 137)"
        );
    }
}
