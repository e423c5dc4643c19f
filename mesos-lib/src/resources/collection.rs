//! `Resources`: a collection of `Resource` with Mesos-style add, subtract and contains.
//!
//! Two resources combine only if everything but their value is equal (name, type, role,
//! reservations, allocation, disk, ...), as Mesos's "addable" rule requires.

use crate::v1::resources::{Range, Ranges, Resource, Scalar, Set, ValueType};

use super::{ranges, scalar, set};

/// A list of resources kept merged: at most one entry per kind.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resources {
    items: Vec<Resource>,
}

/// `resource` with its value removed: the identity used to decide whether two resources combine.
/// Whether two resources are of one kind: equal in everything but their quantities. Compared
/// in place (a copy without the quantities cost a clone of both per comparison); the
/// exhaustive pattern makes a new field of `Resource` a compile error here.
fn same_kind(a: &Resource, b: &Resource) -> bool {
    let Resource {
        name,
        value_type,
        scalar: _,
        ranges: _,
        set: _,
        role,
        allocation_info,
        reservation,
        reservations,
        disk,
        revocable,
        shared,
        provider_id,
        extra,
    } = a;
    *name == b.name
        && *value_type == b.value_type
        && *role == b.role
        && *allocation_info == b.allocation_info
        && *reservation == b.reservation
        && *reservations == b.reservations
        && *disk == b.disk
        && *revocable == b.revocable
        && *shared == b.shared
        && *provider_id == b.provider_id
        && *extra == b.extra
}

fn value_type(resource: &Resource) -> Option<ValueType> {
    resource.value_type.clone().or_else(|| {
        // Infer the type when a hand-built resource omitted it.
        if resource.scalar.is_some() {
            Some(ValueType::Scalar)
        } else if resource.ranges.is_some() {
            Some(ValueType::Ranges)
        } else if resource.set.is_some() {
            Some(ValueType::Set)
        } else {
            None
        }
    })
}

fn scalar_of(resource: &Resource) -> f64 {
    resource.scalar.as_ref().map_or(0.0, |s| s.value)
}

fn pairs_of(resource: &Resource) -> Vec<(u64, u64)> {
    resource
        .ranges
        .as_ref()
        .map(ranges::pairs)
        .unwrap_or_default()
}

fn items_of(resource: &Resource) -> Vec<String> {
    resource
        .set
        .as_ref()
        .map(|s| s.item.clone())
        .unwrap_or_default()
}

fn set_pairs(resource: &mut Resource, pairs: Vec<(u64, u64)>) {
    let extra = resource.ranges.take().map(|r| r.extra).unwrap_or_default();
    resource.ranges = Some(Ranges {
        range: pairs.into_iter().map(|(b, e)| Range::new(b, e)).collect(),
        extra,
    });
}

fn set_items(resource: &mut Resource, items: Vec<String>) {
    let extra = resource.set.take().map(|s| s.extra).unwrap_or_default();
    resource.set = Some(Set { item: items, extra });
}

/// Whether a resource holds nothing (zero scalar, no ranges, no items).
fn is_empty(resource: &Resource) -> bool {
    match value_type(resource) {
        Some(ValueType::Scalar) => scalar::to_fixed(scalar_of(resource)) <= 0,
        Some(ValueType::Ranges) => pairs_of(resource).is_empty(),
        Some(ValueType::Set) => items_of(resource).is_empty(),
        _ => true,
    }
}

/// Whether `outer` holds at least `inner` (same kind assumed).
fn resource_contains(outer: &Resource, inner: &Resource) -> bool {
    match value_type(inner) {
        Some(ValueType::Scalar) => scalar::less_or_equal(scalar_of(inner), scalar_of(outer)),
        Some(ValueType::Ranges) => ranges::contains(&pairs_of(outer), &pairs_of(inner)),
        Some(ValueType::Set) => set::contains(&items_of(outer), &items_of(inner)),
        _ => false,
    }
}

impl Resources {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// The merged resources.
    pub fn iter(&self) -> std::slice::Iter<'_, Resource> {
        self.items.iter()
    }

    /// Whether there is nothing.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The resources as a list (e.g. for `TaskInfo.resources`).
    pub fn into_vec(self) -> Vec<Resource> {
        self.items
    }

    /// Adds one resource, merging it into an entry of the same kind.
    pub fn add(&mut self, resource: &Resource) {
        if is_empty(resource) {
            return;
        }
        let Some(existing) = self.items.iter_mut().find(|r| same_kind(r, resource)) else {
            let mut fresh = resource.clone();
            fresh.value_type = value_type(resource);
            if let Some(s) = fresh.scalar.as_mut() {
                s.value = scalar::normalize(s.value);
            }
            if fresh.ranges.is_some() {
                set_pairs(&mut fresh, ranges::coalesce(pairs_of(resource)));
            }
            self.items.push(fresh);
            return;
        };
        match value_type(resource) {
            Some(ValueType::Scalar) => {
                let sum = scalar::add(scalar_of(existing), scalar_of(resource));
                existing
                    .scalar
                    .get_or_insert_with(|| Scalar::new(0.0))
                    .value = sum;
            }
            Some(ValueType::Ranges) => {
                let merged = ranges::add(&pairs_of(existing), &pairs_of(resource));
                set_pairs(existing, merged);
            }
            Some(ValueType::Set) => {
                let merged = set::add(&items_of(existing), &items_of(resource));
                set_items(existing, merged);
            }
            _ => {}
        }
    }

    /// Adds every resource of `other`.
    pub fn add_all(&mut self, other: &Resources) {
        for resource in &other.items {
            self.add(resource);
        }
    }

    /// Subtracts one resource from the entry of the same kind; a scalar never goes below
    /// zero and an entry that becomes empty is removed.
    pub fn subtract(&mut self, resource: &Resource) {
        let Some(index) = self.items.iter().position(|r| same_kind(r, resource)) else {
            return;
        };
        let existing = &mut self.items[index];
        match value_type(resource) {
            Some(ValueType::Scalar) => {
                let left = scalar::subtract(scalar_of(existing), scalar_of(resource)).max(0.0);
                existing
                    .scalar
                    .get_or_insert_with(|| Scalar::new(0.0))
                    .value = left;
            }
            Some(ValueType::Ranges) => {
                let left = ranges::subtract(&pairs_of(existing), &pairs_of(resource));
                set_pairs(existing, left);
            }
            Some(ValueType::Set) => {
                let left = set::subtract(&items_of(existing), &items_of(resource));
                set_items(existing, left);
            }
            _ => {}
        }
        if is_empty(&self.items[index]) {
            self.items.remove(index);
        }
    }

    /// Subtracts every resource of `other`.
    pub fn subtract_all(&mut self, other: &Resources) {
        for resource in &other.items {
            self.subtract(resource);
        }
    }

    /// Whether these resources hold all of `other`, kind by kind (roles and reservations must match).
    pub fn contains(&self, other: &Resources) -> bool {
        other.items.iter().all(|wanted| {
            self.items
                .iter()
                .any(|have| same_kind(have, wanted) && resource_contains(have, wanted))
        })
    }

    /// The same quantities with role, reservation and allocation metadata removed, so that
    /// equal names merge: what a fit check needs when the request carries no roles.
    pub fn flatten(&self) -> Resources {
        self.items
            .iter()
            .map(|r| Resource {
                name: r.name.clone(),
                value_type: value_type(r),
                scalar: r.scalar.clone(),
                ranges: r.ranges.clone(),
                set: r.set.clone(),
                ..Default::default()
            })
            .collect()
    }

    /// Only the resources for which `keep` is true.
    pub fn filter(&self, keep: impl Fn(&Resource) -> bool) -> Resources {
        Resources {
            items: self.items.iter().filter(|r| keep(r)).cloned().collect(),
        }
    }

    /// Resources reserved for `role` (either reservation format).
    pub fn reserved_for(&self, role: &str) -> Resources {
        self.filter(|r| r.reservation_role() == Some(role))
    }

    /// Unreserved resources.
    pub fn unreserved(&self) -> Resources {
        self.filter(|r| !r.is_reserved())
    }

    /// Resources allocated to `role` (`allocation_info.role`).
    pub fn allocated_to(&self, role: &str) -> Resources {
        self.filter(|r| r.allocation_info.as_ref().and_then(|a| a.role.as_deref()) == Some(role))
    }

    /// Total of the scalar resource `name` across all kinds.
    pub fn scalar(&self, name: &str) -> Option<f64> {
        let mut found = false;
        let mut total = 0;
        for r in self
            .items
            .iter()
            .filter(|r| r.name == name && value_type(r) == Some(ValueType::Scalar))
        {
            found = true;
            total += scalar::to_fixed(scalar_of(r));
        }
        found.then(|| scalar::from_fixed(total))
    }

    /// Total `cpus`.
    pub fn cpus(&self) -> Option<f64> {
        self.scalar("cpus")
    }

    /// Total `mem` in MB.
    pub fn mem(&self) -> Option<f64> {
        self.scalar("mem")
    }

    /// Total `disk` in MB.
    pub fn disk(&self) -> Option<f64> {
        self.scalar("disk")
    }

    /// Total `gpus`.
    pub fn gpus(&self) -> Option<f64> {
        self.scalar("gpus")
    }

    /// Union of the ranges resource `name` across all kinds.
    pub fn ranges(&self, name: &str) -> Vec<(u64, u64)> {
        let all = self
            .items
            .iter()
            .filter(|r| r.name == name)
            .flat_map(pairs_of);
        ranges::coalesce(all)
    }

    /// Union of `ports`.
    pub fn ports(&self) -> Vec<(u64, u64)> {
        self.ranges("ports")
    }

    /// Union of the set resource `name`.
    pub fn set_items(&self, name: &str) -> Vec<String> {
        self.items
            .iter()
            .filter(|r| r.name == name)
            .fold(Vec::new(), |acc, r| set::add(&acc, &items_of(r)))
    }
}

impl FromIterator<Resource> for Resources {
    fn from_iter<I: IntoIterator<Item = Resource>>(iter: I) -> Self {
        let mut out = Resources::new();
        for resource in iter {
            out.add(&resource);
        }
        out
    }
}

impl<'a> FromIterator<&'a Resource> for Resources {
    fn from_iter<I: IntoIterator<Item = &'a Resource>>(iter: I) -> Self {
        let mut out = Resources::new();
        for resource in iter {
            out.add(resource);
        }
        out
    }
}

impl From<Vec<Resource>> for Resources {
    fn from(items: Vec<Resource>) -> Self {
        items.into_iter().collect()
    }
}

impl From<&[Resource]> for Resources {
    fn from(items: &[Resource]) -> Self {
        items.iter().collect()
    }
}

impl std::fmt::Display for Resources {
    /// Mesos flag syntax: `cpus(*):2; mem:1024; ports:[31000-32000]`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .items
            .iter()
            .map(|r| {
                let name = match r.reservation_role() {
                    Some(role) => format!("{}({role})", r.name),
                    None => r.name.clone(),
                };
                let value = match value_type(r) {
                    Some(ValueType::Scalar) => scalar::normalize(scalar_of(r)).to_string(),
                    Some(ValueType::Ranges) => ranges::format(&pairs_of(r)),
                    Some(ValueType::Set) => format!("{{{}}}", items_of(r).join(", ")),
                    _ => String::new(),
                };
                format!("{name}:{value}")
            })
            .collect();
        f.write_str(&parts.join("; "))
    }
}
