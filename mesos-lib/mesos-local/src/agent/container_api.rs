//! The container calls of the agent's operator API: launching, waiting for, killing and
//! removing nested containers, and the streams of a session (`ProcessIO` records), answered
//! as a real agent with the posix launcher answers them (src/slave/http.cpp, the I/O
//! switchboard). Standalone containers and isolation are refused: the embedded agent has none.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::Response;
use futures::{Stream, StreamExt};
use serde_json::json;
use tokio::sync::broadcast;

use super::Agent;
use super::media::{self, StreamFormat};
use super::nested::{ContainerPath, LaunchError, Nested, NestedLaunch, Output};
use crate::http::{bad_request, empty, not_carried_out, plain};
use mesos_lib::recordio::Decoder;
use mesos_lib::v1::agent::AgentCallType;
use mesos_lib::v1::agent::containers::{
    AttachContainerInput, AttachContainerInputType, KillContainer, LaunchContainer,
    LaunchNestedContainer, OnContainer, ProcessIo, ProcessIoControlType, ProcessIoStream,
    ProcessIoType,
};
use mesos_lib::v1::common::DurationInfo;
use mesos_lib::v1::task::CommandInfo;
use mesos_lib::v1::{ContainerId, ContainerInfo};

/// How often a session's output stream carries a heartbeat (the agent's
/// `--http_heartbeat_interval` default).
const HEARTBEAT: Duration = Duration::from_secs(30);

/// What a launch call asks for: LAUNCH_NESTED_CONTAINER(_SESSION)'s section or
/// LAUNCH_CONTAINER's (whose resources and limits a process without isolation cannot honour).
pub(crate) struct Launch<'a> {
    id: &'a ContainerId,
    command: Option<&'a CommandInfo>,
    container: Option<&'a ContainerInfo>,
    /// LAUNCH_CONTAINER gives the container resources or limits of its own.
    sized: bool,
}

impl<'a> Launch<'a> {
    /// LAUNCH_NESTED_CONTAINER's or LAUNCH_NESTED_CONTAINER_SESSION's section.
    pub(crate) fn nested(call: &'a LaunchNestedContainer) -> Self {
        Launch {
            id: &call.container_id,
            command: call.command.as_ref(),
            container: call.container.as_ref(),
            sized: false,
        }
    }

    /// LAUNCH_CONTAINER's section.
    pub(crate) fn container(call: &'a LaunchContainer) -> Self {
        Launch {
            id: &call.container_id,
            command: call.command.as_ref(),
            container: call.container.as_ref(),
            sized: !call.resources.is_empty() || !call.limits.is_empty(),
        }
    }
}

/// `500` with the containerizer's failure, as libprocess answers a failed future.
fn failure(text: impl Into<String>) -> Response {
    plain(StatusCode::INTERNAL_SERVER_ERROR, text)
}

/// What the embedded agent refuses in a launch: any isolation (a ContainerInfo beyond type
/// MESOS, a TTY) and a user other than its own.
fn unsupported(launch: &Launch) -> Option<Response> {
    if let Some(container) = launch.container {
        let kind = container.container_type.as_ref();
        let kind = kind.map_or("MESOS", |t| t.as_str());
        // ContainerInfo does not model `tty_info`: it is among the fields kept unread.
        if container.extra.contains_key("tty_info") {
            return Some(bad_request(
                "A TTY is not supported: mesos-local runs containers as plain processes, \
                 without a pseudo-terminal",
            ));
        }
        let bare = ContainerInfo {
            container_type: container.container_type.clone(),
            ..ContainerInfo::default()
        };
        if kind != "MESOS" || *container != bare {
            return Some(bad_request(format!(
                "The provided ContainerInfo is not supported: mesos-local has no containerizer \
                 but plain processes (no {kind} containers, images, volumes, networks or \
                 isolators)"
            )));
        }
    }
    if let Some(user) = launch.command.and_then(|c| c.user.as_deref())
        && Some(user) != media::own_user().as_deref()
    {
        return Some(bad_request(format!(
            "mesos-local cannot switch user: its containers run as {}, not '{user}'",
            media::own_user().unwrap_or_default()
        )));
    }
    None
}

/// LAUNCH_NESTED_CONTAINER, LAUNCH_CONTAINER (nested only) and, with a session, the
/// launch half of LAUNCH_NESTED_CONTAINER_SESSION. `Err` is the answer to give instead.
async fn launch(
    agent: &Arc<Agent>,
    ty: &AgentCallType,
    launch: Launch<'_>,
    session: bool,
) -> Result<(Arc<Nested>, Option<broadcast::Receiver<Output>>), Response> {
    let path = ContainerPath::of(launch.id);
    if !path.is_nested() {
        return Err(not_carried_out(
            ty.as_str(),
            "it launches nested containers only, not standalone ones",
        ));
    }
    if launch.sized {
        // A real agent's isolators would hold the container to them; a plain process is not.
        return Err(not_carried_out(
            ty.as_str(),
            "it enforces no resources or limits for a container",
        ));
    }
    if let Some(refused) = unsupported(&launch) {
        return Err(refused);
    }
    let req = NestedLaunch {
        path: path.clone(),
        command: launch.command.cloned().unwrap_or_default(),
        session,
    };
    match agent.launch_nested(req).await {
        Ok(launched) => Ok(launched),
        Err(LaunchError::AlreadyRunning) => Err(empty(StatusCode::ACCEPTED)),
        Err(LaunchError::NoParent) => Err(bad_request(format!(
            "Parent container {} does not exist",
            path.parent().map(|p| p.to_string()).unwrap_or_default()
        ))),
        Err(LaunchError::Failed(e)) => Err(bad_request(e)),
    }
}

/// LAUNCH_NESTED_CONTAINER and LAUNCH_CONTAINER: 200 once started.
pub(crate) async fn launch_container(
    agent: &Arc<Agent>,
    ty: &AgentCallType,
    call: Launch<'_>,
) -> Response {
    match launch(agent, ty, call, false).await {
        Ok(_) => empty(StatusCode::OK),
        Err(r) => r,
    }
}

/// LAUNCH_NESTED_CONTAINER_SESSION: launches, then streams the container's output until it
/// ends; a client that goes away destroys the container.
pub(crate) async fn launch_session(
    agent: &Arc<Agent>,
    ty: &AgentCallType,
    call: Launch<'_>,
    format: StreamFormat,
) -> Response {
    let (nested, rx) = match launch(agent, ty, call, true).await {
        Ok((n, Some(rx))) => (n, rx),
        Ok((n, None)) => {
            n.kill(libc::SIGKILL);
            return failure("the session has no output to attach to");
        }
        Err(r) => return r,
    };
    let on_gone = Arc::clone(&nested);
    output_response(rx, format, move || {
        // The session ends with its connection (or its output): the container is destroyed.
        on_gone.kill(libc::SIGKILL);
    })
}

/// ATTACH_CONTAINER_OUTPUT: the output of a session from now on.
pub(crate) fn attach_output(
    agent: &Arc<Agent>,
    call: &OnContainer,
    format: StreamFormat,
) -> Response {
    let path = ContainerPath::of(&call.container_id);
    let nested = match attachable(agent, &path) {
        Ok(n) => n,
        Err(r) => return *r,
    };
    match nested.subscribe() {
        Some(rx) => output_response(rx, format, || {}),
        None => failure("I/O switchboard has shutdown"),
    }
}

/// The nested container with a switchboard that `path` names, or the agent's answer.
fn attachable(agent: &Agent, path: &ContainerPath) -> Result<Arc<Nested>, Box<Response>> {
    if !agent.has_executor_container(path.root()) {
        return Err(Box::new(plain(
            StatusCode::NOT_FOUND,
            format!("Container {path} cannot be found"),
        )));
    }
    match agent.nested.get(path) {
        // Command tasks and plain nested containers write to their sandbox, not to a switchboard.
        None if !path.is_nested() => Err(Box::new(failure(
            "I/O switchboard server was disabled for this container",
        ))),
        Some(n) if !n.session => Err(Box::new(failure(
            "I/O switchboard server was disabled for this container",
        ))),
        Some(n) if n.exit_status().is_some() => {
            Err(Box::new(failure("I/O switchboard has shutdown")))
        }
        Some(n) => Ok(n),
        None => Err(Box::new(failure(format!("Unknown container {path}")))),
    }
}

/// A streaming 200 of `ProcessIO` records read from `rx`, with a heartbeat every
/// [`HEARTBEAT`]; `on_drop` runs when the body is gone.
fn output_response(
    mut rx: broadcast::Receiver<Output>,
    format: StreamFormat,
    on_drop: impl FnOnce() + Send + 'static,
) -> Response {
    let (mut resp, tx) = crate::http::stream::event_stream_response(None, on_drop);
    media::set_stream_headers(&mut resp, format);
    tokio::spawn(async move {
        let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
        loop {
            let record = tokio::select! {
                out = rx.recv() => match out {
                    Ok(Output::Data(kind, data)) => ProcessIo::data(kind, data.to_vec()),
                    Ok(Output::End) | Err(broadcast::error::RecvError::Closed) => break,
                    // A reader this far behind has lost some output; it keeps the rest.
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                },
                _ = beat.tick() => ProcessIo::heartbeat(DurationInfo {
                    nanoseconds: HEARTBEAT.as_nanos() as i64,
                    extra: Default::default(),
                }),
            };
            if !tx.send(&record) {
                break;
            }
        }
    });
    resp
}

/// ATTACH_CONTAINER_INPUT: `first` is the CONTAINER_ID record; the rest of the request body
/// carries PROCESS_IO records (stdin data, heartbeats, an empty chunk for EOF). Answers once
/// the request ends or the container does.
pub(crate) async fn attach_input(
    agent: &Arc<Agent>,
    first: &AttachContainerInput,
    mut pending: VecDeque<Vec<u8>>,
    mut records: impl Stream<Item = Result<Bytes, axum::Error>> + Unpin,
    mut decoder: Decoder,
) -> Response {
    if first.input_type != Some(AttachContainerInputType::ContainerId) {
        return bad_request("Expecting 'attach_container_input.type' to be CONTAINER_ID");
    }
    let Some(id) = &first.container_id else {
        return bad_request(
            "Failed to validate agent::Call: Expecting 'attach_container_input.container_id' to be present",
        );
    };
    let path = ContainerPath::of(id);
    let nested = match attachable(agent, &path) {
        Ok(n) => n,
        Err(r) => return *r,
    };
    if !nested.claim_input() {
        return plain(
            StatusCode::CONFLICT,
            "Multiple input connections are not allowed",
        );
    }
    let answer = loop {
        let record = match pending.pop_front() {
            Some(r) => r,
            None => {
                let chunk = tokio::select! {
                    c = records.next() => c,
                    _ = nested.wait() => break empty(StatusCode::OK),
                };
                match chunk {
                    None => break empty(StatusCode::OK),
                    Some(Err(e)) => break bad_request(e.to_string()),
                    Some(Ok(bytes)) => match decoder.decode(&bytes) {
                        Ok(recs) => {
                            pending.extend(recs);
                            continue;
                        }
                        Err(e) => break bad_request(e.to_string()),
                    },
                }
            }
        };
        match input_record(&record) {
            Err(text) => break bad_request(text),
            Ok(None) => {}
            Ok(Some(data)) => {
                if let Err(e) = nested.write_stdin(&data).await {
                    break failure(format!("Failed writing to stdin: {e}"));
                }
            }
        }
    };
    nested.release_input();
    answer
}

/// One PROCESS_IO record of an input stream: the stdin bytes it carries (empty for EOF),
/// `None` for a heartbeat, or the text of the 400 (the agent's, for a record that does not
/// convert or validate; the switchboard's, src/slave/containerizer/mesos/io/switchboard.cpp,
/// for the rest).
fn input_record(record: &[u8]) -> Result<Option<Vec<u8>>, String> {
    let call = super::operator_call::read(record)?;
    let input = call.attach_container_input.unwrap_or_default();
    if input.input_type != Some(AttachContainerInputType::ProcessIo) {
        let ty = input.input_type.as_ref().map_or("UNKNOWN", |t| t.as_str());
        return Err(format!(
            "Expecting 'attach_container_input.type' to be 'PROCESS_IO' instead of: '{ty}'"
        ));
    }
    let Some(io) = input.process_io else {
        return Err("Expecting 'attach_container_input.process_io' to be present".into());
    };
    match io.io_type {
        None => Err("Expecting 'process_io.type' to be present".into()),
        Some(ProcessIoType::Control) => {
            let Some(control) = io.control else {
                return Err("Expecting 'process_io.control' to be present".into());
            };
            match control.control_type {
                None => Err("Expecting 'process_io.control.type' to be present".into()),
                Some(ProcessIoControlType::Heartbeat) => Ok(None),
                Some(ProcessIoControlType::TtyInfo) => {
                    Err("Unable to set the window size: mesos-local gives containers no TTY".into())
                }
                Some(_) => Err("'process_io.control.type' is unknown".into()),
            }
        }
        Some(ProcessIoType::Data) => {
            let Some(data) = io.data else {
                return Err("Expecting 'process_io.data' to be present".into());
            };
            match (data.stream, data.data) {
                (None, _) => Err("Expecting 'process_io.data.type' to be present".into()),
                (Some(ProcessIoStream::Stdin), Some(bytes)) => Ok(Some(bytes.0)),
                (Some(ProcessIoStream::Stdin), None) => {
                    Err("Expecting 'process_io.data.data' to be present".into())
                }
                (Some(_), _) => Err("Expecting 'process_io.data.type' to be 'STDIN'".into()),
            }
        }
        Some(_) => Err("'process_io.type' is unknown".into()),
    }
}

/// WAIT_NESTED_CONTAINER and WAIT_CONTAINER: the exit status once the container has ended.
pub(crate) async fn wait(agent: &Arc<Agent>, ty: &AgentCallType, call: &OnContainer) -> Response {
    let path = ContainerPath::of(&call.container_id);
    if !path.is_nested() {
        return not_carried_out(
            ty.as_str(),
            "it waits for nested containers only; a task's own container ends with its task",
        );
    }
    let Some(nested) = agent.nested.get(&path) else {
        return plain(
            StatusCode::NOT_FOUND,
            format!("Container {path} cannot be found"),
        );
    };
    let status = nested.wait().await;
    crate::master::operator_api::answer_with(ty.as_str(), &json!({"exit_status": status}))
}

/// KILL_NESTED_CONTAINER and KILL_CONTAINER: the signal (SIGKILL unless given) to a running
/// nested container.
pub(crate) fn kill(agent: &Arc<Agent>, ty: &AgentCallType, call: &KillContainer) -> Response {
    let path = ContainerPath::of(&call.container_id);
    let signal = call.signal.unwrap_or(libc::SIGKILL);
    if !path.is_nested() && agent.has_executor_container(path.root()) {
        return not_carried_out(
            ty.as_str(),
            "it kills nested containers only; kill a task through its scheduler",
        );
    }
    match agent.nested.get(&path) {
        Some(n) if n.kill(signal) => empty(StatusCode::OK),
        _ => plain(
            StatusCode::NOT_FOUND,
            format!("Container '{path}' cannot be found (or is already killed)"),
        ),
    }
}

/// REMOVE_NESTED_CONTAINER and REMOVE_CONTAINER: forgets an ended nested container and
/// deletes its sandbox. A real agent aborts on a top-level container; this one refuses it.
pub(crate) fn remove(agent: &Arc<Agent>, ty: &AgentCallType, call: &OnContainer) -> Response {
    let path = ContainerPath::of(&call.container_id);
    if !path.is_nested() {
        return bad_request(format!(
            "Container {path} is not a nested container: {} removes nested containers only",
            ty.as_str()
        ));
    }
    if agent
        .nested
        .get(&path)
        .is_some_and(|n| n.exit_status().is_none())
    {
        return failure("Nested container has not terminated yet");
    }
    if !agent.has_executor_container(path.root()) {
        return failure("Unknown root container");
    }
    if let Some(n) = agent.nested.remove(&path)
        && let Err(e) = std::fs::remove_dir_all(&n.sandbox)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        return failure(format!("Failed to remove the sandbox directory: {e}"));
    }
    empty(StatusCode::OK)
}

#[cfg(test)]
mod tests {
    use super::input_record;
    use serde_json::{Value, json};

    fn record(io: Value) -> Result<Option<Vec<u8>>, String> {
        let call = json!({"type": "ATTACH_CONTAINER_INPUT",
            "attach_container_input": {"type": "PROCESS_IO", "process_io": io}});
        input_record(call.to_string().as_bytes())
    }

    #[test]
    fn input_records_carry_stdin_or_a_heartbeat() {
        let data = json!({"type": "DATA", "data": {"type": "STDIN", "data": "aGk="}});
        assert_eq!(record(data), Ok(Some(b"hi".to_vec())));
        // stout's base64: whitespace skipped, a missing padding forgiven.
        let data = json!({"type": "DATA", "data": {"type": "STDIN", "data": "aG k"}});
        assert_eq!(record(data), Ok(Some(b"hi".to_vec())));
        let beat = json!({"type": "CONTROL", "control": {"type": "HEARTBEAT", "heartbeat": {}}});
        assert_eq!(record(beat), Ok(None));
    }

    #[test]
    fn input_records_are_refused_with_the_switchboards_texts() {
        let cases = [
            (
                json!({"type": "CONTROL"}),
                "Expecting 'process_io.control' to be present",
            ),
            (
                json!({"type": "DATA"}),
                "Expecting 'process_io.data' to be present",
            ),
            (
                json!({"type": "DATA", "data": {"data": "aGk="}}),
                "Expecting 'process_io.data.type' to be present",
            ),
            (
                json!({"type": "DATA", "data": {"type": "STDOUT", "data": "aGk="}}),
                "Expecting 'process_io.data.type' to be 'STDIN'",
            ),
            (
                json!({"type": "DATA", "data": {"type": "STDIN"}}),
                "Expecting 'process_io.data.data' to be present",
            ),
            (
                json!({"type": "DATA", "data": {"type": "STDIN", "data": "a!"}}),
                "Failed to base64 decode bytes field 'data': Invalid character '!'",
            ),
            (json!({"type": "UNKNOWN"}), "'process_io.type' is unknown"),
        ];
        for (io, text) in cases {
            assert_eq!(record(io.clone()), Err(text.to_string()), "{io}");
        }
        let id = json!({"type": "ATTACH_CONTAINER_INPUT", "attach_container_input": {
            "type": "CONTAINER_ID", "container_id": {"value": "c"}}});
        assert_eq!(
            input_record(id.to_string().as_bytes()),
            Err(
                "Expecting 'attach_container_input.type' to be 'PROCESS_IO' instead of: \
                 'CONTAINER_ID'"
                    .into()
            )
        );
        // The agent validates each record before the switchboard sees it.
        let untyped = json!({"type": "ATTACH_CONTAINER_INPUT", "attach_container_input": {}});
        assert_eq!(
            input_record(untyped.to_string().as_bytes()),
            Err(
                "Failed to validate agent::Call: Expecting 'attach_container_input.type' to be \
                 present"
                    .into()
            )
        );
    }
}
