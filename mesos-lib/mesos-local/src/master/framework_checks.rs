//! The role checks of a FrameworkInfo (`validation::framework::internal::validateRoles`), run
//! on every SUBSCRIBE and UPDATE_FRAMEWORK with the master's texts: which of `role` / `roles`
//! a framework may set depends on MULTI_ROLE, the roles must be distinct and valid names.

use std::collections::BTreeSet;

use serde_json::Value;

use super::reservations::check_role;
use crate::json as j;

/// `validateRoles`: the first error of a FrameworkInfo's role fields, as the master words it.
pub(crate) fn validate_roles(info: &Value) -> Result<(), String> {
    let multi_role = j::array_at(info, "capabilities")
        .iter()
        .any(|c| j::str_at(c, "type") == Some("MULTI_ROLE"));
    let roles: Vec<&str> = j::array_at(info, "roles")
        .iter()
        .map(|r| r.as_str().unwrap_or(""))
        .collect();
    if !multi_role {
        if !roles.is_empty() {
            return Err(
                "'FrameworkInfo.roles' must not be set when the framework is not \
                 MULTI_ROLE capable"
                    .into(),
            );
        }
        // An unset `role` is the protobuf default, "*".
        let role = j::str_at(info, "role").unwrap_or("*");
        return check_role(role)
            .map_err(|e| format!("'FrameworkInfo.role' is not a valid role: {e}"));
    }
    if info.get("role").is_some() {
        return Err(
            "'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable".into(),
        );
    }
    let mut seen = BTreeSet::new();
    let duplicates: BTreeSet<&str> = roles.iter().copied().filter(|r| !seen.insert(*r)).collect();
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn multi(roles: Value) -> Value {
        json!({"roles": roles, "capabilities": [{"type": "MULTI_ROLE"}]})
    }

    #[test]
    fn roles_need_multi_role_and_role_must_not_have_it() {
        assert_eq!(
            validate_roles(&json!({"roles": ["web"]})).unwrap_err(),
            "'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable"
        );
        assert_eq!(
            validate_roles(&json!({"role": "web", "capabilities": [{"type": "MULTI_ROLE"}]}))
                .unwrap_err(),
            "'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable"
        );
        // An empty `roles` is no `roles` at all, as in protobuf.
        assert!(validate_roles(&json!({"roles": [], "role": "web"})).is_ok());
        assert!(validate_roles(&json!({"role": "web"})).is_ok());
        assert!(validate_roles(&json!({})).is_ok());
        assert!(validate_roles(&multi(json!(["web", "eng/db"]))).is_ok());
        assert!(validate_roles(&multi(json!([]))).is_ok());
    }

    #[test]
    fn duplicates_and_invalid_names_are_refused() {
        assert_eq!(
            validate_roles(&multi(json!(["a", "b", "a"]))).unwrap_err(),
            "'FrameworkInfo.roles' contains duplicate items: { a }"
        );
        assert_eq!(
            validate_roles(&multi(json!(["a", "-b"]))).unwrap_err(),
            "'FrameworkInfo.roles' contains invalid role: Role component '-b' is invalid because it starts with a dash"
        );
        assert_eq!(
            validate_roles(&json!({"role": "eng/"})).unwrap_err(),
            "'FrameworkInfo.role' is not a valid role: Role 'eng/' cannot end with a slash"
        );
        assert_eq!(
            validate_roles(&json!({"role": ""})).unwrap_err(),
            "'FrameworkInfo.role' is not a valid role: Role names cannot be the empty string"
        );
    }
}
