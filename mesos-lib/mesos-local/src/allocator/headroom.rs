//! Quota as the allocator applies it (`HierarchicalAllocatorProcess::__generateOffers`): what
//! each role consumes or is offered, how much of its guarantees is unmet, the unreserved
//! headroom held back for other roles' unmet guarantees, and resources shrunk to fit.

use std::collections::BTreeMap;

use super::Cluster;
use super::quantities::{Quantities, QuotaConfig, add, minus, quantities_of, subtract};
use crate::resource_views as rv;
use mesos_lib::resources::Resources;
use mesos_lib::v1::resources::ValueType;

/// Whether `role` is `of` or nested under it.
pub(crate) fn in_subtree(role: &str, of: &str) -> bool {
    role == of || role.strip_prefix(of).is_some_and(|x| x.starts_with('/'))
}

/// The role and its ancestors (`eng/web` → `eng`, `eng/web`).
fn with_ancestors(role: &str) -> impl Iterator<Item = &str> {
    role.match_indices('/')
        .map(|(i, _)| &role[..i])
        .chain(std::iter::once(role))
}

/// Unreserved scalar resources: what quota headroom and limits are made of.
fn is_quota_resource(r: &mesos_lib::v1::resources::Resource) -> bool {
    r.value_type == Some(ValueType::Scalar) && !r.is_reserved()
}

/// `r` with its scalars cut down to `caps` name by name (`shrinkResources`); a name absent
/// from `caps` is kept whole if `absent_unlimited`, else dropped.
pub(crate) fn shrink(r: &Resources, caps: &Quantities, absent_unlimited: bool) -> Resources {
    let mut left = caps.clone();
    let mut out = Resources::new();
    for x in r.iter() {
        if x.value_type != Some(ValueType::Scalar) {
            out.add(x);
            continue;
        }
        let have = x.scalar.as_ref().map_or(0.0, |s| s.value);
        let take = match left.get_mut(&x.name) {
            Some(cap) => {
                let take = have.min(*cap);
                *cap = mesos_lib::resources::scalar::subtract(*cap, take);
                take
            }
            None if absent_unlimited => have,
            None => 0.0,
        };
        if take > 0.0 {
            let mut y = x.clone();
            if let Some(s) = y.scalar.as_mut() {
                s.value = mesos_lib::resources::scalar::normalize(take);
            }
            out.add(&y);
        }
    }
    out
}

/// The quota books of one allocation cycle.
pub(crate) struct QuotaBooks {
    quotas: BTreeMap<String, QuotaConfig>,
    /// Consumed or offered per role with quota, its subtree included (`quotaOfferedOrConsumed`):
    /// its reservations, used or not, plus the unreserved resources it holds or is offered.
    consumed: BTreeMap<String, Quantities>,
    /// Sum of the top-level roles' unmet guarantees.
    required: Quantities,
    /// Unreserved resources neither used nor offered.
    available: Quantities,
}

impl QuotaBooks {
    /// The books as the cycle starts, or None when no role has a quota (nothing to keep).
    pub(crate) fn open(cluster: &Cluster) -> Option<QuotaBooks> {
        let quotas: BTreeMap<String, QuotaConfig> = cluster
            .quotas
            .iter()
            .filter(|(_, q)| !q.is_default())
            .map(|(r, q)| (r.clone(), q.clone()))
            .collect();
        if quotas.is_empty() {
            return None;
        }
        let mut consumed: BTreeMap<String, Quantities> = quotas
            .keys()
            .map(|r| (r.clone(), Quantities::new()))
            .collect();
        let mut charge = |role: &str, q: &Quantities| {
            for r in with_ancestors(role) {
                if let Some(c) = consumed.get_mut(r) {
                    add(c, q);
                }
            }
        };
        for a in &cluster.agents {
            for (role, reserved) in rv::by_reservation_role(&a.total) {
                charge(&role, &quantities_of(&reserved));
            }
        }
        for c in &cluster.clients {
            charge(&c.role, &quantities_of(&c.allocated.unreserved()));
        }
        let mut required = Quantities::new();
        for (role, q) in quotas.iter().filter(|(r, _)| !r.contains('/')) {
            add(&mut required, &minus(&q.guarantees, &consumed[role]));
        }
        let mut available = Quantities::new();
        for a in &cluster.agents {
            add(&mut available, &quantities_of(&a.available.unreserved()));
        }
        Some(QuotaBooks {
            quotas,
            consumed,
            required,
            available,
        })
    }

    /// What of its guarantees `role` still lacks (empty without guarantees).
    pub(crate) fn unmet(&self, role: &str) -> Quantities {
        match self.quotas.get(role) {
            Some(q) => minus(&q.guarantees, &self.consumed[role]),
            None => Quantities::new(),
        }
    }

    /// Stage 1 (the quota stage): of `avail`, what goes to `role` towards its unmet
    /// guarantees, with its reserved and non-scalar resources, plus other unreserved
    /// scalars within its limits and the surplus headroom. None when nothing goes to the
    /// guarantees.
    pub(crate) fn towards_guarantee(&self, role: &str, avail: &Resources) -> Option<Resources> {
        let quota_resources = avail.filter(is_quota_resource);
        let for_guarantees = shrink(&quota_resources, &self.unmet(role), false);
        if for_guarantees.is_empty() {
            return None;
        }
        let mut additional = quota_resources.clone();
        additional.subtract_all(&for_guarantees);
        let room = self.limit_room(role, &quantities_of(&for_guarantees));
        let additional = self.within_headroom(&self.within_limits(additional, room.as_ref()));
        let mut offer = avail.filter(|r| !is_quota_resource(r));
        offer.add_all(&for_guarantees);
        offer.add_all(&additional);
        Some(offer)
    }

    /// Stage 2: of `avail`, what `role` may have: reserved and non-scalar resources, and
    /// unreserved scalars within its limits and beyond the headroom others' guarantees need;
    /// None when that is all of `avail` (no limit for the role, no headroom to keep).
    pub(crate) fn beyond_guarantee(&self, role: &str, avail: &Resources) -> Option<Resources> {
        let limited = self.quotas.get(role).is_some_and(|q| !q.limits.is_empty());
        if !limited && self.required.is_empty() {
            return None;
        }
        let additional = avail.filter(is_quota_resource);
        let room = self.limit_room(role, &Quantities::new());
        let additional = self.within_headroom(&self.within_limits(additional, room.as_ref()));
        let mut offer = avail.filter(|r| !is_quota_resource(r));
        offer.add_all(&additional);
        Some(offer)
    }

    /// Books `offer` to `role`: its unreserved scalars count against its guarantees (only
    /// those up to `for_guarantees` lower the required headroom) and the available headroom.
    pub(crate) fn record(&mut self, role: &str, offer: &Resources, towards_guarantee: bool) {
        let taken = quantities_of(&offer.filter(is_quota_resource));
        if towards_guarantee && !role.contains('/') {
            let met = self.unmet(role);
            let counted: Quantities = taken
                .iter()
                .filter_map(|(k, v)| met.get(k).map(|m| (k.clone(), v.min(*m))))
                .collect();
            subtract(&mut self.required, &counted);
        }
        for r in with_ancestors(role) {
            if let Some(c) = self.consumed.get_mut(r) {
                add(c, &taken);
            }
        }
        subtract(&mut self.available, &taken);
    }

    /// `limits - consumed - also` of `role`, zeros kept (a name left out is unlimited);
    /// None without limits.
    fn limit_room(&self, role: &str, also: &Quantities) -> Option<Quantities> {
        let q = self.quotas.get(role).filter(|q| !q.limits.is_empty())?;
        let consumed = &self.consumed[role];
        let used =
            |k: &str| consumed.get(k).copied().unwrap_or(0.0) + also.get(k).copied().unwrap_or(0.0);
        Some(
            q.limits
                .iter()
                .map(|(k, l)| (k.clone(), (l - used(k)).max(0.0)))
                .collect(),
        )
    }

    fn within_limits(&self, r: Resources, room: Option<&Quantities>) -> Resources {
        match room {
            Some(room) => shrink(&r, room, true),
            None => r,
        }
    }

    /// `r` cut to the headroom left once others' unmet guarantees are held back.
    fn within_headroom(&self, r: &Resources) -> Resources {
        if self.required.is_empty() || r.is_empty() {
            return r.clone();
        }
        shrink(r, &minus(&self.available, &self.required), false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesos_lib::v1::resources::Resource;

    #[test]
    fn shrinking_keeps_names_without_a_cap_only_when_unlimited() {
        let r = Resources::from(vec![
            Resource::scalar("cpus", 4.0),
            Resource::scalar("mem", 512.0),
        ]);
        let caps: Quantities = [("cpus".to_string(), 1.5)].into();
        let limited = shrink(&r, &caps, true);
        assert_eq!(limited.cpus(), Some(1.5));
        assert_eq!(limited.mem(), Some(512.0));
        let guaranteed = shrink(&r, &caps, false);
        assert_eq!(guaranteed.cpus(), Some(1.5));
        assert_eq!(guaranteed.mem(), None);
    }

    #[test]
    fn a_role_is_in_its_own_subtree_and_its_parents() {
        assert!(in_subtree("eng/web", "eng"));
        assert!(in_subtree("eng", "eng"));
        assert!(!in_subtree("engine", "eng"));
        assert_eq!(with_ancestors("a/b").collect::<Vec<_>>(), ["a", "a/b"]);
    }
}
