//! RESERVE and UNRESERVE as Mesos checks and applies them: resources read in either
//! reservation format and upgraded to the refinement format (`Resources::validate`,
//! `convertResourceFormat`), the checks of `validation::operation`, and the resource
//! conversions (`getResourceConversions`) applied to a pool; CREATE and DESTROY share the
//! reading and the conversions (their checks are in `volumes`). No state is touched here.

use crate::resource_views as rv;
use mesos_lib::resources::Resources;
use mesos_lib::v1::resources::{ReservationInfo, ReservationType, Resource, ValueType};

/// Which way an operation moves resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Pushes one reservation onto each resource.
    Reserve,
    /// Pops the top reservation of each resource.
    Unreserve,
    /// Turns reserved disk into a persistent volume (adds its `disk`).
    Create,
    /// Turns a persistent volume back into reserved disk (drops its `disk`).
    Destroy,
    /// Merges a persistent volume and reserved disk into a larger volume (GROW_VOLUME).
    Grow,
    /// Splits a persistent volume into a smaller one and freed reserved disk (SHRINK_VOLUME).
    Shrink,
}

impl Kind {
    /// The offer operation's name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Reserve => "RESERVE",
            Kind::Unreserve => "UNRESERVE",
            Kind::Create => "CREATE",
            Kind::Destroy => "DESTROY",
            Kind::Grow => "GROW_VOLUME",
            Kind::Shrink => "SHRINK_VOLUME",
        }
    }

    /// The kind of an offer operation's `type`, if it is one of these.
    pub(crate) fn of_type(ty: &str) -> Option<Kind> {
        Some(match ty {
            "RESERVE" => Kind::Reserve,
            "UNRESERVE" => Kind::Unreserve,
            "CREATE" => Kind::Create,
            "DESTROY" => Kind::Destroy,
            "GROW_VOLUME" => Kind::Grow,
            "SHRINK_VOLUME" => Kind::Shrink,
            _ => return None,
        })
    }

    /// Where an offer operation lists its resources (`create.volumes`).
    pub(crate) fn field(self) -> &'static str {
        match self {
            Kind::Reserve | Kind::Unreserve => "resources",
            Kind::Create | Kind::Destroy => "volumes",
            Kind::Grow | Kind::Shrink => "volume",
        }
    }

    /// Whether the operation resizes a volume: its result is not offered again within the
    /// same ACCEPT (`resizedResources` in `Master::_accept`).
    pub(crate) fn resizes(self) -> bool {
        matches!(self, Kind::Grow | Kind::Shrink)
    }
}

/// One resource of an operation: upgraded, the role its `allocation_info` names, and
/// whether it is a persistent volume.
#[derive(Debug, Clone)]
pub(crate) struct OpResource {
    pub resource: Resource,
    pub allocation: Option<String>,
    pub volume: bool,
}

impl OpResource {
    fn text(&self) -> String {
        rv::resource_text(&self.resource, self.allocation.as_deref())
    }
}

/// A RESERVE, UNRESERVE, CREATE, DESTROY, GROW_VOLUME or SHRINK_VOLUME, its resources in
/// the refinement format (a resize: the volume, then a GROW_VOLUME's addition).
#[derive(Debug, Clone)]
pub(crate) struct ReservationOp {
    pub kind: Kind,
    pub resources: Vec<OpResource>,
    /// SHRINK_VOLUME's `subtract` (zero for the others).
    pub subtract: f64,
}

impl ReservationOp {
    /// Reads an operation's resources, refusing a malformed one with Mesos's text
    /// (`Resource '…' is invalid: …`).
    pub(crate) fn parse(kind: Kind, list: &[Resource]) -> Result<ReservationOp, String> {
        let mut resources = Vec::new();
        for r in list {
            let parsed = parse_resource(r);
            if let Err(e) = check_format(r) {
                return Err(format!("Resource '{}' is invalid: {e}", parsed.text()));
            }
            resources.push(parsed);
        }
        Ok(ReservationOp {
            kind,
            resources,
            subtract: 0.0,
        })
    }

    /// Gives every resource without `allocation_info` the offer's role
    /// (`protobuf::injectAllocationInfo`).
    pub(crate) fn allocate_to(&mut self, role: &str) {
        for r in &mut self.resources {
            r.allocation.get_or_insert_with(|| role.to_string());
        }
    }

    /// `validation::operation::validate`. `principal` is the framework's or the operator's;
    /// `framework_roles` is `Some` for an offer operation, `None` for the operator API.
    pub(crate) fn validate(
        &self,
        principal: Option<&str>,
        framework_roles: Option<&[String]>,
    ) -> Result<(), String> {
        for r in &self.resources {
            if !rv::dynamically_reserved(&r.resource) {
                return Err(format!("Resource {} is not dynamically reserved", r.text()));
            }
            match self.kind {
                Kind::Reserve => check_reserve(r, principal, framework_roles)?,
                Kind::Unreserve if r.volume => {
                    return Err(format!(
                        "A dynamically reserved persistent volume {} cannot be unreserved directly. Please destroy the persistent volume first then unreserve the resource",
                        r.text()
                    ));
                }
                Kind::Unreserve | Kind::Create | Kind::Destroy | Kind::Grow | Kind::Shrink => {}
            }
        }
        Ok(())
    }

    /// Takes each persistent volume's `disk` from the volume with the same persistence ID
    /// and reservations in `pool` (`rv::volumes_as_in`): DESTROY may name the volume with
    /// another container path.
    pub(crate) fn volumes_as_in(&mut self, pool: &Resources) {
        for r in &mut self.resources {
            let one: Resources = std::iter::once(&r.resource).collect();
            if let Some(x) = rv::volumes_as_in(&one, pool).into_vec().pop() {
                r.resource = x;
            }
        }
    }

    /// What the operation takes from a pool, without allocation (for choosing offers to
    /// rescind).
    pub(crate) fn consumed(&self) -> Resources {
        self.conversions()
            .into_iter()
            .flat_map(|(c, _, _)| c)
            .collect()
    }

    /// (consumed, converted, allocation role) per conversion, in order
    /// (`getResourceConversions`).
    fn conversions(&self) -> Vec<(Vec<Resource>, Vec<Resource>, Option<&str>)> {
        if self.kind.resizes() {
            return self.resize_conversion().into_iter().collect();
        }
        self.resources
            .iter()
            .map(|r| {
                let reserved = r.resource.clone();
                let mut popped = reserved.clone();
                popped.reservations.pop();
                let alloc = r.allocation.as_deref();
                let mut plain = reserved.clone();
                plain.disk = None;
                let (consumed, converted) = match self.kind {
                    Kind::Reserve => (popped, reserved),
                    Kind::Unreserve => (reserved, popped),
                    Kind::Create => (plain, reserved),
                    Kind::Destroy | Kind::Grow | Kind::Shrink => (reserved, plain),
                };
                (vec![consumed], vec![converted], alloc)
            })
            .collect()
    }

    /// The pool after the operation (`Resources::apply`), or Mesos's "… does not contain …".
    /// The pool's resources are all allocated to `allocation` (`None`: unallocated).
    pub(crate) fn apply(
        &self,
        pool: &Resources,
        allocation: Option<&str>,
    ) -> Result<Resources, String> {
        let mut out = pool.clone();
        for (consumed, converted, alloc) in self.conversions() {
            let taken: Resources = consumed.iter().collect();
            // A volume is taken only whole (`subtractable`).
            let whole = rv::volumes_whole(&taken, &out);
            if alloc != allocation || !out.contains(&taken) || !whole {
                let wanted: Vec<String> = consumed
                    .iter()
                    .map(|c| rv::resource_text(c, alloc))
                    .collect();
                return Err(format!(
                    "{} does not contain {}",
                    rv::text(&out, allocation),
                    wanted.join("; ")
                ));
            }
            out.subtract_all(&taken);
            for c in &converted {
                out.add(c);
            }
        }
        Ok(out)
    }

    /// An agent's total after the operation, whatever role the resources were allocated
    /// to (the master's `_apply`); `None` if the total lacks what it takes.
    pub(crate) fn apply_to_total(&self, total: &Resources) -> Option<Resources> {
        let mut unallocated = self.clone();
        for r in &mut unallocated.resources {
            r.allocation = None;
        }
        unallocated.apply(total, None).ok()
    }
}

/// One resource of an operation, refused with the bare text of `Resources::validate` (as a
/// resize's single volume or addition is checked).
pub(crate) fn parse_one(r: &Resource) -> Result<OpResource, String> {
    let parsed = parse_resource(r);
    check_format(r)?;
    Ok(parsed)
}

fn parse_resource(r: &Resource) -> OpResource {
    let mut resource = rv::from_typed(std::slice::from_ref(r))
        .into_vec()
        .pop()
        .unwrap_or_else(|| Resource::scalar(&r.name, 0.0));
    // A zero quantity merges into nothing; keep the reservations all the same.
    resource.reservations = rv::reservation_stack(r);
    OpResource {
        resource,
        allocation: r.allocation_info.as_ref().and_then(|a| a.role.clone()),
        volume: r.disk.as_ref().is_some_and(|d| d.persistence.is_some()),
    }
}

/// `roles::validate`.
pub(crate) fn check_role(role: &str) -> Result<(), String> {
    if role == "*" {
        return Ok(());
    }
    if role.starts_with('/') {
        return Err(format!("Role '{role}' cannot start with a slash"));
    }
    if role.ends_with('/') {
        return Err(format!("Role '{role}' cannot end with a slash"));
    }
    if role.contains("//") {
        return Err(format!("Role '{role}' cannot contain two adjacent slashes"));
    }
    if role.is_empty() {
        return Err("Role names cannot be the empty string".into());
    }
    for c in role.split('/') {
        match c {
            "." => return Err(format!("Role '{role}' cannot include '.' as a component")),
            ".." => return Err(format!("Role '{role}' cannot include '..' as a component")),
            "*" => return Err(format!("Role '{role}' cannot include '*' as a component")),
            _ if c.starts_with('-') => {
                return Err(format!(
                    "Role component '{c}' is invalid because it starts with a dash"
                ));
            }
            _ if c.chars().any(|ch| ch.is_whitespace() || ch == '\u{8}') => {
                return Err(format!(
                    "Role component '{c}' is invalid because it contains backspace or whitespace"
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The reservation-format checks of `Resources::validate(const Resource&)`.
fn check_format(r: &Resource) -> Result<(), String> {
    let name = r.name.as_str();
    if name.is_empty() {
        return Err("Empty resource name".into());
    }
    if r.disk.is_some() && name != "disk" {
        return Err(format!("DiskInfo should not be set for {name} resource"));
    }
    if matches!(r.value_type, None | Some(ValueType::Scalar))
        && r.scalar.as_ref().is_some_and(|s| s.value < 0.0)
    {
        return Err("Invalid scalar resource: value <= 0".into());
    }
    let stack = &r.reservations;
    if stack.is_empty() {
        return check_pre_refinement(r);
    }
    for x in stack {
        if x.reservation_type.is_none() {
            return Err(
                "Invalid reservation: 'Resource.ReservationInfo.type' field must be set.".into(),
            );
        }
        let Some(role) = x.role.as_deref() else {
            return Err(
                "Invalid reservation: 'Resource.ReservationInfo.role' field must be set.".into(),
            );
        };
        check_role(role)?;
        if role == "*" {
            return Err("Invalid reservation: role \"*\" cannot be reserved".into());
        }
    }
    check_refinement(stack)?;
    check_both_formats(r, stack)
}

fn check_pre_refinement(r: &Resource) -> Result<(), String> {
    let role = r.role.as_deref().unwrap_or("*");
    check_role(role)?;
    if let Some(res) = &r.reservation {
        if res.reservation_type.is_some() {
            return Err("'Resource.ReservationInfo.type' must not be set for the 'Resource.reservation' field".into());
        }
        if res.role.is_some() {
            return Err("'Resource.ReservationInfo.role' must not be set for the 'Resource.reservation' field".into());
        }
        if role == "*" {
            return Err("Invalid reservation: role \"*\" cannot be dynamically reserved".into());
        }
    }
    Ok(())
}

/// Each reservation after the first is DYNAMIC and refines the one before.
fn check_refinement(stack: &[ReservationInfo]) -> Result<(), String> {
    let mut ancestor = stack[0].role.as_deref().unwrap_or("");
    for x in &stack[1..] {
        if x.reservation_type == Some(ReservationType::Static) {
            return Err(
                "Invalid refined reservation: A refined reservation cannot be STATIC".into(),
            );
        }
        let descendant = x.role.as_deref().unwrap_or("");
        let refines = descendant
            .strip_prefix(ancestor)
            .is_some_and(|rest| rest.starts_with('/'));
        if !refines {
            return Err(format!(
                "Invalid refined reservation: role '{descendant}' is not a refinement of '{ancestor}'"
            ));
        }
        ancestor = descendant;
    }
    Ok(())
}

/// `role`/`reservation` next to `reservations` must agree with a single reservation.
fn check_both_formats(r: &Resource, stack: &[ReservationInfo]) -> Result<(), String> {
    let (role, res) = (r.role.as_deref(), r.reservation.as_ref());
    let [only] = stack else {
        if role.is_some() {
            return Err("Invalid resource format: 'Resource.role' must not be set if there is more than one reservation in 'Resource.reservations'".into());
        }
        if res.is_some() {
            return Err("Invalid resource format: 'Resource.reservation' must not be set if there is more than one reservation in 'Resource.reservations'".into());
        }
        return Ok(());
    };
    let only_role = only.role.as_deref().unwrap_or("");
    if let Some(role) = role.filter(|r| *r != only_role) {
        return Err(format!(
            "Invalid resource format: 'Resource.role' field with '{role}' does not match the role '{only_role}' in 'Resource.reservations'"
        ));
    }
    match &only.reservation_type {
        Some(ReservationType::Static) if res.is_some() => Err("Invalid resource format: 'Resource.reservation' must not be set if the single reservation in 'Resource.reservations' is STATIC".into()),
        Some(ReservationType::Dynamic) if role.is_some() != res.is_some() => Err("Invalid resource format: 'Resource.role' and 'Resource.reservation' must either be both set or both not set if the single reservation in 'Resource.reservations' is DYNAMIC".into()),
        Some(ReservationType::Dynamic) => {
            let (p, want) = (res.and_then(|x| x.principal.as_deref()), only.principal.as_deref());
            if res.is_some() && p != want {
                return Err(format!(
                    "Invalid resource format: 'Resource.reservation.principal' field with '{}' does not match the principal '{}' in 'Resource.reservations'",
                    p.unwrap_or(""),
                    want.unwrap_or("")
                ));
            }
            Ok(())
        }
        Some(ReservationType::Static) => Ok(()),
        _ => Err("Unsupported 'Resource.ReservationInfo.Type'".into()),
    }
}

/// The RESERVE checks on one resource: the principal, then the allocation (an offer
/// operation reserves what was allocated to one of the framework's roles; the operator only
/// what is unallocated).
fn check_reserve(
    r: &OpResource,
    principal: Option<&str>,
    framework_roles: Option<&[String]>,
) -> Result<(), String> {
    let top = r.resource.reservations.last();
    if let Some(p) = principal {
        match top.and_then(|t| t.principal.as_deref()) {
            None => {
                return Err(format!(
                    "A reserve operation was attempted by principal '{p}', but there is a reserved resource in the request with no principal set"
                ));
            }
            Some(rp) if rp != p => {
                return Err(format!(
                    "A reserve operation was attempted by authenticated principal '{p}', which does not match a reserved resource in the request with principal '{rp}'"
                ));
            }
            Some(_) => {}
        }
    }
    let role = r.resource.reservation_role().unwrap_or("*");
    let Some(roles) = framework_roles else {
        if r.allocation.is_some() {
            return Err("A reserve operation was attempted with an allocated resource, but the operator API only allows reservations to be made to unallocated resources".into());
        }
        return Ok(());
    };
    let shown = format!("{{ {} }}", roles.join(", "));
    let Some(alloc) = r.allocation.as_deref() else {
        return Err(format!(
            "A reserve operation was attempted on unallocated resource {}, but frameworks can only perform reservations on allocated resources",
            r.text()
        ));
    };
    if alloc != role {
        return Err(format!(
            "A reserve operation was attempted for a resource with role '{role}', but the resource was allocated to role '{alloc}'"
        ));
    }
    if !roles.iter().any(|x| x == alloc) {
        return Err(format!(
            "A reserve operation was attempted for a resource allocated to role '{alloc}', but the framework only has roles '{shown}'"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn cpus(v: f64, extra: Value) -> Resource {
        let mut r = json!({"name": "cpus", "type": "SCALAR", "scalar": {"value": v}});
        r.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        serde_json::from_value(r).unwrap()
    }

    fn web() -> Value {
        json!({"reservations": [{"type": "DYNAMIC", "role": "web", "principal": "ops"}]})
    }

    #[test]
    fn both_formats_read_as_one_reservation() {
        let post = ReservationOp::parse(Kind::Reserve, &[cpus(1.0, web())]).unwrap();
        let pre = ReservationOp::parse(
            Kind::Reserve,
            &[cpus(
                1.0,
                json!({"role": "web", "reservation": {"principal": "ops"}}),
            )],
        )
        .unwrap();
        assert_eq!(post.resources[0].resource, pre.resources[0].resource);
        assert_eq!(
            rv::resource_text(&post.resources[0].resource, None),
            "cpus(reservations: [(DYNAMIC,web,ops)]):1"
        );
    }

    #[test]
    fn format_errors_have_mesos_texts() {
        let err = |r: Resource| ReservationOp::parse(Kind::Reserve, &[r]).unwrap_err();
        assert_eq!(
            err(cpus(
                1.0,
                json!({"reservations": [{"type": "DYNAMIC", "role": "*"}]})
            )),
            "Resource 'cpus(reservations: [(DYNAMIC,*)]):1' is invalid: Invalid reservation: role \"*\" cannot be reserved"
        );
        assert_eq!(
            err(cpus(
                1.0,
                json!({"role": "db", "reservation": {"principal": "ops"},
                "reservations": [{"type": "DYNAMIC", "role": "web", "principal": "ops"}]})
            )),
            "Resource 'cpus(reservations: [(DYNAMIC,web,ops)]):1' is invalid: Invalid resource format: 'Resource.role' field with 'db' does not match the role 'web' in 'Resource.reservations'"
        );
        assert_eq!(
            err(cpus(
                1.0,
                json!({"reservations": [{"type": "DYNAMIC", "role": "eng"},
                {"type": "DYNAMIC", "role": "web"}]})
            )),
            "Resource 'cpus(reservations: [(DYNAMIC,eng),(DYNAMIC,web)]):1' is invalid: Invalid refined reservation: role 'web' is not a refinement of 'eng'"
        );
    }

    #[test]
    fn validation_texts_are_the_masters() {
        let op = |r: Resource| ReservationOp::parse(Kind::Reserve, &[r]).unwrap();
        assert_eq!(
            op(cpus(1.0, json!({}))).validate(None, None).unwrap_err(),
            "Resource cpus:1 is not dynamically reserved"
        );
        assert_eq!(
            op(cpus(1.0, web())).validate(Some("fw"), None).unwrap_err(),
            "A reserve operation was attempted by authenticated principal 'fw', which does not match a reserved resource in the request with principal 'ops'"
        );
        let mut offered = op(cpus(1.0, web()));
        offered.allocate_to("db");
        let roles = ["db".to_string()];
        assert_eq!(
            offered.validate(None, Some(&roles)).unwrap_err(),
            "A reserve operation was attempted for a resource with role 'web', but the resource was allocated to role 'db'"
        );
        assert!(op(cpus(1.0, web())).validate(Some("ops"), None).is_ok());
        let unreserve = ReservationOp::parse(Kind::Unreserve, &[cpus(1.0, json!({}))]).unwrap();
        assert_eq!(
            unreserve.validate(None, None).unwrap_err(),
            "Resource cpus:1 is not dynamically reserved"
        );
    }

    #[test]
    fn reserve_then_unreserve_restores_the_pool() {
        let pool = rv::from_typed(&[cpus(2.0, json!({}))]);
        let reserve = ReservationOp::parse(Kind::Reserve, &[cpus(1.0, web())]).unwrap();
        let reserved = reserve.apply(&pool, None).unwrap();
        assert_eq!(
            rv::text(&reserved, None),
            "cpus:1; cpus(reservations: [(DYNAMIC,web,ops)]):1"
        );
        let unreserve = ReservationOp::parse(Kind::Unreserve, &[cpus(1.0, web())]).unwrap();
        assert_eq!(unreserve.apply(&reserved, None).unwrap(), pool);
        assert_eq!(
            unreserve.apply(&pool, None).unwrap_err(),
            "cpus:2 does not contain cpus(reservations: [(DYNAMIC,web,ops)]):1"
        );
        let big = ReservationOp::parse(Kind::Reserve, &[cpus(1000.0, web())]).unwrap();
        assert_eq!(
            big.apply(&reserved, None).unwrap_err(),
            "cpus:1; cpus(reservations: [(DYNAMIC,web,ops)]):1 does not contain cpus:1000"
        );
        // An offer's pool is allocated: the texts say so.
        let mut offered = reserve.clone();
        offered.allocate_to("web");
        assert_eq!(
            offered
                .apply(&rv::from_typed(&[]), Some("web"))
                .unwrap_err(),
            "{} does not contain cpus(allocated: web):1"
        );
    }
}
