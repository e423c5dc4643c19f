//! GROW_VOLUME and SHRINK_VOLUME as a Mesos 1.11 master carries them out for an agent with
//! the RESIZE_VOLUME capability: reading the operation (`validateAndUpgradeResources`), the
//! checks of `validation::operation::validate(GrowVolume / ShrinkVolume)` with their texts,
//! the conversion (`getResourceConversions`) and the operator calls (`Master::Http::
//! growVolume`, `shrinkVolume`, `_operation`). The volume's directory is left as it is: without
//! disk isolation the agent enforces no size, so the data stays.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use super::Master;
use super::reservations::{Kind, OpResource, ReservationOp, parse_one};
use super::reserve::{agent_text, apply_to_agent, available};
use super::volumes::check_persistent;
use crate::http::{bad_request, empty, plain};
use mesos_lib::resources::{Resources, scalar};
use mesos_lib::v1::ids::AgentId;
use mesos_lib::v1::resources::{Resource, Scalar};

/// A resize as sent (an offer operation's or an operator call's): the volume, and what
/// changes it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Resize<'a> {
    pub volume: &'a Resource,
    pub change: Change<'a>,
}

/// GROW_VOLUME's addition or SHRINK_VOLUME's subtract.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Change<'a> {
    Addition(&'a Resource),
    Subtract(&'a Scalar),
}

impl Resize<'_> {
    fn kind(&self) -> Kind {
        match self.change {
            Change::Addition(_) => Kind::Grow,
            Change::Subtract(_) => Kind::Shrink,
        }
    }
}

/// The volume (and a GROW_VOLUME's addition), each refused with `Resources::validate`'s
/// bare text.
pub(crate) fn parse(given: Resize<'_>) -> Result<ReservationOp, String> {
    let mut resources = vec![parse_one(given.volume)?];
    let mut subtract = 0.0;
    match given.change {
        Change::Addition(addition) => resources.push(parse_one(addition)?),
        Change::Subtract(s) => subtract = s.value,
    }
    Ok(ReservationOp {
        kind: given.kind(),
        resources,
        subtract,
    })
}

/// `validation::operation::validate` for a resize; `given` is the operation as sent.
pub(crate) fn check(op: &ReservationOp, given: Resize<'_>) -> Result<(), String> {
    let raw = given.volume;
    let volume = &op.resources[0];
    let (field, verb) = match op.kind {
        Kind::Grow => ("GrowVolume", "Growing"),
        _ => ("ShrinkVolume", "Shrinking"),
    };
    if let Change::Addition(addition) = given.change {
        if size(addition) <= 0.0 {
            return Err("The size of 'GrowVolume.addition' field must be greater than zero".into());
        }
    } else {
        if scalar::to_fixed(op.subtract) <= 0 {
            return Err("Value of 'ShrinkVolume.subtract' must be greater than zero".into());
        }
        if scalar::less_or_equal(size(&volume.resource), op.subtract) {
            return Err("Value of 'ShrinkVolume.subtract' must be smaller than the size of 'ShrinkVolume.volume'".into());
        }
    }
    if raw.provider_id.is_some() {
        return Err(format!(
            "{verb} a volume from a resource provider is not supported"
        ));
    }
    // The disk's source is not modelled: read from what the DiskInfo carries unread.
    let source_type = raw
        .disk
        .as_ref()
        .and_then(|d| d.extra.get("source"))
        .and_then(|s| s.get("type"))
        .and_then(Value::as_str);
    if op.kind == Kind::Shrink && source_type == Some("MOUNT") {
        return Err("Shrinking a volume on a MOUNT disk is not supported".into());
    }
    let alone = ReservationOp {
        kind: op.kind,
        resources: vec![volume.clone()],
        subtract: 0.0,
    };
    check_persistent(std::slice::from_ref(raw), &alone, true)
        .map_err(|e| format!("Invalid persistent volume in the '{field}.volume' field: {e}"))?;
    if raw.shared.is_some() {
        return Err(format!(
            "{verb} a shared persistent volume is not supported"
        ));
    }
    if op.kind == Kind::Grow && !compatible(volume, &op.resources[1]) {
        return Err(
            "Incompatible resources in the 'GrowVolume.volume' and 'GrowVolume.addition' fields"
                .into(),
        );
    }
    Ok(())
}

/// Whether the volume without its persistence and the addition are one resource once added.
fn compatible(volume: &OpResource, addition: &OpResource) -> bool {
    let mut stripped = volume.resource.clone();
    stripped.disk = None;
    let sum: Resources = [&stripped, &addition.resource].into_iter().collect();
    volume.allocation == addition.allocation && sum.iter().count() == 1
}

fn size(r: &Resource) -> f64 {
    r.scalar.as_ref().map_or(0.0, |s| s.value)
}

fn with_size(r: &Resource, value: f64) -> Resource {
    let mut out = r.clone();
    out.scalar = Some(Scalar::new(value));
    out
}

impl ReservationOp {
    /// A resize's one conversion: the volume and the addition into one volume of their sum,
    /// or the volume into a smaller one and the freed disk, reserved as the volume was and
    /// no longer shared.
    pub(crate) fn resize_conversion(&self) -> Option<(Vec<Resource>, Vec<Resource>, Option<&str>)> {
        let volume = self.resources.first()?;
        let alloc = volume.allocation.as_deref();
        let v = &volume.resource;
        if self.kind == Kind::Grow {
            let addition = &self.resources.get(1)?.resource;
            let grown = with_size(v, scalar::add(size(v), size(addition)));
            return Some((vec![v.clone(), addition.clone()], vec![grown], alloc));
        }
        let shrunk = with_size(v, scalar::subtract(size(v), self.subtract));
        let mut freed = with_size(v, self.subtract);
        freed.disk = None;
        freed.shared = None;
        Some((vec![v.clone()], vec![shrunk, freed], alloc))
    }
}

impl Master {
    /// GROW_VOLUME / SHRINK_VOLUME from the operator: 202 once the agent keeps the resized
    /// volume, 400 with the master's texts, 409 when the agent does not hold what is asked.
    pub(crate) fn operator_resize(
        &self,
        agent_id: Option<&AgentId>,
        given: Resize<'_>,
    ) -> Response {
        let name = given.kind().name();
        let Some(aid) = agent_id.map(|a| a.value.as_str()) else {
            return bad_request(
                "Failed to validate master::Call: Expecting 'agent_id' to be present; only agent default resources are supported right now",
            );
        };
        let mut st = self.lock();
        let Some(entry) = st.agents.get(aid) else {
            return bad_request("No agent found with specified ID");
        };
        let mut op = match parse(given) {
            Ok(op) => op,
            Err(e) => return bad_request(e),
        };
        if let Err(e) = check(&op, given) {
            return bad_request(format!(
                "Invalid {name} operation on agent {}: {e}",
                agent_text(entry)
            ));
        }
        // Volumes compare by persistence ID, whatever container path is named.
        op.volumes_as_in(&entry.total);
        self.rescind_for(&mut st, aid, &op);
        let Some(entry) = st.agents.get_mut(aid) else {
            return bad_request("No agent found with specified ID");
        };
        if let Err(e) = op.apply(&available(entry), None) {
            return plain(StatusCode::CONFLICT, e);
        }
        tracing::info!(agent = %aid, "applying {name} operation from the operator");
        apply_to_agent(entry, &op);
        empty(StatusCode::ACCEPTED)
    }
}
