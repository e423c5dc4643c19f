//! The scheduler calls, one method each, on the session's handle: each is sent to the
//! leader and, once the master has accepted it, recorded in the book.

use super::book::Book;
use super::error::SessionError;
use super::offers::OfferEnd;
use super::session::Scheduler;
use crate::httpcli::RawReply;
use crate::v1::scheduler::Call;
use crate::v1::task::ExecutorInfo;
use crate::v1::{
    AgentId, Bytes as MesosBytes, ExecutorId, Filters, FrameworkId, FrameworkInfo, InverseOffer,
    OfferId, Operation, OperationType, Resource, TaskId, TaskInfo, TaskStatus,
};

impl Scheduler {
    /// The framework's roles (what SUPPRESS or REVIVE without roles applies to). Reads the
    /// book: never call it inside `update`, which holds the book's lock.
    fn roles(&self) -> Vec<String> {
        self.shared.read(|b| b.framework_info.effective_roles())
    }

    fn fid(&self) -> Result<FrameworkId, SessionError> {
        self.shared.read(|b| {
            b.framework_id
                .clone()
                .ok_or_else(|| SessionError::NotSubscribed(b.state.clone()))
        })
    }

    /// Sends any call as is (its `framework_id` must be set); answers 202/200 as `Ok`.
    pub async fn call(&self, call: &Call) -> Result<(), SessionError> {
        self.shared.send(call).await
    }

    /// ACCEPT offers with operations; the offers leave the book and launched tasks enter it.
    pub async fn accept(
        &self,
        offer_ids: Vec<OfferId>,
        operations: Vec<Operation>,
        filters: Option<Filters>,
    ) -> Result<(), SessionError> {
        let call = Call::accept(self.fid()?, offer_ids, operations, filters);
        let sent_at = self.shared.read(|b| b.tasks.seq());
        self.shared.send(&call).await?;
        let roles = self.roles();
        self.shared
            .update(|b| record_sent(b, &call, &roles, sent_at));
        Ok(())
    }

    /// Launches `tasks` on one outstanding offer.
    pub async fn launch(
        &self,
        offer_id: &OfferId,
        tasks: Vec<TaskInfo>,
    ) -> Result<(), SessionError> {
        if self.shared.read(|b| b.offers.get(offer_id).is_none()) {
            return Err(SessionError::UnknownOffer(offer_id.value.clone()));
        }
        self.accept(vec![offer_id.clone()], vec![Operation::launch(tasks)], None)
            .await
    }

    /// Launches `tasks` as one task group under `executor` (LAUNCH_GROUP) on one outstanding
    /// offer; an executor without `framework_id` gets this framework's.
    pub async fn launch_group(
        &self,
        offer_id: &OfferId,
        mut executor: ExecutorInfo,
        tasks: Vec<TaskInfo>,
    ) -> Result<(), SessionError> {
        if self.shared.read(|b| b.offers.get(offer_id).is_none()) {
            return Err(SessionError::UnknownOffer(offer_id.value.clone()));
        }
        if executor.framework_id.is_none() {
            executor.framework_id = Some(self.fid()?);
        }
        let op = Operation::launch_group(executor, tasks);
        self.accept(vec![offer_id.clone()], vec![op], None).await
    }

    /// DECLINE offers, refusing them for `refuse_seconds` if given.
    pub async fn decline(
        &self,
        offer_ids: Vec<OfferId>,
        refuse_seconds: Option<f64>,
    ) -> Result<(), SessionError> {
        let filters = refuse_seconds.map(Filters::refuse_seconds);
        let call = Call::decline(self.fid()?, offer_ids, filters);
        self.shared.send(&call).await?;
        let roles = self.roles();
        // No launch in this call: when it was sent does not matter.
        self.shared
            .update(|b| record_sent(b, &call, &roles, u64::MAX));
        Ok(())
    }

    /// ACCEPT_INVERSE_OFFERS (`accept`) or DECLINE_INVERSE_OFFERS for outstanding inverse
    /// offers, with `filters.refuse_seconds` if given (how long until the master asks again).
    pub async fn answer_inverse_offers(
        &self,
        ids: Vec<OfferId>,
        accept: bool,
        refuse_seconds: Option<f64>,
    ) -> Result<(), SessionError> {
        let filters = refuse_seconds.map(Filters::refuse_seconds);
        let call = if accept {
            Call::accept_inverse_offers(self.fid()?, ids, filters)
        } else {
            Call::decline_inverse_offers(self.fid()?, ids, filters)
        };
        self.shared.send(&call).await?;
        let roles = self.roles();
        self.shared
            .update(|b| record_sent(b, &call, &roles, u64::MAX));
        Ok(())
    }

    /// Outstanding inverse offers.
    pub fn inverse_offers(&self) -> Vec<InverseOffer> {
        self.shared.read(|b| b.inverse_offers.clone())
    }

    /// REVIVE `roles` (empty = all): clears filters and unsuppresses.
    pub async fn revive(&self, roles: Vec<String>) -> Result<(), SessionError> {
        let call = Call::revive(self.fid()?, roles);
        self.shared.send(&call).await?;
        let roles = self.roles();
        // No launch in this call: when it was sent does not matter.
        self.shared
            .update(|b| record_sent(b, &call, &roles, u64::MAX));
        Ok(())
    }

    /// SUPPRESS `roles` (empty = all): no more offers until REVIVE.
    pub async fn suppress(&self, roles: Vec<String>) -> Result<(), SessionError> {
        let call = Call::suppress(self.fid()?, roles);
        self.shared.send(&call).await?;
        let roles = self.roles();
        // No launch in this call: when it was sent does not matter.
        self.shared
            .update(|b| record_sent(b, &call, &roles, u64::MAX));
        Ok(())
    }

    /// Sends any call as given and returns the master's answer verbatim (status and body),
    /// for showing it as is; a 2xx updates the book as the typed methods do. A TEARDOWN closes
    /// the session like [`teardown`](Self::teardown). SUBSCRIBE is refused: the session owns
    /// the one stream.
    pub async fn call_raw(&self, call: &Call) -> Result<RawReply, SessionError> {
        use crate::v1::scheduler::CallType;
        use std::sync::atomic::Ordering;
        if call.call_type == CallType::Subscribe {
            return Err(SessionError::Refused(
                "SUBSCRIBE opens a stream; this session already has one".into(),
            ));
        }
        let teardown = call.call_type == CallType::Teardown;
        if teardown {
            self.shared.tearing_down.store(true, Ordering::SeqCst);
        }
        let sent_at = self.shared.read(|b| b.tasks.seq());
        let reply = self.shared.send_raw(call).await;
        let ok = reply.as_ref().is_ok_and(RawReply::is_success);
        if teardown && !ok {
            self.shared.tearing_down.store(false, Ordering::SeqCst);
        }
        if ok {
            let roles = self.roles();
            self.shared
                .update(|b| record_sent(b, call, &roles, sent_at));
            if teardown {
                self.close().await;
            }
        }
        reply
    }

    /// KILL a task (its agent is filled in from the book when known).
    pub async fn kill(&self, task_id: &str) -> Result<(), SessionError> {
        let agent = self
            .shared
            .read(|b| b.tasks.get(task_id).and_then(|t| t.agent_id.clone()));
        self.shared
            .send(&Call::kill(self.fid()?, TaskId::new(task_id), agent, None))
            .await
    }

    /// SHUTDOWN an executor.
    pub async fn shutdown(
        &self,
        executor_id: ExecutorId,
        agent_id: AgentId,
    ) -> Result<(), SessionError> {
        self.shared
            .send(&Call::shutdown(self.fid()?, executor_id, agent_id))
            .await
    }

    /// ACKNOWLEDGE a status update (for sessions with `auto_acknowledge` off), echoing its uuid.
    /// Updates without a uuid must not be acknowledged and are ignored.
    pub async fn acknowledge(&self, status: &TaskStatus) -> Result<(), SessionError> {
        let (Some(uuid), Some(task_id), Some(agent_id)) =
            (&status.uuid, &status.task_id, &status.agent_id)
        else {
            return Ok(());
        };
        self.shared
            .send(&Call::acknowledge(
                self.fid()?,
                agent_id.clone(),
                task_id.clone(),
                uuid.clone(),
            ))
            .await
    }

    /// RECONCILE the given tasks (empty = implicit: every task the master knows).
    pub async fn reconcile(
        &self,
        tasks: Vec<(TaskId, Option<AgentId>)>,
    ) -> Result<(), SessionError> {
        self.shared.send(&Call::reconcile(self.fid()?, tasks)).await
    }

    /// MESSAGE to an executor (unreliable).
    pub async fn message(
        &self,
        agent_id: AgentId,
        executor_id: ExecutorId,
        data: Vec<u8>,
    ) -> Result<(), SessionError> {
        self.shared
            .send(&Call::message(
                self.fid()?,
                agent_id,
                executor_id,
                MesosBytes::new(data),
            ))
            .await
    }

    /// REQUEST resources (ignored by the default allocator).
    pub async fn request(
        &self,
        requests: Vec<(Option<AgentId>, Vec<Resource>)>,
    ) -> Result<(), SessionError> {
        self.shared
            .send(&Call::request(self.fid()?, requests))
            .await
    }

    /// UPDATE_FRAMEWORK (answers 200; principal, user and checkpoint cannot change).
    pub async fn update_framework(
        &self,
        framework_info: FrameworkInfo,
        suppressed_roles: Vec<String>,
    ) -> Result<(), SessionError> {
        let call = Call::update_framework(self.fid()?, framework_info.clone(), suppressed_roles);
        self.shared.send(&call).await?;
        let roles = framework_info.effective_roles();
        self.shared.update(|b| {
            b.framework_info = framework_info;
            record_sent(b, &call, &roles, u64::MAX)
        });
        Ok(())
    }

    /// TEARDOWN: the master kills every task and forgets the framework; the session closes.
    pub async fn teardown(&self) -> Result<(), SessionError> {
        let call = Call::teardown(self.fid()?);
        self.shared
            .tearing_down
            .store(true, std::sync::atomic::Ordering::SeqCst);
        if let Err(e) = self.shared.send(&call).await {
            self.shared
                .tearing_down
                .store(false, std::sync::atomic::Ordering::SeqCst);
            return Err(e);
        }
        self.close().await;
        Ok(())
    }
}

/// What a call the master accepted changes in the book: offers it used or declined leave,
/// tasks it launched enter, SUPPRESS/REVIVE/UPDATE_FRAMEWORK set the suppressed roles.
fn record_sent(b: &mut Book, call: &Call, roles: &[String], sent_at: u64) {
    if let Some(a) = &call.accept {
        for id in &a.offer_ids {
            b.offers.remove(id);
        }
        for op in &a.operations {
            if op.operation_type == OperationType::Launch
                && let Some(launch) = &op.launch
            {
                for t in &launch.task_infos {
                    b.tasks.launched_after(t, sent_at);
                }
            }
            if let Some(group) = &op.launch_group {
                for t in &group.task_group.tasks {
                    b.tasks.launched_after(t, sent_at);
                }
            }
        }
    }
    if let Some(d) = &call.decline {
        for id in &d.offer_ids {
            b.offers.retire(id, OfferEnd::Declined);
        }
    }
    for reply in [&call.accept_inverse_offers, &call.decline_inverse_offers]
        .into_iter()
        .flatten()
    {
        for id in &reply.inverse_offer_ids {
            b.retire_inverse_offer(id);
        }
    }
    if let Some(r) = &call.suppress {
        // No roles means every role of the framework.
        let roles = if r.roles.is_empty() { roles } else { &r.roles };
        b.suppressed_roles.extend(roles.iter().cloned());
    }
    if let Some(r) = &call.revive {
        if r.roles.is_empty() {
            b.suppressed_roles.clear();
        } else {
            for role in &r.roles {
                b.suppressed_roles.remove(role);
            }
        }
    }
    if let Some(u) = &call.update_framework {
        b.suppressed_roles = u.suppressed_roles.iter().cloned().collect();
    }
}
