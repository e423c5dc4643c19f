//! Machines as the master knows them for maintenance (`Master::machines` and the schedule):
//! MachineIDs matched as Mesos matches them, each machine's mode and unavailability, and the
//! schedule's checks with Mesos's texts (`master/maintenance.cpp`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use serde_json::Value;

use crate::agent::Agent;
use mesos_lib::v1::common::{MachineId as MachineIdV1, Unavailability};
use mesos_lib::v1::maintenance::{InverseOfferStatus, Window};

/// A `MachineID`: hostname and/or IP. Two match when both have the same fields set, the
/// hostnames agree ignoring case and the IPs agree exactly (`operator==` in type_utils).
#[derive(Debug, Clone)]
pub(crate) struct MachineId {
    pub hostname: Option<String>,
    pub ip: Option<String>,
}

impl MachineId {
    /// The MachineID a typed one names (other fields ignored).
    pub(crate) fn from_v1(id: &MachineIdV1) -> MachineId {
        MachineId {
            hostname: id.hostname.clone(),
            ip: id.ip.clone(),
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

    /// The v1 `MachineID`, as the master writes it.
    pub(crate) fn v1(&self) -> MachineIdV1 {
        MachineIdV1 {
            hostname: self.hostname.clone(),
            ip: self.ip.clone(),
            ..MachineIdV1::default()
        }
    }

    /// As the master quotes one in errors: its compact JSON.
    pub(crate) fn quoted(&self) -> String {
        serde_json::to_string(&self.v1()).unwrap_or_default()
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
    /// When it is unavailable, while scheduled.
    pub unavailability: Option<Unavailability>,
}

/// What a framework answered to an inverse offer, kept per agent (the allocator's
/// `InverseOfferStatus`).
#[derive(Default)]
pub(crate) struct Responses {
    /// Frameworks holding an unanswered inverse offer for the agent.
    pub outstanding: BTreeSet<String>,
    /// Each framework's latest answer.
    pub statuses: BTreeMap<String, InverseOfferStatus>,
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
    /// The schedule's windows, as read (unknown fields dropped); empty when there is no
    /// schedule.
    pub windows: Vec<Window>,
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
    pub(crate) fn unavailability_of(&self, agent: &Agent) -> Option<&Unavailability> {
        if !self.any_scheduled() {
            return None;
        }
        let i = self.find(&MachineId::of_agent(agent))?;
        self.machines[i].unavailability.as_ref()
    }
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
pub(crate) fn check_machines(ids: &[MachineIdV1]) -> Result<Vec<MachineId>, String> {
    if ids.is_empty() {
        return Err("List of machines is empty".into());
    }
    let mut seen: Vec<MachineId> = Vec::new();
    for v in ids {
        let id = MachineId::from_v1(v);
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
/// is left out. Returns each machine scheduled with its window's unavailability.
pub(crate) fn check_schedule(
    windows: &[Window],
    machines: &[Machine],
) -> Result<Vec<(MachineId, Unavailability)>, String> {
    let mut updated: Vec<(MachineId, Unavailability)> = Vec::new();
    for w in windows {
        if w.machine_ids.is_empty() {
            return Err("List of machines in the maintenance window is empty".into());
        }
        let duration = w.unavailability.duration.as_ref();
        if duration.is_some_and(|d| d.nanoseconds < 0) {
            return Err("Unavailability 'duration' is negative".into());
        }
        for v in &w.machine_ids {
            let id = MachineId::from_v1(v);
            check_machine(&id)?;
            if updated.iter().any(|(u, _)| u.matches(&id)) {
                return Err(appears_twice(&id));
            }
            updated.push((id, w.unavailability.clone()));
        }
    }
    for m in machines.iter().filter(|m| m.mode == Mode::Down) {
        if !updated.iter().any(|(u, _)| u.matches(&m.id)) {
            return Err(format!(
                "Machine '{}' is deactivated and cannot be removed from the schedule",
                m.id.quoted()
            ));
        }
    }
    Ok(updated)
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
    use serde_json::json;

    fn machine(v: Value) -> MachineId {
        MachineId::from_v1(&serde_json::from_value(v).unwrap())
    }

    #[test]
    fn machines_match_as_mesos_matches_them() {
        let a = machine(json!({"hostname": "Maint-Host", "ip": "127.0.0.1"}));
        let b = machine(json!({"hostname": "maint-host", "ip": "127.0.0.1"}));
        let host_only = machine(json!({"hostname": "maint-host"}));
        assert!(a.matches(&b));
        assert!(!a.matches(&host_only), "both fields must agree");
        assert_eq!(a.display(), "Maint-Host (127.0.0.1)");
        assert_eq!(host_only.display(), "maint-host");
    }

    #[test]
    fn schedule_texts_are_the_masters() {
        let w = |ids: Value, dur: i64| -> Window {
            serde_json::from_value(json!({"machine_ids": ids, "unavailability": {"start": {"nanoseconds": 1}, "duration": {"nanoseconds": dur}}})).unwrap()
        };
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
            id: machine(json!({"hostname": "d", "ip": "127.0.0.1"})),
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
