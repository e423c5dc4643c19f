//! The legacy JSON endpoints under libprocess's path rules, as transcript 29 recorded a real
//! master answering them: trailing slashes, paths without `/master`, longer paths, the
//! list endpoints' query parameters, and libprocess's 404.

mod local_common;

use local_common::*;
use serde_json::{Value, json};

async fn get(url: &str) -> (u16, String, String) {
    let r = client().get(url).send().await.unwrap();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (r.status().as_u16(), ct, r.text().await.unwrap())
}

/// Launches `task_id` (a long sleep) and acknowledges it up to TASK_RUNNING.
async fn running(url: &str, s: &mut Stream, task_id: &str) {
    launch(
        url,
        s,
        task_id,
        json!({"shell": true, "value": "sleep 60"}),
        0.1,
    )
    .await;
    loop {
        let status = s.update().await;
        ack(url, s, &status).await;
        if status["state"] == "TASK_RUNNING" {
            return;
        }
    }
}

#[tokio::test]
async fn paths_answer_as_libprocess_routes_them() {
    let m = start(1).await;
    let url = m.url();
    let mut s = subscribe(&url, framework("legacy")).await;
    running(&url, &mut s, "first").await;
    // Each alias answers what its canonical path answers (the same JSON keys, 200, JSON).
    for (alias, canonical) in [
        ("/master/frameworks/", "/master/frameworks"),
        ("/frameworks", "/master/frameworks"),
        ("/master/slaves/", "/master/slaves"),
        ("/slaves", "/master/slaves"),
        ("/master/tasks/", "/master/tasks"),
        ("/tasks?order=asc&limit=-1", "/master/tasks"),
        ("/master/roles/", "/master/roles"),
        ("/roles", "/master/roles"),
        ("/master/state/", "/master/state"),
        ("/state/", "/master/state"),
        ("/master/state/anything/below", "/master/state"),
        ("/master/flags/", "/master/flags"),
        ("/master/quota/", "/master/quota"),
        ("/quota", "/master/quota"),
        ("/weights", "/master/weights"),
        ("/version/", "/version"),
    ] {
        let (code, ct, body) = get(&format!("{url}{alias}")).await;
        assert_eq!((code, ct.as_str()), (200, "application/json"), "{alias}");
        let keys = |v: Value| match v {
            Value::Object(m) => m.keys().cloned().collect::<Vec<_>>(),
            other => vec![other.to_string()],
        };
        let alias_keys = keys(serde_json::from_str(&body).unwrap());
        let canonical_keys = keys(get_json(&format!("{url}{canonical}")).await);
        assert_eq!(alias_keys, canonical_keys, "{alias}");
    }
    for (path, want) in [
        ("/master/quota", json!({})),
        ("/master/weights", json!([])),
        ("/master/maintenance/schedule", json!({})),
        ("/master/maintenance/status", json!({})),
        (
            "/master/frameworks?framework_id=nope",
            json!({"frameworks": [], "completed_frameworks": [], "unregistered_frameworks": []}),
        ),
    ] {
        assert_eq!(get_json(&format!("{url}{path}")).await, want, "{path}");
    }
    let mine = format!("/master/frameworks?framework_id={}", s.framework_id);
    let fws = get_json(&format!("{url}{mine}")).await;
    assert_eq!(fws["frameworks"][0]["id"], s.framework_id.as_str());
    for path in [
        "/master/nosuchendpoint",
        "/nosuch",
        "/master/redirect/",
        "/version/x",
    ] {
        let (code, _, body) = get(&format!("{url}{path}")).await;
        assert_eq!((code, body.as_str()), (404, "404 Not Found."), "{path}");
    }
    // The web UI is the master's own asset; mesos-local says it has none.
    let (code, _, body) = get(&format!("{url}/master/")).await;
    assert_eq!(code, 501);
    assert!(body.contains("web UI"), "{body}");
    let agent = &m.agents()[0].url;
    for path in ["/state/", "/slave(1)/state", "/slave%281%29/state/"] {
        let (code, ct, _) = get(&format!("{agent}{path}")).await;
        assert_eq!((code, ct.as_str()), (200, "application/json"), "{path}");
    }
    m.shutdown().await;
}

#[tokio::test]
async fn tasks_list_honours_the_masters_query_parameters() {
    let m = start(1).await;
    let url = m.url();
    let mut s = subscribe(&url, framework("listing")).await;
    running(&url, &mut s, "first").await;
    running(&url, &mut s, "second").await;
    let ids = |v: Value| -> Vec<String> {
        v["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_string())
            .collect()
    };
    let at = |q: &'static str| {
        let url = url.clone();
        async move { ids(get_json(&format!("{url}/master/tasks{q}")).await) }
    };
    // Newest first by default, as the real master sorts.
    assert_eq!(at("").await, ["second", "first"]);
    assert_eq!(at("?order=asc").await, ["first", "second"]);
    assert_eq!(at("?order=asc&limit=1").await, ["first"]);
    assert_eq!(at("?order=asc&offset=1").await, ["second"]);
    assert_eq!(at("?limit=-1").await, ["second", "first"]);
    // offset + limit wraps in the master's size_t arithmetic: nothing.
    assert!(at("?limit=-1&offset=1").await.is_empty());
    assert_eq!(at("?task_id=first").await, ["first"]);
    assert!(at("?framework_id=nope").await.is_empty());
    m.shutdown().await;
}
