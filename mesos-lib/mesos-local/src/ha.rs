//! High availability through ZooKeeper (`--zk zk://…`): each of the K masters contends
//! with its own session by creating an ephemeral sequential `json.info_` node holding its
//! MasterInfo exactly as Mesos writes it; the lowest sequence leads. A coordinator follows
//! the election through a [`ZkWatch`] and hands the shared master state to the winner
//! (a fresh master ID and recovered agents, as after a real failover). Killing the leader
//! closes its session, so its node disappears, and stops its listener.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{oneshot, watch};
use tokio_util::sync::CancellationToken;
use zookeeper_client as zk;

use crate::cluster::LocalError;
use crate::master::Master;
use mesos_lib::backoff::Backoff;
use mesos_lib::zk::{JSON_INFO_PREFIX, ZkConfig, ZkMasters, ZkUrl, ZkWatch, encode_master_info};

/// One master's place in the election.
struct Contender {
    /// Its MasterInfo ID (the state takes it when it leads).
    id: String,
    port: u16,
    /// Ends its ZooKeeper session (deleting its node).
    session: CancellationToken,
    /// Stops its HTTP listener.
    listener: CancellationToken,
    /// Its current znode name.
    node: Arc<Mutex<Option<String>>>,
}

/// A master as `%leader`-style displays see it.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalContender {
    /// `http://ip:port`.
    pub url: String,
    /// Its znode (`json.info_0000000002`), while registered.
    pub node: Option<String>,
    /// Whether it leads.
    pub leading: bool,
    /// Whether it was killed.
    pub killed: bool,
}

/// The HA side of an embedded cluster.
pub(crate) struct Ha {
    url: ZkUrl,
    contenders: Vec<Contender>,
    /// Index of the leading master as last applied (`None`: no leader among ours).
    elected: watch::Receiver<Option<usize>>,
    _detector: Arc<ZkWatch>,
    cancel: CancellationToken,
}

impl Drop for Ha {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

impl Ha {
    /// Registers every master in order (so the first one leads on a fresh path), starts
    /// the coordinator and waits until a leader is applied.
    pub(crate) async fn start(
        master: Arc<Master>,
        zk_url: &str,
        ids: Vec<String>,
        ports: Vec<u16>,
        listeners: Vec<CancellationToken>,
        session_timeout: Duration,
    ) -> Result<Arc<Ha>, LocalError> {
        let url = ZkUrl::parse(zk_url).map_err(|e| LocalError::ZooKeeper(e.to_string()))?;
        let cancel = CancellationToken::new();
        let cfg = ZkConfig {
            session_timeout,
            connect_timeout: session_timeout.max(Duration::from_secs(5)),
            poll_interval: Duration::from_secs(2),
            leader_timeout: session_timeout,
        };
        let mut contenders = Vec::new();
        for ((id, port), listener) in ids.into_iter().zip(ports).zip(listeners) {
            let c = Contender {
                id,
                port,
                session: cancel.child_token(),
                listener,
                node: Arc::new(Mutex::new(None)),
            };
            let data = encode_master_info(&master.master_info_for(&c.id, port));
            let (registered_tx, registered) = oneshot::channel();
            tokio::spawn(contend(
                url.clone(),
                cfg.clone(),
                data,
                c.session.clone(),
                Arc::clone(&c.node),
                registered_tx,
            ));
            let first = tokio::time::timeout(cfg.connect_timeout * 2, registered).await;
            match first {
                Ok(Ok(Ok(node))) => tracing::info!(%port, %node, "master registered in ZooKeeper"),
                Ok(Ok(Err(e))) => return Err(LocalError::ZooKeeper(e)),
                _ => {
                    cancel.cancel();
                    return Err(LocalError::ZooKeeper(format!(
                        "master on port {port} could not register in {url} in time"
                    )));
                }
            }
            contenders.push(c);
        }
        let detector = Arc::new(ZkWatch::start(url.clone(), cfg.clone()));
        let (elected_tx, mut elected) = watch::channel(None);
        let routes: Vec<(String, u16)> =
            contenders.iter().map(|c| (c.id.clone(), c.port)).collect();
        tokio::spawn(coordinate(
            master,
            detector.subscribe(),
            routes,
            elected_tx,
            cancel.clone(),
        ));
        let settled = matches!(
            tokio::time::timeout(cfg.leader_timeout, elected.wait_for(Option::is_some)).await,
            Ok(Ok(_))
        );
        if !settled {
            cancel.cancel();
            let m = detector.masters();
            return Err(LocalError::ZooKeeper(format!(
                "no master of ours leads in {url} (leader there: {:?}, problem: {:?})",
                m.leader.map(|l| l.url.to_string()),
                m.problem
            )));
        }
        Ok(Arc::new(Ha {
            url,
            contenders,
            elected,
            _detector: detector,
            cancel,
        }))
    }

    /// The leading master's index, as applied.
    pub(crate) fn leader(&self) -> Option<usize> {
        *self.elected.borrow()
    }

    /// The ZooKeeper URL (password hidden).
    pub(crate) fn url(&self) -> String {
        self.url.to_string()
    }

    /// Every master with its node.
    pub(crate) fn contenders(&self, ip: std::net::IpAddr) -> Vec<LocalContender> {
        let leader = self.leader();
        self.contenders
            .iter()
            .enumerate()
            .map(|(i, c)| LocalContender {
                url: format!("http://{ip}:{}", c.port),
                node: c.node.lock().unwrap_or_else(|e| e.into_inner()).clone(),
                leading: leader == Some(i),
                killed: c.session.is_cancelled(),
            })
            .collect()
    }

    /// Kills master `index`: its node goes (its session closes) and its listener stops.
    pub(crate) fn kill(&self, index: usize) -> bool {
        let Some(c) = self.contenders.get(index) else {
            return false;
        };
        c.session.cancel();
        c.listener.cancel();
        true
    }

    /// Closes every master's session (their nodes go) and stops following the election.
    pub(crate) fn shutdown(&self) {
        self.cancel.cancel();
        for c in &self.contenders {
            c.listener.cancel();
        }
    }

    /// Waits (bounded) until a master other than `old` leads; returns its index.
    pub(crate) async fn wait_for_new_leader(&self, old: usize, timeout: Duration) -> Option<usize> {
        let mut rx = self.elected.clone();
        let r = tokio::time::timeout(timeout, rx.wait_for(|l| l.is_some_and(|l| l != old))).await;
        r.ok().and_then(|r| r.ok().and_then(|l| *l))
    }
}

/// One master's contention: register, and register again whenever the session is lost
/// (a real master would abort; here it comes back as a follower). Cancelling deletes the
/// node and closes the session.
async fn contend(
    url: ZkUrl,
    cfg: ZkConfig,
    data: Vec<u8>,
    cancel: CancellationToken,
    node: Arc<Mutex<Option<String>>>,
    registered: oneshot::Sender<Result<String, String>>,
) {
    let mut registered = Some(registered);
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(3));
    loop {
        let attempt = tokio::select! {
            _ = cancel.cancelled() => return,
            a = register(&url, &cfg, &data) => a,
        };
        let (client, name) = match attempt {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "master registration in ZooKeeper failed; retrying");
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tokio::time::sleep(backoff.next_delay()) => continue,
                }
            }
        };
        backoff.reset();
        *node.lock().unwrap_or_else(|e| e.into_inner()) = Some(name.clone());
        if let Some(tx) = registered.take() {
            let _ = tx.send(Ok(name.clone()));
        }
        let mut state = client.state_watcher();
        let lost = loop {
            tokio::select! {
                _ = cancel.cancelled() => break None,
                s = state.changed() => if s.is_terminated() { break Some(s) },
            }
        };
        *node.lock().unwrap_or_else(|e| e.into_inner()) = None;
        match lost {
            None => {
                // Deleting first makes the node vanish now, whatever the session close does.
                let path = url.child(&name);
                if let Err(e) = client.delete(&path, None).await {
                    tracing::debug!(%path, error = %e, "deleting the master's node");
                }
                return;
            }
            Some(s) => {
                tracing::warn!(state = ?s, "master's ZooKeeper session ended; registering again")
            }
        }
    }
}

/// Opens a session, makes the path and creates this master's node.
async fn register(
    url: &ZkUrl,
    cfg: &ZkConfig,
    data: &[u8],
) -> Result<(zk::Client, String), String> {
    let client = mesos_lib::zk::connect(url, cfg.session_timeout, cfg.connect_timeout).await?;
    let acl = zk::Acls::anyone_all();
    if url.path != "/" {
        client
            .mkdir(&url.path, &zk::CreateMode::Persistent.with_acls(acl))
            .await
            .map_err(|e| format!("cannot create {} in ZooKeeper: {e}", url.path))?;
    }
    let prefix = url.child(JSON_INFO_PREFIX);
    let (_, seq) = client
        .create(
            &prefix,
            data,
            &zk::CreateMode::EphemeralSequential.with_acls(acl),
        )
        .await
        .map_err(|e| format!("cannot create {prefix}* in ZooKeeper: {e}"))?;
    Ok((client, format!("{JSON_INFO_PREFIX}{seq}")))
}

/// Applies each election result to the shared master: the winner's port serves and the
/// state takes its ID; followers redirect to it.
async fn coordinate(
    master: Arc<Master>,
    mut view: watch::Receiver<ZkMasters>,
    routes: Vec<(String, u16)>,
    elected: watch::Sender<Option<usize>>,
    cancel: CancellationToken,
) {
    loop {
        let leader = view.borrow_and_update().leader.clone();
        let index = leader
            .as_ref()
            .and_then(|l| routes.iter().position(|(id, _)| *id == l.info.id));
        if let (Some(l), None) = (&leader, index) {
            tracing::warn!(leader = %l.url, "the leading master in ZooKeeper is not one of ours");
        }
        // The state moves first, so that the winner never serves the deposed master's state.
        if let Some(i) = index {
            let (id, port) = &routes[i];
            let current = master.lock().id.clone();
            if current != *id {
                tracing::info!(%port, master_id = %id, "elected through ZooKeeper; recovering state");
                master.restart_as(id.clone(), *port);
            }
        }
        master
            .election
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .leader = index;
        elected.send_if_modified(|e| {
            let changed = *e != index;
            *e = index;
            changed
        });
        tokio::select! {
            _ = cancel.cancelled() => return,
            r = view.changed() => if r.is_err() { return },
        }
    }
}
