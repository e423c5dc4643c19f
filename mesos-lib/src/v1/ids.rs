//! The `*ID` messages: `{"value": "..."}` objects, never bare strings.
//!
//! They have a single required field that cannot grow, so unlike other
//! messages they keep no map of unknown fields.

use crate::proto_id;

proto_id!(
    /// `FrameworkID`: `<masterID>-NNNN`.
    FrameworkId
);
proto_id!(
    /// `OfferID`: `<masterID>-O<n>`.
    OfferId
);
proto_id!(
    /// `AgentID`: `<masterID>-S<n>`.
    AgentId
);
proto_id!(
    /// `TaskID`, chosen by the framework, unique within it.
    TaskId
);
proto_id!(
    /// `ExecutorID`, chosen by the framework (the task ID for command tasks).
    ExecutorId
);
proto_id!(
    /// `ContainerID` (the proto also has an optional `parent`, kept flat here).
    ContainerId
);
proto_id!(
    /// `OperationID`, chosen by the framework for offer operations it wants feedback on.
    OperationId
);
proto_id!(
    /// `ResourceProviderID`.
    ResourceProviderId
);
