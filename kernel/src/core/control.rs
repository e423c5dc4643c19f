//! The control channel: kernel_info, interrupt, shutdown, subshells and usage, never queued
//! behind a cell.

use super::Shared;
use super::outbox::ReplyChannel;
use super::stdin::StdinBridge;
use super::{decode, kernel_info_reply};
use crate::interpreter::ControlHooks;
use crate::protocol::content::ErrorContent;
use crate::protocol::content::{ExecutionState, Request};
use crate::protocol::message::Message;
use crate::protocol::outgoing::{
    Done, Empty, Outcome, Outgoing, ShutdownReply, SubshellId, SubshellIds,
};
use crate::transport::{FrameRx, Received};

/// Handles control requests on their own task.
pub struct Control {
    shared: Shared,
    hooks: ControlHooks,
    usage: super::usage::Usage,
}

impl Control {
    /// A control handler.
    pub fn new(shared: Shared, hooks: ControlHooks) -> Self {
        Self {
            shared,
            hooks,
            usage: super::usage::Usage::default(),
        }
    }

    /// Serves control requests until the channel closes.
    pub async fn run(self, mut rx: FrameRx) {
        while let Some(Received { frames, .. }) = rx.recv().await {
            let Some((msg, req)) = decode(frames, &self.shared.signer, "control") else {
                continue;
            };
            self.shared
                .outbox
                .status(ExecutionState::Busy, Some(&msg.header));
            self.dispatch(&msg, req).await;
            self.shared
                .outbox
                .status(ExecutionState::Idle, Some(&msg.header));
        }
    }

    async fn dispatch(&self, msg: &Message, req: Request) {
        match req {
            Request::KernelInfo => self.kernel_info_request(msg).await,
            Request::Interrupt => self.interrupt_request(msg).await,
            Request::Shutdown(s) => self.shutdown_request(msg, s.restart).await,
            Request::CreateSubshell => {
                let id = self.shared.subshells.create();
                tracing::info!(subshell_id = %id, "subshell created");
                let content =
                    Outgoing::CreateSubshellReply(Done::Ok(SubshellId { subshell_id: id }));
                self.reply(msg, content).await;
            }
            Request::DeleteSubshell(d) => {
                let content = match self.shared.subshells.delete(&d.subshell_id) {
                    Ok(()) => Outcome::Ok(Empty {}),
                    Err(e) => Outcome::Error(ErrorContent {
                        ename: "UnknownSubshell".into(),
                        evalue: e.to_string(),
                        traceback: vec![format!("UnknownSubshell: {e}")],
                    }),
                };
                self.reply(msg, Outgoing::DeleteSubshellReply(content))
                    .await;
            }
            Request::Usage => {
                self.reply(msg, Outgoing::UsageReply(self.usage.reply()))
                    .await;
            }
            Request::ListSubshell => {
                let ids = self.shared.subshells.list();
                let content =
                    Outgoing::ListSubshellReply(Done::Ok(SubshellIds { subshell_id: ids }));
                self.reply(msg, content).await;
            }
            other => tracing::warn!("unhandled control request {other:?}"),
        }
    }

    async fn kernel_info_request(&self, msg: &Message) {
        self.shared
            .outbox
            .reply(
                ReplyChannel::Control,
                msg,
                Outgoing::KernelInfoReply(Box::new(kernel_info_reply(&self.shared.info))),
            )
            .await;
    }

    async fn reply(&self, msg: &Message, content: Outgoing) {
        self.shared
            .outbox
            .reply(ReplyChannel::Control, msg, content)
            .await;
    }

    /// Kernel-wide (JEP 91): the running cells of every subshell stop, and so do cells
    /// waiting for the engine.
    async fn interrupt_request(&self, msg: &Message) {
        (self.hooks.interrupt)();
        self.shared.turn.interrupt();
        self.shared.stdin.cancel();
        self.shared
            .outbox
            .reply(
                ReplyChannel::Control,
                msg,
                Outgoing::InterruptReply(Done::Ok(Empty {})),
            )
            .await;
    }

    async fn shutdown_request(&self, msg: &Message, restart: bool) {
        shutdown(&self.hooks, &self.shared.stdin);
        self.shared
            .outbox
            .reply(
                ReplyChannel::Control,
                msg,
                Outgoing::ShutdownReply(Done::Ok(ShutdownReply { restart })),
            )
            .await;
        self.shared
            .outbox
            .status(ExecutionState::Idle, Some(&msg.header));
        self.shared.outbox.flush_iopub().await;
        let _ = self.shared.shutdown.send(Some(restart));
    }
}

/// Releases child processes and wakes anything waiting on input.
pub(crate) fn shutdown(hooks: &ControlHooks, stdin: &StdinBridge) {
    (hooks.shutdown)();
    stdin.cancel();
}
