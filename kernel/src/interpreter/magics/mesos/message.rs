//! `%message TASK|EXECUTOR TEXT`: a framework message (scheduler MESSAGE call) to the custom
//! executor running a task of this framework, or to an executor named by its ID.

use super::tasks::resolve;
use super::{Body, MagicResult, mesos_error, usage};
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::registry::{ArgKind, MagicContext, MagicKind, MagicSpec};
use crate::interpreter::rust::errors::simple;
use crate::mesos::LiveKind;
use crate::protocol::content::StreamName;
use mesos_lib::scheduler::Scheduler;
use mesos_lib::v1::{AgentId, ExecutorId};

pub(super) static MAGICS: &[(MagicSpec, Body)] = &[(
    MagicSpec {
        name: "message",
        kind: MagicKind::Line,
        usage: "%message TASK|EXECUTOR TEXT...",
        summary: "Send a framework message to a custom executor.",
        help: "Sends a scheduler MESSAGE call with TEXT as its data to the executor of TASK (a \
               task id or name of this framework, launched with an executor: `%launch \
               --executor` or `%%launch` with `executor`), or to the executor with that ID on \
               the agent of this framework's tasks that use it. Mesos delivers framework \
               messages at most once: an executor that is not running drops it. The executor's \
               own messages arrive as MESSAGE events (`%events --type MESSAGE`).",
        flags: &[],
        positional: ArgKind::Live(LiveKind::TaskId),
    },
    |args, ctx| Box::pin(message(args, ctx)),
)];

async fn message(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let spec = &MAGICS[0].0;
    let Some((target, words)) = args.positional.split_first() else {
        return Err(usage(spec, "name a task or an executor, then the text"));
    };
    if words.is_empty() {
        return Err(usage(
            spec,
            "give the text to send after the task or executor",
        ));
    }
    let text = words.join(" ");
    let s = ctx.mesos.scheduler().map_err(mesos_error)?;
    let (agent, executor) = executor_of(&s, target).map_err(|e| simple("MessageError", e))?;
    s.message(agent.clone(), executor.clone(), text.clone().into_bytes())
        .await
        .map_err(mesos_error)?;
    ctx.out.stream(
        StreamName::Stdout,
        &format!(
            "MESSAGE sent to executor {executor} on agent {agent} ({} bytes)\n",
            text.len()
        ),
    );
    Ok(None)
}

/// The (agent, executor) `word` names: the executor of a task, else an executor ID used by
/// this framework's tasks.
fn executor_of(s: &Scheduler, word: &str) -> Result<(AgentId, ExecutorId), String> {
    if let Ok(id) = resolve(s, word)
        && let Some(rec) = s.task(&id)
    {
        let executor = rec.info.as_ref().and_then(|i| i.executor.as_ref());
        return match (executor, rec.agent_id) {
            (Some(e), Some(agent)) => Ok((agent, e.executor_id.clone())),
            (None, _) => Err(format!(
                "task {id} runs on its command executor, which takes no framework messages; \
                 launch it with an executor (%launch --executor CMD)"
            )),
            (_, None) => Err(format!("task {id} has no agent yet")),
        };
    }
    s.read(|b| {
        b.tasks
            .iter()
            .filter_map(|t| {
                let e = t.info.as_ref()?.executor.as_ref()?;
                (e.executor_id.value == word).then(|| t.agent_id.clone())?
            })
            .next()
            .map(|agent| (agent, ExecutorId::new(word)))
            .ok_or_else(|| {
                format!("no task of this framework has the id or name {word:?}, nor runs on an executor with that ID")
            })
    })
}
