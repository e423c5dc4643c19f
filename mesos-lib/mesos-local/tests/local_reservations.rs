//! Dynamic reservations on the embedded Mesos against what a real master answered
//! (transcripts 30 and 32): operator RESERVE_RESOURCES / UNRESERVE_RESOURCES, the
//! RESERVE / UNRESERVE offer operations, where a reservation shows, who is offered it, and
//! the validation texts.

mod local_common;

use std::sync::Arc;

use local_common::*;
use mesos_local::{HttpAuth, LocalMesos};
use serde_json::{Value, json};

const OPS: &str = r#"[{"type": "DYNAMIC", "role": "web", "principal": "ops"}]"#;

fn reserved(name: &str, value: f64, reservations: &str) -> Value {
    json!({"name": name, "type": "SCALAR", "scalar": {"value": value},
        "reservations": serde_json::from_str::<Value>(reservations).unwrap()})
}

fn scalar(name: &str, value: f64) -> Value {
    json!({"name": name, "type": "SCALAR", "scalar": {"value": value}})
}

/// A framework in `role` with MULTI_ROLE and, when `refinement`, RESERVATION_REFINEMENT.
fn in_role(name: &str, role: &str, refinement: bool) -> Value {
    let mut caps = vec![json!({"type": "MULTI_ROLE"})];
    if refinement {
        caps.push(json!({"type": "RESERVATION_REFINEMENT"}));
    }
    json!({"user": "root", "name": name, "roles": [role], "capabilities": caps})
}

fn reserve_call(ty: &str, agent: &Value, resources: Value) -> Value {
    let section = ty.to_ascii_lowercase();
    json!({"type": ty, section: {"agent_id": agent, "resources": resources}})
}

/// The agent's entry in a legacy endpoint (`/master/state`, `/master/slaves`).
async fn legacy_agent(url: &str, path: &str) -> Value {
    get_json(&format!("{url}{path}")).await["slaves"][0].clone()
}

/// `(name, value, reservation role)` of each resource of an offer, in order.
fn shape(offer: &Value) -> Vec<(String, Value, Option<String>)> {
    offer["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let value = if r["type"] == "SCALAR" {
                r["scalar"]["value"].clone()
            } else {
                r["ranges"].clone()
            };
            let role = r["reservations"][0]["role"].as_str().map(str::to_string);
            (r["name"].as_str().unwrap().to_string(), value, role)
        })
        .collect()
}

async fn agent_state(m: &LocalMesos) -> Value {
    get_json(&format!("{}/state", m.agents()[0].url)).await
}

#[tokio::test]
async fn an_operator_reservation_is_offered_only_to_its_role_and_given_back() {
    let m = start(1).await;
    let url = m.url();
    let mut web = subscribe(&url, in_role("web-fw", "web", true)).await;
    let first = web.until("OFFERS").await["offers"]["offers"][0].clone();
    let agent = first["agent_id"].clone();
    let aid = agent["value"].as_str().unwrap().to_string();

    // cpus:1;mem:64 for web: the offer holding them is rescinded first, then 202.
    let both = json!([reserved("cpus", 1.0, OPS), reserved("mem", 64.0, OPS)]);
    let reserve = reserve_call("RESERVE_RESOURCES", &agent, both.clone());
    assert_eq!(operator(&url, &reserve).await, (202, String::new()));
    assert_eq!(
        web.until("RESCIND").await["rescind"]["offer_id"],
        first["id"]
    );

    // Offered again to web: reservations first, in the refinement format (no `role`).
    let offer = web.until("OFFERS").await["offers"]["offers"][0].clone();
    let r =
        |n: &str, v: f64, role: Option<&str>| (n.to_string(), json!(v), role.map(str::to_string));
    let ports = (
        "ports".to_string(),
        json!({"range": [{"begin": 31000, "end": 32000}]}),
        None,
    );
    assert_eq!(
        shape(&offer),
        [
            ports.clone(),
            r("cpus", 1.0, Some("web")),
            r("mem", 64.0, Some("web")),
            r("cpus", 1.0, None),
            r("mem", 960.0, None),
            r("disk", 4096.0, None)
        ]
    );
    let cpus = &offer["resources"][1];
    assert_eq!(cpus["allocation_info"]["role"], "web");
    assert_eq!(
        cpus["reservations"],
        serde_json::from_str::<Value>(OPS).unwrap()
    );
    assert!(cpus.get("role").is_none(), "{cpus}");

    // Where the reservation shows.
    let slave = legacy_agent(&url, "/master/state").await;
    assert_eq!(
        slave["reserved_resources"],
        json!({"web": {"disk": 0.0, "mem": 64.0, "gpus": 0.0, "cpus": 1.0}})
    );
    assert_eq!(slave["unreserved_resources"]["cpus"], 1.0);
    assert_eq!(slave["unreserved_resources"]["mem"], 960.0);
    assert_eq!(slave["resources"]["cpus"], 2.0);
    let full =
        legacy_agent(&url, "/master/slaves").await["reserved_resources_full"]["web"][0].clone();
    assert_eq!(
        full,
        json!({"name": "cpus", "type": "SCALAR", "scalar": {"value": 1.0}, "role": "web",
            "reservation": {"principal": "ops"},
            "reservations": [{"type": "DYNAMIC", "role": "web", "principal": "ops"}]})
    );
    let total = &agent_total(&url).await;
    assert_eq!(total[4], full);
    assert_eq!(total[0]["role"], "*");
    let (_, body) = operator(&url, &json!({"type": "GET_ROLES"})).await;
    let names: Vec<Value> = parse(&body)["get_roles"]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].clone())
        .collect();
    assert_eq!(names, [json!("web")]);
    let roles = get_json(&format!("{url}/master/roles")).await;
    assert_eq!(
        roles["roles"][0]["reserved"],
        json!({"cpus": 1.0, "mem": 64.0})
    );
    assert_eq!(
        roles["roles"][0]["quota"]["consumed"],
        json!({"cpus": 1.0, "mem": 64.0})
    );
    // The agent keeps it too.
    let own = agent_state(&m).await;
    assert_eq!(own["reserved_resources"]["web"]["cpus"], 1.0);
    assert_eq!(own["reserved_resources_full"]["web"][1], {
        let mut mem = full.clone();
        mem["name"] = json!("mem");
        mem["scalar"]["value"] = json!(64.0);
        mem
    });
    assert_eq!(own["unreserved_resources"]["cpus"], 1.0);

    // A framework in another role is offered the rest, never the reservation.
    let decline = json!({"type": "DECLINE", "framework_id": {"value": web.framework_id},
        "decline": {"offer_ids": [offer["id"]], "filters": {"refuse_seconds": 3600.0}}});
    assert_eq!(call(&url, Some(&web.stream_id), &decline).await.0, 202);
    let mut db = subscribe(&url, in_role("db-fw", "db", false)).await;
    let other = db.until("OFFERS").await["offers"]["offers"][0].clone();
    assert_eq!(
        shape(&other),
        [
            ports,
            r("cpus", 1.0, None),
            r("mem", 960.0, None),
            r("disk", 4096.0, None)
        ]
    );
    // Without RESERVATION_REFINEMENT a framework gets the pre-refinement `role`.
    assert!(
        other["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["role"] == "*")
    );

    // Errors, with the master's texts; the over-large one still rescinds db's offer.
    let (code, text) = operator(
        &url,
        &reserve_call(
            "RESERVE_RESOURCES",
            &agent,
            json!([reserved("cpus", 1000.0, OPS)]),
        ),
    )
    .await;
    assert_eq!(
        (code, text.as_str()),
        (
            409,
            "cpus:1; mem:960; disk:4096; ports:[31000-32000]; cpus(reservations: [(DYNAMIC,web,ops)]):1; mem(reservations: [(DYNAMIC,web,ops)]):64 does not contain cpus:1000"
        )
    );
    assert_eq!(
        db.until("RESCIND").await["rescind"]["offer_id"],
        other["id"]
    );
    let port = m.agents()[0].url.rsplit(':').next().unwrap().to_string();
    assert_eq!(
        operator(
            &url,
            &reserve_call("RESERVE_RESOURCES", &agent, json!([scalar("cpus", 1.0)]))
        )
        .await,
        (
            400,
            format!(
                "Invalid RESERVE operation on agent {aid} at slave(1)@127.0.0.1:{port} (127.0.0.1): Resource cpus:1 is not dynamically reserved"
            )
        )
    );
    let nobody = json!({"value": "no-such-agent"});
    assert_eq!(
        operator(
            &url,
            &reserve_call("RESERVE_RESOURCES", &nobody, both.clone())
        )
        .await,
        (400, "No agent found with specified ID".into())
    );
    assert_eq!(
        operator(
            &url,
            &reserve_call("UNRESERVE_RESOURCES", &agent, json!([scalar("cpus", 1.0)]))
        )
        .await,
        (
            400,
            "Invalid UNRESERVE operation: Resource cpus:1 is not dynamically reserved".into()
        )
    );

    // Unreserved: back in the unreserved pool, and unreserving again conflicts.
    let unreserve = reserve_call("UNRESERVE_RESOURCES", &agent, both);
    assert_eq!(operator(&url, &unreserve).await, (202, String::new()));
    let slave = legacy_agent(&url, "/master/state").await;
    assert_eq!(slave["reserved_resources"], json!({}));
    assert_eq!(slave["unreserved_resources"]["cpus"], 2.0);
    assert_eq!(slave["unreserved_resources"]["mem"], 1024.0);
    assert_eq!(agent_state(&m).await["reserved_resources"], json!({}));
    let (code, text) = operator(&url, &unreserve).await;
    assert_eq!(code, 409);
    assert!(
        text.ends_with(" does not contain cpus(reservations: [(DYNAMIC,web,ops)]):1"),
        "{text}"
    );
    m.shutdown().await;
}

#[tokio::test]
async fn reserve_and_launch_in_one_accept_then_unreserve() {
    let m = start(1).await;
    let url = m.url();
    let mut info = in_role("vol-fw", "web", true);
    info["principal"] = json!("web-fw");
    let mut s = subscribe(&url, info).await;
    let fid = json!({"value": s.framework_id});
    let offer = s.until("OFFERS").await["offers"]["offers"][0].clone();
    let aid = offer["agent_id"].clone();
    let mine = r#"[{"type": "DYNAMIC", "role": "web", "principal": "web-fw"}]"#;
    let task = json!({"name": "on-reserved", "task_id": {"value": "on-reserved"}, "agent_id": aid,
        "command": {"value": "sleep 60"},
        "resources": [reserved("cpus", 0.1, mine), scalar("mem", 32.0)]});
    let accept = json!({"type": "ACCEPT", "framework_id": fid, "accept": {
        "offer_ids": [offer["id"]],
        "operations": [
            // Dropped: the framework's principal is web-fw, not ops.
            {"type": "RESERVE", "reserve": {"resources": [reserved("mem", 64.0, OPS)]}},
            {"type": "RESERVE", "reserve": {"resources": [reserved("disk", 32.0, mine), reserved("cpus", 0.5, mine)]}},
            {"type": "LAUNCH", "launch": {"task_infos": [task]}},
        ],
        "filters": {"refuse_seconds": 0}}});
    assert_eq!(
        call(&url, Some(&s.stream_id), &accept).await,
        (202, String::new())
    );
    // The task's first update and the next offer come in either order.
    let (mut st, mut next) = (Value::Null, Value::Null);
    while st.is_null() || next.is_null() {
        let ev = s.next().await.expect("stream open");
        if ev["type"] == "UPDATE" && st.is_null() {
            st = ev["update"]["status"].clone();
        } else if ev["type"] == "OFFERS" {
            next = ev["offers"]["offers"][0].clone();
        }
    }
    assert!(
        st["state"] == "TASK_STARTING" || st["state"] == "TASK_RUNNING",
        "{st}"
    );
    ack(&url, &s, &st).await;

    // The next offer holds what is left of the reservation (the task holds cpus 0.1).
    let r =
        |n: &str, v: f64, role: Option<&str>| (n.to_string(), json!(v), role.map(str::to_string));
    let listed = shape(&next);
    assert_eq!(
        listed[1..],
        [
            r("disk", 32.0, Some("web")),
            r("cpus", 0.4, Some("web")),
            r("cpus", 1.5, None),
            r("mem", 992.0, None),
            r("disk", 4064.0, None)
        ]
    );
    let (_, body) = operator(&url, &json!({"type": "GET_TASKS"})).await;
    let held = &parse(&body)["get_tasks"]["tasks"][0]["resources"][0];
    assert_eq!(held["reservations"][0]["principal"], "web-fw");

    let unreserve = json!({"type": "ACCEPT", "framework_id": fid, "accept": {
        "offer_ids": [next["id"]],
        "operations": [{"type": "UNRESERVE", "unreserve": {"resources": [
            reserved("disk", 32.0, mine), reserved("cpus", 0.4, mine)]}}],
        "filters": {"refuse_seconds": 0}}});
    assert_eq!(
        call(&url, Some(&s.stream_id), &unreserve).await,
        (202, String::new())
    );
    let after = s.until("OFFERS").await["offers"]["offers"][0].clone();
    assert!(
        after["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x.get("reservations").is_none()),
        "{after}"
    );
    // What the running task holds stays reserved.
    let slave = legacy_agent(&url, "/master/state").await;
    assert_eq!(slave["reserved_resources"]["web"]["cpus"], 0.1);
    assert_eq!(slave["reserved_resources"]["web"]["disk"], 0.0);
    m.shutdown().await;
}

#[tokio::test]
async fn a_reservation_reaches_child_roles_and_outlives_a_master_restart() {
    let m = start(1).await;
    let url = m.url();
    let agent = json!({"value": m.agents()[0].id});
    let reserve = reserve_call(
        "RESERVE_RESOURCES",
        &agent,
        json!([reserved("cpus", 1.0, OPS)]),
    );
    assert_eq!(operator(&url, &reserve).await, (202, String::new()));

    // A role whose name merely starts with "web" is not a child: nothing reserved for it.
    let mut other = subscribe(&url, in_role("webx-fw", "webx", true)).await;
    let offer = other.until("OFFERS").await["offers"]["offers"][0].clone();
    assert!(
        shape(&offer).iter().all(|(_, _, role)| role.is_none()),
        "{offer}"
    );
    let decline = json!({"type": "DECLINE", "framework_id": {"value": other.framework_id},
        "decline": {"offer_ids": [offer["id"]], "filters": {"refuse_seconds": 3600.0}}});
    assert_eq!(call(&url, Some(&other.stream_id), &decline).await.0, 202);
    // A child role of web is offered web's reservation.
    let mut child = subscribe(&url, in_role("api-fw", "web/api", true)).await;
    let offer = child.until("OFFERS").await["offers"]["offers"][0].clone();
    assert!(
        shape(&offer).contains(&("cpus".to_string(), json!(1.0), Some("web".to_string()))),
        "{offer}"
    );
    assert_eq!(offer["allocation_info"]["role"], "web/api");

    // The agent keeps the reservation; a restarted master learns it again.
    m.restart_master();
    let slave = legacy_agent(&url, "/master/state").await;
    assert_eq!(slave["reserved_resources"]["web"]["cpus"], 1.0);
    assert_eq!(slave["unreserved_resources"]["cpus"], 1.0);
    m.shutdown().await;
}

#[tokio::test]
async fn an_authenticated_operator_reserves_as_its_principal() {
    let creds = HttpAuth::parse_credentials("ops secret").unwrap();
    let mut auth = HttpAuth::new(creds);
    auth.readwrite = true;
    let m = LocalMesos::start(mesos_local::LocalConfig {
        http_auth: Some(Arc::new(auth)),
        ..fast_config(1)
    })
    .await
    .unwrap();
    let url = m.url();
    let agent = json!({"value": m.agents()[0].id});
    let send = async |resources: Value| {
        let resp = client()
            .post(format!("{url}/api/v1"))
            .basic_auth("ops", Some("secret"))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .body(reserve_call("RESERVE_RESOURCES", &agent, resources).to_string())
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    };
    let other = r#"[{"type": "DYNAMIC", "role": "web", "principal": "other"}]"#;
    let (code, text) = send(json!([reserved("cpus", 1.0, other)])).await;
    assert_eq!(code, 400);
    assert!(
        text.ends_with("A reserve operation was attempted by authenticated principal 'ops', which does not match a reserved resource in the request with principal 'other'"),
        "{text}"
    );
    assert_eq!(
        send(json!([reserved("cpus", 1.0, OPS)])).await,
        (202, String::new())
    );
    let slave = legacy_agent(&url, "/master/state").await;
    assert_eq!(slave["reserved_resources"]["web"]["cpus"], 1.0);
    m.shutdown().await;
}

/// As stout reads a call: a single resource where a list goes is the list's one element, and a
/// resource that does not convert fails the whole call (it is not read leniently as empty).
#[tokio::test]
async fn a_single_resource_is_reserved_and_one_that_does_not_convert_refuses_the_call() {
    let m = start(1).await;
    let url = m.url();
    let agent = json!({"value": legacy_agent(&url, "/master/state").await["id"]});
    let one = reserve_call("RESERVE_RESOURCES", &agent, reserved("cpus", 1.0, OPS));
    assert_eq!(operator(&url, &one).await, (202, String::new()));
    let slave = legacy_agent(&url, "/master/state").await;
    assert_eq!(slave["reserved_resources"]["web"]["cpus"], 1.0);
    let mut bad = reserved("mem", 64.0, OPS);
    bad["scalar"]["value"] = json!("lots");
    let (status, body) = operator(
        &url,
        &reserve_call("RESERVE_RESOURCES", &agent, json!([bad])),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.starts_with("Failed to convert JSON into Call protobuf: "),
        "{body}"
    );
    let slave = legacy_agent(&url, "/master/state").await;
    assert_eq!(
        slave["reserved_resources"]["web"].get("mem"),
        Some(&json!(0.0))
    );
    m.shutdown().await;
}

/// An ACCEPT's RESERVE is read as stout reads it too: a single resource is the one reserved,
/// and one that does not convert refuses the ACCEPT before anything is done.
#[tokio::test]
async fn an_offer_reservation_of_a_single_resource_and_one_that_does_not_convert() {
    let m = start(1).await;
    let url = m.url();
    let mut info = in_role("web-fw", "web", true);
    info["principal"] = json!("ops");
    let mut s = subscribe(&url, info).await;
    let fid = json!({"value": s.framework_id});
    let accept = |offer: &Value, resource: Value| {
        json!({"type": "ACCEPT", "framework_id": fid, "accept": {
            "offer_ids": [offer["id"]],
            "operations": [{"type": "RESERVE", "reserve": {"resources": resource}}],
            "filters": {"refuse_seconds": 0}}})
    };
    let offer = s.until("OFFERS").await["offers"]["offers"][0].clone();
    let mut bad = reserved("mem", 64.0, OPS);
    bad["scalar"]["value"] = json!("lots");
    let (status, body) = call(&url, Some(&s.stream_id), &accept(&offer, json!([bad]))).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.starts_with("Failed to convert JSON into Call protobuf: "),
        "{body}"
    );
    let one = accept(&offer, reserved("cpus", 1.0, OPS));
    assert_eq!(
        call(&url, Some(&s.stream_id), &one).await,
        (202, String::new())
    );
    let slave = legacy_agent(&url, "/master/state").await;
    assert_eq!(slave["reserved_resources"]["web"]["cpus"], 1.0);
    assert_eq!(slave["reserved_resources"]["web"]["mem"], 0.0);
    m.shutdown().await;
}

fn parse(body: &str) -> Value {
    serde_json::from_str(body).unwrap()
}
