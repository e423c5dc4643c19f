//! What an interpreter may do while it runs a cell: publish output, ask for input.
//!
//! Interpreters get a [`CellOutput`] and never see a message, a header or a socket.

use super::outbox::Outbox;
use super::stdin::{Asker, StdinBridge};
use crate::protocol::content::{MimeBundle, StreamName};
use crate::protocol::header::Header;
use crate::protocol::outgoing::Outgoing;
use bytes::Bytes;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// Output sink for one request; cheap to clone and usable from any thread.
#[derive(Clone)]
pub struct CellOutput {
    inner: Arc<Inner>,
}

struct Inner {
    outbox: Outbox,
    parent: Header,
    identities: Vec<Bytes>,
    silent: bool,
    stdin: Option<StdinBridge>,
    payload: Mutex<Vec<Value>>,
}

/// Why input could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InputError {
    /// The request said `allow_stdin: false` (nbclient, papermill).
    #[error("this front end does not accept input requests (allow_stdin is false)")]
    NotAllowed,
    /// The kernel was interrupted or shut down while waiting.
    #[error("input request cancelled")]
    Cancelled,
}

impl CellOutput {
    /// An output sink parented to `parent`.
    pub(crate) fn new(
        outbox: Outbox,
        parent: Header,
        identities: Vec<Bytes>,
        silent: bool,
        stdin: Option<StdinBridge>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                outbox,
                parent,
                identities,
                silent,
                stdin,
                payload: Mutex::new(Vec::new()),
            }),
        }
    }

    /// A sibling that publishes nothing: for background re-runs whose only output is a
    /// display update sent through the original.
    pub fn quiet(&self) -> CellOutput {
        Self::new(
            self.inner.outbox.clone(),
            self.inner.parent.clone(),
            self.inner.identities.clone(),
            true,
            None,
        )
    }

    /// Whether the request asked for no output.
    pub fn is_silent(&self) -> bool {
        self.inner.silent
    }

    fn publish(&self, content: Outgoing) {
        if !self.inner.silent {
            self.inner.outbox.publish(Some(&self.inner.parent), content);
        }
    }

    /// Writes text to stdout or stderr.
    pub fn stream(&self, name: StreamName, text: &str) {
        if !text.is_empty() {
            self.publish(Outgoing::Stream {
                name,
                text: text.to_owned(),
            });
        }
    }

    /// Shows a rich display; with an id it can be updated in place later.
    pub fn display(&self, bundle: &MimeBundle, display_id: Option<&str>) {
        self.publish(Outgoing::display(bundle, display_id, false));
    }

    /// Replaces every display shown with `display_id`.
    pub fn update_display(&self, bundle: &MimeBundle, display_id: &str) {
        self.publish(Outgoing::display(bundle, Some(display_id), true));
    }

    /// Clears the cell's output (now, or when the next output arrives).
    pub fn clear_output(&self, wait: bool) {
        self.publish(Outgoing::ClearOutput { wait });
    }

    /// Shows a help page in the front end's pager (an execute_reply `page` payload).
    pub fn page(&self, bundle: &MimeBundle) {
        let page = json!({"source": "page", "data": bundle.data, "start": 0});
        self.inner.payload.lock().expect("payload").push(page);
    }

    /// The payloads gathered for the reply.
    pub(crate) fn take_payload(&self) -> Vec<Value> {
        std::mem::take(&mut *self.inner.payload.lock().expect("payload"))
    }

    /// Asks the front end that sent the cell for a line of input; blocks the calling thread
    /// until it answers.
    pub fn input(&self, prompt: &str, password: bool) -> Result<String, InputError> {
        let Some(stdin) = &self.inner.stdin else {
            return Err(InputError::NotAllowed);
        };
        let inner = &self.inner;
        let subshell = inner
            .parent
            .extra
            .get("subshell_id")
            .and_then(Value::as_str);
        let request = inner.outbox.input_request(
            &inner.identities,
            &inner.parent,
            subshell,
            prompt,
            password,
        );
        // Registered before the request leaves, so the quickest reply finds it.
        let waiter = stdin.begin(Asker {
            subshell: subshell.map(str::to_owned),
            input_request: request.header.msg_id.clone(),
            client: inner.identities.clone(),
        });
        inner.outbox.send_stdin(&request);
        waiter.wait().ok_or(InputError::Cancelled)
    }
}
