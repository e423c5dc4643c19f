//! Maintenance (`maintenance.proto`): the schedule's `Window`s, the `ClusterStatus`, and the
//! allocator's `InverseOfferStatus` the status lists.

use serde::{Deserialize, Serialize};

use super::common::{MachineId, TimeInfo, Unavailability};
use super::ids::FrameworkId;
use super::{Extra, proto_enum};

/// `maintenance.Window`: machines going into maintenance in the same unavailability.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Window {
    /// The machines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub machine_ids: Vec<MachineId>,
    /// When they are unavailable.
    pub unavailability: Unavailability,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `maintenance.Schedule`: the maintenance windows.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Schedule {
    /// The windows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<Window>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `maintenance.ClusterStatus`: the machines DRAINING and DOWN.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ClusterStatus {
    /// DRAINING machines, with the frameworks' answers to their inverse offers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub draining_machines: Vec<DrainingMachine>,
    /// DOWN machines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub down_machines: Vec<MachineId>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `maintenance.ClusterStatus.DrainingMachine`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DrainingMachine {
    /// The machine.
    pub id: MachineId,
    /// The latest answer of each framework asked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<InverseOfferStatus>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

proto_enum!(
    /// `allocator.InverseOfferStatus.Status`.
    InverseOfferAnswer {
        /// Not answered yet.
        NotAnswered = "UNKNOWN",
        /// The framework will give the resources back.
        Accept = "ACCEPT",
        /// The framework will not.
        Decline = "DECLINE",
    }
);

/// `allocator.InverseOfferStatus`: a framework's latest answer to an inverse offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InverseOfferStatus {
    /// The answer.
    pub status: InverseOfferAnswer,
    /// Who answered.
    pub framework_id: FrameworkId,
    /// When.
    pub timestamp: TimeInfo,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_is_written_in_the_protos_field_order() {
        let text = r#"{"draining_machines":[{"id":{"hostname":"h","ip":"10.0.0.1"},"statuses":[{"status":"ACCEPT","framework_id":{"value":"f"},"timestamp":{"nanoseconds":5}}]}],"down_machines":[{"hostname":"d"}]}"#;
        let status: ClusterStatus = serde_json::from_str(text).unwrap();
        let answer = &status.draining_machines[0].statuses[0].status;
        assert_eq!(*answer, InverseOfferAnswer::Accept);
        assert_eq!(serde_json::to_string(&status).unwrap(), text);
    }

    #[test]
    fn a_machine_info_is_written_in_the_protos_field_order() {
        use crate::v1::common::{MachineInfo, MachineMode};
        let text = r#"{"id":{"hostname":"h","ip":"10.0.0.1"},"mode":"DRAINING","unavailability":{"start":{"nanoseconds":1}}}"#;
        let info: MachineInfo = serde_json::from_str(text).unwrap();
        assert_eq!(info.mode, Some(MachineMode::Draining));
        assert_eq!(serde_json::to_string(&info).unwrap(), text);
    }

    #[test]
    fn a_schedule_is_written_in_the_protos_field_order() {
        let text = r#"{"windows":[{"machine_ids":[{"hostname":"h"}],"unavailability":{"start":{"nanoseconds":1},"duration":{"nanoseconds":2}}}]}"#;
        let schedule: Schedule = serde_json::from_str(text).unwrap();
        assert_eq!(schedule.windows[0].unavailability.start.nanoseconds, 1);
        assert_eq!(serde_json::to_string(&schedule).unwrap(), text);
    }
}
