//! The scheduler API's whole v1 surface: every call type of `scheduler.proto` (Mesos 1.11)
//! either shows its effect or is refused with a 501 that names the call.

mod local_common;

use std::cell::RefCell;
use std::collections::BTreeSet;

use local_common::surface::*;
use local_common::*;
use serde_json::{Value, json};

/// `scheduler::Call.Type` (Mesos 1.11).
const SCHEDULER_CALLS: &[&str] = &[
    "UNKNOWN",
    "SUBSCRIBE",
    "TEARDOWN",
    "ACCEPT",
    "DECLINE",
    "ACCEPT_INVERSE_OFFERS",
    "DECLINE_INVERSE_OFFERS",
    "REVIVE",
    "KILL",
    "SHUTDOWN",
    "ACKNOWLEDGE",
    "ACKNOWLEDGE_OPERATION_STATUS",
    "RECONCILE",
    "RECONCILE_OPERATIONS",
    "MESSAGE",
    "REQUEST",
    "SUPPRESS",
    "UPDATE_FRAMEWORK",
];

#[tokio::test]
async fn every_scheduler_call_has_its_effect_or_is_refused() {
    let m = start(1).await;
    let url = m.url();
    let seen: RefCell<BTreeSet<String>> = RefCell::new(
        [
            "SUBSCRIBE".to_string(),
            "ACCEPT".into(),
            "ACKNOWLEDGE".into(),
        ]
        .into(),
    );
    let (mut s, offer) = running_task(&url, "sched-t").await;
    let fid = json!({"value": s.framework_id});
    let sid = s.stream_id.clone();
    let aid = offer["agent_id"].clone();

    // ACCEPT: what mesos-local cannot carry out is dropped as an invalid operation is.
    let offer = s.until("OFFERS").await["offers"]["offers"][0].clone();
    let cpus = json!([{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1},
        "reservations": [{"type": "DYNAMIC", "role": "web"}]}]);
    let task = |id: &str| {
        json!({"name": id, "task_id": {"value": id}, "agent_id": aid,
        "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}}],
        "command": {"value": "true"}})
    };
    let accept = json!({"type": "ACCEPT", "framework_id": fid, "accept": {
        "offer_ids": [offer["id"]],
        "operations": [
            {"type": "CREATE_DISK", "id": {"value": "op-disk"}, "create_disk": {"source": cpus[0], "target_type": "MOUNT"}},
            {"type": "CREATE", "create": {"volumes": cpus}},
            {"type": "LAUNCH_GROUP", "launch_group": {
                "executor": {"executor_id": {"value": "grp"}, "type": "DEFAULT"},
                "task_group": {"tasks": [task("g1"), task("g2")]}}},
        ],
        "filters": {"refuse_seconds": 0}}});
    assert_eq!(call(&url, Some(&sid), &accept).await, (202, String::new()));
    let op = s.until("UPDATE_OPERATION_STATUS").await["update_operation_status"]["status"].clone();
    assert_eq!(op["operation_id"]["value"], "op-disk");
    assert_eq!(op["state"], "OPERATION_ERROR");
    assert!(
        op["message"]
            .as_str()
            .unwrap()
            .contains("mesos-local does not carry out CREATE_DISK"),
        "{op}"
    );
    for id in ["g1", "g2"] {
        let st = s.update().await;
        assert_eq!(st["task_id"]["value"], id);
        assert_eq!(st["state"], "TASK_ERROR");
        assert_eq!(st["source"], "SOURCE_MASTER");
        assert_eq!(st["reason"], "REASON_TASK_GROUP_INVALID");
        assert!(
            // This group's executor lacks what real Mesos requires of it.
            st["message"] == "'ExecutorInfo.framework_id' must be set",
            "{st}"
        );
    }
    // The offer's resources went back and are offered again.
    let again = s.until("OFFERS").await["offers"]["offers"][0].clone();
    assert_eq!(again["agent_id"], aid);

    let sc = async |name: &str, body: Value| {
        seen.borrow_mut().insert(name.to_string());
        let mut body = body;
        body["type"] = json!(name);
        body["framework_id"] = fid.clone();
        call(&url, Some(&sid), &body).await
    };
    assert_eq!(
        sc("UNKNOWN", json!({})).await,
        (501, "501 Not Implemented.".into())
    );
    assert_eq!(
        sc(
            "DECLINE",
            json!({"decline": {"offer_ids": [again["id"]], "filters": {"refuse_seconds": 0}}})
        )
        .await,
        (202, String::new())
    );
    // An unknown inverse offer is ignored, as the master ignores one (local_maintenance.rs
    // answers real ones).
    for name in ["ACCEPT_INVERSE_OFFERS", "DECLINE_INVERSE_OFFERS"] {
        let section = name.to_ascii_lowercase();
        assert_eq!(
            sc(
                name,
                json!({section: {"inverse_offer_ids": [{"value": "io"}]}})
            )
            .await
            .0,
            202
        );
    }
    assert_eq!(sc("SUPPRESS", json!({})).await.0, 202);
    assert_eq!(sc("REVIVE", json!({})).await.0, 202);
    assert!(s.until("OFFERS").await["offers"]["offers"].is_array());
    assert_eq!(
        sc("REQUEST", json!({"request": {"requests": []}})).await.0,
        202
    );
    assert_eq!(
        sc("MESSAGE", json!({"message": {"agent_id": aid, "executor_id": {"value": "sched-t"}, "data": "aGk="}})).await.0,
        202
    );
    // Operation feedback is carried out (local_reservations.rs): this operation is unknown.
    assert_eq!(
        sc("ACKNOWLEDGE_OPERATION_STATUS", json!({"acknowledge_operation_status": {
            "agent_id": aid, "uuid": "AAAAAAAAAAAAAAAAAAAAAA==", "operation_id": {"value": "op-disk"}}})).await,
        (400, "Failed to validate scheduler::Call: Not a valid UUID".into())
    );
    assert_eq!(
        sc("ACKNOWLEDGE_OPERATION_STATUS", json!({"acknowledge_operation_status": {
            "agent_id": aid, "uuid": "AAAAAAAAQAAAAAAAAAAAAA==", "operation_id": {"value": "op-disk"}}})).await,
        (202, String::new())
    );
    assert_eq!(
        sc(
            "RECONCILE_OPERATIONS",
            json!({"reconcile_operations": {
            "operations": [{"operation_id": {"value": "op-disk"}}]}}),
        )
        .await,
        (202, String::new())
    );
    let op = s.until("UPDATE_OPERATION_STATUS").await["update_operation_status"]["status"].clone();
    assert_eq!(
        op,
        json!({"operation_id": {"value": "op-disk"}, "state": "OPERATION_UNKNOWN",
            "message": "Reconciliation: Operation is unknown and no 'agent_id' was provided"})
    );
    assert_eq!(
        sc(
            "RECONCILE",
            json!({"reconcile": {"tasks": [{"task_id": {"value": "sched-t"}}]}})
        )
        .await
        .0,
        202
    );
    let st = s.update().await;
    assert_eq!(
        (st["state"].clone(), st["reason"].clone()),
        (json!("TASK_RUNNING"), json!("REASON_RECONCILIATION"))
    );
    let (code, _) = sc(
        "UPDATE_FRAMEWORK",
        json!({"update_framework": {"framework_info": {
        "user": "root", "name": "renamed", "id": fid}}}),
    )
    .await;
    assert_eq!(code, 200);
    let (_, body) = operator(&url, &json!({"type": "GET_FRAMEWORKS"})).await;
    assert_eq!(
        parse(&body)["get_frameworks"]["frameworks"][0]["framework_info"]["name"],
        "renamed"
    );
    assert_eq!(
        sc(
            "KILL",
            json!({"kill": {"task_id": {"value": "sched-t"}, "agent_id": aid}})
        )
        .await
        .0,
        202
    );
    loop {
        let st = s.update().await;
        if st["uuid"].is_string() {
            ack(&url, &s, &st).await;
        }
        if st["state"] == "TASK_KILLED" {
            break;
        }
    }
    // SHUTDOWN of the (ended) executor; then TEARDOWN ends the stream.
    assert_eq!(
        sc(
            "SHUTDOWN",
            json!({"shutdown": {"executor_id": {"value": "sched-t"}, "agent_id": aid}})
        )
        .await
        .0,
        202
    );
    assert_eq!(sc("TEARDOWN", json!({})).await.0, 202);
    s.until_end().await;
    assert_eq!(
        call(
            &url,
            Some(&sid),
            &json!({"type": "REVIVE", "framework_id": fid})
        )
        .await,
        (400, "Framework cannot be found".into())
    );

    let all: BTreeSet<String> = SCHEDULER_CALLS.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        seen.into_inner(),
        all,
        "every scheduler call type is walked"
    );
    m.shutdown().await;
}

/// A call that passes the checks whose texts Mesos gives but does not convert into a
/// `scheduler::Call` is refused as stout refuses it; one that stout reads leniently (a single
/// value for a repeated field) has its effect.
#[tokio::test]
async fn calls_convert_as_stout_converts_them() {
    let m = start(1).await;
    let url = m.url();
    let mut s = subscribe(&url, framework("convert")).await;
    let fid = json!({"value": s.framework_id});
    let sid = s.stream_id.clone();
    let prefix = "Failed to convert JSON into Call protobuf: ";
    let message = json!({"type": "MESSAGE", "framework_id": fid, "message": {
        "agent_id": {"value": "a"}, "executor_id": {"value": "e"}, "data": "bm90!"}});
    assert_eq!(
        call(&url, Some(&sid), &message).await,
        (
            400,
            format!("{prefix}Failed to base64 decode bytes field 'data': Invalid character '!'")
        )
    );
    let kill = json!({"type": "KILL", "framework_id": fid, "kill": {
        "task_id": {"value": "t"}, "kill_policy": {"grace_period": {}}}});
    assert_eq!(
        call(&url, Some(&sid), &kill).await,
        (
            400,
            format!("{prefix}Missing required fields: kill.kill_policy.grace_period.nanoseconds")
        )
    );
    let decline = json!({"type": "DECLINE", "framework_id": fid, "decline": {
        "offer_ids": [], "filters": {"refuse_seconds": "soon"}}});
    assert_eq!(
        call(&url, Some(&sid), &decline).await,
        (400, format!("{prefix}'soon' is not a number"))
    );
    // ACCEPT's offer IDs and filters are typed as DECLINE's are: a single offer ID is the
    // one offer accepted (its resources come back in a new offer), a bad filter refuses it.
    let offer = s.until("OFFERS").await["offers"]["offers"][0].clone();
    let accept = |filters: Value| {
        json!({"type": "ACCEPT", "framework_id": fid, "accept": {
            "offer_ids": offer["id"], "operations": [], "filters": filters}})
    };
    assert_eq!(
        call(&url, Some(&sid), &accept(json!({"refuse_seconds": "soon"}))).await,
        (400, format!("{prefix}'soon' is not a number"))
    );
    let taken = accept(json!({"refuse_seconds": "0"}));
    assert_eq!(call(&url, Some(&sid), &taken).await, (202, String::new()));
    let again = s.until("OFFERS").await["offers"]["offers"][0].clone();
    assert_ne!(again["id"], offer["id"]);
    // One task, not in an array: an explicit reconciliation of that task.
    let reconcile = json!({"type": "RECONCILE", "framework_id": fid, "reconcile": {
        "tasks": {"task_id": {"value": "nope"}}}});
    assert_eq!(call(&url, Some(&sid), &reconcile).await.0, 202);
    let status = s.update().await;
    assert_eq!(
        (&status["task_id"]["value"], &status["state"]),
        (&json!("nope"), &json!("TASK_LOST"))
    );
    // One LAUNCH not in an array, with one TaskInfo not in an array: that task is launched.
    let single = json!({"type": "ACCEPT", "framework_id": fid, "accept": {
        "offer_ids": [again["id"]], "operations": {"type": "LAUNCH", "launch": {"task_infos": {
            "name": "single", "task_id": {"value": "single"}, "agent_id": again["agent_id"],
            "command": {"value": "true"},
            "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}}]}}},
        "filters": {"refuse_seconds": 0}}});
    assert_eq!(call(&url, Some(&sid), &single).await, (202, String::new()));
    let launched = s.update().await;
    assert_eq!(launched["task_id"]["value"], "single", "{launched}");
    assert_eq!(launched["state"], "TASK_STARTING", "{launched}");
    m.shutdown().await;
}
