//! What the master does when it restarts or loses an agent: the effects behind
//! `LocalMesos`'s fault injection and the admin endpoint.

use serde_json::{Value, json};

use super::state::MasterState;
use super::{Master, events, master_status};
use crate::ids;
use crate::json as j;
use crate::stored_status::StoredStatus;
use mesos_lib::v1::ids::AgentId;
use mesos_lib::v1::scheduler::Event;

impl Master {
    /// Replaces the state with a fresh master's, closing every stream, and re-registers
    /// the agents with their live tasks.
    pub(crate) fn restart(&self, port: u16) {
        self.restart_as(ids::master_id(), port);
    }

    /// [`Master::restart`] as the master with ID `id` (the winner of a ZooKeeper election).
    pub(crate) fn restart_as(&self, id: String, port: u16) {
        let agents = self
            .agents
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let old = {
            let mut st = self.lock();
            let removed_agents: Vec<String> = agents
                .iter()
                .filter(|a| !st.agents.contains_key(&a.id))
                .map(|a| a.id.clone())
                .collect();
            let mut fresh = MasterState::new(id, port).with_flags(&self.cfg);
            // Quota lives in the registry, which keeps no default (removed) quota.
            fresh.quotas = st
                .quotas
                .iter()
                .filter(|(_, q)| !q.is_default())
                .map(|(r, q)| (r.clone(), q.clone()))
                .collect();
            std::mem::swap(&mut *st, &mut fresh);
            for a in agents.iter().filter(|a| !removed_agents.contains(&a.id)) {
                self.register_agent(&mut st, a);
            }
            fresh
        };
        drop(old);
    }

    /// See [`LocalMesos::remove_agent`].
    pub(crate) fn remove_agent(&self, agent_id: &str) -> bool {
        let mut st = self.lock();
        let Some(entry) = st.agents.remove(agent_id) else {
            return false;
        };
        // Its offers are taken back (RESCIND); the agent's books went with it.
        self.remove_offers_where(&mut st, |o| o.agent_id == agent_id, true);
        self.forget_agent_executors(&mut st, agent_id);
        let events = lose_tasks_of(&mut st, agent_id, &entry.agent.hostname);
        for e in events {
            st.broadcast(&e);
        }
        st.broadcast(&mesos_lib::v1::master::Event {
            agent_removed: Some(mesos_lib::v1::master::event::AgentRemoved {
                agent_id: AgentId::new(agent_id),
                extra: Default::default(),
            }),
            ..mesos_lib::v1::master::Event::new(mesos_lib::v1::master::EventType::AgentRemoved)
        });
        drop(st);
        entry.agent.kill_all();
        self.agents
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|a| a.id != agent_id);
        true
    }
}

/// Ends every task of a removed agent (TASK_LOST, or TASK_GONE for a partition-aware
/// framework) and tells each framework (UPDATE, then FAILURE for the agent); returns the
/// operator events (TASK_UPDATED) to broadcast.
fn lose_tasks_of(st: &mut MasterState, agent_id: &str, hostname: &str) -> Vec<Value> {
    let mut events = Vec::new();
    for fw in st.frameworks.values_mut() {
        let lost: Vec<String> = fw
            .tasks
            .values()
            .filter(|t| t.agent_id == agent_id)
            .map(|t| j::id_at(&t.info, "task_id").unwrap_or("").to_string())
            .collect();
        let aware = fw.has_capability("PARTITION_AWARE");
        for tid in lost {
            let Some(mut task) = fw.tasks.remove(&tid) else {
                continue;
            };
            let state = if aware { "TASK_GONE" } else { "TASK_LOST" };
            let status = master_status(
                &task,
                state,
                &format!("Agent {hostname} removed"),
                Some("REASON_AGENT_REMOVED"),
            );
            task.state = state.into();
            // The agent and its books are gone; only the framework's share is given back.
            let _ = task.release(&mut fw.allocated);
            task.statuses.push(StoredStatus::new(&status));
            if let Some(sub) = &fw.subscription {
                sub.sender.send(&events::update(&status));
            }
            events.push(json!({"type": "TASK_UPDATED", "task_updated": {
                "framework_id": j::id(&fw.id), "status": status, "state": state}}));
            fw.completed_tasks.push_back(task);
        }
        if let Some(sub) = &fw.subscription {
            sub.sender
                .send(&Event::failure(Some(AgentId::new(agent_id)), None, None));
        }
    }
    events
}
