//! Dynamic reservations through the operator API: `%reserve` (RESERVE_RESOURCES) and
//! `%unreserve` (UNRESERVE_RESOURCES). Both read the agents first (GET_AGENTS), so a
//! reservation that exists is reported instead of made twice, and an unreservation names
//! exactly what the agent holds (principal and labels included).

use super::operator::unreachable;
use super::roles::{Quantities, quantities, quantities_text};
use super::sharing::check_role;
use super::{Body, MagicResult, mesos_error, usage};
use crate::display::table::Table;
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::registry::{
    ArgKind, FlagSpec, MagicContext, MagicKind, MagicSpec, spec_in,
};
use crate::mesos::LiveKind;
use crate::protocol::content::ErrorContent;
use mesos_lib::resources::{parse_resources, scalar};
use mesos_lib::v1::master::response::Agent;
use mesos_lib::v1::resources::{ReservationInfo, ReservationType};
use mesos_lib::v1::{AgentId, Labels, Resource};

const ROLE: FlagSpec = FlagSpec {
    name: "role",
    value: ArgKind::Live(LiveKind::Role),
    help: "the role the resources are (to be) reserved for",
};
const AGENT: FlagSpec = FlagSpec {
    name: "agent",
    value: ArgKind::Live(LiveKind::AgentId),
    help: "the agent (default: the first that holds them)",
};
const PRINCIPAL: FlagSpec = FlagSpec {
    name: "principal",
    value: ArgKind::Text,
    help: "the reservation's principal (default: the one %connect authenticates as)",
};
const LABEL: FlagSpec = FlagSpec {
    name: "label",
    value: ArgKind::Text,
    help: "a reservation label KEY=VALUE (repeatable)",
};

pub(super) static MAGICS: &[(MagicSpec, Body)] = &[
    (
        MagicSpec {
            name: "reserve",
            kind: MagicKind::Line,
            usage: "%reserve RESOURCES --role ROLE [--agent ID] [--principal P] [--label K=V]...",
            summary: "Reserve resources on an agent for a role (RESERVE_RESOURCES).",
            help: "RESOURCES as cpus:1;mem:128 (scalars). The agent is --agent, or the first \
                   (by id) whose unreserved resources not in use by tasks hold them. Once \
                   reserved, they are offered only to frameworks in ROLE (or its child \
                   roles), and the master rescinds offers holding them first. Re-running \
                   while the agent already holds such a reservation (same role, principal \
                   and labels, at least these amounts) reports it and sends nothing.",
            flags: &[ROLE, AGENT, PRINCIPAL, LABEL],
            positional: ArgKind::Text,
        },
        |args, ctx| Box::pin(reserve(args, ctx)),
    ),
    (
        MagicSpec {
            name: "unreserve",
            kind: MagicKind::Line,
            usage: "%unreserve [RESOURCES] --role ROLE [--agent ID]",
            summary: "Release resources reserved for a role (UNRESERVE_RESOURCES).",
            help: "RESOURCES as cpus:1;mem:128; without them, everything dynamically reserved \
                   for ROLE (on --agent, or on every agent). The call names the reservations \
                   as the agent holds them (principal and labels), read from GET_AGENTS. \
                   Nothing reserved for ROLE: said so, nothing sent.",
            flags: &[ROLE, AGENT],
            positional: ArgKind::Text,
        },
        |args, ctx| Box::pin(unreserve(args, ctx)),
    ),
];

/// The scalar resources of the one RESOURCES word (`None` when absent).
fn wanted(spec: &MagicSpec, args: &Args) -> Result<Option<Quantities>, ErrorContent> {
    let text = match args.positional.as_slice() {
        [] => return Ok(None),
        [t] => t,
        [_, extra, ..] => {
            return Err(usage(
                spec,
                format!("unexpected argument {extra:?} (join resources with ';' in one word)"),
            ));
        }
    };
    let parsed = parse_resources(text).map_err(|e| usage(spec, format!("{text:?}: {e}")))?;
    if let Some(r) = parsed.iter().find(|r| r.scalar.is_none()) {
        return Err(usage(
            spec,
            format!(
                "{:?}: only scalar resources (cpus, mem, disk, gpus)",
                r.name
            ),
        ));
    }
    if let Some(r) = parsed.iter().find(|r| r.is_reserved()) {
        return Err(usage(
            spec,
            format!("{:?}: give plain amounts and the role with --role", r.name),
        ));
    }
    let q = quantities(&parsed);
    if q.values().all(|v| *v <= 0.0) {
        return Err(usage(spec, "give some resources, e.g. cpus:1;mem:128"));
    }
    Ok(Some(q))
}

fn role_flag(spec: &MagicSpec, args: &Args) -> Result<String, ErrorContent> {
    let role = args
        .value("role")
        .ok_or_else(|| usage(spec, "--role ROLE is required"))?;
    check_role(spec, role)?;
    if role == "*" {
        return Err(usage(
            spec,
            "\"*\" is the unreserved role; reserve for a named role",
        ));
    }
    Ok(role.to_owned())
}

/// The reservation a `%reserve` makes: dynamic, for `role`, with its principal and labels.
struct Reservation {
    role: String,
    principal: Option<String>,
    labels: Option<Labels>,
}

impl Reservation {
    fn info(&self) -> ReservationInfo {
        ReservationInfo {
            reservation_type: Some(ReservationType::Dynamic),
            role: Some(self.role.clone()),
            principal: self.principal.clone(),
            labels: self.labels.clone(),
            ..ReservationInfo::default()
        }
    }

    /// Whether `r` is reserved this way (the innermost reservation).
    fn holds(&self, r: &Resource) -> bool {
        r.reservations.last().is_some_and(|last| {
            last.role.as_deref() == Some(self.role.as_str())
                && last.principal == self.principal
                && labels_of(last) == labels_of(&self.info())
        })
    }
}

fn labels_of(r: &ReservationInfo) -> Vec<(String, Option<String>)> {
    r.labels
        .as_ref()
        .map(|l| {
            l.labels
                .iter()
                .map(|l| (l.key.clone(), l.value.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn agent_id(a: &Agent) -> String {
    a.agent_info
        .id
        .as_ref()
        .map(|i| i.value.clone())
        .unwrap_or_default()
}

/// Whether `have` holds at least `want` of every resource.
fn covers(have: &Quantities, want: &Quantities) -> bool {
    want.iter()
        .all(|(k, v)| scalar::less_or_equal(*v, have.get(k).copied().unwrap_or(0.0)))
}

/// What an agent has unreserved and not used by tasks (offered resources count as free: the
/// master rescinds those offers).
fn unreserved_free(a: &Agent) -> Quantities {
    let mut q = quantities(a.total_resources.iter().filter(|r| !r.is_reserved()));
    for (k, v) in quantities(a.allocated_resources.iter().filter(|r| !r.is_reserved())) {
        *q.entry(k).or_default() -= v;
    }
    q
}

async fn reserve(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let spec = spec_in(MAGICS, "reserve");
    let want = wanted(spec, &args)?
        .ok_or_else(|| usage(spec, "give the RESOURCES to reserve, e.g. cpus:1;mem:128"))?;
    let conn = ctx.mesos.connection().map_err(mesos_error)?;
    let how = Reservation {
        role: role_flag(spec, &args)?,
        principal: args
            .value("principal")
            .map(str::to_owned)
            .or_else(|| conn.security.principal().map(str::to_owned)),
        labels: label_flags(spec, &args)?,
    };
    let agents = conn
        .operator
        .get_agents()
        .await
        .map_err(|e| unreachable(&conn, e))?;
    let agent = match pick_agent(&agents.agents, args.value("agent"), &how, &want)? {
        Pick::Reserve(agent) => agent,
        Pick::AlreadyHeld(a) => {
            // Re-running: an agent already holding such a reservation is shown, not reserved again.
            ctx.mesos.note_roles([how.role.clone()]);
            let mut t = reservations_table(&[a], &how.role);
            t.caption = Some(format!(
                "agent {} already holds {} reserved for {}: nothing sent",
                agent_id(a),
                quantities_text(&want),
                how.role
            ));
            return Ok(Some(t.to_bundle()));
        }
    };
    let resources: Vec<Resource> = want
        .iter()
        .filter(|(_, v)| **v > 0.0)
        .map(|(name, v)| Resource {
            reservations: vec![how.info()],
            ..Resource::scalar(name.clone(), *v)
        })
        .collect();
    let id = agent_id(agent);
    conn.operator
        .reserve_resources(AgentId::new(id.as_str()), resources)
        .await
        .map_err(|e| mesos_error(format!("RESERVE_RESOURCES on agent {id}: {e}")))?;
    ctx.mesos.note_roles([how.role.clone()]);
    let after = conn
        .operator
        .get_agents()
        .await
        .map_err(|e| unreachable(&conn, e))?;
    let now: Vec<&Agent> = after.agents.iter().filter(|a| agent_id(a) == id).collect();
    let mut t = reservations_table(&now, &how.role);
    t.caption = Some(format!(
        "reserved {} for {} on agent {id}",
        quantities_text(&want),
        how.role
    ));
    Ok(Some(t.to_bundle()))
}

/// `--label KEY=VALUE` flags as reservation labels; none gives `None`.
fn label_flags(spec: &MagicSpec, args: &Args) -> Result<Option<Labels>, ErrorContent> {
    let mut labels = Vec::new();
    for kv in args.flags.get("label").into_iter().flatten() {
        match kv.split_once('=') {
            Some((k, v)) if !k.is_empty() => labels.push((k.to_owned(), v.to_owned())),
            _ => return Err(usage(spec, format!("--label takes KEY=VALUE, not {kv:?}"))),
        }
    }
    Ok((!labels.is_empty()).then(|| Labels::from_pairs(labels)))
}

/// Where `%reserve` goes: an agent to reserve on, or one that already holds the reservation.
enum Pick<'a> {
    Reserve(&'a Agent),
    AlreadyHeld(&'a Agent),
}

/// Among `agents` (only `only` when given, by id order): one already holding `want` reserved
/// as `how` says, else the first with `want` unreserved and free, else why none.
fn pick_agent<'a>(
    agents: &'a [Agent],
    only: Option<&str>,
    how: &Reservation,
    want: &Quantities,
) -> Result<Pick<'a>, ErrorContent> {
    let mut candidates: Vec<&Agent> = agents
        .iter()
        .filter(|a| only.is_none_or(|id| agent_id(a) == id))
        .collect();
    candidates.sort_by_key(|a| agent_id(a));
    if candidates.is_empty() {
        return Err(mesos_error(match only {
            Some(id) => format!("no agent {id} (GET_AGENTS lists {})", agents.len()),
            None => "the master has no agents".into(),
        }));
    }
    let held = |a: &&&Agent| {
        covers(
            &quantities(a.total_resources.iter().filter(|r| how.holds(r))),
            want,
        )
    };
    if let Some(a) = candidates.iter().find(held) {
        return Ok(Pick::AlreadyHeld(a));
    }
    if let Some(a) = candidates
        .iter()
        .find(|a| covers(&unreserved_free(a), want))
    {
        return Ok(Pick::Reserve(a));
    }
    let free: Vec<String> = candidates
        .iter()
        .map(|a| format!("{}: {}", agent_id(a), quantities_text(&unreserved_free(a))))
        .collect();
    Err(mesos_error(format!(
        "no agent has {} unreserved and free; free now: {}",
        quantities_text(want),
        free.join(", ")
    )))
}

/// One row per agent and reservation for `role`: what it holds, by whom, with which labels.
fn reservations_table(agents: &[&Agent], role: &str) -> Table {
    let mut t = Table::new(&["agent", "role", "principal", "labels", "reserved"]);
    for a in agents {
        let mut groups: Vec<(ReservationInfo, Vec<&Resource>)> = Vec::new();
        for r in &a.total_resources {
            let Some(last) = r.reservations.last() else {
                continue;
            };
            if r.reservation_role() != Some(role) {
                continue;
            }
            match groups.iter_mut().find(|(g, _)| g == last) {
                Some((_, rs)) => rs.push(r),
                None => groups.push((last.clone(), vec![r])),
            }
        }
        for (info, rs) in groups {
            t.row(vec![
                agent_id(a),
                role.to_owned(),
                info.principal.clone().unwrap_or_else(|| "-".into()),
                labels_of(&info)
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("")))
                    .collect::<Vec<_>>()
                    .join(","),
                quantities_text(&quantities(rs)),
            ]);
        }
    }
    t
}

/// The reserved resources of `a` for `role` to release: all of them, or `want`'s amounts
/// taken from them in order (each named as the agent holds it).
fn to_release(a: &Agent, role: &str, want: Option<&Quantities>) -> Vec<Resource> {
    let mut left = want.cloned();
    let mut out = Vec::new();
    for r in &a.total_resources {
        let dynamic = r
            .reservations
            .last()
            .is_some_and(|l| l.reservation_type != Some(ReservationType::Static));
        let (Some(s), true, true) = (&r.scalar, r.reservation_role() == Some(role), dynamic) else {
            continue;
        };
        let take = match left.as_mut() {
            None => s.value,
            Some(left) => {
                let Some(need) = left.get_mut(&r.name).filter(|n| **n > 0.0) else {
                    continue;
                };
                let take = need.min(s.value);
                *need -= take;
                take
            }
        };
        let mut release = r.clone();
        release.allocation_info = None;
        release.role = None;
        release.reservation = None;
        if let Some(sc) = release.scalar.as_mut() {
            sc.value = take;
        }
        out.push(release);
    }
    out
}

async fn unreserve(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let spec = spec_in(MAGICS, "unreserve");
    let want = wanted(spec, &args)?;
    let role = role_flag(spec, &args)?;
    let conn = ctx.mesos.connection().map_err(mesos_error)?;
    let agents = conn
        .operator
        .get_agents()
        .await
        .map_err(|e| unreachable(&conn, e))?;
    let mut plan: Vec<(String, Vec<Resource>)> = Vec::new();
    for a in agents
        .agents
        .iter()
        .filter(|a| args.value("agent").is_none_or(|id| agent_id(a) == id))
    {
        let held = quantities(
            a.total_resources
                .iter()
                .filter(|r| r.reservation_role() == Some(role.as_str())),
        );
        if let Some(w) = &want
            && !covers(&held, w)
        {
            continue;
        }
        let release = to_release(a, &role, want.as_ref());
        if !release.is_empty() {
            plan.push((agent_id(a), release));
            if want.is_some() {
                break;
            }
        }
    }
    if plan.is_empty() {
        let what = want.as_ref().map_or("nothing".to_owned(), |w| {
            format!("not {}", quantities_text(w))
        });
        return Ok(Some(crate::protocol::content::MimeBundle::text(format!(
            "{what} reserved for {role}{}: nothing sent",
            args.value("agent")
                .map(|a| format!(" on agent {a}"))
                .unwrap_or_default()
        ))));
    }
    let mut t = Table::new(&["agent", "role", "unreserved"]);
    for (id, release) in plan {
        let q = quantities(&release);
        conn.operator
            .unreserve_resources(AgentId::new(id.as_str()), release)
            .await
            .map_err(|e| mesos_error(format!("UNRESERVE_RESOURCES on agent {id}: {e}")))?;
        t.row(vec![id, role.clone(), quantities_text(&q)]);
    }
    t.caption = Some(format!("released reservations of {role}"));
    Ok(Some(t.to_bundle()))
}
