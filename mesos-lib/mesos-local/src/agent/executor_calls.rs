//! What the agent does with a custom executor's calls (`Slave::subscribe`, `statusUpdate`,
//! `executorMessage`): SUBSCRIBE hands it its queued tasks, UPDATE goes to the status update
//! manager and is acknowledged back, MESSAGE goes to the scheduler.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::custom_executor::{CustomExecutor, Phase};
use super::executor_events as events;
use super::{Agent, AgentFramework, ToMaster};
use crate::http::EventSender;
use crate::{ids, json as j};

/// Why an executor's call is refused, with the agent's answer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// 400 "Framework cannot be found".
    UnknownFramework,
    /// 400 "Executor cannot be found".
    UnknownExecutor,
    /// 403 "Executor is not subscribed" (a call other than SUBSCRIBE before it).
    NotSubscribed,
}

/// The executor `eid` of framework `fid`, as a call from it finds it.
fn find<'a>(
    fw: Option<&'a mut AgentFramework>,
    eid: &str,
) -> Result<&'a mut CustomExecutor, Refusal> {
    let fw = fw.ok_or(Refusal::UnknownFramework)?;
    fw.custom
        .get_mut(eid)
        .filter(|e| e.phase != Phase::Terminated)
        .ok_or(Refusal::UnknownExecutor)
}

impl Agent {
    /// SUBSCRIBE: the stream becomes the executor's (closing an earlier one), SUBSCRIBED,
    /// then a LAUNCH for each queued task and a LAUNCH_GROUP for each queued task group. An
    /// executor being shut down gets SHUTDOWN.
    pub(crate) fn executor_subscribe(
        self: &Arc<Self>,
        fid: &str,
        eid: &str,
        stream: EventSender,
    ) -> Result<(), Refusal> {
        let agent_info = self.executor_agent_info();
        let shutdown = {
            let mut st = self.lock();
            let removed = st.removed.contains(fid);
            let fw = st.frameworks.get_mut(fid);
            let framework_info = fw.as_ref().map(|f| f.info.clone()).unwrap_or_default();
            let e = find(fw, eid)?;
            if removed || e.phase == Phase::Terminating {
                stream.send(&json!({"type": "SHUTDOWN"}));
                return Ok(());
            }
            e.phase = Phase::Running;
            stream.send(&events::subscribed(
                &e.info,
                &framework_info,
                &agent_info,
                &e.container_id,
            ));
            let (tasks, groups) = e.take_queued();
            let nothing_queued = tasks.is_empty() && groups.is_empty();
            let shutdown = !e.ever_sent_task && nothing_queued;
            e.ever_sent_task |= !nothing_queued;
            e.stream = Some(stream.clone());
            let fw = st.frameworks.get(fid).expect("found above");
            let task_of = |tid: &String| fw.executors.get(tid).map(|r| Arc::clone(&r.task));
            for task in tasks.iter().filter_map(task_of) {
                stream.send(&events::launch(&task));
            }
            for group in groups {
                let tasks: Vec<Arc<Value>> = group.iter().filter_map(task_of).collect();
                stream.send(&events::launch_group(&tasks));
            }
            shutdown
        };
        if shutdown {
            tracing::warn!(
                executor = eid,
                "shutting down executor: it was never sent a task and its queued tasks were killed"
            );
            self.shutdown_executor(fid, eid);
        }
        Ok(())
    }

    /// The AgentInfo an executor's SUBSCRIBED carries.
    fn executor_agent_info(&self) -> Value {
        let mut info = crate::master::views::agent_info(self);
        info.checkpoint = None;
        serde_json::to_value(info).unwrap_or_default()
    }

    /// UPDATE: the executor's status, completed as the agent completes it (agent, executor,
    /// time, container), goes to the status update manager and is acknowledged to the
    /// executor (`___statusUpdate`). A status for a task not on this executor is dropped.
    pub(crate) fn executor_update(
        &self,
        fid: &str,
        eid: &str,
        given: &Value,
    ) -> Result<(), Refusal> {
        let tid = j::id_at(given, "task_id").unwrap_or("").to_string();
        let container = {
            let mut st = self.lock();
            let e = find(st.frameworks.get_mut(fid), eid)?;
            if e.phase == Phase::Registering {
                return Err(Refusal::NotSubscribed);
            }
            let container = (e.container_id.clone(), e.pid);
            let known = st
                .frameworks
                .get(fid)
                .and_then(|f| f.executors.get(&tid))
                .is_some_and(|r| r.custom && r.executor_id == eid);
            known.then_some(container)
        };
        let Some((cid, pid)) = container else {
            tracing::warn!(
                executor = eid,
                task = %tid,
                "dropping a status update for a task unknown to this executor"
            );
            return Ok(());
        };
        let status = self.executor_status(given, eid, &cid, pid);
        let uuid = j::str_at(&status, "uuid").unwrap_or("").to_string();
        let task_id = status.get("task_id").cloned().unwrap_or(json!({}));
        self.emit(fid, &tid, status);
        let st = self.lock();
        if let Some(s) = st
            .frameworks
            .get(fid)
            .and_then(|f| f.custom.get(eid))
            .and_then(|e| e.stream.as_ref())
        {
            s.send(&events::acknowledged(&task_id, &uuid));
        }
        Ok(())
    }

    /// An executor's TaskStatus as the agent forwards it: TaskStatus's field order, with
    /// `agent_id`, `executor_id`, `timestamp` and the executor's `container_status`.
    fn executor_status(&self, given: &Value, eid: &str, cid: &str, pid: Option<u32>) -> Value {
        let mut m = Map::new();
        let copy = |m: &mut Map<String, Value>, k: &str| {
            if let Some(v) = given.get(k) {
                m.insert(k.into(), v.clone());
            }
        };
        for k in ["task_id", "state", "message", "source", "reason", "data"] {
            copy(&mut m, k);
        }
        m.insert("agent_id".into(), j::id(&self.id));
        m.insert("executor_id".into(), j::id(eid));
        let now = json!(ids::now_secs());
        m.insert(
            "timestamp".into(),
            given.get("timestamp").cloned().unwrap_or(now),
        );
        for k in ["uuid", "healthy", "check_status", "labels"] {
            copy(&mut m, k);
        }
        let mut cs = Map::new();
        cs.insert("container_id".into(), j::id(cid));
        cs.insert(
            "network_infos".into(),
            json!([{"ip_addresses": [{"protocol": "IPv4", "ip_address": self.ip.to_string()}]}]),
        );
        if let Some(pid) = pid {
            cs.insert("executor_pid".into(), json!(pid));
        }
        m.insert("container_status".into(), Value::Object(cs));
        if let Some(o) = given.as_object() {
            for (k, v) in o {
                m.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        Value::Object(m)
    }

    /// MESSAGE: the executor's data for its scheduler, through the master.
    pub(crate) fn executor_message(&self, fid: &str, eid: &str, data: &str) -> Result<(), Refusal> {
        {
            let mut st = self.lock();
            let e = find(st.frameworks.get_mut(fid), eid)?;
            if e.phase == Phase::Registering {
                return Err(Refusal::NotSubscribed);
            }
        }
        let _ = self.to_master.send(ToMaster::ExecutorMessage {
            agent_id: self.id.clone(),
            framework_id: fid.to_string(),
            executor_id: eid.to_string(),
            data: data.to_string(),
        });
        Ok(())
    }
}
