//! `--bind NAME`: the Mesos data a magic showed, as mesos-lib's `bind` views (`mesos::Offer`…).

use super::{attribute_value, usage};
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::bindings::{Binding, ToRust, valid_name};
use crate::interpreter::magics::registry::{ArgKind, FlagSpec, MagicContext, MagicSpec};
use crate::protocol::content::ErrorContent;
use mesos_lib::bind as view;
use mesos_lib::resources::Resources;
use mesos_lib::scheduler::TaskRecord;
use mesos_lib::v1::master::response::GetAgents;
use mesos_lib::v1::task::Task;
use mesos_lib::v1::{Attribute, Offer, Resource};

/// The `--bind NAME` flag, shared by every magic that can hand its result to Rust.
pub(crate) const BIND: FlagSpec = FlagSpec {
    name: "bind",
    value: ArgKind::Text,
    help: "also hand the result to Rust cells as variable NAME (types in the `mesos` module, mesos_lib::bind)",
};

/// The name given with `--bind`, checked.
pub(crate) fn bind_name(spec: &MagicSpec, args: &Args) -> Result<Option<String>, ErrorContent> {
    match args.value("bind") {
        None => Ok(None),
        Some(n) => valid_name(n)
            .map(|()| Some(n.to_owned()))
            .map_err(|e| usage(spec, e)),
    }
}

fn attributes(list: &[Attribute]) -> Vec<(String, String)> {
    list.iter()
        .map(|a| (a.name.clone(), attribute_value(a)))
        .collect()
}

/// Ports listed one by one; capped, as a task holds a few ports, not an agent's whole range.
const MAX_PORTS: usize = 64;

/// Every port a resource list holds, one by one.
pub(crate) fn ports_of(list: &[Resource]) -> Vec<u64> {
    Resources::from(list)
        .ports()
        .into_iter()
        .flat_map(|(b, e)| b..=e)
        .take(MAX_PORTS)
        .collect()
}

fn vec_binding<T: ToRust>(name: String, type_name: &str, items: Vec<T>) -> Binding {
    Binding {
        name,
        type_name: format!("Vec<mesos::{type_name}>"),
        len: Some(items.len()),
        value: items.to_rust(),
    }
}

/// `Vec<mesos::Offer>`.
pub(crate) fn offers(name: String, offers: &[Offer]) -> Binding {
    let items = offers
        .iter()
        .map(|o| view::Offer {
            id: o.id.value.clone(),
            agent_id: o.agent_id.value.clone(),
            hostname: o.hostname.clone(),
            resources: view::Resources::from(o.resources.as_slice()),
            attributes: attributes(&o.attributes),
        })
        .collect();
    vec_binding(name, "Offer", items)
}

/// `Vec<mesos::Agent>`.
pub(crate) fn agents(name: String, agents: &GetAgents) -> Binding {
    let items = agents
        .agents
        .iter()
        .map(|a| {
            let info = &a.agent_info;
            view::Agent {
                id: info
                    .id
                    .as_ref()
                    .map(|i| i.value.clone())
                    .unwrap_or_default(),
                hostname: info.hostname.clone(),
                total: view::Resources::from(a.total_resources.as_slice()),
                used: view::Resources::from(a.allocated_resources.as_slice()),
                attributes: attributes(&info.attributes),
            }
        })
        .collect();
    vec_binding(name, "Agent", items)
}

/// One task as the master reports it; `hostname` is empty where the caller does not know it.
fn task_view(t: &Task, hostname: &str) -> view::Task {
    view::Task {
        id: t.task_id.value.clone(),
        name: t.name.clone(),
        state: t.state.to_string(),
        framework_id: t.framework_id.value.clone(),
        agent_id: t.agent_id.value.clone(),
        hostname: hostname.to_owned(),
        resources: view::Resources::from(t.resources.as_slice()),
        ports: ports_of(&t.resources),
    }
}

/// One task of this framework's book as a `mesos::Task`.
pub(crate) fn record(
    name: String,
    rec: &TaskRecord,
    framework_id: &str,
    hostname: &str,
) -> Binding {
    let empty = Vec::new();
    let (task_name, res) = match &rec.info {
        Some(i) => (i.name.clone(), &i.resources),
        None => (String::new(), &empty),
    };
    let task = view::Task {
        id: rec.task_id.value.clone(),
        name: task_name,
        state: rec.state().to_string(),
        framework_id: framework_id.to_owned(),
        agent_id: rec
            .agent_id
            .as_ref()
            .map(|a| a.value.clone())
            .unwrap_or_default(),
        hostname: hostname.to_owned(),
        resources: view::Resources::from(res.as_slice()),
        ports: ports_of(res),
    };
    Binding {
        name,
        type_name: "mesos::Task".into(),
        len: None,
        value: task.to_rust(),
    }
}

/// `Vec<mesos::Task>`.
pub(crate) fn tasks<'a>(name: String, tasks: impl Iterator<Item = (&'a Task, &'a str)>) -> Binding {
    let items = tasks.map(|(t, h)| task_view(t, h)).collect();
    vec_binding(name, "Task", items)
}

/// Queues `b` for the Rust session.
pub(crate) fn queue(ctx: &MagicContext<'_>, b: Binding) {
    ctx.bindings.push(b);
}
