//! `Scheduler`: the public handle of a session; owns the background stream task and
//! offers a method for every scheduler call.

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
use super::offers::OfferEnd;
use super::state::SessionState;
use super::tasks::TaskRecord;
use super::wait;
use crate::detector::Detector;
use crate::httpcli::{HttpClient, RawReply, SCHEDULER_PATH};
use crate::v1::scheduler::{Call, Event};
use crate::v1::task::ExecutorInfo;
use crate::v1::{
    AgentId, Bytes as MesosBytes, ExecutorId, Filters, FrameworkId, FrameworkInfo, InverseOffer,
    Offer, OfferId, Operation, OperationType, Resource, TaskId, TaskInfo, TaskState, TaskStatus,
};

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
    shared: Arc<Shared>,
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

    // ----- calls -----

    /// The framework's roles (what SUPPRESS or REVIVE without roles applies to). Reads the
    /// book: never call it inside `update`, which holds the book's lock.
    fn roles(&self) -> Vec<String> {
        self.shared.read(|b| b.framework_info.effective_roles())
    }

    fn fid(&self) -> Result<FrameworkId, SessionError> {
        self.shared.read(|b| {
            b.framework_id
                .clone()
                .ok_or_else(|| SessionError::NotSubscribed(b.state.clone()))
        })
    }

    /// Sends any call as is (its `framework_id` must be set); answers 202/200 as `Ok`.
    pub async fn call(&self, call: &Call) -> Result<(), SessionError> {
        self.shared.send(call).await
    }

    /// ACCEPT offers with operations; the offers leave the book and launched tasks enter it.
    pub async fn accept(
        &self,
        offer_ids: Vec<OfferId>,
        operations: Vec<Operation>,
        filters: Option<Filters>,
    ) -> Result<(), SessionError> {
        let call = Call::accept(self.fid()?, offer_ids, operations, filters);
        let sent_at = self.shared.read(|b| b.tasks.seq());
        self.shared.send(&call).await?;
        let roles = self.roles();
        self.shared
            .update(|b| record_sent(b, &call, &roles, sent_at));
        Ok(())
    }

    /// Launches `tasks` on one outstanding offer.
    pub async fn launch(
        &self,
        offer_id: &OfferId,
        tasks: Vec<TaskInfo>,
    ) -> Result<(), SessionError> {
        if self.shared.read(|b| b.offers.get(offer_id).is_none()) {
            return Err(SessionError::UnknownOffer(offer_id.value.clone()));
        }
        self.accept(vec![offer_id.clone()], vec![Operation::launch(tasks)], None)
            .await
    }

    /// Launches `tasks` as one task group under `executor` (LAUNCH_GROUP) on one outstanding
    /// offer; an executor without `framework_id` gets this framework's.
    pub async fn launch_group(
        &self,
        offer_id: &OfferId,
        mut executor: ExecutorInfo,
        tasks: Vec<TaskInfo>,
    ) -> Result<(), SessionError> {
        if self.shared.read(|b| b.offers.get(offer_id).is_none()) {
            return Err(SessionError::UnknownOffer(offer_id.value.clone()));
        }
        if executor.framework_id.is_none() {
            executor.framework_id = Some(self.fid()?);
        }
        let op = Operation::launch_group(executor, tasks);
        self.accept(vec![offer_id.clone()], vec![op], None).await
    }

    /// DECLINE offers, refusing them for `refuse_seconds` if given.
    pub async fn decline(
        &self,
        offer_ids: Vec<OfferId>,
        refuse_seconds: Option<f64>,
    ) -> Result<(), SessionError> {
        let filters = refuse_seconds.map(Filters::refuse_seconds);
        let call = Call::decline(self.fid()?, offer_ids, filters);
        self.shared.send(&call).await?;
        let roles = self.roles();
        // No launch in this call: when it was sent does not matter.
        self.shared
            .update(|b| record_sent(b, &call, &roles, u64::MAX));
        Ok(())
    }

    /// ACCEPT_INVERSE_OFFERS (`accept`) or DECLINE_INVERSE_OFFERS for outstanding inverse
    /// offers, with `filters.refuse_seconds` if given (how long until the master asks again).
    pub async fn answer_inverse_offers(
        &self,
        ids: Vec<OfferId>,
        accept: bool,
        refuse_seconds: Option<f64>,
    ) -> Result<(), SessionError> {
        let filters = refuse_seconds.map(Filters::refuse_seconds);
        let call = if accept {
            Call::accept_inverse_offers(self.fid()?, ids, filters)
        } else {
            Call::decline_inverse_offers(self.fid()?, ids, filters)
        };
        self.shared.send(&call).await?;
        let roles = self.roles();
        self.shared
            .update(|b| record_sent(b, &call, &roles, u64::MAX));
        Ok(())
    }

    /// Outstanding inverse offers.
    pub fn inverse_offers(&self) -> Vec<InverseOffer> {
        self.shared.read(|b| b.inverse_offers.clone())
    }

    /// REVIVE `roles` (empty = all): clears filters and unsuppresses.
    pub async fn revive(&self, roles: Vec<String>) -> Result<(), SessionError> {
        let call = Call::revive(self.fid()?, roles);
        self.shared.send(&call).await?;
        let roles = self.roles();
        // No launch in this call: when it was sent does not matter.
        self.shared
            .update(|b| record_sent(b, &call, &roles, u64::MAX));
        Ok(())
    }

    /// SUPPRESS `roles` (empty = all): no more offers until REVIVE.
    pub async fn suppress(&self, roles: Vec<String>) -> Result<(), SessionError> {
        let call = Call::suppress(self.fid()?, roles);
        self.shared.send(&call).await?;
        let roles = self.roles();
        // No launch in this call: when it was sent does not matter.
        self.shared
            .update(|b| record_sent(b, &call, &roles, u64::MAX));
        Ok(())
    }

    /// Sends any call as given and returns the master's answer verbatim (status and body),
    /// for showing it as is; a 2xx updates the book as the typed methods do. A TEARDOWN closes
    /// the session like [`teardown`](Self::teardown). SUBSCRIBE is refused: the session owns
    /// the one stream.
    pub async fn call_raw(&self, call: &Call) -> Result<RawReply, SessionError> {
        use crate::v1::scheduler::CallType;
        use std::sync::atomic::Ordering;
        if call.call_type == CallType::Subscribe {
            return Err(SessionError::Refused(
                "SUBSCRIBE opens a stream; this session already has one".into(),
            ));
        }
        let teardown = call.call_type == CallType::Teardown;
        if teardown {
            self.shared.tearing_down.store(true, Ordering::SeqCst);
        }
        let sent_at = self.shared.read(|b| b.tasks.seq());
        let reply = self.shared.send_raw(call).await;
        let ok = reply.as_ref().is_ok_and(RawReply::is_success);
        if teardown && !ok {
            self.shared.tearing_down.store(false, Ordering::SeqCst);
        }
        if ok {
            let roles = self.roles();
            self.shared
                .update(|b| record_sent(b, call, &roles, sent_at));
            if teardown {
                self.close().await;
            }
        }
        reply
    }

    /// KILL a task (its agent is filled in from the book when known).
    pub async fn kill(&self, task_id: &str) -> Result<(), SessionError> {
        let agent = self
            .shared
            .read(|b| b.tasks.get(task_id).and_then(|t| t.agent_id.clone()));
        self.shared
            .send(&Call::kill(self.fid()?, TaskId::new(task_id), agent, None))
            .await
    }

    /// SHUTDOWN an executor.
    pub async fn shutdown(
        &self,
        executor_id: ExecutorId,
        agent_id: AgentId,
    ) -> Result<(), SessionError> {
        self.shared
            .send(&Call::shutdown(self.fid()?, executor_id, agent_id))
            .await
    }

    /// ACKNOWLEDGE a status update (for sessions with `auto_acknowledge` off), echoing its uuid.
    /// Updates without a uuid must not be acknowledged and are ignored.
    pub async fn acknowledge(&self, status: &TaskStatus) -> Result<(), SessionError> {
        let (Some(uuid), Some(task_id), Some(agent_id)) =
            (&status.uuid, &status.task_id, &status.agent_id)
        else {
            return Ok(());
        };
        self.shared
            .send(&Call::acknowledge(
                self.fid()?,
                agent_id.clone(),
                task_id.clone(),
                uuid.clone(),
            ))
            .await
    }

    /// RECONCILE the given tasks (empty = implicit: every task the master knows).
    pub async fn reconcile(
        &self,
        tasks: Vec<(TaskId, Option<AgentId>)>,
    ) -> Result<(), SessionError> {
        self.shared.send(&Call::reconcile(self.fid()?, tasks)).await
    }

    /// MESSAGE to an executor (unreliable).
    pub async fn message(
        &self,
        agent_id: AgentId,
        executor_id: ExecutorId,
        data: Vec<u8>,
    ) -> Result<(), SessionError> {
        self.shared
            .send(&Call::message(
                self.fid()?,
                agent_id,
                executor_id,
                MesosBytes::new(data),
            ))
            .await
    }

    /// REQUEST resources (ignored by the default allocator).
    pub async fn request(
        &self,
        requests: Vec<(Option<AgentId>, Vec<Resource>)>,
    ) -> Result<(), SessionError> {
        self.shared
            .send(&Call::request(self.fid()?, requests))
            .await
    }

    /// UPDATE_FRAMEWORK (answers 200; principal, user and checkpoint cannot change).
    pub async fn update_framework(
        &self,
        framework_info: FrameworkInfo,
        suppressed_roles: Vec<String>,
    ) -> Result<(), SessionError> {
        let call = Call::update_framework(self.fid()?, framework_info.clone(), suppressed_roles);
        self.shared.send(&call).await?;
        let roles = framework_info.effective_roles();
        self.shared.update(|b| {
            b.framework_info = framework_info;
            record_sent(b, &call, &roles, u64::MAX)
        });
        Ok(())
    }

    /// TEARDOWN: the master kills every task and forgets the framework; the session closes.
    pub async fn teardown(&self) -> Result<(), SessionError> {
        let call = Call::teardown(self.fid()?);
        self.shared
            .tearing_down
            .store(true, std::sync::atomic::Ordering::SeqCst);
        if let Err(e) = self.shared.send(&call).await {
            self.shared
                .tearing_down
                .store(false, std::sync::atomic::Ordering::SeqCst);
            return Err(e);
        }
        self.close().await;
        Ok(())
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

/// What a call the master accepted changes in the book: offers it used or declined leave,
/// tasks it launched enter, SUPPRESS/REVIVE/UPDATE_FRAMEWORK set the suppressed roles.
fn record_sent(b: &mut Book, call: &Call, roles: &[String], sent_at: u64) {
    if let Some(a) = &call.accept {
        for id in &a.offer_ids {
            b.offers.remove(id);
        }
        for op in &a.operations {
            if op.operation_type == OperationType::Launch
                && let Some(launch) = &op.launch
            {
                for t in &launch.task_infos {
                    b.tasks.launched_after(t, sent_at);
                }
            }
            if let Some(group) = &op.launch_group {
                for t in &group.task_group.tasks {
                    b.tasks.launched_after(t, sent_at);
                }
            }
        }
    }
    if let Some(d) = &call.decline {
        for id in &d.offer_ids {
            b.offers.retire(id, OfferEnd::Declined);
        }
    }
    for reply in [&call.accept_inverse_offers, &call.decline_inverse_offers]
        .into_iter()
        .flatten()
    {
        for id in &reply.inverse_offer_ids {
            b.retire_inverse_offer(id);
        }
    }
    if let Some(r) = &call.suppress {
        // No roles means every role of the framework.
        let roles = if r.roles.is_empty() { roles } else { &r.roles };
        b.suppressed_roles.extend(roles.iter().cloned());
    }
    if let Some(r) = &call.revive {
        if r.roles.is_empty() {
            b.suppressed_roles.clear();
        } else {
            for role in &r.roles {
                b.suppressed_roles.remove(role);
            }
        }
    }
    if let Some(u) = &call.update_framework {
        b.suppressed_roles = u.suppressed_roles.iter().cloned().collect();
    }
}
