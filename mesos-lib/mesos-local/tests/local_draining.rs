//! Draining, deactivating and marking agents gone on the embedded Mesos, against what a real
//! master answered (transcript 33) and `Master::Http::_drainAgent` & co.: DRAIN_AGENT,
//! DEACTIVATE_AGENT, REACTIVATE_AGENT, MARK_AGENT_GONE.

mod local_common;

use local_common::*;
use mesos_local::{LocalConfig, LocalMesos};
use serde_json::{Value, json};

async fn cluster(agents: usize) -> LocalMesos {
    LocalMesos::start(LocalConfig {
        agents,
        ..fast_config(1)
    })
    .await
    .expect("embedded Mesos starts")
}

fn parse(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// The agent `id` as GET_AGENTS lists it (None once it is not listed).
async fn listed(url: &str, id: &str) -> Option<Value> {
    let (code, body) = operator(url, &json!({"type": "GET_AGENTS"})).await;
    assert_eq!(code, 200);
    parse(&body)["get_agents"]["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agent_info"]["id"]["value"] == id)
        .cloned()
}

/// Waits until the master has run `n` more allocation cycles (its own metric), so that an
/// offer it would make has been made.
async fn cycles(url: &str, n: f64) {
    let runs = || async move {
        get_json(&format!("{url}/metrics/snapshot")).await["allocator/mesos/allocation_runs"]
            .as_f64()
            .unwrap()
    };
    let start = runs().await;
    eventually("the allocator stopped", || async move {
        (runs().await >= start + n).then_some(())
    })
    .await;
}

/// The offers the master holds for framework `fid` (GET_FRAMEWORKS).
async fn offers_held(url: &str) -> Vec<Value> {
    let (_, body) = operator(url, &json!({"type": "GET_FRAMEWORKS"})).await;
    parse(&body)["get_frameworks"]["frameworks"][0]["offers"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Waits until the master holds an offer for the (one) framework, and returns it.
async fn offer_held(url: &str) -> Value {
    eventually("no offer made", || async move {
        offers_held(url).await.into_iter().next()
    })
    .await
}

fn agent_call(ty: &str, aid: &Value) -> Value {
    let section = ty.to_ascii_lowercase();
    json!({"type": ty, section: {"agent_id": aid}})
}

#[tokio::test]
async fn a_drained_agent_kills_its_tasks_offers_nothing_and_comes_back_when_reactivated() {
    let m = cluster(1).await;
    let url = m.url();
    let info = json!({"user": "root", "name": "drain", "roles": ["web"],
        "capabilities": [{"type": "MULTI_ROLE"}, {"type": "TASK_KILLING_STATE"}]});
    let mut s = subscribe(&url, info).await;
    let offer = launch(
        &url,
        &mut s,
        "drain-sleeper",
        json!({"value": "sleep 600", "shell": true}),
        0.1,
    )
    .await;
    let aid = offer["agent_id"].clone();
    let id = aid["value"].as_str().unwrap().to_string();
    for state in ["TASK_STARTING", "TASK_RUNNING"] {
        let u = s.update().await;
        assert_eq!(u["state"], state);
        ack(&url, &s, &u).await;
    }
    let held = offer_held(&url).await["id"].clone();

    let drain = json!({"type": "DRAIN_AGENT", "drain_agent": {"agent_id": aid,
        "max_grace_period": {"seconds": 5}}});
    assert_eq!(operator(&url, &drain).await, (200, String::new()));
    assert_eq!(s.until("RESCIND").await["rescind"]["offer_id"], held);
    let a = listed(&url, &id).await.unwrap();
    assert_eq!(
        (a["active"].clone(), a["deactivated"].clone()),
        (json!(false), json!(true))
    );
    assert_eq!(
        a["drain_info"],
        json!({"state": "DRAINING", "config": {"max_grace_period": {"nanoseconds": 5_000_000_000i64}, "mark_gone": false}})
    );
    assert_eq!(
        a["estimated_drain_start_time"]["nanoseconds"]
            .as_i64()
            .unwrap()
            % 1_000_000_000,
        0
    );

    let killing = s.update().await;
    assert_eq!(
        (&killing["state"], &killing["source"], &killing["reason"]),
        (
            &json!("TASK_KILLING"),
            &json!("SOURCE_EXECUTOR"),
            &json!("REASON_AGENT_DRAINING")
        )
    );
    ack(&url, &s, &killing).await;
    let killed = s.update().await;
    assert_eq!(
        (&killed["state"], &killed["message"], &killed["reason"]),
        (
            &json!("TASK_KILLED"),
            &json!("Command terminated with signal Terminated"),
            &json!("REASON_AGENT_DRAINING")
        )
    );
    // Until the master forgets the task (its terminal update acknowledged), it is DRAINING.
    assert_eq!(
        operator(&url, &agent_call("REACTIVATE_AGENT", &aid)).await,
        (400, "Agent is still in the DRAINING state".into())
    );
    ack(&url, &s, &killed).await;
    let a = listed(&url, &id).await.unwrap();
    assert_eq!(a["drain_info"]["state"], "DRAINED", "{a}");
    let state = get_json(&format!("{url}/master/state")).await;
    let slave = &state["slaves"][0];
    assert_eq!(
        (
            slave["active"].clone(),
            slave["deactivated"].clone(),
            slave["drain_info"]["state"].clone()
        ),
        (json!(false), json!(true), json!("DRAINED"))
    );
    assert_eq!(state["deactivated_slaves"], 1.0);
    cycles(&url, 3.0).await;
    assert!(
        offers_held(&url).await.is_empty(),
        "a drained agent is offered"
    );
    // Draining a drained agent again: 200, still DRAINED.
    assert_eq!(
        operator(&url, &agent_call("DRAIN_AGENT", &aid)).await,
        (200, String::new())
    );
    assert_eq!(
        listed(&url, &id).await.unwrap()["drain_info"]["state"],
        "DRAINED"
    );

    assert_eq!(
        operator(&url, &agent_call("REACTIVATE_AGENT", &aid)).await,
        (200, String::new())
    );
    let back = s.until("OFFERS").await["offers"]["offers"][0].clone();
    assert_eq!(back["agent_id"], aid);
    let a = listed(&url, &id).await.unwrap();
    assert_eq!(
        (a["active"].clone(), a.get("drain_info")),
        (json!(true), None)
    );
    assert_eq!(
        operator(&url, &agent_call("REACTIVATE_AGENT", &aid)).await,
        (400, "Agent is not deactivated".into())
    );

    // Deactivation alone: RESCIND, deactivated without drain_info, no offers.
    assert_eq!(
        operator(&url, &agent_call("DEACTIVATE_AGENT", &aid)).await,
        (200, String::new())
    );
    assert_eq!(s.until("RESCIND").await["rescind"]["offer_id"], back["id"]);
    let a = listed(&url, &id).await.unwrap();
    assert_eq!(
        (a["deactivated"].clone(), a.get("drain_info")),
        (json!(true), None)
    );
    cycles(&url, 3.0).await;
    assert!(
        offers_held(&url).await.is_empty(),
        "a deactivated agent is offered"
    );
    assert_eq!(
        operator(&url, &agent_call("REACTIVATE_AGENT", &aid)).await,
        (200, String::new())
    );
    assert_eq!(
        s.until("OFFERS").await["offers"]["offers"][0]["agent_id"],
        aid
    );
    m.shutdown().await;
}

#[tokio::test]
async fn drain_and_deactivation_refusals_are_the_masters() {
    let m = cluster(1).await;
    let url = m.url();
    let nobody = json!({"value": "no-such-agent"});
    for ty in ["DRAIN_AGENT", "DEACTIVATE_AGENT"] {
        assert_eq!(
            operator(&url, &agent_call(ty, &nobody)).await,
            (400, "Unknown agent".into())
        );
    }
    assert_eq!(
        operator(&url, &agent_call("REACTIVATE_AGENT", &nobody)).await,
        (400, "Agent is not deactivated".into())
    );
    assert_eq!(
        operator(&url, &agent_call("MARK_AGENT_GONE", &nobody)).await,
        (404, "Agent 'no-such-agent' not found".into())
    );
    assert_eq!(
        operator(&url, &json!({"type": "DRAIN_AGENT", "drain_agent": {}})).await,
        (400, "Failed to convert JSON into Call protobuf: Missing required fields: drain_agent.agent_id".into())
    );
    // An agent whose machine is in the maintenance schedule cannot be drained.
    let aid = json!({"value": m.agents()[0].id});
    let schedule = json!({"type": "UPDATE_MAINTENANCE_SCHEDULE", "update_maintenance_schedule": {
        "schedule": {"windows": [{"machine_ids": [{"hostname": "127.0.0.1", "ip": "127.0.0.1"}],
        "unavailability": {"start": {"nanoseconds": 1}}}]}}});
    assert_eq!(operator(&url, &schedule).await, (200, String::new()));
    assert_eq!(
        operator(&url, &agent_call("DRAIN_AGENT", &aid)).await,
        (
            400,
            format!(
                "Agent {} is part of a maintenance schedule under Machine 127.0.0.1 (127.0.0.1)",
                m.agents()[0].id
            )
        )
    );
    // A deactivation is kept in the registry: a restarted master still offers nothing there.
    assert_eq!(
        operator(&url, &agent_call("DEACTIVATE_AGENT", &aid)).await,
        (200, String::new())
    );
    m.restart_master();
    let a = listed(&url, &m.agents()[0].id).await.unwrap();
    assert_eq!(
        (a["active"].clone(), a["deactivated"].clone()),
        (json!(false), json!(true))
    );
    m.shutdown().await;
}

#[tokio::test]
async fn an_agent_marked_gone_ends_its_tasks_as_gone_by_operator() {
    let m = cluster(2).await;
    let url = m.url();
    let info = json!({"user": "root", "name": "gone",
        "capabilities": [{"type": "PARTITION_AWARE"}]});
    let mut s = subscribe(&url, info).await;
    let offer = launch(
        &url,
        &mut s,
        "g1",
        json!({"value": "sleep 600", "shell": true}),
        0.1,
    )
    .await;
    let aid = offer["agent_id"].clone();
    let id = aid["value"].as_str().unwrap().to_string();
    for _ in 0..2 {
        let u = s.update().await;
        ack(&url, &s, &u).await;
    }
    assert_eq!(
        operator(&url, &agent_call("MARK_AGENT_GONE", &aid)).await,
        (200, String::new())
    );
    let gone = s.update().await;
    assert_eq!(
        (
            &gone["state"],
            &gone["reason"],
            &gone["source"],
            &gone["message"]
        ),
        (
            &json!("TASK_GONE_BY_OPERATOR"),
            &json!("REASON_AGENT_REMOVED_BY_OPERATOR"),
            &json!("SOURCE_MASTER"),
            &json!("Agent has been marked gone")
        )
    );
    assert_eq!(s.until("FAILURE").await["failure"]["agent_id"], aid);
    assert!(listed(&url, &id).await.is_none(), "a gone agent is listed");
    // Asked about a task on a gone agent, the master says it is gone.
    let rec = json!({"type": "RECONCILE", "framework_id": {"value": s.framework_id},
        "reconcile": {"tasks": [{"task_id": {"value": "elsewhere"}, "agent_id": aid}]}});
    assert_eq!(call(&url, Some(&s.stream_id), &rec).await.0, 202);
    let answer = s.update().await;
    assert_eq!(
        (&answer["state"], &answer["reason"], &answer["message"]),
        (
            &json!("TASK_GONE_BY_OPERATOR"),
            &json!("REASON_RECONCILIATION"),
            &json!("Reconciliation: Task is gone")
        )
    );
    assert_eq!(
        operator(&url, &agent_call("MARK_AGENT_GONE", &aid)).await,
        (200, String::new())
    );
    assert_eq!(
        operator(&url, &agent_call("DRAIN_AGENT", &aid)).await,
        (400, "Unknown agent".into())
    );
    m.shutdown().await;
}

#[tokio::test]
async fn a_drain_that_marks_gone_removes_the_agent_once_its_tasks_are_gone() {
    let m = cluster(1).await;
    let url = m.url();
    let mut s = subscribe(&url, framework("drain-gone")).await;
    let offer = launch(
        &url,
        &mut s,
        "dg",
        json!({"value": "sleep 600", "shell": true}),
        0.1,
    )
    .await;
    let aid = offer["agent_id"].clone();
    for _ in 0..2 {
        let u = s.update().await;
        ack(&url, &s, &u).await;
    }
    let drain = json!({"type": "DRAIN_AGENT", "drain_agent": {"agent_id": aid, "mark_gone": true}});
    assert_eq!(operator(&url, &drain).await, (200, String::new()));
    // Not partition-aware: TASK_KILLED (the agent does not turn it into TASK_GONE_BY_OPERATOR).
    let killed = s.update().await;
    assert_eq!(
        (&killed["state"], &killed["reason"]),
        (&json!("TASK_KILLED"), &json!("REASON_AGENT_DRAINING"))
    );
    ack(&url, &s, &killed).await;
    assert_eq!(s.until("FAILURE").await["failure"]["agent_id"], aid);
    assert!(listed(&url, aid["value"].as_str().unwrap()).await.is_none());
    m.shutdown().await;
}
