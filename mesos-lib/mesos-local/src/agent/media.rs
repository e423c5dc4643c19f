//! The media types of the agent's operator API (`Http::api` in src/slave/http.cpp): JSON
//! calls and answers, a RecordIO request body for ATTACH_CONTAINER_INPUT, RecordIO answers for
//! the container output streams. Messages inside streams are JSON only: the embedded Mesos
//! has no protobuf encoding, and says so.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::http::{
    APPLICATION_JSON, accepts_json, bad_request, check_content_type, not_acceptable, plain,
};
use mesos_lib::v1::agent::AgentCallType;

/// `application/recordio`.
pub(crate) const APPLICATION_RECORDIO: &str = "application/recordio";
const MESSAGE_CONTENT_TYPE: &str = "Message-Content-Type";
const MESSAGE_ACCEPT: &str = "Message-Accept";

/// How a streaming answer is framed: RecordIO records either way; the `Content-Type` says
/// `application/recordio` (with `Message-Content-Type`) or, for a client that asked for JSON,
/// `application/json` as older agents answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StreamFormat {
    RecordIo,
    Json,
}

/// A request's media types, checked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MediaTypes {
    /// The body is a RecordIO stream of calls.
    pub streaming_request: bool,
    /// The client accepts a streaming (RecordIO) answer and not a JSON one.
    pub streaming_answer: bool,
}

impl MediaTypes {
    /// The framing of a streaming answer.
    pub(crate) fn stream_format(&self) -> StreamFormat {
        if self.streaming_answer {
            StreamFormat::RecordIo
        } else {
            StreamFormat::Json
        }
    }
}

/// Whether `value` (an `Accept`-like header) allows `media`.
fn allows(value: &str, media: &str) -> bool {
    value.split(',').any(|range| {
        let mut parts = range.split(';');
        let m = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q_zero = parts.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f64>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        let kind = media.split('/').next().unwrap_or("");
        !q_zero && (m == media || m == "*/*" || m == format!("{kind}/*"))
    })
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().unwrap_or(""))
}

/// Checks the request's `Content-Type`, `Message-Content-Type`, `Accept` and
/// `Message-Accept` with the agent's texts.
pub(crate) fn check(headers: &HeaderMap) -> Result<MediaTypes, Box<Response>> {
    let streaming_request =
        header_str(headers, header::CONTENT_TYPE.as_str()) == Some(APPLICATION_RECORDIO);
    let message_type = header_str(headers, MESSAGE_CONTENT_TYPE);
    if streaming_request {
        match message_type {
            None => {
                return Err(Box::new(bad_request(format!(
                    "Expecting '{MESSAGE_CONTENT_TYPE}' to be set for streaming requests"
                ))));
            }
            Some(APPLICATION_JSON) => {}
            Some(_) => {
                return Err(Box::new(plain(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!(
                        "Expecting '{MESSAGE_CONTENT_TYPE}' of {APPLICATION_JSON}: mesos-local \
                         decodes no protobuf"
                    ),
                )));
            }
        }
    } else {
        check_content_type(headers)?;
        if message_type.is_some() {
            return Err(Box::new(plain(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "Expecting '{MESSAGE_CONTENT_TYPE}' to be not set for non-streaming requests"
                ),
            )));
        }
    }
    let accept = header_str(headers, header::ACCEPT.as_str());
    let streaming_answer = if accepts_json(headers) {
        false
    } else if accept.is_some_and(|a| allows(a, APPLICATION_RECORDIO)) {
        true
    } else {
        return Err(Box::new(not_acceptable()));
    };
    match header_str(headers, MESSAGE_ACCEPT) {
        Some(_) if !streaming_answer => {
            return Err(Box::new(plain(
                StatusCode::NOT_ACCEPTABLE,
                format!("Expecting '{MESSAGE_ACCEPT}' to be not set for non-streaming responses"),
            )));
        }
        Some(m) if !allows(m, APPLICATION_JSON) => {
            return Err(Box::new(plain(
                StatusCode::NOT_ACCEPTABLE,
                format!(
                    "Expecting '{MESSAGE_ACCEPT}' to allow {APPLICATION_JSON}: mesos-local \
                     encodes no protobuf"
                ),
            )));
        }
        _ => {}
    }
    Ok(MediaTypes {
        streaming_request,
        streaming_answer,
    })
}

/// The agent's refusal of a call that does not stream in the way the request asks.
pub(crate) fn check_call(media: &MediaTypes, ty: &AgentCallType) -> Result<(), Box<Response>> {
    let input = matches!(ty, AgentCallType::AttachContainerInput);
    if media.streaming_request && !input {
        return Err(Box::new(plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "Streaming 'Content-Type' {APPLICATION_RECORDIO} is not supported for {} call",
                ty.as_str()
            ),
        )));
    }
    if !media.streaming_request && input {
        return Err(Box::new(plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "Expecting 'Content-Type' to be {APPLICATION_RECORDIO} for {} call",
                ty.as_str()
            ),
        )));
    }
    let output = matches!(
        ty,
        AgentCallType::AttachContainerOutput | AgentCallType::LaunchNestedContainerSession
    );
    if media.streaming_answer && !output {
        return Err(Box::new(plain(
            StatusCode::NOT_ACCEPTABLE,
            format!(
                "Streaming response is not supported for {} call",
                ty.as_str()
            ),
        )));
    }
    Ok(())
}

/// Sets the headers of a streaming answer.
pub(crate) fn set_stream_headers(resp: &mut Response, format: StreamFormat) {
    if format == StreamFormat::RecordIo {
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(APPLICATION_RECORDIO),
        );
        h.insert(
            MESSAGE_CONTENT_TYPE,
            HeaderValue::from_static(APPLICATION_JSON),
        );
    }
}

/// The name of the user this process runs as.
pub(crate) fn own_user() -> Option<String> {
    let mut buf = vec![0 as libc::c_char; 4096];
    // SAFETY: getpwuid_r writes into `pwd` and `buf`, whose sizes we pass.
    unsafe {
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwuid_r(
            libc::geteuid(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        );
        if rc != 0 || result.is_null() {
            return None;
        }
        Some(
            std::ffi::CStr::from_ptr(pwd.pw_name)
                .to_string_lossy()
                .into_owned(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_ranges() {
        assert!(allows("application/recordio", APPLICATION_RECORDIO));
        assert!(allows("text/html, application/*", APPLICATION_RECORDIO));
        assert!(!allows("application/recordio;q=0", APPLICATION_RECORDIO));
        assert!(!allows("application/x-protobuf", APPLICATION_JSON));
    }
}
