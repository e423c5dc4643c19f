//! Hands `input_reply` values from the stdin channel to the cells waiting for them, each to its
//! own: every subshell may wait for input at once (JEP 91), and a reply only answers a request
//! the same front end was asked.

use bytes::Bytes;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Shared between the stdin receive loop and cells that wait for input.
#[derive(Clone, Default)]
pub struct StdinBridge {
    pending: Arc<Mutex<Vec<Pending>>>,
}

/// Who asked for input: what a reply is matched against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asker {
    /// The subshell whose cell asks (`None`: the main shell).
    pub subshell: Option<String>,
    /// The `input_request`'s msg_id, which a reply may name as its parent.
    pub input_request: String,
    /// The routing identities of the front end that sent the cell, and was asked.
    pub client: Vec<Bytes>,
}

/// What an `input_reply` says about whom it answers.
#[derive(Debug, Default)]
pub struct Answer<'a> {
    /// The msg_id in its parent header, if any.
    pub parent: Option<&'a str>,
    /// The `subshell_id` in its header, if the key is there (`Some(None)`: the main shell).
    pub subshell: Option<Option<&'a str>>,
    /// The routing identities it came from.
    pub client: &'a [Bytes],
}

struct Pending {
    asker: Asker,
    tx: mpsc::Sender<Option<String>>,
}

/// One pending input request.
pub struct InputWaiter {
    rx: mpsc::Receiver<Option<String>>,
}

impl StdinBridge {
    fn pending(&self) -> std::sync::MutexGuard<'_, Vec<Pending>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a waiter before its request goes out; one a subshell left behind is dropped.
    pub fn begin(&self, asker: Asker) -> InputWaiter {
        let (tx, rx) = mpsc::channel();
        let mut pending = self.pending();
        pending.retain(|p| p.asker.subshell != asker.subshell);
        pending.push(Pending { asker, tx });
        InputWaiter { rx }
    }

    /// Delivers a reply to the request it answers: the one its parent header names, else the
    /// oldest of the subshell its header names, else the oldest asked of the front end it came
    /// from. A reply that answers no pending request is dropped: a front end cannot answer
    /// another's question.
    pub fn deliver(&self, answer: &Answer<'_>, value: String) {
        let mut pending = self.pending();
        let by_parent = answer
            .parent
            .and_then(|id| pending.iter().position(|p| p.asker.input_request == id));
        let at = by_parent.or_else(|| match answer.subshell {
            Some(sub) => pending.iter().position(|p| {
                p.asker.subshell.as_deref() == sub && p.asker.client == answer.client
            }),
            None => pending.iter().position(|p| p.asker.client == answer.client),
        });
        match at {
            Some(at) => {
                let _ = pending.remove(at).tx.send(Some(value));
            }
            None => tracing::warn!(
                parent = answer.parent,
                "input_reply that answers no pending input request of its front end: dropped"
            ),
        }
    }

    /// Wakes every waiter with no value (interrupt and shutdown are kernel-wide).
    pub fn cancel(&self) {
        for p in self.pending().drain(..) {
            let _ = p.tx.send(None);
        }
    }
}

impl InputWaiter {
    /// Blocks until the reply (Some) or a cancellation (None).
    pub fn wait(self) -> Option<String> {
        loop {
            match self.rx.recv_timeout(Duration::from_secs(3600)) {
                Ok(v) => return v,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asker(sub: Option<&str>, id: &str, client: &'static [u8]) -> Asker {
        Asker {
            subshell: sub.map(str::to_owned),
            input_request: id.to_owned(),
            client: vec![Bytes::from_static(client)],
        }
    }

    #[test]
    fn replies_go_to_their_own_waiter() {
        let bridge = StdinBridge::default();
        let main = bridge.begin(asker(None, "r-main", b"a"));
        let sub = bridge.begin(asker(Some("s"), "r-sub", b"a"));
        let other = bridge.begin(asker(Some("t"), "r-other", b"b"));
        let a = [Bytes::from_static(b"a")];
        let b = [Bytes::from_static(b"b")];
        let c = [Bytes::from_static(b"c")];
        // A front end that was asked nothing answers nothing.
        bridge.deliver(
            &Answer {
                client: &c,
                ..Answer::default()
            },
            "stray".into(),
        );
        // By parent, whoever the parent's front end.
        let by_parent = Answer {
            parent: Some("r-sub"),
            subshell: None,
            client: &a,
        };
        bridge.deliver(&by_parent, "to sub".into());
        // By subshell id: null is the main shell.
        let main_answer = Answer {
            parent: None,
            subshell: Some(None),
            client: &a,
        };
        bridge.deliver(&main_answer, "to main".into());
        // By front end alone.
        bridge.deliver(
            &Answer {
                client: &b,
                ..Answer::default()
            },
            "to other".into(),
        );
        assert_eq!(sub.wait().as_deref(), Some("to sub"));
        assert_eq!(main.wait().as_deref(), Some("to main"));
        assert_eq!(other.wait().as_deref(), Some("to other"));
    }

    #[test]
    fn cancel_wakes_every_waiter() {
        let bridge = StdinBridge::default();
        let one = bridge.begin(asker(None, "1", b"a"));
        let two = bridge.begin(asker(Some("s"), "2", b"b"));
        bridge.cancel();
        assert_eq!((one.wait(), two.wait()), (None, None));
    }
}
