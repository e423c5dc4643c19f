//! A FrameworkInfo as SUBSCRIBE and UPDATE_FRAMEWORK bring it (read into the typed
//! `FrameworkInfo` once, with Mesos's lenient scalars), and its role checks
//! (`validation::framework::internal::validateRoles`), run on every SUBSCRIBE and
//! UPDATE_FRAMEWORK with the master's texts: which of `role` / `roles` a framework may set
//! depends on MULTI_ROLE, the roles must be distinct and valid names. A known framework's new
//! FrameworkInfo is checked against the one the master holds (`validateUpdate`).

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::Value;

use super::reservations::check_role;
use crate::json as j;
use mesos_lib::v1::{FrameworkCapabilityType, FrameworkInfo};

/// The string fields of a FrameworkInfo: stout refuses any other JSON type there.
const STRING_FIELDS: &[&str] = &["user", "name", "role", "hostname", "principal", "webui_url"];

/// A call's FrameworkInfo as the master keeps it; the error is stout's conversion text
/// (after "Failed to convert JSON into Call protobuf: "). `failover_timeout` and `checkpoint`
/// may come as strings, as stout takes them ("Infinity" included, which a JSON number
/// cannot hold, so it is read before the rest).
pub(crate) fn parse(mut info: Value) -> Result<FrameworkInfo, String> {
    let Some(map) = info.as_object_mut() else {
        return Err("Expecting a JSON object for field 'framework_info'".into());
    };
    for k in STRING_FIELDS {
        if let Some(v) = map.get(*k).filter(|v| !v.is_string()) {
            return Err(j::not_expecting(v, k));
        }
    }
    let roles = map.get("roles").and_then(Value::as_array);
    if let Some(bad) = roles.and_then(|r| r.iter().find(|r| !r.is_string())) {
        return Err(j::not_expecting(bad, "roles"));
    }
    let failover_timeout = match map.remove("failover_timeout") {
        None => None,
        Some(v) => Some(j::as_f64(&v).ok_or_else(|| j::not_expecting(&v, "failover_timeout"))?),
    };
    let checkpoint = match map.remove("checkpoint") {
        None => None,
        Some(Value::Bool(b)) => Some(b),
        Some(Value::String(s)) if s == "true" || s == "false" => Some(s == "true"),
        Some(v) => return Err(j::not_expecting(&v, "checkpoint")),
    };
    let mut typed = FrameworkInfo::deserialize(&info).map_err(|e| e.to_string())?;
    typed.failover_timeout = failover_timeout;
    typed.checkpoint = checkpoint;
    Ok(typed)
}

/// `validateRoles`: the first error of a FrameworkInfo's role fields, as the master words it.
pub(crate) fn validate_roles(info: &FrameworkInfo) -> Result<(), String> {
    let multi_role = info.has_capability(&FrameworkCapabilityType::MultiRole);
    let roles = &info.roles;
    if !multi_role {
        if !roles.is_empty() {
            return Err(
                "'FrameworkInfo.roles' must not be set when the framework is not \
                 MULTI_ROLE capable"
                    .into(),
            );
        }
        // An unset `role` is the protobuf default, "*".
        let role = info.role.as_deref().unwrap_or("*");
        return check_role(role)
            .map_err(|e| format!("'FrameworkInfo.role' is not a valid role: {e}"));
    }
    if info.role.is_some() {
        return Err(
            "'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable".into(),
        );
    }
    let mut seen = BTreeSet::new();
    let duplicates: BTreeSet<&str> = roles
        .iter()
        .map(String::as_str)
        .filter(|r| !seen.insert(*r))
        .collect();
    if !duplicates.is_empty() {
        // stout's `stringify` of a set: "{ a, b }" (the master's is a hashset, in no order).
        let shown = duplicates.into_iter().collect::<Vec<_>>().join(", ");
        return Err(format!(
            "'FrameworkInfo.roles' contains duplicate items: {{ {shown} }}"
        ));
    }
    for role in roles {
        check_role(role)
            .map_err(|e| format!("'FrameworkInfo.roles' contains invalid role: {e}"))?;
    }
    Ok(())
}

/// `validation::framework::validateUpdate`: what a known framework may not change, in
/// Mesos's order and texts (the principal's without naming either value).
pub(crate) fn validate_update(old: &FrameworkInfo, new: &FrameworkInfo) -> Result<(), String> {
    if old.principal != new.principal {
        return Err("Changing framework's principal is not allowed.".into());
    }
    if old.user != new.user {
        return Err(format!(
            "Updating 'FrameworkInfo.user' is unsupported; attempted to update from '{}' to '{}'",
            old.user, new.user
        ));
    }
    let (old_cp, new_cp) = (checkpoint(old), checkpoint(new));
    if old_cp != new_cp {
        return Err(format!(
            "Updating 'FrameworkInfo.checkpoint' is unsupported; attempted to update from '{old_cp}' to '{new_cp}'"
        ));
    }
    Ok(())
}

/// `validation::framework::preserveImmutableFields`, as a re-subscription applies it before
/// `validateUpdate`: a changed user or checkpoint is not refused there but kept as it was.
pub(crate) fn preserve_immutable_fields(old: &FrameworkInfo, new: &mut FrameworkInfo) {
    if new.user != old.user {
        tracing::warn!(framework = ?old.id, user = %new.user, "cannot update FrameworkInfo.user; see MESOS-703");
        new.user = old.user.clone();
    }
    if checkpoint(new) != checkpoint(old) {
        tracing::warn!(framework = ?old.id, "cannot update FrameworkInfo.checkpoint; see MESOS-703");
        new.checkpoint = old.checkpoint;
    }
}

/// `checkpoint`, false when unset (the proto's default).
fn checkpoint(info: &FrameworkInfo) -> bool {
    info.checkpoint.unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn multi(roles: Value) -> Value {
        json!({"roles": roles, "capabilities": [{"type": "MULTI_ROLE"}]})
    }

    /// `validate_roles` of the FrameworkInfo with these fields (and a user and name).
    fn check(fields: Value) -> Result<(), String> {
        let mut info = json!({"user": "u", "name": "n"});
        info.as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        validate_roles(&parse(info).unwrap())
    }

    #[test]
    fn roles_need_multi_role_and_role_must_not_have_it() {
        assert_eq!(
            check(json!({"roles": ["web"]})).unwrap_err(),
            "'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable"
        );
        assert_eq!(
            check(json!({"role": "web", "capabilities": [{"type": "MULTI_ROLE"}]})).unwrap_err(),
            "'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable"
        );
        // An empty `roles` is no `roles` at all, as in protobuf.
        assert!(check(json!({"roles": [], "role": "web"})).is_ok());
        assert!(check(json!({"role": "web"})).is_ok());
        assert!(check(json!({})).is_ok());
        assert!(check(multi(json!(["web", "eng/db"]))).is_ok());
        assert!(check(multi(json!([]))).is_ok());
    }

    #[test]
    fn duplicates_and_invalid_names_are_refused() {
        assert_eq!(
            check(multi(json!(["a", "b", "a"]))).unwrap_err(),
            "'FrameworkInfo.roles' contains duplicate items: { a }"
        );
        assert_eq!(
            check(multi(json!(["a", "-b"]))).unwrap_err(),
            "'FrameworkInfo.roles' contains invalid role: Role component '-b' is invalid because it starts with a dash"
        );
        assert_eq!(
            check(json!({"role": "eng/"})).unwrap_err(),
            "'FrameworkInfo.role' is not a valid role: Role 'eng/' cannot end with a slash"
        );
        assert_eq!(
            check(json!({"role": ""})).unwrap_err(),
            "'FrameworkInfo.role' is not a valid role: Role names cannot be the empty string"
        );
    }

    #[test]
    fn scalars_come_as_mesos_takes_them_and_other_types_are_refused() {
        let info = parse(
            json!({"user": "u", "name": "n", "failover_timeout": "Infinity",
            "checkpoint": "true", "offer_filters": {"web": {}}}),
        )
        .unwrap();
        assert_eq!(info.failover_timeout, Some(f64::INFINITY));
        assert_eq!(info.checkpoint, Some(true));
        // What mesos-lib does not model is kept as sent.
        assert_eq!(info.extra["offer_filters"], json!({"web": {}}));
        let info = parse(json!({"user": "u", "name": "n", "failover_timeout": 60})).unwrap();
        assert_eq!(info.failover_timeout, Some(60.0));
        assert_eq!(
            parse(json!({"user": 5, "name": "n"})).unwrap_err(),
            "Not expecting a JSON number for field 'user'"
        );
        assert_eq!(
            parse(json!({"user": "u", "name": "n", "roles": ["a", true]})).unwrap_err(),
            "Not expecting a JSON boolean for field 'roles'"
        );
        assert_eq!(
            parse(json!({"user": "u", "name": "n", "checkpoint": 1})).unwrap_err(),
            "Not expecting a JSON number for field 'checkpoint'"
        );
    }
}
