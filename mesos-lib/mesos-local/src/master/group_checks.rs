//! `validation::task::group::validate` of real Mesos: the checks a LAUNCH_GROUP's tasks and
//! executor pass before the master launches them, with the master's texts.

use crate::resource_views as rv;
use mesos_lib::resources::Resources;
use mesos_lib::v1::TaskInfo;
use mesos_lib::v1::task::{ExecutorInfo, ExecutorType};

/// What the checks need to know of the master.
pub(crate) struct GroupContext<'a> {
    /// The framework launching.
    pub framework_id: &'a str,
    /// The offers' agent.
    pub agent_id: &'a str,
    /// Whether the framework already has a task with this ID.
    pub task_exists: &'a dyn Fn(&str) -> bool,
    /// The ExecutorInfo this framework already runs on the agent under this executor ID.
    pub existing_executor: Option<&'a ExecutorInfo>,
    /// What is left of the offers.
    pub offered: &'a Resources,
    /// The role the offers are allocated to (for the resources' text).
    pub role: &'a str,
}

/// The error of an invalid group: the message of every task's TASK_ERROR.
pub(crate) fn validate(
    tasks: &[TaskInfo],
    executor: &ExecutorInfo,
    cx: &GroupContext<'_>,
) -> Option<String> {
    let mut seen: Vec<&str> = Vec::new();
    for t in tasks {
        let tid = t.task_id.value.as_str();
        if let Some(e) = validate_task(t, tid, &seen, cx) {
            return Some(format!("Task '{tid}' is invalid: {e}"));
        }
        seen.push(tid);
    }
    validate_executor(tasks, executor, cx)
}

/// `common::validation::validateID`.
pub(crate) fn validate_id(id: &str) -> Option<String> {
    if id.is_empty() {
        return Some("ID must not be empty".into());
    }
    if id.len() > 255 {
        return Some("ID must not be greater than 255 characters".into());
    }
    if id == "." || id == ".." {
        return Some(format!("'{id}' is disallowed"));
    }
    if id.chars().any(|c| c.is_control() || c == '/' || c == '\\') {
        return Some(format!("'{id}' contains invalid characters"));
    }
    None
}

/// `group::internal::validateTask`: the general task checks, then the group's own.
fn validate_task(t: &TaskInfo, tid: &str, seen: &[&str], cx: &GroupContext<'_>) -> Option<String> {
    if let Some(e) = validate_id(tid) {
        return Some(e);
    }
    if seen.contains(&tid) || (cx.task_exists)(tid) {
        return Some(format!("Task has duplicate ID: {tid}"));
    }
    let aid = t.agent_id.value.as_str();
    if aid != cx.agent_id {
        return Some(format!(
            "Task uses invalid agent {aid} while agent {} is expected",
            cx.agent_id
        ));
    }
    let grace = t.kill_policy.as_ref().and_then(|k| k.grace_period.as_ref());
    if grace.is_some_and(|g| g.nanoseconds < 0) {
        return Some("Task's 'kill_policy.grace_period' must be non-negative".into());
    }
    if t.resources.is_empty() {
        return Some("Task uses no resources".into());
    }
    if t.executor.is_none() {
        return Some("'TaskInfo.executor' must be set".into());
    }
    let container = t.container.as_ref().and_then(|c| c.container_type.as_ref());
    if container.is_some_and(|c| c.as_str() == "DOCKER") {
        return Some("Docker ContainerInfo is not supported on the task".into());
    }
    None
}

/// `executor::internal::validate` and `group::internal::validateExecutor`.
fn validate_executor(
    tasks: &[TaskInfo],
    e: &ExecutorInfo,
    cx: &GroupContext<'_>,
) -> Option<String> {
    let eid = e.executor_id.value.as_str();
    if let Some(err) = validate_id(eid) {
        return Some(err);
    }
    if let Some(err) = validate_type(e) {
        return Some(err);
    }
    if negative_grace(e) {
        return Some("ExecutorInfo's 'shutdown_grace_period' must be non-negative".into());
    }
    match e.framework_id.as_ref().map(|f| f.value.as_str()) {
        None => return Some("'ExecutorInfo.framework_id' must be set".into()),
        Some(f) if f != cx.framework_id => {
            return Some(format!(
                "ExecutorInfo has an invalid FrameworkID (Actual: {f} vs Expected: {})",
                cx.framework_id
            ));
        }
        Some(_) => {}
    }
    if let Some(existing) = cx.existing_executor
        && existing != e
    {
        return Some(incompatible(existing, e));
    }
    match &e.executor_type {
        None => return Some("'ExecutorInfo.type' must be set".into()),
        Some(ExecutorType::Default | ExecutorType::Custom) => {}
        Some(ExecutorType::Unknown(_)) => return Some("Unknown executor type".into()),
    }
    if container_type(e) == Some("DOCKER") {
        return Some("Docker ContainerInfo is not supported on the executor".into());
    }
    for t in tasks {
        if t.executor.as_ref().is_some_and(|own| own != e) {
            return Some(format!(
                "The `ExecutorInfo` of task '{}' is different from executor '{eid}'",
                t.task_id.value
            ));
        }
    }
    validate_executor_resources(tasks, e, eid, cx)
}

/// Whether the executor's `shutdown_grace_period` is negative.
pub(crate) fn negative_grace(e: &ExecutorInfo) -> bool {
    (e.shutdown_grace_period.as_ref()).is_some_and(|g| g.nanoseconds < 0)
}

/// The executor's `container.type`, if given.
fn container_type(e: &ExecutorInfo) -> Option<&str> {
    let c = e.container.as_ref()?;
    c.container_type.as_ref().map(|t| t.as_str())
}

/// `validateType` for the two executor types.
fn validate_type(e: &ExecutorInfo) -> Option<String> {
    match &e.executor_type {
        Some(ExecutorType::Default) => {
            if e.command.is_some() {
                return Some(
                    "'ExecutorInfo.command' must not be set for 'DEFAULT' executor".into(),
                );
            }
            if e.container.is_some() && container_type(e) != Some("MESOS") {
                return Some(
                    "'ExecutorInfo.container.type' must be 'MESOS' for 'DEFAULT' executor".into(),
                );
            }
            let mesos = e.container.as_ref().and_then(|c| c.mesos.as_ref());
            if mesos.is_some_and(|m| m.image.is_some()) {
                return Some(
                    "'ExecutorInfo.container.mesos.image' must not be set for 'DEFAULT' executor"
                        .into(),
                );
            }
        }
        Some(ExecutorType::Custom) if e.command.is_none() => {
            return Some("'ExecutorInfo.command' must be set for 'CUSTOM' executor".into());
        }
        _ => {}
    }
    None
}

/// The executor's minimal cpus, memory and disk, and the group within the offers.
fn validate_executor_resources(
    tasks: &[TaskInfo],
    e: &ExecutorInfo,
    eid: &str,
    cx: &GroupContext<'_>,
) -> Option<String> {
    let own = rv::from_typed(&e.resources);
    match own.cpus() {
        Some(c) if c >= MIN_CPUS => {}
        c => {
            let c = c.map_or("None".into(), |c| c.to_string());
            return Some(format!(
                "Executor '{eid}' uses less CPUs ({c}) than the minimum required ({MIN_CPUS})"
            ));
        }
    }
    match own.mem() {
        Some(m) if m >= MIN_MEM_MB => {}
        m => {
            let m = m.map_or("None".into(), megabytes_text);
            return Some(format!(
                "Executor '{eid}' uses less memory ({m}) than the minimum required (32MB)"
            ));
        }
    }
    if own.disk().is_none() {
        return Some(format!("Executor '{eid}' uses no disk"));
    }
    let mut total = Resources::new();
    for t in tasks {
        total.add_all(&rv::from_typed(&t.resources));
    }
    if cx.existing_executor.is_none() {
        total.add_all(&own);
    }
    // Volumes as offered: a task may mount one at another path.
    let total = rv::volumes_as_in(&total, cx.offered);
    // Resources allocated to another role than the offers' are not among the offered ones.
    let elsewhere = super::state::allocated_elsewhere(&e.resources, cx.role)
        || (tasks.iter()).any(|t| super::accept::task_allocated_elsewhere(t, cx.role));
    if elsewhere || !cx.offered.contains(&total) || !rv::volumes_whole(&total, cx.offered) {
        return Some(format!(
            "Total resources {} required by task group and its executor are more than available {}",
            rv::display(&total, cx.role),
            rv::display(cx.offered, cx.role)
        ));
    }
    None
}

/// `MIN_CPUS` of the master.
const MIN_CPUS: f64 = 0.01;
/// `MIN_MEM` of the master, in megabytes.
const MIN_MEM_MB: f64 = 32.0;

/// stout's `Bytes` text of `mb` megabytes: the largest unit that loses nothing.
fn megabytes_text(mb: f64) -> String {
    let bytes = (mb * 1024.0 * 1024.0) as u64;
    let units = [
        (1u64 << 40, "TB"),
        (1 << 30, "GB"),
        (1 << 20, "MB"),
        (1 << 10, "KB"),
    ];
    if bytes == 0 {
        return "0B".into();
    }
    for (size, unit) in units {
        if bytes.is_multiple_of(size) {
            return format!("{}{unit}", bytes / size);
        }
    }
    format!("{bytes}B")
}

/// `validateCompatibleExecutorInfo`'s text for an ExecutorInfo that differs from the running
/// executor's (the ExecutorInfos written as JSON here).
pub(crate) fn incompatible(existing: &ExecutorInfo, e: &ExecutorInfo) -> String {
    let line = "------------------------------------------------------------";
    let (existing, e) = (json_text(existing), json_text(e));
    format!(
        "ExecutorInfo is not compatible with existing ExecutorInfo with same ExecutorID.\n\
         {line}\nExisting ExecutorInfo:\n{existing}\n{line}\nExecutorInfo:\n{e}\n{line}\n"
    )
}

/// An ExecutorInfo as compact JSON, in the proto's field order.
fn json_text(e: &ExecutorInfo) -> String {
    serde_json::to_string(e).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_written_as_stout_writes_them() {
        assert_eq!(megabytes_text(32.0), "32MB");
        assert_eq!(megabytes_text(16.5), "16896KB");
        assert_eq!(megabytes_text(2048.0), "2GB");
        assert_eq!(megabytes_text(0.0), "0B");
    }

    #[test]
    fn incompatible_executors_are_written_in_the_protos_order() {
        let read = |v: serde_json::Value| serde_json::from_value::<ExecutorInfo>(v).unwrap();
        let existing = read(
            serde_json::json!({"name": "a", "executor_id": {"value": "e"},
            "shutdown_grace_period": {"nanoseconds": 1}, "labels": {"labels": []}}),
        );
        let e = read(serde_json::json!({"executor_id": {"value": "e"}, "type": "CUSTOM"}));
        let line = "-".repeat(60);
        assert_eq!(
            incompatible(&existing, &e),
            format!(
                "ExecutorInfo is not compatible with existing ExecutorInfo with same ExecutorID.\n\
                 {line}\nExisting ExecutorInfo:\n\
                 {{\"executor_id\":{{\"value\":\"e\"}},\"name\":\"a\",\
                 \"shutdown_grace_period\":{{\"nanoseconds\":1}},\"labels\":{{}}}}\n\
                 {line}\nExecutorInfo:\n\
                 {{\"type\":\"CUSTOM\",\"executor_id\":{{\"value\":\"e\"}}}}\n{line}\n"
            )
        );
    }

    #[test]
    fn ids_follow_the_common_rules() {
        assert_eq!(validate_id("").as_deref(), Some("ID must not be empty"));
        assert_eq!(validate_id("..").as_deref(), Some("'..' is disallowed"));
        assert!(validate_id("a/b").unwrap().contains("invalid characters"));
        assert!(validate_id("grp-a").is_none());
    }
}
