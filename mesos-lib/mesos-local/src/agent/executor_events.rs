//! What the agent sends a custom executor on its SUBSCRIBE stream, and the work those events
//! carry: a task (LAUNCH) or a task group (LAUNCH_GROUP), queued until the executor
//! subscribes (`Executor::queuedTasks` and `queuedTaskGroups` of the real agent).

use std::sync::Arc;

use serde_json::{Value, json};

use super::custom_executor::CustomExecutor;
use mesos_lib::v1::task::ExecutorInfo;
use mesos_lib::v1::{FrameworkInfo, TaskId, TaskInfo};

/// SUBSCRIBED.
pub(crate) fn subscribed(
    info: &ExecutorInfo,
    framework: &FrameworkInfo,
    agent: &Value,
    cid: &str,
) -> Value {
    json!({"type": "SUBSCRIBED", "subscribed": {
        "executor_info": info, "framework_info": framework, "agent_info": agent,
        "container_id": {"value": cid}}})
}

/// LAUNCH of one task (the TaskInfo in the proto's field order, as typed).
pub(crate) fn launch(task: &TaskInfo) -> Value {
    json!({"type": "LAUNCH", "launch": {"task": task}})
}

/// LAUNCH_GROUP of one task group.
pub(crate) fn launch_group(tasks: &[Arc<TaskInfo>]) -> Value {
    let tasks: Vec<&TaskInfo> = tasks.iter().map(|t| &**t).collect();
    json!({"type": "LAUNCH_GROUP", "launch_group": {"task_group": {"tasks": tasks}}})
}

/// ACKNOWLEDGED of one status update.
pub(crate) fn acknowledged(task_id: &TaskId, uuid: &str) -> Value {
    json!({"type": "ACKNOWLEDGED", "acknowledged": {"task_id": task_id, "uuid": uuid}})
}

/// What a framework gives a custom executor at once: one task (LAUNCH) or a task group
/// (LAUNCH_GROUP).
pub(crate) enum Work {
    /// One TaskInfo.
    Task(Arc<TaskInfo>),
    /// A task group's TaskInfos, in order.
    Group(Vec<Arc<TaskInfo>>),
}

impl Work {
    /// Its TaskInfos.
    pub(super) fn tasks(&self) -> &[Arc<TaskInfo>] {
        match self {
            Work::Task(t) => std::slice::from_ref(t),
            Work::Group(tasks) => tasks,
        }
    }

    /// Its tasks' IDs.
    pub(super) fn task_ids(&self) -> Vec<String> {
        self.tasks()
            .iter()
            .map(|t| t.task_id.value.clone())
            .collect()
    }

    /// The event that hands it to the executor.
    pub(super) fn event(&self) -> Value {
        match self {
            Work::Task(t) => launch(t),
            Work::Group(tasks) => launch_group(tasks),
        }
    }
}

impl CustomExecutor {
    /// Queues work until the executor subscribes.
    pub(super) fn enqueue(&mut self, work: &Work) {
        let tids = work.task_ids();
        if let Work::Group(_) = work {
            self.queued_groups.push(tids.clone());
        }
        self.queued.extend(tids);
    }

    /// Takes a queued task out of the queue, with the rest of its task group: the tasks
    /// taken, and whether they were a group. Empty when it is not queued.
    pub(super) fn dequeue_with_group(&mut self, tid: &str) -> (Vec<String>, bool) {
        if !self.queued.iter().any(|t| t == tid) {
            return (Vec::new(), false);
        }
        let group = self
            .queued_groups
            .iter()
            .position(|g| g.iter().any(|t| t == tid));
        let taken = match group {
            Some(i) => self.queued_groups.remove(i),
            None => vec![tid.to_string()],
        };
        self.queued.retain(|t| !taken.contains(t));
        (taken, group.is_some())
    }

    /// Takes every queued piece of work: tasks first, then task groups, as `___run` sends
    /// them.
    pub(super) fn take_queued(&mut self) -> (Vec<String>, Vec<Vec<String>>) {
        let groups = std::mem::take(&mut self.queued_groups);
        let tasks = std::mem::take(&mut self.queued)
            .into_iter()
            .filter(|t| !groups.iter().any(|g| g.contains(t)))
            .collect();
        (tasks, groups)
    }
}
