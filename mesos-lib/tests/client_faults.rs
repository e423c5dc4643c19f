//! The session under faults injected into the embedded Mesos. Each ends subscribed again
//! under the same framework ID with every task's state correct: no update lost, none
//! duplicated in the task book.
// Needs the embedded Mesos; compiled out when mesos-lib is built as cells build it (`cell` only).
#![cfg(feature = "client")]

mod client_support;

use client_support::*;
use mesos_lib::operator::OperatorClient;
use mesos_lib::scheduler::{ReconcileStatus, Scheduler, SessionState};
use mesos_lib::v1::TaskState;

/// Running task `t` under a fresh session, its first reconciliation done; returns the
/// subscriptions count so far.
async fn with_running_task(url: &str, name: &str) -> (Scheduler, u64) {
    let s = session(url, name).await;
    launch_running(&s, "t", "sleep 300").await;
    s.wait_until(WAIT, "first reconciliation", |b| {
        matches!(b.reconciliation, ReconcileStatus::Done { completed: 1, .. }).then_some(())
    })
    .await
    .unwrap();
    let subs = s.read(|b| b.subscriptions);
    (s, subs)
}

/// The common ending: same framework, task still running, history exact, reconciled again
/// (a second completion: the first one's `Done` proves nothing about the resubscription).
async fn assert_recovered(s: &Scheduler, fid: &mesos_lib::v1::FrameworkId, subs: u64) {
    wait_resubscribed(s, subs).await;
    assert_eq!(&s.framework_id().unwrap(), fid);
    s.wait_until(WAIT, "reconciliation after resubscribe", |b| {
        matches!(b.reconciliation, ReconcileStatus::Done { completed, .. } if completed >= 2)
            .then_some(())
    })
    .await
    .unwrap();
    assert_eq!(s.task("t").unwrap().state(), TaskState::Running);
    assert_eq!(history(s, "t"), [TaskState::Starting, TaskState::Running]);
}

#[tokio::test]
async fn stream_dropped() {
    let m = mesos(1).await;
    let (s, subs) = with_running_task(&m.url(), "drop").await;
    let fid = s.framework_id().unwrap();
    assert!(m.drop_framework_stream(&fid.value));
    assert_recovered(&s, &fid, subs).await;
    let reason = s.read(|b| b.reconnects.back().unwrap().reason.clone());
    // The stream's end, or a call's 403 in the meantime, whichever the session saw first.
    assert!(
        reason.contains("closed") || reason.contains("403 Framework is not subscribed"),
        "{reason}"
    );
    s.close().await;
    m.shutdown().await;
}

#[tokio::test]
async fn heartbeats_stalled() {
    let m = mesos(1).await;
    let (s, subs) = with_running_task(&m.url(), "stall").await;
    let fid = s.framework_id().unwrap();
    // Hold the remaining offer so that nothing but heartbeats would flow.
    s.wait_for_offers(WAIT).await.unwrap();
    m.stall_heartbeats(true);
    s.wait_until(WAIT, "watchdog reconnect", |b| {
        b.reconnects
            .iter()
            .any(|r| r.reason.contains("heartbeats missed"))
            .then_some(())
    })
    .await
    .unwrap();
    m.stall_heartbeats(false);
    let subs_now = s.read(|b| b.subscriptions);
    assert_recovered(&s, &fid, subs_now.max(subs)).await;
    s.close().await;
    m.shutdown().await;
}

#[tokio::test]
async fn leader_changed() {
    let m = mesos(2).await;
    let urls = m.master_urls();
    let (s, subs) = with_running_task(&urls.join(","), "leader").await;
    let fid = s.framework_id().unwrap();
    let new_leader = m.fail_over_leader();
    assert_recovered(&s, &fid, subs).await;
    let leader = s.read(|b| b.leader.clone()).unwrap();
    assert_eq!(
        leader.trim_end_matches('/'),
        new_leader.trim_end_matches('/')
    );
    // Calls go to the new leader.
    s.revive(vec![]).await.unwrap();
    s.close().await;
    m.shutdown().await;
}

#[tokio::test]
async fn leader_changed_behind_a_follower_url() {
    // Only the first master is configured: after the change it answers 307 and the
    // session follows the protocol-relative Location.
    let m = mesos(2).await;
    let first = m.master_urls()[0].clone();
    let (s, subs) = with_running_task(&first, "follow307").await;
    let fid = s.framework_id().unwrap();
    let new_leader = m.fail_over_leader();
    assert_recovered(&s, &fid, subs).await;
    let leader = s.read(|b| b.leader.clone()).unwrap();
    assert_eq!(
        leader.trim_end_matches('/'),
        new_leader.trim_end_matches('/')
    );
    s.close().await;
    m.shutdown().await;
}

#[tokio::test]
async fn master_restarted() {
    let m = mesos(1).await;
    let (s, subs) = with_running_task(&m.url(), "restart").await;
    let fid = s.framework_id().unwrap();
    m.restart_master();
    assert_recovered(&s, &fid, subs).await;
    // The new master knows the framework again, under the same ID.
    let op = OperatorClient::connect(&m.url(), Default::default()).unwrap();
    // (The legacy endpoint: the embedded master's GET_FRAMEWORKS lists offers without
    // their required `hostname`, which typed decoding rightly refuses.)
    let state = op.legacy_state().await.unwrap();
    assert!(state.frameworks.iter().any(|f| f.id == fid.value));
    s.close().await;
    m.shutdown().await;
}

#[tokio::test]
async fn agent_removed() {
    let m = mesos(1).await;
    let (s, _) = with_running_task(&m.url(), "agent").await;
    let fid = s.framework_id().unwrap();
    s.wait_for_offers(WAIT).await.unwrap();
    let agent = m.agents()[0].id.clone();
    assert!(m.remove_agent(&agent));
    s.wait_for_task_state("t", TaskState::Lost, WAIT)
        .await
        .unwrap();
    // Its offers were rescinded; the session stays subscribed under the same ID.
    s.wait_until(WAIT, "offers rescinded", |b| {
        b.offers.is_empty().then_some(())
    })
    .await
    .unwrap();
    assert_eq!(s.state(), SessionState::Subscribed);
    assert_eq!(s.framework_id().unwrap(), fid);
    assert_eq!(
        history(&s, "t"),
        [TaskState::Starting, TaskState::Running, TaskState::Lost]
    );
    s.close().await;
    m.shutdown().await;
}

#[tokio::test]
async fn failed_over_by_another_scheduler_is_a_clear_state() {
    let m = mesos(1).await;
    let s = session(&m.url(), "failover").await;
    let fid = s.framework_id().unwrap();
    let mut cfg = config("failover");
    cfg.framework_info.id = Some(fid.clone());
    let s2 = Scheduler::connect(&m.url(), cfg).unwrap();
    assert_eq!(s2.wait_subscribed(WAIT).await.unwrap(), fid);
    let state = s
        .wait_for_state(WAIT, SessionState::is_terminal)
        .await
        .unwrap();
    assert_eq!(
        state,
        SessionState::Failed {
            reason: "Framework failed over".into()
        }
    );
    s.close().await;
    assert!(s.is_finished());
    s2.close().await;
    m.shutdown().await;
}

#[tokio::test]
async fn removed_framework_is_a_clear_state() {
    let m = mesos(1).await;
    let s = session(&m.url(), "removed").await;
    let fid = s.framework_id().unwrap();
    let op = OperatorClient::connect(&m.url(), Default::default()).unwrap();
    op.teardown(&fid).await.unwrap();
    let state = s
        .wait_for_state(WAIT, SessionState::is_terminal)
        .await
        .unwrap();
    assert_eq!(
        state,
        SessionState::Failed {
            reason: "Framework has been removed".into()
        }
    );
    assert!(s.wait_for_offers(WAIT).await.is_err());
    m.shutdown().await;
}
