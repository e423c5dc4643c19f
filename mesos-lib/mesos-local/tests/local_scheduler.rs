//! Raw HTTP tests of the embedded master's scheduler API against the recorded real-Mesos
//! behaviour (status codes, reasons, stream rules, task lifecycle).
// Needs the embedded Mesos; compiled out when mesos-lib is built as cells build it (`cell` only).

mod local_common;

use local_common::*;
use serde_json::json;

fn keys(v: &serde_json::Value) -> Vec<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

#[tokio::test]
async fn subscribe_stream_matches_transcript_01() {
    let m = start(1).await;
    let mut s = subscribe(&m.url(), json!({"user": "root", "name": "t", "roles": ["*"], "capabilities": [{"type": "MULTI_ROLE"}]})).await;
    assert_eq!(s.status, 200);
    assert_eq!(s.headers["content-type"], "application/json");
    assert_eq!(s.stream_id.len(), 36);
    let sub = s.next().await.unwrap();
    assert_eq!(
        keys(&sub["subscribed"]),
        ["framework_id", "heartbeat_interval_seconds", "master_info"]
    );
    assert_eq!(
        keys(&sub["subscribed"]["master_info"]),
        [
            "id",
            "ip",
            "port",
            "pid",
            "hostname",
            "version",
            "address",
            "capabilities"
        ]
    );
    assert!(s.framework_id.ends_with("-0000"));
    assert_eq!(s.next().await.unwrap()["type"], "HEARTBEAT");
    let offer = s.until("OFFERS").await["offers"]["offers"][0].clone();
    assert_eq!(
        keys(&offer),
        [
            "id",
            "framework_id",
            "agent_id",
            "hostname",
            "url",
            "resources",
            "allocation_info"
        ]
    );
    assert_eq!(offer["url"]["path"], "/slave(1)");
    assert_eq!(offer["resources"][0]["name"], "ports");
    assert_eq!(offer["resources"][1]["allocation_info"]["role"], "*");
    // Heartbeats keep coming every interval.
    s.until("HEARTBEAT").await;
    m.shutdown().await;
}

#[tokio::test]
async fn status_codes_and_reasons() {
    let m = start(1).await;
    let url = m.url();
    let c = client();
    let r = c
        .get(format!("{url}/api/v1/scheduler"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 405);
    assert_eq!(r.headers()["allow"], "POST");
    let r = c
        .post(format!("{url}/api/v1/scheduler"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (r.status().as_u16(), r.text().await.unwrap()),
        (400, "Expecting 'Content-Type' to be present".into())
    );
    let r = c
        .post(format!("{url}/api/v1/scheduler"))
        .header("Content-Type", "application/json; charset=utf-8")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 415);
    // Body before Accept: no type + bad Accept is 400; a valid SUBSCRIBE with bad Accept is 406.
    let r = c
        .post(format!("{url}/api/v1/scheduler"))
        .header("Content-Type", "application/json")
        .header("Accept", "text/html")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (r.status().as_u16(), r.text().await.unwrap()),
        (
            400,
            "Failed to validate scheduler::Call: Expecting 'type' to be present".into()
        )
    );
    let sub =
        json!({"type": "SUBSCRIBE", "subscribe": {"framework_info": framework("x")}}).to_string();
    let r = c
        .post(format!("{url}/api/v1/scheduler"))
        .header("Content-Type", "application/json")
        .header("Accept", "text/html")
        .body(sub.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        (r.status().as_u16(), r.text().await.unwrap()),
        (
            406,
            "Expecting 'Accept' to allow 'application/x-protobuf' or 'application/json'".into()
        )
    );
    let r = c
        .post(format!("{url}/api/v1/scheduler"))
        .header("Content-Type", "application/json")
        .header("Mesos-Stream-Id", "x")
        .body(sub)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (r.status().as_u16(), r.text().await.unwrap()),
        (
            400,
            "Subscribe calls should not include the 'Mesos-Stream-Id' header".into()
        )
    );

    let s = subscribe(&url, framework("codes")).await;
    let fid = s.framework_id.clone();
    let revive = json!({"framework_id": {"value": fid}, "type": "REVIVE"});
    assert_eq!(
        call(&url, None, &revive).await,
        (
            400,
            "All non-subscribe calls should include the 'Mesos-Stream-Id' header".into()
        )
    );
    let wrong = "00000000-0000-4000-8000-000000000000";
    assert_eq!(
        call(&url, Some(wrong), &revive).await,
        (
            400,
            format!(
                "The stream ID '{wrong}' included in this request didn't match the stream ID currently associated with framework ID {fid}"
            )
        )
    );
    let r = c
        .post(format!("{url}/api/v1/scheduler"))
        .header("Content-Type", "application/json")
        .header("Mesos-Stream-Id", &s.stream_id)
        .body(format!(
            "{{\"framework_id\": {{\"value\": \"{fid}\"}}, \"type\": \"DECLINE\", "
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (r.status().as_u16(), r.text().await.unwrap()),
        (
            400,
            "Failed to parse body into JSON: syntax error at line 1 near: ".into()
        )
    );
    assert_eq!(
        call(&url, Some(&s.stream_id), &revive).await,
        (202, String::new())
    );
    let bad = json!({"framework_id": {"value": "nope"}, "type": "REVIVE"});
    assert_eq!(
        call(&url, Some(&s.stream_id), &bad).await,
        (400, "Framework cannot be found".into())
    );
    let string_id = json!({"framework_id": fid, "type": "REVIVE"});
    assert_eq!(call(&url, Some(&s.stream_id), &string_id).await, (400, "Failed to convert JSON into Call protobuf: Not expecting a JSON string for field 'framework_id'".into()));
    let ackbad = json!({"framework_id": {"value": fid}, "type": "ACKNOWLEDGE", "acknowledge": {"agent_id": {"value": "a"}, "task_id": {"value": "t"}, "uuid": "aGVsbG8="}});
    assert_eq!(
        call(&url, Some(&s.stream_id), &ackbad).await,
        (
            400,
            "Failed to validate scheduler::Call: Not a valid UUID".into()
        )
    );
    // Unknown keys are ignored.
    let lenient =
        json!({"framework_id": {"value": fid}, "type": "SUPPRESS", "force": true, "suppress": {}});
    assert_eq!(call(&url, Some(&s.stream_id), &lenient).await.0, 202);
    m.shutdown().await;
}

#[tokio::test]
async fn updates_one_at_a_time_resent_until_acked_then_finished() {
    let m = start(1).await;
    let url = m.url();
    let mut s = subscribe(&url, framework("life")).await;
    launch(
        &url,
        &mut s,
        "t-finish",
        json!({"shell": true, "value": "echo hello-$MESOS_TASK_ID; test -n \"$MESOS_SANDBOX\""}),
        0.1,
    )
    .await;
    let starting = s.update().await;
    assert_eq!(starting["state"], "TASK_STARTING");
    assert_eq!(starting["source"], "SOURCE_EXECUTOR");
    assert_eq!(
        keys(&starting),
        [
            "task_id",
            "state",
            "source",
            "agent_id",
            "executor_id",
            "timestamp",
            "uuid",
            "container_status"
        ]
    );
    // Not acknowledged: the same update comes again, before any other.
    let again = s.update().await;
    assert_eq!(again["uuid"], starting["uuid"]);
    ack(&url, &s, &starting).await;
    let running = loop {
        let u = s.update().await;
        if u["uuid"] != starting["uuid"] {
            break u;
        }
    };
    assert_eq!(running["state"], "TASK_RUNNING");
    ack(&url, &s, &running).await;
    let fin = s.update().await;
    assert_eq!(fin["state"], "TASK_FINISHED");
    assert_eq!(fin["message"], "Command exited with status 0");
    ack(&url, &s, &fin).await;
    // The admin endpoint reports the spawner thread's work (process-wide: other tests add).
    let spawner = get_json(&format!("{url}/__local/spawner")).await;
    assert!(spawner["spawns"].as_u64().unwrap() >= 1, "{spawner}");
    assert!(spawner["busy_seconds"].as_f64().unwrap() > 0.0, "{spawner}");
    let post = client()
        .post(format!("{url}/__local/spawner"))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status().as_u16(), 405);
    // The sandbox holds stdout, served by the agent's files API on virtual paths.
    let agent = &m.agents()[0];
    let path = format!(
        "/frameworks/{}/executors/t-finish/runs/latest/stdout",
        s.framework_id
    );
    let r = get_json(&format!("{}/files/read?path={path}&offset=0", agent.url)).await;
    assert_eq!(r, json!({"data": "hello-t-finish\n", "offset": 0}));
    for bad in [
        "/etc/passwd",
        &format!("{path}/../../../../../../../../etc/passwd"),
    ] {
        let r = client()
            .get(format!("{}/files/read?path={bad}&offset=0", agent.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 404);
    }
    m.shutdown().await;
}

/// The agent carries out an ACCEPT's launches apart from the call (as a real agent takes
/// RunTask messages): a KILL sent the moment the ACCEPT is answered, while the agent is still
/// starting the earlier tasks of the batch, must still find the last task and kill it.
#[tokio::test]
async fn a_kill_right_after_the_accept_kills_the_task_the_agent_is_still_to_launch() {
    let m = start(1).await;
    let url = m.url();
    let mut s = subscribe(&url, framework("kill-early")).await;
    let ids = launch_many(&url, &mut s, 40, "sleep 30").await;
    let last = ids.last().unwrap().clone();
    let kill = json!({"type": "KILL", "framework_id": {"value": s.framework_id}, "kill": {"task_id": {"value": last}}});
    assert_eq!(call(&url, Some(&s.stream_id), &kill).await.0, 202);
    let terminal = loop {
        let u = acked_update(&url, &mut s).await;
        if u["task_id"]["value"] == last.as_str()
            && !matches!(u["state"].as_str(), Some("TASK_STARTING" | "TASK_RUNNING"))
        {
            break u;
        }
    };
    assert_eq!(terminal["state"], "TASK_KILLED", "{terminal}");
    m.shutdown().await;
}

async fn acked_update(url: &str, s: &mut Stream) -> serde_json::Value {
    let u = s.update().await;
    if u.get("uuid").is_some() {
        ack(url, s, &u).await;
    }
    u
}

#[tokio::test]
async fn failed_and_killed_tasks() {
    let m = start(1).await;
    let url = m.url();
    let mut s = subscribe(&url, framework("fail-kill")).await;
    launch(&url, &mut s, "t-fail", json!({"value": "exit 3"}), 0.1).await;
    let last = loop {
        let u = acked_update(&url, &mut s).await;
        if u["state"] == "TASK_FAILED" {
            break u;
        }
    };
    assert_eq!(last["message"], "Command exited with status 3");
    launch(&url, &mut s, "t-kill", json!({"value": "sleep 30"}), 0.1).await;
    loop {
        if acked_update(&url, &mut s).await["state"] == "TASK_RUNNING" {
            break;
        }
    }
    let kill = json!({"type": "KILL", "framework_id": {"value": s.framework_id}, "kill": {"task_id": {"value": "t-kill"}}});
    assert_eq!(call(&url, Some(&s.stream_id), &kill).await.0, 202);
    let killed = acked_update(&url, &mut s).await;
    assert_eq!(killed["state"], "TASK_KILLED");
    assert_eq!(
        killed["message"],
        "Command terminated with signal Terminated"
    );
    // KILL of an unknown task: a reconciliation answer.
    let kill = json!({"type": "KILL", "framework_id": {"value": s.framework_id}, "kill": {"task_id": {"value": "never-launched"}}});
    call(&url, Some(&s.stream_id), &kill).await;
    let lost = s.update().await;
    assert_eq!(
        (lost["state"].as_str(), lost["message"].as_str()),
        (Some("TASK_LOST"), Some("Reconciliation: Task is unknown"))
    );
    assert!(lost.get("uuid").is_none());
    m.shutdown().await;
}

#[tokio::test]
async fn invalid_launches_match_transcript_25() {
    let m = start(1).await;
    let url = m.url();
    let mut s = subscribe(&url, framework("invalid")).await;
    let offer = launch(&url, &mut s, "too-big", json!({"value": "true"}), 999.0).await;
    let e = s.update().await;
    assert_eq!(
        (
            e["state"].as_str(),
            e["reason"].as_str(),
            e["source"].as_str()
        ),
        (
            Some("TASK_ERROR"),
            Some("REASON_TASK_INVALID"),
            Some("SOURCE_MASTER")
        )
    );
    assert!(e["message"].as_str().unwrap().starts_with("Total resources cpus(allocated: *):999; mem(allocated: *):32 required by task and its executor is more than available ports(allocated: *):[31000-32000]; cpus(allocated: *):2"));
    // Reusing the used offer.
    let reuse = json!({"type": "ACCEPT", "framework_id": {"value": s.framework_id}, "accept": {"offer_ids": [offer["id"]], "operations": [{"type": "LAUNCH", "launch": {"task_infos": [{"name": "r", "task_id": {"value": "reused-offer"}, "agent_id": offer["agent_id"], "command": {"value": "true"}, "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}}]}]}}]}});
    assert_eq!(call(&url, Some(&s.stream_id), &reuse).await.0, 202);
    let lost = s.update().await;
    assert_eq!(lost["state"], "TASK_LOST");
    assert_eq!(lost["reason"], "REASON_INVALID_OFFERS");
    assert_eq!(
        lost["message"],
        format!(
            "Task launched with invalid offers: Offer {} is no longer valid",
            offer["id"]["value"].as_str().unwrap()
        )
    );
    // A DOCKER task on an agent without the docker containerizer.
    let offer = s.until("OFFERS").await["offers"]["offers"][0].clone();
    let docker = json!({"type": "ACCEPT", "framework_id": {"value": s.framework_id}, "accept": {"offer_ids": [offer["id"]], "operations": [{"type": "LAUNCH", "launch": {"task_infos": [
        {"name": "nginx", "task_id": {"value": "docker-nginx"}, "agent_id": offer["agent_id"], "command": {"shell": false}, "container": {"type": "DOCKER", "docker": {"image": "nginx:1.10-alpine", "network": "HOST"}}, "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}}]},
        {"name": "none", "task_id": {"value": "no-command"}, "agent_id": offer["agent_id"], "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}}]}]}}]}});
    assert_eq!(call(&url, Some(&s.stream_id), &docker).await.0, 202);
    let mut seen = std::collections::HashMap::new();
    while seen.len() < 2 {
        let u = acked_update(&url, &mut s).await;
        seen.insert(u["task_id"]["value"].as_str().unwrap().to_string(), u);
    }
    assert_eq!(
        seen["docker-nginx"]["message"],
        "Abnormal executor termination: unknown container"
    );
    assert_eq!(seen["docker-nginx"]["reason"], "REASON_EXECUTOR_TERMINATED");
    assert_eq!(
        seen["no-command"]["message"],
        "Task should have at least one (but not both) of CommandInfo or ExecutorInfo present"
    );
    // A TaskInfo that does not convert refuses the whole call, before anything is done, as
    // stout's conversion of the Call does: a required field missing, a field of another type.
    let offer = s.until("OFFERS").await["offers"]["offers"][0].clone();
    let launch_of = |task: serde_json::Value| {
        json!({"type": "ACCEPT", "framework_id": {"value": s.framework_id}, "accept": {
            "offer_ids": [offer["id"]],
            "operations": [{"type": "LAUNCH", "launch": {"task_infos": [task]}}]}})
    };
    let cpus = json!([{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}}]);
    let no_agent =
        json!({"name": "x", "task_id": {"value": "x"}, "command": {}, "resources": cpus});
    let prefix = "Failed to convert JSON into Call protobuf: ";
    assert_eq!(
        call(&url, Some(&s.stream_id), &launch_of(no_agent)).await,
        (
            400,
            format!(
                "{prefix}Missing required fields: accept.operations[0].launch.task_infos[0].agent_id"
            )
        )
    );
    let numeric_name = json!({"name": 5, "task_id": {"value": "x"}, "agent_id": offer["agent_id"],
        "command": {}, "resources": cpus});
    let (code, body) = call(&url, Some(&s.stream_id), &launch_of(numeric_name)).await;
    assert_eq!(code, 400, "{body}");
    assert!(body.starts_with(prefix), "{body}");
    // A task group's too: its executor is required, its tasks are TaskInfos.
    let group_of = |group: serde_json::Value| {
        json!({"type": "ACCEPT", "framework_id": {"value": s.framework_id}, "accept": {
            "offer_ids": [offer["id"]],
            "operations": [{"type": "LAUNCH_GROUP", "launch_group": group}]}})
    };
    let no_executor = json!({"task_group": {"tasks": []}});
    assert_eq!(
        call(&url, Some(&s.stream_id), &group_of(no_executor)).await,
        (
            400,
            format!("{prefix}Missing required fields: accept.operations[0].launch_group.executor")
        )
    );
    let nameless = json!({"executor": {"executor_id": {"value": "e"}}, "task_group": {"tasks": [
        {"task_id": {"value": "x"}, "agent_id": offer["agent_id"], "resources": cpus}]}});
    assert_eq!(
        call(&url, Some(&s.stream_id), &group_of(nameless)).await,
        (
            400,
            format!(
                "{prefix}Missing required fields: accept.operations[0].launch_group.task_group.tasks[0].name"
            )
        )
    );
    // Nothing was done: the offer is still outstanding, and is used by a valid launch.
    let valid = json!({"name": "x", "task_id": {"value": "after-400"}, "agent_id": offer["agent_id"],
        "command": {"value": "true"}, "resources": cpus});
    assert_eq!(
        call(&url, Some(&s.stream_id), &launch_of(valid)).await.0,
        202
    );
    let after = s.update().await;
    assert_eq!(
        (&after["task_id"]["value"], &after["state"]),
        (&json!("after-400"), &json!("TASK_STARTING"))
    );
    m.shutdown().await;
}

#[tokio::test]
async fn failover_reconcile_teardown_match_transcript_22() {
    let m = start(1).await;
    let url = m.url();
    let info = json!({"user": "root", "name": "fo", "failover_timeout": 120});
    let mut first = subscribe(&url, info.clone()).await;
    let fid = first.framework_id.clone();
    let mut info2 = info.clone();
    info2["id"] = json!({"value": fid});
    let mut second = subscribe(&url, info2.clone()).await;
    assert_eq!(second.framework_id, fid);
    let err = first.until("ERROR").await;
    assert_eq!(err["error"]["message"], "Framework failed over");
    assert!(first.next().await.is_none(), "old stream closes");
    let revive = json!({"framework_id": {"value": fid}, "type": "REVIVE"});
    assert_eq!(call(&url, Some(&first.stream_id), &revive).await.0, 400);
    let agent_id = m.agents()[0].id.clone();
    let rec = json!({"framework_id": {"value": fid}, "type": "RECONCILE", "reconcile": {"tasks": [
        {"task_id": {"value": "gone"}, "agent_id": {"value": agent_id}}, {"task_id": {"value": "no-such-task"}}]}});
    assert_eq!(call(&url, Some(&second.stream_id), &rec).await.0, 202);
    let a = second.update().await;
    assert_eq!(a["message"], "Reconciliation: Task is unknown to the agent");
    assert_eq!(a["agent_id"]["value"], agent_id);
    let b = second.update().await;
    assert_eq!(
        keys(&b),
        [
            "task_id",
            "state",
            "message",
            "source",
            "reason",
            "timestamp"
        ]
    );
    assert_eq!(b["state"], "TASK_LOST");
    let td = json!({"framework_id": {"value": fid}, "type": "TEARDOWN"});
    assert_eq!(call(&url, Some(&second.stream_id), &td).await.0, 202);
    second.until_end().await;
    assert_eq!(
        call(&url, Some(&second.stream_id), &revive).await,
        (400, "Framework cannot be found".into())
    );
    let mut third = subscribe(&url, info2).await;
    assert_eq!(third.status, 200);
    let evs = third.until_end().await;
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0]["error"]["message"], "Framework has been removed");
    m.shutdown().await;
}

#[tokio::test]
async fn disconnect_403_with_failover_timeout_and_removal_without() {
    let m = start(1).await;
    let url = m.url();
    // failover_timeout 60: the framework stays, calls get 403, resubscribe recovers.
    let s = subscribe(
        &url,
        json!({"user": "root", "name": "d60", "failover_timeout": 60}),
    )
    .await;
    let fid = s.framework_id.clone();
    let sid = s.stream_id.clone();
    let mut ops = operator_stream(&url).await;
    ops.until("SUBSCRIBED").await;
    drop(s);
    // Synchronise on the operator stream seeing the disconnect.
    loop {
        let ev = ops.until("FRAMEWORK_UPDATED").await;
        if ev["framework_updated"]["framework"]["connected"] == false {
            break;
        }
    }
    let revive = json!({"framework_id": {"value": fid}, "type": "REVIVE"});
    let got = call(&url, Some(&sid), &revive).await;
    assert_eq!(got, (403, "Framework is not subscribed".into()));
    let mut again = subscribe(
        &url,
        json!({"user": "root", "name": "d60", "failover_timeout": 60, "id": {"value": fid}}),
    )
    .await;
    assert_eq!(again.next().await.unwrap()["type"], "SUBSCRIBED");
    // failover_timeout 0: removed at once.
    let s0 = subscribe(&url, framework("d0")).await;
    let fid0 = s0.framework_id.clone();
    assert!(m.drop_framework_stream(&fid0));
    let revive0 = json!({"framework_id": {"value": fid0}, "type": "REVIVE"});
    assert_eq!(
        call(&url, Some(&s0.stream_id), &revive0).await,
        (400, "Framework cannot be found".into())
    );
    m.shutdown().await;
}
