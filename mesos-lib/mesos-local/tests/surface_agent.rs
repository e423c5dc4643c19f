//! The agent operator API's whole v1 surface: every call type of `agent.proto` (Mesos
//! 1.11) either shows its effect or is refused with a 501 that names the call; and the
//! validation texts real Mesos gives (transcripts 37, 38).

mod local_common;

use std::cell::RefCell;
use std::collections::BTreeSet;

use local_common::surface::*;
use local_common::*;
use serde_json::{Value, json};

/// `agent::Call.Type` (Mesos 1.11).
const AGENT_CALLS: &[&str] = &[
    "UNKNOWN",
    "GET_HEALTH",
    "GET_FLAGS",
    "GET_VERSION",
    "GET_METRICS",
    "GET_LOGGING_LEVEL",
    "SET_LOGGING_LEVEL",
    "LIST_FILES",
    "READ_FILE",
    "GET_STATE",
    "GET_CONTAINERS",
    "GET_FRAMEWORKS",
    "GET_EXECUTORS",
    "GET_OPERATIONS",
    "GET_TASKS",
    "GET_AGENT",
    "GET_RESOURCE_PROVIDERS",
    "LAUNCH_NESTED_CONTAINER",
    "WAIT_NESTED_CONTAINER",
    "KILL_NESTED_CONTAINER",
    "REMOVE_NESTED_CONTAINER",
    "LAUNCH_NESTED_CONTAINER_SESSION",
    "ATTACH_CONTAINER_INPUT",
    "ATTACH_CONTAINER_OUTPUT",
    "LAUNCH_CONTAINER",
    "WAIT_CONTAINER",
    "KILL_CONTAINER",
    "REMOVE_CONTAINER",
    "ADD_RESOURCE_PROVIDER_CONFIG",
    "UPDATE_RESOURCE_PROVIDER_CONFIG",
    "REMOVE_RESOURCE_PROVIDER_CONFIG",
    "MARK_RESOURCE_PROVIDER_GONE",
    "PRUNE_IMAGES",
];

#[tokio::test]
async fn every_agent_operator_call_has_its_effect_or_is_refused() {
    let m = start(1).await;
    let url = m.url();
    let agent = m.agents()[0].clone();
    let (s, _) = running_task(&url, "surface-t").await;
    let seen = RefCell::new(BTreeSet::new());
    let a = agent.url.clone();
    let op = async |name: &str, body: Value| {
        seen.borrow_mut().insert(name.to_string());
        agent_call(&a, &body).await
    };

    assert_eq!(
        op("UNKNOWN", json!({"type": "UNKNOWN"})).await,
        (501, "501 Not Implemented.".into())
    );
    assert_eq!(
        op("GET_HEALTH", json!({"type": "GET_HEALTH"})).await,
        (
            200,
            r#"{"type":"GET_HEALTH","get_health":{"healthy":true}}"#.into()
        )
    );
    let (code, body) = op("GET_FLAGS", json!({"type": "GET_FLAGS"})).await;
    assert_eq!(code, 200);
    let flags = parse(&body)["get_flags"]["flags"].clone();
    assert!(
        flags
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "work_dir"),
        "{flags}"
    );
    let (code, body) = op("GET_VERSION", json!({"type": "GET_VERSION"})).await;
    assert_eq!(code, 200);
    assert!(parse(&body)["get_version"]["version_info"]["version"].is_string());
    refused(
        "GET_METRICS",
        op(
            "GET_METRICS",
            json!({"type": "GET_METRICS", "get_metrics": {}}),
        )
        .await,
    );
    let (code, body) = op("GET_LOGGING_LEVEL", json!({"type": "GET_LOGGING_LEVEL"})).await;
    assert_eq!(
        (code, parse(&body)["get_logging_level"]["level"].clone()),
        (200, json!(0))
    );
    refused(
        "SET_LOGGING_LEVEL",
        op(
            "SET_LOGGING_LEVEL",
            json!({"type": "SET_LOGGING_LEVEL",
            "set_logging_level": {"level": 1, "duration": {"nanoseconds": 1}}}),
        )
        .await,
    );

    // The running task's sandbox, through the same virtual paths as /files.
    let run = format!(
        "/frameworks/{}/executors/surface-t/runs/latest",
        s.framework_id
    );
    let (code, body) = op(
        "LIST_FILES",
        json!({"type": "LIST_FILES", "list_files": {"path": run}}),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let infos = parse(&body)["list_files"]["file_infos"].clone();
    let stdout = format!("{run}/stdout");
    assert!(
        infos
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == stdout.as_str()),
        "{infos}"
    );
    let (code, body) = op(
        "READ_FILE",
        json!({"type": "READ_FILE", "read_file": {"path": stdout, "offset": 0}}),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let read = parse(&body)["read_file"].clone();
    let data = mesos_lib::v1::bytes::Bytes::from_base64(read["data"].as_str().unwrap()).unwrap();
    assert!(
        String::from_utf8_lossy(data.as_slice()).contains("surface-out"),
        "{read}"
    );
    assert_eq!(
        read["size"].as_u64().unwrap() as usize,
        data.as_slice().len()
    );

    let (code, body) = op("GET_STATE", json!({"type": "GET_STATE"})).await;
    assert_eq!(code, 200);
    let state = parse(&body)["get_state"].clone();
    assert_eq!(
        state["get_tasks"]["launched_tasks"][0]["task_id"]["value"], "surface-t",
        "{state}"
    );
    assert_eq!(
        state["get_tasks"]["launched_tasks"][0]["state"],
        "TASK_RUNNING"
    );
    let (code, body) = op("GET_TASKS", json!({"type": "GET_TASKS"})).await;
    assert_eq!(
        (
            code,
            parse(&body)["get_tasks"]["launched_tasks"][0]["task_id"]["value"].clone()
        ),
        (200, json!("surface-t"))
    );
    let (code, body) = op("GET_EXECUTORS", json!({"type": "GET_EXECUTORS"})).await;
    assert_eq!(code, 200);
    let info = &parse(&body)["get_executors"]["executors"][0]["executor_info"];
    assert_eq!(info["executor_id"]["value"], "surface-t");
    // The command executor's fields in the proto's order, as a real agent writes them.
    let keys: Vec<&str> = info
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(
        keys,
        ["executor_id", "framework_id", "resources", "name", "source"]
    );
    let (code, body) = op("GET_FRAMEWORKS", json!({"type": "GET_FRAMEWORKS"})).await;
    assert_eq!(code, 200);
    assert_eq!(
        parse(&body)["get_frameworks"]["frameworks"][0]["framework_info"]["id"]["value"],
        s.framework_id.as_str()
    );
    let (code, body) = op("GET_CONTAINERS", json!({"type": "GET_CONTAINERS"})).await;
    assert_eq!(code, 200);
    let c = parse(&body)["get_containers"]["containers"][0].clone();
    assert_eq!(c["executor_id"]["value"], "surface-t", "{c}");
    assert_eq!(c["container_status"]["container_id"], c["container_id"]);
    assert!(
        c["container_status"]["executor_pid"].as_u64().unwrap() > 0,
        "{c}"
    );
    let (code, body) = op("GET_AGENT", json!({"type": "GET_AGENT"})).await;
    assert_eq!(
        (
            code,
            parse(&body)["get_agent"]["agent_info"]["id"]["value"].clone()
        ),
        (200, json!(agent.id))
    );
    for name in ["GET_OPERATIONS", "GET_RESOURCE_PROVIDERS"] {
        let section = name.to_ascii_lowercase();
        let (code, body) = op(name, json!({"type": name})).await;
        assert_eq!(
            (code, parse(&body)),
            (200, json!({"type": name, section: {}}))
        );
    }
    // Nested containers run (local_containers.rs has the details): one after the other
    // under one id, each call with the status a real agent gives it.
    let cid = json!({"value": "nested-1", "parent": c["container_id"]});
    for (name, code) in [
        ("LAUNCH_NESTED_CONTAINER", 200),
        ("WAIT_NESTED_CONTAINER", 200),
        ("KILL_NESTED_CONTAINER", 404),
        ("REMOVE_NESTED_CONTAINER", 200),
        ("LAUNCH_NESTED_CONTAINER_SESSION", 200),
        ("ATTACH_CONTAINER_OUTPUT", 500),
        ("LAUNCH_CONTAINER", 200),
        ("WAIT_CONTAINER", 200),
        ("KILL_CONTAINER", 404),
        ("REMOVE_CONTAINER", 200),
    ] {
        let section = name.to_ascii_lowercase();
        let (got, body) = op(name, json!({"type": name, section: {"container_id": cid}})).await;
        assert_eq!(got, code, "{name}: {body}");
    }
    let input = json!({"type": "CONTAINER_ID", "container_id": cid});
    assert_eq!(
        op(
            "ATTACH_CONTAINER_INPUT",
            json!({"type": "ATTACH_CONTAINER_INPUT", "attach_container_input": input})
        )
        .await,
        (
            415,
            "Expecting 'Content-Type' to be application/recordio for ATTACH_CONTAINER_INPUT call"
                .into()
        )
    );
    for (name, body) in [
        (
            "ADD_RESOURCE_PROVIDER_CONFIG",
            json!({"info": {"type": "x", "name": "y"}}),
        ),
        (
            "UPDATE_RESOURCE_PROVIDER_CONFIG",
            json!({"info": {"type": "x", "name": "y"}}),
        ),
        (
            "REMOVE_RESOURCE_PROVIDER_CONFIG",
            json!({"type": "x", "name": "y"}),
        ),
        (
            "MARK_RESOURCE_PROVIDER_GONE",
            json!({"resource_provider_id": {"value": "rp"}}),
        ),
        ("PRUNE_IMAGES", json!({})),
    ] {
        let section = name.to_ascii_lowercase();
        refused(name, op(name, json!({"type": name, section: body})).await);
    }
    // Nothing refused touched the task.
    let (_, body) = agent_call(&agent.url, &json!({"type": "GET_TASKS"})).await;
    assert_eq!(
        parse(&body)["get_tasks"]["launched_tasks"][0]["state"],
        "TASK_RUNNING"
    );

    let all: BTreeSet<String> = AGENT_CALLS.iter().map(|s| s.to_string()).collect();
    assert_eq!(seen.into_inner(), all, "every agent call type is walked");
    m.shutdown().await;
}

#[tokio::test]
async fn agent_validates_operator_calls_as_real_mesos_does() {
    let m = start(1).await;
    let agent = m.agents()[0].url.clone();
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            json!({"type": "FROBNICATE"}),
            400,
            "Failed to validate agent::Call: Expecting 'type' to be present",
        ),
        (
            json!({}),
            400,
            "Failed to validate agent::Call: Expecting 'type' to be present",
        ),
        (
            json!({"type": "GET_AGENTS"}),
            400,
            "Failed to validate agent::Call: Expecting 'type' to be present",
        ),
        (
            json!({"type": "GET_METRICS"}),
            400,
            "Failed to validate agent::Call: Expecting 'get_metrics' to be present",
        ),
        (
            json!({"type": "LAUNCH_NESTED_CONTAINER_SESSION"}),
            400,
            "Failed to validate agent::Call: Expecting 'launch_nested_container_session' to be present",
        ),
        (
            json!({"type": "KILL_CONTAINER", "kill_container": {}}),
            400,
            "Missing required fields: kill_container.container_id",
        ),
        (
            json!({"type": "READ_FILE", "read_file": {"path": "/nope", "offset": 0}}),
            404,
            "",
        ),
        (
            json!({"type": "LIST_FILES", "list_files": {"path": "/nope"}}),
            404,
            "",
        ),
        (json!({"type": "UNKNOWN"}), 501, "501 Not Implemented."),
    ];
    for (body, code, text) in cases {
        assert_eq!(
            agent_call(&agent, &body).await,
            (code, text.to_string()),
            "{body}"
        );
    }
    let api = format!("{agent}/api/v1");
    assert_eq!(
        post(&api, "text/plain", r#"{"type":"GET_HEALTH"}"#).await.0,
        415
    );
    let resp = client().get(&api).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    m.shutdown().await;
}

#[tokio::test]
async fn agent_reads_a_call_as_stout_does_and_answers_in_its_own_words() {
    let m = start(1).await;
    let (s, _) = running_task(&m.url(), "stout-t").await;
    let agent = m.agents()[0].url.clone();
    // The agent's deserializer answers with the reason alone, not the master's prefix.
    let cases: Vec<(Value, &str)> = vec![
        (json!([1]), "Expecting a JSON object"),
        (
            json!({"type": "LIST_FILES", "list_files": "/a"}),
            "Not expecting a JSON string for field 'list_files'",
        ),
        (
            json!({"type": "LAUNCH_NESTED_CONTAINER", "launch_nested_container": {
                "container_id": {"value": "c", "parent": {"value": "p"}}, "command": "ls"}}),
            "Not expecting a JSON string for field 'command'",
        ),
        // stout checks the required fields of every section given, not only the call's own.
        (
            json!({"type": "GET_HEALTH", "list_files": {}}),
            "Missing required fields: list_files.path",
        ),
        (
            json!({"type": "ADD_RESOURCE_PROVIDER_CONFIG",
                "add_resource_provider_config": {"info": {}}}),
            "Missing required fields: add_resource_provider_config.info.type, \
             add_resource_provider_config.info.name",
        ),
    ];
    for (body, text) in cases {
        assert_eq!(
            agent_call(&agent, &body).await,
            (400, text.to_string()),
            "{body}"
        );
    }
    // A boolean that does not parse is refused (stout: "Failed to parse 'yes' as a JSON
    // boolean for field 'show_nested'"), no longer read as false.
    let show = json!({"type": "GET_CONTAINERS", "get_containers": {"show_nested": "yes"}});
    let (code, text) = agent_call(&agent, &show).await;
    assert_eq!(code, 400, "{text}");
    assert!(
        text.contains("'yes'") && !text.starts_with("Failed to convert JSON into Call protobuf"),
        "{text}"
    );
    // Numbers as strings, and an offset of -1, which protobuf stores as the largest uint64:
    // a read past the end, which answers the size and no data.
    let stdout = format!(
        "/frameworks/{}/executors/stout-t/runs/latest/stdout",
        s.framework_id
    );
    let read = async |offset: Value, length: Value| {
        let call = json!({"type": "READ_FILE", "read_file": {"path": stdout,
            "offset": offset, "length": length, "since": "unknown fields are kept unread"}});
        let (code, body) = agent_call(&agent, &call).await;
        assert_eq!(code, 200, "{body}");
        parse(&body)["read_file"].clone()
    };
    // The task's echo is in its stdout before the reads that count on it.
    let whole = json!({"type": "READ_FILE", "read_file": {"path": stdout, "offset": 0}});
    eventually("the task's output in its stdout", || async {
        let (_, body) = agent_call(&agent, &whole).await;
        (parse(&body)["read_file"]["size"] == 12).then_some(())
    })
    .await;
    let head = read(json!("0"), json!("3")).await;
    let data = mesos_lib::v1::bytes::Bytes::from_base64(head["data"].as_str().unwrap()).unwrap();
    assert_eq!(data.as_slice(), b"sur", "{head}");
    let end = read(json!(-1), json!(10)).await;
    assert_eq!(
        (&end["data"], &end["size"]),
        (&json!(""), &json!(12)),
        "{end}"
    );
    m.shutdown().await;
}
