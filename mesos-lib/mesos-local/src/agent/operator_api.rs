//! `POST /api/v1` on an agent: the agent's operator API (`agent::Call`). What the agent
//! knows it answers; nested containers are launched, streamed, waited for, killed and removed
//! (`container_api`); the calls it cannot carry out (resource providers, logging level,
//! images, standalone containers) are refused with 501.

use std::collections::VecDeque;
use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use futures::StreamExt;
use serde_json::{Value, json};

use super::container_api::Launch;
use super::media::{self, MediaTypes};
use super::nested::Nested;
use super::operator_call::decode;
use super::usage::Usage;
use super::{Agent, ExecutorRun, container_api, files_api};
use crate::config::LocalConfig;
use crate::http::{bad_request, method_not_allowed, not_carried_out, not_implemented};
use crate::json as j;
use crate::master::state::Task;
use crate::master::views;
use crate::resource_views as rv;
use mesos_lib::v1::agent::call::{ListFiles, ReadFile};
use mesos_lib::v1::agent::{AgentCallType, Call};
use mesos_lib::v1::task::ExecutorInfo;
use mesos_lib::v1::{ExecutorId, FrameworkId};

/// The most a non-streaming request body may hold (axum's default body limit).
const MAX_BODY: usize = 2 * 1024 * 1024;

/// `{"type": TY, "<ty>": body}`.
fn answer(ty: &AgentCallType, body: Value) -> Response {
    crate::master::operator_api::answer_with(ty.as_str(), &body)
}

/// The agent's operator endpoint.
pub(crate) async fn handle(
    State(agent): State<Arc<Agent>>,
    Extension(cfg): Extension<Arc<LocalConfig>>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if method != Method::POST {
        return method_not_allowed(method.as_str());
    }
    let media = match media::check(&headers) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    if media.streaming_request {
        return streaming_call(&agent, &media, body).await;
    }
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) => return bad_request(format!("Failed to read the request body: {e}")),
    };
    let call = match decode(&body).and_then(|c| {
        media::check_call(&media, &c.call_type)?;
        Ok(c)
    }) {
        Ok(call) => call,
        Err(r) => return *r,
    };
    apply(&agent, &cfg, &media, call).await
}

/// The section a call's type needs: `decode` has checked it is there; the early return
/// repeats the text it answers.
macro_rules! section {
    ($call:ident . $field:ident) => {
        match &$call.$field {
            Some(s) => s,
            None => return absent(&$call.call_type),
        }
    };
}

/// What `decode` answers a call without the section its type needs.
fn absent(ty: &AgentCallType) -> Response {
    bad_request(format!(
        "Failed to validate agent::Call: Expecting '{}' to be present",
        ty.as_str().to_ascii_lowercase()
    ))
}

/// Carries out one decoded (non-streaming) call.
async fn apply(agent: &Arc<Agent>, cfg: &LocalConfig, media: &MediaTypes, call: Call) -> Response {
    use AgentCallType as C;
    let ty = &call.call_type;
    match ty {
        C::GetHealth => answer(ty, json!({"healthy": true})),
        C::GetVersion => answer(
            ty,
            json!({"version_info": crate::master::legacy::version_json()}),
        ),
        C::GetFlags => answer(ty, flags(agent, cfg)),
        // glog's default verbosity, which nothing here changes (SET_LOGGING_LEVEL is refused).
        C::GetLoggingLevel => answer(ty, json!({"level": 0})),
        C::GetState => {
            let st = Snapshot::of(agent);
            answer(
                ty,
                json!({"get_tasks": st.tasks(), "get_executors": st.executors(),
                    "get_frameworks": st.frameworks()}),
            )
        }
        C::GetTasks => answer(ty, Snapshot::of(agent).tasks()),
        C::GetExecutors => answer(ty, Snapshot::of(agent).executors()),
        C::GetFrameworks => answer(ty, Snapshot::of(agent).frameworks()),
        C::GetContainers => {
            let nested = call.get_containers.as_ref().is_some_and(|g| g.show_nested);
            answer(ty, Snapshot::of(agent).containers(nested))
        }
        C::GetAgent => answer(ty, json!({"agent_info": views::agent_info(agent)})),
        C::GetOperations => answer(ty, operations(agent)),
        // No resource provider exists on an embedded agent.
        C::GetResourceProviders => answer(ty, json!({})),
        C::ListFiles => list_files(agent, ty, section!(call.list_files)),
        C::ReadFile => read_file(agent, ty, section!(call.read_file)),
        C::GetMetrics => not_carried_out(ty.as_str(), "its agents keep no metrics"),
        C::SetLoggingLevel => not_carried_out(ty.as_str(), "its logging level is fixed"),
        C::LaunchNestedContainer => {
            let launch = Launch::nested(section!(call.launch_nested_container));
            container_api::launch_container(agent, ty, launch).await
        }
        C::LaunchContainer => {
            let launch = Launch::container(section!(call.launch_container));
            container_api::launch_container(agent, ty, launch).await
        }
        C::LaunchNestedContainerSession => {
            let launch = Launch::nested(section!(call.launch_nested_container_session));
            container_api::launch_session(agent, ty, launch, media.stream_format()).await
        }
        C::AttachContainerOutput => {
            let output = section!(call.attach_container_output);
            container_api::attach_output(agent, output, media.stream_format())
        }
        // Refused by `check_call` without a streaming body; answered by `streaming_call`.
        C::AttachContainerInput => not_implemented(),
        C::WaitNestedContainer => {
            container_api::wait(agent, ty, section!(call.wait_nested_container)).await
        }
        C::WaitContainer => container_api::wait(agent, ty, section!(call.wait_container)).await,
        C::KillNestedContainer => {
            container_api::kill(agent, ty, section!(call.kill_nested_container))
        }
        C::KillContainer => container_api::kill(agent, ty, section!(call.kill_container)),
        C::RemoveNestedContainer => {
            container_api::remove(agent, ty, section!(call.remove_nested_container))
        }
        C::RemoveContainer => container_api::remove(agent, ty, section!(call.remove_container)),
        C::AddResourceProviderConfig
        | C::UpdateResourceProviderConfig
        | C::RemoveResourceProviderConfig
        | C::MarkResourceProviderGone => {
            not_carried_out(ty.as_str(), "it has no resource providers")
        }
        C::PruneImages => not_carried_out(ty.as_str(), "it keeps no container images"),
        C::Unspecified | C::Unknown(_) => not_implemented(),
    }
}

/// GET_FLAGS: the flags a real agent would have been started with.
fn flags(agent: &Agent, cfg: &LocalConfig) -> Value {
    let flags: Vec<Value> = crate::flags::agent_flags(
        cfg,
        agent.port,
        &agent.work_dir.display().to_string(),
        &agent.master_hostname,
    )
    .into_iter()
    .map(|(k, v)| json!({"name": k, "value": v}))
    .collect();
    json!({"flags": flags})
}

/// GET_OPERATIONS: the agent's operations still awaiting acknowledgement (none: `{}`).
fn operations(agent: &Agent) -> Value {
    let ops = agent
        .operations
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    if ops.is_empty() {
        json!({})
    } else {
        json!({"operations": ops})
    }
}

/// LIST_FILES: the entries under a virtual path, or 404 for one that does not exist.
fn list_files(agent: &Arc<Agent>, ty: &AgentCallType, list: &ListFiles) -> Response {
    match files_api::listing(agent, &list.path) {
        Some(items) => {
            let infos: Vec<Value> = items
                .iter()
                .map(|(virt, meta)| files_api::file_info(virt, meta))
                .collect();
            answer(ty, json!({"file_infos": infos}))
        }
        None => crate::http::plain(StatusCode::NOT_FOUND, ""),
    }
}

/// READ_FILE: up to `length` bytes from `offset` (a page at most), and the file's size.
fn read_file(agent: &Arc<Agent>, ty: &AgentCallType, read: &ReadFile) -> Response {
    match files_api::read_at(agent, &read.path, read.offset, read.length) {
        Ok((size, data)) => answer(
            ty,
            json!({"size": size, "data": mesos_lib::v1::bytes::Bytes::new(data)}),
        ),
        Err(r) => *r,
    }
}

/// A streaming request (`Content-Type: application/recordio`): its first record is the
/// call, which must be ATTACH_CONTAINER_INPUT; the rest of the body is that call's input.
async fn streaming_call(agent: &Arc<Agent>, media: &MediaTypes, body: Body) -> Response {
    let mut stream = body.into_data_stream();
    let mut decoder = mesos_lib::recordio::Decoder::new();
    let mut pending = VecDeque::new();
    let first = loop {
        if let Some(r) = pending.pop_front() {
            break r;
        }
        match stream.next().await {
            None => return bad_request("Received EOF while reading request body"),
            Some(Err(e)) => return bad_request(e.to_string()),
            Some(Ok(chunk)) => match decoder.decode(&chunk) {
                Ok(records) => pending.extend(records),
                Err(e) => return bad_request(e.to_string()),
            },
        }
    };
    let call = match decode(&first).and_then(|c| {
        media::check_call(media, &c.call_type)?;
        Ok(c)
    }) {
        Ok(call) => call,
        Err(r) => return *r,
    };
    let input = section!(call.attach_container_input);
    container_api::attach_input(agent, input, pending, stream, decoder).await
}

/// What the agent knows, copied out under its lock: its frameworks and their runs.
struct Snapshot {
    /// (framework info, removed, live runs, ended runs).
    frameworks: Vec<(mesos_lib::v1::FrameworkInfo, bool, Vec<Run>, Vec<Run>)>,
    /// Executors from an ExecutorInfo (task groups' and custom ones): (ExecutorInfo,
    /// container, live).
    groups: Vec<(Arc<ExecutorInfo>, String, bool)>,
    /// Running nested containers.
    nested: Vec<Arc<Nested>>,
}

/// One executor run, as the operator API shows it.
struct Run {
    framework_id: String,
    executor_id: String,
    container_id: String,
    name: String,
    pid: Option<u32>,
    task: Task,
    resources: Vec<mesos_lib::v1::resources::Resource>,
    /// A task of a task group: its executor is listed apart, once.
    nested: bool,
    /// The executor's container, for a task of a task group.
    parent: Option<String>,
    /// Its cpus and mem (MB), the executor's allowance included.
    cpus: Option<f64>,
    mem: Option<f64>,
}

impl Run {
    fn of(r: &ExecutorRun, agent_id: &str) -> Run {
        let cmd = (r.task.command.as_ref()).and_then(|c| c.value.as_deref());
        let cmd = cmd.unwrap_or("");
        let mut task = Task::new(
            Arc::clone(&r.task),
            &r.framework_id,
            agent_id,
            r.state.clone(),
            None,
        );
        task.statuses = r.statuses.clone();
        let mut res = rv::from_typed(&r.task.resources);
        // The command executor's own allowance, as the agent's /state counts it.
        res.add(&mesos_lib::v1::resources::Resource::scalar("cpus", 0.1));
        res.add(&mesos_lib::v1::resources::Resource::scalar("mem", 32.0));
        Run {
            framework_id: r.framework_id.clone(),
            executor_id: r.executor_id.clone(),
            container_id: r.container_id.clone(),
            name: match r
                .parent_container
                .as_ref()
                .or(r.custom.then_some(&r.container_id))
            {
                Some(_) => (r.task.executor.as_ref())
                    .and_then(|e| e.name.clone())
                    .unwrap_or_default(),
                None => format!(
                    "Command Executor (Task: {}) (Command: sh -c '{cmd}')",
                    r.executor_id
                ),
            },
            pid: r.pid,
            task,
            resources: rv::to_list(&res, false, None),
            nested: r.parent_container.is_some() || r.custom,
            parent: r.parent_container.clone(),
            cpus: res.cpus(),
            mem: res.mem(),
        }
    }

    /// The command executor's ExecutorInfo (written in the proto's order, as the agent does).
    fn executor(&self) -> Value {
        let info = ExecutorInfo {
            executor_id: ExecutorId::new(self.executor_id.as_str()),
            framework_id: Some(FrameworkId::new(self.framework_id.as_str())),
            resources: self.resources.clone(),
            name: Some(self.name.clone()),
            source: Some(self.executor_id.clone()),
            ..ExecutorInfo::default()
        };
        json!({"executor_info": info})
    }
}

impl Snapshot {
    fn of(agent: &Agent) -> Snapshot {
        let st = agent.state.lock().unwrap_or_else(|e| e.into_inner());
        let frameworks = st
            .frameworks
            .iter()
            .map(|(fid, fw)| {
                let live = fw.executors.values().map(|r| Run::of(r, &agent.id));
                let ended = fw.completed.iter().map(|r| Run::of(r, &agent.id));
                let mut info = fw.info.clone();
                (info.id).get_or_insert_with(|| mesos_lib::v1::FrameworkId::new(fid.as_str()));
                (
                    info,
                    st.removed.contains(fid),
                    live.collect(),
                    ended.collect(),
                )
            })
            .collect();
        let groups = st
            .frameworks
            .values()
            .flat_map(|fw| {
                let groups = fw.groups.values();
                let groups =
                    groups.map(|g| (Arc::clone(&g.info), g.container_id.clone(), !g.exited));
                let custom = fw.custom.values().chain(fw.custom_ended.iter());
                let custom = custom.map(|e| {
                    let live = e.phase != super::custom_executor::Phase::Terminated;
                    (Arc::clone(&e.info), e.container_id.clone(), live)
                });
                groups.chain(custom)
            })
            .collect();
        drop(st);
        Snapshot {
            frameworks,
            groups,
            nested: agent.nested.running(),
        }
    }

    /// The task groups' executors, live or ended.
    fn groups(&self, live: bool) -> impl Iterator<Item = Value> + '_ {
        self.groups
            .iter()
            .filter(move |g| g.2 == live)
            .map(|g| json!({"executor_info": &*g.0}))
    }

    fn live(&self) -> impl Iterator<Item = &Run> {
        self.frameworks.iter().flat_map(|f| f.2.iter())
    }

    fn ended(&self) -> impl Iterator<Item = &Run> {
        self.frameworks.iter().flat_map(|f| f.3.iter())
    }

    fn tasks(&self) -> Value {
        let (running, terminated): (Vec<&Run>, Vec<&Run>) =
            self.live().partition(|r| !r.task.state.is_terminal());
        let list = |runs: &mut dyn Iterator<Item = &Run>| -> Vec<Value> {
            runs.map(|r| views::task_v1(&r.task)).collect()
        };
        json!({
            "launched_tasks": list(&mut running.into_iter()),
            "terminated_tasks": list(&mut terminated.into_iter()),
            "completed_tasks": list(&mut self.ended()),
        })
    }

    fn executors(&self) -> Value {
        let own = |r: &&Run| !r.nested;
        let live: Vec<Value> = (self.live().filter(own).map(Run::executor))
            .chain(self.groups(true))
            .collect();
        let ended: Vec<Value> = (self.ended().filter(own).map(Run::executor))
            .chain(self.groups(false))
            .collect();
        json!({"executors": live, "completed_executors": ended})
    }

    fn frameworks(&self) -> Value {
        let pick = |removed: bool| -> Vec<Value> {
            self.frameworks
                .iter()
                .filter(|f| f.1 == removed)
                .map(|f| json!({"framework_info": f.0}))
                .collect()
        };
        json!({"frameworks": pick(false), "completed_frameworks": pick(true)})
    }

    /// Every live executor runs in a container of its own; a task group's tasks and the
    /// containers launched through this API are nested in theirs, listed with `show_nested`
    /// (by their own id, their parents in `container_status`).
    fn containers(&self, show_nested: bool) -> Value {
        let usage = Usage::now();
        let groups = self.groups.iter().filter(|g| g.2).map(|(info, cid, _)| {
            let res = rv::from_typed(&info.resources);
            json!({
                "framework_id": info.framework_id,
                "executor_id": info.executor_id,
                "executor_name": info.name.as_deref().unwrap_or(""),
                "container_id": j::id(cid),
                "container_status": {"container_id": j::id(cid)},
                "resource_statistics": usage.statistics(None, res.cpus(), res.mem()),
            })
        });
        let executors = self.live().filter(|r| !r.nested).map(|r| {
            let mut status = json!({"container_id": j::id(&r.container_id)});
            if let Some(pid) = r.pid {
                status["executor_pid"] = json!(pid);
            }
            json!({
                "framework_id": j::id(&r.framework_id),
                "executor_id": j::id(&r.executor_id),
                "executor_name": r.name,
                "container_id": j::id(&r.container_id),
                "container_status": status,
                "resource_statistics": usage.statistics(r.pid, r.cpus, r.mem),
            })
        });
        let group_tasks = self.live().filter(|r| r.nested).map(|r| {
            let path = match &r.parent {
                Some(p) => json!({"value": r.container_id, "parent": {"value": p}}),
                None => j::id(&r.container_id),
            };
            nested_entry(&usage, &r.container_id, path, r.pid)
        });
        let launched = self
            .nested
            .iter()
            .map(|n| nested_entry(&usage, n.path.leaf(), n.path.to_json(), Some(n.pid)));
        let mut list: Vec<Value> = executors.chain(groups).collect();
        if show_nested {
            list.extend(group_tasks.chain(launched));
        }
        json!({"containers": list})
    }
}

/// A nested container as GET_CONTAINERS lists it: only ids, status and statistics.
fn nested_entry(usage: &Usage, id: &str, path: Value, pid: Option<u32>) -> Value {
    let mut status = json!({"container_id": path});
    if let Some(pid) = pid {
        status["executor_pid"] = json!(pid);
    }
    json!({
        "container_id": j::id(id),
        "container_status": status,
        "resource_statistics": usage.statistics(pid, None, None),
    })
}
