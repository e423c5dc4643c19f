//! How the embedded master reads and shows resources. The arithmetic is
//! `mesos_lib::resources`; this only adapts it to what the master models (resources merged
//! by name and reservation, kept in the reservation-refinement format, allocation kept apart)
//! and to the shapes Mesos prints (v1 lists in the pre-refinement, endpoint or refinement
//! format with `allocation_info`, the flat maps of the legacy endpoints, validation texts).

use serde_json::{Map, Value, json};

use mesos_lib::resources::{Resources, parse_resources, ranges};
use mesos_lib::v1::common::Labels;
use mesos_lib::v1::container::Volume;
use mesos_lib::v1::resources::{
    Attribute, DiskInfo, Persistence, ReservationInfo, ReservationType, Resource, ValueType,
};

/// An agent's `--resources`, with the cpus/mem/disk/ports defaults an agent adds when absent.
/// Static roles are dropped: only dynamic reservations are modelled.
pub(crate) fn agent_total(flag: &str) -> Result<Resources, String> {
    let mut total = Resources::from(parse_resources(flag).map_err(|e| e.to_string())?).flatten();
    for default in [
        Resource::scalar("cpus", 2.0),
        Resource::scalar("mem", 1024.0),
        Resource::scalar("disk", 4096.0),
        Resource::ranges("ports", [(31000, 32000)]),
    ] {
        if !total.iter().any(|r| r.name == default.name) {
            total.add(&default);
        }
    }
    Ok(total)
}

/// What the master models of a v1 `Resource` list (a TaskInfo's, an operation's): name,
/// value, reservations (upgraded to the refinement format, see `reservation_stack`) and a
/// persistent volume's `disk`; allocation info and the rest are left out.
pub(crate) fn from_typed(list: &[Resource]) -> Resources {
    list.iter()
        .map(|r| {
            let name = r.name.as_str();
            let mut x = match r.value_type {
                Some(ValueType::Ranges) => Resource::ranges(
                    name,
                    r.ranges
                        .iter()
                        .flat_map(|x| &x.range)
                        .map(|x| (x.begin, x.end)),
                ),
                Some(ValueType::Set) => Resource::set(name, r.set.iter().flat_map(|s| &s.item)),
                _ => Resource::scalar(name, r.scalar.as_ref().map_or(0.0, |s| s.value)),
            };
            x.reservations = reservation_stack(r);
            x.disk = r.disk.as_ref().and_then(|d| {
                let p = d.persistence.as_ref()?;
                Some(DiskInfo {
                    persistence: Some(Persistence {
                        id: p.id.clone(),
                        principal: p.principal.clone(),
                        extra: Default::default(),
                    }),
                    volume: d.volume.as_ref().map(|v| Volume {
                        mode: v.mode.clone(),
                        container_path: v.container_path.clone(),
                        host_path: v.host_path.clone(),
                        ..Default::default()
                    }),
                    extra: Default::default(),
                })
            });
            x
        })
        .collect()
}

/// The reservation stack of a v1 resource in either format, as Mesos upgrades it
/// (`convertResourceFormat(POST_RESERVATION_REFINEMENT)`): `reservations` as given; else a
/// `role` other than `*` is one reservation, DYNAMIC with `reservation`'s principal and
/// labels when that is set, STATIC otherwise.
pub(crate) fn reservation_stack(r: &Resource) -> Vec<ReservationInfo> {
    let kept = |x: &ReservationInfo| ReservationInfo {
        extra: Default::default(),
        ..x.clone()
    };
    if !r.reservations.is_empty() {
        return r.reservations.iter().map(kept).collect();
    }
    match r.role.as_deref() {
        None | Some("*") => Vec::new(),
        Some(role) => vec![ReservationInfo {
            reservation_type: Some(if r.reservation.is_some() {
                ReservationType::Dynamic
            } else {
                ReservationType::Static
            }),
            role: Some(role.to_string()),
            principal: r.reservation.as_ref().and_then(|d| d.principal.clone()),
            labels: r.reservation.as_ref().and_then(|d| d.labels.clone()),
            extra: Default::default(),
        }],
    }
}

/// The persistence ID of a persistent volume.
pub(crate) fn persistence_id(r: &Resource) -> Option<&str> {
    r.disk.as_ref()?.persistence.as_ref().map(|p| p.id.as_str())
}

/// `r` with each persistent volume's `disk` taken from the volume with the same
/// persistence ID and reservations in `pool`: Mesos compares volumes by persistence ID
/// alone (`operator==(DiskInfo)`), so a task may name its own container path.
pub(crate) fn volumes_as_in(r: &Resources, pool: &Resources) -> Resources {
    r.iter()
        .map(|x| {
            let mut x = x.clone();
            let same = |p: &&Resource| {
                persistence_id(p).is_some()
                    && persistence_id(p) == persistence_id(&x)
                    && p.reservations == x.reservations
            };
            if let Some(found) = pool.iter().find(same) {
                x.disk = found.disk.clone();
            }
            x
        })
        .collect()
}

/// Whether `pool` holds each persistent volume of `r` whole: a volume is subtracted only
/// when equal (`subtractable`), never in part.
pub(crate) fn volumes_whole(r: &Resources, pool: &Resources) -> bool {
    r.iter()
        .filter(|x| persistence_id(x).is_some())
        .all(|x| pool.iter().any(|p| p == x))
}

/// Whether a framework in `role` may be offered `r` (`Resources::isAllocatableTo`):
/// unreserved, reserved to `role`, or reserved to an ancestor of it.
pub(crate) fn allocatable_to(r: &Resource, role: &str) -> bool {
    match r.reservation_role() {
        None => true,
        Some(reserved) => {
            role == reserved
                || role
                    .strip_prefix(reserved)
                    .is_some_and(|rest| rest.starts_with('/'))
        }
    }
}

/// Whether the top of `r`'s reservation stack is DYNAMIC (`Resources::isDynamicallyReserved`).
pub(crate) fn dynamically_reserved(r: &Resource) -> bool {
    r.reservations
        .last()
        .is_some_and(|x| x.reservation_type == Some(ReservationType::Dynamic))
}

/// `r` split by reservation role (`Resources::reservations()`), roles in order.
pub(crate) fn by_reservation_role(r: &Resources) -> std::collections::BTreeMap<String, Resources> {
    let mut out: std::collections::BTreeMap<String, Resources> = Default::default();
    for x in r.iter() {
        if let Some(role) = x.reservation_role() {
            out.entry(role.to_string()).or_default().add(x);
        }
    }
    out
}

fn is_scalar(r: &Resource) -> bool {
    r.value_type == Some(ValueType::Scalar)
}

/// The same resources in the order the allocator hands them out: reserved and non-scalar
/// ones first, then unreserved scalars (both in the agent's order).
pub(crate) fn offer_order(r: &Resources) -> Resources {
    let first = |x: &Resource| x.is_reserved() || !is_scalar(x);
    r.iter()
        .filter(|x| first(x))
        .chain(r.iter().filter(|x| !first(x)))
        .collect()
}

/// The formats Mesos writes resources in (`ResourceFormat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// `role` (`*` when unreserved) and `reservation`, no `reservations`: for frameworks
    /// without RESERVATION_REFINEMENT.
    Pre,
    /// Both: `role` and `reservation` where one reservation allows, and `reservations`.
    Endpoint,
    /// `reservations` only.
    Post,
}

/// The v1 list: `role` writes the endpoint format (else the refinement format),
/// `allocation` adds `allocation_info` with that role.
pub(crate) fn to_list(r: &Resources, role: bool, allocation: Option<&str>) -> Vec<Resource> {
    let format = if role { Format::Endpoint } else { Format::Post };
    to_list_as(r, format, allocation)
}

/// The v1 list in `format`, with `allocation_info` for `allocation`.
pub(crate) fn to_list_as(r: &Resources, format: Format, allocation: Option<&str>) -> Vec<Resource> {
    r.iter()
        .map(|x| {
            let mut x = x.clone();
            if format != Format::Post {
                with_legacy_fields(&mut x, format);
            }
            if let Some(a) = allocation {
                x = x.with_allocation_role(a);
            }
            x
        })
        .collect()
}

/// Adds the pre-refinement `role` and `reservation` (`convertResourceFormat`).
fn with_legacy_fields(x: &mut Resource, format: Format) {
    match x.reservations.as_slice() {
        [] => x.role = Some("*".into()),
        [only] => {
            if only.reservation_type == Some(ReservationType::Dynamic) {
                x.reservation = Some(ReservationInfo {
                    principal: only.principal.clone(),
                    labels: only.labels.clone(),
                    ..Default::default()
                });
            }
            x.role = only.role.clone();
            if format == Format::Pre {
                x.reservations.clear();
            }
        }
        _ => {}
    }
}

fn set_text(items: &[String]) -> String {
    format!("{{{}}}", items.join(", "))
}

/// A scalar as Mesos prints it: `2`, `0.1`.
fn scalar_text(v: f64) -> String {
    mesos_lib::resources::scalar::normalize(v).to_string()
}

/// The flat map of the legacy endpoints: disk, mem, gpus, cpus always present, ranges
/// and sets as text only when `with_non_scalars`.
pub(crate) fn flat(r: &Resources, with_non_scalars: bool) -> Value {
    let mut m = Map::new();
    for name in ["disk", "mem", "gpus", "cpus"] {
        m.insert(name.into(), json!(r.scalar(name).unwrap_or(0.0)));
    }
    for x in r.iter() {
        let v = match x.value_type {
            Some(ValueType::Scalar) => json!(r.scalar(&x.name).unwrap_or(0.0)),
            Some(ValueType::Ranges) if with_non_scalars => {
                json!(ranges::format(&r.ranges(&x.name)))
            }
            Some(ValueType::Set) if with_non_scalars => json!(set_text(&r.set_items(&x.name))),
            _ => continue,
        };
        m.insert(x.name.clone(), v);
    }
    Value::Object(m)
}

/// `{role: flat map}` of the reserved part of `r` (`reserved_resources`).
pub(crate) fn reserved_flat(r: &Resources) -> Value {
    let m: Map<String, Value> = by_reservation_role(r)
        .into_iter()
        .map(|(role, x)| (role, flat(&x, true)))
        .collect();
    Value::Object(m)
}

/// `{role: [Resource]}` of the reserved part of `r`, endpoint format (`reserved_resources_full`).
pub(crate) fn reserved_full(r: &Resources) -> Value {
    let m: Map<String, Value> = by_reservation_role(r)
        .into_iter()
        .map(|(role, x)| (role, json!(to_list(&x, true, None))))
        .collect();
    Value::Object(m)
}

/// Mesos's text form of allocated resources, e.g.
/// `cpus(allocated: *):2; ports(allocated: *):[31000-32000]`.
pub(crate) fn display(r: &Resources, allocation: &str) -> String {
    text(r, Some(allocation))
}

/// Mesos's text form of resources (`operator<<`), `{}` when empty:
/// `cpus(allocated: web)(reservations: [(DYNAMIC,web,ops)]):1; mem:64`.
pub(crate) fn text(r: &Resources, allocation: Option<&str>) -> String {
    if r.is_empty() {
        return "{}".into();
    }
    r.iter()
        .map(|x| resource_text(x, allocation))
        .collect::<Vec<_>>()
        .join("; ")
}

/// One resource as Mesos prints it.
pub(crate) fn resource_text(x: &Resource, allocation: Option<&str>) -> String {
    let mut out = x.name.clone();
    if let Some(a) = allocation {
        out.push_str(&format!("(allocated: {a})"));
    }
    if !x.reservations.is_empty() {
        let items: Vec<String> = x.reservations.iter().map(reservation_text).collect();
        out.push_str(&format!("(reservations: [{}])", items.join(",")));
    }
    if let Some(d) = &x.disk {
        out.push_str(&format!("[{}]", disk_text(d)));
    }
    let v = match x.value_type {
        Some(ValueType::Ranges) => {
            ranges::format(&x.ranges.as_ref().map(ranges::pairs).unwrap_or_default())
        }
        Some(ValueType::Set) => {
            set_text(&x.set.as_ref().map(|s| s.item.clone()).unwrap_or_default())
        }
        _ => scalar_text(x.scalar.as_ref().map_or(0.0, |s| s.value)),
    };
    format!("{out}:{v}")
}

/// A DiskInfo as Mesos prints it: `vol1:data` (persistence ID, then the volume).
fn disk_text(d: &DiskInfo) -> String {
    let mut out = d
        .persistence
        .as_ref()
        .map_or("", |p| p.id.as_str())
        .to_string();
    if let Some(v) = &d.volume {
        out.push(':');
        match &v.host_path {
            Some(host) => {
                out.push_str(&format!("{host}:{}", v.container_path));
                match v.mode.as_ref().map(|m| m.as_str()) {
                    Some("RW") => out.push_str(":rw"),
                    Some("RO") => out.push_str(":ro"),
                    _ => {}
                }
            }
            None => out.push_str(&v.container_path),
        }
    }
    out
}

/// `(DYNAMIC,web,ops,{k: v})`.
fn reservation_text(r: &ReservationInfo) -> String {
    let ty = r
        .reservation_type
        .as_ref()
        .map_or("UNKNOWN", |t| t.as_str());
    let mut out = format!("({ty},{}", r.role.as_deref().unwrap_or("*"));
    if let Some(p) = &r.principal {
        out.push_str(&format!(",{p}"));
    }
    if let Some(l) = &r.labels {
        out.push_str(&format!(",{}", labels_text(l)));
    }
    out.push(')');
    out
}

/// Labels as Mesos prints them: `{k: v, k2}`.
pub(crate) fn labels_text(l: &Labels) -> String {
    let items: Vec<String> = l
        .labels
        .iter()
        .map(|x| match &x.value {
            Some(v) => format!("{}: {v}", x.key),
            None => x.key.clone(),
        })
        .collect();
    format!("{{{}}}", items.join(", "))
}

/// The legacy endpoints' flat attribute map.
pub(crate) fn flat_attributes(attrs: &[Attribute]) -> Value {
    let mut m = Map::new();
    for a in attrs {
        let v = match a.value_type {
            Some(ValueType::Scalar) => json!(a.scalar.as_ref().map_or(0.0, |s| s.value)),
            Some(ValueType::Text) => json!(a.text.as_ref().map_or("", |t| t.value.as_str())),
            Some(ValueType::Ranges) => json!(ranges::format(
                &a.ranges.as_ref().map(ranges::pairs).unwrap_or_default()
            )),
            Some(ValueType::Set) => {
                json!(set_text(
                    &a.set.as_ref().map(|s| s.item.clone()).unwrap_or_default()
                ))
            }
            _ => Value::Null,
        };
        m.insert(a.name.clone(), v);
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(list: &[Value]) -> Vec<Resource> {
        list.iter()
            .map(|r| serde_json::from_value(r.clone()).unwrap())
            .collect()
    }

    #[test]
    fn a_list_keeps_what_the_master_models() {
        let list = [
            json!({"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.5}, "role": "web",
                "reservation": {"principal": "p", "labels": {"labels": [{"key": "k"}]}},
                "allocation_info": {"role": "web"}}),
            json!({"name": "disk", "type": "SCALAR", "scalar": {"value": 64},
                "reservations": [{"type": "DYNAMIC", "role": "db", "principal": "q"}],
                "disk": {"persistence": {"id": "v1", "principal": "q"},
                         "volume": {"mode": "RW", "container_path": "data"}}}),
            json!({"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 1, "end": 3}]}}),
        ];
        let kept = from_typed(&typed(&list)).into_vec();
        // The pre-refinement role and reservation upgraded to one DYNAMIC reservation.
        let cpus = kept.iter().find(|r| r.name == "cpus").unwrap();
        assert_eq!(cpus.reservations.len(), 1);
        assert_eq!(
            cpus.reservations[0].reservation_type,
            Some(ReservationType::Dynamic)
        );
        assert_eq!(cpus.reservations[0].principal.as_deref(), Some("p"));
        assert!(cpus.reservations[0].labels.is_some());
        assert!(cpus.role.is_none() && cpus.allocation_info.is_none());
        let disk = kept.iter().find(|r| r.name == "disk").unwrap();
        assert_eq!(persistence_id(disk), Some("v1"));
        let ports = kept.iter().find(|r| r.name == "ports").unwrap();
        assert_eq!(ports.ranges.as_ref().unwrap().range[0].end, 3);
    }

    #[test]
    fn default_flag_and_views() {
        let total = agent_total("cpus(*):2").unwrap();
        assert_eq!(total.cpus(), Some(2.0));
        assert_eq!(total.mem(), Some(1024.0));
        let task = from_typed(&typed(&[
            json!({"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}}),
            json!({"name": "mem", "type": "SCALAR", "scalar": {"value": "32"}}),
            json!({"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 31000, "end": 31000}]}}),
        ]));
        assert!(total.contains(&task));
        let mut left = total.clone();
        left.subtract_all(&task);
        assert_eq!(left.cpus(), Some(1.9));
        assert!(!left.contains(&task));
        assert_eq!(flat(&left, true)["ports"], json!("[31001-32000]"));
        assert_eq!(flat(&left, false).get("ports"), None);
        assert_eq!(
            display(&task, "*"),
            "cpus(allocated: *):0.1; mem(allocated: *):32; ports(allocated: *):[31000-31000]"
        );
        let order: Vec<String> = offer_order(&total).iter().map(|r| r.name.clone()).collect();
        assert_eq!(order, ["ports", "cpus", "mem", "disk"]);
        let listed = serde_json::to_value(to_list(&task, true, Some("web"))).unwrap();
        assert_eq!(listed[0]["role"], "*");
        assert_eq!(listed[0]["allocation_info"]["role"], "web");
    }

    #[test]
    fn attributes_flatten() {
        let a = mesos_lib::resources::parse_attributes("rack:r2d2;pod:demo,dev;level:3;ids:[1-5]")
            .unwrap();
        let f = flat_attributes(&a);
        assert_eq!(f["rack"], "r2d2");
        assert_eq!(f["pod"], "demo,dev");
        assert_eq!(f["level"], 3.0);
        assert_eq!(f["ids"], "[1-5]");
    }
}
