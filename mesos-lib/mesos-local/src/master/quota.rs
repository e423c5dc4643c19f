//! Role quota: UPDATE_QUOTA, GET_QUOTA and `/master/quota` (`Master::QuotaHandler`), and the
//! pre-1.9 SET_QUOTA / REMOVE_QUOTA converted to configs. The allocator reads the configs
//! through [`crate::allocator`].

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value, json};

use super::Master;
use super::operator_checks;
use super::state::MasterState;
use crate::allocator::in_subtree;
pub(crate) use crate::allocator::{Quantities, QuotaConfig, add, minus, quantities_of, subtract};
use crate::http::{bad_request, empty, json_ok, plain};
use crate::resource_views as rv;
use mesos_lib::resources::Resources;
use mesos_lib::v1::master::call::QuotaRequest;
use mesos_lib::v1::resources::Scalar;

/// UPDATE_QUOTA as it comes in. mesos-lib's `QuotaConfig` keeps its maps by name; the
/// master's texts list a config's maps in the order given, so the call is typed here.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct UpdateQuota {
    /// Skips the capacity and consumption checks.
    #[serde(default, deserialize_with = "mesos_lib::v1::lenient::bool")]
    pub force: bool,
    /// The configs, in the order given.
    #[serde(default)]
    pub quota_configs: Vec<GivenConfig>,
}

/// One `QuotaConfig` as given: its maps `{name: {"value": v}}` in their order.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct GivenConfig {
    /// The role.
    pub role: String,
    /// What the role is guaranteed.
    #[serde(default, deserialize_with = "in_order")]
    pub guarantees: Vec<(String, f64)>,
    /// What the role may never exceed.
    #[serde(default, deserialize_with = "in_order")]
    pub limits: Vec<(String, f64)>,
}

/// A QuotaConfig map, `{name: Value.Scalar}`, in the order given.
fn in_order<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, f64)>, D::Error> {
    struct InOrder;

    impl<'de> Visitor<'de> for InOrder {
        type Value = Vec<(String, f64)>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a map of resource names to scalars")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some((name, amount)) = map.next_entry::<String, Scalar>()? {
                out.push((name, amount.value));
            }
            Ok(out)
        }
    }

    d.deserialize_map(InOrder)
}

/// UPDATE_QUOTA's configs, role by role (the last config of a role wins).
fn parse_update(update: &UpdateQuota) -> Vec<(String, QuotaConfig)> {
    update
        .quota_configs
        .iter()
        .map(|c| {
            let config = QuotaConfig {
                guarantees: c.guarantees.iter().cloned().collect(),
                limits: c.limits.iter().cloned().collect(),
            };
            (c.role.clone(), config)
        })
        .collect()
}

/// SET_QUOTA's `quota_request` as a config: its guarantee is also its limit, as Mesos 1.9+
/// converts a legacy QuotaRequest.
fn parse_set(req: &QuotaRequest) -> (String, QuotaConfig) {
    let role = req.role.clone().unwrap_or_default();
    let mut guarantees = Quantities::new();
    for r in &req.guarantee {
        let value = r.scalar.as_ref().map_or(0.0, |s| s.value);
        *guarantees.entry(r.name.clone()).or_default() += value;
    }
    let config = QuotaConfig {
        limits: guarantees.clone(),
        guarantees,
    };
    (role, config)
}

/// `{name: {"value": v}}`, as QuotaConfig writes a map.
fn config_map(q: &Quantities) -> Value {
    let m: Map<String, Value> = q
        .iter()
        .map(|(k, v)| (k.clone(), json!({"value": v})))
        .collect();
    Value::Object(m)
}

/// The QuotaStatus: a legacy `infos` entry (guarantees as Resources) and a `configs` entry per
/// role with a quota set, even one set back to the default (the master keeps it listed).
pub(crate) fn status(st: &MasterState) -> Value {
    if st.quotas.is_empty() {
        return json!({});
    }
    let mut infos = Vec::new();
    let mut configs = Vec::new();
    for (role, q) in &st.quotas {
        let mut info = Map::new();
        info.insert("role".into(), json!(role));
        if !q.guarantees.is_empty() {
            let list: Vec<Value> = q
                .guarantees
                .iter()
                .map(|(n, v)| json!({"name": n, "type": "SCALAR", "scalar": {"value": v}}))
                .collect();
            info.insert("guarantee".into(), json!(list));
        }
        infos.push(Value::Object(info));
        let mut config = Map::new();
        config.insert("role".into(), json!(role));
        if !q.guarantees.is_empty() {
            config.insert("guarantees".into(), config_map(&q.guarantees));
        }
        if !q.limits.is_empty() {
            config.insert("limits".into(), config_map(&q.limits));
        }
        configs.push(Value::Object(config));
    }
    json!({"infos": infos, "configs": configs})
}

/// GET_QUOTA.
pub(crate) fn get_quota(st: &MasterState) -> Response {
    json_ok(&json!({"type": "GET_QUOTA", "get_quota": {"status": status(st)}}))
}

/// The guarantees set now, role by role (for the cluster-capacity check).
fn guarantees_set(st: &MasterState) -> BTreeMap<String, Quantities> {
    st.quotas
        .iter()
        .map(|(role, q)| (role.clone(), q.guarantees.clone()))
        .collect()
}

/// What the agents have in all.
fn capacity(st: &MasterState) -> Resources {
    let mut out = Resources::new();
    for e in st.agents.values() {
        out.add_all(&e.agent.resources);
    }
    out
}

impl Master {
    /// UPDATE_QUOTA: validated with the master's texts, then 200 once every config is kept;
    /// offers that break a new limit or hold what a new guarantee needs are rescinded.
    pub(crate) fn update_quota(&self, update: &UpdateQuota) -> Response {
        if let Err(e) = operator_checks::check_quota(update) {
            return bad_request(e);
        }
        let configs = parse_update(update);
        let mut st = self.lock();
        if !update.force {
            for (role, q) in &configs {
                let consumed = consumed_in_subtree(&st, role);
                if !within(&consumed, &q.limits) {
                    return bad_request(format!(
                        "Invalid QuotaConfig: Role '{role}' is already consuming '{}'; this is more than the requested limits '{}' (use 'force' flag to bypass this check)",
                        text(&consumed),
                        text(&q.limits)
                    ));
                }
            }
            let mut by_role = guarantees_set(&st);
            for (role, q) in &configs {
                by_role.insert(role.clone(), q.guarantees.clone());
            }
            if let Err(e) = operator_checks::check_quota_capacity(&by_role, &capacity(&st)) {
                return bad_request(e);
            }
        }
        self.apply_quota(&mut st, configs);
        empty(StatusCode::OK)
    }

    /// SET_QUOTA (pre-1.9): checked with its own texts, then kept as a config whose limits
    /// are its guarantees.
    pub(crate) fn set_quota(&self, req: &QuotaRequest) -> Response {
        let (role, config) = parse_set(req);
        let invalid =
            |why: String| bad_request(format!("Failed to validate set quota request: {why}"));
        if role.is_empty() {
            return invalid("QuotaInfo must specify a role".into());
        }
        if let Err(e) = super::reservations::check_role(&role) {
            return invalid(format!("QuotaInfo with invalid role: {e}"));
        }
        if config.guarantees.is_empty() {
            return invalid("QuotaInfo with empty 'guarantee'".into());
        }
        let mut st = self.lock();
        if st.quotas.contains_key(&role) {
            return invalid(format!(
                "Cannot set quota for role '{role}' which already has quota"
            ));
        }
        if role.contains('/') {
            return bad_request(format!(
                "Setting quota on nested role '{role}' is not supported yet"
            ));
        }
        if !req.force {
            let mut by_role = guarantees_set(&st);
            by_role.insert(role.clone(), config.guarantees.clone());
            if let Some((total, have)) = operator_checks::overcommit(&by_role, &capacity(&st)) {
                return plain(
                    StatusCode::CONFLICT,
                    format!(
                        "Quota guarantees overcommit the cluster (use 'force' to bypass this check): Total quota guarantees '{total}' exceed cluster capacity '{have}'"
                    ),
                );
            }
        }
        self.apply_quota(&mut st, vec![(role, config)]);
        empty(StatusCode::OK)
    }

    /// REMOVE_QUOTA (pre-1.9): the role's quota set back to the default.
    pub(crate) fn remove_quota(&self, role: &str) -> Response {
        let mut st = self.lock();
        if !st.quotas.contains_key(role) {
            return bad_request(format!(
                "Failed to remove quota: Role '{role}' has no quota set"
            ));
        }
        // The master forgets the role's entry; the registry keeps none for a default quota.
        st.quotas.remove(role);
        drop(st);
        empty(StatusCode::OK)
    }

    /// Keeps `configs` and rescinds offers as `QuotaHandler::_update` does (best effort).
    fn apply_quota(&self, st: &mut MasterState, configs: Vec<(String, QuotaConfig)>) {
        for (role, config) in configs {
            tracing::info!(role = %role, ?config, "updating quota");
            st.quotas.insert(role.clone(), config.clone());
            self.rescind_for_quota(st, &role, &config);
        }
    }

    /// Rescinds the role's offers until consumed plus offered is within its limits, then
    /// other roles' offers until what the role holds and what was rescinded covers its
    /// guarantees.
    fn rescind_for_quota(&self, st: &mut MasterState, role: &str, config: &QuotaConfig) {
        let in_subtree = |r: &str| in_subtree(r, role);
        let mut held = consumed_in_subtree(st, role);
        for o in st.offers.values().filter(|o| in_subtree(&o.role)) {
            add(&mut held, &quantities_of(&o.resources));
        }
        let offers: Vec<(String, bool, Quantities)> = st
            .offers
            .iter()
            .map(|(id, o)| (id.clone(), in_subtree(&o.role), quantities_of(&o.resources)))
            .collect();
        for (id, _, q) in offers.iter().filter(|(_, mine, _)| *mine) {
            if within(&held, &config.limits) {
                break;
            }
            subtract(&mut held, q);
            self.remove_offer(st, id, true);
        }
        for (id, _, q) in offers.iter().filter(|(_, mine, _)| !*mine) {
            if covers(&held, &config.guarantees) {
                break;
            }
            add(&mut held, q);
            self.remove_offer(st, id, true);
        }
    }
}

/// What `role` and the roles under it consume (`RoleResourceBreakdown::consumedQuota`):
/// their reservations, used or not, plus unreserved resources their tasks hold.
pub(crate) fn consumed_in_subtree(st: &MasterState, role: &str) -> Quantities {
    let mut out = Quantities::new();
    for a in st.agents.values() {
        for (r, reserved) in rv::by_reservation_role(&a.total) {
            if in_subtree(&r, role) {
                add(&mut out, &quantities_of(&reserved));
            }
        }
    }
    for fw in st.frameworks.values() {
        for (r, held) in fw.allocated.iter() {
            if in_subtree(r, role) {
                add(&mut out, &quantities_of(&held.unreserved()));
            }
        }
    }
    out
}

/// Whether `held` is within `limits` (a name without a limit is unlimited).
fn within(held: &Quantities, limits: &Quantities) -> bool {
    limits.iter().all(|(k, l)| {
        mesos_lib::resources::scalar::less_or_equal(held.get(k).copied().unwrap_or(0.0), *l)
    })
}

/// Quantities as the master prints them (`cpus:1; mem:128`).
fn text(q: &Quantities) -> String {
    q.iter()
        .map(|(k, v)| format!("{k}:{}", mesos_lib::resources::scalar::normalize(*v)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Whether `held` covers every quantity of `wanted`.
fn covers(held: &Quantities, wanted: &Quantities) -> bool {
    minus(wanted, held).is_empty()
}

/// `/master/roles` `quota`: the role's guarantee and limit as `{name: value}`.
pub(crate) fn role_quota_json(st: &MasterState, role: &str) -> (Value, Value) {
    let q = st.quotas.get(role).cloned().unwrap_or_default();
    let flat = |m: &Quantities| {
        let m: Map<String, Value> = m.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        Value::Object(m)
    };
    (flat(&q.guarantees), flat(&q.limits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_set_quota_limits_at_its_guarantee() {
        let req = json!({"role": "web", "guarantee": [
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": 2}}]});
        let (role, q) = parse_set(&serde_json::from_value(req).unwrap());
        assert_eq!(role, "web");
        assert_eq!(q.guarantees.get("cpus"), Some(&2.0));
        assert_eq!(q.limits, q.guarantees);
    }

    #[test]
    fn quantities_subtract_without_going_negative() {
        let a: Quantities = [("cpus".to_string(), 1.0), ("mem".to_string(), 64.0)].into();
        let b: Quantities = [("cpus".to_string(), 2.0)].into();
        assert_eq!(minus(&a, &b), [("mem".to_string(), 64.0)].into());
        assert!(within(&b, &[("cpus".to_string(), 2.0)].into()));
        assert!(!within(&b, &[("cpus".to_string(), 1.5)].into()));
        assert!(covers(&a, &[("mem".to_string(), 32.0)].into()));
    }
}
