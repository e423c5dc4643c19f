//! `OperatorWatch`: the operator SUBSCRIBE stream in a background task, with the same
//! heartbeat watchdog and jittered reconnects as the scheduler session. Each reconnect
//! starts with a fresh SUBSCRIBED carrying the whole state.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::detector::Detector;
use crate::httpcli::{Backoff, EventStream, HttpClient, OPERATOR_PATH};
use crate::scheduler::SessionState;
use crate::v1::master::{Call, Event, EventType};

/// How the watch reconnects.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    /// First reconnect delay.
    pub reconnect_min_delay: Duration,
    /// Reconnect delay cap.
    pub reconnect_max_delay: Duration,
    /// Heartbeat intervals without any event before the stream is presumed dead.
    pub heartbeat_misses: u32,
    /// Largest record accepted (SUBSCRIBED carries the whole cluster state).
    pub max_record_size: usize,
}

impl Default for WatchConfig {
    fn default() -> Self {
        Self {
            reconnect_min_delay: Duration::from_millis(500),
            reconnect_max_delay: Duration::from_secs(15),
            heartbeat_misses: 5,
            max_record_size: crate::recordio::DEFAULT_MAX_RECORD_SIZE,
        }
    }
}

/// What the watch is doing.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchStatus {
    /// Connecting, subscribed, reconnecting (with the reason) or closed.
    pub state: SessionState,
    /// SUBSCRIBED events received.
    pub subscriptions: u64,
    /// Streams lost.
    pub reconnect_count: u64,
    /// Last HEARTBEAT.
    pub last_heartbeat: Option<SystemTime>,
    /// Events received (heartbeats included).
    pub events: u64,
    /// Events skipped because they could not be decoded.
    pub undecodable: u64,
}

/// A running operator event stream; dropping it stops the task.
#[derive(Debug)]
pub struct OperatorWatch {
    status: watch::Sender<WatchStatus>,
    events: broadcast::Sender<Arc<Event>>,
    cancel: CancellationToken,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for OperatorWatch {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

impl OperatorWatch {
    pub(crate) fn start(http: HttpClient, detector: Arc<dyn Detector>, cfg: WatchConfig) -> Self {
        let status = watch::channel(WatchStatus {
            state: SessionState::Connecting,
            subscriptions: 0,
            reconnect_count: 0,
            last_heartbeat: None,
            events: 0,
            undecodable: 0,
        })
        .0;
        let events = broadcast::channel(4096).0;
        let cancel = CancellationToken::new();
        let task = tokio::spawn(run(
            http,
            detector,
            cfg,
            status.clone(),
            events.clone(),
            cancel.clone(),
        ));
        Self {
            status,
            events,
            cancel,
            task: Mutex::new(Some(task)),
        }
    }

    /// The current status.
    pub fn status(&self) -> WatchStatus {
        self.status.borrow().clone()
    }

    /// Every event from now on.
    pub fn events(&self) -> broadcast::Receiver<Arc<Event>> {
        self.events.subscribe()
    }

    /// Waits until `pred` holds for the status; returns it, or `None` after `timeout`.
    pub async fn wait_until(
        &self,
        timeout: Duration,
        pred: impl Fn(&WatchStatus) -> bool,
    ) -> Option<WatchStatus> {
        let mut rx = self.status.subscribe();
        let r = tokio::time::timeout(timeout, rx.wait_for(|s| pred(s))).await;
        match r {
            Ok(Ok(s)) => Some(s.clone()),
            _ => None,
        }
    }

    /// Stops the stream task and waits for it to end.
    pub async fn close(&self) {
        self.cancel.cancel();
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(t) = task {
            let _ = t.await;
        }
    }
}

async fn run(
    http: HttpClient,
    detector: Arc<dyn Detector>,
    cfg: WatchConfig,
    status: watch::Sender<WatchStatus>,
    events: broadcast::Sender<Arc<Event>>,
    cancel: CancellationToken,
) {
    let mut backoff = Backoff::new(cfg.reconnect_min_delay, cfg.reconnect_max_delay);
    loop {
        let reason = tokio::select! {
            _ = cancel.cancelled() => break,
            r = read_once(&http, &*detector, &cfg, &status, &events, &mut backoff) => r,
        };
        let delay = backoff.next_delay();
        tracing::warn!(%reason, ?delay, "operator stream lost; resubscribing");
        status.send_modify(|s| {
            s.reconnect_count += 1;
            s.state = SessionState::Reconnecting { reason };
        });
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep(delay) => {}
        }
    }
    status.send_modify(|s| s.state = SessionState::Closed);
}

/// One subscription; returns why it ended.
async fn read_once(
    http: &HttpClient,
    detector: &dyn Detector,
    cfg: &WatchConfig,
    status: &watch::Sender<WatchStatus>,
    events: &broadcast::Sender<Arc<Event>>,
    backoff: &mut Backoff,
) -> String {
    let leader = match detector.leader(http).await {
        Ok(l) => l,
        Err(e) => return format!("no leading master: {e}"),
    };
    let body = match serde_json::to_vec(&Call::subscribe()) {
        Ok(b) => Bytes::from(b),
        Err(e) => return format!("cannot encode SUBSCRIBE: {e}"),
    };
    let reply = match http.open_stream(&leader, OPERATOR_PATH, body).await {
        Ok(r) => r,
        Err(e) => return format!("SUBSCRIBE failed: {e}"),
    };
    let mut stream = EventStream::<Event>::new(reply.response, cfg.max_record_size);
    let mut watchdog = http.config().request_timeout;
    let mut changes = detector.leader_changes();
    if let Some(c) = changes.as_mut() {
        c.borrow_and_update();
    }
    loop {
        let next = tokio::select! {
            n = tokio::time::timeout(watchdog, stream.next()) => n,
            moved = crate::detector::deposed(changes.as_mut(), &reply.leader) => {
                return format!("the leading master changed to {moved}");
            }
        };
        let event = match next {
            Err(_) => return format!("no event for {watchdog:?}: heartbeats missed"),
            Ok(None) => return "the master closed the event stream".into(),
            // One event this library cannot type is skipped: reconnecting would replay it forever.
            Ok(Some(Err(e @ crate::httpcli::HttpError::Decode { .. }))) => {
                tracing::warn!(error = %e, "skipping an undecodable operator event");
                status.send_modify(|s| s.undecodable += 1);
                continue;
            }
            Ok(Some(Err(e))) => return format!("event stream broke: {e}"),
            Ok(Some(Ok(e))) => e,
        };
        status.send_modify(|s| {
            s.events += 1;
            match event.event_type {
                EventType::Subscribed => {
                    let interval = event
                        .subscribed
                        .as_ref()
                        .and_then(|s| s.heartbeat_interval_seconds)
                        .and_then(|v| Duration::try_from_secs_f64(v).ok())
                        .filter(|d| !d.is_zero())
                        .unwrap_or(Duration::from_secs(15));
                    watchdog = interval * cfg.heartbeat_misses.max(1);
                    s.subscriptions += 1;
                    s.state = SessionState::Subscribed;
                    backoff.reset();
                }
                EventType::Heartbeat => s.last_heartbeat = Some(SystemTime::now()),
                _ => {}
            }
        });
        let _ = events.send(Arc::new(event));
    }
}
