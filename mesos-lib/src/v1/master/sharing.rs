//! Sharing a cluster through the operator API: role weights (GET_WEIGHTS, UPDATE_WEIGHTS) and
//! quota (GET_QUOTA, UPDATE_QUOTA), typed. UPDATE_WEIGHTS has its field in [`Call`]; the
//! other bodies travel in [`Call::extra`] and [`Response::extra`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::call::{Call, CallType};
use super::response::Response;
use crate::v1::Extra;
use crate::v1::resources::Resource;

/// `WeightInfo`: a role's weight.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct WeightInfo {
    /// The role.
    #[serde(default)]
    pub role: String,
    /// Its weight (positive; also read from a string, as Mesos reads it).
    #[serde(deserialize_with = "crate::v1::lenient::f64")]
    pub weight: f64,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.UpdateWeights`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UpdateWeights {
    /// The weights to set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weight_infos: Vec<WeightInfo>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Response.GetWeights`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GetWeights {
    /// The weights set (none: Mesos omits the whole body).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weight_infos: Vec<WeightInfo>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Value.Scalar` as a quota map holds it: `{"value": 1.0}`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Quantity {
    /// The amount.
    pub value: f64,
}

/// `QuotaConfig` (Mesos 1.9 and later): guarantees and limits of a role, by resource name.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct QuotaConfig {
    /// The role.
    pub role: String,
    /// What the role is guaranteed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub guarantees: BTreeMap<String, Quantity>,
    /// What the role may never exceed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: BTreeMap<String, Quantity>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `QuotaInfo`: the pre-1.9 form, a guarantee as a resource list.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct QuotaInfo {
    /// The role.
    pub role: String,
    /// Its guarantee.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guarantee: Vec<Resource>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `QuotaStatus`: every quota set, in both forms.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct QuotaStatus {
    /// Pre-1.9 form.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub infos: Vec<QuotaInfo>,
    /// Guarantees and limits.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub configs: Vec<QuotaConfig>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Response.GetQuota`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GetQuota {
    /// The quota status.
    #[serde(default)]
    pub status: QuotaStatus,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

fn body(value: impl Serialize) -> serde_json::Value {
    // Plain structs of strings and numbers always serialize.
    serde_json::to_value(value).unwrap_or_default()
}

impl Call {
    /// GET_WEIGHTS.
    pub fn get_weights() -> Self {
        Self::new(CallType::GetWeights)
    }

    /// UPDATE_WEIGHTS of some roles.
    pub fn update_weights(weight_infos: Vec<WeightInfo>) -> Self {
        Self {
            update_weights: Some(UpdateWeights {
                weight_infos,
                extra: Extra::new(),
            }),
            ..Self::new(CallType::UpdateWeights)
        }
    }

    /// GET_QUOTA.
    pub fn get_quota() -> Self {
        Self::new(CallType::GetQuota)
    }

    /// UPDATE_QUOTA; `force` skips the master's capacity and consumption checks.
    pub fn update_quota(quota_configs: Vec<QuotaConfig>, force: bool) -> Self {
        let mut call = Self::new(CallType::UpdateQuota);
        let mut update = serde_json::json!({ "quota_configs": body(quota_configs) });
        if force {
            update["force"] = true.into();
        }
        call.extra.insert("update_quota".into(), update);
        call
    }
}

impl Response {
    /// The GET_WEIGHTS body (empty when the master sent none: no weights set).
    pub fn get_weights(&self) -> Result<GetWeights, serde_json::Error> {
        self.body_of("get_weights")
    }

    /// The GET_QUOTA body.
    pub fn get_quota(&self) -> Result<GetQuota, serde_json::Error> {
        self.body_of("get_quota")
    }

    fn body_of<T: for<'de> Deserialize<'de> + Default>(
        &self,
        field: &str,
    ) -> Result<T, serde_json::Error> {
        match self.extra.get(field) {
            Some(v) => serde_json::from_value(v.clone()),
            None => Ok(T::default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_written_as_mesos_reads_them() {
        let call = Call::update_weights(vec![WeightInfo {
            role: "web".into(),
            weight: 2.5,
            extra: Extra::new(),
        }]);
        assert_eq!(
            serde_json::to_value(&call).unwrap(),
            serde_json::json!({"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[{"role":"web","weight":2.5}]}})
        );
        let config = QuotaConfig {
            role: "web".into(),
            guarantees: [("cpus".to_owned(), Quantity { value: 1.0 })].into(),
            limits: [("cpus".to_owned(), Quantity { value: 2.0 })].into(),
            extra: Extra::new(),
        };
        assert_eq!(
            serde_json::to_value(Call::update_quota(vec![config], false)).unwrap(),
            serde_json::json!({"type":"UPDATE_QUOTA","update_quota":{"quota_configs":[
                {"role":"web","guarantees":{"cpus":{"value":1.0}},"limits":{"cpus":{"value":2.0}}}]}})
        );
    }

    #[test]
    fn answers_read_as_a_real_master_writes_them() {
        // Transcript 31, byte for byte.
        let none: Response = serde_json::from_str(r#"{"type":"GET_WEIGHTS"}"#).unwrap();
        assert!(none.get_weights().unwrap().weight_infos.is_empty());
        let w: Response = serde_json::from_str(
            r#"{"type":"GET_WEIGHTS","get_weights":{"weight_infos":[{"weight":2.5,"role":"web"}]}}"#,
        )
        .unwrap();
        assert_eq!(w.get_weights().unwrap().weight_infos[0].weight, 2.5);
        let q: Response = serde_json::from_str(
            r#"{"type":"GET_QUOTA","get_quota":{"status":{"infos":[{"role":"web","guarantee":[{"name":"cpus","type":"SCALAR","scalar":{"value":1.0}}]}],"configs":[{"role":"web","guarantees":{"cpus":{"value":1.0},"mem":{"value":128.0}},"limits":{"mem":{"value":256.0},"cpus":{"value":2.0}}},{"role":"db"}]}}}"#,
        )
        .unwrap();
        let status = q.get_quota().unwrap().status;
        assert_eq!(status.configs[0].limits["mem"].value, 256.0);
        assert!(status.configs[1].guarantees.is_empty());
    }
}
