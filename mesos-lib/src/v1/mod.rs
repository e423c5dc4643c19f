//! Serde types for the Mesos v1 HTTP API, following Mesos's protobuf JSON mapping:
//! snake_case names, enums as proto names (unknown names kept), 64-bit integers as
//! numbers, `bytes` as base64, unset optionals omitted, unknown fields kept in `extra`.

pub mod agent;
pub mod bytes;
pub mod common;
pub mod container;
pub mod executor;
mod extra;
pub mod framework;
pub mod ids;
pub mod lenient;
#[doc(hidden)]
pub mod macros;
pub mod maintenance;
pub mod master;
pub mod master_info;
pub mod offer;
pub mod operation;
pub mod resources;
pub mod scheduler;
pub mod status;
pub mod task;

pub(crate) use crate::proto_enum;

pub use extra::Extra;

pub use agent::AgentInfo;
pub use bytes::Bytes;
pub use common::{Environment, Filters, Labels, TimeInfo};
pub use container::{ContainerInfo, ContainerStatus};
pub use framework::{FrameworkCapabilityType, FrameworkInfo};
pub use ids::*;
pub use master_info::MasterInfo;
pub use offer::{InverseOffer, Offer, Operation, OperationType};
pub use resources::{Attribute, Resource, ValueType};
pub use status::{Reason, Source, TaskState, TaskStatus};
pub use task::{CommandInfo, TaskInfo};
