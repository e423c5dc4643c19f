//! What the agent does with a custom executor's calls (`Slave::subscribe`, `statusUpdate`,
//! `executorMessage`): SUBSCRIBE hands it its queued tasks and task groups (and takes back
//! what a re-subscribing one has not had acknowledged), UPDATE goes to the status update
//! manager and is acknowledged back, MESSAGE goes to the scheduler; HEARTBEAT events keep
//! its stream alive.

use std::sync::Arc;

use std::time::Duration;

use super::custom_executor::{CustomExecutor, Phase};
use super::executor::StatusSpec;
use super::{Agent, AgentFramework, ToMaster};
use crate::http::{EventSender, WeakEventSender};
use crate::ids;
use mesos_lib::v1::executor::Event;
use mesos_lib::v1::executor::call::Subscribe;
use mesos_lib::v1::ids::{AgentId, ContainerId, ExecutorId, TaskId};
use mesos_lib::v1::task::ExecutorInfo;
use mesos_lib::v1::{
    AgentInfo, Bytes, ContainerStatus, FrameworkCapabilityType, Reason, Source, TaskInfo,
    TaskState, TaskStatus,
};

/// Why an executor's call is refused, with the agent's answer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// 400 "Framework cannot be found".
    UnknownFramework,
    /// 400 "Executor cannot be found".
    UnknownExecutor,
    /// 403 "Executor is not subscribed" (a call other than SUBSCRIBE before it).
    NotSubscribed,
}

/// The executor `eid` of framework `fid`, as a call from it finds it.
fn find<'a>(
    fw: Option<&'a mut AgentFramework>,
    eid: &str,
) -> Result<&'a mut CustomExecutor, Refusal> {
    let fw = fw.ok_or(Refusal::UnknownFramework)?;
    fw.custom
        .get_mut(eid)
        .filter(|e| e.phase != Phase::Terminated)
        .ok_or(Refusal::UnknownExecutor)
}

impl Agent {
    /// SUBSCRIBE (`Slave::subscribe`): an executor being shut down gets SHUTDOWN. Otherwise
    /// its unacknowledged updates are taken as UPDATEs again (the ones the agent holds
    /// already only acknowledged), a launched task it knows nothing of is lost, and the
    /// stream becomes the executor's (closing an earlier one): SUBSCRIBED, a LAUNCH for each
    /// queued task and a LAUNCH_GROUP for each queued task group, the acknowledgements, then
    /// a HEARTBEAT every `executor_heartbeat_interval`.
    pub(crate) fn executor_subscribe(
        self: &Arc<Self>,
        fid: &str,
        eid: &str,
        stream: EventSender,
        unacknowledged: Subscribe,
    ) -> Result<(), Refusal> {
        {
            let mut st = self.lock();
            let removed = st.removed.contains(fid);
            let e = find(st.frameworks.get_mut(fid), eid)?;
            if removed || e.phase == Phase::Terminating {
                stream.send(&Event::shutdown());
                return Ok(());
            }
        }
        let Subscribe {
            unacknowledged_tasks,
            unacknowledged_updates,
            ..
        } = unacknowledged;
        let mut acks = Vec::new();
        for status in unacknowledged_updates.into_iter().map(|u| u.status) {
            if status.uuid.is_none() {
                tracing::warn!(
                    executor = eid,
                    "ignoring an unacknowledged update without 'uuid'"
                );
                continue;
            }
            acks.extend(self.take_update(fid, eid, status)?);
        }
        self.lose_unknown_launched(fid, eid, &unacknowledged_tasks);
        let agent_info = self.executor_agent_info();
        let shutdown = {
            let mut st = self.lock();
            let fw = st.frameworks.get_mut(fid);
            let framework_info = fw.as_ref().map(|f| f.info.clone()).unwrap_or_default();
            let e = find(fw, eid)?;
            let (tasks, groups) = e.take_queued();
            let nothing_queued = tasks.is_empty() && groups.is_empty();
            let shutdown = !e.ever_sent_task && nothing_queued;
            e.ever_sent_task |= !nothing_queued;
            e.phase = Phase::Running;
            e.stream = Some(stream.clone());
            if !shutdown {
                stream.send(&Event::subscribed(
                    ExecutorInfo::clone(&e.info),
                    framework_info,
                    agent_info,
                    Some(ContainerId::new(&e.container_id)),
                ));
            }
            let fw = st.frameworks.get(fid).expect("found above");
            let task_of = |tid: &String| fw.executors.get(tid).map(|r| Arc::clone(&r.task));
            for task in tasks.iter().filter_map(task_of) {
                stream.send(&Event::launch(TaskInfo::clone(&task)));
            }
            for group in groups {
                let tasks = group.iter().filter_map(task_of).map(|t| (*t).clone());
                stream.send(&Event::launch_group(tasks.collect()));
            }
            for (task_id, uuid) in acks {
                stream.send(&Event::acknowledged(task_id, uuid));
            }
            shutdown
        };
        heartbeat(stream.downgrade(), self.executor_heartbeat_interval);
        if shutdown {
            tracing::warn!(
                executor = eid,
                "shutting down executor: it was never sent a task and its queued tasks were killed"
            );
            self.shutdown_executor(fid, eid);
        }
        Ok(())
    }

    /// Tasks sent to the executor that it neither lists as unacknowledged nor sent an
    /// update for: TASK_LOST (TASK_DROPPED for a partition-aware framework), as the agent
    /// reports a task it launched while the executor was away.
    fn lose_unknown_launched(&self, fid: &str, eid: &str, known: &[TaskInfo]) {
        let (lost, aware) = {
            let st = self.lock();
            let Some(fw) = st.frameworks.get(fid) else {
                return;
            };
            let Some(e) = fw.custom.get(eid) else {
                return;
            };
            let lost: Vec<String> = e
                .task_ids
                .iter()
                .filter(|t| !e.queued.contains(*t))
                .filter(|t| !known.iter().any(|k| &k.task_id.value == *t))
                .filter(|t| {
                    fw.executors
                        .get(*t)
                        .is_some_and(|r| r.state == TaskState::Staging)
                })
                .cloned()
                .collect();
            let aware = (fw.info).has_capability(&FrameworkCapabilityType::PartitionAware);
            (lost, aware)
        };
        for tid in lost {
            tracing::info!(task = %tid, executor = eid, "task unknown to the executor: lost");
            let spec = StatusSpec {
                state: if aware {
                    TaskState::Dropped
                } else {
                    TaskState::Lost
                },
                message: Some("Task launched during agent restart".into()),
                source: Source::Agent,
                reason: Some(Reason::AgentRestarted),
                container: None,
            };
            let st = self.status(&tid, eid, spec);
            self.emit(fid, &tid, st);
        }
    }

    /// The AgentInfo an executor's SUBSCRIBED carries.
    fn executor_agent_info(&self) -> AgentInfo {
        let mut info = crate::master::views::agent_info(self);
        info.checkpoint = None;
        info
    }

    /// UPDATE: the executor's status, completed as the agent completes it (agent, executor,
    /// time, container), goes to the status update manager and is acknowledged to the
    /// executor (`___statusUpdate`). A status for a task not on this executor is dropped.
    pub(crate) fn executor_update(
        &self,
        fid: &str,
        eid: &str,
        given: TaskStatus,
    ) -> Result<(), Refusal> {
        {
            let mut st = self.lock();
            let e = find(st.frameworks.get_mut(fid), eid)?;
            if e.phase == Phase::Registering {
                return Err(Refusal::NotSubscribed);
            }
        }
        let Some((task_id, uuid)) = self.take_update(fid, eid, given)? else {
            return Ok(());
        };
        let st = self.lock();
        if let Some(s) = st
            .frameworks
            .get(fid)
            .and_then(|f| f.custom.get(eid))
            .and_then(|e| e.stream.as_ref())
        {
            s.send(&Event::acknowledged(task_id, uuid));
        }
        Ok(())
    }

    /// An executor's status for the status update manager: the (task ID, uuid) to
    /// acknowledge to the executor, `None` for a task not on this executor (dropped). An
    /// update the agent holds already (same uuid) is only acknowledged again, as the status
    /// update manager ignores a duplicate.
    fn take_update(
        &self,
        fid: &str,
        eid: &str,
        given: TaskStatus,
    ) -> Result<Option<(TaskId, Bytes)>, Refusal> {
        let task_id = given.task_id.clone().unwrap_or_default();
        let tid = task_id.value.clone();
        let uuid = given.uuid.clone().unwrap_or_default();
        let given_uuid = uuid.to_base64();
        let container = {
            let mut st = self.lock();
            let e = find(st.frameworks.get_mut(fid), eid)?;
            let container = (e.container_id.clone(), e.pid);
            let run = st
                .frameworks
                .get(fid)
                .and_then(|f| f.executors.get(&tid))
                .filter(|r| r.custom && r.executor_id == eid);
            run.map(|r| {
                let duplicate = r.statuses.iter().any(|s| s.uuid() == Some(&given_uuid));
                (container, duplicate)
            })
        };
        let Some(((cid, pid), duplicate)) = container else {
            tracing::warn!(
                executor = eid,
                task = %tid,
                "dropping a status update for a task unknown to this executor"
            );
            return Ok(None);
        };
        if duplicate {
            tracing::info!(task = %tid, "ignoring a duplicate status update");
            return Ok(Some((task_id, uuid)));
        }
        let status = self.executor_status(given, eid, &cid, pid);
        self.emit(fid, &tid, status);
        Ok(Some((task_id, uuid)))
    }

    /// An executor's TaskStatus as the agent forwards it: with `agent_id`, `executor_id`,
    /// `timestamp` (unless given) and the executor's `container_status`.
    fn executor_status(
        &self,
        mut status: TaskStatus,
        eid: &str,
        cid: &str,
        pid: Option<u32>,
    ) -> TaskStatus {
        status.agent_id = Some(AgentId::new(self.id.as_str()));
        status.executor_id = Some(ExecutorId::new(eid));
        status.timestamp.get_or_insert_with(ids::now_secs);
        status.container_status = Some(ContainerStatus {
            container_id: Some(ContainerId::new(cid)),
            network_infos: vec![self.network_info()],
            executor_pid: pid,
            ..ContainerStatus::default()
        });
        status
    }

    /// MESSAGE: the executor's data for its scheduler, through the master.
    pub(crate) fn executor_message(
        &self,
        fid: &str,
        eid: &str,
        data: Bytes,
    ) -> Result<(), Refusal> {
        {
            let mut st = self.lock();
            let e = find(st.frameworks.get_mut(fid), eid)?;
            if e.phase == Phase::Registering {
                return Err(Refusal::NotSubscribed);
            }
        }
        let _ = self.to_master.send(ToMaster::ExecutorMessage {
            agent_id: self.id.clone(),
            framework_id: fid.to_string(),
            executor_id: eid.to_string(),
            data,
        });
        Ok(())
    }
}

/// `ResponseHeartbeater`: a HEARTBEAT on the executor's stream every `interval`, the first
/// after one interval, until the stream is replaced, closed or ended.
fn heartbeat(stream: WeakEventSender, interval: Duration) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            if !stream.send(&Event::heartbeat()) {
                return;
            }
        }
    });
}
