//! `%leader`: which master leads, the others, and (for a `zk://` target) their ZooKeeper
//! nodes; with a framework, when its session last moved to a new leader.

use super::{Body, MagicResult, mesos_error};
use crate::display::counted;
use crate::display::table::Table;
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::registry::{ArgKind, MagicContext, MagicKind, MagicSpec};
use mesos_lib::detector::{ZkConfig, ZkDetector, ZkMasters, is_zk_url};
use std::time::{Duration, SystemTime};

/// How long `%leader` waits for ZooKeeper's first answer.
const ZK_WAIT: Duration = Duration::from_secs(10);

pub(super) static MAGICS: &[(MagicSpec, Body)] = &[(
    MagicSpec {
        name: "leader",
        kind: MagicKind::Line,
        usage: "%leader",
        summary: "Show the leading master and the others (with their ZooKeeper nodes for zk://).",
        help: "For a zk:// target, reads the masters' json.info_ nodes: the lowest sequence leads. \
               For a plain URL, shows the leader the master redirects to. With a framework, also \
               shows how often and when its session moved to a new leader.",
        flags: &[],
        positional: ArgKind::None,
    },
    |args, ctx| Box::pin(leader(args, ctx)),
)];

async fn leader(_args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let conn = ctx.mesos.connection().map_err(mesos_error)?;
    let url = conn.target.url().to_owned();
    let mut table = if is_zk_url(&url) {
        zk_table(&url).await?
    } else {
        // A master answers GET_MASTER only when it leads (or redirects there).
        conn.operator.get_master().await.map_err(mesos_error)?;
        let leader = conn
            .operator
            .leader()
            .map(|u| u.to_string().trim_end_matches('/').to_owned())
            .unwrap_or_else(|| "-".into());
        let mut t = Table::new(&["master", "leading"]);
        t.row(vec![leader, "yes".into()]);
        t.caption = Some(format!(
            "{url} (not ZooKeeper: other masters are not known)"
        ));
        t
    };
    if let Some(s) = ctx.mesos.try_scheduler() {
        let moves = s.read(|b| {
            b.leader_history.back().map(|c| {
                format!(
                    "; the framework moved {}, last {} ago from {} to {}",
                    counted(b.leader_changes as usize, "time"),
                    ago(c.at),
                    c.from.trim_end_matches('/'),
                    c.to.trim_end_matches('/')
                )
            })
        });
        if let (Some(m), Some(c)) = (moves, table.caption.as_mut()) {
            c.push_str(&m);
        }
    }
    Ok(Some(table.to_bundle()))
}

/// The masters registered under a `zk://` path, as ZooKeeper first answers, and the detector.
async fn zk_view(
    url: &str,
) -> Result<(ZkDetector, ZkMasters), crate::protocol::content::ErrorContent> {
    let cfg = ZkConfig {
        connect_timeout: ZK_WAIT,
        leader_timeout: ZK_WAIT,
        ..ZkConfig::default()
    };
    let d = ZkDetector::with_config(url, cfg).map_err(mesos_error)?;
    let view: ZkMasters = d
        .wait_for(ZK_WAIT, |v| v.read_at.is_some())
        .await
        .ok_or_else(|| {
            let why = d.masters().problem.unwrap_or_else(|| "no answer".into());
            mesos_error(format!("cannot read {}: {why}", d.url()))
        })?;
    Ok((d, view))
}

/// The URL of the master leading under a `zk://` path.
pub(super) async fn zk_leader(url: &str) -> Result<String, crate::protocol::content::ErrorContent> {
    let (d, view) = zk_view(url).await?;
    view.leader
        .map(|l| l.url.to_string().trim_end_matches('/').to_owned())
        .ok_or_else(|| mesos_error(format!("{}: no master registered", d.url())))
}

/// The masters registered under a `zk://` path, leader first.
async fn zk_table(url: &str) -> Result<Table, crate::protocol::content::ErrorContent> {
    let (d, view) = zk_view(url).await?;
    let mut t = Table::new(&["master", "leading", "znode", "master id", "version"]);
    for m in &view.masters {
        let leading = view.leader.as_ref().is_some_and(|l| l.node == m.node);
        t.row(vec![
            m.url.to_string().trim_end_matches('/').to_owned(),
            if leading { "yes" } else { "" }.into(),
            m.node.clone(),
            m.info.id.clone(),
            m.info.version.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    let mut caption = match &view.leader {
        Some(l) => format!(
            "{}: leader {} ({})",
            d.url(),
            l.url.to_string().trim_end_matches('/'),
            counted(view.masters.len(), "master")
        ),
        None => format!("{}: no master registered", d.url()),
    };
    if let Some(p) = &view.problem {
        caption.push_str(&format!(" ({p})"));
    }
    t.caption = Some(caption);
    Ok(t)
}

fn ago(t: SystemTime) -> String {
    let secs = SystemTime::now()
        .duration_since(t)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("{secs}s")
}
