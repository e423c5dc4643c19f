//! A `%launch` line read into what it asks for (`LineLaunch`), and the TaskInfo built from
//! it and the offer chosen for it.

use super::offers::OfferFilter;
use super::tasks::parse_state;
use super::{number_flag, usage};
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::registry::MagicSpec;
use crate::mesos::rerun::new_task_id;
use crate::mesos::role_resources::take_for_role;
use crate::protocol::content::ErrorContent;
use mesos_lib::resources::{Want, ranges};
use mesos_lib::v1::container::{DockerNetwork, DockerPortMapping};
use mesos_lib::v1::task::{CommandUri, ExecutorInfo, ExecutorType};
use mesos_lib::v1::{
    Bytes, CommandInfo, ContainerInfo, Environment, ExecutorId, Offer, Resource, TaskInfo,
    TaskState,
};

/// `NAME=VALUE` pairs of a repeatable flag.
fn pairs(spec: &MagicSpec, args: &Args, flag: &str) -> Result<Vec<(String, String)>, ErrorContent> {
    args.flags
        .get(flag)
        .into_iter()
        .flatten()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
            _ => Err(usage(
                spec,
                format!("--{flag} takes NAME=VALUE, not {kv:?}"),
            )),
        })
        .collect()
}

/// A `%launch` line, parsed and checked before anything is sent.
pub(super) struct LineLaunch {
    pub(super) name: String,
    pub(super) id: Option<String>,
    /// The shell command; `None` runs the docker image's own entrypoint.
    pub(super) command: Option<String>,
    pub(super) want: Want,
    pub(super) env: Vec<(String, String)>,
    pub(super) uris: Vec<String>,
    /// The docker image, and whether its network is a bridge.
    pub(super) docker: Option<(String, bool)>,
    pub(super) want_state: Option<TaskState>,
    pub(super) filter: OfferFilter,
    /// `--volume`: (persistence ID, container path).
    pub(super) volumes: Vec<(String, String)>,
    /// A custom executor: its command and ID.
    pub(super) executor: Option<(String, String)>,
    /// `--role`: take the resources from the offer as it holds them for this role.
    pub(super) role: Option<String>,
}

/// The command after `--`; none is needed (`optional`) when a docker image or an executor
/// runs the task.
fn command_text(
    spec: &MagicSpec,
    args: &Args,
    optional: bool,
) -> Result<Option<String>, ErrorContent> {
    match (&args.rest_raw, &args.rest) {
        // The text as typed, so `>`, `&&` and `$PORT0` reach the shell as the user wrote them.
        (Some(raw), _) if !raw.is_empty() => Ok(Some(raw.clone())),
        (_, Some(words)) if !words.is_empty() => shlex::try_join(words.iter().map(String::as_str))
            .map(Some)
            .map_err(|e| usage(spec, format!("cannot quote the command: {e}"))),
        _ if optional => Ok(None),
        _ => Err(usage(spec, "give the command after --")),
    }
}

/// What `--cpus`, `--mem`, `--disk` and `--ports` ask of an offer.
fn want_of(spec: &MagicSpec, args: &Args) -> Result<Want, ErrorContent> {
    let cpus = number_flag(spec, args, "cpus", Some(0.1))?;
    let mem = number_flag(spec, args, "mem", Some(32.0))?;
    let disk = number_flag(spec, args, "disk", None)?;
    let ports = match args.value("ports") {
        None => 0,
        Some(v) => v.parse::<u64>().map_err(|_| {
            usage(
                spec,
                format!("--ports takes a whole number of ports, not {v:?}"),
            )
        })?,
    };
    let mut want = Want {
        resources: Vec::new(),
        ports,
    };
    for (n, v) in [("cpus", cpus), ("mem", mem), ("disk", disk)] {
        if let Some(v) = v.filter(|v| *v > 0.0) {
            want.resources.push(Resource::scalar(n, v));
        }
    }
    Ok(want)
}

/// `--volume ID:PATH` flags, as (volume id, path in the task).
fn volumes_of(spec: &MagicSpec, args: &Args) -> Result<Vec<(String, String)>, ErrorContent> {
    args.flags
        .get("volume")
        .into_iter()
        .flatten()
        .map(|v| match v.split_once(':') {
            Some((id, path)) if !id.is_empty() && !path.is_empty() => {
                Ok((id.to_owned(), path.to_owned()))
            }
            _ => Err(usage(
                spec,
                format!(
                    "--volume takes ID:PATH (a persistent volume's ID and where the task \
                     sees it), not {v:?}"
                ),
            )),
        })
        .collect()
}

/// What `%launch --executor` gives a custom executor of its own.
fn executor_resources() -> Vec<Resource> {
    vec![Resource::scalar("cpus", 0.1), Resource::scalar("mem", 32.0)]
}

impl LineLaunch {
    pub(super) fn parse(spec: &MagicSpec, args: &Args) -> Result<Self, ErrorContent> {
        let docker = args.value("docker").map(str::to_owned);
        if args.has("network") && docker.is_none() {
            return Err(usage(spec, "--network goes with --docker"));
        }
        let executor = args.value("executor").map(str::to_owned);
        if args.has("executor-id") && executor.is_none() {
            return Err(usage(spec, "--executor-id goes with --executor"));
        }
        if executor.is_some() && docker.is_some() {
            return Err(usage(
                spec,
                "--executor and --docker do not go together: the executor runs the task",
            ));
        }
        let command = command_text(spec, args, docker.is_some() || executor.is_some())?;
        let mut want = want_of(spec, args)?;
        let volumes = volumes_of(spec, args)?;
        let name = args.value("name").unwrap_or("task").to_owned();
        if executor.is_some() {
            // A new executor's resources come from the same offer.
            want.resources.extend(executor_resources());
        }
        let executor = executor.map(|cmd| {
            let id = args
                .value("executor-id")
                .map_or_else(|| format!("{name}-executor"), str::to_owned);
            (cmd, id)
        });
        Ok(LineLaunch {
            executor,
            volumes,
            env: pairs(spec, args, "env")?,
            want_state: args.value("wait").map(parse_state),
            name,
            id: args.value("id").map(str::to_owned),
            filter: OfferFilter::from_args(spec, args)?,
            uris: args
                .flags
                .get("uri")
                .into_iter()
                .flatten()
                .cloned()
                .collect(),
            docker: docker.map(|image| (image, args.value("network") == Some("bridge"))),
            role: args.value("role").map(str::to_owned),
            command,
            want,
        })
    }

    /// The TaskInfo for `offer`, and the ports it takes from it.
    pub(super) fn task_info(self, offer: &Offer) -> (TaskInfo, Vec<u64>) {
        let picked = self.want.pick_ports(&offer.resources);
        let mut resources = match &self.role {
            Some(role) => take_for_role(&self.want.resources, &offer.resources, role),
            None => self.want.resources,
        };
        if !picked.is_empty() {
            let mut ports =
                Resource::ranges("ports", ranges::coalesce(picked.iter().map(|p| (*p, *p))));
            ports.allocation_info = offer.allocation_info.clone();
            resources.push(ports);
        }
        let mut vars = self.env;
        vars.extend(port_vars(&picked));
        let mut command_info = match self.command {
            Some(c) => CommandInfo::shell(c),
            // A docker image's own entrypoint: Mesos runs it when `shell` is false and no value.
            None => CommandInfo {
                shell: Some(false),
                ..CommandInfo::default()
            },
        };
        if !vars.is_empty() {
            command_info.environment = Some(Environment::from_pairs(vars));
        }
        command_info.uris = self.uris.into_iter().map(CommandUri::new).collect();
        let task_id = self.id.unwrap_or_else(|| new_task_id(&self.name));
        let mut task = TaskInfo::command(
            task_id,
            self.name,
            offer.agent_id.clone(),
            command_info,
            resources,
        );
        if let Some((image, bridge)) = self.docker {
            task = task.with_container(docker_container(image, bridge, &picked));
        }
        if let Some((cmd, id)) = self.executor {
            // The executor's command gets the environment and URIs; the task's own text
            // (after --) is data for the executor.
            let given = task.command.take().unwrap_or_default();
            let command = CommandInfo {
                environment: given.environment,
                uris: given.uris,
                ..CommandInfo::shell(cmd)
            };
            task.data = given.value.map(|d| Bytes::new(d.into_bytes()));
            task.executor = Some(ExecutorInfo {
                executor_type: Some(ExecutorType::Custom),
                executor_id: ExecutorId::new(id.as_str()),
                command: Some(command),
                resources: executor_resources(),
                name: Some(format!("custom executor {id}")),
                ..ExecutorInfo::default()
            });
        }
        (task, picked)
    }
}

/// `PORT0`..`PORTn-1`, `PORT` and `PORTS`, as Marathon gives them.
fn port_vars(ports: &[u64]) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = ports
        .iter()
        .enumerate()
        .map(|(i, p)| (format!("PORT{i}"), p.to_string()))
        .collect();
    if let Some(first) = ports.first() {
        vars.push(("PORT".into(), first.to_string()));
        vars.push((
            "PORTS".into(),
            ports
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(","),
        ));
    }
    vars
}

/// A DOCKER ContainerInfo; on a bridge each picked host port maps to the same container port.
fn docker_container(image: String, bridge: bool, ports: &[u64]) -> ContainerInfo {
    let mut c = ContainerInfo::docker(image);
    if let Some(d) = c.docker.as_mut() {
        d.network = Some(if bridge {
            DockerNetwork::Bridge
        } else {
            DockerNetwork::Host
        });
        if bridge {
            d.port_mappings = ports
                .iter()
                .map(|p| DockerPortMapping {
                    host_port: *p as u32,
                    container_port: *p as u32,
                    protocol: Some("tcp".into()),
                    ..DockerPortMapping::default()
                })
                .collect();
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_variables_follow_marathon() {
        let vars = port_vars(&[31000, 31005]);
        let get = |k: &str| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("PORT0"), Some("31000"));
        assert_eq!(get("PORT1"), Some("31005"));
        assert_eq!(get("PORT"), Some("31000"));
        assert_eq!(get("PORTS"), Some("31000,31005"));
        assert!(port_vars(&[]).is_empty());
    }

    #[test]
    fn bridge_maps_picked_ports() {
        let c = docker_container("nginx".into(), true, &[31000]);
        let d = c.docker.unwrap();
        assert_eq!(d.network, Some(DockerNetwork::Bridge));
        assert_eq!(d.port_mappings.len(), 1);
        assert_eq!(d.port_mappings[0].host_port, 31000);
        let c = docker_container("nginx".into(), false, &[31000]);
        assert!(c.docker.unwrap().port_mappings.is_empty());
    }
}
