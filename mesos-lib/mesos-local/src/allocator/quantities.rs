//! Scalar resource quantities by name (`ResourceQuantities`), a role's quota made of them
//! (`Quota`), and `--min_allocatable_resources` (a list of quantities, any one of which an
//! offer must contain).

use std::collections::BTreeMap;

use mesos_lib::resources::Resources;
use mesos_lib::resources::scalar;
use mesos_lib::v1::resources::ValueType;

/// Scalar quantities by resource name (`ResourceQuantities`).
pub type Quantities = BTreeMap<String, f64>;

/// One role's quota (`Quota`): guarantees and limits; both empty is the default (no quota).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QuotaConfig {
    /// What the role is guaranteed (offered first, held back from others).
    pub guarantees: Quantities,
    /// What the role may never exceed (a name left out is unlimited).
    pub limits: Quantities,
}

impl QuotaConfig {
    /// Whether this is the default quota, which constrains nothing.
    pub fn is_default(&self) -> bool {
        self.guarantees.is_empty() && self.limits.is_empty()
    }
}

/// The scalar quantities of `r` by name, zeros left out.
pub fn quantities_of(r: &Resources) -> Quantities {
    let mut out = Quantities::new();
    for x in r.iter().filter(|x| x.value_type == Some(ValueType::Scalar)) {
        if let Some(v) = x.scalar.as_ref().map(|s| s.value) {
            *out.entry(x.name.clone()).or_default() += v;
        }
    }
    out.retain(|_, v| *v > 0.0);
    out
}

/// `a += b`.
pub fn add(a: &mut Quantities, b: &Quantities) {
    for (k, v) in b {
        *a.entry(k.clone()).or_default() += v;
    }
}

/// `a -= b`, never below zero, zeros dropped.
pub fn subtract(a: &mut Quantities, b: &Quantities) {
    for (k, v) in b {
        if let Some(x) = a.get_mut(k) {
            *x = scalar::subtract(*x, *v).max(0.0);
        }
    }
    a.retain(|_, v| *v > 0.0);
}

/// `a - b`, never below zero, zeros dropped.
pub fn minus(a: &Quantities, b: &Quantities) -> Quantities {
    let mut out = a.clone();
    subtract(&mut out, b);
    out
}

/// `--min_allocatable_resources`: sets of quantities (`cpus:0.01|mem:32`); resources are
/// worth offering when they contain every quantity of at least one set. No set at all
/// (the flag set to "") lets anything non-empty through.
#[derive(Clone, Debug, PartialEq)]
pub struct MinAllocatable(Vec<Quantities>);

/// The master's default: `cpus:0.01|mem:32` (`MIN_CPUS`, `MIN_MEM`).
pub const DEFAULT_MIN_ALLOCATABLE: &str = "cpus:0.01|mem:32";

impl Default for MinAllocatable {
    fn default() -> Self {
        MinAllocatable::parse(DEFAULT_MIN_ALLOCATABLE).expect("the default parses")
    }
}

impl MinAllocatable {
    /// Reads the flag as the master does (`ResourceQuantities::fromString` per `|` token);
    /// the error is the master's start-up text.
    pub fn parse(flag: &str) -> Result<MinAllocatable, String> {
        let mut sets = Vec::new();
        for token in flag.split('|').filter(|t| !t.is_empty()) {
            let set = parse_quantities(token)
                .map_err(|e| format!("Error parsing min_allocatable_resources '{flag}': {e}"))?;
            sets.push(set);
        }
        Ok(MinAllocatable(sets))
    }

    /// The sets given (a framework's `offer_filters[role].min_allocatable_resources`).
    pub fn from_sets(sets: Vec<Quantities>) -> MinAllocatable {
        MinAllocatable(sets)
    }

    /// Whether `r` is worth offering (`HierarchicalAllocatorProcess::allocatable`).
    pub fn allows(&self, r: &Resources) -> bool {
        if r.is_empty() {
            return false;
        }
        self.0.is_empty() || self.0.iter().any(|set| contains_quantities(r, set))
    }
}

/// One `name:value;name:value` set; zeros are dropped, as Mesos drops them.
fn parse_quantities(text: &str) -> Result<Quantities, String> {
    let mut out = Quantities::new();
    for token in text.split(';').filter(|t| !t.is_empty()) {
        let pair: Vec<&str> = token.split(':').filter(|p| !p.is_empty()).collect();
        let [name, value] = pair.as_slice() else {
            return Err(format!("Failed to parse '{token}': missing or extra ':'"));
        };
        let value: f64 = value.trim().parse().map_err(|_| {
            format!("Failed to parse '{value}' to quantity: only scalar values are allowed")
        })?;
        if value < 0.0 {
            return Err(format!(
                "Failed to parse '{}' to quantity: negative values are not allowed",
                pair[1]
            ));
        }
        if value > 0.0 {
            *out.entry(name.trim().to_string()).or_default() += value;
        }
    }
    Ok(out)
}

/// `Resources::contains(ResourceQuantities)`: a scalar counts its value, a set its items,
/// ranges the numbers they hold.
fn contains_quantities(r: &Resources, wanted: &Quantities) -> bool {
    wanted.iter().all(|(name, want)| {
        let have: f64 = r
            .iter()
            .filter(|x| &x.name == name)
            .map(|x| match x.value_type {
                Some(ValueType::Scalar) => x.scalar.as_ref().map_or(0.0, |s| s.value),
                Some(ValueType::Set) => x.set.as_ref().map_or(0, |s| s.item.len()) as f64,
                Some(ValueType::Ranges) => x.ranges.as_ref().map_or(0.0, |rs| {
                    rs.range
                        .iter()
                        .map(|g| (g.end.saturating_sub(g.begin) + 1) as f64)
                        .sum()
                }),
                _ => 0.0,
            })
            .sum();
        scalar::less_or_equal(*want, have)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesos_lib::v1::resources::Resource;

    #[test]
    fn quantities_subtract_without_going_negative() {
        let a: Quantities = [("cpus".to_string(), 1.0), ("mem".to_string(), 64.0)].into();
        let b: Quantities = [("cpus".to_string(), 2.0)].into();
        assert_eq!(minus(&a, &b), [("mem".to_string(), 64.0)].into());
    }

    #[test]
    fn the_default_minimum_needs_a_hundredth_of_a_cpu_or_32_mb() {
        let min = MinAllocatable::default();
        let r = |cpus: f64, mem: f64| {
            Resources::from(vec![
                Resource::scalar("cpus", cpus),
                Resource::scalar("mem", mem),
            ])
        };
        assert!(min.allows(&r(0.01, 0.0)));
        assert!(min.allows(&r(0.0, 32.0)));
        assert!(!min.allows(&r(0.005, 31.0)));
        assert!(!min.allows(&Resources::new()));
    }

    #[test]
    fn sets_are_alternatives_and_their_quantities_all_needed() {
        let min = MinAllocatable::parse("cpus:1;mem:128|disk:1024").unwrap();
        let r = Resources::from(vec![
            Resource::scalar("cpus", 2.0),
            Resource::scalar("mem", 64.0),
        ]);
        assert!(!min.allows(&r));
        let mut more = r.clone();
        more.add(&Resource::scalar("mem", 64.0));
        assert!(min.allows(&more));
        assert!(min.allows(&Resources::from(vec![Resource::scalar("disk", 2048.0)])));
        // An empty flag: anything non-empty is worth offering.
        assert!(MinAllocatable::parse("").unwrap().allows(&r));
    }

    #[test]
    fn bad_flags_are_refused_with_the_masters_text() {
        assert_eq!(
            MinAllocatable::parse("cpus").unwrap_err(),
            "Error parsing min_allocatable_resources 'cpus': Failed to parse 'cpus': missing or extra ':'"
        );
        assert_eq!(
            MinAllocatable::parse("cpus:-1").unwrap_err(),
            "Error parsing min_allocatable_resources 'cpus:-1': Failed to parse '-1' to quantity: negative values are not allowed"
        );
    }
}
