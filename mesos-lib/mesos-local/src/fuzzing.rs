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
/// validation): it answers only 400 or 415, an accepted call is an object whose type is known
/// when it validated, and decoding the normalised call again gives the same result.
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
            assert_eq!((again.1, again.2), (ty, invalid));
        }
        Err(response) => {
            let status = response.status().as_u16();
            assert!(matches!(status, 400 | 415), "unexpected status {status}");
        }
    }
}

/// The embedded master's operator request decoding: it answers only 400, 406 or 415, an
/// accepted call is an object of a known, non-empty type, and decoding the normalised call
/// again gives the same result.
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
