//! An operator call typed once it has passed the checks that give Mesos's texts (those run on
//! the normalised tree, in `operator_checks`): the tree becomes mesos-lib's `master::Call` as
//! stout converts it, and the handlers read nothing else. The sections mesos-lib's `Call`
//! carries untyped (volumes, maintenance, UPDATE_QUOTA) are typed beside it, in `Body`.

use serde_json::Value;

use super::quota::UpdateQuota;
use super::schedule_input::{parse_machines, parse_schedule};
use mesos_lib::v1::common::MachineId;
use mesos_lib::v1::maintenance::Schedule;
use mesos_lib::v1::master::volumes::{GrowVolume, ShrinkVolume, VolumesOnAgent};
use mesos_lib::v1::master::{Call, CallType};

/// An operator call that passed every check, typed.
#[derive(Debug)]
pub(crate) struct Typed {
    /// The call (the sections `Body` holds left out).
    pub call: Call,
    /// The call's own section when mesos-lib's `Call` keeps it untyped.
    pub body: Body,
}

/// The sections mesos-lib's `Call` keeps in its `extra`, typed.
#[derive(Debug)]
pub(crate) enum Body {
    /// The call's section, if any, is a field of `call`.
    None,
    /// CREATE_VOLUMES or DESTROY_VOLUMES.
    Volumes(VolumesOnAgent),
    /// GROW_VOLUME (boxed: two whole resources).
    GrowVolume(Box<GrowVolume>),
    /// SHRINK_VOLUME (boxed: a whole resource).
    ShrinkVolume(Box<ShrinkVolume>),
    /// UPDATE_MAINTENANCE_SCHEDULE's schedule.
    Schedule(Schedule),
    /// START_MAINTENANCE's or STOP_MAINTENANCE's machines.
    Machines(Vec<MachineId>),
    /// UPDATE_QUOTA, its maps in the order given.
    UpdateQuota(UpdateQuota),
}

/// The sections typed into `Body`: taken out of the call before the rest converts (another
/// call's is dropped, as mesos-lib's `Call` would keep it unread).
const BODY_SECTIONS: &[&str] = &[
    "create_volumes",
    "destroy_volumes",
    "grow_volume",
    "shrink_volume",
    "update_maintenance_schedule",
    "start_maintenance",
    "stop_maintenance",
    "update_quota",
];

/// The repeated fields of the typed sections (JSON pointers): stout takes a single value
/// there as the field's one element, where the derived reading wants an array.
const REPEATED: &[&str] = &[
    "/update_weights/weight_infos",
    "/set_quota/quota_request/guarantee",
    "/reserve_resources/source",
    "/reserve_resources/resources",
    "/unreserve_resources/resources",
    "/create_volumes/volumes",
    "/destroy_volumes/volumes",
    "/update_quota/quota_configs",
];

/// The validated call, typed. The error follows "Failed to convert JSON into Call protobuf: "
/// (stout's rules, serde's words; stout's texts for the maintenance input).
pub(crate) fn into_call(mut tree: Value) -> Result<Typed, String> {
    wrap_repeated(&mut tree);
    let Some(map) = tree.as_object_mut() else {
        return Err("Expecting a JSON object".into());
    };
    let own = map
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut section = Value::Null;
    for name in BODY_SECTIONS {
        if let Some(v) = map.remove(*name)
            && *name == own
        {
            section = v;
        }
    }
    let call: Call = serde_json::from_value(tree).map_err(|e| e.to_string())?;
    let body = body_of(&own, section)?;
    Ok(Typed { call, body })
}

/// The call's own section typed, if it is one of `BODY_SECTIONS` (`Null`: absent).
fn body_of(own: &str, mut section: Value) -> Result<Body, String> {
    fn typed<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, String> {
        serde_json::from_value(v).map_err(|e| e.to_string())
    }
    if section.is_null() {
        return Ok(Body::None);
    }
    let mut field = |name: &str| section.get_mut(name).map(Value::take);
    Ok(match own {
        "create_volumes" | "destroy_volumes" => Body::Volumes(typed(section)?),
        "grow_volume" => Body::GrowVolume(Box::new(typed(section)?)),
        "shrink_volume" => Body::ShrinkVolume(Box::new(typed(section)?)),
        "update_quota" => Body::UpdateQuota(typed(section)?),
        "update_maintenance_schedule" => {
            // Required, so present: the call's checks list it missing otherwise.
            let given = field("schedule").unwrap_or_default();
            let path = "update_maintenance_schedule.schedule.";
            Body::Schedule(parse_schedule(given, path)?)
        }
        "start_maintenance" | "stop_maintenance" => Body::Machines(match field("machines") {
            Some(v) => parse_machines(v, Some("machines"))?,
            None => Vec::new(),
        }),
        _ => Body::None,
    })
}

/// Whether the typed call holds the section its handler takes: what `decode_request`
/// guarantees, checked by the fuzzer and the tests, so the handlers' `section_missing`
/// answers are guards, not paths.
pub(crate) fn has_section(typed: &Typed) -> bool {
    use CallType as C;
    let call = &typed.call;
    match call.call_type {
        C::GetMetrics => call.get_metrics.is_some(),
        C::SetLoggingLevel => call.set_logging_level.is_some(),
        C::ListFiles => call.list_files.is_some(),
        C::ReadFile => call.read_file.is_some(),
        C::UpdateWeights => call.update_weights.is_some(),
        C::ReserveResources => call.reserve_resources.is_some(),
        C::UnreserveResources => call.unreserve_resources.is_some(),
        C::DrainAgent => call.drain_agent.is_some(),
        C::DeactivateAgent => call.deactivate_agent.is_some(),
        C::ReactivateAgent => call.reactivate_agent.is_some(),
        C::Teardown => call.teardown.is_some(),
        C::MarkAgentGone => call.mark_agent_gone.is_some(),
        C::SetQuota => call.set_quota.is_some(),
        C::RemoveQuota => call.remove_quota.is_some(),
        C::CreateVolumes | C::DestroyVolumes => matches!(typed.body, Body::Volumes(_)),
        C::GrowVolume => matches!(typed.body, Body::GrowVolume(_)),
        C::ShrinkVolume => matches!(typed.body, Body::ShrinkVolume(_)),
        C::UpdateMaintenanceSchedule => matches!(typed.body, Body::Schedule(_)),
        C::StartMaintenance | C::StopMaintenance => matches!(typed.body, Body::Machines(_)),
        C::UpdateQuota => matches!(typed.body, Body::UpdateQuota(_)),
        _ => true,
    }
}

/// A single value given for a repeated field becomes an array of it.
fn wrap_repeated(call: &mut Value) {
    for path in REPEATED {
        if let Some(v) = call.pointer_mut(path) {
            crate::json::repeated(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_and_booleans_as_strings_are_read_as_stout_reads_them() {
        let call = json!({"type": "DRAIN_AGENT", "drain_agent": {"agent_id": {"value": "a"},
            "mark_gone": "true", "max_grace_period": {"seconds": "2", "nanos": 5}}});
        let drain = into_call(call).unwrap().call.drain_agent.unwrap();
        assert!(drain.mark_gone);
        assert_eq!(drain.max_grace_period.unwrap().as_nanos(), 2_000_000_005);
        let call = json!({"type": "READ_FILE", "read_file": {"path": "/x", "offset": "7"}});
        assert_eq!(into_call(call).unwrap().call.read_file.unwrap().offset, 7);
    }

    #[test]
    fn a_duration_is_also_read_from_its_string_form() {
        let call = json!({"type": "DRAIN_AGENT", "drain_agent": {"agent_id": {"value": "a"},
            "max_grace_period": "1.5s"}});
        let drain = into_call(call).unwrap().call.drain_agent.unwrap();
        assert_eq!(drain.max_grace_period.unwrap().as_nanos(), 1_500_000_000);
        let call = json!({"type": "DRAIN_AGENT", "drain_agent": {"agent_id": {"value": "a"},
            "max_grace_period": "soon"}});
        assert_eq!(into_call(call).unwrap_err(), "Invalid duration 'soon'");
    }

    #[test]
    fn a_single_weight_info_is_the_one_element() {
        let call = json!({"type": "UPDATE_WEIGHTS",
            "update_weights": {"weight_infos": {"role": "web", "weight": "2.5"}}});
        let update = into_call(call).unwrap().call.update_weights.unwrap();
        assert_eq!(update.weight_infos[0].role, "web");
        assert_eq!(update.weight_infos[0].weight, 2.5);
    }

    #[test]
    fn a_single_guarantee_is_the_one_element() {
        let call = json!({"type": "SET_QUOTA", "set_quota": {"quota_request": {"role": "web",
            "force": "true", "guarantee": {"name": "cpus", "type": "SCALAR",
            "scalar": {"value": "2"}}}}});
        let req = into_call(call)
            .unwrap()
            .call
            .set_quota
            .unwrap()
            .quota_request;
        assert!(req.force);
        assert_eq!(req.guarantee[0].scalar.as_ref().unwrap().value, 2.0);
    }

    #[test]
    fn a_section_call_keeps_untyped_is_typed_beside_it_and_others_are_dropped() {
        let call = json!({"type": "CREATE_VOLUMES", "create_volumes": {"agent_id": {"value": "a"},
            "volumes": {"name": "disk", "type": "SCALAR", "scalar": {"value": "8"}}},
            "grow_volume": {"agent_id": {"value": "b"}}});
        let typed = into_call(call).unwrap();
        let Body::Volumes(body) = &typed.body else {
            panic!("typed as {:?}", typed.body);
        };
        assert_eq!(body.agent_id.value, "a");
        assert_eq!(body.volumes[0].scalar.as_ref().unwrap().value, 8.0);
        assert!(typed.call.extra.is_empty());
        assert!(has_section(&typed));
    }

    #[test]
    fn a_single_resource_to_reserve_is_the_one_element() {
        let call = json!({"type": "RESERVE_RESOURCES", "reserve_resources": {
            "agent_id": {"value": "a"}, "resources": {"name": "cpus", "type": "SCALAR",
            "scalar": {"value": 1}}}});
        let typed = into_call(call).unwrap();
        let reserve = typed.call.reserve_resources.as_ref().unwrap();
        assert_eq!(reserve.resources[0].name, "cpus");
        assert!(has_section(&typed));
    }

    #[test]
    fn update_quota_keeps_the_order_of_its_maps() {
        let call = json!({"type": "UPDATE_QUOTA", "update_quota": {"force": "true",
            "quota_configs": {"role": "web", "limits": {"mem": {"value": 8}, "cpus": {"value": "1"}}}}});
        let Body::UpdateQuota(update) = into_call(call).unwrap().body else {
            panic!("not typed as UPDATE_QUOTA");
        };
        assert!(update.force);
        let limits = &update.quota_configs[0].limits;
        assert_eq!(
            limits,
            &[("mem".to_string(), 8.0), ("cpus".to_string(), 1.0)]
        );
    }

    #[test]
    fn an_id_that_is_no_string_does_not_convert() {
        let call = json!({"type": "TEARDOWN", "teardown": {"framework_id": {"value": 7}}});
        assert!(into_call(call).is_err());
    }
}
