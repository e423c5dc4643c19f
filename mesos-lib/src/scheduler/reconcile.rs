//! Reconciliation after every SUBSCRIBED: explicit for the tasks the book knows, retrying
//! unanswered ones with truncated exponential backoff, then implicit; then implicit
//! periodically. One runs at a time: a new SUBSCRIBED aborts the one in flight.

use std::sync::Arc;
use std::time::SystemTime;

use super::book::ReconcileStatus;
use super::session::Shared;
use super::wait;
use crate::v1::scheduler::Call;
use crate::v1::{AgentId, TaskId};

/// Aborts the reconciliation in flight and starts a new one.
pub(crate) fn restart(shared: &Arc<Shared>) {
    let mut slot = shared.reconciler.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(h) = slot.take() {
        h.abort();
    }
    *slot = Some(tokio::spawn(run(Arc::clone(shared))));
}

fn unanswered(
    shared: &Shared,
    tasks: &[(TaskId, Option<AgentId>)],
    since: u64,
) -> Vec<(TaskId, Option<AgentId>)> {
    shared.read(|b| {
        tasks
            .iter()
            .filter(|(t, _)| {
                b.tasks
                    .get(&t.value)
                    .is_none_or(|r| r.last_seen_seq <= since)
            })
            .cloned()
            .collect()
    })
}

async fn run(shared: Arc<Shared>) {
    let cfg = &shared.cfg;
    let Some(fid) = shared.read(|b| b.framework_id.clone()) else {
        return;
    };
    let mut pending = shared.read(|b| b.tasks.non_terminal());
    let mut delay = cfg.reconcile_min_delay;
    let mut round = 0;
    while !pending.is_empty() && round < cfg.reconcile_max_rounds {
        round += 1;
        let since = shared.read(|b| b.tasks.seq());
        shared.update(|b| {
            b.reconciliation = ReconcileStatus::Explicit {
                round,
                pending: pending.iter().map(|(t, _)| t.clone()).collect(),
            }
        });
        if let Err(e) = shared
            .send(&Call::reconcile(fid.clone(), pending.clone()))
            .await
        {
            // The stream task resubscribes, and the next SUBSCRIBED starts over.
            tracing::debug!(error = %e, "explicit reconciliation failed");
            return;
        }
        let asked = pending.clone();
        wait::until(&shared, delay, |b| {
            asked
                .iter()
                .all(|(t, _)| {
                    b.tasks
                        .get(&t.value)
                        .is_some_and(|r| r.last_seen_seq > since)
                })
                .then_some(())
        })
        .await;
        pending = unanswered(&shared, &pending, since);
        delay = (delay * 2).min(cfg.reconcile_max_delay);
    }
    if let Err(e) = shared.send(&Call::reconcile(fid.clone(), Vec::new())).await {
        tracing::debug!(error = %e, "implicit reconciliation failed");
        return;
    }
    shared.update(|b| {
        b.reconciliations_completed += 1;
        b.reconciliation = ReconcileStatus::Done {
            at: SystemTime::now(),
            unanswered: pending.iter().map(|(t, _)| t.clone()).collect(),
            completed: b.reconciliations_completed,
        };
    });
    let Some(period) = cfg.periodic_reconcile else {
        return;
    };
    loop {
        tokio::time::sleep(period).await;
        if let Err(e) = shared.send(&Call::reconcile(fid.clone(), Vec::new())).await {
            tracing::debug!(error = %e, "periodic reconciliation failed");
            return;
        }
    }
}
