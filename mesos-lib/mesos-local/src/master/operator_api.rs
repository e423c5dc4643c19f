//! `POST /api/v1` (also `/api/v1/operator`): the master's operator API and its event stream.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::{Ctx, legacy, views};
use crate::http::{
    accepts_json, bad_request, check_content_type, empty, event_stream_response, json_ok,
    method_not_allowed, not_acceptable,
};
use crate::json as j;

fn answer(ty: &str, body: Value) -> Response {
    answer_with(ty, &body)
}

/// `{"type": TY, "ty": body}`, written straight from `body` (no intermediate JSON value:
/// GET_STATE at 10,000 tasks would copy every task first).
fn answer_with<T: serde::Serialize>(ty: &str, body: &T) -> Response {
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

/// Decodes an operator request's headers and body into a normalised call of a known type,
/// answering 400/406/415 as the master does; touches no state, so the fuzzer can drive it
/// (`crate::fuzzing`).
pub(crate) fn decode_request(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Value, String), Box<Response>> {
    check_content_type(headers)?;
    let call = super::scheduler_api::parse_call(body)?;
    let ty = j::str_at(&call, "type").unwrap_or("").to_string();
    const KNOWN: &[&str] = &[
        "GET_HEALTH",
        "GET_FLAGS",
        "GET_VERSION",
        "GET_METRICS",
        "GET_LOGGING_LEVEL",
        "SET_LOGGING_LEVEL",
        "GET_STATE",
        "GET_AGENTS",
        "GET_FRAMEWORKS",
        "GET_EXECUTORS",
        "GET_OPERATIONS",
        "GET_TASKS",
        "GET_ROLES",
        "GET_WEIGHTS",
        "UPDATE_WEIGHTS",
        "GET_MASTER",
        "SUBSCRIBE",
        "RESERVE_RESOURCES",
        "UNRESERVE_RESOURCES",
        "CREATE_VOLUMES",
        "DESTROY_VOLUMES",
        "GET_MAINTENANCE_STATUS",
        "GET_MAINTENANCE_SCHEDULE",
        "UPDATE_MAINTENANCE_SCHEDULE",
        "START_MAINTENANCE",
        "STOP_MAINTENANCE",
        "GET_QUOTA",
        "UPDATE_QUOTA",
        "TEARDOWN",
        "MARK_AGENT_GONE",
        "DRAIN_AGENT",
        "DEACTIVATE_AGENT",
        "REACTIVATE_AGENT",
        "LIST_FILES",
        "READ_FILE",
    ];
    if !KNOWN.contains(&ty.as_str()) {
        return Err(Box::new(bad_request(
            "Failed to validate master::Call: Expecting 'type' to be present",
        )));
    }
    if ty == "GET_METRICS" && call.get("get_metrics").is_none() {
        return Err(Box::new(bad_request(
            "Failed to validate master::Call: Expecting 'get_metrics' to be present",
        )));
    }
    if ty == "TEARDOWN" && j::id_at(&call, "teardown.framework_id").is_none() {
        return Err(Box::new(bad_request(
            "Failed to validate master::Call: Expecting 'teardown' to be present",
        )));
    }
    if !accepts_json(headers) {
        return Err(Box::new(not_acceptable()));
    }
    Ok((call, ty))
}

/// The operator endpoint.
pub(crate) async fn handle(
    State(ctx): State<Ctx>,
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
    let master = &ctx.master;
    match ty.as_str() {
        "GET_HEALTH" => answer(&ty, json!({"healthy": true})),
        "GET_VERSION" => answer(&ty, json!({"version_info": legacy::version_json()})),
        "GET_FLAGS" => {
            let flags: Vec<Value> = legacy::master_flags(master)
                .into_iter()
                .map(|(k, v)| json!({"name": k, "value": v}))
                .collect();
            answer(&ty, json!({"flags": flags}))
        }
        "GET_METRICS" => {
            let metrics = legacy::metrics(master);
            let list: Vec<Value> = metrics
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| json!({"name": k, "value": v}))
                        .collect()
                })
                .unwrap_or_default();
            answer(&ty, json!({"metrics": list}))
        }
        "GET_LOGGING_LEVEL" => answer(&ty, json!({"level": 0})),
        "GET_OPERATIONS" => answer(&ty, json!({})),
        "GET_STATE" => {
            let st = master.lock();
            answer_with(&ty, &views::get_state(&st))
        }
        "GET_AGENTS" => {
            let st = master.lock();
            answer_with(&ty, &views::get_agents(&st))
        }
        "GET_FRAMEWORKS" => answer_with(&ty, &views::get_frameworks(&master.lock())),
        "GET_TASKS" => answer_with(&ty, &views::get_tasks(&master.lock())),
        "GET_EXECUTORS" => answer(&ty, json!({"executors": []})),
        "GET_ROLES" => answer(&ty, json!({"roles": legacy::roles_v1(&master.lock())})),
        "GET_WEIGHTS" => answer(&ty, json!({})),
        "GET_QUOTA" => answer(&ty, json!({"status": {}})),
        "GET_MASTER" => {
            let st = master.lock();
            answer(
                &ty,
                json!({
                    "master_info": serde_json::to_value(master.master_info(&st)).unwrap_or_default(),
                    "start_time": st.start_time,
                    "elected_time": st.elected_time,
                }),
            )
        }
        "GET_MAINTENANCE_STATUS" => answer(&ty, json!({"status": {}})),
        "GET_MAINTENANCE_SCHEDULE" => answer(&ty, json!({"schedule": {}})),
        "TEARDOWN" => {
            let fid = j::id_at(&call, "teardown.framework_id")
                .unwrap_or("")
                .to_string();
            if !master.lock().frameworks.contains_key(&fid) {
                return bad_request(format!("No framework found with specified ID: {fid}"));
            }
            master.remove_framework(&fid);
            empty(StatusCode::OK)
        }
        "SUBSCRIBE" => subscribe(&ctx),
        "RESERVE_RESOURCES" | "UNRESERVE_RESOURCES" | "CREATE_VOLUMES" | "DESTROY_VOLUMES" => {
            empty(StatusCode::ACCEPTED)
        }
        _ => empty(StatusCode::OK),
    }
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
