//! The embedded Mesos's whole v1 surface: every call type of the scheduler, master operator
//! and agent operator APIs (lists written out from apache/mesos's `scheduler.proto`,
//! `master.proto` and `agent.proto`) either shows its effect or is refused with a 501 that
//! names the call. Plus the validation texts real Mesos gives (transcripts 30-38).

mod local_common;

use std::cell::RefCell;
use std::collections::BTreeSet;

use local_common::*;
use serde_json::{Value, json};

/// `master::Call.Type` (Mesos 1.11).
const MASTER_CALLS: &[&str] = &[
    "UNKNOWN",
    "GET_HEALTH",
    "GET_FLAGS",
    "GET_VERSION",
    "GET_METRICS",
    "GET_LOGGING_LEVEL",
    "SET_LOGGING_LEVEL",
    "LIST_FILES",
    "READ_FILE",
    "GET_STATE",
    "GET_AGENTS",
    "GET_FRAMEWORKS",
    "GET_EXECUTORS",
    "GET_OPERATIONS",
    "GET_TASKS",
    "GET_ROLES",
    "GET_WEIGHTS",
    "UPDATE_WEIGHTS",
    "GET_MASTER",
    "SUBSCRIBE",
    "RESERVE_RESOURCES",
    "UNRESERVE_RESOURCES",
    "CREATE_VOLUMES",
    "DESTROY_VOLUMES",
    "GROW_VOLUME",
    "SHRINK_VOLUME",
    "GET_MAINTENANCE_STATUS",
    "GET_MAINTENANCE_SCHEDULE",
    "UPDATE_MAINTENANCE_SCHEDULE",
    "START_MAINTENANCE",
    "STOP_MAINTENANCE",
    "DRAIN_AGENT",
    "DEACTIVATE_AGENT",
    "REACTIVATE_AGENT",
    "GET_QUOTA",
    "UPDATE_QUOTA",
    "SET_QUOTA",
    "REMOVE_QUOTA",
    "TEARDOWN",
    "MARK_AGENT_GONE",
];

/// `agent::Call.Type` (Mesos 1.11).
const AGENT_CALLS: &[&str] = &[
    "UNKNOWN",
    "GET_HEALTH",
    "GET_FLAGS",
    "GET_VERSION",
    "GET_METRICS",
    "GET_LOGGING_LEVEL",
    "SET_LOGGING_LEVEL",
    "LIST_FILES",
    "READ_FILE",
    "GET_STATE",
    "GET_CONTAINERS",
    "GET_FRAMEWORKS",
    "GET_EXECUTORS",
    "GET_OPERATIONS",
    "GET_TASKS",
    "GET_AGENT",
    "GET_RESOURCE_PROVIDERS",
    "LAUNCH_NESTED_CONTAINER",
    "WAIT_NESTED_CONTAINER",
    "KILL_NESTED_CONTAINER",
    "REMOVE_NESTED_CONTAINER",
    "LAUNCH_NESTED_CONTAINER_SESSION",
    "ATTACH_CONTAINER_INPUT",
    "ATTACH_CONTAINER_OUTPUT",
    "LAUNCH_CONTAINER",
    "WAIT_CONTAINER",
    "KILL_CONTAINER",
    "REMOVE_CONTAINER",
    "ADD_RESOURCE_PROVIDER_CONFIG",
    "UPDATE_RESOURCE_PROVIDER_CONFIG",
    "REMOVE_RESOURCE_PROVIDER_CONFIG",
    "MARK_RESOURCE_PROVIDER_GONE",
    "PRUNE_IMAGES",
];

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

/// Asserts the 501 that names the call and says mesos-local does not carry it out.
fn refused(name: &str, (code, body): (u16, String)) {
    assert_eq!(code, 501, "{name}: {body}");
    assert!(
        body.starts_with(&format!("mesos-local does not carry out {name} yet (")),
        "{name}: {body}"
    );
}

/// POSTs a call with the given content type to `url`; returns (status, body).
async fn post(url: &str, content_type: &str, body: &str) -> (u16, String) {
    let resp = client()
        .post(url)
        .header("Content-Type", content_type)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// POSTs an agent operator call.
async fn agent_call(agent_url: &str, body: &Value) -> (u16, String) {
    post(
        &format!("{agent_url}/api/v1"),
        "application/json",
        &body.to_string(),
    )
    .await
}

fn parse(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// A subscribed framework with one running `sleep` task, its status acknowledged.
async fn running_task(url: &str, task_id: &str) -> (Stream, Value) {
    let mut s = subscribe(url, framework("surface")).await;
    let offer = launch(
        url,
        &mut s,
        task_id,
        json!({"value": "echo surface-out; sleep 30"}),
        0.1,
    )
    .await;
    loop {
        let st = s.update().await;
        if st["uuid"].is_string() {
            ack(url, &s, &st).await;
        }
        if st["state"] == "TASK_RUNNING" {
            return (s, offer);
        }
        assert_eq!(st["state"], "TASK_STARTING", "{st}");
    }
}

#[tokio::test]
async fn every_master_operator_call_has_its_effect_or_is_refused() {
    let m = start(1).await;
    let url = m.url();
    let aid = m.agents()[0].id.clone();
    let agent = json!({"value": aid});
    let seen = RefCell::new(BTreeSet::new());
    let op = async |name: &str, body: Value| {
        seen.borrow_mut().insert(name.to_string());
        operator(&url, &body).await
    };

    assert_eq!(
        op("UNKNOWN", json!({"type": "UNKNOWN"})).await,
        (501, "501 Not Implemented.".into())
    );
    let (code, body) = op("GET_HEALTH", json!({"type": "GET_HEALTH"})).await;
    assert_eq!(
        (code, parse(&body)["get_health"]["healthy"].clone()),
        (200, json!(true))
    );
    let (code, body) = op("GET_FLAGS", json!({"type": "GET_FLAGS"})).await;
    assert_eq!(code, 200);
    assert!(
        !parse(&body)["get_flags"]["flags"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let (code, body) = op("GET_VERSION", json!({"type": "GET_VERSION"})).await;
    assert_eq!(code, 200);
    assert!(parse(&body)["get_version"]["version_info"]["version"].is_string());
    let (code, body) = op(
        "GET_METRICS",
        json!({"type": "GET_METRICS", "get_metrics": {}}),
    )
    .await;
    assert_eq!(code, 200);
    assert!(
        !parse(&body)["get_metrics"]["metrics"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let (code, body) = op("GET_LOGGING_LEVEL", json!({"type": "GET_LOGGING_LEVEL"})).await;
    assert_eq!(
        (code, parse(&body)["get_logging_level"]["level"].clone()),
        (200, json!(0))
    );
    refused(
        "SET_LOGGING_LEVEL",
        op(
            "SET_LOGGING_LEVEL",
            json!({"type": "SET_LOGGING_LEVEL", "set_logging_level": {"level": 1, "duration": {"nanoseconds": 1}}}),
        )
        .await,
    );
    // The master serves no files: every path is unknown, as on a master without --log_dir.
    assert_eq!(
        op(
            "LIST_FILES",
            json!({"type": "LIST_FILES", "list_files": {"path": "/master/log"}})
        )
        .await,
        (404, String::new())
    );
    assert_eq!(
        op(
            "READ_FILE",
            json!({"type": "READ_FILE", "read_file": {"path": "/master/log", "offset": 0}})
        )
        .await,
        (404, String::new())
    );
    let (code, body) = op("GET_STATE", json!({"type": "GET_STATE"})).await;
    assert_eq!(code, 200);
    assert_eq!(
        parse(&body)["get_state"]["get_agents"]["agents"][0]["agent_info"]["id"],
        agent
    );
    let (code, body) = op("GET_AGENTS", json!({"type": "GET_AGENTS"})).await;
    assert_eq!(
        (
            code,
            parse(&body)["get_agents"]["agents"][0]["agent_info"]["id"].clone()
        ),
        (200, agent.clone())
    );

    // A framework, so that the framework calls have something to show.
    let s = subscribe(&url, framework("surface-master")).await;
    let fid = json!({"value": s.framework_id});
    let (code, body) = op("GET_FRAMEWORKS", json!({"type": "GET_FRAMEWORKS"})).await;
    assert_eq!(code, 200);
    assert_eq!(
        parse(&body)["get_frameworks"]["frameworks"][0]["framework_info"]["id"],
        fid
    );
    let (code, body) = op("GET_EXECUTORS", json!({"type": "GET_EXECUTORS"})).await;
    assert_eq!(
        (code, parse(&body)["get_executors"]["executors"].clone()),
        (200, json!([]))
    );
    let (code, body) = op("GET_OPERATIONS", json!({"type": "GET_OPERATIONS"})).await;
    assert_eq!(
        (code, parse(&body)),
        (200, json!({"type": "GET_OPERATIONS", "get_operations": {}}))
    );
    let (code, body) = op("GET_TASKS", json!({"type": "GET_TASKS"})).await;
    assert_eq!(code, 200);
    assert!(parse(&body)["get_tasks"].is_object());
    let (code, body) = op("GET_ROLES", json!({"type": "GET_ROLES"})).await;
    assert_eq!(
        (code, parse(&body)["get_roles"]["roles"][0]["name"].clone()),
        (200, json!("*"))
    );
    assert_eq!(
        op("GET_WEIGHTS", json!({"type": "GET_WEIGHTS"})).await,
        (200, r#"{"type":"GET_WEIGHTS"}"#.into())
    );
    // Weights are carried out (local_weights.rs checks their effect).
    assert_eq!(
        op(
            "UPDATE_WEIGHTS",
            json!({"type": "UPDATE_WEIGHTS", "update_weights": {"weight_infos": [{"role": "web", "weight": 2.5}]}}),
        )
        .await,
        (200, String::new())
    );
    let (code, body) = op("GET_MASTER", json!({"type": "GET_MASTER"})).await;
    assert_eq!(code, 200);
    assert!(parse(&body)["get_master"]["master_info"]["id"].is_string());
    seen.borrow_mut().insert("SUBSCRIBE".to_string());
    let mut events = operator_stream(&url).await;
    assert_eq!(events.status, 200);
    assert_eq!(events.next().await.unwrap()["type"], "SUBSCRIBED");

    let cpus = json!([{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1},
        "reservations": [{"type": "DYNAMIC", "role": "web", "principal": "ops"}]}]);
    // Reservations are carried out (local_reservations.rs checks their effect).
    for name in ["RESERVE_RESOURCES", "UNRESERVE_RESOURCES"] {
        let section = name.to_ascii_lowercase();
        let body = json!({"type": name, section: {"agent_id": agent, "resources": cpus}});
        assert_eq!(op(name, body).await, (202, String::new()), "{name}");
    }
    for (name, body) in [
        (
            "CREATE_VOLUMES",
            json!({"agent_id": agent, "volumes": cpus}),
        ),
        (
            "DESTROY_VOLUMES",
            json!({"agent_id": agent, "volumes": cpus}),
        ),
        (
            "GROW_VOLUME",
            json!({"agent_id": agent, "volume": cpus[0], "addition": cpus[0]}),
        ),
        (
            "SHRINK_VOLUME",
            json!({"agent_id": agent, "volume": cpus[0], "subtract": {"value": 1}}),
        ),
        ("DRAIN_AGENT", json!({"agent_id": agent})),
        ("DEACTIVATE_AGENT", json!({"agent_id": agent})),
        ("MARK_AGENT_GONE", json!({"agent_id": agent})),
        (
            "UPDATE_QUOTA",
            json!({"quota_configs": [{"role": "web", "guarantees": {"cpus": {"value": 1}}}]}),
        ),
        (
            "SET_QUOTA",
            json!({"quota_request": {"role": "web", "guarantee": cpus}}),
        ),
        ("REMOVE_QUOTA", json!({"role": "web"})),
        (
            "UPDATE_MAINTENANCE_SCHEDULE",
            json!({"schedule": {"windows": [{
            "machine_ids": [{"hostname": "localhost", "ip": "127.0.0.1"}],
            "unavailability": {"start": {"nanoseconds": 1}}}]}}),
        ),
    ] {
        let section = name.to_ascii_lowercase();
        refused(name, op(name, json!({"type": name, section: body})).await);
    }
    // Refused setters leave their getters true; the agent still offers, unreserved.
    assert_eq!(
        op("GET_QUOTA", json!({"type": "GET_QUOTA"})).await,
        (
            200,
            r#"{"type":"GET_QUOTA","get_quota":{"status":{}}}"#.into()
        )
    );
    assert_eq!(
        op(
            "GET_MAINTENANCE_STATUS",
            json!({"type": "GET_MAINTENANCE_STATUS"})
        )
        .await,
        (
            200,
            r#"{"type":"GET_MAINTENANCE_STATUS","get_maintenance_status":{"status":{}}}"#.into()
        )
    );
    // An empty schedule is carried out: it is what the master has.
    assert_eq!(
        op("UPDATE_MAINTENANCE_SCHEDULE", json!({"type": "UPDATE_MAINTENANCE_SCHEDULE", "update_maintenance_schedule": {"schedule": {}}})).await,
        (200, String::new())
    );
    assert_eq!(
        op(
            "GET_MAINTENANCE_SCHEDULE",
            json!({"type": "GET_MAINTENANCE_SCHEDULE"})
        )
        .await,
        (
            200,
            r#"{"type":"GET_MAINTENANCE_SCHEDULE","get_maintenance_schedule":{"schedule":{}}}"#
                .into()
        )
    );
    let machine = json!({"machines": [{"hostname": "localhost", "ip": "127.0.0.1"}]});
    for name in ["START_MAINTENANCE", "STOP_MAINTENANCE"] {
        let section = name.to_ascii_lowercase();
        assert_eq!(
            op(name, json!({"type": name, section: machine})).await,
            (400, r#"Machine '{"hostname":"localhost","ip":"127.0.0.1"}' is not part of a maintenance schedule"#.into())
        );
    }
    assert_eq!(
        op(
            "REACTIVATE_AGENT",
            json!({"type": "REACTIVATE_AGENT", "reactivate_agent": {"agent_id": agent}})
        )
        .await,
        (400, "Agent is not deactivated".into())
    );
    let (_, body) = operator(&url, &json!({"type": "GET_AGENTS"})).await;
    let listed = &parse(&body)["get_agents"]["agents"][0];
    assert_eq!(listed["active"], true, "{listed}");
    assert!(listed.get("drain_info").is_none(), "{listed}");

    assert_eq!(
        op(
            "TEARDOWN",
            json!({"type": "TEARDOWN", "teardown": {"framework_id": fid}})
        )
        .await,
        (200, String::new())
    );
    assert_eq!(
        events.until("FRAMEWORK_REMOVED").await["framework_removed"]["framework_info"]["id"],
        fid
    );
    let (_, body) = operator(&url, &json!({"type": "GET_FRAMEWORKS"})).await;
    assert_eq!(
        parse(&body)["get_frameworks"]["completed_frameworks"][0]["framework_info"]["id"],
        fid
    );

    let all: BTreeSet<String> = MASTER_CALLS.iter().map(|s| s.to_string()).collect();
    assert_eq!(seen.into_inner(), all, "every master call type is walked");
    m.shutdown().await;
}

#[tokio::test]
async fn every_agent_operator_call_has_its_effect_or_is_refused() {
    let m = start(1).await;
    let url = m.url();
    let agent = m.agents()[0].clone();
    let (s, _) = running_task(&url, "surface-t").await;
    let seen = RefCell::new(BTreeSet::new());
    let a = agent.url.clone();
    let op = async |name: &str, body: Value| {
        seen.borrow_mut().insert(name.to_string());
        agent_call(&a, &body).await
    };

    assert_eq!(
        op("UNKNOWN", json!({"type": "UNKNOWN"})).await,
        (501, "501 Not Implemented.".into())
    );
    assert_eq!(
        op("GET_HEALTH", json!({"type": "GET_HEALTH"})).await,
        (
            200,
            r#"{"type":"GET_HEALTH","get_health":{"healthy":true}}"#.into()
        )
    );
    let (code, body) = op("GET_FLAGS", json!({"type": "GET_FLAGS"})).await;
    assert_eq!(code, 200);
    let flags = parse(&body)["get_flags"]["flags"].clone();
    assert!(
        flags
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "work_dir"),
        "{flags}"
    );
    let (code, body) = op("GET_VERSION", json!({"type": "GET_VERSION"})).await;
    assert_eq!(code, 200);
    assert!(parse(&body)["get_version"]["version_info"]["version"].is_string());
    refused(
        "GET_METRICS",
        op(
            "GET_METRICS",
            json!({"type": "GET_METRICS", "get_metrics": {}}),
        )
        .await,
    );
    let (code, body) = op("GET_LOGGING_LEVEL", json!({"type": "GET_LOGGING_LEVEL"})).await;
    assert_eq!(
        (code, parse(&body)["get_logging_level"]["level"].clone()),
        (200, json!(0))
    );
    refused(
        "SET_LOGGING_LEVEL",
        op(
            "SET_LOGGING_LEVEL",
            json!({"type": "SET_LOGGING_LEVEL",
            "set_logging_level": {"level": 1, "duration": {"nanoseconds": 1}}}),
        )
        .await,
    );

    // The running task's sandbox, through the same virtual paths as /files.
    let run = format!(
        "/frameworks/{}/executors/surface-t/runs/latest",
        s.framework_id
    );
    let (code, body) = op(
        "LIST_FILES",
        json!({"type": "LIST_FILES", "list_files": {"path": run}}),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let infos = parse(&body)["list_files"]["file_infos"].clone();
    let stdout = format!("{run}/stdout");
    assert!(
        infos
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == stdout.as_str()),
        "{infos}"
    );
    let (code, body) = op(
        "READ_FILE",
        json!({"type": "READ_FILE", "read_file": {"path": stdout, "offset": 0}}),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let read = parse(&body)["read_file"].clone();
    let data = mesos_lib::v1::bytes::Bytes::from_base64(read["data"].as_str().unwrap()).unwrap();
    assert!(
        String::from_utf8_lossy(data.as_slice()).contains("surface-out"),
        "{read}"
    );
    assert_eq!(
        read["size"].as_u64().unwrap() as usize,
        data.as_slice().len()
    );

    let (code, body) = op("GET_STATE", json!({"type": "GET_STATE"})).await;
    assert_eq!(code, 200);
    let state = parse(&body)["get_state"].clone();
    assert_eq!(
        state["get_tasks"]["launched_tasks"][0]["task_id"]["value"], "surface-t",
        "{state}"
    );
    assert_eq!(
        state["get_tasks"]["launched_tasks"][0]["state"],
        "TASK_RUNNING"
    );
    let (code, body) = op("GET_TASKS", json!({"type": "GET_TASKS"})).await;
    assert_eq!(
        (
            code,
            parse(&body)["get_tasks"]["launched_tasks"][0]["task_id"]["value"].clone()
        ),
        (200, json!("surface-t"))
    );
    let (code, body) = op("GET_EXECUTORS", json!({"type": "GET_EXECUTORS"})).await;
    assert_eq!(code, 200);
    assert_eq!(
        parse(&body)["get_executors"]["executors"][0]["executor_info"]["executor_id"]["value"],
        "surface-t"
    );
    let (code, body) = op("GET_FRAMEWORKS", json!({"type": "GET_FRAMEWORKS"})).await;
    assert_eq!(code, 200);
    assert_eq!(
        parse(&body)["get_frameworks"]["frameworks"][0]["framework_info"]["id"]["value"],
        s.framework_id.as_str()
    );
    let (code, body) = op("GET_CONTAINERS", json!({"type": "GET_CONTAINERS"})).await;
    assert_eq!(code, 200);
    let c = parse(&body)["get_containers"]["containers"][0].clone();
    assert_eq!(c["executor_id"]["value"], "surface-t", "{c}");
    assert_eq!(c["container_status"]["container_id"], c["container_id"]);
    assert!(
        c["container_status"]["executor_pid"].as_u64().unwrap() > 0,
        "{c}"
    );
    let (code, body) = op("GET_AGENT", json!({"type": "GET_AGENT"})).await;
    assert_eq!(
        (
            code,
            parse(&body)["get_agent"]["agent_info"]["id"]["value"].clone()
        ),
        (200, json!(agent.id))
    );
    for name in ["GET_OPERATIONS", "GET_RESOURCE_PROVIDERS"] {
        let section = name.to_ascii_lowercase();
        let (code, body) = op(name, json!({"type": name})).await;
        assert_eq!(
            (code, parse(&body)),
            (200, json!({"type": name, section: {}}))
        );
    }
    let cid = json!({"value": "nested-1", "parent": c["container_id"]});
    for name in [
        "LAUNCH_NESTED_CONTAINER",
        "WAIT_NESTED_CONTAINER",
        "KILL_NESTED_CONTAINER",
        "REMOVE_NESTED_CONTAINER",
        "LAUNCH_NESTED_CONTAINER_SESSION",
        "ATTACH_CONTAINER_OUTPUT",
        "LAUNCH_CONTAINER",
        "WAIT_CONTAINER",
        "KILL_CONTAINER",
        "REMOVE_CONTAINER",
    ] {
        let section = name.to_ascii_lowercase();
        refused(
            name,
            op(name, json!({"type": name, section: {"container_id": cid}})).await,
        );
    }
    for (name, body) in [
        (
            "ATTACH_CONTAINER_INPUT",
            json!({"type": "CONTAINER_ID", "container_id": cid}),
        ),
        (
            "ADD_RESOURCE_PROVIDER_CONFIG",
            json!({"info": {"type": "x", "name": "y"}}),
        ),
        (
            "UPDATE_RESOURCE_PROVIDER_CONFIG",
            json!({"info": {"type": "x", "name": "y"}}),
        ),
        (
            "REMOVE_RESOURCE_PROVIDER_CONFIG",
            json!({"type": "x", "name": "y"}),
        ),
        (
            "MARK_RESOURCE_PROVIDER_GONE",
            json!({"resource_provider_id": {"value": "rp"}}),
        ),
        ("PRUNE_IMAGES", json!({})),
    ] {
        let section = name.to_ascii_lowercase();
        refused(name, op(name, json!({"type": name, section: body})).await);
    }
    // Nothing refused touched the task.
    let (_, body) = agent_call(&agent.url, &json!({"type": "GET_TASKS"})).await;
    assert_eq!(
        parse(&body)["get_tasks"]["launched_tasks"][0]["state"],
        "TASK_RUNNING"
    );

    let all: BTreeSet<String> = AGENT_CALLS.iter().map(|s| s.to_string()).collect();
    assert_eq!(seen.into_inner(), all, "every agent call type is walked");
    m.shutdown().await;
}

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
            {"type": "RESERVE", "id": {"value": "op-reserve"}, "reserve": {"resources": cpus}},
            {"type": "CREATE", "create": {"volumes": cpus}},
            {"type": "LAUNCH_GROUP", "launch_group": {
                "executor": {"executor_id": {"value": "grp"}, "type": "DEFAULT"},
                "task_group": {"tasks": [task("g1"), task("g2")]}}},
        ],
        "filters": {"refuse_seconds": 0}}});
    assert_eq!(call(&url, Some(&sid), &accept).await, (202, String::new()));
    let op = s.until("UPDATE_OPERATION_STATUS").await["update_operation_status"]["status"].clone();
    assert_eq!(op["operation_id"]["value"], "op-reserve");
    assert_eq!(op["state"], "OPERATION_ERROR");
    assert!(
        op["message"]
            .as_str()
            .unwrap()
            .contains("mesos-local does not carry out RESERVE"),
        "{op}"
    );
    for id in ["g1", "g2"] {
        let st = s.update().await;
        assert_eq!(st["task_id"]["value"], id);
        assert_eq!(st["state"], "TASK_ERROR");
        assert_eq!(st["source"], "SOURCE_MASTER");
        assert_eq!(st["reason"], "REASON_TASK_GROUP_INVALID");
        assert!(
            st["message"].as_str().unwrap().contains("LAUNCH_GROUP"),
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
    // No inverse offer can exist (maintenance is refused): the master ignores unknown ones.
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
    assert_eq!(
        sc("ACKNOWLEDGE_OPERATION_STATUS", json!({"acknowledge_operation_status": {
            "agent_id": aid, "uuid": "AAAAAAAAAAAAAAAAAAAAAA==", "operation_id": {"value": "op-reserve"}}})).await.0,
        202
    );
    let (code, body) = sc(
        "RECONCILE_OPERATIONS",
        json!({"reconcile_operations": {
        "operations": [{"operation_id": {"value": "op-reserve"}}]}}),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(
        parse(&body)["reconcile_operations"]["operation_statuses"][0]["state"],
        "OPERATION_UNKNOWN"
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

#[tokio::test]
async fn master_validates_operator_calls_as_real_mesos_does() {
    let m = start(1).await;
    let url = m.url();
    let api = format!("{url}/api/v1");
    let nobody = json!({"value": "no-such-agent"});
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            json!({"type": "FROBNICATE"}),
            400,
            "Failed to validate master::Call: Expecting 'type' to be present",
        ),
        (
            json!({}),
            400,
            "Failed to validate master::Call: Expecting 'type' to be present",
        ),
        (
            json!({"type": "RESERVE_RESOURCES"}),
            400,
            "Failed to validate master::Call: Expecting 'reserve_resources' to be present",
        ),
        (
            json!({"type": "RESERVE_RESOURCES", "reserve_resources": {}}),
            400,
            "Failed to convert JSON into Call protobuf: Missing required fields: reserve_resources.agent_id",
        ),
        (
            json!({"type": "DRAIN_AGENT"}),
            400,
            "Failed to validate master::Call: Expecting 'drain_agent' to be present",
        ),
        (
            json!({"type": "GROW_VOLUME"}),
            400,
            "Failed to validate master::Call: Expecting 'grow_volume' to be present",
        ),
        (
            json!({"type": "MARK_AGENT_GONE"}),
            400,
            "Failed to validate master::Call: Expecting 'mark_agent_gone' to be present",
        ),
        (
            json!({"type": "READ_FILE"}),
            400,
            "Failed to validate master::Call: Expecting 'read_file' to be present",
        ),
        (
            json!({"type": "RESERVE_RESOURCES", "reserve_resources": {"agent_id": nobody}}),
            400,
            "No agent found with specified ID",
        ),
        (
            json!({"type": "UNRESERVE_RESOURCES", "unreserve_resources": {"agent_id": nobody}}),
            400,
            "No agent found with specified ID",
        ),
        (
            json!({"type": "CREATE_VOLUMES", "create_volumes": {"agent_id": nobody}}),
            400,
            "No agent found with specified ID",
        ),
        (
            json!({"type": "DESTROY_VOLUMES", "destroy_volumes": {"agent_id": nobody}}),
            400,
            "No agent found with specified ID",
        ),
        (
            json!({"type": "DRAIN_AGENT", "drain_agent": {"agent_id": nobody}}),
            400,
            "Unknown agent",
        ),
        (
            json!({"type": "DEACTIVATE_AGENT", "deactivate_agent": {"agent_id": nobody}}),
            400,
            "Unknown agent",
        ),
        (
            json!({"type": "REACTIVATE_AGENT", "reactivate_agent": {"agent_id": nobody}}),
            400,
            "Unknown agent",
        ),
        (
            json!({"type": "START_MAINTENANCE", "start_maintenance": {"machines": [{"hostname": "nope", "ip": "127.0.0.9"}]}}),
            400,
            r#"Machine '{"hostname":"nope","ip":"127.0.0.9"}' is not part of a maintenance schedule"#,
        ),
        (
            json!({"type": "UPDATE_WEIGHTS", "update_weights": {"weight_infos": [{"role": "web", "weight": -1}]}}),
            400,
            "Failed to validate update weights request JSON for role 'web': Invalid weight '-1': Weights must be positive",
        ),
        (
            json!({"type": "UPDATE_QUOTA", "update_quota": {"quota_configs": [{"role": "web",
            "guarantees": {"cpus": {"value": 3}}, "limits": {"cpus": {"value": 1}}}]}}),
            400,
            "Invalid QuotaConfig: 'QuotaConfig.guarantees' { cpus: 3 } is not contained within the 'QuotaConfig.limits' { cpus: 1 }",
        ),
        (
            json!({"type": "UPDATE_QUOTA", "update_quota": {"quota_configs": [{"role": "web",
            "guarantees": {"cpus": {"value": -1}}}]}}),
            400,
            "Invalid QuotaConfig: Invalid guarantee configuration {'cpus': -1}: Negative values not supported",
        ),
        (
            json!({"type": "TEARDOWN", "teardown": {"framework_id": {"value": "nope"}}}),
            400,
            "No framework found with specified ID",
        ),
        (
            json!({"type": "READ_FILE", "read_file": {"path": "/nope", "offset": 0}}),
            404,
            "",
        ),
        (
            json!({"type": "LIST_FILES", "list_files": {"path": "/nope"}}),
            404,
            "",
        ),
        (json!({"type": "UNKNOWN"}), 501, "501 Not Implemented."),
        (
            json!({"type": "GET_HEALTH", "bogus_field": 1}),
            200,
            r#"{"type":"GET_HEALTH","get_health":{"healthy":true}}"#,
        ),
    ];
    for (body, code, text) in cases {
        assert_eq!(
            operator(&url, &body).await,
            (code, text.to_string()),
            "{body}"
        );
    }
    assert_eq!(
        post(&api, "text/plain", r#"{"type":"GET_HEALTH"}"#).await,
        (
            415,
            "Expecting 'Content-Type' of application/json or application/x-protobuf".into()
        )
    );
    let resp = client().get(&api).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    assert_eq!(
        resp.text().await.unwrap(),
        "405 Method Not Allowed. Expecting one of { 'POST' }, but received 'GET'."
    );
    m.shutdown().await;
}

#[tokio::test]
async fn agent_validates_operator_calls_as_real_mesos_does() {
    let m = start(1).await;
    let agent = m.agents()[0].url.clone();
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            json!({"type": "FROBNICATE"}),
            400,
            "Failed to validate agent::Call: Expecting 'type' to be present",
        ),
        (
            json!({}),
            400,
            "Failed to validate agent::Call: Expecting 'type' to be present",
        ),
        (
            json!({"type": "GET_AGENTS"}),
            400,
            "Failed to validate agent::Call: Expecting 'type' to be present",
        ),
        (
            json!({"type": "GET_METRICS"}),
            400,
            "Failed to validate agent::Call: Expecting 'get_metrics' to be present",
        ),
        (
            json!({"type": "LAUNCH_NESTED_CONTAINER_SESSION"}),
            400,
            "Failed to validate agent::Call: Expecting 'launch_nested_container_session' to be present",
        ),
        (
            json!({"type": "KILL_CONTAINER", "kill_container": {}}),
            400,
            "Missing required fields: kill_container.container_id",
        ),
        (
            json!({"type": "READ_FILE", "read_file": {"path": "/nope", "offset": 0}}),
            404,
            "",
        ),
        (
            json!({"type": "LIST_FILES", "list_files": {"path": "/nope"}}),
            404,
            "",
        ),
        (json!({"type": "UNKNOWN"}), 501, "501 Not Implemented."),
    ];
    for (body, code, text) in cases {
        assert_eq!(
            agent_call(&agent, &body).await,
            (code, text.to_string()),
            "{body}"
        );
    }
    let api = format!("{agent}/api/v1");
    assert_eq!(
        post(&api, "text/plain", r#"{"type":"GET_HEALTH"}"#).await.0,
        415
    );
    let resp = client().get(&api).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    m.shutdown().await;
}
