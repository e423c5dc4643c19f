//! `POST /api/v1` on an agent: the agent's operator API (`agent::Call`). What the agent
//! knows it answers; the calls it cannot carry out (containers, resource providers, logging
//! level, images) are refused with 501.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::{Agent, ExecutorRun, files_api};
use crate::call_checks::{missing_required, section};
use crate::config::LocalConfig;
use crate::http::{
    accepts_json, bad_request, check_content_type, method_not_allowed, not_acceptable,
    not_carried_out, not_implemented,
};
use crate::json as j;
use crate::master::state::Task;
use crate::master::views;
use crate::resource_views as rv;
use crate::views::is_terminal;
use mesos_lib::v1::agent::AgentCallType;

/// Fields protobuf requires inside each call's sub-message.
fn required(ty: &AgentCallType) -> &'static [&'static str] {
    use AgentCallType as C;
    match ty {
        C::SetLoggingLevel => &["level", "duration.nanoseconds"],
        C::ListFiles => &["path"],
        C::ReadFile => &["path", "offset"],
        C::LaunchNestedContainer
        | C::WaitNestedContainer
        | C::KillNestedContainer
        | C::RemoveNestedContainer
        | C::LaunchNestedContainerSession
        | C::AttachContainerOutput
        | C::LaunchContainer
        | C::WaitContainer
        | C::KillContainer
        | C::RemoveContainer => &["container_id.value"],
        C::AddResourceProviderConfig | C::UpdateResourceProviderConfig => &["info"],
        C::RemoveResourceProviderConfig => &["type", "name"],
        C::MarkResourceProviderGone => &["resource_provider_id.value"],
        _ => &[],
    }
}

/// Whether validation expects the call's sub-message.
fn needs_section(ty: &AgentCallType) -> bool {
    use AgentCallType as C;
    !matches!(
        ty,
        C::Unspecified
            | C::GetHealth
            | C::GetFlags
            | C::GetVersion
            | C::GetLoggingLevel
            | C::GetState
            | C::GetContainers
            | C::GetFrameworks
            | C::GetExecutors
            | C::GetOperations
            | C::GetTasks
            | C::GetAgent
            | C::GetResourceProviders
            | C::PruneImages
            | C::Unknown(_)
    )
}

/// Decodes an agent operator request with the agent's texts (400/406/415).
fn decode(headers: &HeaderMap, body: &[u8]) -> Result<(Value, AgentCallType), Box<Response>> {
    check_content_type(headers)?;
    let call = crate::master::scheduler_api::parse_call(body)?;
    let ty = AgentCallType::from_name(j::str_at(&call, "type").unwrap_or(""));
    let invalid = |why: String| {
        Box::new(bad_request(format!(
            "Failed to validate agent::Call: {why}"
        )))
    };
    if matches!(ty, AgentCallType::Unknown(_)) {
        return Err(invalid("Expecting 'type' to be present".into()));
    }
    let section = section(ty.as_str());
    let missing = missing_required(&call, &section, required(&ty));
    if !missing.is_empty() {
        // The agent's text lacks the master's "Failed to convert JSON into Call protobuf".
        return Err(Box::new(bad_request(format!(
            "Missing required fields: {}",
            missing.join(", ")
        ))));
    }
    if needs_section(&ty) && call.get(&section).is_none() {
        return Err(invalid(format!("Expecting '{section}' to be present")));
    }
    if !accepts_json(headers) {
        return Err(Box::new(not_acceptable()));
    }
    Ok((call, ty))
}

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
    body: Bytes,
) -> Response {
    if method != Method::POST {
        return method_not_allowed(method.as_str());
    }
    let (call, ty) = match decode(&headers, &body) {
        Ok(decoded) => decoded,
        Err(r) => return *r,
    };
    use AgentCallType as C;
    match &ty {
        C::GetHealth => answer(&ty, json!({"healthy": true})),
        C::GetVersion => answer(
            &ty,
            json!({"version_info": crate::master::legacy::version_json()}),
        ),
        C::GetFlags => {
            let flags: Vec<Value> = crate::flags::agent_flags(
                &cfg,
                agent.port,
                &agent.work_dir.display().to_string(),
                &agent.master_hostname,
            )
            .into_iter()
            .map(|(k, v)| json!({"name": k, "value": v}))
            .collect();
            answer(&ty, json!({"flags": flags}))
        }
        // glog's default verbosity, which nothing here changes (SET_LOGGING_LEVEL is refused).
        C::GetLoggingLevel => answer(&ty, json!({"level": 0})),
        C::GetState => {
            let st = Snapshot::of(&agent);
            answer(
                &ty,
                json!({"get_tasks": st.tasks(), "get_executors": st.executors(),
                    "get_frameworks": st.frameworks()}),
            )
        }
        C::GetTasks => answer(&ty, Snapshot::of(&agent).tasks()),
        C::GetExecutors => answer(&ty, Snapshot::of(&agent).executors()),
        C::GetFrameworks => answer(&ty, Snapshot::of(&agent).frameworks()),
        C::GetContainers => {
            let nested = j::bool_at(&call, "get_containers.show_nested").unwrap_or(false);
            answer(&ty, Snapshot::of(&agent).containers(nested))
        }
        C::GetAgent => answer(&ty, json!({"agent_info": views::agent_info(&agent)})),
        // No operation and no resource provider exist on an embedded agent.
        C::GetOperations | C::GetResourceProviders => answer(&ty, json!({})),
        C::ListFiles => {
            let path = j::str_at(&call, "list_files.path").unwrap_or("");
            match files_api::listing(&agent, path) {
                Some(items) => {
                    let infos: Vec<Value> = items
                        .iter()
                        .map(|(virt, meta)| files_api::file_info(virt, meta))
                        .collect();
                    answer(&ty, json!({"file_infos": infos}))
                }
                None => crate::http::plain(StatusCode::NOT_FOUND, ""),
            }
        }
        C::ReadFile => {
            let path = j::str_at(&call, "read_file.path").unwrap_or("");
            let offset = j::f64_at(&call, "read_file.offset").unwrap_or(0.0).max(0.0) as u64;
            let length = j::f64_at(&call, "read_file.length").map(|l| l.max(0.0) as u64);
            match files_api::read_at(&agent, path, offset, length) {
                Ok((size, data)) => answer(
                    &ty,
                    json!({"size": size, "data": mesos_lib::v1::bytes::Bytes::new(data)}),
                ),
                Err(r) => *r,
            }
        }
        C::GetMetrics => not_carried_out(ty.as_str(), "its agents keep no metrics"),
        C::SetLoggingLevel => not_carried_out(ty.as_str(), "its logging level is fixed"),
        C::LaunchNestedContainer
        | C::WaitNestedContainer
        | C::KillNestedContainer
        | C::RemoveNestedContainer
        | C::LaunchNestedContainerSession
        | C::AttachContainerInput
        | C::AttachContainerOutput
        | C::LaunchContainer
        | C::WaitContainer
        | C::KillContainer
        | C::RemoveContainer => not_carried_out(
            ty.as_str(),
            "it runs command tasks as plain processes, without a containerizer",
        ),
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

/// What the agent knows, copied out under its lock: its frameworks and their runs.
struct Snapshot {
    /// (framework info, removed, live runs, ended runs).
    frameworks: Vec<(Value, bool, Vec<Run>, Vec<Run>)>,
    /// Executors from an ExecutorInfo (task groups' and custom ones): (ExecutorInfo,
    /// container, live).
    groups: Vec<(Value, String, bool)>,
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
}

impl Run {
    fn of(r: &ExecutorRun, agent_id: &str) -> Run {
        let cmd = j::str_at(&r.task, "command.value").unwrap_or("");
        let mut task = Task::new(
            Arc::clone(&r.task),
            &r.framework_id,
            agent_id,
            &r.state,
            None,
        );
        task.statuses = r.statuses.clone();
        let mut res = rv::from_json(j::array_at(&r.task, "resources"));
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
                Some(_) => j::str_at(&r.task, "executor.name")
                    .unwrap_or("")
                    .to_string(),
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
        }
    }

    fn executor(&self) -> Value {
        json!({"executor_info": {
            "executor_id": j::id(&self.executor_id),
            "framework_id": j::id(&self.framework_id),
            "name": self.name,
            "source": self.executor_id,
            "resources": self.resources,
        }})
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
                if let Some(o) = info.as_object_mut() {
                    o.entry("id").or_insert_with(|| j::id(fid));
                }
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
                let groups = groups.map(|g| ((*g.info).clone(), g.container_id.clone(), !g.exited));
                let custom = fw.custom.values().chain(fw.custom_ended.iter());
                let custom = custom.map(|e| {
                    let live = e.phase != super::custom_executor::Phase::Terminated;
                    ((*e.info).clone(), e.container_id.clone(), live)
                });
                groups.chain(custom)
            })
            .collect();
        Snapshot { frameworks, groups }
    }

    /// The task groups' executors, live or ended.
    fn groups(&self, live: bool) -> impl Iterator<Item = Value> + '_ {
        self.groups
            .iter()
            .filter(move |g| g.2 == live)
            .map(|g| json!({"executor_info": g.0}))
    }

    fn live(&self) -> impl Iterator<Item = &Run> {
        self.frameworks.iter().flat_map(|f| f.2.iter())
    }

    fn ended(&self) -> impl Iterator<Item = &Run> {
        self.frameworks.iter().flat_map(|f| f.3.iter())
    }

    fn tasks(&self) -> Value {
        let (running, terminated): (Vec<&Run>, Vec<&Run>) =
            self.live().partition(|r| !is_terminal(&r.task.state));
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

    /// Every live executor runs in a container of its own; a task group's tasks run in
    /// containers nested in their executor's, listed with `show_nested`.
    fn containers(&self, show_nested: bool) -> Value {
        let groups = self.groups.iter().filter(|g| g.2).map(|(info, cid, _)| {
            json!({
                "framework_id": info["framework_id"],
                "executor_id": info["executor_id"],
                "executor_name": j::str_at(info, "name").unwrap_or(""),
                "container_id": j::id(cid),
                "container_status": {"container_id": j::id(cid)},
            })
        });
        let list: Vec<Value> = self
            .live()
            .filter(|r| !r.nested || (show_nested && r.parent.is_some()))
            .map(|r| {
                let id = match &r.parent {
                    Some(p) => json!({"value": r.container_id, "parent": {"value": p}}),
                    None => j::id(&r.container_id),
                };
                let mut status = json!({"container_id": id.clone()});
                if let Some(pid) = r.pid {
                    status["executor_pid"] = json!(pid);
                }
                json!({
                    "framework_id": j::id(&r.framework_id),
                    "executor_id": j::id(&r.executor_id),
                    "executor_name": r.name,
                    "container_id": id,
                    "container_status": status,
                })
            })
            .chain(groups)
            .collect();
        json!({"containers": list})
    }
}
