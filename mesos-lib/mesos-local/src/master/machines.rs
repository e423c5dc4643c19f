//! Machines as the master knows them for maintenance (`Master::machines` and the schedule):
//! MachineIDs matched as Mesos matches them, each machine's mode and unavailability, and the
//! schedule's checks with Mesos's texts (`master/maintenance.cpp`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use serde_json::{Map, Value, json};

use crate::agent::Agent;
use crate::json as j;

/// A `MachineID`: hostname and/or IP. Two match when both have the same fields set, the
/// hostnames agree ignoring case and the IPs agree exactly (`operator==` in type_utils).
#[derive(Debug, Clone)]
pub(crate) struct MachineId {
    pub hostname: Option<String>,
    pub ip: Option<String>,
}

impl MachineId {
    /// The MachineID a JSON object names (other fields ignored).
    pub(crate) fn from_json(v: &Value) -> MachineId {
        MachineId {
            hostname: j::str_at(v, "hostname").map(str::to_string),
            ip: j::str_at(v, "ip").map(str::to_string),
        }
    }

    /// The machine an agent runs on: its hostname and the IP it registered from.
    pub(crate) fn of_agent(agent: &Agent) -> MachineId {
        MachineId {
            hostname: Some(agent.hostname.clone()),
            ip: Some(agent.ip.to_string()),
        }
    }

    /// Whether two IDs name the same machine.
    pub(crate) fn matches(&self, other: &MachineId) -> bool {
        let host = |m: &MachineId| m.hostname.as_ref().map(|h| h.to_lowercase());
        host(self) == host(other) && self.ip == other.ip
    }

    /// `{"hostname": …, "ip": …}` in proto order.
    pub(crate) fn json(&self) -> Value {
        let mut m = Map::new();
        if let Some(h) = &self.hostname {
            m.insert("hostname".into(), json!(h));
        }
        if let Some(ip) = &self.ip {
            m.insert("ip".into(), json!(ip));
        }
        Value::Object(m)
    }

    /// As the master quotes one in errors: its compact JSON.
    pub(crate) fn quoted(&self) -> String {
        self.json().to_string()
    }

    /// As the master logs one (`operator<<`): `host (ip)`, `host` or `(ip)`.
    pub(crate) fn display(&self) -> String {
        match (&self.hostname, &self.ip) {
            (Some(h), Some(ip)) => format!("{h} ({ip})"),
            (Some(h), None) => h.clone(),
            (None, ip) => format!("({})", ip.as_deref().unwrap_or("")),
        }
    }
}

/// `MachineInfo.Mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Up,
    Draining,
    Down,
}

/// One machine: its ID, mode and planned unavailability.
#[derive(Debug, Clone)]
pub(crate) struct Machine {
    pub id: MachineId,
    pub mode: Mode,
    /// `Unavailability` as JSON (`start`, `duration`), while scheduled.
    pub unavailability: Option<Value>,
}

/// What a framework answered to an inverse offer, kept per agent (the allocator's
/// `InverseOfferStatus`).
#[derive(Default)]
pub(crate) struct Responses {
    /// Frameworks holding an unanswered inverse offer for the agent.
    pub outstanding: BTreeSet<String>,
    /// Each framework's latest answer: `{status, framework_id, timestamp}`.
    pub statuses: BTreeMap<String, Value>,
}

/// An outstanding inverse offer.
pub(crate) struct InverseOffer {
    pub framework_id: String,
    pub agent_id: String,
}

/// The maintenance state: the schedule and machines are kept across a master restart (the
/// registry holds them); answers and inverse offers are not (the allocator's).
#[derive(Default)]
pub(crate) struct Maintenance {
    /// The schedule's windows, normalised; empty when there is no schedule.
    pub windows: Vec<Value>,
    /// Every machine the master knows (its agents', and every one scheduled), in the order
    /// first seen.
    pub machines: Vec<Machine>,
    /// Inverse-offer answers by agent, for agents on machines with an unavailability.
    pub responses: BTreeMap<String, Responses>,
    /// Outstanding inverse offers by ID.
    pub inverse_offers: BTreeMap<String, InverseOffer>,
    /// Refuse filters of declined or accepted inverse offers, by (framework, agent).
    pub filters: HashMap<(String, String), Instant>,
}

impl Maintenance {
    /// What a restarted master recovers from the registry: schedule and machines.
    pub(crate) fn recovered(&self) -> Maintenance {
        Maintenance {
            windows: self.windows.clone(),
            machines: self.machines.clone(),
            ..Maintenance::default()
        }
    }

    /// The index of the machine `id` names.
    pub(crate) fn find(&self, id: &MachineId) -> Option<usize> {
        self.machines.iter().position(|m| m.id.matches(id))
    }

    /// The machine of `agent`, added in mode UP when first seen.
    pub(crate) fn machine_of(&mut self, agent: &Agent) -> usize {
        let id = MachineId::of_agent(agent);
        match self.find(&id) {
            Some(i) => i,
            None => {
                self.machines.push(Machine {
                    id,
                    mode: Mode::Up,
                    unavailability: None,
                });
                self.machines.len() - 1
            }
        }
    }

    /// Whether any machine has an unavailability (most clusters, most of the time: none).
    pub(crate) fn any_scheduled(&self) -> bool {
        self.machines.iter().any(|m| m.unavailability.is_some())
    }

    /// The unavailability of the machine `agent` runs on, if scheduled.
    pub(crate) fn unavailability_of(&self, agent: &Agent) -> Option<&Value> {
        if !self.any_scheduled() {
            return None;
        }
        let i = self.find(&MachineId::of_agent(agent))?;
        self.machines[i].unavailability.as_ref()
    }
}

/// `Unavailability` normalised: `start` then `duration`, integer nanoseconds.
pub(crate) fn unavailability(v: &Value) -> Value {
    let nanos = |path: &str| {
        j::at(v, path).and_then(|n| n.as_i64().or_else(|| j::as_f64(n).map(|f| f as i64)))
    };
    let mut m = Map::new();
    m.insert(
        "start".into(),
        json!({"nanoseconds": nanos("start.nanoseconds").unwrap_or(0)}),
    );
    if v.get("duration").is_some() {
        m.insert(
            "duration".into(),
            json!({"nanoseconds": nanos("duration.nanoseconds").unwrap_or(0)}),
        );
    }
    Value::Object(m)
}

/// One MachineID's own checks (`validation::machine`).
fn check_machine(id: &MachineId) -> Result<(), String> {
    let empty = |f: &Option<String>| f.as_deref().unwrap_or("").is_empty();
    if empty(&id.hostname) && empty(&id.ip) {
        return Err("Both 'hostname' and 'ip' for a machine are empty".into());
    }
    if let Some(ip) = id.ip.as_deref().filter(|ip| !ip.is_empty())
        && ip.parse::<std::net::Ipv4Addr>().is_err()
    {
        return Err(format!("Failed to parse IPv4: {ip}"));
    }
    Ok(())
}

fn appears_twice(id: &MachineId) -> String {
    format!(
        "Machine '{}' appears more than once in the schedule",
        id.quoted()
    )
}

/// The machines of START/STOP_MAINTENANCE (`validation::machines`).
pub(crate) fn check_machines(ids: &[Value]) -> Result<Vec<MachineId>, String> {
    if ids.is_empty() {
        return Err("List of machines is empty".into());
    }
    let mut seen: Vec<MachineId> = Vec::new();
    for v in ids {
        let id = MachineId::from_json(v);
        check_machine(&id)?;
        if seen.iter().any(|s| s.matches(&id)) {
            return Err(appears_twice(&id));
        }
        seen.push(id);
    }
    Ok(seen)
}

/// A new schedule's windows against the machines known (`validation::schedule`): each
/// window names machines, none twice, its duration is not negative, and no DOWN machine
/// is left out.
pub(crate) fn check_schedule(windows: &[Value], machines: &[Machine]) -> Result<(), String> {
    let mut updated: Vec<MachineId> = Vec::new();
    for w in windows {
        let ids = j::array_at(w, "machine_ids");
        if ids.is_empty() {
            return Err("List of machines in the maintenance window is empty".into());
        }
        if j::f64_at(w, "unavailability.duration.nanoseconds").is_some_and(|d| d < 0.0) {
            return Err("Unavailability 'duration' is negative".into());
        }
        for v in ids {
            let id = MachineId::from_json(v);
            check_machine(&id)?;
            if updated.iter().any(|u| u.matches(&id)) {
                return Err(appears_twice(&id));
            }
            updated.push(id);
        }
    }
    for m in machines.iter().filter(|m| m.mode == Mode::Down) {
        if !updated.iter().any(|u| u.matches(&m.id)) {
            return Err(format!(
                "Machine '{}' is deactivated and cannot be removed from the schedule",
                m.id.quoted()
            ));
        }
    }
    Ok(())
}

/// The windows as kept and listed: machine IDs and unavailability in proto order.
pub(crate) fn normalize_windows(windows: &[Value]) -> Vec<Value> {
    windows
        .iter()
        .map(|w| {
            let ids: Vec<Value> = j::array_at(w, "machine_ids")
                .iter()
                .map(|m| MachineId::from_json(m).json())
                .collect();
            let una = w
                .get("unavailability")
                .map(unavailability)
                .unwrap_or_default();
            json!({"machine_ids": ids, "unavailability": una})
        })
        .collect()
}

/// A JSON value with every object's keys sorted, as the master's legacy endpoints write
/// protobufs (`JSON::protobuf` into a `std::map`).
pub(crate) fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&m[k])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machines_match_as_mesos_matches_them() {
        let a = MachineId::from_json(&json!({"hostname": "Maint-Host", "ip": "127.0.0.1"}));
        let b = MachineId::from_json(&json!({"hostname": "maint-host", "ip": "127.0.0.1"}));
        let host_only = MachineId::from_json(&json!({"hostname": "maint-host"}));
        assert!(a.matches(&b));
        assert!(!a.matches(&host_only), "both fields must agree");
        assert_eq!(a.display(), "Maint-Host (127.0.0.1)");
        assert_eq!(host_only.display(), "maint-host");
    }

    #[test]
    fn schedule_texts_are_the_masters() {
        let w = |ids: Value, dur: i64| json!({"machine_ids": ids, "unavailability": {"start": {"nanoseconds": 1}, "duration": {"nanoseconds": dur}}});
        let one = json!([{"hostname": "h", "ip": "127.0.0.1"}]);
        assert_eq!(
            check_schedule(&[w(json!([]), 1)], &[]).unwrap_err(),
            "List of machines in the maintenance window is empty"
        );
        assert_eq!(
            check_schedule(&[w(one.clone(), -1)], &[]).unwrap_err(),
            "Unavailability 'duration' is negative"
        );
        assert_eq!(
            check_schedule(&[w(one.clone(), 1), w(one.clone(), 1)], &[]).unwrap_err(),
            r#"Machine '{"hostname":"h","ip":"127.0.0.1"}' appears more than once in the schedule"#
        );
        assert_eq!(
            check_schedule(&[w(json!([{}]), 1)], &[]).unwrap_err(),
            "Both 'hostname' and 'ip' for a machine are empty"
        );
        assert_eq!(
            check_schedule(&[w(json!([{"ip": "nope"}]), 1)], &[]).unwrap_err(),
            "Failed to parse IPv4: nope"
        );
        let down = Machine {
            id: MachineId::from_json(&json!({"hostname": "d", "ip": "127.0.0.1"})),
            mode: Mode::Down,
            unavailability: None,
        };
        assert_eq!(
            check_schedule(&[w(one, 1)], &[down]).unwrap_err(),
            r#"Machine '{"hostname":"d","ip":"127.0.0.1"}' is deactivated and cannot be removed from the schedule"#
        );
        assert_eq!(
            check_machines(&[]).unwrap_err(),
            "List of machines is empty"
        );
    }
}
