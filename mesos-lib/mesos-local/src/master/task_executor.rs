//! A LAUNCH task with an `ExecutorInfo`: the custom executor it runs on. The master checks
//! the executor (`validateExecutor` in Mesos's `master/validation.cpp`), books a new one's
//! resources until it exits, and relays framework MESSAGE and SHUTDOWN calls to its agent.

use std::sync::Arc;

use super::Master;
use super::group_checks;
use super::launch_group::ExecutorEntry;
use super::state::MasterState;
use crate::resource_views as rv;
use mesos_lib::resources::Resources;
use mesos_lib::v1::resources::AllocationInfo;
use mesos_lib::v1::scheduler::Event;
use mesos_lib::v1::scheduler::call::Message;
use mesos_lib::v1::task::{ExecutorInfo, ExecutorType};
use mesos_lib::v1::{AgentId, Bytes, ExecutorId, FrameworkId, TaskInfo};

/// The executor of a task about to be launched, once checked.
pub(crate) struct TaskExecutor {
    /// The ExecutorInfo as the master keeps it (normalised, `framework_id` filled in).
    pub info: ExecutorInfo,
    /// Its resources when it is new on the agent (to book with the task), `None` when it runs.
    pub new_resources: Option<Resources>,
}

/// Where a task's executor would run: framework, agent and the role its resources go to.
pub(crate) struct ExecutorPlace<'a> {
    pub framework_id: &'a str,
    pub agent_id: &'a str,
    pub role: &'a str,
}

/// `validateExecutor` for a task's ExecutorInfo; `existing` is the executor of that ID the
/// framework already runs on the agent.
fn validate(e: &ExecutorInfo, fid: &str, existing: Option<&ExecutorInfo>) -> Option<String> {
    if let Some(err) = group_checks::validate_id(&e.executor_id.value) {
        return Some(err);
    }
    if group_checks::negative_grace(e) {
        return Some("ExecutorInfo's 'shutdown_grace_period' must be non-negative".into());
    }
    if let Some(f) = e.framework_id.as_ref().map(|f| f.value.as_str())
        && f != fid
    {
        return Some(format!(
            "ExecutorInfo has an invalid FrameworkID (Actual: {f} vs Expected: {fid})"
        ));
    }
    if let Some(existing) = existing
        && existing != e
    {
        return Some(group_checks::incompatible(existing, e));
    }
    match e.executor_type {
        None | Some(ExecutorType::Custom) => {}
        Some(_) => return Some("'ExecutorInfo.type' must be 'CUSTOM'".into()),
    }
    if e.command.is_none() {
        return Some("'ExecutorInfo.command' must be set".into());
    }
    None
}

impl Master {
    /// Checks the executor of task `t` (filling in its `framework_id` and its resources'
    /// `allocation_info`, as the master does); the error is the task's TASK_ERROR message.
    pub(crate) fn task_executor(
        &self,
        st: &MasterState,
        place: &ExecutorPlace<'_>,
        t: &mut TaskInfo,
    ) -> Result<Option<TaskExecutor>, String> {
        let Some(e) = t.executor.as_mut() else {
            return Ok(None);
        };
        e.framework_id
            .get_or_insert_with(|| FrameworkId::new(place.framework_id));
        for r in &mut e.resources {
            r.allocation_info
                .get_or_insert_with(|| AllocationInfo::role(place.role));
        }
        super::launch_group::canonical(e);
        let key = (
            place.framework_id.to_string(),
            place.agent_id.to_string(),
            e.executor_id.value.clone(),
        );
        let existing = st.executors.get(&key).map(|x| &*x.info);
        if let Some(err) = validate(e, place.framework_id, existing) {
            return Err(err);
        }
        let new_resources = existing.is_none().then(|| rv::from_typed(&e.resources));
        Ok(Some(TaskExecutor {
            info: e.clone(),
            new_resources,
        }))
    }

    /// Books a new executor of a launched task: its resources count as the framework's
    /// and the agent's until it exits.
    pub(crate) fn add_task_executor(
        &self,
        st: &mut MasterState,
        place: &ExecutorPlace<'_>,
        info: ExecutorInfo,
        resources: Resources,
    ) {
        let eid = info.executor_id.value.clone();
        if let Some(fw) = st.frameworks.get_mut(place.framework_id) {
            fw.allocated.add(place.role, &resources);
        }
        if let Some(a) = st.agents.get_mut(place.agent_id) {
            a.used.add_all(&resources);
        }
        st.executors.insert(
            (
                place.framework_id.to_string(),
                place.agent_id.to_string(),
                eid,
            ),
            ExecutorEntry {
                info: Arc::new(info),
                resources,
            },
        );
    }

    /// A scheduler's MESSAGE: handed to the executor's agent (`Master::message`); an
    /// unknown agent or executor drops it, as the master and agent do.
    pub(crate) fn framework_message(&self, fid: &str, message: &Message) {
        let (aid, eid) = (&message.agent_id.value, &message.executor_id.value);
        let agent = self.lock().agents.get(aid).map(|a| Arc::clone(&a.agent));
        match agent {
            Some(agent) => agent.framework_message(fid, eid, &message.data),
            None => tracing::warn!(
                agent = aid,
                "dropping a framework message for an unknown agent"
            ),
        }
    }

    /// An executor's MESSAGE relayed by its agent: the scheduler gets a MESSAGE event.
    pub(crate) fn executor_message(&self, aid: &str, fid: &str, eid: &str, data: &Bytes) {
        let st = self.lock();
        let Some(sub) = st.frameworks.get(fid).and_then(|f| f.subscription.as_ref()) else {
            tracing::warn!(
                framework = fid,
                "dropping an executor message for a framework not subscribed"
            );
            return;
        };
        let (aid, eid) = (AgentId::new(aid), ExecutorId::new(eid));
        sub.sender.send(&Event::message(aid, eid, data.clone()));
    }
}
