//! Real Mesos JSON (copied from the recorded transcripts) must deserialize into the typed
//! structs and serialize back without losing anything.

use mesos_lib::v1::master;
use mesos_lib::v1::scheduler;
use mesos_lib::v1::{MasterInfo, Offer};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Lines of a fixture: `<transcript file>\t<json>`.
fn fixture(name: &str) -> Vec<(String, String)> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (src, json) = l
                .split_once('\t')
                .expect("fixture line is <source>\\t<json>");
            (src.to_string(), json.to_string())
        })
        .collect()
}

/// Compares two JSON values, returning the path of the first difference.
///
/// Two protobuf equivalences are allowed, and nothing else: a missing key equals an empty
/// array (an empty repeated field, which Mesos sometimes prints and sometimes omits), and
/// numbers compare by value (`1` and `1.0` are the same double).
fn diff(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let empty = Value::Array(Vec::new());
            for key in x.keys().chain(y.keys()) {
                let left = x.get(key).unwrap_or(&empty);
                let right = y.get(key).unwrap_or(&empty);
                if let Some(d) = diff(left, right, &format!("{path}.{key}")) {
                    return Some(d);
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Some(format!("{path}: array length {} vs {}", x.len(), y.len()));
            }
            x.iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (l, r))| diff(l, r, &format!("{path}[{i}]")))
        }
        (Value::Number(x), Value::Number(y)) => {
            let same = match (x.as_i64(), y.as_i64()) {
                (Some(l), Some(r)) => l == r,
                _ => x.as_f64() == y.as_f64(),
            };
            (!same).then(|| format!("{path}: {x} vs {y}"))
        }
        _ => (a != b).then(|| format!("{path}: {a} vs {b}")),
    }
}

/// Parses `json` as `T`, re-serializes it and checks nothing changed; returns the typed value.
fn round_trip<T: DeserializeOwned + Serialize>(src: &str, json: &str) -> T {
    let original: Value = serde_json::from_str(json).unwrap();
    let typed: T = serde_json::from_str(json).unwrap_or_else(|e| panic!("{src}: {e}\n{json}"));
    let back = serde_json::to_value(&typed).unwrap();
    if let Some(d) = diff(&original, &back, "$") {
        panic!("{src}: round trip changed {d}\noriginal: {json}\nback: {back}");
    }
    typed
}

#[test]
fn scheduler_events_round_trip() {
    let lines = fixture("scheduler_events.jsonl");
    assert!(lines.len() >= 40);
    for (src, json) in &lines {
        let event: scheduler::Event = round_trip(src, json);
        assert!(
            !matches!(event.event_type, scheduler::EventType::Unknown(_)),
            "{src}: {json}"
        );
        // Every event's body lives in its typed field, not in `extra`.
        assert!(event.extra.is_empty(), "{src}: untyped {:?}", event.extra);
    }
}

#[test]
fn scheduler_event_fields_are_typed() {
    let lines = fixture("scheduler_events.jsonl");
    let update = lines
        .iter()
        .map(|(_, j)| serde_json::from_str::<scheduler::Event>(j).unwrap())
        .find(|e| {
            e.event_type == scheduler::EventType::Update
                && e.update.as_ref().unwrap().status.uuid.is_some()
        })
        .expect("an UPDATE with a uuid");
    let status = &update.update.unwrap().status;
    assert_eq!(
        status.uuid.as_ref().unwrap().as_slice().len(),
        16,
        "uuid decodes to 16 bytes"
    );
    assert!(status.timestamp.unwrap() > 1.7e9);
    assert!(
        status.extra.is_empty(),
        "TaskStatus fields all typed: {:?}",
        status.extra
    );

    let subscribed = lines
        .iter()
        .map(|(_, j)| serde_json::from_str::<scheduler::Event>(j).unwrap())
        .find_map(|e| e.subscribed)
        .unwrap();
    assert_eq!(subscribed.heartbeat_interval_seconds, Some(15.0));
    let master = subscribed.master_info.unwrap();
    assert_eq!(master.host_port(), "127.0.0.1:5050");
    assert_eq!(MasterInfo::unpack_ip(master.ip).to_string(), "127.0.0.1");

    let offers = lines
        .iter()
        .map(|(_, j)| serde_json::from_str::<scheduler::Event>(j).unwrap())
        .find_map(|e| e.offers)
        .unwrap();
    let offer = &offers.offers[0];
    assert_eq!(
        offer.url.as_ref().unwrap().path.as_deref(),
        Some("/slave(1)")
    );
    let raw = serde_json::to_value(offer).unwrap();
    assert!(!has_extra_keys(offer), "offer fully typed: {raw}");
}

fn has_extra_keys(offer: &Offer) -> bool {
    !offer.extra.is_empty() || offer.resources.iter().any(|r| !r.extra.is_empty())
}

#[test]
fn scheduler_calls_round_trip() {
    let lines = fixture("scheduler_calls.jsonl");
    assert!(lines.len() >= 30);
    let mut seen = std::collections::BTreeSet::new();
    for (src, json) in &lines {
        let call: scheduler::Call = round_trip(src, json);
        assert!(
            !matches!(call.call_type, scheduler::CallType::Unknown(_)),
            "{src}"
        );
        assert!(call.extra.is_empty(), "{src}: untyped {:?}", call.extra);
        seen.insert(call.call_type.to_string());
    }
    for expected in [
        "SUBSCRIBE",
        "ACCEPT",
        "DECLINE",
        "ACKNOWLEDGE",
        "KILL",
        "TEARDOWN",
        "REVIVE",
        "SUPPRESS",
        "MESSAGE",
        "SHUTDOWN",
        "UPDATE_FRAMEWORK",
    ] {
        assert!(seen.contains(expected), "fixture lacks {expected}");
    }
}

#[test]
fn offer_fixture_round_trips() {
    for (src, json) in fixture("offers.jsonl") {
        let offer: Offer = round_trip(&src, &json);
        assert_eq!(offer.allocation_info.unwrap().role.as_deref(), Some("*"));
    }
}

#[test]
fn master_calls_round_trip_and_unknown_type_is_kept() {
    for (src, json) in fixture("master_calls.jsonl") {
        let call: master::Call = round_trip(&src, &json);
        if json.contains("NO_SUCH_CALL") {
            assert_eq!(
                call.call_type,
                master::CallType::Unknown("NO_SUCH_CALL".into())
            );
        } else {
            assert!(
                !matches!(call.call_type, master::CallType::Unknown(_)),
                "{src}: {json}"
            );
        }
    }
}

#[test]
fn master_responses_round_trip() {
    let lines = fixture("master_responses.jsonl");
    assert!(lines.len() >= 13);
    for (src, json) in &lines {
        let response: master::Response = round_trip(src, json);
        assert!(
            response.extra.is_empty(),
            "{src}: body not typed: {:?}",
            response.extra.keys()
        );
    }
}

#[test]
fn master_get_state_is_typed() {
    let (_, json) = fixture("master_responses.jsonl")
        .into_iter()
        .find(|(_, j)| j.contains("\"GET_STATE\""))
        .unwrap();
    let response: master::Response = serde_json::from_str(&json).unwrap();
    let state = response.get_state.unwrap();
    let tasks = state.get_tasks.unwrap().tasks;
    assert_eq!(tasks[0].state, mesos_lib::v1::TaskState::Running);
    assert_eq!(tasks[0].statuses.len(), 2);
    assert!(tasks[0].status_update_uuid.is_some());
    let agents = state.get_agents.unwrap().agents;
    assert_eq!(agents[0].agent_info.hostname, "127.0.0.1");
}

#[test]
fn master_events_round_trip() {
    let lines = fixture("master_events.jsonl");
    assert!(lines.len() >= 7);
    for (src, json) in &lines {
        let event: master::Event = round_trip(src, json);
        assert!(
            !matches!(event.event_type, master::EventType::Unknown(_)),
            "{src}"
        );
        assert!(
            event.extra.is_empty(),
            "{src}: untyped {:?}",
            event.extra.keys()
        );
    }
}

#[test]
fn zookeeper_master_info_round_trips() {
    let infos: Vec<_> = fixture("legacy.jsonl")
        .into_iter()
        .filter(|(s, _)| s.starts_with("23-"))
        .collect();
    assert_eq!(infos.len(), 2);
    for (src, json) in infos {
        let info: MasterInfo = round_trip(&src, &json);
        assert!(info.host_port().starts_with("127.0.0.1:52"));
    }
}

#[test]
fn unknown_fields_and_enum_values_survive() {
    let json = r#"{"type":"UPDATE","update":{"status":{"task_id":{"value":"t"},"state":"TASK_FUTURE_STATE",
        "reason":"REASON_FROM_THE_FUTURE","new_field":{"nested":[1,2]}}},"brand_new":true}"#;
    let event: scheduler::Event = round_trip("inline", json);
    let status = &event.update.as_ref().unwrap().status;
    assert_eq!(
        status.state,
        mesos_lib::v1::TaskState::Unknown("TASK_FUTURE_STATE".into())
    );
    assert_eq!(status.extra["new_field"]["nested"][1], 2);
    assert_eq!(event.extra["brand_new"], true);

    let unknown_event: scheduler::Event =
        round_trip("inline", r#"{"type":"NEW_EVENT","new_event":{"x":1}}"#);
    assert_eq!(unknown_event.event_type.as_str(), "NEW_EVENT");
}

#[test]
fn a_task_info_reads_as_mesos_reads_it() {
    // Limits are a map of Value.Scalar; numbers may come as strings, as stout takes them.
    let json = r#"{"name":"t","task_id":{"value":"t"},"agent_id":{"value":"a"},
        "resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":"0.5"}},
                     {"name":"ports","type":"RANGES","ranges":{"range":[{"begin":"31000","end":31001}]}}],
        "kill_policy":{"grace_period":{"nanoseconds":"5000"}},
        "limits":{"cpus":{"value":2.0},"mem":{"value":"Infinity"}}}"#;
    let info: mesos_lib::v1::TaskInfo = serde_json::from_str(json).unwrap();
    assert_eq!(info.resources[0].scalar.as_ref().unwrap().value, 0.5);
    assert_eq!(
        info.resources[1].ranges.as_ref().unwrap().range[0].begin,
        31000
    );
    let grace = info.kill_policy.as_ref().unwrap().grace_period.as_ref();
    assert_eq!(grace.unwrap().nanoseconds, 5000);
    assert_eq!(info.limits["cpus"].value, 2.0);
    assert_eq!(info.limits["mem"].value, f64::INFINITY);
    let back = serde_json::to_value(&info).unwrap();
    assert_eq!(back["limits"]["cpus"], serde_json::json!({"value": 2.0}));
}
