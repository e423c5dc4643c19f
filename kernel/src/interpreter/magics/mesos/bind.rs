//! `--bind NAME`: the Mesos data a magic showed, as mesos-lib's `bind` model (`mesos::Offer`…),
//! the same types `mesos_lib::session` answers with.

use super::usage;
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::bindings::{Binding, valid_name};
use crate::interpreter::magics::registry::{ArgKind, FlagSpec, MagicContext, MagicSpec};
use crate::protocol::content::ErrorContent;
use mesos_lib::bind as model;
use mesos_lib::scheduler::TaskRecord;
use mesos_lib::v1::Offer;
use mesos_lib::v1::master::response::GetAgents;
use mesos_lib::v1::task::Task;

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

/// `Vec<mesos::Offer>`.
pub(crate) fn offers(name: String, offers: &[Offer]) -> Binding {
    let items: Vec<model::Offer> = offers.iter().map(model::Offer::from).collect();
    Binding::list(name, "Offer", &items)
}

/// `Vec<mesos::Agent>`.
pub(crate) fn agents(name: String, agents: &GetAgents) -> Binding {
    let items: Vec<model::Agent> = agents.agents.iter().map(model::Agent::from).collect();
    Binding::list(name, "Agent", &items)
}

/// One task of this framework's book as a `mesos::Task`.
pub(crate) fn record(
    name: String,
    rec: &TaskRecord,
    framework_id: &str,
    hostname: &str,
) -> Binding {
    let task = model::Task::from_record(rec, framework_id, hostname);
    Binding::one(name, "Task", &task)
}

/// `Vec<mesos::Task>`; each task with its agent's hostname, or `""` where it is not known.
pub(crate) fn tasks<'a>(name: String, tasks: impl Iterator<Item = (&'a Task, &'a str)>) -> Binding {
    let items: Vec<model::Task> = tasks.map(|(t, h)| model::Task::from_master(t, h)).collect();
    Binding::list(name, "Task", &items)
}

/// Queues `b` for the Rust session.
pub(crate) fn queue(ctx: &MagicContext<'_>, b: Binding) {
    ctx.bindings.push(b);
}
