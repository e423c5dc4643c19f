//! Custom executors through raw HTTP, both sides: the scheduler launches tasks and task
//! groups with an ExecutorInfo, and the test plays the executor on the agent's
//! `/api/v1/executor` while the agent runs the executor's command (which only holds the
//! container), as real Mesos answers it (real-mesos-transcripts/36-custom-executor-v1-http.txt;
//! task groups, heartbeats and re-subscription as `src/slave/slave.cpp` has them).

#[path = "local_common/executor.rs"]
mod executor_side;
mod local_common;

use std::time::Duration;

use executor_side::*;
use local_common::*;
use mesos_local::{LocalConfig, LocalMesos};
use serde_json::{Value, json};

/// Framework `name` subscribed: its stream, its id, and the first offer it gets.
async fn subscribed(url: &str, name: &str) -> (Stream, String, Value) {
    let mut s = subscribe(url, framework(name)).await;
    let fid = s.framework_id.clone();
    let offer = s.until("OFFERS").await["offers"]["offers"][0].clone();
    (s, fid, offer)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_custom_executor_runs_tasks_exchanges_messages_and_shuts_down() {
    let m = start(1).await;
    let url = m.url();
    let agent_url = m.agents()[0].url.clone();
    let (mut s, fid, offer) = subscribed(&url, "custom-exec").await;
    let mut offers = Vec::new();
    let aid = offer["agent_id"].clone();
    let command = "env | grep -E '^(MESOS|LIBPROCESS)_' | sort >&2; exec sleep 600";
    let info = executor_info(&fid, "custom-exec", command);
    launch_on(&url, &s, &offer, "ce-1", &info).await;

    // Before SUBSCRIBE, other calls are refused.
    assert_eq!(
        executor_message(&agent_url, &fid, "custom-exec", "early").await,
        (403, "Executor is not subscribed".into())
    );
    assert_eq!(
        executor_message(&agent_url, &fid, "nope", "x").await,
        (400, "Executor cannot be found".into())
    );
    assert_eq!(
        executor_message(&agent_url, "no-framework", "custom-exec", "x").await,
        (400, "Framework cannot be found".into())
    );

    // The test plays the executor: it subscribes once the executor's process runs (a real
    // one cannot subscribe before), seen by the environment it writes to its stderr. A file
    // has no event to wait on: a bounded poll.
    let path = format!("/frameworks/{fid}/executors/custom-exec/runs/latest/stderr");
    let read = &format!("{agent_url}/files/read?path={path}&offset=0");
    eventually("the executor never started", || async move {
        let data = get_json(read).await["data"].clone();
        (!data.as_str().unwrap_or("").is_empty()).then_some(())
    })
    .await;
    let mut e = Executor::subscribe(&agent_url, &fid, "custom-exec").await;
    let subscribed = e.next().await;
    assert_eq!(subscribed["type"], "SUBSCRIBED");
    let sub = &subscribed["subscribed"];
    assert_eq!(
        shape(sub),
        shape(
            &json!({"executor_info": {"type": "", "executor_id": {"value": ""},
            "framework_id": {"value": ""}, "command": {"shell": true, "value": ""},
            "resources": sub["executor_info"]["resources"], "name": "",
            "shutdown_grace_period": {"nanoseconds": 0}},
            "framework_info": sub["framework_info"], "agent_info": sub["agent_info"],
            "container_id": {"value": ""}})
        )
    );
    assert_eq!(sub["executor_info"]["command"]["shell"], true);
    assert_eq!(
        sub["executor_info"]["resources"][1],
        json!({"name": "mem", "type": "SCALAR", "scalar": {"value": 32.0},
            "allocation_info": {"role": "*"}})
    );
    assert_eq!(sub["framework_info"]["id"]["value"], fid.as_str());
    assert_eq!(sub["agent_info"]["id"], aid);
    assert!(sub["agent_info"].get("checkpoint").is_none());
    let cid = sub["container_id"]["value"].as_str().unwrap().to_string();

    let launch = e.next().await;
    let task = &launch["launch"]["task"];
    assert_eq!(
        shape(&launch).split("executor:").next().unwrap(),
        "{type:_,launch:{task:{name:_,task_id:{value:_},agent_id:{value:_},resources:[{name:_,type:_,scalar:{value:_},allocation_info:{role:_}},{name:_,type:_,scalar:{value:_},allocation_info:{role:_}}],"
    );
    assert_eq!(task["task_id"]["value"], "ce-1");
    assert_eq!(task["data"], b64("task-data-ce-1"));
    assert_eq!(task["executor"], sub["executor_info"]);

    // UPDATE: a uuid that is no UUID is refused, as by the real agent.
    assert_eq!(
        e.update("ce-1", "TASK_RUNNING", "AAAAAAAAAAAAAAAAAAAAAA==")
            .await,
        (
            400,
            "Failed to validate Executor::Call: Not a valid UUID".into()
        )
    );
    let uuid = status_uuid();
    assert_eq!(
        e.update("ce-1", "TASK_RUNNING", &uuid).await,
        (202, String::new())
    );
    assert_eq!(e.message("hello-from-executor").await, (202, String::new()));
    let acknowledged = e.next().await;
    assert_eq!(
        acknowledged,
        json!({"type": "ACKNOWLEDGED", "acknowledged": {"task_id": {"value": "ce-1"}, "uuid": uuid}})
    );

    // The scheduler gets only what the executor sent (no TASK_STARTING), completed by the agent.
    let running = until_keeping(&mut s, "UPDATE", &mut offers).await["update"]["status"].clone();
    assert_eq!(
        shape(&running),
        "{task_id:{value:_},state:_,message:_,source:_,agent_id:{value:_},executor_id:{value:_},timestamp:_,uuid:_,container_status:{container_id:{value:_},network_infos:[{ip_addresses:[{protocol:_,ip_address:_}]}],executor_pid:_}}"
    );
    assert_eq!(running["state"], "TASK_RUNNING");
    assert_eq!(running["uuid"], uuid.as_str());
    assert_eq!(
        running["container_status"]["container_id"]["value"],
        cid.as_str()
    );
    ack(&url, &s, &running).await;
    let message = until_keeping(&mut s, "MESSAGE", &mut offers).await;
    assert_eq!(
        message,
        json!({"type": "MESSAGE", "message": {"agent_id": aid,
            "executor_id": {"value": "custom-exec"}, "data": b64("hello-from-executor")}})
    );
    // Its data is read as the agent reads base64: unpadded, it reaches the scheduler padded.
    let unpadded = json!({"type": "MESSAGE", "framework_id": {"value": fid},
        "executor_id": {"value": "custom-exec"}, "message": {"data": "aGk"}});
    assert_eq!(executor_call(&agent_url, &unpadded).await.0, 202);
    let message = until_keeping(&mut s, "MESSAGE", &mut offers).await;
    assert_eq!(message["message"]["data"], "aGk=");

    // A framework message reaches the executor.
    let msg = json!({"type": "MESSAGE", "framework_id": {"value": fid}, "message": {
        "agent_id": aid, "executor_id": {"value": "custom-exec"},
        "data": b64("hello-from-scheduler")}});
    assert_eq!(call(&url, Some(&s.stream_id), &msg).await.0, 202);
    assert_eq!(
        e.next().await,
        json!({"type": "MESSAGE", "message": {"data": b64("hello-from-scheduler")}})
    );

    // A second task goes to the running executor; its offer names the executor.
    let offer = offer_with_cpus(&mut s, offers.clone(), 0.1).await;
    offers.retain(|o| o["id"] != offer["id"]);
    assert_eq!(offer["executor_ids"], json!([{"value": "custom-exec"}]));
    launch_on(&url, &s, &offer, "ce-2", &info).await;
    let launch = e.next().await;
    assert_eq!(launch["launch"]["task"]["task_id"]["value"], "ce-2");

    // KILL goes to the executor, whose TASK_KILLED ends the task.
    let kill = json!({"type": "KILL", "framework_id": {"value": fid},
        "kill": {"task_id": {"value": "ce-2"}, "agent_id": aid}});
    assert_eq!(call(&url, Some(&s.stream_id), &kill).await.0, 202);
    assert_eq!(
        e.next().await,
        json!({"type": "KILL", "kill": {"task_id": {"value": "ce-2"}}})
    );
    assert_eq!(e.update("ce-2", "TASK_KILLED", &status_uuid()).await.0, 202);
    let killed = until_keeping(&mut s, "UPDATE", &mut offers).await["update"]["status"].clone();
    assert_eq!(
        (&killed["task_id"]["value"], &killed["state"]),
        (&json!("ce-2"), &json!("TASK_KILLED"))
    );
    ack(&url, &s, &killed).await;
    assert_eq!(e.next().await["type"], "ACKNOWLEDGED");

    // The agent's /state lists the executor with its tasks; the sandbox holds its stderr.
    let state = get_json(&format!("{agent_url}/state")).await;
    let ex = &state["frameworks"][0]["executors"][0];
    assert_eq!(
        (&ex["id"], &ex["type"]),
        (&json!("custom-exec"), &json!("CUSTOM"))
    );
    assert_eq!(ex["tasks"][0]["id"], "ce-1");
    assert_eq!(ex["completed_tasks"][0]["id"], "ce-2");
    let dir = ex["directory"].as_str().unwrap().to_string();
    let env = get_json(read).await["data"].as_str().unwrap().to_string();
    let port = agent_url.rsplit(':').next().unwrap();
    for line in [
        format!("MESOS_AGENT_ENDPOINT=127.0.0.1:{port}"),
        "MESOS_CHECKPOINT=0".into(),
        format!("MESOS_DIRECTORY={dir}"),
        format!("MESOS_SANDBOX={dir}"),
        "MESOS_EXECUTOR_ID=custom-exec".into(),
        format!("MESOS_FRAMEWORK_ID={fid}"),
        "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD=200ms".into(),
        "MESOS_HTTP_COMMAND_EXECUTOR=0".into(),
        format!("MESOS_SLAVE_PID=slave(1)@127.0.0.1:{port}"),
        "LIBPROCESS_PORT=0".into(),
    ] {
        assert!(env.lines().any(|l| l == line), "{line} not in {env}");
    }

    // SHUTDOWN: the executor is told, and killed after its grace period since it stays;
    // FAILURE comes first, then its task still running fails.
    let shutdown = json!({"type": "SHUTDOWN", "framework_id": {"value": fid},
        "shutdown": {"executor_id": {"value": "custom-exec"}, "agent_id": aid}});
    assert_eq!(call(&url, Some(&s.stream_id), &shutdown).await.0, 202);
    assert_eq!(e.next().await, json!({"type": "SHUTDOWN"}));
    assert!(
        e.events.next().await.is_none(),
        "the stream ends with the executor"
    );
    let failure = until_keeping(&mut s, "FAILURE", &mut offers).await;
    assert_eq!(
        failure["failure"],
        json!({"agent_id": aid, "executor_id": {"value": "custom-exec"}, "status": 9})
    );
    let failed = until_keeping(&mut s, "UPDATE", &mut offers).await["update"]["status"].clone();
    assert_eq!(
        (
            &failed["task_id"]["value"],
            &failed["state"],
            &failed["message"],
            &failed["source"],
            &failed["reason"]
        ),
        (
            &json!("ce-1"),
            &json!("TASK_FAILED"),
            &json!("Executor terminated"),
            &json!("SOURCE_AGENT"),
            &json!("REASON_EXECUTOR_TERMINATED")
        )
    );
    m.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_executor_that_never_subscribes_is_killed_and_its_tasks_fail() {
    let m = LocalMesos::start(LocalConfig {
        executor_registration_timeout: Duration::from_millis(300),
        ..fast_config(1)
    })
    .await
    .unwrap();
    let url = m.url();
    let (mut s, fid, offer) = subscribed(&url, "custom-timeout").await;
    let info = executor_info(&fid, "silent", "exec sleep 600");
    launch_on(&url, &s, &offer, "t-1", &info).await;
    let failure = s.until("FAILURE").await;
    assert_eq!(failure["failure"]["executor_id"]["value"], "silent");
    assert_eq!(failure["failure"]["status"], 9);
    let st = s.update().await;
    assert_eq!(
        (&st["state"], &st["reason"], &st["message"], &st["source"]),
        (
            &json!("TASK_FAILED"),
            &json!("REASON_EXECUTOR_REGISTRATION_TIMEOUT"),
            &json!("Executor did not register within 300ms"),
            &json!("SOURCE_AGENT")
        )
    );
    m.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn killing_a_queued_task_ends_it_and_an_exiting_executor_fails_its_tasks() {
    let m = start(1).await;
    let url = m.url();
    let agent_url = m.agents()[0].url.clone();
    let (mut s, fid, offer) = subscribed(&url, "custom-exit").await;

    // A task killed before its executor subscribed: TASK_KILLED at once, and the executor,
    // never sent a task, is shut down.
    let aid = offer["agent_id"].clone();
    launch_on(
        &url,
        &s,
        &offer,
        "q-1",
        &executor_info(&fid, "queued", "exec sleep 600"),
    )
    .await;
    let kill = json!({"type": "KILL", "framework_id": {"value": fid},
        "kill": {"task_id": {"value": "q-1"}, "agent_id": aid}});
    assert_eq!(call(&url, Some(&s.stream_id), &kill).await.0, 202);
    let st = s.update().await;
    assert_eq!(
        (&st["state"], &st["reason"], &st["message"]),
        (
            &json!("TASK_KILLED"),
            &json!("REASON_TASK_KILLED_DURING_LAUNCH"),
            &json!("Killed before delivery to the executor")
        )
    );
    ack(&url, &s, &st).await;
    // Offers arriving meanwhile are kept for the next launch.
    let mut offers = Vec::new();
    let failure = until_keeping(&mut s, "FAILURE", &mut offers).await;
    assert_eq!(failure["failure"]["executor_id"]["value"], "queued");

    // An executor that exits (status 3) with a task running: FAILURE with the wait status,
    // then TASK_FAILED for the task.
    let offer = offer_with_cpus(&mut s, offers, 0.2).await;
    let command = "while [ ! -e quit ]; do sleep 0.05; done; exit 3";
    launch_on(
        &url,
        &s,
        &offer,
        "x-1",
        &executor_info(&fid, "exits", command),
    )
    .await;
    let mut e = Executor::subscribe(&agent_url, &fid, "exits").await;
    assert_eq!(e.next().await["type"], "SUBSCRIBED");
    assert_eq!(e.next().await["type"], "LAUNCH");
    assert_eq!(e.update("x-1", "TASK_RUNNING", &status_uuid()).await.0, 202);
    let running = s.update().await;
    ack(&url, &s, &running).await;
    let state = get_json(&format!("{agent_url}/state")).await;
    let dir = state["frameworks"][0]["executors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "exits")
        .unwrap()["directory"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::write(format!("{dir}/quit"), "").unwrap();
    let failure = s.until("FAILURE").await;
    assert_eq!(
        failure["failure"],
        json!({"agent_id": aid, "executor_id": {"value": "exits"}, "status": 768})
    );
    let st = s.update().await;
    assert_eq!(
        (&st["task_id"]["value"], &st["state"], &st["reason"]),
        (
            &json!("x-1"),
            &json!("TASK_FAILED"),
            &json!("REASON_EXECUTOR_TERMINATED")
        )
    );
    // Its resources are the agent's again.
    ack(&url, &s, &st).await;
    let master_state = get_json(&format!("{url}/master/state")).await;
    assert_eq!(master_state["frameworks"][0]["executors"], json!([]));
    m.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_master_checks_a_tasks_executor() {
    let m = start(1).await;
    let url = m.url();
    let (mut s, fid, offer) = subscribed(&url, "custom-invalid").await;
    let mut info = executor_info(&fid, "bad", "true");
    info["type"] = json!("DEFAULT");
    launch_on(&url, &s, &offer, "bad-1", &info).await;
    let st = s.update().await;
    assert_eq!(
        (&st["state"], &st["reason"], &st["message"]),
        (
            &json!("TASK_ERROR"),
            &json!("REASON_TASK_INVALID"),
            &json!("'ExecutorInfo.type' must be 'CUSTOM'")
        )
    );
    let offer = s.until("OFFERS").await["offers"]["offers"][0].clone();
    let mut info = executor_info(&fid, "big", "true");
    info["resources"] = json!([scalar("cpus", 1000.0)]);
    launch_on(&url, &s, &offer, "big-1", &info).await;
    let st = s.update().await;
    assert_eq!(st["state"], "TASK_ERROR");
    let text = st["message"].as_str().unwrap();
    assert!(
        text.starts_with("Total resources ") && text.contains("1000.1"),
        "the executor's resources count with the task's: {text}"
    );
    m.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_custom_executor_gets_task_groups_whole() {
    let m = start(1).await;
    let url = m.url();
    let agent_url = m.agents()[0].url.clone();
    let mut s = subscribe(&url, framework("custom-groups")).await;
    let fid = s.framework_id.clone();
    let offer = s.until("OFFERS").await["offers"]["offers"][0].clone();
    let info = group_executor_info(&fid, "grp-exec", "exec sleep 600");
    launch_group_on(&url, &s, &offer, &info, &["cg-1", "cg-2"]).await;

    // Queued until the executor subscribes, then sent whole as one LAUNCH_GROUP, each task
    // carrying the executor.
    let mut e = Executor::subscribe(&agent_url, &fid, "grp-exec").await;
    let subscribed = e.next().await;
    assert_eq!(subscribed["type"], "SUBSCRIBED");
    let launch = e.next().await;
    assert_eq!(launch["type"], "LAUNCH_GROUP", "{launch}");
    let tasks = launch["launch_group"]["task_group"]["tasks"]
        .as_array()
        .unwrap();
    let ids: Vec<&str> = tasks
        .iter()
        .map(|t| t["task_id"]["value"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["cg-1", "cg-2"]);
    for t in tasks {
        assert_eq!(t["executor"], subscribed["subscribed"]["executor_info"]);
    }

    // Each task's statuses are the executor's.
    let mut offers = Vec::new();
    for tid in ["cg-1", "cg-2"] {
        assert_eq!(e.update(tid, "TASK_RUNNING", &status_uuid()).await.0, 202);
        let st = until_keeping(&mut s, "UPDATE", &mut offers).await["update"]["status"].clone();
        assert_eq!(
            (&st["task_id"]["value"], &st["state"], &st["source"]),
            (
                &json!(tid),
                &json!("TASK_RUNNING"),
                &json!("SOURCE_EXECUTOR")
            )
        );
        assert_eq!(st["executor_id"]["value"], "grp-exec");
        ack(&url, &s, &st).await;
    }

    // A second group goes to the running executor at once, its resources not counted again.
    let offer = offer_with_cpus(&mut s, offers, 0.2).await;
    assert_eq!(offer["executor_ids"], json!([{"value": "grp-exec"}]));
    launch_group_on(&url, &s, &offer, &info, &["cg-3", "cg-4"]).await;
    let launch = e.until("LAUNCH_GROUP").await;
    let ids: Vec<&str> = launch["launch_group"]["task_group"]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["task_id"]["value"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["cg-3", "cg-4"]);
    let master_state = get_json(&format!("{url}/master/state")).await;
    let cpus = master_state["slaves"][0]["used_resources"]["cpus"]
        .as_f64()
        .unwrap();
    assert!(
        (cpus - 0.5).abs() < 1e-9,
        "the executor's 0.1 once and four tasks' 0.1: {cpus}"
    );
    let executors = master_state["frameworks"][0]["executors"]
        .as_array()
        .unwrap();
    assert_eq!(executors.len(), 1, "{executors:?}");
    m.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn killing_a_queued_task_of_a_group_kills_its_group() {
    let m = start(1).await;
    let url = m.url();
    let mut s = subscribe(&url, framework("custom-group-kill")).await;
    let fid = s.framework_id.clone();
    let offer = s.until("OFFERS").await["offers"]["offers"][0].clone();
    let aid = offer["agent_id"].clone();
    let info = group_executor_info(&fid, "grp-queued", "exec sleep 600");
    launch_group_on(&url, &s, &offer, &info, &["kq-1", "kq-2"]).await;
    let kill = json!({"type": "KILL", "framework_id": {"value": fid},
        "kill": {"task_id": {"value": "kq-1"}, "agent_id": aid}});
    assert_eq!(call(&url, Some(&s.stream_id), &kill).await.0, 202);
    let mut killed = Vec::new();
    for _ in 0..2 {
        let st = s.update().await;
        assert_eq!(
            (&st["state"], &st["reason"], &st["message"], &st["source"]),
            (
                &json!("TASK_KILLED"),
                &json!("REASON_TASK_KILLED_DURING_LAUNCH"),
                &json!("A task within the task group was killed before delivery to the executor"),
                &json!("SOURCE_AGENT")
            )
        );
        killed.push(st["task_id"]["value"].as_str().unwrap().to_string());
        ack(&url, &s, &st).await;
    }
    killed.sort();
    assert_eq!(killed, ["kq-1", "kq-2"]);
    // Never sent a task, the executor is shut down.
    let failure = s.until("FAILURE").await;
    assert_eq!(failure["failure"]["executor_id"]["value"], "grp-queued");
    m.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resubscribing_executor_gets_back_what_was_not_acknowledged() {
    let m = LocalMesos::start(LocalConfig {
        executor_heartbeat_interval: Duration::from_millis(300),
        ..fast_config(1)
    })
    .await
    .unwrap();
    let url = m.url();
    let agent_url = m.agents()[0].url.clone();
    let mut s = subscribe(&url, framework("custom-resubscribe")).await;
    let fid = s.framework_id.clone();
    let offer = s.until("OFFERS").await["offers"]["offers"][0].clone();
    let info = executor_info(&fid, "resub", "exec sleep 600");
    launch_on(&url, &s, &offer, "r-1", &info).await;
    let mut e = Executor::subscribe(&agent_url, &fid, "resub").await;
    assert_eq!(e.next().await["type"], "SUBSCRIBED");
    assert_eq!(e.next().await["type"], "LAUNCH");
    // Nothing else happens: the agent's periodic HEARTBEAT comes next.
    assert_eq!(e.next().await, json!({"type": "HEARTBEAT"}));

    let mut offers = Vec::new();
    for tid in ["r-2", "r-3"] {
        let offer = offer_with_cpus(&mut s, offers.clone(), 0.1).await;
        offers.retain(|o| o["id"] != offer["id"]);
        launch_on(&url, &s, &offer, tid, &info).await;
        let launch = e.until("LAUNCH").await;
        assert_eq!(launch["launch"]["task"]["task_id"]["value"], tid);
    }
    let u1 = status_uuid();
    assert_eq!(e.update("r-1", "TASK_RUNNING", &u1).await.0, 202);
    let running = until_keeping(&mut s, "UPDATE", &mut offers).await["update"]["status"].clone();
    assert_eq!(running["uuid"], u1.as_str());
    ack(&url, &s, &running).await;

    // The executor lost its connection before it read the acknowledgement; it subscribes
    // again with r-1's updates (one the agent has, one new) and r-2, which it knows; r-3
    // it never got.
    let u3 = status_uuid();
    let updates = json!([{"status": e.status("r-1", "TASK_RUNNING", &u1)},
        {"status": e.status("r-1", "TASK_FINISHED", &u3)}]);
    let r2 = json!([{"name": "r-2", "task_id": {"value": "r-2"}, "agent_id": offer["agent_id"]}]);
    let mut again = Executor::subscribe_again(&agent_url, &fid, "resub", r2, updates).await;
    // The earlier stream is closed, its heartbeats with it.
    e.events.until_end().await;
    assert_eq!(again.next().await["type"], "SUBSCRIBED");
    for uuid in [&u1, &u3] {
        assert_eq!(
            again.next().await,
            json!({"type": "ACKNOWLEDGED", "acknowledged": {"task_id": {"value": "r-1"}, "uuid": uuid}})
        );
    }
    assert_eq!(again.next().await, json!({"type": "HEARTBEAT"}));

    // The scheduler gets the new update once, and r-3 lost; r-1's RUNNING is not repeated.
    let mut seen = std::collections::BTreeMap::new();
    while seen.len() < 2 {
        let st = until_keeping(&mut s, "UPDATE", &mut offers).await["update"]["status"].clone();
        ack(&url, &s, &st).await;
        let tid = st["task_id"]["value"].as_str().unwrap().to_string();
        assert!(seen.insert(tid, st).is_none(), "one update per task");
    }
    assert_eq!(
        (&seen["r-1"]["state"], &seen["r-1"]["uuid"]),
        (&json!("TASK_FINISHED"), &json!(u3))
    );
    let lost = &seen["r-3"];
    assert_eq!(
        (
            &lost["state"],
            &lost["reason"],
            &lost["message"],
            &lost["source"]
        ),
        (
            &json!("TASK_LOST"),
            &json!("REASON_AGENT_RESTARTED"),
            &json!("Task launched during agent restart"),
            &json!("SOURCE_AGENT")
        )
    );
    let state = get_json(&format!("{agent_url}/state")).await;
    let ex = &state["frameworks"][0]["executors"][0];
    let r1 = ex["completed_tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "r-1")
        .unwrap();
    let states: Vec<&str> = r1["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|st| st["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["TASK_RUNNING", "TASK_FINISHED"]);
    assert_eq!(ex["tasks"][0]["id"], "r-2");
    assert_eq!(ex["tasks"][0]["state"], "TASK_STAGING");
    m.shutdown().await;
}
