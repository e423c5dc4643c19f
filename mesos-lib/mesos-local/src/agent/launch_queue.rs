//! The launches the master hands an agent, carried out apart from the master's call and in the
//! order they came.
//!
//! A real master sends RunTask and RunTaskGroup messages and answers the scheduler's ACCEPT
//! without waiting for any task to start; the agent takes them in turn. Here the agent works
//! through them on a blocking thread, so an ACCEPT of hundreds of tasks no longer holds the
//! scheduler's connection while their sandboxes are made, and agents launch side by side.
//! Messages on one libprocess link arrive in order: whatever the master asks of an agent
//! after a launch (kill, shutdown, a message for an executor, draining) first lets the agent
//! catch up (`Agent::catch_up`), and so do the agent's own HTTP endpoints.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::ThreadId;

use mesos_lib::v1::{FrameworkInfo, TaskInfo};

use super::Agent;
use crate::master::launch_group::GroupLaunch;

/// One launch the master handed over.
pub(crate) enum Launch {
    /// A task of its own (LAUNCH).
    Task(FrameworkInfo, Arc<TaskInfo>),
    /// A task group (LAUNCH_GROUP).
    Group(FrameworkInfo, GroupLaunch),
}

/// Launches handed over and not yet carried out.
#[derive(Default)]
pub(crate) struct LaunchQueue {
    waiting: Mutex<VecDeque<Launch>>,
    /// Held by whoever carries launches out, so that they run one at a time, in order.
    running: Mutex<()>,
    /// The thread holding `running`: a launch that calls back into the agent must not wait
    /// for itself.
    runner: Mutex<Option<ThreadId>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Agent {
    /// Queues launches from the master and carries them out on a blocking thread (inline
    /// outside a Tokio runtime).
    pub(crate) fn hand_over(self: &Arc<Self>, launches: impl IntoIterator<Item = Launch>) {
        lock(&self.launches.waiting).extend(launches);
        let agent = Arc::clone(self);
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => drop(rt.spawn_blocking(move || agent.catch_up())),
            Err(_) => agent.catch_up(),
        }
    }

    /// Carries out every launch handed over and not yet carried out, before anything that
    /// must see them. Never called with the master's state locked: a launch reports to it.
    pub(crate) fn catch_up(self: &Arc<Self>) {
        let me = std::thread::current().id();
        if *lock(&self.launches.runner) == Some(me) {
            return;
        }
        let _running = lock(&self.launches.running);
        let _runner = Runner::mark(&self.launches.runner, me);
        loop {
            let next = lock(&self.launches.waiting).pop_front();
            match next {
                Some(Launch::Task(fw, task)) => self.launch(&fw, task),
                Some(Launch::Group(fw, group)) => self.launch_group(&fw, group),
                None => break,
            }
        }
    }
}

/// Marks the thread carrying launches out, until dropped (a panicking launch included).
struct Runner<'a>(&'a Mutex<Option<ThreadId>>);

impl<'a> Runner<'a> {
    fn mark(slot: &'a Mutex<Option<ThreadId>>, me: ThreadId) -> Runner<'a> {
        *lock(slot) = Some(me);
        Runner(slot)
    }
}

impl Drop for Runner<'_> {
    fn drop(&mut self) {
        *lock(self.0) = None;
    }
}
