//! ACCEPT and DECLINE: offer validation, task validation (TASK_ERROR / TASK_LOST with the
//! master's messages), launching on the agent, refuse filters for what was left.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::accept_call::{Operations, take_operations};
use super::launch_group::{GroupOffer, GroupOp};
use super::reserve::PendingOperations;
use super::state::{Filter, MasterState, Task};
use super::task_executor::{ExecutorPlace, TaskExecutor};
use super::{Master, views};
use crate::agent::Agent;
use crate::agent::launch_queue::Launch;

use crate::json as j;
use crate::resource_views as rv;
use mesos_lib::resources::Resources;
use mesos_lib::v1::ids::OperationId;
use mesos_lib::v1::resources::{AllocationInfo, Resource};
use mesos_lib::v1::scheduler::call::{Accept, Decline};
use mesos_lib::v1::{Reason, TaskInfo, TaskState, TaskStatus};

/// Refuse filter length as the allocator sets it (`recoverResources`):
/// `filters.refuse_seconds`, 5 s when absent, negative or not a number, capped at a year;
/// zero installs no filter, and any other lasts at least an allocation interval so that
/// the next cycle cannot offer the agent again.
fn refuse(refuse_seconds: Option<f64>, allocation_interval: Duration) -> Duration {
    const DEFAULT: f64 = 5.0;
    let secs = refuse_seconds.unwrap_or(DEFAULT);
    let secs = if secs.is_nan() || secs < 0.0 {
        DEFAULT
    } else {
        secs.min(365.0 * 86400.0)
    };
    if secs == 0.0 {
        return Duration::ZERO;
    }
    Duration::from_secs_f64(secs).max(allocation_interval)
}

/// A TaskStatus the master itself sends for a task it does not launch.
pub(crate) fn error_status(
    task_id: &str,
    agent_id: Option<&str>,
    state: TaskState,
    reason: Reason,
    message: String,
) -> TaskStatus {
    super::events::master_status(task_id, agent_id, state, Some(reason), message)
}

impl Master {
    /// DECLINE: give the offers back and filter their agents.
    pub(crate) fn decline(&self, fid: &str, call: &Decline) {
        let mut st = self.lock();
        let secs = call.filters.as_ref().and_then(|f| f.refuse_seconds);
        let until = Instant::now() + refuse(secs, self.cfg.allocation_interval);
        for oid in call.offer_ids.iter().map(|o| o.value.as_str()) {
            let Some(offer) = st.offers.get(oid) else {
                continue;
            };
            if offer.framework_id != fid {
                continue;
            }
            let key = (offer.agent_id.clone(), offer.role.clone());
            let res = offer.resources.clone();
            self.remove_offer(&mut st, oid, false);
            if let Some(fw) = st.frameworks.get_mut(fid) {
                fw.filters.insert(
                    key,
                    Filter {
                        until,
                        resources: res,
                    },
                );
            }
        }
    }

    /// ACCEPT: LAUNCH, RESERVE, UNRESERVE, CREATE, DESTROY and the resizes are carried out in
    /// their order, then LAUNCH_GROUP; the others are dropped with an error. The offers must
    /// be of one agent and one role. A TaskInfo or task group that does not convert refuses
    /// the call before anything is done (the error, for a 400, is `take_operations`').
    pub(crate) fn accept(
        &self,
        fid: &str,
        accept: &Accept,
        mut operations: Value,
    ) -> Result<(), String> {
        let offer_ids: Vec<String> = accept.offer_ids.iter().map(|o| o.value.clone()).collect();
        let secs = accept.filters.as_ref().and_then(|f| f.refuse_seconds);
        let refuse_for = refuse(secs, self.cfg.allocation_interval);
        let operations = take_operations(&mut operations)?;
        // Parsed before taking the lock, which acknowledgements and updates wait for.
        let parsed = ids_and_resources(&operations.tasks);
        let mut st = self.lock();
        let (agent_id, role) = match offers_agent(&st, fid, &offer_ids) {
            Ok(found) => found,
            Err(why) => {
                self.discard_offers(&mut st, fid, &offer_ids, &why, operations);
                return Ok(());
            }
        };
        let Operations {
            tasks,
            dropped,
            mut pending,
            groups,
            with_id,
        } = operations;
        let mut available = self.take_offers(&mut st, &offer_ids);
        let place = Placement {
            fid,
            role,
            agent_id,
        };
        let fw_info = st
            .frameworks
            .get(fid)
            .map(|f| f.info.clone())
            .unwrap_or_default();
        // What mesos-local cannot carry out is dropped as the master drops an invalid
        // operation; its resources stay with what is left of the offers.
        if let Some(s) = st.frameworks.get(fid).and_then(|f| f.subscription.as_ref()) {
            dropped.refuse(&s.sender, refusal);
            with_id.iter().for_each(|r| r.refuse(&s.sender));
        }
        let launched = self.launch_tasks(
            &mut st,
            &place,
            (tasks, parsed),
            &mut pending,
            &mut available,
        );
        let group_launches = self.launch_groups(&mut st, &place, groups, &mut available);
        // What was not used counts as declined.
        let until = Instant::now() + refuse_for;
        if let Some(fw) = st.frameworks.get_mut(fid) {
            fw.filters.insert(
                (place.agent_id, place.role),
                Filter {
                    until,
                    resources: available,
                },
            );
        }
        // Carried out by the agents apart from this call, as a real master's RunTask messages;
        // handed over before the lock goes, so that agents take them in the order booked.
        let tasks = launched
            .into_iter()
            .map(|(agent, info)| (agent, Launch::Task(fw_info.clone(), info)));
        let groups = group_launches
            .into_iter()
            .map(|(agent, group)| (agent, Launch::Group(fw_info.clone(), group)));
        hand_over(tasks.chain(groups));
        drop(st);
        Ok(())
    }

    /// An ACCEPT whose offers are invalid (`discardOffer`): the offers still outstanding go
    /// back, unfiltered, and each operation is answered as invalid.
    fn discard_offers(
        &self,
        st: &mut MasterState,
        fid: &str,
        offer_ids: &[String],
        why: &str,
        operations: Operations,
    ) {
        for oid in offer_ids {
            if st.offers.get(oid).is_some_and(|o| o.framework_id == fid) {
                self.remove_offer(st, oid, false);
            }
        }
        let Operations {
            mut tasks,
            dropped,
            mut pending,
            groups,
            with_id,
        } = operations;
        let sender = st
            .frameworks
            .get(fid)
            .and_then(|f| f.subscription.as_ref())
            .map(|s| &s.sender);
        pending.drop_all(why, sender);
        // The offers' check comes first: a launch with an `id` is lost with the rest.
        tasks.extend(with_id.into_iter().flat_map(|r| r.tasks));
        refuse_invalid_offers(st, fid, why, (&tasks, &groups), &dropped);
    }

    /// Carries out the LAUNCH_GROUP operations on what the LAUNCHes left of the offers; the
    /// agent and group of each that is valid.
    fn launch_groups(
        &self,
        st: &mut MasterState,
        place: &Placement,
        groups: Vec<GroupOp>,
        available: &mut Resources,
    ) -> Vec<(Arc<Agent>, super::launch_group::GroupLaunch)> {
        let mut offer = GroupOffer {
            framework_id: place.fid,
            agent_id: &place.agent_id,
            role: &place.role,
            available,
        };
        groups
            .into_iter()
            .filter_map(|op| self.launch_group(st, &mut offer, op))
            .collect()
    }

    /// Takes the (valid) offers back from the books and returns what they offered together.
    fn take_offers(&self, st: &mut MasterState, offer_ids: &[String]) -> Resources {
        let mut available = Resources::new();
        for oid in offer_ids {
            if let Some(o) = st.offers.get(oid) {
                available.add_all(&o.resources);
            }
            self.remove_offer(st, oid, false);
        }
        available
    }
}

/// Each task's ID and resources.
fn ids_and_resources(tasks: &[TaskInfo]) -> Vec<(String, Resources)> {
    tasks
        .iter()
        .map(|t| (t.task_id.value.clone(), rv::from_typed(&t.resources)))
        .collect()
}

/// `validation::offer::validate`: every offer outstanding, ours, allocated to one role, on
/// one agent; the agent and the role, or why not.
fn offers_agent(
    st: &MasterState,
    fid: &str,
    offer_ids: &[String],
) -> Result<(String, String), String> {
    if offer_ids.is_empty() {
        return Err("No offers specified".into());
    }
    let mut offers = Vec::with_capacity(offer_ids.len());
    for oid in offer_ids {
        match st.offers.get(oid) {
            Some(o) if o.framework_id == fid => offers.push((oid, o)),
            _ => return Err(format!("Offer {oid} is no longer valid")),
        }
    }
    let (_, first) = offers[0];
    // `validateAllocationRole`, its text as it is (quotes left open).
    if let Some((oid, o)) = offers.iter().find(|(_, o)| o.role != first.role) {
        return Err(format!(
            "Aggregated offers must be allocated to the same role. Offer {oid} uses role '{} but another is using role '{}",
            o.role, first.role
        ));
    }
    if offers.iter().any(|(_, o)| o.agent_id != first.agent_id) {
        return Err("Aggregated offers must belong to one single agent".into());
    }
    Ok((first.agent_id.clone(), first.role.clone()))
}

/// An ACCEPT with invalid offers: its operations are refused and each task (of LAUNCH and
/// LAUNCH_GROUP) is TASK_LOST, or TASK_DROPPED for a partition-aware framework.
fn refuse_invalid_offers(
    st: &MasterState,
    fid: &str,
    why: &str,
    (tasks, groups): (&[TaskInfo], &[GroupOp]),
    dropped: &Dropped,
) {
    let framework = st.frameworks.get(fid);
    let state = if framework
        .is_some_and(|f| f.has_capability(mesos_lib::v1::FrameworkCapabilityType::PartitionAware))
    {
        TaskState::Dropped
    } else {
        TaskState::Lost
    };
    let Some(sender) = framework.and_then(|f| f.subscription.as_ref().map(|s| &s.sender)) else {
        return;
    };
    dropped.refuse(sender, |_| {
        format!("Operation attempted with invalid offers: {why}")
    });
    let group_tasks = groups.iter().flat_map(|g| &g.tasks);
    for t in tasks.iter().chain(group_tasks) {
        let status = error_status(
            &t.task_id.value,
            Some(&t.agent_id.value),
            state.clone(),
            Reason::InvalidOffers,
            format!("Task launched with invalid offers: {why}"),
        );
        sender.send(&super::events::update(&status));
    }
}

/// Hands each agent its launches, in order, as one batch per agent.
fn hand_over(launches: impl Iterator<Item = (Arc<Agent>, Launch)>) {
    let mut batches: Vec<(Arc<Agent>, Vec<Launch>)> = Vec::new();
    for (agent, launch) in launches {
        match batches.iter_mut().find(|(a, _)| Arc::ptr_eq(a, &agent)) {
            Some((_, batch)) => batch.push(launch),
            None => batches.push((agent, vec![launch])),
        }
    }
    for (agent, batch) in batches {
        agent.hand_over(batch);
    }
}

/// Where an ACCEPT's tasks go: the framework, the offers' agent, the role they are allocated to.
pub(crate) struct Placement<'a> {
    pub fid: &'a str,
    pub agent_id: String,
    pub role: String,
}

impl Master {
    /// Validates each task in turn against what is still available and launches the valid
    /// ones into the books; an invalid one gets TASK_ERROR. The pending RESERVE and UNRESERVE
    /// operations are carried out where they stood among the LAUNCHes. Returns what the agent
    /// is to start.
    fn launch_tasks(
        &self,
        st: &mut MasterState,
        place: &Placement,
        (tasks, parsed): (Vec<TaskInfo>, Vec<(String, Resources)>),
        pending: &mut PendingOperations,
        available: &mut Resources,
    ) -> Vec<(Arc<Agent>, Arc<TaskInfo>)> {
        let mut launched = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for (i, (mut t, (tid, task_res))) in tasks.into_iter().zip(parsed).enumerate() {
            self.offer_operations(st, place, pending, i, available);
            // Volumes as the agent keeps them: a task may name its own container path.
            let task_res = match st.agents.get(&place.agent_id) {
                Some(a) if task_res.iter().any(|r| r.disk.is_some()) => {
                    rv::volumes_as_in(&task_res, &a.total)
                }
                _ => task_res,
            };
            let executor_place = ExecutorPlace {
                framework_id: place.fid,
                agent_id: &place.agent_id,
                role: &place.role,
            };
            let executor = match validate_task(st, place, &t, &tid, &seen) {
                Some(message) => Err(message),
                None => self.task_executor(st, &executor_place, &mut t),
            };
            // A new executor's resources are taken from the offers with its first task's.
            let executor_res = match &executor {
                Ok(Some(TaskExecutor {
                    new_resources: Some(r),
                    ..
                })) => r.clone(),
                _ => Resources::new(),
            };
            let executor = executor.and_then(|e| {
                let mut needed = task_res.clone();
                needed.add_all(&executor_res);
                let elsewhere = task_allocated_elsewhere(&t, &place.role);
                check_resources(place, available, &task_res, &needed, elsewhere).map_or(Ok(e), Err)
            });
            let executor = match executor {
                Ok(e) => e,
                Err(message) => {
                    task_error(st, place, &tid, message);
                    continue;
                }
            };
            allocate(&mut t.resources, &place.role);
            seen.insert(tid.clone());
            available.subtract_all(&task_res);
            available.subtract_all(&executor_res);
            if let Some(TaskExecutor {
                info,
                new_resources: Some(r),
            }) = executor
            {
                self.add_task_executor(st, &executor_place, info, r);
            }
            launched.extend(add_task(st, place, t, tid, task_res));
        }
        let after_all = usize::MAX;
        self.offer_operations(st, place, pending, after_all, available);
        launched
    }
}

/// Tells the framework that task `t` is TASK_ERROR (REASON_TASK_INVALID) for `message`.
fn task_error(st: &MasterState, place: &Placement, tid: &str, message: String) {
    let status = error_status(
        tid,
        Some(&place.agent_id),
        TaskState::Error,
        Reason::TaskInvalid,
        message,
    );
    if let Some(sub) = st
        .frameworks
        .get(place.fid)
        .and_then(|f| f.subscription.as_ref())
    {
        sub.sender.send(&super::events::update(&status));
    }
}

/// Books a valid task as TASK_STAGING on its agent and framework and tells the operator
/// subscribers (TASK_ADDED); the agent and TaskInfo to start it with.
fn add_task(
    st: &mut MasterState,
    place: &Placement,
    info: TaskInfo,
    tid: String,
    task_res: Resources,
) -> Option<(Arc<Agent>, Arc<TaskInfo>)> {
    let info = Arc::new(info);
    let task = Task::new(
        Arc::clone(&info),
        place.fid,
        &place.agent_id,
        TaskState::Staging,
        Some(task_res.clone()),
    );
    st.broadcast_with(
        |_| json!({"type": "TASK_ADDED", "task_added": {"task": views::task_v1(&task)}}),
    );
    let mut launched = None;
    if let Some(a) = st.agents.get_mut(&place.agent_id) {
        a.used.add_all(&task_res);
        launched = Some((Arc::clone(&a.agent), info));
    }
    if let Some(fw) = st.frameworks.get_mut(place.fid) {
        fw.allocated.add(&place.role, &task_res);
        fw.tasks.insert(tid, task);
    }
    launched
}

/// Why mesos-local drops an offer operation of type `ty`.
fn refusal(ty: &str) -> String {
    let why = match ty {
        "CREATE_DISK" | "DESTROY_DISK" => "it has no resource providers",
        _ => "it does not know this operation",
    };
    format!("mesos-local does not carry out {ty} yet ({why})")
}

/// The operations of an ACCEPT that are not carried out.
#[derive(Default)]
pub(crate) struct Dropped {
    /// (type, operation id) of each resource operation.
    operations: Vec<(String, Option<OperationId>)>,
}

impl Dropped {
    /// Adds a resource operation that is not carried out.
    pub(crate) fn add(&mut self, op: &mut Value) {
        let ty = j::str_at(op, "type").unwrap_or("UNKNOWN").to_string();
        let id = j::id_at(op, "id").map(OperationId::new);
        self.operations.push((ty, id));
    }

    /// `Master::drop`: a warning, and OPERATION_ERROR for an operation with an ID.
    fn refuse(&self, sender: &crate::http::EventSender, message: impl Fn(&str) -> String) {
        for (ty, id) in &self.operations {
            let text = message(ty);
            tracing::warn!(operation = %ty, "dropping offer operation: {text}");
            super::operations::send_error(Some(sender), id.as_ref(), &text);
        }
    }
}

/// `validation::task::validate` for the checks a command task can fail.
fn validate_task(
    st: &MasterState,
    place: &Placement,
    t: &TaskInfo,
    tid: &str,
    seen: &HashSet<String>,
) -> Option<String> {
    let duplicate = seen.contains(tid)
        || st
            .frameworks
            .get(place.fid)
            .is_some_and(|f| f.tasks.contains_key(tid));
    if duplicate {
        return Some(format!("Task has duplicate ID: {tid}"));
    }
    if tid.is_empty() || tid.contains('/') || tid.chars().any(char::is_control) {
        return Some(format!(
            "'TaskID.value' '{tid}' contains invalid characters"
        ));
    }
    let aid = &t.agent_id.value;
    if *aid != place.agent_id {
        return Some(format!(
            "Task uses agent ID {aid} which differs from the one of the offer {}",
            place.agent_id
        ));
    }
    if t.command.is_some() == t.executor.is_some() {
        return Some(
            "Task should have at least one (but not both) of CommandInfo or ExecutorInfo present"
                .into(),
        );
    }
    None
}

/// The task's resources, and what it needs with its new executor's, against what is left;
/// `elsewhere`: some are allocated to another role than the offers' (so not offered).
fn check_resources(
    place: &Placement,
    available: &Resources,
    task_res: &Resources,
    needed: &Resources,
    elsewhere: bool,
) -> Option<String> {
    if task_res.is_empty() {
        return Some("Task uses no resources".into());
    }
    if elsewhere || !available.contains(needed) || !rv::volumes_whole(task_res, available) {
        return Some(format!(
            "Total resources {} required by task and its executor is more than available {}",
            rv::display(needed, &place.role),
            rv::display(available, &place.role)
        ));
    }
    None
}

/// `state::allocated_elsewhere` of a TaskInfo (its executor's resources included).
pub(crate) fn task_allocated_elsewhere(t: &TaskInfo, role: &str) -> bool {
    let executor = t.executor.iter().flat_map(|e| &e.resources);
    super::state::allocated_elsewhere(t.resources.iter().chain(executor), role)
}

/// Adds `allocation_info` to every resource, as the master does to a TaskInfo's and an
/// ExecutorInfo's.
pub(crate) fn allocate(resources: &mut [Resource], role: &str) {
    for r in resources {
        r.allocation_info
            .get_or_insert_with(|| AllocationInfo::role(role));
    }
}
