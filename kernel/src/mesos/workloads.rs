//! Workloads: demo frameworks the kernel runs beside its own session, each subscribed in one
//! role and launching a short task on every offer it gets (one per offer, the rest returned), so several roles compete for the
//! cluster and the allocator's sharing (weights, quota, reservations) can be watched. Each is a
//! real framework (its own SUBSCRIBE stream, failover timeout 0), so a real master sees the
//! same; stopping one tears it down and its tasks end.

use super::role_resources::{covers, take_for_role};
use mesos_lib::resources::Want;
use mesos_lib::scheduler::Scheduler;
use mesos_lib::v1::{CommandInfo, Filters, Offer, Operation, Resource, TaskInfo};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// A workload's unused offer remainder is not refused at all: it goes back at once, and the
/// next allocation gives it to whichever role the allocator serves first. One task per offer
/// makes every task an allocation decision, as DRF's progressive filling.
const REFUSE_SECONDS: f64 = 0.0;

/// What a workload launches.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskShape {
    /// Per task.
    pub cpus: f64,
    /// Per task, MB.
    pub mem: f64,
    /// Each task sleeps between these many seconds (spread evenly over the tasks).
    pub seconds: (f64, f64),
    /// Stop launching after this many tasks (`None`: until stopped).
    pub max_tasks: Option<u64>,
}

impl TaskShape {
    fn want(&self) -> Want {
        Want {
            resources: vec![
                Resource::scalar("cpus", self.cpus),
                Resource::scalar("mem", self.mem),
            ],
            ports: 0,
        }
    }

    /// The n-th task's run time: the span walked in 10 steps, out of order, so tasks launched
    /// together end at different times.
    fn seconds_of(&self, n: u64) -> f64 {
        let (lo, hi) = self.seconds;
        let step = ((n * 7) % 11) as f64 / 10.0;
        ((lo + (hi - lo) * step) * 10.0).round() / 10.0
    }
}

/// One running workload.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Its name (also the framework's).
    pub name: String,
    /// The role it subscribes in.
    pub role: String,
    /// What it launches.
    pub shape: TaskShape,
    /// Its framework session.
    pub scheduler: Arc<Scheduler>,
    /// When it started.
    pub started: Instant,
    /// Tasks launched so far.
    pub launched: Arc<AtomicU64>,
    /// Roles of reserved resources its offers held (none but its own role's, ever).
    pub reserved_seen: Arc<Mutex<BTreeSet<String>>>,
    cancel: CancellationToken,
}

/// The kernel's workloads, by name; clones share them.
#[derive(Debug, Clone, Default)]
pub struct Workloads {
    inner: Arc<Mutex<BTreeMap<String, Workload>>>,
}

impl Workloads {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Workload>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The workload called `name`, if running.
    pub fn get(&self, name: &str) -> Option<Workload> {
        self.lock().get(name).cloned()
    }

    /// Every workload, by name.
    pub fn list(&self) -> Vec<Workload> {
        self.lock().values().cloned().collect()
    }

    /// Starts launching on `scheduler`'s offers (already subscribed) in the background.
    pub fn start(&self, name: &str, role: &str, shape: TaskShape, scheduler: Arc<Scheduler>) {
        let w = Workload {
            name: name.to_owned(),
            role: role.to_owned(),
            shape,
            scheduler,
            started: Instant::now(),
            launched: Arc::default(),
            reserved_seen: Arc::default(),
            cancel: CancellationToken::new(),
        };
        tokio::spawn(run(w.clone()));
        self.lock().insert(name.to_owned(), w);
    }

    /// Tears `name` down (its tasks end); false if there is none.
    pub async fn stop(&self, name: &str) -> bool {
        let Some(w) = self.lock().remove(name) else {
            return false;
        };
        w.cancel.cancel();
        if let Err(e) = w.scheduler.teardown().await {
            tracing::warn!(workload = name, error = %e, "TEARDOWN of a workload failed");
        }
        w.scheduler.close().await;
        true
    }

    /// Tears every workload down; returns their names.
    pub async fn stop_all(&self) -> Vec<String> {
        let names: Vec<String> = self.lock().keys().cloned().collect();
        for n in &names {
            self.stop(n).await;
        }
        names
    }
}

/// Launches on every offer until cancelled, the session ends or `max_tasks` is reached.
async fn run(w: Workload) {
    let want = w.shape.want();
    let s = &w.scheduler;
    // Offers already answered; one whose ACCEPT failed is not tried again.
    let mut tried: BTreeSet<String> = BTreeSet::new();
    loop {
        let fresh = s.wait_until(Duration::from_secs(3600), "an offer", |b| {
            let new: Vec<Offer> = (b.offers.list().iter())
                .filter(|o| !tried.contains(&o.id.value))
                .cloned()
                .collect();
            (!new.is_empty() || b.state.is_terminal()).then_some(new)
        });
        let offers = tokio::select! {
            r = fresh => r.unwrap_or_default(),
            _ = w.cancel.cancelled() => return,
        };
        if offers.is_empty() {
            // The session ended for good.
            return;
        }
        for offer in offers {
            tried.insert(offer.id.value.clone());
            note_reserved(&w, &offer);
            let done = w.launched.load(Ordering::Relaxed);
            let more = w.shape.max_tasks.is_none_or(|m| done < m);
            let resources = take_for_role(&want.resources, &offer.resources, &w.role);
            let n = u64::from(more && covers(&resources, &want.resources));
            let ops = if n == 1 {
                vec![Operation::launch(vec![task(&w, &offer, done, resources)])]
            } else {
                Vec::new()
            };
            let filters = Some(Filters::refuse_seconds(REFUSE_SECONDS));
            match s.accept(vec![offer.id.clone()], ops, filters).await {
                Ok(()) => {
                    w.launched.fetch_add(n, Ordering::Relaxed);
                }
                Err(e) => tracing::warn!(workload = %w.name, error = %e, "ACCEPT failed"),
            }
        }
    }
}

fn note_reserved(w: &Workload, offer: &Offer) {
    let roles = offer
        .resources
        .iter()
        .filter_map(|r| r.reservation_role().map(str::to_owned));
    w.reserved_seen
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .extend(roles);
}

fn task(w: &Workload, offer: &Offer, n: u64, resources: Vec<Resource>) -> TaskInfo {
    let secs = w.shape.seconds_of(n);
    TaskInfo::command(
        format!("{}-{n}", w.name),
        format!("{}-{n}", w.name),
        offer.agent_id.clone(),
        CommandInfo::shell(format!("sleep {secs}")),
        resources,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_times_spread_over_the_span() {
        let shape = TaskShape {
            cpus: 0.5,
            mem: 64.0,
            seconds: (4.0, 8.0),
            max_tasks: None,
        };
        let times: BTreeSet<u64> = (0..11)
            .map(|n| (shape.seconds_of(n) * 10.0) as u64)
            .collect();
        assert_eq!(times.len(), 11, "{times:?}");
        assert_eq!(times.first(), Some(&40));
        assert_eq!(times.last(), Some(&80));
    }
}
