//! The stream task: subscribe, read events under a heartbeat watchdog, and on any loss
//! resubscribe (same framework ID) after a jittered exponential backoff. ERROR events and
//! refusals end the session in `Failed` with Mesos's reason; nothing ends it silently.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use tokio::sync::mpsc;

use super::book::Book;
use super::config::SchedulerConfig;
use super::offers::OfferEnd;
use super::reconcile;
use super::session::Shared;
use super::state::SessionState;
use super::tasks::Applied;
use crate::httpcli::{
    Backoff, ErrorKind, EventStream, HttpError, SCHEDULER_PATH, STREAM_ID_HEADER,
};
use crate::v1::FrameworkId;
use crate::v1::scheduler::event::{Subscribed, Update};
use crate::v1::scheduler::{Call, Event, EventType};

/// A request to drop the stream `stream_id` and resubscribe (a call got 403).
#[derive(Debug)]
pub(crate) struct Kick {
    pub(crate) stream_id: String,
    pub(crate) reason: String,
}

/// How one subscription ended.
enum Outcome {
    /// Lost; resubscribe.
    Retry(String),
    /// Refused for good.
    Fatal(String),
}

/// Runs until the session is closed or fails.
pub(crate) async fn run(shared: Arc<Shared>, mut kicks: mpsc::UnboundedReceiver<Kick>) {
    let cfg = &shared.cfg;
    let mut backoff = Backoff::new(cfg.reconnect_min_delay, cfg.reconnect_max_delay);
    loop {
        let outcome = tokio::select! {
            _ = shared.cancel.cancelled() => break,
            o = subscribe_and_read(&shared, &mut kicks, &mut backoff) => o,
        };
        stop_reconciler(&shared);
        match outcome {
            Outcome::Fatal(reason) => {
                tracing::error!(%reason, "scheduler session failed");
                shared.update(|b| {
                    b.state = SessionState::Failed { reason };
                    b.stream_id = None;
                    b.drop_offers();
                });
                break;
            }
            Outcome::Retry(_)
                if shared
                    .tearing_down
                    .load(std::sync::atomic::Ordering::SeqCst) =>
            {
                tracing::debug!("the master closed the stream after our TEARDOWN");
                break;
            }
            Outcome::Retry(reason) => {
                let delay = backoff.next_delay();
                tracing::warn!(%reason, ?delay, "scheduler stream lost; resubscribing");
                shared.update(|b| {
                    b.record_reconnect(reason.clone());
                    b.state = SessionState::Reconnecting { reason };
                    b.stream_id = None;
                    // Offers and inverse offers never survive a disconnect.
                    b.drop_offers();
                });
                tokio::select! {
                    _ = shared.cancel.cancelled() => break,
                    _ = tokio::time::sleep(delay) => {}
                }
            }
        }
    }
    stop_reconciler(&shared);
    shared.update(|b| {
        b.stream_id = None;
        if !b.state.is_terminal() {
            b.state = SessionState::Closed;
        }
    });
}

fn stop_reconciler(shared: &Shared) {
    if let Some(h) = shared
        .reconciler
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
    {
        h.abort();
    }
}

/// Whether a failed SUBSCRIBE is worth retrying.
fn retryable(e: &HttpError) -> bool {
    e.is_temporary()
        || matches!(e.kind(), ErrorKind::OtherStatus | ErrorKind::Protocol)
            && !matches!(e, HttpError::Config(_) | HttpError::InvalidUrl { .. })
}

async fn subscribe_and_read(
    shared: &Arc<Shared>,
    kicks: &mut mpsc::UnboundedReceiver<Kick>,
    backoff: &mut Backoff,
) -> Outcome {
    let cfg = &shared.cfg;
    let leader = match shared.detector.leader(&shared.http).await {
        Ok(l) => l,
        Err(e) => return Outcome::Retry(format!("no leading master: {e}")),
    };
    let body = match subscribe_body(shared) {
        Ok(b) => b,
        Err(e) => return Outcome::Fatal(format!("cannot encode SUBSCRIBE: {e}")),
    };
    let reply = match shared.http.open_stream(&leader, SCHEDULER_PATH, body).await {
        Ok(r) => r,
        Err(e) if retryable(&e) => return Outcome::Retry(format!("SUBSCRIBE failed: {e}")),
        Err(e) => return Outcome::Fatal(format!("SUBSCRIBE refused: {e}")),
    };
    let Some(stream_id) = reply.header(STREAM_ID_HEADER) else {
        return Outcome::Retry("SUBSCRIBE answered without a Mesos-Stream-Id".into());
    };
    let leader = reply.leader.to_string();
    tracing::debug!(%leader, %stream_id, "scheduler stream open");
    shared.update(|b| {
        b.set_leader(leader);
        b.stream_id = Some(stream_id.clone());
    });
    // A detector that watches the election (ZooKeeper) says when this leader is deposed.
    let mut changes = shared.detector.leader_changes();
    if let Some(c) = changes.as_mut() {
        c.borrow_and_update();
    }
    let connected = reply.leader.clone();
    let mut stream = EventStream::<Event>::new(reply.response, cfg.http.max_record_size);
    // Until SUBSCRIBED announces the interval, allow one ordinary call timeout.
    let mut watchdog = cfg.http.request_timeout;
    loop {
        let next = tokio::select! {
            biased;
            kick = kicks.recv() => match kick {
                Some(k) if k.stream_id == stream_id => return Outcome::Retry(k.reason),
                // A kick about an older stream, or no handle left: keep reading.
                _ => continue,
            },
            moved = crate::detector::deposed(changes.as_mut(), &connected) => {
                return Outcome::Retry(format!("the leading master changed to {moved}"));
            }
            n = tokio::time::timeout(watchdog, stream.next()) => n,
        };
        let event = match read_event(shared, next, watchdog) {
            Ok(Some(event)) => event,
            Ok(None) => continue,
            Err(ended) => return ended,
        };
        if let Some(reason) = handle_event(shared, event, &mut watchdog) {
            return Outcome::Fatal(reason);
        }
        if shared.read(|b| b.state == SessionState::Subscribed) {
            backoff.reset();
        }
    }
}

/// The SUBSCRIBE call for the framework as the book holds it (its id once it has one).
fn subscribe_body(shared: &Shared) -> Result<Bytes, serde_json::Error> {
    let mut info = shared.read(|b| b.framework_info.clone());
    info.id = shared.read(|b| b.framework_id.clone());
    let mut call = Call::subscribe(info);
    if let Some(s) = call.subscribe.as_mut() {
        // What SUPPRESS/REVIVE left in the book (it starts as the config's), so a
        // resubscription does not silently unsuppress.
        s.suppressed_roles = shared.read(|b| b.suppressed_roles.iter().cloned().collect());
    }
    serde_json::to_vec(&call).map(Bytes::from)
}

/// One read of the event stream: the event, `None` for one skipped, or how the stream ended.
fn read_event(
    shared: &Shared,
    next: Result<Option<Result<Event, HttpError>>, tokio::time::error::Elapsed>,
    watchdog: Duration,
) -> Result<Option<Event>, Outcome> {
    match next {
        Err(_) => Err(Outcome::Retry(format!(
            "no event for {watchdog:?}: heartbeats missed, stream presumed dead"
        ))),
        Ok(None) => Err(Outcome::Retry("the master closed the event stream".into())),
        // One event this library cannot type is skipped: reconnecting would replay it forever.
        Ok(Some(Err(e @ HttpError::Decode { .. }))) => {
            tracing::warn!(error = %e, "skipping an undecodable event");
            shared.update(|b| {
                if b.warnings.len() < 100 {
                    b.warnings
                        .push(format!("skipped an undecodable event: {e}"));
                }
            });
            Ok(None)
        }
        Ok(Some(Err(e))) => Err(Outcome::Retry(format!("event stream broke: {e}"))),
        Ok(Some(Ok(event))) => Ok(Some(event)),
    }
}

/// Applies one event to the book; returns a reason when it ends the session.
fn handle_event(shared: &Arc<Shared>, event: Event, watchdog: &mut Duration) -> Option<String> {
    let cfg = &shared.cfg;
    let event = Arc::new(event);
    let now = SystemTime::now();
    let mut fatal = None;
    let mut to_ack: Option<Call> = None;
    let mut subscribed = false;
    shared.update(|b| {
        b.last_event = Some(now);
        match event.event_type {
            EventType::Subscribed => {
                if let Some(s) = &event.subscribed {
                    *watchdog = on_subscribed(b, s, cfg);
                    subscribed = true;
                }
            }
            EventType::Heartbeat => b.last_heartbeat = Some(now),
            EventType::Offers => {
                if let Some(o) = &event.offers {
                    b.offers.add(o.offers.iter().cloned());
                }
            }
            EventType::InverseOffers => {
                if let Some(o) = &event.inverse_offers {
                    b.add_inverse_offers(&o.inverse_offers);
                }
            }
            EventType::RescindInverseOffer => {
                if let Some(r) = &event.rescind_inverse_offer {
                    b.retire_inverse_offer(&r.inverse_offer_id);
                }
            }
            EventType::Rescind => {
                if let Some(r) = &event.rescind {
                    b.offers.retire(&r.offer_id, OfferEnd::Rescinded);
                }
            }
            EventType::Update => {
                if let Some(u) = &event.update {
                    to_ack = on_update(b, u, cfg);
                }
            }
            EventType::Error => {
                let message = event
                    .error
                    .as_ref()
                    .map(|e| e.message.clone())
                    .unwrap_or_else(|| "ERROR event without a message".into());
                fatal = Some(message);
            }
            _ => {}
        }
        b.log_event(Arc::clone(&event));
    });
    let _ = shared.events.send(Arc::clone(&event));
    if let Some(call) = to_ack {
        // To the ack task (`acks`), which sends them in pipelined batches.
        let _ = shared.acks.send(call);
    }
    if event.event_type == EventType::UpdateOperationStatus && cfg.auto_acknowledge {
        spawn_operation_ack(shared, &event);
    }
    if subscribed {
        tracing::info!(framework = ?shared.read(|b| b.framework_id.clone()), "subscribed");
        reconcile::restart(shared);
    }
    fatal
}

/// SUBSCRIBED: the framework ID (a changed one warned about), heartbeat interval and
/// leader noted; gives the watchdog's new limit, missed heartbeats' worth of the interval.
fn on_subscribed(b: &mut Book, s: &Subscribed, cfg: &SchedulerConfig) -> Duration {
    if let Some(old) = &b.framework_id
        && old != &s.framework_id
    {
        let w = format!(
            "framework ID changed from {old} to {}: the old framework is gone",
            s.framework_id
        );
        tracing::warn!("{w}");
        b.warnings.push(w);
    }
    b.framework_id = Some(s.framework_id.clone());
    let interval = s
        .heartbeat_interval_seconds
        .and_then(|v| Duration::try_from_secs_f64(v).ok())
        .filter(|d| !d.is_zero())
        .unwrap_or(Duration::from_secs(15));
    b.heartbeat_interval = Some(interval);
    b.master_info = s.master_info.clone();
    b.subscriptions += 1;
    b.state = SessionState::Subscribed;
    interval * cfg.heartbeat_misses.max(1)
}

/// UPDATE: applied to the task book; gives the acknowledgement to send, if acknowledging.
fn on_update(b: &mut Book, u: &Update, cfg: &SchedulerConfig) -> Option<Call> {
    let applied: Applied = b.tasks.apply(&u.status);
    tracing::debug!(task = ?u.status.task_id, state = %u.status.state, ?applied, "status update");
    // Duplicates are acknowledged again: the agent re-sent because it had none.
    // The uuid is echoed unchanged.
    let s = &u.status;
    if !cfg.auto_acknowledge {
        return None;
    }
    let (Some(fid), Some(tid), Some(aid), Some(uuid)) =
        (&b.framework_id, &s.task_id, &s.agent_id, &s.uuid)
    else {
        return None;
    };
    Some(Call::acknowledge(
        fid.clone(),
        aid.clone(),
        tid.clone(),
        uuid.clone(),
    ))
}

fn spawn_operation_ack(shared: &Arc<Shared>, event: &Event) {
    let Some(status) = event.update_operation_status.as_ref().map(|u| &u.status) else {
        return;
    };
    let (Some(uuid), Some(operation_id)) = (
        status.uuid.as_ref().map(|u| u.value.clone()),
        status.operation_id.clone(),
    ) else {
        return;
    };
    let Some(fid): Option<FrameworkId> = shared.read(|b| b.framework_id.clone()) else {
        return;
    };
    let call = Call::acknowledge_operation_status(
        fid,
        status.agent_id.clone(),
        status.resource_provider_id.clone(),
        operation_id,
        uuid,
    );
    let shared = Arc::clone(shared);
    tokio::spawn(async move {
        if let Err(e) = shared.send(&call).await {
            tracing::debug!(error = %e, "operation acknowledgement failed");
        }
    });
}
