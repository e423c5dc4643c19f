//! Being a framework: `%subscribe`, `%status`, `%teardown`.

use super::{
    Body, MagicResult, duration_flag, interrupted, mesos_error, no_positional, num, usage,
};
use crate::display::table::Table;
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::registry::{
    ArgKind, FlagSpec, MagicContext, MagicKind, MagicSpec, spec_in,
};
use crate::mesos::frameworks;
use crate::protocol::content::{ErrorContent, MimeBundle};
use mesos_lib::scheduler::{Book, Scheduler, SchedulerConfig};
use mesos_lib::v1::framework::FrameworkCapability;
use mesos_lib::v1::{FrameworkCapabilityType, FrameworkId, FrameworkInfo};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// An hour: long enough that tasks survive a kernel restart.
const DEFAULT_FAILOVER: Duration = Duration::from_secs(3600);
/// Capabilities `--capability` accepts (FrameworkInfo.Capability.Type).
const CAPABILITIES: &[&str] = &[
    "REVOCABLE_RESOURCES",
    "TASK_KILLING_STATE",
    "GPU_RESOURCES",
    "SHARED_RESOURCES",
    "PARTITION_AWARE",
    "MULTI_ROLE",
    "RESERVATION_REFINEMENT",
    "REGION_AWARE",
];
/// How long SUBSCRIBE may take before the cell gives up.
const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(20);

pub(super) static MAGICS: &[(MagicSpec, Body)] = &[
    (
        MagicSpec {
            name: "subscribe",
            kind: MagicKind::Line,
            usage: "%subscribe [--name NAME] [--user USER] [--role ROLE] [--failover-timeout DURATION] [--checkpoint] [--capability CAP]...",
            summary: "Become a framework (one SUBSCRIBE stream, kept across cells).",
            help: "Idempotent: re-running it while subscribed shows the existing session and \
                   never registers a second framework; if the flags given change the framework \
                   (name, role, failover timeout, capabilities), they are sent as \
                   UPDATE_FRAMEWORK. The failover timeout defaults to 1h so tasks outlive a \
                   kernel restart; 0 removes the framework and its tasks on the first \
                   disconnect. After a kernel restart, the framework this name last ran on the \
                   master is resumed and its tasks reconciled.",
            flags: &[
                FlagSpec {
                    name: "name",
                    value: ArgKind::Text,
                    help: "framework name (default: jupyter)",
                },
                FlagSpec {
                    name: "user",
                    value: ArgKind::Text,
                    help: "Unix user tasks run as (default: $USER)",
                },
                FlagSpec {
                    name: "role",
                    value: ArgKind::Text,
                    help: "role to subscribe with (default: *); repeat it for several (MULTI_ROLE)",
                },
                FlagSpec {
                    name: "failover-timeout",
                    value: ArgKind::Text,
                    help: "how long the master keeps the framework after a disconnect (default 1h)",
                },
                FlagSpec {
                    name: "checkpoint",
                    value: ArgKind::None,
                    help: "agents checkpoint the tasks, so they survive an agent restart",
                },
                FlagSpec {
                    name: "capability",
                    value: ArgKind::Choice(CAPABILITIES),
                    help: "a framework capability (repeatable)",
                },
            ],
            positional: ArgKind::None,
        },
        |args, ctx| Box::pin(subscribe(args, ctx)),
    ),
    (
        MagicSpec {
            name: "status",
            kind: MagicKind::Line,
            usage: "%status",
            summary: "The framework session: state, ids, heartbeat, reconnects, offers, tasks.",
            help: "Reads the session's book; makes no call to the master.",
            flags: &[],
            positional: ArgKind::None,
        },
        |args, ctx| Box::pin(status(args, ctx)),
    ),
    (
        MagicSpec {
            name: "teardown",
            kind: MagicKind::Line,
            usage: "%teardown",
            summary: "TEARDOWN the framework: the master kills its tasks and forgets it.",
            help: "Explicit only (kernel shutdown never tears down). Re-running it says the \
                   framework is already torn down.",
            flags: &[],
            positional: ArgKind::None,
        },
        |args, ctx| Box::pin(teardown(args, ctx)),
    ),
];

async fn subscribe(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    let spec = spec_in(MAGICS, "subscribe");
    no_positional(spec, &args)?;
    let failover = duration_flag(spec, &args, "failover-timeout", DEFAULT_FAILOVER)?;
    let user = args
        .value("user")
        .map(str::to_owned)
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "root".into());
    let mut info = FrameworkInfo::new(user, args.value("name").unwrap_or("jupyter"));
    info.failover_timeout = Some(failover.as_secs_f64());
    info.checkpoint = args.has("checkpoint").then_some(true);
    info.capabilities = capabilities(&args);
    set_roles(&mut info, &args);
    if let Some(s) = ctx.mesos.try_scheduler()
        && !s.state().is_terminal()
    {
        return update_if_changed(spec, &args, &s).await;
    }
    let t = match start_session(ctx, info, Vec::new()).await? {
        Started::New(t) | Started::Existing(t) => t,
    };
    Ok(Some(t.to_bundle()))
}

/// `--role` (else the roles `info` has): one role as `role`; several, or any number with
/// MULTI_ROLE, as `roles` with MULTI_ROLE. Mesos refuses `roles` without MULTI_ROLE and `role`
/// with it, so a re-run that adds or drops the capability moves the roles to the right field.
fn set_roles(info: &mut FrameworkInfo, args: &Args) {
    let given: Vec<String> = args.flags.get("role").cloned().unwrap_or_default();
    let roles: Vec<String> = if given.is_empty() {
        info.role.iter().chain(&info.roles).cloned().collect()
    } else {
        given
    };
    let multi = info.has_capability(&FrameworkCapabilityType::MultiRole);
    match roles.as_slice() {
        [] => {}
        [one] if !multi => {
            info.role = Some(one.clone());
            info.roles.clear();
        }
        _ => {
            info.role = None;
            info.roles = roles;
            if !multi {
                info.capabilities.push(FrameworkCapability {
                    capability_type: Some(FrameworkCapabilityType::MultiRole),
                    extra: Default::default(),
                });
            }
        }
    }
}

fn capabilities(args: &Args) -> Vec<FrameworkCapability> {
    args.flags
        .get("capability")
        .into_iter()
        .flatten()
        .map(|c| FrameworkCapability {
            capability_type: Some(FrameworkCapabilityType::from_name(c)),
            extra: Default::default(),
        })
        .collect()
}

/// A re-run while subscribed: the flags given (and only those) are compared with the live
/// FrameworkInfo; a difference goes to the master as UPDATE_FRAMEWORK, never as a second
/// framework.
async fn update_if_changed(spec: &MagicSpec, args: &Args, s: &Scheduler) -> MagicResult {
    let current = s.read(|b| b.framework_info.clone());
    let mut wanted = current.clone();
    if let Some(n) = args.value("name") {
        wanted.name = n.to_owned();
    }
    if args.has("failover-timeout") {
        let f = duration_flag(spec, args, "failover-timeout", DEFAULT_FAILOVER)?;
        wanted.failover_timeout = Some(f.as_secs_f64());
    }
    if args.has("capability") {
        wanted.capabilities = capabilities(args);
    }
    set_roles(&mut wanted, args);
    // Mesos refuses to change these on a live framework; say so instead of a 400.
    if args.value("user").is_some_and(|u| u != current.user) {
        return Err(usage(
            spec,
            format!(
                "--user: the framework runs as {:?}; the user cannot change while it is subscribed (%teardown first)",
                current.user
            ),
        ));
    }
    if args.has("checkpoint") && current.checkpoint != Some(true) {
        return Err(usage(
            spec,
            "--checkpoint cannot change while the framework is subscribed (%teardown first)",
        ));
    }
    let mut t = status_table(s);
    if wanted == current {
        t.caption =
            Some("already subscribed: showing the existing session (no second framework)".into());
        return Ok(Some(t.to_bundle()));
    }
    let changes = describe_changes(&current, &wanted);
    let suppressed = s.read(|b| b.suppressed_roles.iter().cloned().collect());
    s.update_framework(wanted, suppressed)
        .await
        .map_err(|e| mesos_error(format!("UPDATE_FRAMEWORK failed: {e}")))?;
    t = status_table(s);
    t.caption = Some(format!(
        "already subscribed: sent UPDATE_FRAMEWORK ({changes}); still one framework"
    ));
    Ok(Some(t.to_bundle()))
}

/// `name "a" → "b", role …` for the fields that differ.
fn describe_changes(a: &FrameworkInfo, b: &FrameworkInfo) -> String {
    let mut out = Vec::new();
    if a.name != b.name {
        out.push(format!("name {:?} → {:?}", a.name, b.name));
    }
    if a.effective_roles() != b.effective_roles() {
        out.push(format!(
            "role {:?} → {:?}",
            a.effective_roles().join(","),
            b.effective_roles().join(",")
        ));
    }
    if a.failover_timeout != b.failover_timeout {
        out.push(format!(
            "failover timeout {}s → {}s",
            num(a.failover_timeout),
            num(b.failover_timeout)
        ));
    }
    if a.capabilities != b.capabilities {
        out.push("capabilities".into());
    }
    out.join(", ")
}

/// What [`start_session`] did.
pub(super) enum Started {
    /// Subscribed now; the session's status.
    New(Table),
    /// A live session already existed (nothing was sent); its status.
    Existing(Table),
}

/// Makes this kernel a framework with `info`, unless a live session exists (then it is shown
/// and no second framework is registered). Shared by `%subscribe` and `%%call` SUBSCRIBE.
pub(super) async fn start_session(
    ctx: &MagicContext<'_>,
    info: FrameworkInfo,
    suppressed_roles: Vec<String>,
) -> Result<Started, ErrorContent> {
    let conn = ctx.mesos.connection().map_err(mesos_error)?;
    let _subscribing = ctx.mesos.subscribing().await;
    if let Some(s) = ctx.mesos.try_scheduler()
        && !s.state().is_terminal()
    {
        let mut t = status_table(&s);
        t.caption =
            Some("already subscribed: showing the existing session (no second framework)".into());
        return Ok(Started::Existing(t));
    }
    let no_failover = info.failover_timeout.unwrap_or(0.0) <= 0.0;
    // After a kernel restart: the framework this name ran on this master, if it may still be
    // alive there (a failover timeout keeps it and its tasks for a while).
    let master_id = conn
        .operator
        .get_master()
        .await
        .ok()
        .and_then(|m| m.master_info.map(|i| i.id));
    let mut info = info;
    let resumed = match (&master_id, &info.id) {
        (Some(master), None) if !no_failover => frameworks::remembered(master, &info.name),
        _ => None,
    };
    if let Some(id) = &resumed {
        info.id = Some(FrameworkId::from(id.as_str()));
    }
    let s = match subscribe_once(ctx, &conn, info.clone(), &suppressed_roles).await {
        Err(why) if resumed.is_some() && !ctx.cancel.is_cancelled() => {
            // The remembered framework is gone (failover timeout passed, torn down elsewhere):
            // say so and register a new one rather than failing the cell.
            let old = resumed.as_deref().unwrap_or_default();
            frameworks::forget(old);
            ctx.out.stream(
                crate::protocol::content::StreamName::Stderr,
                &format!("framework {old} (from an earlier kernel) could not be resumed: {why}; subscribing a new one\n"),
            );
            info.id = None;
            subscribe_once(ctx, &conn, info.clone(), &suppressed_roles).await
        }
        other => other,
    }
    .map_err(|why| {
        if ctx.cancel.is_cancelled() {
            interrupted("subscribing")
        } else {
            mesos_error(format!("SUBSCRIBE to {} failed: {why}", conn.target.url()))
        }
    })?;
    if let (Some(master), Some(id)) = (&master_id, s.framework_id()) {
        frameworks::remember(master, &info.name, &id.value);
    }
    ctx.mesos.set_scheduler(Arc::clone(&s));
    let mut t = status_table(&s);
    t.caption = Some(match s.framework_id().filter(|_| resumed.is_some()) {
        Some(id) if Some(&id.value) == resumed.as_ref() => format!(
            "resumed framework {id} on {} (it ran in an earlier kernel); its tasks are being reconciled",
            conn.target.url()
        ),
        _ => format!("subscribed to {}", conn.target.url()),
    });
    if no_failover {
        ctx.out.stream(
            crate::protocol::content::StreamName::Stderr,
            "warning: failover timeout 0: the framework and its tasks are removed on the first disconnect\n",
        );
    }
    Ok(Started::New(t))
}

/// One SUBSCRIBE: the live session, or why it did not subscribe (it is closed then).
pub(super) async fn subscribe_once(
    ctx: &MagicContext<'_>,
    conn: &crate::mesos::Connection,
    info: FrameworkInfo,
    suppressed_roles: &[String],
) -> Result<Arc<Scheduler>, String> {
    let mut info = info;
    if info.principal.is_none() {
        // An authenticated framework names its principal, as Mesos prefers.
        info.principal = conn.security.principal().map(str::to_owned);
    }
    let mut cfg = SchedulerConfig::new(info);
    cfg.suppressed_roles = suppressed_roles.to_vec();
    cfg.http = conn.security.apply(cfg.http);
    cfg.http.connect_timeout = Duration::from_secs(5);
    let s = Arc::new(Scheduler::connect(conn.target.url(), cfg).map_err(|e| e.to_string())?);
    let subscribed = tokio::select! {
        r = s.wait_subscribed(SUBSCRIBE_TIMEOUT) => r,
        _ = ctx.cancel.cancelled() => {
            s.close().await;
            return Err("interrupted".into());
        }
    };
    if let Err(e) = subscribed {
        let why = match s.state() {
            mesos_lib::scheduler::SessionState::Reconnecting { reason }
            | mesos_lib::scheduler::SessionState::Failed { reason } => reason,
            _ => e.to_string(),
        };
        s.close().await;
        return Err(why);
    }
    Ok(s)
}

fn age(t: Option<SystemTime>) -> String {
    t.and_then(|t| t.elapsed().ok())
        .map(|d| format!("{:.1}s ago", d.as_secs_f64()))
        .unwrap_or_else(|| "-".into())
}

/// What the failover timeout means for the framework's tasks.
fn failover_text(timeout: Option<f64>) -> String {
    match timeout {
        Some(f) if f > 0.0 => format!("{}s (tasks outlive a disconnect this long)", num(Some(f))),
        _ => "0 (the framework and its tasks go on the first disconnect)".into(),
    }
}

/// The book's tasks counted by state: `TASK_RUNNING: 2, TASK_FINISHED: 1`, or `none`.
fn tasks_by_state(b: &Book) -> String {
    let mut by_state: BTreeMap<String, usize> = BTreeMap::new();
    for task in b.tasks.iter() {
        *by_state.entry(task.state().to_string()).or_default() += 1;
    }
    if by_state.is_empty() {
        return "none".into();
    }
    by_state
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The session's book as a two-column table.
pub(super) fn status_table(s: &Scheduler) -> Table {
    s.read(|b| {
        let mut t = Table::new(&["", ""]);
        let mut row = |k: &str, v: String| t.row(vec![k.to_owned(), v]);
        row("state", b.state.to_string());
        row(
            "framework id",
            b.framework_id
                .as_ref()
                .map(|f| f.value.clone())
                .unwrap_or_else(|| "-".into()),
        );
        row("name", b.framework_info.name.clone());
        row("roles", b.framework_info.effective_roles().join(", "));
        row(
            "failover timeout",
            failover_text(b.framework_info.failover_timeout),
        );
        row(
            "stream id",
            b.stream_id.clone().unwrap_or_else(|| "-".into()),
        );
        row("leader", b.leader.clone().unwrap_or_else(|| "-".into()));
        if let Some(last) = b.leader_history.back() {
            // A failover the session followed: the one line a user should notice.
            row(
                "leader changes",
                format!(
                    "{} (last: {} → {}, {})",
                    b.leader_changes,
                    last.from,
                    last.to,
                    age(Some(last.at))
                ),
            );
        }
        if let Some(p) = &b.framework_info.principal {
            row("principal", p.clone());
        }
        row("last heartbeat", age(b.last_heartbeat));
        row(
            "reconnects",
            match b.reconnects.back() {
                Some(r) => format!("{} (last: {})", b.reconnect_count, r.reason),
                None => b.reconnect_count.to_string(),
            },
        );
        row("offers held", b.offers.len().to_string());
        row("tasks", tasks_by_state(b));
        if let Some(hb) = b.heartbeat_interval {
            row(
                "heartbeat interval",
                format!("{}s", num(Some(hb.as_secs_f64()))),
            );
        }
        if !b.suppressed_roles.is_empty() {
            row(
                "suppressed roles",
                b.suppressed_roles
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
        for w in &b.warnings {
            row("warning", w.clone());
        }
        t
    })
}

async fn status(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    no_positional(spec_in(MAGICS, "status"), &args)?;
    let conn = ctx.mesos.connection().map_err(mesos_error)?;
    match ctx.mesos.try_scheduler() {
        Some(s) => {
            let mut t = status_table(&s);
            t.caption = Some(format!("framework session with {}", conn.target.url()));
            Ok(Some(t.to_bundle()))
        }
        None => Ok(Some(MimeBundle::text(format!(
            "connected to {}; not subscribed{}",
            conn.target.url(),
            match ctx.mesos.torn_down() {
                Some(id) => format!(" (framework {id} was torn down)"),
                None => " (%subscribe makes this kernel a framework)".into(),
            }
        )))),
    }
}

async fn teardown(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    no_positional(spec_in(MAGICS, "teardown"), &args)?;
    ctx.mesos.connection().map_err(mesos_error)?;
    let Some(s) = ctx.mesos.try_scheduler() else {
        return Ok(Some(MimeBundle::text(match ctx.mesos.torn_down() {
            Some(id) => format!("framework {id} is already torn down; nothing to do"),
            None => "not subscribed: nothing to tear down".into(),
        })));
    };
    let id = s.framework_id().map(|f| f.value);
    if let Err(e) = s.teardown().await {
        return Err(mesos_error(format!("TEARDOWN failed: {e}")));
    }
    let id = id.unwrap_or_else(|| "?".into());
    ctx.mesos.take_scheduler(Some(id.clone()));
    Ok(Some(MimeBundle::text(format!(
        "framework {id} torn down: the master killed its tasks"
    ))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interpreter::magics::args::parse;

    fn args(words: &[&str]) -> Args {
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        parse(spec_in(MAGICS, "subscribe"), &words).unwrap()
    }

    fn multi(info: &FrameworkInfo) -> bool {
        info.has_capability(&FrameworkCapabilityType::MultiRole)
    }

    #[test]
    fn roles_go_in_the_field_mesos_takes_for_the_capabilities() {
        let mut info = FrameworkInfo::new("u", "f");
        set_roles(&mut info, &args(&["--role", "web"]));
        assert_eq!(
            (info.role.as_deref(), info.roles.len(), multi(&info)),
            (Some("web"), 0, false)
        );
        // A re-run adding MULTI_ROLE alone: the one role moves to `roles`.
        info.capabilities = capabilities(&args(&["--capability", "MULTI_ROLE"]));
        set_roles(&mut info, &args(&["--capability", "MULTI_ROLE"]));
        assert_eq!(
            (info.role.clone(), info.roles.clone()),
            (None, vec!["web".to_string()])
        );
        // Dropping it again with one role: back to `role`.
        info.capabilities.clear();
        set_roles(&mut info, &args(&[]));
        assert_eq!((info.role.as_deref(), info.roles.len()), (Some("web"), 0));
        // Several roles: `roles`, with MULTI_ROLE added, and kept on a re-run naming another
        // capability only.
        set_roles(&mut info, &args(&["--role", "a", "--role", "b"]));
        assert!(info.role.is_none() && info.roles == ["a", "b"] && multi(&info));
        info.capabilities = capabilities(&args(&["--capability", "GPU_RESOURCES"]));
        set_roles(&mut info, &args(&["--capability", "GPU_RESOURCES"]));
        assert!(info.role.is_none() && info.roles == ["a", "b"] && multi(&info));
    }
}
