//! How the embedded master reads and shows resources. The arithmetic is
//! `mesos_lib::resources`; this only adapts it to what the master models (unreserved `*`
//! resources, merged by name) and to the shapes Mesos prints (v1 lists with `role`
//! and `allocation_info`, the flat maps of the legacy endpoints, validation texts).

use serde_json::{Map, Value, json};

use crate::json as j;
use mesos_lib::resources::{Resources, parse_resources, ranges};
use mesos_lib::v1::resources::{Attribute, Resource, ValueType};

/// An agent's `--resources`, with the cpus/mem/disk/ports defaults an agent adds when absent.
/// Roles are dropped: reservations are not modelled.
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

/// Reads a v1 `Resource` list from a request leniently (numbers may be strings, as
/// Mesos's JSON parser allows), ignoring reservations and allocation info.
pub(crate) fn from_json(list: &[Value]) -> Resources {
    list.iter()
        .filter_map(|r| {
            let name = j::str_at(r, "name")?;
            Some(match j::str_at(r, "type") {
                Some("RANGES") => Resource::ranges(
                    name,
                    j::array_at(r, "ranges.range").iter().filter_map(|x| {
                        Some((j::f64_at(x, "begin")? as u64, j::f64_at(x, "end")? as u64))
                    }),
                ),
                Some("SET") => Resource::set(
                    name,
                    j::array_at(r, "set.item")
                        .iter()
                        .filter_map(|s| s.as_str().map(str::to_string)),
                ),
                _ => Resource::scalar(name, j::f64_at(r, "scalar.value").unwrap_or(0.0)),
            })
        })
        .collect()
}

/// Whether an offer of this is worth making (`min_allocatable_resources` cpus:0.01|mem:32).
pub(crate) fn allocatable(r: &Resources) -> bool {
    r.cpus().unwrap_or(0.0) >= 0.01 || r.mem().unwrap_or(0.0) >= 32.0
}

fn is_scalar(r: &Resource) -> bool {
    r.value_type == Some(ValueType::Scalar)
}

/// The same resources with non-scalars first, as the allocator hands them out.
pub(crate) fn offer_order(r: &Resources) -> Resources {
    r.iter()
        .filter(|x| !is_scalar(x))
        .chain(r.iter().filter(|x| is_scalar(x)))
        .collect()
}

/// The v1 list: `role` adds `"role": "*"` (pre-refinement format), `allocation` adds
/// `allocation_info` with that role.
pub(crate) fn to_list(r: &Resources, role: bool, allocation: Option<&str>) -> Vec<Resource> {
    r.iter()
        .map(|x| {
            let mut x = x.clone();
            if role {
                x.role = Some("*".into());
            }
            if let Some(a) = allocation {
                x = x.with_allocation_role(a);
            }
            x
        })
        .collect()
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

/// Mesos's text form of allocated resources, e.g.
/// `cpus(allocated: *):2; ports(allocated: *):[31000-32000]`.
pub(crate) fn display(r: &Resources, allocation: &str) -> String {
    r.iter()
        .map(|x| {
            let v = match x.value_type {
                Some(ValueType::Ranges) => ranges::format(&r.ranges(&x.name)),
                Some(ValueType::Set) => set_text(&r.set_items(&x.name)),
                _ => scalar_text(r.scalar(&x.name).unwrap_or(0.0)),
            };
            format!("{}(allocated: {allocation}):{v}", x.name)
        })
        .collect::<Vec<_>>()
        .join("; ")
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

    #[test]
    fn default_flag_and_views() {
        let total = agent_total("cpus(*):2").unwrap();
        assert_eq!(total.cpus(), Some(2.0));
        assert_eq!(total.mem(), Some(1024.0));
        let task = from_json(&[
            json!({"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}}),
            json!({"name": "mem", "type": "SCALAR", "scalar": {"value": "32"}}),
            json!({"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 31000, "end": 31000}]}}),
        ]);
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
    fn allocatable_threshold() {
        assert!(!allocatable(&from_json(&[
            json!({"name": "cpus", "scalar": {"value": 0.001}})
        ])));
        assert!(allocatable(&from_json(&[
            json!({"name": "mem", "scalar": {"value": 32}})
        ])));
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
