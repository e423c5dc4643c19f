//! Looking at the cluster through the operator API: `%state`, `%agents`, `%frameworks`,
//! `%tasks`, `%version`, `%health`.

use super::{
    Body, MagicResult, agent_admin, attributes_text, bind, maintenance, mesos_error, no_positional,
    num, pictures, resource_cells, resource_text, usage,
};
use crate::display::counted;
use crate::display::svg::{picture_id, with_picture};
use crate::display::table::Table;
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::registry::{ArgKind, FlagSpec, MagicContext, MagicSpec, spec_in};
use crate::mesos::Connection;
use crate::protocol::content::ErrorContent;
use mesos_lib::resources::Resources;
use mesos_lib::v1::master::response::{GetAgents, GetFrameworks, GetTasks};
use mesos_lib::v1::task::Task;
use std::collections::BTreeMap;

/// `--group-by ATTR` of `%agents` and `%state`.
const GROUP_BY: FlagSpec = FlagSpec {
    name: "group-by",
    value: ArgKind::Text,
    help: "sum agents in the picture by this attribute (e.g. rack)",
};

pub(super) static MAGICS: &[(MagicSpec, Body)] = &[
    (
        MagicSpec::line(
            "state",
            "%state",
            "Cluster summary (GET_STATE), with the full state as JSON.",
            "A table of agents, frameworks and tasks by state, plus the whole GET_STATE answer as \
             application/json (a collapsible view in JupyterLab). Above the table, a picture of \
             each agent's resources (used by tasks, offered, reserved, free); --group-by ATTR \
             sums agents by an attribute.",
            &[GROUP_BY],
            ArgKind::None,
        ),
        |args, ctx| Box::pin(state(args, ctx)),
    ),
    (
        MagicSpec::line(
            "agents",
            "%agents [--group-by ATTR] [--bind NAME | --live]",
            "Agents: hostname, resources, used, attributes, with a picture of their resources.",
            "One row per agent: its total cpus, mem, disk and ports, what is allocated, and its \
             attributes in Mesos flag syntax. Above the table, one bar per agent and resource: \
             used by tasks, offered, reserved and idle, free (summed by attribute with \
             --group-by rack, and into runs beyond 30 agents). --bind NAME also makes them a \
             Vec<mesos::Agent> in Rust cells.",
            &[GROUP_BY, bind::BIND],
            ArgKind::None,
        ),
        |args, ctx| Box::pin(agents(args, ctx)),
    ),
    (
        MagicSpec::line(
            "frameworks",
            "%frameworks",
            "Frameworks the master knows (active and completed).",
            "One row per framework: id, name, user, roles, whether it is active and connected, \
             and what it has allocated.",
            &[],
            ArgKind::None,
        ),
        |args, ctx| Box::pin(frameworks(args, ctx)),
    ),
    (
        MagicSpec::line(
            "tasks",
            "%tasks [--mine] [--bind NAME | --live]",
            "Tasks cluster-wide (or this framework's).",
            "One row per task the master knows (pending, active, unreachable, completed), and \
             above the table a timeline of their states from the statuses the master keeps \
             (one row per state beyond 30 tasks). --bind NAME also makes them a \
             Vec<mesos::Task> in Rust cells.",
            &[
                FlagSpec {
                    name: "mine",
                    value: ArgKind::None,
                    help: "only tasks of the framework %subscribe made",
                },
                bind::BIND,
            ],
            ArgKind::None,
        ),
        |args, ctx| Box::pin(tasks(args, ctx)),
    ),
    (
        MagicSpec::line(
            "version",
            "%version",
            "The master's version and build.",
            "GET_VERSION.",
            &[],
            ArgKind::None,
        ),
        |args, ctx| Box::pin(version(args, ctx)),
    ),
    (
        MagicSpec::line(
            "health",
            "%health",
            "Whether the master answers and says it is healthy.",
            "GET_HEALTH, with the master's URL and how long the answer took.",
            &[],
            ArgKind::None,
        ),
        |args, ctx| Box::pin(health(args, ctx)),
    ),
];

fn connection(ctx: &MagicContext<'_>, args: &Args, name: &str) -> Result<Connection, ErrorContent> {
    no_positional(spec_in(MAGICS, name), args)?;
    ctx.mesos.connection().map_err(mesos_error)
}

/// A failed operator call, naming the master.
pub(super) fn unreachable(conn: &Connection, e: impl std::fmt::Display) -> ErrorContent {
    mesos_error(format!("master {}: {e}", conn.target.url()))
}

async fn state(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let conn = connection(ctx, &args, "state")?;
    let st = conn
        .operator
        .get_state()
        .await
        .map_err(|e| unreachable(&conn, e))?;
    let json = serde_json::to_value(&st).map_err(mesos_error)?;
    let agents = st.get_agents.as_ref().map(|a| a.agents.len()).unwrap_or(0);
    let fws = st.get_frameworks.as_ref();
    let tasks = st.get_tasks.as_ref();
    let mut by_state: BTreeMap<String, usize> = BTreeMap::new();
    for t in tasks.into_iter().flat_map(all_tasks) {
        *by_state.entry(t.state.to_string()).or_default() += 1;
    }
    let mut t = Table::new(&["what", "count"]);
    t.row(vec!["agents".into(), agents.to_string()]);
    t.row(vec![
        "frameworks".into(),
        fws.map(|f| f.frameworks.len()).unwrap_or(0).to_string(),
    ]);
    t.row(vec![
        "completed frameworks".into(),
        fws.map(|f| f.completed_frameworks.len())
            .unwrap_or(0)
            .to_string(),
    ]);
    for (state, n) in by_state {
        t.row(vec![format!("tasks {state}"), n.to_string()]);
    }
    t.caption = Some(format!("state of {}", conn.target.url()));
    let group = args.value("group-by");
    let picture = st
        .get_agents
        .as_ref()
        .map(|a| pictures::agents_svg(a, group))
        .unwrap_or_default();
    Ok(Some(
        with_picture(t.to_bundle(), &picture).with("application/json", json),
    ))
}

/// Every task GET_TASKS lists: pending, active, unreachable, completed.
pub(super) fn all_tasks(t: &GetTasks) -> impl Iterator<Item = &Task> {
    t.pending_tasks
        .iter()
        .chain(&t.tasks)
        .chain(&t.unreachable_tasks)
        .chain(&t.completed_tasks)
}

/// The agents table, shared with `%state`'s readers.
pub fn agents_table(agents: &GetAgents) -> Table {
    agents_table_in(agents, &[])
}

/// The agents' table, each with its state (ACTIVE, DEACTIVATED, DRAINING, DRAINED, or
/// MAINTENANCE when its machine is in the schedule's `windows` and it is active) and window.
pub(super) fn agents_table_in(agents: &GetAgents, windows: &[serde_json::Value]) -> Table {
    let mut t = Table::new(&[
        "agent",
        "hostname",
        "cpus",
        "mem",
        "disk",
        "ports",
        "used",
        "attributes",
        "state",
        "maintenance",
    ]);
    // Capped: only the rows shown are built, so 1,000 agents cost what 200 cost.
    t.extend_capped(agents.agents.iter(), |a| {
        let [cpus, mem, disk, ports] = resource_cells(&a.total_resources);
        let ip = agent_admin::agent_ip(a.pid.as_deref());
        let window = maintenance::window_of(windows, &a.agent_info.hostname, ip.as_deref());
        let state = match agent_admin::agent_state(
            a.deactivated.unwrap_or(!a.active),
            a.extra.get("drain_info"),
        ) {
            "ACTIVE" if window.is_some() => "MAINTENANCE",
            s => s,
        };
        vec![
            a.agent_info
                .id
                .as_ref()
                .map(|i| i.value.clone())
                .unwrap_or_else(|| "-".into()),
            a.agent_info.hostname.clone(),
            cpus,
            mem,
            disk,
            ports,
            resource_text(&a.allocated_resources),
            attributes_text(&a.agent_info.attributes),
            state.to_string(),
            window.unwrap_or_else(|| "-".into()),
        ]
    });
    t.caption = Some(counted(agents.agents.len(), "agent"));
    t
}

async fn agents(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let conn = connection(ctx, &args, "agents")?;
    let name = bind::bind_name(spec_in(MAGICS, "agents"), &args)?;
    let agents = conn
        .operator
        .get_agents()
        .await
        .map_err(|e| unreachable(&conn, e))?;
    if let Some(name) = name {
        bind::queue(ctx, bind::agents(name, &agents));
    }
    let picture = pictures::agents_svg(&agents, args.value("group-by"));
    let windows = maintenance::windows(&conn).await;
    Ok(Some(with_picture(
        agents_table_in(&agents, &windows).to_bundle(),
        &picture,
    )))
}

fn frameworks_table(f: &GetFrameworks) -> Table {
    let mut t = Table::new(&[
        "id",
        "name",
        "user",
        "roles",
        "active",
        "connected",
        "cpus",
        "mem",
    ]);
    let rows = f
        .frameworks
        .iter()
        .map(|f| (f, ""))
        .chain(f.completed_frameworks.iter().map(|f| (f, " (completed)")));
    for (fw, note) in rows {
        let info = &fw.framework_info;
        let alloc = Resources::from(fw.allocated_resources.as_slice());
        t.row(vec![
            info.id
                .as_ref()
                .map(|i| format!("{}{note}", i.value))
                .unwrap_or_else(|| "-".into()),
            info.name.clone(),
            info.user.clone(),
            info.effective_roles().join(","),
            fw.active.to_string(),
            fw.connected.to_string(),
            num(alloc.cpus()),
            num(alloc.mem()),
        ]);
    }
    t.caption = Some(format!(
        "{}, {} completed",
        counted(f.frameworks.len(), "framework"),
        f.completed_frameworks.len()
    ));
    t
}

async fn frameworks(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let conn = connection(ctx, &args, "frameworks")?;
    let f = conn
        .operator
        .get_frameworks()
        .await
        .map_err(|e| unreachable(&conn, e))?;
    Ok(Some(frameworks_table(&f).to_bundle()))
}

async fn tasks(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let conn = connection(ctx, &args, "tasks")?;
    let mine = if args.has("mine") {
        let s = ctx.mesos.scheduler().map_err(mesos_error)?;
        match s.framework_id() {
            Some(id) => Some(id),
            None => {
                return Err(usage(
                    spec_in(MAGICS, "tasks"),
                    "--mine: not subscribed yet",
                ));
            }
        }
    } else {
        None
    };
    let name = bind::bind_name(spec_in(MAGICS, "tasks"), &args)?;
    let got = conn
        .operator
        .get_tasks()
        .await
        .map_err(|e| unreachable(&conn, e))?;
    let keep = |t: &&Task| mine.as_ref().is_none_or(|m| &t.framework_id == m);
    if let Some(name) = name {
        let bound = all_tasks(&got).filter(keep).map(|t| (t, ""));
        bind::queue(ctx, bind::tasks(name, bound));
    }
    let table = tasks_table(all_tasks(&got).filter(keep), mine.is_some());
    let what = if mine.is_some() {
        "task of this framework"
    } else {
        "task"
    };
    let picture =
        pictures::tasks_timeline(all_tasks(&got).filter(keep), what).to_svg(&picture_id("tasks"));
    Ok(Some(with_picture(table.to_bundle(), &picture)))
}

/// The `%tasks` table: one row per task; `mine` only changes the caption.
pub fn tasks_table<'a>(tasks: impl Iterator<Item = &'a Task>, mine: bool) -> Table {
    let mut t = Table::new(&["task", "name", "state", "framework", "agent", "resources"]);
    t.extend_capped(tasks, |task| {
        vec![
            task.task_id.value.clone(),
            task.name.clone(),
            task.state.to_string(),
            task.framework_id.value.clone(),
            task.agent_id.value.clone(),
            resource_text(&task.resources),
        ]
    });
    let what = if mine {
        "task of this framework"
    } else {
        "task"
    };
    t.caption = Some(counted(t.total_rows(), what));
    t
}

async fn version(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let conn = connection(ctx, &args, "version")?;
    let v = conn
        .operator
        .get_version()
        .await
        .map_err(|e| unreachable(&conn, e))?
        .version_info;
    let mut t = Table::new(&["version", "git sha", "git tag", "build date", "built by"]);
    let dash = |o: Option<String>| o.unwrap_or_else(|| "-".into());
    t.row(vec![
        v.version,
        dash(v.git_sha),
        dash(v.git_tag),
        dash(v.build_date),
        dash(v.build_user),
    ]);
    Ok(Some(t.to_bundle()))
}

async fn health(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let conn = connection(ctx, &args, "health")?;
    let started = std::time::Instant::now();
    let h = conn
        .operator
        .get_health()
        .await
        .map_err(|e| unreachable(&conn, e))?;
    let mut t = Table::new(&["master", "healthy", "answered in"]);
    t.row(vec![
        conn.target.url().to_string(),
        if h.healthy { "yes".into() } else { "NO".into() },
        format!("{} ms", started.elapsed().as_millis()),
    ]);
    Ok(Some(t.to_bundle()))
}
