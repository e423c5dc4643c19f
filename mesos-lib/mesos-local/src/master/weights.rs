//! Role weights: the `--weights` flag, UPDATE_WEIGHTS and GET_WEIGHTS (`WeightsHandler`),
//! and `/master/weights`. The allocator divides a role's share by its weight.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::Master;
use super::reservations::check_role;
use super::state::MasterState;
use crate::http::{bad_request, empty, json_ok};
use mesos_lib::v1::master::sharing::UpdateWeights;

/// The weight of a role nobody set one for (`DEFAULT_WEIGHT`).
pub(crate) const DEFAULT_WEIGHT: f64 = 1.0;

/// `--weights role=weight,role=weight`, refused with the master's start-up texts.
pub(crate) fn parse_flag(flag: &str) -> Result<BTreeMap<String, f64>, String> {
    let mut out = BTreeMap::new();
    for token in flag.split(',').filter(|t| !t.is_empty()) {
        let pair: Vec<&str> = token.split('=').filter(|p| !p.is_empty()).collect();
        let [role, weight] = pair.as_slice() else {
            return Err(format!(
                "Invalid weight: '{token}'. --weights should be of the form 'role=weight,role=weight'"
            ));
        };
        if check_role(role).is_err() {
            return Err(format!(
                "Invalid weight: '{token}'. {role} is not a valid role"
            ));
        }
        // atof: what is not a number is 0, so not positive.
        let weight: f64 = weight.trim().parse().unwrap_or(0.0);
        if weight.is_nan() || weight <= 0.0 {
            return Err(format!(
                "Invalid weight: '{token}'. Weights must be positive"
            ));
        }
        out.insert(role.to_string(), weight);
    }
    Ok(out)
}

/// UPDATE_WEIGHTS's weight infos, checked as `_updateWeights` does (role, then weight).
pub(crate) fn parse_update(update: &UpdateWeights) -> Result<Vec<(String, f64)>, String> {
    let mut out = Vec::new();
    for info in &update.weight_infos {
        let role = info.role.trim().to_string();
        if let Err(e) = check_role(&role) {
            return Err(format!(
                "Failed to validate update weights request JSON: Invalid role '{role}': {e}"
            ));
        }
        let weight = info.weight;
        if weight <= 0.0 || weight.is_nan() {
            return Err(format!(
                "Failed to validate update weights request JSON for role '{role}': Invalid weight '{weight}': Weights must be positive"
            ));
        }
        out.push((role, weight));
    }
    Ok(out)
}

/// The weight of `role`.
pub(crate) fn weight_of(st: &MasterState, role: &str) -> f64 {
    st.weights.get(role).copied().unwrap_or(DEFAULT_WEIGHT)
}

impl Master {
    /// UPDATE_WEIGHTS: 200 once set; if a framework is in an updated role, every outstanding
    /// offer is rescinded so the next allocation follows the new weights.
    pub(crate) fn update_weights(&self, update: &UpdateWeights) -> Response {
        let infos = match parse_update(update) {
            Ok(infos) => infos,
            Err(e) => return bad_request(e),
        };
        let mut st = self.lock();
        let active: Vec<String> = st.frameworks.values().flat_map(|f| f.roles()).collect();
        let rescind = infos.iter().any(|(role, _)| active.contains(role));
        for (role, weight) in infos {
            tracing::info!(role = %role, weight, "updating weight");
            st.weights.insert(role, weight);
        }
        if rescind {
            let ids: Vec<String> = st.offers.keys().cloned().collect();
            for id in ids {
                self.remove_offer(&mut st, &id, true);
            }
        }
        empty(StatusCode::OK)
    }
}

/// GET_WEIGHTS: the bare type with none set, else every weight set (`weight` first).
pub(crate) fn get_weights(st: &MasterState) -> Response {
    if st.weights.is_empty() {
        return json_ok(&json!({"type": "GET_WEIGHTS"}));
    }
    let infos: Vec<Value> = st
        .weights
        .iter()
        .map(|(role, w)| json!({"weight": w, "role": role}))
        .collect();
    super::operator_api::answer_with("GET_WEIGHTS", &json!({"weight_infos": infos}))
}

/// `/master/weights`: `[{"role", "weight"}]`.
pub(crate) fn weights_json(st: &MasterState) -> Value {
    let list: Vec<Value> = st
        .weights
        .iter()
        .map(|(role, w)| json!({"role": role, "weight": w}))
        .collect();
    Value::Array(list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesos_lib::v1::master::sharing::WeightInfo;

    #[test]
    fn the_flag_reads_as_the_master_reads_it() {
        let w = parse_flag("web=3,eng/api=0.5").unwrap();
        assert_eq!(w.get("web"), Some(&3.0));
        assert_eq!(w.get("eng/api"), Some(&0.5));
        assert_eq!(
            parse_flag("web").unwrap_err(),
            "Invalid weight: 'web'. --weights should be of the form 'role=weight,role=weight'"
        );
        assert_eq!(
            parse_flag("web=-1").unwrap_err(),
            "Invalid weight: 'web=-1'. Weights must be positive"
        );
        assert_eq!(
            parse_flag("/web=1").unwrap_err(),
            "Invalid weight: '/web=1'. /web is not a valid role"
        );
    }

    #[test]
    fn update_texts_are_the_masters() {
        let call = |role: &str, weight: f64| UpdateWeights {
            weight_infos: vec![WeightInfo {
                role: role.into(),
                weight,
                extra: Default::default(),
            }],
            extra: Default::default(),
        };
        assert_eq!(
            parse_update(&call("web", -1.0)).unwrap_err(),
            "Failed to validate update weights request JSON for role 'web': Invalid weight '-1': Weights must be positive"
        );
        assert_eq!(
            parse_update(&call("a//b", 1.0)).unwrap_err(),
            "Failed to validate update weights request JSON: Invalid role 'a//b': Role 'a//b' cannot contain two adjacent slashes"
        );
        assert_eq!(
            parse_update(&call(" web ", 2.5)).unwrap(),
            [("web".to_string(), 2.5)]
        );
    }
}
