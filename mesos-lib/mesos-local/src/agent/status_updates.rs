//! The agent's status update manager: one queue per task; only the head is in flight, it is
//! re-sent until acknowledged, and the next update goes out only after that.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::stored_status::StoredStatus;
use mesos_lib::v1::{TaskState, TaskStatus};

/// One status update as it travels to the master: the status its event carries and the text
/// the agent and the master both keep. Shared, never copied, however often re-sent.
#[derive(Clone, Debug)]
pub(crate) struct Update {
    pub status: Arc<TaskStatus>,
    pub stored: StoredStatus,
}

impl Update {
    /// An update of `status`.
    pub(crate) fn new(status: TaskStatus) -> Update {
        Update {
            stored: StoredStatus::new(&status),
            status: Arc::new(status),
        }
    }

    /// The state the update reports.
    pub(crate) fn state(&self) -> &TaskState {
        &self.status.state
    }
}

#[derive(Default)]
struct Queue {
    pending: VecDeque<Update>,
    last_sent: Option<Instant>,
}

/// Per-task queues keyed by (framework ID, task ID).
#[derive(Default)]
pub(crate) struct StatusUpdateManager {
    queues: HashMap<(String, String), Queue>,
}

/// Result of an acknowledgement.
pub(crate) enum Ack {
    /// The head was acknowledged; the next update (if any) must be forwarded now.
    Accepted(Option<Update>),
    /// No such update in flight (duplicate or unknown); ignored.
    Ignored,
}

impl StatusUpdateManager {
    /// Queues an update; returns it when it must be forwarded at once (queue was empty).
    pub(crate) fn push(
        &mut self,
        framework: &str,
        task: &str,
        update: Update,
        now: Instant,
    ) -> Option<Update> {
        let q = self
            .queues
            .entry((framework.to_string(), task.to_string()))
            .or_default();
        q.pending.push_back(update);
        if q.pending.len() == 1 {
            q.last_sent = Some(now);
            q.pending.front().cloned()
        } else {
            None
        }
    }

    /// Acknowledges the head of a task's queue by its base64 uuid.
    pub(crate) fn ack(&mut self, framework: &str, task: &str, uuid: &str, now: Instant) -> Ack {
        let key = (framework.to_string(), task.to_string());
        let Some(q) = self.queues.get_mut(&key) else {
            return Ack::Ignored;
        };
        let matches = q
            .pending
            .front()
            .and_then(|u| u.stored.uuid())
            .is_some_and(|u| u == uuid);
        if !matches {
            return Ack::Ignored;
        }
        q.pending.pop_front();
        let next = q.pending.front().cloned();
        if next.is_some() {
            q.last_sent = Some(now);
        } else {
            self.queues.remove(&key);
        }
        Ack::Accepted(next)
    }

    /// Heads not sent for `interval`: they must be re-sent.
    pub(crate) fn due(&mut self, now: Instant, interval: Duration) -> Vec<(String, Update)> {
        let mut out = Vec::new();
        for ((fid, _), q) in self.queues.iter_mut() {
            if q.last_sent
                .is_none_or(|t| now.duration_since(t) >= interval)
                && let Some(head) = q.pending.front()
            {
                q.last_sent = Some(now);
                out.push((fid.clone(), head.clone()));
            }
        }
        out
    }

    /// Every in-flight head of one framework (re-sent when it resubscribes).
    pub(crate) fn heads(&mut self, framework: &str, now: Instant) -> Vec<Update> {
        let mut out = Vec::new();
        for ((fid, _), q) in self.queues.iter_mut() {
            if fid == framework
                && let Some(head) = q.pending.front()
            {
                q.last_sent = Some(now);
                out.push(head.clone());
            }
        }
        out
    }

    /// Whether updates of a task are still unacknowledged.
    #[cfg(test)]
    pub(crate) fn has_pending(&self, framework: &str, task: &str) -> bool {
        self.queues
            .contains_key(&(framework.to_string(), task.to_string()))
    }

    /// Drops every queue of a removed framework.
    pub(crate) fn remove_framework(&mut self, framework: &str) {
        self.queues.retain(|(fid, _), _| fid != framework);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesos_lib::v1::bytes::Bytes;

    /// An update whose uuid is `uuid`'s bytes: "A" is "QQ==" on the wire, "B" is "Qg==".
    fn update(state: TaskState, uuid: &str) -> Update {
        Update::new(TaskStatus {
            state,
            uuid: Some(Bytes::new(uuid.as_bytes())),
            ..TaskStatus::default()
        })
    }

    #[test]
    fn one_at_a_time_until_acked() {
        let mut m = StatusUpdateManager::default();
        let now = Instant::now();
        let a = update(TaskState::Starting, "A");
        let b = update(TaskState::Running, "B");
        let sent = m
            .push("f", "t", a.clone(), now)
            .expect("first goes out at once");
        assert!(Arc::ptr_eq(&sent.status, &a.status));
        assert!(m.push("f", "t", b.clone(), now).is_none());
        assert!(matches!(m.ack("f", "t", "Qg==", now), Ack::Ignored));
        assert!(m.due(now, Duration::from_secs(10)).is_empty());
        let later = now + Duration::from_secs(11);
        let due = m.due(later, Duration::from_secs(10));
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].0, "f");
        assert!(Arc::ptr_eq(&due[0].1.status, &a.status));
        match m.ack("f", "t", "QQ==", later) {
            Ack::Accepted(Some(next)) => assert!(Arc::ptr_eq(&next.status, &b.status)),
            _ => panic!("expected next"),
        }
        assert!(matches!(
            m.ack("f", "t", "Qg==", later),
            Ack::Accepted(None)
        ));
        assert!(!m.has_pending("f", "t"));
    }
}
