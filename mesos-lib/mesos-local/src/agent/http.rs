//! The agent's own HTTP endpoints: `/state` (also `/slave(1)/state`), `/health`, the files API.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{any, get};
use serde_json::{Map, Value, json};

use super::custom_executor::{CustomExecutor, Phase};
use super::default_executor::GroupExecutor;
use super::{Agent, AgentFramework, ExecutorRun, files_api};
use crate::config::{LocalConfig, MESOS_VERSION};
use crate::http::libprocess::{self, Process, Processes};
use crate::http::{empty, json_ok, not_found};
use crate::resource_views::{self as rv, flat_attributes};
use crate::views::legacy_task;
use mesos_lib::resources::Resources;
use mesos_lib::v1::resources::Resource;
use mesos_lib::v1::task::ExecutorInfo;

const CAPABILITIES: &[&str] = &[
    "MULTI_ROLE",
    "HIERARCHICAL_ROLE",
    "RESERVATION_REFINEMENT",
    "RESOURCE_PROVIDER",
    "RESIZE_VOLUME",
    "AGENT_OPERATION_FEEDBACK",
    "AGENT_DRAINING",
    "TASK_RESOURCE_LIMITS",
];

/// The agent's capabilities, as it registers them.
pub(crate) fn capabilities() -> &'static [&'static str] {
    CAPABILITIES
}

/// The agent's processes (`route(...)` in Mesos's `slave.cpp`, `files.cpp`): any other first
/// segment goes to the agent, as libprocess delegates it.
static PROCESSES: Processes = Processes {
    delegate: "slave(1)",
    list: &[
        Process {
            id: "slave(1)",
            endpoints: &[
                "api/v1",
                "api/v1/executor",
                "api/v1/resource_provider",
                "state",
                "flags",
                "health",
                "monitor/statistics",
                "containers",
                "containerizer/debug",
            ],
            assets: &[],
        },
        Process {
            id: "files",
            endpoints: &["browse", "read", "download", "debug"],
            assets: &[],
        },
        Process {
            id: "version",
            endpoints: &[""],
            assets: &[],
        },
        Process {
            id: "metrics",
            endpoints: &["snapshot"],
            assets: &[],
        },
    ],
    verbatim: &[],
};

/// Routes of one agent, found by libprocess's path rules.
pub(crate) fn router(agent: Arc<Agent>, cfg: Arc<LocalConfig>) -> Router {
    let canonical = Router::new()
        .route("/slave(1)/state", get(state))
        .route("/files/debug", get(files_api::debug))
        .route("/files/browse", get(files_api::browse))
        .route("/files/read", get(files_api::read))
        .route("/slave(1)/api/v1", any(super::operator_api::handle))
        // An executor's calls too: on a real agent they queue behind the RunTask messages
        // that came before them, so the framework and executor they name are known.
        .route(
            "/slave(1)/api/v1/executor",
            any(super::executor_api::handle),
        )
        // What the agent shows and does follows every launch the master handed it.
        .route_layer(axum::middleware::from_fn_with_state(
            Arc::clone(&agent),
            caught_up,
        ))
        .route("/slave(1)/health", get(|| async { empty(StatusCode::OK) }))
        .route("/version", get(crate::master::legacy::version))
        .fallback(|| async { not_found() })
        .layer(axum::Extension(cfg))
        .with_state(agent);
    libprocess::serve(&PROCESSES, canonical)
}

/// Lets the agent carry out the launches it was handed before it answers.
async fn caught_up(
    State(agent): State<Arc<Agent>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    agent.catch_up();
    next.run(req).await
}

fn executor_json(run: &ExecutorRun, agent_id: &str) -> Value {
    let cmd = (run.task.command.as_ref()).and_then(|c| c.value.as_deref());
    let cmd = cmd.unwrap_or("");
    let name = format!(
        "Command Executor (Task: {}) (Command: sh -c '{}')",
        run.executor_id, cmd
    );
    let mut res = rv::from_typed(&run.task.resources);
    // The command executor's own allowance.
    res.add(&Resource::scalar("cpus", 0.1));
    res.add(&Resource::scalar("mem", 32.0));
    let live = !run.state.is_terminal();
    let task = legacy_task(
        &run.task,
        &run.framework_id,
        agent_id,
        &run.state,
        &run.statuses,
    );
    let (tasks, completed) = if live {
        (vec![task], vec![])
    } else {
        (vec![], vec![task])
    };
    json!({
        "id": run.executor_id,
        "name": name,
        "source": run.executor_id,
        "container": run.container_id,
        "directory": run.directory.display().to_string(),
        "resources": rv::flat(&res, false),
        "role": "*",
        "tasks": tasks,
        "queued_tasks": [],
        "completed_tasks": completed,
    })
}

/// A task group's DEFAULT executor as `/state` lists it.
fn group_executor_json(g: &GroupExecutor, fw: &AgentFramework, fid: &str, agent_id: &str) -> Value {
    let run = ExecutorOfTasks {
        info: &g.info,
        container_id: &g.container_id,
        directory: &g.directory,
        task_ids: &g.task_ids,
        queued: &[],
    };
    executor_of_tasks_json(&run, fw, fid, agent_id)
}

/// A custom executor as `/state` lists it.
fn custom_executor_json(
    e: &CustomExecutor,
    fw: &AgentFramework,
    fid: &str,
    agent_id: &str,
) -> Value {
    let run = ExecutorOfTasks {
        info: &e.info,
        container_id: &e.container_id,
        directory: &e.directory,
        task_ids: &e.task_ids,
        queued: &e.queued,
    };
    executor_of_tasks_json(&run, fw, fid, agent_id)
}

/// An executor the framework described (a task group's or a custom one).
struct ExecutorOfTasks<'a> {
    info: &'a ExecutorInfo,
    container_id: &'a str,
    directory: &'a std::path::Path,
    task_ids: &'a [String],
    queued: &'a [String],
}

/// An executor from its ExecutorInfo as `/state` lists it (`ExecutorWriter`): its own and
/// its tasks' resources, its queued, live and ended tasks.
fn executor_of_tasks_json(
    g: &ExecutorOfTasks<'_>,
    fw: &AgentFramework,
    fid: &str,
    agent_id: &str,
) -> Value {
    let eid = g.info.executor_id.value.as_str();
    let mut res = rv::from_typed(&g.info.resources);
    let (mut tasks, mut queued, mut completed) = (Vec::new(), Vec::new(), Vec::new());
    for tid in g.task_ids {
        let run = fw.executors.get(tid).or_else(|| {
            fw.completed
                .iter()
                .rev()
                .find(|r| r.executor_id == eid && r.task.task_id.value == *tid)
        });
        let Some(run) = run else { continue };
        res.add_all(&rv::from_typed(&run.task.resources));
        let task = legacy_task(&run.task, fid, agent_id, &run.state, &run.statuses);
        if run.state.is_terminal() {
            completed.push(task);
        } else if g.queued.contains(tid) {
            queued.push(task);
        } else {
            tasks.push(task);
        }
    }
    let mut m = Map::new();
    m.insert("id".into(), json!(eid));
    m.insert("name".into(), json!(g.info.name.as_deref().unwrap_or("")));
    m.insert(
        "source".into(),
        json!(g.info.source.as_deref().unwrap_or("")),
    );
    m.insert("container".into(), json!(g.container_id));
    m.insert("directory".into(), json!(g.directory.display().to_string()));
    m.insert("resources".into(), rv::flat(&res, false));
    let first = g.info.resources.first();
    if let Some(role) = first.and_then(|r| r.allocation_info.as_ref()?.role.as_ref()) {
        m.insert("role".into(), json!(role));
    }
    if let Some(labels) = &g.info.labels {
        m.insert("labels".into(), json!(labels));
    }
    let kind = g.info.executor_type.as_ref();
    m.insert("type".into(), json!(kind.map_or("CUSTOM", |t| t.as_str())));
    m.insert("tasks".into(), Value::Array(tasks));
    m.insert("queued_tasks".into(), Value::Array(queued));
    m.insert("completed_tasks".into(), Value::Array(completed));
    Value::Object(m)
}

/// Agent `/state`.
async fn state(
    State(agent): State<Arc<Agent>>,
    axum::Extension(cfg): axum::Extension<Arc<LocalConfig>>,
) -> Response {
    let mut used = Resources::new();
    let mut frameworks = Vec::new();
    let mut completed_frameworks = Vec::new();
    {
        let st = agent.state.lock().unwrap_or_else(|e| e.into_inner());
        for (fid, fw) in &st.frameworks {
            let view = framework_state(&agent, fid, fw, &mut used);
            if st.removed.contains(fid) {
                completed_frameworks.push(view);
            } else {
                frameworks.push(view);
            }
        }
    }
    let flags: Map<String, Value> = crate::flags::agent_flags(
        &cfg,
        agent.port,
        &agent.work_dir.display().to_string(),
        &agent.master_hostname,
    )
    .into_iter()
    .map(|(k, v)| (k.to_string(), json!(v)))
    .collect();
    let total = agent.total();
    let body = json!({
        "version": MESOS_VERSION,
        "build_date": crate::master::legacy::BUILD_DATE,
        "build_time": crate::master::legacy::BUILD_TIME,
        "build_user": "",
        "start_time": agent.start_time,
        "id": agent.id,
        "pid": agent.pid(),
        "hostname": agent.hostname,
        "capabilities": CAPABILITIES,
        "resources": rv::flat(&total, true),
        "reserved_resources": rv::reserved_flat(&total),
        "unreserved_resources": rv::flat(&total.unreserved(), true),
        "reserved_resources_full": rv::reserved_full(&total),
        "unreserved_resources_full": rv::to_list(&total.unreserved(), true, None),
        "reserved_resources_allocated": rv::reserved_flat(&used),
        "unreserved_resources_allocated": rv::flat(&used.unreserved(), false),
        "resource_providers": [],
        "attributes": flat_attributes(&agent.attributes),
        "master_hostname": agent.master_hostname,
        "flags": flags,
        "frameworks": frameworks,
        "completed_frameworks": completed_frameworks,
    });
    json_ok(&body)
}

/// One framework as the agent's `/state` lists it, with its executors running and ended;
/// adds what its running executors and tasks use to `used`.
fn framework_state(agent: &Agent, fid: &str, fw: &AgentFramework, used: &mut Resources) -> Value {
    // A task group's tasks are listed under their executor.
    let command_task = |r: &&ExecutorRun| r.parent_container.is_none() && !r.custom;
    let mut executors: Vec<Value> = fw
        .executors
        .values()
        .filter(command_task)
        .map(|r| executor_json(r, &agent.id))
        .collect();
    let mut completed: Vec<Value> = fw
        .completed
        .iter()
        .filter(command_task)
        .map(|r| executor_json(r, &agent.id))
        .collect();
    for r in fw.executors.values() {
        used.add_all(&rv::from_typed(&r.task.resources));
    }
    for e in fw.custom.values().chain(fw.custom_ended.iter()) {
        let view = custom_executor_json(e, fw, fid, &agent.id);
        if e.phase == Phase::Terminated {
            completed.push(view);
        } else {
            used.add_all(&rv::from_typed(&e.info.resources));
            executors.push(view);
        }
    }
    for g in fw.groups.values() {
        let view = group_executor_json(g, fw, fid, &agent.id);
        if g.exited {
            completed.push(view);
        } else {
            used.add_all(&rv::from_typed(&g.info.resources));
            executors.push(view);
        }
    }
    let mut m = Map::new();
    m.insert("id".into(), json!(fid));
    m.insert("name".into(), json!(fw.info.name));
    m.insert("user".into(), json!(fw.info.user));
    m.insert(
        "failover_timeout".into(),
        json!(fw.info.failover_timeout.unwrap_or(0.0)),
    );
    m.insert(
        "checkpoint".into(),
        json!(fw.info.checkpoint.unwrap_or(false)),
    );
    m.insert(
        "hostname".into(),
        json!(fw.info.hostname.as_deref().unwrap_or("")),
    );
    // An empty `roles` is written as an unset one was before it was typed.
    let roles = if fw.info.roles.is_empty() {
        json!(["*"])
    } else {
        json!(fw.info.roles)
    };
    m.insert("roles".into(), roles);
    m.insert("executors".into(), Value::Array(executors));
    m.insert("completed_executors".into(), Value::Array(completed));
    Value::Object(m)
}
