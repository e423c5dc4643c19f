//! JSON views shared by master and agent endpoints (legacy `/state` task shapes).

use serde_json::{Map, Value, json};

use crate::resource_views as rv;
use mesos_lib::v1::{TaskInfo, TaskState};

/// A status as the legacy endpoints show it: state, timestamp, container_status without pid.
pub(crate) fn legacy_status(status: &Value) -> Value {
    let mut m = Map::new();
    m.insert("state".into(), status["state"].clone());
    m.insert("timestamp".into(), status["timestamp"].clone());
    if let Some(cs) = status.get("container_status") {
        let mut cs = cs.clone();
        if let Some(o) = cs.as_object_mut() {
            o.remove("executor_pid");
        }
        m.insert("container_status".into(), cs);
    }
    Value::Object(m)
}

/// A task as the legacy endpoints show it.
pub(crate) fn legacy_task(
    task_info: &TaskInfo,
    framework_id: &str,
    agent_id: &str,
    state: &TaskState,
    statuses: &[crate::stored_status::StoredStatus],
) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(task_info.task_id.value));
    m.insert("name".into(), json!(task_info.name));
    m.insert("framework_id".into(), json!(framework_id));
    let eid = task_info
        .executor
        .as_ref()
        .map(|e| e.executor_id.value.as_str());
    m.insert("executor_id".into(), json!(eid.unwrap_or("")));
    m.insert("slave_id".into(), json!(agent_id));
    m.insert("state".into(), json!(state));
    let res = rv::from_typed(&task_info.resources);
    m.insert("resources".into(), rv::flat(&res, true));
    // The role the task's resources were allocated to (a framework's role, as offered).
    let role = crate::master::state::resources_role(&task_info.resources);
    m.insert("role".into(), json!(role));
    m.insert(
        "statuses".into(),
        Value::Array(statuses.iter().map(|s| legacy_status(&s.value())).collect()),
    );
    if let Some(c) = &task_info.container {
        m.insert("container".into(), json!(c));
    }
    Value::Object(m)
}
