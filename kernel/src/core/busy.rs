//! How many shells are between busy and idle right now, across the main shell and subshells.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The count of busy shells; clones share it.
#[derive(Clone, Debug, Default)]
pub struct BusyShells(Arc<AtomicUsize>);

/// One shell counted busy until dropped.
#[derive(Debug)]
pub struct Busy(Arc<AtomicUsize>);

impl BusyShells {
    /// Counts a shell busy for as long as the guard lives.
    pub fn enter(&self) -> Busy {
        self.0.fetch_add(1, Ordering::SeqCst);
        Busy(Arc::clone(&self.0))
    }

    /// Whether any shell is busy.
    pub fn any(&self) -> bool {
        self.0.load(Ordering::SeqCst) > 0
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_while_guards_live() {
        let busy = BusyShells::default();
        assert!(!busy.any());
        let one = busy.enter();
        let two = busy.enter();
        drop(one);
        assert!(busy.any());
        drop(two);
        assert!(!busy.any());
    }
}
