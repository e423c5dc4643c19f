//! Task groups through raw HTTP: LAUNCH_GROUP with a DEFAULT executor, as real Mesos answers
//! it (real-mesos-transcripts/35-launch-group-default-executor.txt).

mod local_common;

use std::collections::BTreeMap;

use local_common::*;
use serde_json::{Value, json};

fn scalar(name: &str, value: f64) -> Value {
    json!({"name": name, "type": "SCALAR", "scalar": {"value": value}})
}

/// A DEFAULT executor with the resources real Mesos asks of it.
fn executor(fid: &str, eid: &str) -> Value {
    json!({"type": "DEFAULT", "executor_id": {"value": eid}, "framework_id": {"value": fid},
        "resources": [scalar("cpus", 0.1), scalar("mem", 32.0), scalar("disk", 32.0)]})
}

fn task(id: &str, agent: &Value, command: &str) -> Value {
    json!({"name": id, "task_id": {"value": id}, "agent_id": agent,
        "command": {"value": command, "shell": true},
        "resources": [scalar("cpus", 0.1), scalar("mem", 32.0)]})
}

/// Reads (and acknowledges) updates until every task in `ids` is terminal: the statuses of
/// each task in order.
async fn until_all_ended(url: &str, s: &mut Stream, ids: &[&str]) -> BTreeMap<String, Vec<Value>> {
    let mut seen: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let terminal = |st: &Value| {
        ["TASK_FINISHED", "TASK_FAILED", "TASK_KILLED"].contains(&st["state"].as_str().unwrap())
    };
    while !ids
        .iter()
        .all(|id| seen.get(*id).and_then(|l| l.last()).is_some_and(terminal))
    {
        let st = s.update().await;
        ack(url, s, &st).await;
        let id = st["task_id"]["value"].as_str().unwrap().to_string();
        seen.entry(id).or_default().push(st);
    }
    seen
}

fn states(list: &[Value]) -> Vec<&str> {
    list.iter().map(|s| s["state"].as_str().unwrap()).collect()
}

/// Reads a file through the agent's files API.
async fn read_file(agent_url: &str, path: &str) -> String {
    let url = format!("{agent_url}/files/read?path={path}&offset=0");
    get_json(&url).await["data"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_two_task_group_finishes_and_its_executor_ends() {
    let m = start(1).await;
    let url = m.url();
    let mut s = subscribe(&url, framework("groups")).await;
    let offer = s.until("OFFERS").await["offers"]["offers"][0].clone();
    let aid = offer["agent_id"].clone();
    let tasks = vec![task("g-a", &aid, "true"), task("g-b", &aid, "sleep 0.2")];
    launch_group(&url, &s, &offer, executor(&s.framework_id, "g-exec"), tasks).await;

    let seen = until_all_ended(&url, &mut s, &["g-a", "g-b"]).await;
    for id in ["g-a", "g-b"] {
        let list = &seen[id];
        assert_eq!(
            states(list),
            ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"],
            "{list:?}"
        );
        for st in list {
            assert_eq!(st["source"], "SOURCE_EXECUTOR");
            assert_eq!(st["executor_id"]["value"], "g-exec");
            assert!(st.get("reason").is_none(), "{st}");
            // Each task runs in a container nested in the executor's.
            assert!(st["container_status"]["container_id"]["parent"]["value"].is_string());
        }
        assert!(list[1]["container_status"]["executor_pid"].is_u64());
        assert!(list[0]["container_status"].get("network_infos").is_none());
        assert_eq!(list[2]["message"], "Command exited with status 0");
    }
    let parent = |id: &str| seen[id][0]["container_status"]["container_id"]["parent"].clone();
    assert_eq!(parent("g-a"), parent("g-b"));

    // Once both last updates are acknowledged, the executor terminates.
    let failure = s.until("FAILURE").await["failure"].clone();
    assert_eq!(
        failure,
        json!({"agent_id": aid, "executor_id": {"value": "g-exec"}, "status": 0})
    );
    let agent_state = get_json(&format!("{}/state", m.agents()[0].url)).await;
    let fw = &agent_state["frameworks"][0];
    assert_eq!(fw["executors"], json!([]));
    let done = &fw["completed_executors"][0];
    assert_eq!(done["id"], "g-exec");
    assert_eq!(done["type"], "DEFAULT");
    assert_eq!(done["completed_tasks"].as_array().unwrap().len(), 2);
    // Its resources and its tasks' are the agent's again (and so offered again).
    let master_state = get_json(&format!("{url}/master/state")).await;
    let used = &master_state["slaves"][0]["used_resources"];
    assert_eq!(
        (&used["cpus"], &used["mem"], &used["disk"]),
        (&json!(0.0), &json!(0.0), &json!(0.0)),
        "{used}"
    );
    assert_eq!(master_state["frameworks"][0]["executors"], json!([]));
    m.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_task_kills_the_rest_of_its_group() {
    let m = start(1).await;
    let url = m.url();
    let mut s = subscribe(&url, framework("groups-fail")).await;
    let offer = s.until("OFFERS").await["offers"]["offers"][0].clone();
    let aid = offer["agent_id"].clone();
    let tasks = vec![
        task("f-fails", &aid, "exit 1"),
        task("f-sleeps", &aid, "sleep 60"),
    ];
    launch_group(&url, &s, &offer, executor(&s.framework_id, "f-exec"), tasks).await;

    let seen = until_all_ended(&url, &mut s, &["f-fails", "f-sleeps"]).await;
    let failed = seen["f-fails"].last().unwrap();
    assert_eq!(failed["state"], "TASK_FAILED");
    assert_eq!(failed["message"], "Command exited with status 1");
    assert_eq!(failed["source"], "SOURCE_EXECUTOR");
    let killed = seen["f-sleeps"].last().unwrap();
    assert_eq!(killed["state"], "TASK_KILLED", "{:?}", seen["f-sleeps"]);
    assert_eq!(
        killed["message"],
        "Command terminated with signal Terminated"
    );
    assert_eq!(killed["source"], "SOURCE_EXECUTOR");
    // As the transcript shows: the default executor gives no reason.
    assert!(killed.get("reason").is_none(), "{killed}");
    let failure = s.until("FAILURE").await["failure"].clone();
    assert_eq!(failure["executor_id"]["value"], "f-exec");
    m.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_shares_its_executor_sandbox_and_a_kill_takes_the_whole_group() {
    let m = start(1).await;
    let url = m.url();
    let agent_url = m.agents()[0].url.clone();
    let mut s = subscribe(&url, framework("groups-sandbox")).await;
    let offer = s.until("OFFERS").await["offers"]["offers"][0].clone();
    let aid = offer["agent_id"].clone();
    let tasks = vec![
        task(
            "s-out",
            &aid,
            "echo out-a; echo err-a >&2; echo \"$MESOS_SANDBOX\"",
        ),
        task("s-one", &aid, "sleep 60"),
        task("s-two", &aid, "sleep 60"),
    ];
    launch_group(&url, &s, &offer, executor(&s.framework_id, "s-exec"), tasks).await;
    // What is left of the offer comes again, naming the executor running there (the
    // statuses skipped meanwhile are sent again, unacknowledged).
    let rest = s.until("OFFERS").await["offers"]["offers"][0].clone();
    assert_eq!(rest["executor_ids"], json!([{"value": "s-exec"}]), "{rest}");
    // s-out finishes (which kills nobody), the others run.
    let mut running = std::collections::BTreeSet::new();
    let mut out_container = Value::Null;
    while running.len() < 2 || out_container.is_null() {
        let st = s.update().await;
        ack(&url, &s, &st).await;
        match (
            st["task_id"]["value"].as_str().unwrap(),
            st["state"].as_str().unwrap(),
        ) {
            ("s-out", "TASK_FINISHED") => out_container = st["container_status"].clone(),
            ("s-out", _) => {}
            (id, "TASK_RUNNING") => {
                running.insert(id.to_string());
            }
            (_, "TASK_STARTING") => {}
            other => panic!("unexpected {other:?}: {st}"),
        }
    }

    // The executor, in the master's and the agent's state.
    let master_state = get_json(&format!("{url}/master/state")).await;
    let execs = &master_state["frameworks"][0]["executors"];
    assert_eq!(execs[0]["executor_id"], "s-exec", "{execs}");
    assert_eq!(execs[0]["type"], "DEFAULT");
    assert_eq!(execs[0]["slave_id"], aid["value"]);
    let tasks = master_state["frameworks"][0]["tasks"].as_array().unwrap();
    assert!(
        tasks.iter().all(|t| t["executor_id"] == "s-exec"),
        "{tasks:?}"
    );
    let (code, body) = operator(&url, &json!({"type": "GET_EXECUTORS"})).await;
    assert_eq!(code, 200);
    let body: Value = serde_json::from_str(&body).unwrap();
    let listed = &body["get_executors"]["executors"][0];
    assert_eq!(listed["executor_info"]["executor_id"]["value"], "s-exec");
    assert_eq!(listed["agent_id"], aid);
    let agent_state = get_json(&format!("{agent_url}/state")).await;
    let exec = agent_state["frameworks"][0]["executors"][0].clone();
    assert_eq!(exec["id"], "s-exec");
    assert_eq!(exec["type"], "DEFAULT");
    assert_eq!(exec["tasks"].as_array().unwrap().len(), 2, "{exec}");
    assert_eq!(exec["completed_tasks"][0]["id"], "s-out");

    // The agent lists the executor's container; its tasks' nested ones only with show_nested.
    let containers = async |show_nested: bool| {
        let call =
            json!({"type": "GET_CONTAINERS", "get_containers": {"show_nested": show_nested}});
        let (code, body) = operator(&agent_url, &call).await;
        assert_eq!(code, 200, "{body}");
        let body: Value = serde_json::from_str(&body).unwrap();
        body["get_containers"]["containers"]
            .as_array()
            .unwrap()
            .clone()
    };
    let top = containers(false).await;
    assert_eq!(top.len(), 1, "{top:?}");
    assert_eq!(top[0]["executor_id"]["value"], "s-exec");
    assert_eq!(top[0]["container_id"]["value"], exec["container"]);
    let all = containers(true).await;
    let nested: Vec<&Value> = all
        .iter()
        // Listed by their own id, the parent in container_status (transcript 37).
        .filter(|c| c["container_status"]["container_id"]["parent"]["value"] == exec["container"])
        .collect();
    assert_eq!(nested.len(), 2, "{all:?}");

    // The sandbox: the executor's own stdout/stderr, each task's under tasks/<task id>.
    let fid = &s.framework_id;
    let base = format!("/frameworks/{fid}/executors/s-exec/runs/latest");
    let listing = get_json(&format!("{agent_url}/files/browse?path={base}")).await;
    let names: Vec<&str> = listing
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap().rsplit('/').next().unwrap())
        .collect();
    assert_eq!(names, ["containers", "stderr", "stdout", "tasks"]);
    let out = read_file(&agent_url, &format!("{base}/tasks/s-out/stdout")).await;
    let cid = out_container["container_id"]["value"].as_str().unwrap();
    let directory = exec["directory"].as_str().unwrap();
    assert_eq!(out, format!("out-a\n{directory}/containers/{cid}\n"));
    let err = read_file(&agent_url, &format!("{base}/tasks/s-out/stderr")).await;
    assert_eq!(err, "err-a\n");

    // KILL of one task: it and the rest of its group are killed.
    let kill = json!({"type": "KILL", "framework_id": {"value": fid},
        "kill": {"task_id": {"value": "s-one"}, "agent_id": aid}});
    assert_eq!(call(&url, Some(&s.stream_id), &kill).await.0, 202);
    let seen = until_all_ended(&url, &mut s, &["s-one", "s-two"]).await;
    for id in ["s-one", "s-two"] {
        let last = seen[id].last().unwrap();
        assert_eq!(last["state"], "TASK_KILLED", "{last}");
        assert_eq!(last["message"], "Command terminated with signal Terminated");
    }
    let failure = s.until("FAILURE").await["failure"].clone();
    assert_eq!(failure["executor_id"]["value"], "s-exec");
    m.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_groups_get_task_error_with_the_masters_words() {
    let m = start(1).await;
    let url = m.url();
    let mut s = subscribe(&url, framework("groups-invalid")).await;
    let fid = s.framework_id.clone();
    let mut no_disk = executor(&fid, "e");
    no_disk["resources"] = json!([scalar("cpus", 0.1), scalar("mem", 32.0)]);
    let mut with_command = executor(&fid, "e");
    with_command["command"] = json!({"value": "true"});
    let mut little_mem = executor(&fid, "e");
    little_mem["resources"][1] = scalar("mem", 16.0);
    let mut no_framework = executor(&fid, "e");
    no_framework.as_object_mut().unwrap().remove("framework_id");
    let mut huge = executor(&fid, "e");
    huge["resources"][0] = scalar("cpus", 100000.0);
    // Resources allocated to a role the offer is not: not among the offered ones.
    let mut other_role = executor(&fid, "e");
    other_role["resources"][0]["allocation_info"] = json!({"role": "elsewhere"});
    let cases: Vec<(Value, bool, bool, String)> =
        vec![
        (no_disk, false, false, "Executor 'e' uses no disk".into()),
        (
            with_command,
            false,
            false,
            "'ExecutorInfo.command' must not be set for 'DEFAULT' executor".into(),
        ),
        (
            little_mem,
            false,
            false,
            "Executor 'e' uses less memory (16MB) than the minimum required (32MB)".into(),
        ),
        (no_framework, false, false, "'ExecutorInfo.framework_id' must be set".into()),
        (
            executor(&fid, "e"),
            true,
            false,
            "Task 'x2' is invalid: Task has duplicate ID: x2".into(),
        ),
        (
            executor(&fid, "e"),
            false,
            true,
            "Task 'x2' is invalid: Task uses invalid agent elsewhere while agent AGENT is expected"
                .into(),
        ),
        (huge, false, false, "required by task group and its executor are more than".into()),
        (other_role, false, false, "required by task group and its executor are more than".into()),
    ];
    for (exec, duplicate, other_agent, message) in cases {
        let offer = s.until("OFFERS").await["offers"]["offers"][0].clone();
        let aid = offer["agent_id"].clone();
        let second = if other_agent {
            json!({"value": "elsewhere"})
        } else {
            aid.clone()
        };
        let ids = if duplicate {
            ["x2", "x2"]
        } else {
            ["x1", "x2"]
        };
        let tasks = vec![task(ids[0], &aid, "true"), task(ids[1], &second, "true")];
        launch_group(&url, &s, &offer, exec, tasks).await;
        let message = message.replace("AGENT", aid["value"].as_str().unwrap());
        for id in ids {
            let st = s.update().await;
            assert_eq!(st["task_id"]["value"], id);
            assert_eq!(st["state"], "TASK_ERROR", "{st}");
            assert_eq!(st["source"], "SOURCE_MASTER");
            assert_eq!(st["reason"], "REASON_TASK_GROUP_INVALID");
            let text = st["message"].as_str().unwrap();
            assert!(text.contains(&message), "{text} should say {message}");
        }
    }
    // Nothing was launched: the master knows no task of this framework.
    let (_, body) = operator(&url, &json!({"type": "GET_TASKS"})).await;
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["get_tasks"]["tasks"], json!([]), "{body}");
    m.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_group_runs_on_the_running_default_executor() {
    let m = start(1).await;
    let url = m.url();
    let mut s = subscribe(&url, framework("groups-second")).await;
    let fid = s.framework_id.clone();
    let offer = s.until("OFFERS").await["offers"]["offers"][0].clone();
    let aid = offer["agent_id"].clone();
    let first = vec![task("one-a", &aid, "sleep 60")];
    launch_group(&url, &s, &offer, executor(&fid, "two-exec"), first).await;
    let parent_of = |st: &Value| st["container_status"]["container_id"]["parent"].clone();
    let parent = loop {
        let st = s.update().await;
        ack(&url, &s, &st).await;
        if st["state"] == "TASK_RUNNING" {
            break parent_of(&st);
        }
    };

    // Another ExecutorInfo under the same ID is refused with the master's text.
    let offer = s.until("OFFERS").await["offers"]["offers"][0].clone();
    assert_eq!(offer["executor_ids"], json!([{"value": "two-exec"}]));
    let mut other = executor(&fid, "two-exec");
    other["name"] = json!("another");
    launch_group(&url, &s, &offer, other, vec![task("bad", &aid, "true")]).await;
    let st = s.update().await;
    assert_eq!(
        (&st["state"], &st["reason"]),
        (&json!("TASK_ERROR"), &json!("REASON_TASK_GROUP_INVALID"))
    );
    let text = st["message"].as_str().unwrap();
    assert!(
        text.starts_with(
            "ExecutorInfo is not compatible with existing ExecutorInfo with same ExecutorID.\n"
        ),
        "{text}"
    );

    // The same one takes a second group: the same executor container, its resources not
    // counted again; a failure there kills the rest of that group only.
    let offer = s.until("OFFERS").await["offers"]["offers"][0].clone();
    let second = vec![
        task("two-fails", &aid, "sleep 0.3; exit 2"),
        task("two-sleeps", &aid, "sleep 60"),
    ];
    launch_group(&url, &s, &offer, executor(&fid, "two-exec"), second).await;
    let master_state = get_json(&format!("{url}/master/state")).await;
    let cpus = master_state["slaves"][0]["used_resources"]["cpus"]
        .as_f64()
        .unwrap();
    assert!(
        (cpus - 0.4).abs() < 1e-9,
        "executor 0.1 once, three tasks: {cpus}"
    );
    let seen = until_all_ended(&url, &mut s, &["two-fails", "two-sleeps"]).await;
    for list in seen.values() {
        assert!(list.iter().all(|st| parent_of(st) == parent), "{list:?}");
    }
    assert_eq!(seen["two-fails"].last().unwrap()["state"], "TASK_FAILED");
    assert_eq!(seen["two-sleeps"].last().unwrap()["state"], "TASK_KILLED");
    assert!(
        !seen.contains_key("one-a"),
        "the first group runs on: {seen:?}"
    );
    let state = get_json(&format!("{}/state", m.agents()[0].url)).await;
    let exec = &state["frameworks"][0]["executors"][0];
    assert_eq!(exec["id"], "two-exec");
    assert_eq!(exec["tasks"][0]["id"], "one-a");
    assert_eq!(exec["tasks"][0]["state"], "TASK_RUNNING");

    // Its last task killed, the executor ends, once.
    let kill = json!({"type": "KILL", "framework_id": {"value": fid},
        "kill": {"task_id": {"value": "one-a"}, "agent_id": aid}});
    assert_eq!(call(&url, Some(&s.stream_id), &kill).await.0, 202);
    until_all_ended(&url, &mut s, &["one-a"]).await;
    let failure = s.until("FAILURE").await["failure"].clone();
    assert_eq!(
        failure,
        json!({"agent_id": aid, "executor_id": {"value": "two-exec"}, "status": 0})
    );
    m.shutdown().await;
}
