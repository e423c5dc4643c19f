//! The re-run rule for launches, shared by `%launch`/`%%launch` and by cells'
//! `mesos_lib::session::launch`: a task already active (same id, or the same name when no id is
//! given) is shown instead of launched again, and a task launched without an id or agent gets
//! a fresh `NAME-xxxxxxxx` id and the offer's agent.

use mesos_lib::scheduler::{Scheduler, TaskRecord};
use mesos_lib::v1::{Offer, TaskInfo};

/// A fresh task id for `name`.
pub fn new_task_id(name: &str) -> String {
    format!("{name}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8])
}

/// The active task a re-run would duplicate: same id, or (without an id) same name.
pub fn active_twin(s: &Scheduler, id: Option<&str>, name: &str) -> Option<TaskRecord> {
    s.read(|b| {
        b.tasks
            .iter()
            .find(|t| {
                !t.is_terminal()
                    && match id {
                        Some(id) => t.task_id.value == id,
                        None => t.info.as_ref().is_some_and(|i| i.name == name),
                    }
            })
            .cloned()
    })
}

/// Fills in what a task to launch on `offer` left out: an id (unless `has_id`) and the agent.
pub fn fill_in(task: &mut TaskInfo, has_id: bool, offer: &Offer) {
    if !has_id {
        task.task_id = new_task_id(&task.name).into();
    }
    if task.agent_id.value.is_empty() {
        task.agent_id = offer.agent_id.clone();
    }
}
