//! An operator call typed once it has passed the checks that give Mesos's texts (those run on
//! the normalised tree, in `operator_checks`): the tree becomes mesos-lib's `master::Call` as
//! stout converts it, and the handlers of typed calls read nothing else. A few calls are still
//! read from the tree (`TREE_SECTIONS`): their handlers give texts of their own while reading
//! resources and quota maps, and the maintenance state is being typed elsewhere.

use serde_json::{Map, Value};

use mesos_lib::v1::master::{Call, CallType};

/// An operator call that passed every check, typed.
#[derive(Debug)]
pub(crate) struct Typed {
    /// The call (the sections in `TREE_SECTIONS` left out).
    pub call: Call,
    /// For a call whose section is in `TREE_SECTIONS`: `{"type", <section>}` as it came, for
    /// its handler to read; `Null` for the others.
    pub tree: Value,
}

/// The sections still read from the tree: reservations and volumes (`ReservationOp::parse`
/// reads resource trees with the master's texts), UPDATE_QUOTA (its texts list a config's
/// maps in the order given, which the typed, name-ordered maps lose) and maintenance (typed
/// with the maintenance state, elsewhere).
const TREE_SECTIONS: &[&str] = &[
    "reserve_resources",
    "unreserve_resources",
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
];

/// The validated call, typed. The error follows "Failed to convert JSON into Call protobuf: "
/// (stout's rules, serde's words).
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
    let mut kept = Map::new();
    for section in TREE_SECTIONS {
        if let Some(body) = map.remove(*section)
            && *section == own
        {
            kept.insert("type".into(), own.to_ascii_uppercase().into());
            kept.insert(own.clone(), body);
        }
    }
    let call: Call = serde_json::from_value(tree).map_err(|e| e.to_string())?;
    let tree = if kept.is_empty() {
        Value::Null
    } else {
        Value::Object(kept)
    };
    Ok(Typed { call, tree })
}

/// Whether the typed call holds the section its handler takes (a call read from the tree
/// holds it there instead): what `decode_request` guarantees, checked by the fuzzer and the
/// tests, so the handlers' `section_missing` answers are guards, not paths.
pub(crate) fn has_section(typed: &Typed) -> bool {
    use CallType as C;
    let call = &typed.call;
    match call.call_type {
        C::GetMetrics => call.get_metrics.is_some(),
        C::SetLoggingLevel => call.set_logging_level.is_some(),
        C::ListFiles => call.list_files.is_some(),
        C::ReadFile => call.read_file.is_some(),
        C::UpdateWeights => call.update_weights.is_some(),
        C::DrainAgent => call.drain_agent.is_some(),
        C::DeactivateAgent => call.deactivate_agent.is_some(),
        C::ReactivateAgent => call.reactivate_agent.is_some(),
        C::Teardown => call.teardown.is_some(),
        C::MarkAgentGone => call.mark_agent_gone.is_some(),
        C::SetQuota => call.set_quota.is_some(),
        C::RemoveQuota => call.remove_quota.is_some(),
        ref ty => {
            let section = ty.as_str().to_ascii_lowercase();
            !TREE_SECTIONS.contains(&section.as_str()) || typed.tree.get(&section).is_some()
        }
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
    fn a_tree_section_stays_a_tree_and_others_are_dropped() {
        let body = json!({"agent_id": {"value": "a"}, "resources": [{"name": "cpus"}]});
        let call = json!({"type": "RESERVE_RESOURCES", "reserve_resources": body,
            "unreserve_resources": {"agent_id": {"value": "b"}}});
        let typed = into_call(call).unwrap();
        assert!(typed.call.reserve_resources.is_none());
        assert!(typed.call.unreserve_resources.is_none());
        assert_eq!(
            typed.tree,
            json!({"type": "RESERVE_RESOURCES", "reserve_resources": body})
        );
        assert!(has_section(&typed));
    }

    #[test]
    fn an_id_that_is_no_string_does_not_convert() {
        let call = json!({"type": "TEARDOWN", "teardown": {"framework_id": {"value": 7}}});
        assert!(into_call(call).is_err());
    }
}
