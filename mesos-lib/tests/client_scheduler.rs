//! The scheduler session against the embedded Mesos: subscribe, offers, launch, updates
//! and acknowledgements, kill, reconcile, close and teardown.
// Needs the embedded Mesos; compiled out when mesos-lib is built as cells build it (`cell` only).
#![cfg(feature = "client")]

mod client_support;

use client_support::*;
use mesos_lib::operator::OperatorClient;
use mesos_lib::scheduler::{ReconcileStatus, Scheduler, SessionState};
use mesos_lib::v1::offer::Operation;
use mesos_lib::v1::operation::OperationState;
use mesos_lib::v1::scheduler::EventType;
use mesos_lib::v1::{OperationId, Resource, Source, TaskId, TaskState};

#[tokio::test]
async fn subscribe_launch_ack_kill_teardown() {
    let m = mesos(1).await;
    let s = session(&m.url(), "lifecycle").await;
    let fid = s.framework_id().unwrap();
    assert!(fid.value.ends_with("-0000"), "{fid}");
    assert_eq!(s.stream_id().unwrap().len(), 36);
    s.wait_until(WAIT, "a heartbeat", |b| b.last_heartbeat)
        .await
        .unwrap();
    let interval = s.read(|b| b.heartbeat_interval).unwrap();
    assert_eq!(interval.as_millis(), 200);

    launch_running(&s, "t1", "sleep 300").await;
    // The used offer left the book; updates were acknowledged (RUNNING only comes after
    // STARTING was acknowledged), each recorded once.
    assert_eq!(history(&s, "t1"), [TaskState::Starting, TaskState::Running]);
    s.wait_until(WAIT, "two acks", |b| (b.acks_sent >= 2).then_some(()))
        .await
        .unwrap();

    s.kill("t1").await.unwrap();
    s.wait_for_task_state("t1", TaskState::Killed, WAIT)
        .await
        .unwrap();
    assert_eq!(
        history(&s, "t1"),
        [TaskState::Starting, TaskState::Running, TaskState::Killed]
    );
    // The event log holds the updates; heartbeats in a row share one entry.
    let logged = s.read(|b| {
        b.events
            .iter()
            .filter(|e| e.event.event_type == EventType::Update)
            .count()
    });
    assert!(logged >= 3);
    assert!(s.read(|b| {
        b.events.iter().zip(b.events.iter().skip(1)).all(|(a, z)| {
            a.event.event_type != EventType::Heartbeat || z.event.event_type != EventType::Heartbeat
        })
    }));

    s.teardown().await.unwrap();
    assert_eq!(s.state(), SessionState::Closed);
    assert!(s.is_finished());
    // The master closes the stream after TEARDOWN: that is the end, not a loss to recover from.
    assert_eq!(s.read(|b| b.reconnect_count), 0);
    let op = OperatorClient::connect(&m.url(), Default::default()).unwrap();
    let fws = op.get_frameworks().await.unwrap();
    assert!(
        fws.frameworks
            .iter()
            .all(|f| f.framework_info.id.as_ref() != Some(&fid))
    );
    m.shutdown().await;
}

#[tokio::test]
async fn manual_acks_echo_the_uuid_and_resent_updates_are_recorded_once() {
    let m = mesos(1).await;
    let mut cfg = config("manual-acks");
    cfg.auto_acknowledge = false;
    let s = Scheduler::connect(&m.url(), cfg).unwrap();
    s.wait_subscribed(WAIT).await.unwrap();
    let mut events = s.events();
    let offers = s.wait_for_offers(WAIT).await.unwrap();
    let task = mesos_lib::v1::TaskInfo::command(
        "m1",
        "m1",
        offers[0].agent_id.clone(),
        mesos_lib::v1::task::CommandInfo::shell("sleep 300"),
        vec![
            mesos_lib::v1::Resource::scalar("cpus", 0.1),
            mesos_lib::v1::Resource::scalar("mem", 32.0),
        ],
    );
    s.launch(&offers[0].id, vec![task]).await.unwrap();
    // Unacknowledged, the agent re-sends TASK_STARTING with the same uuid.
    let mut starting = Vec::new();
    while starting.len() < 2 {
        let e = tokio::time::timeout(WAIT, events.recv())
            .await
            .expect("event in time")
            .unwrap();
        if let Some(u) = &e.update {
            assert_eq!(u.status.state, TaskState::Starting);
            starting.push(u.status.clone());
        }
    }
    assert_eq!(starting[0].uuid, starting[1].uuid);
    assert_eq!(history(&s, "m1"), [TaskState::Starting]);
    assert_eq!(s.read(|b| b.acks_sent), 0);
    s.acknowledge(&starting[1]).await.unwrap();
    s.wait_for_task_state("m1", TaskState::Running, WAIT)
        .await
        .unwrap();
    assert_eq!(history(&s, "m1"), [TaskState::Starting, TaskState::Running]);
    s.close().await;
    m.shutdown().await;
}

#[tokio::test]
async fn reconciliation_runs_after_subscribe_and_answers_unknown_tasks() {
    let m = mesos(1).await;
    let s = session(&m.url(), "reconcile").await;
    launch_running(&s, "r1", "sleep 300").await;
    // After SUBSCRIBED the session reconciled (nothing known yet: implicit only).
    s.wait_until(WAIT, "reconciliation done", |b| {
        matches!(b.reconciliation, ReconcileStatus::Done { .. }).then_some(())
    })
    .await
    .unwrap();
    // STARTING and RUNNING were acknowledged (the second ack may still be in flight).
    let acks = s
        .wait_until(WAIT, "two acks", |b| {
            (b.acks_sent >= 2).then_some(b.acks_sent)
        })
        .await
        .unwrap();
    s.reconcile(vec![(TaskId::new("ghost"), None)])
        .await
        .unwrap();
    let st = s
        .wait_for_task_state("ghost", TaskState::Lost, WAIT)
        .await
        .unwrap();
    assert_eq!(st.source, Some(Source::Master));
    assert!(st.uuid.is_none());
    assert_eq!(
        st.message.as_deref(),
        Some("Reconciliation: Task is unknown")
    );
    // A master-generated update (no uuid) is never acknowledged.
    assert_eq!(s.read(|b| (b.acks_sent, b.ack_failures)), (acks, 0));
    // An explicit reconciliation of a running task answers without adding history.
    let seq = s.read(|b| b.tasks.get("r1").unwrap().last_seen_seq);
    s.reconcile(vec![(TaskId::new("r1"), None)]).await.unwrap();
    s.wait_until(WAIT, "r1 answered", |b| {
        (b.tasks.get("r1").unwrap().last_seen_seq > seq).then_some(())
    })
    .await
    .unwrap();
    assert_eq!(history(&s, "r1"), [TaskState::Starting, TaskState::Running]);
    s.close().await;
    m.shutdown().await;
}

#[tokio::test]
async fn close_ends_the_stream_task_without_teardown_and_the_framework_fails_over() {
    let m = mesos(1).await;
    let s = session(&m.url(), "close").await;
    let fid = s.framework_id().unwrap();
    launch_running(&s, "c1", "sleep 300").await;
    s.close().await;
    assert!(s.is_finished());
    assert_eq!(s.state(), SessionState::Closed);
    assert!(s.revive(vec![]).await.is_err());
    // No TEARDOWN: the framework is still registered and a new session takes it over.
    let op = OperatorClient::connect(&m.url(), Default::default()).unwrap();
    let state = op.legacy_state().await.unwrap();
    assert!(state.frameworks.iter().any(|f| f.id == fid.value));
    let mut cfg = config("close");
    cfg.framework_info.id = Some(fid.clone());
    let s2 = Scheduler::connect(&m.url(), cfg).unwrap();
    assert_eq!(s2.wait_subscribed(WAIT).await.unwrap(), fid);
    // Its reconciliation learns the running task it never launched itself.
    s2.wait_for_task_state("c1", TaskState::Running, WAIT)
        .await
        .unwrap();
    s2.close().await;
    m.shutdown().await;
}

#[tokio::test]
async fn an_operation_status_is_decoded_and_acknowledged() {
    let m = mesos(1).await;
    let mut cfg = config("operation-feedback");
    cfg.framework_info.role = Some("ops".into());
    let s = Scheduler::connect(&m.url(), cfg).unwrap();
    s.wait_subscribed(WAIT).await.unwrap();
    let mut events = s.events();
    let offer = s.wait_for_offers(WAIT).await.unwrap()[0].clone();
    let reserved: Vec<Resource> = serde_json::from_value(serde_json::json!([{
        "name": "cpus", "type": "SCALAR", "scalar": {"value": 0.5},
        "reservations": [{"type": "DYNAMIC", "role": "ops", "principal": "root"}]}]))
    .unwrap();
    // No `source`: that is a reservation update, which Mesos does not carry out yet.
    let mut reserve = Operation::reserve(Vec::new(), reserved);
    reserve.id = Some(OperationId::new("reserve-1"));
    s.accept(vec![offer.id.clone()], vec![reserve], None)
        .await
        .unwrap();
    // The master's UPDATE_OPERATION_STATUS carries its uuid as a UUID message: decoded, the
    // session acknowledges it, and the master forgets the operation (GET_OPERATIONS empty).
    let status = loop {
        let ev = tokio::time::timeout(WAIT, events.recv())
            .await
            .expect("an UPDATE_OPERATION_STATUS in time")
            .unwrap();
        if let Some(u) = &ev.update_operation_status {
            break u.status.clone();
        }
    };
    assert_eq!(status.state, OperationState::Finished, "{status:?}");
    assert_eq!(status.operation_id, Some(OperationId::new("reserve-1")));
    assert_eq!(status.uuid.expect("a uuid").value.as_slice().len(), 16);
    eventually("the operation acknowledged", || async {
        let (code, body) = operator(&m.url(), &serde_json::json!({"type": "GET_OPERATIONS"})).await;
        assert_eq!(code, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["get_operations"]["operations"]
            .as_array()
            .is_none_or(|ops| ops.is_empty())
            .then_some(())
    })
    .await;
    m.shutdown().await;
}
