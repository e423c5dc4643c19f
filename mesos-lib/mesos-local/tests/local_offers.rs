//! Outstanding offers as the operator API lists them: full `Offer`s (hostname, url,
//! resources), so the typed `v1::master` decoders accept GET_STATE, GET_FRAMEWORKS and the
//! SUBSCRIBED snapshot while a framework holds an offer.
// Needs the embedded Mesos; compiled out when mesos-lib is built as cells build it (`cell` only).

mod local_common;

use local_common::*;
use mesos_lib::v1::master::{Event, EventType, Response};
use mesos_lib::v1::offer::Offer;
use serde_json::json;

/// Checks that the listed offers are exactly the one the scheduler received, in full.
fn assert_same_offer(listed: &[Offer], sent: &Offer, what: &str) {
    assert_eq!(listed.len(), 1, "{what}: one outstanding offer");
    let o = &listed[0];
    assert_eq!(o, sent, "{what}: listed offer equals the offer sent");
    assert!(!o.hostname.is_empty(), "{what}: hostname");
    assert!(o.url.is_some(), "{what}: url");
    assert!(
        o.resources.iter().any(|r| r.name == "cpus"),
        "{what}: resources"
    );
}

#[tokio::test]
async fn operator_views_list_full_offers() {
    let m = start(1).await;
    let url = m.url();
    let mut s = subscribe(&url, framework("offers")).await;
    assert_eq!(s.status, 200);
    let ev = s.until("OFFERS").await;
    let sent: Vec<Offer> = serde_json::from_value(ev["offers"]["offers"].clone()).unwrap();
    assert_eq!(sent.len(), 1);
    let sent = &sent[0];
    assert!(!sent.hostname.is_empty());
    let port = sent.url.as_ref().unwrap().address.port;
    assert!(m.agents()[0].url.ends_with(&format!(":{port}")));
    assert_eq!(sent.framework_id.value, s.framework_id);

    let (code, body) = operator(&url, &json!({"type": "GET_STATE"})).await;
    assert_eq!(code, 200);
    let r: Response = serde_json::from_str(&body).expect("GET_STATE decodes as typed");
    let frameworks = r.get_state.unwrap().get_frameworks.unwrap().frameworks;
    assert_eq!(frameworks.len(), 1);
    assert_same_offer(&frameworks[0].offers, sent, "GET_STATE");

    let (code, body) = operator(&url, &json!({"type": "GET_FRAMEWORKS"})).await;
    assert_eq!(code, 200);
    let r: Response = serde_json::from_str(&body).expect("GET_FRAMEWORKS decodes as typed");
    let frameworks = r.get_frameworks.unwrap().frameworks;
    assert_same_offer(&frameworks[0].offers, sent, "GET_FRAMEWORKS");

    let mut op = operator_stream(&url).await;
    assert_eq!(op.status, 200);
    let first = op.next().await.expect("SUBSCRIBED");
    let ev: Event = serde_json::from_value(first).expect("SUBSCRIBED decodes as typed");
    assert_eq!(ev.event_type, EventType::Subscribed);
    let snapshot = ev.subscribed.unwrap().get_state.unwrap();
    let frameworks = snapshot.get_frameworks.unwrap().frameworks;
    assert_same_offer(&frameworks[0].offers, sent, "SUBSCRIBED");

    // Once declined the offer is gone from the listing.
    let decline = json!({"type": "DECLINE", "framework_id": {"value": s.framework_id},
        "decline": {"offer_ids": [sent.id], "filters": {"refuse_seconds": 3600.0}}});
    assert_eq!(call(&url, Some(&s.stream_id), &decline).await.0, 202);
    let (_, body) = operator(&url, &json!({"type": "GET_FRAMEWORKS"})).await;
    let r: Response = serde_json::from_str(&body).unwrap();
    assert!(r.get_frameworks.unwrap().frameworks[0].offers.is_empty());
    m.shutdown().await;
}
