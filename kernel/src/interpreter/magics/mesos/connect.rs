//! `%connect` and `%local`: choosing the master, and the embedded local Mesos process.

use super::{Body, MagicResult, mesos_error, usage};
use crate::display::counted;
use crate::display::table::Table;
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::registry::{
    ArgKind, FlagSpec, MagicContext, MagicKind, MagicSpec, spec_in,
};
use crate::mesos::local::{LocalLayout, LocalRecord};
use crate::mesos::{Connection, Security, SecurityArgs, Target};
use mesos_lib::httpcli::ClientConfig;
use mesos_lib::operator::OperatorClient;
use std::time::Duration;

pub(super) static MAGICS: &[(MagicSpec, Body)] = &[
    (
        MagicSpec {
            name: "connect",
            kind: MagicKind::Line,
            usage: "%connect [URL | zk://HOST:PORT/PATH | local] [--principal P --secret-file F] [--ca-cert F]",
            summary: "Connect to a Mesos master (default $MESOS_MASTER, else the embedded one).",
            help: "Without an argument, connects to $MESOS_MASTER if set, else to the embedded \
                   local Mesos, started on demand. Shows the master id, version, leader and number \
                   of agents. Re-running with the same target only shows its status; a new target \
                   (or new credentials) closes the old session first (without TEARDOWN). For a \
                   master with --authenticate_http_frameworks, give the principal and a file \
                   holding its secret (never shown); for an https master signed by a private \
                   CA, the CA's PEM bundle. $MESOS_PRINCIPAL, $MESOS_SECRET_FILE and \
                   $MESOS_CA_CERT stand in for the flags.",
            flags: &[
                FlagSpec {
                    name: "principal",
                    value: ArgKind::Text,
                    help: "principal to authenticate as (HTTP basic auth; also the framework's)",
                },
                FlagSpec {
                    name: "secret-file",
                    value: ArgKind::Text,
                    help: "file holding the principal's secret (read once, never shown)",
                },
                FlagSpec {
                    name: "ca-cert",
                    value: ArgKind::Text,
                    help: "PEM file of the CA(s) to trust for an https:// master",
                },
            ],
            positional: ArgKind::Choice(&["local"]),
        },
        |args, ctx| Box::pin(connect(args, ctx)),
    ),
    (
        MagicSpec {
            name: "local",
            kind: MagicKind::Line,
            usage: "%local start [--masters N --zk zk://HOST:PORT/PATH] | stop | status | kill-leader",
            summary: "Start, stop or show the embedded local Mesos.",
            help: "The embedded Mesos (master and agent with attributes rack:r2d2;pod:demo,dev) \
                   runs as its own mesos-local process so that it outlives a kernel restart; a \
                   restarted kernel finds it again. `stop` kills it and every task it runs. \
                   `start --masters 3` runs three masters that elect their leader through \
                   ZooKeeper, as a production cluster does: the one at --zk URL (or $MESOS_ZK), \
                   else a private one the embedded Mesos starts on loopback and stops with \
                   itself (Debian's zookeeper package); `kill-leader` then kills the leading \
                   master, so the next one takes over and sessions follow it.",
            flags: &[
                FlagSpec {
                    name: "masters",
                    value: ArgKind::Text,
                    help: "number of masters (default 1)",
                },
                FlagSpec {
                    name: "zk",
                    value: ArgKind::Text,
                    help: "ZooKeeper URL the masters register in (default $MESOS_ZK, else a private one)",
                },
            ],
            positional: ArgKind::Choice(&["start", "stop", "status", "kill-leader"]),
        },
        |args, ctx| Box::pin(local(args, ctx)),
    ),
];

/// `http://` is implied, as in Mesos's own `--master` flag.
fn normalise(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    if url.contains("://") {
        url.to_owned()
    } else {
        format!("http://{url}")
    }
}

async fn connect(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let spec = spec_in(MAGICS, "connect");
    if args.positional.len() > 1 {
        return Err(usage(spec, "give at most one master"));
    }
    let wanted = args
        .positional
        .first()
        .cloned()
        .or_else(|| std::env::var("MESOS_MASTER").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "local".into());
    let target = if wanted == "local" {
        let (rec, _) = ctx
            .mesos
            .local_start(LocalLayout::default())
            .await
            .map_err(mesos_error)?;
        Target::Local(rec.connect_url().to_owned())
    } else {
        Target::Url(normalise(&wanted))
    };
    let security = Security::load(&security_args(&args)).map_err(|e| usage(spec, e))?;
    for warning in &security.warnings {
        ctx.out.stream(
            crate::protocol::content::StreamName::Stderr,
            &format!("warning: {warning}\n"),
        );
    }
    let current = ctx.mesos.try_connection();
    let same = current
        .as_ref()
        .is_some_and(|c| c.target == target && c.security == security);
    if !same
        && let Some(old) = ctx
            .mesos
            .set_target(target, security)
            .map_err(mesos_error)?
    {
        // A new master: end the old framework's stream, without TEARDOWN.
        old.close().await;
    }
    let conn = ctx.mesos.connection().map_err(mesos_error)?;
    match status(&conn).await {
        Ok(mut table) => {
            let note = if same {
                "already connected (nothing changed)"
            } else {
                "connected"
            };
            table.caption = Some(format!("{note}: {}", conn.target.url()));
            Ok(Some(table.to_bundle()))
        }
        Err(e) => {
            if !same {
                // Do not keep a target that never answered.
                if let Some(s) = ctx.mesos.disconnect() {
                    s.close().await;
                }
            }
            let e = e.to_string();
            let hint = if e.contains("certificate") && conn.security.ca_file.is_none() {
                " (a master signed by a private CA needs --ca-cert FILE)".to_owned()
            } else if e.contains("HTTP 401") {
                match conn.security.principal() {
                    Some(p) => format!(" (the master refused principal {p}: check its secret)"),
                    None => {
                        " (the master requires authentication: --principal P --secret-file FILE)"
                            .to_owned()
                    }
                }
            } else {
                String::new()
            };
            Err(mesos_error(format!(
                "master {} is unreachable: {e}{hint}",
                conn.target.url()
            )))
        }
    }
}

/// Credentials and CA from the flags, else from `$MESOS_PRINCIPAL`, `$MESOS_SECRET_FILE` and
/// `$MESOS_CA_CERT` (so a notebook runs unchanged against a secured cluster).
fn security_args(args: &Args) -> SecurityArgs {
    let pick = |flag: &str, var: &str| {
        args.value(flag)
            .map(str::to_owned)
            .or_else(|| std::env::var(var).ok().filter(|v| !v.is_empty()))
    };
    SecurityArgs {
        principal: pick("principal", "MESOS_PRINCIPAL"),
        secret_file: pick("secret-file", "MESOS_SECRET_FILE").map(Into::into),
        ca_file: pick("ca-cert", "MESOS_CA_CERT").map(Into::into),
    }
}

/// Master id, version, leader and agent count, read through the operator API.
async fn status(conn: &Connection) -> Result<Table, mesos_lib::httpcli::HttpError> {
    let op = &conn.operator;
    let master = op.get_master().await?;
    let version = op.get_version().await?;
    let agents = op.get_agents().await?;
    let info = master.master_info.as_ref();
    let secured = conn.security.describe();
    let mut headers = vec!["master id", "version", "leader", "agents"];
    if secured.is_some() {
        headers.push("security");
    }
    let mut t = Table::new(&headers);
    let mut row = vec![
        info.map(|m| m.id.clone()).unwrap_or_else(|| "-".into()),
        version.version_info.version,
        op.leader()
            .map(|u| u.to_string().trim_end_matches('/').to_owned())
            .unwrap_or_else(|| "-".into()),
        agents.agents.len().to_string(),
    ];
    row.extend(secured);
    t.row(row);
    Ok(t)
}

async fn local(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let spec = spec_in(MAGICS, "local");
    let action = match args.positional.as_slice() {
        [] => "status",
        [a] if ["start", "stop", "status", "kill-leader"].contains(&a.as_str()) => a.as_str(),
        _ => return Err(usage(spec, "say start, stop, status or kill-leader")),
    };
    if action != "start" && (args.has("masters") || args.has("zk")) {
        return Err(usage(spec, "--masters and --zk go with start"));
    }
    match action {
        "start" => {
            let layout = layout(spec, &args)?;
            let (rec, new) = ctx
                .mesos
                .local_start(layout.clone())
                .await
                .map_err(mesos_error)?;
            let mut t = agents_table(&rec.url).await?;
            t.caption = Some(format!(
                "{} embedded Mesos at {}{} (pid {}); %connect local to use it",
                if new { "started" } else { "already running:" },
                rec.url,
                describe_layout(&rec),
                rec.pid
            ));
            if !new && !layout.describes(&rec) {
                ctx.out.stream(
                    crate::protocol::content::StreamName::Stderr,
                    "note: it runs as it was started, not as asked now: %local stop first to change its masters or ZooKeeper\n",
                );
            }
            Ok(Some(t.to_bundle()))
        }
        "kill-leader" => kill_leader(ctx).await,
        "stop" => {
            let conn = ctx.mesos.try_connection();
            let stopped = ctx.mesos.local_stop().await.map_err(mesos_error)?;
            if let (Some(rec), Some(c)) = (&stopped, conn)
                && c.target == Target::Local(rec.connect_url().to_owned())
            {
                // Its master is gone: the session has nothing left to talk to.
                if let Some(s) = ctx.mesos.disconnect() {
                    s.close().await;
                }
            }
            Ok(Some(crate::protocol::content::MimeBundle::text(
                match stopped {
                    Some(r) => format!(
                        "stopped the embedded Mesos at {} (pid {}) and its tasks",
                        r.url, r.pid
                    ),
                    None => "the embedded Mesos is not running".into(),
                },
            )))
        }
        _ => match ctx.mesos.local_status() {
            None => Ok(Some(crate::protocol::content::MimeBundle::text(
                "the embedded Mesos is not running (%local start or %connect local starts it)",
            ))),
            Some(rec) => {
                let mut t = agents_table(rec.connect_url()).await?;
                t.caption = Some(format!(
                    "embedded Mesos at {}{} (pid {})",
                    rec.url,
                    describe_layout(&rec),
                    rec.pid
                ));
                Ok(Some(t.to_bundle()))
            }
        },
    }
}

/// The layout `%local start` asks for.
fn layout(
    spec: &MagicSpec,
    args: &Args,
) -> Result<LocalLayout, crate::protocol::content::ErrorContent> {
    let masters = match args.value("masters") {
        None => 1,
        Some(n) => match n.parse::<usize>() {
            Ok(n @ 1..=7) => n,
            _ => return Err(usage(spec, format!("--masters {n}: give 1 to 7"))),
        },
    };
    let zk = args
        .value("zk")
        .map(str::to_owned)
        .or_else(|| std::env::var("MESOS_ZK").ok().filter(|v| !v.is_empty()));
    if let Some(z) = &zk
        && !z.starts_with("zk://")
    {
        return Err(usage(
            spec,
            format!("--zk {z}: give a zk://HOST:PORT/PATH URL"),
        ));
    }
    Ok(LocalLayout { masters, zk })
}

fn describe_layout(rec: &LocalRecord) -> String {
    match &rec.zk {
        Some(zk) if rec.own_zk => format!(
            " ({} electing through {zk}, its own ZooKeeper)",
            counted(rec.masters, "master")
        ),
        Some(zk) => format!(
            " ({} electing through {zk})",
            counted(rec.masters, "master")
        ),
        None => String::new(),
    }
}

/// Kills the leading master of an embedded HA cluster, through its test hook, on the master
/// ZooKeeper says leads.
async fn kill_leader(ctx: &MagicContext<'_>) -> MagicResult {
    let Some(rec) = ctx.mesos.local_status() else {
        return Err(mesos_error(
            "the embedded Mesos is not running (%local start --masters 3)",
        ));
    };
    let Some(zk) = &rec.zk else {
        return Err(mesos_error(
            "the embedded Mesos runs one master without ZooKeeper: nothing would take over \
             (%local stop, then %local start --masters 3)",
        ));
    };
    let leader = super::leader::zk_leader(zk).await?;
    // A framework session on this cluster: how many moves it had before, to wait for the next.
    let session = ctx
        .mesos
        .try_scheduler()
        .filter(|s| !s.state().is_terminal())
        .filter(|_| {
            ctx.mesos
                .try_connection()
                .is_some_and(|c| c.target == Target::Local(rec.connect_url().to_owned()))
        });
    let moves_before = session.as_ref().map(|s| s.read(|b| b.leader_changes));
    let client = mesos_lib::httpcli::HttpClient::new(ClientConfig {
        request_timeout: Duration::from_secs(10),
        ..ClientConfig::default()
    })
    .map_err(mesos_error)?;
    let base = mesos_lib::httpcli::parse_base_url(&leader).map_err(mesos_error)?;
    let reply = client
        .post_raw(&base, "/__local/kill_leader", Default::default(), None)
        .await
        .map_err(|e| mesos_error(format!("cannot kill the leader {leader}: {e}")))?;
    if !reply.is_success() {
        return Err(mesos_error(format!(
            "the leader {leader} refused: {}",
            reply.status_line()
        )));
    }
    let mut text =
        format!("killed the leading master {leader}; the next one in ZooKeeper ({zk}) takes over");
    if let (Some(s), Some(before)) = (session, moves_before) {
        // The session notices the stream's end, asks ZooKeeper, and resubscribes: wait for
        // that (on the book's changes, not a poll) so the next cell sees it done.
        let started = std::time::Instant::now();
        let followed = tokio::select! {
            r = s.wait_until(FOLLOW_WAIT, "the session to follow the new leader", |b| {
                (b.leader_changes > before
                    && b.state == mesos_lib::scheduler::SessionState::Subscribed)
                    .then(|| b.leader.clone().unwrap_or_default())
            }) => r,
            _ = ctx.cancel.cancelled() => return Err(super::interrupted("waiting for the session to follow the leader")),
        };
        match followed {
            Ok(to) => text.push_str(&format!(
                "\nthe framework session followed it to {} in {:.1}s, same framework id (%status shows the move)",
                to.trim_end_matches('/'),
                started.elapsed().as_secs_f64()
            )),
            Err(e) => {
                return Err(mesos_error(format!(
                    "killed the leader {leader}, but the session did not follow: {e}"
                )));
            }
        }
    }
    Ok(Some(crate::protocol::content::MimeBundle::text(text)))
}

/// How long `%local kill-leader` waits for the session to resubscribe at the new leader.
const FOLLOW_WAIT: Duration = Duration::from_secs(60);

/// The embedded master's agents: resources and attributes.
async fn agents_table(url: &str) -> Result<Table, crate::protocol::content::ErrorContent> {
    let cfg = ClientConfig {
        request_timeout: Duration::from_secs(10),
        ..ClientConfig::default()
    };
    let op = OperatorClient::connect(url, cfg).map_err(mesos_error)?;
    let agents = op
        .get_agents()
        .await
        .map_err(|e| mesos_error(format!("embedded master {url}: {e}")))?;
    Ok(super::operator::agents_table(&agents))
}
