//! Scheduler `Event`: `{"type": "...", "<lowercase type>": {...}}`, read from the SUBSCRIBE stream.

use serde::{Deserialize, Serialize};

use crate::proto_enum;
use crate::v1::Extra;
use crate::v1::bytes::Bytes;
use crate::v1::ids::{AgentId, ExecutorId, FrameworkId, OfferId};
use crate::v1::master_info::MasterInfo;
use crate::v1::offer::{InverseOffer, Offer};
use crate::v1::operation::OperationStatus;
use crate::v1::status::TaskStatus;

proto_enum!(
    /// `scheduler::Event.Type`.
    EventType {
        /// First event of a stream.
        Subscribed = "SUBSCRIBED",
        /// New offers.
        Offers = "OFFERS",
        /// Maintenance inverse offers.
        InverseOffers = "INVERSE_OFFERS",
        /// An offer is no longer valid.
        Rescind = "RESCIND",
        /// An inverse offer is no longer valid.
        RescindInverseOffer = "RESCIND_INVERSE_OFFER",
        /// Task status update.
        Update = "UPDATE",
        /// Operation status update.
        UpdateOperationStatus = "UPDATE_OPERATION_STATUS",
        /// Executor-to-framework data.
        Message = "MESSAGE",
        /// Agent or executor failure.
        Failure = "FAILURE",
        /// Fatal error; the stream closes.
        Error = "ERROR",
        /// Keep-alive, every `heartbeat_interval_seconds`.
        Heartbeat = "HEARTBEAT",
    }
);

/// `Event.Subscribed`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Subscribed {
    /// The framework's ID (keep it to resubscribe).
    pub framework_id: FrameworkId,
    /// Heartbeat period (15.0 in practice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_interval_seconds: Option<f64>,
    /// The leading master.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master_info: Option<MasterInfo>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Event.Offers`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Offers {
    /// Offers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offers: Vec<Offer>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Event.InverseOffers`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct InverseOffers {
    /// Inverse offers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inverse_offers: Vec<InverseOffer>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Event.Rescind`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Rescind {
    /// The withdrawn offer.
    pub offer_id: OfferId,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Event.RescindInverseOffer`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RescindInverseOffer {
    /// The withdrawn inverse offer.
    pub inverse_offer_id: OfferId,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Event.Update`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Update {
    /// The new status (acknowledge it if it has a uuid).
    pub status: TaskStatus,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Event.UpdateOperationStatus`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateOperationStatus {
    /// The new operation status.
    pub status: OperationStatus,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Event.Message`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Message {
    /// Agent.
    pub agent_id: AgentId,
    /// Executor.
    pub executor_id: ExecutorId,
    /// Payload.
    pub data: Bytes,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Event.Failure`: an executor exited (with `executor_id`) or an agent was lost (without).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Failure {
    /// Agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<AgentId>,
    /// Executor, if an executor exited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor_id: Option<ExecutorId>,
    /// Raw wait status (apply WEXITSTATUS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<i32>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Event.Error`: e.g. "Framework failed over", "Framework has been removed".
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Error {
    /// Message.
    pub message: String,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `scheduler::Event`: a typed envelope, `type` plus the body that matches it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Event type.
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// SUBSCRIBED body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscribed: Option<Subscribed>,
    /// OFFERS body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offers: Option<Offers>,
    /// INVERSE_OFFERS body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inverse_offers: Option<InverseOffers>,
    /// RESCIND body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rescind: Option<Rescind>,
    /// RESCIND_INVERSE_OFFER body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rescind_inverse_offer: Option<RescindInverseOffer>,
    /// UPDATE body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<Update>,
    /// UPDATE_OPERATION_STATUS body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_operation_status: Option<UpdateOperationStatus>,
    /// MESSAGE body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
    /// FAILURE body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// ERROR body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Event {
    /// An event of `event_type` with no body.
    pub fn new(event_type: EventType) -> Self {
        Self {
            event_type,
            subscribed: None,
            offers: None,
            inverse_offers: None,
            rescind: None,
            rescind_inverse_offer: None,
            update: None,
            update_operation_status: None,
            message: None,
            failure: None,
            error: None,
            extra: Extra::new(),
        }
    }

    /// HEARTBEAT.
    pub fn heartbeat() -> Self {
        Self::new(EventType::Heartbeat)
    }

    /// SUBSCRIBED for `framework_id`.
    pub fn subscribed(
        framework_id: FrameworkId,
        heartbeat_interval_seconds: f64,
        master_info: Option<MasterInfo>,
    ) -> Self {
        Self {
            subscribed: Some(Subscribed {
                framework_id,
                heartbeat_interval_seconds: Some(heartbeat_interval_seconds),
                master_info,
                extra: Extra::new(),
            }),
            ..Self::new(EventType::Subscribed)
        }
    }

    /// OFFERS.
    pub fn offers(offers: Vec<Offer>) -> Self {
        Self {
            offers: Some(Offers {
                offers,
                extra: Extra::new(),
            }),
            ..Self::new(EventType::Offers)
        }
    }

    /// RESCIND of `offer_id`.
    pub fn rescind(offer_id: OfferId) -> Self {
        Self {
            rescind: Some(Rescind {
                offer_id,
                extra: Extra::new(),
            }),
            ..Self::new(EventType::Rescind)
        }
    }

    /// UPDATE carrying `status`.
    pub fn update(status: TaskStatus) -> Self {
        Self {
            update: Some(Update {
                status,
                extra: Extra::new(),
            }),
            ..Self::new(EventType::Update)
        }
    }

    /// INVERSE_OFFERS.
    pub fn inverse_offers(inverse_offers: Vec<InverseOffer>) -> Self {
        Self {
            inverse_offers: Some(InverseOffers {
                inverse_offers,
                extra: Extra::new(),
            }),
            ..Self::new(EventType::InverseOffers)
        }
    }

    /// RESCIND_INVERSE_OFFER of `inverse_offer_id`.
    pub fn rescind_inverse_offer(inverse_offer_id: OfferId) -> Self {
        Self {
            rescind_inverse_offer: Some(RescindInverseOffer {
                inverse_offer_id,
                extra: Extra::new(),
            }),
            ..Self::new(EventType::RescindInverseOffer)
        }
    }

    /// UPDATE_OPERATION_STATUS carrying `status`.
    pub fn update_operation_status(status: OperationStatus) -> Self {
        Self {
            update_operation_status: Some(UpdateOperationStatus {
                status,
                extra: Extra::new(),
            }),
            ..Self::new(EventType::UpdateOperationStatus)
        }
    }

    /// MESSAGE from an executor.
    pub fn message(agent_id: AgentId, executor_id: ExecutorId, data: Bytes) -> Self {
        Self {
            message: Some(Message {
                agent_id,
                executor_id,
                data,
                extra: Extra::new(),
            }),
            ..Self::new(EventType::Message)
        }
    }

    /// FAILURE of an agent (no executor) or an executor.
    pub fn failure(
        agent_id: Option<AgentId>,
        executor_id: Option<ExecutorId>,
        status: Option<i32>,
    ) -> Self {
        Self {
            failure: Some(Failure {
                agent_id,
                executor_id,
                status,
                extra: Extra::new(),
            }),
            ..Self::new(EventType::Failure)
        }
    }

    /// ERROR with `message`.
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            error: Some(Error {
                message: message.into(),
                extra: Extra::new(),
            }),
            ..Self::new(EventType::Error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_offers_are_written_as_a_master_writes_them() {
        // Transcript 34's shape: InverseOffer in mesos.proto's field order.
        let text = r#"{"type":"INVERSE_OFFERS","inverse_offers":{"inverse_offers":[{"id":{"value":"m-O27"},"url":{"scheme":"http","address":{"hostname":"127.0.0.1","ip":"127.0.0.1","port":5052},"path":"/slave(1)"},"framework_id":{"value":"m-0005"},"agent_id":{"value":"m-S1"},"unavailability":{"start":{"nanoseconds":1},"duration":{"nanoseconds":2}}}]}}"#;
        let event: Event = serde_json::from_str(text).unwrap();
        let list = event.inverse_offers.clone().unwrap().inverse_offers;
        let built = Event::inverse_offers(list);
        assert_eq!(serde_json::to_string(&built).unwrap(), text);
        let rescind = Event::rescind_inverse_offer(OfferId::new("m-O27"));
        assert_eq!(
            serde_json::to_string(&rescind).unwrap(),
            r#"{"type":"RESCIND_INVERSE_OFFER","rescind_inverse_offer":{"inverse_offer_id":{"value":"m-O27"}}}"#
        );
    }
}
