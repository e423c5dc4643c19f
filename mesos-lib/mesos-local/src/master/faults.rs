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
use mesos_lib::v1::{Reason, TaskState};

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
            // So are the maintenance schedule with its machines, and agents' drains,
            // deactivations and gone marks; inverse offers and their answers are not.
            fresh.maintenance = st.maintenance.recovered();
            fresh.agent_registry = st.agent_registry.clone();
            std::mem::swap(&mut *st, &mut fresh);
            for a in agents.iter().filter(|a| !removed_agents.contains(&a.id)) {
                self.register_agent(&mut st, a);
                // As the agent re-registers, the master learns its unacknowledged operations.
                st.recover_operations(&a.id, self.cfg.status_update_retry_interval);
            }
            fresh
        };
        drop(old);
    }

    /// See [`LocalMesos::remove_agent`].
    pub(crate) fn remove_agent(&self, agent_id: &str) -> bool {
        self.remove_agent_for(agent_id, Removal::Lost)
    }

    /// Removes an agent for `why`: its tasks end (UPDATE), its offers and inverse offers
    /// are rescinded, its frameworks get FAILURE and operators AGENT_REMOVED (`__removeSlave`);
    /// then its processes are killed, as the agent shuts down. False if unknown.
    pub(crate) fn remove_agent_for(&self, agent_id: &str, why: Removal) -> bool {
        let mut st = self.lock();
        let Some(entry) = st.agents.remove(agent_id) else {
            return false;
        };
        self.forget_agent_executors(&mut st, agent_id);
        let events = lose_tasks_of(&mut st, agent_id, &entry.agent.hostname, why);
        for e in events {
            st.broadcast(&e);
        }
        // Its offers and inverse offers are taken back; the agent's books went with it.
        self.remove_offers_where(&mut st, |o| o.agent_id == agent_id, true);
        self.forget_agent_maintenance(&mut st, agent_id);
        st.agent_registry.forget(agent_id);
        for fw in st.frameworks.values() {
            if let Some(sub) = &fw.subscription {
                sub.sender
                    .send(&Event::failure(Some(AgentId::new(agent_id)), None, None));
            }
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

/// Why an agent is removed, which decides what its tasks become.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Removal {
    /// It died (fault injection): TASK_LOST, or TASK_GONE when partition-aware.
    Lost,
    /// Its machine was brought DOWN (START_MAINTENANCE).
    MachineDown,
    /// The operator marked it gone (MARK_AGENT_GONE, DRAIN_AGENT with mark_gone).
    MarkedGone,
}

impl Removal {
    /// (state, reason, message) of its tasks' last status, for a framework `aware` of
    /// partitions or not.
    fn task_end(self, hostname: &str, aware: bool) -> (TaskState, Reason, String) {
        match (self, aware) {
            (Removal::Lost, false) => (
                TaskState::Lost,
                Reason::AgentRemoved,
                format!("Agent {hostname} removed"),
            ),
            (Removal::Lost, true) => (
                TaskState::Gone,
                Reason::AgentRemoved,
                format!("Agent {hostname} removed"),
            ),
            (Removal::MachineDown, false) => (
                TaskState::Lost,
                Reason::AgentRemoved,
                format!("Agent {hostname} removed: Operator initiated 'Machine DOWN'"),
            ),
            (Removal::MachineDown, true) => (
                TaskState::GoneByOperator,
                Reason::AgentRemovedByOperator,
                format!("Agent {hostname} removed: Operator initiated 'Machine DOWN'"),
            ),
            (Removal::MarkedGone, false) => (
                TaskState::Lost,
                Reason::AgentRemoved,
                "Agent has been marked gone".into(),
            ),
            (Removal::MarkedGone, true) => (
                TaskState::GoneByOperator,
                Reason::AgentRemovedByOperator,
                "Agent has been marked gone".into(),
            ),
        }
    }
}

/// Ends every task of a removed agent as `why` says and tells each framework (UPDATE);
/// returns the operator events (TASK_UPDATED) to broadcast.
fn lose_tasks_of(st: &mut MasterState, agent_id: &str, hostname: &str, why: Removal) -> Vec<Value> {
    let mut events = Vec::new();
    for fw in st.frameworks.values_mut() {
        let lost: Vec<String> = fw
            .tasks
            .values()
            .filter(|t| t.agent_id == agent_id)
            .map(|t| t.info.task_id.value.clone())
            .collect();
        let aware = fw.has_capability(mesos_lib::v1::FrameworkCapabilityType::PartitionAware);
        for tid in lost {
            let Some(mut task) = fw.tasks.remove(&tid) else {
                continue;
            };
            let (state, reason, message) = why.task_end(hostname, aware);
            let status = master_status(&task, state.clone(), &message, Some(reason));
            task.state = state.clone();
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
    }
    events
}
