//! Launching: `%launch` builds a TaskInfo from flags, `%%launch` takes TaskInfo JSON; both
//! pick an offer that fits, ACCEPT it and show the task.

use super::launch_cell;
use super::line_launch::LineLaunch;
use super::offers::{FILTER_FLAGS, choose_offer};
use super::tasks::{DEFAULT_WAIT, STATES, task_table, watch_task};
use super::volume_offers;
use super::{Body, MagicResult, bind, mesos_error, no_positional};
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::registry::{ArgKind, FlagSpec, MagicContext, MagicKind, MagicSpec};
use crate::mesos::LiveKind;
use crate::mesos::rerun::active_twin;
use crate::protocol::content::{ErrorContent, StreamName};
use mesos_lib::scheduler::{Scheduler, SessionError, TaskRecord};
use mesos_lib::v1::{Offer, TaskInfo, TaskState};

/// The flags only the line form takes; `%%launch` reads these from its JSON.
pub(super) const LINE_ONLY: &[&str] = &[
    "name",
    "id",
    "cpus",
    "mem",
    "disk",
    "ports",
    "env",
    "uri",
    "docker",
    "network",
    "volume",
    "executor",
    "executor-id",
    "role",
];

pub(super) static MAGICS: &[(MagicSpec, Body)] = &[(
    MagicSpec {
        name: "launch",
        kind: MagicKind::LineAndCell,
        usage: "%launch [--name NAME] [--id ID] [--cpus N] [--mem MB] [--disk MB] [--ports N] \
                [--offer ID | --agent ID --hostname H --attr k=v] [--env K=V]... [--uri URL]... \
                [--docker IMAGE [--network host|bridge]] [--volume ID:PATH]... [--role ROLE] [--wait STATE] \
                [--bind NAME] -- COMMAND...\n\
                %launch --executor CMD [--executor-id ID] [other flags] [-- DATA...]\n\
                %%launch [--wait STATE] [--offer ID | --agent ID --hostname H --attr k=v]  \
                (body: a TaskInfo, or a list of them, in Mesos JSON; or a task group: \
                {\"executor\": ExecutorInfo, \"task_group\": {\"tasks\": [TaskInfo...]}})",
        summary: "Launch a task on an offer that fits.",
        help: "Picks an outstanding offer that passes the filters and holds the resources (or \
               says what is missing from what is offered), ACCEPTs it with a LAUNCH and shows \
               the task; --wait shows its state live until it reaches STATE.\n\
               --ports N takes N ports from the offer's port ranges and gives them to the \
               command as $PORT0..$PORT{N-1} ($PORT = $PORT0, $PORTS = all, comma-separated). \
               --docker runs IMAGE in a DOCKER container (COMMAND optional); an agent without \
               the docker containerizer, like the embedded one, fails such a task.\n\
               --volume ID:PATH uses the persistent volume ID (see %volumes): the launch waits \
               for an offer holding it (volumes are offered only to their role: %subscribe \
               --role) and the task sees it at PATH in its sandbox.\n\
               --role ROLE launches on an offer made to the framework in ROLE (it must be \
               subscribed in it: %subscribe --role ROLE, or MULTI_ROLE with several --role), \
               taking resources reserved for ROLE first, then unreserved ones (it waits up to 15 s \
               for an offer to ROLE that fits).\n\
               %%launch: the body is a TaskInfo as in Mesos JSON; a missing `task_id` becomes \
               NAME-<random>, a missing `agent_id` the chosen offer's agent, and the offer is \
               chosen by the tasks' resources (all tasks of a list go on one offer).\n\
               A task group (`{\"executor\": ..., \"task_group\": {\"tasks\": [...]}}` as \
               LAUNCH_GROUP takes it, or `{\"executor\": ..., \"tasks\": [...]}`) is launched \
               with one LAUNCH_GROUP: its tasks start together under one DEFAULT executor \
               (missing: type DEFAULT, ID <first task name>-executor, cpus 0.1 mem 32 disk 32), \
               and when one fails the executor kills the others.\n\
               --executor CMD runs the task on a custom executor: the agent starts CMD (with \
               --env and --uri) in the executor's sandbox with the MESOS_* environment, and the \
               executor subscribes to the agent's /api/v1/executor to get the task; the text \
               after -- becomes the task's `data`. Its ID is --executor-id (default \
               NAME-executor), its resources cpus 0.1 mem 32; launching again with the same ID \
               and CMD gives the task to the running executor. %%launch takes the same as an \
               `executor` in the TaskInfo JSON. `%message` talks to it.\n\
               Re-running while a task with that id (or, without an id, that name) is active \
               shows it instead of launching another.",
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
                name: "ports",
                value: ArgKind::Text,
                help: "take this many ports from the offer, as $PORT0...",
            },
            FlagSpec {
                name: "offer",
                value: ArgKind::Live(LiveKind::OfferId),
                help: "use exactly this offer",
            },
            FILTER_FLAGS[0],
            FILTER_FLAGS[1],
            FILTER_FLAGS[2],
            FlagSpec {
                name: "env",
                value: ArgKind::Text,
                help: "environment variable NAME=VALUE (repeatable)",
            },
            FlagSpec {
                name: "uri",
                value: ArgKind::Text,
                help: "a URI for the agent to fetch into the sandbox (repeatable)",
            },
            FlagSpec {
                name: "docker",
                value: ArgKind::Text,
                help: "run in a DOCKER container from this image",
            },
            FlagSpec {
                name: "network",
                value: ArgKind::Choice(&["host", "bridge"]),
                help: "the docker network (default host)",
            },
            FlagSpec {
                name: "volume",
                value: ArgKind::Live(LiveKind::VolumeId),
                help: "persistent volume ID:PATH, seen by the task at PATH (repeatable)",
            },
            FlagSpec {
                name: "executor",
                value: ArgKind::Text,
                help: "run the task on a custom executor started with this command",
            },
            FlagSpec {
                name: "executor-id",
                value: ArgKind::Text,
                help: "the custom executor's ID (default NAME-executor)",
            },
            FlagSpec {
                name: "role",
                value: ArgKind::Live(LiveKind::Role),
                help: "launch in this role of the framework (its reservations first)",
            },
            FlagSpec {
                name: "wait",
                value: ArgKind::Choice(STATES),
                help: "show the state live until it reaches this one",
            },
            bind::BIND,
        ],
        positional: ArgKind::None,
    },
    |args, ctx| Box::pin(launch(args, ctx)),
)];

async fn launch(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let spec = &MAGICS[0].0;
    no_positional(spec, &args)?;
    match args.body.clone() {
        Some(body) => launch_cell::launch_json(spec, &args, &body, ctx).await,
        None => launch_line(spec, &args, ctx).await,
    }
}

/// Shows tasks already active instead of launching them again (and waits on them with --wait).
pub(super) async fn show_active(
    ctx: &MagicContext<'_>,
    s: &Scheduler,
    active: &[TaskRecord],
    want: Option<TaskState>,
) -> MagicResult {
    let mut table = task_table(active);
    let ids: Vec<&str> = active.iter().map(|r| r.task_id.value.as_str()).collect();
    table.caption = Some(match active {
        [one] => format!(
            "task {} is already active ({}): not launching another",
            ids[0],
            one.state()
        ),
        _ => format!(
            "tasks {} are already active: not launching them again",
            ids.join(", ")
        ),
    });
    if want.is_none() {
        return Ok(Some(table.to_bundle()));
    }
    ctx.out.display(&table.to_bundle(), None);
    watch_all(ctx, s, &ids, want).await
}

/// Watches each task in turn; the first that ends elsewhere fails the cell.
async fn watch_all(
    ctx: &MagicContext<'_>,
    s: &Scheduler,
    ids: &[&str],
    want: Option<TaskState>,
) -> MagicResult {
    for id in ids {
        watch_task(ctx, s, id, want.clone(), DEFAULT_WAIT).await?;
    }
    Ok(None)
}

/// ACCEPTs `offer` with one LAUNCH of `tasks`.
pub(super) async fn accept(
    s: &Scheduler,
    offer: &Offer,
    tasks: Vec<TaskInfo>,
) -> Result<(), ErrorContent> {
    match s.launch(&offer.id, tasks).await {
        Ok(()) => Ok(()),
        Err(SessionError::UnknownOffer(id)) => Err(mesos_error(format!(
            "offer {id} no longer exists (rescinded or used); run the cell again"
        ))),
        Err(e) => Err(mesos_error(format!("LAUNCH failed: {e}"))),
    }
}

/// After the ACCEPT: the tasks' table, or their live state with --wait.
pub(super) async fn launched(
    ctx: &MagicContext<'_>,
    s: &Scheduler,
    ids: &[String],
    offer: &Offer,
    want: Option<TaskState>,
) -> MagicResult {
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    if want.is_some() {
        return watch_all(ctx, s, &refs, want).await;
    }
    let recs: Vec<TaskRecord> = refs.iter().filter_map(|id| s.task(id)).collect();
    let mut table = task_table(&recs);
    table.caption = Some(format!(
        "launched {} on {} (offer {})",
        refs.join(", "),
        offer.hostname,
        offer.id
    ));
    Ok(Some(table.to_bundle()))
}

/// `--role R`: the framework must be subscribed in R, else the error says how to be.
fn check_role(s: &Scheduler, role: &str) -> Result<(), ErrorContent> {
    let roles = s.read(|b| b.framework_info.effective_roles());
    if roles.iter().any(|r| r == role) {
        return Ok(());
    }
    Err(mesos_error(format!(
        "the framework is subscribed in role{} {}, not {role:?}: %subscribe --role {role} \
         (several roles: --capability MULTI_ROLE --role A --role B)",
        if roles.len() == 1 { "" } else { "s" },
        roles.join(", ")
    )))
}

async fn launch_line(spec: &MagicSpec, args: &Args, ctx: &MagicContext<'_>) -> MagicResult {
    let mut line = LineLaunch::parse(spec, args)?;
    let want_state = line.want_state.clone();
    let s = ctx.mesos.scheduler().map_err(mesos_error)?;
    if let Some(role) = &line.role {
        check_role(&s, role)?;
        line.filter.role = Some(role.clone());
    }

    let bind_name = bind::bind_name(spec, args)?;

    // Re-running the cell: an active task with this id (or name) is shown, not launched again.
    if let Some(rec) = active_twin(&s, line.id.as_deref(), &line.name) {
        let id = rec.task_id.value.clone();
        let shown = show_active(ctx, &s, &[rec], want_state).await?;
        bind_task(ctx, &s, bind_name, &id).await;
        return Ok(shown);
    }

    volume_offers::with_volumes(ctx, &s, &line.volumes, &mut line.filter, &mut line.want).await?;
    let offer = choose_offer(ctx, &s, &line.filter, &line.want).await?;
    let (task, picked) = line.task_info(&offer);
    let task_id = task.task_id.value.clone();
    accept(&s, &offer, vec![task]).await?;
    ctx.out
        .stream(StreamName::Stdout, &launch_note(&task_id, &offer, &picked));
    let shown = launched(ctx, &s, std::slice::from_ref(&task_id), &offer, want_state).await?;
    bind_task(ctx, &s, bind_name, &task_id).await;
    Ok(shown)
}

/// `--bind NAME`: the task as a `mesos::Task`, with its agent's hostname so a Rust cell can
/// reach the ports it got.
async fn bind_task(ctx: &MagicContext<'_>, s: &Scheduler, name: Option<String>, task_id: &str) {
    let (Some(name), Some(rec)) = (name, s.task(task_id)) else {
        return;
    };
    let agent = rec.agent_id.as_ref().map(|a| a.value.clone());
    let hostname = match (ctx.mesos.try_connection(), agent) {
        (Some(conn), Some(agent)) => conn
            .operator
            .get_agents()
            .await
            .ok()
            .and_then(|a| {
                a.agents
                    .into_iter()
                    .find(|a| a.agent_info.id.as_ref().is_some_and(|i| i.value == agent))
                    .map(|a| a.agent_info.hostname)
            })
            .unwrap_or_default(),
        _ => String::new(),
    };
    let framework = s.framework_id().map(|f| f.value).unwrap_or_default();
    bind::queue(ctx, bind::record(name, &rec, &framework, &hostname));
}

/// One line saying where a task went and which ports it got.
pub(super) fn launch_note(task_id: &str, offer: &Offer, ports: &[u64]) -> String {
    let mut note = format!(
        "launching {task_id} on {} (agent {}, offer {})",
        offer.hostname, offer.agent_id, offer.id
    );
    if !ports.is_empty() {
        let vars: Vec<String> = ports
            .iter()
            .enumerate()
            .map(|(i, p)| format!("PORT{i}={p}"))
            .collect();
        note.push_str(&format!(
            " with {}: http://{}:{}/",
            vars.join(" "),
            offer.hostname,
            ports[0]
        ));
    }
    note.push('\n');
    note
}
