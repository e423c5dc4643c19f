//! The small amount of resource bookkeeping the embedded master needs (unreserved `*`
//! resources only): sums, differences, containment, and the output shapes Mesos uses
//! (v1 `Resource` lists, the flat maps of the legacy endpoints, the text of validation errors).

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::local::json as j;

/// One named quantity.
#[derive(Debug, Clone, PartialEq)]
enum Amount {
    /// Thousandths, Mesos's fixed-point precision.
    Scalar(i64),
    Ranges(Vec<(u64, u64)>),
    Set(BTreeSet<String>),
}

/// An ordered bag of unreserved resources.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Res {
    items: Vec<(String, Amount)>,
}

fn milli(v: f64) -> i64 {
    (v * 1000.0).round() as i64
}

fn normalize_ranges(mut r: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    r.sort();
    let mut out: Vec<(u64, u64)> = Vec::new();
    for (b, e) in r {
        match out.last_mut() {
            Some(last) if b <= last.1.saturating_add(1) => last.1 = last.1.max(e),
            _ => out.push((b, e)),
        }
    }
    out
}

fn subtract_ranges(a: &[(u64, u64)], b: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut out = a.to_vec();
    for &(sb, se) in b {
        let mut next = Vec::new();
        for (b0, e0) in out {
            if se < b0 || sb > e0 {
                next.push((b0, e0));
                continue;
            }
            if sb > b0 {
                next.push((b0, sb - 1));
            }
            if se < e0 {
                next.push((se + 1, e0));
            }
        }
        out = next;
    }
    out
}

fn ranges_contain(a: &[(u64, u64)], b: &[(u64, u64)]) -> bool {
    b.iter()
        .all(|&(bb, be)| a.iter().any(|&(ab, ae)| ab <= bb && be <= ae))
}

/// Formats ranges as Mesos does: `[31000-32000, 33000-33000]`.
fn ranges_text(r: &[(u64, u64)]) -> String {
    let parts: Vec<String> = r.iter().map(|(b, e)| format!("{b}-{e}")).collect();
    format!("[{}]", parts.join(", "))
}

fn scalar_f64(m: i64) -> f64 {
    m as f64 / 1000.0
}

impl Res {
    /// Parses the agent `--resources` syntax (`cpus:2;mem:1024;ports:[31000-32000];x:{a,b}`),
    /// adding the defaults for cpus, mem, disk and ports that are missing.
    pub(crate) fn parse_flag(text: &str) -> Result<Res, String> {
        let mut res = Res::default();
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part
                .split_once(':')
                .ok_or_else(|| format!("Bad value for resources, missing ':' within {part}"))?;
            // `name(role)` is accepted; reservations are not modelled, the role is dropped.
            let name = name.split('(').next().unwrap_or(name).trim().to_string();
            let value = value.trim();
            let amount = if let Some(inner) =
                value.strip_prefix('[').and_then(|v| v.strip_suffix(']'))
            {
                let mut r = Vec::new();
                for piece in inner.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    let (b, e) = piece.split_once('-').unwrap_or((piece, piece));
                    let b = b.trim().parse().map_err(|_| format!("Bad range {piece}"))?;
                    let e = e.trim().parse().map_err(|_| format!("Bad range {piece}"))?;
                    r.push((b, e));
                }
                Amount::Ranges(normalize_ranges(r))
            } else if let Some(inner) = value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
                Amount::Set(
                    inner
                        .split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect(),
                )
            } else {
                let v: f64 = value
                    .parse()
                    .map_err(|_| format!("Bad scalar {value} for {name}"))?;
                Amount::Scalar(milli(v))
            };
            res.add_amount(&name, amount);
        }
        for (name, default) in [
            ("cpus", Amount::Scalar(2000)),
            ("mem", Amount::Scalar(1_024_000)),
            ("disk", Amount::Scalar(4_096_000)),
            ("ports", Amount::Ranges(vec![(31000, 32000)])),
        ] {
            if !res.items.iter().any(|(n, _)| n == name) {
                res.items.push((name.to_string(), default));
            }
        }
        Ok(res)
    }

    /// Reads a v1 `Resource` list (reservations and allocation info are ignored).
    pub(crate) fn from_json(list: &[Value]) -> Res {
        let mut res = Res::default();
        for r in list {
            let Some(name) = j::str_at(r, "name") else {
                continue;
            };
            let amount = match j::str_at(r, "type") {
                Some("RANGES") => Amount::Ranges(normalize_ranges(
                    j::array_at(r, "ranges.range")
                        .iter()
                        .filter_map(|x| {
                            Some((j::f64_at(x, "begin")? as u64, j::f64_at(x, "end")? as u64))
                        })
                        .collect(),
                )),
                Some("SET") => Amount::Set(
                    j::array_at(r, "set.item")
                        .iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect(),
                ),
                _ => Amount::Scalar(milli(j::f64_at(r, "scalar.value").unwrap_or(0.0))),
            };
            res.add_amount(name, amount);
        }
        res
    }

    fn add_amount(&mut self, name: &str, amount: Amount) {
        if let Some((_, have)) = self.items.iter_mut().find(|(n, _)| n == name) {
            match (have, amount) {
                (Amount::Scalar(a), Amount::Scalar(b)) => *a += b,
                (Amount::Ranges(a), Amount::Ranges(b)) => {
                    let mut all = a.clone();
                    all.extend(b);
                    *a = normalize_ranges(all);
                }
                (Amount::Set(a), Amount::Set(b)) => a.extend(b),
                _ => {}
            }
        } else {
            self.items.push((name.to_string(), amount));
        }
    }

    /// `self + other`.
    pub(crate) fn add(&mut self, other: &Res) {
        for (n, a) in &other.items {
            self.add_amount(n, a.clone());
        }
    }

    /// `self - other` (saturating; empty quantities vanish).
    pub(crate) fn subtract(&mut self, other: &Res) {
        for (n, b) in &other.items {
            if let Some((_, a)) = self.items.iter_mut().find(|(m, _)| m == n) {
                match (a, b) {
                    (Amount::Scalar(a), Amount::Scalar(b)) => *a = (*a - b).max(0),
                    (Amount::Ranges(a), Amount::Ranges(b)) => *a = subtract_ranges(a, b),
                    (Amount::Set(a), Amount::Set(b)) => a.retain(|x| !b.contains(x)),
                    _ => {}
                }
            }
        }
        self.items.retain(|(_, a)| match a {
            Amount::Scalar(v) => *v > 0,
            Amount::Ranges(r) => !r.is_empty(),
            Amount::Set(s) => !s.is_empty(),
        });
    }

    /// Whether `other` fits inside `self`.
    pub(crate) fn contains(&self, other: &Res) -> bool {
        other.items.iter().all(|(n, b)| {
            let have = self.items.iter().find(|(m, _)| m == n).map(|(_, a)| a);
            match (have, b) {
                (_, Amount::Scalar(0)) => true,
                (Some(Amount::Scalar(a)), Amount::Scalar(b)) => a >= b,
                (Some(Amount::Ranges(a)), Amount::Ranges(b)) => ranges_contain(a, b),
                (Some(Amount::Set(a)), Amount::Set(b)) => b.is_subset(a),
                (None, Amount::Ranges(b)) => b.is_empty(),
                (None, Amount::Set(b)) => b.is_empty(),
                _ => false,
            }
        })
    }

    /// Nothing in it.
    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// A scalar amount (0 when absent).
    pub(crate) fn scalar(&self, name: &str) -> f64 {
        self.items
            .iter()
            .find_map(|(n, a)| match a {
                Amount::Scalar(v) if n == name => Some(scalar_f64(*v)),
                _ => None,
            })
            .unwrap_or(0.0)
    }

    /// Whether an offer of this is worth making (`min_allocatable_resources` cpus:0.01|mem:32).
    pub(crate) fn allocatable(&self) -> bool {
        self.scalar("cpus") >= 0.01 || self.scalar("mem") >= 32.0
    }

    /// The same resources with non-scalars first, as the allocator hands them out.
    pub(crate) fn offer_order(&self) -> Res {
        let mut items: Vec<(String, Amount)> = self
            .items
            .iter()
            .filter(|(_, a)| !matches!(a, Amount::Scalar(_)))
            .cloned()
            .collect();
        items.extend(
            self.items
                .iter()
                .filter(|(_, a)| matches!(a, Amount::Scalar(_)))
                .cloned(),
        );
        Res { items }
    }

    /// A v1 `Resource` list. `role` adds `"role": "*"` (pre-refinement format);
    /// `allocation` adds `allocation_info` with that role.
    pub(crate) fn to_json(&self, role: bool, allocation: Option<&str>) -> Vec<Value> {
        self.items
            .iter()
            .map(|(n, a)| {
                let mut m = Map::new();
                m.insert("name".into(), json!(n));
                match a {
                    Amount::Scalar(v) => {
                        m.insert("type".into(), json!("SCALAR"));
                        m.insert("scalar".into(), json!({"value": scalar_f64(*v)}));
                    }
                    Amount::Ranges(r) => {
                        m.insert("type".into(), json!("RANGES"));
                        let range: Vec<Value> = r
                            .iter()
                            .map(|(b, e)| json!({"begin": b, "end": e}))
                            .collect();
                        m.insert("ranges".into(), json!({"range": range}));
                    }
                    Amount::Set(s) => {
                        m.insert("type".into(), json!("SET"));
                        m.insert("set".into(), json!({"item": s}));
                    }
                }
                if role {
                    m.insert("role".into(), json!("*"));
                }
                if let Some(r) = allocation {
                    m.insert("allocation_info".into(), json!({"role": r}));
                }
                Value::Object(m)
            })
            .collect()
    }

    /// The flat map of the legacy endpoints: disk, mem, gpus, cpus always present, ranges
    /// and sets as text only when `with_non_scalars`.
    pub(crate) fn flat(&self, with_non_scalars: bool) -> Value {
        let mut m = Map::new();
        for name in ["disk", "mem", "gpus", "cpus"] {
            m.insert(name.into(), json!(self.scalar(name)));
        }
        for (n, a) in &self.items {
            match a {
                Amount::Scalar(v) => {
                    m.insert(n.clone(), json!(scalar_f64(*v)));
                }
                Amount::Ranges(r) if with_non_scalars => {
                    m.insert(n.clone(), json!(ranges_text(r)));
                }
                Amount::Set(s) if with_non_scalars => {
                    let items: Vec<&str> = s.iter().map(String::as_str).collect();
                    m.insert(n.clone(), json!(format!("{{{}}}", items.join(", "))));
                }
                _ => {}
            }
        }
        Value::Object(m)
    }

    /// Mesos's text form, e.g. `cpus(allocated: *):2; ports(allocated: *):[31000-32000]`.
    pub(crate) fn display(&self, allocation: &str) -> String {
        self.items
            .iter()
            .map(|(n, a)| {
                let v = match a {
                    Amount::Scalar(v) => {
                        let f = scalar_f64(*v);
                        if f.fract() == 0.0 {
                            format!("{}", f as i64)
                        } else {
                            format!("{f}")
                        }
                    }
                    Amount::Ranges(r) => ranges_text(r),
                    Amount::Set(s) => {
                        let items: Vec<&str> = s.iter().map(String::as_str).collect();
                        format!("{{{}}}", items.join(", "))
                    }
                };
                format!("{n}(allocated: {allocation}):{v}")
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Parses the agent `--attributes` syntax (`rack:r2d2;pod:demo,dev`) into v1 `Attribute`s:
/// numbers are SCALAR, `[a-b]` RANGES, `{a,b}` SET, anything else TEXT.
pub(crate) fn parse_attributes(text: &str) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, value) = part
            .split_once(':')
            .ok_or_else(|| format!("Bad value for attributes, missing ':' within {part}"))?;
        let value = value.trim();
        let attr = if let Ok(v) = value.parse::<f64>() {
            json!({"name": name, "type": "SCALAR", "scalar": {"value": v}})
        } else if value.starts_with('[') {
            let r = Res::parse_flag(&format!("x:{value}"))?;
            let list = r.to_json(false, None);
            json!({"name": name, "type": "RANGES", "ranges": list[0]["ranges"]})
        } else if let Some(inner) = value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
            let items: Vec<&str> = inner.split(',').map(str::trim).collect();
            json!({"name": name, "type": "SET", "set": {"item": items}})
        } else {
            json!({"name": name, "type": "TEXT", "text": {"value": value}})
        };
        out.push(attr);
    }
    Ok(out)
}

/// The legacy endpoints' flat attribute map.
pub(crate) fn flat_attributes(attrs: &[Value]) -> Value {
    let mut m = Map::new();
    for a in attrs {
        let Some(name) = j::str_at(a, "name") else {
            continue;
        };
        let v = match j::str_at(a, "type") {
            Some("SCALAR") => json!(j::f64_at(a, "scalar.value").unwrap_or(0.0)),
            Some("TEXT") => json!(j::str_at(a, "text.value").unwrap_or("")),
            _ => {
                let r = Res::from_json(&[{
                    let mut x = a.clone();
                    x["name"] = json!("x");
                    x
                }]);
                r.flat(true).get("x").cloned().unwrap_or(Value::Null)
            }
        };
        m.insert(name.to_string(), v);
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_flag_and_arithmetic() {
        let total = Res::parse_flag(crate::local::config::DEFAULT_RESOURCES).unwrap();
        assert_eq!(total.scalar("cpus"), 2.0);
        let task = Res::from_json(&[
            json!({"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}}),
            json!({"name": "mem", "type": "SCALAR", "scalar": {"value": "32"}}),
            json!({"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 31000, "end": 31000}]}}),
        ]);
        assert!(total.contains(&task));
        let mut left = total.clone();
        left.subtract(&task);
        assert_eq!(left.scalar("cpus"), 1.9);
        assert!(!left.contains(&task));
        assert_eq!(left.flat(true)["ports"], json!("[31001-32000]"));
        left.add(&task);
        assert_eq!(left.scalar("cpus"), 2.0);
        assert_eq!(left.flat(true)["ports"], json!("[31000-32000]"));
        assert_eq!(
            task.display("*"),
            "cpus(allocated: *):0.1; mem(allocated: *):32; ports(allocated: *):[31000-31000]"
        );
    }

    #[test]
    fn attributes() {
        let a = parse_attributes("rack:r2d2;pod:demo,dev;level:3").unwrap();
        assert_eq!(a[0]["text"]["value"], "r2d2");
        assert_eq!(a[1]["text"]["value"], "demo,dev");
        assert_eq!(a[2]["scalar"]["value"], 3.0);
        assert_eq!(flat_attributes(&a)["rack"], "r2d2");
    }
}
