//! Waiting on the book: every change bumps a watch channel, so a waiter re-checks its
//! condition after each change and never misses one (no polling, no sleeps).

use std::time::Duration;

use super::book::Book;
use super::session::Shared;

/// Returns `f`'s first `Some` over the book's successive states, or `None` after `timeout`.
pub(crate) async fn until<R>(
    shared: &Shared,
    timeout: Duration,
    mut f: impl FnMut(&Book) -> Option<R>,
) -> Option<R> {
    // Subscribe before the first check so a change in between is not lost.
    let mut rx = shared.changed.subscribe();
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(r) = shared.read(&mut f) {
            return Some(r);
        }
        match tokio::time::timeout_at(deadline, rx.changed()).await {
            Ok(Ok(())) => continue,
            // The sender lives in `shared`, so it cannot be dropped while we hold it.
            Ok(Err(_)) | Err(_) => return shared.read(&mut f),
        }
    }
}
