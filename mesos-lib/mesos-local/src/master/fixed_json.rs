//! The parts of a task's and an agent's v1 JSON that never change, serialised once.
//!
//! GET_STATE at 10,000 tasks walked every TaskInfo's `Value` tree (hash lookups, string
//! escaping) and rebuilt every agent's typed record on each call; writing these parts out
//! as kept text instead makes the answer mostly a copy.

use serde_json::value::RawValue;

use crate::agent::Agent;
use crate::json::raw;
use mesos_lib::v1::TaskInfo;

/// Fields of `v1::Task` taken from the TaskInfo, in the order Mesos writes them.
#[derive(Debug)]
pub(crate) struct TaskJson {
    pub name: Box<RawValue>,
    pub task_id: Box<RawValue>,
    /// `executor_id` of the task's ExecutorInfo (tasks of a task group).
    pub executor_id: Option<Box<RawValue>>,
    pub resources: Box<RawValue>,
    /// `labels`, `discovery`, `container`, `health_check`, `kill_policy`, where present.
    pub tail: Vec<(&'static str, Box<RawValue>)>,
}

impl TaskJson {
    /// The fixed fields of the task described by `info`.
    pub(crate) fn of(info: &TaskInfo) -> TaskJson {
        let mut tail = Vec::new();
        let mut keep = |k: &'static str, v: Option<Box<RawValue>>| {
            if let Some(v) = v {
                tail.push((k, v));
            }
        };
        keep("labels", info.labels.as_ref().map(raw));
        keep("discovery", info.discovery.as_ref().map(raw));
        keep("container", info.container.as_ref().map(raw));
        keep("health_check", info.health_check.as_ref().map(raw));
        keep("kill_policy", info.kill_policy.as_ref().map(raw));
        TaskJson {
            name: raw(&info.name),
            task_id: raw(&info.task_id),
            executor_id: info.executor.as_ref().map(|e| raw(&e.executor_id)),
            resources: raw(&info.resources),
            tail,
        }
    }
}

/// Fields of `master::Response::GetAgents::Agent` that stay as they were at registration.
#[derive(Debug)]
pub(crate) struct AgentJson {
    pub agent_info: Box<RawValue>,
    pub pid: String,
    pub capabilities: Box<RawValue>,
}

impl AgentJson {
    /// The fixed fields of `agent`, as `views::agent_v1` writes them.
    pub(crate) fn of(agent: &Agent) -> AgentJson {
        AgentJson {
            agent_info: raw(&super::views::agent_info(agent)),
            pid: agent.pid(),
            capabilities: raw(&super::views::agent_capabilities()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::super::state::{AgentEntry, Task};
    use super::super::views::{AgentView, TaskView, agent_v1};
    use crate::agent::Agent;
    use crate::stored_status::StoredStatus;
    use mesos_lib::resources::Resources;
    use mesos_lib::v1::{Resource, TaskInfo, TaskState};

    #[test]
    fn a_task_view_writes_every_field_of_its_task_info() {
        let info = json!({
            "name": "web", "task_id": {"value": "t1"}, "agent_id": {"value": "a1"},
            "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.5}}],
            "command": {"value": "true"},
            "labels": {"labels": [{"key": "k", "value": "v"}]},
            "kill_policy": {"grace_period": {"nanoseconds": 5}},
        });
        let info = serde_json::from_value(info).unwrap();
        let mut task = Task::new(Arc::new(info), "f1", "a1", TaskState::Running, None);
        let status = json!({"task_id": {"value": "t1"}, "state": "TASK_RUNNING", "uuid": "AAE="});
        task.statuses.push(StoredStatus::new(
            &serde_json::from_value(status.clone()).unwrap(),
        ));
        task.status_update_state = Some(TaskState::Running);
        task.status_update_uuid = Some("AAE=".into());
        let text = serde_json::to_string(&TaskView::of(&task)).unwrap();
        let keys: Vec<String> = serde_json::from_str::<serde_json::Map<String, _>>(&text)
            .unwrap()
            .keys()
            .cloned()
            .collect();
        // Mesos's field order (v1::Task): name, task_id, framework_id, agent_id, state, ...
        assert_eq!(
            keys,
            [
                "name",
                "task_id",
                "framework_id",
                "agent_id",
                "state",
                "resources",
                "statuses",
                "status_update_state",
                "status_update_uuid",
                "labels",
                "kill_policy"
            ]
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            json!({
                "name": "web", "task_id": {"value": "t1"}, "framework_id": {"value": "f1"},
                "agent_id": {"value": "a1"}, "state": "TASK_RUNNING",
                "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.5}}],
                "statuses": [status],
                "status_update_state": "TASK_RUNNING", "status_update_uuid": "AAE=",
                "labels": {"labels": [{"key": "k", "value": "v"}]},
                "kill_policy": {"grace_period": {"nanoseconds": 5}},
            })
        );
        // A bare TaskInfo still gives a complete v1::Task.
        let bare = Task::new(Arc::default(), "f1", "a1", TaskState::Staging, None);
        assert_eq!(
            serde_json::to_value(TaskView::of(&bare)).unwrap(),
            json!({"name": "", "task_id": {"value": ""}, "framework_id": {"value": "f1"},
                   "agent_id": {"value": "a1"}, "state": "TASK_STAGING", "resources": []})
        );
    }

    #[test]
    fn a_typed_task_info_is_written_as_mesos_writes_it() {
        // As a scheduler may send it (with `allocation_info` as the master adds it): numbers as
        // strings or integers, fields in its own order; read as the master reads it.
        let sent = json!({
            "task_id": {"value": "t1"}, "name": "web", "agent_id": {"value": "a1"},
            "health_check": {"type": "TCP", "tcp": {"port": 8080}, "delay_seconds": 1.5},
            "resources": [
                {"name": "mem", "type": "SCALAR", "scalar": {"value": "32"},
                 "reservations": [{"type": "DYNAMIC", "role": "web", "principal": "p"}],
                 "allocation_info": {"role": "web"}},
                {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": "31000", "end": 31001}]},
                 "allocation_info": {"role": "web"}},
            ],
            "command": {"value": "true"},
            "kill_policy": {"grace_period": {"nanoseconds": "5"}},
        });
        let info = serde_json::from_value::<TaskInfo>(sent).unwrap();
        let task = Task::new(Arc::new(info), "f1", "a1", TaskState::Staging, None);
        let text = serde_json::to_string(&TaskView::of(&task)).unwrap();
        // The proto's field order (`allocation_info` before `reservations`, health check
        // timings before its type), doubles written as doubles: what real Mesos writes.
        assert_eq!(
            text,
            concat!(
                r#"{"name":"web","task_id":{"value":"t1"},"framework_id":{"value":"f1"},"#,
                r#""agent_id":{"value":"a1"},"state":"TASK_STAGING","resources":["#,
                r#"{"name":"mem","type":"SCALAR","scalar":{"value":32.0},"allocation_info":{"role":"web"},"#,
                r#""reservations":[{"type":"DYNAMIC","role":"web","principal":"p"}]},"#,
                r#"{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31000,"end":31001}]},"#,
                r#""allocation_info":{"role":"web"}}],"#,
                r#""health_check":{"delay_seconds":1.5,"type":"TCP","tcp":{"port":8080}},"#,
                r#""kill_policy":{"grace_period":{"nanoseconds":5}}}"#
            )
        );
        // The tutorial's nginx TaskInfo (`%%launch` sends it as it is) converts whole.
        let container = json!({"type": "DOCKER", "docker": {"image": "nginx:stable",
            "network": "BRIDGE", "port_mappings": [{"host_port": 31080, "container_port": 80,
            "protocol": "tcp"}]}});
        let nginx = json!({"name": "nginx", "task_id": {"value": "nginx-demo"},
            "agent_id": {"value": "a1"}, "container": container, "command": {"shell": false},
            "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.2}}]});
        let info = serde_json::from_value::<TaskInfo>(nginx).unwrap();
        assert_eq!(serde_json::to_value(&info.container).unwrap(), container);
    }

    #[test]
    fn an_agent_view_writes_what_the_typed_agent_record_does() {
        let (to_master, _rx) = tokio::sync::mpsc::unbounded_channel();
        let resources: Resources = vec![
            Resource::scalar("cpus", 2.0),
            Resource::scalar("mem", 1024.0),
            Resource::ranges("ports", [(31000, 32000)]),
        ]
        .into_iter()
        .collect();
        let agent = Arc::new(Agent::new(
            "a1".into(),
            "host".into(),
            "127.0.0.1".parse().unwrap(),
            5051,
            resources,
            Vec::new(),
            std::env::temp_dir(),
            "host".into(),
            to_master,
        ));
        let used: Resources = vec![Resource::scalar("cpus", 0.5)].into_iter().collect();
        let mut entry = AgentEntry::new(&agent, used);
        entry.offered = vec![Resource::scalar("mem", 512.0)].into_iter().collect();
        assert_eq!(
            serde_json::to_value(AgentView::of(&entry, &Default::default())).unwrap(),
            serde_json::to_value(agent_v1(&entry, &Default::default())).unwrap()
        );
        // Nothing used or offered: both leave those fields out.
        entry.used = Resources::new();
        entry.offered = Resources::new();
        assert_eq!(
            serde_json::to_value(AgentView::of(&entry, &Default::default())).unwrap(),
            serde_json::to_value(agent_v1(&entry, &Default::default())).unwrap()
        );
    }
}
