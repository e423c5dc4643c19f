//! A scheduler call typed once it has passed the checks that give Mesos's texts (those run on
//! the normalised tree, in `scheduler_api`): the tree becomes mesos-lib's `scheduler::Call`
//! whole, as stout converts it, and no handler reads the tree again. Where the derived reading
//! is stricter than stout, the tree is first brought to what stout would have read: a single
//! value given for a repeated field, and `bytes` in stout's lenient base64.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::framework_checks;
use mesos_lib::v1::scheduler::call::{Subscribe, UpdateFramework};
use mesos_lib::v1::scheduler::{Call, CallType};
use mesos_lib::v1::{Extra, FrameworkInfo};

/// A scheduler call that passed every check, typed.
pub(crate) struct Typed {
    /// The call (ACCEPT's `operations` left out: they are `accept_operations`).
    pub call: Call,
    /// ACCEPT's operations, still JSON: `take_operations` types them, moving their TaskInfos
    /// out without a copy, and gives their conversion errors (`Null` for other calls).
    pub accept_operations: Value,
}

/// The repeated fields of the call's sections: stout takes a single value there as the
/// field's one element, where the derived reading wants an array.
const REPEATED: &[(&str, &str)] = &[
    ("accept", "offer_ids"),
    ("decline", "offer_ids"),
    ("accept_inverse_offers", "inverse_offer_ids"),
    ("decline_inverse_offers", "inverse_offer_ids"),
    ("revive", "roles"),
    ("suppress", "roles"),
    ("reconcile", "tasks"),
    ("reconcile_operations", "operations"),
    ("request", "requests"),
    ("subscribe", "suppressed_roles"),
    ("update_framework", "suppressed_roles"),
];

/// ACCEPT's lists made arrays before the checks walk them: its offer IDs, its operations,
/// and the TaskInfos of each LAUNCH and LAUNCH_GROUP. stout takes a single value for a repeated
/// field, so a single operation given as an object is one operation, carried out, not none.
pub(crate) fn wrap_accept_lists(call: &mut Value) {
    let Some(accept) = call.get_mut("accept") else {
        return;
    };
    for field in ["offer_ids", "operations"] {
        if let Some(v) = accept.get_mut(field) {
            crate::json::repeated(v);
        }
    }
    if let Some(Value::Array(ops)) = accept.get_mut("operations") {
        for op in ops {
            for path in ["/launch/task_infos", "/launch_group/task_group/tasks"] {
                if let Some(v) = op.pointer_mut(path) {
                    crate::json::repeated(v);
                }
            }
        }
    }
}

/// The `bytes` fields of the call's sections that may come in stout's lenient base64
/// (ACCEPT's are its TaskInfos', read with them; the status uuids of ACKNOWLEDGE and
/// ACKNOWLEDGE_OPERATION_STATUS were checked as standard base64 by validation already).
const BYTES: &[(&str, &str)] = &[("message", "data")];

/// The FrameworkInfo of a SUBSCRIBE or UPDATE_FRAMEWORK, taken out of the call and typed as
/// it comes in (stout converts the whole call before it is validated, and the derived reading
/// lacks its lenient scalars); `None` for other calls. The error follows "Failed to convert
/// JSON into Call protobuf: ".
pub(crate) fn framework_info_of(
    call: &mut Value,
    ty: &CallType,
) -> Result<Option<FrameworkInfo>, String> {
    let section = match ty {
        CallType::Subscribe => "subscribe",
        CallType::UpdateFramework => "update_framework",
        _ => return Ok(None),
    };
    let info = call
        .get_mut(section)
        .and_then(Value::as_object_mut)
        .and_then(|s| s.remove("framework_info"));
    info.map(framework_checks::parse).transpose()
}

/// The validated call, typed; `info` is what `framework_info_of` took out of it. The error
/// follows "Failed to convert JSON into Call protobuf: " (stout's text where stout's rules are
/// followed here, serde's for the rest).
pub(crate) fn into_call(mut tree: Value, info: Option<FrameworkInfo>) -> Result<Typed, String> {
    let Some(map) = tree.as_object_mut() else {
        return Err("Expecting a JSON object".into());
    };
    let accept_operations = match map.get("type").and_then(Value::as_str) {
        Some("ACCEPT") => map
            .get_mut("accept")
            .and_then(Value::as_object_mut)
            .and_then(|a| a.remove("operations"))
            .unwrap_or_default(),
        _ => Value::Null,
    };
    wrap_repeated(map);
    canonical_bytes(map)?;
    let subscribe = map.remove("subscribe");
    let update = map.remove("update_framework");
    let mut call: Call = serde_json::from_value(tree).map_err(|e| e.to_string())?;
    let mut info = info;
    if let Some(body) = subscribe {
        let (framework_info, rest) = info_section(body, &mut info)?;
        call.subscribe = Some(Subscribe {
            framework_info,
            suppressed_roles: rest.suppressed_roles,
            extra: rest.extra,
        });
    }
    if let Some(body) = update {
        let (framework_info, rest) = info_section(body, &mut info)?;
        call.update_framework = Some(UpdateFramework {
            framework_info,
            suppressed_roles: rest.suppressed_roles,
            extra: rest.extra,
        });
    }
    Ok(Typed {
        call,
        accept_operations,
    })
}

/// What SUBSCRIBE and UPDATE_FRAMEWORK carry beside their FrameworkInfo.
#[derive(Deserialize)]
struct InfoRest {
    #[serde(default)]
    suppressed_roles: Vec<String>,
    #[serde(flatten)]
    extra: Extra,
}

/// A SUBSCRIBE or UPDATE_FRAMEWORK body: the FrameworkInfo `framework_info_of` took out of
/// it, or (the other of the two, which a call may carry too) the one it holds, read the same
/// way.
fn info_section(
    mut body: Value,
    taken: &mut Option<FrameworkInfo>,
) -> Result<(FrameworkInfo, InfoRest), String> {
    let held = body
        .as_object_mut()
        .and_then(|b| b.remove("framework_info"));
    let info = match held {
        Some(v) => framework_checks::parse(v)?,
        None => taken
            .take()
            .ok_or_else(|| "missing field `framework_info`".to_string())?,
    };
    let rest = serde_json::from_value(body).map_err(|e| e.to_string())?;
    Ok((info, rest))
}

/// A single value given for a repeated field becomes an array of it.
fn wrap_repeated(call: &mut Map<String, Value>) {
    for (section, field) in REPEATED {
        if let Some(v) = call.get_mut(*section).and_then(|s| s.get_mut(*field)) {
            crate::json::repeated(v);
        }
    }
}

/// Each `bytes` field read as stout reads base64, and written back as the padded standard
/// base64 that `Bytes` reads; the error is stout's.
fn canonical_bytes(call: &mut Map<String, Value>) -> Result<(), String> {
    for (section, field) in BYTES {
        let Some(Value::String(text)) = call.get_mut(*section).and_then(|s| s.get_mut(*field))
        else {
            continue;
        };
        crate::json::canonical_base64(text, field)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fid() -> Value {
        json!({"value": "f"})
    }

    #[test]
    fn a_message_with_data_stout_reads_is_typed_canonical() {
        let call = json!({"type": "MESSAGE", "framework_id": fid(), "message": {
            "agent_id": {"value": "a"}, "executor_id": {"value": "e"}, "data": "aGVsbG8"}});
        let typed = into_call(call, None).unwrap().call;
        assert_eq!(typed.message.unwrap().data.as_slice(), b"hello");
    }

    #[test]
    fn data_that_is_not_base64_does_not_convert() {
        let call = json!({"type": "MESSAGE", "framework_id": fid(), "message": {
            "agent_id": {"value": "a"}, "executor_id": {"value": "e"}, "data": "bm90!"}});
        assert_eq!(
            into_call(call, None).err().unwrap(),
            "Failed to base64 decode bytes field 'data': Invalid character '!'"
        );
    }

    #[test]
    fn a_single_value_of_a_repeated_field_is_its_one_element() {
        let call = json!({"type": "DECLINE", "framework_id": fid(),
            "decline": {"offer_ids": {"value": "o"}, "filters": {"refuse_seconds": "0"}}});
        let decline = into_call(call, None).unwrap().call.decline.unwrap();
        assert_eq!(decline.offer_ids[0].value, "o");
        assert_eq!(decline.filters.unwrap().refuse_seconds, Some(0.0));
    }

    #[test]
    fn a_refuse_seconds_that_is_no_number_does_not_convert() {
        let call = json!({"type": "DECLINE", "framework_id": fid(),
            "decline": {"filters": {"refuse_seconds": "soon"}}});
        assert!(into_call(call, None).is_err());
    }

    #[test]
    fn accept_keeps_its_operations_as_json() {
        let ops = json!([{"type": "LAUNCH"}]);
        let call = json!({"type": "ACCEPT", "framework_id": fid(), "accept": {
            "offer_ids": {"value": "o"}, "operations": ops, "filters": {"refuse_seconds": "1"}}});
        let typed = into_call(call, None).unwrap();
        assert_eq!(typed.accept_operations, ops);
        let accept = typed.call.accept.unwrap();
        assert_eq!(accept.offer_ids[0].value, "o");
        assert!(accept.operations.is_empty());
        assert_eq!(accept.filters.unwrap().refuse_seconds, Some(1.0));
    }

    #[test]
    fn the_framework_info_taken_out_goes_back_typed() {
        let mut call = json!({"type": "SUBSCRIBE", "subscribe": {
            "framework_info": {"user": "u", "name": "n", "failover_timeout": "Infinity"},
            "suppressed_roles": "*"}});
        let info = framework_info_of(&mut call, &CallType::Subscribe).unwrap();
        let sub = into_call(call, info).unwrap().call.subscribe.unwrap();
        assert_eq!(sub.framework_info.failover_timeout, Some(f64::INFINITY));
        assert_eq!(sub.suppressed_roles, ["*"]);
    }
}
