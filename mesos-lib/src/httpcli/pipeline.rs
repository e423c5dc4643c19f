//! HTTP/1.1 pipelining for many small calls of one kind (acknowledgements): the requests are
//! written back to back on one keep-alive connection and the answers read in order, so a
//! batch costs one write and a few reads instead of a round trip per call. Masters answer
//! pipelined requests in order, as HTTP/1.1 requires. Plain `http` only: the pooled client
//! carries everything else.

use std::fmt::Write as _;
use std::time::Duration;

use base64::Engine as _;
use bytes::{Buf, Bytes, BytesMut};
use reqwest::Url;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{APPLICATION_JSON, ClientConfig, STREAM_ID_HEADER};

/// Largest answer head, or body, accepted; an ACKNOWLEDGE answer is a few hundred bytes.
const MAX_ANSWER: usize = 64 * 1024;

/// One keep-alive connection for pipelined POSTs, (re)opened as needed.
pub struct Pipeline {
    conn: Option<Conn>,
    authorization: Option<String>,
    timeout: Duration,
    connect_timeout: Duration,
}

struct Conn {
    authority: String,
    stream: TcpStream,
    buf: BytesMut,
}

/// Why a batch stopped being answered; the connection is dropped then.
#[derive(Debug)]
enum Broken {
    Io,
    Malformed,
    Closed,
}

impl From<std::io::Error> for Broken {
    fn from(_: std::io::Error) -> Self {
        Broken::Io
    }
}

impl Pipeline {
    /// A pipeline with `cfg`'s credentials and timeouts (no connection yet).
    pub fn new(cfg: &ClientConfig) -> Pipeline {
        let authorization = cfg.credentials.as_ref().map(|c| {
            let pair = format!("{}:{}", c.principal, c.secret.expose());
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            )
        });
        Pipeline {
            conn: None,
            authorization,
            timeout: cfg.request_timeout,
            connect_timeout: cfg.connect_timeout,
        }
    }

    /// Whether calls to `base` can go this way: plain `http` with a host.
    pub fn supports(base: &Url) -> bool {
        base.scheme() == "http" && base.host_str().is_some()
    }

    /// POSTs every JSON body to `base` + `path` (with `Mesos-Stream-Id` if given) and returns
    /// each one's HTTP status, in order; `None` for those left unanswered (connection lost,
    /// closed or timed out), which the caller must send another way.
    pub async fn post_all(
        &mut self,
        base: &Url,
        path: &str,
        stream_id: Option<&str>,
        bodies: &[Bytes],
    ) -> Vec<Option<u16>> {
        let mut out = vec![None; bodies.len()];
        let (Some(host), Some(port)) = (base.host_str(), base.port_or_known_default()) else {
            return out;
        };
        let authority = format!("{host}:{port}");
        let target = format!(
            "{}/{}",
            base.path().trim_end_matches('/'),
            path.trim_start_matches('/')
        );
        let request = self.requests(&authority, &target, stream_id, bodies);
        let limit = self.timeout;
        let exchange = self.exchange(&authority, &request, &mut out);
        let done = tokio::time::timeout(limit, exchange).await;
        if !matches!(done, Ok(Ok(()))) {
            tracing::debug!(?done, "pipelined connection dropped");
            self.conn = None;
        }
        out
    }

    fn requests(
        &self,
        authority: &str,
        target: &str,
        stream_id: Option<&str>,
        bodies: &[Bytes],
    ) -> Vec<u8> {
        let mut head = String::new();
        let size: usize = bodies.iter().map(|b| b.len() + 256).sum();
        let mut out = Vec::with_capacity(size);
        for body in bodies {
            head.clear();
            let _ = write!(
                head,
                "POST {target} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: {APPLICATION_JSON}\r\nAccept: {APPLICATION_JSON}\r\nContent-Length: {}\r\n",
                body.len()
            );
            if let Some(sid) = stream_id {
                let _ = write!(head, "{STREAM_ID_HEADER}: {sid}\r\n");
            }
            if let Some(auth) = &self.authorization {
                let _ = write!(head, "Authorization: {auth}\r\n");
            }
            head.push_str("\r\n");
            out.extend_from_slice(head.as_bytes());
            out.extend_from_slice(body);
        }
        out
    }

    async fn exchange(
        &mut self,
        authority: &str,
        request: &[u8],
        out: &mut [Option<u16>],
    ) -> Result<(), Broken> {
        if self.conn.as_ref().is_none_or(|c| c.authority != authority) {
            let stream = tokio::time::timeout(self.connect_timeout, TcpStream::connect(authority))
                .await
                .map_err(|_| Broken::Io)??;
            stream.set_nodelay(true)?;
            self.conn = Some(Conn {
                authority: authority.to_string(),
                stream,
                buf: BytesMut::with_capacity(8192),
            });
        }
        let conn = self.conn.as_mut().ok_or(Broken::Io)?;
        conn.stream.write_all(request).await?;
        for slot in out.iter_mut() {
            let (status, close) = read_answer(&mut conn.stream, &mut conn.buf).await?;
            *slot = Some(status);
            if close {
                // The rest were not answered and may not have been read: `None`, sent again.
                return Err(Broken::Closed);
            }
        }
        Ok(())
    }
}

/// Reads one answer; returns its status and whether the server closes the connection.
async fn read_answer(stream: &mut TcpStream, buf: &mut BytesMut) -> Result<(u16, bool), Broken> {
    let head_len = loop {
        if let Some(i) = find_head_end(buf) {
            break i;
        }
        if buf.len() > MAX_ANSWER || stream.read_buf(buf).await? == 0 {
            return Err(Broken::Closed);
        }
    };
    let (status, body_len, close) = parse_head(&buf[..head_len])?;
    buf.advance(head_len);
    if body_len > MAX_ANSWER {
        return Err(Broken::Malformed);
    }
    while buf.len() < body_len {
        if stream.read_buf(buf).await? == 0 {
            return Err(Broken::Closed);
        }
    }
    buf.advance(body_len);
    Ok((status, close))
}

/// The length of the head up to and including the blank line, once it is all in `buf`.
fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// Status, body length and `Connection: close` of an answer head. Bodies must have a
/// `Content-Length` (or be empty by status): chunked answers are not read here.
fn parse_head(head: &[u8]) -> Result<(u16, usize, bool), Broken> {
    let text = std::str::from_utf8(head).map_err(|_| Broken::Malformed)?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().ok_or(Broken::Malformed)?;
    let mut parts = status_line.split(' ');
    let version = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/1.") {
        return Err(Broken::Malformed);
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or(Broken::Malformed)?;
    let mut length = None;
    let mut close = version == "HTTP/1.0";
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':').ok_or(Broken::Malformed)?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.parse::<usize>().map_err(|_| Broken::Malformed)?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(Broken::Malformed);
        } else if name.eq_ignore_ascii_case("connection") {
            close = value.eq_ignore_ascii_case("close");
        }
    }
    let length = match length {
        Some(n) => n,
        None if status == 204 || status == 304 || (100..200).contains(&status) => 0,
        // A body that runs to the end of the connection: not for pipelining.
        None => return Err(Broken::Malformed),
    };
    Ok((status, length, close))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads() {
        let h = b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        assert_eq!(find_head_end(h), Some(h.len()));
        assert_eq!(parse_head(h).unwrap(), (202, 0, false));
        let h = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 12\r\nConnection: close\r\n\r\n";
        assert_eq!(parse_head(h).unwrap(), (400, 12, true));
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\n\r\n").is_err());
        assert_eq!(
            parse_head(b"HTTP/1.1 204 No Content\r\n\r\n").unwrap(),
            (204, 0, false)
        );
        assert!(parse_head(b"SSH-2.0\r\n\r\n").is_err());
        assert_eq!(find_head_end(b"HTTP/1.1 202 Accepted\r\n"), None);
    }

    #[tokio::test]
    async fn pipelined_answers_in_order() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // A server that reads three requests' worth of bytes and answers them in one write.
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut got = Vec::new();
            let mut chunk = [0u8; 4096];
            while got.windows(4).filter(|w| w == b"\r\n\r\n").count() < 3 || !got.ends_with(b"{}") {
                let n = s.read(&mut chunk).await.unwrap();
                assert!(n > 0);
                got.extend_from_slice(&chunk[..n]);
            }
            s.write_all(
                b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\nHTTP/1.1 400 Bad Request\r\ncontent-length: 3\r\n\r\nno!HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            )
            .await
            .unwrap();
            String::from_utf8(got).unwrap()
        });
        let mut p = Pipeline::new(&ClientConfig::default());
        let base = Url::parse(&format!("http://{addr}")).unwrap();
        let bodies = vec![Bytes::from_static(b"{}"); 3];
        let out = p
            .post_all(&base, "/api/v1/scheduler", Some("sid"), &bodies)
            .await;
        assert_eq!(out, vec![Some(202), Some(400), Some(202)]);
        let sent = server.await.unwrap();
        assert_eq!(sent.matches("POST /api/v1/scheduler HTTP/1.1").count(), 3);
        assert_eq!(sent.matches("Mesos-Stream-Id: sid").count(), 3);
        // The server closed: the next batch opens a new connection (here: refused).
        drop(p.conn.take());
    }
}
