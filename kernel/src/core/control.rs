//! The control channel: kernel_info, interrupt and shutdown, never queued behind a cell.

use super::Shared;
use super::outbox::ReplyChannel;
use super::stdin::StdinBridge;
use super::{decode, kernel_info_reply};
use crate::interpreter::ControlHooks;
use crate::protocol::content::{ExecutionState, Request};
use crate::protocol::message::Message;
use crate::transport::FrameRx;
use serde_json::json;

/// Handles control requests on their own task.
pub struct Control {
    shared: Shared,
    hooks: ControlHooks,
}

impl Control {
    /// A control handler.
    pub fn new(shared: Shared, hooks: ControlHooks) -> Self {
        Self { shared, hooks }
    }

    /// Serves control requests until the channel closes.
    pub async fn run(self, mut rx: FrameRx) {
        while let Some(frames) = rx.recv().await {
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
            other => tracing::warn!("unhandled control request {other:?}"),
        }
    }

    async fn kernel_info_request(&self, msg: &Message) {
        self.shared
            .outbox
            .reply(
                ReplyChannel::Control,
                msg,
                kernel_info_reply(&self.shared.info),
            )
            .await;
    }

    async fn interrupt_request(&self, msg: &Message) {
        (self.hooks.interrupt)();
        self.shared.stdin.cancel();
        self.shared
            .outbox
            .reply(ReplyChannel::Control, msg, json!({"status": "ok"}))
            .await;
    }

    async fn shutdown_request(&self, msg: &Message, restart: bool) {
        shutdown(&self.hooks, &self.shared.stdin);
        self.shared
            .outbox
            .reply(
                ReplyChannel::Control,
                msg,
                json!({"status": "ok", "restart": restart}),
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
