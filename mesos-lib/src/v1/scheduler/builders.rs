//! Constructors for every scheduler call, so callers never assemble envelopes by hand.

use crate::v1::Extra;
use crate::v1::bytes::Bytes;
use crate::v1::common::Filters;
use crate::v1::framework::FrameworkInfo;
use crate::v1::ids::{
    AgentId, ExecutorId, FrameworkId, OfferId, OperationId, ResourceProviderId, TaskId,
};
use crate::v1::offer::Operation;
use crate::v1::resources::Resource;
use crate::v1::task::{KillPolicy, TaskInfo};

use super::call::*;

impl Call {
    /// SUBSCRIBE; the top-level `framework_id` mirrors `framework_info.id`, as Mesos requires.
    pub fn subscribe(framework_info: FrameworkInfo) -> Self {
        let framework_id = framework_info.id.clone();
        Self {
            subscribe: Some(Subscribe {
                framework_info,
                suppressed_roles: Vec::new(),
                extra: Extra::new(),
            }),
            ..Self::new(CallType::Subscribe, framework_id)
        }
    }

    /// TEARDOWN: removes the framework and kills its tasks.
    pub fn teardown(framework_id: FrameworkId) -> Self {
        Self::new(CallType::Teardown, Some(framework_id))
    }

    /// ACCEPT `offer_ids` running `operations` in order.
    pub fn accept(
        framework_id: FrameworkId,
        offer_ids: Vec<OfferId>,
        operations: Vec<Operation>,
        filters: Option<Filters>,
    ) -> Self {
        Self {
            accept: Some(Accept {
                offer_ids,
                operations,
                filters,
                extra: Extra::new(),
            }),
            ..Self::new(CallType::Accept, Some(framework_id))
        }
    }

    /// ACCEPT one offer with a single LAUNCH of `tasks`.
    pub fn launch(
        framework_id: FrameworkId,
        offer_id: OfferId,
        tasks: Vec<TaskInfo>,
        filters: Option<Filters>,
    ) -> Self {
        Self::accept(
            framework_id,
            vec![offer_id],
            vec![Operation::launch(tasks)],
            filters,
        )
    }

    /// DECLINE `offer_ids`, optionally refusing them for a while.
    pub fn decline(
        framework_id: FrameworkId,
        offer_ids: Vec<OfferId>,
        filters: Option<Filters>,
    ) -> Self {
        Self {
            decline: Some(Decline {
                offer_ids,
                filters,
                extra: Extra::new(),
            }),
            ..Self::new(CallType::Decline, Some(framework_id))
        }
    }

    /// ACCEPT_INVERSE_OFFERS.
    pub fn accept_inverse_offers(
        framework_id: FrameworkId,
        inverse_offer_ids: Vec<OfferId>,
        filters: Option<Filters>,
    ) -> Self {
        Self {
            accept_inverse_offers: Some(InverseOffersReply {
                inverse_offer_ids,
                filters,
                extra: Extra::new(),
            }),
            ..Self::new(CallType::AcceptInverseOffers, Some(framework_id))
        }
    }

    /// DECLINE_INVERSE_OFFERS.
    pub fn decline_inverse_offers(
        framework_id: FrameworkId,
        inverse_offer_ids: Vec<OfferId>,
        filters: Option<Filters>,
    ) -> Self {
        Self {
            decline_inverse_offers: Some(InverseOffersReply {
                inverse_offer_ids,
                filters,
                extra: Extra::new(),
            }),
            ..Self::new(CallType::DeclineInverseOffers, Some(framework_id))
        }
    }

    /// REVIVE `roles` (empty = all).
    pub fn revive(framework_id: FrameworkId, roles: Vec<String>) -> Self {
        Self {
            revive: Some(Roles {
                roles,
                extra: Extra::new(),
            }),
            ..Self::new(CallType::Revive, Some(framework_id))
        }
    }

    /// SUPPRESS `roles` (empty = all).
    pub fn suppress(framework_id: FrameworkId, roles: Vec<String>) -> Self {
        Self {
            suppress: Some(Roles {
                roles,
                extra: Extra::new(),
            }),
            ..Self::new(CallType::Suppress, Some(framework_id))
        }
    }

    /// KILL `task_id`.
    pub fn kill(
        framework_id: FrameworkId,
        task_id: TaskId,
        agent_id: Option<AgentId>,
        kill_policy: Option<KillPolicy>,
    ) -> Self {
        Self {
            kill: Some(Kill {
                task_id,
                agent_id,
                kill_policy,
                extra: Extra::new(),
            }),
            ..Self::new(CallType::Kill, Some(framework_id))
        }
    }

    /// SHUTDOWN an executor.
    pub fn shutdown(framework_id: FrameworkId, executor_id: ExecutorId, agent_id: AgentId) -> Self {
        Self {
            shutdown: Some(Shutdown {
                executor_id,
                agent_id,
                extra: Extra::new(),
            }),
            ..Self::new(CallType::Shutdown, Some(framework_id))
        }
    }

    /// ACKNOWLEDGE a status update, echoing its `uuid` bytes.
    pub fn acknowledge(
        framework_id: FrameworkId,
        agent_id: AgentId,
        task_id: TaskId,
        uuid: Bytes,
    ) -> Self {
        Self {
            acknowledge: Some(Acknowledge {
                agent_id,
                task_id,
                uuid,
                extra: Extra::new(),
            }),
            ..Self::new(CallType::Acknowledge, Some(framework_id))
        }
    }

    /// ACKNOWLEDGE_OPERATION_STATUS.
    pub fn acknowledge_operation_status(
        framework_id: FrameworkId,
        agent_id: Option<AgentId>,
        resource_provider_id: Option<ResourceProviderId>,
        operation_id: OperationId,
        uuid: Bytes,
    ) -> Self {
        Self {
            acknowledge_operation_status: Some(AcknowledgeOperationStatus {
                agent_id,
                resource_provider_id,
                uuid,
                operation_id,
                extra: Extra::new(),
            }),
            ..Self::new(CallType::AcknowledgeOperationStatus, Some(framework_id))
        }
    }

    /// RECONCILE `tasks` (`(task, agent)` pairs; empty = implicit reconciliation).
    pub fn reconcile(framework_id: FrameworkId, tasks: Vec<(TaskId, Option<AgentId>)>) -> Self {
        let tasks = tasks
            .into_iter()
            .map(|(task_id, agent_id)| ReconcileTask {
                task_id,
                agent_id,
                extra: Extra::new(),
            })
            .collect();
        Self {
            reconcile: Some(Reconcile {
                tasks,
                extra: Extra::new(),
            }),
            ..Self::new(CallType::Reconcile, Some(framework_id))
        }
    }

    /// RECONCILE_OPERATIONS (empty = all).
    pub fn reconcile_operations(
        framework_id: FrameworkId,
        operations: Vec<ReconcileOperation>,
    ) -> Self {
        Self {
            reconcile_operations: Some(ReconcileOperations {
                operations,
                extra: Extra::new(),
            }),
            ..Self::new(CallType::ReconcileOperations, Some(framework_id))
        }
    }

    /// MESSAGE to an executor.
    pub fn message(
        framework_id: FrameworkId,
        agent_id: AgentId,
        executor_id: ExecutorId,
        data: Bytes,
    ) -> Self {
        Self {
            message: Some(Message {
                agent_id,
                executor_id,
                data,
                extra: Extra::new(),
            }),
            ..Self::new(CallType::Message, Some(framework_id))
        }
    }

    /// REQUEST resources (ignored by the default allocator).
    pub fn request(
        framework_id: FrameworkId,
        requests: Vec<(Option<AgentId>, Vec<Resource>)>,
    ) -> Self {
        let requests = requests
            .into_iter()
            .map(|(agent_id, resources)| ResourceRequest {
                agent_id,
                resources,
                extra: Extra::new(),
            })
            .collect();
        Self {
            request: Some(Request {
                requests,
                extra: Extra::new(),
            }),
            ..Self::new(CallType::Request, Some(framework_id))
        }
    }

    /// UPDATE_FRAMEWORK; `framework_info.id` is set to `framework_id` as Mesos requires.
    pub fn update_framework(
        framework_id: FrameworkId,
        mut framework_info: FrameworkInfo,
        suppressed_roles: Vec<String>,
    ) -> Self {
        framework_info.id = Some(framework_id.clone());
        Self {
            update_framework: Some(UpdateFramework {
                framework_info,
                suppressed_roles,
                extra: Extra::new(),
            }),
            ..Self::new(CallType::UpdateFramework, Some(framework_id))
        }
    }
}
