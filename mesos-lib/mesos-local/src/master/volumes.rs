//! Persistent volumes: the checks of `validation::operation::validate` for CREATE and
//! DESTROY (offer operations and operator CREATE_VOLUMES / DESTROY_VOLUMES), with the
//! master's texts, and the operator calls carried out (`Master::Http::_createVolumes`,
//! `_destroyVolumes`, `_operation`). The conversions themselves are `ReservationOp`'s.

use std::collections::HashSet;

use super::Master;
use super::reservations::{Kind, OpResource, ReservationOp};
use super::reserve::{agent_text, apply_to_agent, available};
use crate::http::{bad_request, empty, plain};
use crate::resource_views as rv;
use axum::http::StatusCode;
use axum::response::Response;
use mesos_lib::resources::Resources;
use mesos_lib::v1::container::VolumeMode;
use mesos_lib::v1::master::volumes::VolumesOnAgent;
use mesos_lib::v1::resources::Resource;

/// `validateSingleResourceProvider` on an empty list: no provider ID at all is not one.
const NO_VOLUMES: &str = "Invalid resources: The resources have multiple resource providers: ";

/// CREATE's checks. `principal` is the framework's or the authenticated operator's;
/// `by_framework` adds the single-allocation-role check of an offer operation.
pub(crate) fn check_create(
    list: &[Resource],
    op: &ReservationOp,
    checkpointed: &Resources,
    principal: Option<&str>,
    by_framework: bool,
) -> Result<(), String> {
    check_disk_info(list).map_err(|e| format!("Invalid resources: Invalid DiskInfo: {e}"))?;
    if list.is_empty() {
        return Err(NO_VOLUMES.into());
    }
    check_persistent(list, op, true).map_err(|e| format!("Not a persistent volume: {e}"))?;
    check_unique_ids(checkpointed, op)?;
    if let Some(p) = principal {
        for v in &op.resources {
            check_principal(v, p)?;
        }
    }
    if by_framework {
        check_single_role(op).map_err(|e| format!("Invalid volume resources: {e}"))?;
    }
    Ok(())
}

/// DESTROY's checks; `op`'s volumes already read as the agent keeps them
/// (`ReservationOp::volumes_as_in`).
pub(crate) fn check_destroy(
    list: &[Resource],
    op: &ReservationOp,
    checkpointed: &Resources,
    used: &Resources,
) -> Result<(), String> {
    check_disk_info(list).map_err(|e| format!("Invalid resources: Invalid DiskInfo: {e}"))?;
    if list.is_empty() {
        return Err(NO_VOLUMES.into());
    }
    check_persistent(list, op, false).map_err(|e| format!("Not a persistent volume: {e}"))?;
    let one = |r: &OpResource| -> Resources { std::iter::once(&r.resource).collect() };
    if op
        .resources
        .iter()
        .any(|v| !rv::volumes_whole(&one(v), checkpointed))
    {
        return Err("Persistent volumes not found".into());
    }
    if op
        .resources
        .iter()
        .any(|v| rv::volumes_whole(&one(v), used))
    {
        return Err("Persistent volumes in use".into());
    }
    Ok(())
}

/// `validateDiskInfo` (through `resource::validate`), on the resources as sent.
fn check_disk_info(list: &[Resource]) -> Result<(), String> {
    for r in list {
        let Some(disk) = &r.disk else { continue };
        if let Some(p) = &disk.persistence {
            if r.revocable.is_some() {
                return Err("Persistent volumes cannot be created from revocable resources".into());
            }
            if rv::reservation_stack(r).is_empty() {
                return Err(
                    "Persistent volumes cannot be created from unreserved resources".into(),
                );
            }
            let Some(volume) = &disk.volume else {
                return Err("Expecting 'volume' to be set for persistent volume".into());
            };
            if volume.host_path.is_some() {
                return Err("Expecting 'host_path' to be unset for persistent volume".into());
            }
            check_id(&p.id)
                .map_err(|e| format!("Invalid persistence ID for persistent volume: {e}"))?;
        } else if disk.volume.is_some() {
            return Err("Non-persistent volume not supported".into());
        } else if !disk.extra.contains_key("source") {
            return Err("DiskInfo is set but empty".into());
        }
    }
    Ok(())
}

/// `common::validation::validateID`.
fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("ID must not be empty".into());
    }
    if id.len() > 255 {
        return Err("ID must not be greater than 255 characters".into());
    }
    if id == "." || id == ".." {
        return Err(format!("'{id}' is disallowed"));
    }
    if id.chars().any(|c| c.is_control() || c == '/' || c == '\\') {
        return Err(format!("'{id}' contains invalid characters"));
    }
    Ok(())
}

/// `validatePersistentVolume`. `allocated`: the resources are written with their
/// allocation (CREATE) or without (DESTROY unallocates them first).
pub(crate) fn check_persistent(
    list: &[Resource],
    op: &ReservationOp,
    allocated: bool,
) -> Result<(), String> {
    for (raw, r) in list.iter().zip(&op.resources) {
        let Some(disk) = &raw.disk else {
            let alloc = r.allocation.as_deref().filter(|_| allocated);
            return Err(format!(
                "Resource {} does not have DiskInfo",
                rv::resource_text(&r.resource, alloc)
            ));
        };
        if disk.persistence.is_none() {
            return Err("'persistence' is not set in DiskInfo".into());
        }
        let Some(volume) = &disk.volume else {
            return Err("Expecting 'volume' to be set for persistent volume".into());
        };
        if volume.mode == Some(VolumeMode::Ro) {
            return Err("Read-only persistent volume not supported".into());
        }
    }
    Ok(())
}

/// `validateUniquePersistenceID` over what the agent keeps and the new volumes: one ID per
/// role.
fn check_unique_ids(checkpointed: &Resources, op: &ReservationOp) -> Result<(), String> {
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let volumes = checkpointed
        .iter()
        .chain(op.resources.iter().map(|r| &r.resource));
    for v in volumes {
        let Some(id) = rv::persistence_id(v) else {
            continue;
        };
        let role = v.reservation_role().unwrap_or("*").to_string();
        if !seen.insert((role, id.to_string())) {
            return Err(format!("Persistence ID '{id}' is not unique"));
        }
    }
    Ok(())
}

/// The creator's principal must be the one in `disk.persistence`.
fn check_principal(v: &OpResource, principal: &str) -> Result<(), String> {
    let given = v
        .resource
        .disk
        .as_ref()
        .and_then(|d| d.persistence.as_ref())
        .and_then(|p| p.principal.as_deref());
    match given {
        None => Err(format!(
            "Create volume operation attempted by principal '{principal}', but there is a volume in the operation with no principal set in 'disk.persistence'"
        )),
        Some(vp) if vp != principal => Err(format!(
            "Create volume operation attempted by authenticated principal '{principal}', which does not match a volume in the operation with principal '{vp}' set in 'disk.persistence'"
        )),
        Some(_) => Ok(()),
    }
}

/// `validateAllocatedToSingleRole`.
fn check_single_role(op: &ReservationOp) -> Result<(), String> {
    let mut first: Option<&str> = None;
    for r in &op.resources {
        let Some(role) = r.allocation.as_deref() else {
            return Err("The resources are not allocated to a role".into());
        };
        match first {
            None => first = Some(role),
            Some(f) if f != role => {
                return Err(format!(
                    "The resources have multiple allocation roles ('{role}' and '{f}') but only one allocation role is allowed"
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

impl Master {
    /// CREATE_VOLUMES / DESTROY_VOLUMES, with the operator's `principal` when
    /// authentication is on: 202 once the agent keeps the change, 400/409 with Mesos's texts.
    pub(crate) fn operator_volumes(
        &self,
        kind: Kind,
        body: &VolumesOnAgent,
        principal: Option<&str>,
    ) -> Response {
        let aid = body.agent_id.value.as_str();
        let mut st = self.lock();
        let Some(entry) = st.agents.get(aid) else {
            return bad_request("No agent found with specified ID");
        };
        let list = &body.volumes;
        let mut op = match ReservationOp::parse(kind, list) {
            Ok(op) => op,
            Err(e) => return bad_request(e),
        };
        let checked = if kind == Kind::Create {
            check_create(list, &op, &entry.total, principal, false).map_err(|e| {
                format!(
                    "Invalid CREATE operation on agent {}: {e}",
                    agent_text(entry)
                )
            })
        } else {
            op.volumes_as_in(&entry.total);
            check_destroy(list, &op, &entry.total, &entry.used)
                .map_err(|e| format!("Invalid DESTROY operation: {e}"))
        };
        if let Err(e) = checked {
            return bad_request(e);
        }
        self.rescind_for(&mut st, aid, &op);
        let Some(entry) = st.agents.get_mut(aid) else {
            return bad_request("No agent found with specified ID");
        };
        if let Err(e) = op.apply(&available(entry), None) {
            return plain(StatusCode::CONFLICT, e);
        }
        tracing::info!(
            agent = %aid,
            "applying {} operation from the operator",
            kind.name()
        );
        apply_to_agent(entry, &op);
        empty(StatusCode::ACCEPTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn typed(list: &[Value]) -> Vec<Resource> {
        list.iter()
            .map(|v| serde_json::from_value(v.clone()).unwrap())
            .collect()
    }

    fn volume(id: &str, principal: Option<&str>, extra: Value) -> Value {
        let mut p = json!({"id": id});
        if let Some(pr) = principal {
            p["principal"] = json!(pr);
        }
        let mut v = json!({"name": "disk", "type": "SCALAR", "scalar": {"value": 32.0},
            "reservations": [{"type": "DYNAMIC", "role": "web", "principal": "ops"}],
            "disk": {"persistence": p, "volume": {"container_path": "data", "mode": "RW"}}});
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        v
    }

    fn create(list: &[Value], total: &Resources, principal: Option<&str>) -> Result<(), String> {
        let list = typed(list);
        let op = ReservationOp::parse(Kind::Create, &list).unwrap();
        check_create(&list, &op, total, principal, false)
    }

    #[test]
    fn create_checks_have_mesos_texts() {
        let none = Resources::new();
        let unreserved = json!({"name": "disk", "type": "SCALAR", "scalar": {"value": 32.0},
            "disk": {"persistence": {"id": "v"}, "volume": {"container_path": "d", "mode": "RW"}}});
        assert_eq!(
            create(&[unreserved], &none, None).unwrap_err(),
            "Invalid resources: Invalid DiskInfo: Persistent volumes cannot be created from unreserved resources"
        );
        assert_eq!(create(&[], &none, None).unwrap_err(), NO_VOLUMES);
        let plain = json!({"name": "disk", "type": "SCALAR", "scalar": {"value": 32.0},
            "reservations": [{"type": "DYNAMIC", "role": "web", "principal": "ops"}]});
        assert_eq!(
            create(&[plain], &none, None).unwrap_err(),
            "Not a persistent volume: Resource disk(reservations: [(DYNAMIC,web,ops)]):32 does not have DiskInfo"
        );
        assert_eq!(
            create(&[volume("a/b", None, json!({}))], &none, None).unwrap_err(),
            "Invalid resources: Invalid DiskInfo: Invalid persistence ID for persistent volume: 'a/b' contains invalid characters"
        );
        let ro = volume("v", None, json!({}));
        let mut ro2 = ro.clone();
        ro2["disk"]["volume"]["mode"] = json!("RO");
        assert_eq!(
            create(&[ro2], &none, None).unwrap_err(),
            "Not a persistent volume: Read-only persistent volume not supported"
        );
        assert_eq!(
            create(&[ro.clone(), ro.clone()], &none, None).unwrap_err(),
            "Persistence ID 'v' is not unique"
        );
        assert_eq!(
            create(std::slice::from_ref(&ro), &none, Some("ops")).unwrap_err(),
            "Create volume operation attempted by principal 'ops', but there is a volume in the operation with no principal set in 'disk.persistence'"
        );
        assert_eq!(
            create(&[volume("v", Some("fw"), json!({}))], &none, Some("ops")).unwrap_err(),
            "Create volume operation attempted by authenticated principal 'ops', which does not match a volume in the operation with principal 'fw' set in 'disk.persistence'"
        );
        assert!(create(&[volume("v", Some("ops"), json!({}))], &none, Some("ops")).is_ok());
    }

    #[test]
    fn create_then_destroy_restores_the_pool_and_checks_use() {
        let list = [volume("v", None, json!({}))];
        let op = ReservationOp::parse(Kind::Create, &typed(&list)).unwrap();
        let pool = rv::from_typed(&typed(&[json!({"name": "disk", "type": "SCALAR",
            "scalar": {"value": 64.0},
            "reservations": [{"type": "DYNAMIC", "role": "web", "principal": "ops"}]})]));
        let with = op.apply(&pool, None).unwrap();
        assert_eq!(
            rv::text(&with, None),
            "disk(reservations: [(DYNAMIC,web,ops)]):32; disk(reservations: [(DYNAMIC,web,ops)])[v:data]:32"
        );
        // Named with another container path, it is the same volume.
        let mut other = list[0].clone();
        other["disk"]["volume"]["container_path"] = json!("elsewhere");
        let other = typed(&[other]);
        let mut destroy = ReservationOp::parse(Kind::Destroy, &other).unwrap();
        destroy.volumes_as_in(&with);
        let none = Resources::new();
        assert!(check_destroy(&other, &destroy, &with, &none).is_ok());
        assert_eq!(
            check_destroy(&other, &destroy, &with, &with).unwrap_err(),
            "Persistent volumes in use"
        );
        assert_eq!(
            check_destroy(&other, &destroy, &pool, &none).unwrap_err(),
            "Persistent volumes not found"
        );
        assert_eq!(destroy.apply(&with, None).unwrap(), pool);
    }
}
