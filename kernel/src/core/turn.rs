//! The engine turn: cells that need the one language engine (Rust cells) take turns at it,
//! whichever subshell sent them; a cell that has to wait is told whose cell it waits behind.

use super::output::CellOutput;
use crate::protocol::content::StreamName;
use std::sync::{Arc, Mutex};
use tokio::sync::{Notify, OwnedMutexGuard};

/// Who may use the engine now; clones share it.
#[derive(Clone, Default)]
pub struct EngineTurn {
    lock: Arc<tokio::sync::Mutex<()>>,
    /// What holds the turn, for the waiting message ("the main shell's cell [3]").
    holder: Arc<Mutex<String>>,
    /// Wakes every waiter on an interrupt.
    interrupt: Arc<Notify>,
}

/// The engine is this cell's until dropped.
pub struct Turn {
    _guard: OwnedMutexGuard<()>,
}

impl EngineTurn {
    /// Waits for the engine's turn for `who`, saying on `out` what it waits behind when it
    /// has to wait. `None` if an interrupt came while waiting.
    pub async fn take(&self, who: String, out: &CellOutput) -> Option<Turn> {
        let guard = match Arc::clone(&self.lock).try_lock_owned() {
            Ok(g) => g,
            Err(_) => {
                let interrupted = self.interrupt.notified();
                let holder = self
                    .holder
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone();
                out.stream(
                    StreamName::Stderr,
                    &format!(
                        "waiting for the Rust engine: it is running {holder}; this cell starts when that one ends (magics do not wait)\n"
                    ),
                );
                tokio::select! {
                    g = Arc::clone(&self.lock).lock_owned() => g,
                    () = interrupted => return None,
                }
            }
        };
        *self.holder.lock().unwrap_or_else(|e| e.into_inner()) = who;
        Some(Turn { _guard: guard })
    }

    /// Stops every cell waiting for its turn (an interrupt is kernel-wide).
    pub fn interrupt(&self) {
        self.interrupt.notify_waiters();
    }
}
