//! Leader detection: where the leading master is. Either a static list of candidate
//! masters probed with `GET /master/redirect`, or ZooKeeper (`zk://host:port/path`), where
//! masters register `json.info_*` nodes and the lowest sequence leads.

mod static_list;
mod zookeeper;

pub use static_list::StaticDetector;
pub use zookeeper::ZkDetector;
// The ZooKeeper pieces live in `crate::zk` (shared with the embedded Mesos); re-exported here
// where the client's users have always found them.
pub use crate::zk::{
    JSON_INFO_PREFIX, ZkConfig, ZkMaster, ZkMasters, ZkUrl, encode_master_info, is_zk_url,
    json_info_sequence,
};

use std::sync::Arc;

use futures::future::BoxFuture;
use reqwest::Url;
use tokio::sync::watch;

use crate::httpcli::{HttpClient, HttpError};

/// Finds the leading master; sessions ask it before every (re)connect.
pub trait Detector: Send + Sync + std::fmt::Debug {
    /// `scheme://host:port/` of the current leader (or the best candidate to try).
    fn leader<'a>(&'a self, http: &'a HttpClient) -> BoxFuture<'a, Result<Url, HttpError>>;

    /// Every master this detector knows of, for display.
    fn candidates(&self) -> Vec<Url>;

    /// The leader as known right now without any I/O, for detectors that watch one.
    fn known_leader(&self) -> Option<Url> {
        None
    }

    /// Notifications of leader changes, for detectors that learn of them (ZooKeeper), so
    /// that a session connected to a deposed leader moves at once.
    fn leader_changes(&self) -> Option<watch::Receiver<Option<Url>>> {
        None
    }
}

/// The detector for a master string: `zk://…` watches ZooKeeper, anything else is a
/// comma-separated list of master URLs. A ZooKeeper detector needs a tokio runtime.
pub fn from_master(master: &str) -> Result<Arc<dyn Detector>, HttpError> {
    if is_zk_url(master) {
        Ok(Arc::new(ZkDetector::new(master)?))
    } else {
        Ok(Arc::new(StaticDetector::from_list(master.split(','))?))
    }
}

/// Resolves with the new leader once `changes` names one other than `connected`; never
/// resolves without a change feed (or once the detector is gone).
pub(crate) async fn deposed(
    changes: Option<&mut watch::Receiver<Option<Url>>>,
    connected: &Url,
) -> Url {
    let Some(rx) = changes else {
        return futures::future::pending().await;
    };
    loop {
        if rx.changed().await.is_err() {
            return futures::future::pending().await;
        }
        let new = rx.borrow_and_update().clone();
        // No leader at all is not a move: the stream breaks by itself if its master died.
        if let Some(new) = new
            && new.origin() != connected.origin()
        {
            return new;
        }
    }
}
