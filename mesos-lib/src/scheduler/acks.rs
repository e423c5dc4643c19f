//! Automatic acknowledgements: the stream task queues them, and one task sends them in
//! batches, pipelined on a few keep-alive connections (`httpcli::Pipeline`), so an ACKNOWLEDGE
//! costs neither a task nor a round trip of its own. An answer other than 2xx, no answer, and
//! every call to an `https` master go through the ordinary call path instead (redirects, 503
//! retries, 403 kicks); a failure there is counted, and the agent re-sends the update.

use std::sync::Arc;

use bytes::Bytes;
use futures::future::join_all;
use tokio::sync::mpsc;

use super::session::Shared;
use crate::httpcli::{Pipeline, SCHEDULER_PATH};
use crate::v1::scheduler::Call;

/// Connections acknowledgements are spread over: the master answers each one in order, so
/// more than one lets it work on several at once.
const CONNECTIONS: usize = 2;
/// Acknowledgements sent in one batch at most.
const MAX_BATCH: usize = 512;
/// Below this, a batch goes on one connection: splitting it would cost more than it saves.
const MIN_PER_CONNECTION: usize = 16;

/// Sends queued acknowledgements until the session is cancelled or the queue closes.
pub(crate) async fn run(shared: Arc<Shared>, mut queue: mpsc::UnboundedReceiver<Call>) {
    let mut pipes: Vec<Pipeline> = (0..CONNECTIONS)
        .map(|_| Pipeline::new(&shared.cfg.http))
        .collect();
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        let first = tokio::select! {
            _ = shared.cancel.cancelled() => break,
            call = queue.recv() => match call {
                Some(c) => c,
                None => break,
            },
        };
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(c) => batch.push(c),
                Err(_) => break,
            }
        }
        let (sent, failed) = send_batch(&shared, &mut pipes, &batch).await;
        batch.clear();
        shared.update(|b| {
            b.acks_sent += sent;
            b.ack_failures += failed;
        });
    }
}

/// Sends one batch; returns how many were accepted and how many failed.
async fn send_batch(shared: &Shared, pipes: &mut [Pipeline], batch: &[Call]) -> (u64, u64) {
    let mut answers: Vec<Option<u16>> = vec![None; batch.len()];
    if let Ok((base, sid)) = shared.target()
        && Pipeline::supports(&base)
    {
        let bodies: Vec<Bytes> = batch
            .iter()
            .map(|c| serde_json::to_vec(c).map(Bytes::from).unwrap_or_default())
            .collect();
        let per = batch.len().div_ceil(pipes.len()).max(MIN_PER_CONNECTION);
        let sends = pipes
            .iter_mut()
            .zip(bodies.chunks(per))
            .map(|(p, chunk)| p.post_all(&base, SCHEDULER_PATH, Some(&sid), chunk));
        let results = join_all(sends).await;
        answers = results.into_iter().flatten().collect();
    }
    let mut sent = 0;
    let mut retry = Vec::new();
    for (call, answer) in batch.iter().zip(&answers) {
        match answer {
            Some(s) if (200..300).contains(s) => sent += 1,
            _ => retry.push(call),
        }
    }
    // The ordinary path, one call each: it follows redirects, retries 503s and kicks on 403.
    let outcomes = join_all(retry.iter().map(|c| shared.send(c))).await;
    let mut failed = 0;
    for outcome in outcomes {
        match outcome {
            Ok(()) => sent += 1,
            Err(e) => {
                tracing::debug!(error = %e, "acknowledgement failed; the agent will re-send");
                failed += 1;
            }
        }
    }
    (sent, failed)
}
