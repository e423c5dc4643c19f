//! Operator `agent::Call` (`POST /api/v1` on an agent): `{"type": "GET_STATE"}` or
//! `{"type": "...", "<lowercase type>": {...}}`.

use serde::{Deserialize, Serialize};

use super::containers::{
    AttachContainerInput, KillContainer, LaunchContainer, LaunchNestedContainer, OnContainer,
};
use crate::proto_enum;
use crate::v1::Extra;
use crate::v1::container::Image;
use crate::v1::ids::ResourceProviderId;
use crate::v1::resources::Attribute;

/// The sections the agent's calls share with the master's (the same messages in both protos).
pub use crate::v1::master::call::{GetMetrics, ListFiles, ReadFile, SetLoggingLevel};

proto_enum!(
    /// `agent::Call.Type`: the calls of an agent's operator API (`POST /api/v1` on the agent).
    AgentCallType {
        /// `UNKNOWN`, the proto's zero value.
        Unspecified = "UNKNOWN",
        /// Health.
        GetHealth = "GET_HEALTH",
        /// Flags.
        GetFlags = "GET_FLAGS",
        /// Version.
        GetVersion = "GET_VERSION",
        /// Metrics snapshot (needs `get_metrics`).
        GetMetrics = "GET_METRICS",
        /// glog verbosity.
        GetLoggingLevel = "GET_LOGGING_LEVEL",
        /// Set glog verbosity.
        SetLoggingLevel = "SET_LOGGING_LEVEL",
        /// List sandbox files.
        ListFiles = "LIST_FILES",
        /// Read a file.
        ReadFile = "READ_FILE",
        /// Tasks, executors and frameworks.
        GetState = "GET_STATE",
        /// Containers.
        GetContainers = "GET_CONTAINERS",
        /// Frameworks.
        GetFrameworks = "GET_FRAMEWORKS",
        /// Executors.
        GetExecutors = "GET_EXECUTORS",
        /// Operations.
        GetOperations = "GET_OPERATIONS",
        /// Tasks.
        GetTasks = "GET_TASKS",
        /// The agent's AgentInfo.
        GetAgent = "GET_AGENT",
        /// Resource providers.
        GetResourceProviders = "GET_RESOURCE_PROVIDERS",
        /// Launch a nested container.
        LaunchNestedContainer = "LAUNCH_NESTED_CONTAINER",
        /// Wait for a nested container.
        WaitNestedContainer = "WAIT_NESTED_CONTAINER",
        /// Kill a nested container.
        KillNestedContainer = "KILL_NESTED_CONTAINER",
        /// Remove a nested container.
        RemoveNestedContainer = "REMOVE_NESTED_CONTAINER",
        /// Launch a nested container attached to this connection.
        LaunchNestedContainerSession = "LAUNCH_NESTED_CONTAINER_SESSION",
        /// Stream input to a container.
        AttachContainerInput = "ATTACH_CONTAINER_INPUT",
        /// Stream a container's output.
        AttachContainerOutput = "ATTACH_CONTAINER_OUTPUT",
        /// Launch a (standalone or nested) container.
        LaunchContainer = "LAUNCH_CONTAINER",
        /// Wait for a container.
        WaitContainer = "WAIT_CONTAINER",
        /// Kill a container.
        KillContainer = "KILL_CONTAINER",
        /// Remove a container.
        RemoveContainer = "REMOVE_CONTAINER",
        /// Add a resource provider config.
        AddResourceProviderConfig = "ADD_RESOURCE_PROVIDER_CONFIG",
        /// Update a resource provider config.
        UpdateResourceProviderConfig = "UPDATE_RESOURCE_PROVIDER_CONFIG",
        /// Remove a resource provider config.
        RemoveResourceProviderConfig = "REMOVE_RESOURCE_PROVIDER_CONFIG",
        /// Mark a resource provider gone.
        MarkResourceProviderGone = "MARK_RESOURCE_PROVIDER_GONE",
        /// Prune container images.
        PruneImages = "PRUNE_IMAGES",
    }
);

/// `Call.GetContainers`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GetContainers {
    /// Whether nested containers are listed too.
    #[serde(
        default,
        skip_serializing_if = "std::ops::Not::not",
        deserialize_with = "crate::v1::lenient::bool"
    )]
    pub show_nested: bool,
    /// Whether standalone containers are listed too.
    #[serde(
        default,
        skip_serializing_if = "std::ops::Not::not",
        deserialize_with = "crate::v1::lenient::bool"
    )]
    pub show_standalone: bool,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `ResourceProviderInfo`: a local resource provider's identity.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ResourceProviderInfo {
    /// Its id, once the agent has given it one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<ResourceProviderId>,
    /// Attributes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<Attribute>,
    /// Its kind (e.g. `org.apache.mesos.rp.local.storage`).
    #[serde(rename = "type")]
    pub provider_type: String,
    /// Its name, unique among providers of its kind.
    pub name: String,
    /// Fields this library does not model (default_reservations, storage).
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.AddResourceProviderConfig` and `Call.UpdateResourceProviderConfig` (the same field).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ResourceProviderConfig {
    /// The provider's config.
    pub info: ResourceProviderInfo,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.RemoveResourceProviderConfig`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RemoveResourceProviderConfig {
    /// The provider's kind.
    #[serde(rename = "type")]
    pub provider_type: String,
    /// The provider's name.
    pub name: String,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.MarkResourceProviderGone`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MarkResourceProviderGone {
    /// The provider.
    pub resource_provider_id: ResourceProviderId,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Call.PruneImages`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PruneImages {
    /// Images to keep.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_images: Vec<Image>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Declares `Call` with one optional section per field, in the proto's order, and
/// `Call::new`.
macro_rules! agent_call {
    ($( $(#[$meta:meta])* $field:ident: $section:ty, )*) => {
        /// `agent::Call`: a typed envelope, `type` plus the section that matches it.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        pub struct Call {
            /// Call type.
            #[serde(rename = "type")]
            pub call_type: AgentCallType,
            $(
                $(#[$meta])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<$section>,
            )*
            /// Fields this library does not model.
            #[serde(flatten)]
            pub extra: Extra,
        }

        impl Call {
            /// A call with no section (GET_HEALTH, GET_STATE, ...).
            pub fn new(call_type: AgentCallType) -> Self {
                Self {
                    call_type,
                    $( $field: None, )*
                    extra: Extra::new(),
                }
            }
        }
    };
}

agent_call! {
    /// GET_METRICS section.
    get_metrics: GetMetrics,
    /// SET_LOGGING_LEVEL section.
    set_logging_level: SetLoggingLevel,
    /// LIST_FILES section.
    list_files: ListFiles,
    /// READ_FILE section.
    read_file: ReadFile,
    /// GET_CONTAINERS section.
    get_containers: GetContainers,
    /// LAUNCH_NESTED_CONTAINER section (deprecated by LAUNCH_CONTAINER).
    launch_nested_container: LaunchNestedContainer,
    /// WAIT_NESTED_CONTAINER section (deprecated by WAIT_CONTAINER).
    wait_nested_container: OnContainer,
    /// KILL_NESTED_CONTAINER section (deprecated by KILL_CONTAINER).
    kill_nested_container: KillContainer,
    /// REMOVE_NESTED_CONTAINER section (deprecated by REMOVE_CONTAINER).
    remove_nested_container: OnContainer,
    /// LAUNCH_NESTED_CONTAINER_SESSION section.
    launch_nested_container_session: LaunchNestedContainer,
    /// ATTACH_CONTAINER_INPUT section.
    attach_container_input: AttachContainerInput,
    /// ATTACH_CONTAINER_OUTPUT section.
    attach_container_output: OnContainer,
    /// LAUNCH_CONTAINER section.
    launch_container: LaunchContainer,
    /// WAIT_CONTAINER section.
    wait_container: OnContainer,
    /// KILL_CONTAINER section.
    kill_container: KillContainer,
    /// REMOVE_CONTAINER section.
    remove_container: OnContainer,
    /// ADD_RESOURCE_PROVIDER_CONFIG section.
    add_resource_provider_config: ResourceProviderConfig,
    /// UPDATE_RESOURCE_PROVIDER_CONFIG section.
    update_resource_provider_config: ResourceProviderConfig,
    /// REMOVE_RESOURCE_PROVIDER_CONFIG section.
    remove_resource_provider_config: RemoveResourceProviderConfig,
    /// MARK_RESOURCE_PROVIDER_GONE section.
    mark_resource_provider_gone: MarkResourceProviderGone,
    /// PRUNE_IMAGES section.
    prune_images: PruneImages,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::agent::containers::{ProcessIo, ProcessIoStream};
    use crate::v1::common::DurationInfo;
    use serde_json::{Value, json};

    /// Reads `body` as a Call and writes it back.
    fn round_trip(body: Value) -> (Call, Value) {
        let call: Call = serde_json::from_value(body).unwrap();
        let back = serde_json::to_value(&call).unwrap();
        (call, back)
    }

    #[test]
    fn every_section_round_trips() {
        let id = json!({"value": "c", "parent": {"value": "p"}});
        let bodies = [
            json!({"type": "GET_HEALTH"}),
            json!({"type": "GET_METRICS", "get_metrics": {"timeout": {"nanoseconds": 5}}}),
            json!({"type": "SET_LOGGING_LEVEL",
                "set_logging_level": {"level": 1, "duration": {"nanoseconds": 9}}}),
            json!({"type": "LIST_FILES", "list_files": {"path": "/a"}}),
            json!({"type": "READ_FILE", "read_file": {"path": "/a", "offset": 2, "length": 3}}),
            json!({"type": "GET_CONTAINERS",
                "get_containers": {"show_nested": true, "show_standalone": true}}),
            json!({"type": "LAUNCH_NESTED_CONTAINER", "launch_nested_container": {
                "container_id": id, "command": {"value": "ls"}, "container": {"type": "MESOS"}}}),
            json!({"type": "WAIT_NESTED_CONTAINER", "wait_nested_container": {"container_id": id}}),
            json!({"type": "KILL_NESTED_CONTAINER",
                "kill_nested_container": {"container_id": id, "signal": 15}}),
            json!({"type": "REMOVE_NESTED_CONTAINER",
                "remove_nested_container": {"container_id": id}}),
            json!({"type": "LAUNCH_NESTED_CONTAINER_SESSION",
                "launch_nested_container_session": {"container_id": id,
                "command": {"shell": false, "value": "cat", "arguments": ["cat"]}}}),
            json!({"type": "ATTACH_CONTAINER_INPUT", "attach_container_input": {
                "type": "CONTAINER_ID", "container_id": id}}),
            json!({"type": "ATTACH_CONTAINER_OUTPUT",
                "attach_container_output": {"container_id": id}}),
            json!({"type": "LAUNCH_CONTAINER", "launch_container": {"container_id": id,
                "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1.0}}],
                "limits": {"cpus": {"value": 2.0}}}}),
            json!({"type": "WAIT_CONTAINER", "wait_container": {"container_id": id}}),
            json!({"type": "KILL_CONTAINER", "kill_container": {"container_id": id}}),
            json!({"type": "REMOVE_CONTAINER", "remove_container": {"container_id": id}}),
            json!({"type": "ADD_RESOURCE_PROVIDER_CONFIG", "add_resource_provider_config": {
                "info": {"type": "org.apache.mesos.rp.local.storage", "name": "lvm"}}}),
            json!({"type": "UPDATE_RESOURCE_PROVIDER_CONFIG",
                "update_resource_provider_config": {"info": {"id": {"value": "r"},
                "type": "t", "name": "n"}}}),
            json!({"type": "REMOVE_RESOURCE_PROVIDER_CONFIG",
                "remove_resource_provider_config": {"type": "t", "name": "n"}}),
            json!({"type": "MARK_RESOURCE_PROVIDER_GONE",
                "mark_resource_provider_gone": {"resource_provider_id": {"value": "r"}}}),
            json!({"type": "PRUNE_IMAGES", "prune_images": {"excluded_images": [
                {"type": "DOCKER", "docker": {"name": "alpine"}}]}}),
        ];
        for body in bodies {
            assert_eq!(round_trip(body.clone()).1, body);
        }
    }

    #[test]
    fn each_call_type_has_its_section() {
        let body = json!({"type": "KILL_CONTAINER",
            "kill_container": {"container_id": {"value": "c"}, "signal": "15"}});
        let (call, _) = round_trip(body);
        assert_eq!(call.call_type, AgentCallType::KillContainer);
        let kill = call.kill_container.unwrap();
        assert_eq!(kill.container_id.to_string(), "c");
        assert_eq!(kill.signal, Some(15));
        assert_eq!(
            Call::new(AgentCallType::GetState),
            round_trip(json!({"type": "GET_STATE"})).0
        );
    }

    #[test]
    fn numbers_and_booleans_are_also_read_from_strings() {
        let (call, back) = round_trip(json!({"type": "GET_CONTAINERS",
            "get_containers": {"show_nested": "true"}}));
        assert!(call.get_containers.unwrap().show_nested);
        assert_eq!(back["get_containers"], json!({"show_nested": true}));
        let (call, _) = round_trip(json!({"type": "READ_FILE",
            "read_file": {"path": "/a", "offset": "4", "length": "8"}}));
        let read = call.read_file.unwrap();
        assert_eq!((read.offset, read.length), (4, Some(8)));
    }

    #[test]
    fn unknown_fields_and_types_are_kept() {
        let body = json!({"type": "FUTURE_CALL", "future_call": {"x": 1},
            "attach_container_input": {"type": "PROCESS_IO", "process_io": {"type": "CONTROL",
            "control": {"type": "TTY_INFO", "tty_info": {"window_size": {"rows": 1}}}}}});
        let (call, back) = round_trip(body.clone());
        assert_eq!(call.call_type.as_str(), "FUTURE_CALL");
        assert_eq!(call.extra.get("future_call"), Some(&json!({"x": 1})));
        let io = call.attach_container_input.unwrap().process_io.unwrap();
        assert!(io.control.unwrap().extra.contains_key("tty_info"));
        assert_eq!(back, body);
    }

    #[test]
    fn process_io_records_round_trip() {
        let input = json!({"type": "ATTACH_CONTAINER_INPUT", "attach_container_input": {
            "type": "PROCESS_IO", "process_io": {"type": "DATA",
            "data": {"type": "STDIN", "data": "aGk="}}}});
        let (call, back) = round_trip(input.clone());
        assert_eq!(back, input);
        let io = call.attach_container_input.unwrap().process_io.unwrap();
        assert_eq!(io.data.unwrap().data.unwrap().as_slice(), b"hi");
        let out = ProcessIo::data(ProcessIoStream::Stdout, b"hi".to_vec());
        assert_eq!(
            serde_json::to_value(out).unwrap(),
            json!({"type": "DATA", "data": {"type": "STDOUT", "data": "aGk="}})
        );
        let beat = ProcessIo::heartbeat(DurationInfo::from_secs(30));
        assert_eq!(
            serde_json::to_value(beat).unwrap(),
            json!({"type": "CONTROL", "control": {"type": "HEARTBEAT",
                "heartbeat": {"interval": {"nanoseconds": 30_000_000_000u64}}}})
        );
    }

    #[test]
    fn a_container_id_must_be_an_object_with_a_value() {
        for id in [json!("c"), json!({}), json!({"value": 7})] {
            let body = json!({"type": "WAIT_CONTAINER", "wait_container": {"container_id": id}});
            assert!(serde_json::from_value::<Call>(body).is_err(), "{id}");
        }
    }
}
