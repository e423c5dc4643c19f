//! Checks a v1 operator call (master or agent) gets before it is carried out, with Mesos's
//! texts: required fields protobuf conversion finds missing, and the sub-message that
//! validation expects for the call's type.

use serde_json::Value;

/// Required fields missing below `section` of `call`, as protobuf lists them
/// (`reserve_resources.agent_id`). Each spec is a dotted path; `name[]` walks every item of
/// a repeated field; a missing field hides the fields below it.
pub(crate) fn missing_required(call: &Value, section: &str, specs: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let Some(body) = call.get(section) else {
        return out;
    };
    for spec in specs {
        let path: Vec<&str> = spec.split('.').collect();
        walk(body, section.to_string(), &path, &mut out);
    }
    out
}

fn walk(v: &Value, prefix: String, path: &[&str], out: &mut Vec<String>) {
    let Some((seg, rest)) = path.split_first() else {
        return;
    };
    if let Some(name) = seg.strip_suffix("[]") {
        let items = v.get(name).and_then(Value::as_array).map(Vec::as_slice);
        for (i, item) in items.unwrap_or_default().iter().enumerate() {
            walk(item, format!("{prefix}.{name}[{i}]"), rest, out);
        }
        return;
    }
    match v.get(*seg) {
        None => out.push(format!("{prefix}.{seg}")),
        Some(next) => walk(next, format!("{prefix}.{seg}"), rest, out),
    }
}

/// The JSON field holding a call's sub-message: its type in lower case.
pub(crate) fn section(call_type: &str) -> String {
    call_type.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_missing_required_fields_as_protobuf_does() {
        let call = json!({"type": "RESERVE_RESOURCES", "reserve_resources": {}});
        assert_eq!(
            missing_required(&call, "reserve_resources", &["agent_id.value"]),
            ["reserve_resources.agent_id"]
        );
        let call = json!({"update_weights": {"weight_infos": [{"role": "a"}, {"weight": 1}]}});
        assert_eq!(
            missing_required(&call, "update_weights", &["weight_infos[].weight"]),
            ["update_weights.weight_infos[0].weight"]
        );
        assert!(missing_required(&call, "absent", &["x"]).is_empty());
    }
}
