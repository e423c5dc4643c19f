//! The session's live views: displays that keep updating after their cell returned
//! (`%tasks --live` …). The session keeps the list so `%live`, `%teardown`, `%local stop` and
//! kernel shutdown can stop them; what updates a view lives with the magics.

use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio_util::sync::CancellationToken;

/// One running live view.
#[derive(Debug, Clone)]
pub struct LiveView {
    /// Small number the user types in `%live stop ID`.
    pub id: u32,
    /// The magic line it re-runs, as typed.
    pub what: String,
    /// When it started.
    pub started: Instant,
    /// How many updates it has sent.
    pub updates: Arc<std::sync::atomic::AtomicU64>,
    cancel: CancellationToken,
}

#[derive(Debug, Default)]
struct Inner {
    next: u32,
    views: Vec<LiveView>,
}

/// The live views of a session; clones share them.
#[derive(Debug, Clone, Default)]
pub struct LiveViews {
    inner: Arc<Mutex<Inner>>,
}

impl LiveViews {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a view re-running `what`; it runs until `cancel` is cancelled.
    pub fn add(&self, what: &str, cancel: CancellationToken) -> LiveView {
        let mut inner = self.lock();
        inner.next += 1;
        let view = LiveView {
            id: inner.next,
            what: what.to_owned(),
            started: Instant::now(),
            updates: Arc::default(),
            cancel,
        };
        inner.views.push(view.clone());
        view
    }

    /// Forgets a view that ended by itself.
    pub fn remove(&self, id: u32) {
        self.lock().views.retain(|v| v.id != id);
    }

    /// Stops one view; false if there is none with that id.
    pub fn stop(&self, id: u32) -> bool {
        let mut inner = self.lock();
        let Some(at) = inner.views.iter().position(|v| v.id == id) else {
            return false;
        };
        inner.views.remove(at).cancel.cancel();
        true
    }

    /// Stops every view; returns how many there were.
    pub fn stop_all(&self) -> usize {
        let views = std::mem::take(&mut self.lock().views);
        for v in &views {
            v.cancel.cancel();
        }
        views.len()
    }

    /// The running views, oldest first.
    pub fn list(&self) -> Vec<LiveView> {
        self.lock().views.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_are_numbered_stopped_one_by_one_or_all_at_once() {
        let live = LiveViews::default();
        let (a, b) = (CancellationToken::new(), CancellationToken::new());
        let va = live.add("%tasks", a.clone());
        let vb = live.add("%agents", b.clone());
        assert_eq!((va.id, vb.id), (1, 2));
        assert!(live.stop(1) && a.is_cancelled() && !b.is_cancelled());
        assert!(!live.stop(1));
        assert_eq!(live.list().len(), 1);
        assert_eq!(live.stop_all(), 1);
        assert!(b.is_cancelled() && live.list().is_empty());
    }
}
