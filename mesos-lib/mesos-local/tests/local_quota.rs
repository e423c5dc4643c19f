//! Role quota on the embedded Mesos against what a real master answered (transcript 31) and
//! what the hierarchical allocator does with it: UPDATE_QUOTA, GET_QUOTA, `/master/quota`,
//! `/master/roles`; limits cap offers, guarantees hold resources back for their role.

mod local_common;

use local_common::*;
use serde_json::{Value, json};

fn update(configs: Value) -> Value {
    json!({"type": "UPDATE_QUOTA", "update_quota": {"quota_configs": configs}})
}

fn parse(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// A MULTI_ROLE framework in `role`.
fn in_role(name: &str, role: &str) -> Value {
    json!({"user": "root", "name": name, "roles": [role],
        "capabilities": [{"type": "MULTI_ROLE"}]})
}

/// The cpus of the next OFFERS event, summed over its offers.
async fn offered_cpus(s: &mut Stream) -> f64 {
    let ev = s.until("OFFERS").await;
    cpus_of(&ev["offers"]["offers"])
}

/// The next event that is an OFFERS (its cpus) or an UPDATE (its state, acknowledged so the
/// next one comes).
async fn offers_or_update(url: &str, s: &mut Stream) -> Result<f64, String> {
    loop {
        let ev = s.next().await.expect("stream open");
        if ev["type"] == "OFFERS" {
            return Ok(cpus_of(&ev["offers"]["offers"]));
        }
        if ev["type"] == "UPDATE" {
            let status = ev["update"]["status"].clone();
            if status.get("uuid").is_some() {
                ack(url, s, &status).await;
            }
            return Err(status["state"].as_str().unwrap_or("").to_string());
        }
    }
}

fn cpus_of(offers: &Value) -> f64 {
    let mut total = 0.0;
    for o in offers.as_array().unwrap() {
        for r in o["resources"].as_array().unwrap() {
            if r["name"] == "cpus" {
                total += r["scalar"]["value"].as_f64().unwrap();
            }
        }
    }
    total
}

/// The role's entry in `/master/roles`.
async fn role_entry(url: &str, role: &str) -> Value {
    let roles = get_json(&format!("{url}/master/roles")).await;
    roles["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == role)
        .cloned()
        .unwrap_or_else(|| panic!("{role} in {roles}"))
}

#[tokio::test]
async fn quota_is_set_listed_and_removed_as_real_mesos_shows() {
    let m = start(1).await;
    let url = m.url();
    let get = json!({"type": "GET_QUOTA"});
    assert_eq!(
        operator(&url, &get).await,
        (
            200,
            r#"{"type":"GET_QUOTA","get_quota":{"status":{}}}"#.into()
        )
    );
    let web = json!([{"role": "web", "guarantees": {"cpus": {"value": 1}, "mem": {"value": 128}},
        "limits": {"cpus": {"value": 2}, "mem": {"value": 256}}}]);
    assert_eq!(operator(&url, &update(web)).await, (200, String::new()));
    let (code, body) = operator(&url, &get).await;
    assert_eq!(code, 200);
    assert_eq!(
        parse(&body),
        parse(
            r#"{"type":"GET_QUOTA","get_quota":{"status":{"infos":[{"role":"web","guarantee":[{"name":"cpus","type":"SCALAR","scalar":{"value":1.0}},{"name":"mem","type":"SCALAR","scalar":{"value":128.0}}]}],"configs":[{"role":"web","guarantees":{"cpus":{"value":1.0},"mem":{"value":128.0}},"limits":{"mem":{"value":256.0},"cpus":{"value":2.0}}}]}}}"#
        )
    );
    assert_eq!(
        get_json(&format!("{url}/master/quota")).await,
        parse(
            r#"{"infos":[{"role":"web","guarantee":[{"name":"cpus","type":"SCALAR","scalar":{"value":1.0}},{"name":"mem","type":"SCALAR","scalar":{"value":128.0}}]}],"configs":[{"role":"web","guarantees":{"mem":{"value":128.0},"cpus":{"value":1.0}},"limits":{"mem":{"value":256.0},"cpus":{"value":2.0}}}]}"#
        )
    );
    // GET_ROLES lists the role, with name and weight only; /master/roles shows its quota.
    assert_eq!(
        operator(&url, &json!({"type": "GET_ROLES"})).await.1,
        r#"{"type":"GET_ROLES","get_roles":{"roles":[{"name":"web","weight":1.0}]}}"#
    );
    assert_eq!(
        get_json(&format!("{url}/master/roles")).await,
        parse(
            r#"{"roles":[{"name":"web","weight":1.0,"quota":{"role":"web","guarantee":{"cpus":1.0,"mem":128.0},"limit":{"cpus":2.0,"mem":256.0},"consumed":{}},"resources":{},"allocated":{},"offered":{},"reserved":{},"frameworks":[]}]}"#
        )
    );
    // The validation texts of transcript 31, and nested roles refused as 1.11 does.
    let cases = [
        (
            json!([{"role": "web", "guarantees": {"cpus": {"value": 3}}, "limits": {"cpus": {"value": 1}}}]),
            "Invalid QuotaConfig: 'QuotaConfig.guarantees' { cpus: 3 } is not contained within the 'QuotaConfig.limits' { cpus: 1 }",
        ),
        (
            json!([{"role": "web", "guarantees": {"cpus": {"value": -1}}}]),
            "Invalid QuotaConfig: Invalid guarantee configuration {'cpus': -1}: Negative values not supported",
        ),
        (
            json!([{"role": "eng/web", "guarantees": {"cpus": {"value": 1}}}]),
            "Updating quota on nested role 'eng/web' is not supported yet",
        ),
        // Role web's guarantees (cpus:1, mem:128) count towards the total.
        (
            json!([{"role": "db", "guarantees": {"cpus": {"value": 1.5}}}]),
            "Invalid QuotaConfig: total quota guarantees 'cpus:2.5; mem:128' exceed cluster capacity 'cpus:2; disk:4096; mem:1024' (use 'force' flag to bypass this check)",
        ),
    ];
    for (configs, text) in cases {
        assert_eq!(
            operator(&url, &update(configs.clone())).await,
            (400, text.to_string()),
            "{configs}"
        );
    }
    // Role * is accepted; a config with neither guarantees nor limits removes web's quota,
    // which stays listed as just its role.
    let star = json!([{"role": "*", "guarantees": {"cpus": {"value": 1}}}]);
    assert_eq!(operator(&url, &update(star)).await.0, 200);
    assert_eq!(
        operator(&url, &update(json!([{"role": "web"}]))).await,
        (200, String::new())
    );
    assert_eq!(
        parse(&operator(&url, &get).await.1),
        parse(
            r#"{"type":"GET_QUOTA","get_quota":{"status":{"infos":[{"role":"*","guarantee":[{"name":"cpus","type":"SCALAR","scalar":{"value":1.0}}]},{"role":"web"}],"configs":[{"role":"*","guarantees":{"cpus":{"value":1.0}}},{"role":"web"}]}}}"#
        )
    );
    assert_eq!(
        role_entry(&url, "web").await["quota"],
        json!({"role": "web", "guarantee": {}, "limit": {}, "consumed": {}})
    );
    // The registry keeps quota across a master restart, but no removed (default) one.
    m.restart_master();
    assert_eq!(
        get_json(&format!("{url}/master/quota")).await,
        parse(
            r#"{"infos":[{"role":"*","guarantee":[{"name":"cpus","type":"SCALAR","scalar":{"value":1.0}}]}],"configs":[{"role":"*","guarantees":{"cpus":{"value":1.0}}}]}"#
        )
    );
    m.shutdown().await;
}

#[tokio::test]
async fn a_limit_caps_what_the_role_is_offered_until_its_task_ends() {
    let m = start(1).await;
    let url = m.url();
    let limit = json!([{"role": "web", "limits": {"cpus": {"value": 1}}}]);
    assert_eq!(operator(&url, &update(limit)).await.0, 200);
    let mut s = subscribe(&url, in_role("capped", "web")).await;
    // The agent has 2 cpus; the role is offered 1.
    let first = s.until("OFFERS").await;
    assert_eq!(cpus_of(&first["offers"]["offers"]), 1.0);
    let offer = &first["offers"]["offers"][0];
    let task = json!({"name": "t", "task_id": {"value": "t"}, "agent_id": offer["agent_id"],
        "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1},
                       "allocation_info": {"role": "web"}}],
        "command": {"value": "sleep 30"}});
    let accept = json!({"type": "ACCEPT", "framework_id": {"value": s.framework_id},
        "accept": {"offer_ids": [offer["id"]],
            "operations": [{"type": "LAUNCH", "launch": {"task_infos": [task]}}],
            "filters": {"refuse_seconds": 0.1}}});
    assert_eq!(call(&url, Some(&s.stream_id), &accept).await.0, 202);
    // With its limit consumed, the role is offered the rest of the agent but no cpus.
    let mut running = false;
    let mut offered = None;
    while !running || offered.is_none() {
        match offers_or_update(&url, &mut s).await {
            Ok(cpus) => offered = Some(cpus),
            Err(state) => running |= state == "TASK_RUNNING",
        }
    }
    assert_eq!(offered, Some(0.0));
    let quota = role_entry(&url, "web").await["quota"].clone();
    assert_eq!(quota["consumed"]["cpus"], 1.0);
    assert_eq!(quota["limit"], json!({"cpus": 1.0}));
    // A lower limit than the role consumes needs force.
    let lower = json!([{"role": "web", "limits": {"cpus": {"value": 0.5}}}]);
    assert_eq!(
        operator(&url, &update(lower)).await,
        (
            400,
            "Invalid QuotaConfig: Role 'web' is already consuming 'cpus:1'; this is more than the requested limits 'cpus:0.5' (use 'force' flag to bypass this check)".into()
        )
    );
    let kill = json!({"type": "KILL", "framework_id": {"value": s.framework_id},
        "kill": {"task_id": {"value": "t"}}});
    assert_eq!(call(&url, Some(&s.stream_id), &kill).await.0, 202);
    // Once it ends, its cpu is offered again, still no more than the limit.
    let mut killed = false;
    loop {
        match offers_or_update(&url, &mut s).await {
            Ok(cpus) => {
                assert!(cpus <= 1.0, "{cpus}");
                if killed && cpus == 1.0 {
                    break;
                }
            }
            Err(state) => killed |= state == "TASK_KILLED",
        }
    }
    m.shutdown().await;
}

#[tokio::test]
async fn a_guarantee_holds_back_what_its_role_needs_and_serves_it_first() {
    let m = start(1).await;
    let url = m.url();
    let gold = json!([{"role": "gold", "guarantees": {"cpus": {"value": 1.5}}}]);
    assert_eq!(operator(&url, &update(gold)).await.0, 200);
    // A role without quota gets what gold's guarantee does not need.
    let mut silver = subscribe(&url, in_role("silver", "silver")).await;
    assert_eq!(offered_cpus(&mut silver).await, 0.5);
    // Gold's framework is offered its guarantee, held back for it.
    let mut gold = subscribe(&url, in_role("gold", "gold")).await;
    assert_eq!(offered_cpus(&mut gold).await, 1.5);
    // Removing the quota leaves the role listed with an empty guarantee.
    assert_eq!(
        operator(&url, &update(json!([{"role": "gold"}]))).await,
        (200, String::new())
    );
    assert_eq!(
        role_entry(&url, "gold").await["quota"]["guarantee"],
        json!({})
    );
    m.shutdown().await;
}
