//! `StaticDetector`: fixed master URLs; the leader is found by asking each in turn
//! (`GET /master/redirect`), so a leader change among them is noticed on reconnect.

use futures::FutureExt;
use futures::future::BoxFuture;
use reqwest::Url;

use super::Detector;
use crate::httpcli::{HttpClient, HttpError, parse_base_url};

/// A fixed list of candidate masters (`http://host:5050`, `host:5050`, `https://...`).
#[derive(Debug, Clone)]
pub struct StaticDetector {
    masters: Vec<Url>,
}

impl StaticDetector {
    /// One master URL.
    pub fn new(master: &str) -> Result<Self, HttpError> {
        Self::from_list([master])
    }

    /// Several candidates, tried in order.
    pub fn from_list<'a>(masters: impl IntoIterator<Item = &'a str>) -> Result<Self, HttpError> {
        let masters = masters
            .into_iter()
            .map(parse_base_url)
            .collect::<Result<Vec<_>, _>>()?;
        if masters.is_empty() {
            return Err(HttpError::Config("no master URL given".into()));
        }
        Ok(Self { masters })
    }
}

impl Detector for StaticDetector {
    fn leader<'a>(&'a self, http: &'a HttpClient) -> BoxFuture<'a, Result<Url, HttpError>> {
        async move {
            let mut last = None;
            for m in &self.masters {
                match http.resolve_leader(m).await {
                    Ok(mut leader) => {
                        // Keep the candidate's path prefix (a proxy) when it is the leader itself.
                        if leader.origin() == m.origin() {
                            leader = m.clone();
                        }
                        return Ok(leader);
                    }
                    // A master that answers but has no usable redirect endpoint: let the
                    // call itself follow any 307.
                    Err(e) if e.status().is_some_and(|s| s != 503) => return Ok(m.clone()),
                    Err(e) => {
                        tracing::debug!(master = %m, error = %e, "leader probe failed");
                        last = Some(e);
                    }
                }
            }
            Err(last.unwrap_or_else(|| HttpError::Config("no master URL given".into())))
        }
        .boxed()
    }

    fn candidates(&self) -> Vec<Url> {
        self.masters.clone()
    }
}
