//! Raw HTTP tests of the role checks of a FrameworkInfo (`validateRoles` in Mesos's
//! `master/validation.cpp`): SUBSCRIBE is refused in the stream (200, one ERROR, closed) and
//! UPDATE_FRAMEWORK with a 400, as `Master::subscribe` and `Master::updateFramework` do; and
//! the FrameworkInfo the master keeps, written back in the proto's field order.
// Needs the embedded Mesos; compiled out when mesos-lib is built as cells build it (`cell` only).

mod local_common;

use local_common::*;
use serde_json::{Value, json};

const NOT_MULTI: &str =
    "'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable";
const MULTI: &str = "'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable";

fn multi_role(name: &str, roles: Value) -> Value {
    json!({"user": "root", "name": name, "roles": roles, "capabilities": [{"type": "MULTI_ROLE"}]})
}

/// The frameworks the master knows, by name, with their FrameworkInfo.
async fn frameworks(url: &str) -> Vec<Value> {
    let (code, body) = operator(url, &json!({"type": "GET_FRAMEWORKS"})).await;
    assert_eq!(code, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    v["get_frameworks"]["frameworks"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|f| f["framework_info"].clone())
        .collect()
}

#[tokio::test]
async fn subscribe_with_roles_that_fail_validation_is_refused_in_the_stream() {
    let m = start(1).await;
    let url = m.url();
    let refused = [
        (json!({"user": "root", "name": "r", "roles": ["web"]}), NOT_MULTI.to_string()),
        (
            json!({"user": "root", "name": "r", "role": "web",
                "capabilities": [{"type": "MULTI_ROLE"}]}),
            MULTI.to_string(),
        ),
        (
            multi_role("r", json!(["a", "b", "a"])),
            "'FrameworkInfo.roles' contains duplicate items: { a }".to_string(),
        ),
        (
            multi_role("r", json!(["a", "x/../y"])),
            "'FrameworkInfo.roles' contains invalid role: Role 'x/../y' cannot include '..' as a component"
                .to_string(),
        ),
        (
            json!({"user": "root", "name": "r", "role": "-web"}),
            "'FrameworkInfo.role' is not a valid role: Role component '-web' is invalid because it starts with a dash"
                .to_string(),
        ),
    ];
    for (info, message) in refused {
        let mut s = subscribe(&url, info.clone()).await;
        // The answer is 200 with a stream id, as for any SUBSCRIBE; the refusal is in the stream.
        assert_eq!(s.status, 200, "{info}");
        assert_eq!(s.stream_id.len(), 36, "{info}");
        let events = s.until_end().await;
        assert_eq!(
            events,
            [json!({"type": "ERROR", "error": {"message": message}})],
            "{info}"
        );
    }
    // `suppressed_roles` outside the roles are refused at the same stage, before an id is given.
    let sub = json!({"type": "SUBSCRIBE", "subscribe": {
        "framework_info": multi_role("r", json!(["web"])), "suppressed_roles": ["ops"]}});
    let resp = json_request(&format!("{url}/api/v1/scheduler"), &sub)
        .send()
        .await
        .unwrap();
    assert_eq!(
        stream_of(resp).until_end().await,
        [json!({"type": "ERROR", "error": {"message":
            "Suppressed roles { ops } are not contained in the set of roles"}})]
    );
    assert_eq!(frameworks(&url).await, Vec::<Value>::new());
    // A valid single `role` and a MULTI_ROLE `roles` still subscribe, and the refusals spent
    // no framework id.
    let mut one = subscribe(&url, json!({"user": "root", "name": "one", "role": "web"})).await;
    assert!(one.framework_id.ends_with("-0000"), "{}", one.framework_id);
    let offer = one.until("OFFERS").await["offers"]["offers"][0].clone();
    assert!(offer.get("allocation_info").is_none(), "{offer}");
    let mut two = subscribe(&url, multi_role("two", json!(["web", "db"]))).await;
    assert!(two.framework_id.ends_with("-0001"), "{}", two.framework_id);
    two.until("HEARTBEAT").await;
    let infos = frameworks(&url).await;
    let by_name = |n: &str| infos.iter().find(|i| i["name"] == n).cloned().unwrap();
    assert_eq!(by_name("one")["role"], "web");
    assert_eq!(by_name("two")["roles"], json!(["web", "db"]));
    m.shutdown().await;
}

/// UPDATE_FRAMEWORK of framework `s` to `info` (its id filled in); returns (status, body).
async fn update(url: &str, s: &Stream, mut info: Value) -> (u16, String) {
    info["id"] = json!({"value": s.framework_id});
    let body = json!({"type": "UPDATE_FRAMEWORK", "framework_id": {"value": s.framework_id},
        "update_framework": {"framework_info": info}});
    call(url, Some(&s.stream_id), &body).await
}

#[tokio::test]
async fn update_framework_with_roles_that_fail_validation_is_a_400() {
    let m = start(1).await;
    let url = m.url();
    let mut s = subscribe(&url, json!({"user": "root", "name": "u", "role": "web"})).await;
    s.until("HEARTBEAT").await;
    let prefix = "Supplied FrameworkInfo is not valid: ";
    assert_eq!(
        update(
            &url,
            &s,
            json!({"user": "root", "name": "renamed", "roles": ["web"]})
        )
        .await,
        (400, format!("{prefix}{NOT_MULTI}"))
    );
    let both = json!({"user": "root", "name": "renamed", "role": "web", "roles": ["web"],
        "capabilities": [{"type": "MULTI_ROLE"}]});
    assert_eq!(
        update(&url, &s, both).await,
        (400, format!("{prefix}{MULTI}"))
    );
    // `validateUpdate` comes after: the principal first, named by neither value.
    let principal = json!({"user": "other", "name": "renamed", "role": "web", "principal": "p"});
    assert_eq!(
        update(&url, &s, principal).await,
        (
            400,
            "FrameworkInfo update is not valid: Changing framework's principal is not allowed."
                .into()
        )
    );
    let user = json!({"user": "other", "name": "renamed", "role": "web"});
    assert_eq!(
        update(&url, &s, user).await,
        (
            400,
            "FrameworkInfo update is not valid: Updating 'FrameworkInfo.user' is unsupported; \
             attempted to update from 'root' to 'other'"
                .into()
        )
    );
    // Refused: nothing changed.
    let [info] = frameworks(&url).await.try_into().unwrap();
    assert_eq!((&info["name"], &info["role"]), (&json!("u"), &json!("web")));
    assert!(info.get("roles").is_none(), "{info}");
    // The stream is still the framework's: a valid update to MULTI_ROLE is carried out.
    let (code, body) = update(&url, &s, multi_role("renamed", json!(["web", "db"]))).await;
    assert_eq!((code, body.as_str()), (200, ""));
    let [info] = frameworks(&url).await.try_into().unwrap();
    assert_eq!(
        (&info["name"], &info["roles"]),
        (&json!("renamed"), &json!(["web", "db"]))
    );
    m.shutdown().await;
}

#[tokio::test]
async fn a_framework_info_is_written_back_in_the_protos_field_order() {
    let m = start(1).await;
    let url = m.url();
    // Sent in no particular order, scalars as strings (which Mesos's JSON parser takes), with
    // a field mesos-lib does not model.
    let sent = json!({"offer_filters": {"web": {}}, "labels": {"labels": [{"key": "k", "value": "v"}]},
        "capabilities": [{"type": "MULTI_ROLE"}], "webui_url": "http://ui", "principal": "p",
        "hostname": "h", "roles": ["web"], "checkpoint": "true", "failover_timeout": "30",
        "name": "ordered", "user": "root"});
    let mut s = subscribe(&url, sent).await;
    s.until("HEARTBEAT").await;
    let [info] = frameworks(&url).await.try_into().unwrap();
    let fid = &s.framework_id;
    assert_eq!(
        info.to_string(),
        format!(
            r#"{{"user":"root","name":"ordered","id":{{"value":"{fid}"}},"failover_timeout":30.0,"checkpoint":true,"roles":["web"],"hostname":"h","principal":"p","webui_url":"http://ui","capabilities":[{{"type":"MULTI_ROLE"}}],"labels":{{"labels":[{{"key":"k","value":"v"}}]}},"offer_filters":{{"web":{{}}}}}}"#
        )
    );
    // A field of the wrong JSON type is refused as stout refuses it.
    let bad =
        json!({"type": "SUBSCRIBE", "subscribe": {"framework_info": {"user": "root", "name": 7}}});
    let (code, body) = call(&url, None, &bad).await;
    assert_eq!(
        (code, body.as_str()),
        (
            400,
            "Failed to convert JSON into Call protobuf: Not expecting a JSON number for field 'name'"
        )
    );
    // And a FrameworkInfo left out is a required field missing.
    let empty = json!({"type": "SUBSCRIBE", "subscribe": {}});
    assert_eq!(
        call(&url, None, &empty).await,
        (
            400,
            "Failed to convert JSON into Call protobuf: Missing required fields: subscribe.framework_info"
                .into()
        )
    );
    m.shutdown().await;
}

#[tokio::test]
async fn a_resubscription_keeps_the_user_and_checkpoint_and_refuses_a_new_principal() {
    let m = start(1).await;
    let url = m.url();
    let info = json!({"user": "root", "name": "keep", "principal": "p1", "checkpoint": true,
        "failover_timeout": 60.0});
    let mut first = subscribe(&url, info.clone()).await;
    let fid = first.framework_id.clone();
    first.until("HEARTBEAT").await;
    // `validateUpdate`, after `preserveImmutableFields`: another principal is refused in the
    // stream, as a bad role is, and the framework keeps its subscription.
    let mut other = info.clone();
    other["id"] = json!({"value": fid});
    other["principal"] = json!("p2");
    let mut refused = subscribe(&url, other).await;
    assert_eq!(refused.status, 200);
    assert_eq!(
        refused.until_end().await,
        [json!({"type": "ERROR", "error": {"message":
            "Changing framework's principal is not allowed."}})]
    );
    let (code, body) = operator(&url, &json!({"type": "GET_FRAMEWORKS"})).await;
    assert_eq!(code, 200);
    let listed: Value = serde_json::from_str(&body).unwrap();
    let fw = &listed["get_frameworks"]["frameworks"][0];
    assert_eq!(fw["active"], true, "{fw}");
    assert_eq!(fw["framework_info"]["principal"], "p1");
    // A changed user or checkpoint is not refused at re-subscription but kept as it was.
    let mut changed = info.clone();
    changed["id"] = json!({"value": fid});
    changed["user"] = json!("nobody");
    changed["checkpoint"] = json!(false);
    changed["name"] = json!("renamed");
    let mut again = subscribe(&url, changed).await;
    assert_eq!(again.framework_id, fid);
    again.until("HEARTBEAT").await;
    let kept = frameworks(&url).await;
    assert_eq!(kept.len(), 1);
    assert_eq!(
        (&kept[0]["user"], &kept[0]["checkpoint"], &kept[0]["name"]),
        (&json!("root"), &json!(true), &json!("renamed"))
    );
}

#[tokio::test]
async fn a_capability_without_a_type_is_taken_as_mesos_takes_it() {
    let m = start(1).await;
    let url = m.url();
    // `Capability.type` is optional in the proto: Mesos subscribes the framework, writes the
    // capability back without it, and its legacy view names the proto's default.
    let mut s = subscribe(
        &url,
        json!({"user": "root", "name": "untyped", "capabilities": [{}, {"type": "MULTI_ROLE"}],
            "roles": ["web"]}),
    )
    .await;
    assert!(!s.framework_id.is_empty());
    s.until("HEARTBEAT").await;
    let listed = frameworks(&url).await;
    assert_eq!(
        listed[0]["capabilities"],
        json!([{}, {"type": "MULTI_ROLE"}])
    );
    let state = get_json(&format!("{url}/master/state")).await;
    assert_eq!(
        state["frameworks"][0]["capabilities"],
        json!(["UNKNOWN", "MULTI_ROLE"])
    );
}
