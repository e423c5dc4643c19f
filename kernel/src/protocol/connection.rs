//! The connection file a Jupyter client writes before starting the kernel.

use serde::Deserialize;
use std::path::Path;

/// Transport named in the connection file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// `tcp://ip:port`.
    Tcp,
    /// `ipc://ip-port` (ip is a path prefix).
    Ipc,
}

/// The parsed connection file.
#[derive(Clone, Deserialize)]
pub struct ConnectionInfo {
    /// tcp or ipc.
    #[serde(default = "default_transport")]
    pub transport: Transport,
    /// Address (tcp) or path prefix (ipc).
    pub ip: String,
    /// Shell ROUTER port.
    pub shell_port: u16,
    /// IOPub PUB port.
    pub iopub_port: u16,
    /// Stdin ROUTER port.
    pub stdin_port: u16,
    /// Control ROUTER port.
    pub control_port: u16,
    /// Heartbeat REP port.
    pub hb_port: u16,
    /// HMAC key; empty disables signing.
    #[serde(default)]
    pub key: String,
    /// `hmac-sha256` is the only scheme we accept.
    #[serde(default = "default_scheme")]
    pub signature_scheme: String,
    /// Name of the kernelspec the client started, if it said.
    #[serde(default)]
    pub kernel_name: Option<String>,
}

// The key is a secret: keep it out of Debug output and so out of every log line.
impl std::fmt::Debug for ConnectionInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionInfo")
            .field("transport", &self.transport)
            .field("ip", &self.ip)
            .field("shell_port", &self.shell_port)
            .field("iopub_port", &self.iopub_port)
            .field("stdin_port", &self.stdin_port)
            .field("control_port", &self.control_port)
            .field("hb_port", &self.hb_port)
            .field(
                "key",
                &if self.key.is_empty() {
                    "<empty>"
                } else {
                    "<redacted>"
                },
            )
            .field("signature_scheme", &self.signature_scheme)
            .finish()
    }
}

fn default_transport() -> Transport {
    Transport::Tcp
}

fn default_scheme() -> String {
    "hmac-sha256".to_owned()
}

/// Why a connection file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// The file could not be read.
    #[error("cannot read connection file {path}: {source}")]
    Read {
        /// The path given.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not the JSON we expect.
    #[error("connection file is not valid: {0}")]
    Parse(#[from] serde_json::Error),
    /// A signature scheme we do not implement.
    #[error("unsupported signature_scheme {0:?}: only hmac-sha256 is implemented")]
    Scheme(String),
}

/// The five channels of a kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// Requests and replies.
    Shell,
    /// Broadcast of side effects.
    Iopub,
    /// Input requests to the front end.
    Stdin,
    /// Interrupt, shutdown and friends, never queued behind execution.
    Control,
    /// Raw echo.
    Heartbeat,
}

impl ConnectionInfo {
    /// Reads and validates a connection file.
    pub fn from_file(path: &Path) -> Result<Self, ConnectionError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConnectionError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text)
    }

    /// Parses and validates connection-file JSON.
    pub fn parse(text: &str) -> Result<Self, ConnectionError> {
        let info: ConnectionInfo = serde_json::from_str(text)?;
        if !info.signature_scheme.eq_ignore_ascii_case("hmac-sha256") {
            return Err(ConnectionError::Scheme(info.signature_scheme));
        }
        Ok(info)
    }

    /// The ZeroMQ endpoint of a channel, exactly as the client expects to reach it.
    pub fn endpoint(&self, channel: Channel) -> String {
        let port = match channel {
            Channel::Shell => self.shell_port,
            Channel::Iopub => self.iopub_port,
            Channel::Stdin => self.stdin_port,
            Channel::Control => self.control_port,
            Channel::Heartbeat => self.hb_port,
        };
        match self.transport {
            Transport::Tcp => format!("tcp://{}:{}", self.ip, port),
            Transport::Ipc => format!("ipc://{}-{}", self.ip, port),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4,
        "hb_port": 5, "ip": "127.0.0.1", "key": "s3cret", "transport": "tcp",
        "signature_scheme": "hmac-sha256", "kernel_name": "mesos"}"#;

    #[test]
    fn parses_and_builds_endpoints() {
        let info = ConnectionInfo::parse(SAMPLE).unwrap();
        assert_eq!(info.endpoint(Channel::Control), "tcp://127.0.0.1:4");
        assert_eq!(info.kernel_name.as_deref(), Some("mesos"));
    }

    #[test]
    fn ipc_endpoints_use_the_path_prefix() {
        let text = SAMPLE
            .replace("\"tcp\"", "\"ipc\"")
            .replace("127.0.0.1", "/tmp/k");
        let info = ConnectionInfo::parse(&text).unwrap();
        assert_eq!(info.endpoint(Channel::Heartbeat), "ipc:///tmp/k-5");
    }

    #[test]
    fn debug_output_never_shows_the_key() {
        let info = ConnectionInfo::parse(SAMPLE).unwrap();
        assert!(!format!("{info:?}").contains("s3cret"));
    }

    #[test]
    fn rejects_other_schemes_and_garbage() {
        let text = SAMPLE.replace("hmac-sha256", "hmac-md5");
        assert!(matches!(
            ConnectionInfo::parse(&text),
            Err(ConnectionError::Scheme(_))
        ));
        assert!(ConnectionInfo::parse("{").is_err());
        assert!(ConnectionInfo::parse("{}").is_err());
    }
}
