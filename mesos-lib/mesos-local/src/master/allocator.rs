//! The allocation cycle of the master: every allocation interval (and on REVIVE and
//! SUBSCRIBE) it expires refuse filters, takes a snapshot of its state for
//! [`crate::allocator::allocate`] (Mesos's hierarchical DRF allocator) and makes the offers
//! that returns: one offer per framework, role and agent (`allocation_info.role`), one OFFERS
//! event per framework.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use mesos_lib::v1;
use mesos_lib::v1::FrameworkInfo;
use mesos_lib::v1::common::{Address, Url};
use mesos_lib::v1::ids::{AgentId, FrameworkId, OfferId};
use mesos_lib::v1::resources::AllocationInfo;
use mesos_lib::v1::scheduler::Event;

use super::Master;
use super::state::{MasterState, Offer};
use crate::allocator::{AgentView, Client, Cluster, MinAllocatable, Quantities};
use crate::ids;
use crate::resource_views as rv;
use mesos_lib::resources::Resources;

/// The offers to be made, by agent, framework and role (one offer each, as
/// `Master::offer` makes one per role and agent).
type Planned = BTreeMap<(String, String, String), Resources>;

impl Master {
    /// Runs one allocation cycle and makes its offers.
    pub(crate) fn allocate(&self) {
        let mut st = self.lock();
        st.allocation_runs += 1;
        let cluster = snapshot(&mut st, Instant::now());
        let mut counts = std::mem::take(&mut st.allocation_counts);
        let grants = crate::allocator::allocate(&cluster, &mut counts);
        st.allocation_counts = counts;
        let mut planned = Planned::new();
        for g in grants {
            let aid = cluster.agents[g.agent].id.clone();
            let client = &cluster.clients[g.client];
            let key = (aid, client.framework_id.clone(), client.role.clone());
            planned.entry(key).or_default().add_all(&g.resources);
        }
        self.send_offers(&mut st, planned);
        self.send_inverse_offers(&mut st);
    }

    /// Makes the planned offers, one event per framework.
    fn send_offers(&self, st: &mut MasterState, planned: Planned) {
        let mut by_framework: BTreeMap<String, Vec<v1::offer::Offer>> = BTreeMap::new();
        for ((aid, fid, role), avail) in &planned {
            if let Some(offer) = make_offer(st, fid, aid, role, avail) {
                by_framework.entry(fid.clone()).or_default().push(offer);
            }
        }
        for (fid, offers) in by_framework {
            if let Some(sub) = st
                .frameworks
                .get(&fid)
                .and_then(|f| f.subscription.as_ref())
            {
                sub.sender.send(&Event::offers(offers));
            }
        }
    }
}

/// The framework's `offer_filters[role].min_allocatable_resources`, when it set one
/// (`unpackFrameworkOfferFilters`): its `quantities`, each a set of `{name: {"value": v}}`.
/// mesos-lib does not model `offer_filters` (a protobuf map, kept in `extra` as sent), so
/// it is read here, numbers leniently as Mesos takes them.
fn own_minimum(info: &FrameworkInfo, role: &str) -> Option<MinAllocatable> {
    let filters = info.extra.get("offer_filters")?.get(role)?;
    let min = filters.get("min_allocatable_resources")?;
    let sets = crate::json::array_at(min, "quantities")
        .iter()
        .map(|q| {
            let mut set = Quantities::new();
            if let Some(m) = q.get("quantities").and_then(|m| m.as_object()) {
                for (name, v) in m {
                    let value = crate::json::f64_at(v, "value").unwrap_or(0.0);
                    if value > 0.0 {
                        set.insert(name.clone(), value);
                    }
                }
            }
            set
        })
        .collect();
    Some(MinAllocatable::from_sets(sets))
}

/// What the allocator reads of the master's state, refuse filters past their time dropped
/// first. A framework is a client of each role it subscribed to (`trackFrameworkUnderRole`),
/// active unless suppressed there, and of each other role it still holds resources in
/// (inactive); in each it holds what its tasks and executors use plus what it is offered.
fn snapshot(st: &mut MasterState, now: Instant) -> Cluster {
    let mut offered: HashMap<(&str, &str), Resources> = HashMap::new();
    for o in st.offers.values() {
        offered
            .entry((o.framework_id.as_str(), o.role.as_str()))
            .or_default()
            .add_all(&o.resources);
    }
    let mut clients = Vec::with_capacity(st.frameworks.len());
    for fw in st.frameworks.values() {
        let subscribed = fw.roles();
        let held = fw.allocated.iter().map(|(r, _)| r);
        let mut roles: Vec<&String> = subscribed.iter().chain(held).collect();
        roles.sort();
        roles.dedup();
        let running = fw.connected() && fw.active;
        for role in roles {
            let mut allocated = fw.allocated.of(role).cloned().unwrap_or_default();
            if let Some(o) = offered.get(&(fw.id.as_str(), role.as_str())) {
                allocated.add_all(o);
            }
            let refused = fw
                .filters
                .iter()
                .filter(|((_, r), f)| r == role && f.until > now)
                .map(|((aid, _), f)| (aid.clone(), f.resources.clone()))
                .collect();
            clients.push(Client {
                min_allocatable: own_minimum(&fw.info, role),
                framework_id: fw.id.clone(),
                active: running && subscribed.contains(role) && !fw.suppressed_roles.contains(role),
                role: role.clone(),
                allocated,
                refused,
            });
        }
    }
    // Draining, deactivated agents and those on DOWN machines are not offered.
    let agents = st
        .agents
        .iter()
        .filter(|(id, _)| st.agent_active(id))
        .map(|(id, e)| AgentView {
            id: id.clone(),
            total: e.total.clone(),
            available: super::reserve::available(e),
        })
        .collect();
    let cluster = Cluster {
        agents,
        clients,
        weights: st.weights.clone(),
        quotas: st.quotas.clone(),
        min_allocatable: st.min_allocatable.clone(),
    };
    for fw in st.frameworks.values_mut() {
        fw.filters.retain(|_, f| f.until > now);
    }
    cluster
}

/// Records and returns the offer of `avail` on `aid` to `fid`.
/// The agent's URL as offers and inverse offers give it (path `/slave(1)`).
pub(crate) fn agent_url(agent: &crate::agent::Agent) -> Url {
    Url {
        scheme: "http".into(),
        address: Address {
            hostname: Some(agent.hostname.clone()),
            ip: Some(agent.ip.to_string()),
            port: i32::from(agent.port),
            extra: Default::default(),
        },
        path: Some("/slave(1)".into()),
        ..Default::default()
    }
}

fn make_offer(
    st: &mut MasterState,
    fid: &str,
    aid: &str,
    role: &str,
    avail: &Resources,
) -> Option<v1::offer::Offer> {
    let fw = st.frameworks.get(fid)?;
    let multi_role = fw.has_capability(v1::FrameworkCapabilityType::MultiRole);
    let format = if fw.has_capability(v1::FrameworkCapabilityType::ReservationRefinement) {
        rv::Format::Post
    } else {
        rv::Format::Pre
    };
    let avail = rv::offer_order(avail);
    let executor_ids = super::launch_group::executor_ids(st, fid, aid);
    // A machine scheduled for maintenance: the offer says when (`Offer.unavailability`).
    let unavailability = st
        .agents
        .get(aid)
        .and_then(|e| st.maintenance.unavailability_of(&e.agent))
        .cloned();
    let oid = ids::offer_id(&st.id, st.next_offer);
    st.next_offer += 1;
    let entry = st.agents.get_mut(aid)?;
    entry.offered.add_all(&avail);
    let agent = &entry.agent;
    let url = agent_url(agent);
    let alloc = multi_role.then_some(role);
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
        allocation_info: multi_role.then(|| AllocationInfo::role(role)),
        ..Default::default()
    };
    st.offers.insert(
        oid,
        Offer {
            framework_id: fid.to_string(),
            agent_id: aid.to_string(),
            role: role.to_string(),
            resources: avail,
            sent: offer.clone(),
        },
    );
    Some(offer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesos_lib::v1::resources::Resource;
    use serde_json::json;

    #[test]
    fn a_frameworks_own_minimum_is_read_per_role() {
        let typed = |v| serde_json::from_value::<FrameworkInfo>(v).expect("a FrameworkInfo");
        let info = typed(
            json!({"user": "u", "name": "n", "roles": ["web"], "offer_filters":
            {"web": {"min_allocatable_resources":
            {"quantities": [{"quantities": {"cpus": {"value": 2}, "mem": {"value": "512"}}},
                            {"quantities": {"disk": {"value": 1024}}}]}}}}),
        );
        let min = own_minimum(&info, "web").expect("set for web");
        let r = |cpus: f64, mem: f64| {
            Resources::from(vec![
                Resource::scalar("cpus", cpus),
                Resource::scalar("mem", mem),
            ])
        };
        assert!(min.allows(&r(2.0, 512.0)));
        assert!(!min.allows(&r(2.0, 256.0)));
        assert!(min.allows(&Resources::from(vec![Resource::scalar("disk", 1024.0)])));
        assert!(own_minimum(&info, "db").is_none());
        // Set without quantities: anything non-empty is allocatable.
        let any = typed(json!({"user": "u", "name": "n",
            "offer_filters": {"web": {"min_allocatable_resources": {}}}}));
        assert!(own_minimum(&any, "web").unwrap().allows(&r(0.001, 0.0)));
    }
}
