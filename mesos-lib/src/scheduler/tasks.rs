//! The task book: every task's latest status and its history, each update applied once.
//!
//! An update is a duplicate when its uuid was already seen for the task (an agent re-sending
//! an unacknowledged update), when it has no uuid and repeats the current state (a
//! reconciliation answer), or when it is the update a reconciliation answer already reported
//! (it then replaces that answer in the history). Duplicates still count as answers for
//! reconciliation.

use std::collections::BTreeMap;
use std::collections::VecDeque;

use crate::v1::{AgentId, TaskId, TaskInfo, TaskState, TaskStatus};

/// What applying an update did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// A new status, appended to the history.
    New,
    /// Already known; the history is unchanged.
    Duplicate,
}

/// One task as the framework knows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TaskRecord {
    /// The task.
    pub task_id: TaskId,
    /// Its agent, when known.
    pub agent_id: Option<AgentId>,
    /// What was launched, if this session launched it.
    pub info: Option<TaskInfo>,
    /// The latest status (`None` until the first update).
    pub latest: Option<TaskStatus>,
    /// Distinct statuses, oldest first (bounded).
    pub history: VecDeque<TaskStatus>,
    /// Sequence number of the last update seen for it (duplicates included).
    pub last_seen_seq: u64,
}

impl TaskRecord {
    /// The latest state (`TASK_STAGING` before any update).
    pub fn state(&self) -> TaskState {
        self.latest
            .as_ref()
            .map(|s| s.state.clone())
            .unwrap_or(TaskState::Staging)
    }

    /// Whether the task reached a terminal state.
    pub fn is_terminal(&self) -> bool {
        self.state().is_terminal()
    }
}

/// Every task of the framework, by ID.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskBook {
    tasks: BTreeMap<String, TaskRecord>,
    seq: u64,
    history_capacity: usize,
}

impl Default for TaskBook {
    fn default() -> Self {
        Self::new(64)
    }
}

impl TaskBook {
    /// An empty book keeping `history_capacity` statuses per task.
    pub fn new(history_capacity: usize) -> Self {
        Self {
            tasks: BTreeMap::new(),
            seq: 0,
            history_capacity: history_capacity.max(1),
        }
    }

    /// Records a launched task (state STAGING until its first update). Launching again an id
    /// whose task has ended starts a fresh record: the old run's states are not the new one's.
    pub fn launched(&mut self, info: &TaskInfo) {
        self.launched_after(info, self.seq);
    }

    /// Like [`launched`](Self::launched), for a launch sent when the book was at `sent_at`
    /// ([`seq`](Self::seq)): an update that arrived after that belongs to this launch (a task
    /// can fail before the ACCEPT's answer is back), so only an older ending is forgotten.
    pub fn launched_after(&mut self, info: &TaskInfo, sent_at: u64) {
        if self
            .tasks
            .get(&info.task_id.value)
            .is_some_and(|r| r.is_terminal() && r.last_seen_seq <= sent_at)
        {
            self.tasks.remove(&info.task_id.value);
        }
        let rec = self
            .tasks
            .entry(info.task_id.value.clone())
            .or_insert_with(|| TaskRecord {
                task_id: info.task_id.clone(),
                ..Default::default()
            });
        rec.agent_id = Some(info.agent_id.clone());
        rec.info = Some(info.clone());
    }

    /// Applies a status update; see the module docs for duplicates.
    pub fn apply(&mut self, status: &TaskStatus) -> Applied {
        self.seq += 1;
        let Some(task_id) = status.task_id.clone() else {
            return Applied::Duplicate;
        };
        let seq = self.seq;
        let cap = self.history_capacity;
        let rec = self
            .tasks
            .entry(task_id.value.clone())
            .or_insert_with(|| TaskRecord {
                task_id,
                ..Default::default()
            });
        rec.last_seen_seq = seq;
        if rec.agent_id.is_none() {
            rec.agent_id = status.agent_id.clone();
        }
        let duplicate = match &status.uuid {
            Some(u) => rec.history.iter().any(|s| s.uuid.as_ref() == Some(u)),
            // Before any update the state is STAGING: an answer saying so is no news either.
            None => rec.state() == status.state,
        };
        if duplicate {
            return Applied::Duplicate;
        }
        // A reconciliation answer (no uuid) can overtake the update it reports, which the
        // agent then delivers (or re-sends): one transition, so the agent's status takes the
        // answer's place rather than repeating the state in the history.
        if status.uuid.is_some()
            && let Some(last) = rec.history.back_mut()
            && last.uuid.is_none()
            && last.state == status.state
        {
            *last = status.clone();
            rec.latest = Some(status.clone());
            return Applied::Duplicate;
        }
        if rec.history.len() == cap {
            rec.history.pop_front();
        }
        rec.history.push_back(status.clone());
        rec.latest = Some(status.clone());
        Applied::New
    }

    /// One task.
    pub fn get(&self, task_id: &str) -> Option<&TaskRecord> {
        self.tasks.get(task_id)
    }

    /// Every task, by ID.
    pub fn iter(&self) -> impl Iterator<Item = &TaskRecord> {
        self.tasks.values()
    }

    /// Number of tasks.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether no task is known.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Tasks not yet terminal, with their agents: what explicit reconciliation asks about.
    pub fn non_terminal(&self) -> Vec<(TaskId, Option<AgentId>)> {
        self.tasks
            .values()
            .filter(|t| !t.is_terminal())
            .map(|t| (t.task_id.clone(), t.agent_id.clone()))
            .collect()
    }

    /// Sequence number of the last update applied (or seen as a duplicate).
    pub fn seq(&self) -> u64 {
        self.seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::Bytes;

    fn st(state: TaskState, uuid: Option<&[u8]>) -> TaskStatus {
        TaskStatus {
            task_id: Some("t".into()),
            state,
            uuid: uuid.map(Bytes::from),
            ..Default::default()
        }
    }

    #[test]
    fn updates_apply_once() {
        let mut b = TaskBook::default();
        assert_eq!(b.apply(&st(TaskState::Starting, Some(b"1"))), Applied::New);
        assert_eq!(
            b.apply(&st(TaskState::Starting, Some(b"1"))),
            Applied::Duplicate
        );
        assert_eq!(b.apply(&st(TaskState::Running, Some(b"2"))), Applied::New);
        // A reconciliation answer repeating the state is not history.
        assert_eq!(b.apply(&st(TaskState::Running, None)), Applied::Duplicate);
        assert_eq!(b.apply(&st(TaskState::Lost, None)), Applied::New);
        let t = b.get("t").unwrap();
        let states: Vec<_> = t.history.iter().map(|s| s.state.clone()).collect();
        assert_eq!(
            states,
            [TaskState::Starting, TaskState::Running, TaskState::Lost]
        );
        assert_eq!(t.last_seen_seq, 5);
        assert!(b.non_terminal().is_empty());
    }

    #[test]
    fn a_reconciliation_answer_ahead_of_its_update_is_one_transition() {
        let mut b = TaskBook::default();
        // After a resubscription the master answers STAGING (what the book assumes already),
        // then STARTING before the agent re-sends it.
        assert_eq!(b.apply(&st(TaskState::Staging, None)), Applied::Duplicate);
        assert_eq!(b.apply(&st(TaskState::Starting, None)), Applied::New);
        assert_eq!(
            b.apply(&st(TaskState::Starting, Some(b"1"))),
            Applied::Duplicate
        );
        assert_eq!(
            b.apply(&st(TaskState::Starting, Some(b"1"))),
            Applied::Duplicate
        );
        assert_eq!(b.apply(&st(TaskState::Running, Some(b"2"))), Applied::New);
        let t = b.get("t").unwrap();
        let states: Vec<_> = t.history.iter().map(|s| s.state.clone()).collect();
        assert_eq!(states, [TaskState::Starting, TaskState::Running]);
        // The agent's status, uuid and all, is what the history keeps.
        assert_eq!(t.history[0].uuid, Some(Bytes::from(&b"1"[..])));
    }

    #[test]
    fn relaunching_an_ended_id_starts_afresh() {
        let mut b = TaskBook::default();
        let info = TaskInfo {
            task_id: "t".into(),
            ..Default::default()
        };
        b.launched(&info);
        b.apply(&st(TaskState::Failed, Some(b"1")));
        b.launched(&info);
        let t = b.get("t").unwrap();
        assert_eq!(t.state(), TaskState::Staging);
        assert!(t.history.is_empty());
    }

    #[test]
    fn an_ending_that_beats_the_accepts_answer_is_kept() {
        let mut b = TaskBook::default();
        let info = TaskInfo {
            task_id: "t".into(),
            ..Default::default()
        };
        // An earlier run ended; the relaunch is sent, and its failure arrives before the book
        // records the launch.
        b.launched(&info);
        b.apply(&st(TaskState::Failed, Some(b"1")));
        let sent_at = b.seq();
        b.apply(&st(TaskState::Failed, Some(b"2")));
        b.launched_after(&info, sent_at);
        assert_eq!(b.get("t").unwrap().state(), TaskState::Failed);
        // Without a newer update, the old ending is forgotten as before.
        let sent_at = b.seq();
        b.launched_after(&info, sent_at);
        assert_eq!(b.get("t").unwrap().state(), TaskState::Staging);
    }
}
