//! `Scheduler`: the public handle of a session; owns the background stream task. Its
//! methods for the scheduler calls are in `calls.rs`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use reqwest::Url;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::book::Book;
use super::config::SchedulerConfig;
use super::driver::{self, Kick};
use super::error::SessionError;
use super::state::SessionState;
use super::tasks::TaskRecord;
use super::wait;
use crate::detector::Detector;
use crate::httpcli::{HttpClient, RawReply, SCHEDULER_PATH};
use crate::v1::scheduler::{Call, Event};
use crate::v1::{FrameworkId, Offer, TaskState, TaskStatus};

/// Events buffered per subscriber before it lags.
const EVENT_CHANNEL: usize = 4096;

/// State shared by the handle, the stream task, acknowledgements and the reconciler.
pub(crate) struct Shared {
    pub(crate) http: HttpClient,
    pub(crate) detector: Arc<dyn Detector>,
    pub(crate) cfg: SchedulerConfig,
    book: Mutex<Book>,
    pub(crate) changed: watch::Sender<u64>,
    pub(crate) events: broadcast::Sender<Arc<Event>>,
    pub(crate) cancel: CancellationToken,
    /// Set before TEARDOWN is sent: the master then closes the stream, and that is no loss.
    pub(crate) tearing_down: std::sync::atomic::AtomicBool,
    pub(crate) kicks: mpsc::UnboundedSender<Kick>,
    pub(crate) reconciler: Mutex<Option<JoinHandle<()>>>,
    /// Automatic acknowledgements waiting for the ack task.
    pub(crate) acks: mpsc::UnboundedSender<Call>,
    /// The leader's URL as last parsed: every call needs it, and parsing it is not free.
    leader_url: Mutex<Option<(String, Url)>>,
}

impl Shared {
    /// Reads the book.
    pub(crate) fn read<R>(&self, f: impl FnOnce(&Book) -> R) -> R {
        f(&self.book.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Changes the book and wakes every waiter.
    pub(crate) fn update<R>(&self, f: impl FnOnce(&mut Book) -> R) -> R {
        let r = f(&mut self.book.lock().unwrap_or_else(|e| e.into_inner()));
        self.changed.send_modify(|v| *v = v.wrapping_add(1));
        r
    }

    /// The leader to send calls to and the live stream's ID.
    pub(crate) fn target(&self) -> Result<(Url, String), SessionError> {
        if self.cancel.is_cancelled() {
            return Err(SessionError::Closed);
        }
        let (leader, sid, state) =
            self.read(|b| (b.leader.clone(), b.stream_id.clone(), b.state.clone()));
        let (Some(leader), Some(sid)) = (leader, sid) else {
            return Err(SessionError::NotSubscribed(state));
        };
        let mut cached = self.leader_url.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((text, url)) = cached.as_ref()
            && *text == leader
        {
            return Ok((url.clone(), sid));
        }
        let base = Url::parse(&leader).map_err(|e| {
            SessionError::Http(crate::httpcli::HttpError::InvalidUrl {
                url: leader.clone(),
                reason: e.to_string(),
            })
        })?;
        *cached = Some((leader, base.clone()));
        Ok((base, sid))
    }

    /// Like [`send`](Self::send), but any answer comes back verbatim; a 403 still kicks.
    pub(crate) async fn send_raw(&self, call: &Call) -> Result<RawReply, SessionError> {
        let (base, sid) = self.target()?;
        let body = Bytes::from(serde_json::to_vec(call)?);
        let reply = self
            .http
            .post_raw(&base, SCHEDULER_PATH, body, Some(&sid))
            .await?;
        if reply.status == 403 {
            let _ = self.kicks.send(Kick {
                stream_id: sid,
                reason: format!("subscription lost: 403 {}", reply.body),
            });
        }
        Ok(reply)
    }

    /// Sends a call on the calls connection with the live stream's ID. A 403 means the
    /// subscription is lost: the stream task is told to resubscribe.
    pub(crate) async fn send(&self, call: &Call) -> Result<(), SessionError> {
        let (base, sid) = self.target()?;
        let body = Bytes::from(serde_json::to_vec(call)?);
        match self
            .http
            .post_json(&base, SCHEDULER_PATH, body, Some(&sid))
            .await
        {
            Ok(reply) => {
                // Drain the (empty) body so the connection goes back to the pool.
                let _ = reply.response.bytes().await;
                Ok(())
            }
            Err(e) => {
                if e.status() == Some(403) {
                    let reason =
                        format!("subscription lost: 403 {}", e.reason().unwrap_or_default());
                    let _ = self.kicks.send(Kick {
                        stream_id: sid,
                        reason,
                    });
                }
                Err(e.into())
            }
        }
    }
}

/// A scheduler session; dropping it ends the stream task (without TEARDOWN).
pub struct Scheduler {
    pub(super) shared: Arc<Shared>,
    driver: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("state", &self.state())
            .field("framework_id", &self.framework_id())
            .finish()
    }
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        self.shared.cancel.cancel();
    }
}

impl Scheduler {
    /// Starts a session against the master(s) at `master` (e.g. `http://127.0.0.1:5050`,
    /// several comma-separated candidates, or `zk://host:2181/mesos`).
    pub fn connect(master: &str, cfg: SchedulerConfig) -> Result<Self, SessionError> {
        Self::start(crate::detector::from_master(master)?, cfg)
    }

    /// Starts a session that asks `detector` for the leader before each (re)subscription.
    /// Must be called inside a tokio runtime.
    pub fn start(detector: Arc<dyn Detector>, cfg: SchedulerConfig) -> Result<Self, SessionError> {
        let http = HttpClient::new(cfg.http.clone())?;
        if cfg.framework_info.failover_timeout.unwrap_or(0.0) <= 0.0 {
            tracing::warn!(
                "failover_timeout is 0: Mesos removes the framework and kills its tasks on the first disconnect"
            );
        }
        let mut book = Book::new(cfg.event_log_capacity, cfg.task_history_capacity);
        book.framework_id = cfg.framework_info.id.clone();
        book.framework_info = cfg.framework_info.clone();
        book.suppressed_roles = cfg.suppressed_roles.iter().cloned().collect();
        if cfg.framework_info.failover_timeout.unwrap_or(0.0) <= 0.0 {
            book.warnings.push(
                "failover_timeout is 0: the framework and its tasks are removed on the first disconnect".into(),
            );
        }
        let (kick_tx, kick_rx) = mpsc::unbounded_channel();
        let (ack_tx, ack_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            http,
            detector,
            cfg,
            book: Mutex::new(book),
            changed: watch::channel(0).0,
            events: broadcast::channel(EVENT_CHANNEL).0,
            cancel: CancellationToken::new(),
            tearing_down: std::sync::atomic::AtomicBool::new(false),
            kicks: kick_tx,
            reconciler: Mutex::new(None),
            acks: ack_tx,
            leader_url: Mutex::new(None),
        });
        tokio::spawn(super::acks::run(Arc::clone(&shared), ack_rx));
        let driver = tokio::spawn(driver::run(Arc::clone(&shared), kick_rx));
        Ok(Self {
            shared,
            driver: Mutex::new(Some(driver)),
        })
    }

    // ----- bookkeeping -----

    /// The session state.
    pub fn state(&self) -> SessionState {
        self.shared.read(|b| b.state.clone())
    }

    /// The framework ID, once subscribed.
    pub fn framework_id(&self) -> Option<FrameworkId> {
        self.shared.read(|b| b.framework_id.clone())
    }

    /// The live stream's `Mesos-Stream-Id`.
    pub fn stream_id(&self) -> Option<String> {
        self.shared.read(|b| b.stream_id.clone())
    }

    /// Reads the book without copying it.
    pub fn read<R>(&self, f: impl FnOnce(&Book) -> R) -> R {
        self.shared.read(f)
    }

    /// A copy of the whole book.
    pub fn snapshot(&self) -> Book {
        self.shared.read(Book::clone)
    }

    /// Outstanding offers.
    pub fn offers(&self) -> Vec<Offer> {
        self.shared.read(|b| b.offers.list().to_vec())
    }

    /// One task's record.
    pub fn task(&self, task_id: &str) -> Option<TaskRecord> {
        self.shared.read(|b| b.tasks.get(task_id).cloned())
    }

    /// Every event from now on (a lagging receiver skips, see `broadcast`).
    pub fn events(&self) -> broadcast::Receiver<Arc<Event>> {
        self.shared.events.subscribe()
    }

    // ----- waiting -----

    /// Waits until `f` returns `Some` for the book (re-checked after every change).
    pub async fn wait_until<R>(
        &self,
        timeout: Duration,
        what: &str,
        f: impl FnMut(&Book) -> Option<R>,
    ) -> Result<R, SessionError> {
        wait::until(&self.shared, timeout, f)
            .await
            .ok_or_else(|| SessionError::Timeout {
                after: timeout,
                what: what.to_string(),
            })
    }

    /// Waits until `f` holds, failing early if the session ends for good.
    async fn wait_live<R>(
        &self,
        timeout: Duration,
        what: &str,
        mut f: impl FnMut(&Book) -> Option<R>,
    ) -> Result<R, SessionError> {
        self.wait_until(timeout, what, |b| match f(b) {
            Some(r) => Some(Ok(r)),
            None if b.state.is_terminal() => {
                Some(Err(SessionError::NotSubscribed(b.state.clone())))
            }
            None => None,
        })
        .await?
    }

    /// Waits for the session to be subscribed; returns the framework ID.
    pub async fn wait_subscribed(&self, timeout: Duration) -> Result<FrameworkId, SessionError> {
        self.wait_live(timeout, "SUBSCRIBED", |b| {
            (b.state == SessionState::Subscribed && b.stream_id.is_some())
                .then(|| b.framework_id.clone())
                .flatten()
        })
        .await
    }

    /// Waits for a state matching `pred` (terminal states included).
    pub async fn wait_for_state(
        &self,
        timeout: Duration,
        pred: impl Fn(&SessionState) -> bool,
    ) -> Result<SessionState, SessionError> {
        self.wait_until(timeout, "session state", |b| {
            pred(&b.state).then(|| b.state.clone())
        })
        .await
    }

    /// Waits until at least one offer is outstanding; returns them all.
    pub async fn wait_for_offers(&self, timeout: Duration) -> Result<Vec<Offer>, SessionError> {
        self.wait_live(timeout, "an offer", |b| {
            (!b.offers.is_empty()).then(|| b.offers.list().to_vec())
        })
        .await
    }

    /// Waits until `task_id`'s latest state is `state`; returns that status.
    pub async fn wait_for_task_state(
        &self,
        task_id: &str,
        state: TaskState,
        timeout: Duration,
    ) -> Result<TaskStatus, SessionError> {
        let what = format!("task {task_id} to reach {state}");
        self.wait_live(timeout, &what, |b| {
            b.tasks
                .get(task_id)
                .and_then(|t| t.latest.as_ref())
                .filter(|s| s.state == state)
                .cloned()
        })
        .await
    }

    /// Ends the session: the stream task and the reconciler stop before this returns.
    /// No TEARDOWN is sent, so the framework can fail over within its `failover_timeout`.
    pub async fn close(&self) {
        self.shared.cancel.cancel();
        let handle = self.driver.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(h) = handle {
            let _ = h.await;
        }
    }

    /// Whether the stream task has ended.
    pub fn is_finished(&self) -> bool {
        self.driver
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_none_or(JoinHandle::is_finished)
    }
}
