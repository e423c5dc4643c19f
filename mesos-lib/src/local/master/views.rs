//! v1 operator views (GET_STATE and event payloads) of frameworks, tasks and agents.

use serde_json::{Map, Value, json};

use super::state::{AgentEntry, Framework, MasterState, Task};
use crate::local::json as j;
use crate::local::resource_views as rv;
use crate::v1::agent::{AgentCapability, AgentCapabilityType, AgentInfo};
use crate::v1::common::TimeInfo;
use crate::v1::ids::AgentId;
use crate::v1::master::response;

fn time(nanos: i64) -> Value {
    json!({ "nanoseconds": nanos })
}

/// `master::Response::GetFrameworks::Framework`.
pub(crate) fn framework_v1(fw: &Framework, st: &MasterState) -> Value {
    let mut m = Map::new();
    m.insert("framework_info".into(), fw.info.clone());
    m.insert("active".into(), json!(fw.active));
    m.insert("connected".into(), json!(fw.connected()));
    m.insert("recovered".into(), json!(fw.recovered));
    m.insert("registered_time".into(), time(fw.registered_time));
    m.insert("reregistered_time".into(), time(fw.reregistered_time));
    if let Some(t) = fw.unregistered_time {
        m.insert("unregistered_time".into(), time(t));
    }
    let allocated = fw.allocated();
    if !allocated.is_empty() {
        m.insert(
            "allocated_resources".into(),
            json!(rv::to_list(&allocated, true, Some(&fw.role()))),
        );
    }
    // Full offers, as real Mesos lists them (hostname, url, resources, attributes).
    let offers: Vec<&crate::v1::offer::Offer> = st
        .offers
        .values()
        .filter(|o| o.framework_id == fw.id)
        .map(|o| &o.sent)
        .collect();
    if !offers.is_empty() {
        m.insert("offers".into(), json!(offers));
    }
    m.insert("offer_constraints".into(), json!({}));
    Value::Object(m)
}

/// `v1::Task`.
pub(crate) fn task_v1(t: &Task) -> Value {
    let mut m = Map::new();
    m.insert(
        "name".into(),
        t.info.get("name").cloned().unwrap_or(json!("")),
    );
    m.insert("task_id".into(), t.info["task_id"].clone());
    m.insert("framework_id".into(), j::id(&t.framework_id));
    m.insert("agent_id".into(), j::id(&t.agent_id));
    m.insert("state".into(), json!(t.state));
    m.insert(
        "resources".into(),
        t.info.get("resources").cloned().unwrap_or(json!([])),
    );
    if !t.statuses.is_empty() {
        m.insert("statuses".into(), json!(t.statuses));
    }
    if let Some(s) = &t.status_update_state {
        m.insert("status_update_state".into(), json!(s));
    }
    if let Some(u) = &t.status_update_uuid {
        m.insert("status_update_uuid".into(), json!(u));
    }
    for k in [
        "labels",
        "discovery",
        "container",
        "health_check",
        "kill_policy",
    ] {
        if let Some(v) = t.info.get(k) {
            m.insert(k.into(), v.clone());
        }
    }
    Value::Object(m)
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
pub(crate) fn get_tasks(st: &MasterState) -> Value {
    let mut tasks = Vec::new();
    let mut completed = Vec::new();
    for fw in st.frameworks.values() {
        tasks.extend(fw.tasks.values().map(task_v1));
        completed.extend(fw.completed_tasks.iter().map(task_v1));
    }
    for fw in &st.completed_frameworks {
        completed.extend(fw.completed_tasks.iter().map(task_v1));
    }
    json!({"tasks": tasks, "unreachable_tasks": [], "completed_tasks": completed})
}

/// GET_FRAMEWORKS payload.
pub(crate) fn get_frameworks(st: &MasterState) -> Value {
    let frameworks: Vec<Value> = st
        .frameworks
        .values()
        .map(|f| framework_v1(f, st))
        .collect();
    let completed: Vec<Value> = st
        .completed_frameworks
        .iter()
        .map(|f| framework_v1(f, st))
        .collect();
    json!({"frameworks": frameworks, "completed_frameworks": completed})
}

/// GET_AGENTS payload.
pub(crate) fn get_agents(st: &MasterState) -> Value {
    let agents: Vec<response::Agent> = st.agents.values().map(agent_v1).collect();
    json!({"agents": agents, "recovered_agents": []})
}

/// GET_STATE payload.
pub(crate) fn get_state(st: &MasterState) -> Value {
    json!({
        "get_tasks": get_tasks(st),
        "get_executors": {"executors": []},
        "get_frameworks": get_frameworks(st),
        "get_agents": get_agents(st),
    })
}
