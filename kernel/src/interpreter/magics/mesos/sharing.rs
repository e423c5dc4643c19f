//! Sharing the cluster out, through the v1 operator API: `%weights` (GET/UPDATE_WEIGHTS) and
//! `%quota` (GET/UPDATE_QUOTA). Re-running either sends nothing when the master already has
//! what is asked; `%roles` shows the outcome per role.

use super::operator::unreachable;
use super::roles::{from_quota_map, quantities_text};
use super::{Body, MagicResult, mesos_error, num, usage};
use crate::display::counted;
use crate::display::table::Table;
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::registry::{
    ArgKind, FlagSpec, MagicContext, MagicKind, MagicSpec, spec_in,
};
use crate::mesos::{Connection, LiveKind};
use crate::protocol::content::{ErrorContent, StreamName};
use mesos_lib::resources::parse_resources;
use mesos_lib::v1::master::sharing::{Quantity, QuotaConfig, QuotaStatus, WeightInfo};
use std::collections::BTreeMap;

pub(super) static MAGICS: &[(MagicSpec, Body)] = &[
    (
        MagicSpec {
            name: "weights",
            kind: MagicKind::Line,
            usage: "%weights [ROLE=WEIGHT ...]",
            summary: "Role weights: show them (GET_WEIGHTS) or set some (UPDATE_WEIGHTS).",
            help: "Without arguments, the weights set on the master. With ROLE=WEIGHT words \
                   (e.g. %weights web=3 batch=1), the roles whose weight differs are sent in one \
                   UPDATE_WEIGHTS; re-running sends nothing. A weight must be a positive number. \
                   The allocator divides a role's dominant share by its weight, so a role of \
                   weight 3 is offered resources until it holds three times the share of a \
                   role of weight 1.",
            flags: &[],
            positional: ArgKind::Live(LiveKind::Role),
        },
        |args, ctx| Box::pin(weights(args, ctx)),
    ),
    (
        MagicSpec {
            name: "quota",
            kind: MagicKind::Line,
            usage: "%quota [ROLE [--guarantee R] [--limit R] [--remove] [--force]]",
            summary: "Role quota: show it (GET_QUOTA) or set a role's guarantees and limits \
                      (UPDATE_QUOTA).",
            help: "Without arguments, every quota set. With ROLE and --guarantee and/or --limit \
                   (resources as cpus:1;mem:128, scalars only), the role's quota becomes that; \
                   the one not given keeps its current value. --remove clears the role's quota. \
                   Re-running with what the master has sends nothing. The allocator offers a \
                   role resources up to its guarantee before any other role gets more, and never \
                   more than its limit. --force skips the master's checks (guarantees above \
                   the cluster's capacity, limits below what the role consumes).",
            flags: &[
                FlagSpec {
                    name: "guarantee",
                    value: ArgKind::Text,
                    help: "what the role is guaranteed, e.g. cpus:1;mem:256",
                },
                FlagSpec {
                    name: "limit",
                    value: ArgKind::Text,
                    help: "what the role may never exceed, e.g. cpus:4",
                },
                FlagSpec {
                    name: "remove",
                    value: ArgKind::None,
                    help: "clear the role's guarantees and limits",
                },
                FlagSpec {
                    name: "force",
                    value: ArgKind::None,
                    help: "skip the master's capacity and consumption checks",
                },
            ],
            positional: ArgKind::Live(LiveKind::Role),
        },
        |args, ctx| Box::pin(quota(args, ctx)),
    ),
];

/// `ROLE=WEIGHT` words, checked before anything is sent.
fn parse_weights(spec: &MagicSpec, words: &[String]) -> Result<Vec<(String, f64)>, ErrorContent> {
    words
        .iter()
        .map(|w| {
            let (role, weight) = w
                .split_once('=')
                .ok_or_else(|| usage(spec, format!("{w:?}: give ROLE=WEIGHT, e.g. web=3")))?;
            check_role(spec, role)?;
            match weight.parse::<f64>() {
                Ok(v) if v.is_finite() && v > 0.0 => Ok((role.to_owned(), v)),
                _ => Err(usage(
                    spec,
                    format!("{w:?}: the weight must be a positive number, not {weight:?}"),
                )),
            }
        })
        .collect()
}

/// A role name as Mesos accepts it (checked here so the error says which word is wrong).
pub(super) fn check_role(spec: &MagicSpec, role: &str) -> Result<(), ErrorContent> {
    let bad = role.is_empty()
        || role.starts_with('/')
        || role.ends_with('/')
        || role.starts_with('-')
        || role
            .split('/')
            .any(|p| p == "." || p == ".." || p.is_empty())
        || role
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '\\');
    if bad {
        return Err(usage(spec, format!("{role:?} is not a valid role name")));
    }
    Ok(())
}

async fn weights(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let spec = spec_in(MAGICS, "weights");
    let wanted = parse_weights(spec, &args.positional)?;
    let conn = ctx.mesos.connection().map_err(mesos_error)?;
    let current = current_weights(&conn).await?;
    let changed: Vec<(String, f64)> = wanted
        .into_iter()
        .filter(|(role, w)| current.get(role).is_none_or(|c| c != w))
        .collect();
    let note = if changed.is_empty() {
        if args.positional.is_empty() {
            None
        } else {
            Some("already set: nothing sent".to_owned())
        }
    } else {
        let infos = changed
            .iter()
            .map(|(role, weight)| WeightInfo {
                role: role.clone(),
                weight: *weight,
                extra: Default::default(),
            })
            .collect();
        conn.operator
            .update_weights(infos)
            .await
            .map_err(|e| mesos_error(format!("UPDATE_WEIGHTS: {e}")))?;
        Some(format!(
            "UPDATE_WEIGHTS sent: {}",
            changed
                .iter()
                .map(|(r, w)| format!(
                    "{r} {} → {}",
                    num(Some(current.get(r).copied().unwrap_or(1.0))),
                    num(Some(*w))
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    };
    let now = current_weights(&conn).await?;
    ctx.mesos.note_roles(now.keys().cloned());
    let mut t = Table::new(&["role", "weight"]);
    for (role, w) in &now {
        t.row(vec![role.clone(), num(Some(*w))]);
    }
    let listed = if now.is_empty() {
        "no weights set (every role weighs 1)".to_owned()
    } else {
        counted(now.len(), "weight set")
    };
    t.caption = Some(match note {
        Some(n) => format!("{n}; {listed}"),
        None => listed,
    });
    Ok(Some(t.to_bundle()))
}

async fn current_weights(conn: &Connection) -> Result<BTreeMap<String, f64>, ErrorContent> {
    let got = conn
        .operator
        .get_weights()
        .await
        .map_err(|e| unreachable(conn, e))?;
    Ok(got
        .weight_infos
        .into_iter()
        .map(|w| (w.role, w.weight))
        .collect())
}

/// `cpus:1;mem:128` as a quota map; only scalars.
fn parse_quota_map(
    spec: &MagicSpec,
    flag: &str,
    text: &str,
) -> Result<BTreeMap<String, Quantity>, ErrorContent> {
    let resources =
        parse_resources(text).map_err(|e| usage(spec, format!("--{flag} {text:?}: {e}")))?;
    let mut map = BTreeMap::new();
    for r in resources {
        let Some(s) = r.scalar.clone() else {
            return Err(usage(
                spec,
                format!(
                    "--{flag}: quota is for scalar resources (cpus, mem, disk, gpus), not {:?}",
                    r.name
                ),
            ));
        };
        if r.is_reserved() {
            return Err(usage(
                spec,
                format!("--{flag}: give plain amounts (cpus:1), without a role"),
            ));
        }
        map.entry(r.name).or_insert(Quantity { value: 0.0 }).value += s.value;
    }
    Ok(map)
}

/// A quota `%quota ROLE --guarantee … --limit …` asks for: absent flags keep what is set,
/// `--remove` clears both.
struct QuotaChange {
    guarantees: Option<BTreeMap<String, Quantity>>,
    limits: Option<BTreeMap<String, Quantity>>,
    remove: bool,
    force: bool,
}

impl QuotaChange {
    /// Whether the flags ask for a change (else they only ask to list).
    fn asked(args: &Args) -> bool {
        ["guarantee", "limit", "remove"].iter().any(|f| args.has(f))
    }

    /// The change the flags ask for.
    fn from_args(spec: &MagicSpec, args: &Args) -> Result<QuotaChange, ErrorContent> {
        if args.has("remove") && (args.has("guarantee") || args.has("limit")) {
            return Err(usage(
                spec,
                "--remove goes alone (it clears guarantees and limits)",
            ));
        }
        let map = |flag: &str| {
            args.value(flag)
                .map(|t| parse_quota_map(spec, flag, t))
                .transpose()
        };
        Ok(QuotaChange {
            guarantees: map("guarantee")?,
            limits: map("limit")?,
            remove: args.has("remove"),
            force: args.has("force"),
        })
    }

    /// Sends UPDATE_QUOTA for `role` unless `status` already holds the same; says which.
    async fn apply(
        self,
        conn: &Connection,
        status: &QuotaStatus,
        role: &str,
    ) -> Result<(String, bool), ErrorContent> {
        let now = status.configs.iter().find(|c| c.role == role);
        let mut wanted = QuotaConfig {
            role: role.to_owned(),
            ..QuotaConfig::default()
        };
        if !self.remove {
            wanted.guarantees = self
                .guarantees
                .or_else(|| now.map(|c| c.guarantees.clone()))
                .unwrap_or_default();
            wanted.limits = self
                .limits
                .or_else(|| now.map(|c| c.limits.clone()))
                .unwrap_or_default();
        }
        let same = now.map_or(
            wanted.guarantees.is_empty() && wanted.limits.is_empty(),
            |c| c.guarantees == wanted.guarantees && c.limits == wanted.limits,
        );
        if same {
            return Ok((
                format!("{role} already has this quota: nothing sent"),
                false,
            ));
        }
        conn.operator
            .update_quota(vec![wanted], self.force)
            .await
            .map_err(|e| mesos_error(format!("UPDATE_QUOTA: {e}")))?;
        Ok((format!("UPDATE_QUOTA sent for {role}"), true))
    }
}

async fn quota(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let spec = spec_in(MAGICS, "quota");
    let role = match args.positional.as_slice() {
        [] => None,
        [r] => {
            check_role(spec, r)?;
            Some(r.clone())
        }
        [_, extra, ..] => return Err(usage(spec, format!("unexpected argument {extra:?}"))),
    };
    let asked = QuotaChange::asked(&args);
    if role.is_none() && (asked || args.has("force")) {
        return Err(usage(spec, "name the ROLE whose quota to set"));
    }
    let change = asked
        .then(|| QuotaChange::from_args(spec, &args))
        .transpose()?;
    let conn = ctx.mesos.connection().map_err(mesos_error)?;
    let mut status = current_quota(&conn).await?;
    let mut note = None;
    let mut sent = false;
    if let (Some(role), Some(change)) = (role.as_deref(), change) {
        let (text, updated) = change.apply(&conn, &status, role).await?;
        if updated {
            status = current_quota(&conn).await?;
        }
        note = Some(text);
        sent = updated;
    }
    ctx.mesos
        .note_roles(status.configs.iter().map(|c| c.role.clone()));
    if args.has("force") && sent {
        ctx.out.stream(
            StreamName::Stderr,
            "--force: the master did not check the quota against the cluster's capacity\n",
        );
    }
    Ok(Some(
        quota_table(&status, role.as_deref(), note).to_bundle(),
    ))
}

/// The quotas set (of `role` alone, if given), captioned with what was done.
fn quota_table(status: &QuotaStatus, role: Option<&str>, note: Option<String>) -> Table {
    let mut t = Table::new(&["role", "guarantee", "limit"]);
    let set: Vec<&QuotaConfig> = status
        .configs
        .iter()
        .filter(|c| !c.guarantees.is_empty() || !c.limits.is_empty())
        .filter(|c| role.is_none_or(|r| r == c.role))
        .collect();
    for c in &set {
        t.row(vec![
            c.role.clone(),
            quantities_text(&from_quota_map(&c.guarantees)),
            quantities_text(&from_quota_map(&c.limits)),
        ]);
    }
    let listed = match role {
        Some(r) if set.is_empty() => format!("no quota for {r}"),
        _ if set.is_empty() => "no quota set".to_owned(),
        _ => counted(set.len(), "role with quota"),
    };
    t.caption = Some(match note {
        Some(n) => format!("{n}; {listed}"),
        None => listed,
    });
    t
}

async fn current_quota(conn: &Connection) -> Result<QuotaStatus, ErrorContent> {
    conn.operator
        .get_quota()
        .await
        .map_err(|e| unreachable(conn, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_and_quota_are_checked_before_sending() {
        let spec = spec_in(MAGICS, "weights");
        let words = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            parse_weights(spec, &words("web=3 eng/batch=0.5")).unwrap(),
            vec![("web".into(), 3.0), ("eng/batch".into(), 0.5)]
        );
        for bad in ["web", "web=0", "web=-1", "web=x", "/web=1", "a/../b=1"] {
            assert!(parse_weights(spec, &words(bad)).is_err(), "{bad}");
        }
        let spec = spec_in(MAGICS, "quota");
        let m = parse_quota_map(spec, "guarantee", "cpus:1;mem:128").unwrap();
        assert_eq!((m["cpus"].value, m["mem"].value), (1.0, 128.0));
        assert!(parse_quota_map(spec, "limit", "ports:[1-2]").is_err());
        assert!(parse_quota_map(spec, "limit", "cpus:lots").is_err());
    }
}
