//! A kernel core driven without sockets: a mock interpreter, and a harness that sends signed
//! requests and records every message the kernel sends, per channel.

#![allow(dead_code)]

mod mock;

pub use mock::{Hold, Log, Mock};

use bytes::Bytes;
use mesos_kernel::core::{self, Inbound, outbox::Outbox};
use mesos_kernel::protocol::header::KernelIdentity;
use mesos_kernel::protocol::message::Message;
use mesos_kernel::protocol::signing::Signer;
use mesos_kernel::protocol::wire;
use mesos_kernel::transport::{FrameSink, Outbound, inbound};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use tokio::sync::mpsc;

pub struct Harness {
    pub shell: FrameSink,
    pub control: FrameSink,
    pub stdin: FrameSink,
    pub log: Log,
    pub client: KernelIdentity,
    pub signer: Signer,
    pub interrupts: Arc<AtomicUsize>,
    pub release: Arc<tokio::sync::Notify>,
    pub done: tokio::task::JoinHandle<bool>,
    /// Wakes on every message the kernel sends.
    pub idle: Arc<tokio::sync::Notify>,
    /// Error replies whose sending is not finished yet, while armed.
    pub hold: Hold,
}

pub fn collector(
    name: &'static str,
    mut rx: mpsc::UnboundedReceiver<Outbound>,
    log: Log,
    signer: Signer,
    idle: Arc<tokio::sync::Notify>,
    hold: Hold,
) {
    tokio::spawn(async move {
        while let Some(out) = rx.recv().await {
            if out.frames.is_empty() {
                continue; // a flush marker
            }
            let msg = wire::decode(out.frames, &signer).expect("the kernel signs what it sends");
            // Dropping `sent` tells the kernel the frames have left.
            let sent = hold.keep(&msg, out.sent);
            log.0.lock().unwrap().push((name, msg));
            idle.notify_waiters();
            drop(sent);
        }
    });
}

impl Harness {
    pub fn start(prefill: impl FnOnce(&Harness)) -> Harness {
        let signer = Signer::new("key");
        let (shell_tx, shell_rx) = inbound::channel();
        let (control_tx, control_rx) = inbound::channel();
        let (stdin_tx, stdin_rx) = inbound::channel();
        let (o_shell, r_shell) = mpsc::unbounded_channel();
        let (o_control, r_control) = mpsc::unbounded_channel();
        let (o_stdin, r_stdin) = mpsc::unbounded_channel();
        let (o_iopub, r_iopub) = mpsc::unbounded_channel();
        let log = Log::default();
        let idle = Arc::new(tokio::sync::Notify::new());
        let hold = Hold::default();
        collector(
            "shell",
            r_shell,
            log.clone(),
            signer.clone(),
            idle.clone(),
            hold.clone(),
        );
        collector(
            "control",
            r_control,
            log.clone(),
            signer.clone(),
            idle.clone(),
            Hold::default(),
        );
        collector(
            "stdin",
            r_stdin,
            log.clone(),
            signer.clone(),
            idle.clone(),
            Hold::default(),
        );
        collector(
            "iopub",
            r_iopub,
            log.clone(),
            signer.clone(),
            idle.clone(),
            Hold::default(),
        );
        let interrupts = Arc::new(AtomicUsize::new(0));
        let release = Arc::new(tokio::sync::Notify::new());
        let mut h = Harness {
            shell: shell_tx,
            control: control_tx,
            stdin: stdin_tx,
            log,
            client: KernelIdentity::new(),
            signer: signer.clone(),
            interrupts: interrupts.clone(),
            release: release.clone(),
            done: tokio::spawn(async { false }),
            idle,
            hold,
        };
        prefill(&h);
        let outbox = Outbox::new(
            KernelIdentity::new(),
            signer.clone(),
            o_shell,
            o_control,
            o_stdin,
            o_iopub,
        );
        let inbound = Inbound {
            shell: shell_rx,
            control: control_rx,
            stdin: stdin_rx,
        };
        h.done = tokio::spawn(core::run(
            inbound,
            outbox,
            signer,
            Mock {
                interrupts,
                release,
            },
        ));
        h
    }

    pub fn request(&self, msg_type: &str, content: Value) -> (Vec<Bytes>, String) {
        self.request_on(None, msg_type, content)
    }

    pub fn request_on(
        &self,
        subshell: Option<&str>,
        msg_type: &str,
        content: Value,
    ) -> (Vec<Bytes>, String) {
        self.request_from(b"client-1", subshell, msg_type, content)
    }

    /// A request from the front end whose routing identity is `client`.
    pub fn request_from(
        &self,
        client: &'static [u8],
        subshell: Option<&str>,
        msg_type: &str,
        content: Value,
    ) -> (Vec<Bytes>, String) {
        self.message_from(client, subshell, None, msg_type, content)
    }

    pub fn message_from(
        &self,
        client: &'static [u8],
        subshell: Option<&str>,
        parent: Option<&Message>,
        msg_type: &str,
        content: Value,
    ) -> (Vec<Bytes>, String) {
        let mut header = self.client.header(msg_type);
        if let Some(s) = subshell {
            header.extra.insert("subshell_id".into(), json!(s));
        }
        let id = header.msg_id.clone();
        let msg = Message {
            identities: vec![Bytes::from_static(client)],
            header,
            parent_header: parent.map(|p| p.header.clone()),
            metadata: Map::new(),
            content,
            buffers: vec![],
        };
        (wire::encode(&msg, &self.signer), id)
    }

    pub fn shell(&self, msg_type: &str, content: Value) -> String {
        let (frames, id) = self.request(msg_type, content);
        self.shell.send(frames).unwrap();
        id
    }

    /// Waits until the kernel has published idle for `id`.
    pub async fn idle_for(&self, id: &str) {
        self.sent_for(id, "status:idle").await;
    }

    /// Waits until the kernel has sent a `what` (msg_type or status:state) parented to `id`.
    pub async fn sent_for(&self, id: &str, what: &str) {
        self.sent_times_for(id, what, 1).await;
    }

    /// Waits until the kernel has sent `times` of `what` parented to `id`.
    pub async fn sent_times_for(&self, id: &str, what: &str, times: usize) {
        loop {
            let notified = self.idle.notified();
            if self
                .for_parent(id)
                .iter()
                .filter(|(_, t)| t == what)
                .count()
                >= times
            {
                return;
            }
            tokio::time::timeout(std::time::Duration::from_secs(10), notified)
                .await
                .unwrap_or_else(|_| panic!("no {what} for {id} within 10 s"));
        }
    }

    /// Sends a control request and waits for its reply.
    pub async fn control(&self, msg_type: &str, content: Value) -> Message {
        let (frames, id) = self.request(msg_type, content);
        self.control.send(frames).unwrap();
        self.idle_for(&id).await;
        let reply = msg_type.replace("_request", "_reply");
        self.log
            .find("control", &reply)
            .into_iter()
            .find(|m| m.parent_header.as_ref().unwrap().msg_id == id)
            .expect("a reply")
    }

    /// Sends a shell request to subshell `subshell`.
    pub fn subshell(&self, subshell: &str, msg_type: &str, content: Value) -> String {
        let (frames, id) = self.request_on(Some(subshell), msg_type, content);
        self.shell.send(frames).unwrap();
        id
    }

    /// Sends an `input_reply` from front end `client`, answering `parent` when given.
    pub fn input_reply(&self, client: &'static [u8], parent: Option<&Message>, value: &str) {
        let (frames, _) =
            self.message_from(client, None, parent, "input_reply", json!({"value": value}));
        self.stdin.send(frames).unwrap();
    }

    /// The `input_request` a cell (request `id`) sent.
    pub fn input_request_of(&self, id: &str) -> Message {
        self.log
            .find("stdin", "input_request")
            .into_iter()
            .find(|m| m.parent_header.as_ref().unwrap().msg_id == id)
            .expect("an input request")
    }

    /// The stdout text a request's cell printed.
    pub fn printed(&self, id: &str) -> String {
        self.log
            .find("iopub", "stream")
            .iter()
            .filter(|m| m.parent_header.as_ref().unwrap().msg_id == id)
            .map(|m| m.content["text"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The one shell reply to `id`.
    pub fn reply_to(&self, id: &str) -> Message {
        self.log
            .0
            .lock()
            .unwrap()
            .iter()
            .find(|(c, m)| {
                *c == "shell" && m.parent_header.as_ref().map(|p| p.msg_id.as_str()) == Some(id)
            })
            .map(|(_, m)| m.clone())
            .expect("a reply")
    }

    /// (channel, msg_type or status:state) of everything parented to `id`, in order.
    pub fn for_parent(&self, id: &str) -> Vec<(String, String)> {
        self.log
            .0
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, m)| m.parent_header.as_ref().map(|p| p.msg_id.as_str()) == Some(id))
            .map(|(c, m)| {
                let t = if m.msg_type() == "status" {
                    format!("status:{}", m.content["execution_state"].as_str().unwrap())
                } else {
                    m.msg_type().to_owned()
                };
                (c.to_string(), t)
            })
            .collect()
    }
}

pub fn seq(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}
