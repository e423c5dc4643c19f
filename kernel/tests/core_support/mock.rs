//! The mock interpreter the core is driven with, and the records of what the kernel sent.

use mesos_kernel::core::output::CellOutput;
use mesos_kernel::interpreter::{
    Completions, Concurrency, ControlHooks, ExecuteOutcome, Interpreter, KernelInfo,
};
use mesos_kernel::protocol::content::{
    Completeness, ErrorContent, LanguageInfo, MimeBundle, StreamName,
};
use mesos_kernel::protocol::message::Message;
use serde_json::Map;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub struct Mock {
    pub interrupts: Arc<AtomicUsize>,
    /// Lets a `block` cell finish.
    pub release: Arc<tokio::sync::Notify>,
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
pub struct Log(pub Arc<Mutex<Vec<(&'static str, Message)>>>);

impl Log {
    pub fn types(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(c, m)| format!("{c}:{}", m.msg_type()))
            .collect()
    }
    pub fn find(&self, channel: &str, msg_type: &str) -> Vec<Message> {
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
pub struct Hold(pub Arc<Mutex<(bool, Vec<tokio::sync::oneshot::Sender<()>>)>>);

impl Hold {
    pub fn arm(&self) {
        self.0.lock().unwrap().0 = true;
    }

    /// Lets the held replies' senders go on, and holds no more.
    pub fn release(&self) {
        let mut state = self.0.lock().unwrap();
        state.0 = false;
        state.1.clear();
    }

    /// Keeps `sent` if armed and `msg` is an error execute reply; otherwise gives it back.
    pub fn keep(
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
