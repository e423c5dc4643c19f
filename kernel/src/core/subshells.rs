//! Kernel subshells (JEP 91, messaging 5.5): one request queue per subshell, each served by
//! its own shell task, and the router that sends each shell request to the queue its header's
//! `subshell_id` names (none: the main shell).

use super::Shared;
use super::outbox::ReplyChannel;
use super::{decode, kernel_info_reply};
use crate::protocol::content::{ErrorContent, ExecutionState, Request};
use crate::protocol::message::Message;
use crate::protocol::outgoing::{Outcome, Outgoing};
use crate::transport::{FrameRx, Received};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::mpsc;

/// A decoded shell request on its way to the shell that serves it.
#[derive(Debug)]
pub struct Queued {
    /// The request as it came.
    pub msg: Message,
    /// Its typed content.
    pub req: Request,
    /// Its number in the shell channel's arrival order.
    pub arrival: u64,
}
/// The sending end of one shell's queue.
pub type Queue = mpsc::UnboundedSender<Queued>;
/// The receiving end a shell task serves.
pub type QueueRx = mpsc::UnboundedReceiver<Queued>;
/// Starts a shell task for a subshell id (`None`: the main shell) and returns its queue.
pub type Spawner = Box<dyn Fn(Option<String>) -> Queue + Send + Sync>;

/// A `delete_subshell_request` for an id that is not (or no longer) a subshell.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("no subshell with id {0:?} (list_subshell_request lists them)")]
pub struct UnknownSubshell(pub String);

/// The kernel's shells: the main one and the child subshells, in creation order.
#[derive(Clone, Default)]
pub struct Subshells {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    spawner: OnceLock<Spawner>,
    main: OnceLock<Queue>,
    children: Mutex<Vec<(String, Queue)>>,
}

impl Subshells {
    /// Starts the main shell; `spawner` starts the task of every later subshell too.
    pub fn start(&self, spawner: Spawner) {
        let main = spawner(None);
        let _ = self.inner.main.set(main);
        let _ = self.inner.spawner.set(spawner);
    }

    fn children(&self) -> std::sync::MutexGuard<'_, Vec<(String, Queue)>> {
        self.inner
            .children
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Creates a subshell with a fresh id and starts its task.
    pub fn create(&self) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        let spawner = self.inner.spawner.get().expect("shells started");
        let queue = spawner(Some(id.clone()));
        self.children().push((id.clone(), queue));
        id
    }

    /// Deletes a subshell: it finishes what is already queued, then its task ends.
    pub fn delete(&self, id: &str) -> Result<(), UnknownSubshell> {
        let mut children = self.children();
        let at = children
            .iter()
            .position(|(c, _)| c == id)
            .ok_or_else(|| UnknownSubshell(id.to_owned()))?;
        children.remove(at);
        Ok(())
    }

    /// The child subshells' ids, oldest first (the main shell is not listed).
    pub fn list(&self) -> Vec<String> {
        self.children().iter().map(|(id, _)| id.clone()).collect()
    }

    /// The queue of subshell `id` (`None`: the main shell).
    fn queue(&self, id: Option<&str>) -> Option<Queue> {
        match id {
            None => self.inner.main.get().cloned(),
            Some(id) => self
                .children()
                .iter()
                .find(|(c, _)| c == id)
                .map(|(_, q)| q.clone()),
        }
    }
}

/// The subshell a request names in its header; absent or null means the main shell.
pub fn subshell_of(msg: &Message) -> Result<Option<&str>, &Value> {
    match msg.header.extra.get("subshell_id") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(id)) => Ok(Some(id)),
        Some(other) => Err(other),
    }
}

/// Reads shell frames, decodes each once and queues it on the shell its header names.
pub async fn route(mut rx: FrameRx, shared: Shared) {
    while let Some(Received { arrival, frames }) = rx.recv().await {
        let Some((msg, req)) = decode(frames, &shared.signer, "shell") else {
            continue;
        };
        if let Request::KernelInfo = req {
            // Facts that never change: answered at once, even while the shell it names is busy,
            // so a new front end (a subshell console, a second tab) does not sit "connecting"
            // until a long cell ends, as ipykernel's users see it.
            kernel_info_at_once(&shared, &msg).await;
            continue;
        }
        let queue = match subshell_of(&msg) {
            Ok(id) => shared.subshells.queue(id).ok_or_else(|| json!(id)),
            Err(bad) => Err(bad.clone()),
        };
        match queue {
            Ok(q) => {
                if let Err(mpsc::error::SendError(Queued { msg, .. })) =
                    q.send(Queued { msg, req, arrival })
                {
                    // Deleted between lookup and send: as unknown.
                    let id = subshell_of(&msg).ok().flatten().map(str::to_owned);
                    unknown(&shared, &msg, &json!(id)).await;
                }
            }
            Err(id) => unknown(&shared, &msg, &id).await,
        }
    }
}

/// When the idle of a kernel_info answered while a shell is busy is published again.
const IDLE_AGAIN_AFTER: [Duration; 4] = [
    Duration::from_millis(250),
    Duration::from_secs(1),
    Duration::from_secs(3),
    Duration::from_secs(10),
];

/// Answers a shell `kernel_info_request` outside every queue, between busy and idle.
///
/// While a shell is busy, jupyter_server does not nudge a new connection (it assumes
/// kernel_info waits behind the cell, as in ipykernel), so this answer can beat the new
/// connection's IOPub subscription, and JupyterLab waits for the lost idle forever. The idle is
/// then published again a few times: extra idles of a kernel_info are ignored by every client
/// (jupyter_server and JupyterLab do not track kernel_info's status; a finished request's
/// status is dropped), and one of them reaches the late subscriber.
async fn kernel_info_at_once(shared: &Shared, msg: &Message) {
    shared
        .outbox
        .status(ExecutionState::Busy, Some(&msg.header));
    let content = Outgoing::KernelInfoReply(Box::new(kernel_info_reply(&shared.info)));
    shared.outbox.reply(ReplyChannel::Shell, msg, content).await;
    shared
        .outbox
        .status(ExecutionState::Idle, Some(&msg.header));
    if shared.busy.any() {
        let outbox = shared.outbox.clone();
        let parent = msg.header.clone();
        tokio::spawn(async move {
            for pause in IDLE_AGAIN_AFTER {
                tokio::time::sleep(pause).await;
                outbox.status(ExecutionState::Idle, Some(&parent));
            }
        });
    }
}

/// Answers a request for a subshell that does not exist with an error reply (JEP 91: "use of
/// a subshell_id that is not recognised will raise an error"), between busy and idle.
async fn unknown(shared: &Shared, msg: &Message, id: &Value) {
    tracing::warn!(msg_type = msg.msg_type(), subshell_id = %id, "request for an unknown subshell");
    shared
        .outbox
        .status(ExecutionState::Busy, Some(&msg.header));
    let evalue = format!("no subshell with id {id} (it was deleted, or never created)");
    let content = Outgoing::ErrorReply {
        reply_type: Request::reply_type(msg.msg_type()),
        error: Outcome::Error(ErrorContent {
            ename: "UnknownSubshell".into(),
            traceback: vec![format!("UnknownSubshell: {evalue}")],
            evalue,
        }),
    };
    shared.outbox.reply(ReplyChannel::Shell, msg, content).await;
    shared
        .outbox
        .status(ExecutionState::Idle, Some(&msg.header));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spawner() -> Spawner {
        Box::new(|_| mpsc::unbounded_channel().0)
    }

    #[test]
    fn subshells_are_listed_in_creation_order_and_deleted_once() {
        let s = Subshells::default();
        s.start(spawner());
        let a = s.create();
        let b = s.create();
        assert_ne!(a, b);
        assert_eq!(s.list(), vec![a.clone(), b.clone()]);
        assert!(s.queue(Some(&a)).is_some() && s.queue(None).is_some());
        assert_eq!(s.delete(&a), Ok(()));
        assert_eq!(s.delete(&a), Err(UnknownSubshell(a.clone())));
        assert!(s.queue(Some(&a)).is_none());
        assert_eq!(s.list(), vec![b]);
    }
}
