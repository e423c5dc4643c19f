//! The master's JSON endpoints (`/master/state`, `/state-summary`, `/tasks`, `/metrics/snapshot`…)
//! as the master writes them.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::list_query::{TaskQuery, accepts};
use super::state::{Framework, MasterState};
use super::{Ctx, Master};
use crate::config::MESOS_VERSION;
use crate::http::json_ok;
use crate::json as j;
use crate::resource_views::{self as rv, flat_attributes};
use crate::views::legacy_task;
use mesos_lib::resources::Resources;
use mesos_lib::v1::TaskState;

/// Build date reported by `/version`.
pub(crate) const BUILD_DATE: &str = "2020-11-16 00:00:00";
/// Build time (epoch seconds) reported by `/version`.
pub(crate) const BUILD_TIME: f64 = 1605484800.0;

/// `{build_date, build_time, build_user, version}`.
pub(crate) fn version_json() -> Value {
    json!({"build_date": BUILD_DATE, "build_time": BUILD_TIME, "build_user": "", "version": MESOS_VERSION})
}

/// `GET /version` (master and agent).
pub(crate) async fn version() -> Response {
    json_ok(&version_json())
}

/// The master's flags.
pub(crate) fn master_flags(master: &Master) -> Vec<(&'static str, String)> {
    let port = master.lock().port;
    crate::flags::master_flags(&master.cfg, port, "/var/lib/mesos/master")
}

/// `/metrics/snapshot`.
pub(crate) fn metrics(master: &Master) -> Value {
    let st = master.lock();
    let mut m = Map::new();
    m.insert(
        "allocator/mesos/allocation_runs".into(),
        json!(st.allocation_runs as f64),
    );
    resource_metrics(&st, &mut m);
    m.insert("master/elected".into(), json!(1.0));
    m.insert(
        "master/frameworks_active".into(),
        json!(st.frameworks.values().filter(|f| f.active).count() as f64),
    );
    m.insert(
        "master/frameworks_connected".into(),
        json!(st.frameworks.values().filter(|f| f.connected()).count() as f64),
    );
    m.insert(
        "master/frameworks_disconnected".into(),
        json!(st.frameworks.values().filter(|f| !f.connected()).count() as f64),
    );
    m.insert(
        "master/outstanding_offers".into(),
        json!(st.offers.len() as f64),
    );
    let active = st.agents.keys().filter(|a| st.agent_active(a)).count();
    m.insert("master/slaves_active".into(), json!(active as f64));
    m.insert(
        "master/slaves_inactive".into(),
        json!((st.agents.len() - active) as f64),
    );
    m.insert(
        "master/slaves_connected".into(),
        json!(st.agents.len() as f64),
    );
    task_metrics(&st, &mut m);
    m.insert(
        "master/uptime_secs".into(),
        json!(crate::ids::now_secs() - st.start_time),
    );
    m.insert(
        "system/cpus_total".into(),
        json!(
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1) as f64
        ),
    );
    Value::Object(m)
}

/// `master/<r>_total`, `_used` and `_percent` for cpus, mem, disk and gpus.
fn resource_metrics(st: &MasterState, m: &mut Map<String, Value>) {
    let mut total = Resources::new();
    let mut used = Resources::new();
    for a in st.agents.values() {
        total.add_all(&a.total);
        used.add_all(&a.used);
    }
    for r in ["cpus", "mem", "disk", "gpus"] {
        let t = total.scalar(r).unwrap_or(0.0);
        let u = used.scalar(r).unwrap_or(0.0);
        m.insert(
            format!("master/{r}_percent"),
            json!(if t > 0.0 { u / t } else { 0.0 }),
        );
        m.insert(format!("master/{r}_total"), json!(t));
        m.insert(format!("master/{r}_used"), json!(u));
    }
}

/// `master/tasks_<state>`: how many tasks, live and completed, are in each state.
fn task_metrics(st: &MasterState, m: &mut Map<String, Value>) {
    let mut counts: HashMap<&TaskState, f64> = HashMap::new();
    for fw in st.frameworks.values().chain(st.completed_frameworks.iter()) {
        for t in fw.tasks.values().chain(fw.completed_tasks.iter()) {
            *counts.entry(&t.state).or_default() += 1.0;
        }
    }
    use TaskState as S;
    for state in [
        S::Staging,
        S::Starting,
        S::Running,
        S::Killing,
        S::Finished,
        S::Failed,
        S::Killed,
        S::Lost,
        S::Error,
        S::Dropped,
    ] {
        // "TASK_STAGING" counts as "master/tasks_staging".
        let name = state.as_str()["TASK_".len()..].to_ascii_lowercase();
        m.insert(
            format!("master/tasks_{name}"),
            json!(counts.get(&state).copied().unwrap_or(0.0)),
        );
    }
}

fn framework_legacy(fw: &Framework, st: &MasterState, full: bool) -> Value {
    let allocated = fw.allocated();
    let mut m = framework_summary(fw, st, &allocated);
    if full {
        framework_details(fw, st, &allocated, &mut m);
    }
    Value::Object(m)
}

/// What `/master/state-summary` shows of a framework, which the full view starts with.
fn framework_summary(
    fw: &Framework,
    st: &MasterState,
    allocated: &Resources,
) -> Map<String, Value> {
    let mut offered = Resources::new();
    for o in st.offers.values().filter(|o| o.framework_id == fw.id) {
        offered.add_all(&o.resources);
    }
    let caps: Vec<&str> = fw
        .info
        .capabilities
        .iter()
        // `Type_Name` of an unset type is the proto's default.
        .map(|c| c.capability_type.as_ref().map_or("UNKNOWN", |t| t.as_str()))
        .collect();
    let mut m = Map::new();
    m.insert("id".into(), json!(fw.id));
    m.insert("name".into(), json!(fw.info.name));
    m.insert("used_resources".into(), rv::flat(allocated, false));
    m.insert("offered_resources".into(), rv::flat(&offered, false));
    m.insert("capabilities".into(), json!(caps));
    m.insert(
        "hostname".into(),
        json!(fw.info.hostname.as_deref().unwrap_or("")),
    );
    m.insert(
        "webui_url".into(),
        json!(fw.info.webui_url.as_deref().unwrap_or("")),
    );
    m.insert("active".into(), json!(fw.active));
    m.insert("connected".into(), json!(fw.connected()));
    m.insert("recovered".into(), json!(fw.recovered));
    m
}

/// What `/master/state` and `/master/frameworks` add: the framework's info, tasks and
/// executors.
fn framework_details(
    fw: &Framework,
    st: &MasterState,
    allocated: &Resources,
    m: &mut Map<String, Value>,
) {
    m.insert("user".into(), json!(fw.info.user));
    m.insert(
        "failover_timeout".into(),
        json!(fw.info.failover_timeout.unwrap_or(0.0)),
    );
    // Like a real master, only when the framework named one.
    if let Some(p) = &fw.info.principal {
        m.insert("principal".into(), json!(p));
    }
    m.insert(
        "checkpoint".into(),
        json!(fw.info.checkpoint.unwrap_or(false)),
    );
    m.insert(
        "registered_time".into(),
        json!(fw.registered_time as f64 / 1e9),
    );
    m.insert(
        "unregistered_time".into(),
        json!(fw.unregistered_time.map(|t| t as f64 / 1e9).unwrap_or(0.0)),
    );
    m.insert("resources".into(), rv::flat(allocated, false));
    if fw.has_capability(mesos_lib::v1::FrameworkCapabilityType::MultiRole) {
        // An empty `roles` is written as an unset one was before it was typed.
        let roles = if fw.info.roles.is_empty() {
            json!(["*"])
        } else {
            json!(fw.info.roles)
        };
        m.insert("roles".into(), roles);
    } else {
        m.insert("role".into(), json!(fw.role()));
    }
    let task =
        |t: &super::state::Task| legacy_task(&t.info, &fw.id, &t.agent_id, &t.state, &t.statuses);
    m.insert(
        "tasks".into(),
        Value::Array(fw.tasks.values().map(task).collect()),
    );
    m.insert("unreachable_tasks".into(), json!([]));
    m.insert(
        "completed_tasks".into(),
        Value::Array(fw.completed_tasks.iter().map(task).collect()),
    );
    m.insert("offers".into(), json!([]));
    m.insert(
        "executors".into(),
        Value::Array(super::launch_group::executors_legacy(st, &fw.id)),
    );
    m.insert("offer_constraints".into(), json!({}));
}

fn slave_legacy(e: &super::state::AgentEntry, st: &MasterState, full: bool) -> Value {
    let a = &e.agent;
    let caps = crate::agent::http::capabilities();
    let mut m = Map::new();
    m.insert("id".into(), json!(a.id));
    m.insert("hostname".into(), json!(a.hostname));
    m.insert("port".into(), json!(a.port));
    m.insert("attributes".into(), flat_attributes(&a.attributes));
    m.insert("pid".into(), json!(a.pid()));
    m.insert("registered_time".into(), json!(e.registered_time));
    m.insert("resources".into(), rv::flat(&e.total, true));
    m.insert("used_resources".into(), rv::flat(&e.used, false));
    m.insert("offered_resources".into(), rv::flat(&e.offered, false));
    m.insert("reserved_resources".into(), rv::reserved_flat(&e.total));
    m.insert(
        "unreserved_resources".into(),
        rv::flat(&e.total.unreserved(), true),
    );
    let deactivated = st.agent_registry.deactivated.contains(&a.id);
    m.insert("active".into(), json!(!deactivated));
    m.insert("deactivated".into(), json!(deactivated));
    m.insert("version".into(), json!(MESOS_VERSION));
    m.insert("capabilities".into(), json!(caps));
    if let Some(d) = st.agent_registry.draining.get(&a.id) {
        m.insert("drain_info".into(), d.json());
        if let Some(t) = st.agent_registry.drain_started.get(&a.id) {
            m.insert(
                "estimated_drain_start_time_seconds".into(),
                json!(*t as f64 / 1e9),
            );
        }
    }
    if full {
        m.insert(
            "reserved_resources_full".into(),
            rv::reserved_full(&e.total),
        );
        m.insert(
            "unreserved_resources_full".into(),
            json!(rv::to_list(&e.total.unreserved(), true, None)),
        );
        m.insert(
            "used_resources_full".into(),
            json!(rv::to_list(&e.used, true, Some("*"))),
        );
        m.insert(
            "offered_resources_full".into(),
            json!(rv::to_list(&e.offered, true, Some("*"))),
        );
    }
    Value::Object(m)
}

/// `/master/state`.
pub(crate) fn state_json(master: &Master) -> Value {
    let st = master.lock();
    let info = master.master_info(&st);
    let flags: Map<String, Value> =
        crate::flags::master_flags(&master.cfg, st.port, "/var/lib/mesos/master")
            .into_iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
    json!({
        "version": MESOS_VERSION,
        "build_date": BUILD_DATE,
        "build_time": BUILD_TIME,
        "build_user": "",
        "start_time": st.start_time,
        "elected_time": st.elected_time,
        "id": st.id,
        "pid": info.pid,
        "hostname": master.hostname,
        "capabilities": ["AGENT_UPDATE", "AGENT_DRAINING", "QUOTA_V2"],
        "activated_slaves": st.agents.keys().filter(|a| st.agent_active(a)).count() as f64,
        "deactivated_slaves": st.agents.keys().filter(|a| !st.agent_active(a)).count() as f64,
        "unreachable_slaves": 0.0,
        "leader": info.pid,
        "leader_info": {"id": st.id, "pid": info.pid, "port": st.port, "hostname": master.hostname},
        "flags": flags,
        "slaves": st.agents.values().map(|e| slave_legacy(e, &st, false)).collect::<Vec<_>>(),
        "recovered_slaves": [],
        "frameworks": st.frameworks.values().map(|f| framework_legacy(f, &st, true)).collect::<Vec<_>>(),
        "completed_frameworks": st.completed_frameworks.iter().map(|f| framework_legacy(f, &st, true)).collect::<Vec<_>>(),
        "orphan_tasks": [],
        "unregistered_frameworks": [],
    })
}

fn task_counts<'a>(tasks: impl Iterator<Item = &'a TaskState>) -> Map<String, Value> {
    use TaskState as S;
    let counted = [
        S::Staging,
        S::Starting,
        S::Running,
        S::Killing,
        S::Finished,
        S::Killed,
        S::Failed,
        S::Lost,
        S::Error,
        S::Unreachable,
    ];
    let mut counts = [0u64; 10];
    for s in tasks {
        if let Some(i) = counted.iter().position(|c| c == s) {
            counts[i] += 1;
        }
    }
    counted
        .iter()
        .zip(counts)
        .map(|(s, n)| (s.as_str().to_string(), json!(n)))
        .collect()
}

fn state_summary(master: &Master) -> Value {
    let st = master.lock();
    let slaves: Vec<Value> = st
        .agents
        .values()
        .map(|e| {
            let mut v = slave_legacy(e, &st, false);
            let states = st
                .frameworks
                .values()
                .flat_map(|f| f.tasks.values())
                .filter(|t| t.agent_id == e.agent.id)
                .map(|t| &t.state);
            let o = v.as_object_mut().expect("object");
            o.extend(task_counts(states));
            let fids: Vec<&String> = st
                .frameworks
                .values()
                .filter(|f| f.tasks.values().any(|t| t.agent_id == e.agent.id))
                .map(|f| &f.id)
                .collect();
            o.insert("framework_ids".into(), json!(fids));
            v
        })
        .collect();
    let frameworks: Vec<Value> = st
        .frameworks
        .values()
        .map(|f| {
            let mut v = framework_legacy(f, &st, false);
            let o = v.as_object_mut().expect("object");
            o.extend(task_counts(f.tasks.values().map(|t| &t.state)));
            let mut sids: Vec<&String> = f.tasks.values().map(|t| &t.agent_id).collect();
            sids.dedup();
            o.insert("slave_ids".into(), json!(sids));
            v
        })
        .collect();
    json!({"hostname": master.hostname, "slaves": slaves, "frameworks": frameworks})
}

async fn leader_json(ctx: &Ctx, path: &str, f: impl FnOnce(&Master) -> Value) -> Response {
    if let Some(r) = ctx.follower_response(path) {
        return r;
    }
    json_ok(&f(&ctx.master))
}

pub(super) async fn state(State(ctx): State<Ctx>) -> Response {
    leader_json(&ctx, "/state", state_json).await
}

pub(super) async fn summary(State(ctx): State<Ctx>) -> Response {
    leader_json(&ctx, "/state-summary", state_summary).await
}

pub(super) async fn tasks(
    State(ctx): State<Ctx>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let query = TaskQuery::parse(&query);
    leader_json(&ctx, "/tasks", |m| {
        let st = m.lock();
        let mut list = Vec::new();
        let frameworks = st.frameworks.values().chain(st.completed_frameworks.iter());
        for fw in frameworks.filter(|f| accepts(query.framework_id.as_ref(), &f.id)) {
            for t in fw.tasks.values().chain(fw.completed_tasks.iter()) {
                let task = legacy_task(&t.info, &fw.id, &t.agent_id, &t.state, &t.statuses);
                if accepts(query.task_id.as_ref(), j::str_at(&task, "id").unwrap_or("")) {
                    list.push(task);
                }
            }
        }
        // By the first status's time, newest first unless `order=asc`; tasks without a
        // status go last (first when ascending), as on a real master.
        let first_time = |t: &Value| {
            j::array_at(t, "statuses")
                .first()
                .map(|s| j::f64_at(s, "timestamp").unwrap_or(0.0))
        };
        list.sort_by(|a, b| {
            let (a, b) = (first_time(a), first_time(b));
            let order = match (a, b) {
                (None, None) => std::cmp::Ordering::Equal,
                (None, Some(_)) => std::cmp::Ordering::Less,
                (Some(_), None) => std::cmp::Ordering::Greater,
                (Some(a), Some(b)) => a.total_cmp(&b),
            };
            if query.ascending {
                order
            } else {
                order.reverse()
            }
        });
        json!({"tasks": query.window(list)})
    })
    .await
}

pub(super) async fn frameworks(
    State(ctx): State<Ctx>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let wanted = query.get("framework_id");
    leader_json(&ctx, "/frameworks", |m| {
        let st = m.lock();
        let pick = |f: &&Framework| accepts(wanted, &f.id);
        json!({
            "frameworks": st.frameworks.values().filter(pick).map(|f| framework_legacy(f, &st, true)).collect::<Vec<_>>(),
            "completed_frameworks": st.completed_frameworks.iter().filter(pick).map(|f| framework_legacy(f, &st, true)).collect::<Vec<_>>(),
            "unregistered_frameworks": [],
        })
    })
    .await
}

pub(super) async fn slaves(
    State(ctx): State<Ctx>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let wanted = query.get("slave_id");
    leader_json(&ctx, "/slaves", |m| {
        let st = m.lock();
        let list: Vec<Value> = st
            .agents
            .values()
            .filter(|e| accepts(wanted, &e.agent.id))
            .map(|e| slave_legacy(e, &st, true))
            .collect();
        json!({"slaves": list, "recovered_slaves": []})
    })
    .await
}

pub(super) async fn roles(State(ctx): State<Ctx>) -> Response {
    leader_json(&ctx, "/roles", |m| super::roles::roles_json(&m.lock())).await
}

pub(super) async fn flags(State(ctx): State<Ctx>) -> Response {
    leader_json(&ctx, "/flags", |m| {
        let flags: Map<String, Value> = master_flags(m)
            .into_iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        json!({"flags": flags})
    })
    .await
}

pub(super) async fn metrics_snapshot(State(ctx): State<Ctx>) -> Response {
    json_ok(&metrics(&ctx.master))
}
