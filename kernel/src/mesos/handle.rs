//! The kernel's Mesos handle: which master the one session targets, an operator client,
//! and at most one scheduler subscription. Magics reach it through a cheap clonable
//! [`MesosHandle`]; the lock is never held across an await, so a long `%wait` never blocks
//! completion or another magic from reading the book.

use super::local::{EmbeddedMesosError, EmbeddedMesosProcess, LocalLayout, LocalRecord};
use super::security::Security;
use mesos_lib::httpcli::ClientConfig;
use mesos_lib::operator::OperatorClient;
use mesos_lib::scheduler::Scheduler;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// How long an operator call may take before the master counts as unreachable; short,
/// because a cell waiting 75 s on a dead master looks like a hung kernel.
const OPERATOR_TIMEOUT: Duration = Duration::from_secs(10);

/// What `%connect` was pointed at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The embedded local Mesos, at this URL.
    Local(String),
    /// A master URL given by the user or `$MESOS_MASTER`.
    Url(String),
}

impl Target {
    /// The master URL.
    pub fn url(&self) -> &str {
        match self {
            Self::Local(u) | Self::Url(u) => u,
        }
    }
}

/// One live connection: a target and an operator client for it.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Where it points.
    pub target: Target,
    /// Credentials and trusted CAs; every client made for this master uses them.
    pub security: Security,
    /// The operator API client.
    pub operator: OperatorClient,
}

/// Why a magic cannot act on the session.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    /// No `%connect` yet.
    #[error(
        "not connected to a master: run %connect first (%connect local for the embedded Mesos)"
    )]
    NotConnected,
    /// No `%subscribe` yet (or torn down).
    #[error("no framework: run %subscribe first")]
    NotSubscribed,
    /// The operator client could not be built.
    #[error("cannot use master {url}: {why}")]
    BadUrl {
        /// The URL given.
        url: String,
        /// Why.
        why: String,
    },
    /// The embedded Mesos failed.
    #[error(transparent)]
    Local(#[from] EmbeddedMesosError),
}

/// Live values that completion offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveKind {
    /// Task ids this framework knows.
    TaskId,
    /// Outstanding offer ids.
    OfferId,
    /// Agent ids seen in offers and tasks.
    AgentId,
    /// Agent hostnames seen in offers.
    Hostname,
    /// Agent attributes seen in offers, as `name=value` selectors (the name is the prefix
    /// being typed).
    Attribute,
    /// Persistence IDs of the volumes in outstanding offers.
    VolumeId,
    /// Role names: the framework's, those its offers are reserved for, and those the role
    /// magics last read from the master.
    Role,
}

#[derive(Debug, Default)]
struct Inner {
    connection: Option<Connection>,
    scheduler: Option<Arc<Scheduler>>,
    /// The framework id torn down last, so a second `%teardown` can say so.
    torn_down: Option<String>,
    local: EmbeddedMesosProcess,
    /// Role names the master listed last (GET_ROLES, weights, quota), for completion.
    roles: std::collections::BTreeSet<String>,
}

/// A cheap, clonable handle to the kernel's Mesos session.
#[derive(Debug, Clone, Default)]
pub struct MesosHandle {
    inner: Arc<Mutex<Inner>>,
    /// Held from "is there a session?" to "here is the new one", so magics running side by
    /// side on subshells never send a second SUBSCRIBE.
    subscribing: Arc<tokio::sync::Mutex<()>>,
    /// Displays that keep updating after their cell (`--live`).
    live: super::live_views::LiveViews,
    /// Demo frameworks launching in the background (`%workload`).
    workloads: super::workloads::Workloads,
}

impl MesosHandle {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The session's live views.
    pub fn live_views(&self) -> &super::live_views::LiveViews {
        &self.live
    }

    /// The session's workloads.
    pub fn workloads(&self) -> &super::workloads::Workloads {
        &self.workloads
    }

    /// The current connection.
    pub fn connection(&self) -> Result<Connection, HandleError> {
        self.lock()
            .connection
            .clone()
            .ok_or(HandleError::NotConnected)
    }

    /// The current connection, if any.
    pub fn try_connection(&self) -> Option<Connection> {
        self.lock().connection.clone()
    }

    /// Points the session at `target` with `security`, replacing (and closing) any previous
    /// connection and subscription. Returns the scheduler that must be closed by the caller
    /// (outside the lock).
    pub fn set_target(
        &self,
        target: Target,
        security: Security,
    ) -> Result<Option<Arc<Scheduler>>, HandleError> {
        let cfg = security.apply(ClientConfig {
            request_timeout: OPERATOR_TIMEOUT,
            max_unavailable_retries: 1,
            ..ClientConfig::default()
        });
        let operator =
            OperatorClient::connect(target.url(), cfg).map_err(|e| HandleError::BadUrl {
                url: target.url().to_owned(),
                why: e.to_string(),
            })?;
        let mut inner = self.lock();
        inner.connection = Some(Connection {
            target,
            security,
            operator,
        });
        inner.torn_down = None;
        Ok(inner.scheduler.take())
    }

    /// Forgets the connection (and hands back the scheduler to close).
    pub fn disconnect(&self) -> Option<Arc<Scheduler>> {
        let mut inner = self.lock();
        inner.connection = None;
        inner.scheduler.take()
    }

    /// The scheduler session.
    pub fn scheduler(&self) -> Result<Arc<Scheduler>, HandleError> {
        let inner = self.lock();
        if inner.connection.is_none() {
            return Err(HandleError::NotConnected);
        }
        inner.scheduler.clone().ok_or(HandleError::NotSubscribed)
    }

    /// The scheduler session, if any.
    pub fn try_scheduler(&self) -> Option<Arc<Scheduler>> {
        self.lock().scheduler.clone()
    }

    /// The right to subscribe: while held, no other magic checks for or installs a session.
    pub async fn subscribing(&self) -> tokio::sync::OwnedMutexGuard<()> {
        Arc::clone(&self.subscribing).lock_owned().await
    }

    /// Installs a new scheduler session (the caller holds [`MesosHandle::subscribing`] and
    /// checked there was none).
    pub fn set_scheduler(&self, scheduler: Arc<Scheduler>) {
        let mut inner = self.lock();
        inner.torn_down = None;
        inner.scheduler = Some(scheduler);
    }

    /// Removes the scheduler after a teardown, remembering the framework id.
    pub fn take_scheduler(&self, torn_down: Option<String>) -> Option<Arc<Scheduler>> {
        self.live.stop_all();
        if let Some(id) = &torn_down {
            // Torn down is gone for good: a later %subscribe must not try to resume it.
            super::frameworks::forget(id);
        }
        let mut inner = self.lock();
        inner.torn_down = torn_down;
        inner.scheduler.take()
    }

    /// The framework id torn down last, if nothing was subscribed since.
    pub fn torn_down(&self) -> Option<String> {
        self.lock().torn_down.clone()
    }

    /// The embedded Mesos, if running (started by this kernel or an earlier one).
    pub fn local_status(&self) -> Option<LocalRecord> {
        self.lock().local.current()
    }

    /// Starts the embedded Mesos (laid out as `layout`) unless running; returns it and whether
    /// it is new.
    pub async fn local_start(
        &self,
        layout: LocalLayout,
    ) -> Result<(LocalRecord, bool), HandleError> {
        // Blocking (spawn, read a line): off the async workers.
        let me = self.clone();
        let started = tokio::task::spawn_blocking(move || me.lock().local.start(&layout))
            .await
            .map_err(|e| EmbeddedMesosError::Io(std::io::Error::other(e)))??;
        super::local::register_user().map_err(EmbeddedMesosError::Io)?;
        Ok(started)
    }

    /// Counts this kernel as a user of the embedded Mesos when one is running (a restarted
    /// kernel finds it again), so it is not stopped while this kernel may still use it.
    pub fn adopt_local(&self) {
        if self.local_status().is_some()
            && let Err(e) = super::local::register_user()
        {
            tracing::warn!(error = %e, "cannot record this kernel as a user of the embedded Mesos");
        }
    }

    /// Called when the kernel shuts down for good: stops the embedded Mesos (and its tasks) if
    /// no other live kernel is registered as using it. Returns what was stopped.
    pub async fn release_local(&self) -> Option<LocalRecord> {
        let others = super::local::unregister_user();
        if others > 0 || self.local_status().is_none() {
            return None;
        }
        match self.local_stop().await {
            Ok(stopped) => {
                if let Some(r) = &stopped {
                    tracing::info!(
                        pid = r.pid,
                        "last kernel using the embedded Mesos: stopped it"
                    );
                }
                stopped
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot stop the embedded Mesos");
                None
            }
        }
    }

    /// Stops the embedded Mesos; returns what was stopped.
    pub async fn local_stop(&self) -> Result<Option<LocalRecord>, HandleError> {
        self.live.stop_all();
        self.workloads.stop_all().await;
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.lock().local.stop())
            .await
            .map_err(|e| EmbeddedMesosError::Io(std::io::Error::other(e)))?
            .map_err(Into::into)
    }

    /// Remembers role names the master listed, so completion can offer them.
    pub fn note_roles(&self, roles: impl IntoIterator<Item = String>) {
        self.lock().roles.extend(roles);
    }

    /// Live values for completion, from the scheduler's book.
    pub fn live_values(&self, kind: LiveKind) -> Vec<String> {
        let known: Vec<String> = match kind {
            LiveKind::Role => self.lock().roles.iter().cloned().collect(),
            _ => Vec::new(),
        };
        let Some(s) = self.try_scheduler() else {
            return known;
        };
        s.read(|b| match kind {
            LiveKind::TaskId => b.tasks.iter().map(|t| t.task_id.value.clone()).collect(),
            LiveKind::OfferId => b.offers.list().iter().map(|o| o.id.value.clone()).collect(),
            LiveKind::AgentId => b
                .offers
                .list()
                .iter()
                .map(|o| o.agent_id.value.clone())
                .chain(
                    b.tasks
                        .iter()
                        .filter_map(|t| t.agent_id.as_ref().map(|a| a.value.clone())),
                )
                .collect(),
            LiveKind::Hostname => b.offers.list().iter().map(|o| o.hostname.clone()).collect(),
            LiveKind::Attribute => b
                .offers
                .list()
                .iter()
                .flat_map(|o| o.attributes.iter().map(attribute_selector))
                .collect(),
            LiveKind::VolumeId => b
                .offers
                .list()
                .iter()
                .flat_map(|o| o.resources.iter())
                .filter_map(|r| r.disk.as_ref()?.persistence.as_ref())
                .map(|p| p.id.clone())
                .collect(),
            LiveKind::Role => {
                let offered = b.offers.list().iter().flat_map(|o| {
                    o.resources
                        .iter()
                        .filter_map(|r| r.reservation_role().map(str::to_owned))
                        .collect::<Vec<_>>()
                });
                let mut roles: Vec<String> = b.framework_info.effective_roles();
                roles.extend(offered);
                roles.extend(known);
                roles.sort();
                roles.dedup();
                roles
            }
        })
    }

    /// Ends the subscription stream without TEARDOWN (kernel shutdown): the framework can
    /// fail over within its failover timeout.
    pub async fn close(&self) {
        self.live.stop_all();
        // Workloads are demos: they go with the kernel (and their tasks with them).
        self.workloads.stop_all().await;
        let s = self.lock().scheduler.take();
        if let Some(s) = s {
            s.close().await;
        }
    }
}

/// An attribute as the `name=value` selector `--attr` takes.
fn attribute_selector(a: &mesos_lib::v1::Attribute) -> String {
    let value = if let Some(t) = &a.text {
        t.value.clone()
    } else if let Some(s) = &a.scalar {
        s.value.to_string()
    } else if let Some(r) = &a.ranges {
        mesos_lib::resources::ranges::format(&mesos_lib::resources::ranges::pairs(r))
    } else if let Some(s) = &a.set {
        s.item.join(",")
    } else {
        return a.name.clone();
    };
    format!("{}={value}", a.name)
}
