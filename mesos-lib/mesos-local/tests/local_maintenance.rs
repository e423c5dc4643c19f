//! Maintenance on the embedded Mesos, against what a real master answered (transcript 34):
//! the schedule, offers with `unavailability`, INVERSE_OFFERS and their answers in the
//! maintenance status, machines brought DOWN (agents removed) and UP, the legacy endpoints,
//! and the schedule kept across a master restart.

mod local_common;

use std::collections::BTreeSet;

use local_common::*;
use mesos_local::{LocalConfig, LocalMesos};
use serde_json::{Value, json};

const START: i64 = 4_102_444_800_000_000_000; // 2100-01-01, far enough not to begin
const HOUR: i64 = 3_600_000_000_000;

/// Agents 0 and 1 on machine (127.0.0.1, 127.0.0.1), agent 2 on (maint-host, 127.0.0.1),
/// as in the transcript.
async fn cluster() -> LocalMesos {
    LocalMesos::start(LocalConfig {
        agents: 3,
        agent_hostnames: vec![String::new(), String::new(), "maint-host".into()],
        ..fast_config(1)
    })
    .await
    .expect("embedded Mesos starts")
}

fn machine(host: &str) -> Value {
    json!({"hostname": host, "ip": "127.0.0.1"})
}

/// The transcript's schedule: machine 127.0.0.1 for an hour, maint-host open-ended.
fn two_windows() -> Value {
    json!({"windows": [
        {"machine_ids": [machine("127.0.0.1")],
         "unavailability": {"start": {"nanoseconds": START}, "duration": {"nanoseconds": HOUR}}},
        {"machine_ids": [machine("maint-host")], "unavailability": {"start": {"nanoseconds": START}}},
    ]})
}

fn update(schedule: Value) -> Value {
    json!({"type": "UPDATE_MAINTENANCE_SCHEDULE", "update_maintenance_schedule": {"schedule": schedule}})
}

fn machines_call(ty: &str, hosts: &[&str]) -> Value {
    let list: Vec<Value> = hosts.iter().map(|h| machine(h)).collect();
    json!({"type": ty, ty.to_ascii_lowercase(): {"machines": list}})
}

async fn accept_launch(url: &str, s: &Stream, offer: &Value, task_id: &str) {
    let body = json!({"type": "ACCEPT", "framework_id": {"value": s.framework_id}, "accept": {
        "offer_ids": [offer["id"]],
        "operations": [{"type": "LAUNCH", "launch": {"task_infos": [{
            "name": task_id, "task_id": {"value": task_id}, "agent_id": offer["agent_id"],
            "command": {"value": "sleep 600", "shell": true},
            "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
                          {"name": "mem", "type": "SCALAR", "scalar": {"value": 32}}]}]}}],
        "filters": {"refuse_seconds": 0}}});
    assert_eq!(
        call(url, Some(&s.stream_id), &body).await,
        (202, String::new())
    );
}

/// Waits until the (one) framework holds an offer on each of `agents`.
async fn offers_held_on(url: &str, agents: &[&str]) {
    eventually(&format!("no offers on {agents:?}"), || async move {
        let (_, body) = operator(url, &json!({"type": "GET_FRAMEWORKS"})).await;
        let v: Value = serde_json::from_str(&body).unwrap();
        let held = v["get_frameworks"]["frameworks"][0]["offers"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        agents
            .iter()
            .all(|a| held.iter().any(|o| o["agent_id"]["value"] == *a))
            .then_some(())
    })
    .await;
}

/// Inverse offers until one has arrived for each agent of `agents`, by agent ID.
async fn inverse_offers(s: &mut Stream, agents: &[&str]) -> Vec<Value> {
    let mut got: Vec<Value> = Vec::new();
    while !agents
        .iter()
        .all(|a| got.iter().any(|io| io["agent_id"]["value"] == *a))
    {
        let ev = s.until("INVERSE_OFFERS").await;
        got.extend(
            ev["inverse_offers"]["inverse_offers"]
                .as_array()
                .unwrap()
                .iter()
                .cloned(),
        );
    }
    got
}

#[tokio::test]
async fn a_schedule_asks_frameworks_back_and_a_machine_goes_down_and_up() {
    let m = cluster().await;
    let url = m.url();
    let ids: Vec<String> = m.agents().iter().map(|a| a.id.clone()).collect();
    let info = json!({"user": "root", "name": "rec-maint", "roles": ["web"],
        "capabilities": [{"type": "MULTI_ROLE"}, {"type": "RESERVATION_REFINEMENT"}]});
    let mut s = subscribe(&url, info).await;
    let mut offers: Vec<Value> = Vec::new();
    while offers.len() < 3 {
        let ev = s.until("OFFERS").await;
        offers.extend(ev["offers"]["offers"].as_array().unwrap().iter().cloned());
    }
    let on = |i: usize| {
        offers
            .iter()
            .find(|o| o["agent_id"]["value"] == ids[i].as_str())
            .unwrap()
            .clone()
    };
    // Agent 0 is declined for an hour, so that the framework holds nothing there.
    let decline = json!({"type": "DECLINE", "framework_id": {"value": s.framework_id},
        "decline": {"offer_ids": [on(0)["id"]], "filters": {"refuse_seconds": 3600}}});
    assert_eq!(call(&url, Some(&s.stream_id), &decline).await.0, 202);
    accept_launch(&url, &s, &on(1), "maint-a2").await;
    accept_launch(&url, &s, &on(2), "maint-a3").await;
    for _ in 0..4 {
        let u = s.update().await;
        ack(&url, &s, &u).await;
    }

    // Once the framework holds offers for the rest of agents 1 and 2, the new schedule
    // rescinds both (so the OFFERS read below are the ones made after it).
    offers_held_on(&url, &[&ids[1], &ids[2]]).await;
    assert_eq!(
        operator(&url, &update(two_windows())).await,
        (200, String::new())
    );
    s.until("RESCIND").await;
    s.until("RESCIND").await;
    let schedule = r#"{"windows":[{"machine_ids":[{"hostname":"127.0.0.1","ip":"127.0.0.1"}],"unavailability":{"start":{"nanoseconds":4102444800000000000},"duration":{"nanoseconds":3600000000000}}},{"machine_ids":[{"hostname":"maint-host","ip":"127.0.0.1"}],"unavailability":{"start":{"nanoseconds":4102444800000000000}}}]}"#;
    assert_eq!(
        operator(&url, &json!({"type": "GET_MAINTENANCE_SCHEDULE"})).await,
        (
            200,
            format!(
                r#"{{"type":"GET_MAINTENANCE_SCHEDULE","get_maintenance_schedule":{{"schedule":{schedule}}}}}"#
            )
        )
    );
    assert_eq!(
        get_text(&format!("{url}/master/maintenance/schedule")).await,
        r#"{"windows":[{"machine_ids":[{"hostname":"127.0.0.1","ip":"127.0.0.1"}],"unavailability":{"duration":{"nanoseconds":3600000000000},"start":{"nanoseconds":4102444800000000000}}},{"machine_ids":[{"hostname":"maint-host","ip":"127.0.0.1"}],"unavailability":{"start":{"nanoseconds":4102444800000000000}}}]}"#
    );
    // Offers again, each carrying its machine's window; inverse offers for agents 1 and 2.
    let again = s.until("OFFERS").await;
    for o in again["offers"]["offers"].as_array().unwrap() {
        let want = if o["hostname"] == "maint-host" {
            json!({"start": {"nanoseconds": START}})
        } else {
            json!({"start": {"nanoseconds": START}, "duration": {"nanoseconds": HOUR}})
        };
        assert_eq!(o["unavailability"], want, "{o}");
    }
    let ios = inverse_offers(&mut s, &[&ids[1], &ids[2]]).await;
    let io = |i: usize| {
        ios.iter()
            .find(|io| io["agent_id"]["value"] == ids[i].as_str())
            .unwrap()
            .clone()
    };
    assert!(
        ios.iter()
            .all(|io| io["agent_id"]["value"] != ids[0].as_str())
    );
    let io2 = io(2);
    assert_eq!(
        io2.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["id", "url", "framework_id", "agent_id", "unavailability"]
    );
    assert_eq!(io2["url"]["address"]["hostname"], "maint-host");
    assert_eq!(
        io2["unavailability"],
        json!({"start": {"nanoseconds": START}})
    );
    assert_eq!(
        operator(&url, &json!({"type": "GET_MAINTENANCE_STATUS"})).await,
        (200, r#"{"type":"GET_MAINTENANCE_STATUS","get_maintenance_status":{"status":{"draining_machines":[{"id":{"hostname":"maint-host","ip":"127.0.0.1"}},{"id":{"hostname":"127.0.0.1","ip":"127.0.0.1"}}]}}}"#.into())
    );

    let answer = |ty: &str, io: &Value, refuse: f64| {
        json!({"type": ty, "framework_id": {"value": s.framework_id},
            ty.to_ascii_lowercase(): {"inverse_offer_ids": [io["id"]], "filters": {"refuse_seconds": refuse}}})
    };
    let accept = answer("ACCEPT_INVERSE_OFFERS", &io2, 60.0);
    assert_eq!(
        call(&url, Some(&s.stream_id), &accept).await,
        (202, String::new())
    );
    let decline = answer("DECLINE_INVERSE_OFFERS", &io(1), 0.2);
    assert_eq!(
        call(&url, Some(&s.stream_id), &decline).await,
        (202, String::new())
    );
    // A decline with a short filter brings a new inverse offer; the accepted one does not.
    let fresh = s.until("INVERSE_OFFERS").await["inverse_offers"]["inverse_offers"].clone();
    assert_eq!(fresh.as_array().unwrap().len(), 1, "{fresh}");
    assert_eq!(fresh[0]["agent_id"]["value"], ids[1].as_str());
    let (_, body) = operator(&url, &json!({"type": "GET_MAINTENANCE_STATUS"})).await;
    let status: Value = serde_json::from_str(&body).unwrap();
    let draining = &status["get_maintenance_status"]["status"]["draining_machines"];
    let answered = |i: usize| {
        let st = &draining[i]["statuses"][0];
        assert_eq!(st["framework_id"]["value"], s.framework_id.as_str());
        assert!(st["timestamp"]["nanoseconds"].as_i64().unwrap() > 0);
        st["status"].as_str().unwrap().to_string()
    };
    assert_eq!(
        (answered(0), answered(1)),
        ("ACCEPT".into(), "DECLINE".into())
    );
    let legacy = get_text(&format!("{url}/master/maintenance/status")).await;
    assert!(legacy.starts_with(r#"{"draining_machines":[{"id":{"hostname":"maint-host","ip":"127.0.0.1"},"statuses":[{"framework_id":"#), "{legacy}");

    assert_eq!(
        operator(&url, &json!({"type": "START_MAINTENANCE", "start_maintenance": {"machines": [{"hostname": "nope", "ip": "127.0.0.9"}]}})).await,
        (400, r#"Machine '{"hostname":"nope","ip":"127.0.0.9"}' is not part of a maintenance schedule"#.into())
    );
    assert_eq!(
        operator(&url, &machines_call("STOP_MAINTENANCE", &["maint-host"])).await,
        (400, r#"Machine '{"hostname":"maint-host","ip":"127.0.0.1"}' is not in DOWN mode and cannot be brought up"#.into())
    );
    assert_eq!(
        operator(&url, &machines_call("START_MAINTENANCE", &["maint-host"])).await,
        (200, String::new())
    );
    let mut seen = Vec::new();
    loop {
        let ev = s.next().await.expect("stream open");
        let ty = ev["type"].as_str().unwrap().to_string();
        if ty == "UPDATE" {
            let st = &ev["update"]["status"];
            assert_eq!(
                (
                    &st["task_id"]["value"],
                    &st["state"],
                    &st["source"],
                    &st["reason"],
                    &st["message"]
                ),
                (
                    &json!("maint-a3"),
                    &json!("TASK_LOST"),
                    &json!("SOURCE_MASTER"),
                    &json!("REASON_AGENT_REMOVED"),
                    &json!("Agent maint-host removed: Operator initiated 'Machine DOWN'")
                )
            );
        }
        if ["UPDATE", "RESCIND", "FAILURE"].contains(&ty.as_str()) {
            seen.push(ty.clone());
        }
        if ty == "FAILURE" {
            assert_eq!(ev["failure"]["agent_id"]["value"], ids[2].as_str());
            break;
        }
    }
    assert_eq!(seen, ["UPDATE", "RESCIND", "FAILURE"]);
    let (_, body) = operator(&url, &json!({"type": "GET_AGENTS"})).await;
    let listed: BTreeSet<String> =
        serde_json::from_str::<Value>(&body).unwrap()["get_agents"]["agents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["agent_info"]["id"]["value"].as_str().unwrap().to_string())
            .collect();
    assert_eq!(listed, BTreeSet::from([ids[0].clone(), ids[1].clone()]));
    let (_, body) = operator(&url, &json!({"type": "GET_MAINTENANCE_STATUS"})).await;
    let status: Value = serde_json::from_str(&body).unwrap();
    let status = &status["get_maintenance_status"]["status"];
    assert_eq!(status["down_machines"], json!([machine("maint-host")]));
    assert_eq!(status["draining_machines"][0]["id"], machine("127.0.0.1"));
    assert_eq!(
        status["draining_machines"][0]["statuses"][0]["status"],
        "DECLINE"
    );

    // A DOWN machine cannot leave the schedule; STOP_MAINTENANCE brings it UP and drops it.
    let only_first = json!({"windows": [two_windows()["windows"][0]]});
    assert_eq!(
        operator(&url, &update(only_first.clone())).await,
        (400, r#"Machine '{"hostname":"maint-host","ip":"127.0.0.1"}' is deactivated and cannot be removed from the schedule"#.into())
    );
    assert_eq!(
        operator(&url, &machines_call("STOP_MAINTENANCE", &["maint-host"])).await,
        (200, String::new())
    );
    let (_, body) = operator(&url, &json!({"type": "GET_MAINTENANCE_SCHEDULE"})).await;
    let got: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(got["get_maintenance_schedule"]["schedule"], only_first);
    let (_, body) = operator(&url, &json!({"type": "GET_MAINTENANCE_STATUS"})).await;
    let got: Value = serde_json::from_str(&body).unwrap();
    assert!(
        got["get_maintenance_status"]["status"]
            .get("down_machines")
            .is_none(),
        "{got}"
    );

    // An empty schedule: the offer and the inverse offer outstanding are rescinded.
    assert_eq!(
        operator(&url, &update(json!({}))).await,
        (200, String::new())
    );
    s.until("RESCIND_INVERSE_OFFER").await;
    assert_eq!(
        operator(&url, &json!({"type": "GET_MAINTENANCE_SCHEDULE"}))
            .await
            .1,
        r#"{"type":"GET_MAINTENANCE_SCHEDULE","get_maintenance_schedule":{"schedule":{}}}"#
    );
    assert_eq!(
        operator(&url, &json!({"type": "GET_MAINTENANCE_STATUS"}))
            .await
            .1,
        r#"{"type":"GET_MAINTENANCE_STATUS","get_maintenance_status":{"status":{}}}"#
    );
    let plain = s.until("OFFERS").await;
    assert!(
        plain["offers"]["offers"][0].get("unavailability").is_none(),
        "{plain}"
    );
    m.shutdown().await;
}

#[tokio::test]
async fn schedule_refusals_legacy_endpoints_and_a_restart() {
    let m = cluster().await;
    let url = m.url();
    let window = |ids: Value, dur: i64| {
        json!({"windows": [{"machine_ids": ids,
            "unavailability": {"start": {"nanoseconds": START}, "duration": {"nanoseconds": dur}}}]})
    };
    let cases = [
        (
            window(json!([]), 1),
            "List of machines in the maintenance window is empty",
        ),
        (
            window(json!([machine("a")]), -1),
            "Unavailability 'duration' is negative",
        ),
        (
            window(json!([{}]), 1),
            "Both 'hostname' and 'ip' for a machine are empty",
        ),
        (
            window(json!([machine("a"), machine("A")]), 1),
            r#"Machine '{"hostname":"A","ip":"127.0.0.1"}' appears more than once in the schedule"#,
        ),
    ];
    for (schedule, why) in cases {
        assert_eq!(operator(&url, &update(schedule)).await, (400, why.into()));
    }
    assert_eq!(
        operator(&url, &json!({"type": "UPDATE_MAINTENANCE_SCHEDULE", "update_maintenance_schedule":
            {"schedule": {"windows": [{"machine_ids": [machine("a")]}]}}})).await,
        (400, "Failed to convert JSON into Call protobuf: Missing required fields: update_maintenance_schedule.schedule.windows[0].unavailability".into())
    );
    // The schedule is typed as stout reads it: its other conversion errors are stout's too.
    let una = |u: Value| {
        json!({"type": "UPDATE_MAINTENANCE_SCHEDULE", "update_maintenance_schedule":
            {"schedule": {"windows": [{"machine_ids": [machine("a")], "unavailability": u}]}}})
    };
    let refused = [
        (
            json!({"start": {"nanoseconds": START}, "duration": {}}),
            "Missing required fields: update_maintenance_schedule.schedule.windows[0].unavailability.duration.nanoseconds",
        ),
        (
            json!({"start": {"nanoseconds": "soon"}}),
            "Failed to parse 'soon' as a JSON number for field 'nanoseconds'",
        ),
    ];
    for (u, why) in refused {
        let why = format!("Failed to convert JSON into Call protobuf: {why}");
        assert_eq!(operator(&url, &una(u)).await, (400, why));
    }
    assert_eq!(
        operator(&url, &machines_call("START_MAINTENANCE", &[])).await,
        (400, "List of machines is empty".into())
    );
    assert_eq!(
        operator(&url, &json!({"type": "STOP_MAINTENANCE", "stop_maintenance": {"machines": ["h"]}})).await,
        (400, "Failed to convert JSON into Call protobuf: Not expecting a JSON string for field 'machines'".into())
    );
    // An agent's machine is known in mode UP: it cannot go DOWN before being scheduled.
    assert_eq!(
        operator(&url, &machines_call("START_MAINTENANCE", &["maint-host"])).await,
        (400, r#"Machine '{"hostname":"maint-host","ip":"127.0.0.1"}' is not in DRAINING mode and cannot be brought down"#.into())
    );

    // The legacy endpoints set the schedule and bring machines down and up.
    let post = |path: &str, body: Value| {
        let url = format!("{url}{path}");
        async move {
            let r = client()
                .post(url)
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    // The endpoint converts no Call: stout's text comes alone.
    let no_start = json!({"windows": [{"machine_ids": [machine("maint-host")],
        "unavailability": {"duration": {"nanoseconds": 1}}}]});
    assert_eq!(
        post("/master/maintenance/schedule", no_start).await,
        (
            400,
            "Missing required fields: windows[0].unavailability.start".into()
        )
    );
    assert_eq!(
        post("/master/machine/down", json!(["maint-host"])).await,
        (400, "Expecting a JSON object".into())
    );
    let schedule = json!({"windows": [{"machine_ids": [machine("maint-host")],
        "unavailability": {"start": {"nanoseconds": START}}}]});
    assert_eq!(
        post("/master/maintenance/schedule", schedule.clone()).await,
        (200, String::new())
    );
    assert_eq!(
        post("/master/machine/down", json!([machine("maint-host")])).await,
        (200, String::new())
    );
    let status = get_json(&format!("{url}/master/maintenance/status")).await;
    assert_eq!(status, json!({"down_machines": [machine("maint-host")]}));

    // The registry keeps the schedule and the machines' modes across a master restart.
    m.restart_master();
    let status = get_json(&format!("{url}/master/maintenance/status")).await;
    assert_eq!(status, json!({"down_machines": [machine("maint-host")]}));
    assert_eq!(
        get_json(&format!("{url}/master/maintenance/schedule")).await,
        schedule
    );
    assert_eq!(
        post("/master/machine/up", json!([machine("maint-host")])).await,
        (200, String::new())
    );
    assert_eq!(
        get_json(&format!("{url}/master/maintenance/schedule")).await,
        json!({})
    );
    m.shutdown().await;
}
