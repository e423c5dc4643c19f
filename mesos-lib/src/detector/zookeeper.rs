//! `ZkDetector`: leader detection through ZooKeeper, the client's face of a [`ZkWatch`]
//! (the leader is the master with the lowest `json.info_` sequence under a `zk://` path).

use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use reqwest::Url;
use tokio::sync::watch;

use super::Detector;
use crate::httpcli::{HttpClient, HttpError};
use crate::zk::{JSON_INFO_PREFIX, ZkConfig, ZkMasters, ZkUrl, ZkWatch};

/// Leader detection through ZooKeeper; cheap to ask (answers come from the watched view).
#[derive(Debug)]
pub struct ZkDetector {
    watch: ZkWatch,
    cfg: ZkConfig,
}

impl ZkDetector {
    /// Starts watching `zk://…` with default settings. Must be called inside a tokio runtime.
    pub fn new(url: &str) -> Result<Self, HttpError> {
        Self::with_config(url, ZkConfig::default())
    }

    /// Starts watching `zk://…`. Must be called inside a tokio runtime.
    pub fn with_config(url: &str, cfg: ZkConfig) -> Result<Self, HttpError> {
        let url = ZkUrl::parse(url)?;
        Ok(Self {
            watch: ZkWatch::start(url, cfg.clone()),
            cfg,
        })
    }

    /// The URL watched (password hidden when shown).
    pub fn url(&self) -> &ZkUrl {
        self.watch.url()
    }

    /// The masters as last read.
    pub fn masters(&self) -> ZkMasters {
        self.watch.masters()
    }

    /// Every change of the view.
    pub fn subscribe(&self) -> watch::Receiver<ZkMasters> {
        self.watch.subscribe()
    }

    /// Waits (up to `timeout`) until `pred` holds for the view; returns that view.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        pred: impl FnMut(&ZkMasters) -> bool,
    ) -> Option<ZkMasters> {
        self.watch.wait_for(timeout, pred).await
    }

    fn no_leader_error(&self) -> HttpError {
        let v = self.watch.masters();
        let why = match (&v.problem, v.read_at) {
            (Some(p), _) => p.clone(),
            (None, None) => "ZooKeeper has not been read yet".to_string(),
            (None, Some(_)) => format!(
                "no master is registered (no {JSON_INFO_PREFIX}* node under {})",
                self.url().path
            ),
        };
        HttpError::Timeout {
            after: self.cfg.leader_timeout,
            what: format!("a leading master in {}: {why}", self.url()),
        }
    }
}

impl Detector for ZkDetector {
    fn leader<'a>(&'a self, _http: &'a HttpClient) -> BoxFuture<'a, Result<Url, HttpError>> {
        async move {
            let mut rx = self.watch.leader();
            let found = tokio::time::timeout(self.cfg.leader_timeout, rx.wait_for(Option::is_some))
                .await
                .ok()
                .and_then(|r| r.ok().and_then(|l| l.clone()));
            found.ok_or_else(|| self.no_leader_error())
        }
        .boxed()
    }

    fn candidates(&self) -> Vec<Url> {
        self.watch
            .masters()
            .masters
            .iter()
            .map(|m| m.url.clone())
            .collect()
    }

    fn known_leader(&self) -> Option<Url> {
        self.watch.leader().borrow().clone()
    }

    fn leader_changes(&self) -> Option<watch::Receiver<Option<Url>>> {
        Some(self.watch.leader())
    }
}
