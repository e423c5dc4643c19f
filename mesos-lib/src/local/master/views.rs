//! v1 operator views (GET_STATE and event payloads) of frameworks, tasks and agents.

use serde::Serialize;
use serde_json::Value;

use super::state::{AgentEntry, Framework, MasterState, Task};
use crate::local::resource_views as rv;
use crate::local::stored_status::StoredStatus;
use crate::v1::agent::{AgentCapability, AgentCapabilityType, AgentInfo};
use crate::v1::common::TimeInfo;
use crate::v1::ids::AgentId;
use crate::v1::master::response;

/// `{"nanoseconds": N}`, as TimeInfo serialises.
#[derive(Serialize)]
struct Time {
    nanoseconds: i64,
}

/// `{"value": "..."}`, as every ID serialises.
#[derive(Serialize)]
struct IdRef<'a> {
    value: &'a str,
}

static EMPTY_STRING: Value = Value::String(String::new());
static EMPTY_ARRAY: Value = Value::Array(Vec::new());

/// `{}`.
#[derive(Serialize)]
struct Empty {}

/// `master::Response::GetFrameworks::Framework`, borrowing from the master's state so that
/// a large GET_STATE is written out without copying every FrameworkInfo first.
#[derive(Serialize)]
pub(crate) struct FrameworkView<'a> {
    framework_info: &'a Value,
    active: bool,
    connected: bool,
    recovered: bool,
    registered_time: Time,
    reregistered_time: Time,
    #[serde(skip_serializing_if = "Option::is_none")]
    unregistered_time: Option<Time>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    allocated_resources: Vec<crate::v1::resources::Resource>,
    /// Full offers, as real Mesos lists them (hostname, url, resources, attributes).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    offers: Vec<&'a crate::v1::offer::Offer>,
    offer_constraints: Empty,
}

impl<'a> FrameworkView<'a> {
    /// The view of `fw` in `st`.
    pub(crate) fn of(fw: &'a Framework, st: &'a MasterState) -> FrameworkView<'a> {
        let allocated = fw.allocated();
        let allocated_resources = if allocated.is_empty() {
            Vec::new()
        } else {
            rv::to_list(&allocated, true, Some(&fw.role()))
        };
        FrameworkView {
            framework_info: &fw.info,
            active: fw.active,
            connected: fw.connected(),
            recovered: fw.recovered,
            registered_time: Time {
                nanoseconds: fw.registered_time,
            },
            reregistered_time: Time {
                nanoseconds: fw.reregistered_time,
            },
            unregistered_time: fw.unregistered_time.map(|nanoseconds| Time { nanoseconds }),
            allocated_resources,
            offers: st
                .offers
                .values()
                .filter(|o| o.framework_id == fw.id)
                .map(|o| &o.sent)
                .collect(),
            offer_constraints: Empty {},
        }
    }
}

/// `master::Response::GetFrameworks::Framework` as a JSON value (for events).
pub(crate) fn framework_v1(fw: &Framework, st: &MasterState) -> Value {
    serde_json::to_value(FrameworkView::of(fw, st)).unwrap_or_default()
}

/// `v1::Task`, borrowing from the master's record (see `FrameworkView`).
#[derive(Serialize)]
pub(crate) struct TaskView<'a> {
    name: &'a Value,
    task_id: &'a Value,
    framework_id: IdRef<'a>,
    agent_id: IdRef<'a>,
    state: &'a str,
    resources: &'a Value,
    #[serde(skip_serializing_if = "<[StoredStatus]>::is_empty")]
    statuses: &'a [StoredStatus],
    #[serde(skip_serializing_if = "Option::is_none")]
    status_update_state: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_update_uuid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    labels: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    discovery: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    container: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    health_check: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kill_policy: Option<&'a Value>,
}

impl<'a> TaskView<'a> {
    /// The view of `t`.
    pub(crate) fn of(t: &'a Task) -> TaskView<'a> {
        TaskView {
            name: t.info.get("name").unwrap_or(&EMPTY_STRING),
            task_id: t.info.get("task_id").unwrap_or(&Value::Null),
            framework_id: IdRef {
                value: &t.framework_id,
            },
            agent_id: IdRef { value: &t.agent_id },
            state: &t.state,
            resources: t.info.get("resources").unwrap_or(&EMPTY_ARRAY),
            statuses: &t.statuses,
            status_update_state: t.status_update_state.as_deref(),
            status_update_uuid: t.status_update_uuid.as_deref(),
            labels: t.info.get("labels"),
            discovery: t.info.get("discovery"),
            container: t.info.get("container"),
            health_check: t.info.get("health_check"),
            kill_policy: t.info.get("kill_policy"),
        }
    }
}

/// `v1::Task` as a JSON value (for events).
pub(crate) fn task_v1(t: &Task) -> Value {
    serde_json::to_value(TaskView::of(t)).unwrap_or_default()
}

/// `master::Response::GetAgents::Agent`.
pub(crate) fn agent_v1(a: &AgentEntry) -> response::Agent {
    let agent = &a.agent;
    let agent_info = AgentInfo {
        hostname: agent.hostname.clone(),
        port: Some(i32::from(agent.port)),
        resources: rv::to_list(&agent.resources, false, None),
        attributes: agent.attributes.clone(),
        id: Some(AgentId::new(agent.id.as_str())),
        checkpoint: Some(true),
        ..Default::default()
    };
    let capabilities = crate::local::agent::http::capabilities()
        .iter()
        .map(|c| AgentCapability {
            capability_type: AgentCapabilityType::from_name(c),
            extra: Default::default(),
        })
        .collect();
    response::Agent {
        agent_info,
        active: true,
        deactivated: Some(false),
        version: Some(crate::local::config::MESOS_VERSION.into()),
        pid: Some(agent.pid()),
        registered_time: Some(TimeInfo {
            nanoseconds: (a.registered_time * 1e9) as i64,
            extra: Default::default(),
        }),
        total_resources: rv::to_list(&agent.resources, true, None),
        allocated_resources: rv::to_list(&a.used, true, Some("*")),
        offered_resources: rv::to_list(&a.offered, true, Some("*")),
        capabilities,
        ..Default::default()
    }
}

/// GET_TASKS payload.
#[derive(Serialize)]
pub(crate) struct GetTasks<'a> {
    tasks: Vec<TaskView<'a>>,
    unreachable_tasks: [(); 0],
    completed_tasks: Vec<TaskView<'a>>,
}

/// The GET_TASKS payload of `st`.
pub(crate) fn get_tasks(st: &MasterState) -> GetTasks<'_> {
    let mut tasks = Vec::new();
    let mut completed = Vec::new();
    for fw in st.frameworks.values() {
        tasks.extend(fw.tasks.values().map(TaskView::of));
        completed.extend(fw.completed_tasks.iter().map(TaskView::of));
    }
    for fw in &st.completed_frameworks {
        completed.extend(fw.completed_tasks.iter().map(TaskView::of));
    }
    GetTasks {
        tasks,
        unreachable_tasks: [],
        completed_tasks: completed,
    }
}

/// GET_FRAMEWORKS payload.
#[derive(Serialize)]
pub(crate) struct GetFrameworks<'a> {
    frameworks: Vec<FrameworkView<'a>>,
    completed_frameworks: Vec<FrameworkView<'a>>,
}

/// The GET_FRAMEWORKS payload of `st`.
pub(crate) fn get_frameworks(st: &MasterState) -> GetFrameworks<'_> {
    GetFrameworks {
        frameworks: st
            .frameworks
            .values()
            .map(|f| FrameworkView::of(f, st))
            .collect(),
        completed_frameworks: st
            .completed_frameworks
            .iter()
            .map(|f| FrameworkView::of(f, st))
            .collect(),
    }
}

/// GET_AGENTS payload.
#[derive(Serialize)]
pub(crate) struct GetAgents {
    agents: Vec<response::Agent>,
    recovered_agents: [(); 0],
}

/// The GET_AGENTS payload of `st`.
pub(crate) fn get_agents(st: &MasterState) -> GetAgents {
    GetAgents {
        agents: st.agents.values().map(agent_v1).collect(),
        recovered_agents: [],
    }
}

/// `{"executors": []}`: command tasks run under the (hidden) command executor.
#[derive(Serialize)]
pub(crate) struct GetExecutors {
    executors: [(); 0],
}

/// GET_STATE payload.
#[derive(Serialize)]
pub(crate) struct GetState<'a> {
    get_tasks: GetTasks<'a>,
    get_executors: GetExecutors,
    get_frameworks: GetFrameworks<'a>,
    get_agents: GetAgents,
}

/// The GET_STATE payload of `st`.
pub(crate) fn get_state(st: &MasterState) -> GetState<'_> {
    GetState {
        get_tasks: get_tasks(st),
        get_executors: GetExecutors { executors: [] },
        get_frameworks: get_frameworks(st),
        get_agents: get_agents(st),
    }
}
