//! ZeroMQ transport: binds the five sockets and moves raw frames in and out.
//!
//! The kernel core never sees a socket: it reads frames from channels and writes frames to
//! channels; this module pumps them to and from ZeroMQ. Heartbeat is answered here, on its own
//! task, so a busy cell can never delay it.

pub mod inbound;

use crate::protocol::connection::{Channel, ConnectionInfo};
use bytes::Bytes;
pub use inbound::{Arrivals, FrameRx, FrameSink, Received};
use tokio::sync::{mpsc, oneshot};
use zeromq::{PubSocket, RepSocket, RouterSocket, Socket, SocketRecv, SocketSend, ZmqMessage};

/// Frames queued for sending, with an optional notification once ZeroMQ has taken them.
pub struct Outbound {
    /// The multipart message, identities first.
    pub frames: Vec<Bytes>,
    /// Fired after the send (successful or not) so callers can order replies before idle.
    pub sent: Option<oneshot::Sender<()>>,
}

/// Sender of outbound frames for one channel.
pub type FrameTx = mpsc::UnboundedSender<Outbound>;

/// The kernel-facing ends of the bound sockets.
pub struct Endpoints {
    /// Inbound shell requests.
    pub shell_rx: FrameRx,
    /// Inbound control requests.
    pub control_rx: FrameRx,
    /// Inbound stdin replies.
    pub stdin_rx: FrameRx,
    /// Outbound shell replies.
    pub shell_tx: FrameTx,
    /// Outbound control replies.
    pub control_tx: FrameTx,
    /// Outbound stdin requests.
    pub stdin_tx: FrameTx,
    /// Outbound IOPub messages.
    pub iopub_tx: FrameTx,
}

/// Binds every socket named in the connection file and starts the pumps.
pub async fn bind(info: &ConnectionInfo) -> anyhow::Result<Endpoints> {
    let (shell_rx, shell_tx) = router(info, Channel::Shell).await?;
    let (control_rx, control_tx) = router(info, Channel::Control).await?;
    let (stdin_rx, stdin_tx) = router(info, Channel::Stdin).await?;
    let iopub_tx = publisher(info).await?;
    heartbeat(info).await?;
    Ok(Endpoints {
        shell_rx,
        control_rx,
        stdin_rx,
        shell_tx,
        control_tx,
        stdin_tx,
        iopub_tx,
    })
}

async fn router(info: &ConnectionInfo, channel: Channel) -> anyhow::Result<(FrameRx, FrameTx)> {
    let endpoint = info.endpoint(channel);
    let mut socket = RouterSocket::new();
    socket
        .bind(&endpoint)
        .await
        .map_err(|e| anyhow::anyhow!("cannot bind {channel:?} on {endpoint}: {e}"))?;
    tracing::debug!(?channel, %endpoint, "bound");
    let (mut send, mut recv) = socket.split();
    let (in_tx, in_rx) = inbound::channel();
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Outbound>();
    tokio::spawn(async move {
        loop {
            match recv.recv().await {
                Ok(msg) => {
                    if in_tx.send(msg.into_vec()).is_err() {
                        break;
                    }
                }
                Err(zeromq::ZmqError::NoMessage) => break,
                // One peer's bad frames must never end the loop.
                Err(e) => tracing::warn!(?channel, "receive error: {e}"),
            }
        }
        tracing::debug!(?channel, "receive loop ended");
    });
    tokio::spawn(async move {
        while let Some(out) = out_rx.recv().await {
            match ZmqMessage::try_from(out.frames) {
                Ok(msg) => {
                    // A peer that went away is not our failure: log and go on.
                    if let Err(e) = send.send(msg).await {
                        tracing::warn!(?channel, "send failed: {e}");
                    }
                }
                Err(_) => tracing::warn!(?channel, "refusing to send an empty message"),
            }
            if let Some(done) = out.sent {
                let _ = done.send(());
            }
        }
    });
    Ok((in_rx, out_tx))
}

async fn publisher(info: &ConnectionInfo) -> anyhow::Result<FrameTx> {
    let endpoint = info.endpoint(Channel::Iopub);
    let mut socket = PubSocket::new();
    socket
        .bind(&endpoint)
        .await
        .map_err(|e| anyhow::anyhow!("cannot bind iopub on {endpoint}: {e}"))?;
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Outbound>();
    tokio::spawn(async move {
        while let Some(out) = out_rx.recv().await {
            if let Ok(msg) = ZmqMessage::try_from(out.frames)
                && let Err(e) = socket.send(msg).await
            {
                tracing::warn!("iopub send failed: {e}");
            }
            if let Some(done) = out.sent {
                let _ = done.send(());
            }
        }
    });
    Ok(out_tx)
}

async fn heartbeat(info: &ConnectionInfo) -> anyhow::Result<()> {
    let endpoint = info.endpoint(Channel::Heartbeat);
    let mut socket = RepSocket::new();
    socket
        .bind(&endpoint)
        .await
        .map_err(|e| anyhow::anyhow!("cannot bind heartbeat on {endpoint}: {e}"))?;
    tokio::spawn(async move {
        loop {
            match socket.recv().await {
                // Echo the bytes unchanged: that is the whole heartbeat protocol.
                Ok(msg) => {
                    if let Err(e) = socket.send(msg).await {
                        tracing::warn!("heartbeat echo failed: {e}");
                    }
                }
                Err(zeromq::ZmqError::NoMessage) => break,
                Err(e) => tracing::warn!("heartbeat receive error: {e}"),
            }
        }
    });
    Ok(())
}
