//! One shell (the main shell or a subshell): its requests handled one at a time, each
//! between busy and idle, with its own execution count and history (JEP 91).

use super::Shared;
use super::history::History;
use super::kernel_info_reply;
use super::outbox::ReplyChannel;
use super::output::CellOutput;
use super::stdin::StdinBridge;
use super::subshells::{QueueRx, Queued};
use crate::interpreter::{Concurrency, ExecuteOutcome, Interpreter};
use crate::protocol::content::{
    CommOpen, CompleteRequest, Completeness, ErrorContent, ExecuteRequest, ExecutionState,
    HistoryRequest, InspectRequest, Request,
};
use crate::protocol::message::Message;
use crate::protocol::outgoing::{
    CommInfoReply, CompleteReply, Done, ExecuteReply, ExpressionValue, HistoryReply, InspectReply,
    IsCompleteReply, Outcome, Outgoing, ShutdownReply,
};
use futures::FutureExt;
use serde_json::{Map, Value};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

/// Serves one shell's requests in order.
pub struct Shell<I> {
    shared: Shared,
    interp: Arc<I>,
    /// The subshell id; `None` for the main shell.
    subshell: Option<String>,
    execution_count: i64,
    history: History,
    /// Executes numbered below this in the shell channel's arrival order are aborted: the
    /// channel's arrival count when the last stop-on-error error was reported (0: none).
    abort_before: u64,
}

impl<I: Interpreter> Shell<I> {
    /// A shell handler around the kernel's interpreter, for subshell `subshell` (`None`: main).
    pub fn new(shared: Shared, interp: Arc<I>, subshell: Option<String>) -> Self {
        Self {
            shared,
            interp,
            subshell,
            execution_count: 0,
            history: History::default(),
            abort_before: 0,
        }
    }

    /// Serves until the queue closes (the subshell was deleted, or the kernel ends).
    pub async fn run(mut self, mut rx: QueueRx) {
        while let Some(Queued { msg, req, arrival }) = rx.recv().await {
            if let Request::Execute(_) = req
                && arrival < self.abort_before
            {
                // It reached the kernel before the error was reported, so the client sent it
                // not knowing: stop_on_error. Anything sent after seeing the error has a later
                // number and runs, however late this shell gets to it.
                self.abort(&msg).await;
                continue;
            }
            self.handle(&msg, req).await;
            if self
                .shared
                .outbox
                .published_over(super::memory::TRIM_AFTER_BYTES)
            {
                // Off the runtime's threads: it walks the whole heap.
                tokio::task::spawn_blocking(super::memory::release_free_memory);
            }
        }
    }

    /// Busy, dispatch, idle; a panic anywhere becomes an error reply.
    async fn handle(&mut self, msg: &Message, req: Request) {
        let _busy = self.shared.busy.enter();
        self.shared
            .outbox
            .status(ExecutionState::Busy, Some(&msg.header));
        let result = AssertUnwindSafe(self.dispatch(msg, req))
            .catch_unwind()
            .await;
        if let Err(panic) = result {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            tracing::error!(msg_type = msg.msg_type(), "handler panicked: {what}");
            let error = ErrorContent {
                ename: "KernelPanic".into(),
                evalue: format!("the kernel hit an internal error and recovered: {what}"),
                traceback: vec![format!("KernelPanic: {what}")],
            };
            let content = if matches!(msg.msg_type(), "execute_request") {
                Outgoing::ExecuteReply(ExecuteReply::Error {
                    error,
                    execution_count: self.execution_count,
                    user_expressions: Map::new(),
                    payload: Vec::new(),
                })
            } else {
                Outgoing::ErrorReply {
                    reply_type: Request::reply_type(msg.msg_type()),
                    error: Outcome::Error(error),
                }
            };
            self.shared
                .outbox
                .reply(ReplyChannel::Shell, msg, content)
                .await;
        }
        self.shared
            .outbox
            .status(ExecutionState::Idle, Some(&msg.header));
    }

    /// Answers an execute request with `aborted`, between busy and idle (stop_on_error).
    async fn abort(&self, msg: &Message) {
        self.shared
            .outbox
            .status(ExecutionState::Busy, Some(&msg.header));
        self.shared
            .outbox
            .reply(
                ReplyChannel::Shell,
                msg,
                Outgoing::ExecuteReply(ExecuteReply::Aborted {
                    execution_count: self.execution_count,
                }),
            )
            .await;
        self.shared
            .outbox
            .status(ExecutionState::Idle, Some(&msg.header));
    }

    async fn dispatch(&mut self, msg: &Message, req: Request) {
        match req {
            Request::KernelInfo => {
                self.shared
                    .outbox
                    .reply(
                        ReplyChannel::Shell,
                        msg,
                        Outgoing::KernelInfoReply(Box::new(kernel_info_reply(&self.shared.info))),
                    )
                    .await;
            }
            Request::Execute(r) => self.execute_request(msg, r).await,
            Request::Complete(r) => self.complete_request(msg, r).await,
            Request::Inspect(r) => self.inspect_request(msg, r).await,
            Request::IsComplete(r) => {
                let content = match self.interp.is_complete(&r.code) {
                    Completeness::Complete => IsCompleteReply::Complete,
                    Completeness::Incomplete(indent) => IsCompleteReply::Incomplete { indent },
                    Completeness::Invalid => IsCompleteReply::Invalid,
                    Completeness::Unknown => IsCompleteReply::Unknown,
                };
                self.shared
                    .outbox
                    .reply(ReplyChannel::Shell, msg, Outgoing::IsCompleteReply(content))
                    .await;
            }
            Request::History(r) => self.history_request(msg, r).await,
            Request::CommInfo(_) => {
                self.shared
                    .outbox
                    .reply(
                        ReplyChannel::Shell,
                        msg,
                        Outgoing::CommInfoReply(Done::Ok(CommInfoReply { comms: Map::new() })),
                    )
                    .await;
            }
            Request::CommOpen(open) => self.comm_open(msg, open),
            Request::CommMsg(_) | Request::CommClose(_) => {
                tracing::debug!("comm message for a comm we never opened: ignored");
            }
            Request::Shutdown(s) => {
                // Deprecated on shell since 5.4, still honoured.
                self.shared
                    .outbox
                    .reply(
                        ReplyChannel::Shell,
                        msg,
                        Outgoing::ShutdownReply(Done::Ok(ShutdownReply { restart: s.restart })),
                    )
                    .await;
                let hooks = self.interp.control_hooks();
                super::control::shutdown(&hooks, &self.shared.stdin);
                let _ = self.shared.shutdown.send(Some(s.restart));
            }
            Request::Interrupt
            | Request::InputReply(_)
            | Request::CreateSubshell
            | Request::DeleteSubshell(_)
            | Request::ListSubshell
            | Request::Usage => {
                tracing::warn!(msg_type = msg.msg_type(), "not a shell request: ignored");
            }
            Request::Unknown(t) => tracing::warn!("unknown request type {t}: no reply"),
        }
    }

    async fn execute_request(&mut self, msg: &Message, req: ExecuteRequest) {
        let silent = req.silent;
        if req.store_history && !silent {
            self.execution_count += 1;
            self.history.record(self.execution_count, &req.code);
        }
        let count = self.execution_count;
        if !silent {
            self.shared.outbox.publish(
                Some(&msg.header),
                Outgoing::ExecuteInput {
                    code: req.code.clone(),
                    execution_count: count,
                },
            );
        }
        let stdin = req.allow_stdin.then(|| self.shared.stdin.clone());
        let out = self.cell_output(msg, silent, stdin);
        let exclusive = !req.user_expressions.is_empty()
            || self.interp.concurrency(&req.code) == Concurrency::Exclusive;
        let turn = if exclusive {
            let who = self.describe_cell(count);
            match self.shared.turn.take(who, &out).await {
                Some(turn) => Some(turn),
                None => {
                    return self
                        .reply_error(msg, &req, count, waiting_interrupted())
                        .await;
                }
            }
        } else {
            None
        };
        let outcome = self.interp.execute(&req.code, &out).await;
        match outcome {
            ExecuteOutcome::Ok(result) => {
                if let Some(bundle) = result
                    && !silent
                {
                    self.shared.outbox.publish(
                        Some(&msg.header),
                        Outgoing::ExecuteResult {
                            execution_count: count,
                            data: bundle.data,
                            metadata: bundle.metadata,
                        },
                    );
                }
                let user_expressions = self.user_expressions(msg, &req).await;
                self.shared
                    .outbox
                    .reply(
                        ReplyChannel::Shell,
                        msg,
                        Outgoing::ExecuteReply(ExecuteReply::Ok {
                            execution_count: count,
                            user_expressions,
                            payload: out.take_payload(),
                        }),
                    )
                    .await;
            }
            ExecuteOutcome::Error(error) => {
                drop(turn);
                self.reply_error(msg, &req, count, error).await
            }
        }
    }

    /// Where the outputs of `msg`'s code go (nowhere visible when `silent`).
    fn cell_output(&self, msg: &Message, silent: bool, stdin: Option<StdinBridge>) -> CellOutput {
        CellOutput::new(
            self.shared.outbox.clone(),
            msg.header.clone(),
            msg.identities.clone(),
            silent,
            stdin,
        )
    }

    /// The request's user expressions evaluated after its cell, their outputs kept quiet.
    async fn user_expressions(
        &mut self,
        msg: &Message,
        req: &ExecuteRequest,
    ) -> Map<String, Value> {
        let mut values = Map::new();
        let quiet = self.cell_output(msg, true, None);
        for (name, expr) in &req.user_expressions {
            let value = match self.interp.evaluate(expr, &quiet).await {
                Ok(b) => ExpressionValue::Ok {
                    data: b.data,
                    metadata: b.metadata,
                },
                Err(e) => ExpressionValue::Error(e),
            };
            let value = serde_json::to_value(value).expect("expression values serialize");
            values.insert(name.clone(), value);
        }
        values
    }

    /// Publishes `error` and sends the error reply; with stop_on_error, the executes that
    /// arrived before it will be aborted.
    async fn reply_error(
        &mut self,
        msg: &Message,
        req: &ExecuteRequest,
        count: i64,
        error: ErrorContent,
    ) {
        if !req.silent && req.stop_on_error {
            // Read before the client can see the error (on IOPub or in the reply): a request
            // it sends in answer to the error cannot be counted in it.
            self.abort_before = self.shared.arrivals.so_far();
        }
        if !req.silent {
            self.shared
                .outbox
                .publish(Some(&msg.header), Outgoing::Error(error.clone()));
        }
        let content = Outgoing::ExecuteReply(ExecuteReply::Error {
            error,
            execution_count: count,
            user_expressions: Map::new(),
            payload: Vec::new(),
        });
        self.shared
            .outbox
            .reply(ReplyChannel::Shell, msg, content)
            .await;
    }

    /// Names a cell of this shell for the engine-turn message.
    fn describe_cell(&self, count: i64) -> String {
        match &self.subshell {
            None => format!("a cell of the main shell ([{count}])"),
            Some(id) => format!("a cell of subshell {id} ([{count}])"),
        }
    }

    async fn complete_request(&mut self, msg: &Message, req: CompleteRequest) {
        let c = self.interp.complete(&req.code, req.cursor_pos).await;
        self.shared
            .outbox
            .reply(
                ReplyChannel::Shell,
                msg,
                Outgoing::CompleteReply(CompleteReply {
                    matches: c.matches,
                    cursor_start: c.cursor_start,
                    cursor_end: c.cursor_end,
                    metadata: c.metadata,
                }),
            )
            .await;
    }

    async fn inspect_request(&mut self, msg: &Message, req: InspectRequest) {
        let found = self
            .interp
            .inspect(&req.code, req.cursor_pos, req.detail_level)
            .await;
        let content = match found {
            Some(b) => InspectReply {
                found: true,
                data: b.data,
                metadata: b.metadata,
            },
            None => InspectReply {
                found: false,
                data: Map::new(),
                metadata: Map::new(),
            },
        };
        self.shared
            .outbox
            .reply(ReplyChannel::Shell, msg, Outgoing::InspectReply(content))
            .await;
    }

    async fn history_request(&mut self, msg: &Message, req: HistoryRequest) {
        let history: Vec<Value> = self.history.query(&req);
        self.shared
            .outbox
            .reply(
                ReplyChannel::Shell,
                msg,
                Outgoing::HistoryReply(Done::Ok(HistoryReply { history })),
            )
            .await;
    }

    fn comm_open(&self, msg: &Message, open: CommOpen) {
        // We register no comm targets: close at once, as the spec asks.
        tracing::info!(
            target = open.target_name,
            "comm_open for an unknown target: closing"
        );
        self.shared.outbox.publish(
            Some(&msg.header),
            Outgoing::CommClose {
                comm_id: open.comm_id,
                data: Map::new(),
            },
        );
    }
}

/// The error of a cell interrupted while it waited for the engine.
fn waiting_interrupted() -> ErrorContent {
    let evalue = "interrupted while waiting for the Rust engine; the cell did not run".to_owned();
    ErrorContent {
        ename: "Interrupted".into(),
        traceback: vec![format!("Interrupted: {evalue}")],
        evalue,
    }
}
