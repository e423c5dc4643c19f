//! The two sides of a custom executor in raw HTTP: the scheduler's launches of tasks and
//! task groups with an ExecutorInfo, and the executor's calls and events on the agent's
//! `/api/v1/executor`, played by the test. Included by the executor tests only (`#[path]`):
//! it needs crates the other users of `local_common` do not have.

use base64::Engine;
use serde_json::{Value, json};

use crate::local_common::*;

pub fn scalar(name: &str, value: f64) -> Value {
    json!({"name": name, "type": "SCALAR", "scalar": {"value": value}})
}

pub fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// A status uuid as a correct executor makes it: a version-4 UUID's bytes.
pub fn status_uuid() -> String {
    base64::engine::general_purpose::STANDARD.encode(uuid::Uuid::new_v4().as_bytes())
}

/// A CUSTOM ExecutorInfo running `command`, with a short shutdown grace period.
pub fn executor_info(fid: &str, eid: &str, command: &str) -> Value {
    json!({"type": "CUSTOM", "executor_id": {"value": eid}, "framework_id": {"value": fid},
        "name": "custom test executor", "command": {"value": command},
        "resources": [scalar("cpus", 0.1), scalar("mem", 32.0)],
        "shutdown_grace_period": {"nanoseconds": 200_000_000}})
}

/// ACCEPTs `offer` with one task on `executor`.
pub async fn launch_on(url: &str, s: &Stream, offer: &Value, tid: &str, executor: &Value) {
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

/// A CUSTOM ExecutorInfo for task groups: the master asks disk of a group's executor.
pub fn group_executor_info(fid: &str, eid: &str, command: &str) -> Value {
    let mut info = executor_info(fid, eid, command);
    info["resources"]
        .as_array_mut()
        .unwrap()
        .push(scalar("disk", 32.0));
    info
}

/// ACCEPTs `offer` with one LAUNCH_GROUP of tasks `tids` on `executor`.
pub async fn launch_group_on(
    url: &str,
    s: &Stream,
    offer: &Value,
    executor: &Value,
    tids: &[&str],
) {
    let tasks: Vec<Value> = tids
        .iter()
        .map(|tid| {
            json!({"name": tid, "task_id": {"value": tid}, "agent_id": offer["agent_id"],
                "resources": [scalar("cpus", 0.1), scalar("mem", 32.0)]})
        })
        .collect();
    launch_group(url, s, offer, executor.clone(), tasks).await;
}

/// The next event of type `ty`, keeping the offers that come before it in `offers`.
pub async fn until_keeping(s: &mut Stream, ty: &str, offers: &mut Vec<Value>) -> Value {
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
pub async fn offer_with_cpus(s: &mut Stream, mut known: Vec<Value>, cpus: f64) -> Value {
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
pub async fn executor_call(agent_url: &str, body: &Value) -> (u16, String) {
    post_json(&format!("{agent_url}/api/v1/executor"), body).await
}

/// An executor's MESSAGE call.
pub async fn executor_message(agent_url: &str, fid: &str, eid: &str, text: &str) -> (u16, String) {
    let body = json!({"type": "MESSAGE", "framework_id": {"value": fid},
        "executor_id": {"value": eid}, "message": {"data": b64(text)}});
    executor_call(agent_url, &body).await
}

/// The executor's side of the API, played by the test.
pub struct Executor {
    pub agent_url: String,
    pub fid: String,
    pub eid: String,
    pub events: Stream,
}

impl Executor {
    pub async fn subscribe(agent_url: &str, fid: &str, eid: &str) -> Executor {
        Executor::subscribe_again(agent_url, fid, eid, json!([]), json!([])).await
    }

    /// SUBSCRIBE with the tasks and updates the executor holds unacknowledged.
    pub async fn subscribe_again(
        agent_url: &str,
        fid: &str,
        eid: &str,
        tasks: Value,
        updates: Value,
    ) -> Executor {
        let body = json!({"type": "SUBSCRIBE", "framework_id": {"value": fid},
            "executor_id": {"value": eid},
            "subscribe": {"unacknowledged_tasks": tasks, "unacknowledged_updates": updates}});
        let resp = client()
            .post(format!("{agent_url}/api/v1/executor"))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .body(body.to_string())
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

    pub async fn update(&self, tid: &str, state: &str, uuid: &str) -> (u16, String) {
        let body = json!({"type": "UPDATE", "framework_id": {"value": self.fid},
            "executor_id": {"value": self.eid}, "update": {"status": self.status(tid, state, uuid)}});
        executor_call(&self.agent_url, &body).await
    }

    /// A TaskStatus as this executor sends it.
    pub fn status(&self, tid: &str, state: &str, uuid: &str) -> Value {
        json!({"task_id": {"value": tid}, "state": state, "source": "SOURCE_EXECUTOR",
            "executor_id": {"value": self.eid}, "uuid": uuid,
            "message": format!("custom executor says {state}")})
    }

    pub async fn message(&self, text: &str) -> (u16, String) {
        executor_message(&self.agent_url, &self.fid, &self.eid, text).await
    }

    pub async fn next(&mut self) -> Value {
        self.events.next().await.expect("an executor event")
    }

    /// The next event of type `ty` (others skipped).
    pub async fn until(&mut self, ty: &str) -> Value {
        self.events.until(ty).await
    }
}

/// The key order of a JSON object (recursively, as text without values of leaves).
pub fn shape(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let inner: Vec<String> = m.iter().map(|(k, v)| format!("{k}:{}", shape(v))).collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(a) => format!("[{}]", a.iter().map(shape).collect::<Vec<_>>().join(",")),
        _ => "_".into(),
    }
}
