//! RecordIO event streams: an unbounded channel of records turned into a chunked body that
//! tells its owner when the client went away.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use futures::Stream;
use serde::Serialize;
use tokio::sync::mpsc;

/// Frames one JSON message (a typed v1 event or a `Value`) as a RecordIO record:
/// `<length>\n<bytes>`.
pub(crate) fn record<T: Serialize + ?Sized>(value: &T) -> Bytes {
    // Only string-keyed maps and plain data are serialized here, which cannot fail.
    let data = serde_json::to_string(value).expect("events serialize to JSON");
    Bytes::from(format!("{}\n{}", data.len(), data))
}

/// The sending side of an event stream; dropping every clone ends the HTTP response.
#[derive(Clone, Debug)]
pub(crate) struct EventSender {
    tx: mpsc::UnboundedSender<Bytes>,
}

impl EventSender {
    /// Sends one event; false when the client is gone.
    pub(crate) fn send<T: Serialize + ?Sized>(&self, event: &T) -> bool {
        self.tx.send(record(event)).is_ok()
    }

    /// A handle that does not keep the stream open (for periodic events such as heartbeats).
    pub(crate) fn downgrade(&self) -> WeakEventSender {
        WeakEventSender {
            tx: self.tx.downgrade(),
        }
    }
}

/// An event stream's sender that lets it end once its owners drop theirs.
#[derive(Clone, Debug)]
pub(crate) struct WeakEventSender {
    tx: mpsc::WeakUnboundedSender<Bytes>,
}

impl WeakEventSender {
    /// Sends one event; false when the stream ended or the client is gone.
    pub(crate) fn send<T: Serialize + ?Sized>(&self, event: &T) -> bool {
        self.tx
            .upgrade()
            .is_some_and(|tx| tx.send(record(event)).is_ok())
    }
}

/// A response body over an event channel that runs `on_drop` when hyper drops it, i.e.
/// when the connection closes or the stream ended.
struct EventBody {
    rx: mpsc::UnboundedReceiver<Bytes>,
    on_drop: Option<Box<dyn FnOnce() + Send>>,
}

impl Stream for EventBody {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx).map(|o| o.map(Ok))
    }
}

impl Drop for EventBody {
    fn drop(&mut self) {
        if let Some(f) = self.on_drop.take() {
            f();
        }
    }
}

/// Builds a 200 streaming response (`Content-Type: application/json`, chunked) and the
/// sender feeding it. `on_drop` runs once the body is gone.
pub(crate) fn event_stream_response(
    stream_id: Option<&str>,
    on_drop: impl FnOnce() + Send + 'static,
) -> (Response, EventSender) {
    let (tx, rx) = mpsc::unbounded_channel();
    let body = EventBody {
        rx,
        on_drop: Some(Box::new(on_drop)),
    };
    let mut resp = Response::new(Body::from_stream(body));
    if let Some(id) = stream_id
        && let Ok(v) = HeaderValue::from_str(id)
    {
        resp.headers_mut().insert("Mesos-Stream-Id", v);
    }
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(super::APPLICATION_JSON),
    );
    (resp, EventSender { tx })
}
