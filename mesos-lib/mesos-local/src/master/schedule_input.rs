//! A maintenance schedule and a list of machines as they come in (UPDATE_MAINTENANCE_SCHEDULE,
//! START/STOP_MAINTENANCE and their legacy endpoints), typed once as stout's
//! `protobuf::parse` reads them: fields
//! visited in name order, a single value taken for a repeated field, an int64 given as a
//! string read as a number and a double truncated, unknown fields dropped, then the required
//! fields missing listed. The errors are stout's texts.

use serde_json::{Map, Value};

use crate::json::kind;
use mesos_lib::v1::common::MachineId;
use mesos_lib::v1::maintenance::Schedule;

/// The schedule in `v`; `path` is where it sits, as protobuf names missing fields
/// (`update_maintenance_schedule.schedule.` in an operator call, empty for the endpoint).
pub(crate) fn parse_schedule(v: &Value, path: &str) -> Result<Schedule, String> {
    let Value::Object(given) = v else {
        return Err(format!(
            "Not expecting a JSON {} for field 'schedule'",
            kind(v)
        ));
    };
    let mut out = Map::new();
    if let Some(windows) = given.get("windows") {
        let mut list = Vec::new();
        for w in repeated(windows) {
            list.push(Value::Object(window(w)?));
        }
        out.insert("windows".into(), Value::Array(list));
    }
    let missing = missing_fields(&out, path);
    if !missing.is_empty() {
        return Err(format!("Missing required fields: {}", missing.join(", ")));
    }
    serde_json::from_value(Value::Object(out)).map_err(|e| e.to_string())
}

/// The machines of START/STOP_MAINTENANCE: the call's repeated `field` (`machines`), or the
/// JSON array a legacy endpoint takes (`None`), whose items stout wants to be objects.
pub(crate) fn parse_machines(v: &Value, field: Option<&str>) -> Result<Vec<MachineId>, String> {
    let mut ids = Vec::new();
    for item in repeated(v) {
        let id = match field {
            Some(field) => machine_id(item, field)?,
            None if item.is_object() => machine_id(item, "")?,
            None => return Err("Expecting a JSON object".into()),
        };
        ids.push(serde_json::from_value(Value::Object(id)).map_err(|e| e.to_string())?);
    }
    Ok(ids)
}

/// A repeated field's values: an array's items, or a single value as the one item.
fn repeated(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    }
}

/// A message field's object, or stout's text for what it is instead.
fn message<'a>(v: &'a Value, field: &str) -> Result<&'a Map<String, Value>, String> {
    v.as_object()
        .ok_or_else(|| format!("Not expecting a JSON {} for field '{field}'", kind(v)))
}

/// A `Window`: `machine_ids` then `unavailability`, the order of their names.
fn window(v: &Value) -> Result<Map<String, Value>, String> {
    let given = message(v, "windows")?;
    let mut out = Map::new();
    if let Some(ids) = given.get("machine_ids") {
        let mut list = Vec::new();
        for id in repeated(ids) {
            list.push(Value::Object(machine_id(id, "machine_ids")?));
        }
        out.insert("machine_ids".into(), Value::Array(list));
    }
    if let Some(u) = given.get("unavailability") {
        let given = message(u, "unavailability")?;
        let mut una = Map::new();
        for field in ["duration", "start"] {
            if let Some(t) = given.get(field) {
                una.insert(field.into(), Value::Object(nanoseconds(t, field)?));
            }
        }
        out.insert("unavailability".into(), Value::Object(una));
    }
    Ok(out)
}

/// A `MachineID` (the message in `field`): `hostname` and `ip`, strings.
fn machine_id(v: &Value, field: &str) -> Result<Map<String, Value>, String> {
    let given = message(v, field)?;
    let mut out = Map::new();
    for field in ["hostname", "ip"] {
        match given.get(field) {
            None => {}
            Some(s @ Value::String(_)) => {
                out.insert(field.into(), s.clone());
            }
            Some(other) => {
                return Err(format!(
                    "Not expecting a JSON {} for field '{field}'",
                    kind(other)
                ));
            }
        }
    }
    Ok(out)
}

/// A `TimeInfo` or `DurationInfo` (the message in `field`): its int64 `nanoseconds`.
fn nanoseconds(v: &Value, field: &str) -> Result<Map<String, Value>, String> {
    let given = message(v, field)?;
    let mut out = Map::new();
    if let Some(n) = given.get("nanoseconds") {
        out.insert("nanoseconds".into(), int64(n, "nanoseconds")?.into());
    }
    Ok(out)
}

/// An int64 as stout sets one: a number (a double truncated), or a string holding one.
fn int64(v: &Value, field: &str) -> Result<i64, String> {
    let number = |n: &serde_json::Number| {
        n.as_i64()
            .unwrap_or_else(|| n.as_f64().unwrap_or(0.0) as i64)
    };
    match v {
        Value::Number(n) => Ok(number(n)),
        Value::String(s) => match serde_json::from_str::<Value>(s.trim()) {
            Ok(Value::Number(n)) => Ok(number(&n)),
            _ => Err(format!(
                "Failed to parse '{s}' as a JSON number for field '{field}'"
            )),
        },
        other => Err(format!(
            "Not expecting a JSON {} for field '{field}'",
            kind(other)
        )),
    }
}

/// The required fields missing, as protobuf lists them (`windows[0].unavailability.start`).
fn missing_fields(schedule: &Map<String, Value>, path: &str) -> Vec<String> {
    let mut missing = Vec::new();
    let windows = schedule.get("windows").and_then(Value::as_array);
    for (i, w) in windows.into_iter().flatten().enumerate() {
        let at = format!("{path}windows[{i}].unavailability");
        let Some(una) = w.get("unavailability") else {
            missing.push(at);
            continue;
        };
        match una.get("start") {
            None => missing.push(format!("{at}.start")),
            Some(s) if s.get("nanoseconds").is_none() => {
                missing.push(format!("{at}.start.nanoseconds"));
            }
            Some(_) => {}
        }
        if una
            .get("duration")
            .is_some_and(|d| d.get("nanoseconds").is_none())
        {
            missing.push(format!("{at}.duration.nanoseconds"));
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_a_schedule_as_stout_does() {
        let given = json!({"windows": {"machine_ids": {"hostname": "h", "extra": 1},
            "unavailability": {"start": {"nanoseconds": "5"}, "duration": {"nanoseconds": 2.7}}}});
        let schedule = parse_schedule(&given, "").unwrap();
        let w = &schedule.windows[0];
        assert_eq!(w.machine_ids[0].hostname.as_deref(), Some("h"));
        assert!(w.machine_ids[0].extra.is_empty());
        assert_eq!(w.unavailability.start.nanoseconds, 5);
        assert_eq!(
            w.unavailability.duration.as_ref().map(|d| d.nanoseconds),
            Some(2)
        );
        assert_eq!(
            serde_json::to_string(&schedule).unwrap(),
            r#"{"windows":[{"machine_ids":[{"hostname":"h"}],"unavailability":{"start":{"nanoseconds":5},"duration":{"nanoseconds":2}}}]}"#
        );
    }

    #[test]
    fn reads_machines_as_stout_does() {
        let one = json!({"hostname": "h", "ip": "10.0.0.1", "port": 1});
        let ids = parse_machines(&one, Some("machines")).unwrap();
        assert_eq!(
            serde_json::to_string(&ids).unwrap(),
            r#"[{"hostname":"h","ip":"10.0.0.1"}]"#
        );
        assert_eq!(
            parse_machines(&json!(["h"]), Some("machines")).unwrap_err(),
            "Not expecting a JSON string for field 'machines'"
        );
        assert_eq!(
            parse_machines(&json!(["h"]), None).unwrap_err(),
            "Expecting a JSON object"
        );
        assert_eq!(
            parse_machines(&json!([{"hostname": true}]), None).unwrap_err(),
            "Not expecting a JSON boolean for field 'hostname'"
        );
    }

    #[test]
    fn its_errors_are_stouts() {
        let err = |v: Value| parse_schedule(&v, "s.").unwrap_err();
        assert_eq!(
            err(
                json!({"windows": [{"machine_ids": [{"hostname": "h"}]}, {"unavailability": {"duration": {}}}]})
            ),
            "Missing required fields: s.windows[0].unavailability, s.windows[1].unavailability.start, s.windows[1].unavailability.duration.nanoseconds"
        );
        assert_eq!(
            err(json!({"windows": ["w"]})),
            "Not expecting a JSON string for field 'windows'"
        );
        assert_eq!(
            err(json!({"windows": [{"machine_ids": [{"ip": 1}]}]})),
            "Not expecting a JSON number for field 'ip'"
        );
        assert_eq!(
            err(json!({"windows": [{"unavailability": {"start": {"nanoseconds": "soon"}}}]})),
            "Failed to parse 'soon' as a JSON number for field 'nanoseconds'"
        );
        assert_eq!(
            err(json!({"windows": [{"unavailability": {"start": {"nanoseconds": true}}}]})),
            "Not expecting a JSON boolean for field 'nanoseconds'"
        );
    }
}
