//! Taking agents out of service through the operator API: `%drain`, `%deactivate`,
//! `%reactivate` (DRAIN_AGENT, DEACTIVATE_AGENT, REACTIVATE_AGENT), and what they share with
//! `%maintenance` and `%agents`: raw operator calls, finding an agent by id or hostname, and an
//! agent's state in one word.

use super::operator::unreachable;
use super::{Body, MagicResult, duration_flag, mesos_error, usage};
use crate::display::table::Table;
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::registry::{ArgKind, FlagSpec, MagicContext, MagicSpec, spec_in};
use crate::mesos::{Connection, LiveKind};
use crate::protocol::content::ErrorContent;
use mesos_lib::httpcli::RawReply;
use mesos_lib::v1::master::{Call, CallType};
use serde_json::{Value, json};
use std::time::Duration;

pub(super) static MAGICS: &[(MagicSpec, Body)] = &[
    (
        MagicSpec::line(
            "drain",
            "%drain AGENT [--grace DURATION] [--mark-gone] [--wait] [--timeout DURATION]",
            "DRAIN_AGENT: no more offers from AGENT, its tasks killed, DRAINING then DRAINED.",
            "AGENT is an agent id, or a hostname that only one agent has. The master deactivates \
             the agent (its offers are rescinded) and the agent kills every task, none with a \
             longer grace period than --grace; the tasks end TASK_KILLED with reason \
             REASON_AGENT_DRAINING. Once the master holds no task there the agent is DRAINED; \
             %reactivate brings it back. With --mark-gone the drained agent is then marked \
             gone: removed for good, its tasks TASK_GONE_BY_OPERATOR. Shows the agent after \
             the call, or with --wait once it is DRAINED (or gone), at most --timeout (60s); an \
             interrupt stops the wait, not the drain. Re-run on a DRAINING or DRAINED agent, \
             it says so (the master takes the call again). %agents shows every agent's state.",
            &[
                FlagSpec {
                    name: "grace",
                    value: ArgKind::Text,
                    help: "longest grace period a task gets between SIGTERM and SIGKILL (max_grace_period)",
                },
                FlagSpec {
                    name: "mark-gone",
                    value: ArgKind::None,
                    help: "mark the agent gone once drained (it cannot come back)",
                },
                FlagSpec {
                    name: "wait",
                    value: ArgKind::None,
                    help: "wait until the agent is DRAINED (or gone)",
                },
                FlagSpec {
                    name: "timeout",
                    value: ArgKind::Text,
                    help: "with --wait: how long at most (default 60s)",
                },
            ],
            ArgKind::Live(LiveKind::AgentId),
        ),
        |args, ctx| Box::pin(drain(args, ctx)),
    ),
    (
        MagicSpec::line(
            "deactivate",
            "%deactivate AGENT",
            "DEACTIVATE_AGENT: no more offers from AGENT; its tasks keep running.",
            "AGENT is an agent id, or a hostname that only one agent has. Its outstanding offers \
             are rescinded; %reactivate ends it. Re-run, it says the agent already was.",
            &[],
            ArgKind::Live(LiveKind::AgentId),
        ),
        |args, ctx| Box::pin(deactivate(args, ctx)),
    ),
    (
        MagicSpec::line(
            "reactivate",
            "%reactivate AGENT",
            "REACTIVATE_AGENT: a deactivated or drained agent is offered again.",
            "AGENT is an agent id, or a hostname that only one agent has. The master refuses an \
             agent still DRAINING with its own words, as an error; an agent already active it \
             refuses too (\"Agent is not deactivated\"), which the cell shows without failing, \
             so re-running it is safe.",
            &[],
            ArgKind::Live(LiveKind::AgentId),
        ),
        |args, ctx| Box::pin(reactivate(args, ctx)),
    ),
];

/// A call of type `ty` with its sub-message `body` (the `Call` type models few of them).
pub(super) fn call_with(ty: CallType, body: Option<Value>) -> Call {
    let mut call = Call::new(ty.clone());
    if let Some(body) = body {
        call.extra.insert(ty.as_str().to_ascii_lowercase(), body);
    }
    call
}

/// Sends an operator call; what the master answered, whatever its status (only an unreachable
/// master is an error).
pub(super) async fn operator_reply(
    conn: &Connection,
    call: &Call,
) -> Result<RawReply, ErrorContent> {
    conn.operator
        .call_raw(call)
        .await
        .map_err(|e| unreachable(conn, e))
}

/// The master's answer in one line: `400 Bad Request: Agent is not deactivated`.
pub(super) fn answer_line(reply: &RawReply) -> String {
    match reply.body.trim() {
        "" => reply.status_line(),
        words => format!("{}: {words}", reply.status_line()),
    }
}

/// Sends an operator call; its JSON answer (`Null` when empty), or the master's own words
/// as the error.
pub(super) async fn operator_json(conn: &Connection, call: &Call) -> Result<Value, ErrorContent> {
    let reply = operator_reply(conn, call).await?;
    if !reply.is_success() {
        return Err(mesos_error(format!(
            "{}: {}",
            call.call_type,
            answer_line(&reply)
        )));
    }
    if reply.body.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&reply.body)
        .map_err(|e| mesos_error(format!("{}: the answer is not JSON: {e}", call.call_type)))
}

/// Sends a call that takes something to a state `already` says it was in (e.g. "ACTIVE") when
/// the cell is re-run: then the master's answer, even a refusal, is told plainly rather than
/// failing the cell, so re-running is safe and the user still sees what Mesos says. The
/// caption for the result; the master's refusal as the error otherwise.
pub(super) async fn send_again_safe(
    conn: &Connection,
    call: &Call,
    what: &str,
    already: Option<&str>,
) -> Result<String, ErrorContent> {
    let reply = operator_reply(conn, call).await?;
    let ty = &call.call_type;
    match (reply.is_success(), already) {
        (true, None) => Ok(format!("{ty} sent: {}", answer_line(&reply))),
        (true, Some(state)) => Ok(format!(
            "{what} was already {state}; {ty} sent again: {}",
            answer_line(&reply)
        )),
        (false, Some(state)) => Ok(format!(
            "{what} is already {state}, so the master refuses {ty}: {}",
            answer_line(&reply)
        )),
        (false, None) => Err(mesos_error(format!("{ty}: {}", answer_line(&reply)))),
    }
}

/// Every agent GET_AGENTS lists, as JSON (`drain_info` included, which the typed one lacks).
pub(super) async fn agents_json(conn: &Connection) -> Result<Vec<Value>, ErrorContent> {
    let got = operator_json(conn, &Call::get_agents()).await?;
    Ok(got["get_agents"]["agents"]
        .as_array()
        .cloned()
        .unwrap_or_default())
}

/// An agent's id.
pub(super) fn agent_id(a: &Value) -> &str {
    a["agent_info"]["id"]["value"].as_str().unwrap_or("")
}

/// An agent's hostname.
pub(super) fn agent_hostname(a: &Value) -> &str {
    a["agent_info"]["hostname"].as_str().unwrap_or("")
}

/// The IP an agent registered from (its pid `slave(1)@IP:PORT`): with its hostname, the
/// machine it is on as maintenance names it.
pub(super) fn agent_ip(pid: Option<&str>) -> Option<String> {
    let addr = pid?.rsplit_once('@')?.1;
    Some(addr.rsplit_once(':').map_or(addr, |(ip, _)| ip).to_string())
}

/// The agent `word` names: its id, or a hostname only one agent has.
pub(super) fn find_agent<'a>(agents: &'a [Value], word: &str) -> Result<&'a Value, String> {
    if let Some(a) = agents.iter().find(|a| agent_id(a) == word) {
        return Ok(a);
    }
    let by_host: Vec<&Value> = agents
        .iter()
        .filter(|a| agent_hostname(a).eq_ignore_ascii_case(word))
        .collect();
    match by_host.as_slice() {
        [one] => Ok(one),
        [] => Err(format!(
            "no agent {word:?} (agents: {})",
            agents.iter().map(agent_id).collect::<Vec<_>>().join(", ")
        )),
        many => Err(format!(
            "{} agents have hostname {word:?}: name one by id ({})",
            many.len(),
            many.iter()
                .map(|a| agent_id(a))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// An agent's state in one word: ACTIVE, DEACTIVATED, or its drain state (DRAINING, DRAINED).
pub(super) fn agent_state(deactivated: bool, drain_info: Option<&Value>) -> &'static str {
    match drain_info.and_then(|d| d["state"].as_str()) {
        Some("DRAINING") => "DRAINING",
        Some("DRAINED") => "DRAINED",
        _ if deactivated => "DEACTIVATED",
        _ => "ACTIVE",
    }
}

/// The state of an agent as GET_AGENTS lists it, in one word.
fn state_of(a: &Value) -> &'static str {
    agent_state(
        a["deactivated"].as_bool().unwrap_or(false),
        a.get("drain_info"),
    )
}

/// `--grace 5s` as DRAIN_AGENT's `max_grace_period` (a `google.protobuf.Duration`).
fn grace_json(d: Duration) -> Value {
    json!({"seconds": d.as_secs(), "nanos": d.subsec_nanos()})
}

/// The one AGENT word of `%name`, resolved against GET_AGENTS.
async fn the_agent(
    name: &str,
    args: &Args,
    ctx: &MagicContext<'_>,
) -> Result<(Connection, Value), ErrorContent> {
    let spec = spec_in(MAGICS, name);
    let word = match args.positional.as_slice() {
        [w] => w.clone(),
        [] => return Err(usage(spec, "name the agent (an id or its hostname)")),
        [_, extra, ..] => return Err(usage(spec, format!("unexpected argument {extra:?}"))),
    };
    let conn = ctx.mesos.connection().map_err(mesos_error)?;
    let agents = agents_json(&conn).await?;
    let agent = find_agent(&agents, &word).map_err(mesos_error)?.clone();
    Ok((conn, agent))
}

/// The agent as it is now: one row with its state and drain config.
async fn shown(conn: &Connection, id: &str, note: &str) -> MagicResult {
    let agents = agents_json(conn).await?;
    let mut t = Table::new(&["agent", "hostname", "state", "max grace", "mark gone"]);
    match agents.iter().find(|a| agent_id(a) == id) {
        Some(a) => {
            let drain = a.get("drain_info");
            let config = drain.map(|d| &d["config"]);
            let grace = config
                .and_then(|c| c["max_grace_period"]["nanoseconds"].as_f64())
                .map(|n| format!("{}s", n / 1e9))
                .unwrap_or_else(|| "-".into());
            let gone = config
                .and_then(|c| c["mark_gone"].as_bool())
                .map(|g| g.to_string())
                .unwrap_or_else(|| "-".into());
            t.row(vec![
                id.to_string(),
                agent_hostname(a).to_string(),
                state_of(a).to_string(),
                grace,
                gone,
            ]);
        }
        None => t.row(vec![
            id.into(),
            "-".into(),
            "GONE".into(),
            "-".into(),
            "-".into(),
        ]),
    }
    t.caption = Some(note.to_string());
    Ok(Some(t.to_bundle()))
}

async fn drain(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let spec = spec_in(MAGICS, "drain");
    let grace = match args.value("grace") {
        Some(_) => Some(duration_flag(spec, &args, "grace", Duration::ZERO)?),
        None => None,
    };
    let (conn, agent) = the_agent("drain", &args, ctx).await?;
    let id = agent_id(&agent).to_string();
    let mut body = json!({"agent_id": {"value": id}});
    if let Some(g) = grace {
        body["max_grace_period"] = grace_json(g);
    }
    if args.has("mark-gone") {
        body["mark_gone"] = json!(true);
    }
    // Draining again is allowed (the master re-checks the agent), so a re-run just says so.
    let already = matches!(state_of(&agent), "DRAINING" | "DRAINED").then(|| state_of(&agent));
    let call = call_with(CallType::DrainAgent, Some(body));
    let note = send_again_safe(&conn, &call, &format!("agent {id}"), already).await?;
    if args.has("wait") {
        let timeout = duration_flag(spec, &args, "timeout", DRAIN_WAIT)?;
        return wait_drained(&conn, &id, timeout, &note, ctx).await;
    }
    shown(&conn, &id, &note).await
}

/// How long `%drain --wait` waits by default.
const DRAIN_WAIT: Duration = Duration::from_secs(60);

/// Polls GET_AGENTS until agent `id` is DRAINED or gone.
async fn wait_drained(
    conn: &Connection,
    id: &str,
    timeout: Duration,
    note: &str,
    ctx: &MagicContext<'_>,
) -> MagicResult {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let agents = agents_json(conn).await?;
        let state = agents.iter().find(|a| agent_id(a) == id).map(state_of);
        if matches!(state, None | Some("DRAINED")) {
            return shown(conn, id, &format!("{note}; drained")).await;
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
            _ = ctx.cancel.cancelled() => return Err(super::interrupted("waiting for the agent to drain")),
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(mesos_error(format!(
                "agent {id} is still {} after {timeout:?}: the master holds tasks there until their last update is acknowledged",
                state.unwrap_or("DRAINING")
            )));
        }
    }
}

async fn deactivate(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let (conn, agent) = the_agent("deactivate", &args, ctx).await?;
    let id = agent_id(&agent).to_string();
    let body = json!({"agent_id": {"value": id}});
    let call = call_with(CallType::DeactivateAgent, Some(body));
    // The master takes DEACTIVATE_AGENT again (200): a re-run says the agent already was.
    let already = (state_of(&agent) != "ACTIVE").then_some("deactivated");
    let note = send_again_safe(&conn, &call, &format!("agent {id}"), already).await?;
    shown(&conn, &id, &note).await
}

async fn reactivate(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let (conn, agent) = the_agent("reactivate", &args, ctx).await?;
    let id = agent_id(&agent).to_string();
    let body = json!({"agent_id": {"value": id}});
    let call = call_with(CallType::ReactivateAgent, Some(body));
    // The master refuses an active agent ("Agent is not deactivated"): a re-run shows that
    // answer as what it is, the agent already being active, not as a failure.
    let already = (state_of(&agent) == "ACTIVE").then_some("active");
    let note = send_again_safe(&conn, &call, &format!("agent {id}"), already).await?;
    shown(&conn, &id, &note).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_are_found_by_id_or_a_hostname_only_one_has() {
        let a =
            |id: &str, host: &str| json!({"agent_info": {"id": {"value": id}, "hostname": host}});
        let agents = vec![a("S0", "h1"), a("S1", "h1"), a("S2", "maint-host")];
        assert_eq!(agent_id(find_agent(&agents, "S1").unwrap()), "S1");
        assert_eq!(agent_id(find_agent(&agents, "MAINT-HOST").unwrap()), "S2");
        assert!(
            find_agent(&agents, "h1")
                .unwrap_err()
                .contains("2 agents have hostname")
        );
        assert!(
            find_agent(&agents, "nope")
                .unwrap_err()
                .contains("S0, S1, S2")
        );
        assert_eq!(
            agent_ip(Some("slave(1)@127.0.0.1:5051")).as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(
            agent_state(true, Some(&json!({"state": "DRAINED"}))),
            "DRAINED"
        );
        assert_eq!(agent_state(true, None), "DEACTIVATED");
        assert_eq!(
            grace_json(Duration::from_millis(1500)),
            json!({"seconds": 1, "nanos": 500_000_000})
        );
    }
}
