//! Outstanding offers: `%offers`, and the offer filter, fit check and offer choice that
//! `%launch` shares.

use super::pictures::offers_chart;
use super::{
    Body, MagicResult, attributes_text, duration_flag, interrupted, mesos_error, no_positional,
    num, resource_cells, resource_text, show, usage,
};
use crate::display::counted;
use crate::display::svg::{picture_id, with_picture};
use crate::display::table::Table;
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::registry::{ArgKind, FlagSpec, MagicContext, MagicKind, MagicSpec};
use crate::mesos::LiveKind;
use crate::protocol::content::{ErrorContent, MimeBundle};
use mesos_lib::resources::{AttributeSelector, Resources, Want, hostname_matches, ranges, scalar};
use mesos_lib::scheduler::{Book, Scheduler};
use mesos_lib::v1::{Offer, OfferId};
use std::time::{Duration, Instant};

/// How long `%launch` waits for an offer it may use when none is held.
pub(super) const OFFER_WAIT: Duration = Duration::from_secs(15);

/// The filter flags `%offers` and `%launch` share.
pub(super) const FILTER_FLAGS: [FlagSpec; 3] = [
    FlagSpec {
        name: "agent",
        value: ArgKind::Live(LiveKind::AgentId),
        help: "only offers from this agent id",
    },
    FlagSpec {
        name: "hostname",
        value: ArgKind::Live(LiveKind::Hostname),
        help: "only offers from this hostname (`*` matches anything)",
    },
    FlagSpec {
        name: "attr",
        value: ArgKind::Live(LiveKind::Attribute),
        help: "only offers whose agent has this attribute, `name=value` or `name` (repeatable)",
    },
];

pub(super) static MAGICS: &[(MagicSpec, Body)] = &[(
    MagicSpec {
        name: "offers",
        kind: MagicKind::Line,
        usage: "%offers [--wait DURATION | --live] [--agent ID] [--hostname H] [--attr key=value]... [--bind NAME]",
        summary: "Outstanding offers: agent, hostname, cpus, mem, disk, ports, attributes.",
        help: "--agent, --hostname and --attr keep only the offers that match (every --attr \
               must hold). With --wait, when no offer matches yet, the table is shown at once \
               and updated in place as offers arrive or are rescinded, until one matches or \
               DURATION has passed. --bind NAME also makes the offers shown a \
               Vec<mesos::Offer> in Rust cells.",
        flags: &[
            FlagSpec {
                name: "wait",
                value: ArgKind::Text,
                help: "wait this long for a matching offer (e.g. 10s)",
            },
            FILTER_FLAGS[0],
            FILTER_FLAGS[1],
            FILTER_FLAGS[2],
            super::bind::BIND,
        ],
        positional: ArgKind::None,
    },
    |args, ctx| Box::pin(offers_then_bind(args, ctx)),
)];

/// Which offers a magic may use: `--offer`, `--agent`, `--hostname`, `--attr`.
#[derive(Debug, Default)]
pub(super) struct OfferFilter {
    /// `--offer`: exactly this offer.
    pub offer: Option<String>,
    agent: Option<String>,
    hostname: Option<String>,
    attrs: Vec<AttributeSelector>,
    /// The selectors as typed, for messages.
    attr_text: Vec<String>,
    /// `%launch --role`: only offers allocated to this role (a MULTI_ROLE framework's offers
    /// name it in `allocation_info`; a single-role framework's are all its role's).
    pub role: Option<String>,
}

impl OfferFilter {
    /// Reads the filter flags the magic declares (absent ones filter nothing).
    pub fn from_args(spec: &MagicSpec, args: &Args) -> Result<Self, ErrorContent> {
        let mut f = Self {
            offer: args.value("offer").map(str::to_owned),
            agent: args.value("agent").map(str::to_owned),
            hostname: args.value("hostname").map(str::to_owned),
            ..Self::default()
        };
        for text in args.flags.get("attr").into_iter().flatten() {
            let parsed = AttributeSelector::parse_list(text)
                .map_err(|e| usage(spec, format!("--attr: {e}")))?;
            if parsed.is_empty() {
                return Err(usage(spec, "--attr needs name=value or name"));
            }
            f.attrs.extend(parsed);
            f.attr_text.push(text.clone());
        }
        Ok(f)
    }

    /// Restricts the filter to one agent (a TaskInfo that names its agent).
    pub fn on_agent(&mut self, agent: &str) -> Result<(), String> {
        match &self.agent {
            Some(a) if a != agent => Err(format!(
                "the tasks name agent {agent}, but --agent asks for {a}"
            )),
            _ => {
                self.agent = Some(agent.to_owned());
                Ok(())
            }
        }
    }

    /// Whether `o` passes every filter.
    pub fn matches(&self, o: &Offer) -> bool {
        self.offer.as_ref().is_none_or(|id| &o.id.value == id)
            && self.agent.as_ref().is_none_or(|a| &o.agent_id.value == a)
            && self
                .hostname
                .as_ref()
                .is_none_or(|h| hostname_matches(&o.hostname, h))
            && self.attrs.iter().all(|s| s.matches_any(&o.attributes))
            && self.role.as_ref().is_none_or(|r| {
                o.allocation_info
                    .as_ref()
                    .and_then(|a| a.role.as_ref())
                    .is_none_or(|got| got == r)
            })
    }

    /// The filters in words (`agent X, hostname H, rack=r2d2`); empty when there are none.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(o) = &self.offer {
            parts.push(format!("offer {o}"));
        }
        if let Some(a) = &self.agent {
            parts.push(format!("agent {a}"));
        }
        if let Some(h) = &self.hostname {
            parts.push(format!("hostname {h}"));
        }
        parts.extend(self.attr_text.iter().cloned());
        if let Some(r) = &self.role {
            parts.push(format!("role {r}"));
        }
        parts.join(", ")
    }

    fn select(&self, b: &Book) -> Vec<Offer> {
        b.offers
            .list()
            .iter()
            .filter(|o| self.matches(o))
            .cloned()
            .collect()
    }
}

/// `cpus:0.1;mem:32 and 2 ports`.
pub(super) fn describe(want: &Want) -> String {
    let mut text = resource_text(&want.resources);
    let named_ports = Resources::from(want.resources.as_slice()).ports();
    if !named_ports.is_empty() {
        text.push_str(&format!(";ports:{}", ranges::format(&named_ports)));
    }
    if want.ports > 0 {
        text.push_str(&format!(
            " and {} port{}",
            want.ports,
            if want.ports == 1 { "" } else { "s" }
        ));
    }
    text
}

/// What `o` lacks for `want`, one phrase per resource (empty: it fits).
pub(super) fn shortfall(o: &Offer, want: &Want) -> Vec<String> {
    let have = Resources::from(o.resources.as_slice()).flatten();
    let wanted = Resources::from(want.resources.as_slice()).flatten();
    let mut missing = Vec::new();
    for r in wanted.iter() {
        if let Some(s) = &r.scalar {
            let offered = have.scalar(&r.name).unwrap_or(0.0);
            if !scalar::less_or_equal(s.value, offered) {
                missing.push(format!(
                    "{} {} (offered {})",
                    r.name,
                    num(Some(s.value)),
                    num(Some(offered))
                ));
            }
        } else if !have.contains(&Resources::from(std::slice::from_ref(r))) {
            let offered = have.ranges(&r.name);
            let asked = r.ranges.as_ref().map(ranges::pairs).unwrap_or_default();
            missing.push(format!(
                "{} {} (offered {})",
                r.name,
                ranges::format(&asked),
                if offered.is_empty() {
                    "none".to_owned()
                } else {
                    ranges::format(&offered)
                }
            ));
        }
    }
    if want.ports > 0 {
        let n = ranges::count(&want.free_ports(&o.resources));
        if n < want.ports {
            missing.push(format!(
                "{} (offered {n})",
                counted(want.ports as usize, "port")
            ));
        }
    }
    missing
}

fn offer_line(o: &Offer) -> String {
    let [_, _, _, ports] = resource_cells(&o.resources);
    format!(
        "{} on {} ({}): {};ports:{ports}",
        o.id,
        o.hostname,
        o.agent_id,
        resource_text(&o.resources)
    )
}

/// Chooses an outstanding offer that passes `filter` and holds `want`, waiting a little for
/// one when none passes the filter yet; the error says what is missing from what is offered.
pub(super) async fn choose_offer(
    ctx: &MagicContext<'_>,
    s: &Scheduler,
    filter: &OfferFilter,
    want: &Want,
) -> Result<Offer, ErrorContent> {
    let all = s.offers();
    if let Some(id) = &filter.offer
        && !all.iter().any(|o| &o.id.value == id)
    {
        return Err(not_outstanding(id, &all));
    }
    let mut candidates = s.read(|b| filter.select(b));
    if candidates.is_empty() && filter.offer.is_none() {
        let wait = s.wait_until(OFFER_WAIT, "an offer", |b| {
            let c = filter.select(b);
            (!c.is_empty() || b.state.is_terminal()).then_some(c)
        });
        candidates = tokio::select! {
            r = wait => r.unwrap_or_default(),
            _ = ctx.cancel.cancelled() => return Err(interrupted("waiting for an offer")),
        };
    }
    if candidates.is_empty() {
        return Err(none_arrived(filter, &s.offers()));
    }
    if let Some(o) = candidates.iter().find(|o| want.fits(&o.resources)) {
        return Ok(o.clone());
    }
    if filter.role.is_some() && filter.offer.is_none() {
        // A role's resources come back as other roles' tasks end (quota holds them for it):
        // wait a little for an offer that fits before saying what is missing.
        let fits = s.wait_until(OFFER_WAIT, "an offer that fits", |b| {
            let c = filter.select(b);
            c.into_iter().find(|o| want.fits(&o.resources))
        });
        tokio::select! {
            r = fits => if let Ok(o) = r { return Ok(o) },
            _ = ctx.cancel.cancelled() => return Err(interrupted("waiting for an offer")),
        }
        candidates = s.read(|b| filter.select(b));
    }
    show_shortfall(ctx, &candidates, want);
    Err(none_fits(&candidates, want))
}

/// Outstanding offers, one a line.
fn offer_lines(offers: &[Offer]) -> String {
    offers
        .iter()
        .map(offer_line)
        .collect::<Vec<_>>()
        .join("\n  ")
}

/// `--offer ID` names an offer that is not outstanding.
fn not_outstanding(id: &str, all: &[Offer]) -> ErrorContent {
    let now = if all.is_empty() {
        "none is outstanding now".to_owned()
    } else {
        format!("outstanding now:\n  {}", offer_lines(all))
    };
    mesos_error(format!(
        "offer {id} is not outstanding: it was used, declined or rescinded (an offer is \
         good for one ACCEPT); {now}"
    ))
}

/// No offer passed the filter in time; `now` are the outstanding offers.
fn none_arrived(filter: &OfferFilter, now: &[Offer]) -> ErrorContent {
    let filters = filter.describe();
    let what = if filters.is_empty() {
        format!("no offer arrived within {OFFER_WAIT:?}")
    } else {
        format!("no offer matching {filters} within {OFFER_WAIT:?}")
    };
    let held = if now.is_empty() {
        String::new()
    } else {
        format!("; outstanding:\n  {}", offer_lines(now))
    };
    mesos_error(format!("{what}{held}"))
}

/// Offers passed the filter but none holds `want`: what each lacks.
fn none_fits(candidates: &[Offer], want: &Want) -> ErrorContent {
    let lines = candidates
        .iter()
        .map(|o| {
            format!(
                "{} lacks {}\n    offered: {}",
                o.id,
                shortfall(o, want).join(", "),
                offer_line(o)
            )
        })
        .collect::<Vec<_>>()
        .join("\n  ");
    mesos_error(format!("no offer holds {}:\n  {lines}", describe(want)))
}

/// Shows, before the launch fails, the offers that passed the filter with what the launch asks
/// for marked on their bars, so where each falls short is seen at a glance.
fn show_shortfall(ctx: &MagicContext<'_>, candidates: &[Offer], want: &Want) {
    let wanted = Resources::from(want.resources.as_slice());
    let ports = ranges::count(&wanted.ports()) + want.ports;
    let marker = [
        wanted.cpus(),
        wanted.mem(),
        wanted.disk(),
        (ports > 0).then_some(ports as f64),
    ];
    let refs: Vec<&Offer> = candidates.iter().collect();
    let mut chart = offers_chart(&refs, Some(marker));
    chart.title = format!("no offer holds {}", describe(want));
    let mut t = Table::new(&["offer", "hostname", "lacks"]);
    for o in candidates {
        t.row(vec![
            o.id.value.clone(),
            o.hostname.clone(),
            shortfall(o, want).join(", "),
        ]);
    }
    t.caption = Some(chart.title.clone());
    let svg = chart.to_svg(&picture_id("shortfall"));
    ctx.out.display(&with_picture(t.to_bundle(), &svg), None);
}

/// The offers table with a picture of what the matching offers hold, per agent.
fn offers_bundle(t: &Table, all: &[Offer], filter: &OfferFilter) -> MimeBundle {
    let matching: Vec<&Offer> = all.iter().filter(|o| filter.matches(o)).collect();
    let svg = offers_chart(&matching, None).to_svg(&picture_id("offers"));
    with_picture(t.to_bundle(), &svg)
}

/// One row per offer.
pub fn offers_table(offers: &[Offer]) -> Table {
    let mut t = Table::new(&[
        "offer",
        "agent",
        "hostname",
        "cpus",
        "mem",
        "disk",
        "ports",
        "attributes",
    ]);
    t.extend_capped(offers.iter(), |o| {
        let [cpus, mem, disk, ports] = resource_cells(&o.resources);
        vec![
            o.id.value.clone(),
            o.agent_id.value.clone(),
            o.hostname.clone(),
            cpus,
            mem,
            disk,
            ports,
            attributes_text(&o.attributes),
        ]
    });
    t.caption = Some(counted(offers.len(), "offer"));
    t
}

/// The table of the offers passing `filter`, captioned with how many of how many.
fn filtered_table(all: &[Offer], filter: &OfferFilter) -> Table {
    let matching: Vec<Offer> = all.iter().filter(|o| filter.matches(o)).cloned().collect();
    let mut t = offers_table(&matching);
    let filters = filter.describe();
    if !filters.is_empty() {
        t.caption = Some(format!(
            "{} of {} match {filters}",
            matching.len(),
            counted(all.len(), "offer")
        ));
    }
    t
}

/// `%offers`, then `--bind`: the offers that match when the table was last drawn.
async fn offers_then_bind(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let spec = &MAGICS[0].0;
    let name = super::bind::bind_name(spec, &args)?;
    let filter = OfferFilter::from_args(spec, &args)?;
    let shown = offers(args, ctx).await?;
    if let Some(name) = name {
        let s = ctx.mesos.scheduler().map_err(mesos_error)?;
        let matching: Vec<Offer> = s
            .offers()
            .into_iter()
            .filter(|o| filter.matches(o))
            .collect();
        super::bind::queue(ctx, super::bind::offers(name, &matching));
    }
    Ok(shown)
}

/// `%offers --wait`'s last word when nothing matched in time: the offers there are now.
fn show_none_within(
    ctx: &MagicContext<'_>,
    now: &[Offer],
    filter: &OfferFilter,
    wait: Duration,
    display_id: &str,
) {
    let mut table = filtered_table(now, filter);
    let filters = filter.describe();
    table.caption = Some(if filters.is_empty() {
        format!("no offers within {wait:?}")
    } else {
        format!("no offer matching {filters} within {wait:?}")
    });
    show(ctx, &offers_bundle(&table, now, filter), display_id, false);
}

async fn offers(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let spec = &MAGICS[0].0;
    no_positional(spec, &args)?;
    let wait = args
        .has("wait")
        .then(|| duration_flag(spec, &args, "wait", Duration::ZERO))
        .transpose()?;
    let filter = OfferFilter::from_args(spec, &args)?;
    let s = ctx.mesos.scheduler().map_err(mesos_error)?;
    let all = s.offers();
    let table = filtered_table(&all, &filter);
    let Some(wait) = wait.filter(|_| table.rows.is_empty()) else {
        return Ok(Some(offers_bundle(&table, &all, &filter)));
    };
    // Live: one display, replaced whenever the outstanding offers change.
    let display_id = format!("mesos-offers-{}", uuid::Uuid::new_v4().simple());
    let waiting = |mut t: Table| {
        let c = t.caption.take().unwrap_or_default();
        t.caption = Some(format!("{c}; waiting up to {wait:?} for a matching offer…"));
        t
    };
    show(
        ctx,
        &offers_bundle(&waiting(table), &all, &filter),
        &display_id,
        true,
    );
    let deadline = Instant::now() + wait;
    let mut shown: Vec<OfferId> = all.iter().map(|o| o.id.clone()).collect();
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let changed = s.wait_until(remaining, "offers", |b| {
            let ids: Vec<OfferId> = b.offers.list().iter().map(|o| o.id.clone()).collect();
            (ids != shown || b.state.is_terminal())
                .then(|| (b.offers.list().to_vec(), b.state.clone()))
        });
        let got = tokio::select! {
            r = changed => r,
            _ = ctx.cancel.cancelled() => return Err(interrupted("waiting for offers")),
        };
        let Ok((all, state)) = got else {
            show_none_within(ctx, &s.offers(), &filter, wait, &display_id);
            return Ok(None);
        };
        shown = all.iter().map(|o| o.id.clone()).collect();
        let table = filtered_table(&all, &filter);
        if !table.rows.is_empty() {
            show(
                ctx,
                &offers_bundle(&table, &all, &filter),
                &display_id,
                false,
            );
            return Ok(None);
        }
        if state.is_terminal() {
            show(
                ctx,
                &offers_bundle(&table, &all, &filter),
                &display_id,
                false,
            );
            return Err(mesos_error(format!(
                "the framework session ended ({state})"
            )));
        }
        show(
            ctx,
            &offers_bundle(&waiting(table), &all, &filter),
            &display_id,
            false,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesos_lib::v1::{Attribute, Resource};

    fn offer(cpus: f64, ports: &[(u64, u64)]) -> Offer {
        Offer {
            id: OfferId::new("O1"),
            agent_id: "S1".into(),
            hostname: "node-1.example".into(),
            resources: vec![
                Resource::scalar("cpus", cpus),
                Resource::scalar("mem", 256.0),
                Resource::ranges("ports", ports.iter().copied()),
            ],
            attributes: vec![Attribute::text("rack", "r2d2")],
            ..Default::default()
        }
    }

    #[test]
    fn shortfall_names_what_is_missing() {
        let o = offer(1.0, &[(31000, 31001)]);
        let want = Want {
            resources: vec![Resource::scalar("cpus", 2.0), Resource::scalar("mem", 64.0)],
            ports: 3,
        };
        assert_eq!(
            shortfall(&o, &want),
            vec!["cpus 2 (offered 1)", "3 ports (offered 2)"]
        );
        let small = Want {
            resources: vec![Resource::scalar("cpus", 0.5)],
            ports: 2,
        };
        assert!(shortfall(&o, &small).is_empty());
        assert_eq!(small.pick_ports(&o.resources), vec![31000, 31001]);
    }

    #[test]
    fn picked_ports_skip_named_ones() {
        let o = offer(1.0, &[(31000, 31003)]);
        let want = Want {
            resources: vec![Resource::ranges("ports", [(31000, 31000)])],
            ports: 2,
        };
        assert_eq!(want.pick_ports(&o.resources), vec![31001, 31002]);
    }

    #[test]
    fn filter_matches_agent_hostname_and_attributes() {
        let o = offer(1.0, &[]);
        let f = |agent: Option<&str>, host: Option<&str>, attrs: &[&str]| OfferFilter {
            agent: agent.map(str::to_owned),
            hostname: host.map(str::to_owned),
            attrs: attrs
                .iter()
                .map(|a| AttributeSelector::parse(a).unwrap())
                .collect(),
            ..OfferFilter::default()
        };
        assert!(f(None, None, &[]).matches(&o));
        assert!(f(Some("S1"), Some("node-*"), &["rack=r2d2"]).matches(&o));
        assert!(!f(Some("S2"), None, &[]).matches(&o));
        assert!(!f(None, Some("other"), &[]).matches(&o));
        assert!(!f(None, None, &["rack=c3po"]).matches(&o));
        assert!(!f(None, None, &["pod"]).matches(&o));
    }
}
