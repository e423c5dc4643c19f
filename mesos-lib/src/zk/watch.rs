//! [`ZkWatch`]: a view of the masters registered under a `zk://` path, the leader being the
//! one with the lowest `json.info_` sequence. A background task watches the children, also
//! re-reads them on a timer (a watch can be missed), keeps the last view while the session
//! reconnects, and opens a new session when the old one expires.

use std::time::{Duration, SystemTime};

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use url::Url;
use zookeeper_client as zk;

use super::nodes::{self as zk_nodes, ZkMaster, ZkMasters};
use super::session as zk_session;
use super::url::ZkUrl;
use crate::backoff::Backoff;

/// How a [`ZkWatch`] (and the client's `ZkDetector`) talks to ZooKeeper.
#[derive(Debug, Clone)]
pub struct ZkConfig {
    /// Session timeout asked of the server (Mesos's `--zk_session_timeout` is 10 s).
    pub session_timeout: Duration,
    /// Longest wait for a session to open before reporting the servers unreachable.
    pub connect_timeout: Duration,
    /// Children are re-read this often even without a watch event.
    pub poll_interval: Duration,
    /// Longest wait for a leader when none is known yet.
    pub leader_timeout: Duration,
}

impl Default for ZkConfig {
    fn default() -> Self {
        Self {
            session_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            poll_interval: Duration::from_secs(5),
            leader_timeout: Duration::from_secs(10),
        }
    }
}

/// A watched view of the masters under a `zk://` path; the task stops when this is dropped.
pub struct ZkWatch {
    url: ZkUrl,
    view: watch::Receiver<ZkMasters>,
    leader: watch::Receiver<Option<Url>>,
    cancel: CancellationToken,
}

impl std::fmt::Debug for ZkWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZkWatch")
            .field("url", &self.url)
            .field("leader", &*self.leader.borrow())
            .finish()
    }
}

impl Drop for ZkWatch {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

impl ZkWatch {
    /// Starts watching `url`. Must be called inside a tokio runtime.
    pub fn start(url: ZkUrl, cfg: ZkConfig) -> Self {
        let (view_tx, view) = watch::channel(ZkMasters::default());
        let (leader_tx, leader) = watch::channel(None);
        let cancel = CancellationToken::new();
        let watcher = Watcher {
            url: url.clone(),
            cfg,
            view: view_tx,
            leader: leader_tx,
        };
        tokio::spawn(watcher.run(cancel.clone()));
        Self {
            url,
            view,
            leader,
            cancel,
        }
    }

    /// The URL watched (password hidden when shown).
    pub fn url(&self) -> &ZkUrl {
        &self.url
    }

    /// The masters as last read.
    pub fn masters(&self) -> ZkMasters {
        self.view.borrow().clone()
    }

    /// Every change of the view.
    pub fn subscribe(&self) -> watch::Receiver<ZkMasters> {
        self.view.clone()
    }

    /// Every change of the leader's URL.
    pub fn leader(&self) -> watch::Receiver<Option<Url>> {
        self.leader.clone()
    }

    /// Waits (up to `timeout`) until `pred` holds for the view; returns that view.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        mut pred: impl FnMut(&ZkMasters) -> bool,
    ) -> Option<ZkMasters> {
        let mut rx = self.view.clone();
        match tokio::time::timeout(timeout, rx.wait_for(|v| pred(v))).await {
            Ok(Ok(v)) => Some(v.clone()),
            _ => None,
        }
    }
}

/// The background task's side of the channels.
struct Watcher {
    url: ZkUrl,
    cfg: ZkConfig,
    view: watch::Sender<ZkMasters>,
    leader: watch::Sender<Option<Url>>,
}

/// Why one session's reading loop ended.
enum Ended {
    Cancelled,
    SessionLost(String),
}

impl Watcher {
    async fn run(self, cancel: CancellationToken) {
        let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(5));
        loop {
            let connected = tokio::select! {
                _ = cancel.cancelled() => return,
                c = zk_session::connect(&self.url, self.cfg.session_timeout, self.cfg.connect_timeout) => c,
            };
            let client = match connected {
                Ok(c) => c,
                Err(problem) => {
                    tracing::warn!(%problem, "ZooKeeper leader detection");
                    self.problem(problem);
                    tokio::select! {
                        _ = cancel.cancelled() => return,
                        _ = tokio::time::sleep(backoff.next_delay()) => continue,
                    }
                }
            };
            backoff.reset();
            tracing::debug!(url = %self.url, session = ?client.session_id(), "ZooKeeper session open");
            match self.read_loop(&client, &cancel).await {
                Ended::Cancelled => return,
                Ended::SessionLost(why) => {
                    tracing::warn!(url = %self.url, %why, "ZooKeeper session lost; opening a new one");
                    self.problem(why);
                }
            }
        }
    }

    /// Reads the children, then waits for a watch event, the poll timer, or a session
    /// change, and reads again; returns when the session is gone for good.
    async fn read_loop(&self, client: &zk::Client, cancel: &CancellationToken) -> Ended {
        let mut state = client.state_watcher();
        loop {
            let watch = match self.read_once(client).await {
                Ok(w) => w,
                Err(e) if zk_session::session_lost(&e) => {
                    return Ended::SessionLost(format!("ZooKeeper session ended: {e}"));
                }
                Err(e) => {
                    self.problem(format!("cannot read {}: {e}", self.url.path));
                    None
                }
            };
            let watch_fired = async {
                match watch {
                    Some(w) => w.changed().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = cancel.cancelled() => return Ended::Cancelled,
                ev = watch_fired => tracing::debug!(event = ?ev.event_type, "masters changed"),
                _ = tokio::time::sleep(self.cfg.poll_interval) => {}
                s = state.changed() => {
                    if s.is_terminated() {
                        return Ended::SessionLost(format!("ZooKeeper session {s:?}"));
                    }
                    // Reconnected (or disconnected): read again, which also re-arms the watch.
                    tracing::debug!(state = ?s, "ZooKeeper session state");
                    if s == zk::SessionState::Disconnected {
                        self.view.send_modify(|v| v.connected = false);
                        continue;
                    }
                }
            }
        }
    }

    /// One read of the children and their data; publishes the view. Returns the watch on
    /// the children (or on the path's creation when it does not exist yet).
    async fn read_once(
        &self,
        client: &zk::Client,
    ) -> Result<Option<zk::OneshotWatcher>, zk::Error> {
        let (children, watch) = match client.list_and_watch_children(&self.url.path).await {
            Ok(r) => r,
            Err(zk::Error::NoNode) => {
                let (_, watch) = client.check_and_watch_stat(&self.url.path).await?;
                self.publish(
                    Vec::new(),
                    Some(format!(
                        "{} does not exist in ZooKeeper: no master has registered there",
                        self.url.path
                    )),
                );
                return Ok(Some(watch));
            }
            Err(e) => return Err(e),
        };
        let mut masters: Vec<ZkMaster> = Vec::new();
        let mut problems = Vec::new();
        for name in children {
            let Some(seq) = zk_nodes::json_info_sequence(&name) else {
                continue;
            };
            match client.get_data(&self.url.child(&name)).await {
                Ok((data, _)) => match zk_nodes::decode_master(&name, seq, &data) {
                    Ok(m) => masters.push(m),
                    Err(p) => problems.push(p),
                },
                // Gone between the listing and the read: the watch reports it.
                Err(zk::Error::NoNode) => {}
                Err(e) => return Err(e),
            }
        }
        let problem = (!problems.is_empty()).then(|| problems.join("; "));
        self.publish(masters, problem);
        Ok(Some(watch))
    }

    fn publish(&self, masters: Vec<ZkMaster>, problem: Option<String>) {
        let (leader, masters) = zk_nodes::elect(masters);
        let url = leader.as_ref().map(|m| m.url.clone());
        self.view.send_replace(ZkMasters {
            leader,
            masters,
            read_at: Some(SystemTime::now()),
            connected: true,
            problem,
        });
        self.leader.send_if_modified(|l| {
            if *l == url {
                return false;
            }
            tracing::info!(from = ?l.as_ref().map(Url::as_str), to = ?url.as_ref().map(Url::as_str), "leading master changed");
            *l = url;
            true
        });
    }

    /// Records a problem; the last known masters stay (a reconnect is not a failover).
    fn problem(&self, problem: String) {
        self.view.send_modify(|v| {
            v.problem = Some(problem);
            v.connected = false;
        });
    }
}
