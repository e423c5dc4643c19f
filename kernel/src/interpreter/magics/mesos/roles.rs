//! What each role holds of the cluster, read through the v1 operator API only (so a real
//! master answers it too): weight and frameworks (GET_ROLES), quota (GET_QUOTA), reserved
//! resources (GET_AGENTS) and allocated ones (GET_FRAMEWORKS, by `allocation_info`). `%roles`
//! shows it; `%weights`, `%quota` and `%shares` read parts of it.

use super::operator::unreachable;
use super::{Body, MagicResult, mesos_error, no_positional, num};
use crate::display::counted;
use crate::display::table::Table;
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::registry::{ArgKind, MagicContext, MagicKind, MagicSpec, spec_in};
use crate::mesos::Connection;
use crate::protocol::content::ErrorContent;
use mesos_lib::v1::Resource;
use mesos_lib::v1::master::response::{Framework, GetAgents, GetFrameworks};
use mesos_lib::v1::master::sharing::{Quantity, QuotaConfig};
use std::collections::BTreeMap;

/// Amounts by resource name (`cpus`, `mem`, `disk`, `gpus`): what quota and shares count.
pub(super) type Quantities = BTreeMap<String, f64>;

/// The resources a dominant share is taken over, as Mesos's DRF sorter counts them.
pub(super) const SHARED: &[&str] = &["cpus", "mem", "disk", "gpus"];

pub(super) static MAGICS: &[(MagicSpec, Body)] = &[(
    MagicSpec {
        name: "roles",
        kind: MagicKind::Line,
        usage: "%roles",
        summary: "Roles: weight, frameworks, quota (guarantee, limit, consumed), reserved and \
                  allocated resources.",
        help: "One row per role the master knows (GET_ROLES), with its quota (GET_QUOTA: \
               guarantee and limit; consumed is what it has reserved plus the unreserved \
               resources its frameworks hold, as Mesos counts it), what is reserved for it on \
               the agents (GET_AGENTS) and what its frameworks are allocated (GET_FRAMEWORKS, \
               by each resource's allocation role). Only v1 operator calls, so a real master \
               answers it the same way.",
        flags: &[],
        positional: ArgKind::None,
    },
    |args, ctx| Box::pin(roles(args, ctx)),
)];

/// One role's part of the cluster.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct RoleRow {
    /// Its weight (1 unless set).
    pub weight: f64,
    /// Frameworks subscribed in it.
    pub frameworks: usize,
    /// Quota guarantees and limits, when set.
    pub quota: Option<QuotaConfig>,
    /// Reserved for it on the agents.
    pub reserved: Quantities,
    /// Allocated to its frameworks (reserved or not).
    pub allocated: Quantities,
    /// Of `allocated`, what is unreserved (counts towards quota consumption).
    pub allocated_unreserved: Quantities,
}

impl RoleRow {
    /// Consumed quota as Mesos counts it: reservations plus unreserved allocations.
    pub fn consumed(&self) -> Quantities {
        let mut q = self.reserved.clone();
        add(&mut q, &self.allocated_unreserved);
        q
    }
}

/// Every role and the cluster's total.
#[derive(Debug, Clone, Default)]
pub(super) struct RoleBook {
    /// By role name.
    pub roles: BTreeMap<String, RoleRow>,
    /// Every agent's total resources.
    pub total: Quantities,
}

/// The scalar amounts of `resources`, by name (ports and other ranges are left out).
pub(super) fn quantities<'a>(resources: impl IntoIterator<Item = &'a Resource>) -> Quantities {
    let mut q = Quantities::new();
    for r in resources {
        if let Some(s) = &r.scalar {
            *q.entry(r.name.clone()).or_default() += s.value;
        }
    }
    q
}

/// Adds `b` into `a`.
pub(super) fn add(a: &mut Quantities, b: &Quantities) {
    for (k, v) in b {
        *a.entry(k.clone()).or_default() += v;
    }
}

/// `cpus:1;mem:128`, or `-` for nothing.
pub(super) fn quantities_text(q: &Quantities) -> String {
    let parts: Vec<String> = q
        .iter()
        .filter(|(_, v)| **v > 0.0)
        .map(|(k, v)| format!("{k}:{}", num(Some(*v))))
        .collect();
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join(";")
    }
}

/// A quota map (`{"cpus": {"value": 1}}`) as quantities.
pub(super) fn from_quota_map(m: &BTreeMap<String, Quantity>) -> Quantities {
    m.iter().map(|(k, v)| (k.clone(), v.value)).collect()
}

/// The role a framework's resource is allocated to: its `allocation_info`, else the
/// framework's (first) role.
pub(super) fn allocation_role(r: &Resource, framework: &Framework) -> String {
    r.allocation_info
        .as_ref()
        .and_then(|a| a.role.clone())
        .unwrap_or_else(|| {
            framework
                .framework_info
                .effective_roles()
                .into_iter()
                .next()
                .unwrap_or_else(|| "*".into())
        })
}

impl RoleBook {
    /// Reads the book from the master (five v1 operator calls).
    pub async fn read(conn: &Connection) -> Result<Self, ErrorContent> {
        let op = &conn.operator;
        let (roles, quota, agents, frameworks) = tokio::try_join!(
            op.get_roles(),
            op.get_quota(),
            op.get_agents(),
            op.get_frameworks()
        )
        .map_err(|e| unreachable(conn, e))?;
        let mut book = Self::default();
        for r in &roles.roles {
            let row = book.row(&r.name);
            row.weight = r.weight.unwrap_or(1.0);
            row.frameworks = r.frameworks.len();
        }
        for q in quota.configs {
            if q.guarantees.is_empty() && q.limits.is_empty() {
                // A removed quota stays listed until the master restarts; it holds nothing.
                continue;
            }
            let role = q.role.clone();
            book.row(&role).quota = Some(q);
        }
        book.add_agents(&agents);
        book.add_frameworks(&frameworks);
        Ok(book)
    }

    fn row(&mut self, role: &str) -> &mut RoleRow {
        self.roles.entry(role.to_owned()).or_insert(RoleRow {
            weight: 1.0,
            ..RoleRow::default()
        })
    }

    /// Cluster totals and what is reserved for each role.
    pub fn add_agents(&mut self, agents: &GetAgents) {
        for a in &agents.agents {
            add(&mut self.total, &quantities(&a.total_resources));
            for r in &a.total_resources {
                if let Some(role) = r.reservation_role() {
                    let q = quantities([r]);
                    add(&mut self.row(role).reserved, &q);
                }
            }
        }
    }

    /// What each role's frameworks are allocated.
    pub fn add_frameworks(&mut self, frameworks: &GetFrameworks) {
        for f in &frameworks.frameworks {
            for r in &f.allocated_resources {
                let q = quantities([r]);
                let row = self.row(&allocation_role(r, f));
                add(&mut row.allocated, &q);
                if !r.is_reserved() {
                    add(&mut row.allocated_unreserved, &q);
                }
            }
        }
    }

    /// The table `%roles` shows.
    pub fn table(&self) -> Table {
        let mut t = Table::new(&[
            "role",
            "weight",
            "frameworks",
            "guarantee",
            "limit",
            "consumed",
            "reserved",
            "allocated",
        ]);
        for (name, r) in &self.roles {
            let (guarantee, limit) = match &r.quota {
                Some(q) => (
                    quantities_text(&from_quota_map(&q.guarantees)),
                    quantities_text(&from_quota_map(&q.limits)),
                ),
                None => ("-".into(), "-".into()),
            };
            t.row(vec![
                name.clone(),
                num(Some(r.weight)),
                r.frameworks.to_string(),
                guarantee,
                limit,
                quantities_text(&r.consumed()),
                quantities_text(&r.reserved),
                quantities_text(&r.allocated),
            ]);
        }
        t.caption = Some(format!(
            "{} of a cluster of {}",
            counted(self.roles.len(), "role"),
            quantities_text(&self.total)
        ));
        t
    }
}

async fn roles(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    no_positional(spec_in(MAGICS, "roles"), &args)?;
    let conn = ctx.mesos.connection().map_err(mesos_error)?;
    let book = RoleBook::read(&conn).await?;
    ctx.mesos.note_roles(book.roles.keys().cloned());
    Ok(Some(book.table().to_bundle()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesos_lib::v1::resources::ReservationInfo;

    #[test]
    fn consumed_is_reservations_plus_unreserved_allocations() {
        let reserved = Resource {
            reservations: vec![ReservationInfo {
                role: Some("web".into()),
                ..ReservationInfo::default()
            }],
            ..Resource::scalar("cpus", 1.0)
        };
        let agents: GetAgents = serde_json::from_value(serde_json::json!({"agents": [{
            "agent_info": {"hostname": "h", "id": {"value": "a1"}},
            "active": true,
            "total_resources": [serde_json::to_value(&reserved).unwrap(),
                                {"name": "cpus", "type": "SCALAR", "scalar": {"value": 3.0}},
                                {"name": "mem", "type": "SCALAR", "scalar": {"value": 1024.0}}]
        }]}))
        .unwrap();
        let frameworks: GetFrameworks = serde_json::from_value(serde_json::json!({"frameworks": [{
            "framework_info": {"user": "u", "name": "f", "role": "web"},
            "active": true, "connected": true,
            "allocated_resources": [serde_json::to_value(&reserved).unwrap(),
                {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.5},
                 "allocation_info": {"role": "web"}}]
        }]}))
        .unwrap();
        let mut book = RoleBook::default();
        book.add_agents(&agents);
        book.add_frameworks(&frameworks);
        assert_eq!(book.total["cpus"], 4.0);
        let web = &book.roles["web"];
        assert_eq!(web.reserved["cpus"], 1.0);
        assert_eq!(web.allocated["cpus"], 1.5);
        // The reserved cpu counts once: 1 reserved + 0.5 unreserved allocated.
        assert_eq!(web.consumed()["cpus"], 1.5);
        assert!(book.table().rows[0].contains(&"cpus:1.5".to_owned()));
    }
}
