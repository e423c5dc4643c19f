//! The launches the master hands an agent, carried out apart from the master's call and in the
//! order they came.
//!
//! A real master sends RunTask and RunTaskGroup messages and answers the scheduler's ACCEPT
//! without waiting for any task to start; the agent takes them in turn. Here the agent works
//! through them on a blocking thread, so an ACCEPT of hundreds of tasks no longer holds the
//! scheduler's connection while their sandboxes are made, and agents launch side by side.
//! Messages on one libprocess link arrive in order: whatever the master asks of an agent
//! after a launch (kill, shutdown, a message for an executor, draining, re-registration with a
//! restarted master) first lets the agent catch up (`Agent::catch_up`), and so do the agent's
//! own HTTP endpoints but its health. An agent that is removed or stopped closes its queue: the
//! launches still waiting are dropped, as a real agent shutting down drops pending tasks, and the
//! master accounts for them as it removes the agent.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use mesos_lib::v1::{FrameworkInfo, TaskInfo};
use parking_lot::ReentrantMutex;

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
    waiting: Mutex<Waiting>,
    /// Held by whoever carries launches out, so that they run one at a time, in order;
    /// re-entrant, since a launch may call back into its agent.
    running: ReentrantMutex<()>,
    /// A blocking thread is on its way to carry out what is waiting: one per agent at a time.
    scheduled: AtomicBool,
}

/// The queue itself, and whether the agent still takes launches (checked under one lock, so
/// that none slips in as the agent is removed).
#[derive(Default)]
struct Waiting {
    launches: VecDeque<Launch>,
    closed: bool,
}

impl LaunchQueue {
    fn waiting(&self) -> MutexGuard<'_, Waiting> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Nothing waits and no launch is being carried out (by another thread: this one may be
    /// inside a launch, which re-enters): there is nothing to catch up with. A runner holds
    /// `running` from before it takes a launch until after it is done.
    fn idle(&self) -> bool {
        self.waiting().launches.is_empty() && self.running.try_lock().is_some()
    }
}

impl Agent {
    /// Queues launches from the master and has them carried out on a blocking thread (inline
    /// outside a Tokio runtime). Called with the master's state locked, so that the agent
    /// takes launches in the order the master booked them.
    pub(crate) fn hand_over(self: &Arc<Self>, launches: impl IntoIterator<Item = Launch>) {
        {
            let mut waiting = self.launches.waiting();
            if waiting.closed {
                return;
            }
            waiting.launches.extend(launches);
        }
        if self.launches.scheduled.swap(true, Ordering::SeqCst) {
            return;
        }
        let agent = Arc::clone(self);
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => drop(rt.spawn_blocking(move || agent.run_scheduled())),
            Err(_) => agent.run_scheduled(),
        }
    }

    /// The scheduled runner: catches up until nothing waits and no other runner is scheduled.
    fn run_scheduled(self: &Arc<Self>) {
        loop {
            self.catch_up();
            self.launches.scheduled.store(false, Ordering::SeqCst);
            // A launch handed over between the last look and the flag falling found a runner
            // still scheduled: take it too, unless a new runner has claimed it since.
            if self.launches.waiting().launches.is_empty()
                || self.launches.scheduled.swap(true, Ordering::SeqCst)
            {
                return;
            }
        }
    }

    /// Carries out every launch handed over and not yet carried out, before anything that
    /// must see them. A launch reports to the master only through the agent's channel, so
    /// this may run with the master's state locked, but not with the agent's.
    pub(crate) fn catch_up(self: &Arc<Self>) {
        if self.launches.idle() {
            return;
        }
        // Most callers are on a Tokio worker (an HTTP handler, the master's mailbox): while
        // this waits for a batch of launches, the worker's other tasks move to another thread.
        match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
            Ok(tokio::runtime::RuntimeFlavor::MultiThread) => {
                tokio::task::block_in_place(|| self.catch_up_now())
            }
            _ => self.catch_up_now(),
        }
    }

    /// `catch_up`'s work, on the calling thread.
    fn catch_up_now(self: &Arc<Self>) {
        let _running = self.launches.running.lock();
        loop {
            let Some(next) = self.launches.waiting().launches.pop_front() else {
                break;
            };
            // A launch that panics is a bug of ours: it must not hold back the ones after it.
            let carried = std::panic::catch_unwind(AssertUnwindSafe(|| match next {
                Launch::Task(fw, task) => self.launch(&fw, task),
                Launch::Group(fw, group) => self.launch_group(&fw, group),
            }));
            if carried.is_err() {
                tracing::error!(agent = %self.id, "a launch panicked; its tasks stay STAGING");
            }
        }
    }

    /// Drops the launches still waiting and takes no more (the agent is removed or stops);
    /// returns once no launch is being carried out.
    pub(crate) fn close_launches(&self) {
        {
            let mut waiting = self.launches.waiting();
            waiting.closed = true;
            waiting.launches.clear();
        }
        drop(self.launches.running.lock());
    }
}
