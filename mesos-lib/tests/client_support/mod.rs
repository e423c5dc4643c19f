//! Shared helpers for the client tests: a tuned session and task launching, on the embedded
//! Mesos that `local_common` starts (one pacing and one wait bound for every test).
//! Everything waits on conditions with timeouts; nothing sleeps.
#![allow(dead_code)]

use std::time::Duration;

use mesos_lib::scheduler::{Scheduler, SchedulerConfig, SessionState};
use mesos_lib::v1::task::CommandInfo;
use mesos_lib::v1::{FrameworkInfo, Resource, TaskInfo, TaskState};

#[path = "../../mesos-local/tests/local_common/mod.rs"]
mod local_common;

#[allow(unused_imports)] // each test crate uses some of them
pub use local_common::{WAIT, eventually, fast_config, operator, start as mesos};

/// A framework that survives disconnects for an hour.
pub fn framework(name: &str) -> FrameworkInfo {
    let mut f = FrameworkInfo::new("root", name);
    f.failover_timeout = Some(3600.0);
    f
}

/// Session settings for tests: quick reconnects and reconciliation, no periodic run.
pub fn config(name: &str) -> SchedulerConfig {
    let mut c = SchedulerConfig::new(framework(name));
    c.reconnect_min_delay = Duration::from_millis(20);
    c.reconnect_max_delay = Duration::from_millis(300);
    c.reconcile_min_delay = Duration::from_millis(300);
    c.reconcile_max_delay = Duration::from_secs(1);
    c.periodic_reconcile = None;
    c
}

/// A subscribed session.
pub async fn session(url: &str, name: &str) -> Scheduler {
    let s = Scheduler::connect(url, config(name)).expect("session starts");
    s.wait_subscribed(WAIT).await.expect("subscribed");
    s
}

/// Launches `command` as task `task_id` on the first offer and waits until it runs.
pub async fn launch_running(s: &Scheduler, task_id: &str, command: &str) {
    let offers = s.wait_for_offers(WAIT).await.expect("an offer");
    let offer = &offers[0];
    let task = TaskInfo::command(
        task_id,
        task_id,
        offer.agent_id.clone(),
        CommandInfo::shell(command),
        vec![Resource::scalar("cpus", 0.1), Resource::scalar("mem", 32.0)],
    );
    s.launch(&offer.id, vec![task])
        .await
        .expect("launch accepted");
    s.wait_for_task_state(task_id, TaskState::Running, WAIT)
        .await
        .expect("task running");
}

/// The states in a task's history, oldest first.
pub fn history(s: &Scheduler, task_id: &str) -> Vec<TaskState> {
    s.task(task_id)
        .map(|t| t.history.iter().map(|st| st.state.clone()).collect())
        .unwrap_or_default()
}

/// Waits until the session resubscribed after at least one lost stream.
pub async fn wait_resubscribed(s: &Scheduler, subscriptions_before: u64) {
    s.wait_until(WAIT, "resubscription", |b| {
        (b.state == SessionState::Subscribed
            && b.subscriptions > subscriptions_before
            && b.reconnect_count >= 1)
            .then_some(())
    })
    .await
    .expect("resubscribed");
}
