//! Operation feedback for offer operations with an `id`, as a Mesos 1.11 master and an agent
//! with RESOURCE_PROVIDER and AGENT_OPERATION_FEEDBACK (the default since 1.9) give it: the
//! agent applies the operation and reports OPERATION_FINISHED with a status uuid
//! (`Slave::applyOperation`), which the master forwards to the framework
//! (`Master::updateOperationStatus`) and the agent's operation status update manager re-sends
//! until ACKNOWLEDGE_OPERATION_STATUS (`Master::acknowledgeOperationStatus`); the master lists
//! the operation (GET_OPERATIONS) until then and answers RECONCILE_OPERATIONS with events
//! (`Master::reconcileOperations`).

use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::Master;
use super::state::MasterState;
use crate::http::EventSender;
use crate::ids;
use crate::json as j;
use mesos_lib::v1::scheduler::call::{AcknowledgeOperationStatus, ReconcileOperation};

/// The longest wait between two sends of an unacknowledged status
/// (`STATUS_UPDATE_RETRY_INTERVAL_MAX`; the shortest is the status update retry interval).
const RETRY_MAX: Duration = Duration::from_secs(600);

/// An operation with an `id` the master keeps until its terminal status is acknowledged.
pub(crate) struct OperationRecord {
    pub framework_id: String,
    pub agent_id: String,
    /// The operation as the master keeps it (`allocation_info` injected).
    pub info: Value,
    /// The operation's own uuid (base64), not the status's.
    pub uuid: String,
    /// Its (only) status: OPERATION_FINISHED with a status uuid.
    pub status: Value,
    /// When the status is next sent again, and the wait after that.
    pub next_send: Instant,
    pub interval: Duration,
}

impl OperationRecord {
    fn id(&self) -> &str {
        j::id_at(&self.info, "id").unwrap_or("")
    }

    /// A record taken back from an agent's copy (its GET_OPERATIONS view) by a master that
    /// restarted, as a real master learns an agent's operations when it re-registers; its
    /// status goes out again at the next retry.
    fn recovered(view: &Value, retry: Duration) -> Option<Self> {
        Some(Self {
            framework_id: j::id_at(view, "framework_id")?.to_string(),
            agent_id: j::id_at(view, "agent_id")?.to_string(),
            info: view.get("info")?.clone(),
            uuid: j::str_at(view, "uuid.value")?.to_string(),
            status: view.get("latest_status")?.clone(),
            next_send: Instant::now(),
            interval: retry,
        })
    }

    /// The v1 `Operation` (GET_OPERATIONS), in `mesos.proto`'s field order.
    fn view(&self) -> Value {
        json!({"framework_id": j::id(&self.framework_id), "agent_id": j::id(&self.agent_id),
            "info": self.info, "latest_status": self.status, "statuses": [self.status],
            "uuid": {"value": self.uuid}})
    }
}

/// `UPDATE_OPERATION_STATUS` carrying `status`.
fn event(status: &Value) -> Value {
    json!({"type": "UPDATE_OPERATION_STATUS", "update_operation_status": {"status": status}})
}

/// `Master::drop` of an operation with an `id`: OPERATION_ERROR with the master's text (no
/// agent, no uuid: the master cannot vouch for them).
pub(crate) fn send_error(sender: Option<&EventSender>, op: &Value, message: &str) {
    let (Some(sender), Some(id)) = (sender, op.get("id")) else {
        return;
    };
    sender.send(&event(
        &json!({"operation_id": id, "state": "OPERATION_ERROR",
        "message": message}),
    ));
}

/// Gives every resource of the operation without `allocation_info` the offer's role
/// (`protobuf::injectAllocationInfo`).
fn inject_allocation(op: &mut Value, role: &str) {
    let Some(ty) = j::str_at(op, "type").map(str::to_ascii_lowercase) else {
        return;
    };
    let Some(section) = op.get_mut(&ty).and_then(Value::as_object_mut) else {
        return;
    };
    for (field, v) in section.iter_mut() {
        let list: Vec<&mut Value> = match v {
            Value::Array(a) => a.iter_mut().collect(),
            Value::Object(_) if field == "volume" || field == "addition" => vec![v],
            _ => continue,
        };
        for r in list {
            if let Some(o) = r.as_object_mut() {
                o.entry("allocation_info").or_insert(json!({"role": role}));
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
        op: &Value,
    ) {
        let mut info = op.clone();
        inject_allocation(&mut info, role);
        let status = json!({"operation_id": op.get("id").cloned().unwrap_or_default(),
            "state": "OPERATION_FINISHED", "uuid": {"value": ids::status_uuid()},
            "agent_id": j::id(agent_id)});
        let record = OperationRecord {
            framework_id: fid.to_string(),
            agent_id: agent_id.to_string(),
            info,
            uuid: ids::status_uuid(),
            status,
            next_send: Instant::now() + self.cfg.status_update_retry_interval,
            interval: self.cfg.status_update_retry_interval,
        };
        if let Some(s) = st.frameworks.get(fid).and_then(|f| f.subscription.as_ref()) {
            s.sender.send(&event(&record.status));
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
                s.sender.send(&event(&r.status));
            }
            r.interval = (r.interval * 2).min(RETRY_MAX);
            r.next_send = now + r.interval;
        }
    }

    /// ACKNOWLEDGE_OPERATION_STATUS (already validated): the acknowledged terminal status ends
    /// the operation; an unknown agent, operation or status is ignored, as the master does.
    pub(crate) fn acknowledge_operation_status(&self, fid: &str, ack: &AcknowledgeOperationStatus) {
        // `validate` requires the agent, and took only the padded base64 this gives back.
        let aid = ack.agent_id.as_ref().map_or("", |a| a.value.as_str());
        let oid = ack.operation_id.value.as_str();
        let uuid = ack.uuid.to_base64();
        let uuid = uuid.as_str();
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
                && j::str_at(&r.status, "uuid.value") == Some(uuid)
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
            if let Some(o) = s.as_object_mut() {
                o.remove("uuid");
            }
            s
        };
        if asked.is_empty() {
            for r in st.operations.iter().filter(|r| r.framework_id == fid) {
                sender.send(&event(&latest(r)));
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
            sender.send(&event(&status));
        }
    }
}

/// The status of an operation the master does not know, by what it knows of the agent.
fn unknown_status(st: &MasterState, q: &ReconcileOperation) -> Value {
    let aid = q.agent_id.as_ref().map(|a| a.value.as_str());
    let (state, message) = match aid {
        Some(a) if st.agent_registry.gone.contains_key(a) => (
            "OPERATION_GONE_BY_OPERATOR",
            "Reconciliation: Agent marked gone by operator",
        ),
        Some(a) if st.agents.contains_key(a) => {
            ("OPERATION_UNKNOWN", "Reconciliation: Operation is unknown")
        }
        Some(_) => (
            "OPERATION_UNKNOWN",
            "Reconciliation: Both operation and agent are unknown",
        ),
        None => (
            "OPERATION_UNKNOWN",
            "Reconciliation: Operation is unknown and no 'agent_id' was provided",
        ),
    };
    let mut m = Map::new();
    m.insert("operation_id".into(), json!(q.operation_id));
    m.insert("state".into(), json!(state));
    m.insert("message".into(), json!(message));
    if let Some(a) = &q.agent_id {
        m.insert("agent_id".into(), json!(a));
    }
    if let Some(rp) = &q.resource_provider_id {
        m.insert("resource_provider_id".into(), json!(rp));
    }
    Value::Object(m)
}

impl MasterState {
    /// Takes back the unacknowledged operations agent `aid` holds (after a master restart).
    pub(crate) fn recover_operations(&mut self, aid: &str, retry: Duration) {
        let Some(entry) = self.agents.get(aid) else {
            return;
        };
        let views = entry
            .agent
            .operations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
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
        let ops: Vec<Value> = self
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
    let ops: Vec<Value> = st
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
