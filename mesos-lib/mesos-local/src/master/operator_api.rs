//! `POST /api/v1` (also `/api/v1/operator`): the master's operator API and its event stream.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::operator_call::{Body, Typed, into_call};
use super::reservations::Kind;
use super::resize::{Change, Resize};
use super::{Ctx, Master, legacy, operator_checks, views};
use crate::http::auth::Principal;
use crate::http::{
    bad_request, empty, event_stream_response, json_ok, method_not_allowed, not_carried_out,
    not_implemented, plain,
};
use mesos_lib::v1::master::{Call, CallType};

fn answer(ty: &str, body: Value) -> Response {
    answer_with(ty, &body)
}

/// `{"type": TY, "ty": body}`, written straight from `body` (no intermediate JSON value:
/// GET_STATE at 10,000 tasks would copy every task first).
pub(crate) fn answer_with<T: serde::Serialize>(ty: &str, body: &T) -> Response {
    struct Answer<'a, T> {
        ty: &'a str,
        key: String,
        body: &'a T,
    }
    impl<T: serde::Serialize> serde::Serialize for Answer<'_, T> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut m = s.serialize_map(Some(2))?;
            m.serialize_entry("type", self.ty)?;
            m.serialize_entry(&self.key, self.body)?;
            m.end()
        }
    }
    json_ok(&Answer {
        ty,
        key: ty.to_ascii_lowercase(),
        body,
    })
}

pub(crate) use super::operator_checks::decode_request;

/// The operator endpoint.
pub(crate) async fn handle(
    State(ctx): State<Ctx>,
    principal: Option<Extension<Principal>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = ctx.follower_response("/api/v1") {
        return r;
    }
    if method != Method::POST {
        return method_not_allowed(method.as_str());
    }
    let (call, ty) = match decode_request(&headers, &body) {
        Ok(decoded) => decoded,
        Err(r) => return *r,
    };
    // Typed once, after the checks whose texts the tree gives: no handler reads it again.
    let typed = match into_call(call) {
        Ok(typed) => typed,
        Err(e) => return bad_request(format!("Failed to convert JSON into Call protobuf: {e}")),
    };
    if operator_checks::reads_only(&ty) {
        read(&ctx, &ty)
    } else {
        let principal = principal.as_ref().map(|Extension(Principal(p))| p.as_str());
        change(&ctx, typed, principal)
    }
}

/// Calls that only read the master's state: each answers what the master holds.
fn read(ctx: &Ctx, ty: &CallType) -> Response {
    use CallType as C;
    let master = &ctx.master;
    let name = ty.as_str();
    match ty {
        C::GetHealth => answer(name, json!({"healthy": true})),
        C::GetVersion => answer(name, json!({"version_info": legacy::version_json()})),
        C::GetFlags => {
            let flags: Vec<Value> = legacy::master_flags(master)
                .into_iter()
                .map(|(k, v)| json!({"name": k, "value": v}))
                .collect();
            answer(name, json!({"flags": flags}))
        }
        C::GetMetrics => {
            let metrics = legacy::metrics(master);
            let list: Vec<Value> = metrics
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| json!({"name": k, "value": v}))
                        .collect()
                })
                .unwrap_or_default();
            answer(name, json!({"metrics": list}))
        }
        // glog's default verbosity, which nothing here changes (SET_LOGGING_LEVEL is refused).
        C::GetLoggingLevel => answer(name, json!({"level": 0})),
        C::GetOperations => answer_with(name, &super::operations::get_operations(&master.lock())),
        C::GetState => answer_with(name, &views::get_state(&master.lock())),
        C::GetAgents => answer_with(name, &views::get_agents(&master.lock())),
        C::GetFrameworks => answer_with(name, &views::get_frameworks(&master.lock())),
        C::GetTasks => answer_with(name, &views::get_tasks(&master.lock())),
        // The master knows executors only from ExecutorInfos (task groups'); command tasks
        // have none.
        C::GetExecutors => answer_with(name, &views::get_executors(&master.lock())),
        C::GetRoles => answer(
            name,
            json!({"roles": super::roles::roles_v1(&master.lock())}),
        ),
        C::GetWeights => super::weights::get_weights(&master.lock()),
        C::GetQuota => super::quota::get_quota(&master.lock()),
        C::GetMaintenanceStatus => answer(
            name,
            json!({"status": super::maintenance::status(&master.lock())}),
        ),
        C::GetMaintenanceSchedule => answer(
            name,
            json!({"schedule": super::maintenance::schedule(&master.lock())}),
        ),
        C::GetMaster => {
            let st = master.lock();
            answer(
                name,
                json!({
                    "master_info": serde_json::to_value(master.master_info(&st)).unwrap_or_default(),
                    "start_time": st.start_time,
                    "elected_time": st.elected_time,
                }),
            )
        }
        C::Subscribe => subscribe(ctx),
        // The master serves no files (it has no --log_dir): every path is unknown.
        C::ListFiles | C::ReadFile => plain(StatusCode::NOT_FOUND, ""),
        _ => not_implemented(),
    }
}

/// Calls that would change the cluster: validated as the master does, then carried out or
/// refused with 501. `decode_request` refused a call without its section, so
/// `section_missing` is a guard, not a path.
fn change(ctx: &Ctx, typed: Typed, principal: Option<&str>) -> Response {
    use CallType as C;
    let master = &ctx.master;
    let Typed { call, body } = typed;
    let name = call.call_type.as_str();
    match call.call_type {
        C::Teardown => match call.teardown {
            Some(t) => teardown(ctx, &t.framework_id.value),
            None => section_missing(name),
        },
        C::ReserveResources
        | C::UnreserveResources
        | C::CreateVolumes
        | C::DestroyVolumes
        | C::GrowVolume
        | C::ShrinkVolume => resources_change(master, &call, &body, principal),
        C::DrainAgent => call
            .drain_agent
            .map_or_else(|| section_missing(name), |d| master.drain_agent(&d)),
        C::DeactivateAgent => call.deactivate_agent.map_or_else(
            || section_missing(name),
            |a| master.deactivate_agent(&a.agent_id.value),
        ),
        C::ReactivateAgent => call.reactivate_agent.map_or_else(
            || section_missing(name),
            |a| master.reactivate_agent(&a.agent_id.value),
        ),
        C::MarkAgentGone => call.mark_agent_gone.map_or_else(
            || section_missing(name),
            |a| master.mark_agent_gone(&a.agent_id.value),
        ),
        C::UpdateWeights => call
            .update_weights
            .map_or_else(|| section_missing(name), |w| master.update_weights(&w)),
        C::UpdateQuota => match &body {
            Body::UpdateQuota(update) => master.update_quota(update),
            _ => section_missing(name),
        },
        C::SetQuota => call.set_quota.map_or_else(
            || section_missing(name),
            |q| master.set_quota(&q.quota_request),
        ),
        C::RemoveQuota => call
            .remove_quota
            .map_or_else(|| section_missing(name), |q| master.remove_quota(&q.role)),
        C::UpdateMaintenanceSchedule => match body {
            Body::Schedule(schedule) => master.update_maintenance_schedule(schedule),
            _ => section_missing(name),
        },
        C::StartMaintenance | C::StopMaintenance => {
            let ids = match body {
                Body::Machines(ids) => ids,
                _ => return section_missing(name),
            };
            if call.call_type == C::StartMaintenance {
                master.start_maintenance(&ids)
            } else {
                master.stop_maintenance(&ids)
            }
        }
        C::SetLoggingLevel => not_carried_out(name, "its logging level is fixed"),
        _ => not_implemented(),
    }
}

/// The calls that change an agent's resources: reservations and volumes, with the operator's
/// `principal`.
fn resources_change(
    master: &Master,
    call: &Call,
    body: &Body,
    principal: Option<&str>,
) -> Response {
    use CallType as C;
    let name = call.call_type.as_str();
    match call.call_type {
        C::ReserveResources => match &call.reserve_resources {
            Some(r) => master.operator_reservation(
                Kind::Reserve,
                &r.agent_id,
                &r.source,
                &r.resources,
                principal,
            ),
            None => section_missing(name),
        },
        C::UnreserveResources => match &call.unreserve_resources {
            Some(r) => master.operator_reservation(
                Kind::Unreserve,
                &r.agent_id,
                &[],
                &r.resources,
                principal,
            ),
            None => section_missing(name),
        },
        C::CreateVolumes | C::DestroyVolumes => match body {
            Body::Volumes(v) if call.call_type == C::CreateVolumes => {
                master.operator_volumes(Kind::Create, v, principal)
            }
            Body::Volumes(v) => master.operator_volumes(Kind::Destroy, v, principal),
            _ => section_missing(name),
        },
        C::GrowVolume => match body {
            Body::GrowVolume(g) => master.operator_resize(
                g.agent_id.as_ref(),
                Resize {
                    volume: &g.volume,
                    change: Change::Addition(&g.addition),
                },
            ),
            _ => section_missing(name),
        },
        C::ShrinkVolume => match body {
            Body::ShrinkVolume(s) => master.operator_resize(
                s.agent_id.as_ref(),
                Resize {
                    volume: &s.volume,
                    change: Change::Subtract(&s.subtract),
                },
            ),
            _ => section_missing(name),
        },
        _ => not_implemented(),
    }
}

/// TEARDOWN: the framework removed as the master removes it.
fn teardown(ctx: &Ctx, fid: &str) -> Response {
    let master = &ctx.master;
    if !master.lock().frameworks.contains_key(fid) {
        return bad_request("No framework found with specified ID");
    }
    master.remove_framework(fid);
    empty(StatusCode::OK)
}

fn subscribe(ctx: &Ctx) -> Response {
    let master = &ctx.master;
    let (resp, sender) = event_stream_response(None, || {});
    let mut st = master.lock();
    sender.send(&json!({"type": "SUBSCRIBED", "subscribed": {
        "get_state": views::get_state(&st),
        "heartbeat_interval_seconds": master.cfg.heartbeat_interval.as_secs_f64(),
    }}));
    sender.send(&mesos_lib::v1::master::Event::heartbeat());
    st.subscribers.push(sender);
    if st.subscribers.len() > 1000 {
        st.subscribers.remove(0);
    }
    resp
}

/// The master's answer to a call without the section its type needs.
fn section_missing(name: &str) -> Response {
    let section = name.to_ascii_lowercase();
    bad_request(format!(
        "Failed to validate master::Call: Expecting '{section}' to be present"
    ))
}
