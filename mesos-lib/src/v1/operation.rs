//! Offer-operation feedback: `OperationState`, `OperationStatus`, and the operator view `Operation`.

use serde::{Deserialize, Serialize};

use super::bytes::Bytes;
use super::ids::{AgentId, FrameworkId, OperationId, ResourceProviderId};
use super::offer::Operation as OfferOperation;
use super::resources::Resource;
use super::{Extra, proto_enum};

proto_enum!(
    /// `OperationState`.
    OperationState {
        /// Pending.
        Pending = "OPERATION_PENDING",
        /// Finished (terminal).
        Finished = "OPERATION_FINISHED",
        /// Failed (terminal).
        Failed = "OPERATION_FAILED",
        /// Invalid (terminal).
        Error = "OPERATION_ERROR",
        /// Dropped (terminal).
        Dropped = "OPERATION_DROPPED",
        /// Agent unreachable.
        Unreachable = "OPERATION_UNREACHABLE",
        /// Agent gone (terminal).
        GoneByOperator = "OPERATION_GONE_BY_OPERATOR",
        /// Recovering.
        Recovering = "OPERATION_RECOVERING",
        /// Unknown to the master.
        OperationUnknown = "OPERATION_UNKNOWN",
    }
);

impl OperationState {
    /// Terminal operation states: DROPPED, ERROR, FAILED, FINISHED, GONE_BY_OPERATOR.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Self::Dropped | Self::Error | Self::Failed | Self::Finished | Self::GoneByOperator
        )
    }
}

/// `OperationStatus`: carried by UPDATE_OPERATION_STATUS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperationStatus {
    /// Operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<OperationId>,
    /// State.
    pub state: OperationState,
    /// Message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Converted resources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub converted_resources: Vec<Resource>,
    /// Present when the update must be acknowledged: a `UUID` message, `{"value": base64}`
    /// (unlike `TaskStatus.uuid`, which is bare bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<Uuid>,
    /// Agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<AgentId>,
    /// Resource provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_provider_id: Option<ResourceProviderId>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl OperationStatus {
    /// A status in `state` for operation `operation_id`, every other field unset.
    pub fn new(operation_id: Option<OperationId>, state: OperationState) -> Self {
        Self {
            operation_id,
            state,
            message: None,
            converted_resources: Vec::new(),
            uuid: None,
            agent_id: None,
            resource_provider_id: None,
            extra: Extra::new(),
        }
    }
}

/// `UUID`: the message `OperationStatus.uuid` is, its bytes base64 in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Uuid {
    /// The UUID's 16 bytes.
    pub value: Bytes,
}

/// `Operation`: the master's record of an offer operation (operator GET_OPERATIONS).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    /// Framework.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framework_id: Option<FrameworkId>,
    /// Agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<AgentId>,
    /// The operation as sent.
    pub info: OfferOperation,
    /// Latest status.
    pub latest_status: OperationStatus,
    /// Status history.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<OperationStatus>,
    /// The operation's own UUID (not a status's).
    pub uuid: Uuid,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operation_status_uuid_is_a_uuid_message() {
        // As a 1.11 master sends UPDATE_OPERATION_STATUS (include/mesos/v1/mesos.proto: UUID uuid).
        let text = r#"{"operation_id":{"value":"op-1"},"state":"OPERATION_FINISHED",
            "uuid":{"value":"q83vASNFZ4mrze8BI0VniQ=="},"agent_id":{"value":"a-S0"}}"#;
        let status: OperationStatus = serde_json::from_str(text).unwrap();
        let uuid = status.uuid.as_ref().expect("uuid");
        assert_eq!(uuid.value.as_slice().len(), 16);
        assert_eq!(uuid.value.to_base64(), "q83vASNFZ4mrze8BI0VniQ==");
        let back = serde_json::to_value(&status).unwrap();
        assert_eq!(back["uuid"]["value"], "q83vASNFZ4mrze8BI0VniQ==");
        assert!(back["extra"].is_null());
    }

    #[test]
    fn an_operation_is_written_in_the_protos_field_order() {
        // include/mesos/v1/mesos.proto: framework_id, agent_id, info, latest_status,
        // statuses, uuid.
        let text = r#"{"framework_id":{"value":"f"},"agent_id":{"value":"a"},"info":{"type":"RESERVE","id":{"value":"r"}},"latest_status":{"state":"OPERATION_FINISHED"},"statuses":[{"state":"OPERATION_FINISHED"}],"uuid":{"value":"q83vASNFZ4mrze8BI0VniQ=="}}"#;
        let op: Operation = serde_json::from_str(text).unwrap();
        assert_eq!(op.uuid.value.as_slice().len(), 16);
        assert!(op.extra.is_empty());
        assert_eq!(serde_json::to_string(&op).unwrap(), text);
    }
}
