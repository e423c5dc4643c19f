//! Custom executors through raw HTTP, both sides: the scheduler launches tasks with an
//! ExecutorInfo, and the test plays the executor on the agent's `/api/v1/executor` while the
//! agent runs the executor's command (which only holds the container), as real Mesos answers
//! it (real-mesos-transcripts/36-custom-executor-v1-http.txt).

mod local_common;

use std::time::Duration;

use base64::Engine;
use local_common::*;
use mesos_local::{LocalConfig, LocalMesos};
use serde_json::{Value, json};

fn scalar(name: &str, value: f64) -> Value {
    json!({"name": name, "type": "SCALAR", "scalar": {"value": value}})
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// A status uuid as a correct executor makes it: a version-4 UUID's bytes.
fn status_uuid() -> String {
    base64::engine::general_purpose::STANDARD.encode(uuid::Uuid::new_v4().as_bytes())
}

/// A CUSTOM ExecutorInfo running `command`, with a short shutdown grace period.
fn executor_info(fid: &str, eid: &str, command: &str) -> Value {
    json!({"type": "CUSTOM", "executor_id": {"value": eid}, "framework_id": {"value": fid},
        "name": "custom test executor", "command": {"value": command},
        "resources": [scalar("cpus", 0.1), scalar("mem", 32.0)],
        "shutdown_grace_period": {"nanoseconds": 200_000_000}})
}

/// ACCEPTs `offer` with one task on `executor`.
async fn launch_on(url: &str, s: &Stream, offer: &Value, tid: &str, executor: &Value) {
    let body = json!({"type": "ACCEPT", "framework_id": {"value": s.framework_id}, "accept": {
        "offer_ids": [offer["id"]],
        "operations": [{"type": "LAUNCH", "launch": {"task_infos": [{
            "name": tid, "task_id": {"value": tid}, "agent_id": offer["agent_id"],
            "executor": executor, "resources": [scalar("cpus", 0.1), scalar("mem", 32.0)],
            "data": b64(&format!("task-data-{tid}"))}]}}],
        "filters": {"refuse_seconds": 0}}});
    assert_eq!(
        call(url, Some(&s.stream_id), &body).await,
        (202, String::new())
    );
}

/// Framework `name` subscribed: its stream, its id, and the first offer it gets.
async fn subscribed(url: &str, name: &str) -> (Stream, String, Value) {
    let mut s = subscribe(url, framework(name)).await;
    let fid = s.framework_id.clone();
    let offer = s.until("OFFERS").await["offers"]["offers"][0].clone();
    (s, fid, offer)
}

/// The next event of type `ty`, keeping the offers that come before it in `offers`.
async fn until_keeping(s: &mut Stream, ty: &str, offers: &mut Vec<Value>) -> Value {
    loop {
        let ev = s.until_any(&[ty, "OFFERS", "RESCIND"]).await;
        match ev["type"].as_str().unwrap() {
            "OFFERS" => offers.extend(ev["offers"]["offers"].as_array().unwrap().iter().cloned()),
            "RESCIND" => offers.retain(|o| o["id"] != ev["rescind"]["offer_id"]),
            _ => return ev,
        }
    }
}

/// An offer holding at least `cpus`: one of `known`, else the next that comes.
async fn offer_with_cpus(s: &mut Stream, mut known: Vec<Value>, cpus: f64) -> Value {
    loop {
        let enough = |o: &Value| {
            o["resources"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["name"] == "cpus" && r["scalar"]["value"].as_f64().unwrap() >= cpus)
        };
        if let Some(o) = known.iter().find(|o| enough(o)) {
            return o.clone();
        }
        let ev = s.until("OFFERS").await;
        known = ev["offers"]["offers"].as_array().unwrap().clone();
    }
}

/// POSTs an executor call to the agent; (status, body).
async fn executor_call(agent_url: &str, body: &Value) -> (u16, String) {
    post_json(&format!("{agent_url}/api/v1/executor"), body).await
}

/// An executor's MESSAGE call.
async fn executor_message(agent_url: &str, fid: &str, eid: &str, text: &str) -> (u16, String) {
    let body = json!({"type": "MESSAGE", "framework_id": {"value": fid},
        "executor_id": {"value": eid}, "message": {"data": b64(text)}});
    executor_call(agent_url, &body).await
}

/// The executor's side of the API, played by the test.
struct Executor {
    agent_url: String,
    fid: String,
    eid: String,
    events: Stream,
}

impl Executor {
    async fn subscribe(agent_url: &str, fid: &str, eid: &str) -> Executor {
        let body = json!({"type": "SUBSCRIBE", "framework_id": {"value": fid},
            "executor_id": {"value": eid},
            "subscribe": {"unacknowledged_tasks": [], "unacknowledged_updates": []}});
        let resp = json_request(&format!("{agent_url}/api/v1/executor"), &body)
            .send()
            .await
            .unwrap();
        if resp.status() != 200 {
            panic!(
                "SUBSCRIBE: {} {}",
                resp.status(),
                resp.text().await.unwrap()
            );
        }
        let events = stream_of(resp);
        assert_eq!(events.headers["content-type"], "application/json");
        Executor {
            agent_url: agent_url.into(),
            fid: fid.into(),
            eid: eid.into(),
            events,
        }
    }

    async fn update(&self, tid: &str, state: &str, uuid: &str) -> (u16, String) {
        let body = json!({"type": "UPDATE", "framework_id": {"value": self.fid},
            "executor_id": {"value": self.eid}, "update": {"status": {
                "task_id": {"value": tid}, "state": state, "source": "SOURCE_EXECUTOR",
                "executor_id": {"value": self.eid}, "uuid": uuid,
                "message": format!("custom executor says {state}")}}});
        executor_call(&self.agent_url, &body).await
    }

    async fn message(&self, text: &str) -> (u16, String) {
        executor_message(&self.agent_url, &self.fid, &self.eid, text).await
    }

    async fn next(&mut self) -> Value {
        self.events.next().await.expect("an executor event")
    }
}

/// The key order of a JSON object (recursively, as text without values of leaves).
fn shape(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let inner: Vec<String> = m.iter().map(|(k, v)| format!("{k}:{}", shape(v))).collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(a) => format!("[{}]", a.iter().map(shape).collect::<Vec<_>>().join(",")),
        _ => "_".into(),
    }
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
