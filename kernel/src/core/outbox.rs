//! Builds, signs and queues the kernel's outgoing messages.

use crate::protocol::content::ExecutionState;
use crate::protocol::header::{Header, KernelIdentity};
use crate::protocol::message::Message;
use crate::protocol::outgoing::Outgoing;
use crate::protocol::signing::Signer;
use crate::protocol::wire;
use crate::transport::{FrameTx, Outbound};
use bytes::Bytes;
use serde_json::{Map, Value};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::oneshot;

/// Which channel a reply goes back on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyChannel {
    /// Shell requests.
    Shell,
    /// Control requests.
    Control,
}

/// The kernel's one way out: every message it sends passes through here.
#[derive(Clone)]
pub struct Outbox {
    identity: KernelIdentity,
    signer: Signer,
    shell: FrameTx,
    control: FrameTx,
    stdin: FrameTx,
    iopub: FrameTx,
    /// IOPub bytes queued since [`Outbox::published_over`] last said yes.
    published: Arc<AtomicU64>,
}

impl Outbox {
    /// An outbox over the four outbound channels.
    pub fn new(
        identity: KernelIdentity,
        signer: Signer,
        shell: FrameTx,
        control: FrameTx,
        stdin: FrameTx,
        iopub: FrameTx,
    ) -> Self {
        Self {
            identity,
            signer,
            shell,
            control,
            stdin,
            iopub,
            published: Arc::default(),
        }
    }

    /// Whether at least `limit` IOPub bytes were published since it last said yes.
    pub fn published_over(&self, limit: u64) -> bool {
        let over = self.published.load(Ordering::Relaxed) >= limit;
        if over {
            self.published.store(0, Ordering::Relaxed);
        }
        over
    }

    /// This process's identity.
    pub fn identity(&self) -> &KernelIdentity {
        &self.identity
    }

    fn message(
        &self,
        identities: Vec<Bytes>,
        msg_type: &str,
        parent: Option<&Header>,
        content: Value,
    ) -> Message {
        Message {
            identities,
            header: self.identity.header(msg_type),
            parent_header: parent.cloned(),
            metadata: Map::new(),
            content,
            buffers: Vec::new(),
        }
    }

    /// Sends the reply to `request` and waits until ZeroMQ has it, so a following idle cannot overtake it.
    pub async fn reply(&self, channel: ReplyChannel, request: &Message, content: Outgoing) {
        self.reply_with_metadata(channel, request, content, Map::new())
            .await
    }

    /// Like [`Outbox::reply`], with metadata.
    pub async fn reply_with_metadata(
        &self,
        channel: ReplyChannel,
        request: &Message,
        content: Outgoing,
        metadata: Map<String, Value>,
    ) {
        let msg_type = content.msg_type().to_owned();
        let content = serde_json::to_value(content).expect("reply contents serialize");
        let mut msg = self.message(
            request.identities.clone(),
            &msg_type,
            Some(&request.header),
            content,
        );
        msg.metadata = metadata;
        let tx = match channel {
            ReplyChannel::Shell => &self.shell,
            ReplyChannel::Control => &self.control,
        };
        let (done, sent) = oneshot::channel();
        let frames = wire::encode(&msg, &self.signer);
        if tx
            .send(Outbound {
                frames,
                sent: Some(done),
            })
            .is_ok()
        {
            let _ = sent.await;
        }
    }

    /// Publishes on IOPub, with the request's header as parent.
    pub fn publish(&self, parent: Option<&Header>, content: Outgoing) {
        let msg_type = content.msg_type().to_owned();
        let msg_type = msg_type.as_str();
        let content = serde_json::to_value(content).expect("iopub contents serialize");
        // The topic frame is informational; clients subscribe to everything.
        let topic = Bytes::from(format!("kernel.{}.{}", self.identity.session, msg_type));
        let msg = self.message(vec![topic], msg_type, parent, content);
        let frames = wire::encode(&msg, &self.signer);
        let bytes: usize = frames.iter().map(Bytes::len).sum();
        self.published.fetch_add(bytes as u64, Ordering::Relaxed);
        let _ = self.iopub.send(Outbound { frames, sent: None });
    }

    /// Publishes a status change.
    pub fn status(&self, state: ExecutionState, parent: Option<&Header>) {
        self.publish(
            parent,
            Outgoing::Status {
                execution_state: state,
            },
        );
    }

    /// Waits until everything queued on IOPub so far has been handed to ZeroMQ.
    pub async fn flush_iopub(&self) {
        let (done, sent) = oneshot::channel();
        if self
            .iopub
            .send(Outbound {
                frames: Vec::new(),
                sent: Some(done),
            })
            .is_ok()
        {
            let _ = sent.await;
        }
    }

    /// An `input_request` for the front end that sent `request_identities`' cell; its header
    /// names the cell's subshell (JEP 91: stdin messages carry `subshell_id`).
    pub fn input_request(
        &self,
        request_identities: &[Bytes],
        parent: &Header,
        subshell: Option<&str>,
        prompt: &str,
        password: bool,
    ) -> Message {
        let content = Outgoing::InputRequest {
            prompt: prompt.to_owned(),
            password,
        };
        let mut msg = self.message(
            request_identities.to_vec(),
            content.msg_type(),
            Some(parent),
            serde_json::to_value(&content).expect("input_request serializes"),
        );
        if let Some(id) = subshell {
            msg.header
                .extra
                .insert("subshell_id".into(), Value::String(id.to_owned()));
        }
        msg
    }

    /// Sends a stdin message built by [`Outbox::input_request`].
    pub fn send_stdin(&self, msg: &Message) {
        let _ = self.stdin.send(Outbound {
            frames: wire::encode(msg, &self.signer),
            sent: None,
        });
    }
}
