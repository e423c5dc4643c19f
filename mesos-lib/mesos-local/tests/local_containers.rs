//! Nested containers through the agent's operator API, as `mesos task exec` drives them: a
//! session's output stream (transcript 37), its stdin through ATTACH_CONTAINER_INPUT, its exit
//! status through WAIT, KILL and REMOVE, a plain nested container, and the refusals of what
//! the embedded agent cannot do.

mod local_common;

use futures::StreamExt;
use local_common::surface::*;
use local_common::*;
use mesos_lib::recordio::Decoder;
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// An embedded Mesos with one running task: (mesos, its agent's URL, the task's container id).
async fn with_task(task_id: &str) -> (mesos_local::LocalMesos, String, Value, Stream) {
    let m = start(1).await;
    let (s, _) = running_task(&m.url(), task_id).await;
    let agent = m.agents()[0].url.clone();
    let (code, body) = agent_call(&agent, &json!({"type": "GET_CONTAINERS"})).await;
    assert_eq!(code, 200, "{body}");
    let cid = parse(&body)["get_containers"]["containers"][0]["container_id"].clone();
    assert!(cid["value"].is_string(), "{body}");
    (m, agent, cid, s)
}

/// The sandbox directory of the agent's only executor.
async fn sandbox(agent: &str) -> String {
    let state = get_json(&format!("{agent}/state")).await;
    state["frameworks"][0]["executors"][0]["directory"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A streaming session: status, headers and the decoded records as they come.
struct Session {
    status: u16,
    headers: reqwest::header::HeaderMap,
    records: mpsc::UnboundedReceiver<Value>,
}

impl Session {
    /// Reads records until the stream ends: (stdout, stderr) as text.
    async fn drain(mut self) -> (String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        while let Some(r) = tokio::time::timeout(WAIT, self.records.recv())
            .await
            .expect("the session ends")
        {
            data_into(&r, &mut out, &mut err);
        }
        (
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    /// Reads records until stdout holds `text`.
    async fn until_stdout(&mut self, text: &str) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        while !String::from_utf8_lossy(&out).contains(text) {
            let r = tokio::time::timeout(WAIT, self.records.recv())
                .await
                .expect("output comes")
                .expect("the stream is still open");
            data_into(&r, &mut out, &mut err);
        }
    }
}

fn data_into(record: &Value, out: &mut Vec<u8>, err: &mut Vec<u8>) {
    use base64::Engine;
    if record["type"] != "DATA" {
        return;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(record["data"]["data"].as_str().unwrap())
        .unwrap();
    match record["data"]["type"].as_str() {
        Some("STDOUT") => out.extend(bytes),
        Some("STDERR") => err.extend(bytes),
        other => panic!("unexpected data type {other:?}"),
    }
}

/// LAUNCH_NESTED_CONTAINER_SESSION of `command` in `parent` as `value`, its records read in the
/// background.
async fn session(agent: &str, parent: &Value, value: &str, command: &str) -> Session {
    let call = json!({"type": "LAUNCH_NESTED_CONTAINER_SESSION", "launch_nested_container_session": {
        "container_id": {"parent": parent, "value": value}, "command": {"value": command}}});
    let resp = client()
        .post(format!("{agent}/api/v1"))
        .header("Content-Type", "application/json")
        .header("Accept", "application/recordio")
        .header("Message-Accept", "application/json")
        .body(call.to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let (tx, records) = mpsc::unbounded_channel();
    let mut body = resp.bytes_stream();
    tokio::spawn(async move {
        let mut decoder = Decoder::new();
        while let Some(Ok(chunk)) = body.next().await {
            for r in decoder.decode(&chunk).unwrap() {
                let _ = tx.send(serde_json::from_slice::<Value>(&r).unwrap());
            }
        }
    });
    Session {
        status,
        headers,
        records,
    }
}

/// WAIT_NESTED_CONTAINER on `id`: the answer's code and the exit status it reports.
async fn wait_nested(agent: &str, id: &Value) -> (u16, Value) {
    let wait =
        json!({"type": "WAIT_NESTED_CONTAINER", "wait_nested_container": {"container_id": id}});
    let (code, body) = agent_call(agent, &wait).await;
    (
        code,
        parse(&body)["wait_nested_container"]["exit_status"].clone(),
    )
}

fn nested(parent: &Value, value: &str) -> Value {
    json!({"parent": parent, "value": value})
}

#[tokio::test]
async fn a_session_streams_its_output_in_the_task_sandbox_and_wait_reads_its_status() {
    let (m, agent, cid, _s) = with_task("ct-echo").await;
    let s = session(
        &agent,
        &cid,
        "nested-echo",
        "echo hi; echo oops >&2; echo \"$MESOS_TASK_ID\"; pwd; exit 3",
    )
    .await;
    assert_eq!(s.status, 200);
    assert_eq!(s.headers["content-type"], "application/recordio");
    assert_eq!(s.headers["message-content-type"], "application/json");
    let (out, err) = s.drain().await;
    // The task's environment and its sandbox as the working directory.
    assert_eq!(out, format!("hi\nct-echo\n{}\n", sandbox(&agent).await));
    assert_eq!(err, "oops\n");
    let id = nested(&cid, "nested-echo");
    let wait =
        json!({"type": "WAIT_NESTED_CONTAINER", "wait_nested_container": {"container_id": id}});
    assert_eq!(
        agent_call(&agent, &wait).await,
        (
            200,
            r#"{"type":"WAIT_NESTED_CONTAINER","wait_nested_container":{"exit_status":768}}"#
                .into()
        ),
        "exit 3 is wait status 3 << 8"
    );
    let remove =
        json!({"type": "REMOVE_NESTED_CONTAINER", "remove_nested_container": {"container_id": id}});
    assert_eq!(agent_call(&agent, &remove).await, (200, String::new()));
    let gone = format!(
        "Container {}.nested-echo cannot be found",
        cid["value"].as_str().unwrap()
    );
    assert_eq!(agent_call(&agent, &wait).await, (404, gone));
    m.shutdown().await;
}

/// Streams `records` as the body of an ATTACH_CONTAINER_INPUT request; its answer.
async fn attach_input(agent: &str, records: Vec<Value>) -> (u16, String) {
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = records
        .iter()
        .map(|r| {
            Ok(bytes::Bytes::from(
                mesos_lib::recordio::encode_json(r).unwrap(),
            ))
        })
        .collect();
    let resp = client()
        .post(format!("{agent}/api/v1"))
        .header("Content-Type", "application/recordio")
        .header("Message-Content-Type", "application/json")
        .header("Accept", "application/json")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

fn input(io: Value) -> Value {
    json!({"type": "ATTACH_CONTAINER_INPUT", "attach_container_input": {"type": "PROCESS_IO", "process_io": io}})
}

fn stdin(data: &str) -> Value {
    use base64::Engine;
    input(json!({"type": "DATA", "data": {"type": "STDIN",
        "data": base64::engine::general_purpose::STANDARD.encode(data)}}))
}

#[tokio::test]
async fn stdin_reaches_cat_through_attach_container_input() {
    let (m, agent, cid, _s) = with_task("ct-cat").await;
    let s = session(&agent, &cid, "nested-cat", "cat; echo done").await;
    assert_eq!(s.status, 200);
    let id = nested(&cid, "nested-cat");
    let first = json!({"type": "ATTACH_CONTAINER_INPUT",
        "attach_container_input": {"type": "CONTAINER_ID", "container_id": id}});
    // The Mesos CLI first connects with the container id alone: stdin stays open.
    assert_eq!(
        attach_input(&agent, vec![first.clone()]).await,
        (200, String::new())
    );
    let heartbeat = input(json!({"type": "CONTROL", "control": {"type": "HEARTBEAT",
        "heartbeat": {"interval": {"nanoseconds": 30_000_000_000u64}}}}));
    let answer = attach_input(
        &agent,
        vec![
            first.clone(),
            stdin("hello "),
            heartbeat,
            stdin("cat\n"),
            stdin(""),
        ],
    )
    .await;
    assert_eq!(answer, (200, String::new()));
    let (out, _) = s.drain().await;
    assert_eq!(out, "hello cat\ndone\n");
    let wait = json!({"type": "WAIT_CONTAINER", "wait_container": {"container_id": id}});
    assert_eq!(
        agent_call(&agent, &wait).await,
        (
            200,
            r#"{"type":"WAIT_CONTAINER","wait_container":{"exit_status":0}}"#.into()
        )
    );
    // Input to an ended session: its switchboard is gone.
    assert_eq!(
        attach_input(&agent, vec![first]).await,
        (500, "I/O switchboard has shutdown".into())
    );
    m.shutdown().await;
}

#[tokio::test]
async fn kill_ends_a_session_listed_with_show_nested() {
    let (m, agent, cid, _s) = with_task("ct-kill").await;
    let mut s = session(&agent, &cid, "nested-sleep", "echo started; exec sleep 600").await;
    s.until_stdout("started").await;
    let list =
        |nested: bool| json!({"type": "GET_CONTAINERS", "get_containers": {"show_nested": nested}});
    let (_, body) = agent_call(&agent, &list(false)).await;
    assert_eq!(
        parse(&body)["get_containers"]["containers"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (_, body) = agent_call(&agent, &list(true)).await;
    let all = parse(&body)["get_containers"]["containers"].clone();
    let entry = all
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["container_id"] == json!({"value": "nested-sleep"}))
        .unwrap_or_else(|| panic!("{all}"))
        .clone();
    let id = nested(&cid, "nested-sleep");
    assert_eq!(
        entry["container_status"]["container_id"],
        json!({"value": "nested-sleep", "parent": cid})
    );
    assert!(entry["container_status"]["executor_pid"].as_u64().unwrap() > 0);
    assert!(entry["resource_statistics"]["timestamp"].as_f64().unwrap() > 0.0);
    // The task's own entry carries the statistics of its process tree and its limits.
    let stats = &all[0]["resource_statistics"];
    assert_eq!(stats["mem_limit_bytes"], 64 * 1024 * 1024, "{stats}");
    assert!(stats["mem_rss_bytes"].as_u64().unwrap() > 0, "{stats}");

    let remove =
        json!({"type": "REMOVE_NESTED_CONTAINER", "remove_nested_container": {"container_id": id}});
    assert_eq!(
        agent_call(&agent, &remove).await,
        (500, "Nested container has not terminated yet".into())
    );
    let kill =
        json!({"type": "KILL_NESTED_CONTAINER", "kill_nested_container": {"container_id": id}});
    assert_eq!(agent_call(&agent, &kill).await, (200, String::new()));
    s.drain().await;
    assert_eq!(wait_nested(&agent, &id).await, (200, json!(9)));
    let again = format!(
        "Container '{}.nested-sleep' cannot be found (or is already killed)",
        cid["value"].as_str().unwrap()
    );
    assert_eq!(agent_call(&agent, &kill).await, (404, again));
    // The task itself is untouched.
    let (_, body) = agent_call(&agent, &json!({"type": "GET_TASKS"})).await;
    assert_eq!(
        parse(&body)["get_tasks"]["launched_tasks"][0]["state"],
        "TASK_RUNNING"
    );
    m.shutdown().await;
}

#[tokio::test]
async fn a_plain_nested_container_writes_to_its_own_sandbox() {
    let (m, agent, cid, _s) = with_task("ct-plain").await;
    let id = nested(&cid, "nested-plain");
    let launch = json!({"type": "LAUNCH_NESTED_CONTAINER", "launch_nested_container": {
        "container_id": id, "command": {"value": "echo hi-from-nested; pwd"}}});
    // A command that does not convert (`shell` is a bool) is refused before anything runs,
    // as stout refuses the call: the agent answers with the reason alone, and the launch
    // below finds no container of that ID.
    let bad = json!({"type": "LAUNCH_NESTED_CONTAINER", "launch_nested_container": {
        "container_id": id, "command": {"value": "echo no", "shell": "perhaps"}}});
    let (status, text) = agent_call(&agent, &bad).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("expected a boolean"), "{text}");
    assert!(!text.starts_with("Failed to"), "{text}");
    assert_eq!(agent_call(&agent, &launch).await, (200, String::new()));
    assert_eq!(wait_nested(&agent, &id).await, (200, json!(0)));
    let dir = format!("{}/containers/nested-plain", sandbox(&agent).await);
    let out = std::fs::read_to_string(format!("{dir}/stdout")).unwrap();
    assert_eq!(out, format!("hi-from-nested\n{dir}\n"));
    // No switchboard: its output cannot be attached.
    let attach =
        json!({"type": "ATTACH_CONTAINER_OUTPUT", "attach_container_output": {"container_id": id}});
    assert_eq!(agent_call(&agent, &attach).await.0, 500);
    let remove = json!({"type": "REMOVE_CONTAINER", "remove_container": {"container_id": id}});
    assert_eq!(agent_call(&agent, &remove).await, (200, String::new()));
    assert!(!std::path::Path::new(&dir).exists());
    m.shutdown().await;
}

#[tokio::test]
async fn a_launch_and_a_kill_are_read_as_stout_reads_them() {
    let (m, agent, cid, _s) = with_task("ct-stout").await;
    // One variable given where `variables` is repeated is its one element.
    let id = nested(&cid, "nested-env");
    let launch = json!({"type": "LAUNCH_CONTAINER", "launch_container": {"container_id": id,
        "command": {"value": "echo \"$GREETING\"",
        "environment": {"variables": {"name": "GREETING", "value": "hi"}}}}});
    assert_eq!(agent_call(&agent, &launch).await, (200, String::new()));
    assert_eq!(wait_nested(&agent, &id).await, (200, json!(0)));
    let dir = format!("{}/containers/nested-env", sandbox(&agent).await);
    let out = std::fs::read_to_string(format!("{dir}/stdout")).unwrap();
    assert_eq!(out, "hi\n");
    // A signal given as a string is the number it holds.
    let id = nested(&cid, "nested-term");
    let launch = json!({"type": "LAUNCH_NESTED_CONTAINER", "launch_nested_container": {
        "container_id": id, "command": {"value": "exec sleep 600"}}});
    assert_eq!(agent_call(&agent, &launch).await, (200, String::new()));
    let kill = json!({"type": "KILL_CONTAINER",
        "kill_container": {"container_id": id, "signal": "15"}});
    assert_eq!(agent_call(&agent, &kill).await, (200, String::new()));
    assert_eq!(wait_nested(&agent, &id).await, (200, json!(15)));
    m.shutdown().await;
}

#[tokio::test]
async fn attach_container_input_is_validated_as_the_agent_validates_it() {
    let m = start(1).await;
    let agent = m.agents()[0].url.clone();
    let first =
        |input: Value| json!({"type": "ATTACH_CONTAINER_INPUT", "attach_container_input": input});
    let id = json!({"value": "c", "parent": {"value": "p"}});
    let cases = [
        (
            first(json!({"container_id": id})),
            "Failed to validate agent::Call: Expecting 'attach_container_input.type' to be present",
        ),
        (
            first(json!({"type": "UNKNOWN", "container_id": id})),
            "Failed to validate agent::Call: 'attach_container_input.type' is unknown",
        ),
        (
            first(json!({"type": "PROCESS_IO"})),
            "Expecting 'attach_container_input.type' to be CONTAINER_ID",
        ),
    ];
    for (call, text) in cases {
        assert_eq!(
            attach_input(&agent, vec![call.clone()]).await,
            (400, text.to_string()),
            "{call}"
        );
    }
    m.shutdown().await;
}

#[tokio::test]
async fn what_the_agent_cannot_do_is_refused_with_its_reason() {
    let (m, agent, cid, _s) = with_task("ct-refuse").await;
    let session_call = |container_id: Value, extra: Value| {
        let mut launch = json!({"container_id": container_id, "command": {"value": "true"}});
        if let Some(o) = extra.as_object() {
            for (k, v) in o {
                launch[k] = v.clone();
            }
        }
        json!({"type": "LAUNCH_NESTED_CONTAINER_SESSION", "launch_nested_container_session": launch})
    };
    let (code, body) = agent_call(
        &agent,
        &session_call(
            nested(&cid, "t"),
            json!({"container": {"type": "MESOS", "tty_info": {}}}),
        ),
    )
    .await;
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("TTY is not supported"), "{body}");
    let (code, body) = agent_call(
        &agent,
        &session_call(
            nested(&cid, "d"),
            json!({"container": {"type": "DOCKER", "docker": {"image": "x"}}}),
        ),
    )
    .await;
    assert_eq!(code, 400, "{body}");
    assert!(
        body.starts_with("The provided ContainerInfo is not supported"),
        "{body}"
    );
    assert_eq!(
        agent_call(
            &agent,
            &session_call(nested(&json!({"value": "nope"}), "n"), json!({}))
        )
        .await,
        (400, "Parent container nope does not exist".into())
    );
    assert_eq!(
        agent_call(&agent, &session_call(json!({"value": "top"}), json!({}))).await,
        (
            400,
            "Failed to validate agent::Call: Expecting 'launch_nested_container_session.container_id.parent' to be present".into()
        )
    );
    assert_eq!(
        agent_call(&agent, &session_call(nested(&cid, "a.b"), json!({}))).await,
        (
            400,
            "Failed to validate agent::Call: 'launch_nested_container_session.container_id' is invalid: 'ContainerID.value' 'a.b' contains invalid characters".into()
        )
    );
    // Transcript 37: a command task's container has no I/O switchboard.
    let attach = json!({"type": "ATTACH_CONTAINER_OUTPUT", "attach_container_output": {"container_id": cid}});
    assert_eq!(
        agent_call(&agent, &attach).await,
        (
            500,
            "I/O switchboard server was disabled for this container".into()
        )
    );
    let standalone = json!({"type": "LAUNCH_CONTAINER", "launch_container": {
        "container_id": {"value": "standalone"}, "command": {"value": "true"}}});
    refused("LAUNCH_CONTAINER", agent_call(&agent, &standalone).await);
    // Resources or limits of its own: a plain process would not be held to them.
    for own in [
        json!({"resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}}]}),
        json!({"limits": {"cpus": {"value": 0.1}}}),
    ] {
        let mut sized = json!({"type": "LAUNCH_CONTAINER", "launch_container": {
            "container_id": nested(&cid, "sized"), "command": {"value": "true"}}});
        for (k, v) in own.as_object().unwrap() {
            sized["launch_container"][k] = v.clone();
        }
        let (code, body) = agent_call(&agent, &sized).await;
        refused("LAUNCH_CONTAINER", (code, body.clone()));
        assert!(
            body.contains("it enforces no resources or limits"),
            "{body}"
        );
    }
    let wait = json!({"type": "WAIT_CONTAINER", "wait_container": {"container_id": nested(&cid, "sized")}});
    assert_eq!(
        agent_call(&agent, &wait).await.0,
        404,
        "no container was started"
    );
    // A real agent aborts here; this one answers.
    let remove = json!({"type": "REMOVE_CONTAINER", "remove_container": {"container_id": {"value": "nope"}}});
    let (code, body) = agent_call(&agent, &remove).await;
    assert_eq!(code, 400, "{body}");
    assert_eq!(
        agent_call(&agent, &json!({"type": "KILL_CONTAINER", "kill_container": {"container_id": {"value": "no-such-container"}}})).await,
        (404, "Container 'no-such-container' cannot be found (or is already killed)".into())
    );
    // Media types, as the agent checks them.
    let api = format!("{agent}/api/v1");
    let resp = client()
        .post(&api)
        .header("Content-Type", "application/json")
        .header("Accept", "application/recordio")
        .body(r#"{"type":"GET_HEALTH"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 406);
    assert_eq!(
        resp.text().await.unwrap(),
        "Streaming response is not supported for GET_HEALTH call"
    );
    let input = json!({"type": "ATTACH_CONTAINER_INPUT", "attach_container_input": {
        "type": "CONTAINER_ID", "container_id": nested(&cid, "x")}});
    assert_eq!(
        agent_call(&agent, &input).await,
        (
            415,
            "Expecting 'Content-Type' to be application/recordio for ATTACH_CONTAINER_INPUT call"
                .into()
        )
    );
    let resp = client()
        .post(&api)
        .header("Content-Type", "application/recordio")
        .body(mesos_lib::recordio::encode_json(&json!({"type": "GET_HEALTH"})).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(
        resp.text().await.unwrap(),
        "Expecting 'Message-Content-Type' to be set for streaming requests"
    );
    m.shutdown().await;
}

#[tokio::test]
async fn a_session_dies_with_its_task() {
    let (m, agent, cid, mut s) = with_task("ct-parent").await;
    let mut session = session(&agent, &cid, "nested-orphan", "echo up; exec sleep 600").await;
    session.until_stdout("up").await;
    let kill = json!({"type": "KILL", "framework_id": {"value": s.framework_id},
        "kill": {"task_id": {"value": "ct-parent"}}});
    assert_eq!(call(&m.url(), Some(&s.stream_id), &kill).await.0, 202);
    loop {
        let st = s.update().await;
        if st["uuid"].is_string() {
            ack(&m.url(), &s, &st).await;
        }
        if st["state"] == "TASK_KILLED" {
            break;
        }
    }
    // The session's stream ends: its container was destroyed with its parent.
    session.drain().await;
    let id = nested(&cid, "nested-orphan");
    assert_eq!(wait_nested(&agent, &id).await, (200, json!(9)));
    m.shutdown().await;
}

#[tokio::test]
async fn a_session_inherits_the_task_environment_even_as_its_shell_execs() {
    let m = start(1).await;
    // The task's shell writes a file, then `exec`s its command at once: a session started then
    // still gets the task's environment (the command's own variables and the agent's).
    let command = json!({"value": "echo ready > state.txt && exec sleep 60",
        "environment": {"variables": [{"name": "TUTORIAL", "value": "kept"}]}});
    let _running = running_command(&m.url(), "ct-env", command).await;
    let agent = m.agents()[0].url.clone();
    let (code, body) = agent_call(&agent, &json!({"type": "GET_CONTAINERS"})).await;
    assert_eq!(code, 200, "{body}");
    let cid = parse(&body)["get_containers"]["containers"][0]["container_id"].clone();
    let s = session(
        &agent,
        &cid,
        "nested-env",
        "echo \"$TUTORIAL $MESOS_TASK_ID\"; test -n \"$PATH\" && echo path",
    )
    .await;
    assert_eq!(s.status, 200);
    let (out, _) = s.drain().await;
    assert_eq!(out, "kept ct-env\npath\n");
}
