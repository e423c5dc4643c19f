//! Persistent volumes on the embedded Mesos against what a real master and agent did
//! (transcript 32, and 38 for the operator's texts): CREATE / DESTROY offer operations and
//! operator CREATE_VOLUMES / DESTROY_VOLUMES, the volume's directory under the agent's work
//! dir, its symlink in each task's sandbox, data kept between tasks, the refusals.

mod local_common;

use local_common::volumes::*;
use local_common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn a_file_written_by_one_task_is_read_by_the_next_through_the_volume() {
    let m = start(1).await;
    let url = m.url();
    let mut ev = Events::web_framework(&url).await;
    let first = ev.offer_with(|r| r["name"] == "cpus").await;

    // RESERVE then CREATE in one ACCEPT: applied in order, as the master applies them.
    let ops = json!([
        {"type": "RESERVE", "reserve": {"resources": [reserved("disk", 32.0), reserved("cpus", 0.5)]}},
        {"type": "CREATE", "create": {"volumes": [volume("vol1", "data")]}},
    ]);
    assert_eq!(ev.accept(&url, &first, ops).await, 202);
    let offer = ev.offer_with(is_volume("vol1")).await;
    // Byte for byte as the real master offers it (transcript 32).
    let offered = offer["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| is_volume("vol1")(r))
        .unwrap()
        .to_string();
    assert_eq!(
        offered,
        r#"{"name":"disk","type":"SCALAR","scalar":{"value":32.0},"allocation_info":{"role":"web"},"reservations":[{"type":"DYNAMIC","role":"web","principal":"web-fw"}],"disk":{"persistence":{"id":"vol1","principal":"web-fw"},"volume":{"mode":"RW","container_path":"data"}}}"#
    );
    let dir = volume_dir(&m, "web", "vol1");
    assert!(dir.is_dir(), "{}", dir.display());

    // The writer sees the volume at `data` in its sandbox, a symlink to the volume.
    let uses = |extra_cpus: f64| {
        json!([reserved("cpus", extra_cpus), {"name": "mem", "type": "SCALAR",
            "scalar": {"value": 32}}, volume("vol1", "data")])
    };
    let writer = launch_op(
        &offer,
        "vol-writer",
        "echo written-by-vol-writer > data/hello.txt && readlink data",
        uses(0.1),
    );
    assert_eq!(ev.accept(&url, &offer, json!([writer])).await, 202);
    ev.until_state(&url, "vol-writer", "TASK_FINISHED").await;
    let fid = ev.s.framework_id.clone();
    assert_eq!(
        stdout_of(&m, &fid, "vol-writer").await,
        format!("{}\n", dir.display())
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("hello.txt")).unwrap(),
        "written-by-vol-writer\n"
    );

    // The volume is offered back; a later task, naming another container path, reads it.
    let again = ev.offer_with(is_volume("vol1")).await;
    let mut at_other_path = uses(0.1);
    at_other_path[2] = volume("vol1", "in");
    let reader = launch_op(&again, "vol-reader", "cat in/hello.txt", at_other_path);
    assert_eq!(ev.accept(&url, &again, json!([reader])).await, 202);
    ev.until_state(&url, "vol-reader", "TASK_FINISHED").await;
    assert_eq!(
        stdout_of(&m, &fid, "vol-reader").await,
        "written-by-vol-writer\n"
    );

    // DESTROY removes the directory; the disk is offered back as plain reserved disk.
    let last = ev.offer_with(is_volume("vol1")).await;
    let destroy = json!([{"type": "DESTROY", "destroy": {"volumes": [volume("vol1", "data")]}}]);
    assert_eq!(ev.accept(&url, &last, destroy).await, 202);
    let plain = ev
        .offer_with(|r| r["name"] == "disk" && r.get("reservations").is_some())
        .await;
    assert!(
        plain["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r.get("disk").is_none()),
        "{plain}"
    );
    assert!(!dir.exists());
    assert!(dir.parent().unwrap().is_dir());
    m.shutdown().await;
}

#[tokio::test]
async fn operator_volumes_are_refused_as_mesos_refuses_them_and_outlive_a_master_restart() {
    let m = start(1).await;
    let url = m.url();
    let aid = m.agents()[0].id.clone();
    let agent = json!({"value": aid});
    let port = m.agents()[0].url.rsplit(':').next().unwrap().to_string();
    let at = format!("{aid} at slave(1)@127.0.0.1:{port} (127.0.0.1)");
    let op = |ty: &str, volumes: Value| {
        let section = ty.to_ascii_lowercase();
        json!({"type": ty, section: {"agent_id": agent, "volumes": volumes}})
    };
    let refusals = [
        (
            op("CREATE_VOLUMES", json!([])),
            format!(
                "Invalid CREATE operation on agent {at}: Invalid resources: The resources have multiple resource providers: "
            ),
        ),
        (
            op(
                "CREATE_VOLUMES",
                json!([{"name": "disk", "type": "SCALAR",
                "scalar": {"value": 32}, "disk": {"persistence": {"id": "v"},
                "volume": {"container_path": "d", "mode": "RW"}}}]),
            ),
            format!(
                "Invalid CREATE operation on agent {at}: Invalid resources: Invalid DiskInfo: Persistent volumes cannot be created from unreserved resources"
            ),
        ),
        (
            op("DESTROY_VOLUMES", json!([volume("vol1", "data")])),
            "Invalid DESTROY operation: Persistent volumes not found".to_string(),
        ),
        (
            json!({"type": "CREATE_VOLUMES", "create_volumes": {"agent_id": {"value": "nope"},
                "volumes": [volume("vol1", "data")]}}),
            "No agent found with specified ID".to_string(),
        ),
    ];
    for (body, text) in refusals {
        assert_eq!(operator(&url, &body).await, (400, text), "{body}");
    }
    // Nothing reserved yet: the agent's pool lacks it (409, as `_operation` fails).
    let (code, text) = operator(&url, &op("CREATE_VOLUMES", json!([volume("vol1", "data")]))).await;
    assert_eq!(code, 409);
    assert!(
        text.ends_with(" does not contain disk(reservations: [(DYNAMIC,web,web-fw)]):32"),
        "{text}"
    );

    let reserve = json!({"type": "RESERVE_RESOURCES", "reserve_resources": {"agent_id": agent,
        "resources": [reserved("disk", 32.0), reserved("cpus", 0.5)]}});
    assert_eq!(operator(&url, &reserve).await, (202, String::new()));
    let create = op("CREATE_VOLUMES", json!([volume("vol1", "data")]));
    assert_eq!(operator(&url, &create).await, (202, String::new()));
    assert_eq!(
        operator(&url, &create).await,
        (
            400,
            format!("Invalid CREATE operation on agent {at}: Persistence ID 'vol1' is not unique")
        )
    );
    let dir = volume_dir(&m, "web", "vol1");
    assert!(dir.is_dir());

    // Where it shows: GET_AGENTS, /master/state, the agent's /state.
    let total = agent_total(&url).await;
    assert!(
        total
            .as_array()
            .unwrap()
            .iter()
            .any(|r| is_volume("vol1")(r)),
        "{total}"
    );
    let full = get_json(&format!("{url}/master/slaves")).await["slaves"][0]
        ["reserved_resources_full"]["web"]
        .clone();
    assert!(
        full.as_array()
            .unwrap()
            .iter()
            .any(|r| is_volume("vol1")(r)),
        "{full}"
    );
    let own = get_json(&format!("{}/state", m.agents()[0].url)).await;
    assert!(
        own["reserved_resources_full"]["web"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| is_volume("vol1")(r)),
        "{own}"
    );

    // The agent keeps it: a restarted master offers it again, to its role only.
    m.restart_master();
    let mut ev = Events::web_framework(&url).await;
    let offer = ev.offer_with(is_volume("vol1")).await;

    // In use by a running task: DESTROY is refused (operator and offer operation alike).
    let task = launch_op(
        &offer,
        "holder",
        "sleep 60",
        json!([reserved("cpus", 0.1), volume("vol1", "data")]),
    );
    assert_eq!(ev.accept(&url, &offer, json!([task])).await, 202);
    ev.until_state(&url, "holder", "TASK_RUNNING").await;
    let destroy = op("DESTROY_VOLUMES", json!([volume("vol1", "data")]));
    assert_eq!(
        operator(&url, &destroy).await,
        (
            400,
            "Invalid DESTROY operation: Persistent volumes in use".into()
        )
    );
    assert!(dir.is_dir());
    let kill = json!({"type": "KILL", "framework_id": {"value": ev.s.framework_id},
        "kill": {"task_id": {"value": "holder"}}});
    assert_eq!(call(&url, Some(&ev.s.stream_id), &kill).await.0, 202);
    ev.until_state(&url, "holder", "TASK_KILLED").await;

    // Once the task has ended the volume can go (its offer is rescinded first).
    assert_eq!(operator(&url, &destroy).await, (202, String::new()));
    assert!(!dir.exists());
    let total = agent_total(&url).await;
    assert!(
        total
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r.get("disk").is_none()),
        "{total}"
    );
    m.shutdown().await;
}

#[tokio::test]
async fn a_task_group_sees_its_volume_in_the_executor_sandbox() {
    let m = start(1).await;
    let url = m.url();
    let agent = json!({"value": m.agents()[0].id});
    let reserve = json!({"type": "RESERVE_RESOURCES", "reserve_resources": {"agent_id": agent,
        "resources": [reserved("disk", 32.0)]}});
    assert_eq!(operator(&url, &reserve).await, (202, String::new()));
    let create = json!({"type": "CREATE_VOLUMES", "create_volumes": {"agent_id": agent,
        "volumes": [volume("vol1", "data")]}});
    assert_eq!(operator(&url, &create).await, (202, String::new()));

    let mut ev = Events::web_framework(&url).await;
    let offer = ev.offer_with(is_volume("vol1")).await;
    let scalar = |n: &str, v: f64| json!({"name": n, "type": "SCALAR", "scalar": {"value": v}});
    // The posix isolator links the volume into the executor's container, at the path the
    // task names (not the one it was created with): the task reaches it from its own sandbox.
    let task = json!({"name": "g", "task_id": {"value": "g"}, "agent_id": offer["agent_id"],
        "command": {"value": "echo grouped > \"$MESOS_SANDBOX/../../at/f\""},
        "resources": [scalar("cpus", 0.1), scalar("mem", 32.0), volume("vol1", "at")]});
    let group = json!([{"type": "LAUNCH_GROUP", "launch_group": {
        "executor": {"type": "DEFAULT", "executor_id": {"value": "g-executor"},
            "framework_id": {"value": ev.s.framework_id},
            "resources": [scalar("cpus", 0.1), scalar("mem", 32.0), scalar("disk", 32.0)]},
        "task_group": {"tasks": [task]}}}]);
    assert_eq!(ev.accept(&url, &offer, group).await, 202);
    ev.until_state(&url, "g", "TASK_FINISHED").await;
    assert_eq!(
        std::fs::read_to_string(volume_dir(&m, "web", "vol1").join("f")).unwrap(),
        "grouped\n"
    );
    // Given back whole once the group is done.
    ev.offer_with(is_volume("vol1")).await;
    m.shutdown().await;
}
