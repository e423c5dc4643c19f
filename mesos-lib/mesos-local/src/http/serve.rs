//! The accept loop of every master and agent listener: HTTP/1.1 only, as libprocess, with
//! TCP_NODELAY and flushes aggregated across pipelined requests.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tower_service::Service;

/// Serves `router` on `listener` until `stop`: the port then closes, and each open connection
/// ends once its answer in progress is written (event streams end when the master closes
/// them).
pub(crate) fn until(
    listener: TcpListener,
    router: axum::Router,
    stop: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                _ = stop.cancelled() => break,
                accepted = listener.accept() => accepted,
            };
            match accepted {
                Ok((tcp, peer)) => {
                    tokio::spawn(connection(tcp, peer, router.clone(), stop.clone()));
                }
                Err(e) if per_connection(&e) => {}
                Err(e) => {
                    // Out of descriptors or memory: retrying at once would spin.
                    tracing::warn!("accept failed: {e}; retrying in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    })
}

/// Errors of one incoming connection, which the listener survives as it is.
fn per_connection(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset | Interrupted
    )
}

/// Serves one connection, handing the peer's address to handlers as axum's `ConnectInfo`.
async fn connection(
    tcp: TcpStream,
    peer: SocketAddr,
    router: axum::Router,
    stop: CancellationToken,
) {
    // Without TCP_NODELAY, Nagle holds back every small answer written while an earlier one
    // is unacknowledged: pipelined calls and event streams then wait on delayed ACKs.
    let _ = tcp.set_nodelay(true);
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        let mut router = router.clone();
        async move { router.call(req).await }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        // A scheduler pipelines its acknowledgements: answer a batch with one write, not one
        // write (and TCP segment) per 202.
        .pipeline_flush(true)
        .serve_connection(TokioIo::new(tcp), service);
    tokio::pin!(conn);
    let result = tokio::select! {
        result = conn.as_mut() => result,
        _ = stop.cancelled() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        tracing::trace!("connection from {peer}: {e}");
    }
}
