//! Operation feedback on the embedded Mesos, as a 1.11 master and an agent with
//! AGENT_OPERATION_FEEDBACK give it (`Master::_accept`, `Slave::applyOperation`,
//! `Master::updateOperationStatus`, `acknowledgeOperationStatus`, `reconcileOperations`):
//! OPERATION_FINISHED for an offer operation with an `id`, re-sent until acknowledged, listed
//! by GET_OPERATIONS until then, reconciled by events; OPERATION_ERROR with the master's text
//! for an invalid one.

mod local_common;

use local_common::surface::parse;
use local_common::*;
use serde_json::{Value, json};

const WEB: &str = r#"[{"type": "DYNAMIC", "role": "web"}]"#;

fn reserved(name: &str, value: f64, reservations: &str) -> Value {
    json!({"name": name, "type": "SCALAR", "scalar": {"value": value},
        "reservations": serde_json::from_str::<Value>(reservations).unwrap()})
}

fn accept(s: &Stream, offer: &Value, operations: Value) -> Value {
    json!({"type": "ACCEPT", "framework_id": {"value": s.framework_id}, "accept": {
        "offer_ids": [offer["id"]], "operations": operations,
        "filters": {"refuse_seconds": 0}}})
}

/// The next UPDATE_OPERATION_STATUS's status.
async fn next_status(s: &mut Stream) -> Value {
    s.until("UPDATE_OPERATION_STATUS").await["update_operation_status"]["status"].clone()
}

/// The next status other than `resent` (the unacknowledged one, which may be sent again in
/// between).
async fn next_besides(s: &mut Stream, resent: &Value) -> Value {
    loop {
        let st = next_status(s).await;
        if st != *resent {
            return st;
        }
    }
}

/// A framework in role `web` that may refine reservations, subscribed.
async fn web_framework(url: &str) -> Stream {
    subscribe(
        url,
        json!({"user": "root", "name": "feedback", "roles": ["web"],
            "capabilities": [{"type": "MULTI_ROLE"}, {"type": "RESERVATION_REFINEMENT"}]}),
    )
    .await
}

async fn operations(url: &str) -> Value {
    let (code, body) = operator(url, &json!({"type": "GET_OPERATIONS"})).await;
    assert_eq!(code, 200, "{body}");
    parse(&body)["get_operations"].clone()
}

#[tokio::test]
async fn an_operation_with_an_id_is_finished_resent_until_acknowledged_and_reconciled() {
    let m = start(1).await;
    let url = m.url();
    let mut s = web_framework(&url).await;
    let sid = s.stream_id.clone();
    let fid = json!({"value": s.framework_id});
    let offer = s.until("OFFERS").await["offers"]["offers"][0].clone();
    let agent = offer["agent_id"].clone();

    // One valid RESERVE and one for a role the resources are not allocated to.
    let ops = json!([
        {"type": "RESERVE", "id": {"value": "r1"}, "reserve": {"resources": [reserved("cpus", 1.0, WEB)]}},
        {"type": "RESERVE", "id": {"value": "r2"}, "reserve": {"resources": [
            reserved("mem", 32.0, r#"[{"type": "DYNAMIC", "role": "other"}]"#)]}},
    ]);
    assert_eq!(
        call(&url, Some(&sid), &accept(&s, &offer, ops)).await.0,
        202
    );
    let finished = next_status(&mut s).await;
    let uuid = finished["uuid"]["value"].as_str().unwrap().to_string();
    assert_eq!(
        finished,
        json!({"operation_id": {"value": "r1"}, "state": "OPERATION_FINISHED",
            "uuid": {"value": uuid}, "agent_id": agent})
    );
    let error = next_besides(&mut s, &finished).await;
    assert_eq!(error["operation_id"]["value"], "r2");
    assert_eq!(error["state"], "OPERATION_ERROR");
    assert!(error.get("uuid").is_none() && error.get("agent_id").is_none());
    assert!(
        error["message"].as_str().unwrap().starts_with(
            "A reserve operation was attempted for a resource with role 'other', but the resource was allocated to role 'web'; on agent "
        ),
        "{error}"
    );

    // The reservation is made: the agent's total holds it.
    let total = agent_total(&url).await;
    assert!(
        total.as_array().unwrap().iter().any(|r| r["name"] == "cpus"
            && r["reservations"][0]["role"] == "web"
            && r["scalar"]["value"] == 1.0),
        "{total}"
    );
    // Kept by the master until acknowledged, with the offer's allocation.
    let listed = operations(&url).await["operations"].clone();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    let op = &listed[0];
    assert_eq!(
        (&op["framework_id"], &op["agent_id"], &op["latest_status"]),
        (&fid, &agent, &finished)
    );
    assert_eq!(op["statuses"], json!([finished]));
    assert_eq!(op["info"]["id"]["value"], "r1");
    assert_eq!(
        op["info"]["reserve"]["resources"][0]["allocation_info"]["role"],
        "web"
    );
    assert!(op["uuid"]["value"].is_string());
    // The agent lists it too until then (its own GET_OPERATIONS).
    let agent_url = m.agents()[0].url.clone();
    assert_eq!(operations(&agent_url).await["operations"], listed);

    // Not acknowledged: sent again, the same status.
    assert_eq!(next_status(&mut s).await, finished);

    // Reconciliation answers by events, without the status uuid.
    let mut latest = finished.clone();
    latest.as_object_mut().unwrap().remove("uuid");
    let named = |id: &str, agent: Option<&Value>| {
        let mut o = json!({"operation_id": {"value": id}});
        if let Some(a) = agent {
            o["agent_id"] = a.clone();
        }
        o
    };
    let reconcile = |operations: Value| {
        json!({"type": "RECONCILE_OPERATIONS", "framework_id": fid,
            "reconcile_operations": {"operations": operations}})
    };
    let nobody = json!({"value": "nobody"});
    let asked = json!([
        named("r1", Some(&agent)),
        named("x", Some(&agent)),
        named("y", Some(&nobody)),
        named("z", None)
    ]);
    assert_eq!(
        call(&url, Some(&sid), &reconcile(asked)).await,
        (202, String::new())
    );
    let unknown = |id: &str, agent: Option<&Value>, message: &str| {
        let mut o = named(id, agent);
        o["state"] = json!("OPERATION_UNKNOWN");
        o["message"] = json!(message);
        o
    };
    let expected = [
        latest.clone(),
        unknown("x", Some(&agent), "Reconciliation: Operation is unknown"),
        unknown(
            "y",
            Some(&nobody),
            "Reconciliation: Both operation and agent are unknown",
        ),
        unknown(
            "z",
            None,
            "Reconciliation: Operation is unknown and no 'agent_id' was provided",
        ),
    ];
    for want in expected {
        assert_eq!(next_besides(&mut s, &finished).await, want);
    }
    // Asking about none: every operation the master keeps for the framework.
    assert_eq!(
        call(&url, Some(&sid), &reconcile(json!([]))).await,
        (202, String::new())
    );
    assert_eq!(next_besides(&mut s, &finished).await, latest);

    // ACKNOWLEDGE_OPERATION_STATUS: checked as the master checks it, then the operation ends.
    let ack = |body: Value| {
        json!({"type": "ACKNOWLEDGE_OPERATION_STATUS", "framework_id": fid,
            "acknowledge_operation_status": body})
    };
    assert_eq!(
        call(
            &url,
            Some(&sid),
            &ack(json!({"uuid": uuid, "operation_id": {"value": "r1"}}))
        )
        .await,
        (
            400,
            "Failed to validate scheduler::Call: Expecting 'agent_id' to be present".into()
        )
    );
    let valid = json!({"agent_id": agent, "uuid": uuid, "operation_id": {"value": "r1"}});
    assert_eq!(
        call(&url, Some(&sid), &ack(valid)).await,
        (202, String::new())
    );
    assert_eq!(operations(&url).await, json!({}));
    assert_eq!(operations(&agent_url).await, json!({}));
    assert_eq!(
        call(
            &url,
            Some(&sid),
            &reconcile(json!([named("r1", Some(&agent))]))
        )
        .await,
        (202, String::new())
    );
    assert_eq!(
        next_besides(&mut s, &finished).await,
        unknown("r1", Some(&agent), "Reconciliation: Operation is unknown")
    );
    m.shutdown().await;
}

#[tokio::test]
async fn volume_operations_with_ids_are_each_finished() {
    let m = start(1).await;
    let url = m.url();
    let mut s = web_framework(&url).await;
    let offer = s.until("OFFERS").await["offers"]["offers"][0].clone();
    let mut volume = reserved("disk", 32.0, WEB);
    volume["disk"] = json!({"persistence": {"id": "v1"},
        "volume": {"container_path": "data", "mode": "RW"}});
    let ops = json!([
        {"type": "RESERVE", "id": {"value": "a"}, "reserve": {"resources": [reserved("disk", 48.0, WEB)]}},
        {"type": "CREATE", "id": {"value": "b"}, "create": {"volumes": [volume]}},
        {"type": "GROW_VOLUME", "id": {"value": "c"}, "grow_volume": {"volume": volume,
            "addition": reserved("disk", 16.0, WEB)}},
    ]);
    let body = accept(&s, &offer, ops);
    assert_eq!(call(&url, Some(&s.stream_id), &body).await.0, 202);
    for id in ["a", "b", "c"] {
        let st = next_status(&mut s).await;
        assert_eq!(
            (st["operation_id"]["value"].as_str(), st["state"].as_str()),
            (Some(id), Some("OPERATION_FINISHED")),
            "{st}"
        );
    }
    let total = agent_total(&url).await;
    assert!(
        total
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["disk"]["persistence"]["id"] == "v1" && r["scalar"]["value"] == 48.0),
        "{total}"
    );
    let listed = operations(&url).await["operations"].clone();
    assert_eq!(listed.as_array().unwrap().len(), 3, "{listed}");
    m.shutdown().await;
}

#[tokio::test]
async fn a_launch_or_launch_group_with_an_id_is_dropped_and_its_tasks_get_task_error() {
    let m = start(1).await;
    let url = m.url();
    let mut s = web_framework(&url).await;
    let sid = s.stream_id.clone();
    let offer = s.until("OFFERS").await["offers"]["offers"][0].clone();
    let agent = offer["agent_id"].clone();
    let task = |id: &str| {
        json!({"name": id, "task_id": {"value": id}, "agent_id": agent,
            "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}}],
            "command": {"value": "sleep 60"}})
    };
    let executor = json!({"type": "DEFAULT", "executor_id": {"value": "e"},
        "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}}]});
    let ops = json!([
        {"type": "LAUNCH", "id": {"value": "l1"}, "launch": {"task_infos": [task("a")]}},
        {"type": "LAUNCH_GROUP", "id": {"value": "g1"}, "launch_group": {
            "executor": executor, "task_group": {"tasks": [task("b")]}}},
    ]);
    assert_eq!(
        call(&url, Some(&sid), &accept(&s, &offer, ops)).await.0,
        202
    );
    // `Master::accept`: operation feedback is not supported for either; each task is refused.
    let mut statuses = Vec::new();
    while statuses.len() < 2 {
        let update = s.until("UPDATE").await["update"]["status"].clone();
        statuses.push(update);
    }
    statuses.sort_by_key(|st| st["task_id"]["value"].as_str().unwrap_or("").to_string());
    for (st, id, reason, op) in [
        (&statuses[0], "a", "REASON_TASK_INVALID", "LAUNCH"),
        (
            &statuses[1],
            "b",
            "REASON_TASK_GROUP_INVALID",
            "LAUNCH_GROUP",
        ),
    ] {
        assert_eq!(st["task_id"]["value"], id, "{st}");
        assert_eq!(
            (&st["state"], &st["source"], &st["reason"], &st["agent_id"]),
            (
                &json!("TASK_ERROR"),
                &json!("SOURCE_MASTER"),
                &json!(reason),
                &agent
            ),
            "{st}"
        );
        assert_eq!(
            st["message"],
            format!("The `id` field cannot be set on {op} operations")
        );
        assert!(
            st.get("uuid").is_none(),
            "no acknowledgement is asked: {st}"
        );
    }
    // Nothing was launched or kept as an operation, and the resources are offered again whole.
    let (code, body) = operator(&url, &json!({"type": "GET_TASKS"})).await;
    assert_eq!(code, 200);
    let tasks = parse(&body)["get_tasks"].clone();
    assert!(
        tasks
            .get("tasks")
            .is_none_or(|t| t.as_array().is_some_and(Vec::is_empty)),
        "{tasks}"
    );
    assert!(
        operations(&url)
            .await
            .get("operations")
            .is_none_or(|o| o.as_array().is_some_and(Vec::is_empty))
    );
    let again = s.until("OFFERS").await["offers"]["offers"][0].clone();
    assert_eq!(again["resources"], offer["resources"]);
}

#[tokio::test]
async fn a_restarted_master_learns_unacknowledged_operations_from_the_agent() {
    let m = start(1).await;
    let url = m.url();
    let mut s = web_framework(&url).await;
    let offer = s.until("OFFERS").await["offers"]["offers"][0].clone();
    let ops = json!([{"type": "RESERVE", "id": {"value": "kept"},
        "reserve": {"resources": [reserved("cpus", 1.0, WEB)]}}]);
    assert_eq!(
        call(&url, Some(&s.stream_id.clone()), &accept(&s, &offer, ops))
            .await
            .0,
        202
    );
    let finished = next_status(&mut s).await;
    let before = operations(&url).await;
    assert_eq!(before["operations"].as_array().unwrap().len(), 1);

    // Not acknowledged when the master restarts: the agent re-registers holding it, and the
    // new master lists it and sends its status again to the re-subscribed framework.
    m.restart_master();
    s.until_end().await;
    let info = json!({"id": {"value": s.framework_id}, "user": "root", "name": "feedback",
        "roles": ["web"], "failover_timeout": 60.0,
        "capabilities": [{"type": "MULTI_ROLE"}, {"type": "RESERVATION_REFINEMENT"}]});
    let mut again = subscribe(&url, info).await;
    assert_eq!(again.framework_id, s.framework_id);
    assert_eq!(operations(&url).await, before);
    assert_eq!(next_status(&mut again).await, finished);
    let ack = json!({"type": "ACKNOWLEDGE_OPERATION_STATUS", "framework_id": {"value": again.framework_id},
        "acknowledge_operation_status": {"agent_id": finished["agent_id"],
            "uuid": finished["uuid"]["value"], "operation_id": {"value": "kept"}}});
    assert_eq!(
        call(&url, Some(&again.stream_id.clone()), &ack).await,
        (202, String::new())
    );
    assert_eq!(operations(&url).await, json!({}));
}
