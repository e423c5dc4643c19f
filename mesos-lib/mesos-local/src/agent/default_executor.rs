//! Mesos's default executor, as the agent runs task groups: every task in a container nested
//! in the executor's (its own sandbox under the executor's), its own statuses, the rest of its
//! group killed when one task fails or is killed, later groups launched on the same running
//! executor, and the executor gone once every task has ended and its last update was
//! acknowledged (see `src/launcher/default_executor.cpp`).

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::executor::{DEFAULT_KILL_GRACE, StatusSpec, describe_exit};
use super::process::{self, Launch, Outcome};
use super::{Agent, ExecutorRun, ToMaster, framework_id_of, sandbox};
use crate::ids;
use crate::master::launch_group::GroupLaunch;
use mesos_lib::v1::ids::ContainerId;
use mesos_lib::v1::task::{ExecutorInfo, ExecutorType};
use mesos_lib::v1::{
    ContainerStatus, FrameworkCapabilityType, FrameworkInfo, Reason, Source, TaskInfo, TaskState,
    TaskStatus,
};

/// How long the default executor waits for the acknowledgements of its tasks' last updates
/// before it terminates anyway.
const ACK_WAIT: Duration = Duration::from_secs(60);

/// A DEFAULT executor running task groups.
pub(crate) struct GroupExecutor {
    /// Its ExecutorInfo.
    pub info: Arc<ExecutorInfo>,
    /// Its (top-level) container.
    pub container_id: String,
    /// Its sandbox.
    pub directory: PathBuf,
    /// The tasks of all its groups, in launch order.
    pub task_ids: Vec<String>,
    /// Its task groups, each with whether it is being killed (one of its tasks failed or was
    /// killed: the default executor kills the rest of that group only).
    pub task_groups: Vec<TaskGroupRun>,
    /// Tasks a kill was sent to.
    pub killing: HashSet<String>,
    /// The executor was shut down (SHUTDOWN): no group kill on top.
    pub shutting_down: bool,
    /// The executor has terminated.
    pub exited: bool,
}

/// One task group of a DEFAULT executor.
pub(crate) struct TaskGroupRun {
    /// Its tasks, in launch order.
    pub task_ids: Vec<String>,
    /// Being killed, as a whole.
    pub killing: bool,
}

/// Where the agent runs a task group for a DEFAULT executor (`Slave::__run`'s cases).
enum GroupPlace {
    /// A new executor, with its container.
    New(String),
    /// The executor of that ID already running: its container and sandbox.
    Running(String, PathBuf),
    /// Neither: every task is dropped with this message.
    Dropped(&'static str),
}

/// A task of the group, as its runner needs it.
struct Member {
    fid: String,
    eid: String,
    tid: String,
    container: String,
    parent: String,
}

/// Where a task group goes (`Slave::__run` for a DEFAULT executor): to the executor of its ID
/// that runs, to a new one when the master launches one, or nowhere, with the reason.
fn place_of(existing: Option<&GroupExecutor>, launch_executor: bool) -> GroupPlace {
    match (existing, launch_executor) {
        (Some(g), false) if !g.exited && g.shutting_down => {
            GroupPlace::Dropped("Executor terminating")
        }
        (Some(g), false) if !g.exited => {
            GroupPlace::Running(g.container_id.clone(), g.directory.clone())
        }
        (Some(_), false) => GroupPlace::Dropped("Executor terminated"),
        (None, false) => {
            GroupPlace::Dropped("No executor is expected to launch and there is none running")
        }
        (Some(g), true) if !g.exited => {
            GroupPlace::Dropped("Master wants to launch executor, but one already exists")
        }
        (_, true) => GroupPlace::New(ids::uuid_string()),
    }
}

impl GroupExecutor {
    /// A new executor running its first task group.
    fn new(
        info: &Arc<ExecutorInfo>,
        container_id: String,
        directory: PathBuf,
        run: TaskGroupRun,
    ) -> GroupExecutor {
        GroupExecutor {
            info: Arc::clone(info),
            container_id,
            directory,
            task_ids: run.task_ids.clone(),
            task_groups: vec![run],
            killing: HashSet::new(),
            shutting_down: false,
            exited: false,
        }
    }
}

impl Agent {
    /// RunTaskGroupMessage: a CUSTOM executor's group goes to it; a DEFAULT executor is
    /// started with the group's tasks in it, or the running one of that ID takes them.
    pub(crate) fn launch_group(
        self: &Arc<Self>,
        framework_info: &FrameworkInfo,
        group: GroupLaunch,
    ) {
        if group.kind == ExecutorType::Custom {
            return self.launch_group_on_executor(framework_info, group);
        }
        let fid = framework_id_of(framework_info);
        let eid = group.executor.executor_id.value.clone();
        let (place, members, receivers) = self.register_group(framework_info, &group, &fid);
        let dir = match place {
            GroupPlace::Dropped(message) => {
                return self.drop_group(framework_info, &fid, &eid, &group, message);
            }
            GroupPlace::Running(_, dir) => dir,
            GroupPlace::New(ecid) => {
                let dir = sandbox::run_dir(&self.work_dir, &self.id, &fid, &eid, &ecid);
                let user = framework_info.user.clone();
                let setup = if self.user_exists(&user) {
                    sandbox::create(&dir, true).map_err(|e| e.to_string())
                } else {
                    Err(format!(
                        "Failed to chown directory to '{user}': No such user '{user}'"
                    ))
                };
                if let Err(e) = setup {
                    let msg = format!(
                        "Failed to create executor directory '{}': {e}",
                        dir.display()
                    );
                    for m in &members {
                        let st = self.status(&m.tid, &eid, lost_spec(msg.clone()));
                        self.emit(&fid, &m.tid, st);
                    }
                    self.finish_executor(&fid, &eid);
                    return;
                }
                dir
            }
        };
        // The posix filesystem isolator links volumes into the executor's container only.
        let mut resources = crate::resource_views::from_typed(&group.executor.resources);
        for t in &group.tasks {
            resources.add_all(&crate::resource_views::from_typed(&t.resources));
        }
        super::volumes::link_into(&self.work_dir, &dir, &resources);
        self.start_members(&dir, group.tasks, members, receivers);
    }

    /// A group the agent does not run (`Slave::__run`): each task TASK_LOST (TASK_DROPPED for
    /// a partition-aware framework) with `message`. An executor the master did not know of is
    /// shut down, as the agent shuts down a lingering one.
    fn drop_group(
        self: &Arc<Self>,
        framework_info: &FrameworkInfo,
        fid: &str,
        eid: &str,
        group: &GroupLaunch,
        message: &'static str,
    ) {
        tracing::warn!(executor = eid, "dropping a task group: {message}");
        let aware = framework_info.has_capability(&FrameworkCapabilityType::PartitionAware);
        for t in &group.tasks {
            let tid = t.task_id.value.as_str();
            let mut spec = lost_spec(message.to_string());
            if aware {
                spec.state = TaskState::Dropped;
            }
            let st = self.status(tid, eid, spec);
            self.emit(fid, tid, st);
        }
        if group.launch_executor {
            self.kill_in_group(fid, eid, None);
        }
    }

    /// Where the group runs, decided with the master's `launch_executor` as the agent's
    /// `__run` does, and for a group that runs, its executor and tasks known to the agent
    /// before anything starts: each task's run (by task ID) and kill channel.
    fn register_group(
        &self,
        framework_info: &FrameworkInfo,
        group: &GroupLaunch,
        fid: &str,
    ) -> (
        GroupPlace,
        Vec<Member>,
        Vec<mpsc::UnboundedReceiver<Duration>>,
    ) {
        let eid = group.executor.executor_id.value.as_str();
        let mut st = self.lock();
        let fw = st.frameworks.entry(fid.to_string()).or_default();
        if fw.info != *framework_info {
            fw.info = framework_info.clone();
        }
        let place = place_of(fw.groups.get(eid), group.launch_executor);
        let (ecid, dir) = match &place {
            GroupPlace::Dropped(_) => return (place, Vec::new(), Vec::new()),
            GroupPlace::Running(ecid, dir) => (ecid.clone(), dir.clone()),
            GroupPlace::New(ecid) => {
                let dir = sandbox::run_dir(&self.work_dir, &self.id, fid, eid, ecid);
                (ecid.clone(), dir)
            }
        };
        let mut members = Vec::new();
        let mut receivers = Vec::new();
        for task in &group.tasks {
            let tid = task.task_id.value.clone();
            let cid = ids::uuid_string();
            let (kill_tx, kill_rx) = mpsc::unbounded_channel();
            fw.executors.insert(
                tid.clone(),
                ExecutorRun {
                    framework_id: fid.to_string(),
                    executor_id: eid.to_string(),
                    container_id: cid.clone(),
                    directory: dir.join("containers").join(&cid),
                    task: Arc::clone(task),
                    state: TaskState::Staging,
                    statuses: Vec::new(),
                    kill_tx: Some(kill_tx),
                    pid: None,
                    parent_container: Some(ecid.clone()),
                    custom: false,
                },
            );
            members.push(Member {
                fid: fid.to_string(),
                eid: eid.to_string(),
                tid,
                container: cid,
                parent: ecid.clone(),
            });
            receivers.push(kill_rx);
        }
        let task_ids: Vec<String> = members.iter().map(|m| m.tid.clone()).collect();
        let run = TaskGroupRun {
            task_ids: task_ids.clone(),
            killing: false,
        };
        match fw.groups.get_mut(eid).filter(|g| g.container_id == ecid) {
            Some(g) => {
                g.task_ids.extend(task_ids);
                g.task_groups.push(run);
            }
            None => {
                let executor = GroupExecutor::new(&group.executor, ecid, dir, run);
                fw.groups.insert(eid.to_string(), executor);
            }
        }
        (place, members, receivers)
    }

    /// TASK_STARTING for every task, then each task's process.
    fn start_members(
        self: &Arc<Self>,
        dir: &std::path::Path,
        tasks: Vec<Arc<TaskInfo>>,
        members: Vec<Member>,
        receivers: Vec<mpsc::UnboundedReceiver<Duration>>,
    ) {
        for m in &members {
            let st = self.member_status(m, TaskState::Starting, None, None);
            self.emit(&m.fid, &m.tid, st);
        }
        for ((task, m), kill_rx) in tasks.into_iter().zip(members).zip(receivers) {
            let sandbox = match sandbox::create_task(dir, &m.container, &m.tid) {
                Ok(s) => s,
                Err(e) => {
                    let msg = format!("Failed to launch container: {e}");
                    let st = self.member_status(&m, TaskState::Failed, Some(msg), None);
                    self.emit(&m.fid, &m.tid, st);
                    self.member_ended(&m, &TaskState::Failed);
                    continue;
                }
            };
            let launch = Launch {
                // The spawner takes a command as JSON (nested containers bring theirs so).
                command: task.command.clone().unwrap_or_default(),
                env: self.member_environment(&task, &sandbox),
                sandbox,
            };
            let agent = Arc::clone(self);
            tokio::spawn(async move { agent.run_member(m, launch, kill_rx).await });
        }
    }

    /// Runs one task to its end and reports it, as the default executor's `waited()` does.
    async fn run_member(
        self: Arc<Self>,
        m: Member,
        launch: Launch,
        kill_rx: mpsc::UnboundedReceiver<Duration>,
    ) {
        let member = &m;
        let agent = &self;
        let outcome = process::run(launch, self.groups.clone(), kill_rx, move |pid| {
            agent.set_pid(&member.fid, &member.tid, pid);
            let st = agent.member_status(member, TaskState::Running, None, Some(pid));
            agent.emit(&member.fid, &member.tid, st);
        })
        .await;
        let (state, message) = match outcome {
            Outcome::LaunchFailed(e) => (
                TaskState::Failed,
                format!("Failed to launch container: {e}"),
            ),
            Outcome::Exited { status, killed } => describe_exit(status, killed),
        };
        let st = self.member_status(&m, state.clone(), Some(message), None);
        self.emit(&m.fid, &m.tid, st);
        self.member_ended(&m, &state);
    }

    /// A TaskStatus from the default executor: the task's container nested in the executor's;
    /// `running` (the task's pid) adds the network and the pid, as TASK_RUNNING has them.
    fn member_status(
        &self,
        m: &Member,
        state: TaskState,
        message: Option<String>,
        running: Option<u32>,
    ) -> TaskStatus {
        let spec = StatusSpec {
            state,
            message,
            source: Source::Executor,
            reason: None,
            container: None,
        };
        let mut st = self.status(&m.tid, &m.eid, spec);
        let mut id = ContainerId::new(m.container.as_str());
        id.parent = Some(Box::new(ContainerId::new(m.parent.as_str())));
        st.container_status = Some(ContainerStatus {
            container_id: Some(id),
            network_infos: running.iter().map(|_| self.network_info()).collect(),
            executor_pid: running,
            ..ContainerStatus::default()
        });
        st
    }

    /// What a task's nested container sees besides the agent's environment.
    fn member_environment(
        &self,
        task: &TaskInfo,
        sandbox: &std::path::Path,
    ) -> Vec<(String, String)> {
        let role = (task.resources.first())
            .and_then(|r| r.allocation_info.as_ref()?.role.as_deref())
            .unwrap_or("*");
        vec![
            ("MESOS_SANDBOX".into(), sandbox.display().to_string()),
            ("MESOS_CONTAINER_IP".into(), self.ip.to_string()),
            ("MESOS_ALLOCATION_ROLE".into(), role.to_string()),
        ]
    }

    /// A task ended in `state`: a failed or killed one takes the rest of its group with it
    /// (the default executor's restart policy); the last task of the executor starts its end.
    fn member_ended(self: &Arc<Self>, m: &Member, state: &TaskState) {
        let (others, all_ended) = {
            let mut st = self.lock();
            let Some(fw) = st.frameworks.get_mut(&m.fid) else {
                return;
            };
            let executors = &fw.executors;
            let live = |t: &&String| executors.get(*t).is_some_and(|r| !r.state.is_terminal());
            let Some(g) = fw.groups.get_mut(&m.eid) else {
                return;
            };
            let all_ended = !g.task_ids.iter().any(|t| live(&t));
            let mut others = Vec::new();
            let fails_group = matches!(state, TaskState::Failed | TaskState::Killed);
            if let Some(run) = g
                .task_groups
                .iter_mut()
                .find(|r| r.task_ids.contains(&m.tid))
                .filter(|r| fails_group && !r.killing && !g.shutting_down)
            {
                tracing::info!(executor = %m.eid, "killing task group containing tasks {:?}", run.task_ids);
                run.killing = true;
                others = run
                    .task_ids
                    .iter()
                    .filter(|t| live(t) && !g.killing.contains(*t))
                    .cloned()
                    .collect();
            }
            (others, all_ended)
        };
        for tid in others {
            // The group is killed with the default grace period, whatever the tasks' policies.
            self.kill_member(&m.fid, &m.eid, &tid, DEFAULT_KILL_GRACE);
        }
        if all_ended {
            let agent = Arc::clone(self);
            let (fid, eid) = (m.fid.clone(), m.eid.clone());
            // Fail-safe: the executor does not wait for acknowledgements forever (unless a
            // later group gave it tasks meanwhile).
            tokio::spawn(async move {
                tokio::time::sleep(ACK_WAIT).await;
                if agent.group_executor_idle(&fid, &eid) {
                    agent.finish_executor(&fid, &eid);
                }
            });
        }
    }

    /// Whether every task of the DEFAULT executor `eid` has ended.
    fn group_executor_idle(&self, fid: &str, eid: &str) -> bool {
        let st = self.lock();
        let Some(fw) = st.frameworks.get(fid) else {
            return true;
        };
        fw.groups.get(eid).is_none_or(|g| {
            g.task_ids
                .iter()
                .all(|t| fw.executors.get(t).is_none_or(|r| r.state.is_terminal()))
        })
    }

    /// Sends a kill to one task of a group: TASK_KILLING first for frameworks that asked for
    /// it, then SIGTERM, SIGKILL after `grace`. A task already being killed is left alone.
    fn kill_member(&self, fid: &str, eid: &str, tid: &str, grace: Duration) {
        let found = {
            let mut st = self.lock();
            let Some(fw) = st.frameworks.get_mut(fid) else {
                return;
            };
            let cap = (fw.info).has_capability(&FrameworkCapabilityType::TaskKillingState);
            let run = fw.executors.get(tid).filter(|r| !r.state.is_terminal());
            let Some((tx, cid, parent)) = run.and_then(|r| {
                let parent = r.parent_container.clone()?;
                Some((r.kill_tx.clone()?, r.container_id.clone(), parent))
            }) else {
                return;
            };
            let Some(g) = fw.groups.get_mut(eid) else {
                return;
            };
            if !g.killing.insert(tid.to_string()) {
                return;
            }
            (tx, cid, parent, cap)
        };
        let (tx, container, parent, cap) = found;
        if cap {
            let m = Member {
                fid: fid.into(),
                eid: eid.into(),
                tid: tid.into(),
                container,
                parent,
            };
            let st = self.member_status(&m, TaskState::Killing, None, None);
            self.emit(fid, tid, st);
        }
        let _ = tx.send(grace);
    }

    /// A scheduler's KILL (or SHUTDOWN of the executor) when `id` is a task of a task group
    /// (or a task group's executor): handled as the default executor does. False otherwise.
    pub(crate) fn kill_in_group(&self, fid: &str, id: &str, grace: Option<Duration>) -> bool {
        let target = {
            let mut st = self.lock();
            let Some(fw) = st.frameworks.get_mut(fid) else {
                return false;
            };
            if let Some(run) = fw
                .executors
                .get(id)
                .filter(|r| r.parent_container.is_some())
            {
                let policy = super::executor::kill_grace(&run.task);
                let eid = run.executor_id.clone();
                let shutting = fw.groups.get(&eid).is_some_and(|g| g.shutting_down);
                if shutting {
                    return true;
                }
                let grace = grace.or(policy).unwrap_or(DEFAULT_KILL_GRACE);
                (eid, vec![(id.to_string(), grace)])
            } else if let Some(g) = fw.groups.get_mut(id).filter(|g| !g.exited) {
                g.shutting_down = true;
                let all = g.task_ids.iter().map(|t| (t.clone(), DEFAULT_KILL_GRACE));
                (id.to_string(), all.collect())
            } else {
                return false;
            }
        };
        let (eid, tasks) = target;
        for (tid, grace) in tasks {
            self.kill_member(fid, &eid, &tid, grace);
        }
        true
    }

    /// After an acknowledgement: once every task of a group has ended and been acknowledged,
    /// its executor terminates.
    pub(crate) fn group_task_acknowledged(&self, fid: &str, tid: &str) {
        let done = {
            let st = self.lock();
            let Some(fw) = st.frameworks.get(fid) else {
                return;
            };
            // Groups are few: looked up by task, not by scanning the ended runs.
            let group = fw
                .groups
                .iter()
                .find(|(_, g)| !g.exited && g.task_ids.iter().any(|t| t == tid));
            group
                .filter(|(_, g)| g.task_ids.iter().all(|t| !fw.executors.contains_key(t)))
                .map(|(eid, _)| eid.clone())
        };
        if let Some(eid) = done {
            self.finish_executor(fid, &eid);
        }
    }

    /// The task groups' executors still running: (framework, ExecutorInfo).
    pub(crate) fn live_group_executors(&self) -> Vec<(String, Arc<ExecutorInfo>)> {
        let st = self.lock();
        st.frameworks
            .iter()
            .filter(|(fid, _)| !st.removed.contains(*fid))
            .flat_map(|(fid, fw)| {
                fw.groups
                    .values()
                    .filter(|g| !g.exited)
                    .map(|g| (fid.clone(), Arc::clone(&g.info)))
            })
            .collect()
    }

    /// The executor terminates (once): the master hears of it with its exit status 0.
    fn finish_executor(&self, fid: &str, eid: &str) {
        {
            let mut st = self.lock();
            let Some(g) = st
                .frameworks
                .get_mut(fid)
                .and_then(|f| f.groups.get_mut(eid))
            else {
                return;
            };
            if g.exited {
                return;
            }
            g.exited = true;
            if st.removed.contains(fid) {
                return;
            }
        }
        let _ = self.to_master.send(ToMaster::ExecutorExited {
            agent_id: self.id.clone(),
            framework_id: fid.to_string(),
            executor_id: eid.to_string(),
            status: 0,
        });
    }
}

/// TASK_LOST for a task whose executor could not get a sandbox, as a real agent sends it.
fn lost_spec(message: String) -> StatusSpec<'static> {
    StatusSpec {
        state: TaskState::Lost,
        message: Some(message),
        source: Source::Agent,
        reason: Some(Reason::ExecutorTerminated),
        container: None,
    }
}
