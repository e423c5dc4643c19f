//! One `agent::Call` read from a request body: the checks that give the real agent's texts run
//! on the JSON tree (stout's conversion, then `validation::agent::call::validate`), then the
//! tree becomes mesos-lib's typed `agent::Call`, which is all the handlers read. The agent
//! answers a call that does not convert with the reason alone (`Http::api`'s `deserializer`):
//! the master's "Failed to convert JSON into Call protobuf: " prefix is not the agent's.

use axum::response::Response;
use serde_json::Value;

use crate::call_checks::{missing_required, section};
use crate::http::bad_request;
use crate::json as j;
use mesos_lib::v1::agent::{AgentCallType, Call};

/// Decodes and validates one `agent::Call` with the agent's texts (400), and types it.
pub(crate) fn decode(body: &[u8]) -> Result<Call, Box<Response>> {
    read(body).map_err(|text| Box::new(bad_request(text)))
}

/// `decode`'s call, or the text of its 400 (also each record of an input stream).
pub(crate) fn read(body: &[u8]) -> Result<Call, String> {
    let mut call = parse(body)?;
    check(&call)?;
    wrap_repeated(&mut call);
    cast_integers(&mut call);
    // stout's base64 is laxer than the derived reading (whitespace, missing padding): stdin's
    // bytes, the agent's one `bytes` field, are made standard first, with stout's text.
    if let Some(Value::String(data)) =
        call.pointer_mut("/attach_container_input/process_io/data/data")
    {
        j::canonical_base64(data, "data")?;
    }
    serde_json::from_value(call).map_err(|e| e.to_string())
}

/// The body as stout reads it: JSON, an object, message fields holding objects.
fn parse(body: &[u8]) -> Result<Value, String> {
    // The agent answers a call that does not convert with the reason alone.
    let call = j::read_body(body).map_err(|e| e.text(""))?;
    j::check_message_fields(&call)?;
    for ty in SECTIONS {
        let name = section(ty.as_str());
        if let Some(v) = call.get(&name)
            && !v.is_object()
        {
            return Err(j::not_expecting(v, &name));
        }
    }
    Ok(call)
}

/// stout's required fields, then the agent's validation, on the normalised tree.
fn check(call: &Value) -> Result<(), String> {
    let missing: Vec<String> = SECTIONS
        .iter()
        .flat_map(|ty| missing_required(call, &section(ty.as_str()), required(ty)))
        .collect();
    let ty = AgentCallType::from_name(j::str_at(call, "type").unwrap_or(""));
    let invalid = |why: String| format!("Failed to validate agent::Call: {why}");
    if matches!(ty, AgentCallType::Unknown(_)) {
        return Err(invalid("Expecting 'type' to be present".into()));
    }
    if !missing.is_empty() {
        return Err(format!("Missing required fields: {}", missing.join(", ")));
    }
    let section = section(ty.as_str());
    if needs_section(&ty) && call.get(&section).is_none() {
        return Err(invalid(format!("Expecting '{section}' to be present")));
    }
    if let Some(why) = input_type_error(call, &ty) {
        return Err(invalid(why.into()));
    }
    match container_id_error(call, &ty, &section) {
        Some(why) => Err(invalid(why)),
        None => Ok(()),
    }
}

/// The calls with a section, in the order of their fields' numbers in `agent::Call` (the
/// order protobuf lists missing fields in).
const SECTIONS: &[AgentCallType] = {
    use AgentCallType as C;
    &[
        C::GetMetrics,
        C::SetLoggingLevel,
        C::ListFiles,
        C::ReadFile,
        C::LaunchNestedContainer,
        C::WaitNestedContainer,
        C::KillNestedContainer,
        C::LaunchNestedContainerSession,
        C::AttachContainerInput,
        C::AttachContainerOutput,
        C::RemoveNestedContainer,
        C::LaunchContainer,
        C::WaitContainer,
        C::KillContainer,
        C::RemoveContainer,
        C::AddResourceProviderConfig,
        C::UpdateResourceProviderConfig,
        C::RemoveResourceProviderConfig,
        C::GetContainers,
        C::PruneImages,
        C::MarkResourceProviderGone,
    ]
};

/// Fields protobuf requires inside each call's section.
fn required(ty: &AgentCallType) -> &'static [&'static str] {
    use AgentCallType as C;
    match ty {
        C::SetLoggingLevel => &["level", "duration.nanoseconds"],
        C::ListFiles => &["path"],
        C::ReadFile => &["path", "offset"],
        C::LaunchNestedContainer
        | C::WaitNestedContainer
        | C::KillNestedContainer
        | C::RemoveNestedContainer
        | C::LaunchNestedContainerSession
        | C::AttachContainerOutput
        | C::LaunchContainer
        | C::WaitContainer
        | C::KillContainer
        | C::RemoveContainer => &["container_id.value"],
        C::AddResourceProviderConfig | C::UpdateResourceProviderConfig => {
            &["info.type", "info.name"]
        }
        C::RemoveResourceProviderConfig => &["type", "name"],
        C::MarkResourceProviderGone => &["resource_provider_id.value"],
        _ => &[],
    }
}

/// Whether validation expects the call's section.
fn needs_section(ty: &AgentCallType) -> bool {
    use AgentCallType as C;
    !matches!(
        ty,
        C::Unspecified
            | C::GetHealth
            | C::GetFlags
            | C::GetVersion
            | C::GetLoggingLevel
            | C::GetState
            | C::GetContainers
            | C::GetFrameworks
            | C::GetExecutors
            | C::GetOperations
            | C::GetTasks
            | C::GetAgent
            | C::GetResourceProviders
            | C::PruneImages
            | C::Unknown(_)
    )
}

/// What validation says of ATTACH_CONTAINER_INPUT's type: a name protobuf does not know is
/// dropped by stout, so it is as absent as no name.
fn input_type_error(call: &Value, ty: &AgentCallType) -> Option<&'static str> {
    if !matches!(ty, AgentCallType::AttachContainerInput) {
        return None;
    }
    match j::str_at(call, "attach_container_input.type") {
        Some("UNKNOWN") => Some("'attach_container_input.type' is unknown"),
        Some("CONTAINER_ID" | "PROCESS_IO") => None,
        _ => Some("Expecting 'attach_container_input.type' to be present"),
    }
}

/// What `validateContainerId` and the nested calls' checks say of a call's container id.
fn container_id_error(call: &Value, ty: &AgentCallType, section: &str) -> Option<String> {
    use AgentCallType as C;
    let nested_only = matches!(
        ty,
        C::LaunchNestedContainer
            | C::WaitNestedContainer
            | C::KillNestedContainer
            | C::RemoveNestedContainer
            | C::LaunchNestedContainerSession
    );
    let has_id = nested_only
        || matches!(
            ty,
            C::AttachContainerOutput
                | C::LaunchContainer
                | C::WaitContainer
                | C::KillContainer
                | C::RemoveContainer
        )
        || (matches!(ty, C::AttachContainerInput)
            && j::str_at(call, "attach_container_input.type") == Some("CONTAINER_ID"));
    let id = call.get(section)?.get("container_id");
    if !has_id {
        return None;
    }
    let Some(id) = id else {
        return Some(format!("Expecting '{section}.container_id' to be present"));
    };
    let mut at = Some(id);
    let mut what = "ContainerID.value".to_string();
    while let Some(v) = at {
        let value = j::str_at(v, "value").unwrap_or("");
        let why = if value.is_empty() {
            Some("ID must not be empty".to_string())
        } else if value.contains(['.', ' ', '/']) {
            Some(format!("'{what}' '{value}' contains invalid characters"))
        } else {
            None
        };
        if let Some(why) = why {
            return Some(format!("'{section}.container_id' is invalid: {why}"));
        }
        at = v.get("parent");
        what = "ContainerID.parent.value".into();
    }
    if nested_only && id.get("parent").is_none() {
        return Some(format!(
            "Expecting '{section}.container_id.parent' to be present"
        ));
    }
    None
}

/// The repeated fields of the launch sections, below each: stout takes a single value there
/// as the field's one element, where the derived reading wants an array.
const LAUNCH_REPEATED: &[&str] = &[
    "command/uris",
    "command/arguments",
    "command/environment/variables",
    "container/volumes",
    "container/network_infos",
];

/// The other sections' repeated fields (JSON pointers).
const REPEATED: &[&str] = &[
    "/launch_container/resources",
    "/add_resource_provider_config/info/attributes",
    "/update_resource_provider_config/info/attributes",
    "/prune_images/excluded_images",
];

/// A single value given for a repeated field becomes an array of it.
fn wrap_repeated(call: &mut Value) {
    let launches = [
        "launch_nested_container",
        "launch_nested_container_session",
        "launch_container",
    ];
    let below = launches
        .iter()
        .flat_map(|s| LAUNCH_REPEATED.iter().map(move |f| format!("/{s}/{f}")));
    for path in below.chain(REPEATED.iter().map(|p| p.to_string())) {
        if let Some(v) = call.pointer_mut(&path) {
            j::repeated(v);
        }
    }
}

/// The integer fields handlers read (JSON pointers), and whether each is unsigned.
const INTEGERS: &[(&str, bool)] = &[
    ("/read_file/offset", true),
    ("/read_file/length", true),
    ("/kill_nested_container/signal", false),
    ("/kill_container/signal", false),
];

/// A number given for an integer field becomes what protobuf stores from it, as stout sets
/// it (a C++ cast): a fraction is cut off, and a negative number given for an unsigned field
/// wraps around (READ_FILE at offset -1 reads past the end: the size and no data).
fn cast_integers(call: &mut Value) {
    for (path, unsigned) in INTEGERS {
        let Some(v) = call.pointer_mut(path) else {
            continue;
        };
        let Some(n) = j::as_f64(v).filter(|n| n.is_finite()) else {
            continue;
        };
        if n.fract() == 0.0 && (n >= 0.0 || !unsigned) {
            continue;
        }
        let whole = n.trunc() as i64;
        *v = if *unsigned {
            Value::from(whole as u64)
        } else {
            Value::from(whole)
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decoded(body: Value) -> Result<Call, String> {
        read(body.to_string().as_bytes())
    }

    #[test]
    fn a_single_value_for_a_repeated_field_is_its_one_element() {
        let id = json!({"value": "c", "parent": {"value": "p"}});
        let call = decoded(json!({"type": "LAUNCH_NESTED_CONTAINER_SESSION",
            "launch_nested_container_session": {"container_id": id,
            "command": {"shell": false, "value": "echo", "arguments": "echo",
            "uris": {"value": "http://x/y"}}}}))
        .unwrap();
        let command = call
            .launch_nested_container_session
            .unwrap()
            .command
            .unwrap();
        assert_eq!(command.arguments, ["echo"]);
        assert_eq!(command.uris[0].value, "http://x/y");
        let call = decoded(json!({"type": "LAUNCH_CONTAINER", "launch_container": {
            "container_id": id, "resources": {"name": "cpus", "type": "SCALAR",
            "scalar": {"value": "0.5"}}}}))
        .unwrap();
        let resources = call.launch_container.unwrap().resources;
        assert_eq!(resources[0].scalar.as_ref().unwrap().value, 0.5);
    }

    #[test]
    fn numbers_and_booleans_given_as_strings_are_read() {
        let call = decoded(json!({"type": "KILL_CONTAINER", "kill_container": {
            "container_id": {"value": "c"}, "signal": "15"}}))
        .unwrap();
        assert_eq!(call.kill_container.unwrap().signal, Some(15));
        let call = decoded(json!({"type": "READ_FILE",
            "read_file": {"path": "/a", "offset": "3", "length": 9}}))
        .unwrap();
        let read = call.read_file.unwrap();
        assert_eq!((read.offset, read.length), (3, Some(9)));
        let call = decoded(json!({"type": "GET_CONTAINERS",
            "get_containers": {"show_nested": "true"}}))
        .unwrap();
        assert!(call.get_containers.unwrap().show_nested);
    }

    #[test]
    fn integers_are_cast_as_protobuf_stores_them() {
        let call = decoded(json!({"type": "READ_FILE",
            "read_file": {"path": "/a", "offset": -1, "length": "2.5"}}))
        .unwrap();
        let read = call.read_file.unwrap();
        assert_eq!((read.offset, read.length), (u64::MAX, Some(2)));
        let call = decoded(
            json!({"type": "KILL_NESTED_CONTAINER", "kill_nested_container": {
            "container_id": {"value": "c", "parent": {"value": "p"}}, "signal": -9.5}}),
        )
        .unwrap();
        assert_eq!(call.kill_nested_container.unwrap().signal, Some(-9));
    }

    #[test]
    fn unknown_fields_are_kept() {
        let call = decoded(json!({"type": "LIST_FILES",
            "list_files": {"path": "/a", "glob": "*.log"}, "trace": true}))
        .unwrap();
        assert_eq!(call.extra.get("trace"), Some(&json!(true)));
        assert_eq!(
            call.list_files.unwrap().extra.get("glob"),
            Some(&json!("*.log"))
        );
    }

    #[test]
    fn texts_are_the_agents_without_the_masters_prefix() {
        assert_eq!(decoded(json!([1])).unwrap_err(), "Expecting a JSON object");
        assert_eq!(
            decoded(
                json!({"type": "LAUNCH_NESTED_CONTAINER", "launch_nested_container": {
                "container_id": {"value": "c", "parent": {"value": "p"}}, "command": "ls"}})
            )
            .unwrap_err(),
            "Not expecting a JSON string for field 'command'"
        );
        assert_eq!(
            decoded(json!({"type": "LIST_FILES", "list_files": "/a"})).unwrap_err(),
            "Not expecting a JSON string for field 'list_files'"
        );
        assert_eq!(
            decoded(json!({"type": "KILL_CONTAINER", "kill_container": {
                "container_id": {"value": "c"}, "signal": "TERM"}}))
            .unwrap_err(),
            "'TERM' is not a number"
        );
    }

    #[test]
    fn every_section_present_is_checked_for_its_required_fields() {
        assert_eq!(
            decoded(json!({"type": "GET_HEALTH", "read_file": {"path": "/a"},
                "list_files": {}}))
            .unwrap_err(),
            "Missing required fields: list_files.path, read_file.offset"
        );
        assert_eq!(
            decoded(json!({"type": "ADD_RESOURCE_PROVIDER_CONFIG",
                "add_resource_provider_config": {"info": {}}}))
            .unwrap_err(),
            "Missing required fields: add_resource_provider_config.info.type, \
             add_resource_provider_config.info.name"
        );
    }
}
