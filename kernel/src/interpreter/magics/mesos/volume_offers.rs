//! `%launch --volume ID:PATH`: the offer holding the persistent volumes a task asks for, and
//! the volume resources it gives the TaskInfo; when none comes, where the volumes are.

use super::offers::{OFFER_WAIT, OfferFilter};
use super::volumes::{held, persistence_id};
use super::{interrupted, mesos_error};
use crate::interpreter::magics::registry::MagicContext;
use crate::protocol::content::ErrorContent;
use mesos_lib::resources::Want;
use mesos_lib::scheduler::{Book, Scheduler};
use mesos_lib::v1::{Offer, Resource};

/// Waits for an offer passing `filter` that holds every volume of `volumes` (ID, container
/// path), then asks `want` for them, mounted where named, and `filter` for that offer.
pub(super) async fn with_volumes(
    ctx: &MagicContext<'_>,
    s: &Scheduler,
    volumes: &[(String, String)],
    filter: &mut OfferFilter,
    want: &mut Want,
) -> Result<(), ErrorContent> {
    if volumes.is_empty() {
        return Ok(());
    }
    let shared: &OfferFilter = filter;
    let holds = |o: &Offer| {
        shared.matches(o)
            && volumes.iter().all(|(id, _)| {
                o.resources
                    .iter()
                    .any(|r| persistence_id(r) == Some(id.as_str()))
            })
    };
    let find = |b: &Book| b.offers.list().iter().find(|o| holds(o)).cloned();
    let offer = match s.read(find) {
        Some(o) => o,
        None => tokio::select! {
            r = s.wait_until(OFFER_WAIT, "an offer holding the volume", find) => match r {
                Ok(o) => o,
                Err(_) => {
                    let names: Vec<&str> = volumes.iter().map(|(id, _)| id.as_str()).collect();
                    let whereabouts = whereabouts(ctx, &names).await;
                    return Err(mesos_error(format!(
                        "no offer holding volume {} within {OFFER_WAIT:?}: {whereabouts}",
                        names.join(", ")
                    )));
                }
            },
            _ = ctx.cancel.cancelled() => {
                return Err(interrupted("waiting for an offer holding the volume"));
            }
        },
    };
    for (id, path) in volumes {
        if let Some(r) = offered_volume(&offer, id, path) {
            want.resources.push(r);
        }
    }
    filter.offer = Some(offer.id.value.clone());
    Ok(())
}

/// The volume `id` among an offer's resources, ready for a TaskInfo: mounted at `path`,
/// without the offer's allocation (the master adds it).
pub(super) fn offered_volume(offer: &Offer, id: &str, path: &str) -> Option<Resource> {
    let r = offer
        .resources
        .iter()
        .find(|r| persistence_id(r) == Some(id))?;
    let mut r = r.clone();
    r.allocation_info = None;
    if let Some(v) = r.disk.as_mut().and_then(|d| d.volume.as_mut()) {
        v.container_path = path.to_owned();
    }
    Some(r)
}

/// Where the volumes `ids` are, in words, for a launch that found no offer holding them.
pub(super) async fn whereabouts(ctx: &MagicContext<'_>, ids: &[&str]) -> String {
    let Some(conn) = ctx.mesos.try_connection() else {
        return "not connected to ask the master where it is".into();
    };
    let Ok(agents) = conn.operator.get_agents().await else {
        return format!("the master {} did not answer GET_AGENTS", conn.target.url());
    };
    let vols = held(&agents);
    ids.iter()
        .map(|id| {
            let on: Vec<String> = vols
                .iter()
                .filter(|h| h.id() == *id)
                .map(|h| format!("agent {} for role {}", h.agent, h.role()))
                .collect();
            if on.is_empty() {
                format!(
                    "no agent has a volume {id} (%volumes lists them; %volumes create makes one)"
                )
            } else {
                format!(
                    "volume {id} is on {}; it is offered only to frameworks in that role, once \
                     no task uses it",
                    on.join(" and ")
                )
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}
