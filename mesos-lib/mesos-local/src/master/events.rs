//! Typed scheduler events built from the statuses the master keeps.

use serde_json::{Value, json};

use mesos_lib::v1::scheduler::{Event, EventType};
use mesos_lib::v1::status::TaskStatus;

/// UPDATE for a status the master or an agent built. Statuses are kept as JSON because
/// they are stored and re-sent verbatim; the event itself is the typed `v1` one.
pub(crate) fn update(status: &Value) -> Event {
    // Deserialised from the borrowed JSON: no copy of the status per event.
    match <TaskStatus as serde::Deserialize>::deserialize(status) {
        Ok(status) => Event::update(status),
        Err(e) => {
            // Every status is built by this crate, so this is a bug: fail tests, and in
            // production still deliver the status unchanged rather than drop it.
            debug_assert!(false, "status is not a v1 TaskStatus: {e}: {status}");
            tracing::error!("status is not a v1 TaskStatus: {e}: {status}");
            let mut event = Event::new(EventType::Update);
            event
                .extra
                .insert("update".into(), json!({ "status": status }));
            event
        }
    }
}
