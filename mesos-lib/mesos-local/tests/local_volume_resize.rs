//! Resizing persistent volumes on the embedded Mesos: GROW_VOLUME and SHRINK_VOLUME as offer
//! operations and operator calls, the data kept, and the refusals with Mesos's texts.

mod local_common;

use local_common::volumes::*;
use local_common::*;
use serde_json::{Value, json};

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
