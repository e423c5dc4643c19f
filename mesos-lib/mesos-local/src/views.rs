//! JSON views shared by master and agent endpoints (legacy `/state` task shapes).

use serde_json::{Map, Value, json};

use crate::json as j;
use crate::resource_views as rv;
use mesos_lib::v1::TaskState;

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
    task_info: &Value,
    framework_id: &str,
    agent_id: &str,
    state: &TaskState,
    statuses: &[crate::stored_status::StoredStatus],
) -> Value {
    let mut m = Map::new();
    m.insert(
        "id".into(),
        json!(j::id_at(task_info, "task_id").unwrap_or("")),
    );
    m.insert(
        "name".into(),
        json!(j::str_at(task_info, "name").unwrap_or("")),
    );
    m.insert("framework_id".into(), json!(framework_id));
    m.insert(
        "executor_id".into(),
        json!(j::id_at(task_info, "executor.executor_id").unwrap_or("")),
    );
    m.insert("slave_id".into(), json!(agent_id));
    m.insert("state".into(), json!(state));
    let res = rv::from_json(j::array_at(task_info, "resources"));
    m.insert("resources".into(), rv::flat(&res, true));
    // The role the task's resources were allocated to (a framework's role, as offered).
    let role = j::array_at(task_info, "resources")
        .iter()
        .find_map(|r| j::str_at(r, "allocation_info.role"))
        .unwrap_or("*");
    m.insert("role".into(), json!(role));
    m.insert(
        "statuses".into(),
        Value::Array(statuses.iter().map(|s| legacy_status(&s.value())).collect()),
    );
    if let Some(c) = task_info.get("container") {
        m.insert("container".into(), c.clone());
    }
    Value::Object(m)
}
