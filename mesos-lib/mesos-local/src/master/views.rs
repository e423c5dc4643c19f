//! v1 operator views (GET_STATE and event payloads) of frameworks, tasks and agents.

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::draining::AgentRegistry;
use super::fixed_json::TaskJson;
use super::state::{AgentEntry, Framework, MasterState, Task};
use crate::agent::Agent;
use crate::resource_views as rv;
use crate::stored_status::StoredStatus;
use mesos_lib::v1::TaskState;
use mesos_lib::v1::agent::{AgentCapability, AgentCapabilityType, AgentInfo};
use mesos_lib::v1::common::TimeInfo;
use mesos_lib::v1::ids::AgentId;
use mesos_lib::v1::master::response;
use mesos_lib::v1::task::ExecutorInfo;

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

/// `{}`.
#[derive(Serialize)]
struct Empty {}

/// `master::Response::GetFrameworks::Framework`, borrowing from the master's state so that
/// a large GET_STATE is written out without copying every FrameworkInfo first.
#[derive(Serialize)]
pub(crate) struct FrameworkView<'a> {
    framework_info: &'a mesos_lib::v1::FrameworkInfo,
    active: bool,
    connected: bool,
    recovered: bool,
    registered_time: Time,
    reregistered_time: Time,
    #[serde(skip_serializing_if = "Option::is_none")]
    unregistered_time: Option<Time>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    allocated_resources: Vec<mesos_lib::v1::resources::Resource>,
    /// Full offers, as real Mesos lists them (hostname, url, resources, attributes).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    offers: Vec<&'a mesos_lib::v1::offer::Offer>,
    offer_constraints: Empty,
}

impl<'a> FrameworkView<'a> {
    /// The view of `fw` in `st`.
    pub(crate) fn of(fw: &'a Framework, st: &'a MasterState) -> FrameworkView<'a> {
        let allocated_resources = fw
            .allocated
            .iter()
            .flat_map(|(role, held)| rv::to_list(held, true, Some(role)))
            .collect();
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

/// `v1::Task`, borrowing from the master's record and its fixed fields kept as JSON text
/// (see `FrameworkView`, `TaskJson`).
pub(crate) struct TaskView<'a> {
    fixed: &'a TaskJson,
    framework_id: &'a str,
    agent_id: &'a str,
    state: &'a TaskState,
    statuses: &'a [StoredStatus],
    status_update_state: Option<&'a TaskState>,
    status_update_uuid: Option<&'a str>,
}

impl<'a> TaskView<'a> {
    /// The view of `t`.
    pub(crate) fn of(t: &'a Task) -> TaskView<'a> {
        TaskView {
            fixed: t.json(),
            framework_id: &t.framework_id,
            agent_id: &t.agent_id,
            state: &t.state,
            statuses: &t.statuses,
            status_update_state: t.status_update_state.as_ref(),
            status_update_uuid: t.status_update_uuid.as_deref(),
        }
    }
}

impl Serialize for TaskView<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let f = self.fixed;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("name", &f.name)?;
        m.serialize_entry("task_id", &f.task_id)?;
        m.serialize_entry(
            "framework_id",
            &IdRef {
                value: self.framework_id,
            },
        )?;
        if let Some(eid) = &f.executor_id {
            m.serialize_entry("executor_id", eid)?;
        }
        m.serialize_entry(
            "agent_id",
            &IdRef {
                value: self.agent_id,
            },
        )?;
        m.serialize_entry("state", self.state.as_str())?;
        m.serialize_entry("resources", &f.resources)?;
        if !self.statuses.is_empty() {
            m.serialize_entry("statuses", self.statuses)?;
        }
        if let Some(state) = self.status_update_state {
            m.serialize_entry("status_update_state", state.as_str())?;
        }
        if let Some(uuid) = self.status_update_uuid {
            m.serialize_entry("status_update_uuid", uuid)?;
        }
        for (k, v) in &f.tail {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// `v1::Task` as a JSON value (for events).
pub(crate) fn task_v1(t: &Task) -> Value {
    serde_json::to_value(TaskView::of(t)).unwrap_or_default()
}

/// `AgentInfo` of `agent` as the master reports it.
pub(crate) fn agent_info(agent: &Agent) -> AgentInfo {
    AgentInfo {
        hostname: agent.hostname.clone(),
        port: Some(i32::from(agent.port)),
        resources: rv::to_list(&agent.resources, false, None),
        attributes: agent.attributes.clone(),
        id: Some(AgentId::new(agent.id.as_str())),
        checkpoint: Some(true),
        ..Default::default()
    }
}

/// The capabilities every embedded agent reports.
pub(crate) fn agent_capabilities() -> Vec<AgentCapability> {
    crate::agent::http::capabilities()
        .iter()
        .map(|c| AgentCapability {
            capability_type: AgentCapabilityType::from_name(c),
            extra: Default::default(),
        })
        .collect()
}

/// `master::Response::GetAgents::Agent` (for events; GET_AGENTS writes `AgentView`).
pub(crate) fn agent_v1(a: &AgentEntry, registry: &AgentRegistry) -> response::Agent {
    let agent = &a.agent;
    let deactivated = registry.deactivated.contains(&agent.id);
    let mut extra = mesos_lib::v1::Extra::new();
    if let Some(d) = registry.draining.get(&agent.id) {
        extra.insert("drain_info".into(), d.json());
    }
    response::Agent {
        agent_info: agent_info(agent),
        active: !deactivated,
        deactivated: Some(deactivated),
        version: Some(crate::config::MESOS_VERSION.into()),
        pid: Some(agent.pid()),
        registered_time: Some(TimeInfo {
            nanoseconds: (a.registered_time * 1e9) as i64,
            extra: Default::default(),
        }),
        total_resources: rv::to_list(&a.total, true, None),
        allocated_resources: rv::to_list(&a.used, true, Some("*")),
        offered_resources: rv::to_list(&a.offered, true, Some("*")),
        capabilities: agent_capabilities(),
        extra,
        ..Default::default()
    }
}

/// `master::Response::GetAgents::Agent` written from the agent's fixed JSON and its
/// current allocation (what `agent_v1` gives, without rebuilding the fixed part).
#[derive(Serialize)]
pub(crate) struct AgentView<'a> {
    agent_info: &'a RawValue,
    active: bool,
    deactivated: bool,
    version: &'static str,
    pid: &'a str,
    registered_time: Time,
    /// Changes with reservations, so written each time.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    total_resources: Vec<mesos_lib::v1::resources::Resource>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    allocated_resources: Vec<mesos_lib::v1::resources::Resource>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    offered_resources: Vec<mesos_lib::v1::resources::Resource>,
    capabilities: &'a RawValue,
    #[serde(skip_serializing_if = "Option::is_none")]
    drain_info: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    estimated_drain_start_time: Option<Time>,
}

impl<'a> AgentView<'a> {
    /// The view of `a`, deactivated or draining as `registry` says.
    pub(crate) fn of(a: &'a AgentEntry, registry: &AgentRegistry) -> AgentView<'a> {
        let id = &a.agent.id;
        let deactivated = registry.deactivated.contains(id);
        let drain_info = registry.draining.get(id).map(|d| d.json());
        let estimated_drain_start_time = drain_info
            .as_ref()
            .and_then(|_| registry.drain_started.get(id))
            .map(|&nanoseconds| Time { nanoseconds });
        AgentView {
            agent_info: &a.json.agent_info,
            active: !deactivated,
            deactivated,
            version: crate::config::MESOS_VERSION,
            pid: &a.json.pid,
            registered_time: Time {
                nanoseconds: (a.registered_time * 1e9) as i64,
            },
            total_resources: rv::to_list(&a.total, true, None),
            allocated_resources: rv::to_list(&a.used, true, Some("*")),
            offered_resources: rv::to_list(&a.offered, true, Some("*")),
            capabilities: &a.json.capabilities,
            drain_info,
            estimated_drain_start_time,
        }
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
pub(crate) struct GetAgents<'a> {
    agents: Vec<AgentView<'a>>,
    recovered_agents: [(); 0],
}

/// The GET_AGENTS payload of `st`.
pub(crate) fn get_agents(st: &MasterState) -> GetAgents<'_> {
    GetAgents {
        agents: st
            .agents
            .values()
            .map(|a| AgentView::of(a, &st.agent_registry))
            .collect(),
        recovered_agents: [],
    }
}

/// GET_EXECUTORS payload: the executors known from an ExecutorInfo (task groups' and custom
/// ones); command tasks run under the (hidden) command executor, which is not listed.
#[derive(Serialize)]
pub(crate) struct GetExecutors<'a> {
    executors: Vec<ExecutorView<'a>>,
}

/// `master::Response::GetExecutors::Executor`, borrowing the master's ExecutorInfo.
#[derive(Serialize)]
struct ExecutorView<'a> {
    executor_info: &'a ExecutorInfo,
    agent_id: IdRef<'a>,
}

/// The GET_EXECUTORS payload of `st`.
pub(crate) fn get_executors(st: &MasterState) -> GetExecutors<'_> {
    let executors = st.executors.iter().map(|((_, aid, _), e)| ExecutorView {
        executor_info: &e.info,
        agent_id: IdRef { value: aid },
    });
    GetExecutors {
        executors: executors.collect(),
    }
}

/// GET_STATE payload.
#[derive(Serialize)]
pub(crate) struct GetState<'a> {
    get_tasks: GetTasks<'a>,
    get_executors: GetExecutors<'a>,
    get_frameworks: GetFrameworks<'a>,
    get_agents: GetAgents<'a>,
}

/// The GET_STATE payload of `st`.
pub(crate) fn get_state(st: &MasterState) -> GetState<'_> {
    GetState {
        get_tasks: get_tasks(st),
        get_executors: get_executors(st),
        get_frameworks: get_frameworks(st),
        get_agents: get_agents(st),
    }
}
