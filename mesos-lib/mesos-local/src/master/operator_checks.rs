//! Decoding and validating a master operator call (`master::Call`), with the texts of the
//! real master: what protobuf conversion finds missing, then what validation expects.

use axum::http::HeaderMap;
use axum::response::Response;
use std::collections::BTreeMap;

use serde_json::Value;

use super::quota::UpdateQuota;
use crate::call_checks::{missing_required, section};
use crate::http::{accepts_json, bad_request, check_content_type, not_acceptable};
use crate::json as j;
use mesos_lib::resources::Resources;
use mesos_lib::v1::master::CallType;

/// Fields protobuf requires inside each call's sub-message.
fn required(ty: &CallType) -> &'static [&'static str] {
    use CallType as C;
    match ty {
        C::SetLoggingLevel => &["level", "duration.nanoseconds"],
        C::ListFiles => &["path"],
        C::ReadFile => &["path", "offset"],
        C::UpdateWeights => &["weight_infos[].weight"],
        C::ReserveResources
        | C::UnreserveResources
        | C::CreateVolumes
        | C::DestroyVolumes
        | C::DrainAgent
        | C::DeactivateAgent
        | C::ReactivateAgent
        | C::MarkAgentGone => &["agent_id.value"],
        C::GrowVolume => &["volume", "addition"],
        C::ShrinkVolume => &["volume", "subtract"],
        C::UpdateMaintenanceSchedule => &["schedule.windows[].unavailability.start.nanoseconds"],
        C::UpdateQuota => &["quota_configs[].role"],
        C::SetQuota => &[
            "quota_request",
            "quota_request.guarantee[].name",
            "quota_request.guarantee[].type",
        ],
        C::RemoveQuota => &["role"],
        C::Teardown => &["framework_id.value"],
        _ => &[],
    }
}

/// Whether validation expects the call's sub-message (`Expecting 'x' to be present`).
fn needs_section(ty: &CallType) -> bool {
    use CallType as C;
    !matches!(
        ty,
        C::Unspecified
            | C::GetHealth
            | C::GetFlags
            | C::GetVersion
            | C::GetLoggingLevel
            | C::GetState
            | C::GetAgents
            | C::GetFrameworks
            | C::GetExecutors
            | C::GetOperations
            | C::GetTasks
            | C::GetRoles
            | C::GetWeights
            | C::GetMaster
            | C::Subscribe
            | C::GetMaintenanceStatus
            | C::GetMaintenanceSchedule
            | C::GetQuota
            | C::Unknown(_)
    )
}

/// Whether a call only reads the master's state (UNKNOWN included: it changes nothing).
pub(crate) fn reads_only(ty: &CallType) -> bool {
    use CallType as C;
    matches!(
        ty,
        C::Unspecified
            | C::GetHealth
            | C::GetFlags
            | C::GetVersion
            | C::GetMetrics
            | C::GetLoggingLevel
            | C::ListFiles
            | C::ReadFile
            | C::GetState
            | C::GetAgents
            | C::GetFrameworks
            | C::GetExecutors
            | C::GetOperations
            | C::GetTasks
            | C::GetRoles
            | C::GetWeights
            | C::GetMaster
            | C::Subscribe
            | C::GetMaintenanceStatus
            | C::GetMaintenanceSchedule
            | C::GetQuota
    )
}

/// Decodes an operator request's headers and body into a normalised call and its type,
/// answering 400/406/415 as the master does; touches no state, so the fuzzer can drive it
/// (`crate::fuzzing`).
pub(crate) fn decode_request(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Value, CallType), Box<Response>> {
    check_content_type(headers)?;
    let call = super::scheduler_api::parse_call(body)?;
    let ty = CallType::from_name(j::str_at(&call, "type").unwrap_or(""));
    if matches!(ty, CallType::Unknown(_)) {
        return Err(invalid("Expecting 'type' to be present"));
    }
    let mut missing = missing_required(&call, &section(ty.as_str()), required(&ty));
    // stout converts the whole call: another call's section short of a required field fails
    // the conversion too.
    for key in call.as_object().into_iter().flat_map(|m| m.keys()) {
        let other = CallType::from_name(&key.to_ascii_uppercase());
        if other != ty && key != "type" {
            missing.extend(missing_required(&call, key, required(&other)));
        }
    }
    if !missing.is_empty() {
        return Err(Box::new(bad_request(format!(
            "Failed to convert JSON into Call protobuf: Missing required fields: {}",
            missing.join(", ")
        ))));
    }
    let section = section(ty.as_str());
    if needs_section(&ty) && call.get(&section).is_none() {
        return Err(invalid(&format!("Expecting '{section}' to be present")));
    }
    if !accepts_json(headers) {
        return Err(Box::new(not_acceptable()));
    }
    Ok((call, ty))
}

fn invalid(why: &str) -> Box<Response> {
    Box::new(bad_request(format!(
        "Failed to validate master::Call: {why}"
    )))
}

/// UPDATE_QUOTA: no nested role, no negative quantity, guarantees within limits
/// (`Invalid QuotaConfig: …`).
pub(crate) fn check_quota(update: &UpdateQuota) -> Result<(), String> {
    for config in &update.quota_configs {
        let role = &config.role;
        if role.contains('/') {
            return Err(format!(
                "Updating quota on nested role '{role}' is not supported yet"
            ));
        }
        let (guarantees, limits) = (&config.guarantees, &config.limits);
        for (what, list) in [("guarantee", guarantees), ("limit", limits)] {
            if let Some((name, v)) = list.iter().find(|(_, v)| *v < 0.0) {
                return Err(format!(
                    "Invalid QuotaConfig: Invalid {what} configuration {{'{name}': {v}}}: Negative values not supported"
                ));
            }
        }
        let above = guarantees.iter().any(|(name, g)| {
            limits
                .iter()
                .find(|(l, _)| l == name)
                .is_some_and(|(_, l)| g > l)
        });
        if above {
            let show = |list: &[(String, f64)]| {
                let items: Vec<String> = list.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                format!("{{ {} }}", items.join(", "))
            };
            return Err(format!(
                "Invalid QuotaConfig: 'QuotaConfig.guarantees' {} is not contained within the 'QuotaConfig.limits' {}",
                show(guarantees),
                show(limits)
            ));
        }
    }
    Ok(())
}

/// The guarantees of every role, once updated (`by_role`), against what the agents have
/// (`QuotaHandler::overcommitCheck`): `Some((total, capacity))` as the master prints them
/// when they do not fit.
pub(crate) fn overcommit(
    by_role: &BTreeMap<String, BTreeMap<String, f64>>,
    capacity: &Resources,
) -> Option<(String, String)> {
    let mut total: BTreeMap<String, f64> = BTreeMap::new();
    for (name, v) in by_role.values().flatten() {
        *total.entry(name.clone()).or_default() += v;
    }
    total.retain(|_, v| *v > 0.0);
    let mut have: BTreeMap<String, f64> = BTreeMap::new();
    for r in capacity.iter() {
        if let Some(v) = r.scalar.as_ref().map(|s| s.value) {
            *have.entry(r.name.clone()).or_default() += v;
        }
    }
    have.retain(|_, v| *v > 0.0);
    let within = total
        .iter()
        .all(|(name, v)| have.get(name).is_some_and(|h| v <= h));
    if within {
        return None;
    }
    let show = |m: &BTreeMap<String, f64>| {
        m.iter()
            .map(|(k, v)| format!("{k}:{}", mesos_lib::resources::scalar::normalize(*v)))
            .collect::<Vec<_>>()
            .join("; ")
    };
    Some((show(&total), show(&have)))
}

/// UPDATE_QUOTA without `force`: `total quota guarantees '…' exceed cluster capacity '…'`.
pub(crate) fn check_quota_capacity(
    by_role: &BTreeMap<String, BTreeMap<String, f64>>,
    capacity: &Resources,
) -> Result<(), String> {
    match overcommit(by_role, capacity) {
        None => Ok(()),
        Some((total, have)) => Err(format!(
            "Invalid QuotaConfig: total quota guarantees '{total}' exceed cluster capacity '{have}' (use 'force' flag to bypass this check)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quota_texts_are_the_masters() {
        let typed = |v: Value| -> UpdateQuota { serde_json::from_value(v).unwrap() };
        let q = typed(json!({"quota_configs": [{"role": "web",
            "guarantees": {"cpus": {"value": 3}}, "limits": {"cpus": {"value": 1}}}]}));
        assert_eq!(
            check_quota(&q).unwrap_err(),
            "Invalid QuotaConfig: 'QuotaConfig.guarantees' { cpus: 3 } is not contained within the 'QuotaConfig.limits' { cpus: 1 }"
        );
        // The maps are listed in the order given, not by name.
        let q = typed(json!({"quota_configs": [{"role": "web",
            "guarantees": {"mem": {"value": "64"}, "cpus": {"value": 3}},
            "limits": {"mem": {"value": 128}, "cpus": {"value": 1}}}]}));
        assert_eq!(
            check_quota(&q).unwrap_err(),
            "Invalid QuotaConfig: 'QuotaConfig.guarantees' { mem: 64, cpus: 3 } is not contained within the 'QuotaConfig.limits' { mem: 128, cpus: 1 }"
        );
        let q = typed(json!({"quota_configs": [{"role": "web",
            "guarantees": {"cpus": {"value": -1}}}]}));
        assert_eq!(
            check_quota(&q).unwrap_err(),
            "Invalid QuotaConfig: Invalid guarantee configuration {'cpus': -1}: Negative values not supported"
        );
        let caps = Resources::from(vec![
            mesos_lib::v1::resources::Resource::scalar("cpus", 4.0),
            mesos_lib::v1::resources::Resource::scalar("mem", 46162.0),
        ]);
        let by_role = BTreeMap::from([(
            "web".to_string(),
            BTreeMap::from([("cpus".to_string(), 1000.0)]),
        )]);
        assert_eq!(
            check_quota_capacity(&by_role, &caps).unwrap_err(),
            "Invalid QuotaConfig: total quota guarantees 'cpus:1000' exceed cluster capacity 'cpus:4; mem:46162' (use 'force' flag to bypass this check)"
        );
    }
}
