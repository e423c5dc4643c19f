//! An ACCEPT call's operations as they come in: each LAUNCH's TaskInfos and each LAUNCH_GROUP
//! typed once, here (one that does not convert refuses the call, as stout's conversion of the
//! Call does), the resource operations kept for their place among the LAUNCHes, the others
//! set apart to be dropped.

use serde_json::Value;

use super::accept::{Dropped, error_status};
use super::launch_group::GroupOp;
use super::reserve::PendingOperations;
use crate::http::EventSender;
use crate::json as j;
use mesos_lib::v1::task::ExecutorInfo;
use mesos_lib::v1::{Reason, TaskInfo, TaskState};

/// An ACCEPT's operations, sorted by what becomes of them.
pub(crate) struct Operations {
    /// The LAUNCH operations' tasks, typed (the accepted ones become the master's, uncopied).
    pub tasks: Vec<TaskInfo>,
    /// What is dropped with an error.
    pub dropped: Dropped,
    /// The resource operations, carried out where they stand among the LAUNCHes.
    pub pending: PendingOperations,
    /// The LAUNCH_GROUP operations, typed.
    pub groups: Vec<GroupOp>,
    /// LAUNCH and LAUNCH_GROUP operations that asked for feedback (an `id`).
    pub with_id: Vec<FeedbackRefused>,
}

/// A LAUNCH or LAUNCH_GROUP with an `id`: operation feedback is not supported for them, so
/// the master drops the operation and each of its tasks gets TASK_ERROR (Mesos's `accept`).
pub(crate) struct FeedbackRefused {
    /// Its tasks, typed as any launch's are (the whole call converts first).
    pub tasks: Vec<TaskInfo>,
    reason: Reason,
    message: &'static str,
}

impl FeedbackRefused {
    fn launch(tasks: Vec<TaskInfo>) -> Self {
        Self {
            tasks,
            reason: Reason::TaskInvalid,
            message: "The `id` field cannot be set on LAUNCH operations",
        }
    }

    fn launch_group(group: GroupOp) -> Self {
        Self {
            tasks: group.tasks,
            reason: Reason::TaskGroupInvalid,
            message: "The `id` field cannot be set on LAUNCH_GROUP operations",
        }
    }

    /// TASK_ERROR, from the master, for each of its tasks (on the agent each task names).
    pub fn refuse(&self, sender: &EventSender) {
        for t in &self.tasks {
            let status = error_status(
                &t.task_id.value,
                Some(&t.agent_id.value),
                TaskState::Error,
                self.reason.clone(),
                self.message.to_owned(),
            );
            sender.send(&super::events::update(&status));
        }
    }
}

/// Takes ACCEPT's operations apart, the TaskInfos of LAUNCH and LAUNCH_GROUP read into
/// mesos-lib's types here, once; the error follows "Failed to convert JSON into Call protobuf: "
/// (protobuf's text for a required field missing, serde's for the rest).
pub(crate) fn take_operations(operations: &mut Value) -> Result<Operations, String> {
    let mut tasks: Vec<TaskInfo> = Vec::new();
    let mut dropped = Dropped::default();
    let mut pending = PendingOperations::default();
    let mut groups: Vec<GroupOp> = Vec::new();
    let mut with_id = Vec::new();
    if let Some(ops) = operations.as_array_mut() {
        for (i, op) in ops.iter_mut().enumerate() {
            let asks_feedback = op.get("id").is_some();
            if j::str_at(op, "type") == Some("LAUNCH") {
                let mut launch = Vec::new();
                if let Some(Value::Array(list)) =
                    op.get_mut("launch").and_then(|l| l.get_mut("task_infos"))
                {
                    // Sized once: growing a vector of hundreds of TaskInfos copied them
                    // each time into fresh pages, an eighth of the master's time per launch.
                    launch.reserve_exact(list.len());
                    for (k, t) in list.drain(..).enumerate() {
                        let path = format!("accept.operations[{i}].launch.task_infos[{k}]");
                        launch.push(task_info(t, &path)?);
                    }
                }
                if asks_feedback {
                    with_id.push(FeedbackRefused::launch(launch));
                } else if tasks.is_empty() {
                    tasks = launch;
                } else {
                    tasks.append(&mut launch);
                }
            } else if j::str_at(op, "type") == Some("LAUNCH_GROUP") {
                let group = group_op(op.take(), i)?;
                if asks_feedback {
                    with_id.push(FeedbackRefused::launch_group(group));
                } else {
                    groups.push(group);
                }
            } else if !pending.take(tasks.len(), op)? {
                dropped.add(op);
            }
        }
    }
    Ok(Operations {
        tasks,
        dropped,
        pending,
        groups,
        with_id,
    })
}

/// A LAUNCH_GROUP operation (the `i`th of the call), typed.
fn group_op(mut op: Value, i: usize) -> Result<GroupOp, String> {
    let path = format!("accept.operations[{i}].launch_group");
    let mut group = op.get_mut("launch_group").map(Value::take);
    let mut field = |k: &str| group.as_mut().and_then(|g| g.get_mut(k)).map(Value::take);
    let (executor, task_group) = (field("executor"), field("task_group"));
    let missing: Vec<String> = [("executor", &executor), ("task_group", &task_group)]
        .into_iter()
        .filter(|(_, v)| v.is_none())
        .map(|(k, _)| format!("{path}.{k}"))
        .collect();
    let (Some(executor), Some(mut task_group)) = (executor, task_group) else {
        return Err(format!("Missing required fields: {}", missing.join(", ")));
    };
    let executor = executor_info(executor, &format!("{path}.executor"))?;
    let tasks = match task_group.get_mut("tasks").map(Value::take) {
        Some(Value::Array(list)) => list,
        _ => Vec::new(),
    };
    let tasks = (tasks.into_iter().enumerate())
        .map(|(k, t)| task_info(t, &format!("{path}.task_group.tasks[{k}]")))
        .collect::<Result<_, _>>()?;
    Ok(GroupOp {
        has_id: op.get("id").is_some(),
        executor,
        tasks,
    })
}

/// A TaskInfo at `path` in the call, typed; a required field missing is named as protobuf
/// names it (its own first, then its executor's).
fn task_info(t: Value, path: &str) -> Result<TaskInfo, String> {
    let mut missing: Vec<String> = ["name", "task_id", "agent_id"]
        .into_iter()
        .filter(|k| t.get(k).is_none())
        .map(|k| format!("{path}.{k}"))
        .collect();
    if let Some(e) = t.get("executor") {
        missing.extend(executor_missing(e, &format!("{path}.executor")));
    }
    if !missing.is_empty() {
        return Err(format!("Missing required fields: {}", missing.join(", ")));
    }
    serde_json::from_value(t).map_err(|e| e.to_string())
}

/// An ExecutorInfo at `path` in the call, typed; a required field missing is named as
/// protobuf names it.
fn executor_info(e: Value, path: &str) -> Result<ExecutorInfo, String> {
    let missing = executor_missing(&e, path);
    if !missing.is_empty() {
        return Err(format!("Missing required fields: {}", missing.join(", ")));
    }
    serde_json::from_value(e).map_err(|e| e.to_string())
}

/// The required fields an ExecutorInfo at `path` lacks: its ID, and the nanoseconds of a
/// shutdown grace period it gives (protobuf's order: its own, then its messages').
fn executor_missing(e: &Value, path: &str) -> Vec<String> {
    let mut missing = Vec::new();
    if e.get("executor_id").is_none() {
        missing.push(format!("{path}.executor_id"));
    }
    let grace = e.get("shutdown_grace_period");
    if grace.is_some_and(|g| g.is_object() && g.get("nanoseconds").is_none()) {
        missing.push(format!("{path}.shutdown_grace_period.nanoseconds"));
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_executors_required_fields_are_named_as_protobuf_names_them() {
        let op = json!({"type": "LAUNCH_GROUP", "launch_group": {
            "executor": {"shutdown_grace_period": {}}, "task_group": {"tasks": []}}});
        let path = "accept.operations[2].launch_group.executor";
        assert_eq!(
            group_op(op, 2).err().unwrap(),
            format!(
                "Missing required fields: {path}.executor_id, \
                 {path}.shutdown_grace_period.nanoseconds"
            )
        );
        let task = json!({"name": "t", "task_id": {"value": "t"}, "agent_id": {"value": "a"},
            "executor": {"executor_id": {"value": "e"}, "shutdown_grace_period": {}}});
        assert_eq!(
            task_info(task, "p").err().unwrap(),
            "Missing required fields: p.executor.shutdown_grace_period.nanoseconds"
        );
    }

    #[test]
    fn an_executors_grace_period_is_read_as_stout_reads_an_int64() {
        let executor = |grace: Value| json!({"executor_id": {"value": "e"}, "shutdown_grace_period": {"nanoseconds": grace}});
        let read = executor_info(executor(json!("1000")), "p").unwrap();
        assert_eq!(read.shutdown_grace_period.unwrap().nanoseconds, 1000);
        // Accepted (and echoed as given) while the field was not modelled; now refused with a
        // reason, as stout refuses it.
        let refused = executor_info(executor(json!("soon")), "p").err().unwrap();
        assert!(refused.contains("'soon' is not a number"), "{refused}");
    }
}
