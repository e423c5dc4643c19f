//! The work a custom executor is given, and the event that carries it: a task (LAUNCH) or a
//! task group (LAUNCH_GROUP), queued until the executor subscribes (`Executor::queuedTasks`
//! and `queuedTaskGroups` of the real agent).

use std::sync::Arc;

use super::custom_executor::CustomExecutor;
use mesos_lib::v1::TaskInfo;
use mesos_lib::v1::executor::Event;

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

    /// The event that hands it to the executor: LAUNCH or LAUNCH_GROUP.
    pub(super) fn event(&self) -> Event {
        match self {
            Work::Task(t) => Event::launch(TaskInfo::clone(t)),
            Work::Group(tasks) => {
                Event::launch_group(tasks.iter().map(|t| (**t).clone()).collect())
            }
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
