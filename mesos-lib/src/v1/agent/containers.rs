//! The container sections of `agent::Call`: launching, waiting for, killing, removing and
//! attaching to (nested or standalone) containers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::proto_enum;
use crate::v1::Extra;
use crate::v1::bytes::Bytes;
use crate::v1::common::DurationInfo;
use crate::v1::container::ContainerInfo;
use crate::v1::ids::ContainerId;
use crate::v1::resources::{Resource, Scalar};
use crate::v1::task::CommandInfo;

/// `Call.LaunchNestedContainer` and `Call.LaunchNestedContainerSession` (the same fields).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LaunchNestedContainer {
    /// The container to launch, with its parent.
    pub container_id: ContainerId,
    /// What it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<CommandInfo>,
    /// How it is isolated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<ContainerInfo>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.LaunchContainer`: a standalone or nested container.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LaunchContainer {
    /// The container to launch (a parent makes it nested).
    pub container_id: ContainerId,
    /// What it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<CommandInfo>,
    /// What a standalone container is given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Resource>,
    /// How it is isolated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<ContainerInfo>,
    /// The most of each resource it may use, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: BTreeMap<String, Scalar>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.WaitNestedContainer`, `Call.RemoveNestedContainer`, `Call.AttachContainerOutput`,
/// `Call.WaitContainer` and `Call.RemoveContainer`: the same one field.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OnContainer {
    /// The container.
    pub container_id: ContainerId,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.KillNestedContainer` and `Call.KillContainer` (the same fields).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct KillContainer {
    /// The container.
    pub container_id: ContainerId,
    /// The signal to send (SIGKILL when unset; also read from a string, as Mesos reads it).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_i32"
    )]
    pub signal: Option<i32>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

fn opt_i32<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    crate::v1::lenient::i32(d).map(Some)
}

proto_enum!(
    /// `Call.AttachContainerInput.Type`: what one record of the input stream carries.
    AttachContainerInputType {
        /// `UNKNOWN`, the proto's zero value.
        Unspecified = "UNKNOWN",
        /// The first record: the container to attach to.
        ContainerId = "CONTAINER_ID",
        /// Every later record: input or a control message.
        ProcessIo = "PROCESS_IO",
    }
);

/// `Call.AttachContainerInput`: one record of a container's input stream.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AttachContainerInput {
    /// What the record carries.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub input_type: Option<AttachContainerInputType>,
    /// The container (a CONTAINER_ID record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_id: Option<ContainerId>,
    /// Input or a control message (a PROCESS_IO record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_io: Option<ProcessIo>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

proto_enum!(
    /// `ProcessIO.Type`.
    ProcessIoType {
        /// `UNKNOWN`, the proto's zero value.
        Unspecified = "UNKNOWN",
        /// Bytes of one of the process's streams.
        Data = "DATA",
        /// A control message.
        Control = "CONTROL",
    }
);

proto_enum!(
    /// `ProcessIO.Data.Type`: the stream the bytes belong to.
    ProcessIoStream {
        /// `UNKNOWN`, the proto's zero value.
        Unspecified = "UNKNOWN",
        /// Standard input.
        Stdin = "STDIN",
        /// Standard output.
        Stdout = "STDOUT",
        /// Standard error.
        Stderr = "STDERR",
    }
);

proto_enum!(
    /// `ProcessIO.Control.Type`.
    ProcessIoControlType {
        /// `UNKNOWN`, the proto's zero value.
        Unspecified = "UNKNOWN",
        /// A terminal's window size.
        TtyInfo = "TTY_INFO",
        /// A heartbeat.
        Heartbeat = "HEARTBEAT",
    }
);

/// `ProcessIO`: one record of a container's input or output stream.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ProcessIo {
    /// What the record carries.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub io_type: Option<ProcessIoType>,
    /// Bytes of a stream (DATA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<ProcessIoData>,
    /// A control message (CONTROL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<ProcessIoControl>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ProcessIo {
    /// A DATA record of `stream`'s bytes.
    pub fn data(stream: ProcessIoStream, bytes: Vec<u8>) -> Self {
        Self {
            io_type: Some(ProcessIoType::Data),
            data: Some(ProcessIoData {
                stream: Some(stream),
                data: Some(Bytes::new(bytes)),
                extra: Extra::new(),
            }),
            ..Self::default()
        }
    }

    /// A CONTROL record: a heartbeat, the next one due after `interval`.
    pub fn heartbeat(interval: DurationInfo) -> Self {
        Self {
            io_type: Some(ProcessIoType::Control),
            control: Some(ProcessIoControl {
                control_type: Some(ProcessIoControlType::Heartbeat),
                heartbeat: Some(Heartbeat {
                    interval: Some(interval),
                    extra: Extra::new(),
                }),
                extra: Extra::new(),
            }),
            ..Self::default()
        }
    }
}

/// `ProcessIO.Data`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ProcessIoData {
    /// The stream.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<ProcessIoStream>,
    /// The bytes (empty on stdin: end of input).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Bytes>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `ProcessIO.Control`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ProcessIoControl {
    /// What it controls.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub control_type: Option<ProcessIoControlType>,
    /// A heartbeat (HEARTBEAT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat: Option<Heartbeat>,
    /// Fields this library does not model (`tty_info`).
    #[serde(flatten)]
    pub extra: Extra,
}

/// `ProcessIO.Control.Heartbeat`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Heartbeat {
    /// When the next one is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<DurationInfo>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}
