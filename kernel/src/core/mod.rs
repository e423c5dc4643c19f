//! The kernel core: dispatch, busy/idle, counters, history and abort-on-error.
//!
//! It reads frames from the transport, decodes and types them, calls the interpreter and
//! sends replies and IOPub messages through the [`outbox::Outbox`].

pub mod busy;
pub mod control;
pub mod history;
pub mod memory;
pub mod outbox;
pub mod output;
pub mod shell;
pub mod stdin;
pub mod subshells;
pub mod turn;
pub mod usage;

use crate::interpreter::Interpreter;
use crate::protocol::content::{ExecutionState, Request};
use crate::protocol::message::Message;
use crate::protocol::signing::Signer;
use crate::protocol::wire;
use crate::transport::{Arrivals, FrameRx, Received};
use bytes::Bytes;
use outbox::Outbox;
use serde_json::Value;
use std::sync::Arc;
use stdin::StdinBridge;
use subshells::Subshells;
use tokio::sync::{mpsc, watch};
use turn::EngineTurn;

/// What the shell and control handlers share.
#[derive(Clone)]
pub struct Shared {
    /// The way out.
    pub outbox: Outbox,
    /// Checks inbound signatures.
    pub signer: Signer,
    /// kernel_info facts.
    pub info: crate::interpreter::KernelInfo,
    /// Input replies to waiting cells.
    pub stdin: StdinBridge,
    /// Set to `Some(restart)` to end the kernel.
    pub shutdown: watch::Sender<Option<bool>>,
    /// The main shell and the subshells.
    pub subshells: Subshells,
    /// Turns at the interpreter's engine, across subshells.
    pub turn: EngineTurn,
    /// The shell channel's arrival count (stop-on-error aborts what arrived before the error).
    pub arrivals: Arrivals,
    /// How many shells are busy now.
    pub busy: busy::BusyShells,
}

/// Inbound frame streams the core consumes.
pub struct Inbound {
    /// Shell requests.
    pub shell: FrameRx,
    /// Control requests.
    pub control: FrameRx,
    /// Stdin replies.
    pub stdin: FrameRx,
}

/// Decodes a frame set, logging and dropping anything bad: no reply, and the loop goes on.
pub(crate) fn decode(
    frames: Vec<Bytes>,
    signer: &Signer,
    channel: &str,
) -> Option<(Message, Request)> {
    let msg = match wire::decode(frames, signer) {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(channel, "dropped a message: {e}");
            return None;
        }
    };
    tracing::debug!(
        channel,
        msg_type = msg.msg_type(),
        msg_id = %msg.header.msg_id,
        "received"
    );
    match Request::parse(msg.msg_type(), &msg.content) {
        Ok(req) => Some((msg, req)),
        Err(e) => {
            tracing::warn!(
                channel,
                msg_type = msg.msg_type(),
                "dropped a malformed request: {e}"
            );
            None
        }
    }
}

/// Runs the kernel until a shutdown request; returns whether a restart was asked for.
pub async fn run<I: Interpreter>(
    inbound: Inbound,
    outbox: Outbox,
    signer: Signer,
    interpreter: I,
) -> bool {
    outbox.status(ExecutionState::Starting, None);
    let stdin = StdinBridge::default();
    let (shutdown_tx, mut shutdown_rx) = watch::channel(None::<bool>);
    let info = interpreter.kernel_info();
    let hooks = interpreter.control_hooks();

    tokio::spawn(stdin_loop(inbound.stdin, signer.clone(), stdin.clone()));
    let shared = Shared {
        outbox: outbox.clone(),
        signer,
        info,
        stdin,
        shutdown: shutdown_tx,
        subshells: Subshells::default(),
        turn: EngineTurn::default(),
        arrivals: inbound.shell.arrivals(),
        busy: busy::BusyShells::default(),
    };
    let interpreter = Arc::new(interpreter);
    let for_shells = shared.clone();
    shared.subshells.start(Box::new(move |id| {
        let (queue, rx) = mpsc::unbounded_channel();
        let shell = shell::Shell::new(for_shells.clone(), Arc::clone(&interpreter), id);
        tokio::spawn(shell.run(rx));
        queue
    }));
    tokio::spawn(control::Control::new(shared.clone(), hooks).run(inbound.control));
    tokio::spawn(subshells::route(inbound.shell, shared));

    loop {
        let requested = *shutdown_rx.borrow_and_update();
        if let Some(restart) = requested {
            outbox.flush_iopub().await;
            return restart;
        }
        if shutdown_rx.changed().await.is_err() {
            return false;
        }
    }
}

async fn stdin_loop(mut rx: FrameRx, signer: Signer, bridge: StdinBridge) {
    while let Some(Received { frames, .. }) = rx.recv().await {
        if let Some((msg, req)) = decode(frames, &signer, "stdin") {
            match req {
                Request::InputReply(reply) => {
                    let answer = stdin::Answer {
                        parent: msg.parent_header.as_ref().map(|p| p.msg_id.as_str()),
                        subshell: msg.header.extra.get("subshell_id").map(Value::as_str),
                        client: &msg.identities,
                    };
                    bridge.deliver(&answer, reply.value);
                }
                other => tracing::warn!("unexpected message on stdin: {other:?}"),
            }
        }
    }
}

/// The kernel_info_reply content, shared by shell and control.
pub(crate) fn kernel_info_reply(
    info: &crate::interpreter::KernelInfo,
) -> crate::protocol::content::KernelInfoReply {
    crate::protocol::content::KernelInfoReply {
        status: "ok",
        protocol_version: crate::protocol::PROTOCOL_VERSION,
        implementation: "mesos-kernel",
        implementation_version: env!("CARGO_PKG_VERSION"),
        language_info: info.language_info.clone(),
        banner: info.banner.clone(),
        help_links: info.help_links.clone(),
        supported_features: vec!["kernel subshells".to_owned()],
        debugger: false,
    }
}
