//! The private channel between the kernel and its evcxr child, so Rust cells can read and act
//! on the kernel's one Mesos session (`mesos_lib::session` on the cell side).
//!
//! A Unix socket in a fresh 0700 directory, and a per-process random secret that only the
//! evcxr child receives (in its environment, set on the child's command alone). Every request
//! line must carry the secret; one without it is answered with a refusal and the connection
//! closed. Requests are served on the kernel's tokio runtime by [`handlers`], which calls the
//! same session functions the magics use.

mod handlers;

use crate::mesos::MesosHandle;
use mesos_lib::session::proto::{Envelope, MAX_LINE, SECRET_ENV, SOCKET_ENV};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

/// The served channel: where it is and what the child needs to use it.
#[derive(Clone)]
pub struct CellBridge {
    dir: PathBuf,
    socket: PathBuf,
    secret: String,
}

impl std::fmt::Debug for CellBridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret: this may end up in a log.
        f.debug_struct("CellBridge")
            .field("socket", &self.socket)
            .finish_non_exhaustive()
    }
}

impl CellBridge {
    /// Creates the private directory and socket and serves it on the current tokio runtime.
    pub fn start(mesos: MesosHandle) -> std::io::Result<Self> {
        let dir = private_dir()?;
        let socket = dir.join("cell.sock");
        let listener = UnixListener::bind(&socket)?;
        let secret = new_secret();
        let bridge = Self {
            dir,
            socket,
            secret,
        };
        tracing::info!(socket = %bridge.socket.display(), "serving Rust cells' session requests");
        tokio::spawn(serve(listener, bridge.secret.clone(), mesos));
        Ok(bridge)
    }

    /// The socket's path.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Environment for the evcxr child only: the socket and the secret.
    pub fn child_env(&self) -> Vec<(String, String)> {
        vec![
            (
                SOCKET_ENV.to_owned(),
                self.socket.to_string_lossy().into_owned(),
            ),
            (SECRET_ENV.to_owned(), self.secret.clone()),
        ]
    }

    /// Removes the socket and its directory (kernel exit).
    pub fn remove(&self) {
        let _ = std::fs::remove_file(&self.socket);
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// A fresh directory only this user can enter: under `$XDG_RUNTIME_DIR` (itself 0700) when
/// set, else the system temp dir. Creation fails rather than reuse an existing path.
fn private_dir() -> std::io::Result<PathBuf> {
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|d| d.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    let name = format!(
        "mesos-kernel-cells-{}-{}",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let dir = base.join(name);
    std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
    Ok(dir)
}

/// 256 bits from the OS's random source (two v4 UUIDs carry 244 of them), as hex.
fn new_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Compares without stopping at the first difference, so timing says nothing about the secret.
fn same_secret(given: &str, secret: &str) -> bool {
    let (a, b) = (given.as_bytes(), secret.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn serve(listener: UnixListener, secret: String, mesos: MesosHandle) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let (secret, mesos) = (secret.clone(), mesos.clone());
                tokio::spawn(async move {
                    if let Err(e) = connection(stream, &secret, &mesos).await {
                        tracing::debug!(error = %e, "cell session connection ended");
                    }
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "cell session socket: accept failed");
                return;
            }
        }
    }
}

/// Serves request lines until the peer closes; the first line without the secret ends it.
async fn connection(stream: UnixStream, secret: &str, mesos: &MesosHandle) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    // Bounded, so a peer that never sends a newline cannot make the kernel buffer without end;
    // the cell side sends one request per connection.
    let mut lines = BufReader::new(read.take(MAX_LINE as u64));
    loop {
        let mut line = String::new();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let (answer, refused) = match serde_json::from_str::<Envelope>(&line) {
            Ok(env) if same_secret(&env.secret, secret) => {
                (handlers::handle(env.request, mesos).await, false)
            }
            Ok(_) => (Err(refusal("wrong or missing secret")), true),
            Err(_) => (Err(refusal("not a request")), true),
        };
        let mut out = serde_json::to_string(&answer)
            .unwrap_or_else(|e| format!("{{\"Err\":\"cannot encode the answer: {e}\"}}"));
        out.push('\n');
        write.write_all(out.as_bytes()).await?;
        if refused {
            tracing::warn!("refused a request on the cell session socket (no valid secret)");
            return Ok(());
        }
    }
}

fn refusal(why: &str) -> String {
    format!("refused: {why}; only the kernel's own Rust cells may use this socket")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        let s = new_secret();
        assert_eq!(s.len(), 64);
        assert!(same_secret(&s, &s.clone()));
        assert!(!same_secret("", &s));
        assert!(!same_secret(&s[..63], &s));
        let mut other = s.clone().into_bytes();
        other[63] = if other[63] == b'0' { b'1' } else { b'0' };
        assert!(!same_secret(std::str::from_utf8(&other).unwrap(), &s));
        assert_ne!(new_secret(), s);
    }
}
