//! Scheduler `Call`: `{"type": "...", "framework_id": {...}, "<lowercase type>": {...}}`.

use serde::{Deserialize, Serialize};

use crate::proto_enum;
use crate::v1::Extra;
use crate::v1::bytes::Bytes;
use crate::v1::common::Filters;
use crate::v1::framework::FrameworkInfo;
use crate::v1::ids::{
    AgentId, ExecutorId, FrameworkId, OfferId, OperationId, ResourceProviderId, TaskId,
};
use crate::v1::offer::Operation;
use crate::v1::resources::Resource;
use crate::v1::task::KillPolicy;

proto_enum!(
    /// `scheduler::Call.Type`.
    CallType {
        /// `UNKNOWN`, the proto's zero value (the master answers 501).
        Unspecified = "UNKNOWN",
        /// Open the event stream (the only call without `framework_id` for a new framework).
        Subscribe = "SUBSCRIBE",
        /// Remove the framework, killing its tasks.
        Teardown = "TEARDOWN",
        /// Use offers.
        Accept = "ACCEPT",
        /// Refuse offers.
        Decline = "DECLINE",
        /// Accept inverse offers.
        AcceptInverseOffers = "ACCEPT_INVERSE_OFFERS",
        /// Decline inverse offers.
        DeclineInverseOffers = "DECLINE_INVERSE_OFFERS",
        /// Clear filters and unsuppress.
        Revive = "REVIVE",
        /// Kill a task.
        Kill = "KILL",
        /// Shut an executor down.
        Shutdown = "SHUTDOWN",
        /// Acknowledge a status update.
        Acknowledge = "ACKNOWLEDGE",
        /// Acknowledge an operation status update.
        AcknowledgeOperationStatus = "ACKNOWLEDGE_OPERATION_STATUS",
        /// Ask for task states.
        Reconcile = "RECONCILE",
        /// Ask for operation states.
        ReconcileOperations = "RECONCILE_OPERATIONS",
        /// Send data to an executor.
        Message = "MESSAGE",
        /// Request resources (ignored by the default allocator).
        Request = "REQUEST",
        /// Stop offers.
        Suppress = "SUPPRESS",
        /// Change the FrameworkInfo (answers 200).
        UpdateFramework = "UPDATE_FRAMEWORK",
    }
);

/// `Call.Subscribe`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Subscribe {
    /// Framework (required; `id` set to resubscribe).
    pub framework_info: FrameworkInfo,
    /// Roles that start suppressed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressed_roles: Vec<String>,
    /// Fields this library does not model (offer_constraints).
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.Accept`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Accept {
    /// Offers used (all must be from one agent).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offer_ids: Vec<OfferId>,
    /// Operations, run in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<Operation>,
    /// Filter for the unused remainder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<Filters>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.Decline`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Decline {
    /// Offers declined.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offer_ids: Vec<OfferId>,
    /// How long to refuse them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<Filters>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.AcceptInverseOffers` / `Call.DeclineInverseOffers`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct InverseOffersReply {
    /// Inverse offers concerned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inverse_offer_ids: Vec<OfferId>,
    /// Filters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<Filters>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.Revive` / `Call.Suppress`: `roles` (empty = all roles).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Roles {
    /// Roles (empty = all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.Kill`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Kill {
    /// Task (required).
    pub task_id: TaskId,
    /// Agent (recommended).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<AgentId>,
    /// Overrides the task's kill policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kill_policy: Option<KillPolicy>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.Shutdown`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Shutdown {
    /// Executor (required).
    pub executor_id: ExecutorId,
    /// Agent (required).
    pub agent_id: AgentId,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.Acknowledge`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Acknowledge {
    /// Agent (required).
    pub agent_id: AgentId,
    /// Task (required).
    pub task_id: TaskId,
    /// `status.uuid`, echoed (required).
    pub uuid: Bytes,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.AcknowledgeOperationStatus`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AcknowledgeOperationStatus {
    /// Agent (the master requires it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<AgentId>,
    /// Resource provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_provider_id: Option<ResourceProviderId>,
    /// `status.uuid` (required).
    pub uuid: Bytes,
    /// Operation (required, an object).
    pub operation_id: OperationId,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.Reconcile.Task`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ReconcileTask {
    /// Task (required).
    pub task_id: TaskId,
    /// Agent (recommended).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<AgentId>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.Reconcile`: explicit (tasks listed) or implicit (empty).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Reconcile {
    /// Tasks (empty = implicit reconciliation).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<ReconcileTask>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.ReconcileOperations.Operation`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ReconcileOperation {
    /// Operation (required).
    pub operation_id: OperationId,
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

/// `Call.ReconcileOperations`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ReconcileOperations {
    /// Operations (empty = all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<ReconcileOperation>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.Message`: framework-to-executor data (unreliable).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Message {
    /// Agent (required).
    pub agent_id: AgentId,
    /// Executor (required).
    pub executor_id: ExecutorId,
    /// Payload (required; base64 on the wire).
    pub data: Bytes,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Request`: one resource request.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ResourceRequest {
    /// Agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<AgentId>,
    /// Resources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Resource>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.Request`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Request {
    /// Requests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<ResourceRequest>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.UpdateFramework`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UpdateFramework {
    /// New FrameworkInfo (`id` must equal the call's `framework_id`).
    pub framework_info: FrameworkInfo,
    /// Roles to keep suppressed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressed_roles: Vec<String>,
    /// Fields this library does not model (offer_constraints).
    #[serde(flatten)]
    pub extra: Extra,
}

/// `scheduler::Call`: a typed envelope, `type` plus the body that matches it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Call {
    /// Call type (required).
    #[serde(rename = "type")]
    pub call_type: CallType,
    /// Required on every call but a first SUBSCRIBE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framework_id: Option<FrameworkId>,
    /// SUBSCRIBE body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscribe: Option<Subscribe>,
    /// ACCEPT body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept: Option<Accept>,
    /// DECLINE body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decline: Option<Decline>,
    /// ACCEPT_INVERSE_OFFERS body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept_inverse_offers: Option<InverseOffersReply>,
    /// DECLINE_INVERSE_OFFERS body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decline_inverse_offers: Option<InverseOffersReply>,
    /// REVIVE body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revive: Option<Roles>,
    /// KILL body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kill: Option<Kill>,
    /// SHUTDOWN body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shutdown: Option<Shutdown>,
    /// ACKNOWLEDGE body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledge: Option<Acknowledge>,
    /// ACKNOWLEDGE_OPERATION_STATUS body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledge_operation_status: Option<AcknowledgeOperationStatus>,
    /// RECONCILE body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconcile: Option<Reconcile>,
    /// RECONCILE_OPERATIONS body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconcile_operations: Option<ReconcileOperations>,
    /// MESSAGE body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
    /// REQUEST body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<Request>,
    /// SUPPRESS body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppress: Option<Roles>,
    /// UPDATE_FRAMEWORK body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_framework: Option<UpdateFramework>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Call {
    /// A call of `call_type` with no body; see `builders` for complete calls.
    pub fn new(call_type: CallType, framework_id: Option<FrameworkId>) -> Self {
        Self {
            call_type,
            framework_id,
            subscribe: None,
            accept: None,
            decline: None,
            accept_inverse_offers: None,
            decline_inverse_offers: None,
            revive: None,
            kill: None,
            shutdown: None,
            acknowledge: None,
            acknowledge_operation_status: None,
            reconcile: None,
            reconcile_operations: None,
            message: None,
            request: None,
            suppress: None,
            update_framework: None,
            extra: Extra::new(),
        }
    }
}
