//! The Mesos magics: connecting, looking at the cluster (operator API) and being a framework
//! (scheduler API). Every one acts on the kernel's one [`MesosHandle`](crate::mesos::MesosHandle)
//! and is safe to re-run: it never duplicates what it already did.

mod agent_admin;
pub(crate) mod bind;
mod cluster;
mod connect;
mod control;
mod events;
mod exec;
mod inverse_offers;
mod launch;
mod launch_cell;
mod leader;
mod line_launch;
mod maintenance;
mod message;
mod offers;
mod operator;
mod pictures;
mod raw_call;
mod reserve;
mod roles;
mod sandbox;
mod shares;
mod sharing;
mod subscribe;
mod task_group;
mod task_json;
mod tasks;
mod timeline;
mod volume_offers;
mod volume_resize;
mod volumes;
mod workload;

use super::args::{self, Args};
use super::builtin::usage_error;
use super::call::MagicCall;
use super::registry::{Magic, MagicContext, MagicRegistry, MagicSpec};
use crate::interpreter::ExecuteOutcome;
use crate::interpreter::rust::errors::simple;
use crate::protocol::content::{ErrorContent, MimeBundle};
use futures::future::BoxFuture;
/// One attribute's value as Mesos writes it on the command line.
pub(crate) use mesos_lib::resources::attribute_value;
use mesos_lib::resources::{Resources, ranges};
use mesos_lib::v1::{Attribute, Resource};
use std::sync::Arc;
use std::time::Duration;

/// The table and picture builders `%tasks`, `%offers`, `%agents` and `%timeline` use, public
/// only so the render benchmark (`kernel/benches/render.rs`) times exactly what the magics run.
#[doc(hidden)]
pub mod bench_api {
    pub use super::offers::offers_table;
    pub use super::operator::{agents_table, tasks_table};
    pub use super::pictures::{agents_svg, offers_chart, task_lines, tasks_timeline};
    pub use super::timeline::timeline_bundle;
}

/// What a magic body returns: a value to show, or an error for the cell.
pub(crate) type MagicResult = Result<Option<MimeBundle>, ErrorContent>;

/// The body of a Mesos magic, given its parsed flags.
type Body = for<'a> fn(Args, &'a MagicContext<'a>) -> BoxFuture<'a, MagicResult>;

/// A magic made of a declaration and a body; flags are parsed from the declaration first, so
/// help, completion and parsing never disagree.
struct SpecMagic {
    spec: &'static MagicSpec,
    body: Body,
}

impl Magic for SpecMagic {
    fn spec(&self) -> &'static MagicSpec {
        self.spec
    }

    fn run<'a>(
        &'a self,
        call: &'a MagicCall,
        ctx: &'a MagicContext<'a>,
    ) -> BoxFuture<'a, ExecuteOutcome> {
        Box::pin(async move {
            let args = match args::parse(self.spec, &call.args) {
                Ok(a) => Args {
                    body: call.is_cell.then(|| call.body.clone()),
                    rest_raw: a.rest.as_ref().and_then(|_| args::raw_rest(&call.raw_args)),
                    ..a
                },
                Err(e) => return ExecuteOutcome::Error(usage_error(self.spec, e)),
            };
            match (self.body)(args, ctx).await {
                Ok(b) => ExecuteOutcome::Ok(b),
                Err(e) => ExecuteOutcome::Error(e),
            }
        })
    }
}

/// Registers every Mesos magic.
pub fn register(registry: &mut MagicRegistry) {
    for (spec, body) in connect::MAGICS
        .iter()
        .chain(operator::MAGICS)
        .chain(cluster::MAGICS)
        .chain(subscribe::MAGICS)
        .chain(offers::MAGICS)
        .chain(launch::MAGICS)
        .chain(tasks::MAGICS)
        .chain(control::MAGICS)
        .chain(events::MAGICS)
        .chain(raw_call::MAGICS)
        .chain(sandbox::MAGICS)
        .chain(exec::MAGICS)
        .chain(leader::MAGICS)
        .chain(timeline::MAGICS)
        .chain(volumes::MAGICS)
        .chain(agent_admin::MAGICS)
        .chain(maintenance::MAGICS)
        .chain(inverse_offers::MAGICS)
        .chain(message::MAGICS)
        .chain(roles::MAGICS)
        .chain(sharing::MAGICS)
        .chain(reserve::MAGICS)
        .chain(shares::MAGICS)
        .chain(workload::MAGICS)
    {
        registry.register(Arc::new(SpecMagic { spec, body: *body }));
    }
}

/// An error from Mesos or the session, as a short cell error.
pub(crate) fn mesos_error(e: impl std::fmt::Display) -> ErrorContent {
    simple("MesosError", e.to_string())
}

/// A usage error (with the usage line).
pub(crate) fn usage(spec: &MagicSpec, e: impl std::fmt::Display) -> ErrorContent {
    usage_error(spec, e)
}

/// The error a cell ends with when the user interrupts it; the session stays as it was.
pub(crate) fn interrupted(what: &str) -> ErrorContent {
    simple(
        "Interrupted",
        format!("interrupted while {what}; the Mesos session is unchanged"),
    )
}

/// Parses `10s`, `500ms`, `2m`, `1h` or a bare number of seconds.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (num, unit) = match t.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&t[..i], &t[i..]),
        None => (t, "s"),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (try 30s, 500ms, 2m)"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" | "sec" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("{text:?}: unknown unit {unit:?} (ms, s, m, h)")),
    };
    Duration::try_from_secs_f64(secs).map_err(|e| format!("{text:?}: {e}"))
}

/// A duration flag, or `default` when absent.
pub(crate) fn duration_flag(
    spec: &MagicSpec,
    args: &Args,
    name: &str,
    default: Duration,
) -> Result<Duration, ErrorContent> {
    match args.value(name) {
        None => Ok(default),
        Some(v) => parse_duration(v).map_err(|e| usage(spec, format!("--{name}: {e}"))),
    }
}

/// A number flag, or `default` when absent.
pub(crate) fn number_flag(
    spec: &MagicSpec,
    args: &Args,
    name: &str,
    default: Option<f64>,
) -> Result<Option<f64>, ErrorContent> {
    match args.value(name) {
        None => Ok(default),
        Some(v) => match v.parse::<f64>() {
            Ok(n) if n.is_finite() && n >= 0.0 => Ok(Some(n)),
            _ => Err(usage(
                spec,
                format!("--{name} takes a non-negative number, not {v:?}"),
            )),
        },
    }
}

/// Fails when positional words were given to a magic that takes none.
pub(crate) fn no_positional(spec: &MagicSpec, args: &Args) -> Result<(), ErrorContent> {
    match args.positional.first() {
        Some(w) => Err(usage(spec, format!("unexpected argument {w:?}"))),
        None => Ok(()),
    }
}

/// One scalar formatted without noise (`0.5`, `1024`), or `-`.
pub(crate) fn num(v: Option<f64>) -> String {
    match v {
        Some(v) => format!("{}", (v * 1000.0).round() / 1000.0),
        None => "-".into(),
    }
}

/// cpus, mem, disk and ports of a resource list, as table cells.
pub(crate) fn resource_cells(resources: &[Resource]) -> [String; 4] {
    let r = Resources::from(resources);
    let ports = r.ports();
    [
        num(r.cpus()),
        num(r.mem()),
        num(r.disk()),
        if ports.is_empty() {
            "-".into()
        } else {
            ranges::format(&ports)
        },
    ]
}

/// A resource list as `cpus:1;mem:128`.
pub(crate) fn resource_text(resources: &[Resource]) -> String {
    let r = Resources::from(resources);
    let mut parts = Vec::new();
    for (name, v) in [("cpus", r.cpus()), ("mem", r.mem()), ("disk", r.disk())] {
        if let Some(v) = v {
            parts.push(format!("{name}:{}", num(Some(v))));
        }
    }
    if parts.is_empty() {
        "nothing".into()
    } else {
        parts.join(";")
    }
}

/// Attributes in Mesos flag syntax: `rack:r2d2;pod:demo,dev`.
pub(crate) fn attributes_text(attrs: &[Attribute]) -> String {
    attrs
        .iter()
        .map(|a| format!("{}:{}", a.name, attribute_value(a)))
        .collect::<Vec<_>>()
        .join(";")
}

/// Shows `bundle` now, as a display that later calls can replace.
pub(crate) fn show(ctx: &MagicContext<'_>, bundle: &MimeBundle, display_id: &str, first: bool) {
    if first {
        ctx.out.display(bundle, Some(display_id));
    } else {
        ctx.out.update_display(bundle, display_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("3").unwrap(), Duration::from_secs(3));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3 fortnights").is_err());
    }
}
