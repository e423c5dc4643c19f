//! Dynamic reservations carried out: operator RESERVE_RESOURCES / UNRESERVE_RESOURCES
//! (`Master::Http::_reserve`, `_unreserve`, `_operation`) and the RESERVE / UNRESERVE (and,
//! checked in `volumes` and `resize`, CREATE / DESTROY / GROW_VOLUME / SHRINK_VOLUME) offer
//! operations of an ACCEPT (`Master::_accept`).
//! The agent's total changes and the agent keeps it; what each framework may be offered
//! follows from it.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;

use super::accept::Placement;
use super::reservations::{Kind, ReservationOp};
use super::resize::{Change, Resize};
use super::state::{AgentEntry, Filter, MasterState};
use super::{Master, operations, resize, volumes};
use crate::http::{EventSender, bad_request, empty, not_carried_out, plain};
use crate::json as j;
use mesos_lib::resources::Resources;
use mesos_lib::v1::ids::AgentId;
use mesos_lib::v1::offer::Operation as OfferOperation;
use mesos_lib::v1::resources::{Resource, Scalar};
use mesos_lib::v1::{FrameworkCapabilityType, FrameworkInfo};

/// The refuse filter a rescinded offer leaves (`Filters()`'s default `refuse_seconds`).
const RESCIND_FILTER: Duration = Duration::from_secs(5);

/// What of `entry` is neither used nor offered.
pub(crate) fn available(entry: &AgentEntry) -> Resources {
    let mut avail = entry.total.clone();
    avail.subtract_all(&entry.used);
    avail.subtract_all(&entry.offered);
    avail
}

/// An agent as Mesos prints one: `<id> at slave(1)@127.0.0.1:5051 (localhost)`.
pub(crate) fn agent_text(entry: &AgentEntry) -> String {
    let a = &entry.agent;
    format!("{} at {} ({})", a.id, a.pid(), a.hostname)
}

/// The roles of a FrameworkInfo (`protobuf::framework::getRoles`).
pub(crate) fn framework_roles(info: &FrameworkInfo) -> Vec<String> {
    if info.has_capability(&FrameworkCapabilityType::MultiRole) || !info.roles.is_empty() {
        return info.roles.clone();
    }
    vec![info.role.clone().unwrap_or_else(|| "*".to_string())]
}

impl Master {
    /// RESERVE_RESOURCES / UNRESERVE_RESOURCES, with the operator's `principal` when
    /// authentication is on: 202 once the agent's total changed, 400/409 with Mesos's texts.
    pub(crate) fn operator_reservation(
        &self,
        kind: Kind,
        agent_id: &AgentId,
        source: &[Resource],
        resources: &[Resource],
        principal: Option<&str>,
    ) -> Response {
        if !source.is_empty() {
            return not_carried_out(
                "RESERVE_RESOURCES",
                "it does not update reservations in place (`source`)",
            );
        }
        let op = match ReservationOp::parse(kind, resources) {
            Ok(op) => op,
            Err(e) => return bad_request(format!("Failed to validate master::Call: {e}")),
        };
        let aid = agent_id.value.as_str();
        let mut st = self.lock();
        let Some(entry) = st.agents.get(aid) else {
            return bad_request("No agent found with specified ID");
        };
        if let Err(e) = op.validate(principal, None) {
            return bad_request(if kind == Kind::Reserve {
                format!(
                    "Invalid RESERVE operation on agent {}: {e}",
                    agent_text(entry)
                )
            } else {
                format!("Invalid UNRESERVE operation: {e}")
            });
        }
        self.rescind_for(&mut st, aid, &op);
        let Some(entry) = st.agents.get_mut(aid) else {
            return bad_request("No agent found with specified ID");
        };
        if let Err(e) = op.apply(&available(entry), None) {
            return plain(StatusCode::CONFLICT, e);
        }
        tracing::info!(
            agent = aid,
            "applying {} operation from the operator",
            kind.name()
        );
        apply_to_agent(entry, &op);
        empty(StatusCode::ACCEPTED)
    }

    /// Rescinds the agent's offers, one at a time, until what they held covers what the
    /// operation takes (`Master::Http::_operation`); each leaves a 5 s refuse filter.
    pub(crate) fn rescind_for(&self, st: &mut MasterState, aid: &str, op: &ReservationOp) {
        let mut required = op.consumed();
        let mut recovered = Resources::new();
        let ids: Vec<String> = st
            .offers
            .iter()
            .filter(|(_, o)| o.agent_id == aid)
            .map(|(id, _)| id.clone())
            .collect();
        for id in ids {
            let Some(offer) = st.offers.get(&id) else {
                continue;
            };
            let mut left = required.clone();
            left.subtract_all(&offer.resources);
            if left == required {
                continue;
            }
            required = left;
            let (fid, role) = (offer.framework_id.clone(), offer.role.clone());
            let held = offer.resources.clone();
            recovered.add_all(&held);
            self.remove_offer(st, &id, true);
            if let Some(fw) = st.frameworks.get_mut(&fid) {
                let filter = Filter {
                    until: Instant::now() + RESCIND_FILTER,
                    resources: held,
                };
                fw.filters.insert((aid.to_string(), role), filter);
            }
            if op.apply(&recovered, None).is_ok() {
                break;
            }
        }
    }

    /// Carries out the resource operations (RESERVE, UNRESERVE, CREATE, DESTROY, GROW_VOLUME,
    /// SHRINK_VOLUME) of an ACCEPT that came before its `upto`-th task (all that are left for
    /// `usize::MAX`) on `available`, what is left of the offers; an invalid one is dropped as
    /// the master drops it.
    pub(crate) fn offer_operations(
        &self,
        st: &mut MasterState,
        place: &Placement<'_>,
        pending: &mut PendingOperations,
        upto: usize,
        available: &mut Resources,
    ) {
        while pending.0.front().is_some_and(|p| p.at <= upto) {
            let Some(Pending {
                kind,
                given,
                feedback,
                ..
            }) = pending.0.pop_front()
            else {
                break;
            };
            match (
                self.offer_operation(st, place, kind, &given, available),
                feedback,
            ) {
                (Ok(()), Some(info)) => {
                    self.operation_finished(st, place.fid, &place.agent_id, &place.role, info);
                }
                (Ok(()), None) => {}
                (Err(message), feedback) => {
                    tracing::warn!(
                        framework = place.fid,
                        "dropping {} operation: {message}",
                        kind.name()
                    );
                    let sender = st
                        .frameworks
                        .get(place.fid)
                        .and_then(|f| f.subscription.as_ref())
                        .map(|s| &s.sender);
                    let id = feedback.as_ref().and_then(|f| f.id.as_ref());
                    operations::send_error(sender, id, &message);
                }
            }
        }
    }

    /// One operation of an ACCEPT: checked as `Master::accept` and `_accept` do.
    fn offer_operation(
        &self,
        st: &mut MasterState,
        place: &Placement<'_>,
        kind: Kind,
        given: &Given,
        available: &mut Resources,
    ) -> Result<(), String> {
        let (fid, agent_id, role) = (place.fid, place.agent_id.as_str(), place.role.as_str());
        let invalid = |e: &str| format!("Operation attempted with invalid resources: {e}");
        if !given.source.is_empty() {
            return Err(invalid(
                "Reservation updates are not yet implemented for the scheduler API.",
            ));
        }
        let list = &given.list;
        let resize = given.resize(kind);
        let mut parsed = if kind.resizes() {
            resize::parse(resize)
        } else {
            ReservationOp::parse(kind, list)
        }
        .map_err(|e| invalid(&e))?;
        let (Some(fw), Some(entry)) = (st.frameworks.get(fid), st.agents.get(agent_id)) else {
            return Err("the framework or the agent is gone".into());
        };
        parsed.allocate_to(role);
        let principal = fw.info.principal.as_deref();
        let roles = framework_roles(&fw.info);
        let checked = match kind {
            Kind::Reserve => parsed.validate(principal, Some(&roles)),
            Kind::Unreserve => parsed.validate(None, None),
            Kind::Create => volumes::check_create(list, &parsed, &entry.total, principal, true),
            Kind::Destroy => {
                parsed.volumes_as_in(&entry.total);
                volumes::check_destroy(list, &parsed, &entry.total, &entry.used)
            }
            Kind::Grow | Kind::Shrink => resize::check(&parsed, resize),
        };
        checked.map_err(|e| format!("{e}; on agent {}", agent_text(entry)))?;
        let after = if kind.resizes() {
            // Volumes compare by persistence ID, whatever container path is named.
            parsed.volumes_as_in(&entry.total);
            parsed
                .apply(available, Some(role))
                .map_err(|e| format!("Invalid {} operation: {e}", kind.name()))?;
            // The resized volume is not for this ACCEPT's later operations: the allocator
            // gets it back unfiltered and offers it again (`resizedResources`).
            let mut left = available.clone();
            left.subtract_all(&parsed.consumed());
            left
        } else {
            parsed.apply(available, Some(role))?
        };
        *available = after;
        tracing::info!(
            framework = fid,
            agent = agent_id,
            "applying {} operation",
            kind.name()
        );
        if let Some(entry) = st.agents.get_mut(agent_id) {
            apply_to_agent(entry, &parsed);
        }
        Ok(())
    }
}

/// The resources of an ACCEPT's offer operation, typed as sent: a RESERVE's `source`, the list
/// of a RESERVE, UNRESERVE, CREATE or DESTROY, or a resize's parts (absent ones empty, for the
/// checks to refuse with the master's texts).
#[derive(Debug, Default)]
struct Given {
    source: Vec<Resource>,
    list: Vec<Resource>,
    volume: Resource,
    addition: Resource,
    subtract: Scalar,
}

impl Given {
    /// The operation's resources typed, its lists made arrays first where a single value was
    /// given (as stout reads a repeated field); the error is serde's.
    fn of(op: &mut Value, kind: Kind) -> Result<Given, String> {
        let Some(section) = op.get_mut(kind.name().to_ascii_lowercase()) else {
            return Ok(Given::default());
        };
        let mut list = |field: &str| match section.get_mut(field) {
            Some(v) => j::repeated(v).iter().map(typed).collect(),
            None => Ok(Vec::new()),
        };
        let (source, list) = match kind {
            Kind::Reserve => (list("source")?, list(kind.field())?),
            Kind::Unreserve | Kind::Create | Kind::Destroy => (Vec::new(), list(kind.field())?),
            Kind::Grow | Kind::Shrink => (Vec::new(), Vec::new()),
        };
        let part = |field: &str| section.get(field);
        let or_default = |field: &str| part(field).map_or(Ok(Default::default()), typed);
        Ok(Given {
            source,
            list,
            volume: or_default("volume")?,
            addition: or_default("addition")?,
            subtract: part("subtract").map_or(Ok(Scalar::default()), typed)?,
        })
    }

    fn resize(&self, kind: Kind) -> Resize<'_> {
        Resize {
            volume: &self.volume,
            change: if kind == Kind::Grow {
                Change::Addition(&self.addition)
            } else {
                Change::Subtract(&self.subtract)
            },
        }
    }
}

/// `v` typed; the error is serde's.
fn typed<T: for<'de> Deserialize<'de>>(v: &Value) -> Result<T, String> {
    T::deserialize(v).map_err(|e| e.to_string())
}

/// Changes the agent's total and has the agent keep it (`Master::_apply`).
pub(crate) fn apply_to_agent(entry: &mut AgentEntry, op: &ReservationOp) {
    match op.apply_to_total(&entry.total) {
        Some(total) => {
            entry.agent.checkpoint(total.clone());
            entry.total = total;
        }
        None => tracing::error!(agent = %entry.agent.id, "a checked reservation did not apply"),
    }
}

/// The resource operations of one ACCEPT, each with the number of tasks that came before it,
/// so that LAUNCHes see the reservations made before them and only those.
#[derive(Default)]
pub(crate) struct PendingOperations(VecDeque<Pending>);

/// A resource operation of an ACCEPT waiting for its turn.
struct Pending {
    /// How many of the ACCEPT's tasks came before it.
    at: usize,
    /// Which operation it is.
    kind: Kind,
    /// Its resources, which the checks read.
    given: Given,
    /// The operation typed, when it asks for feedback (has an `id`): the master's record.
    feedback: Option<OfferOperation>,
}

impl PendingOperations {
    /// Takes `op` if mesos-local carries it out (a RESERVE, UNRESERVE, CREATE, DESTROY,
    /// GROW_VOLUME or SHRINK_VOLUME, with operation feedback when it has an `id`), leaving
    /// `Null` in its place. It is typed here (whole, for the master's record, when it asks
    /// for feedback); the error is for a 400 ("Failed to convert JSON into Call protobuf: "),
    /// as stout converts the whole call first.
    pub(crate) fn take(&mut self, tasks_before: usize, op: &mut Value) -> Result<bool, String> {
        let Some(kind) = j::str_at(op, "type").and_then(Kind::of_type) else {
            return Ok(false);
        };
        let given = Given::of(op, kind)?;
        let feedback = match op.get("id") {
            Some(_) => Some(operations::feedback_operation(op)?),
            None => None,
        };
        op.take();
        self.0.push_back(Pending {
            at: tasks_before,
            kind,
            given,
            feedback,
        });
        Ok(true)
    }

    /// Drops every operation (the ACCEPT's offers were invalid), as the master does: each
    /// with an `id` gets OPERATION_ERROR.
    pub(crate) fn drop_all(&mut self, why: &str, sender: Option<&EventSender>) {
        for Pending { kind, feedback, .. } in self.0.drain(..) {
            let ty = kind.name();
            let message = format!("Operation attempted with invalid offers: {why}");
            tracing::warn!("dropping {ty} operation: {message}");
            let id = feedback.as_ref().and_then(|f| f.id.as_ref());
            operations::send_error(sender, id, &message);
        }
    }
}
