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

/// `ContainerID`: a container, and for a nested one (a task of a task group) its parent's.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct ContainerId {
    /// The ID itself.
    pub value: String,
    /// The container this one is nested in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Box<ContainerId>>,
}

impl ContainerId {
    /// A top-level container's ID.
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            parent: None,
        }
    }
}

impl std::fmt::Display for ContainerId {
    /// `parent.child`, as Mesos writes a nested container's ID.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(p) = &self.parent {
            write!(f, "{p}.")?;
        }
        f.write_str(&self.value)
    }
}
proto_id!(
    /// `OperationID`, chosen by the framework for offer operations it wants feedback on.
    OperationId
);
proto_id!(
    /// `ResourceProviderID`.
    ResourceProviderId
);
