//! The cell side of the channel: blocking, std only, one connection per request.

use super::proto::{Answer, Envelope, MAX_LINE, Reply, Request, SECRET_ENV, SOCKET_ENV};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

/// How long a request may wait for the kernel: a LAUNCH goes to the master and back.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);

/// Why a request to the kernel's session failed.
#[derive(Debug, thiserror::Error)]
pub enum CellError {
    /// The code does not run in a Mesos kernel's Rust cell.
    #[error(
        "not inside a Mesos kernel cell: {0} is not set (the kernel gives it to its evcxr child only)"
    )]
    NotInKernel(&'static str),
    /// The socket could not be used.
    #[error("cannot reach the kernel's session: {0}")]
    Io(#[from] std::io::Error),
    /// The kernel answered something that is not an answer.
    #[error("the kernel's answer could not be read: {0}")]
    Protocol(String),
    /// The kernel (or the master behind it) refused or failed the request.
    #[error("{0}")]
    Kernel(String),
}

/// Sends one request and waits for its answer.
pub fn request(request: Request) -> Result<Reply, CellError> {
    let socket = std::env::var(SOCKET_ENV).map_err(|_| CellError::NotInKernel(SOCKET_ENV))?;
    let secret = std::env::var(SECRET_ENV).map_err(|_| CellError::NotInKernel(SECRET_ENV))?;
    let mut line = serde_json::to_string(&Envelope { secret, request })
        .map_err(|e| CellError::Protocol(e.to_string()))?;
    line.push('\n');
    let mut stream = UnixStream::connect(socket)?;
    stream.set_read_timeout(Some(ANSWER_TIMEOUT))?;
    stream.write_all(line.as_bytes())?;
    let mut answer = String::new();
    BufReader::new(stream)
        .take(MAX_LINE as u64)
        .read_line(&mut answer)?;
    if answer.is_empty() {
        return Err(CellError::Protocol(
            "the kernel closed the connection without answering".into(),
        ));
    }
    match serde_json::from_str::<Answer>(&answer) {
        Ok(Ok(reply)) => Ok(reply),
        Ok(Err(why)) => Err(CellError::Kernel(why)),
        Err(e) => Err(CellError::Protocol(e.to_string())),
    }
}
