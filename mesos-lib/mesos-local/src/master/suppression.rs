//! Suppression per role: SUPPRESS and REVIVE with their `roles` (`Master::suppress`,
//! `Master::revive`, `HierarchicalAllocatorProcess::suppressRoles` / `reviveRoles`) and the
//! `suppressed_roles` of SUBSCRIBE and UPDATE_FRAMEWORK. A suppressed role gets no offers for
//! that framework until revived; reviving also clears the role's refuse filters.

use std::collections::BTreeSet;

use super::Master;
use super::reserve::framework_roles;
use super::state::Framework;
use mesos_lib::v1::FrameworkInfo;

/// The `suppressed_roles` of a SUBSCRIBE or UPDATE_FRAMEWORK, checked against the roles of
/// `info` (`validateSuppressedRoles`); the error is the master's.
pub(crate) fn requested(
    suppressed_roles: &[String],
    info: &FrameworkInfo,
) -> Result<BTreeSet<String>, String> {
    let wanted: BTreeSet<String> = suppressed_roles.iter().cloned().collect();
    let roles = framework_roles(info);
    let invalid: Vec<&str> = wanted
        .iter()
        .filter(|r| !roles.contains(r))
        .map(String::as_str)
        .collect();
    if invalid.is_empty() {
        return Ok(wanted);
    }
    Err(format!(
        "Suppressed roles {{ {} }} are not contained in the set of roles",
        invalid.join(", ")
    ))
}

/// The roles a SUPPRESS or REVIVE names, all the framework's when it names none; None (the
/// call is dropped, as the master drops it) when one is invalid or not the framework's.
fn named_roles(fw: &Framework, named: &[String], revive: bool) -> Option<Vec<String>> {
    let word = if revive { "revive" } else { "suppression" };
    let subscribed = framework_roles(&fw.info);
    for role in named {
        let why = match super::reservations::check_role(role) {
            Err(e) => format!("{word} role '{role}' is invalid: {e}"),
            Ok(()) if !subscribed.contains(role) => {
                format!("{word} role '{role}' is not one of the frameworks's subscribed roles")
            }
            Ok(()) => continue,
        };
        tracing::warn!(framework = %fw.id, "dropping the call: {why}");
        return None;
    }
    Some(if named.is_empty() {
        subscribed
    } else {
        named.to_vec()
    })
}

impl Master {
    /// SUPPRESS or REVIVE of `roles` (all the framework's when empty) from framework `fid`;
    /// a REVIVE runs an allocation at once.
    pub(crate) fn suppress_or_revive(&self, fid: &str, roles: &[String], revive: bool) {
        let mut st = self.lock();
        let Some(fw) = st.frameworks.get_mut(fid) else {
            return;
        };
        let Some(roles) = named_roles(fw, roles, revive) else {
            return;
        };
        if revive {
            for r in &roles {
                fw.suppressed_roles.remove(r);
            }
            // `reviveRoles`: the revived roles' refuse filters go.
            fw.filters.retain(|(_, role), _| !roles.contains(role));
            tracing::info!(
                framework = fid,
                ?roles,
                "unsuppressed offers and cleared filters"
            );
        } else {
            fw.suppressed_roles.extend(roles.iter().cloned());
            tracing::info!(framework = fid, ?roles, "suppressed offers");
        }
        drop(st);
        if revive {
            self.allocate();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn suppressed_roles_must_be_the_frameworks() {
        let info = json!({"user": "u", "name": "n", "roles": ["a", "b"],
            "capabilities": [{"type": "MULTI_ROLE"}]});
        let info = super::super::framework_checks::parse(info).unwrap();
        assert_eq!(
            requested(&["a".into()], &info).unwrap(),
            BTreeSet::from(["a".to_string()])
        );
        let wanted = ["a", "x", "c"].map(String::from);
        assert_eq!(
            requested(&wanted, &info).unwrap_err(),
            "Suppressed roles { c, x } are not contained in the set of roles"
        );
    }
}
