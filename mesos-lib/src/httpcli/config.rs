//! Client settings: credentials, TLS roots, timeouts, redirect and retry limits.

use std::time::Duration;

use super::auth::Credentials;

/// How the HTTP clients talk to Mesos.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Basic-auth credentials sent on every request.
    pub credentials: Option<Credentials>,
    /// PEM CA certificates; when set, they are the only trusted roots (a private CA).
    pub ca_certificates_pem: Option<Vec<u8>>,
    /// Timeout for ordinary calls (Mesos docs advise about 75 s).
    pub request_timeout: Duration,
    /// TCP/TLS connect timeout.
    pub connect_timeout: Duration,
    /// Redirects followed per request before giving up.
    pub max_redirects: usize,
    /// 503 ("No leader elected", "not finished recovery") retries per request.
    pub max_unavailable_retries: usize,
    /// First delay between 503 retries (doubles, jittered).
    pub retry_min_delay: Duration,
    /// Largest delay between 503 retries.
    pub retry_max_delay: Duration,
    /// Largest RecordIO record accepted from a stream.
    pub max_record_size: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            credentials: None,
            ca_certificates_pem: None,
            request_timeout: Duration::from_secs(75),
            connect_timeout: Duration::from_secs(5),
            max_redirects: 9,
            max_unavailable_retries: 5,
            retry_min_delay: Duration::from_millis(250),
            retry_max_delay: Duration::from_secs(5),
            max_record_size: crate::recordio::DEFAULT_MAX_RECORD_SIZE,
        }
    }
}
