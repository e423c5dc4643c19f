//! `%volumes`: persistent volumes. Listed from GET_AGENTS (with the active tasks using each,
//! from GET_TASKS); created, destroyed and resized through the operator API (CREATE_VOLUMES /
//! DESTROY_VOLUMES here, GROW_VOLUME / SHRINK_VOLUME in `volume_resize`), reserving the disk
//! first when the role has none free. The line is parsed into a [`Command`] first, then
//! carried out.

use super::operator::{all_tasks, unreachable};
use super::volume_resize::{Direction, Resize, resize};
use super::{Body, MagicResult, mesos_error, num, usage};
use crate::display::counted;
use crate::display::table::Table;
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::registry::{ArgKind, FlagSpec, MagicContext, MagicKind, MagicSpec};
use crate::mesos::{Connection, LiveKind};
use crate::protocol::content::ErrorContent;
use mesos_lib::v1::container::{Volume, VolumeMode};
use mesos_lib::v1::master::Call;
use mesos_lib::v1::master::response::GetAgents;
use mesos_lib::v1::resources::{DiskInfo, Persistence, ReservationInfo, ReservationType};
use mesos_lib::v1::{AgentId, Resource};

pub(super) static MAGICS: &[(MagicSpec, Body)] = &[(
    MagicSpec {
        name: "volumes",
        kind: MagicKind::Line,
        usage: "%volumes [list]\n\
                %volumes create ID --role ROLE --size MB [--path CONTAINER_PATH] [--agent ID] [--principal P]\n\
                %volumes destroy ID [--agent ID] [--role ROLE] [--unreserve]\n\
                %volumes grow ID --to MB [--agent ID] [--role ROLE]\n\
                %volumes shrink ID --to MB [--agent ID] [--role ROLE]",
        summary: "Persistent volumes: list, create, destroy and resize them (operator API).",
        help: "Without a subcommand, or with `list`: every persistent volume the agents hold \
               (GET_AGENTS), its role, size, container path, and the active tasks using it.\n\
               create: CREATE_VOLUMES of a volume ID of MB on disk reserved for ROLE (DYNAMIC, \
               with --principal as the reservation's and the volume's principal), mounted at \
               CONTAINER_PATH in a task's sandbox (default: ID). When the agent has not that \
               much reserved disk free, MB of disk are reserved for ROLE first \
               (RESERVE_RESOURCES), and the cell says so. Without --agent the cluster must have \
               one agent. Re-running it for a volume that exists reports the volume and creates \
               nothing.\n\
               destroy: DESTROY_VOLUMES of volume ID (--agent / --role choose among volumes \
               sharing the ID); its data is deleted, its disk stays reserved unless --unreserve \
               gives it back. Mesos refuses it while a task uses the volume.\n\
               grow / shrink: GROW_VOLUME / SHRINK_VOLUME of volume ID (found as destroy finds \
               it) to MB in all. They take the new size, not an amount, so re-running the cell \
               changes nothing once the volume is that size: it is reported, nothing is sent. \
               grow adds disk reserved as the volume is (reserving it first when the agent has \
               not that much free, as create does); shrink leaves the freed disk reserved for \
               the volume's role. The data stays.\n\
               Launch a task on a volume with `%launch --volume ID:PATH`.",
        flags: &[
            FlagSpec {
                name: "role",
                value: ArgKind::Text,
                help: "the role the volume's disk is reserved for",
            },
            FlagSpec {
                name: "size",
                value: ArgKind::Text,
                help: "the volume's size in MB",
            },
            FlagSpec {
                name: "path",
                value: ArgKind::Text,
                help: "where a task sees the volume, relative to its sandbox (default: ID)",
            },
            FlagSpec {
                name: "agent",
                value: ArgKind::Live(LiveKind::AgentId),
                help: "the agent holding the volume",
            },
            FlagSpec {
                name: "principal",
                value: ArgKind::Text,
                help: "principal of the reservation and the volume",
            },
            FlagSpec {
                name: "to",
                value: ArgKind::Text,
                help: "grow, shrink: the volume's new size in MB",
            },
            FlagSpec {
                name: "unreserve",
                value: ArgKind::None,
                help: "destroy: also unreserve the volume's disk",
            },
        ],
        positional: ArgKind::Choice(&["list", "create", "destroy", "grow", "shrink"]),
    },
    |args, ctx| Box::pin(volumes(args, ctx)),
)];

/// What to create.
struct NewVolume {
    id: String,
    role: String,
    size: f64,
    path: String,
    agent: Option<String>,
    principal: Option<String>,
}

/// A `%volumes` line, parsed.
enum Command {
    List,
    Create(NewVolume),
    Destroy {
        id: String,
        agent: Option<String>,
        role: Option<String>,
        unreserve: bool,
    },
    Resize(Resize),
}

pub(super) fn spec() -> &'static MagicSpec {
    &MAGICS[0].0
}

/// Mesos's rules for a persistence ID (`common::validation::validateID`), checked before
/// anything is sent.
fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id == "." || id == ".." || id.len() > 255 {
        return Err(format!("{id:?} is not a volume ID"));
    }
    if id.chars().any(|c| c.is_control() || c == '/' || c == '\\') {
        return Err(format!(
            "volume ID {id:?} has a slash or a control character (Mesos refuses those)"
        ));
    }
    Ok(())
}

impl Command {
    fn parse(args: &Args) -> Result<Command, ErrorContent> {
        let words: Vec<&str> = args.positional.iter().map(String::as_str).collect();
        let bad = |e: String| usage(spec(), e);
        let only_for = |flags: &[&str], sub: &str| -> Result<(), ErrorContent> {
            match flags.iter().find(|f| args.has(f)) {
                Some(f) => Err(bad(format!("--{f} does not go with {sub}"))),
                None => Ok(()),
            }
        };
        match words.as_slice() {
            [] | ["list"] => {
                only_for(
                    &[
                        "role",
                        "size",
                        "path",
                        "agent",
                        "principal",
                        "unreserve",
                        "to",
                    ],
                    "list",
                )?;
                Ok(Command::List)
            }
            ["create", id] => {
                only_for(&["unreserve", "to"], "create")?;
                check_id(id).map_err(bad)?;
                let role = args.value("role").ok_or_else(|| {
                    bad("create needs --role ROLE: a volume lives on reserved disk".into())
                })?;
                let size = match args.value("size").map(|v| (v, v.parse::<f64>())) {
                    Some((_, Ok(n))) if n.is_finite() && n > 0.0 => n,
                    Some((v, _)) => {
                        return Err(bad(format!(
                            "--size takes a positive number of MB, not {v:?}"
                        )));
                    }
                    None => return Err(bad("create needs --size MB".into())),
                };
                let path = args.value("path").unwrap_or(id).to_owned();
                if path.is_empty() {
                    return Err(bad("--path must not be empty".into()));
                }
                Ok(Command::Create(NewVolume {
                    id: (*id).to_owned(),
                    role: role.to_owned(),
                    size,
                    path,
                    agent: args.value("agent").map(str::to_owned),
                    principal: args.value("principal").map(str::to_owned),
                }))
            }
            ["destroy", id] => {
                only_for(&["size", "path", "principal", "to"], "destroy")?;
                check_id(id).map_err(bad)?;
                Ok(Command::Destroy {
                    id: (*id).to_owned(),
                    agent: args.value("agent").map(str::to_owned),
                    role: args.value("role").map(str::to_owned),
                    unreserve: args.has("unreserve"),
                })
            }
            ["grow", rest @ ..] => Ok(Command::Resize(Resize::parse(Direction::Grow, rest, args)?)),
            ["shrink", rest @ ..] => Ok(Command::Resize(Resize::parse(
                Direction::Shrink,
                rest,
                args,
            )?)),
            ["create" | "destroy"] => Err(bad(format!("{} needs a volume ID", words[0]))),
            [other, ..] if !["list", "create", "destroy"].contains(other) => Err(bad(format!(
                "unknown subcommand {other:?} (list, create, destroy, grow or shrink)"
            ))),
            [_, _, extra, ..] | [_, extra] => Err(bad(format!("unexpected argument {extra:?}"))),
            [_] => Err(bad("give list, create, destroy, grow or shrink".into())),
        }
    }
}

/// One persistent volume an agent holds.
pub(super) struct Held {
    pub(super) agent: String,
    hostname: String,
    pub(super) resource: Resource,
}

impl Held {
    pub(super) fn id(&self) -> &str {
        persistence_id(&self.resource).unwrap_or("")
    }

    pub(super) fn role(&self) -> &str {
        self.resource.reservation_role().unwrap_or("*")
    }

    fn path(&self) -> &str {
        container_path(&self.resource).unwrap_or("")
    }

    pub(super) fn size(&self) -> f64 {
        self.resource.scalar.as_ref().map_or(0.0, |s| s.value)
    }
}

/// The persistence ID of a volume resource.
pub(super) fn persistence_id(r: &Resource) -> Option<&str> {
    r.disk.as_ref()?.persistence.as_ref().map(|p| p.id.as_str())
}

fn container_path(r: &Resource) -> Option<&str> {
    r.disk
        .as_ref()?
        .volume
        .as_ref()
        .map(|v| v.container_path.as_str())
}

/// Every volume of every agent.
pub(super) fn held(agents: &GetAgents) -> Vec<Held> {
    agents
        .agents
        .iter()
        .flat_map(|a| {
            let agent = a
                .agent_info
                .id
                .as_ref()
                .map(|i| i.value.clone())
                .unwrap_or_default();
            a.total_resources
                .iter()
                .filter(|r| persistence_id(r).is_some())
                .map(move |r| Held {
                    agent: agent.clone(),
                    hostname: a.agent_info.hostname.clone(),
                    resource: r.clone(),
                })
        })
        .collect()
}

/// Where the operator's volume calls go, and what they answer.
pub(super) struct Operator {
    conn: Connection,
}

impl Operator {
    async fn agents(&self) -> Result<GetAgents, ErrorContent> {
        self.conn
            .operator
            .get_agents()
            .await
            .map_err(|e| unreachable(&self.conn, e))
    }

    /// Sends `call`; Ok(None) on success, Ok(Some((status, text))) when refused.
    pub(super) async fn send(&self, call: &Call) -> Result<Option<(u16, String)>, ErrorContent> {
        let reply = self
            .conn
            .operator
            .call_raw(call)
            .await
            .map_err(|e| unreachable(&self.conn, e))?;
        Ok((!reply.is_success()).then(|| {
            (
                reply.status,
                format!("{}: {}", reply.status_line(), reply.body),
            )
        }))
    }

    /// The table of volumes, with the active tasks using each.
    async fn table(&self, agents: &GetAgents) -> Result<Table, ErrorContent> {
        let tasks = self
            .conn
            .operator
            .get_tasks()
            .await
            .map_err(|e| unreachable(&self.conn, e))?;
        let vols = held(agents);
        let mut t = Table::new(&[
            "volume",
            "agent",
            "hostname",
            "role",
            "size (MB)",
            "container path",
            "principal",
            "used by",
        ]);
        for v in &vols {
            let users: Vec<&str> = all_tasks(&tasks)
                .filter(|task| !task.state.is_terminal() && task.agent_id.value == v.agent)
                .filter(|task| {
                    task.resources.iter().any(|r| {
                        persistence_id(r) == Some(v.id()) && r.reservation_role() == Some(v.role())
                    })
                })
                .map(|task| task.task_id.value.as_str())
                .collect();
            let principal = v
                .resource
                .disk
                .as_ref()
                .and_then(|d| d.persistence.as_ref())
                .and_then(|p| p.principal.clone())
                .unwrap_or_else(|| "-".into());
            t.row(vec![
                v.id().to_owned(),
                v.agent.clone(),
                v.hostname.clone(),
                v.role().to_owned(),
                num(Some(v.size())),
                v.path().to_owned(),
                principal,
                if users.is_empty() {
                    "-".into()
                } else {
                    users.join(", ")
                },
            ]);
        }
        t.caption = Some(counted(vols.len(), "volume"));
        Ok(t)
    }
}

async fn volumes(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let command = Command::parse(&args)?;
    let op = Operator {
        conn: ctx.mesos.connection().map_err(mesos_error)?,
    };
    let agents = op.agents().await?;
    let caption = match command {
        Command::List => None,
        Command::Create(v) => Some(create(&op, &agents, v).await?),
        Command::Destroy {
            id,
            agent,
            role,
            unreserve,
        } => Some(destroy(&op, &agents, &id, agent, role, unreserve).await?),
        Command::Resize(r) => Some(resize(&op, &agents, r).await?),
    };
    let agents = if caption.is_some() {
        op.agents().await?
    } else {
        agents
    };
    let mut t = op.table(&agents).await?;
    if let Some(c) = caption {
        t.caption = Some(format!("{c}; {}", t.caption.unwrap_or_default()));
    }
    Ok(Some(t.to_bundle()))
}

/// The agent a create goes to: the one named (which must exist), else the only one.
fn pick_agent(agents: &GetAgents, named: Option<&str>) -> Result<String, ErrorContent> {
    let ids: Vec<&str> = agents
        .agents
        .iter()
        .filter_map(|a| a.agent_info.id.as_ref().map(|i| i.value.as_str()))
        .collect();
    match (named, ids.as_slice()) {
        (Some(a), _) if ids.contains(&a) => Ok(a.to_owned()),
        (Some(a), _) => Err(mesos_error(format!(
            "no agent {a}; the agents are: {}",
            ids.join(", ")
        ))),
        (None, [one]) => Ok((*one).to_owned()),
        (None, []) => Err(mesos_error("the cluster has no agent")),
        (None, many) => Err(usage(
            spec(),
            format!(
                "{} agents: say which with --agent ({})",
                many.len(),
                many.join(", ")
            ),
        )),
    }
}

fn reservation(role: &str, principal: Option<&str>) -> ReservationInfo {
    ReservationInfo {
        reservation_type: Some(ReservationType::Dynamic),
        role: Some(role.to_owned()),
        principal: principal.map(str::to_owned),
        ..Default::default()
    }
}

async fn create(op: &Operator, agents: &GetAgents, v: NewVolume) -> Result<String, ErrorContent> {
    let agent = pick_agent(agents, v.agent.as_deref())?;
    let existing = held(agents)
        .into_iter()
        .find(|h| h.agent == agent && h.id() == v.id && h.role() == v.role);
    if let Some(h) = existing {
        if h.path() == v.path && (h.size() - v.size).abs() < 1e-9 {
            return Ok(format!(
                "volume {} already exists on agent {agent}: not creating it again",
                v.id
            ));
        }
        return Err(mesos_error(format!(
            "volume {} already exists on agent {agent} with {} MB at {:?}: destroy it first, or \
             use another ID",
            v.id,
            num(Some(h.size())),
            h.path()
        )));
    }
    let mut disk = Resource::scalar("disk", v.size);
    disk.reservations = vec![reservation(&v.role, v.principal.as_deref())];
    let mut volume = disk.clone();
    volume.disk = Some(DiskInfo {
        persistence: Some(Persistence {
            id: v.id.clone(),
            principal: v.principal.clone(),
            ..Default::default()
        }),
        volume: Some(Volume {
            mode: Some(VolumeMode::Rw),
            container_path: v.path.clone(),
            ..Default::default()
        }),
        ..Default::default()
    });
    let call = Call::create_volumes(AgentId::new(agent.clone()), vec![volume]);
    let mut note = String::new();
    match op.send(&call).await? {
        None => {}
        // 409: the agent lacks that much reserved disk; reserve it, then create again.
        Some((409, _)) => {
            let reserve = Call::reserve_resources(AgentId::new(agent.clone()), vec![], vec![disk]);
            if let Some((_, text)) = op.send(&reserve).await? {
                return Err(mesos_error(format!(
                    "RESERVE_RESOURCES of disk:{} for role {} refused: {text}",
                    num(Some(v.size)),
                    v.role
                )));
            }
            note = format!(
                " on disk:{} reserved for role {} first",
                num(Some(v.size)),
                v.role
            );
            if let Some((_, text)) = op.send(&call).await? {
                return Err(mesos_error(format!(
                    "CREATE_VOLUMES refused (the disk stays reserved for {}): {text}",
                    v.role
                )));
            }
        }
        Some((_, text)) => return Err(mesos_error(format!("CREATE_VOLUMES refused: {text}"))),
    }
    Ok(format!(
        "created volume {} ({} MB for role {}, at {}) on agent {agent}{note}",
        v.id,
        num(Some(v.size)),
        v.role,
        v.path
    ))
}

/// The volume called `id`, narrowed by agent and role; None when there is none, a usage error
/// when several remain.
pub(super) fn find_one(
    agents: &GetAgents,
    id: &str,
    agent: Option<&str>,
    role: Option<&str>,
) -> Result<Option<Held>, ErrorContent> {
    let mut found: Vec<Held> = held(agents)
        .into_iter()
        .filter(|h| h.id() == id)
        .filter(|h| agent.is_none_or(|a| h.agent == a))
        .filter(|h| role.is_none_or(|r| h.role() == r))
        .collect();
    if found.len() > 1 {
        let where_: Vec<String> = found
            .iter()
            .map(|h| format!("agent {} role {}", h.agent, h.role()))
            .collect();
        return Err(usage(
            spec(),
            format!(
                "{} volumes are called {id} ({}): choose with --agent and --role",
                found.len(),
                where_.join("; ")
            ),
        ));
    }
    Ok(found.pop())
}

async fn destroy(
    op: &Operator,
    agents: &GetAgents,
    id: &str,
    agent: Option<String>,
    role: Option<String>,
    unreserve: bool,
) -> Result<String, ErrorContent> {
    let Some(h) = find_one(agents, id, agent.as_deref(), role.as_deref())? else {
        return Ok(format!("no volume {id}: nothing to destroy"));
    };
    let call = Call::destroy_volumes(AgentId::new(h.agent.clone()), vec![h.resource.clone()]);
    if let Some((_, text)) = op.send(&call).await? {
        return Err(mesos_error(format!("DESTROY_VOLUMES refused: {text}")));
    }
    let mut disk = h.resource.clone();
    disk.disk = None;
    let size = num(Some(h.size()));
    if !unreserve {
        return Ok(format!(
            "destroyed volume {id} on agent {}; its disk:{size} stays reserved for role {}",
            h.agent,
            h.role()
        ));
    }
    let call = Call::unreserve_resources(AgentId::new(h.agent.clone()), vec![disk]);
    if let Some((_, text)) = op.send(&call).await? {
        return Err(mesos_error(format!(
            "destroyed volume {id}, but UNRESERVE_RESOURCES of its disk refused: {text}"
        )));
    }
    Ok(format!(
        "destroyed volume {id} on agent {} and unreserved its disk:{size}",
        h.agent
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(words: &[&str], flags: &[(&str, &str)]) -> Result<Command, ErrorContent> {
        let args = Args::of(words, flags);
        Command::parse(&args)
    }

    #[test]
    fn lines_parse_into_commands_or_clear_errors() {
        assert!(matches!(parse(&[], &[]), Ok(Command::List)));
        let c = parse(&["create", "v1"], &[("role", "web"), ("size", "64")]).unwrap();
        let Command::Create(v) = c else { panic!() };
        assert_eq!((v.path.as_str(), v.size), ("v1", 64.0));
        let err = |r: Result<Command, ErrorContent>| match r {
            Err(e) => e.evalue,
            Ok(_) => panic!("parsed"),
        };
        assert!(err(parse(&["create", "v1"], &[("size", "64")])).contains("--role"));
        assert!(
            err(parse(&["create", "v1"], &[("role", "web"), ("size", "-1")])).contains("positive")
        );
        assert!(
            err(parse(&["create", "a/b"], &[("role", "web"), ("size", "1")])).contains("slash")
        );
        assert!(err(parse(&["destroy"], &[])).contains("needs a volume ID"));
        assert!(err(parse(&["resize", "v"], &[])).contains("unknown subcommand"));
        assert!(err(parse(&["destroy", "v"], &[("size", "1")])).contains("--size"));
    }
}
