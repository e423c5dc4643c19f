//! `--bind NAME`: the Mesos data a magic showed, as values of the Rust prelude's `mesos` types.

use super::{attribute_value, usage};
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::bindings::{Binding, ToRust, struct_literal, valid_name};
use crate::interpreter::magics::registry::{ArgKind, FlagSpec, MagicContext, MagicSpec};
use crate::protocol::content::ErrorContent;
use mesos_lib::resources::Resources;
use mesos_lib::scheduler::TaskRecord;
use mesos_lib::v1::master::response::GetAgents;
use mesos_lib::v1::task::Task;
use mesos_lib::v1::{Attribute, Offer, Resource};

/// The `--bind NAME` flag, shared by every magic that can hand its result to Rust.
pub(crate) const BIND: FlagSpec = FlagSpec {
    name: "bind",
    value: ArgKind::Text,
    help: "also hand the result to Rust cells as variable NAME (types in the `mesos` module)",
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

/// A `mesos::Resources` literal.
fn resources(list: &[Resource]) -> String {
    let r = Resources::from(list);
    let ports: Vec<(u64, u64)> = r.ports();
    struct_literal(
        "Resources",
        &[
            ("cpus", r.cpus().unwrap_or(0.0).to_rust()),
            ("mem", r.mem().unwrap_or(0.0).to_rust()),
            ("disk", r.disk().unwrap_or(0.0).to_rust()),
            ("ports", ports.to_rust()),
        ],
    )
}

fn attributes(list: &[Attribute]) -> String {
    list.iter()
        .map(|a| (a.name.clone(), attribute_value(a)))
        .collect::<Vec<_>>()
        .to_rust()
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

fn vec_binding(name: String, type_name: &str, items: Vec<String>) -> Binding {
    Binding {
        name,
        type_name: format!("Vec<mesos::{type_name}>"),
        len: Some(items.len()),
        value: format!("vec![{}]", items.join(", ")),
    }
}

/// `Vec<mesos::Offer>`.
pub(crate) fn offers(name: String, offers: &[Offer]) -> Binding {
    let items = offers
        .iter()
        .map(|o| {
            struct_literal(
                "Offer",
                &[
                    ("id", o.id.value.clone().to_rust()),
                    ("agent_id", o.agent_id.value.clone().to_rust()),
                    ("hostname", o.hostname.clone().to_rust()),
                    ("resources", resources(&o.resources)),
                    ("attributes", attributes(&o.attributes)),
                ],
            )
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
            struct_literal(
                "Agent",
                &[
                    (
                        "id",
                        info.id
                            .as_ref()
                            .map(|i| i.value.clone())
                            .unwrap_or_default()
                            .to_rust(),
                    ),
                    ("hostname", info.hostname.clone().to_rust()),
                    ("total", resources(&a.total_resources)),
                    ("used", resources(&a.allocated_resources)),
                    ("attributes", attributes(&info.attributes)),
                ],
            )
        })
        .collect();
    vec_binding(name, "Agent", items)
}

/// One `mesos::Task` literal; `hostname` is empty where the caller does not know it.
pub(crate) fn task_literal(t: &Task, hostname: &str) -> String {
    struct_literal(
        "Task",
        &[
            ("id", t.task_id.value.clone().to_rust()),
            ("name", t.name.clone().to_rust()),
            ("state", t.state.to_string().to_rust()),
            ("framework_id", t.framework_id.value.clone().to_rust()),
            ("agent_id", t.agent_id.value.clone().to_rust()),
            ("hostname", hostname.to_owned().to_rust()),
            ("resources", resources(&t.resources)),
            ("ports", ports_of(&t.resources).to_rust()),
        ],
    )
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
    let value = struct_literal(
        "Task",
        &[
            ("id", rec.task_id.value.clone().to_rust()),
            ("name", task_name.to_rust()),
            ("state", rec.state().to_string().to_rust()),
            ("framework_id", framework_id.to_owned().to_rust()),
            (
                "agent_id",
                rec.agent_id
                    .as_ref()
                    .map(|a| a.value.clone())
                    .unwrap_or_default()
                    .to_rust(),
            ),
            ("hostname", hostname.to_owned().to_rust()),
            ("resources", resources(res)),
            ("ports", ports_of(res).to_rust()),
        ],
    );
    Binding {
        name,
        type_name: "mesos::Task".into(),
        len: None,
        value,
    }
}

/// `Vec<mesos::Task>`.
pub(crate) fn tasks<'a>(name: String, tasks: impl Iterator<Item = (&'a Task, &'a str)>) -> Binding {
    let items = tasks.map(|(t, h)| task_literal(t, h)).collect();
    vec_binding(name, "Task", items)
}

/// Queues `b` for the Rust session.
pub(crate) fn queue(ctx: &MagicContext<'_>, b: Binding) {
    ctx.bindings.push(b);
}
