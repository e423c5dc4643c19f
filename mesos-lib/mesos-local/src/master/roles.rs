//! The roles a master knows (frameworks', reservations', weights', quotas' and their ancestors) and
//! what each holds (`Master::knownRoles`,
//! `RoleResourceBreakdown`): GET_ROLES and `/master/roles`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::state::MasterState;
use super::weights::weight_of;
use crate::json as j;
use crate::resource_views as rv;
use mesos_lib::resources::Resources;
use mesos_lib::v1::resources::{Resource, ValueType};

/// What one role holds across the cluster.
#[derive(Default)]
pub(crate) struct RoleBreakdown {
    pub frameworks: Vec<String>,
    pub allocated: Resources,
    pub offered: Resources,
    pub reserved: Resources,
}

impl RoleBreakdown {
    /// Reservations plus unreserved allocations (`consumedQuota`).
    fn consumed(&self) -> Resources {
        let mut out = self.reserved.clone();
        out.add_all(&self.allocated.unreserved());
        out
    }

    /// Allocated plus offered (the deprecated `resources`).
    fn allocated_and_offered(&self) -> Resources {
        let mut out = self.allocated.clone();
        out.add_all(&self.offered);
        out
    }
}

/// The role `role` and its ancestors (`eng/web` → `eng`, `eng/web`).
fn with_ancestors(role: &str) -> impl Iterator<Item = String> + '_ {
    role.match_indices('/')
        .map(|(i, _)| role[..i].to_string())
        .chain(std::iter::once(role.to_string()))
}

/// Every known role (of a framework, a reservation, and their ancestors), in name order.
pub(crate) fn breakdown(st: &MasterState) -> BTreeMap<String, RoleBreakdown> {
    let mut roles: BTreeMap<String, RoleBreakdown> = BTreeMap::new();
    fn known(role: &str, roles: &mut BTreeMap<String, RoleBreakdown>) {
        for r in with_ancestors(role) {
            roles.entry(r).or_default();
        }
    }
    for fw in st.frameworks.values() {
        for role in fw.roles() {
            known(&role, &mut roles);
            roles
                .entry(role)
                .or_default()
                .frameworks
                .push(fw.id.clone());
        }
        for (role, held) in fw.allocated.iter() {
            known(role, &mut roles);
            roles
                .entry(role.clone())
                .or_default()
                .allocated
                .add_all(held);
        }
    }
    for o in st.offers.values() {
        roles
            .entry(o.role.clone())
            .or_default()
            .offered
            .add_all(&o.resources);
    }
    for a in st.agents.values() {
        for (role, reserved) in rv::by_reservation_role(&a.total) {
            known(&role, &mut roles);
            roles.entry(role).or_default().reserved.add_all(&reserved);
        }
    }
    for role in st.weights.keys().chain(st.quotas.keys()) {
        known(role, &mut roles);
    }
    roles
}

/// `{name: total}` of the scalar quantities of `r`, by name, zeros left out
/// (`ResourceQuantities` as JSON).
fn quantities(r: &Resources) -> Value {
    let mut m: BTreeMap<String, f64> = BTreeMap::new();
    for x in r.iter().filter(|x| x.value_type == Some(ValueType::Scalar)) {
        m.entry(x.name.clone())
            .or_insert_with(|| r.scalar(&x.name).unwrap_or(0.0));
    }
    let m: Map<String, Value> = m
        .into_iter()
        .filter(|(_, v)| *v > 0.0)
        .map(|(k, v)| (k, json!(v)))
        .collect();
    Value::Object(m)
}

/// GET_ROLES `roles`: name and weight, frameworks and resources when there are any.
pub(crate) fn roles_v1(st: &MasterState) -> Vec<Value> {
    breakdown(st)
        .into_iter()
        .map(|(name, b)| {
            let mut m = Map::new();
            m.insert("name".into(), json!(name));
            m.insert("weight".into(), json!(weight_of(st, &name)));
            if !b.frameworks.is_empty() {
                let ids: Vec<Value> = b.frameworks.iter().map(|f| j::id(f)).collect();
                m.insert("frameworks".into(), json!(ids));
            }
            let both = b.allocated_and_offered();
            let resources: Vec<Resource> = ["cpus", "mem", "disk", "gpus"]
                .iter()
                .filter_map(|n| both.scalar(n).filter(|v| *v > 0.0).map(|v| (n, v)))
                .map(|(n, v)| Resource::scalar(*n, v))
                .collect();
            if !resources.is_empty() {
                m.insert("resources".into(), json!(resources));
            }
            Value::Object(m)
        })
        .collect()
}

/// `/master/roles`.
pub(crate) fn roles_json(st: &MasterState) -> Value {
    let list: Vec<Value> = breakdown(st)
        .into_iter()
        .map(|(name, b)| {
            let (guarantee, limit) = super::quota::role_quota_json(st, &name);
            json!({"name": name, "weight": weight_of(st, &name),
                "quota": {"role": name, "guarantee": guarantee, "limit": limit, "consumed": quantities(&b.consumed())},
                "resources": quantities(&b.allocated_and_offered()),
                "allocated": quantities(&b.allocated),
                "offered": quantities(&b.offered),
                "reserved": quantities(&b.reserved),
                "frameworks": b.frameworks})
        })
        .collect();
    json!({"roles": list})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_brings_its_ancestors() {
        let all: Vec<String> = with_ancestors("eng/web/api").collect();
        assert_eq!(all, ["eng", "eng/web", "eng/web/api"]);
        assert_eq!(with_ancestors("web").collect::<Vec<_>>(), ["web"]);
    }
}
