//! Hands `input_reply` values from the stdin channel to the thread waiting for them.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Shared between the stdin receive loop and cells that wait for input.
#[derive(Clone, Default)]
pub struct StdinBridge {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    waiting: Option<mpsc::Sender<Option<String>>>,
}

/// One pending input request.
pub struct InputWaiter {
    rx: mpsc::Receiver<Option<String>>,
}

impl StdinBridge {
    /// Registers a waiter; a stale reply that arrives before is dropped, not given to it.
    pub fn begin(&self) -> InputWaiter {
        let (tx, rx) = mpsc::channel();
        self.state.lock().expect("stdin state").waiting = Some(tx);
        InputWaiter { rx }
    }

    /// Delivers a reply to the current waiter, if any.
    pub fn deliver(&self, value: String) {
        match self.state.lock().expect("stdin state").waiting.take() {
            Some(tx) => {
                let _ = tx.send(Some(value));
            }
            None => tracing::warn!("input_reply with no pending input request: dropped"),
        }
    }

    /// Wakes the waiter with no value (interrupt, shutdown).
    pub fn cancel(&self) {
        if let Some(tx) = self.state.lock().expect("stdin state").waiting.take() {
            let _ = tx.send(None);
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
