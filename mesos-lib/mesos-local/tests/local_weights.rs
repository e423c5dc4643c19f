//! Role weights on the embedded Mesos against what a real master answered (transcript 31):
//! UPDATE_WEIGHTS, GET_WEIGHTS, GET_ROLES, `/master/roles`, `/master/weights`, and the
//! `--weights` flag.

mod local_common;

use local_common::*;
use mesos_local::{LocalConfig, LocalMesos};
use serde_json::{Value, json};

fn update(role: &str, weight: f64) -> Value {
    json!({"type": "UPDATE_WEIGHTS", "update_weights": {"weight_infos": [{"role": role, "weight": weight}]}})
}

#[tokio::test]
async fn weights_are_set_listed_and_shown_per_role() {
    let m = start(1).await;
    let url = m.url();
    let get = json!({"type": "GET_WEIGHTS"});
    assert_eq!(
        operator(&url, &get).await,
        (200, r#"{"type":"GET_WEIGHTS"}"#.into())
    );
    assert_eq!(
        operator(&url, &update("web", 2.5)).await,
        (200, String::new())
    );
    assert_eq!(
        operator(&url, &get).await,
        (
            200,
            r#"{"type":"GET_WEIGHTS","get_weights":{"weight_infos":[{"weight":2.5,"role":"web"}]}}"#.into()
        )
    );
    assert_eq!(
        operator(&url, &json!({"type": "GET_ROLES"})).await,
        (
            200,
            r#"{"type":"GET_ROLES","get_roles":{"roles":[{"name":"web","weight":2.5}]}}"#.into()
        )
    );
    assert_eq!(
        get_text(&format!("{url}/master/roles")).await,
        r#"{"roles":[{"name":"web","weight":2.5,"quota":{"role":"web","guarantee":{},"limit":{},"consumed":{}},"resources":{},"allocated":{},"offered":{},"reserved":{},"frameworks":[]}]}"#
    );
    assert_eq!(
        get_text(&format!("{url}/master/weights")).await,
        r#"[{"role":"web","weight":2.5}]"#
    );
    assert_eq!(
        operator(&url, &update("web", -1.0)).await,
        (
            400,
            "Failed to validate update weights request JSON for role 'web': Invalid weight '-1': Weights must be positive".into()
        )
    );
    assert_eq!(
        operator(&url, &update("*", 2.0)).await,
        (200, String::new())
    );
    assert_eq!(
        operator(&url, &update("web", 1.0)).await,
        (200, String::new())
    );
    assert_eq!(
        operator(&url, &get).await.1,
        r#"{"type":"GET_WEIGHTS","get_weights":{"weight_infos":[{"weight":2.0,"role":"*"},{"weight":1.0,"role":"web"}]}}"#
    );
    assert_eq!(
        operator(&url, &json!({"type": "GET_ROLES"})).await.1,
        r#"{"type":"GET_ROLES","get_roles":{"roles":[{"name":"*","weight":2.0},{"name":"web","weight":1.0}]}}"#
    );
    m.shutdown().await;
}

#[tokio::test]
async fn a_weight_for_a_role_in_use_rescinds_outstanding_offers() {
    let m = start(1).await;
    let url = m.url();
    let info = json!({"user": "root", "name": "w", "roles": ["web"],
        "capabilities": [{"type": "MULTI_ROLE"}]});
    let mut s = subscribe(&url, info).await;
    let offer = s.until("OFFERS").await["offers"]["offers"][0].clone();
    // No framework in "db": nothing is rescinded for it.
    assert_eq!(operator(&url, &update("db", 2.0)).await.0, 200);
    let (_, body) = operator(&url, &json!({"type": "GET_FRAMEWORKS"})).await;
    let listed: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        listed["get_frameworks"]["frameworks"][0]["offers"][0]["id"],
        offer["id"]
    );
    assert_eq!(operator(&url, &update("web", 3.0)).await.0, 200);
    assert_eq!(s.until("RESCIND").await["rescind"]["offer_id"], offer["id"]);
    m.shutdown().await;
}

#[tokio::test]
async fn the_weights_flag_sets_weights_at_start() {
    let m = LocalMesos::start(LocalConfig {
        weights: Some("web=3,eng/api=0.5".into()),
        ..fast_config(1)
    })
    .await
    .unwrap();
    let url = m.url();
    assert_eq!(
        operator(&url, &json!({"type": "GET_WEIGHTS"})).await.1,
        r#"{"type":"GET_WEIGHTS","get_weights":{"weight_infos":[{"weight":0.5,"role":"eng/api"},{"weight":3.0,"role":"web"}]}}"#
    );
    // The parent of a hierarchical role is known too, with the default weight.
    assert_eq!(
        operator(&url, &json!({"type": "GET_ROLES"})).await.1,
        r#"{"type":"GET_ROLES","get_roles":{"roles":[{"name":"eng","weight":1.0},{"name":"eng/api","weight":0.5},{"name":"web","weight":3.0}]}}"#
    );
    let flags = get_json(&format!("{url}/master/flags")).await;
    assert_eq!(flags["flags"]["weights"], "web=3,eng/api=0.5");
    m.shutdown().await;

    let bad = LocalMesos::start(LocalConfig {
        weights: Some("web=-1".into()),
        ..fast_config(1)
    })
    .await;
    let err = bad.err().expect("a negative weight is refused").to_string();
    assert!(
        err.contains("Invalid weight: 'web=-1'. Weights must be positive"),
        "{err}"
    );
}
