//! `%%launch` of a task group: the body is a LAUNCH_GROUP as Mesos takes it,
//! `{"executor": ExecutorInfo, "task_group": {"tasks": [TaskInfo...]}}`, or the shorter
//! `{"executor": ..., "tasks": [...]}`. The tasks are read as `%%launch` reads a TaskInfo;
//! what the executor leaves out is filled in: type DEFAULT, ID `<first task's name>-executor`,
//! the framework's ID, and the least real Mesos accepts of a DEFAULT executor (cpus 0.1,
//! mem 32, disk 32: it refuses one without disk).

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::task_json::{JsonError, TaskDraft};
use mesos_lib::v1::task::ExecutorInfo;

/// A task group from the cell.
#[derive(Debug)]
pub(super) struct GroupDraft {
    /// The executor, filled in but for its `framework_id`.
    pub executor: ExecutorInfo,
    /// The group's tasks.
    pub tasks: Vec<TaskDraft>,
}

/// The body as a task group: `None` when it is not one (a TaskInfo or a list of them).
pub(super) fn parse(body: &str) -> Option<Result<GroupDraft, JsonError>> {
    let Ok(Value::Object(mut top)) = serde_json::from_str::<Value>(body) else {
        return None;
    };
    let tasks = match (top.remove("task_group"), top.remove("tasks")) {
        (Some(mut group), _) => group.get_mut("tasks").map(Value::take),
        (None, Some(tasks)) => Some(tasks),
        (None, None) => return None,
    };
    let executor = top.remove("executor").unwrap_or_else(|| json!({}));
    Some(draft(executor, tasks.unwrap_or(Value::Null)))
}

fn draft(executor: Value, tasks: Value) -> Result<GroupDraft, JsonError> {
    let Value::Array(list) = tasks else {
        return Err(error("the task group needs `tasks`: a list of TaskInfo"));
    };
    if list.is_empty() {
        return Err(error("the task group holds no TaskInfo"));
    }
    let mut drafts = Vec::new();
    for (i, t) in list.into_iter().enumerate() {
        let d = TaskDraft::deserialize(t).map_err(|e| error(&format!("task {}: {e}", i + 1)))?;
        drafts.push(d);
    }
    let Value::Object(mut e) = executor else {
        return Err(error("`executor` must be an ExecutorInfo object"));
    };
    let first = drafts[0].info.name.clone();
    e.entry("type").or_insert_with(|| "DEFAULT".into());
    e.entry("executor_id")
        .or_insert_with(|| json!({"value": format!("{first}-executor")}));
    e.entry("resources").or_insert_with(default_resources);
    let executor = ExecutorInfo::deserialize(Value::Object(e))
        .map_err(|err| error(&format!("in `executor`: {err}")))?;
    Ok(GroupDraft {
        executor,
        tasks: drafts,
    })
}

/// What a DEFAULT executor gets when the cell gives it no resources.
fn default_resources() -> Value {
    let scalar = |name: &str, v: f64| {
        let mut m = Map::new();
        m.insert("name".into(), name.into());
        m.insert("type".into(), "SCALAR".into());
        m.insert("scalar".into(), json!({"value": v}));
        Value::Object(m)
    };
    json!([
        scalar("cpus", 0.1),
        scalar("mem", 32.0),
        scalar("disk", 32.0)
    ])
}

fn error(message: &str) -> JsonError {
    JsonError {
        line: 1,
        column: 1,
        message: message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_forms_and_fills_in_the_executor() {
        let mesos = r#"{"executor": {"executor_id": {"value": "pod"}},
            "task_group": {"tasks": [{"name": "a", "command": {"value": "true"}}]}}"#;
        let g = parse(mesos).unwrap().unwrap();
        assert_eq!(g.executor.executor_id.value, "pod");
        assert_eq!(g.executor.resources.len(), 3);
        assert_eq!(g.tasks[0].info.name, "a");
        let short = r#"{"tasks": [{"name": "web"}, {"name": "log"}]}"#;
        let g = parse(short).unwrap().unwrap();
        assert_eq!(g.executor.executor_id.value, "web-executor");
        assert_eq!(g.tasks.len(), 2);
        assert!(parse(r#"{"name": "one", "command": {"value": "true"}}"#).is_none());
        assert!(parse(r#"[{"name": "one"}]"#).is_none());
        assert!(parse(r#"{"tasks": []}"#).unwrap().is_err());
    }
}
