//! The DRF allocator through the embedded master's HTTP APIs: weights 1 and 3 giving
//! dominant shares of 1:3 (the notebook's first experiment), suppression per role with
//! SUPPRESS / REVIVE `roles`, `suppressed_roles` checked as the master checks them,
//! `--min_allocatable_resources`, and offers per role of a MULTI_ROLE framework (one offer per
//! agent, without `allocation_info`, for any other).

mod local_common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use local_common::*;
use mesos_local::{LocalConfig, LocalMesos};
use serde_json::{Value, json};

/// A MULTI_ROLE framework in `role`.
fn in_role(name: &str, role: &str) -> Value {
    json!({"user": "root", "name": name, "roles": [role],
        "capabilities": [{"type": "MULTI_ROLE"}]})
}

fn offer_ids(ev: &Value) -> Vec<Value> {
    ev["offers"]["offers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].clone())
        .collect()
}

async fn decline(url: &str, s: &Stream, ids: Vec<Value>) {
    let body = json!({"type": "DECLINE", "framework_id": {"value": s.framework_id},
        "decline": {"offer_ids": ids, "filters": {"refuse_seconds": 0.0}}});
    assert_eq!(call(url, Some(&s.stream_id), &body).await.0, 202);
}

/// A scheduler call of `ty` with `body` under `field`.
async fn send(url: &str, s: &Stream, ty: &str, field: &str, body: Value) -> (u16, String) {
    let mut c = json!({"type": ty, "framework_id": {"value": s.framework_id}});
    c[field] = body;
    call(url, Some(&s.stream_id), &c).await
}

/// Runs a framework that launches one `sleep` task of 0.25 cpus from each offer (declining
/// the rest, no filter) until `launched` reaches `cap`; returns how many it launched.
async fn launch_one_per_offer(
    url: &str,
    s: &mut Stream,
    launched: &AtomicUsize,
    cap: usize,
) -> usize {
    let mut mine = 0;
    while launched.load(Ordering::SeqCst) < cap {
        let ev = s.next().await.expect("stream open");
        if ev["type"] == "UPDATE" {
            let status = ev["update"]["status"].clone();
            if status.get("uuid").is_some() {
                ack(url, s, &status).await;
            }
            continue;
        }
        if ev["type"] != "OFFERS" {
            continue;
        }
        let offer = &ev["offers"]["offers"][0];
        let cpus = offer["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "cpus")
            .map_or(0.0, |r| r["scalar"]["value"].as_f64().unwrap());
        if cpus < 0.25 || launched.load(Ordering::SeqCst) >= cap {
            decline(url, s, offer_ids(&ev)).await;
            continue;
        }
        let n = launched.fetch_add(1, Ordering::SeqCst);
        let tid = format!("{}-{n}", s.framework_id);
        let accept = json!({"offer_ids": offer_ids(&ev), "operations": [{"type": "LAUNCH",
            "launch": {"task_infos": [{"name": tid, "task_id": {"value": tid},
                "agent_id": offer["agent_id"],
                "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.25}},
                              {"name": "mem", "type": "SCALAR", "scalar": {"value": 32}}],
                "command": {"shell": false, "value": "sleep", "arguments": ["sleep", "60"]}}]}}],
            "filters": {"refuse_seconds": 0.0}});
        assert_eq!(send(url, s, "ACCEPT", "accept", accept).await.0, 202);
        mine += 1;
    }
    mine
}

#[tokio::test]
async fn weights_1_and_3_converge_to_dominant_shares_of_1_to_3() {
    // One agent of 4 cpus: 16 tasks of 0.25 cpus fill it. With weights 1 and 3 the heavy
    // role is offered the agent until its share is three times the light one's, every
    // time: 4 and 12 tasks, dominant shares 0.25 and 0.75.
    let m = LocalMesos::start(LocalConfig {
        resources: "cpus:4;mem:4096".into(),
        weights: Some("heavy=3".into()),
        ..fast_config(1)
    })
    .await
    .unwrap();
    let url = m.url();
    let mut light = subscribe(&url, in_role("light-fw", "light")).await;
    let mut heavy = subscribe(&url, in_role("heavy-fw", "heavy")).await;
    let launched = AtomicUsize::new(0);
    let (l, h) = tokio::join!(
        launch_one_per_offer(&url, &mut light, &launched, 16),
        launch_one_per_offer(&url, &mut heavy, &launched, 16)
    );
    assert_eq!((l, h), (4, 12), "tasks of the weight-1 and weight-3 roles");
    // /master/roles shows the same allocation: dominant shares (cpus) 0.25 and 0.75.
    let roles = get_json(&format!("{url}/master/roles")).await;
    let cpus = |name: &str| {
        roles["roles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .map(|r| r["allocated"]["cpus"].as_f64().unwrap_or(0.0))
            .unwrap()
    };
    let (ls, hs) = (cpus("light") / 4.0, cpus("heavy") / 4.0);
    assert!((hs / ls - 3.0).abs() < 1e-9, "shares {ls} and {hs}");
    m.shutdown().await;
}

#[tokio::test]
async fn a_suppressed_role_is_offered_nothing_until_revived() {
    let m = start(1).await;
    let url = m.url();
    let mut web = subscribe(&url, in_role("web-fw", "web")).await;
    let first = web.until("OFFERS").await;
    // A role the framework is not subscribed to: the call is dropped (202, as the master).
    let (code, _) = send(&url, &web, "SUPPRESS", "suppress", json!({"roles": ["db"]})).await;
    assert_eq!(code, 202);
    decline(&url, &web, offer_ids(&first)).await;
    let again = web.until("OFFERS").await;
    // Suppressed in "web": the agent goes to "db" cycle after cycle, although web, chosen
    // once, would win the tie against db, chosen more often, if it were not suppressed.
    let (code, _) = send(
        &url,
        &web,
        "SUPPRESS",
        "suppress",
        json!({"roles": ["web"]}),
    )
    .await;
    assert_eq!(code, 202);
    decline(&url, &web, offer_ids(&again)).await;
    let mut db = subscribe(&url, in_role("db-fw", "db")).await;
    for i in 0..4 {
        let ev = tokio::time::timeout(WAIT, db.until("OFFERS"))
            .await
            .unwrap_or_else(|_| panic!("db offered the agent {i} times only: web still is"));
        decline(&url, &db, offer_ids(&ev)).await;
    }
    // Keep db from taking the agent back, then revive web in its role: it is offered again.
    let ev = db.until("OFFERS").await;
    let (code, _) = send(&url, &web, "REVIVE", "revive", json!({"roles": ["web"]})).await;
    assert_eq!(code, 202);
    decline(&url, &db, offer_ids(&ev)).await;
    let back = web.until("OFFERS").await;
    assert_eq!(
        back["offers"]["offers"][0]["allocation_info"]["role"],
        "web"
    );
    m.shutdown().await;
}

#[tokio::test]
async fn suppressed_roles_must_be_among_the_frameworks_roles() {
    let m = start(1).await;
    let url = m.url();
    let mut web = subscribe(&url, in_role("web-fw", "web")).await;
    web.until("HEARTBEAT").await;
    let update = json!({"framework_info": {"user": "root", "name": "web-fw",
        "id": {"value": web.framework_id}, "roles": ["web"],
        "capabilities": [{"type": "MULTI_ROLE"}]}, "suppressed_roles": ["db"]});
    assert_eq!(
        send(&url, &web, "UPDATE_FRAMEWORK", "update_framework", update).await,
        (
            400,
            "'UpdateFramework' call is not valid: Suppressed roles { db } are not contained in the set of roles".into()
        )
    );
    let sub = json!({"type": "SUBSCRIBE", "subscribe": {"framework_info": in_role("x", "web"),
        "suppressed_roles": ["ops"]}});
    let resp = client()
        .post(format!("{url}/api/v1/scheduler"))
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .body(sub.to_string())
        .send()
        .await
        .unwrap();
    let body = resp.text().await.unwrap();
    assert!(
        body.contains(r#""type":"ERROR""#)
            && body.contains("Suppressed roles { ops } are not contained in the set of roles"),
        "{body}"
    );
    m.shutdown().await;
}

#[tokio::test]
async fn min_allocatable_resources_is_a_master_flag() {
    let m = LocalMesos::start(LocalConfig {
        min_allocatable_resources: Some("cpus:1;mem:512|disk:100".into()),
        ..fast_config(1)
    })
    .await
    .unwrap();
    let url = m.url();
    let flags = get_json(&format!("{url}/master/flags")).await;
    assert_eq!(
        flags["flags"]["min_allocatable_resources"],
        "cpus:1;mem:512|disk:100"
    );
    // The default agent (2 cpus, 1024 MB) holds one of the sets: it is offered.
    let mut s = subscribe(&url, framework("f")).await;
    s.until("OFFERS").await;
    m.shutdown().await;
    let default = start(1).await;
    let flags = get_json(&format!("{}/master/flags", default.url())).await;
    assert_eq!(
        flags["flags"]["min_allocatable_resources"],
        "cpus:0.01|mem:32"
    );
    default.shutdown().await;
    let bad = LocalMesos::start(LocalConfig {
        min_allocatable_resources: Some("cpus:-1".into()),
        ..fast_config(1)
    })
    .await;
    let err = bad
        .err()
        .expect("a negative quantity is refused")
        .to_string();
    assert!(
        err.contains("Error parsing min_allocatable_resources 'cpus:-1': Failed to parse '-1' to quantity: negative values are not allowed"),
        "{err}"
    );
}

/// The offers of an OFFERS event by their `allocation_info.role`.
fn by_role(ev: &Value) -> BTreeMap<String, Value> {
    ev["offers"]["offers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let role = o["allocation_info"]["role"].as_str().unwrap().to_string();
            (role, o.clone())
        })
        .collect()
}

/// The value of scalar `name` in `offer`, 0 when absent.
fn scalar(offer: &Value, name: &str) -> f64 {
    offer["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["name"] == name)
        .map(|r| r["scalar"]["value"].as_f64().unwrap())
        .sum()
}

/// One agent (2 cpus) with 0.5 cpus of it reserved for `role`; its ID.
async fn agent_reserving_for(url: &str, role: &str) -> Value {
    let agent = get_json(&format!("{url}/master/slaves")).await["slaves"][0]["id"].clone();
    let reserved = json!([{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.5},
        "reservations": [{"type": "DYNAMIC", "role": role}]}]);
    let reserve = json!({"type": "RESERVE_RESOURCES", "reserve_resources":
        {"agent_id": {"value": agent}, "resources": reserved}});
    assert_eq!(operator(url, &reserve).await.0, 202);
    agent
}

/// A `sleep` TaskInfo on `agent` using `resources`.
fn sleep_task(tid: &str, agent: &Value, resources: Value) -> Value {
    json!({"name": tid, "task_id": {"value": tid}, "agent_id": {"value": agent},
        "resources": resources, "command": {"value": "sleep 60"}})
}

/// `cpus` cpus of `role`'s reservation.
fn reserved_cpus(cpus: f64, role: &str) -> Value {
    json!([{"name": "cpus", "type": "SCALAR", "scalar": {"value": cpus},
        "reservations": [{"type": "DYNAMIC", "role": role}]}])
}

/// The first offers of a framework in ma and mb (mb holding a reservation): one cycle
/// gives ma (tied with mb, first by name) what it may use, everything unreserved, then mb
/// what is left, its reservation; one offer per role, each resource allocated to it.
fn check_first_offers(ev: &Value) -> BTreeMap<String, Value> {
    let offers = by_role(ev);
    assert_eq!(offers.keys().collect::<Vec<_>>(), ["ma", "mb"], "{ev}");
    for (role, offer) in &offers {
        for r in offer["resources"].as_array().unwrap() {
            assert_eq!(r["allocation_info"]["role"], role.as_str(), "{offer}");
        }
    }
    let (ma, mb) = (&offers["ma"], &offers["mb"]);
    assert_eq!((scalar(ma, "cpus"), scalar(ma, "mem")), (1.5, 1024.0));
    assert!(!ma["resources"].to_string().contains("reservations"));
    assert_eq!((scalar(mb, "cpus"), scalar(mb, "mem")), (0.5, 0.0));
    assert_eq!(
        mb["resources"][0]["role"], "mb",
        "pre-refinement format: {mb}"
    );
    offers
}

/// Offers of two roles cannot be used together (`validateAllocationRole`, its text as the
/// master writes it, quotes left open); both go back, and are offered again.
async fn accept_two_roles(
    url: &str,
    s: &mut Stream,
    agent: &Value,
    offers: &BTreeMap<String, Value>,
) {
    let (ma, mb) = (&offers["ma"], &offers["mb"]);
    let both = json!({"offer_ids": [ma["id"], mb["id"]], "operations": [{"type": "LAUNCH",
        "launch": {"task_infos": [sleep_task("mixed", agent, reserved_cpus(0.5, "mb"))]}}]});
    assert_eq!(send(url, s, "ACCEPT", "accept", both).await.0, 202);
    let status = s.update().await;
    assert_eq!(status["state"], "TASK_LOST");
    let expected = format!(
        "Task launched with invalid offers: Aggregated offers must be allocated to the same role. Offer {} uses role 'mb but another is using role 'ma",
        mb["id"]["value"].as_str().unwrap()
    );
    assert_eq!(status["message"], expected);
}

/// Declines ma's offer for an hour and mb's for no time: only ma is filtered, so mb is
/// offered everything next; the IDs of mb's offers.
async fn filter_ma(url: &str, s: &mut Stream) -> Vec<Value> {
    let ev = s.until("OFFERS").await;
    let offers = by_role(&ev);
    assert_eq!(offers.len(), 2, "both offers came back: {ev}");
    let hour = json!({"offer_ids": [offers["ma"]["id"]], "filters": {"refuse_seconds": 3600}});
    assert_eq!(send(url, s, "DECLINE", "decline", hour).await.0, 202);
    decline(url, s, vec![offers["mb"]["id"].clone()]).await;
    // A cycle may come between the two declines: the agent reaches mb in one offer or two.
    let (mut ids, mut mb_cpus) = (Vec::new(), 0.0);
    let all_in_mb = async {
        while mb_cpus < 2.0 {
            let ev = s.until("OFFERS").await;
            for o in ev["offers"]["offers"].as_array().unwrap() {
                assert_eq!(o["allocation_info"]["role"], "mb", "ma is filtered: {ev}");
                ids.push(o["id"].clone());
                mb_cpus += scalar(o, "cpus");
            }
        }
    };
    tokio::time::timeout(WAIT, all_in_mb)
        .await
        .expect("the agent offered whole to mb");
    assert_eq!(mb_cpus, 2.0);
    ids
}

/// What `/master/roles` says of role `name`.
async fn role_entry(url: &str, name: &str) -> Value {
    let roles = get_json(&format!("{url}/master/roles")).await;
    let entry = roles["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name);
    entry
        .cloned()
        .unwrap_or_else(|| panic!("no {name} in {roles}"))
}

/// A task naming ma as its resources' role on mb's offers uses resources not offered
/// (TASK_ERROR); one on the unreserved resources is mb's: allocated there only.
async fn launch_in_mb(url: &str, s: &mut Stream, agent: &Value, ids: Vec<Value>) {
    let unreserved = json!([{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}},
        {"name": "mem", "type": "SCALAR", "scalar": {"value": 64}}]);
    let mut in_ma = unreserved.clone();
    for r in in_ma.as_array_mut().unwrap() {
        r["allocation_info"] = json!({"role": "ma"});
    }
    let tasks = [
        sleep_task("names-ma", agent, in_ma),
        sleep_task("in-mb", agent, unreserved),
    ];
    let launch = json!({"offer_ids": ids, "operations": [{"type": "LAUNCH",
        "launch": {"task_infos": tasks}}], "filters": {"refuse_seconds": 0}});
    assert_eq!(send(url, s, "ACCEPT", "accept", launch).await.0, 202);
    let status = s.update().await;
    assert_eq!(
        (&status["task_id"]["value"], &status["state"]),
        (&json!("names-ma"), &json!("TASK_ERROR")),
        "{status}"
    );
    let message = status["message"].as_str().unwrap();
    assert!(
        message.contains("required by task and its executor is more than available"),
        "{message}"
    );
    let status = s.update().await;
    assert_eq!(status["state"], "TASK_STARTING", "{status}");
    let frameworks = operator(url, &json!({"type": "GET_FRAMEWORKS"})).await.1;
    let frameworks: Value = serde_json::from_str(&frameworks).unwrap();
    let held = &frameworks["get_frameworks"]["frameworks"][0]["allocated_resources"];
    let roles: Vec<&Value> = held
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["allocation_info"]["role"])
        .collect();
    assert!(
        !roles.is_empty() && roles.iter().all(|r| *r == "mb"),
        "{held}"
    );
    assert_eq!(role_entry(url, "mb").await["allocated"]["cpus"], 1.0);
    assert_eq!(
        role_entry(url, "ma").await["allocated"]["cpus"],
        Value::Null
    );
    for name in ["ma", "mb"] {
        assert_eq!(
            role_entry(url, name).await["frameworks"][0],
            s.framework_id.as_str()
        );
    }
}

#[tokio::test]
async fn a_multi_role_framework_is_offered_in_each_of_its_roles() {
    let m = start(1).await;
    let url = m.url();
    let agent = agent_reserving_for(&url, "mb").await;
    let info = json!({"user": "root", "name": "two-roles", "roles": ["ma", "mb"],
        "capabilities": [{"type": "MULTI_ROLE"}]});
    let mut s = subscribe(&url, info).await;
    let offers = check_first_offers(&s.until("OFFERS").await);
    accept_two_roles(&url, &mut s, &agent, &offers).await;
    let ids = filter_ma(&url, &mut s).await;
    launch_in_mb(&url, &mut s, &agent, ids).await;
    m.shutdown().await;
}

#[tokio::test]
async fn a_framework_without_multi_role_gets_one_offer_per_agent_without_allocation_info() {
    // Its role's reservation and the unreserved resources come in one offer, as before
    // offers were made per role, and nothing says which role they are allocated to.
    let m = start(1).await;
    let url = m.url();
    agent_reserving_for(&url, "sa").await;
    let info = json!({"user": "root", "name": "one-role", "role": "sa"});
    let mut s = subscribe(&url, info).await;
    let ev = s.until("OFFERS").await;
    let offers = ev["offers"]["offers"].as_array().unwrap();
    assert_eq!(offers.len(), 1, "{ev}");
    let offer = &offers[0];
    assert!(offer.get("allocation_info").is_none(), "{offer}");
    for r in offer["resources"].as_array().unwrap() {
        assert!(r.get("allocation_info").is_none(), "{offer}");
    }
    assert_eq!(
        scalar(offer, "cpus"),
        2.0,
        "reserved and unreserved: {offer}"
    );
    m.shutdown().await;
}

/// UPDATE_FRAMEWORK of the "two-roles" framework `s` to `roles`.
async fn update_roles(url: &str, s: &Stream, roles: &[&str]) {
    let update = json!({"framework_info": {"user": "root", "name": "two-roles",
        "id": {"value": s.framework_id}, "roles": roles,
        "capabilities": [{"type": "MULTI_ROLE"}]}});
    let answer = send(url, s, "UPDATE_FRAMEWORK", "update_framework", update).await;
    assert_eq!(answer.0, 200, "{answer:?}");
}

#[tokio::test]
async fn leaving_a_role_forgets_its_filters_and_rescinds_its_offers() {
    let m = start(1).await;
    let url = m.url();
    agent_reserving_for(&url, "mb").await;
    let info = json!({"user": "root", "name": "two-roles", "roles": ["ma", "mb"],
        "capabilities": [{"type": "MULTI_ROLE"}]});
    let mut s = subscribe(&url, info).await;
    let offers = check_first_offers(&s.until("OFFERS").await);
    // The framework declines mb's offer (the reservation) for an hour, then leaves mb and
    // comes back: the filter went with the role (the allocator's `updateFramework`), so
    // mb is offered the reservation again.
    let hour = json!({"offer_ids": [offers["mb"]["id"]], "filters": {"refuse_seconds": 3600}});
    assert_eq!(send(&url, &s, "DECLINE", "decline", hour).await.0, 202);
    update_roles(&url, &s, &["ma"]).await;
    update_roles(&url, &s, &["ma", "mb"]).await;
    let again = tokio::time::timeout(WAIT, async {
        loop {
            if let Some(o) = by_role(&s.until("OFFERS").await).remove("mb") {
                break o;
            }
        }
    });
    let again = again.await.expect("mb offered its reservation again");
    assert_eq!(scalar(&again, "cpus"), 0.5, "{again}");
    // Leaving mb while its offer is outstanding rescinds that offer.
    update_roles(&url, &s, &["ma"]).await;
    assert_eq!(s.until("RESCIND").await["rescind"]["offer_id"], again["id"]);
    m.shutdown().await;
}
