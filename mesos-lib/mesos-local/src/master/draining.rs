//! Draining, deactivating and marking agents gone (DRAIN_AGENT, DEACTIVATE_AGENT,
//! REACTIVATE_AGENT, MARK_AGENT_GONE), as `Master::Http::_drainAgent` and its neighbours do:
//! a deactivated agent is offered to nobody, a draining one has its tasks killed by its
//! agent and turns DRAINED once the master holds no task on it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::Master;
use super::faults::Removal;
use super::machines::MachineId;
use super::state::MasterState;
use crate::http::{bad_request, empty, plain};
use mesos_lib::v1::master::call::DrainAgent;

/// `DrainState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DrainState {
    Draining,
    Drained,
}

/// `DrainInfo`: the state and the operator's `DrainConfig`.
#[derive(Debug, Clone)]
pub(crate) struct DrainInfo {
    pub state: DrainState,
    pub max_grace_nanos: Option<i64>,
    pub mark_gone: bool,
}

impl DrainInfo {
    /// `{"state": …, "config": {"max_grace_period": …, "mark_gone": …}}`.
    pub(crate) fn json(&self) -> Value {
        let mut config = Map::new();
        if let Some(n) = self.max_grace_nanos {
            config.insert("max_grace_period".into(), json!({"nanoseconds": n}));
        }
        config.insert("mark_gone".into(), json!(self.mark_gone));
        let state = match self.state {
            DrainState::Draining => "DRAINING",
            DrainState::Drained => "DRAINED",
        };
        json!({"state": state, "config": config})
    }
}

/// Agents' draining, deactivation and gone marks: what the registry keeps of them (so a
/// restarted master recovers them), and when each drain began.
#[derive(Debug, Clone, Default)]
pub(crate) struct AgentRegistry {
    pub draining: BTreeMap<String, DrainInfo>,
    pub deactivated: BTreeSet<String>,
    /// Agents marked gone, with when (nanoseconds).
    pub gone: BTreeMap<String, i64>,
    /// `estimatedDrainStartTime` of each draining agent, in whole seconds as nanoseconds.
    pub drain_started: BTreeMap<String, i64>,
}

impl AgentRegistry {
    /// A removed agent is neither draining nor deactivated any more.
    pub(crate) fn forget(&mut self, aid: &str) {
        self.draining.remove(aid);
        self.deactivated.remove(aid);
        self.drain_started.remove(aid);
    }
}

impl MasterState {
    /// Whether the allocator may offer the agent's resources (it is not deactivated, which a
    /// draining agent also is). The one place that says so.
    pub(crate) fn agent_active(&self, aid: &str) -> bool {
        !self.agent_registry.deactivated.contains(aid)
    }

    /// Whether the master still holds a task (live, or ended but unacknowledged) on `aid`.
    fn has_tasks_on(&self, aid: &str) -> bool {
        self.frameworks
            .values()
            .any(|f| f.tasks.values().any(|t| t.agent_id == aid))
    }
}

impl Master {
    /// DRAIN_AGENT.
    pub(crate) fn drain_agent(&self, drain: &DrainAgent) -> Response {
        let aid = drain.agent_id.value.clone();
        let mark_gone = drain.mark_gone;
        let max_grace = drain.max_grace_period.map(|d| d.as_nanos());
        let (agent, gone_now) = {
            let mut st = self.lock();
            let Some(entry) = st.agents.get(&aid) else {
                return bad_request("Unknown agent");
            };
            let agent = Arc::clone(&entry.agent);
            let machine = MachineId::of_agent(&agent);
            let scheduled =
                st.maintenance.windows.iter().any(|w| {
                    (w.machine_ids.iter()).any(|m| MachineId::from_v1(m).matches(&machine))
                });
            if scheduled {
                return bad_request(format!(
                    "Agent {aid} is part of a maintenance schedule under Machine {}",
                    machine.display()
                ));
            }
            let info = DrainInfo {
                state: DrainState::Draining,
                max_grace_nanos: max_grace,
                mark_gone,
            };
            st.agent_registry.draining.insert(aid.clone(), info);
            st.agent_registry.deactivated.insert(aid.clone());
            let started = ids_now_whole_seconds();
            st.agent_registry.drain_started.insert(aid.clone(), started);
            self.deactivate(&mut st, &aid);
            tracing::info!(agent = %aid, "transitioning agent to the DRAINING state");
            (agent, self.check_drained(&mut st, &aid))
        };
        let grace = max_grace.map(|n| Duration::from_nanos(n.max(0) as u64));
        agent.drain(grace, mark_gone);
        if gone_now {
            self.mark_gone(&aid);
        }
        empty(StatusCode::OK)
    }

    /// DEACTIVATE_AGENT.
    pub(crate) fn deactivate_agent(&self, aid: &str) -> Response {
        let mut st = self.lock();
        if !st.agents.contains_key(aid) {
            return bad_request("Unknown agent");
        }
        st.agent_registry.deactivated.insert(aid.to_string());
        self.deactivate(&mut st, aid);
        empty(StatusCode::OK)
    }

    /// REACTIVATE_AGENT: allowed once the agent is deactivated and not DRAINING.
    pub(crate) fn reactivate_agent(&self, aid: &str) -> Response {
        let agent = {
            let mut st = self.lock();
            let reg = &mut st.agent_registry;
            if !reg.deactivated.contains(aid) {
                return bad_request("Agent is not deactivated");
            }
            if reg
                .draining
                .get(aid)
                .is_some_and(|d| d.state == DrainState::Draining)
            {
                return bad_request("Agent is still in the DRAINING state");
            }
            reg.forget(aid);
            st.agents.get(aid).map(|e| Arc::clone(&e.agent))
        };
        let Some(agent) = agent else {
            return plain(
                StatusCode::CONFLICT,
                "Agent removed while processing the call",
            );
        };
        agent.stop_draining();
        // As the allocator's `activateSlave`: its resources are offered right away.
        self.allocate();
        empty(StatusCode::OK)
    }

    /// MARK_AGENT_GONE: 200 again for an agent already gone, 404 for one never known.
    pub(crate) fn mark_agent_gone(&self, aid: &str) -> Response {
        {
            let st = self.lock();
            if st.agent_registry.gone.contains_key(aid) {
                return empty(StatusCode::OK);
            }
            if !st.agents.contains_key(aid) {
                return plain(StatusCode::NOT_FOUND, format!("Agent '{aid}' not found"));
            }
        }
        self.mark_gone(aid);
        empty(StatusCode::OK)
    }

    /// `Master::deactivate(Slave*)`: no more offers; its offers and inverse offers rescinded.
    fn deactivate(&self, st: &mut MasterState, aid: &str) {
        self.remove_offers_where(st, |o| o.agent_id == aid, true);
        self.rescind_inverse_offers_where(st, |io| io.agent_id == aid, true);
    }

    /// `checkAndTransitionDrainingAgent`: a DRAINING agent with no task left on the master
    /// turns DRAINED; true when it is instead to be marked gone (its drain said so).
    pub(crate) fn check_drained(&self, st: &mut MasterState, aid: &str) -> bool {
        let Some(info) = st.agent_registry.draining.get(aid) else {
            return false;
        };
        if info.state == DrainState::Drained || st.has_tasks_on(aid) {
            return false;
        }
        if info.mark_gone {
            return true;
        }
        if let Some(info) = st.agent_registry.draining.get_mut(aid) {
            info.state = DrainState::Drained;
        }
        tracing::info!(agent = aid, "agent transitioned to the DRAINED state");
        if let Some(e) = st.agents.get(aid) {
            e.agent.stop_draining();
        }
        false
    }

    /// `Master::markGone`: recorded as gone, then removed as the master removes it.
    pub(crate) fn mark_gone(&self, aid: &str) {
        self.lock()
            .agent_registry
            .gone
            .insert(aid.to_string(), crate::ids::now_nanos());
        self.remove_agent_for(aid, Removal::MarkedGone);
    }
}

/// Now, in whole seconds, as nanoseconds (how the master reports `estimated_drain_start_time`).
fn ids_now_whole_seconds() -> i64 {
    crate::ids::now_nanos() / 1_000_000_000 * 1_000_000_000
}
