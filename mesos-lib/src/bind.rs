//! The one model of offers, agents and tasks that Rust cells compute with: what the kernel's
//! `--bind NAME` hands a cell (`%offers`, `%agents`, `%tasks`, `%launch`) and what
//! [`crate::session`] answers (`offers()`, `agents()`, `tasks()`). Thin, plain views of mesos-lib's
//! v1 offers, agents and tasks, built here from them (one conversion for both paths), whose
//! resource fitting is [`crate::resources::Want`]'s, the same as `%launch`'s. They travel as JSON:
//! over the cell channel, and in the `let NAME: TYPE = mesos::decode(r#"…"#);` that `--bind`
//! runs. The kernel brings this module into a Rust session as `mesos`
//! (`use mesos_lib::bind as mesos;`), so cells write `mesos::Offer`.

use crate::resources::{self, Want, ranges, scalar};
use crate::v1::master::response;
use crate::v1::{Resource, TaskState, TaskStatus};
use serde::{Deserialize, Serialize};

/// cpus, mem (MB), disk (MB) and port ranges: the part of a resource list cells compute with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Resources {
    /// CPUs.
    pub cpus: f64,
    /// Memory in MB.
    pub mem: f64,
    /// Disk in MB.
    pub disk: f64,
    /// Port ranges, inclusive.
    pub ports: Vec<(u64, u64)>,
}

impl Resources {
    /// How many ports the ranges hold.
    pub fn port_count(&self) -> u64 {
        ranges::count(&self.ports)
    }

    /// Whether `want` fits in these resources (its ports counted, not named).
    pub fn fits(&self, want: &Resources) -> bool {
        want.as_want().fits(&self.to_list())
    }

    /// How many copies of `want` fit side by side.
    pub fn how_many(&self, want: &Resources) -> u64 {
        want.as_want().how_many(&self.to_list())
    }

    /// Resources of `cpus`, `mem` MB and `ports` ports (for `fits` and `how_many`).
    pub fn want(cpus: f64, mem: f64, ports: u64) -> Resources {
        Resources {
            cpus,
            mem,
            disk: 0.0,
            ports: if ports > 0 { vec![(1, ports)] } else { vec![] },
        }
    }

    /// As a v1 resource list.
    pub fn to_list(&self) -> Vec<Resource> {
        let mut list = vec![
            Resource::scalar("cpus", self.cpus),
            Resource::scalar("mem", self.mem),
            Resource::scalar("disk", self.disk),
        ];
        if !self.ports.is_empty() {
            list.push(Resource::ranges("ports", self.ports.iter().copied()));
        }
        list
    }

    /// As what a task asks: the non-zero scalars, and the ports as a count.
    fn as_want(&self) -> Want {
        let asked = [("cpus", self.cpus), ("mem", self.mem), ("disk", self.disk)];
        Want {
            resources: asked
                .into_iter()
                .filter(|(_, v)| scalar::to_fixed(*v) > 0)
                .map(|(name, v)| Resource::scalar(name, v))
                .collect(),
            ports: self.port_count(),
        }
    }
}

impl From<&[Resource]> for Resources {
    fn from(list: &[Resource]) -> Self {
        let r = resources::Resources::from(list);
        Resources {
            cpus: r.cpus().unwrap_or(0.0),
            mem: r.mem().unwrap_or(0.0),
            disk: r.disk().unwrap_or(0.0),
            ports: r.ports(),
        }
    }
}

/// An outstanding offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    /// Offer id.
    pub id: String,
    /// The agent offering.
    pub agent_id: String,
    /// The agent's hostname.
    pub hostname: String,
    /// What is offered.
    pub resources: Resources,
    /// The agent's attributes as `(name, value)`.
    pub attributes: Vec<(String, String)>,
}

impl Offer {
    /// The value of attribute `name`.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An agent: what it has and what is in use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    /// Agent id.
    pub id: String,
    /// Hostname.
    pub hostname: String,
    /// Its total resources.
    pub total: Resources,
    /// What is allocated to frameworks.
    pub used: Resources,
    /// Its attributes as `(name, value)`.
    pub attributes: Vec<(String, String)>,
}

impl Agent {
    /// What is not in use (the port ranges are the agent's whole ranges).
    pub fn free(&self) -> Resources {
        Resources {
            cpus: scalar::subtract(self.total.cpus, self.used.cpus),
            mem: scalar::subtract(self.total.mem, self.used.mem),
            disk: scalar::subtract(self.total.disk, self.used.disk),
            ports: self.total.ports.clone(),
        }
    }
}

/// A task, as the master or this framework's session knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Task id.
    pub id: String,
    /// Task name (empty when the session did not launch it).
    pub name: String,
    /// Latest state (`TASK_STAGING` before any update); prints as `TASK_RUNNING`.
    pub state: TaskState,
    /// Its framework.
    pub framework_id: String,
    /// Its agent (empty while unknown).
    pub agent_id: String,
    /// The agent's hostname, where known (empty otherwise).
    pub hostname: String,
    /// Its resources.
    pub resources: Resources,
    /// Its ports, one by one.
    pub ports: Vec<u64>,
    /// The latest status update, where known.
    pub latest: Option<TaskStatus>,
}

impl Task {
    /// Whether the task has ended.
    pub fn is_terminal(&self) -> bool {
        self.state.is_terminal()
    }

    /// A task as the master reports it; `hostname` is empty where the caller does not know it.
    pub fn from_master(t: &crate::v1::task::Task, hostname: &str) -> Task {
        Task {
            id: t.task_id.value.clone(),
            name: t.name.clone(),
            state: t.state.clone(),
            framework_id: t.framework_id.value.clone(),
            agent_id: t.agent_id.value.clone(),
            hostname: hostname.to_owned(),
            resources: Resources::from(t.resources.as_slice()),
            ports: ports_of(&t.resources),
            latest: t.statuses.last().cloned(),
        }
    }

    /// A task of a scheduler session's book (`framework_id` is the session's framework).
    #[cfg(feature = "client")]
    pub fn from_record(
        rec: &crate::scheduler::TaskRecord,
        framework_id: &str,
        hostname: &str,
    ) -> Task {
        let empty = Vec::new();
        let (name, res) = match &rec.info {
            Some(i) => (i.name.clone(), &i.resources),
            None => (String::new(), &empty),
        };
        Task {
            id: rec.task_id.value.clone(),
            name,
            state: rec.state(),
            framework_id: framework_id.to_owned(),
            agent_id: rec
                .agent_id
                .as_ref()
                .map(|a| a.value.clone())
                .unwrap_or_default(),
            hostname: hostname.to_owned(),
            resources: Resources::from(res.as_slice()),
            ports: ports_of(res),
            latest: rec.latest.clone(),
        }
    }
}

/// Ports listed one by one; capped, as a task holds a few ports, not an agent's whole range.
const MAX_PORTS: usize = 64;

/// Every port a resource list holds, one by one (at most [`MAX_PORTS`]).
fn ports_of(list: &[Resource]) -> Vec<u64> {
    resources::Resources::from(list)
        .ports()
        .into_iter()
        .flat_map(|(b, e)| b..=e)
        .take(MAX_PORTS)
        .collect()
}

fn attributes(list: &[crate::v1::Attribute]) -> Vec<(String, String)> {
    list.iter()
        .map(|a| (a.name.clone(), resources::attribute_value(a)))
        .collect()
}

impl From<&crate::v1::Offer> for Offer {
    fn from(o: &crate::v1::Offer) -> Self {
        Offer {
            id: o.id.value.clone(),
            agent_id: o.agent_id.value.clone(),
            hostname: o.hostname.clone(),
            resources: Resources::from(o.resources.as_slice()),
            attributes: attributes(&o.attributes),
        }
    }
}

impl From<&response::Agent> for Agent {
    fn from(a: &response::Agent) -> Self {
        let info = &a.agent_info;
        Agent {
            id: info
                .id
                .as_ref()
                .map(|i| i.value.clone())
                .unwrap_or_default(),
            hostname: info.hostname.clone(),
            total: Resources::from(a.total_resources.as_slice()),
            used: Resources::from(a.allocated_resources.as_slice()),
            attributes: attributes(&info.attributes),
        }
    }
}

/// What `--bind` can hand a cell, rebuilt from its JSON. Implemented here for each bound type,
/// so a cell's `decode` compiles to one call, not a fresh copy of the deserializer.
pub trait Bound: Sized {
    /// Parses the JSON the kernel wrote.
    fn from_json(json: &str) -> Result<Self, serde_json::Error>;
}

macro_rules! bound {
    ($($ty:ty),*) => {$(
        impl Bound for $ty {
            fn from_json(json: &str) -> Result<Self, serde_json::Error> {
                serde_json::from_str(json)
            }
        }
    )*};
}

bound!(Vec<Offer>, Vec<Agent>, Vec<Task>, Task);

/// The value of a `--bind` statement. The JSON comes from the kernel built from this very
/// revision, so failing to read it is a bug, not an input error: it panics, naming the type.
pub fn decode<T: Bound>(json: &str) -> T {
    T::from_json(json)
        .unwrap_or_else(|e| panic!("mesos::decode: not a {}: {e}", std::any::type_name::<T>()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitting_is_the_resources_modules() {
        let offered = Resources {
            cpus: 2.0,
            mem: 1024.0,
            disk: 0.0,
            ports: vec![(31000, 32000)],
        };
        let want = Resources::want(0.5, 128.0, 1);
        assert!(offered.fits(&want));
        assert_eq!(offered.how_many(&want), 4);
        assert!(!offered.fits(&Resources::want(4.0, 1.0, 0)));
        assert_eq!(offered.how_many(&Resources::want(0.0, 0.0, 2000)), 0);
        let agent = Agent {
            id: "a".into(),
            hostname: "h".into(),
            total: offered.clone(),
            used: Resources::want(0.3, 100.0, 0),
            attributes: vec![("rack".into(), "r2d2".into())],
        };
        assert_eq!(agent.free().cpus, 1.7);
        assert_eq!(agent.free().mem, 924.0);
    }

    #[test]
    fn offers_convert_once_and_decode_from_their_json() {
        let v1 = crate::v1::Offer {
            id: "o1".into(),
            agent_id: "a1".into(),
            hostname: "h1".into(),
            resources: vec![
                Resource::scalar("cpus", 2.0),
                Resource::ranges("ports", [(31000, 31009)]),
            ],
            attributes: vec![
                crate::v1::Attribute::text("rack", "r2d2"),
                crate::v1::Attribute::scalar("weight", 3.5),
            ],
            ..Default::default()
        };
        let offer = Offer::from(&v1);
        assert_eq!((offer.id.as_str(), offer.hostname.as_str()), ("o1", "h1"));
        assert_eq!(offer.resources.cpus, 2.0);
        assert_eq!(offer.resources.port_count(), 10);
        assert_eq!(offer.attribute("weight"), Some("3.5"));
        let json = serde_json::to_string(&vec![offer.clone()]).unwrap();
        assert_eq!(decode::<Vec<Offer>>(&json), vec![offer]);
    }

    #[test]
    fn tasks_keep_their_state_and_latest_status() {
        let status = TaskStatus {
            state: TaskState::Failed,
            message: Some("exit 1".into()),
            ..Default::default()
        };
        let task = Task {
            id: "t1".into(),
            name: "t".into(),
            state: TaskState::Failed,
            framework_id: "f".into(),
            agent_id: String::new(),
            hostname: String::new(),
            resources: Resources::want(0.1, 32.0, 0),
            ports: vec![],
            latest: Some(status),
        };
        assert!(task.is_terminal());
        let json = serde_json::to_string(&task).unwrap();
        assert!(json.contains("\"state\":\"TASK_FAILED\""), "{json}");
        assert_eq!(decode::<Task>(&json), task);
        assert!(Vec::<Task>::from_json("[{}]").is_err());
    }
}
