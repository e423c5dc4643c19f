//! `Offer`, `InverseOffer` and `Offer.Operation` (LAUNCH, LAUNCH_GROUP, RESERVE, UNRESERVE, CREATE, DESTROY).

use serde::{Deserialize, Serialize};

use super::common::{DomainInfo, Unavailability, Url};
use super::ids::{AgentId, ExecutorId, FrameworkId, OfferId, OperationId};
use super::resources::{AllocationInfo, Attribute, Resource};
use super::task::{ExecutorInfo, TaskGroupInfo, TaskInfo};
use super::{Extra, proto_enum};

/// `Offer`: resources of one agent offered to one framework.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Offer {
    /// Offer ID.
    pub id: OfferId,
    /// Framework.
    pub framework_id: FrameworkId,
    /// Agent.
    pub agent_id: AgentId,
    /// Agent hostname.
    pub hostname: String,
    /// Agent URL (`path` `/slave(1)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<Url>,
    /// Agent fault domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<DomainInfo>,
    /// Offered resources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Resource>,
    /// Agent attributes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<Attribute>,
    /// Executors of this framework already running on the agent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub executor_ids: Vec<ExecutorId>,
    /// Planned maintenance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailability: Option<Unavailability>,
    /// Role the offer is for (MULTI_ROLE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocation_info: Option<AllocationInfo>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `InverseOffer`: a request to give resources back for maintenance.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct InverseOffer {
    /// Inverse offer ID.
    pub id: OfferId,
    /// Agent URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<Url>,
    /// Framework.
    pub framework_id: FrameworkId,
    /// Agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<AgentId>,
    /// When the resources become unavailable.
    pub unavailability: Unavailability,
    /// Resources concerned (empty = all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Resource>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

proto_enum!(
    /// `Offer.Operation.Type`.
    OperationType {
        /// Launch tasks.
        Launch = "LAUNCH",
        /// Launch a task group with the default executor.
        LaunchGroup = "LAUNCH_GROUP",
        /// Dynamically reserve resources.
        Reserve = "RESERVE",
        /// Release a dynamic reservation.
        Unreserve = "UNRESERVE",
        /// Create persistent volumes.
        Create = "CREATE",
        /// Destroy persistent volumes.
        Destroy = "DESTROY",
        /// Grow a persistent volume.
        GrowVolume = "GROW_VOLUME",
        /// Shrink a persistent volume.
        ShrinkVolume = "SHRINK_VOLUME",
        /// Create a CSI disk.
        CreateDisk = "CREATE_DISK",
        /// Destroy a CSI disk.
        DestroyDisk = "DESTROY_DISK",
    }
);

/// `Offer.Operation.Launch`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Launch {
    /// Tasks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub task_infos: Vec<TaskInfo>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Offer.Operation.LaunchGroup`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LaunchGroup {
    /// The (DEFAULT) executor.
    pub executor: ExecutorInfo,
    /// Tasks.
    pub task_group: TaskGroupInfo,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Offer.Operation.Reserve`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Reserve {
    /// Resources as offered (refinement format).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source: Vec<Resource>,
    /// Resources with the reservation added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Resource>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Offer.Operation.Unreserve`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Unreserve {
    /// Reserved resources to release.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Resource>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Offer.Operation.Create` / `Destroy`: persistent volumes.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Volumes {
    /// Disk resources with `disk.persistence`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Resource>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Offer.Operation`: one step of an ACCEPT; `type` plus the matching body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    /// Which body is set.
    #[serde(rename = "type")]
    pub operation_type: OperationType,
    /// Requests UPDATE_OPERATION_STATUS feedback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<OperationId>,
    /// LAUNCH body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch: Option<Launch>,
    /// LAUNCH_GROUP body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_group: Option<LaunchGroup>,
    /// RESERVE body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserve: Option<Reserve>,
    /// UNRESERVE body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreserve: Option<Unreserve>,
    /// CREATE body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create: Option<Volumes>,
    /// DESTROY body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destroy: Option<Volumes>,
    /// Fields this library does not model (grow_volume, shrink_volume, create_disk, destroy_disk).
    #[serde(flatten)]
    pub extra: Extra,
}

impl Operation {
    fn empty(operation_type: OperationType) -> Self {
        Self {
            operation_type,
            id: None,
            launch: None,
            launch_group: None,
            reserve: None,
            unreserve: None,
            create: None,
            destroy: None,
            extra: Extra::new(),
        }
    }

    /// LAUNCH `tasks`.
    pub fn launch(tasks: Vec<TaskInfo>) -> Self {
        Self {
            launch: Some(Launch {
                task_infos: tasks,
                extra: Extra::new(),
            }),
            ..Self::empty(OperationType::Launch)
        }
    }

    /// LAUNCH_GROUP `tasks` under `executor`.
    pub fn launch_group(executor: ExecutorInfo, tasks: Vec<TaskInfo>) -> Self {
        Self {
            launch_group: Some(LaunchGroup {
                executor,
                task_group: TaskGroupInfo {
                    tasks,
                    extra: Extra::new(),
                },
                extra: Extra::new(),
            }),
            ..Self::empty(OperationType::LaunchGroup)
        }
    }

    /// RESERVE: `source` as offered, `resources` with the new reservation.
    pub fn reserve(source: Vec<Resource>, resources: Vec<Resource>) -> Self {
        Self {
            reserve: Some(Reserve {
                source,
                resources,
                extra: Extra::new(),
            }),
            ..Self::empty(OperationType::Reserve)
        }
    }

    /// UNRESERVE `resources`.
    pub fn unreserve(resources: Vec<Resource>) -> Self {
        Self {
            unreserve: Some(Unreserve {
                resources,
                extra: Extra::new(),
            }),
            ..Self::empty(OperationType::Unreserve)
        }
    }

    /// CREATE persistent `volumes`.
    pub fn create(volumes: Vec<Resource>) -> Self {
        Self {
            create: Some(Volumes {
                volumes,
                extra: Extra::new(),
            }),
            ..Self::empty(OperationType::Create)
        }
    }

    /// DESTROY persistent `volumes`.
    pub fn destroy(volumes: Vec<Resource>) -> Self {
        Self {
            destroy: Some(Volumes {
                volumes,
                extra: Extra::new(),
            }),
            ..Self::empty(OperationType::Destroy)
        }
    }

    /// Requests operation feedback under `id` (builder style).
    pub fn with_id(mut self, id: impl Into<OperationId>) -> Self {
        self.id = Some(id.into());
        self
    }
}
