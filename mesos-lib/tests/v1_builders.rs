//! Call constructors produce exactly the JSON Mesos expects (compared with the recorded requests).

use mesos_lib::v1::common::Filters;
use mesos_lib::v1::framework::FrameworkCapabilityType;
use mesos_lib::v1::master;
use mesos_lib::v1::scheduler::{Call, CallType};
use mesos_lib::v1::{
    AgentId, Bytes, CommandInfo, ContainerInfo, FrameworkId, FrameworkInfo, OfferId, Operation,
    Resource, TaskId, TaskInfo,
};
use serde_json::{Value, json};

fn fid() -> FrameworkId {
    FrameworkId::new("0c9f99b1-47de-40fb-8f10-79f085eca08a-0001")
}

fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap()
}

#[test]
fn subscribe_matches_transcript_request() {
    let info = FrameworkInfo {
        roles: vec!["*".into()],
        ..FrameworkInfo::new("root", "transcript-framework")
    }
    .with_capability(FrameworkCapabilityType::MultiRole)
    .with_capability(FrameworkCapabilityType::MultiRole);
    // Request body of transcript 09.
    let expected = json!({"type": "SUBSCRIBE", "subscribe": {"framework_info": {"user": "root", "name": "transcript-framework", "roles": ["*"], "capabilities": [{"type": "MULTI_ROLE"}]}}});
    assert_eq!(to_json(&Call::subscribe(info)), expected);
}

#[test]
fn resubscribe_copies_framework_id_to_top_level() {
    let info = FrameworkInfo {
        id: Some(fid()),
        failover_timeout: Some(120.0),
        ..FrameworkInfo::new("root", "f")
    };
    let call = Call::subscribe(info);
    assert_eq!(call.framework_id, Some(fid()));
    assert_eq!(
        to_json(&call)["subscribe"]["framework_info"]["id"]["value"],
        fid().value
    );
}

#[test]
fn scheduler_calls_match_recorded_requests() {
    let agent = AgentId::new("0c9f99b1-47de-40fb-8f10-79f085eca08a-S0");
    let cases: Vec<(Call, Value)> = vec![
        (
            Call::suppress(fid(), vec![]),
            json!({"type": "SUPPRESS", "suppress": {}, "framework_id": {"value": fid().value}}),
        ),
        (
            Call::revive(fid(), vec!["*".into()]),
            json!({"type": "REVIVE", "revive": {"roles": ["*"]}, "framework_id": {"value": fid().value}}),
        ),
        (
            Call::decline(
                fid(),
                vec![OfferId::new("0c9f99b1-47de-40fb-8f10-79f085eca08a-O5")],
                Some(Filters::refuse_seconds(1.0)),
            ),
            json!({"type": "DECLINE", "decline": {"offer_ids": [{"value": "0c9f99b1-47de-40fb-8f10-79f085eca08a-O5"}], "filters": {"refuse_seconds": 1.0}}, "framework_id": {"value": fid().value}}),
        ),
        (
            Call::message(
                fid(),
                agent.clone(),
                "nope".into(),
                Bytes::new(b"hello".to_vec()),
            ),
            json!({"type": "MESSAGE", "message": {"agent_id": {"value": agent.value}, "executor_id": {"value": "nope"}, "data": "aGVsbG8="}, "framework_id": {"value": fid().value}}),
        ),
        (
            Call::shutdown(fid(), "nope".into(), agent.clone()),
            json!({"type": "SHUTDOWN", "shutdown": {"executor_id": {"value": "nope"}, "agent_id": {"value": agent.value}}, "framework_id": {"value": fid().value}}),
        ),
        (
            Call::kill(fid(), TaskId::new("never-launched"), None, None),
            json!({"type": "KILL", "kill": {"task_id": {"value": "never-launched"}}, "framework_id": {"value": fid().value}}),
        ),
        (
            Call::teardown(fid()),
            json!({"type": "TEARDOWN", "framework_id": {"value": fid().value}}),
        ),
        (
            Call::acknowledge(
                fid(),
                agent.clone(),
                TaskId::new("t"),
                Bytes::from_base64("0X+n5n7/T2+a5WqMUplmZw==").unwrap(),
            ),
            json!({"type": "ACKNOWLEDGE", "acknowledge": {"agent_id": {"value": agent.value}, "task_id": {"value": "t"}, "uuid": "0X+n5n7/T2+a5WqMUplmZw=="}, "framework_id": {"value": fid().value}}),
        ),
        (
            Call::reconcile(
                fid(),
                vec![
                    (TaskId::new("a"), Some(agent.clone())),
                    (TaskId::new("b"), None),
                ],
            ),
            json!({"type": "RECONCILE", "reconcile": {"tasks": [{"task_id": {"value": "a"}, "agent_id": {"value": agent.value}}, {"task_id": {"value": "b"}}]}, "framework_id": {"value": fid().value}}),
        ),
        (
            Call::reconcile(fid(), vec![]),
            json!({"type": "RECONCILE", "reconcile": {}, "framework_id": {"value": fid().value}}),
        ),
    ];
    for (call, expected) in cases {
        assert_eq!(to_json(&call), expected, "{}", call.call_type);
        // And the JSON parses back to the same typed call.
        let back: Call = serde_json::from_value(expected).unwrap();
        assert_eq!(back, call);
    }
}

#[test]
fn update_framework_forces_the_id() {
    let call = Call::update_framework(fid(), FrameworkInfo::new("root", "renamed"), vec![]);
    assert_eq!(call.call_type, CallType::UpdateFramework);
    assert_eq!(
        call.update_framework.unwrap().framework_info.id,
        Some(fid())
    );
}

#[test]
fn accept_with_docker_launch_has_tutorial_shape() {
    let agent = AgentId::new("S0");
    let task = TaskInfo::command(
        "82",
        "PingContainer",
        agent,
        CommandInfo {
            shell: Some(false),
            ..Default::default()
        },
        vec![
            Resource::scalar("cpus", 0.2).with_role("*"),
            Resource::scalar("mem", 100.0).with_role("*"),
        ],
    )
    .with_container(ContainerInfo::docker("nginx:1.10-alpine"));
    let call = Call::launch(
        fid(),
        OfferId::new("O3"),
        vec![task],
        Some(Filters::refuse_seconds(5.0)),
    );
    let v = to_json(&call);
    assert_eq!(v["type"], "ACCEPT");
    assert_eq!(v["accept"]["operations"][0]["type"], "LAUNCH");
    let t = &v["accept"]["operations"][0]["launch"]["task_infos"][0];
    assert_eq!(
        t["container"],
        json!({"type": "DOCKER", "docker": {"image": "nginx:1.10-alpine"}})
    );
    assert_eq!(
        t["resources"][1],
        json!({"name": "mem", "type": "SCALAR", "scalar": {"value": 100.0}, "role": "*"})
    );
    assert_eq!(t["command"], json!({"shell": false}));
    assert_eq!(v["accept"]["filters"]["refuse_seconds"], 5.0);
}

#[test]
fn offer_operations_have_their_bodies() {
    let r = vec![Resource::scalar("cpus", 1.0)];
    assert_eq!(
        to_json(&Operation::reserve(r.clone(), r.clone()))["type"],
        "RESERVE"
    );
    assert!(to_json(&Operation::unreserve(r.clone()))["unreserve"]["resources"].is_array());
    assert!(to_json(&Operation::create(r.clone()))["create"]["volumes"].is_array());
    assert!(to_json(&Operation::destroy(r.clone()))["destroy"]["volumes"].is_array());
    let group = to_json(&Operation::launch_group(Default::default(), vec![]).with_id("op-1"));
    assert_eq!(group["type"], "LAUNCH_GROUP");
    assert_eq!(group["id"], json!({"value": "op-1"}));
}

#[test]
fn operator_calls() {
    assert_eq!(
        to_json(&master::Call::get_state()),
        json!({"type": "GET_STATE"})
    );
    assert_eq!(
        to_json(&master::Call::subscribe()),
        json!({"type": "SUBSCRIBE"})
    );
    // GET_METRICS must carry its body or the master answers 400.
    assert_eq!(
        to_json(&master::Call::get_metrics(None)),
        json!({"type": "GET_METRICS", "get_metrics": {}})
    );
    assert_eq!(
        to_json(&master::Call::teardown(fid())),
        json!({"type": "TEARDOWN", "teardown": {"framework_id": {"value": fid().value}}})
    );
    let reserve = to_json(&master::Call::reserve_resources(
        AgentId::new("S0"),
        vec![],
        vec![Resource::scalar("cpus", 1.0)],
    ));
    assert_eq!(reserve["reserve_resources"]["agent_id"]["value"], "S0");
}

#[test]
fn bytes_reject_bad_base64() {
    assert!(serde_json::from_str::<Bytes>("\"not base64!\"").is_err());
    assert_eq!(
        serde_json::to_string(&Bytes::new(vec![0u8, 255])).unwrap(),
        "\"AP8=\""
    );
}
