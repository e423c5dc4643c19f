//! `OperatorClient`: one method per operator call, typed; the leader is found by the
//! detector and remembered from redirects.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use reqwest::Url;

use super::legacy::{AgentState, LegacyMasterState};
use super::watch::{OperatorWatch, WatchConfig};
use crate::detector::Detector;
use crate::httpcli::{
    ClientConfig, ErrorKind, HttpClient, HttpError, OPERATOR_PATH, RawReply, parse_base_url,
};
use crate::v1::FrameworkId;
use crate::v1::common::DurationInfo;
use crate::v1::master::response::{
    GetAgents, GetExecutors, GetFlags, GetFrameworks, GetHealth, GetMaster, GetMetrics, GetRoles,
    GetState, GetTasks, GetVersion,
};
use crate::v1::master::{Call, Response};

/// A client for a master's operator API.
#[derive(Debug, Clone)]
pub struct OperatorClient {
    http: HttpClient,
    detector: Arc<dyn Detector>,
    leader: Arc<Mutex<Option<Url>>>,
}

fn missing(what: &str) -> HttpError {
    HttpError::Decode {
        what: what.to_string(),
        source: <serde_json::Error as serde::de::Error>::custom(format!(
            "the response has no `{what}` field"
        )),
    }
}

macro_rules! getter {
    ($(#[$doc:meta])* $name:ident, $ctor:expr, $field:ident, $ty:ty) => {
        $(#[$doc])*
        pub async fn $name(&self) -> Result<$ty, HttpError> {
            self.call(&$ctor)
                .await?
                .and_then(|r| r.$field)
                .ok_or_else(|| missing(stringify!($field)))
        }
    };
}

impl OperatorClient {
    /// A client for the master(s) at `master` (`http://host:5050`, several comma-separated,
    /// or `zk://host:2181/mesos`).
    pub fn connect(master: &str, cfg: ClientConfig) -> Result<Self, HttpError> {
        Self::new(crate::detector::from_master(master)?, cfg)
    }

    /// A client asking `detector` for the leader.
    pub fn new(detector: Arc<dyn Detector>, cfg: ClientConfig) -> Result<Self, HttpError> {
        Ok(Self {
            http: HttpClient::new(cfg)?,
            detector,
            leader: Arc::new(Mutex::new(None)),
        })
    }

    /// The HTTP client (shared with watches).
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// The leader last seen (after detection or a redirect).
    pub fn leader(&self) -> Option<Url> {
        self.leader
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    async fn base(&self, refresh: bool) -> Result<Url, HttpError> {
        // A detector watching the election knows a new leader before any call fails.
        if let Some(l) = self.detector.known_leader() {
            *self.leader.lock().unwrap_or_else(|e| e.into_inner()) = Some(l.clone());
            return Ok(l);
        }
        if !refresh && let Some(l) = self.leader() {
            return Ok(l);
        }
        let l = self.detector.leader(&self.http).await?;
        *self.leader.lock().unwrap_or_else(|e| e.into_inner()) = Some(l.clone());
        Ok(l)
    }

    /// Sends any operator call; `None` when the master answers with an empty body.
    pub async fn call(&self, call: &Call) -> Result<Option<Response>, HttpError> {
        let body = Bytes::from(
            serde_json::to_vec(call).map_err(|source| HttpError::Decode {
                what: "operator call".into(),
                source,
            })?,
        );
        let base = self.base(false).await?;
        let reply = match self
            .http
            .post_json(&base, OPERATOR_PATH, body.clone(), None)
            .await
        {
            // The remembered leader may be gone: ask the detector again, once.
            Err(e) if e.kind() == ErrorKind::Transport => {
                let base = self.base(true).await?;
                self.http
                    .post_json(&base, OPERATOR_PATH, body, None)
                    .await?
            }
            other => other?,
        };
        *self.leader.lock().unwrap_or_else(|e| e.into_inner()) = Some(reply.leader.clone());
        let url = reply.response.url().to_string();
        let bytes = reply
            .response
            .bytes()
            .await
            .map_err(|e| HttpError::Transport {
                url,
                source: e.without_url(),
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| HttpError::Decode {
                what: format!("{} response", call.call_type),
                source,
            })
    }

    /// Sends any operator call and returns the answer verbatim (status and body text), so a
    /// 4xx is shown as the master wrote it. Streaming SUBSCRIBE belongs to [`OperatorWatch`].
    pub async fn call_raw(&self, call: &Call) -> Result<RawReply, HttpError> {
        let body = Bytes::from(
            serde_json::to_vec(call).map_err(|source| HttpError::Decode {
                what: "operator call".into(),
                source,
            })?,
        );
        let base = self.base(false).await?;
        match self
            .http
            .post_raw(&base, OPERATOR_PATH, body.clone(), None)
            .await
        {
            // The remembered leader may be gone: ask the detector again, once.
            Err(e) if e.kind() == ErrorKind::Transport => {
                let base = self.base(true).await?;
                self.http.post_raw(&base, OPERATOR_PATH, body, None).await
            }
            other => other,
        }
    }

    getter!(
        /// GET_HEALTH.
        get_health, Call::get_health(), get_health, GetHealth
    );
    getter!(
        /// GET_FLAGS.
        get_flags, Call::get_flags(), get_flags, GetFlags
    );
    getter!(
        /// GET_VERSION.
        get_version, Call::get_version(), get_version, GetVersion
    );
    getter!(
        /// GET_MASTER.
        get_master, Call::get_master(), get_master, GetMaster
    );
    getter!(
        /// GET_STATE: tasks, executors, frameworks and agents at once.
        get_state, Call::get_state(), get_state, GetState
    );
    getter!(
        /// GET_AGENTS.
        get_agents, Call::get_agents(), get_agents, GetAgents
    );
    getter!(
        /// GET_FRAMEWORKS.
        get_frameworks, Call::get_frameworks(), get_frameworks, GetFrameworks
    );
    getter!(
        /// GET_EXECUTORS.
        get_executors, Call::get_executors(), get_executors, GetExecutors
    );
    getter!(
        /// GET_TASKS.
        get_tasks, Call::get_tasks(), get_tasks, GetTasks
    );
    getter!(
        /// GET_ROLES.
        get_roles, Call::get_roles(), get_roles, GetRoles
    );

    /// GET_METRICS, waiting at most `timeout` for gauges.
    pub async fn get_metrics(
        &self,
        timeout: Option<DurationInfo>,
    ) -> Result<GetMetrics, HttpError> {
        self.call(&Call::get_metrics(timeout))
            .await?
            .and_then(|r| r.get_metrics)
            .ok_or_else(|| missing("get_metrics"))
    }

    /// TEARDOWN a framework (kills its tasks).
    pub async fn teardown(&self, framework_id: &FrameworkId) -> Result<(), HttpError> {
        self.call(&Call::teardown(framework_id.clone()))
            .await
            .map(drop)
    }

    /// The legacy `GET /master/state`, for masters without the v1 operator API.
    pub async fn legacy_state(&self) -> Result<LegacyMasterState, HttpError> {
        let base = self.base(false).await?;
        self.http
            .get(&base, "/master/state")
            .await?
            .json("/master/state")
            .await
    }

    /// An agent's `GET /state` (`agent` is its base URL, e.g. `http://host:5051`).
    pub async fn agent_state(&self, agent: &str) -> Result<AgentState, HttpError> {
        let base = parse_base_url(agent)?;
        self.http
            .get(&base, "/state")
            .await?
            .json("agent /state")
            .await
    }

    /// Opens the operator event stream in a background task that reconnects by itself.
    pub fn subscribe(&self, cfg: WatchConfig) -> OperatorWatch {
        OperatorWatch::start(self.http.clone(), Arc::clone(&self.detector), cfg)
    }
}
