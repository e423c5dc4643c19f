//! Executor `Call`: `{"executor_id": {...}, "framework_id": {...}, "type": "...",
//! "<lowercase type>": {...}}`, in `executor.proto`'s field order.

use serde::{Deserialize, Serialize};

use crate::proto_enum;
use crate::v1::Extra;
use crate::v1::bytes::Bytes;
use crate::v1::ids::{ExecutorId, FrameworkId};
use crate::v1::status::TaskStatus;
use crate::v1::task::TaskInfo;

proto_enum!(
    /// `executor::Call.Type`.
    CallType {
        /// `UNKNOWN`, the proto's zero value (the agent answers 501).
        Unspecified = "UNKNOWN",
        /// Open the event stream, first or again after a disconnection.
        Subscribe = "SUBSCRIBE",
        /// A task's status update.
        Update = "UPDATE",
        /// Executor-to-framework data.
        Message = "MESSAGE",
        /// Keep-alive (answered 202).
        Heartbeat = "HEARTBEAT",
    }
);

/// `Call.Subscribe`: what a re-subscribing executor has not had acknowledged (empty on its
/// first SUBSCRIBE).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Subscribe {
    /// Tasks it was given that no acknowledged update of its covers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unacknowledged_tasks: Vec<TaskInfo>,
    /// Its updates not acknowledged yet, in its order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unacknowledged_updates: Vec<Update>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.Update`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Update {
    /// The status (with `source` SOURCE_EXECUTOR and a `uuid`).
    pub status: TaskStatus,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.Message`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Message {
    /// Payload for the scheduler.
    pub data: Bytes,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `executor::Call`: who calls (`executor_id`, `framework_id`), `type` and its section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Call {
    /// The calling executor (required).
    pub executor_id: ExecutorId,
    /// Its framework (required).
    pub framework_id: FrameworkId,
    /// Call type (optional in the proto: the agent's validation, not its parsing, refuses a
    /// call without one).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub call_type: Option<CallType>,
    /// SUBSCRIBE section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscribe: Option<Subscribe>,
    /// UPDATE section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<Update>,
    /// MESSAGE section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Call {
    /// A call of `call_type` from executor `executor_id` of `framework_id`, with no section.
    pub fn new(call_type: CallType, framework_id: FrameworkId, executor_id: ExecutorId) -> Self {
        Self {
            executor_id,
            framework_id,
            call_type: Some(call_type),
            subscribe: None,
            update: None,
            message: None,
            extra: Extra::new(),
        }
    }

    /// SUBSCRIBE, with what has not been acknowledged (`Subscribe::default()` the first time).
    pub fn subscribe(
        framework_id: FrameworkId,
        executor_id: ExecutorId,
        subscribe: Subscribe,
    ) -> Self {
        Self {
            subscribe: Some(subscribe),
            ..Self::new(CallType::Subscribe, framework_id, executor_id)
        }
    }

    /// UPDATE carrying `status`.
    pub fn update(framework_id: FrameworkId, executor_id: ExecutorId, status: TaskStatus) -> Self {
        Self {
            update: Some(Update {
                status,
                extra: Extra::new(),
            }),
            ..Self::new(CallType::Update, framework_id, executor_id)
        }
    }

    /// MESSAGE carrying `data`.
    pub fn message(framework_id: FrameworkId, executor_id: ExecutorId, data: Bytes) -> Self {
        Self {
            message: Some(Message {
                data,
                extra: Extra::new(),
            }),
            ..Self::new(CallType::Message, framework_id, executor_id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::TaskId;
    use crate::v1::status::{Source, TaskState};

    fn ids() -> (FrameworkId, ExecutorId) {
        (FrameworkId::new("f-0008"), ExecutorId::new("custom-exec"))
    }

    #[test]
    fn a_message_is_written_as_an_executor_writes_it() {
        // Transcript 36's MESSAGE call, byte for byte.
        let text = r#"{"type":"MESSAGE","framework_id":{"value":"f-0008"},"executor_id":{"value":"custom-exec"},"message":{"data":"aGVsbG8tZnJvbS1leGVjdXRvcg=="}}"#;
        let call: Call = serde_json::from_str(text).unwrap();
        let (fid, eid) = ids();
        let built = Call::message(fid, eid, Bytes::new(b"hello-from-executor".as_slice()));
        assert_eq!(call, built);
        // Written in the proto's field order, the ids first.
        assert_eq!(
            serde_json::to_string(&built).unwrap(),
            r#"{"executor_id":{"value":"custom-exec"},"framework_id":{"value":"f-0008"},"type":"MESSAGE","message":{"data":"aGVsbG8tZnJvbS1leGVjdXRvcg=="}}"#
        );
    }

    #[test]
    fn calls_round_trip() {
        let (fid, eid) = ids();
        let status = TaskStatus {
            task_id: Some(TaskId::new("t")),
            state: TaskState::Running,
            source: Some(Source::Executor),
            uuid: Some(Bytes::new([7u8; 16].as_slice())),
            ..TaskStatus::default()
        };
        let resubscribe = Subscribe {
            unacknowledged_tasks: vec![TaskInfo {
                name: "t".into(),
                task_id: TaskId::new("t"),
                ..TaskInfo::default()
            }],
            unacknowledged_updates: vec![Update {
                status: status.clone(),
                extra: Extra::new(),
            }],
            extra: Extra::new(),
        };
        for call in [
            Call::subscribe(fid.clone(), eid.clone(), Subscribe::default()),
            Call::subscribe(fid.clone(), eid.clone(), resubscribe),
            Call::update(fid.clone(), eid.clone(), status),
            Call::new(CallType::Heartbeat, fid.clone(), eid.clone()),
            Call::new(CallType::Unknown("LATER".into()), fid, eid),
        ] {
            let text = serde_json::to_string(&call).unwrap();
            assert_eq!(serde_json::from_str::<Call>(&text).unwrap(), call, "{text}");
        }
        // A call without a type still reads (validation refuses it, with its own text).
        let untyped: Call =
            serde_json::from_str(r#"{"executor_id":{"value":"e"},"framework_id":{"value":"f"}}"#)
                .unwrap();
        assert_eq!(untyped.call_type, None);
        let first = Call::subscribe(ids().0, ids().1, Subscribe::default());
        assert_eq!(
            serde_json::to_string(&first).unwrap(),
            r#"{"executor_id":{"value":"custom-exec"},"framework_id":{"value":"f-0008"},"type":"SUBSCRIBE","subscribe":{}}"#
        );
    }
}
