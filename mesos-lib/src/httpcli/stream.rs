//! `EventStream<T>`: a streaming response body decoded from RecordIO into typed events.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::pin::Pin;

use futures::{Stream, StreamExt};
use serde::de::DeserializeOwned;

use super::error::HttpError;
use crate::recordio::Decoder;

type Body = Pin<Box<dyn Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>;

/// Typed events read from a RecordIO response body, whatever its chunking.
pub struct EventStream<T> {
    body: Body,
    decoder: Decoder,
    ready: VecDeque<Vec<u8>>,
    url: String,
    _event: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for EventStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("url", &self.url)
            .finish()
    }
}

impl<T: DeserializeOwned> EventStream<T> {
    /// Decodes `response`'s body, refusing records above `max_record_size` bytes.
    pub fn new(response: reqwest::Response, max_record_size: usize) -> Self {
        Self {
            url: response.url().to_string(),
            body: Box::pin(response.bytes_stream()),
            decoder: Decoder::with_max_record_size(max_record_size),
            ready: VecDeque::new(),
            _event: PhantomData,
        }
    }

    /// The next event; `None` when the server closed the stream cleanly.
    pub async fn next(&mut self) -> Option<Result<T, HttpError>> {
        loop {
            if let Some(record) = self.ready.pop_front() {
                return Some(
                    serde_json::from_slice(&record).map_err(|source| HttpError::Decode {
                        what: "event".into(),
                        source,
                    }),
                );
            }
            match self.body.next().await {
                Some(Ok(chunk)) => {
                    let mut out = Vec::new();
                    let res = self.decoder.decode_into(&chunk, &mut out);
                    self.ready.extend(out);
                    if let Err(e) = res
                        && self.ready.is_empty()
                    {
                        return Some(Err(e.into()));
                    }
                }
                Some(Err(e)) => {
                    return Some(Err(HttpError::Transport {
                        url: self.url.clone(),
                        source: e.without_url(),
                    }));
                }
                None => return self.decoder.finish().err().map(|e| Err(e.into())),
            }
        }
    }
}
