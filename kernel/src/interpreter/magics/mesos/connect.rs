//! `%connect` and `%local`: choosing the master, and the embedded local Mesos process.

use super::{Body, MagicResult, mesos_error, usage};
use crate::display::table::Table;
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::registry::{ArgKind, FlagSpec, MagicContext, MagicKind, MagicSpec};
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
            usage: "%local start|stop|status",
            summary: "Start, stop or show the embedded local Mesos.",
            help: "The embedded Mesos (master and agent with attributes rack:r2d2;pod:demo,dev) \
                   runs as its own mesos-local process so that it outlives a kernel restart; a \
                   restarted kernel finds it again. `stop` kills it and every task it runs.",
            flags: &[],
            positional: ArgKind::Choice(&["start", "stop", "status"]),
        },
        |args, ctx| Box::pin(local(args, ctx)),
    ),
];

fn spec(name: &str) -> &'static MagicSpec {
    &MAGICS
        .iter()
        .find(|(s, _)| s.name == name)
        .expect("declared")
        .0
}

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
    let spec = spec("connect");
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
        let (rec, _) = ctx.mesos.local_start().await.map_err(mesos_error)?;
        Target::Local(rec.url)
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
    let spec = spec("local");
    let action = match args.positional.as_slice() {
        [] => "status",
        [a] if ["start", "stop", "status"].contains(&a.as_str()) => a.as_str(),
        _ => return Err(usage(spec, "say start, stop or status")),
    };
    match action {
        "start" => {
            let (rec, new) = ctx.mesos.local_start().await.map_err(mesos_error)?;
            let mut t = agents_table(&rec.url).await?;
            t.caption = Some(format!(
                "{} embedded Mesos at {} (pid {}); %connect local to use it",
                if new { "started" } else { "already running:" },
                rec.url,
                rec.pid
            ));
            Ok(Some(t.to_bundle()))
        }
        "stop" => {
            let conn = ctx.mesos.try_connection();
            let stopped = ctx.mesos.local_stop().await.map_err(mesos_error)?;
            if let (Some(rec), Some(c)) = (&stopped, conn)
                && c.target == Target::Local(rec.url.clone())
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
                let mut t = agents_table(&rec.url).await?;
                t.caption = Some(format!("embedded Mesos at {} (pid {})", rec.url, rec.pid));
                Ok(Some(t.to_bundle()))
            }
        },
    }
}

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
