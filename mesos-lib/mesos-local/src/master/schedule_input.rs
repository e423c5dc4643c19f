//! A maintenance schedule and a list of machines as they come in (UPDATE_MAINTENANCE_SCHEDULE,
//! START/STOP_MAINTENANCE and their legacy endpoints), typed once as stout's
//! `protobuf::parse` reads them: fields
//! visited in name order, a single value taken for a repeated field, an int64 given as a
//! string read as a number and a double truncated, unknown fields dropped, then the required
//! fields missing listed. The errors are stout's texts.

use serde_json::{Map, Value};

use crate::json::{not_expecting, repeated};
use mesos_lib::v1::Extra;
use mesos_lib::v1::common::{DurationInfo, MachineId, TimeInfo, Unavailability};
use mesos_lib::v1::maintenance::{Schedule, Window};

/// The schedule in `v`; `path` is where it sits, as protobuf names missing fields
/// (`update_maintenance_schedule.schedule.` in an operator call, empty for the endpoint).
pub(crate) fn parse_schedule(mut v: Value, path: &str) -> Result<Schedule, String> {
    let given = message(&mut v, "schedule")?;
    let mut schedule = Schedule::default();
    // The required fields missing, listed once every field has converted (as protobuf does).
    let mut missing = Vec::new();
    if let Some(windows) = given.get_mut("windows") {
        for (i, w) in repeated(windows).iter_mut().enumerate() {
            let at = format!("{path}windows[{i}].unavailability");
            schedule.windows.push(window(w, &at, &mut missing)?);
        }
    }
    if !missing.is_empty() {
        return Err(format!("Missing required fields: {}", missing.join(", ")));
    }
    Ok(schedule)
}

/// The machines of START/STOP_MAINTENANCE: the call's repeated `field` (`machines`), or the
/// JSON array a legacy endpoint takes (`None`), whose items stout wants to be objects.
pub(crate) fn parse_machines(mut v: Value, field: Option<&str>) -> Result<Vec<MachineId>, String> {
    let mut ids = Vec::new();
    for item in repeated(&mut v) {
        ids.push(match field {
            Some(field) => machine_id(item, field)?,
            None if item.is_object() => machine_id(item, "")?,
            None => return Err("Expecting a JSON object".into()),
        });
    }
    Ok(ids)
}

/// A message field's object, or stout's text for what it is instead.
fn message<'a>(v: &'a mut Value, field: &str) -> Result<&'a mut Map<String, Value>, String> {
    match v {
        Value::Object(map) => Ok(map),
        other => Err(not_expecting(other, field)),
    }
}

/// A `Window`: `machine_ids` then `unavailability`, the order of their names. `at` names its
/// unavailability, for the required fields it lacks (added to `missing`).
fn window(v: &mut Value, at: &str, missing: &mut Vec<String>) -> Result<Window, String> {
    let given = message(v, "windows")?;
    let mut window = Window::default();
    if let Some(ids) = given.get_mut("machine_ids") {
        for id in repeated(ids) {
            window.machine_ids.push(machine_id(id, "machine_ids")?);
        }
    }
    let Some(u) = given.get_mut("unavailability") else {
        missing.push(at.to_string());
        return Ok(window);
    };
    let given = message(u, "unavailability")?;
    // `duration` converts before `start`, the order of their names.
    let duration = match given.get_mut("duration") {
        Some(d) => Some(nanoseconds(d, "duration")?),
        None => None,
    };
    let start = match given.get_mut("start") {
        Some(t) => nanoseconds(t, "start")?,
        None => {
            missing.push(format!("{at}.start"));
            Some(0)
        }
    };
    if start.is_none() {
        missing.push(format!("{at}.start.nanoseconds"));
    }
    if duration.is_some_and(|d| d.is_none()) {
        missing.push(format!("{at}.duration.nanoseconds"));
    }
    window.unavailability = Unavailability {
        start: TimeInfo {
            nanoseconds: start.unwrap_or(0),
            extra: Extra::new(),
        },
        duration: duration.map(|d| DurationInfo {
            nanoseconds: d.unwrap_or(0),
            extra: Extra::new(),
        }),
        extra: Extra::new(),
    };
    Ok(window)
}

/// A `MachineID` (the message in `field`): `hostname` and `ip`, strings.
fn machine_id(v: &mut Value, field: &str) -> Result<MachineId, String> {
    let given = message(v, field)?;
    let mut text = |field: &str| match given.get_mut(field).map(Value::take) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(not_expecting(&other, field)),
    };
    Ok(MachineId {
        hostname: text("hostname")?,
        ip: text("ip")?,
        extra: Extra::new(),
    })
}

/// A `TimeInfo` or `DurationInfo` (the message in `field`): its int64 `nanoseconds`, if given.
fn nanoseconds(v: &mut Value, field: &str) -> Result<Option<i64>, String> {
    let given = message(v, field)?;
    given
        .get("nanoseconds")
        .map(|n| int64(n, "nanoseconds"))
        .transpose()
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
        other => Err(not_expecting(other, field)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_a_schedule_as_stout_does() {
        let given = json!({"windows": {"machine_ids": {"hostname": "h", "extra": 1},
            "unavailability": {"start": {"nanoseconds": "5"}, "duration": {"nanoseconds": 2.7}}}});
        let schedule = parse_schedule(given, "").unwrap();
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
        let ids = parse_machines(one, Some("machines")).unwrap();
        assert_eq!(
            serde_json::to_string(&ids).unwrap(),
            r#"[{"hostname":"h","ip":"10.0.0.1"}]"#
        );
        assert_eq!(
            parse_machines(json!(["h"]), Some("machines")).unwrap_err(),
            "Not expecting a JSON string for field 'machines'"
        );
        assert_eq!(
            parse_machines(json!(["h"]), None).unwrap_err(),
            "Expecting a JSON object"
        );
        assert_eq!(
            parse_machines(json!([{"hostname": true}]), None).unwrap_err(),
            "Not expecting a JSON boolean for field 'hostname'"
        );
    }

    #[test]
    fn its_errors_are_stouts() {
        let err = |v: Value| parse_schedule(v, "s.").unwrap_err();
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
