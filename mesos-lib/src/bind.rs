//! The values the kernel's `--bind NAME` hands to Rust cells (`%offers`, `%agents`, `%tasks`,
//! `%launch`): thin, plain views of mesos-lib's v1 offers, agents and tasks, whose resource
//! fitting is [`crate::resources::Want`]'s, the same as `%launch`'s. The kernel brings them into
//! a Rust session as `mesos` (`use mesos_lib::bind as mesos;`), so cells write `mesos::Offer`.

use crate::resources::{self, Want, ranges, scalar};
use crate::v1::Resource;

/// cpus, mem (MB), disk (MB) and port ranges: the part of a resource list cells compute with.
#[derive(Debug, Clone, Default, PartialEq)]
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
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq)]
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

/// A task as the master or this framework knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// Task id.
    pub id: String,
    /// Task name.
    pub name: String,
    /// Latest state, e.g. `TASK_RUNNING`.
    pub state: String,
    /// Its framework.
    pub framework_id: String,
    /// Its agent.
    pub agent_id: String,
    /// The agent's hostname, where known (empty otherwise).
    pub hostname: String,
    /// Its resources.
    pub resources: Resources,
    /// Its ports, one by one.
    pub ports: Vec<u64>,
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
}
