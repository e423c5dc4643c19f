//! The operator client against the embedded Mesos: every typed GET_*, TEARDOWN, the volume
//! calls, the legacy JSON endpoints, and the event watch through a master restart and a leader
//! change.
// Needs the embedded Mesos; compiled out when mesos-lib is built as cells build it (`cell` only).
#![cfg(feature = "client")]

mod client_support;

use std::time::Duration;

use client_support::*;
use mesos_lib::operator::{OperatorClient, WatchConfig};
use mesos_lib::scheduler::SessionState;
use mesos_lib::v1::container::{Volume, VolumeMode};
use mesos_lib::v1::master::EventType;
use mesos_lib::v1::master::response::GetAgents;
use mesos_lib::v1::resources::{DiskInfo, Persistence, ReservationInfo, ReservationType, Scalar};
use mesos_lib::v1::{AgentId, Resource};

fn watch_config() -> WatchConfig {
    WatchConfig {
        reconnect_min_delay: Duration::from_millis(20),
        reconnect_max_delay: Duration::from_millis(300),
        ..WatchConfig::default()
    }
}

#[tokio::test]
async fn typed_calls_and_legacy_endpoints() {
    let m = mesos(1).await;
    let op = OperatorClient::connect(&m.url(), Default::default()).unwrap();
    assert!(op.get_health().await.unwrap().healthy);
    assert_eq!(
        op.get_version().await.unwrap().version_info.version,
        "1.11.0"
    );
    assert!(!op.get_flags().await.unwrap().flags.is_empty());
    assert!(!op.get_metrics(None).await.unwrap().metrics.is_empty());
    assert!(op.get_master().await.unwrap().master_info.is_some());
    assert_eq!(op.get_agents().await.unwrap().agents.len(), 1);
    op.get_roles().await.unwrap();

    let s = session(&m.url(), "operator").await;
    let fid = s.framework_id().unwrap();
    launch_running(&s, "o1", "sleep 300").await;
    // Offers would be listed without their `hostname` by the embedded master; decline them
    // so GET_STATE and GET_FRAMEWORKS decode.
    let offers: Vec<_> = s.offers().into_iter().map(|o| o.id).collect();
    s.decline(offers, Some(3600.0)).await.unwrap();
    s.suppress(vec![]).await.unwrap();
    let tasks = op.get_tasks().await.unwrap();
    assert!(tasks.tasks.iter().any(|t| t.task_id.value == "o1"));
    // Command executors are the agent's business: the master lists none, as real Mesos.
    op.get_executors().await.unwrap();
    let state = op.get_state().await.unwrap();
    assert!(
        state
            .get_tasks
            .unwrap()
            .tasks
            .iter()
            .any(|t| t.task_id.value == "o1")
    );

    let legacy = op.legacy_state().await.unwrap();
    assert_eq!(legacy.slaves.len(), 1);
    let fw = legacy
        .frameworks
        .iter()
        .find(|f| f.id == fid.value)
        .unwrap();
    assert_eq!(fw.tasks[0].id, "o1");
    let agent = op.agent_state(&m.agents()[0].url).await.unwrap();
    assert_eq!(agent.id, m.agents()[0].id);
    assert_eq!(agent.version, legacy.version);
    assert!(agent.resources.contains_key("cpus"));

    op.teardown(&fid).await.unwrap();
    s.wait_for_state(WAIT, SessionState::is_terminal)
        .await
        .unwrap();
    let fws = op.get_frameworks().await.unwrap();
    assert!(
        fws.completed_frameworks
            .iter()
            .any(|f| f.framework_info.id.as_ref() == Some(&fid))
    );
    m.shutdown().await;
}

/// `size` MB of disk reserved for role `web` by the operator.
fn web_disk(size: f64) -> Resource {
    let mut r = Resource::scalar("disk", size);
    r.reservations = vec![ReservationInfo {
        reservation_type: Some(ReservationType::Dynamic),
        role: Some("web".into()),
        ..Default::default()
    }];
    r
}

/// Volume `id` of `size` MB on `web`'s disk, at `data` in a task's sandbox.
fn web_volume(id: &str, size: f64) -> Resource {
    let mut r = web_disk(size);
    r.disk = Some(DiskInfo {
        persistence: Some(Persistence {
            id: id.into(),
            ..Default::default()
        }),
        volume: Some(Volume {
            mode: Some(VolumeMode::Rw),
            container_path: "data".into(),
            ..Default::default()
        }),
        ..Default::default()
    });
    r
}

/// The size of volume `id` and of the plain disk reserved for `web` on the only agent.
fn web_disk_sizes(agents: &GetAgents, id: &str) -> (f64, f64) {
    let total = &agents.agents[0].total_resources;
    let sum = |volume: bool| -> f64 {
        total
            .iter()
            .filter(|r| r.name == "disk" && r.reservation_role() == Some("web"))
            .filter(|r| {
                let pid = r.disk.as_ref().and_then(|d| d.persistence.as_ref());
                if volume {
                    pid.is_some_and(|p| p.id == id)
                } else {
                    pid.is_none()
                }
            })
            .map(|r| r.scalar.as_ref().map_or(0.0, |s| s.value))
            .sum()
    };
    (sum(true), sum(false))
}

#[tokio::test]
async fn volumes_are_created_grown_shrunk_and_destroyed() {
    let m = mesos(1).await;
    let op = OperatorClient::connect(&m.url(), Default::default()).unwrap();
    let agent = AgentId::new(m.agents()[0].id.clone());
    op.reserve_resources(agent.clone(), vec![web_disk(64.0)])
        .await
        .unwrap();
    op.create_volumes(agent.clone(), vec![web_volume("v1", 32.0)])
        .await
        .unwrap();
    let sizes = || async { web_disk_sizes(&op.get_agents().await.unwrap(), "v1") };
    assert_eq!(sizes().await, (32.0, 32.0));

    op.grow_volume(agent.clone(), web_volume("v1", 32.0), web_disk(16.0))
        .await
        .unwrap();
    assert_eq!(sizes().await, (48.0, 16.0));
    op.shrink_volume(agent.clone(), web_volume("v1", 48.0), Scalar::new(40.0))
        .await
        .unwrap();
    assert_eq!(sizes().await, (8.0, 56.0));

    // Refusals reach the caller with the master's text, and change nothing.
    let e = op
        .shrink_volume(agent.clone(), web_volume("v1", 8.0), Scalar::new(8.0))
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(400), "{e}");
    assert!(
        e.reason().unwrap().contains(
            "Value of 'ShrinkVolume.subtract' must be smaller than the size of 'ShrinkVolume.volume'"
        ),
        "{e}"
    );
    let e = op
        .grow_volume(agent.clone(), web_volume("v1", 8.0), web_disk(57.0))
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(409), "{e}");
    assert!(e.reason().unwrap().contains("does not contain"), "{e}");
    assert_eq!(sizes().await, (8.0, 56.0));

    op.destroy_volumes(agent, vec![web_volume("v1", 8.0)])
        .await
        .unwrap();
    assert_eq!(sizes().await, (0.0, 64.0));
    m.shutdown().await;
}

#[tokio::test]
async fn watch_streams_events_and_survives_a_master_restart() {
    let m = mesos(1).await;
    let op = OperatorClient::connect(&m.url(), Default::default()).unwrap();
    let w = op.subscribe(watch_config());
    let mut events = w.events();
    w.wait_until(WAIT, |s| s.state == SessionState::Subscribed)
        .await
        .unwrap();
    // Suppressed: the embedded master lists offers without their `hostname` in the
    // operator SUBSCRIBED snapshot, which typed decoding refuses.
    let mut cfg = config("watched");
    cfg.suppressed_roles = vec!["*".into()];
    let s = mesos_lib::scheduler::Scheduler::connect(&m.url(), cfg).unwrap();
    s.wait_subscribed(WAIT).await.unwrap();
    loop {
        let e = tokio::time::timeout(WAIT, events.recv())
            .await
            .expect("event in time")
            .unwrap();
        if e.event_type == EventType::FrameworkAdded {
            break;
        }
    }
    w.wait_until(WAIT, |s| s.last_heartbeat.is_some())
        .await
        .unwrap();
    m.restart_master();
    let st = w
        .wait_until(WAIT, |s| {
            s.subscriptions >= 2 && s.state == SessionState::Subscribed
        })
        .await
        .unwrap();
    assert!(st.reconnect_count >= 1);
    s.close().await;
    w.close().await;
    assert_eq!(w.status().state, SessionState::Closed);
    m.shutdown().await;
}

#[tokio::test]
async fn watch_and_calls_follow_a_leader_change() {
    let m = mesos(2).await;
    let first = m.master_urls()[0].clone();
    let op = OperatorClient::connect(&first, Default::default()).unwrap();
    let w = op.subscribe(watch_config());
    w.wait_until(WAIT, |s| s.state == SessionState::Subscribed)
        .await
        .unwrap();
    let new_leader = m.fail_over_leader();
    w.wait_until(WAIT, |s| {
        s.subscriptions >= 2 && s.state == SessionState::Subscribed
    })
    .await
    .unwrap();
    // The first master now redirects; the call follows and remembers the leader.
    assert!(op.get_health().await.unwrap().healthy);
    op.get_master().await.unwrap();
    assert_eq!(
        op.leader().unwrap().as_str().trim_end_matches('/'),
        new_leader.trim_end_matches('/')
    );
    w.close().await;
    m.shutdown().await;
}
