//! `POST /api/v1/scheduler`: header rules, call validation with Mesos's reasons, and the
//! calls themselves.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::scheduler_call::{Typed, framework_info_of, into_call};
use super::state::{Framework, MasterState};
use super::{Ctx, Mail, Master, views};
use crate::http::auth::Principal;
use crate::http::{
    accepts_json, bad_request, check_content_type, empty, event_stream_response,
    method_not_allowed, not_acceptable, plain,
};
use crate::json as j;
use crate::{ids, json};
use mesos_lib::v1::ids::FrameworkId;
use mesos_lib::v1::scheduler::call::{
    Acknowledge, Kill, ReconcileTask, Roles, Shutdown, Subscribe, UpdateFramework,
};
use mesos_lib::v1::scheduler::{CallType, Event};
use mesos_lib::v1::{FrameworkInfo, TaskState};

/// Parses and normalises a call body, with the 400 texts of the master.
pub(crate) fn parse_call(body: &[u8]) -> Result<Value, Box<Response>> {
    const PREFIX: &str = "Failed to convert JSON into Call protobuf: ";
    let call = json::read_body(body).map_err(|e| Box::new(bad_request(e.text(PREFIX))))?;
    json::check_message_fields(&call).map_err(|e| Box::new(bad_request(format!("{PREFIX}{e}"))))?;
    Ok(call)
}

/// Required fields missing from a call, as protobuf lists them.
fn missing_required(call: &Value, ty: &CallType) -> Vec<String> {
    use CallType as C;
    let mut need: Vec<String> = match ty {
        C::Subscribe => vec![
            "subscribe.framework_info".into(),
            "subscribe.framework_info.user".into(),
            "subscribe.framework_info.name".into(),
        ],
        C::Kill => vec![
            "kill.task_id".into(),
            "kill.kill_policy.grace_period.nanoseconds".into(),
        ],
        C::Acknowledge => vec![
            "acknowledge.agent_id".into(),
            "acknowledge.task_id".into(),
            "acknowledge.uuid".into(),
        ],
        C::AcknowledgeOperationStatus => vec!["acknowledge_operation_status.operation_id".into()],
        C::Shutdown => vec!["shutdown.executor_id".into(), "shutdown.agent_id".into()],
        C::Message => vec![
            "message.agent_id".into(),
            "message.executor_id".into(),
            "message.data".into(),
        ],
        C::UpdateFramework => vec![
            "update_framework.framework_info".into(),
            "update_framework.framework_info.user".into(),
            "update_framework.framework_info.name".into(),
        ],
        _ => vec![],
    };
    // Only fields of sections that are present can be missing.
    need.retain(|p| {
        let parent = p.rsplit_once('.').map(|(a, _)| a).unwrap_or("");
        j::at(call, parent).is_some() && j::at(call, p).is_none()
    });
    let listed = match ty {
        C::Reconcile => Some(("reconcile.tasks", "task_id")),
        C::ReconcileOperations => Some(("reconcile_operations.operations", "operation_id")),
        _ => None,
    };
    if let Some((list, field)) = listed {
        for (i, t) in j::array_at(call, list).iter().enumerate() {
            if t.get(field).is_none() {
                need.push(format!("{list}[{i}].{field}"));
            }
        }
    }
    need
}

/// `validation::scheduler::call::validate`.
fn validate(call: &Value, ty: &CallType) -> Result<(), String> {
    use CallType as C;
    if matches!(ty, C::Unknown(_)) {
        return Err("Expecting 'type' to be present".into());
    }
    if *ty == C::Subscribe {
        let Some(sub) = call.get("subscribe") else {
            return Err("Expecting 'subscribe' to be present".into());
        };
        let info_id = j::id_at(sub, "framework_info.id");
        if info_id != j::id_at(call, "framework_id") {
            return Err("'framework_id' differs from 'subscribe.framework_info.id'".into());
        }
        return Ok(());
    }
    if j::id_at(call, "framework_id").is_none() {
        return Err("Expecting 'framework_id' to be present".into());
    }
    let section = ty.as_str().to_ascii_lowercase();
    let needs_section = matches!(
        ty,
        C::Accept
            | C::Decline
            | C::AcceptInverseOffers
            | C::DeclineInverseOffers
            | C::Kill
            | C::Shutdown
            | C::Acknowledge
            | C::AcknowledgeOperationStatus
            | C::Reconcile
            | C::Message
            | C::Request
            | C::UpdateFramework
    );
    if needs_section && call.get(&section).is_none() {
        return Err(format!("Expecting '{section}' to be present"));
    }
    if *ty == C::Acknowledge
        && !j::str_at(call, "acknowledge.uuid").is_some_and(ids::is_valid_status_uuid)
    {
        return Err("Not a valid UUID".into());
    }
    if *ty == C::AcknowledgeOperationStatus {
        let ack = &call["acknowledge_operation_status"];
        if !j::str_at(ack, "uuid").is_some_and(ids::is_valid_status_uuid) {
            return Err("Not a valid UUID".into());
        }
        if ack.get("agent_id").is_none() {
            return Err("Expecting 'agent_id' to be present".into());
        }
    }
    if *ty == C::UpdateFramework
        && j::id_at(call, "update_framework.framework_info.id") != j::id_at(call, "framework_id")
    {
        return Err("'framework_id' differs from 'update_framework.framework_info.id'".into());
    }
    Ok(())
}

/// Decodes a scheduler request's Content-Type and body into a normalised call, its type and
/// the validation error if any, answering 400/415 as the master does; touches no state, so the
/// fuzzer can drive it (`crate::fuzzing`).
pub(crate) fn decode_request(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Value, CallType, Option<String>), Box<Response>> {
    check_content_type(headers)?;
    let mut call = parse_call(body)?;
    let ty = CallType::from_name(j::str_at(&call, "type").unwrap_or(""));
    if ty == CallType::Accept {
        super::scheduler_call::wrap_accept_lists(&mut call);
    }
    let missing = validate(&call, &ty).err();
    if missing.is_none() {
        let req = missing_required(&call, &ty);
        if !req.is_empty() {
            return Err(Box::new(bad_request(format!(
                "Failed to convert JSON into Call protobuf: Missing required fields: {}",
                req.join(", ")
            ))));
        }
    }
    Ok((call, ty, missing))
}

/// The scheduler endpoint.
pub(crate) async fn handle(
    State(ctx): State<Ctx>,
    principal: Option<Extension<Principal>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = ctx.follower_response("/api/v1/scheduler") {
        return r;
    }
    if method != Method::POST {
        return method_not_allowed(method.as_str());
    }
    let (mut call, ty, missing) = match decode_request(&headers, &body) {
        Ok(decoded) => decoded,
        Err(r) => return *r,
    };
    let info = match framework_info_of(&mut call, &ty) {
        Ok(info) => info,
        Err(e) => return bad_request(format!("Failed to convert JSON into Call protobuf: {e}")),
    };
    let missing = missing.or_else(|| {
        let Extension(Principal(p)) = principal.as_ref()?;
        let named = info.as_ref()?.principal.as_deref()?;
        (ty == CallType::Subscribe && named != p).then(|| {
            format!(
                "Authenticated principal '{p}' does not match principal '{named}' set in `FrameworkInfo`"
            )
        })
    });
    if let Some(e) = missing {
        return bad_request(format!("Failed to validate scheduler::Call: {e}"));
    }
    // Typed once, after the checks whose texts the tree gives: no handler reads it again.
    let typed = match into_call(call, info) {
        Ok(typed) => typed,
        Err(e) => return bad_request(format!("Failed to convert JSON into Call protobuf: {e}")),
    };
    let stream_header = headers
        .get("Mesos-Stream-Id")
        .map(|v| v.to_str().unwrap_or("").to_string());
    let master = &ctx.master;
    if ty == CallType::Subscribe {
        if !accepts_json(&headers) {
            return not_acceptable();
        }
        if stream_header.is_some() {
            return bad_request("Subscribe calls should not include the 'Mesos-Stream-Id' header");
        }
        return match typed.call.subscribe {
            Some(sub) => subscribe(master, sub),
            None => section_missing("subscribe"),
        };
    }
    if ty == CallType::ReconcileOperations && !accepts_json(&headers) {
        return not_acceptable();
    }
    let fid = typed.call.framework_id.as_ref().map(|id| id.value.clone());
    let fid = fid.unwrap_or_default();
    if let Some(refused) = check_stream(master, &fid, stream_header) {
        return refused;
    }
    dispatch(master, &fid, typed)
}

/// The master's checks of a call other than SUBSCRIBE: its framework is known and
/// subscribed, and the call names that subscription's stream; the refusal when one fails.
fn check_stream(master: &Master, fid: &str, stream: Option<String>) -> Option<Response> {
    let st = master.lock();
    let Some(fw) = st.frameworks.get(fid) else {
        return Some(bad_request("Framework cannot be found"));
    };
    let Some(sub) = &fw.subscription else {
        return Some(plain(StatusCode::FORBIDDEN, "Framework is not subscribed"));
    };
    let Some(given) = stream else {
        return Some(bad_request(
            "All non-subscribe calls should include the 'Mesos-Stream-Id' header",
        ));
    };
    if given != sub.stream_id {
        return Some(bad_request(format!(
            "The stream ID '{given}' included in this request didn't match the stream ID currently associated with framework ID {fid}"
        )));
    }
    None
}

/// Calls other than SUBSCRIBE, for a framework that passed the stream checks. Each section
/// its type needs is there: `validate` refuses a call without it.
fn dispatch(master: &Arc<Master>, fid: &str, typed: Typed) -> Response {
    use CallType as C;
    let Typed {
        call,
        accept_operations,
    } = typed;
    match call.call_type {
        C::Accept => {
            let Some(accept) = &call.accept else {
                return section_missing("accept");
            };
            // Handed over, so that its tasks move into the master's books without a copy.
            return match master.accept(fid, accept, accept_operations) {
                Ok(()) => empty(StatusCode::ACCEPTED),
                Err(e) => bad_request(format!("Failed to convert JSON into Call protobuf: {e}")),
            };
        }
        C::UpdateFramework => {
            return match call.update_framework {
                Some(update) => update_framework(master, fid, update),
                None => section_missing("update_framework"),
            };
        }
        C::Unspecified | C::Unknown(_) => return crate::http::not_implemented(),
        _ => {}
    }
    match call.call_type {
        C::Teardown => master.remove_framework(fid),
        C::Decline => master.decline(fid, &call.decline.unwrap_or_default()),
        C::Revive => master.suppress_or_revive(fid, roles(&call.revive), true),
        C::Suppress => master.suppress_or_revive(fid, roles(&call.suppress), false),
        C::Kill => call.kill.iter().for_each(|k| kill(master, fid, k)),
        C::Shutdown => call.shutdown.iter().for_each(|s| shutdown(master, fid, s)),
        C::Acknowledge => call
            .acknowledge
            .iter()
            .for_each(|a| acknowledge(master, fid, a)),
        C::Reconcile => {
            let tasks = call.reconcile.map(|r| r.tasks).unwrap_or_default();
            master.reconcile(&master.lock(), fid, &tasks);
        }
        C::ReconcileOperations => {
            let asked = call.reconcile_operations.map(|r| r.operations);
            master.reconcile_operations(fid, &asked.unwrap_or_default());
        }
        C::AcknowledgeOperationStatus => (call.acknowledge_operation_status.iter())
            .for_each(|a| master.acknowledge_operation_status(fid, a)),
        C::AcceptInverseOffers => (call.accept_inverse_offers.iter())
            .for_each(|r| master.answer_inverse_offers(fid, r, true)),
        C::DeclineInverseOffers => (call.decline_inverse_offers.iter())
            .for_each(|r| master.answer_inverse_offers(fid, r, false)),
        C::Message => call
            .message
            .iter()
            .for_each(|m| master.framework_message(fid, m)),
        // REQUEST goes to the allocator, whose default ignores it: nothing shows.
        C::Request => {}
        // Handled before: SUBSCRIBE by the endpoint, the others above.
        C::Subscribe | C::Accept | C::UpdateFramework | C::Unspecified | C::Unknown(_) => {}
    }
    empty(StatusCode::ACCEPTED)
}

/// The roles a SUPPRESS or REVIVE names (none when it has no body: all the framework's).
fn roles(body: &Option<Roles>) -> &[String] {
    body.as_ref().map_or(&[], |r| &r.roles)
}

/// `validate`'s answer to a call without its section (which it never lets through).
fn section_missing(section: &str) -> Response {
    bad_request(format!(
        "Failed to validate scheduler::Call: Expecting '{section}' to be present"
    ))
}

fn shutdown(master: &Arc<Master>, fid: &str, call: &Shutdown) {
    let agent = (master.lock().agents.get(&call.agent_id.value)).map(|a| Arc::clone(&a.agent));
    if let Some(agent) = agent {
        agent.shutdown_executor(fid, &call.executor_id.value);
    }
}

fn kill(master: &Arc<Master>, fid: &str, call: &Kill) {
    let tid = call.task_id.value.as_str();
    let grace = (call.kill_policy.as_ref())
        .and_then(|p| p.grace_period.as_ref())
        .map(|g| std::time::Duration::from_nanos(g.nanoseconds.max(0) as u64));
    let st = master.lock();
    let known = st
        .frameworks
        .get(fid)
        .and_then(|f| f.tasks.get(tid))
        .map(|t| t.agent_id.clone());
    match known {
        Some(aid) => {
            let agent = st.agents.get(&aid).map(|a| Arc::clone(&a.agent));
            drop(st);
            if let Some(agent) = agent {
                agent.kill(fid, tid, grace);
            }
        }
        None => {
            let task = ReconcileTask {
                task_id: call.task_id.clone(),
                agent_id: call.agent_id.clone(),
                extra: Default::default(),
            };
            master.reconcile(&st, fid, &[task]);
        }
    }
}

fn acknowledge(master: &Arc<Master>, fid: &str, call: &Acknowledge) {
    let (aid, tid) = (&call.agent_id.value, &call.task_id.value);
    // The text as sent: `validate` took only standard padded base64, which this gives back.
    let uuid = call.uuid.to_base64();
    let (agent, gone) = {
        let mut st = master.lock();
        let mut removed_from = None;
        if let Some(fw) = st.frameworks.get_mut(fid)
            && let Some(task) = fw.tasks.get(tid)
            && is_terminal_ack(task, &uuid)
            && let Some(task) = fw.tasks.remove(tid)
        {
            removed_from = Some(task.agent_id.clone());
            fw.complete(task);
        }
        // The task has left its agent: a draining agent may now be drained.
        let gone = removed_from.filter(|a| master.check_drained(&mut st, a));
        (st.agents.get(aid).map(|a| Arc::clone(&a.agent)), gone)
    };
    if let Some(agent) = agent {
        agent.acknowledge(fid, tid, &uuid);
    }
    if let Some(gone) = gone {
        master.mark_gone(&gone);
    }
}

fn is_terminal_ack(task: &super::state::Task, uuid: &str) -> bool {
    task.status_update_uuid.as_deref() == Some(uuid)
        && task
            .status_update_state
            .as_ref()
            .is_some_and(TaskState::is_terminal)
}

/// A FrameworkInfo as the master stores it: its `id`, and `failover_timeout` and
/// `checkpoint` set to their defaults when not given (written out as real Mesos writes them).
fn store_info(mut info: FrameworkInfo, fid: &str) -> FrameworkInfo {
    info.id = Some(FrameworkId::new(fid));
    info.failover_timeout.get_or_insert(0.0);
    info.checkpoint.get_or_insert(false);
    info
}

/// `Master::subscribe`'s refusal of a FrameworkInfo that fails `validateFramework`: the stream
/// is answered 200, carries one ERROR and closes; no framework id is spent on it.
fn refuse_subscription(stream_id: &str, error: &str) -> Response {
    tracing::info!("refusing subscription: {error}");
    let (resp, sender) = event_stream_response(Some(stream_id), || {});
    sender.send(&Event::error(error));
    resp
}

fn subscribe(master: &Arc<Master>, call: Subscribe) -> Response {
    let mut info = call.framework_info;
    let stream_id = ids::uuid_string();
    let mail = master.mail.clone();
    let mut st = master.lock();
    let requested = info.id.as_ref().map(|id| id.value.clone());
    let suppressed = match check_subscription(&st, &mut info, &call.suppressed_roles) {
        Ok(s) => s,
        Err(e) => return refuse_subscription(&stream_id, &e),
    };
    let fid = match &requested {
        Some(id) => id.clone(),
        None => {
            let id = ids::framework_id(&st.id, st.next_framework);
            st.next_framework += 1;
            id
        }
    };
    let closed_fid = fid.clone();
    let closed_sid = stream_id.clone();
    let (resp, sender) = event_stream_response(Some(&stream_id), move || {
        let _ = mail.send(Mail::StreamClosed {
            framework_id: closed_fid,
            stream_id: closed_sid,
        });
    });
    let stored = store_info(info, &fid);
    let now = ids::now_nanos();
    let master_info = master.master_info(&st);
    let existed = st.frameworks.contains_key(&fid);
    let fw = st
        .frameworks
        .entry(fid.clone())
        .or_insert_with(|| Framework::new(&fid, FrameworkInfo::default(), now, false));
    if let Some(old) = fw.subscription.take() {
        old.sender.send(&Event::error("Framework failed over"));
    }
    fw.info = stored;
    fw.active = true;
    fw.recovered = false;
    fw.generation += 1;
    if existed {
        fw.reregistered_time = now;
    }
    fw.suppressed_roles = suppressed;
    let heartbeat = master.cfg.heartbeat_interval.as_secs_f64();
    sender.send(&Event::subscribed(
        FrameworkId::new(fid.as_str()),
        heartbeat,
        Some(master_info),
    ));
    sender.send(&Event::heartbeat());
    fw.subscription = Some(super::subscription(stream_id, sender));
    announce_framework(&mut st, &fid, existed);
    let agents: Vec<_> = st.agents.values().map(|a| Arc::clone(&a.agent)).collect();
    drop(st);
    tracing::info!(framework = %fid, "framework subscribed");
    for a in agents {
        a.resend_framework(&fid);
    }
    master.allocate();
    resp
}

/// A SUBSCRIBE's checks, in the master's order: `validateFramework` (the roles, then whether
/// the framework was removed), `createAllocatorFrameworkOptions` (suppressed roles must be
/// the framework's), and for a known framework `preserveImmutableFields`, then
/// `validateUpdate`. The suppressed roles, or the error the stream carries.
fn check_subscription(
    st: &MasterState,
    info: &mut FrameworkInfo,
    suppressed_roles: &[String],
) -> Result<BTreeSet<String>, String> {
    let requested = info.id.as_ref().map(|id| id.value.clone());
    super::framework_checks::validate_roles(info)?;
    if requested.as_ref().is_some_and(|id| st.is_removed(id)) {
        return Err("Framework has been removed".to_string());
    }
    let suppressed = super::suppression::requested(suppressed_roles, info)?;
    if let Some(known) = requested.as_ref().and_then(|id| st.frameworks.get(id)) {
        super::framework_checks::preserve_immutable_fields(&known.info, info);
        super::framework_checks::validate_update(&known.info, info)?;
    }
    Ok(suppressed)
}

/// FRAMEWORK_ADDED (or FRAMEWORK_UPDATED, for a framework the master knew) to operators.
fn announce_framework(st: &mut MasterState, fid: &str, existed: bool) {
    let view = views::framework_v1(&st.frameworks[fid], st);
    let kind = if existed {
        "FRAMEWORK_UPDATED"
    } else {
        "FRAMEWORK_ADDED"
    };
    let key = kind.to_ascii_lowercase();
    let mut ev = Map::new();
    ev.insert("type".into(), json!(kind));
    ev.insert(key, json!({"framework": view}));
    st.broadcast(&Value::Object(ev));
}

fn update_framework(master: &Arc<Master>, fid: &str, call: UpdateFramework) -> Response {
    let info = call.framework_info;
    let mut st = master.lock();
    let Some(fw) = st.frameworks.get_mut(fid) else {
        return bad_request("Framework cannot be found");
    };
    // `Master::updateFramework`: `validateFramework` before `validateUpdate`.
    if let Err(e) = super::framework_checks::validate_roles(&info) {
        return bad_request(format!("Supplied FrameworkInfo is not valid: {e}"));
    }
    if let Err(e) = super::framework_checks::validate_update(&fw.info, &info) {
        return bad_request(format!("FrameworkInfo update is not valid: {e}"));
    }
    let suppressed = match super::suppression::requested(&call.suppressed_roles, &info) {
        Ok(s) => s,
        Err(e) => return bad_request(format!("'UpdateFramework' call is not valid: {e}")),
    };
    fw.info = store_info(info, fid);
    // The allocator takes the new set whole (`updateFramework`): roles left out are revived.
    fw.suppressed_roles = suppressed;
    // Roles left: their refuse filters go, and their offers are rescinded.
    let roles = fw.roles();
    fw.filters.retain(|(_, role), _| roles.contains(role));
    master.remove_offers_where(
        &mut st,
        |o| o.framework_id == fid && !roles.contains(&o.role),
        true,
    );
    let view = views::framework_v1(&st.frameworks[fid], &st);
    st.broadcast(&json!({"type": "FRAMEWORK_UPDATED", "framework_updated": {"framework": view}}));
    empty(StatusCode::OK)
}
