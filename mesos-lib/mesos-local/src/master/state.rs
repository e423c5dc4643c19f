//! The master's in-memory model: frameworks, tasks, agents, offers, subscribers.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use super::fixed_json::{AgentJson, TaskJson};
use crate::agent::Agent;
use crate::http::EventSender;
use mesos_lib::resources::Resources;
use mesos_lib::v1::{FrameworkCapabilityType, FrameworkInfo, Resource, TaskInfo, TaskState};

/// Ended tasks a framework keeps (`--max_completed_tasks_per_framework`'s default).
pub(crate) const MAX_COMPLETED_TASKS_PER_FRAMEWORK: usize = 1000;

/// A scheduler's current subscription.
pub(crate) struct Subscription {
    pub stream_id: String,
    pub sender: EventSender,
}

/// A task as the master tracks it.
#[derive(Clone)]
pub(crate) struct Task {
    /// TaskInfo with `allocation_info` injected into its resources (shared with the agent
    /// that runs it: at 10,000 tasks every copy counts).
    pub info: Arc<TaskInfo>,
    /// The fields of `info` that GET_STATE writes, kept as JSON text once first written
    /// (launching stays as cheap as before for tasks nobody lists).
    json: Arc<OnceLock<TaskJson>>,
    pub framework_id: String,
    pub agent_id: String,
    pub state: TaskState,
    pub statuses: Vec<crate::stored_status::StoredStatus>,
    pub status_update_state: Option<TaskState>,
    pub status_update_uuid: Option<String>,
    /// Its resources until given back (terminal state seen), then `None`: kept parsed, since
    /// every task gives them back once.
    pub held: Option<Resources>,
    /// The role its resources are allocated to (their `allocation_info`).
    pub role: String,
}

impl Task {
    /// A task known by `info`, on `agent_id`, in `state`, with no status yet; `held` are
    /// its resources while they count as used (None once given back).
    pub(crate) fn new(
        info: Arc<TaskInfo>,
        framework_id: &str,
        agent_id: &str,
        state: TaskState,
        held: Option<Resources>,
    ) -> Task {
        Task {
            json: Arc::default(),
            role: resources_role(&info.resources).to_string(),
            info,
            framework_id: framework_id.to_string(),
            agent_id: agent_id.to_string(),
            state,
            statuses: Vec::new(),
            status_update_state: None,
            status_update_uuid: None,
            held,
        }
    }

    /// The fixed fields of its v1 JSON (see `TaskJson`).
    pub(crate) fn json(&self) -> &TaskJson {
        self.json.get_or_init(|| TaskJson::of(&self.info))
    }

    /// Gives its resources back once (terminal state, removal): takes them off the
    /// framework's `allocated` and returns them, for the agent's books.
    pub(crate) fn release(&mut self, allocated: &mut RoleAllocation) -> Option<Resources> {
        let r = self.held.take()?;
        allocated.subtract(&self.role, &r);
        Some(r)
    }
}

/// The role resources are allocated to (the master put it in their `allocation_info`); `*`
/// when none says.
pub(crate) fn resources_role(resources: &[Resource]) -> &str {
    resources
        .iter()
        .find_map(|r| r.allocation_info.as_ref()?.role.as_deref())
        .unwrap_or("*")
}

/// Whether any of `resources` (a TaskInfo's, its ExecutorInfo's, or a group's ExecutorInfo's)
/// is allocated to a role other than `role`, the offers': such resources are not among the
/// offered ones (the master's containment check compares `allocation_info`).
pub(crate) fn allocated_elsewhere<'a>(
    resources: impl IntoIterator<Item = &'a Resource>,
    role: &str,
) -> bool {
    resources
        .into_iter()
        .filter_map(|r| r.allocation_info.as_ref()?.role.as_deref())
        .any(|r| r != role)
}

/// What a framework holds role by role (`Framework::allocated` of the master, the
/// allocator's per-role framework sorters): a MULTI_ROLE framework is offered, and holds,
/// resources in each of its roles separately.
#[derive(Clone, Debug, Default)]
pub(crate) struct RoleAllocation(BTreeMap<String, Resources>);

impl RoleAllocation {
    /// Adds `r` to what `role` holds.
    pub(crate) fn add(&mut self, role: &str, r: &Resources) {
        if !r.is_empty() {
            self.0.entry(role.to_string()).or_default().add_all(r);
        }
    }

    /// Takes `r` off what `role` holds (a role left holding nothing is forgotten).
    pub(crate) fn subtract(&mut self, role: &str, r: &Resources) {
        if let Some(held) = self.0.get_mut(role) {
            held.subtract_all(r);
            if held.is_empty() {
                self.0.remove(role);
            }
        }
    }

    /// What `role` holds, if anything.
    pub(crate) fn of(&self, role: &str) -> Option<&Resources> {
        self.0.get(role)
    }

    /// The roles holding something, with what each holds.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&String, &Resources)> {
        self.0.iter()
    }

    /// Everything held, whatever the role.
    pub(crate) fn total(&self) -> Resources {
        let mut out = Resources::new();
        for r in self.0.values() {
            out.add_all(r);
        }
        out
    }
}

/// Refuse filters are kept per (agent ID, role), as the allocator keeps them per role and agent.
pub(crate) type FilterKey = (String, String);

/// A refuse filter installed by DECLINE/ACCEPT.
pub(crate) struct Filter {
    pub until: Instant,
    pub resources: Resources,
}

/// A framework known to the master.
pub(crate) struct Framework {
    pub id: String,
    /// FrameworkInfo as stored (with `id`, `failover_timeout`, `checkpoint` set).
    pub info: FrameworkInfo,
    pub subscription: Option<Subscription>,
    pub active: bool,
    pub recovered: bool,
    pub registered_time: i64,
    pub reregistered_time: i64,
    pub unregistered_time: Option<i64>,
    pub tasks: BTreeMap<String, Task>,
    pub completed_tasks: std::collections::VecDeque<Task>,
    /// What its live tasks and executors hold, role by role, kept as tasks come and go: the
    /// allocator reads it every allocation interval, and summing 10,000 TaskInfos each time
    /// was the master's hot spot.
    pub allocated: RoleAllocation,
    /// The roles it asked not to be offered resources in (SUPPRESS, `suppressed_roles`).
    pub suppressed_roles: std::collections::BTreeSet<String>,
    /// Its refuse filters, by (agent ID, role).
    pub filters: HashMap<FilterKey, Filter>,
    /// Bumped on every (re)subscription and disconnect, to void stale failover timers.
    pub generation: u64,
}

impl Framework {
    /// A framework first known at `now`: subscribed (active), or `recovered` from an agent's
    /// tasks before its scheduler subscribes again (inactive).
    pub(crate) fn new(id: &str, info: FrameworkInfo, now: i64, recovered: bool) -> Self {
        Framework {
            id: id.to_string(),
            info,
            subscription: None,
            active: !recovered,
            recovered,
            registered_time: now,
            reregistered_time: now,
            unregistered_time: None,
            tasks: Default::default(),
            allocated: Default::default(),
            completed_tasks: Default::default(),
            suppressed_roles: Default::default(),
            filters: Default::default(),
            generation: 0,
        }
    }

    /// Keeps `task` among the ended ones, forgetting the oldest beyond the limit.
    pub(crate) fn complete(&mut self, task: Task) {
        self.completed_tasks.push_back(task);
        while self.completed_tasks.len() > MAX_COMPLETED_TASKS_PER_FRAMEWORK {
            self.completed_tasks.pop_front();
        }
    }

    /// Connected through a live stream.
    pub(crate) fn connected(&self) -> bool {
        self.subscription.is_some()
    }

    /// Whether the framework asked for a capability.
    pub(crate) fn has_capability(&self, cap: FrameworkCapabilityType) -> bool {
        self.info.has_capability(&cap)
    }

    /// Its first role (the one of a framework that is not MULTI_ROLE).
    pub(crate) fn role(&self) -> String {
        self.info
            .roles
            .first()
            .or(self.info.role.as_ref())
            .map_or("*", String::as_str)
            .to_string()
    }

    /// The roles it is offered resources in: a MULTI_ROLE framework's `roles`, else its one
    /// `role` (SUBSCRIBE and UPDATE_FRAMEWORK refuse `roles` without MULTI_ROLE).
    pub(crate) fn roles(&self) -> Vec<String> {
        if self.has_capability(FrameworkCapabilityType::MultiRole) {
            super::reserve::framework_roles(&self.info)
        } else {
            vec![self.role()]
        }
    }

    /// Resources held by its live tasks and executors, whatever the role.
    pub(crate) fn allocated(&self) -> Resources {
        self.allocated.total()
    }
}

/// An agent registered with the master.
pub(crate) struct AgentEntry {
    pub agent: Arc<Agent>,
    pub registered_time: f64,
    /// Its total, reservations included: what the allocator offers from.
    pub total: Resources,
    pub used: Resources,
    pub offered: Resources,
    /// What GET_AGENTS writes of it that never changes.
    pub json: AgentJson,
}

impl AgentEntry {
    /// `agent`, registered now, with `used` held by tasks it already runs.
    pub(crate) fn new(agent: &Arc<Agent>, used: Resources) -> AgentEntry {
        AgentEntry {
            json: AgentJson::of(agent),
            agent: Arc::clone(agent),
            registered_time: crate::ids::now_secs(),
            total: agent.total(),
            used,
            offered: Resources::new(),
        }
    }
}

/// An outstanding offer.
pub(crate) struct Offer {
    pub framework_id: String,
    pub agent_id: String,
    /// The role it is allocated to (`allocation_info.role`).
    pub role: String,
    pub resources: Resources,
    /// The offer as sent to the framework, listed again by GET_STATE/GET_FRAMEWORKS.
    pub sent: mesos_lib::v1::offer::Offer,
}

/// Everything one master process knows; replaced wholesale on master restart.
pub(crate) struct MasterState {
    pub id: String,
    pub start_time: f64,
    pub elected_time: f64,
    pub port: u16,
    pub next_framework: u64,
    pub next_offer: u64,
    pub frameworks: BTreeMap<String, Framework>,
    pub completed_frameworks: Vec<Framework>,
    pub agents: BTreeMap<String, AgentEntry>,
    pub offers: BTreeMap<String, Offer>,
    /// Executors known from their ExecutorInfo (task groups' DEFAULT executors).
    pub executors: BTreeMap<super::launch_group::ExecutorKey, super::launch_group::ExecutorEntry>,
    pub subscribers: Vec<EventSender>,
    pub stall_heartbeats: bool,
    pub allocation_runs: u64,
    /// Role weights set by `--weights` or UPDATE_WEIGHTS (kept as an in-memory registry
    /// keeps them: a restarted master starts again from the flag).
    pub weights: BTreeMap<String, f64>,
    /// Role quotas set by UPDATE_QUOTA or SET_QUOTA, a role set back to the default quota
    /// included (the master keeps listing it until it restarts).
    pub quotas: BTreeMap<String, super::quota::QuotaConfig>,
    /// How often each role and framework was chosen: the allocator's tie-breaker.
    pub allocation_counts: crate::allocator::Counts,
    /// `--min_allocatable_resources`.
    pub min_allocatable: crate::allocator::MinAllocatable,
    /// Machines, the maintenance schedule and inverse offers.
    pub maintenance: super::machines::Maintenance,
    /// Agents draining, deactivated or gone (kept across a restart, as the registry keeps them).
    pub agent_registry: super::draining::AgentRegistry,
    /// Offer operations with an `id` whose terminal status is not yet acknowledged.
    pub operations: Vec<super::operations::OperationRecord>,
}

impl MasterState {
    /// A fresh master state.
    pub(crate) fn new(id: String, port: u16) -> MasterState {
        let now = crate::ids::now_secs();
        MasterState {
            id,
            start_time: now,
            elected_time: now,
            port,
            next_framework: 0,
            next_offer: 0,
            frameworks: BTreeMap::new(),
            completed_frameworks: Vec::new(),
            agents: BTreeMap::new(),
            offers: BTreeMap::new(),
            executors: BTreeMap::new(),
            subscribers: Vec::new(),
            stall_heartbeats: false,
            allocation_runs: 0,
            weights: BTreeMap::new(),
            quotas: BTreeMap::new(),
            allocation_counts: Default::default(),
            min_allocatable: Default::default(),
            maintenance: Default::default(),
            agent_registry: Default::default(),
            operations: Vec::new(),
        }
    }

    /// The same state with the weights of `--weights` and the allocator's
    /// `--min_allocatable_resources` (both checked at start).
    pub(crate) fn with_flags(mut self, cfg: &crate::config::LocalConfig) -> MasterState {
        let flag = cfg.weights.as_deref().unwrap_or("");
        self.weights = super::weights::parse_flag(flag).unwrap_or_default();
        if let Some(flag) = &cfg.min_allocatable_resources {
            self.min_allocatable =
                crate::allocator::MinAllocatable::parse(flag).unwrap_or_default();
        }
        self
    }

    /// Sends an event to every operator subscriber, dropping the gone ones.
    pub(crate) fn broadcast<T: serde::Serialize + ?Sized>(&mut self, event: &T) {
        self.subscribers.retain(|s| s.send(event));
    }

    /// Like `broadcast`, building the event only when someone listens: task events come by
    /// the thousand at scale and usually nobody is subscribed.
    pub(crate) fn broadcast_with<T: serde::Serialize>(&mut self, event: impl FnOnce(&Self) -> T) {
        if !self.subscribers.is_empty() {
            let event = event(self);
            self.broadcast(&event);
        }
    }

    /// Whether a framework ID was torn down or timed out.
    pub(crate) fn is_removed(&self, fid: &str) -> bool {
        self.completed_frameworks.iter().any(|f| f.id == fid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_framework_keeps_only_its_latest_ended_tasks() {
        let mut fw = Framework {
            id: "f".into(),
            info: FrameworkInfo::default(),
            subscription: None,
            active: false,
            recovered: false,
            registered_time: 0,
            reregistered_time: 0,
            unregistered_time: None,
            tasks: Default::default(),
            completed_tasks: Default::default(),
            allocated: Default::default(),
            suppressed_roles: Default::default(),
            filters: Default::default(),
            generation: 0,
        };
        for i in 0..MAX_COMPLETED_TASKS_PER_FRAMEWORK + 5 {
            let info = TaskInfo {
                task_id: format!("t{i}").as_str().into(),
                ..Default::default()
            };
            fw.complete(Task::new(
                Arc::new(info),
                "f",
                "a",
                TaskState::Finished,
                None,
            ));
        }
        assert_eq!(fw.completed_tasks.len(), MAX_COMPLETED_TASKS_PER_FRAMEWORK);
        assert_eq!(fw.completed_tasks[0].info.task_id.value, "t5");
    }
}
