//! Live views: `--live` on `%tasks`, `%agents`, `%offers`, `%timeline` and `%events` shows the
//! magic's picture and returns at once; a background task re-runs the magic as the session's
//! events arrive and replaces the picture in place (update_display_data, parented to the
//! original cell), at most [`MAX_UPDATES_PER_SECOND`] times a second, until `%live stop`,
//! `%teardown`, `%local stop` or kernel shutdown. `%live` lists them.

use super::bindings::Bindings;
use super::builtin::usage_error;
use super::call::MagicCall;
use super::registry::{ArgKind, Magic, MagicContext, MagicKind, MagicRegistry, MagicSpec};
use crate::core::output::CellOutput;
use crate::display::table::Table;
use crate::interpreter::ExecuteOutcome;
use crate::interpreter::rust::errors::simple;
use crate::mesos::MesosHandle;
use crate::mesos::live_views::LiveView;
use crate::protocol::content::{MimeBundle, StreamName};
use futures::future::BoxFuture;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// The magics `--live` works with.
pub const LIVE_MAGICS: &[&str] = &["tasks", "agents", "offers", "timeline", "events", "shares"];
/// What `--live` does, in the help of each of those magics.
pub const LIVE_FLAG_HELP: &str = "show the picture and return at once; it keeps updating in \
     place as the session's events arrive, until %live stop ID (%help live)";
/// The rate bound of one view: bursts of events between two updates fold into one.
pub const MAX_UPDATES_PER_SECOND: u32 = 4;
const MIN_INTERVAL: Duration = Duration::from_millis(1000 / MAX_UPDATES_PER_SECOND as u64);
/// Re-run this often even without a scheduler event (the operator-API views see changes of
/// other frameworks and agents only this way).
const TICK: Duration = Duration::from_secs(2);

/// Registers `%live`.
pub fn register(registry: &mut MagicRegistry) {
    registry.register(Arc::new(Live));
}

/// Whether a call asks for a live view.
pub fn wants_live(call: &MagicCall) -> bool {
    !call.is_cell && call.args.iter().any(|a| a == "--live")
}

/// Shows the first picture of `call` (with `--live`) and leaves a task keeping it up to date.
pub async fn start(
    call: &MagicCall,
    magic: Arc<dyn Magic>,
    registry: &MagicRegistry,
    mesos: &MesosHandle,
    out: &CellOutput,
    cancel: &CancellationToken,
) -> ExecuteOutcome {
    let spec = magic.spec();
    if !LIVE_MAGICS.contains(&spec.name) {
        return ExecuteOutcome::Error(usage_error(
            spec,
            format!("--live works with %{} only", LIVE_MAGICS.join(", %")),
        ));
    }
    let mut plain = call.clone();
    plain.args.retain(|a| a != "--live");
    if let Some(bad) = plain.args.iter().find(|a| {
        ["--follow", "--wait", "--bind"]
            .iter()
            .any(|f| a == f || a.starts_with(&format!("{f}=")))
    }) {
        return ExecuteOutcome::Error(usage_error(
            spec,
            format!("--live keeps the picture up to date by itself: drop {bad}"),
        ));
    }
    // The first picture comes from the cell itself, so its errors show as usual.
    let bindings = Bindings::default();
    let ctx = MagicContext {
        out,
        registry,
        mesos,
        cancel,
        bindings: &bindings,
    };
    let first = match magic.run(&plain, &ctx).await {
        ExecuteOutcome::Ok(Some(b)) => b,
        ExecuteOutcome::Ok(None) => {
            return ExecuteOutcome::Error(simple(
                "LiveView",
                format!("%{} showed nothing to keep up to date", spec.name),
            ));
        }
        error => return error,
    };
    let display_id = format!("mesos-live-{}", uuid::Uuid::new_v4().simple());
    out.display(&first, Some(&display_id));
    let token = CancellationToken::new();
    let what = format!(
        "%{} {}",
        spec.name,
        plain.raw_args.replace("--live", "").trim()
    )
    .trim()
    .to_owned();
    let view = mesos.live_views().add(&what, token.clone());
    out.stream(
        StreamName::Stdout,
        &format!(
            "live view {0}: updates in place as the session changes (at most {MAX_UPDATES_PER_SECOND}/s); %live stop {0} ends it\n",
            view.id
        ),
    );
    let updater = Updater {
        call: plain,
        magic,
        registry: registry.clone(),
        mesos: mesos.clone(),
        quiet: out.quiet(),
        out: out.clone(),
        display_id,
        last_text: plain_text(&first),
        view,
        token,
    };
    tokio::spawn(updater.run());
    ExecuteOutcome::Ok(None)
}

/// What keeps one view up to date.
struct Updater {
    call: MagicCall,
    magic: Arc<dyn Magic>,
    registry: MagicRegistry,
    mesos: MesosHandle,
    /// Re-runs write here: nothing but the picture is shown again.
    quiet: CellOutput,
    /// The original cell's output: updates carry its parent header.
    out: CellOutput,
    display_id: String,
    last_text: String,
    view: LiveView,
    token: CancellationToken,
}

impl Updater {
    async fn run(mut self) {
        let mut events: Option<broadcast::Receiver<_>> = None;
        let mut last_update = Instant::now();
        loop {
            if events.is_none() {
                events = self.mesos.try_scheduler().map(|s| s.events());
            }
            tokio::select! {
                () = self.token.cancelled() => break,
                () = next_event(&mut events) => {}
                () = tokio::time::sleep(TICK) => {}
            }
            // The rate bound: whatever arrives until the next slot folds into one update.
            tokio::select! {
                () = self.token.cancelled() => break,
                () = tokio::time::sleep_until(last_update + MIN_INTERVAL) => {}
            }
            if let Some(rx) = &mut events {
                while !matches!(
                    rx.try_recv(),
                    Err(broadcast::error::TryRecvError::Empty
                        | broadcast::error::TryRecvError::Closed)
                ) {}
            }
            let rendered = tokio::select! {
                () = self.token.cancelled() => break,
                r = self.render() => r,
            };
            last_update = Instant::now();
            let bundle = match rendered {
                ExecuteOutcome::Ok(Some(b)) => b,
                ExecuteOutcome::Ok(None) => continue,
                ExecuteOutcome::Error(e) => MimeBundle::text(format!(
                    "live view {}: {} ({})",
                    self.view.id, e.evalue, self.view.what
                )),
            };
            let text = plain_text(&bundle);
            if text != self.last_text {
                self.out.update_display(&bundle, &self.display_id);
                self.view.updates.fetch_add(1, Ordering::Relaxed);
                self.last_text = text;
            }
        }
        self.mesos.live_views().remove(self.view.id);
        tracing::debug!(view = self.view.id, "live view stopped");
    }

    async fn render(&self) -> ExecuteOutcome {
        let bindings = Bindings::default();
        let cancel = self.token.child_token();
        let ctx = MagicContext {
            out: &self.quiet,
            registry: &self.registry,
            mesos: &self.mesos,
            cancel: &cancel,
            bindings: &bindings,
        };
        self.magic.run(&self.call, &ctx).await
    }
}

/// The next scheduler event; never returns without a scheduler (the tick does the work then).
async fn next_event<T: Clone>(events: &mut Option<broadcast::Receiver<T>>) {
    match events {
        Some(rx) => {
            if let Err(broadcast::error::RecvError::Closed) = rx.recv().await {
                // The session ended: look for a new one on the next round.
                *events = None;
            }
        }
        None => std::future::pending().await,
    }
}

fn plain_text(b: &MimeBundle) -> String {
    b.data
        .get("text/plain")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned()
}

static LIVE: MagicSpec = MagicSpec {
    name: "live",
    kind: MagicKind::Line,
    usage: "%live [stop [ID]]",
    summary: "List the live views, or stop one (or all).",
    help: "`%tasks --live` (also %agents, %offers, %timeline, %events) shows the picture and \
           returns at once; the picture keeps updating in place as the session's events arrive, \
           at most 4 times a second, until `%live stop ID` (all of them without an ID), \
           %teardown, %local stop or kernel shutdown. `%live` lists the running views.",
    flags: &[],
    positional: ArgKind::Text,
};

/// `%live`.
struct Live;

impl Magic for Live {
    fn spec(&self) -> &'static MagicSpec {
        &LIVE
    }

    fn run<'a>(
        &'a self,
        call: &'a MagicCall,
        ctx: &'a MagicContext<'a>,
    ) -> BoxFuture<'a, ExecuteOutcome> {
        Box::pin(async move {
            let views = ctx.mesos.live_views();
            match call.args.as_slice() {
                [] => {
                    let mut t = Table::new(&["id", "view", "running for", "updates"]);
                    let list = views.list();
                    if list.is_empty() {
                        t.caption = Some("no live views (start one with %tasks --live)".into());
                    }
                    for v in list {
                        t.row(vec![
                            v.id.to_string(),
                            v.what.clone(),
                            format!("{}s", v.started.elapsed().as_secs()),
                            v.updates.load(Ordering::Relaxed).to_string(),
                        ]);
                    }
                    ExecuteOutcome::Ok(Some(t.to_bundle()))
                }
                [stop] if stop == "stop" => {
                    let n = views.stop_all();
                    ExecuteOutcome::Ok(Some(MimeBundle::text(format!(
                        "stopped {n} live view{}",
                        if n == 1 { "" } else { "s" }
                    ))))
                }
                [stop, id] if stop == "stop" => match id.parse::<u32>() {
                    Ok(n) if views.stop(n) => {
                        ExecuteOutcome::Ok(Some(MimeBundle::text(format!("stopped live view {n}"))))
                    }
                    _ => ExecuteOutcome::Error(simple(
                        "LiveView",
                        format!("no live view {id}: %live lists the running ones"),
                    )),
                },
                _ => ExecuteOutcome::Error(usage_error(
                    &LIVE,
                    "expected nothing, `stop` or `stop ID`",
                )),
            }
        })
    }
}
