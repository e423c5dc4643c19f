//! The master operator API's whole v1 surface: every call type of `master.proto` (Mesos
//! 1.11) either shows its effect or is refused with a 501 that names the call; and the
//! validation texts real Mesos gives (transcripts 30-38).

mod local_common;

use std::cell::RefCell;
use std::collections::BTreeSet;

use local_common::surface::*;
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
    // Volumes are carried out (local_volumes.rs): these are not volumes.
    for (name, text) in [
        (
            "CREATE_VOLUMES",
            format!("Invalid CREATE operation on agent {} at ", agent["value"].as_str().unwrap()),
        ),
        (
            "DESTROY_VOLUMES",
            "Invalid DESTROY operation: Not a persistent volume: Resource cpus(reservations: [(DYNAMIC,web,ops)]):1 does not have DiskInfo".to_string(),
        ),
    ] {
        let section = name.to_ascii_lowercase();
        let body = json!({"type": name, section: {"agent_id": agent, "volumes": cpus}});
        let (code, answer) = op(name, body).await;
        assert_eq!(code, 400, "{name}: {answer}");
        assert!(answer.starts_with(&text), "{name}: {answer}");
    }
    // Resizes are carried out too (local_volumes.rs): this is not a volume.
    for (name, body, text) in [
        (
            "GROW_VOLUME",
            json!({"agent_id": agent, "volume": cpus[0], "addition": cpus[0]}),
            "Invalid persistent volume in the 'GrowVolume.volume' field: Resource cpus(reservations: [(DYNAMIC,web,ops)]):1 does not have DiskInfo",
        ),
        (
            "SHRINK_VOLUME",
            json!({"agent_id": agent, "volume": cpus[0], "subtract": {"value": 1}}),
            "Value of 'ShrinkVolume.subtract' must be smaller than the size of 'ShrinkVolume.volume'",
        ),
    ] {
        let section = name.to_ascii_lowercase();
        let (code, answer) = op(name, json!({"type": name, section: body})).await;
        let prefix = format!(
            "Invalid {name} operation on agent {} at ",
            agent["value"].as_str().unwrap()
        );
        assert_eq!(code, 400, "{name}: {answer}");
        assert!(
            answer.starts_with(&prefix) && answer.ends_with(&format!(": {text}")),
            "{name}: {answer}"
        );
    }
    // Quota is carried out: kept by UPDATE_QUOTA, a second SET_QUOTA refused, REMOVE_QUOTA
    // forgets it, so GET_QUOTA is empty again.
    let quota = json!({"quota_configs": [{"role": "web", "guarantees": {"cpus": {"value": 1}}}]});
    assert_eq!(
        op(
            "UPDATE_QUOTA",
            json!({"type": "UPDATE_QUOTA", "update_quota": quota})
        )
        .await,
        (200, String::new())
    );
    assert_eq!(
        op("SET_QUOTA", json!({"type": "SET_QUOTA", "set_quota": {"quota_request": {"role": "web", "guarantee": cpus}}})).await,
        (
            400,
            "Failed to validate set quota request: Cannot set quota for role 'web' which already has quota".into()
        )
    );
    assert_eq!(
        op(
            "REMOVE_QUOTA",
            json!({"type": "REMOVE_QUOTA", "remove_quota": {"role": "web"}})
        )
        .await,
        (200, String::new())
    );
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
    // Maintenance, draining and deactivation are carried out (local_maintenance.rs and
    // local_draining.rs check their effects); here each answers as a master does.
    let window = json!({"schedule": {"windows": [{
        "machine_ids": [{"hostname": "localhost", "ip": "127.0.0.1"}],
        "unavailability": {"start": {"nanoseconds": 1}}}]}});
    for schedule in [window, json!({"schedule": {}})] {
        let body =
            json!({"type": "UPDATE_MAINTENANCE_SCHEDULE", "update_maintenance_schedule": schedule});
        assert_eq!(
            op("UPDATE_MAINTENANCE_SCHEDULE", body).await,
            (200, String::new())
        );
    }
    for name in [
        "DEACTIVATE_AGENT",
        "REACTIVATE_AGENT",
        "DRAIN_AGENT",
        "REACTIVATE_AGENT",
    ] {
        let section = name.to_ascii_lowercase();
        let body = json!({"type": name, section: {"agent_id": agent}});
        assert_eq!(op(name, body).await, (200, String::new()), "{name}");
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
    // Last, as it removes the agent for good.
    let gone = json!({"type": "MARK_AGENT_GONE", "mark_agent_gone": {"agent_id": agent}});
    assert_eq!(op("MARK_AGENT_GONE", gone).await, (200, String::new()));
    assert_eq!(
        events.until("AGENT_REMOVED").await["agent_removed"]["agent_id"],
        agent
    );

    let all: BTreeSet<String> = MASTER_CALLS.iter().map(|s| s.to_string()).collect();
    assert_eq!(seen.into_inner(), all, "every master call type is walked");
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
            "Agent is not deactivated",
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
async fn master_refuses_reservations_gone_agents_and_overcommitted_quota_as_real_mesos_does() {
    let m = start(1).await;
    let url = m.url();
    let agent = &m.agents()[0];
    let id = json!({"value": agent.id});
    let cpus = json!({"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}});
    let static_cpus =
        json!({"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}, "role": "web"});
    let port = agent.url.rsplit(':').next().unwrap().to_string();
    let cases: Vec<(Value, u16, String)> = vec![
        // Transcript 30.
        (
            json!({"type": "UNRESERVE_RESOURCES", "unreserve_resources": {"agent_id": id, "resources": [cpus]}}),
            400,
            "Invalid UNRESERVE operation: Resource cpus:1 is not dynamically reserved".into(),
        ),
        (
            json!({"type": "UNRESERVE_RESOURCES", "unreserve_resources": {"agent_id": id, "resources": [static_cpus]}}),
            400,
            "Invalid UNRESERVE operation: Resource cpus(reservations: [(STATIC,web)]):1 is not dynamically reserved".into(),
        ),
        (
            json!({"type": "RESERVE_RESOURCES", "reserve_resources": {"agent_id": id, "resources": [cpus]}}),
            400,
            format!(
                "Invalid RESERVE operation on agent {} at slave(1)@127.0.0.1:{port} (127.0.0.1): Resource cpus:1 is not dynamically reserved",
                agent.id
            ),
        ),
        // apache/mesos master/http.cpp `_markAgentGone`: no agent is ever gone here.
        (
            json!({"type": "MARK_AGENT_GONE", "mark_agent_gone": {"agent_id": {"value": "no-such-agent"}}}),
            404,
            "Agent 'no-such-agent' not found".into(),
        ),
        // Transcript 31: the agents' scalar total, sorted by name.
        (
            json!({"type": "UPDATE_QUOTA", "update_quota": {"quota_configs": [{"role": "web",
                "guarantees": {"cpus": {"value": 1000}}}]}}),
            400,
            "Invalid QuotaConfig: total quota guarantees 'cpus:1000' exceed cluster capacity 'cpus:2; disk:4096; mem:1024' (use 'force' flag to bypass this check)".into(),
        ),
        (
            json!({"type": "UPDATE_QUOTA", "update_quota": {"quota_configs": [
                {"role": "web", "guarantees": {"ports": {"value": 1}}},
                {"role": "db", "guarantees": {"cpus": {"value": 1.5}}}]}}),
            400,
            "Invalid QuotaConfig: total quota guarantees 'cpus:1.5; ports:1' exceed cluster capacity 'cpus:2; disk:4096; mem:1024' (use 'force' flag to bypass this check)".into(),
        ),
    ];
    for (body, code, text) in cases {
        assert_eq!(operator(&url, &body).await, (code, text), "{body}");
    }
    // Transcript 30: UNRESERVE of a reservation the agent lacks is 409, naming what the agent
    // has available (no framework here, so all of it); with no resources it changes nothing.
    let reserved = json!([{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1},
        "reservations": [{"type": "DYNAMIC", "role": "web", "principal": "ops"}]}]);
    assert_eq!(
        operator(&url, &json!({"type": "UNRESERVE_RESOURCES",
            "unreserve_resources": {"agent_id": id, "resources": reserved}})).await,
        (
            409,
            "cpus:2; mem:1024; disk:4096; ports:[31000-32000] does not contain cpus(reservations: [(DYNAMIC,web,ops)]):1".into()
        )
    );
    assert_eq!(
        operator(
            &url,
            &json!({"type": "UNRESERVE_RESOURCES",
            "unreserve_resources": {"agent_id": id, "resources": []}})
        )
        .await,
        (202, String::new())
    );
    // Within capacity, or forced: past validation, and kept.
    for configs in [
        json!({"quota_configs": [{"role": "web", "guarantees": {"cpus": {"value": 2}}}]}),
        json!({"quota_configs": [{"role": "web", "guarantees": {"cpus": {"value": 1000}}}], "force": true}),
    ] {
        let body = json!({"type": "UPDATE_QUOTA", "update_quota": configs});
        assert_eq!(operator(&url, &body).await, (200, String::new()));
    }
    let gone = json!({"type": "MARK_AGENT_GONE", "mark_agent_gone": {"agent_id": id}});
    assert_eq!(operator(&url, &gone).await, (200, String::new()));
    m.shutdown().await;
}
