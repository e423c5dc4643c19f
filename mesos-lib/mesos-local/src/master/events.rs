//! The statuses the master itself sends, and the scheduler UPDATE events that carry statuses.

use mesos_lib::v1::ids::{AgentId, TaskId};
use mesos_lib::v1::scheduler::Event;
use mesos_lib::v1::status::TaskStatus;
use mesos_lib::v1::{Reason, Source, TaskState};

/// UPDATE for a status the master or an agent built.
pub(crate) fn update(status: &TaskStatus) -> Event {
    Event::update(status.clone())
}

/// A TaskStatus from the master (`SOURCE_MASTER`, no uuid: nothing to acknowledge).
pub(crate) fn master_status(
    task_id: &str,
    agent_id: Option<&str>,
    state: TaskState,
    reason: Option<Reason>,
    message: impl Into<String>,
) -> TaskStatus {
    TaskStatus {
        task_id: Some(TaskId::new(task_id)),
        state,
        message: Some(message.into()),
        source: Some(Source::Master),
        reason,
        agent_id: agent_id.map(AgentId::new),
        timestamp: Some(crate::ids::now_secs()),
        ..TaskStatus::default()
    }
}
