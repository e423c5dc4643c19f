//! Leader detection: where the leading master is. A seam for ZooKeeper (`zk://`) later;
//! today a static list of candidate masters probed with `GET /master/redirect`.

mod static_list;

pub use static_list::StaticDetector;

use futures::future::BoxFuture;
use reqwest::Url;

use crate::httpcli::{HttpClient, HttpError};

/// Finds the leading master; sessions ask it before every (re)connect.
pub trait Detector: Send + Sync + std::fmt::Debug {
    /// `scheme://host:port/` of the current leader (or the best candidate to try).
    fn leader<'a>(&'a self, http: &'a HttpClient) -> BoxFuture<'a, Result<Url, HttpError>>;

    /// Every master this detector knows of, for display.
    fn candidates(&self) -> Vec<Url>;
}
