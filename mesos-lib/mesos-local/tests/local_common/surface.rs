//! Helpers of the surface tests (`surface_*.rs`): the 501 refusal, raw posts, and a
//! framework with a running task.

use serde_json::{Value, json};

use super::*;

/// Asserts the 501 that names the call and says mesos-local does not carry it out.
pub fn refused(name: &str, (code, body): (u16, String)) {
    assert_eq!(code, 501, "{name}: {body}");
    assert!(
        body.starts_with(&format!("mesos-local does not carry out {name} yet (")),
        "{name}: {body}"
    );
}

/// POSTs a call with the given content type to `url`; returns (status, body).
pub async fn post(url: &str, content_type: &str, body: &str) -> (u16, String) {
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
pub async fn agent_call(agent_url: &str, body: &Value) -> (u16, String) {
    post(
        &format!("{agent_url}/api/v1"),
        "application/json",
        &body.to_string(),
    )
    .await
}

/// A JSON body, or a panic showing it.
pub fn parse(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// A subscribed framework with one running `sleep` task, its status acknowledged.
pub async fn running_task(url: &str, task_id: &str) -> (Stream, Value) {
    running_command(url, task_id, json!({"value": "echo surface-out; sleep 30"})).await
}

/// A subscribed framework with one running task of `command`, its statuses acknowledged.
pub async fn running_command(url: &str, task_id: &str, command: Value) -> (Stream, Value) {
    let mut s = subscribe(url, framework("surface")).await;
    let offer = launch(url, &mut s, task_id, command, 0.1).await;
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
