//! A TaskStatus kept as the compact JSON it was sent as.

use std::sync::Arc;

use serde_json::Value;
use serde_json::value::RawValue;

use mesos_lib::v1::TaskStatus;

/// A TaskStatus kept as its compact JSON text, its uuid beside it. A parsed `Value` costs
/// about ten times the memory, and the master and every agent keep each status of each task:
/// at 10,000 tasks that was most of the embedded Mesos's memory. Clones share the text: the
/// agent that sent an update and the master that recorded it keep one copy.
#[derive(Clone, Debug)]
pub(crate) struct StoredStatus(Arc<Kept>);

#[derive(Debug)]
struct Kept {
    json: Box<RawValue>,
    uuid: Option<Box<str>>,
}

impl StoredStatus {
    /// Keeps `status`.
    pub(crate) fn new(status: &TaskStatus) -> StoredStatus {
        StoredStatus(Arc::new(Kept {
            json: crate::json::raw(status),
            uuid: status.uuid.as_ref().map(|u| u.to_base64().into()),
        }))
    }

    /// The status's uuid, if it has one.
    pub(crate) fn uuid(&self) -> Option<&str> {
        self.0.uuid.as_deref()
    }

    /// The status parsed again (for the views that reshape it).
    pub(crate) fn value(&self) -> Value {
        serde_json::from_str(self.0.json.get()).unwrap_or(Value::Null)
    }

    /// The status parsed again, typed. Only this crate writes stored statuses, from typed
    /// ones, so it always parses.
    pub(crate) fn status(&self) -> Option<TaskStatus> {
        serde_json::from_str(self.0.json.get()).ok()
    }
}

impl serde::Serialize for StoredStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.json.serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_status_and_its_uuid() {
        let status = serde_json::json!({
            "task_id": {"value": "t"}, "state": "TASK_RUNNING", "uuid": "AAEC", "timestamp": 1.5
        });
        let typed: TaskStatus = serde_json::from_value(status.clone()).unwrap();
        let kept = StoredStatus::new(&typed);
        assert_eq!(kept.uuid(), Some("AAEC"));
        assert_eq!(kept.value(), status);
        assert_eq!(kept.status(), Some(typed));
        assert_eq!(serde_json::to_value(&kept).unwrap(), status);
        let lost = TaskStatus {
            state: mesos_lib::v1::TaskState::Lost,
            ..TaskStatus::default()
        };
        assert_eq!(StoredStatus::new(&lost).uuid(), None);
    }
}
