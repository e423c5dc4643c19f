//! The allocation cycle: every allocation interval, each agent's unused, unoffered resources
//! are offered, honouring suppression, refuse filters and role quota (two stages, as the
//! hierarchical allocator: guarantees first, then the rest within limits and headroom).

use std::collections::BTreeMap;
use std::time::Instant;

use mesos_lib::v1;
use mesos_lib::v1::common::{Address, Url};
use mesos_lib::v1::ids::{AgentId, FrameworkId, OfferId};
use mesos_lib::v1::resources::AllocationInfo;
use mesos_lib::v1::scheduler::Event;

use super::Master;
use super::headroom::QuotaBooks;
use super::state::{MasterState, Offer};
use crate::ids;
use crate::resource_views as rv;
use mesos_lib::resources::Resources;

/// The offers to be made, by agent then framework.
type Planned = BTreeMap<(String, String), Resources>;

impl Master {
    /// Runs one allocation, agent by agent as the hierarchical allocator does: first to
    /// frameworks whose role is below its quota guarantees (towards them), then to every
    /// framework, the smallest allocation for its role's weight first; limits are never
    /// exceeded and the headroom other roles' unmet guarantees need is held back.
    pub(crate) fn allocate(&self) {
        let mut st = self.lock();
        st.allocation_runs += 1;
        let now = Instant::now();
        let mut order: Vec<(f64, String)> = st
            .frameworks
            .values()
            .filter(|f| f.connected() && f.active && !f.suppressed)
            .map(|f| {
                let weight = super::weights::weight_of(&st, &f.role());
                (f.allocated.cpus().unwrap_or(0.0) / weight, f.id.clone())
            })
            .collect();
        order.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        let order: Vec<(String, String)> = order
            .into_iter()
            .filter_map(|(_, fid)| st.frameworks.get(&fid).map(|f| (fid, f.role())))
            .collect();
        let mut books = QuotaBooks::open(&st);
        let mut planned = Planned::new();
        if let Some(books) = books.as_mut() {
            self.plan(&mut st, &order, Some(books), &mut planned, now, true);
        }
        self.plan(&mut st, &order, books.as_mut(), &mut planned, now, false);
        self.send_offers(&mut st, &order, planned);
        self.send_inverse_offers(&mut st);
    }

    /// One stage of the cycle over every agent: `towards_guarantee` is stage 1.
    fn plan(
        &self,
        st: &mut MasterState,
        order: &[(String, String)],
        mut books: Option<&mut QuotaBooks>,
        planned: &mut Planned,
        now: Instant,
        towards_guarantee: bool,
    ) {
        let agent_ids: Vec<String> = st.agents.keys().cloned().collect();
        for aid in &agent_ids {
            let Some(entry) = st.agents.get(aid) else {
                continue;
            };
            if !st.agent_active(aid) {
                continue;
            }
            let mut free = super::reserve::available(entry);
            let here = planned.range((aid.clone(), String::new())..);
            for (_, r) in here.take_while(|((a, _), _)| a == aid) {
                free.subtract_all(r);
            }
            for (fid, role) in order {
                if towards_guarantee && books.as_ref().is_none_or(|b| b.unmet(role).is_empty()) {
                    continue;
                }
                let avail = free.filter(|r| rv::allocatable_to(r, role));
                if !rv::allocatable(&avail) {
                    continue;
                }
                let offer = match books.as_deref() {
                    Some(b) if towards_guarantee => match b.towards_guarantee(role, &avail) {
                        Some(offer) => offer,
                        None => continue,
                    },
                    Some(b) => b.beyond_guarantee(role, &avail),
                    None => avail,
                };
                if !rv::allocatable(&offer) {
                    continue;
                }
                let Some(fw) = st.frameworks.get_mut(fid) else {
                    continue;
                };
                fw.filters.retain(|_, f| f.until > now);
                if fw
                    .filters
                    .get(aid)
                    .is_some_and(|f| f.resources.contains(&offer))
                {
                    continue;
                }
                if let Some(b) = books.as_deref_mut() {
                    b.record(role, &offer, towards_guarantee);
                }
                free.subtract_all(&offer);
                planned
                    .entry((aid.clone(), fid.clone()))
                    .or_default()
                    .add_all(&offer);
            }
        }
    }

    /// Makes the planned offers, one event per framework.
    fn send_offers(&self, st: &mut MasterState, order: &[(String, String)], planned: Planned) {
        for (fid, _) in order {
            let mut offers = Vec::new();
            for ((aid, _), avail) in planned.iter().filter(|((_, f), _)| f == fid) {
                if let Some(offer) = make_offer(st, fid, aid, avail) {
                    offers.push(offer);
                }
            }
            if !offers.is_empty()
                && let Some(sub) = st.frameworks.get(fid).and_then(|f| f.subscription.as_ref())
            {
                sub.sender.send(&Event::offers(offers));
            }
        }
    }
}

/// Records and returns the offer of `avail` on `aid` to `fid`.
fn make_offer(
    st: &mut MasterState,
    fid: &str,
    aid: &str,
    avail: &Resources,
) -> Option<v1::offer::Offer> {
    let fw = st.frameworks.get(fid)?;
    let multi_role = fw.has_capability("MULTI_ROLE");
    let format = if fw.has_capability("RESERVATION_REFINEMENT") {
        rv::Format::Post
    } else {
        rv::Format::Pre
    };
    let role = fw.role();
    let avail = rv::offer_order(avail);
    let executor_ids = super::launch_group::executor_ids(st, fid, aid);
    // A machine scheduled for maintenance: the offer says when (`Offer.unavailability`).
    let unavailability = st
        .agents
        .get(aid)
        .and_then(|e| st.maintenance.unavailability_of(&e.agent))
        .and_then(|u| serde_json::from_value(u.clone()).ok());
    let oid = ids::offer_id(&st.id, st.next_offer);
    st.next_offer += 1;
    let entry = st.agents.get_mut(aid)?;
    entry.offered.add_all(&avail);
    let agent = &entry.agent;
    let url = Url {
        scheme: "http".into(),
        address: Address {
            hostname: Some(agent.hostname.clone()),
            ip: Some(agent.ip.to_string()),
            port: i32::from(agent.port),
            extra: Default::default(),
        },
        path: Some("/slave(1)".into()),
        ..Default::default()
    };
    let alloc = multi_role.then_some(role.as_str());
    let offer = v1::offer::Offer {
        id: OfferId::new(oid.as_str()),
        framework_id: FrameworkId::new(fid),
        agent_id: AgentId::new(aid),
        hostname: agent.hostname.clone(),
        url: Some(url),
        resources: rv::to_list_as(&avail, format, alloc),
        attributes: agent.attributes.clone(),
        executor_ids,
        unavailability,
        allocation_info: multi_role.then(|| AllocationInfo::role(role.as_str())),
        ..Default::default()
    };
    st.offers.insert(
        oid,
        Offer {
            framework_id: fid.to_string(),
            agent_id: aid.to_string(),
            resources: avail,
            sent: offer.clone(),
        },
    );
    Some(offer)
}
