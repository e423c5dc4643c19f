//! HTTP plumbing against a tiny raw-TCP fake master: 307 with protocol-relative Location,
//! bounded redirects, 503 retries, verbatim reasons, basic auth, the `/master/redirect`
//! probe, and the scheduler's header, acknowledgement and 403 rules.
// Needs the embedded Mesos; compiled out when mesos-lib is built as cells build it (`cell` only).
#![cfg(feature = "client")]

mod client_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use client_support::WAIT;
use mesos_lib::detector::{Detector, StaticDetector};
use mesos_lib::httpcli::{ClientConfig, Credentials, ErrorKind, HttpClient, HttpError};
use mesos_lib::operator::OperatorClient;
use mesos_lib::scheduler::{Scheduler, SchedulerConfig};
use mesos_lib::v1::{FrameworkInfo, TaskState};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A request as the fake saw it.
#[derive(Debug, Clone)]
struct Req {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Req {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// What the fake answers.
enum Reply {
    Plain(u16, Vec<(&'static str, String)>, String),
    Stream(String, Vec<String>),
}

type Handler = dyn Fn(&Req, &[Req]) -> Reply + Send + Sync;

struct Fake {
    port: u16,
    log: Arc<Mutex<Vec<Req>>>,
}

impl Fake {
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
    fn log(&self) -> Vec<Req> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

async fn fake(handler: impl Fn(&Req, &[Req]) -> Reply + Send + Sync + 'static) -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = Arc::new(Mutex::new(Vec::new()));
    let handler: Arc<Handler> = Arc::new(handler);
    let l = Arc::clone(&log);
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(serve(sock, Arc::clone(&handler), Arc::clone(&l)));
        }
    });
    Fake { port, log }
}

async fn serve(mut sock: TcpStream, handler: Arc<Handler>, log: Arc<Mutex<Vec<Req>>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        // Read one request (headers, then Content-Length bytes).
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let mut lines = head.split("\r\n");
        let mut first = lines.next().unwrap().split(' ');
        let method = first.next().unwrap().to_string();
        let path = first.next().unwrap().to_string();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        let len: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| v.parse().unwrap())
            .unwrap_or(0);
        while buf.len() < head_end + 4 + len {
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body = String::from_utf8_lossy(&buf[head_end + 4..head_end + 4 + len]).to_string();
        buf.drain(..head_end + 4 + len);
        let req = Req {
            method,
            path,
            headers,
            body,
        };
        let reply = {
            let mut l = log.lock().unwrap_or_else(|e| e.into_inner());
            let r = handler(&req, &l);
            l.push(req);
            r
        };
        match reply {
            Reply::Plain(status, headers, body) => {
                let mut out = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len());
                for (k, v) in headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str("\r\n");
                out.push_str(&body);
                if sock.write_all(out.as_bytes()).await.is_err() {
                    return;
                }
            }
            Reply::Stream(stream_id, records) => {
                let mut out = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nMesos-Stream-Id: {stream_id}\r\n\r\n"
                );
                for r in records {
                    let framed = format!("{}\n{r}", r.len());
                    out.push_str(&format!("{:x}\r\n{framed}\r\n", framed.len()));
                }
                let _ = sock.write_all(out.as_bytes()).await;
                // Hold the stream open until the client goes away.
                let _ = sock.read(&mut chunk).await;
                return;
            }
        }
    }
}

fn plain(status: u16, body: &str) -> Reply {
    Reply::Plain(status, vec![], body.to_string())
}

fn redirect(to: String) -> Reply {
    Reply::Plain(307, vec![("Location", to)], String::new())
}

fn fast_retries() -> ClientConfig {
    ClientConfig {
        retry_min_delay: Duration::from_millis(1),
        retry_max_delay: Duration::from_millis(5),
        ..ClientConfig::default()
    }
}

const HEALTHY: &str = r#"{"type":"GET_HEALTH","get_health":{"healthy":true}}"#;

#[tokio::test]
async fn protocol_relative_redirect_is_followed_with_exact_headers() {
    let leader = fake(|_, _| Reply::Plain(200, vec![], HEALTHY.into())).await;
    let port = leader.port;
    let follower = fake(move |r, _| match r.path.as_str() {
        "/master/redirect" => plain(404, "404 Not Found."),
        _ => redirect(format!("//127.0.0.1:{port}/master/api/v1")),
    })
    .await;
    let op = OperatorClient::connect(&follower.url(), ClientConfig::default()).unwrap();
    assert!(op.get_health().await.unwrap().healthy);
    let seen = leader.log();
    assert_eq!(seen[0].path, "/master/api/v1");
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].header("content-type"), Some("application/json"));
    assert_eq!(seen[0].header("accept"), Some("application/json"));
    assert_eq!(seen[0].json()["type"], "GET_HEALTH");
    assert_eq!(op.leader().unwrap().as_str(), format!("{}/", leader.url()));
}

#[tokio::test]
async fn redirect_loops_are_bounded() {
    let port = Arc::new(Mutex::new(0u16));
    let p = Arc::clone(&port);
    let f = fake(move |_, _| redirect(format!("//127.0.0.1:{}/api/v1", p.lock().unwrap()))).await;
    *port.lock().unwrap() = f.port;
    let http = HttpClient::new(ClientConfig::default()).unwrap();
    let base = mesos_lib::httpcli::parse_base_url(&f.url()).unwrap();
    let err = http
        .post_json(&base, "/api/v1", "{}".into(), None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, HttpError::TooManyRedirects { hops: 9, .. }),
        "{err}"
    );
    assert_eq!(f.log().len(), 10);
}

#[tokio::test]
async fn unavailable_is_retried_then_surfaced_verbatim() {
    let flaky = fake(|_, seen| {
        if seen.len() < 2 {
            plain(503, "No leader elected")
        } else {
            Reply::Plain(200, vec![], HEALTHY.into())
        }
    })
    .await;
    let http = HttpClient::new(fast_retries()).unwrap();
    let base = mesos_lib::httpcli::parse_base_url(&flaky.url()).unwrap();
    let reply = http.post_json(&base, "/api/v1", "{}".into(), None).await;
    assert_eq!(reply.unwrap().status.as_u16(), 200);

    let down = fake(|_, _| plain(503, "No leader elected")).await;
    let base = mesos_lib::httpcli::parse_base_url(&down.url()).unwrap();
    let err = http
        .post_json(&base, "/api/v1", "{}".into(), None)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(err.reason(), Some("No leader elected"));
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert!(err.is_temporary());
    assert_eq!(down.log().len(), fast_retries().max_unavailable_retries + 1);
}

#[tokio::test]
async fn errors_keep_status_and_reason_verbatim() {
    let reason = "The stream ID 'x' included in this request didn't match the stream ID currently associated with framework ID F-0000";
    let f = fake(move |_, _| plain(400, reason)).await;
    let op = OperatorClient::connect(&f.url(), ClientConfig::default()).unwrap();
    let err = op.get_version().await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.reason(), Some(reason));
    assert_eq!(err.kind(), ErrorKind::Malformed);
    assert!(!err.is_temporary());
    assert!(err.to_string().contains(reason));
}

#[tokio::test]
async fn basic_auth_is_sent_and_the_secret_never_shown() {
    let f = fake(|_, _| Reply::Plain(200, vec![], HEALTHY.into())).await;
    let cfg = ClientConfig {
        credentials: Some(Credentials::new("fw", "s3cret")),
        ..ClientConfig::default()
    };
    assert!(!format!("{cfg:?}").contains("s3cret"));
    let op = OperatorClient::connect(&f.url(), cfg).unwrap();
    assert!(!format!("{op:?}").contains("s3cret"));
    op.get_health().await.unwrap();
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("fw:s3cret")
    );
    assert!(
        f.log()
            .iter()
            .all(|r| r.header("authorization") == Some(expected.as_str()))
    );
    // Credentials in a URL are refused rather than risked in logs.
    let err = OperatorClient::connect("http://fw:s3cret@127.0.0.1:1", ClientConfig::default())
        .unwrap_err();
    assert!(!err.to_string().contains("s3cret"));
}

#[tokio::test]
async fn leader_is_found_through_master_redirect() {
    let leader = fake(|_, _| plain(200, "")).await;
    let port = leader.port;
    let follower = fake(move |r, _| {
        assert_eq!(r.path, "/master/redirect");
        redirect(format!("//127.0.0.1:{port}"))
    })
    .await;
    let http = HttpClient::new(ClientConfig::default()).unwrap();
    let d = StaticDetector::new(&follower.url()).unwrap();
    let found = d.leader(&http).await.unwrap();
    assert_eq!(found.as_str(), format!("{}/", leader.url()));
}

#[test]
fn a_bad_ca_is_a_configuration_error() {
    let cfg = ClientConfig {
        ca_certificates_pem: Some(b"not a certificate".to_vec()),
        ..ClientConfig::default()
    };
    assert!(matches!(HttpClient::new(cfg), Err(HttpError::Config(_))));
}

const UUID: &str = "0X+n5n7/T2+a5WqMUplmZw==";

/// A scheduler master: SUBSCRIBE streams (updates on the first one only), RECONCILE and
/// ACKNOWLEDGE accepted, anything else 403 "Framework is not subscribed".
fn scheduler_master(r: &Req, seen: &[Req]) -> Reply {
    if r.path == "/master/redirect" {
        // An old master: the session then relies on the call itself.
        return plain(404, "404 Not Found.");
    }
    let ty = r.json()["type"].as_str().unwrap().to_string();
    if ty != "SUBSCRIBE" {
        return match ty.as_str() {
            "RECONCILE" | "ACKNOWLEDGE" => plain(202, ""),
            _ => plain(403, "Framework is not subscribed"),
        };
    }
    let n = seen
        .iter()
        .filter(|r| r.method == "POST" && r.json()["type"] == "SUBSCRIBE")
        .count()
        + 1;
    let mut records = vec![
        r#"{"type":"SUBSCRIBED","subscribed":{"framework_id":{"value":"F-0000"},"heartbeat_interval_seconds":60.0}}"#.to_string(),
        r#"{"type":"HEARTBEAT"}"#.to_string(),
    ];
    if n == 1 {
        records.push(format!(
            r#"{{"type":"UPDATE","update":{{"status":{{"task_id":{{"value":"a"}},"state":"TASK_RUNNING","source":"SOURCE_EXECUTOR","agent_id":{{"value":"S0"}},"uuid":"{UUID}"}}}}}}"#
        ));
        records.push(r#"{"type":"UPDATE","update":{"status":{"task_id":{"value":"b"},"state":"TASK_LOST","source":"SOURCE_MASTER","reason":"REASON_RECONCILIATION"}}}"#.to_string());
    }
    Reply::Stream(format!("sid-{n}"), records)
}

#[tokio::test]
async fn scheduler_headers_acks_and_403_resubscription() {
    let f = fake(scheduler_master).await;
    let mut cfg = SchedulerConfig::new(FrameworkInfo::new("root", "fake"));
    cfg.reconnect_min_delay = Duration::from_millis(10);
    cfg.reconnect_max_delay = Duration::from_millis(50);
    cfg.periodic_reconcile = None;
    let s = Scheduler::connect(&f.url(), cfg).unwrap();
    assert_eq!(s.wait_subscribed(WAIT).await.unwrap().value, "F-0000");
    s.wait_for_task_state("b", TaskState::Lost, WAIT)
        .await
        .unwrap();
    s.wait_until(WAIT, "one ack", |b| (b.acks_sent == 1).then_some(()))
        .await
        .unwrap();

    let log = f.log();
    let posts: Vec<&Req> = log.iter().filter(|r| r.method == "POST").collect();
    let subscribe = posts[0];
    assert_eq!(subscribe.path, "/api/v1/scheduler");
    assert_eq!(subscribe.header("mesos-stream-id"), None);
    assert_eq!(subscribe.header("content-type"), Some("application/json"));
    assert_eq!(subscribe.header("accept"), Some("application/json"));
    let acks: Vec<&Req> = posts
        .iter()
        .copied()
        .filter(|r| r.json()["type"] == "ACKNOWLEDGE")
        .collect();
    // Only the update with a uuid is acknowledged, its uuid echoed unchanged.
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].json()["acknowledge"]["uuid"], UUID);
    assert_eq!(acks[0].json()["acknowledge"]["task_id"]["value"], "a");
    assert_eq!(acks[0].json()["framework_id"]["value"], "F-0000");
    assert_eq!(acks[0].header("mesos-stream-id"), Some("sid-1"));

    // 403 surfaces verbatim and makes the session resubscribe with its framework ID.
    let err = s.revive(vec![]).await.unwrap_err();
    match err {
        mesos_lib::scheduler::SessionError::Http(e) => {
            assert_eq!(e.status(), Some(403));
            assert_eq!(e.reason(), Some("Framework is not subscribed"));
        }
        other => panic!("{other}"),
    }
    s.wait_until(WAIT, "resubscribed", |b| {
        (b.subscriptions >= 2 && b.stream_id.as_deref() == Some("sid-2")).then_some(())
    })
    .await
    .unwrap();
    assert!(s.read(|b| b.reconnects[0].reason.contains("403")));
    let resub = f
        .log()
        .into_iter()
        .filter(|r| r.method == "POST" && r.json()["type"] == "SUBSCRIBE")
        .nth(1)
        .unwrap();
    let body = resub.json();
    assert_eq!(body["framework_id"]["value"], "F-0000");
    assert_eq!(body["subscribe"]["framework_info"]["id"]["value"], "F-0000");
    s.close().await;
    assert!(s.is_finished());
}
