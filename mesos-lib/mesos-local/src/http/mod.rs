//! HTTP plumbing shared by the embedded masters and agents: plain-text errors, media-type
//! rules, and RecordIO event streams.

pub(crate) mod auth;
pub(crate) mod give_back;
pub(crate) mod libprocess;
pub(crate) mod serve;
pub(crate) mod stream;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub(crate) use stream::{EventSender, WeakEventSender, event_stream_response};

/// JSON media type, the only message encoding the embedded Mesos speaks.
pub(crate) const APPLICATION_JSON: &str = "application/json";
/// Protobuf media type (accepted in Accept negotiation, never produced).
pub(crate) const APPLICATION_PROTOBUF: &str = "application/x-protobuf";

/// A plain-text error body, as libprocess sends it.
pub(crate) fn plain(status: StatusCode, text: impl Into<String>) -> Response {
    let mut resp = Response::new(Body::from(text.into()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

/// 400 with a plain-text reason.
pub(crate) fn bad_request(text: impl Into<String>) -> Response {
    plain(StatusCode::BAD_REQUEST, text)
}

/// 501 for a call the embedded Mesos does not carry out: the plain-text body names the call
/// and says why, so that no call is answered with success it did not have.
pub(crate) fn not_carried_out(call: &str, why: &str) -> Response {
    plain(
        StatusCode::NOT_IMPLEMENTED,
        format!("mesos-local does not carry out {call} yet ({why})"),
    )
}

/// The body libprocess gives a 501 of its own (a call of type `UNKNOWN`).
pub(crate) fn not_implemented() -> Response {
    plain(StatusCode::NOT_IMPLEMENTED, "501 Not Implemented.")
}

/// A 200 JSON body, written straight from a serialisable value or view.
pub(crate) fn json_ok<T: serde::Serialize + ?Sized>(value: &T) -> Response {
    let mut resp = Response::new(Body::from(serde_json::to_vec(value).unwrap_or_default()));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(APPLICATION_JSON),
    );
    resp
}

/// An empty response with the given status (202 for accepted calls, 200 for health).
pub(crate) fn empty(status: StatusCode) -> Response {
    (status, Body::empty()).into_response()
}

/// 307 to a protocol-relative location.
pub(crate) fn redirect(location: &str) -> Response {
    let mut resp = empty(StatusCode::TEMPORARY_REDIRECT);
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// 405 for anything but POST on the v1 API endpoints.
pub(crate) fn method_not_allowed(method: &str) -> Response {
    let mut resp = plain(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("405 Method Not Allowed. Expecting one of {{ 'POST' }}, but received '{method}'."),
    );
    resp.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    resp
}

/// libprocess's answer for a path nobody serves.
pub(crate) fn not_found() -> Response {
    plain(StatusCode::NOT_FOUND, "404 Not Found.")
}

/// Checks `Content-Type` as the master does: present, then exactly JSON or protobuf.
/// Protobuf is refused with 415 too, as the embedded Mesos cannot decode it.
pub(crate) fn check_content_type(headers: &HeaderMap) -> Result<(), Box<Response>> {
    let Some(ct) = headers.get(header::CONTENT_TYPE) else {
        return Err(Box::new(bad_request(
            "Expecting 'Content-Type' to be present",
        )));
    };
    let ct = ct.to_str().unwrap_or("");
    if ct == APPLICATION_JSON {
        return Ok(());
    }
    Err(Box::new(plain(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        format!("Expecting 'Content-Type' of {APPLICATION_JSON} or {APPLICATION_PROTOBUF}"),
    )))
}

/// Whether `Accept` allows JSON (a missing header allows anything).
pub(crate) fn accepts_json(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT) else {
        return true;
    };
    let accept = accept.to_str().unwrap_or("");
    accept.split(',').any(|range| {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q_zero = parts.any(|p| {
            let p = p.trim();
            p.strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f64>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        !q_zero && (media == APPLICATION_JSON || media == "application/*" || media == "*/*")
    })
}

/// The 406 reason for a SUBSCRIBE whose Accept allows no message type.
pub(crate) fn not_acceptable() -> Response {
    plain(
        StatusCode::NOT_ACCEPTABLE,
        format!("Expecting 'Accept' to allow '{APPLICATION_PROTOBUF}' or '{APPLICATION_JSON}'"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_rules() {
        let mut h = HeaderMap::new();
        assert!(accepts_json(&h));
        h.insert(header::ACCEPT, HeaderValue::from_static("text/html"));
        assert!(!accepts_json(&h));
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/html, application/json;q=0.5"),
        );
        assert!(accepts_json(&h));
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/json;q=0"),
        );
        assert!(!accepts_json(&h));
        h.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        assert!(accepts_json(&h));
    }
}
