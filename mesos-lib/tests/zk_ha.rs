//! High availability against a real ZooKeeper: the embedded masters register `json.info_`
//! nodes exactly as Mesos does, `ZkDetector` finds the lowest one, a killed leader is
//! replaced and sessions follow it, a ZooKeeper restart is survived, and a path without
//! masters fails in bounded time. Needs Debian's `zookeeper` package (install/setup.sh).
// Needs the embedded Mesos; compiled out when mesos-lib is built as cells build it (`cell` only).
#![cfg(feature = "client")]

mod client_support;
mod zk_support;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use client_support::{WAIT, config, history, launch_running};
use mesos_lib::detector::{Detector, ZkConfig, ZkDetector, encode_master_info};
use mesos_lib::httpcli::HttpClient;
use mesos_lib::operator::OperatorClient;
use mesos_lib::scheduler::{ReconcileStatus, Scheduler, SessionState};
use mesos_lib::v1::{MasterInfo, TaskState};
use mesos_local::{LocalConfig, LocalMesos};
use zk_support::ZkServer;
use zookeeper_client as zk;

/// Short sessions and polls so failures show quickly; the leader wait stays bounded.
fn zk_config() -> ZkConfig {
    ZkConfig {
        session_timeout: Duration::from_secs(6),
        connect_timeout: Duration::from_secs(5),
        poll_interval: Duration::from_secs(1),
        leader_timeout: Duration::from_secs(5),
    }
}

async fn ha_mesos(zk: &ZkServer, masters: usize) -> LocalMesos {
    LocalMesos::start(LocalConfig {
        masters,
        zk: Some(zk.url("/mesos")),
        zk_session_timeout: Duration::from_secs(6),
        heartbeat_interval: Duration::from_millis(200),
        allocation_interval: Duration::from_millis(50),
        status_update_retry_interval: Duration::from_millis(300),
        ..LocalConfig::default()
    })
    .await
    .expect("embedded Mesos registers its masters in ZooKeeper")
}

fn detector(zk: &ZkServer, path: &str) -> Arc<ZkDetector> {
    Arc::new(ZkDetector::with_config(&zk.url(path), zk_config()).expect("zk:// URL"))
}

fn http() -> HttpClient {
    HttpClient::new(Default::default()).expect("HTTP client")
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn origin(url: &str) -> String {
    url.trim_end_matches('/').to_string()
}

/// The `json.info_` children of /mesos, sorted, with their data and ephemeral owners.
async fn json_nodes(zk: &ZkServer) -> Vec<(String, Vec<u8>, i64)> {
    let client = zk::Client::connect(&zk.address())
        .await
        .expect("ZooKeeper session");
    let mut names = client.list_children("/mesos").await.expect("/mesos");
    names.sort();
    let mut out = Vec::new();
    for n in names.into_iter().filter(|n| n.starts_with("json.info_")) {
        let (data, stat) = client.get_data(&format!("/mesos/{n}")).await.unwrap();
        out.push((n, data, stat.ephemeral_owner));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn masters_register_like_mesos_and_the_lowest_node_leads() {
    let zk = ZkServer::start();
    // Real clusters keep the replicated log's `log_replicas` beside the masters' nodes.
    let admin = zk::Client::connect(&zk.address()).await.unwrap();
    let persistent = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
    admin.create("/mesos", b"", &persistent).await.unwrap();
    admin
        .create("/mesos/log_replicas", b"", &persistent)
        .await
        .unwrap();

    let m = ha_mesos(&zk, 3).await;
    let urls = m.master_urls();
    assert_eq!(
        m.url(),
        urls[0],
        "the first master registered first and leads"
    );

    let nodes = json_nodes(&zk).await;
    assert_eq!(nodes.len(), 3, "{nodes:?}");
    for (i, (name, data, owner)) in nodes.iter().enumerate() {
        // The parent's child counter numbers them: log_replicas took 0.
        assert_eq!(name, &format!("json.info_{:010}", i + 1));
        assert_ne!(*owner, 0, "{name} must be ephemeral");
        let info: MasterInfo = serde_json::from_slice(data).unwrap();
        // Mesos writes keys sorted: the bytes are what re-encoding gives.
        assert_eq!(&encode_master_info(&info), data);
        let text = String::from_utf8(data.clone()).unwrap();
        let port = urls[i].rsplit(':').next().unwrap();
        assert!(
            text.starts_with(&format!(
                r#"{{"address":{{"hostname":"127.0.0.1","ip":"127.0.0.1","port":{port}}},"capabilities":[{{"type":"AGENT_UPDATE"}}"#
            )),
            "{text}"
        );
        assert!(
            text.contains(r#""ip":16777343,"pid":"master@127.0.0.1:"#),
            "{text}"
        );
    }

    let d = detector(&zk, "/mesos");
    let leader = d.leader(&http()).await.expect("leader");
    assert_eq!(origin(leader.as_str()), urls[0]);
    let view = d.masters();
    assert_eq!(view.masters.len(), 3, "log_replicas is not a master");
    assert_eq!(view.leader.as_ref().unwrap().node, "json.info_0000000001");
    assert!(view.connected && view.problem.is_none(), "{view:?}");

    // Followers answer 307 to the leader, as in the real transcript.
    let leader_hostport = urls[0].trim_start_matches("http://");
    let c = no_redirects();
    let r = c
        .post(format!("{}/api/v1/scheduler", urls[2]))
        .header("Content-Type", "application/json")
        .body(r#"{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"root","name":"x"}}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 307);
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        format!("//{leader_hostport}/master/api/v1/scheduler")
    );
    let r = c
        .get(format!("{}/master/redirect", urls[1]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 307);
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        format!("//{leader_hostport}")
    );

    let contenders = m.contenders();
    assert_eq!(
        contenders.iter().map(|c| c.leading).collect::<Vec<_>>(),
        [true, false, false]
    );
    assert_eq!(contenders[2].node.as_deref(), Some("json.info_0000000003"));
    m.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_leader_is_replaced_and_the_scheduler_follows_with_its_tasks() {
    let zk = ZkServer::start();
    let m = ha_mesos(&zk, 3).await;
    let old = m.url();
    let s = Scheduler::start(detector(&zk, "/mesos"), config("ha")).expect("session");
    let fid = s.wait_subscribed(WAIT).await.expect("subscribed");
    launch_running(&s, "t", "sleep 300").await;
    let subs = s.read(|b| b.subscriptions);
    assert_eq!(origin(&s.read(|b| b.leader.clone()).unwrap()), old);

    let killed_at = SystemTime::now();
    let new = m.kill_leader().await.expect("a new leader");
    assert_ne!(new, old);
    assert_eq!(new, m.master_urls()[1], "the next-lowest node leads");
    assert_eq!(
        json_nodes(&zk).await.len(),
        2,
        "the killed master's node is gone"
    );

    // Resubscribed with the same framework ID at the new leader, reconciled, task intact.
    let changed = s
        .wait_until(WAIT, "resubscribed at the new leader", |b| {
            (b.state == SessionState::Subscribed
                && b.subscriptions > subs
                && b.leader.as_deref().map(origin) == Some(new.clone())
                && matches!(b.reconciliation, ReconcileStatus::Done { at, .. } if at >= killed_at))
            .then(|| b.leader_history.back().cloned())
        })
        .await
        .unwrap_or_else(|e| panic!("{e}: {:#?}", s.snapshot()))
        .expect("the leader change is in the book");
    assert_eq!(s.framework_id().unwrap(), fid);
    assert_eq!(origin(&changed.from), old);
    assert_eq!(origin(&changed.to), new);
    assert!(changed.at >= killed_at, "recorded when it happened");
    assert_eq!(s.read(|b| b.leader_changes), 1);
    assert_eq!(s.task("t").unwrap().state(), TaskState::Running);
    assert_eq!(history(&s, "t"), [TaskState::Starting, TaskState::Running]);

    // The dead master's port is closed; the new leader knows the framework and its task.
    assert!(reqwest::get(format!("{old}/health")).await.is_err());
    let op = OperatorClient::connect(&zk.url("/mesos"), Default::default()).unwrap();
    let state = op.legacy_state().await.unwrap();
    let fw = state
        .frameworks
        .iter()
        .find(|f| f.id == fid.value)
        .expect("framework");
    assert!(
        fw.tasks
            .iter()
            .any(|t| t.id == "t" && t.state == TaskState::Running),
        "{fw:?}"
    );
    assert_eq!(origin(op.leader().unwrap().as_str()), new);
    s.close().await;
    m.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zookeeper_restart_is_survived() {
    let mut zk = ZkServer::start();
    let m = ha_mesos(&zk, 2).await;
    let d = detector(&zk, "/mesos");
    let s = Scheduler::start(Arc::clone(&d) as Arc<dyn Detector>, config("zkrestart")).unwrap();
    let fid = s.wait_subscribed(WAIT).await.expect("subscribed");
    let leader = m.url();

    tokio::task::block_in_place(|| zk.restart());
    let back = SystemTime::now();
    let view = d
        .wait_for(WAIT, |v| {
            v.connected && v.read_at.is_some_and(|t| t >= back)
        })
        .await
        .expect("the detector reads ZooKeeper again after its restart");
    assert_eq!(view.masters.len(), 2, "{view:?}");
    let after = view.leader.expect("a leader after the restart").url;
    assert_eq!(origin(after.as_str()), m.url());

    // Watches work on the new connection: a failover is still noticed and followed.
    let new = m.kill_leader().await.expect("a new leader");
    assert_ne!(new, leader);
    d.wait_for(WAIT, |v| {
        v.leader
            .as_ref()
            .is_some_and(|l| origin(l.url.as_str()) == new)
    })
    .await
    .expect("the detector saw the new leader");
    s.wait_until(WAIT, "resubscribed at the new leader", |b| {
        (b.state == SessionState::Subscribed
            && b.leader.as_deref().map(origin) == Some(new.clone()))
        .then_some(())
    })
    .await
    .expect("the session followed");
    assert_eq!(s.framework_id().unwrap(), fid);
    s.close().await;
    m.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_registered_master_is_a_clear_error_in_bounded_time() {
    let zk = ZkServer::start();
    let admin = zk::Client::connect(&zk.address()).await.unwrap();
    let persistent = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
    admin.create("/empty", b"", &persistent).await.unwrap();
    admin
        .create("/empty/log_replicas", b"", &persistent)
        .await
        .unwrap();
    let http = http();

    for (path, expected) in [
        (
            "/empty",
            "no master is registered (no json.info_* node under /empty)",
        ),
        ("/absent", "/absent does not exist in ZooKeeper"),
    ] {
        let d = detector(&zk, path);
        let t0 = Instant::now();
        let e = d.leader(&http).await.expect_err("no leader").to_string();
        assert!(
            t0.elapsed() < Duration::from_secs(15),
            "took {:?}",
            t0.elapsed()
        );
        assert!(e.contains(expected), "{e}");
        assert!(e.contains(&zk.url(path)), "{e}");
    }

    // Nothing listening at all: the reason names the unreachable servers.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let d = Arc::new(
        ZkDetector::with_config(&format!("zk://127.0.0.1:{dead}/mesos"), zk_config()).unwrap(),
    );
    let t0 = Instant::now();
    let e = d.leader(&http).await.expect_err("no leader").to_string();
    assert!(
        t0.elapsed() < Duration::from_secs(15),
        "took {:?}",
        t0.elapsed()
    );
    assert!(e.contains("ZooKeeper"), "{e}");

    // A session on such a URL says why it cannot subscribe instead of hanging silently.
    let s = Scheduler::start(detector(&zk, "/empty"), config("nomaster")).unwrap();
    let state = s
        .wait_for_state(WAIT, |st| matches!(st, SessionState::Reconnecting { .. }))
        .await
        .expect("the session reports the missing leader");
    assert!(
        state.to_string().contains("no master is registered"),
        "{state}"
    );
    s.close().await;
}
