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
    /// Present when the update must be acknowledged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<Bytes>,
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
    /// Fields this library does not model (uuid).
    #[serde(flatten)]
    pub extra: Extra,
}
