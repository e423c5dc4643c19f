//! Operator API, JSON endpoints, multi-master redirects and fault injection of the embedded Mesos.
// Needs the embedded Mesos; compiled out when mesos-lib is built as cells build it (`cell` only).

mod local_common;

use local_common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn operator_calls_and_json_endpoints() {
    let m = start(1).await;
    let url = m.url();
    assert_eq!(
        operator(&url, &json!({"type": "GET_HEALTH"})).await,
        (
            200,
            r#"{"type":"GET_HEALTH","get_health":{"healthy":true}}"#.into()
        )
    );
    let (code, body) = operator(&url, &json!({"type": "GET_VERSION"})).await;
    assert_eq!(code, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["get_version"]["version_info"]["version"],
        "1.11.0"
    );
    assert_eq!(
        operator(&url, &json!({"type": "GET_METRICS"})).await,
        (
            400,
            "Failed to validate master::Call: Expecting 'get_metrics' to be present".into()
        )
    );
    assert_eq!(
        operator(&url, &json!({"type": "NO_SUCH_CALL"})).await,
        (
            400,
            "Failed to validate master::Call: Expecting 'type' to be present".into()
        )
    );
    assert_eq!(
        operator(&url, &json!({"type": "GET_METRICS", "get_metrics": {}}))
            .await
            .0,
        200
    );
    let (_, body) = operator(&url, &json!({"type": "GET_STATE"})).await;
    let st: Value = serde_json::from_str(&body).unwrap();
    let keys: Vec<&String> = st["get_state"].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["get_tasks", "get_executors", "get_frameworks", "get_agents"]
    );
    assert_eq!(
        st["get_state"]["get_agents"]["agents"][0]["agent_info"]["id"]["value"],
        m.agents()[0].id.as_str()
    );
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (path, code) in [
        ("/health", 200),
        ("/master/health", 200),
        ("/state.json", 404),
        ("/master/state.json", 404),
    ] {
        assert_eq!(
            c.get(format!("{url}{path}"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
            code,
            "{path}"
        );
    }
    let r = c
        .get(format!("{url}/master/redirect"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 307);
    assert_eq!(r.headers()["location"], url.trim_start_matches("http:"));
    for path in [
        "/master/state",
        "/state",
        "/master/state-summary",
        "/master/tasks",
        "/master/frameworks",
        "/master/slaves",
        "/master/roles",
        "/version",
        "/metrics/snapshot",
    ] {
        let r = c.get(format!("{url}{path}")).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "{path}");
        assert_eq!(r.headers()["content-type"], "application/json");
    }
    let state = get_json(&format!("{url}/master/state")).await;
    assert_eq!(
        state["slaves"][0]["resources"],
        json!({"disk": 4096.0, "mem": 1024.0, "gpus": 0.0, "cpus": 2.0, "ports": "[31000-32000]"})
    );
    let agent: Value = c
        .get(format!("{}/state", m.agents()[0].url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(agent["version"], state["version"]);
    m.shutdown().await;
}

/// What stout cannot convert into a `master::Call` is its 400, and changes nothing; what it
/// reads leniently (a number as a string, one value for a repeated field) is carried out.
#[tokio::test]
async fn operator_calls_are_converted_as_stout_converts_them() {
    let m = start(1).await;
    let url = m.url();
    let agent = json!({"value": m.agents()[0].id.as_str()});
    assert_eq!(
        operator(&url, &json!({"type": "GET_HEALTH", "teardown": {}})).await,
        (
            400,
            "Failed to convert JSON into Call protobuf: Missing required fields: teardown.framework_id"
                .into()
        )
    );
    let refused = [
        json!({"type": "DRAIN_AGENT", "drain_agent": {"agent_id": agent,
            "max_grace_period": {"seconds": 1.5}}}),
        json!({"type": "DEACTIVATE_AGENT", "deactivate_agent": {"agent_id": {"value": 7}}}),
        json!({"type": "GET_METRICS", "get_metrics": {"timeout": {"nanoseconds": "soon"}}}),
        json!({"type": "READ_FILE", "read_file": {"path": "/x", "offset": -1}}),
    ];
    for call in refused {
        let (code, body) = operator(&url, &call).await;
        assert_eq!(code, 400, "{call}");
        assert!(
            body.starts_with("Failed to convert JSON into Call protobuf: "),
            "{call}: {body}"
        );
    }
    let (_, body) = operator(&url, &json!({"type": "GET_AGENTS"})).await;
    let agents: Value = serde_json::from_str(&body).unwrap();
    let first = &agents["get_agents"]["agents"][0];
    assert_eq!(first["deactivated"], false, "{first}");
    assert!(first.get("drain_info").is_none(), "{first}");

    let update = json!({"type": "UPDATE_WEIGHTS",
        "update_weights": {"weight_infos": {"role": "web", "weight": "2.5"}}});
    assert_eq!(operator(&url, &update).await, (200, String::new()));
    let (_, body) = operator(&url, &json!({"type": "GET_WEIGHTS"})).await;
    let weights: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        weights["get_weights"]["weight_infos"],
        json!([{"weight": 2.5, "role": "web"}])
    );
    let drain = json!({"type": "DRAIN_AGENT", "drain_agent": {"agent_id": agent,
        "max_grace_period": "2s", "mark_gone": "false"}});
    assert_eq!(operator(&url, &drain).await, (200, String::new()));
    let (_, body) = operator(&url, &json!({"type": "GET_AGENTS"})).await;
    let agents: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        agents["get_agents"]["agents"][0]["drain_info"]["config"],
        json!({"max_grace_period": {"nanoseconds": 2_000_000_000i64}, "mark_gone": false})
    );

    let set = |guarantee: Value| {
        json!({"type": "SET_QUOTA", "set_quota": {"quota_request": {
        "role": "web", "force": "true", "guarantee": guarantee}}})
    };
    assert_eq!(
        operator(&url, &set(json!([{"name": "cpus", "scalar": {"value": 1}}]))).await,
        (
            400,
            "Failed to convert JSON into Call protobuf: Missing required fields: set_quota.quota_request.guarantee[0].type"
                .into()
        )
    );
    let one = json!({"name": "cpus", "type": "SCALAR", "scalar": {"value": "1000"}});
    assert_eq!(operator(&url, &set(one)).await, (200, String::new()));
    let (_, body) = operator(&url, &json!({"type": "GET_QUOTA"})).await;
    let quota: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        quota["get_quota"]["status"]["configs"][0]["guarantees"],
        json!({"cpus": {"value": 1000.0}}),
        "forced past the cluster's 1 agent: {quota}"
    );
    m.shutdown().await;
}

#[tokio::test]
async fn operator_event_stream_follows_a_task() {
    let m = start(1).await;
    let url = m.url();
    let mut ops = operator_stream(&url).await;
    assert_eq!(ops.status, 200);
    assert!(ops.until("SUBSCRIBED").await["subscribed"]["get_state"].is_object());
    assert_eq!(ops.next().await.unwrap()["type"], "HEARTBEAT");
    let mut s = subscribe(&url, framework("ops")).await;
    ops.until("FRAMEWORK_ADDED").await;
    launch(&url, &mut s, "op-task", json!({"value": "true"}), 0.1).await;
    assert_eq!(
        ops.until("TASK_ADDED").await["task_added"]["task"]["state"],
        "TASK_STAGING"
    );
    assert_eq!(
        ops.until("TASK_UPDATED").await["task_updated"]["state"],
        "TASK_STARTING"
    );
    let td = json!({"framework_id": {"value": s.framework_id}, "type": "TEARDOWN"});
    assert_eq!(call(&url, Some(&s.stream_id), &td).await.0, 202);
    ops.until("FRAMEWORK_REMOVED").await;
    m.shutdown().await;
}

#[tokio::test]
async fn followers_redirect_and_leader_fails_over() {
    let m = start(2).await;
    let urls = m.master_urls();
    let leader = urls[0].trim_start_matches("http:").to_string();
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = c
        .post(format!("{}/api/v1/scheduler", urls[1]))
        .header("Content-Type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 307);
    assert_eq!(
        r.headers()["location"],
        format!("{leader}/master/api/v1/scheduler")
    );
    let r = c.post(format!("{}/api/v1", urls[1])).send().await.unwrap();
    assert_eq!(r.headers()["location"], format!("{leader}/master/api/v1"));
    assert_eq!(
        c.get(format!("{}/health", urls[1]))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    let mut s = subscribe(&urls[0], framework("ha")).await;
    let new_leader = m.fail_over_leader();
    assert_eq!(new_leader, urls[1]);
    s.until_end().await;
    let r = c
        .get(format!("{}/master/redirect", urls[0]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], urls[1].trim_start_matches("http:"));
    m.clear_leader();
    let r = c
        .post(format!("{}/api/v1/scheduler", urls[0]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (r.status().as_u16(), r.text().await.unwrap()),
        (503, "No leader elected".into())
    );
    m.shutdown().await;
}

/// A master restarted the moment an ACCEPT is answered learns every task of it from the agent
/// as it re-registers, the ones the agent had not yet started included (it catches up first).
#[tokio::test]
async fn a_master_restarted_right_after_an_accept_knows_every_task_of_it() {
    let m = start(1).await;
    let url = m.url();
    let info = json!({"user": "root", "name": "restart-early", "failover_timeout": 300});
    let mut s = subscribe(&url, info).await;
    let ids = launch_many(&url, &mut s, 40, "sleep 30").await;
    m.restart_master();
    let (code, body) = operator(&url, &json!({"type": "GET_TASKS"})).await;
    assert_eq!(code, 200, "{body}");
    let tasks: serde_json::Value = serde_json::from_str(&body).unwrap();
    let mut known: Vec<String> = tasks["get_tasks"]["tasks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| t["task_id"]["value"].as_str().unwrap().to_string())
        .collect();
    known.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(known, expected);
    m.shutdown().await;
}

/// Processes whose command line holds `marker`, zombies aside.
fn processes_with(marker: &str) -> usize {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .filter(|c| String::from_utf8_lossy(c).contains(marker))
        .count()
}

/// An agent removed the moment an ACCEPT is answered leaves no task process behind: those it
/// had not started are dropped, and those still being spawned are killed as they register.
#[tokio::test]
async fn an_agent_removed_right_after_an_accept_leaves_no_process() {
    let m = start(1).await;
    let url = m.url();
    let mut s = subscribe(&url, framework("removed-early")).await;
    let marker = format!("600.{}{}", std::process::id(), line!());
    launch_many(&url, &mut s, 40, &format!("sleep {marker}")).await;
    assert!(m.remove_agent(&m.agents()[0].id));
    eventually("every task process of the removed agent is gone", || {
        let left = processes_with(&marker);
        async move { (left == 0).then_some(()) }
    })
    .await;
    m.shutdown().await;
}

#[tokio::test]
async fn master_restart_keeps_tasks_and_agent_removal_loses_them() {
    let m = start(1).await;
    let url = m.url();
    let info = json!({"user": "root", "name": "survivor", "failover_timeout": 300});
    let mut s = subscribe(&url, info.clone()).await;
    launch(&url, &mut s, "long", json!({"value": "sleep 30"}), 0.1).await;
    loop {
        let u = s.update().await;
        ack(&url, &s, &u).await;
        if u["state"] == "TASK_RUNNING" {
            break;
        }
    }
    m.restart_master();
    s.until_end().await;
    let mut info2 = info.clone();
    info2["id"] = json!({"value": s.framework_id});
    let mut s2 = subscribe(&url, info2).await;
    assert_eq!(s2.framework_id, s.framework_id);
    let rec = json!({"framework_id": {"value": s2.framework_id}, "type": "RECONCILE", "reconcile": {"tasks": []}});
    assert_eq!(call(&url, Some(&s2.stream_id), &rec).await.0, 202);
    let u = s2.update().await;
    assert_eq!(
        (u["state"].as_str(), u["message"].as_str()),
        (
            Some("TASK_RUNNING"),
            Some("Reconciliation: Latest task state")
        )
    );
    let mut ops = operator_stream(&url).await;
    ops.until("SUBSCRIBED").await;
    assert!(m.remove_agent(&m.agents()[0].id));
    let lost = s2.update().await;
    assert_eq!(
        (lost["state"].as_str(), lost["reason"].as_str()),
        (Some("TASK_LOST"), Some("REASON_AGENT_REMOVED"))
    );
    ops.until("AGENT_REMOVED").await;
    m.shutdown().await;
}
