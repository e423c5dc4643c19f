//! What a task asks of an offer, and whether (and how many times) the offer holds it: the one
//! implementation of fitting, used by the kernel's `%launch`, by `--bind` values in Rust cells
//! (`mesos_lib::bind`) and by cells directly.

use super::{Resources, ranges, scalar};
use crate::v1::Resource;

/// What a task needs from one offer: resources named exactly, plus a number of ports to take
/// from whatever port ranges the offer has (as `%launch --ports N` and Marathon do).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Want {
    /// Resources named exactly (scalars, or ranges a TaskInfo lists).
    pub resources: Vec<Resource>,
    /// Ports to take from the offer's port ranges, any of them.
    pub ports: u64,
}

impl Want {
    /// The ports of `offered` not already named by this want, as ranges.
    pub fn free_ports(&self, offered: &[Resource]) -> Vec<(u64, u64)> {
        let have = Resources::from(offered).ports();
        let named = Resources::from(self.resources.as_slice()).ports();
        ranges::subtract(&have, &named)
    }

    /// The first `ports` free ports of `offered`, lowest first.
    pub fn pick_ports(&self, offered: &[Resource]) -> Vec<u64> {
        self.free_ports(offered)
            .into_iter()
            .flat_map(|(b, e)| b..=e)
            .take(self.ports as usize)
            .collect()
    }

    /// Whether `offered` holds this want, comparing totals by name (roles and allocation
    /// ignored, since a request rarely names them).
    pub fn fits(&self, offered: &[Resource]) -> bool {
        let have = Resources::from(offered).flatten();
        have.contains(&Resources::from(self.resources.as_slice()).flatten())
            && ranges::count(&self.free_ports(offered)) >= self.ports
    }

    /// How many copies of this want fit side by side in `offered`: the smallest quotient over
    /// the scalars (in Mesos's fixed point) and the port count; named ranges fit once at most.
    /// `u64::MAX` when nothing is asked.
    pub fn how_many(&self, offered: &[Resource]) -> u64 {
        let have = Resources::from(offered).flatten();
        let wanted = Resources::from(self.resources.as_slice()).flatten();
        let mut n = u64::MAX;
        for r in wanted.iter() {
            n = n.min(match &r.scalar {
                Some(s) if scalar::to_fixed(s.value) > 0 => {
                    let offered = scalar::to_fixed(have.scalar(&r.name).unwrap_or(0.0));
                    (offered.max(0) / scalar::to_fixed(s.value)) as u64
                }
                Some(_) => u64::MAX,
                None => u64::from(have.contains(&Resources::from(std::slice::from_ref(r)))),
            });
        }
        match ranges::count(&self.free_ports(offered)).checked_div(self.ports) {
            Some(copies) => n.min(copies),
            None => n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer() -> Vec<Resource> {
        vec![
            Resource::scalar("cpus", 2.0),
            Resource::scalar("mem", 1024.0),
            Resource::ranges("ports", [(31000, 31004)]),
        ]
    }

    #[test]
    fn fits_and_counts_copies() {
        let want = Want {
            resources: vec![
                Resource::scalar("cpus", 0.5),
                Resource::scalar("mem", 128.0),
            ],
            ports: 1,
        };
        assert!(want.fits(&offer()));
        assert_eq!(want.how_many(&offer()), 4);
        let ports = Want {
            ports: 2,
            ..Want::default()
        };
        assert_eq!(ports.how_many(&offer()), 2);
        assert_eq!(ports.pick_ports(&offer()), vec![31000, 31001]);
        let big = Want {
            resources: vec![Resource::scalar("cpus", 3.0)],
            ports: 0,
        };
        assert!(!big.fits(&offer()));
        assert_eq!(big.how_many(&offer()), 0);
        assert_eq!(Want::default().how_many(&offer()), u64::MAX);
    }

    #[test]
    fn fixed_point_quotients_do_not_lose_a_copy() {
        let want = Want {
            resources: vec![Resource::scalar("cpus", 0.1)],
            ports: 0,
        };
        assert_eq!(want.how_many(&[Resource::scalar("cpus", 0.3)]), 3);
    }
}
