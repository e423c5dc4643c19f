//! Persistent volumes on the embedded Mesos against what a real master and agent did
//! (transcript 32, and 38 for the operator's texts): CREATE / DESTROY offer operations and
//! operator CREATE_VOLUMES / DESTROY_VOLUMES, the volume's directory under the agent's work
//! dir, its symlink in each task's sandbox, data kept between tasks, the refusals.

mod local_common;

use std::path::PathBuf;

use local_common::*;
use mesos_local::LocalMesos;
use serde_json::{Value, json};

const MINE: &str = r#"[{"type": "DYNAMIC", "role": "web", "principal": "web-fw"}]"#;

fn reserved(name: &str, value: f64) -> Value {
    json!({"name": name, "type": "SCALAR", "scalar": {"value": value},
        "reservations": serde_json::from_str::<Value>(MINE).unwrap()})
}

/// The volume `id` on reserved disk 32, as transcript 32's CREATE names it.
fn volume(id: &str, container_path: &str) -> Value {
    let mut v = reserved("disk", 32.0);
    v["disk"] = json!({"persistence": {"id": id, "principal": "web-fw"},
        "volume": {"container_path": container_path, "mode": "RW"}});
    v
}

fn accept(s: &Stream, offer: &Value, operations: Value) -> Value {
    json!({"type": "ACCEPT", "framework_id": {"value": s.framework_id}, "accept": {
        "offer_ids": [offer["id"]], "operations": operations,
        "filters": {"refuse_seconds": 0}}})
}

fn launch_op(offer: &Value, id: &str, command: &str, resources: Value) -> Value {
    json!({"type": "LAUNCH", "launch": {"task_infos": [{"name": id, "task_id": {"value": id},
        "agent_id": offer["agent_id"], "command": {"value": command}, "resources": resources}]}})
}

/// Events of a stream, with the offers seen while waiting for something else kept: an
/// offer skipped is still outstanding, and its resources are offered to no one else.
struct Events {
    s: Stream,
    offers: Vec<Value>,
}

impl Events {
    /// Subscribes framework web-fw in role web, as in transcript 32.
    async fn web_framework(url: &str) -> Events {
        let s = subscribe(
            url,
            json!({"user": "root", "name": "rec-volumes", "roles": ["web"], "principal": "web-fw",
                "capabilities": [{"type": "MULTI_ROLE"}, {"type": "RESERVATION_REFINEMENT"}]}),
        )
        .await;
        Events { s, offers: vec![] }
    }

    /// ACCEPTs `offer` with `operations`; the answer's status code.
    async fn accept(&self, url: &str, offer: &Value, operations: Value) -> u16 {
        call(
            url,
            Some(&self.s.stream_id),
            &accept(&self.s, offer, operations),
        )
        .await
        .0
    }

    /// The next offer holding a resource for which `pred` holds.
    async fn offer_with(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        let holds = |o: &Value| o["resources"].as_array().unwrap().iter().any(&pred);
        if let Some(i) = self.offers.iter().position(holds) {
            return self.offers.remove(i);
        }
        loop {
            let ev = self.s.until("OFFERS").await;
            for o in ev["offers"]["offers"].as_array().unwrap() {
                if holds(o) {
                    return o.clone();
                }
                self.offers.push(o.clone());
            }
        }
    }

    /// Acknowledges `tid`'s updates until `state`; its last status.
    async fn until_state(&mut self, url: &str, tid: &str, state: &str) -> Value {
        loop {
            let ev = self.s.next().await.expect("stream open");
            if ev["type"] == "OFFERS" {
                self.offers
                    .extend(ev["offers"]["offers"].as_array().unwrap().iter().cloned());
                continue;
            }
            if ev["type"] != "UPDATE" {
                continue;
            }
            let st = ev["update"]["status"].clone();
            assert_eq!(st["task_id"]["value"], tid, "{st}");
            ack(url, &self.s, &st).await;
            if st["state"] == state {
                return st;
            }
            assert!(
                ["TASK_STARTING", "TASK_RUNNING"].contains(&st["state"].as_str().unwrap()),
                "{st}"
            );
        }
    }
}

fn is_volume(id: &'static str) -> impl Fn(&Value) -> bool {
    move |r: &Value| r["disk"]["persistence"]["id"] == id
}

fn volume_dir(m: &LocalMesos, role: &str, id: &str) -> PathBuf {
    m.work_dir()
        .join("agent-0/volumes/roles")
        .join(role)
        .join(id)
}

/// A finished task's stdout, through the agent's files API as a client reads it.
async fn stdout_of(m: &LocalMesos, fid: &str, tid: &str) -> String {
    let url = format!(
        "{}/files/read?path=/frameworks/{fid}/executors/{tid}/runs/latest/stdout&offset=0&length=8192",
        m.agents()[0].url
    );
    get_json(&url).await["data"].as_str().unwrap().to_string()
}

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

/// `volume(id, container_path)` of `size` instead of 32.
fn sized(id: &str, container_path: &str, size: f64) -> Value {
    let mut v = volume(id, container_path);
    v["scalar"]["value"] = json!(size);
    v
}

/// The size of volume `id` and of the plain reserved disk among `resources`.
fn disk_sizes(resources: &Value, id: &str) -> (f64, f64) {
    let list = resources.as_array().unwrap();
    let sum = |f: &dyn Fn(&Value) -> bool| -> f64 {
        list.iter()
            .filter(|r| r["name"] == "disk" && r.get("reservations").is_some() && f(r))
            .map(|r| r["scalar"]["value"].as_f64().unwrap())
            .sum()
    };
    (
        sum(&|r| is_volume_named(r, id)),
        sum(&|r| r.get("disk").is_none()),
    )
}

fn is_volume_named(r: &Value, id: &str) -> bool {
    r["disk"]["persistence"]["id"] == id
}

fn grow_op(volume: Value, addition: Value) -> Value {
    json!({"type": "GROW_VOLUME", "grow_volume": {"volume": volume, "addition": addition}})
}

fn shrink_op(volume: Value, subtract: f64) -> Value {
    json!({"type": "SHRINK_VOLUME", "shrink_volume": {"volume": volume,
        "subtract": {"value": subtract}}})
}

#[tokio::test]
async fn a_volume_grown_then_shrunk_by_offer_operations_keeps_its_data() {
    let m = start(1).await;
    let url = m.url();
    let mut ev = Events::web_framework(&url).await;
    let first = ev.offer_with(|r| r["name"] == "cpus").await;
    let ops = json!([
        {"type": "RESERVE", "reserve": {"resources": [reserved("disk", 48.0), reserved("cpus", 0.5)]}},
        {"type": "CREATE", "create": {"volumes": [volume("vol1", "data")]}},
    ]);
    assert_eq!(ev.accept(&url, &first, ops).await, 202);
    let offer = ev.offer_with(is_volume("vol1")).await;
    assert_eq!(disk_sizes(&offer["resources"], "vol1"), (32.0, 16.0));
    let dir = volume_dir(&m, "web", "vol1");
    std::fs::write(dir.join("hello.txt"), "kept\n").unwrap();

    // Shrinking to nothing is dropped: the volume is offered back as it was.
    let all = json!([shrink_op(volume("vol1", "data"), 32.0)]);
    assert_eq!(ev.accept(&url, &offer, all).await, 202);
    let offer = ev.offer_with(is_volume("vol1")).await;
    assert_eq!(disk_sizes(&offer["resources"], "vol1"), (32.0, 16.0));

    // GROW_VOLUME takes the volume and the reserved disk; a task of the same ACCEPT cannot
    // use the grown volume (it is recovered, not left in the offer).
    let grow = grow_op(volume("vol1", "data"), reserved("disk", 16.0));
    let task = launch_op(
        &offer,
        "too-soon",
        "true",
        json!([reserved("cpus", 0.1), sized("vol1", "data", 48.0)]),
    );
    assert_eq!(ev.accept(&url, &offer, json!([grow, task])).await, 202);
    let status = loop {
        let e = ev.s.next().await.expect("stream open");
        match e["type"].as_str() {
            Some("UPDATE") => break e["update"]["status"].clone(),
            Some("OFFERS") => ev
                .offers
                .extend(e["offers"]["offers"].as_array().unwrap().iter().cloned()),
            _ => {}
        }
    };
    assert_eq!(
        (
            status["task_id"]["value"].as_str(),
            status["state"].as_str()
        ),
        (Some("too-soon"), Some("TASK_ERROR")),
        "{status}"
    );
    let offer = ev.offer_with(is_volume("vol1")).await;
    assert_eq!(disk_sizes(&offer["resources"], "vol1"), (48.0, 0.0));

    // SHRINK_VOLUME gives the freed disk back reserved as the volume was.
    let shrink = shrink_op(sized("vol1", "data", 48.0), 40.0);
    assert_eq!(ev.accept(&url, &offer, json!([shrink])).await, 202);
    let offer = ev.offer_with(is_volume("vol1")).await;
    assert_eq!(disk_sizes(&offer["resources"], "vol1"), (8.0, 40.0));
    let total = agent_total(&url).await;
    assert_eq!(disk_sizes(&total, "vol1"), (8.0, 40.0));

    // The same directory, its data kept, reached by a task through the smaller volume.
    let reader = launch_op(
        &offer,
        "reader",
        "cat data/hello.txt",
        json!([reserved("cpus", 0.1), sized("vol1", "data", 8.0)]),
    );
    assert_eq!(ev.accept(&url, &offer, json!([reader])).await, 202);
    ev.until_state(&url, "reader", "TASK_FINISHED").await;
    let fid = ev.s.framework_id.clone();
    assert_eq!(stdout_of(&m, &fid, "reader").await, "kept\n");
    m.shutdown().await;
}

#[tokio::test]
async fn operator_resizes_are_checked_with_mesos_texts_and_rescind_offers_first() {
    let m = start(1).await;
    let url = m.url();
    let aid = m.agents()[0].id.clone();
    let agent = json!({"value": aid});
    let port = m.agents()[0].url.rsplit(':').next().unwrap().to_string();
    let at = format!("{aid} at slave(1)@127.0.0.1:{port} (127.0.0.1)");
    let reserve = json!({"type": "RESERVE_RESOURCES", "reserve_resources": {"agent_id": agent,
        "resources": [reserved("disk", 48.0), reserved("cpus", 0.5)]}});
    assert_eq!(operator(&url, &reserve).await, (202, String::new()));
    let create = json!({"type": "CREATE_VOLUMES", "create_volumes": {"agent_id": agent,
        "volumes": [volume("vol1", "data")]}});
    assert_eq!(operator(&url, &create).await, (202, String::new()));
    let dir = volume_dir(&m, "web", "vol1");
    std::fs::write(dir.join("hello.txt"), "kept\n").unwrap();

    let call = |op: Value| {
        let ty = op["type"].as_str().unwrap().to_string();
        let section = ty.to_ascii_lowercase();
        let mut body = op[&section].clone();
        body["agent_id"] = agent.clone();
        json!({"type": ty, section: body})
    };
    let mut shared = volume("vol1", "data");
    shared["shared"] = json!({});
    let invalid = |ty: &str, e: &str| format!("Invalid {ty} operation on agent {at}: {e}");
    let refusals = [
        (
            call(grow_op(volume("vol1", "data"), reserved("disk", 0.0))),
            invalid("GROW_VOLUME", "The size of 'GrowVolume.addition' field must be greater than zero"),
        ),
        (
            call(grow_op(reserved("disk", 32.0), reserved("disk", 16.0))),
            invalid("GROW_VOLUME", "Invalid persistent volume in the 'GrowVolume.volume' field: Resource disk(reservations: [(DYNAMIC,web,web-fw)]):32 does not have DiskInfo"),
        ),
        (
            call(grow_op(shared.clone(), reserved("disk", 16.0))),
            invalid("GROW_VOLUME", "Growing a shared persistent volume is not supported"),
        ),
        (
            call(grow_op(volume("vol1", "data"), json!({"name": "disk", "type": "SCALAR", "scalar": {"value": 16}}))),
            invalid("GROW_VOLUME", "Incompatible resources in the 'GrowVolume.volume' and 'GrowVolume.addition' fields"),
        ),
        (
            call(shrink_op(volume("vol1", "data"), 0.0)),
            invalid("SHRINK_VOLUME", "Value of 'ShrinkVolume.subtract' must be greater than zero"),
        ),
        (
            call(shrink_op(volume("vol1", "data"), 32.0)),
            invalid("SHRINK_VOLUME", "Value of 'ShrinkVolume.subtract' must be smaller than the size of 'ShrinkVolume.volume'"),
        ),
        (
            call(shrink_op(shared, 8.0)),
            invalid("SHRINK_VOLUME", "Shrinking a shared persistent volume is not supported"),
        ),
        (
            json!({"type": "GROW_VOLUME", "grow_volume": {"volume": volume("vol1", "data"),
                "addition": reserved("disk", 16.0)}}),
            "Failed to validate master::Call: Expecting 'agent_id' to be present; only agent default resources are supported right now".into(),
        ),
        (
            json!({"type": "SHRINK_VOLUME", "shrink_volume": {"agent_id": {"value": "nope"},
                "volume": volume("vol1", "data"), "subtract": {"value": 8}}}),
            "No agent found with specified ID".into(),
        ),
    ];
    for (body, text) in refusals {
        assert_eq!(operator(&url, &body).await, (400, text), "{body}");
    }
    // What the agent does not hold: more disk than is left, a volume named with another size.
    for op in [
        grow_op(volume("vol1", "data"), reserved("disk", 32.0)),
        shrink_op(sized("vol1", "data", 40.0), 8.0),
    ] {
        let (code, text) = operator(&url, &call(op)).await;
        assert_eq!(code, 409, "{text}");
        assert!(
            text.contains(
                " does not contain disk(reservations: [(DYNAMIC,web,web-fw)])[vol1:data]:"
            ),
            "{text}"
        );
    }

    // The volume is on offer: the offer is rescinded before it grows.
    let mut ev = Events::web_framework(&url).await;
    let offer = ev.offer_with(is_volume("vol1")).await;
    let grow = call(grow_op(volume("vol1", "data"), reserved("disk", 16.0)));
    assert_eq!(operator(&url, &grow).await, (202, String::new()));
    let rescind = ev.s.until("RESCIND").await;
    assert_eq!(rescind["rescind"]["offer_id"], offer["id"]);
    let total = agent_total(&url).await;
    assert_eq!(disk_sizes(&total, "vol1"), (48.0, 0.0));

    let shrink = call(shrink_op(sized("vol1", "elsewhere", 48.0), 16.0));
    assert_eq!(operator(&url, &shrink).await, (202, String::new()));
    let slaves = get_json(&format!("{url}/master/slaves")).await;
    let full = slaves["slaves"][0]["reserved_resources_full"]["web"].clone();
    assert_eq!(disk_sizes(&full, "vol1"), (32.0, 16.0));
    assert_eq!(
        std::fs::read_to_string(dir.join("hello.txt")).unwrap(),
        "kept\n"
    );
    // The shrunk volume is offered. An offer of the grown one may have come between the two
    // calls (the shrink rescinds it): the stream still holds it, so wait for the 32 MB one.
    let shrunk = |r: &Value| is_volume_named(r, "vol1") && r["scalar"]["value"] == 32.0;
    let offer = ev.offer_with(shrunk).await;
    assert_eq!(disk_sizes(&offer["resources"], "vol1"), (32.0, 16.0));
    m.shutdown().await;
}
