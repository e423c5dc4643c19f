//! Inbound channels from the sockets to the core, each message numbered in arrival order.
//!
//! The number lets the core tell what reached the kernel before a moment from what came after:
//! stop-on-error aborts only the executes that had arrived before the error was reported, never
//! one a client sent after it saw the error, however late the core got to read it.

use bytes::Bytes;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;

/// One inbound multipart message and its place in its channel's arrival order.
#[derive(Debug)]
pub struct Received {
    /// 0 for the channel's first message, then 1, 2, …
    pub arrival: u64,
    /// The frames, identities first.
    pub frames: Vec<Bytes>,
}

/// A channel's arrival count; clones share it.
#[derive(Clone, Debug, Default)]
pub struct Arrivals(Arc<AtomicU64>);

impl Arrivals {
    /// How many messages have arrived so far: every message numbered below it arrived before now.
    pub fn so_far(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }

    fn next(&self) -> u64 {
        self.0.fetch_add(1, Ordering::SeqCst)
    }
}

/// The socket's end of an inbound channel: numbers each message as it hands it on.
#[derive(Debug)]
pub struct FrameSink {
    tx: mpsc::UnboundedSender<Received>,
    arrivals: Arrivals,
}

/// The core is gone: nothing reads the channel any more.
#[derive(Debug, thiserror::Error)]
#[error("the inbound channel is closed")]
pub struct Closed;

impl FrameSink {
    /// Numbers `frames` and queues them for the core.
    pub fn send(&self, frames: Vec<Bytes>) -> Result<(), Closed> {
        // Numbered before it is queued: a count read afterwards covers it.
        let arrival = self.arrivals.next();
        self.tx
            .send(Received { arrival, frames })
            .map_err(|_| Closed)
    }
}

/// The core's end of an inbound channel.
#[derive(Debug)]
pub struct FrameRx {
    rx: mpsc::UnboundedReceiver<Received>,
    arrivals: Arrivals,
}

impl FrameRx {
    /// The next message, in arrival order; `None` once the socket side is gone.
    pub async fn recv(&mut self) -> Option<Received> {
        self.rx.recv().await
    }

    /// The channel's arrival count, to read while others consume the channel.
    pub fn arrivals(&self) -> Arrivals {
        self.arrivals.clone()
    }
}

/// A new inbound channel.
pub fn channel() -> (FrameSink, FrameRx) {
    let (tx, rx) = mpsc::unbounded_channel();
    let arrivals = Arrivals::default();
    (
        FrameSink {
            tx,
            arrivals: arrivals.clone(),
        },
        FrameRx { rx, arrivals },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn messages_are_numbered_in_arrival_order_and_counted_before_they_are_read() {
        let (sink, mut rx) = channel();
        let arrivals = rx.arrivals();
        assert_eq!(arrivals.so_far(), 0);
        sink.send(vec![Bytes::from_static(b"a")]).unwrap();
        sink.send(vec![Bytes::from_static(b"b")]).unwrap();
        assert_eq!(arrivals.so_far(), 2, "counted on arrival, not on reading");
        let first = rx.recv().await.unwrap();
        let second = rx.recv().await.unwrap();
        assert_eq!((first.arrival, second.arrival), (0, 1));
        assert_eq!(second.frames, vec![Bytes::from_static(b"b")]);
        drop(rx);
        assert!(sink.send(vec![]).is_err());
    }
}
