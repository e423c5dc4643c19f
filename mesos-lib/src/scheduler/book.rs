//! `Book`: everything the session knows, readable at any moment (a snapshot is a clone).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::offers::OfferBook;
use super::state::{ReconnectRecord, SessionState};
use super::tasks::TaskBook;
use crate::v1::scheduler::Event;
use crate::v1::{FrameworkId, MasterInfo, TaskId};

/// Reconnect reasons kept (the count is kept in full).
const RECONNECT_HISTORY: usize = 64;

/// Leader changes kept (the count is kept in full).
const LEADER_HISTORY: usize = 16;

/// The session moved from one leading master to another.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaderChange {
    /// When the new leader's stream opened.
    pub at: SystemTime,
    /// The master before.
    pub from: String,
    /// The master after.
    pub to: String,
}

/// An event as logged.
#[derive(Debug, Clone)]
pub struct LoggedEvent {
    /// When it arrived.
    pub at: SystemTime,
    /// The event.
    pub event: Arc<Event>,
}

/// Reconciliation progress.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ReconcileStatus {
    /// None has run yet.
    #[default]
    Idle,
    /// Explicit round `round` waiting for answers about `pending` tasks.
    Explicit {
        /// Round number, from 1.
        round: u32,
        /// Tasks not yet answered.
        pending: Vec<TaskId>,
    },
    /// The last reconciliation finished (explicit rounds, then implicit).
    Done {
        /// When.
        at: SystemTime,
        /// Tasks that never answered explicitly.
        unanswered: Vec<TaskId>,
        /// Times the whole procedure completed.
        completed: u64,
    },
}

/// The session's bookkeeping.
#[derive(Debug, Clone)]
pub struct Book {
    /// Session state.
    pub state: SessionState,
    /// Framework ID (kept across reconnects).
    pub framework_id: Option<FrameworkId>,
    /// `Mesos-Stream-Id` of the live stream.
    pub stream_id: Option<String>,
    /// The master answering calls.
    pub leader: Option<String>,
    /// Times the session moved to a different leading master.
    pub leader_changes: u64,
    /// The most recent moves, newest last (bounded).
    pub leader_history: VecDeque<LeaderChange>,
    /// The leader's MasterInfo from SUBSCRIBED.
    pub master_info: Option<MasterInfo>,
    /// Heartbeat interval announced by SUBSCRIBED.
    pub heartbeat_interval: Option<Duration>,
    /// Last HEARTBEAT.
    pub last_heartbeat: Option<SystemTime>,
    /// Last event of any kind.
    pub last_event: Option<SystemTime>,
    /// SUBSCRIBED events received.
    pub subscriptions: u64,
    /// Streams lost.
    pub reconnect_count: u64,
    /// Why they were lost (most recent last, bounded).
    pub reconnects: VecDeque<ReconnectRecord>,
    /// Outstanding offers.
    pub offers: OfferBook,
    /// Tasks.
    pub tasks: TaskBook,
    /// Recent events, newest last (heartbeats excluded).
    pub events: VecDeque<LoggedEvent>,
    /// Capacity of `events`.
    pub event_log_capacity: usize,
    /// Reconciliation progress.
    pub reconciliation: ReconcileStatus,
    /// Acknowledgements sent successfully.
    pub acks_sent: u64,
    /// Acknowledgements that failed (the agent re-sends; they are retried then).
    pub ack_failures: u64,
    /// Warnings worth showing (framework ID changed, failover timeout 0...).
    pub warnings: Vec<String>,
}

impl Book {
    pub(crate) fn new(event_log_capacity: usize, task_history_capacity: usize) -> Self {
        Self {
            state: SessionState::Connecting,
            framework_id: None,
            stream_id: None,
            leader: None,
            leader_changes: 0,
            leader_history: VecDeque::new(),
            master_info: None,
            heartbeat_interval: None,
            last_heartbeat: None,
            last_event: None,
            subscriptions: 0,
            reconnect_count: 0,
            reconnects: VecDeque::new(),
            offers: OfferBook::default(),
            tasks: TaskBook::new(task_history_capacity),
            events: VecDeque::new(),
            event_log_capacity,
            reconciliation: ReconcileStatus::Idle,
            acks_sent: 0,
            ack_failures: 0,
            warnings: Vec::new(),
        }
    }

    pub(crate) fn log_event(&mut self, event: Arc<Event>) {
        if self.event_log_capacity == 0 {
            return;
        }
        if self.events.len() == self.event_log_capacity {
            self.events.pop_front();
        }
        self.events.push_back(LoggedEvent {
            at: SystemTime::now(),
            event,
        });
    }

    /// Sets the leader answering calls, recording a change of master.
    pub(crate) fn set_leader(&mut self, leader: String) {
        if let Some(old) = &self.leader
            && *old != leader
        {
            self.leader_changes += 1;
            if self.leader_history.len() == LEADER_HISTORY {
                self.leader_history.pop_front();
            }
            self.leader_history.push_back(LeaderChange {
                at: SystemTime::now(),
                from: old.clone(),
                to: leader.clone(),
            });
        }
        self.leader = Some(leader);
    }

    pub(crate) fn record_reconnect(&mut self, reason: String) {
        self.reconnect_count += 1;
        if self.reconnects.len() == RECONNECT_HISTORY {
            self.reconnects.pop_front();
        }
        self.reconnects.push_back(ReconnectRecord {
            at: SystemTime::now(),
            reason,
        });
    }
}
