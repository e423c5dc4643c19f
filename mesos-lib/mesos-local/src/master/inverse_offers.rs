//! Inverse offers (transcript 34; `Master::inverseOffer` and the hierarchical allocator's
//! `generateInverseOffers`): every framework holding resources on an agent whose machine has
//! an unavailability is asked to give them back, once until it answers; ACCEPT and DECLINE
//! are kept as the machine's maintenance status, each with a refuse filter.

use std::time::{Duration, Instant};

use super::Master;
use super::allocator::agent_url;
use super::machines::{InverseOffer, Responses};
use super::state::MasterState;
use crate::ids;
use mesos_lib::v1::common::{TimeInfo, Unavailability};
use mesos_lib::v1::ids::{AgentId, FrameworkId, OfferId};
use mesos_lib::v1::maintenance::{InverseOfferAnswer, InverseOfferStatus};
use mesos_lib::v1::scheduler::Event;
use mesos_lib::v1::scheduler::call::InverseOffersReply;
use mesos_lib::v1::{Extra, InverseOffer as Sent};

/// Refuse time of an answer without `filters` (`Filters.refuse_seconds`' default).
const DEFAULT_REFUSE: f64 = 5.0;

impl Master {
    /// Sends the inverse offers due, one INVERSE_OFFERS event per framework (after the
    /// cycle's offers, as the allocator does).
    pub(crate) fn send_inverse_offers(&self, st: &mut MasterState) {
        if !st.maintenance.any_scheduled() {
            return;
        }
        let now = Instant::now();
        st.maintenance.filters.retain(|_, until| *until > now);
        let mut due: Vec<(String, String, Unavailability)> = Vec::new();
        for (aid, entry) in &st.agents {
            let Some(una) = st.maintenance.unavailability_of(&entry.agent) else {
                continue;
            };
            if !st.agent_active(aid) {
                continue;
            }
            let responses = st.maintenance.responses.get(aid);
            for fw in st.frameworks.values() {
                let holds = fw
                    .tasks
                    .values()
                    .any(|t| t.agent_id == *aid && t.held.is_some())
                    || st
                        .offers
                        .values()
                        .any(|o| o.agent_id == *aid && o.framework_id == fw.id);
                let asked = responses.is_some_and(|r| r.outstanding.contains(&fw.id));
                let filtered = st
                    .maintenance
                    .filters
                    .contains_key(&(fw.id.clone(), aid.clone()));
                if holds && fw.connected() && fw.active && !asked && !filtered {
                    due.push((fw.id.clone(), aid.clone(), una.clone()));
                }
            }
        }
        let mut by_framework: Vec<(String, Vec<Sent>)> = Vec::new();
        for (fid, aid, una) in due {
            let id = ids::offer_id(&st.id, st.next_offer);
            st.next_offer += 1;
            let Some(agent) = st.agents.get(&aid).map(|e| &e.agent) else {
                continue;
            };
            let sent = Sent {
                id: OfferId::new(&*id),
                url: Some(agent_url(agent)),
                framework_id: FrameworkId::new(&*fid),
                agent_id: Some(AgentId::new(&*aid)),
                unavailability: una,
                ..Sent::default()
            };
            st.maintenance
                .responses
                .entry(aid.clone())
                .or_default()
                .outstanding
                .insert(fid.clone());
            st.maintenance.inverse_offers.insert(
                id,
                InverseOffer {
                    framework_id: fid.clone(),
                    agent_id: aid,
                },
            );
            match by_framework.iter_mut().find(|(f, _)| *f == fid) {
                Some((_, list)) => list.push(sent),
                None => by_framework.push((fid, vec![sent])),
            }
        }
        for (fid, list) in by_framework {
            if let Some(sub) = st
                .frameworks
                .get(&fid)
                .and_then(|f| f.subscription.as_ref())
            {
                sub.sender.send(&Event::inverse_offers(list));
            }
        }
    }

    /// ACCEPT_INVERSE_OFFERS / DECLINE_INVERSE_OFFERS of framework `fid`: each of its
    /// outstanding inverse offers named is answered (kept with a timestamp) and filtered for
    /// `refuse_seconds`; unknown IDs are ignored, as the master ignores them.
    pub(crate) fn answer_inverse_offers(
        &self,
        fid: &str,
        reply: &InverseOffersReply,
        accept: bool,
    ) {
        let refuse = (reply.filters.as_ref())
            .and_then(|f| f.refuse_seconds)
            .unwrap_or(DEFAULT_REFUSE);
        let mut st = self.lock();
        for id in &reply.inverse_offer_ids {
            let id = id.value.as_str();
            let ours = st
                .maintenance
                .inverse_offers
                .get(id)
                .is_some_and(|io| io.framework_id == fid);
            if !ours {
                tracing::warn!(
                    inverse_offer = id,
                    "ignoring an answer to an inverse offer that is no longer valid"
                );
                continue;
            }
            let Some(io) = st.maintenance.inverse_offers.remove(id) else {
                continue;
            };
            let status = InverseOfferStatus {
                status: if accept {
                    InverseOfferAnswer::Accept
                } else {
                    InverseOfferAnswer::Decline
                },
                framework_id: FrameworkId::new(fid),
                timestamp: TimeInfo {
                    nanoseconds: ids::now_nanos(),
                    extra: Extra::new(),
                },
                extra: Extra::new(),
            };
            let r = st
                .maintenance
                .responses
                .entry(io.agent_id.clone())
                .or_default();
            r.outstanding.remove(fid);
            r.statuses.insert(fid.to_string(), status);
            if refuse.is_finite() && refuse > 0.0 {
                let until = Instant::now()
                    + Duration::try_from_secs_f64(refuse)
                        .unwrap_or(Duration::from_secs(365 * 86400));
                st.maintenance
                    .filters
                    .insert((fid.to_string(), io.agent_id), until);
            }
        }
    }

    /// Drops the inverse offers `which` picks, telling their frameworks with
    /// RESCIND_INVERSE_OFFER when `tell`; they count as unanswered again.
    pub(crate) fn rescind_inverse_offers_where(
        &self,
        st: &mut MasterState,
        which: impl Fn(&InverseOffer) -> bool,
        tell: bool,
    ) {
        let ids: Vec<String> = st
            .maintenance
            .inverse_offers
            .iter()
            .filter(|(_, io)| which(io))
            .map(|(id, _)| id.clone())
            .collect();
        for id in ids {
            let Some(io) = st.maintenance.inverse_offers.remove(&id) else {
                continue;
            };
            if let Some(r) = st.maintenance.responses.get_mut(&io.agent_id) {
                r.outstanding.remove(&io.framework_id);
            }
            if tell
                && let Some(sub) = st
                    .frameworks
                    .get(&io.framework_id)
                    .and_then(|f| f.subscription.as_ref())
            {
                sub.sender
                    .send(&Event::rescind_inverse_offer(OfferId::new(id)));
            }
        }
    }

    /// A removed agent's inverse offers are rescinded and its answers forgotten.
    pub(crate) fn forget_agent_maintenance(&self, st: &mut MasterState, aid: &str) {
        self.rescind_inverse_offers_where(st, |io| io.agent_id == aid, true);
        st.maintenance.responses.remove(aid);
        st.maintenance.filters.retain(|(_, a), _| a != aid);
    }

    /// A framework that disconnected or went away holds no inverse offer any more (without
    /// RESCIND: it is not listening); `removed` also forgets its answers.
    pub(crate) fn forget_framework_inverse_offers(
        &self,
        st: &mut MasterState,
        fid: &str,
        removed: bool,
    ) {
        self.rescind_inverse_offers_where(st, |io| io.framework_id == fid, false);
        if removed {
            for r in st.maintenance.responses.values_mut() {
                r.statuses.remove(fid);
            }
        }
    }

    /// `updateUnavailability` for the agents on a machine whose window changed: offers and
    /// inverse offers rescinded, answers and filters start again.
    pub(crate) fn restart_inverse_offers(
        &self,
        st: &mut MasterState,
        agents: &[String],
        scheduled: bool,
    ) {
        for aid in agents {
            self.remove_offers_where(st, |o| o.agent_id == *aid, true);
            self.rescind_inverse_offers_where(st, |io| io.agent_id == *aid, true);
            st.maintenance.filters.retain(|(_, a), _| a != aid);
            if scheduled {
                st.maintenance
                    .responses
                    .insert(aid.clone(), Responses::default());
            } else {
                st.maintenance.responses.remove(aid);
            }
        }
    }
}
