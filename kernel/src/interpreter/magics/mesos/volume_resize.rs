//! `%volumes grow` and `%volumes shrink`: GROW_VOLUME / SHRINK_VOLUME of a persistent volume
//! to a target size (`--to MB`) rather than by an amount, so a cell re-run once the volume is
//! that size sends nothing (every cell is safe to re-run).

use super::volumes::{Held, Operator, find_one, spec};
use super::{mesos_error, num, usage};
use crate::interpreter::magics::args::Args;
use crate::protocol::content::ErrorContent;
use mesos_lib::v1::master::Call;
use mesos_lib::v1::master::response::GetAgents;
use mesos_lib::v1::resources::Scalar;
use mesos_lib::v1::{AgentId, Resource};

/// Which way a volume changes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Direction {
    Grow,
    Shrink,
}

impl Direction {
    fn word(self) -> &'static str {
        match self {
            Direction::Grow => "grow",
            Direction::Shrink => "shrink",
        }
    }
}

/// A `%volumes grow|shrink` line, parsed.
#[derive(Debug)]
pub(super) struct Resize {
    pub(super) direction: Direction,
    pub(super) id: String,
    /// The size the volume should have, in MB.
    pub(super) to: f64,
    agent: Option<String>,
    role: Option<String>,
}

impl Resize {
    /// `words` are the positionals after the subcommand: the volume ID, nothing else.
    pub(super) fn parse(
        direction: Direction,
        words: &[&str],
        args: &Args,
    ) -> Result<Resize, ErrorContent> {
        let sub = direction.word();
        let bad = |e: String| usage(spec(), e);
        if let Some(f) = ["size", "path", "principal", "unreserve"]
            .iter()
            .find(|f| args.has(f))
        {
            return Err(bad(format!(
                "--{f} does not go with {sub}: give the new size with --to MB"
            )));
        }
        let id = match words {
            [] => return Err(bad(format!("{sub} needs a volume ID"))),
            [id] => *id,
            [id, mb, ..] if mb.parse::<f64>().is_ok() => {
                return Err(bad(format!(
                    "{sub} takes the volume's new size, not an amount: `%volumes {sub} {id} \
                     --to MB` (so that re-running the cell changes nothing)"
                )));
            }
            [_, extra, ..] => return Err(bad(format!("unexpected argument {extra:?}"))),
        };
        let to = match args.value("to").map(|v| (v, v.parse::<f64>())) {
            Some((_, Ok(n))) if n.is_finite() && n > 0.0 => n,
            Some((v, Ok(n))) if n.is_finite() => {
                return Err(bad(format!(
                    "--to {v}: a volume keeps more than 0 MB (destroy it to free its disk)"
                )));
            }
            Some((v, _)) => {
                return Err(bad(format!(
                    "--to takes a positive number of MB, not {v:?}"
                )));
            }
            None => return Err(bad(format!("{sub} needs the new size: --to MB"))),
        };
        Ok(Resize {
            direction,
            id: id.to_owned(),
            to,
            agent: args.value("agent").map(str::to_owned),
            role: args.value("role").map(str::to_owned),
        })
    }
}

/// The reserved disk a volume stands on: the volume without its persistence and mount.
fn plain_disk(volume: &Resource, size: f64) -> Resource {
    let mut disk = volume.clone();
    disk.scalar = Some(Scalar::new(size));
    if let Some(d) = disk.disk.as_mut() {
        d.persistence = None;
        d.volume = None;
        // A disk with a source (PATH, MOUNT) keeps it; a plain one has no DiskInfo at all.
        if d.extra.is_empty() {
            disk.disk = None;
        }
    }
    disk
}

/// Carries out `r`; the caption saying what changed.
pub(super) async fn resize(
    op: &Operator,
    agents: &GetAgents,
    r: Resize,
) -> Result<String, ErrorContent> {
    let Some(h) = find_one(agents, &r.id, r.agent.as_deref(), r.role.as_deref())? else {
        return Err(usage(
            spec(),
            format!("no volume {}: `%volumes list` shows them", r.id),
        ));
    };
    let (now, to, sub) = (h.size(), r.to, r.direction.word());
    let mb = |n: f64| num(Some(n));
    if (now - to).abs() < 1e-9 {
        return Ok(format!(
            "volume {} on agent {} is {} MB already: nothing to {sub}",
            r.id,
            h.agent,
            mb(now)
        ));
    }
    let wrong_way = match r.direction {
        Direction::Grow => to < now,
        Direction::Shrink => to > now,
    };
    if wrong_way {
        let other = if r.direction == Direction::Grow {
            "shrink"
        } else {
            "grow"
        };
        return Err(usage(
            spec(),
            format!(
                "volume {} is {} MB: to make it {} MB, {other} it",
                r.id,
                mb(now),
                mb(to)
            ),
        ));
    }
    let agent = AgentId::new(h.agent.clone());
    match r.direction {
        Direction::Grow => grow(op, &h, agent, to).await,
        Direction::Shrink => {
            let call = Call::shrink_volume(agent, h.resource.clone(), Scalar::new(now - to));
            if let Some((_, text)) = op.send(&call).await? {
                return Err(mesos_error(format!("SHRINK_VOLUME refused: {text}")));
            }
            Ok(format!(
                "shrank volume {} on agent {} from {} to {} MB; the {} MB freed stay reserved \
                 for role {}",
                r.id,
                h.agent,
                mb(now),
                mb(to),
                mb(now - to),
                h.role()
            ))
        }
    }
}

/// GROW_VOLUME to `to` MB; when the agent has not that much disk reserved as the volume is
/// (409), it is reserved first, as `create` does, and unreserved again if the grow still fails.
async fn grow(op: &Operator, h: &Held, agent: AgentId, to: f64) -> Result<String, ErrorContent> {
    let now = h.size();
    let addition = plain_disk(&h.resource, to - now);
    let call = Call::grow_volume(agent.clone(), h.resource.clone(), addition.clone());
    let mb = |n: f64| num(Some(n));
    let mut note = String::new();
    match op.send(&call).await? {
        None => {}
        Some((409, _)) => {
            let reserve = Call::reserve_resources(agent.clone(), vec![], vec![addition.clone()]);
            if let Some((_, text)) = op.send(&reserve).await? {
                return Err(mesos_error(format!(
                    "RESERVE_RESOURCES of disk:{} for role {} refused: {text}",
                    mb(to - now),
                    h.role()
                )));
            }
            note = format!(
                " on disk:{} reserved for role {} first",
                mb(to - now),
                h.role()
            );
            if let Some((_, text)) = op.send(&call).await? {
                // The reservation was only for the grow: give it back, so a refused cell
                // leaves the agent as it found it.
                let unreserve = Call::unreserve_resources(agent, vec![addition]);
                let undone = match op.send(&unreserve).await? {
                    None => format!("the disk:{} reserved for it was unreserved", mb(to - now)),
                    Some((_, why)) => format!(
                        "the disk:{} reserved for it stays reserved for {} (UNRESERVE_RESOURCES \
                         refused: {why})",
                        mb(to - now),
                        h.role()
                    ),
                };
                return Err(mesos_error(format!(
                    "GROW_VOLUME refused: {text}; {undone}"
                )));
            }
        }
        Some((_, text)) => return Err(mesos_error(format!("GROW_VOLUME refused: {text}"))),
    }
    Ok(format!(
        "grew volume {} on agent {} from {} to {} MB{note}",
        h.id(),
        h.agent,
        mb(now),
        mb(to)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(dir: Direction, words: &[&str], flags: &[(&str, &str)]) -> Result<Resize, String> {
        let args = Args::of(words, flags);
        Resize::parse(dir, words, &args).map_err(|e| e.evalue)
    }

    #[test]
    fn grow_and_shrink_take_a_positive_target_size() {
        let r = parse(Direction::Grow, &["v1"], &[("to", "64"), ("agent", "a1")]).unwrap();
        assert_eq!(
            (r.id.as_str(), r.to, r.agent.as_deref()),
            ("v1", 64.0, Some("a1"))
        );
        let r = parse(Direction::Shrink, &["v1"], &[("to", "8.5")]).unwrap();
        assert_eq!((r.direction, r.to), (Direction::Shrink, 8.5));
        let err =
            |dir, words: &[&str], flags: &[(&str, &str)]| parse(dir, words, flags).unwrap_err();
        assert!(err(Direction::Grow, &[], &[("to", "1")]).contains("needs a volume ID"));
        assert!(err(Direction::Grow, &["v1"], &[]).contains("--to MB"));
        assert!(err(Direction::Grow, &["v1", "64"], &[]).contains("not an amount"));
        assert!(err(Direction::Shrink, &["v1"], &[("to", "0")]).contains("more than 0 MB"));
        assert!(err(Direction::Shrink, &["v1"], &[("to", "-8")]).contains("more than 0 MB"));
        assert!(err(Direction::Grow, &["v1"], &[("to", "big")]).contains("positive number"));
        assert!(err(Direction::Grow, &["v1"], &[("to", "inf")]).contains("positive number"));
        assert!(err(Direction::Grow, &["v1"], &[("size", "8")]).contains("--size does not go"));
        assert!(err(Direction::Grow, &["v1", "x"], &[("to", "8")]).contains("unexpected"));
    }

    #[test]
    fn the_addition_is_the_volume_disk_without_persistence() {
        use mesos_lib::v1::resources::{DiskInfo, Persistence};
        let mut volume = Resource::scalar("disk", 32.0);
        volume.role = Some("web".into());
        volume.disk = Some(DiskInfo {
            persistence: Some(Persistence {
                id: "v1".into(),
                ..Default::default()
            }),
            ..Default::default()
        });
        let disk = plain_disk(&volume, 16.0);
        assert_eq!(disk.disk, None);
        assert_eq!(disk.role.as_deref(), Some("web"));
        assert_eq!(disk.scalar.map(|s| s.value), Some(16.0));
    }
}
