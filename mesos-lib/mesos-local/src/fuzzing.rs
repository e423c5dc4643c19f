//! Fuzz target bodies for the embedded master's request decoding, shared by the cargo-fuzz
//! binaries (`mesos-lib/fuzz/`, targets `scheduler_request` and `operator_request`) and the
//! stable smoke test (`tests/fuzz_smoke.rs`), which replays their corpora in `mesos-lib/fuzz/`.

use mesos_lib::fuzzing::{Target, same_json};

/// Every target of this crate, by the name of its cargo-fuzz binary and corpus directory.
pub const TARGETS: &[Target] = &[
    ("scheduler_request", scheduler_request),
    ("operator_request", operator_request),
];

/// Splits `<content-type>\n<accept>\n<body>` into request headers (an empty or unencodable
/// line means the header is absent) and the body.
fn request(data: &[u8]) -> (axum::http::HeaderMap, &[u8]) {
    use axum::http::{HeaderMap, HeaderValue, header};
    let mut headers = HeaderMap::new();
    let mut rest = data;
    for name in [header::CONTENT_TYPE, header::ACCEPT] {
        let (line, tail) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        if !line.is_empty()
            && let Ok(value) = HeaderValue::from_bytes(line)
        {
            headers.insert(name, value);
        }
        rest = tail;
    }
    (headers, rest)
}

/// The embedded master's scheduler request decoding (Content-Type, JSON, normalisation,
/// validation, then typing): it answers only 400 or 415, an accepted call is an object whose
/// type is known when it validated, decoding the normalised call again gives the same result,
/// and a valid call that types has the type and the sections the handlers rely on.
pub fn scheduler_request(data: &[u8]) {
    use crate::fuzz_hooks::decode_scheduler_request as decode;
    let (headers, body) = request(data);
    match decode(&headers, body) {
        Ok((call, ty, invalid)) => {
            assert!(call.is_object());
            if invalid.is_none() {
                assert!(
                    !matches!(ty, mesos_lib::v1::scheduler::CallType::Unknown(_)),
                    "a valid call has a known type"
                );
            }
            let text = serde_json::to_vec(&call).expect("values serialize");
            let again = decode(&headers, &text).expect("a decoded call decodes again");
            assert!(
                same_json(&again.0, &call),
                "normalisation is not idempotent"
            );
            assert_eq!((&again.1, &again.2), (&ty, &invalid));
            if invalid.is_none() {
                typed_call(call, &ty);
            }
        }
        Err(response) => {
            let status = response.status().as_u16();
            assert!(matches!(status, 400 | 415), "unexpected status {status}");
        }
    }
}

/// A valid scheduler call typed as the endpoint types it; a conversion error is the endpoint's
/// 400, anything else must hold what `dispatch` takes from it.
fn typed_call(mut tree: serde_json::Value, ty: &mesos_lib::v1::scheduler::CallType) {
    use crate::fuzz_hooks::{framework_info_of, into_call};
    use mesos_lib::v1::scheduler::CallType as C;
    let Ok(info) = framework_info_of(&mut tree, ty) else {
        return;
    };
    let fid = (tree.get("framework_id").and_then(|f| f.get("value")))
        .and_then(serde_json::Value::as_str)
        .map(str::to_string);
    let Ok(typed) = into_call(tree, info) else {
        return;
    };
    let call = &typed.call;
    assert_eq!(&call.call_type, ty, "the typed call keeps its type");
    assert_eq!(
        call.framework_id.as_ref().map(|f| f.value.clone()),
        fid,
        "the typed call keeps its framework_id"
    );
    let present = match ty {
        C::Accept => call.accept.is_some(),
        C::Subscribe => call.subscribe.is_some(),
        C::UpdateFramework => call.update_framework.is_some(),
        C::Decline => call.decline.is_some(),
        C::Kill => call.kill.is_some(),
        C::Shutdown => call.shutdown.is_some(),
        C::Acknowledge => call.acknowledge.is_some(),
        C::AcknowledgeOperationStatus => call.acknowledge_operation_status.is_some(),
        C::Reconcile => call.reconcile.is_some(),
        C::Message => call.message.is_some(),
        C::AcceptInverseOffers => call.accept_inverse_offers.is_some(),
        C::DeclineInverseOffers => call.decline_inverse_offers.is_some(),
        _ => true,
    };
    assert!(present, "a valid {ty:?} call types with its section");
}

/// The embedded master's operator request decoding, then typing: it answers only 400, 406 or
/// 415, an accepted call is an object of a known, non-empty type, decoding the normalised call
/// again gives the same result, and a call that types keeps its type and the section its
/// handler takes.
pub fn operator_request(data: &[u8]) {
    use crate::fuzz_hooks::decode_operator_request as decode;
    let (headers, body) = request(data);
    match decode(&headers, body) {
        Ok((call, ty)) => {
            assert!(call.is_object());
            assert!(
                !matches!(ty, mesos_lib::v1::master::CallType::Unknown(_)),
                "a decoded call has a known type"
            );
            let text = serde_json::to_vec(&call).expect("values serialize");
            let again = decode(&headers, &text).expect("a decoded call decodes again");
            assert!(
                same_json(&again.0, &call),
                "normalisation is not idempotent"
            );
            assert_eq!(again.1, ty);
            // Typed as the endpoint types it: a conversion error is its 400; a typed call
            // keeps its type and holds the section its handler takes.
            if let Ok(typed) = crate::fuzz_hooks::into_operator_call(call) {
                assert_eq!(typed.call.call_type, ty, "the typed call keeps its type");
                assert!(
                    crate::fuzz_hooks::has_section(&typed),
                    "a decoded {ty:?} call types with its section"
                );
            }
        }
        Err(response) => {
            let status = response.status().as_u16();
            assert!(
                matches!(status, 400 | 406 | 415),
                "unexpected status {status}"
            );
        }
    }
}
