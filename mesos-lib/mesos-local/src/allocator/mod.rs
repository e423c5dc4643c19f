//! The embedded master's allocator, Mesos's hierarchical DRF allocator
//! (`HierarchicalAllocatorProcess::__generateOffers`) as a pure function of typed state:
//! [`allocate`] takes a [`Cluster`] (agents with what is free on each, frameworks in their
//! roles with what they hold, weights, quotas, `--min_allocatable_resources`) and returns
//! the offers to make. No clock, no I/O: the master builds the snapshot, the tests and the
//! benchmark build their own.
//!
//! Agent by agent, roles are taken in DRF order (weighted dominant share, level by level
//! for hierarchical roles; see [`Sorter`]), and within a role its active frameworks by
//! dominant share; the first framework that can use what is free on the agent is offered
//! all of it. Two stages, as Mesos: first roles below their quota guarantees (towards them),
//! then every role, within quota limits and leaving the headroom other roles' unmet
//! guarantees need. A framework is skipped on an agent whose resources it refused (an
//! active refuse filter covering the offer), and resources that contain none of the
//! minimum sets (the framework's for the role, else the master's) are not offered.

mod headroom;
mod quantities;
mod sorter;

use std::collections::{BTreeMap, HashMap};

use headroom::QuotaBooks;
pub(crate) use headroom::in_subtree;
pub use quantities::{
    DEFAULT_MIN_ALLOCATABLE, MinAllocatable, Quantities, QuotaConfig, add, minus, quantities_of,
    subtract,
};
pub use sorter::Sorter;

use crate::resource_views as rv;
use mesos_lib::resources::Resources;
use mesos_lib::v1::resources::ValueType;

/// An agent as the allocator sees it.
#[derive(Clone, Debug)]
pub struct AgentView {
    /// Its ID.
    pub id: String,
    /// Everything it has, reservations included (the sorters' totals).
    pub total: Resources,
    /// What is neither used by tasks nor offered.
    pub available: Resources,
}

/// A framework in one of its roles (a client of that role's framework sorter).
#[derive(Clone, Debug)]
pub struct Client {
    /// The framework's ID.
    pub framework_id: String,
    /// The role it is offered resources in.
    pub role: String,
    /// What it holds in the role, used by tasks or offered.
    pub allocated: Resources,
    /// Connected, active and not suppressed in this role.
    pub active: bool,
    /// Its refuse filters in this role still in force: agent ID → resources refused.
    pub refused: HashMap<String, Resources>,
    /// Its own minimum offer in this role (`FrameworkInfo.offer_filters`), in place of
    /// the master's.
    pub min_allocatable: Option<MinAllocatable>,
}

/// Everything one allocation cycle reads.
#[derive(Clone, Debug, Default)]
pub struct Cluster {
    /// The agents to allocate, in the order to allocate them.
    pub agents: Vec<AgentView>,
    /// Every framework in every role it holds or wants resources in.
    pub clients: Vec<Client>,
    /// Role weights (a role left out weighs 1).
    pub weights: BTreeMap<String, f64>,
    /// Role quotas.
    pub quotas: BTreeMap<String, QuotaConfig>,
    /// `--min_allocatable_resources`.
    pub min_allocatable: MinAllocatable,
}

/// How many times each role and each framework in a role was chosen: the sorters' first
/// tie-breaker, kept from one cycle to the next (`Allocation::count`).
#[derive(Clone, Debug, Default)]
pub struct Counts {
    /// By role.
    pub roles: HashMap<String, u64>,
    /// By (role, framework ID).
    pub clients: HashMap<(String, String), u64>,
}

/// One offer to make: resources of `cluster.agents[agent]` to `cluster.clients[client]`.
#[derive(Clone, Debug)]
pub struct Grant {
    /// Index into [`Cluster::agents`].
    pub agent: usize,
    /// Index into [`Cluster::clients`].
    pub client: usize,
    /// What is offered.
    pub resources: Resources,
}

/// Runs one allocation cycle over `cluster`; `counts` are read and brought up to date.
pub fn allocate(cluster: &Cluster, counts: &mut Counts) -> Vec<Grant> {
    let mut cycle = Cycle::new(cluster, counts);
    if cycle.books.is_some() {
        cycle.stage(true);
    }
    cycle.stage(false);
    *counts = cycle.counts();
    cycle.grants
}

/// What one framework is offered of an agent.
enum Shaped {
    /// Nothing is left for the role: no other framework in it needs asking.
    NothingLeft,
    /// Nothing for this framework (filtered, below the minimum, no progress to a guarantee).
    NotForThis,
    /// Everything free on the agent.
    AllFree,
    /// Part of it.
    Part(Resources),
}

/// The state of one cycle: the sorters, what is left on each agent, the quota books.
struct Cycle<'a> {
    cluster: &'a Cluster,
    /// Resource name → position in the sorters' quantity vectors.
    names: BTreeMap<String, usize>,
    role_names: Vec<String>,
    roles: Sorter,
    /// Per role: its framework sorter and, per sorter client, the index into `clients`.
    frameworks: Vec<(Sorter, Vec<usize>)>,
    free: Vec<Resources>,
    books: Option<QuotaBooks>,
    grants: Vec<Grant>,
}

impl<'a> Cycle<'a> {
    fn new(cluster: &'a Cluster, counts: &Counts) -> Cycle<'a> {
        let mut totals = Quantities::new();
        for a in &cluster.agents {
            add(&mut totals, &quantities_of(&a.total));
        }
        let names: BTreeMap<String, usize> = totals
            .keys()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        let totals: Vec<f64> = totals.values().copied().collect();
        let mut by_role: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, c) in cluster.clients.iter().enumerate() {
            by_role.entry(c.role.as_str()).or_default().push(i);
        }
        let mut cycle = Cycle {
            cluster,
            names,
            role_names: Vec::new(),
            roles: Sorter::new(totals.clone()),
            frameworks: Vec::new(),
            free: cluster.agents.iter().map(|a| a.available.clone()).collect(),
            books: QuotaBooks::open(cluster),
            grants: Vec::new(),
        };
        for (role, members) in by_role {
            let r = cycle.roles.add(role, true, &cluster.weights);
            let mut sorter = Sorter::new(totals.clone());
            let mut held = vec![0.0; totals.len()];
            for &c in &members {
                let client = &cluster.clients[c];
                let q = cycle.vector(&client.allocated);
                let f = sorter.add(&client.framework_id, false, &BTreeMap::new());
                let key = (role.to_string(), client.framework_id.clone());
                sorter.allocated(f, &q, counts.clients.get(&key).copied().unwrap_or(0));
                sorter.set_active(f, client.active);
                for (h, x) in held.iter_mut().zip(&q) {
                    *h += x;
                }
            }
            let chosen = counts.roles.get(role).copied().unwrap_or(0);
            cycle.roles.allocated(r, &held, chosen);
            cycle.role_names.push(role.to_string());
            cycle.frameworks.push((sorter, members));
        }
        cycle
    }

    /// The scalar quantities of `r` in the sorters' order (names no agent has are left out).
    fn vector(&self, r: &Resources) -> Vec<f64> {
        let mut out = vec![0.0; self.names.len()];
        for x in r.iter().filter(|x| x.value_type == Some(ValueType::Scalar)) {
            if let Some(i) = self.names.get(&x.name) {
                out[*i] += x.scalar.as_ref().map_or(0.0, |s| s.value);
            }
        }
        out
    }

    /// One stage over every agent; `towards_guarantee` is the quota stage.
    fn stage(&mut self, towards_guarantee: bool) {
        for agent in 0..self.cluster.agents.len() {
            for r in self.roles.sort() {
                if self.free[agent].is_empty() {
                    break;
                }
                if towards_guarantee
                    && self
                        .books
                        .as_ref()
                        .is_none_or(|b| b.unmet(&self.role_names[r]).is_empty())
                {
                    continue;
                }
                self.offer_to_role(agent, r, towards_guarantee);
            }
        }
    }

    /// Offers what is free on `agent` to the frameworks of role `r`, in DRF order.
    fn offer_to_role(&mut self, agent: usize, r: usize, towards_guarantee: bool) {
        let order = self.frameworks[r].0.sort();
        for f in order {
            let role = &self.role_names[r];
            if towards_guarantee && self.books.as_ref().is_none_or(|b| b.unmet(role).is_empty()) {
                break;
            }
            let c = self.frameworks[r].1[f];
            let offer = match self.shape(agent, c, role, towards_guarantee) {
                Shaped::NothingLeft => break,
                Shaped::NotForThis => continue,
                Shaped::AllFree => std::mem::take(&mut self.free[agent]),
                Shaped::Part(offer) => {
                    self.free[agent].subtract_all(&offer);
                    offer
                }
            };
            if let Some(b) = self.books.as_mut() {
                b.record(&self.role_names[r], &offer, towards_guarantee);
            }
            let q = self.vector(&offer);
            self.roles.allocated(r, &q, 1);
            self.frameworks[r].0.allocated(f, &q, 1);
            self.grants.push(Grant {
                agent,
                client: c,
                resources: offer,
            });
        }
    }

    /// What of `agent`'s free resources client `c` in `role` is to be offered. Copies only
    /// when the offer is not all that is free (the common case at scale takes it whole).
    fn shape(&self, agent: usize, c: usize, role: &str, towards_guarantee: bool) -> Shaped {
        let cluster = self.cluster;
        let free = &self.free[agent];
        let whole = free.iter().all(|x| rv::allocatable_to(x, role));
        let filtered = (!whole).then(|| free.filter(|x| rv::allocatable_to(x, role)));
        let available = filtered.as_ref().unwrap_or(free);
        if available.is_empty() {
            return Shaped::NothingLeft;
        }
        let min = cluster.clients[c]
            .min_allocatable
            .as_ref()
            .unwrap_or(&cluster.min_allocatable);
        if !min.allows(available) {
            return Shaped::NotForThis;
        }
        let shaped = match self.books.as_ref() {
            Some(b) if towards_guarantee => match b.towards_guarantee(role, available) {
                Some(offer) => Some(offer),
                None => return Shaped::NotForThis,
            },
            Some(b) => b.beyond_guarantee(role, available),
            None => None,
        };
        let offer = shaped.as_ref().unwrap_or(available);
        let aid = &cluster.agents[agent].id;
        let refused = cluster.clients[c]
            .refused
            .get(aid)
            .is_some_and(|refused| refused.contains(offer));
        if refused || !min.allows(offer) {
            return Shaped::NotForThis;
        }
        match (shaped, filtered) {
            (Some(offer), _) | (None, Some(offer)) => Shaped::Part(offer),
            (None, None) => Shaped::AllFree,
        }
    }

    /// The tie-breaking counts after this cycle (roles and frameworks gone are forgotten).
    fn counts(&self) -> Counts {
        let mut out = Counts::default();
        for (r, role) in self.role_names.iter().enumerate() {
            out.roles.insert(role.clone(), self.roles.count(r));
            let (sorter, members) = &self.frameworks[r];
            for (f, c) in members.iter().enumerate() {
                let fid = self.cluster.clients[*c].framework_id.clone();
                out.clients.insert((role.clone(), fid), sorter.count(f));
            }
        }
        out
    }
}
