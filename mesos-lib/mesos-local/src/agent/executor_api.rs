//! `POST /api/v1/executor` (`Http::executor` in Mesos's `src/slave/http.cpp`): the call is
//! decoded and validated once (`validateExecutorCall`, with Mesos's texts) into an
//! `ExecutorCall`, then carried out by the agent.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;

use super::Agent;
use super::executor_calls::Refusal;
use crate::http::{
    accepts_json, bad_request, check_content_type, empty, event_stream_response,
    method_not_allowed, not_acceptable, not_implemented, plain,
};
use crate::{ids, json as j};
use mesos_lib::v1::executor::call::Subscribe;
use mesos_lib::v1::executor::{Call, CallType};
use mesos_lib::v1::{Bytes, TaskState, TaskStatus};

/// A decoded executor call: what the agent is asked to do, with the typed call's section.
#[derive(Debug, PartialEq)]
pub(crate) enum ExecutorCall {
    /// SUBSCRIBE, first (empty) or again with what was not acknowledged.
    Subscribe(Subscribe),
    /// UPDATE with its TaskStatus.
    Update(Box<TaskStatus>),
    /// MESSAGE with its data.
    Message(Bytes),
    /// HEARTBEAT, answered 202 at once.
    Heartbeat,
    /// UNKNOWN (or a type this API does not have).
    Unknown,
}

/// A decoded call: who sends it and what.
#[derive(Debug, PartialEq)]
pub(crate) struct Decoded {
    pub framework_id: String,
    pub executor_id: String,
    pub call: ExecutorCall,
}

impl From<Call> for Decoded {
    /// The validated call as the agent carries it out (validation guarantees the section its
    /// type needs, so a default one never stands in for a missing one).
    fn from(call: Call) -> Self {
        let kind = match call.call_type {
            Some(CallType::Subscribe) => {
                ExecutorCall::Subscribe(call.subscribe.unwrap_or_default())
            }
            Some(CallType::Update) => {
                ExecutorCall::Update(Box::new(call.update.unwrap_or_default().status))
            }
            Some(CallType::Message) => ExecutorCall::Message(call.message.unwrap_or_default().data),
            Some(CallType::Heartbeat) => ExecutorCall::Heartbeat,
            Some(CallType::Unspecified | CallType::Unknown(_)) | None => ExecutorCall::Unknown,
        };
        Decoded {
            framework_id: call.framework_id.value,
            executor_id: call.executor_id.value,
            call: kind,
        }
    }
}

/// Required fields of `executor::Call` missing from `call`, as protobuf lists them (those of
/// SUBSCRIBE's repeated messages with their index).
fn missing_required(call: &Value) -> Vec<String> {
    // (path, the message holding it: checked only when that is present).
    let mut fields: Vec<(String, String)> = vec![
        ("executor_id".into(), String::new()),
        ("executor_id.value".into(), "executor_id".into()),
        ("framework_id".into(), String::new()),
        ("framework_id.value".into(), "framework_id".into()),
    ];
    for (list, required) in [
        ("unacknowledged_tasks", &["name", "task_id", "agent_id"][..]),
        (
            "unacknowledged_updates",
            &["status", "status.task_id", "status.state"][..],
        ),
    ] {
        let items = j::array_at(call, &format!("subscribe.{list}"));
        for i in 0..items.len() {
            let item = format!("subscribe.{list}[{i}]");
            for f in required {
                let parent = match f.rsplit_once('.') {
                    Some((p, _)) => format!("{item}.{p}"),
                    None => item.clone(),
                };
                fields.push((format!("{item}.{f}"), parent));
            }
        }
    }
    for (path, parent) in [
        ("update.status", "update"),
        ("update.status.task_id", "update.status"),
        ("update.status.state", "update.status"),
        ("message.data", "message"),
    ] {
        fields.push((path.into(), parent.into()));
    }
    let present = |p: &str| p.is_empty() || at_indexed(call, p).is_some();
    fields
        .into_iter()
        .filter(|(path, parent)| present(parent) && !present(path))
        .map(|(path, _)| path)
        .collect()
}

/// The value at a dotted path whose parts may index an array (`list[2].field`).
fn at_indexed<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(v, |cur, part| match part.split_once('[') {
            Some((name, index)) => {
                let i: usize = index.trim_end_matches(']').parse().ok()?;
                cur.get(name)?.get(i)
            }
            None => cur.get(part),
        })
}

/// `validateExecutorCall`.
fn validate(call: &Value) -> Result<(), String> {
    let eid = j::id_at(call, "executor_id").unwrap_or("");
    let fid = j::id_at(call, "framework_id").unwrap_or("");
    match j::str_at(call, "type") {
        None => Err("Expecting 'type' to be present".into()),
        Some("SUBSCRIBE") if call.get("subscribe").is_none() => {
            Err("Expecting 'subscribe' to be present".into())
        }
        Some("UPDATE") => {
            let Some(status) = j::at(call, "update.status") else {
                return Err("Expecting 'update' to be present".into());
            };
            let Some(uuid) = j::str_at(status, "uuid") else {
                return Err("Expecting 'uuid' to be present".into());
            };
            if !ids::is_valid_status_uuid(uuid) {
                return Err("Not a valid UUID".into());
            }
            if let Some(other) = j::id_at(status, "executor_id")
                && other != eid
            {
                return Err(format!(
                    "ExecutorID in Call: {eid} does not match ExecutorID in TaskStatus: {other}"
                ));
            }
            if j::str_at(status, "source") != Some("SOURCE_EXECUTOR") {
                return Err(format!(
                    "Received Call from executor {eid} of framework {fid} with invalid source, expecting 'SOURCE_EXECUTOR'"
                ));
            }
            if j::str_at(status, "state").map(TaskState::from_name) == Some(TaskState::Staging) {
                return Err(format!(
                    "Received TASK_STAGING from executor {eid} of framework {fid} which is not allowed"
                ));
            }
            Ok(())
        }
        Some("MESSAGE") if call.get("message").is_none() => {
            Err("Expecting 'message' to be present".into())
        }
        Some(_) => Ok(()),
    }
}

/// Parses and normalises a call body, with the agent's 400 texts (a TaskStatus's `message`,
/// in an UPDATE or re-sent in a SUBSCRIBE, is its one string field named like a message field).
fn parse(body: &[u8]) -> Result<Value, Box<Response>> {
    let call = j::read_body(body).map_err(|e| {
        Box::new(bad_request(
            e.text("Failed to convert JSON into Call protobuf: "),
        ))
    })?;
    let mut checked = call.clone();
    let resent = j::array_at(&call, "subscribe.unacknowledged_updates").len();
    let statuses = (0..resent).map(|i| format!("/subscribe/unacknowledged_updates/{i}/status"));
    for path in std::iter::once("/update/status".to_string()).chain(statuses) {
        if let Some(status) = checked.pointer_mut(&path).and_then(Value::as_object_mut)
            && status.get("message").is_some_and(Value::is_string)
        {
            status.remove("message");
        }
    }
    j::check_message_fields(&checked).map_err(|e| {
        Box::new(bad_request(format!(
            "Failed to convert JSON into Call protobuf: {e}"
        )))
    })?;
    Ok(call)
}

/// Decodes a request's Content-Type and body into a call, answering 400/415 as the agent
/// does; touches no state.
pub(crate) fn decode(headers: &HeaderMap, body: &[u8]) -> Result<Decoded, Box<Response>> {
    check_content_type(headers)?;
    let mut call = parse(body)?;
    let missing = missing_required(&call);
    if !missing.is_empty() {
        return Err(Box::new(bad_request(format!(
            "Failed to convert JSON into Call protobuf: Missing required fields: {}",
            missing.join(", ")
        ))));
    }
    // Converted whole before it is validated, as stout converts the call.
    let typed = typed_call(&mut call)?;
    if let Err(e) = validate(&call) {
        return Err(Box::new(bad_request(format!(
            "Failed to validate Executor::Call: {e}"
        ))));
    }
    Ok(Decoded::from(typed))
}

/// The call typed; one that does not convert is answered as stout answers a call that does
/// not convert.
fn typed_call(call: &mut Value) -> Result<Call, Box<Response>> {
    let refuse = |e: String| {
        Box::new(bad_request(format!(
            "Failed to convert JSON into Call protobuf: {e}"
        )))
    };
    // `bytes` fields are read as stout reads base64 (unpadded, with whitespace); each is
    // rewritten only when it is not in the standard form already.
    let resent = j::array_at(call, "subscribe.unacknowledged_updates").len();
    let statuses = (0..resent).map(|i| format!("/subscribe/unacknowledged_updates/{i}/status"));
    let given = j::array_at(call, "subscribe.unacknowledged_tasks").len();
    let tasks = (0..given).map(|i| format!("/subscribe/unacknowledged_tasks/{i}"));
    let holders = ["/update/status".to_string(), "/message".to_string()];
    for path in holders.into_iter().chain(statuses).chain(tasks) {
        if let Some(Value::String(data)) = call.pointer_mut(&path).and_then(|h| h.get_mut("data")) {
            crate::json::canonical_base64(data, "data").map_err(refuse)?;
        }
    }
    Call::deserialize(&*call).map_err(|e| refuse(e.to_string()))
}

fn refused(r: Refusal) -> Response {
    match r {
        Refusal::UnknownFramework => bad_request("Framework cannot be found"),
        Refusal::UnknownExecutor => bad_request("Executor cannot be found"),
        Refusal::NotSubscribed => plain(StatusCode::FORBIDDEN, "Executor is not subscribed"),
    }
}

/// The executor endpoint.
pub(crate) async fn handle(
    State(agent): State<Arc<Agent>>,
    method: Method,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if method != Method::POST {
        return method_not_allowed(method.as_str());
    }
    let Decoded {
        framework_id: fid,
        executor_id: eid,
        call,
    } = match decode(&headers, &body) {
        Ok(d) => d,
        Err(r) => return *r,
    };
    let done = match call {
        ExecutorCall::Subscribe(unacknowledged) => {
            if !accepts_json(&headers) {
                return not_acceptable();
            }
            let (resp, sender) = event_stream_response(None, || {});
            return match agent.executor_subscribe(&fid, &eid, sender, unacknowledged) {
                Ok(()) => resp,
                Err(r) => refused(r),
            };
        }
        ExecutorCall::Heartbeat => Ok(()),
        ExecutorCall::Update(status) => agent.executor_update(&fid, &eid, *status),
        ExecutorCall::Message(data) => agent.executor_message(&fid, &eid, data),
        ExecutorCall::Unknown => return not_implemented(),
    };
    match done {
        Ok(()) => empty(StatusCode::ACCEPTED),
        Err(r) => refused(r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderValue, header};

    fn json_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        h
    }

    fn error(body: &str) -> String {
        let r = decode(&json_headers(), body.as_bytes()).unwrap_err();
        let bytes = futures::executor::block_on(axum::body::to_bytes(r.into_body(), 1 << 16));
        String::from_utf8(bytes.unwrap().to_vec()).unwrap()
    }

    #[test]
    fn calls_are_validated_with_the_agents_texts() {
        let ids = r#""framework_id":{"value":"f"},"executor_id":{"value":"e""#;
        assert_eq!(
            error(r#"{"type":"SUBSCRIBE"}"#),
            "Failed to convert JSON into Call protobuf: Missing required fields: executor_id, framework_id"
        );
        assert_eq!(
            error(&format!(r#"{{"type":"SUBSCRIBE",{ids}}}}}"#)),
            "Failed to validate Executor::Call: Expecting 'subscribe' to be present"
        );
        // 16 random-looking bytes whose version nibble is 0: not a UUID.
        let bad = r#""uuid":"AAAAAAAAAAAAAAAAAAAAAA==""#;
        assert_eq!(
            error(&format!(
                r#"{{"type":"UPDATE",{ids}}},"update":{{"status":{{"task_id":{{"value":"t"}},"state":"TASK_RUNNING","source":"SOURCE_EXECUTOR",{bad}}}}}}}"#
            )),
            "Failed to validate Executor::Call: Not a valid UUID"
        );
        let good = format!(r#""uuid":"{}""#, ids::status_uuid());
        // A timestamp that is no number does not convert, whatever else is wrong.
        assert!(
            error(&format!(
                r#"{{"type":"UPDATE",{ids}}},"update":{{"status":{{"task_id":{{"value":"t"}},"state":"TASK_RUNNING","timestamp":"soon",{bad}}}}}}}"#
            ))
            .starts_with("Failed to convert JSON into Call protobuf: "),
        );
        assert_eq!(
            error(&format!(
                r#"{{"type":"UPDATE",{ids}}},"update":{{"status":{{"task_id":{{"value":"t"}},"state":"TASK_STAGING","source":"SOURCE_EXECUTOR",{good}}}}}}}"#
            )),
            "Failed to validate Executor::Call: Received TASK_STAGING from executor e of framework f which is not allowed"
        );
        assert_eq!(
            error(&format!(
                r#"{{"type":"SUBSCRIBE",{ids}}},"subscribe":{{"unacknowledged_tasks":[{{"name":"t"}}],"unacknowledged_updates":[{{"status":{{"state":"TASK_RUNNING"}}}}]}}}}"#
            )),
            "Failed to convert JSON into Call protobuf: Missing required fields: subscribe.unacknowledged_tasks[0].task_id, subscribe.unacknowledged_tasks[0].agent_id, subscribe.unacknowledged_updates[0].status.task_id"
        );
        let again = decode(
            &json_headers(),
            format!(
                r#"{{"type":"SUBSCRIBE",{ids}}},"subscribe":{{"unacknowledged_tasks":[{{"name":"t","task_id":{{"value":"t"}},"agent_id":{{"value":"a"}}}}],"unacknowledged_updates":[{{"status":{{"task_id":{{"value":"t"}},"state":"TASK_RUNNING"}}}}]}}}}"#
            )
            .as_bytes(),
        )
        .unwrap();
        let ExecutorCall::Subscribe(resubscribe) = again.call else {
            panic!("a SUBSCRIBE")
        };
        let tasks: Vec<&str> = resubscribe
            .unacknowledged_tasks
            .iter()
            .map(|t| t.task_id.value.as_str())
            .collect();
        assert_eq!(tasks, ["t"]);
        let updates: Vec<&TaskStatus> = resubscribe
            .unacknowledged_updates
            .iter()
            .map(|u| &u.status)
            .collect();
        assert_eq!(
            updates,
            [&TaskStatus {
                task_id: Some(mesos_lib::v1::TaskId::new("t")),
                state: TaskState::Running,
                ..TaskStatus::default()
            }]
        );
        let ok = decode(
            &json_headers(),
            format!(r#"{{"type":"MESSAGE",{ids}}},"message":{{"data":"aGk="}}}}"#).as_bytes(),
        )
        .unwrap();
        assert_eq!(ok.call, ExecutorCall::Message(Bytes::new(b"hi".as_slice())));
        assert_eq!(
            (ok.framework_id.as_str(), ok.executor_id.as_str()),
            ("f", "e")
        );
    }

    #[test]
    fn status_data_is_read_as_stout_reads_base64() {
        let ids = r#""framework_id":{"value":"f"},"executor_id":{"value":"e""#;
        let good = format!(r#""uuid":"{}""#, ids::status_uuid());
        // `data` is read as stout reads base64: unpadded it converts; a character outside the
        // alphabet does not.
        let unpadded = decode(
            &json_headers(),
            format!(
                r#"{{"type":"UPDATE",{ids}}},"update":{{"status":{{"task_id":{{"value":"t"}},"state":"TASK_RUNNING","source":"SOURCE_EXECUTOR","data":"aGk",{good}}}}}}}"#
            )
            .as_bytes(),
        )
        .unwrap();
        let ExecutorCall::Update(status) = unpadded.call else {
            panic!("an UPDATE")
        };
        assert_eq!(status.data, Some(Bytes::new(b"hi".as_slice())));
        assert_eq!(
            error(&format!(
                r#"{{"type":"UPDATE",{ids}}},"update":{{"status":{{"task_id":{{"value":"t"}},"state":"TASK_RUNNING","source":"SOURCE_EXECUTOR","data":"bm90!",{good}}}}}}}"#
            )),
            "Failed to convert JSON into Call protobuf: Failed to base64 decode bytes field 'data': Invalid character '!'"
        );
    }

    #[test]
    fn message_data_is_read_as_stout_reads_base64() {
        // The agent decodes a MESSAGE's data before it relays it: unpadded it converts (and
        // the scheduler gets it in the standard form); a character outside the alphabet is
        // refused, as the real agent refuses it.
        let ids = r#""framework_id":{"value":"f"},"executor_id":{"value":"e""#;
        let unpadded = decode(
            &json_headers(),
            format!(r#"{{"type":"MESSAGE",{ids}}},"message":{{"data":"aGk"}}}}"#).as_bytes(),
        )
        .unwrap();
        assert_eq!(
            unpadded.call,
            ExecutorCall::Message(Bytes::new(b"hi".as_slice()))
        );
        assert_eq!(
            error(&format!(
                r#"{{"type":"MESSAGE",{ids}}},"message":{{"data":"bm90!"}}}}"#
            )),
            "Failed to convert JSON into Call protobuf: Failed to base64 decode bytes field 'data': Invalid character '!'"
        );
        // An ID without its value is a missing required field, as protobuf names it.
        assert_eq!(
            error(r#"{"type":"HEARTBEAT","framework_id":{"value":"f"},"executor_id":{}}"#),
            "Failed to convert JSON into Call protobuf: Missing required fields: executor_id.value"
        );
        // No type converts, and validation refuses it.
        assert_eq!(
            error(&format!("{{{ids}}}}}")),
            "Failed to validate Executor::Call: Expecting 'type' to be present"
        );
    }
}
