//! A small fault-injection endpoint for tests, answered on loopback connections only:
//! `POST /__local/{drop_stream?framework_id=…, stall_heartbeats?on=true|false,
//! remove_agent?agent_id=…, restart_master, fail_over_leader, kill_leader}`. `kill_leader`
//! (with `--zk`) kills the leading master; ZooKeeper then elects the next.
//! `GET /__local/spawner` reports the task spawner thread's work (benchmarks read it).

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};

use crate::http::{empty, json_ok, plain};
use crate::master::Ctx;

/// The admin routes (merged into every master's router).
pub(crate) fn router() -> Router<Ctx> {
    Router::new()
        .route("/__local/spawner", get(spawner))
        .route("/__local/{action}", post(admin))
}

/// `{"spawns": N, "busy_seconds": S}`: processes started by the spawner thread and the time
/// it spent starting them, since this process started.
async fn spawner(ConnectInfo(peer): ConnectInfo<SocketAddr>) -> Response {
    if !peer.ip().is_loopback() {
        return plain(StatusCode::FORBIDDEN, "admin endpoint is loopback only");
    }
    let (spawns, busy) = crate::agent::spawner::stats();
    json_ok(&serde_json::json!({"spawns": spawns, "busy_seconds": busy}))
}

async fn admin(
    State(ctx): State<Ctx>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(action): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !peer.ip().is_loopback() {
        return plain(StatusCode::FORBIDDEN, "admin endpoint is loopback only");
    }
    let master = &ctx.master;
    let ok = match action.as_str() {
        "drop_stream" => {
            let fid = q.get("framework_id").cloned().unwrap_or_default();
            let sid = master
                .lock()
                .frameworks
                .get(&fid)
                .and_then(|f| f.subscription.as_ref().map(|s| s.stream_id.clone()));
            sid.map(|sid| master.stream_closed(&fid, &sid)).is_some()
        }
        "stall_heartbeats" => {
            master.lock().stall_heartbeats = q.get("on").is_none_or(|v| v != "false");
            true
        }
        "remove_agent" => master.remove_agent(q.get("agent_id").map(String::as_str).unwrap_or("")),
        "restart_master" => {
            let port = master.lock().port;
            master.restart(port);
            true
        }
        "fail_over_leader" => {
            let port = {
                let mut el = master.election.lock().unwrap_or_else(|e| e.into_inner());
                let next = el.leader.map(|l| (l + 1) % el.ports.len()).unwrap_or(0);
                el.leader = Some(next);
                el.ports[next]
            };
            master.restart(port);
            true
        }
        "kill_leader" => match master.ha.get() {
            Some(ha) => ha.leader().is_some_and(|l| ha.kill(l)),
            None => {
                return plain(
                    StatusCode::BAD_REQUEST,
                    "kill_leader needs a cluster started with --zk",
                );
            }
        },
        _ => return plain(StatusCode::NOT_FOUND, "unknown admin action"),
    };
    if ok {
        empty(StatusCode::OK)
    } else {
        plain(StatusCode::NOT_FOUND, "not found")
    }
}
