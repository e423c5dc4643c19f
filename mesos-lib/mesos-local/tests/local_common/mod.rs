//! Helpers for the embedded-Mesos tests: the one way tests start an embedded Mesos (also used
//! by `client_support`), raw calls, a RecordIO stream reader that waits for events (never
//! sleeps), and [`eventually`], the one bounded poll for state no event announces.
#![allow(dead_code)]

pub mod surface;
pub mod volumes;

use std::time::Duration;

use futures::StreamExt;
use mesos_local::{LocalConfig, LocalMesos};
use serde_json::{Value, json};

/// Upper bound for a stream skipping events while it waits for one kind (heartbeats and
/// offers keep coming, so [`WAIT`] alone would never end that wait).
pub const WAIT_FOR_EVENT: Duration = Duration::from_secs(120);

/// Upper bound for any single wait; generous so a loaded machine does not flake.
pub const WAIT: Duration = Duration::from_secs(30);

/// How often [`eventually`] looks again.
const POLL: Duration = Duration::from_millis(20);

/// Polls `probe` until it yields `Some`, at most [`WAIT`] long, and returns that value; panics
/// with `what` otherwise. For state no event announces (a master's counters and offers, a file
/// in a sandbox): a bounded poll, never a sleep standing in for a wait.
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(POLL).await;
    }
}

/// Short heartbeats, fast allocation and status-update retries; sizes left to the caller.
pub fn fast_config(masters: usize) -> LocalConfig {
    LocalConfig {
        masters,
        heartbeat_interval: Duration::from_millis(200),
        allocation_interval: Duration::from_millis(50),
        status_update_retry_interval: Duration::from_millis(300),
        ..LocalConfig::default()
    }
}

/// An embedded Mesos paced by [`fast_config`], with one agent.
pub async fn start(masters: usize) -> LocalMesos {
    LocalMesos::start(fast_config(masters))
        .await
        .expect("embedded Mesos starts")
}

/// An HTTP client whose calls fail after [`WAIT`] without an answer or a byte of a stream, so a
/// server that stops answering fails the test that waits on it instead of hanging the run.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(WAIT)
        .read_timeout(WAIT)
        .build()
        .expect("an HTTP client")
}

/// GETs `url` and parses its JSON answer.
pub async fn get_json(url: &str) -> Value {
    client()
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// GETs `url` and returns its body as text.
pub async fn get_text(url: &str) -> String {
    client()
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// A subscribed scheduler stream.
pub struct Stream {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub stream_id: String,
    pub framework_id: String,
    body: std::pin::Pin<Box<dyn futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buf: Vec<u8>,
}

impl Stream {
    /// Next event, or None when the stream ended.
    pub async fn next(&mut self) -> Option<Value> {
        loop {
            if let Some(nl) = self.buf.iter().position(|b| *b == b'\n') {
                let len: usize = std::str::from_utf8(&self.buf[..nl])
                    .unwrap()
                    .parse()
                    .unwrap();
                if self.buf.len() >= nl + 1 + len {
                    let rec: Vec<u8> = self.buf.drain(..nl + 1 + len).skip(nl + 1).collect();
                    return Some(serde_json::from_slice(&rec).unwrap());
                }
            }
            match tokio::time::timeout(WAIT, self.body.next())
                .await
                .expect("event in time")
            {
                Some(Ok(chunk)) => self.buf.extend_from_slice(&chunk),
                _ => return None,
            }
        }
    }

    /// Skips events until one of type `ty` (HEARTBEAT/OFFERS are skipped silently).
    pub async fn until(&mut self, ty: &str) -> Value {
        self.until_any(&[ty]).await
    }

    /// Skips events until one of the types `types`, at most [`WAIT_FOR_EVENT`] long: a stream
    /// that keeps beating without ever bringing it fails the test instead of hanging it.
    pub async fn until_any(&mut self, types: &[&str]) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT_FOR_EVENT;
        let mut seen = std::collections::BTreeMap::<String, usize>::new();
        loop {
            let ev = tokio::time::timeout_at(deadline, self.next())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "no {types:?} within {WAIT_FOR_EVENT:?}; skipped (count by type) {seen:?}"
                    )
                })
                .unwrap_or_else(|| panic!("stream ended waiting for {types:?}"));
            if types.iter().any(|t| ev["type"] == *t) {
                return ev;
            }
            *seen
                .entry(ev["type"].as_str().unwrap_or("?").into())
                .or_default() += 1;
        }
    }

    /// The next UPDATE status.
    pub async fn update(&mut self) -> Value {
        self.until("UPDATE").await["update"]["status"].clone()
    }

    /// Reads until the stream ends; returns the events seen.
    pub async fn until_end(&mut self) -> Vec<Value> {
        let mut out = Vec::new();
        while let Some(ev) = self.next().await {
            out.push(ev);
        }
        out
    }
}

/// The RecordIO event stream of a response (an executor's SUBSCRIBE, for one).
pub fn stream_of(resp: reqwest::Response) -> Stream {
    Stream {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        stream_id: String::new(),
        framework_id: String::new(),
        body: Box::pin(resp.bytes_stream()),
        buf: Vec::new(),
    }
}

pub async fn subscribe(url: &str, framework_info: Value) -> Stream {
    let mut call = json!({"type": "SUBSCRIBE", "subscribe": {"framework_info": framework_info}});
    if let Some(id) = framework_info.get("id") {
        call["framework_id"] = id.clone();
    }
    let resp = json_request(&format!("{url}/api/v1/scheduler"), &call)
        .send()
        .await
        .unwrap();
    let mut s = stream_of(resp);
    s.stream_id = s
        .headers
        .get("Mesos-Stream-Id")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    if let Some(first) = s.next().await {
        if first["type"] == "SUBSCRIBED" {
            s.framework_id = first["subscribed"]["framework_id"]["value"]
                .as_str()
                .unwrap()
                .to_string();
        }
        s.buf = [first_record(&first), std::mem::take(&mut s.buf)].concat();
    }
    s
}

fn first_record(v: &Value) -> Vec<u8> {
    let d = v.to_string();
    format!("{}\n{}", d.len(), d).into_bytes()
}

/// Opens the operator event stream (`POST /api/v1` SUBSCRIBE).
pub async fn operator_stream(url: &str) -> Stream {
    let resp = json_request(&format!("{url}/api/v1"), &json!({"type": "SUBSCRIBE"}))
        .send()
        .await
        .unwrap();
    stream_of(resp)
}

pub fn framework(name: &str) -> Value {
    json!({"user": "root", "name": name})
}

/// A POST of `body` as JSON to `endpoint`, asking for JSON back; callers add headers.
pub fn json_request(endpoint: &str, body: &Value) -> reqwest::RequestBuilder {
    client()
        .post(endpoint)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .body(body.to_string())
}

/// POSTs a scheduler call; returns (status, body).
pub async fn call(url: &str, stream_id: Option<&str>, body: &Value) -> (u16, String) {
    let mut req = json_request(&format!("{url}/api/v1/scheduler"), body);
    if let Some(s) = stream_id {
        req = req.header("Mesos-Stream-Id", s);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// POSTs a JSON call to an endpoint and asks for JSON back; returns (status, body).
pub async fn post_json(endpoint: &str, body: &Value) -> (u16, String) {
    let resp = json_request(endpoint, body).send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// POSTs an operator call; returns (status, body).
pub async fn operator(url: &str, body: &Value) -> (u16, String) {
    post_json(&format!("{url}/api/v1"), body).await
}

/// Launches one command task on the first offer of the stream.
pub async fn launch(url: &str, s: &mut Stream, task_id: &str, command: Value, cpus: f64) -> Value {
    let offer = s.until("OFFERS").await["offers"]["offers"][0].clone();
    let body = json!({
        "type": "ACCEPT",
        "framework_id": {"value": s.framework_id},
        "accept": {
            "offer_ids": [offer["id"]],
            "operations": [{"type": "LAUNCH", "launch": {"task_infos": [{
                "name": task_id, "task_id": {"value": task_id}, "agent_id": offer["agent_id"],
                "resources": [[{"name": "cpus", "type": "SCALAR", "scalar": {"value": cpus}}],
                              [{"name": "mem", "type": "SCALAR", "scalar": {"value": 32}}]],
                "command": command,
            }]}}],
            "filters": {"refuse_seconds": 0.5},
        },
    });
    let (code, text) = call(url, Some(&s.stream_id), &body).await;
    assert_eq!((code, text.as_str()), (202, ""));
    offer
}

/// ACCEPTs the first offer of the stream with one LAUNCH of `n` small tasks `t0`…, each
/// running `command`; returns their ids.
pub async fn launch_many(url: &str, s: &mut Stream, n: usize, command: &str) -> Vec<String> {
    let offer = s.until("OFFERS").await["offers"]["offers"][0].clone();
    let ids: Vec<String> = (0..n).map(|i| format!("t{i}")).collect();
    let tasks: Vec<Value> = ids
        .iter()
        .map(|id| {
            json!({
                "name": id, "task_id": {"value": id}, "agent_id": offer["agent_id"],
                "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.01}},
                              {"name": "mem", "type": "SCALAR", "scalar": {"value": 1}}],
                "command": {"value": command},
            })
        })
        .collect();
    let accept = json!({"type": "ACCEPT", "framework_id": {"value": s.framework_id}, "accept": {
        "offer_ids": [offer["id"]],
        "operations": [{"type": "LAUNCH", "launch": {"task_infos": tasks}}],
    }});
    assert_eq!(
        call(url, Some(&s.stream_id), &accept).await,
        (202, String::new())
    );
    ids
}

/// Acknowledges a status that carries a uuid.
pub async fn ack(url: &str, s: &Stream, status: &Value) {
    let body = json!({
        "type": "ACKNOWLEDGE",
        "framework_id": {"value": s.framework_id},
        "acknowledge": {"agent_id": status["agent_id"], "task_id": status["task_id"], "uuid": status["uuid"]},
    });
    assert_eq!(call(url, Some(&s.stream_id), &body).await.0, 202);
}

/// ACCEPTs `offer` with one LAUNCH_GROUP.
pub async fn launch_group(
    url: &str,
    s: &Stream,
    offer: &Value,
    executor: Value,
    tasks: Vec<Value>,
) {
    let body = json!({"type": "ACCEPT", "framework_id": {"value": s.framework_id}, "accept": {
        "offer_ids": [offer["id"]],
        "operations": [{"type": "LAUNCH_GROUP", "launch_group": {
            "executor": executor, "task_group": {"tasks": tasks}}}],
        "filters": {"refuse_seconds": 0}}});
    assert_eq!(
        call(url, Some(&s.stream_id), &body).await,
        (202, String::new())
    );
}

/// The first agent's `total_resources` as the operator API's GET_AGENTS lists them.
pub async fn agent_total(url: &str) -> Value {
    let (code, body) = operator(url, &json!({"type": "GET_AGENTS"})).await;
    assert_eq!(code, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    v["get_agents"]["agents"][0]["total_resources"].clone()
}
