//! Executor events against what a real agent writes (transcript 36) and what mesos-local's
//! agent wrote with `json!` trees before the events were typed.

use serde_json::json;

use super::*;
use crate::v1::common::DurationInfo;

/// Transcript 36's executor stream, one event of each type it has, byte for byte.
const REAL: &[&str] = &[
    r#"{"type":"SUBSCRIBED","subscribed":{"executor_info":{"type":"CUSTOM","executor_id":{"value":"custom-exec"},"framework_id":{"value":"208ccb86-b400-438e-a720-68f591c957e9-0008"},"command":{"shell":true,"value":"/usr/bin/python3 /srv/executor/exec.py"},"resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":0.1},"allocation_info":{"role":"web"}},{"name":"mem","type":"SCALAR","scalar":{"value":32.0},"allocation_info":{"role":"web"}}],"name":"custom python executor"},"framework_info":{"user":"root","name":"rec-custom-exec","id":{"value":"208ccb86-b400-438e-a720-68f591c957e9-0008"},"failover_timeout":0.0,"checkpoint":false,"roles":["web"],"capabilities":[{"type":"MULTI_ROLE"},{"type":"RESERVATION_REFINEMENT"}]},"agent_info":{"hostname":"127.0.0.1","port":5052,"resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":2.0}},{"name":"mem","type":"SCALAR","scalar":{"value":23081.0}},{"name":"disk","type":"SCALAR","scalar":{"value":252899.0}},{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31000,"end":32000}]}}],"id":{"value":"208ccb86-b400-438e-a720-68f591c957e9-S1"}},"container_id":{"value":"ca4407de-e795-4713-8303-08d1e222114f"}}}"#,
    r#"{"type":"LAUNCH","launch":{"task":{"name":"ce-1","task_id":{"value":"ce-1"},"agent_id":{"value":"208ccb86-b400-438e-a720-68f591c957e9-S1"},"resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":0.1},"allocation_info":{"role":"web"}},{"name":"mem","type":"SCALAR","scalar":{"value":32.0},"allocation_info":{"role":"web"}}],"executor":{"type":"CUSTOM","executor_id":{"value":"custom-exec"},"framework_id":{"value":"208ccb86-b400-438e-a720-68f591c957e9-0008"},"command":{"shell":true,"value":"/usr/bin/python3 /srv/executor/exec.py"},"resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":0.1},"allocation_info":{"role":"web"}},{"name":"mem","type":"SCALAR","scalar":{"value":32.0},"allocation_info":{"role":"web"}}],"name":"custom python executor"},"data":"dGFzay1kYXRhLWNlLTE="}}}"#,
    r#"{"type":"ACKNOWLEDGED","acknowledged":{"task_id":{"value":"ce-1"},"uuid":"X5Gr2AFkNT+baLhMKM3d8Q=="}}"#,
    r#"{"type":"MESSAGE","message":{"data":"aGVsbG8tZnJvbS1zY2hlZHVsZXI="}}"#,
    r#"{"type":"KILL","kill":{"task_id":{"value":"ce-2"}}}"#,
    r#"{"type":"SHUTDOWN"}"#,
];

#[test]
fn events_are_written_as_a_real_agent_writes_them() {
    for text in REAL {
        let event: Event = serde_json::from_str(text).unwrap();
        assert_eq!(&serde_json::to_string(&event).unwrap(), text);
    }
}

#[test]
fn built_events_match_the_real_ones() {
    let read = |i: usize| serde_json::from_str::<Event>(REAL[i]).unwrap();
    let s = read(0).subscribed.unwrap();
    let built = Event::subscribed(
        s.executor_info.clone(),
        s.framework_info.clone(),
        s.agent_info.clone(),
        s.container_id.clone(),
    );
    assert_eq!(serde_json::to_string(&built).unwrap(), REAL[0]);
    let task = read(1).launch.unwrap().task;
    assert_eq!(
        serde_json::to_string(&Event::launch(task)).unwrap(),
        REAL[1]
    );
    let uuid = Bytes::from_base64("X5Gr2AFkNT+baLhMKM3d8Q==").unwrap();
    let ack = Event::acknowledged(TaskId::new("ce-1"), uuid);
    assert_eq!(serde_json::to_string(&ack).unwrap(), REAL[2]);
    let message = Event::message(Bytes::new(b"hello-from-scheduler".as_slice()));
    assert_eq!(serde_json::to_string(&message).unwrap(), REAL[3]);
    let kill = Event::kill(TaskId::new("ce-2"), None);
    assert_eq!(serde_json::to_string(&kill).unwrap(), REAL[4]);
    assert_eq!(serde_json::to_string(&Event::shutdown()).unwrap(), REAL[5]);
}

#[test]
fn built_events_match_the_trees_the_agent_wrote() {
    let s = serde_json::from_str::<Event>(REAL[0])
        .unwrap()
        .subscribed
        .unwrap();
    let task = serde_json::from_str::<Event>(REAL[1])
        .unwrap()
        .launch
        .unwrap()
        .task;
    let cid = "ca4407de";
    let pairs = [
        (
            Event::subscribed(
                s.executor_info.clone(),
                s.framework_info.clone(),
                s.agent_info.clone(),
                Some(ContainerId::new(cid)),
            ),
            json!({"type": "SUBSCRIBED", "subscribed": {
                "executor_info": s.executor_info, "framework_info": s.framework_info,
                "agent_info": s.agent_info, "container_id": {"value": cid}}}),
        ),
        (
            Event::launch_group(vec![task.clone(), task.clone()]),
            json!({"type": "LAUNCH_GROUP", "launch_group": {"task_group": {"tasks": [task, task]}}}),
        ),
        (
            Event::kill(
                TaskId::new("ce-2"),
                Some(KillPolicy {
                    grace_period: Some(DurationInfo::from_secs(3)),
                    extra: Extra::new(),
                }),
            ),
            json!({"type": "KILL", "kill": {"task_id": {"value": "ce-2"},
                "kill_policy": {"grace_period": {"nanoseconds": 3_000_000_000u64}}}}),
        ),
        (Event::heartbeat(), json!({"type": "HEARTBEAT"})),
        (
            Event::error("Framework has been removed"),
            json!({"type": "ERROR", "error": {"message": "Framework has been removed"}}),
        ),
    ];
    for (event, tree) in pairs {
        let text = serde_json::to_string(&event).unwrap();
        assert_eq!(text, serde_json::to_string(&tree).unwrap());
        assert_eq!(serde_json::from_str::<Event>(&text).unwrap(), event);
    }
}
