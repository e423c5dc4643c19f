//! `HttpClient`: POSTs JSON to a master with exact headers, follows 307s itself (bounded,
//! protocol-relative `Location`), retries 503 with backoff, and keeps event streams on
//! their own connection pool so calls never queue behind a stream.

use std::sync::Arc;

use bytes::Bytes;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue, LOCATION};
use reqwest::{Method, StatusCode, Url};

use super::config::ClientConfig;
use super::error::HttpError;
use super::url::{join_path, origin_of, resolve_location};
use super::{APPLICATION_JSON, STREAM_ID_HEADER};

/// `application/recordio`, the framing of streamed answers.
const APPLICATION_RECORDIO: &str = "application/recordio";
/// The header naming the media type of the messages inside a stream.
const MESSAGE_ACCEPT_HEADER: &str = "Message-Accept";
use crate::backoff::Backoff;

/// A successful answer, with the leader that gave it (after any redirects).
#[derive(Debug)]
pub struct Reply {
    /// `scheme://host:port/` of the master that answered.
    pub leader: Url,
    /// Status (2xx).
    pub status: StatusCode,
    /// The response; its body is unread.
    pub response: reqwest::Response,
}

impl Reply {
    /// A response header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// Reads and decodes the JSON body.
    pub async fn json<T: serde::de::DeserializeOwned>(self, what: &str) -> Result<T, HttpError> {
        let url = self.response.url().to_string();
        let body = self
            .response
            .bytes()
            .await
            .map_err(|e| transport(&url, e))?;
        serde_json::from_slice(&body).map_err(|source| HttpError::Decode {
            what: what.to_string(),
            source,
        })
    }
}

/// A call's answer exactly as the master gave it, success or not, for verbatim display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawReply {
    /// The HTTP status (after following redirects).
    pub status: u16,
    /// The body as text: a JSON response, empty, or Mesos's plain-text reason.
    pub body: String,
}

impl RawReply {
    /// `202 Accepted`, `400 Bad Request`: the status with its canonical reason phrase.
    pub fn status_line(&self) -> String {
        let phrase = StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        format!("{} {phrase}", self.status).trim_end().to_owned()
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Which pool a request uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pool {
    Calls,
    Streams,
}

/// The shared HTTP client for calls and streams.
#[derive(Debug, Clone)]
pub struct HttpClient {
    calls: reqwest::Client,
    streams: reqwest::Client,
    cfg: Arc<ClientConfig>,
}

fn transport(url: &str, e: reqwest::Error) -> HttpError {
    HttpError::Transport {
        url: url.to_string(),
        source: e.without_url(),
    }
}

impl HttpClient {
    /// Builds the client (TLS roots from `cfg`, redirects handled here, not by reqwest).
    pub fn new(cfg: ClientConfig) -> Result<Self, HttpError> {
        let build = |pool: Pool| -> Result<reqwest::Client, HttpError> {
            let mut b = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(cfg.connect_timeout)
                .http1_only();
            if pool == Pool::Calls {
                b = b.timeout(cfg.request_timeout);
            } else {
                // One stream per connection, never reused for anything else.
                b = b.pool_max_idle_per_host(0);
            }
            if let Some(pem) = &cfg.ca_certificates_pem {
                let certs = reqwest::Certificate::from_pem_bundle(pem)
                    .map_err(|e| HttpError::Config(format!("CA certificates: {e}")))?;
                if certs.is_empty() {
                    return Err(HttpError::Config("no certificate in the CA PEM".into()));
                }
                b = b.tls_certs_only(certs);
            }
            b.build()
                .map_err(|e| HttpError::Config(e.without_url().to_string()))
        };
        Ok(Self {
            calls: build(Pool::Calls)?,
            streams: build(Pool::Streams)?,
            cfg: Arc::new(cfg),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// POSTs a JSON call to `base` + `path` on the calls pool (`Mesos-Stream-Id` if given).
    pub async fn post_json(
        &self,
        base: &Url,
        path: &str,
        body: Bytes,
        stream_id: Option<&str>,
    ) -> Result<Reply, HttpError> {
        self.send(
            Pool::Calls,
            Method::POST,
            base,
            path,
            &[],
            Some(body),
            stream_id,
        )
        .await
    }

    /// Like [`post_json`](Self::post_json), but a non-2xx answer is a [`RawReply`] too (its
    /// body Mesos's reason, verbatim) and the body is read; only transport trouble is an error.
    pub async fn post_raw(
        &self,
        base: &Url,
        path: &str,
        body: Bytes,
        stream_id: Option<&str>,
    ) -> Result<RawReply, HttpError> {
        match self.post_json(base, path, body, stream_id).await {
            Ok(reply) => {
                let url = reply.response.url().to_string();
                let status = reply.status.as_u16();
                let body = reply
                    .response
                    .text()
                    .await
                    .map_err(|e| transport(&url, e))?;
                Ok(RawReply { status, body })
            }
            Err(HttpError::Status { status, reason, .. }) => Ok(RawReply {
                status,
                body: reason,
            }),
            Err(e) => Err(e),
        }
    }

    /// POSTs a SUBSCRIBE on the streams pool; the reply's body is the RecordIO stream.
    pub async fn open_stream(
        &self,
        base: &Url,
        path: &str,
        body: Bytes,
    ) -> Result<Reply, HttpError> {
        let what = format!("{path} stream headers");
        let limit = self.cfg.request_timeout;
        tokio::time::timeout(
            limit,
            self.send(
                Pool::Streams,
                Method::POST,
                base,
                path,
                &[],
                Some(body),
                None,
            ),
        )
        .await
        .map_err(|_| HttpError::Timeout { after: limit, what })?
    }

    /// POSTs a JSON call whose answer is a RecordIO stream of JSON messages (`Accept:
    /// application/recordio`, `Message-Accept: application/json`), as an agent's container
    /// output streams are, on the streams pool; no redirect is followed (agents send none).
    pub async fn post_for_records(
        &self,
        base: &Url,
        path: &str,
        body: Bytes,
    ) -> Result<Reply, HttpError> {
        let url = join_path(base, path);
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static(APPLICATION_RECORDIO));
        headers.insert(
            MESSAGE_ACCEPT_HEADER,
            HeaderValue::from_static(APPLICATION_JSON),
        );
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(APPLICATION_JSON));
        let req = self.streams.post(url.clone()).headers(headers).body(body);
        let resp = self
            .authed(req)
            .send()
            .await
            .map_err(|e| transport(url.as_str(), e))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(Reply {
                leader: origin_of(base),
                status,
                response: resp,
            });
        }
        Err(status_error(resp, &url).await)
    }

    /// GETs `base` + `path` (legacy JSON endpoints), following redirects.
    pub async fn get(&self, base: &Url, path: &str) -> Result<Reply, HttpError> {
        self.send(Pool::Calls, Method::GET, base, path, &[], None, None)
            .await
    }

    /// GETs `base` + `path` with a query string built (and encoded) from `query`.
    pub async fn get_query(
        &self,
        base: &Url,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Reply, HttpError> {
        self.send(Pool::Calls, Method::GET, base, path, query, None, None)
            .await
    }

    /// Asks `base` who leads with `GET /master/redirect` (307 to `//leader:port`).
    pub async fn resolve_leader(&self, base: &Url) -> Result<Url, HttpError> {
        let url = join_path(base, "/master/redirect");
        let resp = self
            .authed(self.calls.get(url.clone()))
            .send()
            .await
            .map_err(|e| transport(url.as_str(), e))?;
        let status = resp.status();
        if status.is_redirection() {
            let location = location_of(&resp, &url)?;
            return Ok(origin_of(&resolve_location(&url, &location)?));
        }
        if status.is_success() {
            // An old master without the redirect endpoint semantics: it is its own answer.
            return Ok(origin_of(base));
        }
        Err(status_error(resp, &url).await)
    }

    fn authed(&self, b: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.cfg.credentials {
            Some(c) => b.basic_auth(&c.principal, Some(c.secret.expose())),
            None => b,
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn send(
        &self,
        pool: Pool,
        method: Method,
        base: &Url,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Bytes>,
        stream_id: Option<&str>,
    ) -> Result<Reply, HttpError> {
        let client = match pool {
            Pool::Calls => &self.calls,
            Pool::Streams => &self.streams,
        };
        let mut url = join_path(base, path);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let mut leader = origin_of(base);
        let mut hops = 0usize;
        let mut backoff = Backoff::new(self.cfg.retry_min_delay, self.cfg.retry_max_delay);
        loop {
            let mut headers = HeaderMap::new();
            headers.insert(ACCEPT, HeaderValue::from_static(APPLICATION_JSON));
            if body.is_some() {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static(APPLICATION_JSON));
            }
            if let Some(sid) = stream_id {
                let v = HeaderValue::from_str(sid).map_err(|e| HttpError::Config(e.to_string()))?;
                headers.insert(STREAM_ID_HEADER, v);
            }
            let mut req = client.request(method.clone(), url.clone()).headers(headers);
            if let Some(b) = &body {
                req = req.body(b.clone());
            }
            let resp = self
                .authed(req)
                .send()
                .await
                .map_err(|e| transport(url.as_str(), e))?;
            let status = resp.status();
            if status.is_success() {
                return Ok(Reply {
                    leader,
                    status,
                    response: resp,
                });
            }
            if status.is_redirection() {
                hops += 1;
                if hops > self.cfg.max_redirects {
                    return Err(HttpError::TooManyRedirects {
                        hops: hops - 1,
                        url: url.to_string(),
                    });
                }
                let location = location_of(&resp, &url)?;
                let next = resolve_location(&url, &location)?;
                tracing::debug!(from = %url, to = %next, "following redirect to the leader");
                leader = origin_of(&next);
                url = next;
                continue;
            }
            if status == StatusCode::SERVICE_UNAVAILABLE
                && (backoff.attempts() as usize) < self.cfg.max_unavailable_retries
            {
                let delay = backoff.next_delay();
                let reason = resp.text().await.unwrap_or_default();
                tracing::debug!(%url, reason, ?delay, "503 from master; retrying");
                tokio::time::sleep(delay).await;
                continue;
            }
            return Err(status_error(resp, &url).await);
        }
    }
}

fn location_of(resp: &reqwest::Response, url: &Url) -> Result<String, HttpError> {
    resp.headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty())
        .map(str::to_string)
        .ok_or_else(|| HttpError::BadRedirect {
            url: url.to_string(),
            location: None,
            reason: "missing Location header".into(),
        })
}

async fn status_error(resp: reqwest::Response, url: &Url) -> HttpError {
    let code = resp.status();
    let status = code.as_u16();
    let challenge = resp
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut reason = resp.text().await.unwrap_or_default();
    if reason.trim().is_empty() {
        // Mesos's 401 (and some proxies' errors) carry no body: say what the status means.
        reason = code
            .canonical_reason()
            .unwrap_or("no reason given")
            .to_owned();
        if let Some(c) = challenge {
            reason.push_str(&format!(" (WWW-Authenticate: {c})"));
        }
    }
    HttpError::Status {
        status,
        reason,
        url: url.to_string(),
    }
}
