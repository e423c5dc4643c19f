//! `Book`: everything the session knows, readable at any moment (a snapshot is a clone).

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::offers::OfferBook;
use super::state::{ReconnectRecord, SessionState};
use super::tasks::TaskBook;
use crate::v1::scheduler::{Event, EventType};
use crate::v1::{FrameworkId, FrameworkInfo, InverseOffer, MasterInfo, OfferId, TaskId};

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
    /// When it arrived (for coalesced heartbeats: the latest one).
    pub at: SystemTime,
    /// The event.
    pub event: Arc<Event>,
    /// Position in the log: the value of [`Book::events_logged`] when it was logged.
    pub seq: u64,
    /// How many events this entry stands for: consecutive HEARTBEATs share one entry, so
    /// an idle hour does not push everything else out of the log.
    pub count: u64,
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
    /// The FrameworkInfo the session subscribes with: the config's, then what the last
    /// UPDATE_FRAMEWORK sent, so a resubscription does not undo an update.
    pub framework_info: FrameworkInfo,
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
    /// Outstanding inverse offers (maintenance asking for resources back), in arrival order:
    /// added by INVERSE_OFFERS, gone when answered or rescinded and on a disconnect.
    pub inverse_offers: Vec<InverseOffer>,
    /// Tasks.
    pub tasks: TaskBook,
    /// Recent events, newest last (bounded; consecutive heartbeats coalesced).
    pub events: VecDeque<LoggedEvent>,
    /// Capacity of `events`.
    pub event_log_capacity: usize,
    /// Events logged so far (coalesced ones included): waiters compare it to see new ones.
    pub events_logged: u64,
    /// Roles this framework asked to be suppressed (SUPPRESS adds, REVIVE removes).
    pub suppressed_roles: BTreeSet<String>,
    /// Reconciliation progress.
    pub reconciliation: ReconcileStatus,
    /// Reconciliations completed so far: kept here because `reconciliation` holds an
    /// `Explicit` state in between, which would otherwise lose the count `Done` reports.
    pub reconciliations_completed: u64,
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
            framework_info: FrameworkInfo::default(),
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
            inverse_offers: Vec::new(),
            tasks: TaskBook::new(task_history_capacity),
            events: VecDeque::new(),
            event_log_capacity,
            events_logged: 0,
            suppressed_roles: BTreeSet::new(),
            reconciliation: ReconcileStatus::Idle,
            reconciliations_completed: 0,
            acks_sent: 0,
            ack_failures: 0,
            warnings: Vec::new(),
        }
    }

    /// Records inverse offers, once each.
    pub(crate) fn add_inverse_offers(&mut self, offers: &[InverseOffer]) {
        for o in offers {
            if !self.inverse_offers.iter().any(|x| x.id == o.id) {
                self.inverse_offers.push(o.clone());
            }
        }
    }

    /// Forgets an inverse offer (answered or rescinded).
    pub(crate) fn retire_inverse_offer(&mut self, id: &OfferId) {
        self.inverse_offers.retain(|o| &o.id != id);
    }

    /// Forgets every offer and inverse offer: none survives a lost stream.
    pub(crate) fn drop_offers(&mut self) {
        self.offers.clear();
        self.inverse_offers.clear();
    }

    pub(crate) fn log_event(&mut self, event: Arc<Event>) {
        self.log_event_at(event, SystemTime::now());
    }

    fn log_event_at(&mut self, event: Arc<Event>, at: SystemTime) {
        self.events_logged += 1;
        if self.event_log_capacity == 0 {
            return;
        }
        let seq = self.events_logged;
        if event.event_type == EventType::Heartbeat
            && let Some(last) = self.events.back_mut()
            && last.event.event_type == EventType::Heartbeat
        {
            last.at = at;
            last.seq = seq;
            last.count += 1;
            return;
        }
        if self.events.len() == self.event_log_capacity {
            self.events.pop_front();
        }
        self.events.push_back(LoggedEvent {
            at,
            event,
            seq,
            count: 1,
        });
    }

    /// Logged entries that arrived after `seq` (a value of `events_logged`), oldest first.
    pub fn events_since(&self, seq: u64) -> impl Iterator<Item = &LoggedEvent> {
        self.events.iter().filter(move |e| e.seq > seq)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::scheduler::Event;

    fn ev(t: EventType) -> Arc<Event> {
        Arc::new(Event::new(t))
    }

    #[test]
    fn the_event_log_is_a_bounded_ring_with_heartbeats_coalesced() {
        let mut b = Book::new(3, 8);
        b.log_event(ev(EventType::Subscribed));
        b.log_event(ev(EventType::Heartbeat));
        b.log_event(ev(EventType::Heartbeat));
        b.log_event(ev(EventType::Heartbeat));
        let types: Vec<_> = b
            .events
            .iter()
            .map(|e| e.event.event_type.clone())
            .collect();
        assert_eq!(types, [EventType::Subscribed, EventType::Heartbeat]);
        assert_eq!(b.events[1].count, 3);
        assert_eq!(b.events[1].seq, 4);
        assert_eq!(b.events_logged, 4);
        b.log_event(ev(EventType::Offers));
        b.log_event(ev(EventType::Heartbeat));
        // Full at 3: the oldest (SUBSCRIBED) makes room; heartbeats split by OFFERS stay apart.
        let types: Vec<_> = b
            .events
            .iter()
            .map(|e| e.event.event_type.clone())
            .collect();
        assert_eq!(
            types,
            [
                EventType::Heartbeat,
                EventType::Offers,
                EventType::Heartbeat
            ]
        );
        assert_eq!(b.events[2].count, 1);
        let since: Vec<u64> = b.events_since(4).map(|e| e.seq).collect();
        assert_eq!(since, [5, 6]);
    }

    #[test]
    fn a_zero_capacity_log_still_counts() {
        let mut b = Book::new(0, 8);
        b.log_event(ev(EventType::Offers));
        assert!(b.events.is_empty());
        assert_eq!(b.events_logged, 1);
    }

    #[test]
    fn inverse_offers_are_kept_once_until_answered_rescinded_or_disconnected() {
        let io = |id: &str| InverseOffer {
            id: OfferId::new(id),
            ..Default::default()
        };
        let mut b = Book::new(8, 8);
        b.add_inverse_offers(&[io("i1"), io("i2")]);
        b.add_inverse_offers(&[io("i1")]);
        let ids = |b: &Book| -> Vec<String> {
            b.inverse_offers
                .iter()
                .map(|o| o.id.value.clone())
                .collect()
        };
        assert_eq!(ids(&b), ["i1", "i2"]);
        b.retire_inverse_offer(&OfferId::new("i1"));
        assert_eq!(ids(&b), ["i2"]);
        b.drop_offers();
        assert!(b.inverse_offers.is_empty());
    }
}
