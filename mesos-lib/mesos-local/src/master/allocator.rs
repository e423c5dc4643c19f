//! The allocation cycle: every allocation interval, each agent's unused, unoffered resources
//! go to one framework as one offer, honouring suppression and refuse filters.

use std::time::Instant;

use mesos_lib::v1;
use mesos_lib::v1::common::{Address, Url};
use mesos_lib::v1::ids::{AgentId, FrameworkId, OfferId};
use mesos_lib::v1::resources::AllocationInfo;
use mesos_lib::v1::scheduler::Event;

use super::Master;
use super::state::Offer;
use crate::ids;
use crate::resource_views as rv;

impl Master {
    /// Runs one allocation: frameworks with the smallest allocation for their role's weight
    /// go first.
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
        let agent_ids: Vec<String> = st.agents.keys().cloned().collect();
        for (_, fid) in order {
            let mut offers = Vec::new();
            for aid in &agent_ids {
                let Some(entry) = st.agents.get(aid) else {
                    continue;
                };
                let Some(fw) = st.frameworks.get(&fid) else {
                    continue;
                };
                let avail = super::reserve::available_to(entry, &fw.role());
                if !rv::allocatable(&avail) {
                    continue;
                }
                let Some(fw) = st.frameworks.get_mut(&fid) else {
                    continue;
                };
                fw.filters.retain(|_, f| f.until > now);
                if fw
                    .filters
                    .get(aid)
                    .is_some_and(|f| f.resources.contains(&avail))
                {
                    continue;
                }
                let multi_role = fw.has_capability("MULTI_ROLE");
                let format = if fw.has_capability("RESERVATION_REFINEMENT") {
                    rv::Format::Post
                } else {
                    rv::Format::Pre
                };
                let role = fw.role();
                let avail = rv::offer_order(&avail);
                let executor_ids = super::launch_group::executor_ids(&st, &fid, aid);
                let oid = ids::offer_id(&st.id, st.next_offer);
                st.next_offer += 1;
                let entry = st.agents.get_mut(aid).expect("agent present");
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
                    framework_id: FrameworkId::new(fid.as_str()),
                    agent_id: AgentId::new(aid.as_str()),
                    hostname: agent.hostname.clone(),
                    url: Some(url),
                    resources: rv::to_list_as(&avail, format, alloc),
                    attributes: agent.attributes.clone(),
                    executor_ids,
                    allocation_info: multi_role.then(|| AllocationInfo::role(role.as_str())),
                    ..Default::default()
                };
                offers.push(offer.clone());
                st.offers.insert(
                    oid,
                    Offer {
                        framework_id: fid.clone(),
                        agent_id: aid.clone(),
                        resources: avail,
                        sent: offer,
                    },
                );
            }
            if !offers.is_empty()
                && let Some(sub) = st
                    .frameworks
                    .get(&fid)
                    .and_then(|f| f.subscription.as_ref())
            {
                sub.sender.send(&Event::offers(offers));
            }
        }
    }
}
