//! LAUNCH_GROUP: a task group under one executor (DEFAULT, or a framework's CUSTOM one). The
//! master validates the group as a whole (TASK_ERROR for every task otherwise), books the
//! tasks' resources and a new executor's (an executor already running on the agent takes the
//! group without its resources counted again), hands the group to the agent, and gives the
//! executor's resources back when it exits.

use std::sync::Arc;

use serde_json::{Value, json};

use super::accept::allocate;
use super::group_checks::{self, GroupContext};
use super::state::{MasterState, Task};
use super::{Master, events, views};
use crate::agent::Agent;
use crate::resource_views as rv;
use mesos_lib::resources::Resources;
use mesos_lib::v1::ids::{AgentId, ExecutorId};
use mesos_lib::v1::scheduler::Event;
use mesos_lib::v1::task::{ExecutorInfo, ExecutorType};
use mesos_lib::v1::{Reason, TaskInfo, TaskState};

/// (framework, agent, executor) of an executor the master knows.
pub(crate) type ExecutorKey = (String, String, String);

/// An executor the master knows from its ExecutorInfo (a task group's executor).
pub(crate) struct ExecutorEntry {
    /// The ExecutorInfo, `allocation_info` in its resources.
    pub info: Arc<ExecutorInfo>,
    /// Its own resources, held until it exits.
    pub resources: Resources,
}

impl ExecutorEntry {
    /// The role its resources are allocated to.
    pub(crate) fn role(&self) -> &str {
        super::state::resources_role(&self.info.resources)
    }
}

/// A task group the master accepted, for its agent to run (`RunTaskGroupMessage`).
pub(crate) struct GroupLaunch {
    /// The ExecutorInfo.
    pub executor: Arc<ExecutorInfo>,
    /// Its type (validated: DEFAULT or CUSTOM).
    pub kind: ExecutorType,
    /// Whether the master expects the agent to start the executor (`launch_executor`): false
    /// when the master knows it running there.
    pub launch_executor: bool,
    /// The group's TaskInfos (each carrying the executor, as the master stores them).
    pub tasks: Vec<Arc<TaskInfo>>,
}

/// A LAUNCH_GROUP operation as the ACCEPT brings it, typed as the call comes in.
pub(crate) struct GroupOp {
    /// Whether it has an `id` (which LAUNCH_GROUP may not have).
    pub has_id: bool,
    /// The group's ExecutorInfo.
    pub executor: ExecutorInfo,
    /// The group's TaskInfos.
    pub tasks: Vec<TaskInfo>,
}

/// The offers an ACCEPT's task groups draw on.
pub(crate) struct GroupOffer<'a> {
    pub framework_id: &'a str,
    pub agent_id: &'a str,
    pub role: &'a str,
    /// What is left of the offers; the launched groups' resources are taken off.
    pub available: &'a mut Resources,
}

impl Master {
    /// One LAUNCH_GROUP operation of an ACCEPT whose offers are valid: the group for the
    /// agent, or `None` after TASK_ERROR for each of its tasks.
    pub(crate) fn launch_group(
        &self,
        st: &mut MasterState,
        offer: &mut GroupOffer<'_>,
        op: GroupOp,
    ) -> Option<(Arc<Agent>, GroupLaunch)> {
        let GroupOp {
            has_id,
            mut executor,
            mut tasks,
        } = op;
        allocate(&mut executor.resources, offer.role);
        canonical(&mut executor);
        for t in &mut tasks {
            allocate(&mut t.resources, offer.role);
            match t.executor.as_mut() {
                Some(own) => {
                    allocate(&mut own.resources, offer.role);
                    canonical(own);
                }
                // As the master does, for the operator API to find each task's executor.
                None => t.executor = Some(executor.clone()),
            }
        }
        let error = if has_id {
            Some("The `id` field cannot be set on LAUNCH_GROUP operations".to_string())
        } else {
            self.check_group(st, offer, &tasks, &executor)
        };
        if let Some(message) = error {
            self.refuse_group(st, offer.framework_id, &tasks, message);
            return None;
        }
        Some(self.add_group(st, offer, tasks, executor))
    }

    /// `validation::task::group::validate`, against the executor of that ID the framework
    /// already runs on the agent, if any.
    fn check_group(
        &self,
        st: &MasterState,
        offer: &GroupOffer<'_>,
        tasks: &[TaskInfo],
        executor: &ExecutorInfo,
    ) -> Option<String> {
        let fw = st.frameworks.get(offer.framework_id);
        let key = (
            offer.framework_id.to_string(),
            offer.agent_id.to_string(),
            executor.executor_id.value.clone(),
        );
        let existing = st.executors.get(&key).map(|e| &*e.info);
        let task_exists = |tid: &str| fw.is_some_and(|f| f.tasks.contains_key(tid));
        let cx = GroupContext {
            framework_id: offer.framework_id,
            agent_id: offer.agent_id,
            task_exists: &task_exists,
            existing_executor: existing,
            offered: &*offer.available,
            role: offer.role,
        };
        group_checks::validate(tasks, executor, &cx)
    }

    /// TASK_ERROR for every task of an invalid group.
    fn refuse_group(&self, st: &MasterState, fid: &str, tasks: &[TaskInfo], message: String) {
        let Some(sub) = st.frameworks.get(fid).and_then(|f| f.subscription.as_ref()) else {
            return;
        };
        for t in tasks {
            let status = super::accept::error_status(
                &t.task_id.value,
                Some(&t.agent_id.value),
                TaskState::Error,
                Reason::TaskGroupInvalid,
                message.clone(),
            );
            sub.sender.send(&events::update(&status));
        }
    }

    /// Books a valid group: its tasks (TASK_STAGING) and their resources, and its executor
    /// with its own when it is new on the agent.
    fn add_group(
        &self,
        st: &mut MasterState,
        offer: &mut GroupOffer<'_>,
        tasks: Vec<TaskInfo>,
        executor: ExecutorInfo,
    ) -> (Arc<Agent>, GroupLaunch) {
        let (fid, aid) = (offer.framework_id, offer.agent_id);
        let executor = Arc::new(executor);
        // Volumes as offered: a task may mount one at another path.
        let as_offered = |r: Resources| rv::volumes_as_in(&r, offer.available);
        let key = (
            fid.to_string(),
            aid.to_string(),
            executor.executor_id.value.clone(),
        );
        let launch_executor = !st.executors.contains_key(&key);
        // A running executor's resources are booked already.
        let own = if launch_executor {
            as_offered(rv::from_typed(&executor.resources))
        } else {
            Resources::new()
        };
        let mut total = own.clone();
        if launch_executor {
            st.executors.insert(
                key,
                ExecutorEntry {
                    info: Arc::clone(&executor),
                    resources: own.clone(),
                },
            );
        }
        let mut infos = Vec::new();
        for t in tasks {
            let tid = t.task_id.value.clone();
            let res = as_offered(rv::from_typed(&t.resources));
            total.add_all(&res);
            let info = Arc::new(t);
            let task = Task::new(Arc::clone(&info), fid, aid, TaskState::Staging, Some(res));
            st.broadcast_with(
                |_| json!({"type": "TASK_ADDED", "task_added": {"task": views::task_v1(&task)}}),
            );
            if let Some(fw) = st.frameworks.get_mut(fid) {
                // The task's own resources; the executor's are given back on its exit.
                if let Some(held) = &task.held {
                    fw.allocated.add(offer.role, held);
                }
                fw.tasks.insert(tid, task);
            }
            infos.push(info);
        }
        offer.available.subtract_all(&total);
        if let Some(fw) = st.frameworks.get_mut(fid) {
            fw.allocated.add(offer.role, &own);
        }
        let agent = st.agents.get_mut(aid).map(|a| {
            a.used.add_all(&total);
            Arc::clone(&a.agent)
        });
        let kind = (executor.executor_type.clone()).unwrap_or(ExecutorType::Default);
        let launch = GroupLaunch {
            executor,
            kind,
            launch_executor,
            tasks: infos,
        };
        (agent.expect("the offers' agent is registered"), launch)
    }

    /// The agent's executor exited: its resources are given back and the framework hears
    /// FAILURE, as from a real master.
    pub(crate) fn executor_exited(&self, aid: &str, fid: &str, eid: &str, status: i32) {
        let mut st = self.lock();
        let key = (fid.to_string(), aid.to_string(), eid.to_string());
        let Some(entry) = st.executors.remove(&key) else {
            return;
        };
        if let Some(a) = st.agents.get_mut(aid) {
            a.used.subtract_all(&entry.resources);
        }
        let Some(fw) = st.frameworks.get_mut(fid) else {
            return;
        };
        fw.allocated.subtract(entry.role(), &entry.resources);
        if let Some(sub) = &fw.subscription {
            sub.sender.send(&Event::failure(
                Some(AgentId::new(aid)),
                Some(ExecutorId::new(eid)),
                Some(status),
            ));
        }
    }

    /// Forgets a removed agent's executors, giving their frameworks' share back.
    pub(crate) fn forget_agent_executors(&self, st: &mut MasterState, aid: &str) {
        let gone: Vec<ExecutorKey> = st
            .executors
            .keys()
            .filter(|k| k.1 == aid)
            .cloned()
            .collect();
        for key in gone {
            if let Some(e) = st.executors.remove(&key)
                && let Some(fw) = st.frameworks.get_mut(&key.0)
            {
                fw.allocated.subtract(e.role(), &e.resources);
            }
        }
    }

    /// Takes back the task groups' and custom executors an agent still runs (it registers again with a
    /// restarted master): their resources count as used again.
    pub(crate) fn recover_executors(&self, st: &mut MasterState, agent: &Agent) -> Resources {
        let mut used = Resources::new();
        let live = agent.live_group_executors();
        for (fid, info) in live.into_iter().chain(agent.live_custom_executors()) {
            let Some(fw) = st.frameworks.get_mut(&fid) else {
                continue;
            };
            let resources = rv::from_typed(&info.resources);
            used.add_all(&resources);
            fw.allocated
                .add(super::state::resources_role(&info.resources), &resources);
            let eid = info.executor_id.value.clone();
            st.executors.insert(
                (fid, agent.id.clone(), eid),
                ExecutorEntry { info, resources },
            );
        }
        used
    }

    /// Forgets a removed framework's executors (their agents shut them down).
    pub(crate) fn forget_executors(&self, st: &mut MasterState, fid: &str) {
        let gone: Vec<ExecutorKey> = st
            .executors
            .keys()
            .filter(|k| k.0 == fid)
            .cloned()
            .collect();
        for key in gone {
            if let Some(e) = st.executors.remove(&key)
                && let Some(a) = st.agents.get_mut(&key.1)
            {
                a.used.subtract_all(&e.resources);
            }
        }
    }
}

/// The executors framework `fid` runs on agent `aid`, which an offer of that agent lists.
pub(crate) fn executor_ids(st: &MasterState, fid: &str, aid: &str) -> Vec<ExecutorId> {
    let from = (fid.to_string(), aid.to_string(), String::new());
    st.executors
        .range(from..)
        .take_while(|(k, _)| k.0 == fid && k.1 == aid)
        .map(|(k, _)| ExecutorId::new(k.2.as_str()))
        .collect()
}

/// The executors of framework `fid` as `/master/state` lists them.
pub(crate) fn executors_legacy(st: &MasterState, fid: &str) -> Vec<Value> {
    st.executors
        .iter()
        .filter(|(k, _)| k.0 == fid)
        .map(|((_, aid, _), e)| executor_legacy(&e.info, aid))
        .collect()
}

/// `json(ExecutorInfo)` of the master's JSON endpoints, with its agent.
fn executor_legacy(info: &ExecutorInfo, aid: &str) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("executor_id".into(), json!(info.executor_id.value));
    m.insert("name".into(), json!(info.name.as_deref().unwrap_or("")));
    let fid = info.framework_id.as_ref().map_or("", |f| f.value.as_str());
    m.insert("framework_id".into(), json!(fid));
    let mut command = serde_json::Map::new();
    let cmd = info.command.as_ref();
    if let Some(shell) = cmd.and_then(|c| c.shell) {
        command.insert("shell".into(), json!(shell));
    }
    if let Some(value) = cmd.and_then(|c| c.value.as_ref()) {
        command.insert("value".into(), json!(value));
    }
    command.insert("argv".into(), json!(cmd.map_or(&[][..], |c| &c.arguments)));
    command.insert("uris".into(), json!([]));
    m.insert("command".into(), Value::Object(command));
    m.insert(
        "resources".into(),
        rv::flat(&rv::from_typed(&info.resources), true),
    );
    let first = info.resources.first();
    if let Some(role) = first.and_then(|r| r.allocation_info.as_ref()?.role.as_ref()) {
        m.insert("role".into(), json!(role));
    }
    if let Some(labels) = &info.labels {
        m.insert("labels".into(), json!(labels));
    }
    if let Some(t) = &info.executor_type {
        m.insert("type".into(), json!(t));
    }
    m.insert("slave_id".into(), json!(aid));
    Value::Object(m)
}

/// An ExecutorInfo in the one form the master compares: `command.shell` defaulted to true
/// (as agents report it).
pub(crate) fn canonical(e: &mut ExecutorInfo) {
    if let Some(cmd) = e.command.as_mut() {
        cmd.shell.get_or_insert(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_executor_is_written_for_the_json_endpoints_as_before_it_was_typed() {
        // What the view wrote when it read the ExecutorInfo as a JSON tree.
        let info = json!({"labels": {"labels": [{"key": "k", "value": "v"}]}, "type": "CUSTOM",
            "executor_id": {"value": "e"}, "framework_id": {"value": "f"}, "name": "n",
            "command": {"shell": false, "value": "/bin/x", "arguments": ["x", "-v"]},
            "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1},
                "allocation_info": {"role": "web"}}],
            "shutdown_grace_period": {"nanoseconds": 5}, "source": "s"});
        let info: ExecutorInfo = serde_json::from_value(info).unwrap();
        assert_eq!(
            executor_legacy(&info, "a1").to_string(),
            concat!(
                r#"{"executor_id":"e","name":"n","framework_id":"f","#,
                r#""command":{"shell":false,"value":"/bin/x","argv":["x","-v"],"uris":[]},"#,
                r#""resources":{"disk":0.0,"mem":0.0,"gpus":0.0,"cpus":0.1},"role":"web","#,
                r#""labels":{"labels":[{"key":"k","value":"v"}]},"type":"CUSTOM","slave_id":"a1"}"#
            )
        );
    }
}
