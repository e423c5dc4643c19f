//! Operation feedback for offer operations with an `id`, as a Mesos 1.11 master and an agent
//! with RESOURCE_PROVIDER and AGENT_OPERATION_FEEDBACK (the default since 1.9) give it: the
//! agent applies the operation and reports OPERATION_FINISHED with a status uuid
//! (`Slave::applyOperation`), which the master forwards to the framework
//! (`Master::updateOperationStatus`) and the agent's operation status update manager re-sends
//! until ACKNOWLEDGE_OPERATION_STATUS (`Master::acknowledgeOperationStatus`); the master lists
//! the operation (GET_OPERATIONS) until then and answers RECONCILE_OPERATIONS with events
//! (`Master::reconcileOperations`).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::Master;
use super::state::MasterState;
use crate::http::EventSender;
use crate::ids;
use mesos_lib::v1::ids::{AgentId, FrameworkId, OperationId};
use mesos_lib::v1::offer::Operation as OfferOperation;
use mesos_lib::v1::operation::{Operation, OperationState, OperationStatus, Uuid};
use mesos_lib::v1::resources::{AllocationInfo, Resource};
use mesos_lib::v1::scheduler::Event;
use mesos_lib::v1::scheduler::call::{AcknowledgeOperationStatus, ReconcileOperation};
use mesos_lib::v1::{Extra, OperationType};

/// The longest wait between two sends of an unacknowledged status
/// (`STATUS_UPDATE_RETRY_INTERVAL_MAX`; the shortest is the status update retry interval).
const RETRY_MAX: Duration = Duration::from_secs(600);

/// An operation with an `id` the master keeps until its terminal status is acknowledged.
pub(crate) struct OperationRecord {
    pub framework_id: String,
    pub agent_id: String,
    /// The operation as the master keeps it (`allocation_info` injected).
    pub info: OfferOperation,
    /// The operation's own uuid, not the status's.
    pub uuid: Uuid,
    /// Its (only) status: OPERATION_FINISHED with a status uuid.
    pub status: OperationStatus,
    /// When the status is next sent again, and the wait after that.
    pub next_send: Instant,
    pub interval: Duration,
}

impl OperationRecord {
    fn id(&self) -> &str {
        self.info.id.as_ref().map_or("", |id| id.value.as_str())
    }

    /// A record taken back from an agent's copy (its GET_OPERATIONS view) by a master that
    /// restarted, as a real master learns an agent's operations when it re-registers; its
    /// status goes out again at the next retry.
    fn recovered(view: &Operation, retry: Duration) -> Option<Self> {
        Some(Self {
            framework_id: view.framework_id.as_ref()?.value.clone(),
            agent_id: view.agent_id.as_ref()?.value.clone(),
            info: view.info.clone(),
            uuid: view.uuid.clone(),
            status: view.latest_status.clone(),
            next_send: Instant::now(),
            interval: retry,
        })
    }

    /// The v1 `Operation` (GET_OPERATIONS).
    fn view(&self) -> Operation {
        Operation {
            framework_id: Some(FrameworkId::new(&*self.framework_id)),
            agent_id: Some(AgentId::new(&*self.agent_id)),
            info: self.info.clone(),
            latest_status: self.status.clone(),
            statuses: vec![self.status.clone()],
            uuid: self.uuid.clone(),
            extra: Extra::new(),
        }
    }
}

/// `Master::drop` of an operation with an `id`: OPERATION_ERROR with the master's text (no
/// agent, no uuid: the master cannot vouch for them).
pub(crate) fn send_error(sender: Option<&EventSender>, id: Option<&OperationId>, message: &str) {
    let (Some(sender), Some(id)) = (sender, id) else {
        return;
    };
    let mut status = OperationStatus::new(Some(id.clone()), OperationState::Error);
    status.message = Some(message.to_owned());
    sender.send(&Event::update_operation_status(status));
}

/// A resource operation that asks for feedback (has an `id`), typed as it comes in for the
/// master's record; the error follows "Failed to convert JSON into Call protobuf: " (stout's
/// text for an `id` that is no message, serde's for the rest).
pub(crate) fn feedback_operation(op: &Value) -> Result<OfferOperation, String> {
    if let Some(id) = op.get("id").filter(|id| !id.is_object()) {
        return Err(crate::json::not_expecting(id, "id"));
    }
    <OfferOperation as serde::Deserialize>::deserialize(op).map_err(|e| e.to_string())
}

/// Gives every resource of the operation without `allocation_info` the offer's role
/// (`protobuf::injectAllocationInfo`).
fn inject_allocation(op: &mut OfferOperation, role: &str) {
    let mut lists: Vec<&mut Vec<Resource>> = Vec::new();
    match op.operation_type {
        OperationType::Reserve => {
            if let Some(r) = op.reserve.as_mut() {
                lists.extend([&mut r.source, &mut r.resources]);
            }
        }
        OperationType::Unreserve => lists.extend(op.unreserve.as_mut().map(|u| &mut u.resources)),
        OperationType::Create => lists.extend(op.create.as_mut().map(|c| &mut c.volumes)),
        OperationType::Destroy => lists.extend(op.destroy.as_mut().map(|d| &mut d.volumes)),
        _ => {}
    }
    for r in lists.into_iter().flatten() {
        r.allocation_info
            .get_or_insert_with(|| AllocationInfo::role(role));
    }
    // The resizes' bodies are not modelled: their resources are trees.
    let resize = matches!(
        op.operation_type,
        OperationType::GrowVolume | OperationType::ShrinkVolume
    );
    let section = op.operation_type.as_str().to_ascii_lowercase();
    // Looked up first: reaching into `extra` mutably gives it a map of its own.
    if !resize || !op.extra.contains_key(&section) {
        return;
    }
    if let Some(Value::Object(body)) = op.extra.get_mut(&section) {
        for (field, v) in body.iter_mut() {
            let list: Vec<&mut Value> = match v {
                Value::Array(a) => a.iter_mut().collect(),
                Value::Object(_) if field == "volume" || field == "addition" => vec![v],
                _ => continue,
            };
            for r in list.into_iter().filter_map(Value::as_object_mut) {
                r.entry("allocation_info").or_insert(json!({"role": role}));
            }
        }
    }
}

impl Master {
    /// The agent finished `op` (carried out, with an `id`): keeps it and tells the framework.
    pub(crate) fn operation_finished(
        &self,
        st: &mut MasterState,
        fid: &str,
        agent_id: &str,
        role: &str,
        mut info: OfferOperation,
    ) {
        inject_allocation(&mut info, role);
        let mut status = OperationStatus::new(info.id.clone(), OperationState::Finished);
        status.uuid = Some(Uuid {
            value: ids::status_uuid_bytes(),
        });
        status.agent_id = Some(AgentId::new(agent_id));
        let record = OperationRecord {
            framework_id: fid.to_string(),
            agent_id: agent_id.to_string(),
            info,
            uuid: Uuid {
                value: ids::status_uuid_bytes(),
            },
            status,
            next_send: Instant::now() + self.cfg.status_update_retry_interval,
            interval: self.cfg.status_update_retry_interval,
        };
        if let Some(s) = st.frameworks.get(fid).and_then(|f| f.subscription.as_ref()) {
            s.sender
                .send(&Event::update_operation_status(record.status.clone()));
        }
        // A second operation of the framework with the same ID takes the first one's place.
        st.operations
            .retain(|r| !(r.framework_id == fid && r.id() == record.id()));
        st.operations.push(record);
        st.sync_operations(agent_id);
    }

    /// Sends again each status not acknowledged in time, the wait doubling up to 10 minutes.
    pub(crate) fn retry_operations(&self) {
        let now = Instant::now();
        let mut guard = self.lock();
        let st = &mut *guard;
        // A removed agent's operations go with it (`Master::__removeSlave`).
        st.operations
            .retain(|r| st.agents.contains_key(&r.agent_id));
        for r in st.operations.iter_mut().filter(|r| r.next_send <= now) {
            if let Some(s) = st
                .frameworks
                .get(&r.framework_id)
                .and_then(|f| f.subscription.as_ref())
            {
                s.sender
                    .send(&Event::update_operation_status(r.status.clone()));
            }
            r.interval = (r.interval * 2).min(RETRY_MAX);
            r.next_send = now + r.interval;
        }
    }

    /// ACKNOWLEDGE_OPERATION_STATUS (already validated): the acknowledged terminal status ends
    /// the operation; an unknown agent, operation or status is ignored, as the master does.
    pub(crate) fn acknowledge_operation_status(&self, fid: &str, ack: &AcknowledgeOperationStatus) {
        // `validate` requires the agent; the status uuid compares as bytes.
        let aid = ack.agent_id.as_ref().map_or("", |a| a.value.as_str());
        let oid = ack.operation_id.value.as_str();
        let mut st = self.lock();
        if !st.agents.contains_key(aid) {
            tracing::warn!(
                operation = oid,
                "ignoring an acknowledgement: agent {aid} is not registered"
            );
            return;
        }
        let found = st.operations.iter().position(|r| {
            r.framework_id == fid
                && r.id() == oid
                && r.status.uuid.as_ref().map(|u| &u.value) == Some(&ack.uuid)
        });
        match found {
            Some(i) => {
                st.operations.remove(i);
                st.sync_operations(aid);
            }
            None => tracing::warn!(
                operation = oid,
                "ignoring an acknowledgement of an unknown operation or status"
            ),
        }
    }

    /// RECONCILE_OPERATIONS: each status as an UPDATE_OPERATION_STATUS event, sent without a
    /// uuid (not reliably): every kept operation of the framework when none is named.
    pub(crate) fn reconcile_operations(&self, fid: &str, asked: &[ReconcileOperation]) {
        let st = self.lock();
        let Some(sender) = st
            .frameworks
            .get(fid)
            .and_then(|f| f.subscription.as_ref())
            .map(|s| &s.sender)
        else {
            return;
        };
        let latest = |r: &OperationRecord| {
            let mut s = r.status.clone();
            s.uuid = None;
            s
        };
        if asked.is_empty() {
            for r in st.operations.iter().filter(|r| r.framework_id == fid) {
                sender.send(&Event::update_operation_status(latest(r)));
            }
        }
        for q in asked {
            let oid = q.operation_id.value.as_str();
            let known = st
                .operations
                .iter()
                .find(|r| r.framework_id == fid && r.id() == oid);
            let status = match known {
                Some(r) => latest(r),
                None => unknown_status(&st, q),
            };
            sender.send(&Event::update_operation_status(status));
        }
    }
}

/// The status of an operation the master does not know, by what it knows of the agent.
fn unknown_status(st: &MasterState, q: &ReconcileOperation) -> OperationStatus {
    let aid = q.agent_id.as_ref().map(|a| a.value.as_str());
    let (state, message) = match aid {
        Some(a) if st.agent_registry.gone.contains_key(a) => (
            OperationState::GoneByOperator,
            "Reconciliation: Agent marked gone by operator",
        ),
        Some(a) if st.agents.contains_key(a) => (
            OperationState::OperationUnknown,
            "Reconciliation: Operation is unknown",
        ),
        Some(_) => (
            OperationState::OperationUnknown,
            "Reconciliation: Both operation and agent are unknown",
        ),
        None => (
            OperationState::OperationUnknown,
            "Reconciliation: Operation is unknown and no 'agent_id' was provided",
        ),
    };
    let mut status = OperationStatus::new(Some(q.operation_id.clone()), state);
    status.message = Some(message.to_owned());
    status.agent_id = q.agent_id.clone();
    status.resource_provider_id = q.resource_provider_id.clone();
    status
}

impl MasterState {
    /// Takes back the unacknowledged operations agent `aid` holds (after a master restart).
    pub(crate) fn recover_operations(&mut self, aid: &str, retry: Duration) {
        let Some(entry) = self.agents.get(aid) else {
            return;
        };
        // Read under the agent's lock, each view copied once into its record.
        let views = entry
            .agent
            .operations
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        self.operations.extend(
            views
                .iter()
                .filter_map(|v| OperationRecord::recovered(v, retry)),
        );
    }

    /// Tells agent `aid` which of its operations are still unacknowledged (its GET_OPERATIONS).
    pub(crate) fn sync_operations(&self, aid: &str) {
        let Some(entry) = self.agents.get(aid) else {
            return;
        };
        let ops: Vec<Operation> = self
            .operations
            .iter()
            .filter(|r| r.agent_id == aid)
            .map(OperationRecord::view)
            .collect();
        *entry
            .agent
            .operations
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = ops;
    }
}

/// GET_OPERATIONS: the operations the master keeps.
pub(crate) fn get_operations(st: &MasterState) -> Value {
    let ops: Vec<Operation> = st
        .operations
        .iter()
        .filter(|r| st.agents.contains_key(&r.agent_id))
        .map(OperationRecord::view)
        .collect();
    if ops.is_empty() {
        return json!({});
    }
    json!({"operations": ops})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_that_is_no_message_gets_stouts_text() {
        let op = json!({"type": "RESERVE", "id": "r1", "reserve": {"resources": []}});
        let e = feedback_operation(&op).unwrap_err();
        assert_eq!(e, "Not expecting a JSON string for field 'id'");
        let op = json!({"type": "RESERVE", "id": {"value": "r1"}, "reserve": {"resources": []}});
        assert_eq!(feedback_operation(&op).unwrap().id, Some("r1".into()));
    }

    #[test]
    fn allocation_goes_to_each_resource_without_one_also_in_a_resize() {
        let cpus = json!({"name": "cpus", "type": "SCALAR", "scalar": {"value": 1.0}});
        let mut given = cpus.clone();
        given["allocation_info"] = json!({"role": "other"});
        let op = json!({"type": "RESERVE", "id": {"value": "r"},
            "reserve": {"resources": [cpus, given]}});
        let mut typed = feedback_operation(&op).unwrap();
        inject_allocation(&mut typed, "web");
        let written = serde_json::to_value(&typed).unwrap();
        let roles = &written["reserve"]["resources"];
        assert_eq!(roles[0]["allocation_info"], json!({"role": "web"}));
        assert_eq!(roles[1]["allocation_info"], json!({"role": "other"}));
        let op = json!({"type": "GROW_VOLUME", "id": {"value": "g"},
            "grow_volume": {"volume": cpus, "addition": cpus}});
        let mut typed = feedback_operation(&op).unwrap();
        inject_allocation(&mut typed, "web");
        let written = serde_json::to_value(&typed).unwrap();
        for field in ["volume", "addition"] {
            assert_eq!(
                written["grow_volume"][field]["allocation_info"]["role"],
                "web"
            );
        }
    }

    #[test]
    fn a_kept_operation_is_written_in_the_protos_field_order() {
        // The framework's own key order (id before type) gives way to mesos.proto's.
        let op = json!({"reserve": {"resources": []}, "id": {"value": "r"}, "type": "RESERVE"});
        let mut status = OperationStatus::new(Some("r".into()), OperationState::Finished);
        status.agent_id = Some(AgentId::new("a"));
        status.uuid = Some(Uuid {
            value: mesos_lib::v1::Bytes::new([1u8; 16]),
        });
        let record = OperationRecord {
            framework_id: "f".into(),
            agent_id: "a".into(),
            info: feedback_operation(&op).unwrap(),
            uuid: Uuid {
                value: mesos_lib::v1::Bytes::new([2u8; 16]),
            },
            status,
            next_send: Instant::now(),
            interval: Duration::from_secs(1),
        };
        let st = r#"{"operation_id":{"value":"r"},"state":"OPERATION_FINISHED","uuid":{"value":"AQEBAQEBAQEBAQEBAQEBAQ=="},"agent_id":{"value":"a"}}"#;
        let expected = format!(
            r#"{{"framework_id":{{"value":"f"}},"agent_id":{{"value":"a"}},"info":{{"type":"RESERVE","id":{{"value":"r"}},"reserve":{{}}}},"latest_status":{st},"statuses":[{st}],"uuid":{{"value":"AgICAgICAgICAgICAgICAg=="}}}}"#
        );
        assert_eq!(serde_json::to_string(&record.view()).unwrap(), expected);
        let back = OperationRecord::recovered(&record.view(), Duration::from_secs(1)).unwrap();
        assert_eq!(serde_json::to_string(&back.view()).unwrap(), expected);
    }
}
