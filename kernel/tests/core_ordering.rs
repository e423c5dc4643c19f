//! The core's ordering rules, driven without sockets through a mock interpreter.

use bytes::Bytes;
use mesos_kernel::core::output::CellOutput;
use mesos_kernel::core::{self, Inbound, outbox::Outbox};
use mesos_kernel::interpreter::{
    Completions, Concurrency, ControlHooks, ExecuteOutcome, Interpreter, KernelInfo,
};
use mesos_kernel::protocol::content::{
    Completeness, ErrorContent, LanguageInfo, MimeBundle, StreamName,
};
use mesos_kernel::protocol::header::KernelIdentity;
use mesos_kernel::protocol::message::Message;
use mesos_kernel::protocol::signing::Signer;
use mesos_kernel::protocol::wire;
use mesos_kernel::transport::{FrameSink, Outbound, inbound};
use serde_json::{Map, Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

struct Mock {
    interrupts: Arc<AtomicUsize>,
    /// Lets a `block` cell finish.
    release: Arc<tokio::sync::Notify>,
}

impl Interpreter for Mock {
    fn kernel_info(&self) -> KernelInfo {
        KernelInfo {
            language_info: LanguageInfo {
                name: "mock".into(),
                version: "1".into(),
                mimetype: "text/plain".into(),
                file_extension: ".txt".into(),
                pygments_lexer: "text".into(),
                codemirror_mode: "text".into(),
                nbconvert_exporter: "text".into(),
            },
            banner: "mock".into(),
            help_links: vec![],
        }
    }

    fn concurrency(&self, code: &str) -> Concurrency {
        if code.starts_with("shared") {
            Concurrency::Shared
        } else {
            Concurrency::Exclusive
        }
    }

    async fn execute(&self, code: &str, out: &CellOutput) -> ExecuteOutcome {
        if code == "block" {
            self.release.notified().await;
        }
        if code.contains("ask") {
            // As a Rust cell asks: from a thread that blocks until the answer.
            let asking = out.clone();
            let answer = tokio::task::spawn_blocking(move || asking.input("name? ", false))
                .await
                .expect("the input thread ends");
            return match answer {
                Ok(name) => {
                    out.stream(StreamName::Stdout, &format!("got {name}\n"));
                    ExecuteOutcome::Ok(None)
                }
                Err(e) => ExecuteOutcome::Error(ErrorContent {
                    ename: "NoInput".into(),
                    evalue: e.to_string(),
                    traceback: vec![],
                }),
            };
        }
        if code == "fail" {
            return ExecuteOutcome::Error(ErrorContent {
                ename: "Boom".into(),
                evalue: "it failed".into(),
                traceback: vec!["Boom: it failed".into()],
            });
        }
        if code == "panic" {
            panic!("mock interpreter panicked");
        }
        out.stream(StreamName::Stdout, "printed\n");
        ExecuteOutcome::Ok(Some(MimeBundle::text(format!("value of {code}"))))
    }

    async fn evaluate(&self, expr: &str, _out: &CellOutput) -> Result<MimeBundle, ErrorContent> {
        Ok(MimeBundle::text(expr.to_uppercase()))
    }

    async fn complete(&self, _code: &str, cursor: usize) -> Completions {
        Completions {
            matches: vec!["x".into()],
            cursor_start: cursor,
            cursor_end: cursor,
            metadata: Map::new(),
        }
    }

    async fn inspect(&self, _code: &str, _cursor: usize, _detail: u8) -> Option<MimeBundle> {
        None
    }

    fn is_complete(&self, _code: &str) -> Completeness {
        Completeness::Complete
    }

    fn control_hooks(&self) -> ControlHooks {
        let n = self.interrupts.clone();
        ControlHooks {
            interrupt: Arc::new(move || {
                n.fetch_add(1, Ordering::SeqCst);
            }),
            shutdown: Arc::new(|| {}),
        }
    }
}

/// Every message the kernel sent, in the order the kernel finished sending it.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<(&'static str, Message)>>>);

impl Log {
    fn types(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(c, m)| format!("{c}:{}", m.msg_type()))
            .collect()
    }
    fn find(&self, channel: &str, msg_type: &str) -> Vec<Message> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(c, m)| *c == channel && m.msg_type() == msg_type)
            .map(|(_, m)| m.clone())
            .collect()
    }
}

/// Holds back the kernel's "sent" notice of error execute replies while armed: the reply is
/// out (a client can act on it) but the shell that sent it has not gone on yet.
#[derive(Clone, Default)]
struct Hold(Arc<Mutex<(bool, Vec<tokio::sync::oneshot::Sender<()>>)>>);

impl Hold {
    fn arm(&self) {
        self.0.lock().unwrap().0 = true;
    }

    /// Lets the held replies' senders go on, and holds no more.
    fn release(&self) {
        let mut state = self.0.lock().unwrap();
        state.0 = false;
        state.1.clear();
    }

    /// Keeps `sent` if armed and `msg` is an error execute reply; otherwise gives it back.
    fn keep(
        &self,
        msg: &Message,
        sent: Option<tokio::sync::oneshot::Sender<()>>,
    ) -> Option<tokio::sync::oneshot::Sender<()>> {
        let mut state = self.0.lock().unwrap();
        let error_reply = msg.msg_type() == "execute_reply" && msg.content["status"] == "error";
        match sent {
            Some(s) if state.0 && error_reply => {
                state.1.push(s);
                None
            }
            other => other,
        }
    }
}

struct Harness {
    shell: FrameSink,
    control: FrameSink,
    stdin: FrameSink,
    log: Log,
    client: KernelIdentity,
    signer: Signer,
    interrupts: Arc<AtomicUsize>,
    release: Arc<tokio::sync::Notify>,
    done: tokio::task::JoinHandle<bool>,
    /// Wakes on every message the kernel sends.
    idle: Arc<tokio::sync::Notify>,
    /// Error replies whose sending is not finished yet, while armed.
    hold: Hold,
}

fn collector(
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
    fn start(prefill: impl FnOnce(&Harness)) -> Harness {
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

    fn request(&self, msg_type: &str, content: Value) -> (Vec<Bytes>, String) {
        self.request_on(None, msg_type, content)
    }

    fn request_on(
        &self,
        subshell: Option<&str>,
        msg_type: &str,
        content: Value,
    ) -> (Vec<Bytes>, String) {
        self.request_from(b"client-1", subshell, msg_type, content)
    }

    /// A request from the front end whose routing identity is `client`.
    fn request_from(
        &self,
        client: &'static [u8],
        subshell: Option<&str>,
        msg_type: &str,
        content: Value,
    ) -> (Vec<Bytes>, String) {
        self.message_from(client, subshell, None, msg_type, content)
    }

    fn message_from(
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

    fn shell(&self, msg_type: &str, content: Value) -> String {
        let (frames, id) = self.request(msg_type, content);
        self.shell.send(frames).unwrap();
        id
    }

    /// Waits until the kernel has published idle for `id`.
    async fn idle_for(&self, id: &str) {
        self.sent_for(id, "status:idle").await;
    }

    /// Waits until the kernel has sent a `what` (msg_type or status:state) parented to `id`.
    async fn sent_for(&self, id: &str, what: &str) {
        self.sent_times_for(id, what, 1).await;
    }

    /// Waits until the kernel has sent `times` of `what` parented to `id`.
    async fn sent_times_for(&self, id: &str, what: &str, times: usize) {
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
    async fn control(&self, msg_type: &str, content: Value) -> Message {
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
    fn subshell(&self, subshell: &str, msg_type: &str, content: Value) -> String {
        let (frames, id) = self.request_on(Some(subshell), msg_type, content);
        self.shell.send(frames).unwrap();
        id
    }

    /// Sends an `input_reply` from front end `client`, answering `parent` when given.
    fn input_reply(&self, client: &'static [u8], parent: Option<&Message>, value: &str) {
        let (frames, _) =
            self.message_from(client, None, parent, "input_reply", json!({"value": value}));
        self.stdin.send(frames).unwrap();
    }

    /// The `input_request` a cell (request `id`) sent.
    fn input_request_of(&self, id: &str) -> Message {
        self.log
            .find("stdin", "input_request")
            .into_iter()
            .find(|m| m.parent_header.as_ref().unwrap().msg_id == id)
            .expect("an input request")
    }

    /// The stdout text a request's cell printed.
    fn printed(&self, id: &str) -> String {
        self.log
            .find("iopub", "stream")
            .iter()
            .filter(|m| m.parent_header.as_ref().unwrap().msg_id == id)
            .map(|m| m.content["text"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The one shell reply to `id`.
    fn reply_to(&self, id: &str) -> Message {
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
    fn for_parent(&self, id: &str) -> Vec<(String, String)> {
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

fn seq(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[tokio::test]
async fn execute_outputs_come_between_busy_and_idle_and_the_reply_before_idle() {
    let h = Harness::start(|_| {});
    let id = h.shell(
        "execute_request",
        json!({"code": "x", "user_expressions": {"e": "abc"}}),
    );
    h.idle_for(&id).await;
    assert_eq!(
        h.for_parent(&id),
        seq(&[
            ("iopub", "status:busy"),
            ("iopub", "execute_input"),
            ("iopub", "stream"),
            ("iopub", "execute_result"),
            ("shell", "execute_reply"),
            ("iopub", "status:idle"),
        ])
    );
    let reply = &h.log.find("shell", "execute_reply")[0];
    assert_eq!(reply.content["status"], "ok");
    assert_eq!(reply.content["execution_count"], 1);
    assert_eq!(
        reply.content["user_expressions"]["e"]["data"]["text/plain"],
        "ABC"
    );
    assert_eq!(reply.identities, vec![Bytes::from_static(b"client-1")]);
    // The first message the kernel ever sent is `starting`, with no parent.
    assert_eq!(h.log.types()[0], "iopub:status");
    assert_eq!(
        h.log.0.lock().unwrap()[0].1.content["execution_state"],
        "starting"
    );
}

#[tokio::test]
async fn every_request_type_gets_busy_and_idle_even_unknown_ones() {
    let h = Harness::start(|_| {});
    for (t, content) in [
        ("kernel_info_request", json!({})),
        ("comm_info_request", json!({})),
        ("complete_request", json!({"code": "a", "cursor_pos": 1})),
        ("is_complete_request", json!({"code": "a"})),
        (
            "history_request",
            json!({"hist_access_type": "tail", "n": 3}),
        ),
        ("frobnicate_request", json!({})),
    ] {
        let id = h.shell(t, content);
        h.idle_for(&id).await;
        let events = h.for_parent(&id);
        assert_eq!(events.first().unwrap().1, "status:busy", "{t}");
        assert_eq!(events.last().unwrap().1, "status:idle", "{t}");
        let replies = events.iter().filter(|(c, _)| c == "shell").count();
        assert_eq!(
            replies,
            if t == "frobnicate_request" { 0 } else { 1 },
            "{t}"
        );
    }
}

#[tokio::test]
async fn an_error_aborts_the_queued_executes_but_not_other_requests() {
    let h = Harness::start(|h| {
        h.shell("execute_request", json!({"code": "fail"}));
        h.shell("execute_request", json!({"code": "a"}));
        h.shell("kernel_info_request", json!({}));
        h.shell("execute_request", json!({"code": "b"}));
    });
    let last = h.shell("execute_request", json!({"code": "after"}));
    h.idle_for(&last).await;
    let replies = h.log.find("shell", "execute_reply");
    let statuses: Vec<&str> = replies
        .iter()
        .map(|r| r.content["status"].as_str().unwrap())
        .collect();
    // `after` may or may not have been queued when the error happened; the first four are fixed.
    assert_eq!(&statuses[..3], &["error", "aborted", "aborted"]);
    assert_eq!(h.log.find("shell", "kernel_info_reply").len(), 1);
    assert_eq!(replies[0].content["ename"], "Boom");
    assert_eq!(h.log.find("iopub", "error").len(), 1);
}

#[tokio::test]
async fn a_request_sent_after_the_error_was_seen_runs_though_the_shell_has_not_moved_on() {
    let h = Harness::start(|_| {});
    // The error reply goes out, but its sender is held there: the window in which a fast
    // client's next request used to reach the queue before the abort drained it.
    h.hold.arm();
    let failing = h.shell("execute_request", json!({"code": "fail"}));
    h.sent_for(&failing, "error").await;
    // The client saw the error and sends the next cell.
    let after = h.shell("execute_request", json!({"code": "after"}));
    // The router answers a shell kernel_info at once, in arrival order: once it is
    // answered, `after` waits in the main shell's queue.
    let probe = h.shell("kernel_info_request", json!({}));
    h.sent_for(&probe, "kernel_info_reply").await;
    assert!(
        !h.for_parent(&failing)
            .iter()
            .any(|(_, t)| t == "status:idle"),
        "the failing cell's shell is still sending its reply"
    );
    h.hold.release();
    h.idle_for(&after).await;
    assert_eq!(h.reply_to(&failing).content["status"], "error");
    assert_eq!(h.reply_to(&after).content["status"], "ok");
    assert_eq!(h.reply_to(&after).content["execution_count"], 2);
}

#[tokio::test]
async fn silent_requests_publish_nothing_and_do_not_count() {
    let h = Harness::start(|_| {});
    let id = h.shell("execute_request", json!({"code": "x", "silent": true}));
    h.idle_for(&id).await;
    assert_eq!(
        h.for_parent(&id),
        seq(&[
            ("iopub", "status:busy"),
            ("shell", "execute_reply"),
            ("iopub", "status:idle")
        ])
    );
    let id = h.shell("execute_request", json!({"code": "y"}));
    h.idle_for(&id).await;
    let replies = h.log.find("shell", "execute_reply");
    assert_eq!(replies[0].content["execution_count"], 0);
    assert_eq!(replies[1].content["execution_count"], 1);
}

#[tokio::test]
async fn badly_signed_and_garbage_messages_are_dropped_and_the_kernel_keeps_serving() {
    let h = Harness::start(|h| {
        let (mut frames, _) = h.request("execute_request", json!({"code": "evil"}));
        frames[2] = Bytes::from_static(b"00ff");
        h.shell.send(frames).unwrap();
        h.shell.send(vec![Bytes::from_static(b"garbage")]).unwrap();
        h.control
            .send(vec![Bytes::from_static(b"<IDS|MSG>"), Bytes::new()])
            .unwrap();
        let (frames, _) = h.request("execute_request", json!({"no_code": true}));
        h.shell.send(frames).unwrap();
    });
    let id = h.shell("execute_request", json!({"code": "fine"}));
    h.idle_for(&id).await;
    let replies = h.log.find("shell", "execute_reply");
    assert_eq!(replies.len(), 1, "only the good request is answered");
    assert_eq!(replies[0].content["status"], "ok");
    let busy = h
        .log
        .find("iopub", "status")
        .iter()
        .filter(|m| m.content["execution_state"] == "busy")
        .count();
    assert_eq!(busy, 1, "dropped messages get no busy/idle either");
}

#[tokio::test]
async fn a_panicking_handler_becomes_an_error_reply() {
    let h = Harness::start(|_| {});
    let id = h.shell("execute_request", json!({"code": "panic"}));
    h.idle_for(&id).await;
    let reply = &h.log.find("shell", "execute_reply")[0];
    assert_eq!(reply.content["status"], "error");
    assert_eq!(reply.content["ename"], "KernelPanic");
    let id = h.shell("execute_request", json!({"code": "next"}));
    h.idle_for(&id).await;
    assert_eq!(
        h.log.find("shell", "execute_reply")[1].content["status"],
        "ok"
    );
}

#[tokio::test]
async fn control_answers_interrupt_and_shutdown() {
    let h = Harness::start(|_| {});
    let (frames, id) = h.request("interrupt_request", json!({}));
    h.control.send(frames).unwrap();
    h.idle_for(&id).await;
    assert_eq!(h.interrupts.load(Ordering::SeqCst), 1);
    assert_eq!(
        h.log.find("control", "interrupt_reply")[0].content["status"],
        "ok"
    );
    let (frames, id) = h.request("kernel_info_request", json!({}));
    h.control.send(frames).unwrap();
    h.idle_for(&id).await;
    let info = &h.log.find("control", "kernel_info_reply")[0];
    assert_eq!(info.content["protocol_version"], "5.5");
    assert_eq!(info.content["language_info"]["name"], "mock");
    let (frames, _) = h.request("shutdown_request", json!({"restart": true}));
    h.control.send(frames).unwrap();
    let restart = tokio::time::timeout(std::time::Duration::from_secs(5), h.done)
        .await
        .unwrap()
        .unwrap();
    assert!(restart);
    assert_eq!(
        h.log.find("control", "shutdown_reply")[0].content["restart"],
        true
    );
}

#[tokio::test]
async fn subshells_are_created_listed_and_deleted_and_each_has_its_own_count() {
    let h = Harness::start(|_| {});
    let info = h.control("kernel_info_request", json!({})).await;
    assert_eq!(
        info.content["supported_features"],
        json!(["kernel subshells"])
    );
    let created = h.control("create_subshell_request", json!({})).await;
    assert_eq!(created.content["status"], "ok");
    let sub = created.content["subshell_id"].as_str().unwrap().to_owned();
    let listed = h.control("list_subshell_request", json!({})).await;
    assert_eq!(listed.content["subshell_id"], json!([sub]));

    let main = h.shell("execute_request", json!({"code": "a"}));
    h.idle_for(&main).await;
    let on_sub = h.subshell(&sub, "execute_request", json!({"code": "b"}));
    h.idle_for(&on_sub).await;
    // Each subshell counts its own cells (JEP 91), and its replies and outputs name it
    // through the parent header.
    assert_eq!(h.reply_to(&main).content["execution_count"], 1);
    let reply = h.reply_to(&on_sub);
    assert_eq!(reply.content["execution_count"], 1);
    assert_eq!(
        reply.parent_header.unwrap().extra["subshell_id"],
        json!(sub)
    );
    assert_eq!(
        h.for_parent(&on_sub),
        seq(&[
            ("iopub", "status:busy"),
            ("iopub", "execute_input"),
            ("iopub", "stream"),
            ("iopub", "execute_result"),
            ("shell", "execute_reply"),
            ("iopub", "status:idle"),
        ])
    );

    let deleted = h
        .control("delete_subshell_request", json!({"subshell_id": sub}))
        .await;
    assert_eq!(deleted.content["status"], "ok");
    let again = h
        .control("delete_subshell_request", json!({"subshell_id": sub}))
        .await;
    assert_eq!(again.content["status"], "error");
    assert_eq!(again.content["ename"], "UnknownSubshell");
    assert_eq!(
        h.control("list_subshell_request", json!({})).await.content["subshell_id"],
        json!([])
    );
    // A request for a deleted subshell gets an error reply, between busy and idle.
    let gone = h.subshell(&sub, "execute_request", json!({"code": "c"}));
    h.idle_for(&gone).await;
    assert_eq!(h.reply_to(&gone).content["ename"], "UnknownSubshell");
    assert_eq!(h.for_parent(&gone).first().unwrap().1, "status:busy");
}

#[tokio::test]
async fn a_shared_cell_runs_beside_a_busy_shell_and_an_exclusive_one_waits_its_turn() {
    let h = Harness::start(|_| {});
    let sub = h
        .control("create_subshell_request", json!({}))
        .await
        .content["subshell_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let blocked = h.shell("execute_request", json!({"code": "block"}));
    h.sent_for(&blocked, "execute_input").await;
    // A shared cell on the subshell is answered while the main shell's cell still runs.
    let beside = h.subshell(&sub, "execute_request", json!({"code": "shared look"}));
    h.idle_for(&beside).await;
    assert_eq!(h.reply_to(&beside).content["status"], "ok");
    assert!(
        !h.for_parent(&blocked)
            .iter()
            .any(|(_, t)| t == "status:idle")
    );
    // An exclusive cell waits, and says so on its own stream.
    let queued = h.subshell(&sub, "execute_request", json!({"code": "rusty"}));
    h.sent_for(&queued, "stream").await;
    let note = h
        .log
        .find("iopub", "stream")
        .into_iter()
        .find(|m| m.parent_header.as_ref().unwrap().msg_id == queued)
        .unwrap();
    assert!(
        note.content["text"]
            .as_str()
            .unwrap()
            .contains("waiting for the Rust engine: it is running a cell of the main shell ([1])"),
        "{}",
        note.content["text"]
    );
    assert!(
        !h.for_parent(&queued)
            .iter()
            .any(|(_, t)| t == "execute_reply")
    );
    h.release.notify_one();
    h.idle_for(&queued).await;
    assert_eq!(h.reply_to(&queued).content["status"], "ok");
    assert_eq!(h.reply_to(&blocked).content["status"], "ok");
}

#[tokio::test]
async fn an_interrupt_stops_a_cell_waiting_for_its_turn() {
    let h = Harness::start(|_| {});
    let sub = h
        .control("create_subshell_request", json!({}))
        .await
        .content["subshell_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let blocked = h.shell("execute_request", json!({"code": "block"}));
    h.sent_for(&blocked, "execute_input").await;
    let queued = h.subshell(&sub, "execute_request", json!({"code": "rusty"}));
    h.sent_for(&queued, "stream").await;
    h.control("interrupt_request", json!({})).await;
    h.idle_for(&queued).await;
    let reply = h.reply_to(&queued);
    assert_eq!(reply.content["status"], "error");
    assert_eq!(reply.content["ename"], "Interrupted");
    assert_eq!(h.interrupts.load(Ordering::SeqCst), 1);
    h.release.notify_one();
    h.idle_for(&blocked).await;
}

#[tokio::test]
async fn each_subshell_gets_its_own_input_from_the_front_end_that_sent_its_cell() {
    let h = Harness::start(|_| {});
    let mut subs = Vec::new();
    for _ in 0..2 {
        let created = h.control("create_subshell_request", json!({})).await;
        subs.push(created.content["subshell_id"].as_str().unwrap().to_owned());
    }
    let ask = json!({"code": "shared ask", "allow_stdin": true});
    let (frames, on_a) = h.request_from(b"front-a", Some(&subs[0]), "execute_request", ask.clone());
    h.shell.send(frames).unwrap();
    let (frames, on_b) = h.request_from(b"front-b", Some(&subs[1]), "execute_request", ask);
    h.shell.send(frames).unwrap();
    h.sent_for(&on_a, "input_request").await;
    h.sent_for(&on_b, "input_request").await;
    // Both wait at once, each asked on its own front end, its header naming its subshell.
    let (asked_a, asked_b) = (h.input_request_of(&on_a), h.input_request_of(&on_b));
    assert_eq!(asked_a.identities, vec![Bytes::from_static(b"front-a")]);
    assert_eq!(asked_b.identities, vec![Bytes::from_static(b"front-b")]);
    assert_eq!(asked_a.header.extra["subshell_id"], json!(subs[0]));
    assert_eq!(asked_b.header.extra["subshell_id"], json!(subs[1]));
    // A front end that was asked nothing answers nothing; b answers its request by parent.
    h.input_reply(b"front-c", None, "stray");
    h.input_reply(b"front-b", Some(&asked_b), "bee");
    h.idle_for(&on_b).await;
    assert_eq!(h.printed(&on_b), "got bee\n");
    assert!(
        !h.for_parent(&on_a).iter().any(|(c, _)| c == "shell"),
        "a still waits: neither the stray reply nor b's was its answer"
    );
    // a answers as jupyter_client's input() does: no parent, no subshell id.
    h.input_reply(b"front-a", None, "ay");
    h.idle_for(&on_a).await;
    assert_eq!(h.printed(&on_a), "got ay\n");
    assert_eq!(h.reply_to(&on_a).content["status"], "ok");
}

#[tokio::test]
async fn a_kernel_info_answered_while_a_shell_is_busy_publishes_its_idle_again() {
    let h = Harness::start(|_| {});
    let blocked = h.shell("execute_request", json!({"code": "block"}));
    h.sent_for(&blocked, "execute_input").await;
    // A new front end's kernel_info is answered at once; jupyter_server did not nudge its
    // IOPub, so the idle may go out before that front end has subscribed: it comes again.
    let info = h.shell("kernel_info_request", json!({}));
    h.idle_for(&info).await;
    h.sent_times_for(&info, "status:idle", 2).await;
    assert_eq!(h.log.find("shell", "kernel_info_reply").len(), 1);
    assert!(
        !h.for_parent(&blocked)
            .iter()
            .any(|(_, t)| t == "status:idle"),
        "all while the main shell's cell still ran"
    );
    h.release.notify_one();
    h.idle_for(&blocked).await;
}
