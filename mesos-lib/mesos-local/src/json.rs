//! Mesos's lenient JSON input rules (stout `protobuf::parse`) applied to a `serde_json::Value`:
//! nested arrays flattened, `null` dropped, message fields type-checked with Mesos's wording,
//! numbers and booleans accepted as strings.

use serde_json::Value;

/// Field names whose values are protobuf messages (or repeated messages) in the calls the
/// embedded Mesos understands; a scalar there is a conversion error in real Mesos.
const MESSAGE_FIELDS: &[&str] = &[
    "framework_id",
    "agent_id",
    "slave_id",
    "task_id",
    "executor_id",
    "offer_ids",
    "inverse_offer_ids",
    "operation_id",
    "resource_provider_id",
    "subscribe",
    "framework_info",
    "accept",
    "decline",
    "kill",
    "acknowledge",
    "reconcile",
    "message",
    "shutdown",
    "revive",
    "suppress",
    "update_framework",
    "filters",
    "launch",
    "task_infos",
    "operations",
    "command",
    "container",
    "kill_policy",
    "grace_period",
    "get_metrics",
    "teardown",
    "timeout",
];

/// `value` as compact JSON text to keep. Our types and `Value`s (string keys only) always
/// serialise; `null` is an unreachable fallback.
pub(crate) fn raw<T: serde::Serialize + ?Sized>(value: &T) -> Box<serde_json::value::RawValue> {
    serde_json::value::to_raw_value(value).unwrap_or_else(|_| {
        serde_json::value::RawValue::from_string("null".into()).expect("valid JSON")
    })
}

/// Flattens nested arrays and removes `null`s, recursively.
pub(crate) fn normalize(mut value: Value) -> Value {
    normalize_in_place(&mut value);
    value
}

/// `normalize` without rebuilding what needs no change: objects are edited where they are
/// (rebuilding one re-hashes every key), and only arrays that hold arrays or `null`s are
/// rebuilt.
fn normalize_in_place(value: &mut Value) {
    match value {
        Value::Array(items) => {
            if items.iter().any(|i| i.is_array() || i.is_null()) {
                let mut out = Vec::with_capacity(items.len());
                flatten_into(std::mem::take(items), &mut out);
                *items = out;
            } else {
                items.iter_mut().for_each(normalize_in_place);
            }
        }
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(normalize_in_place);
        }
        _ => {}
    }
}

fn flatten_into(items: Vec<Value>, out: &mut Vec<Value>) {
    for item in items {
        match item {
            Value::Array(inner) => flatten_into(inner, out),
            Value::Null => {}
            other => out.push(normalize(other)),
        }
    }
}

/// Why a request body is not a call stout would convert.
pub(crate) enum BodyError {
    /// Not JSON: the whole text ("Failed to parse body into JSON: …").
    Syntax(String),
    /// JSON that is no object: the reason alone, for each API to prefix as it does.
    NotObject,
}

impl BodyError {
    /// The text with `prefix` before a conversion reason (the master's and the executor
    /// API's "Failed to convert JSON into Call protobuf: "; the agent's is empty).
    pub(crate) fn text(self, prefix: &str) -> String {
        match self {
            BodyError::Syntax(text) => text,
            BodyError::NotObject => format!("{prefix}Expecting a JSON object"),
        }
    }
}

/// A request body as stout reads a call from it: JSON, an object, then normalised. Each API
/// checks the message fields itself.
pub(crate) fn read_body(body: &[u8]) -> Result<Value, BodyError> {
    let raw: Value = serde_json::from_slice(body).map_err(|e| {
        BodyError::Syntax(format!(
            "Failed to parse body into JSON: {}",
            syntax_error(body, &e)
        ))
    })?;
    if !raw.is_object() {
        return Err(BodyError::NotObject);
    }
    Ok(normalize(raw))
}

/// Checks that message-typed fields hold objects; the error is Mesos's text.
pub(crate) fn check_message_fields(value: &Value) -> Result<(), String> {
    if let Value::Object(map) = value {
        for (k, v) in map {
            if MESSAGE_FIELDS.contains(&k.as_str()) {
                let bad = match v {
                    Value::Object(_) => None,
                    Value::Array(items) => items.iter().find(|i| !i.is_object()),
                    other => Some(other),
                };
                if let Some(bad) = bad {
                    return Err(not_expecting(bad, k));
                }
            }
            check_message_fields(v)?;
        }
    } else if let Value::Array(items) = value {
        for i in items {
            check_message_fields(i)?;
        }
    }
    Ok(())
}

/// stout's conversion error for `v` given in `field`, where its type does not fit.
pub(crate) fn not_expecting(v: &Value, field: &str) -> String {
    format!("Not expecting a JSON {} for field '{field}'", kind(v))
}

/// A repeated field's value made an array: stout takes a single value there as the field's
/// one element, where the derived reading wants an array. Returns the array's items.
pub(crate) fn repeated(v: &mut Value) -> &mut Vec<Value> {
    if !v.is_array() {
        *v = Value::Array(vec![v.take()]);
    }
    match v {
        Value::Array(items) => items,
        _ => unreachable!("made an array above"),
    }
}

/// stout/picojson's wording for a JSON syntax error.
pub(crate) fn syntax_error(body: &[u8], e: &serde_json::Error) -> String {
    let text = String::from_utf8_lossy(body);
    let line = e.line().max(1);
    let rest: String = text
        .lines()
        .nth(line - 1)
        .map(|l| l.chars().skip(e.column().saturating_sub(1)).collect())
        .unwrap_or_default();
    let rest = if e.is_eof() { String::new() } else { rest };
    format!("syntax error at line {line} near: {rest}")
}

/// How stout names the JSON type of `v` in its conversion errors.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        Value::Null => "null",
    }
}

/// Walks a dotted path of object keys.
pub(crate) fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

/// A string at a path.
pub(crate) fn str_at<'a>(v: &'a Value, path: &str) -> Option<&'a str> {
    at(v, path).and_then(Value::as_str)
}

/// The `value` of an ID message at a path (`framework_id.value`).
pub(crate) fn id_at<'a>(v: &'a Value, path: &str) -> Option<&'a str> {
    at(v, path)
        .and_then(|id| id.get("value"))
        .and_then(Value::as_str)
}

/// A number, also given as a string, at a path.
pub(crate) fn f64_at(v: &Value, path: &str) -> Option<f64> {
    at(v, path).and_then(as_f64)
}

/// A number that may be given as a string ("Infinity" included).
pub(crate) fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            s => s.trim().parse().ok(),
        },
        _ => None,
    }
}

/// An array at a path (empty when absent).
pub(crate) fn array_at<'a>(v: &'a Value, path: &str) -> &'a [Value] {
    at(v, path)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// `{"value": s}`.
pub(crate) fn id(s: &str) -> Value {
    serde_json::json!({ "value": s })
}

/// A `bytes` field's base64 as stout decodes it, rewritten in the standard form the derived
/// reading takes; the error follows "Failed to convert JSON into Call protobuf: ".
pub(crate) fn canonical_base64(text: &mut String, field: &str) -> Result<(), String> {
    // Already canonical (every uuid, which validation checked so): left as it is.
    if mesos_lib::v1::Bytes::from_base64(text).is_ok() {
        return Ok(());
    }
    let bytes = stout_base64(text)
        .map_err(|e| format!("Failed to base64 decode bytes field '{field}': {e}"))?;
    *text = mesos_lib::v1::Bytes::new(bytes).to_base64();
    Ok(())
}

/// stout's `base64::decode`: whitespace is skipped, everything from the first `=` ignored, a
/// last group short of four characters kept as far as it goes, and any other character
/// outside the standard alphabet an error.
fn stout_base64(text: &str) -> Result<Vec<u8>, String> {
    let mut sextets = Vec::with_capacity(text.len());
    for c in text.bytes() {
        let v = match c {
            b'=' => break,
            // C's `isspace`, vertical tab included.
            b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' => continue,
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return Err(format!("Invalid character '{}'", char::from(c))),
        };
        sextets.push(v);
    }
    let mut out = Vec::with_capacity(sextets.len() / 4 * 3 + 2);
    for group in sextets.chunks(4) {
        let mut s = [0u8; 4];
        s[..group.len()].copy_from_slice(group);
        let bytes = [
            (s[0] << 2) | (s[1] >> 4),
            (s[1] << 4) | (s[2] >> 2),
            (s[2] << 6) | s[3],
        ];
        out.extend_from_slice(&bytes[..group.len().saturating_sub(1)]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flattens_and_drops_nulls() {
        let v = normalize(json!({"a": [[1, 2], [3]], "b": null, "c": {"d": [[{"x": null}]]}}));
        assert_eq!(v, json!({"a": [1, 2, 3], "c": {"d": [{}]}}));
    }

    #[test]
    fn message_field_errors() {
        let e = check_message_fields(&json!({"framework_id": "abc"})).unwrap_err();
        assert_eq!(e, "Not expecting a JSON string for field 'framework_id'");
        assert!(check_message_fields(&json!({"framework_id": {"value": "x"}})).is_ok());
        // A bare string where an OperationID goes: stout's text, as for the other IDs.
        let e = check_message_fields(&json!({"x": {"operation_id": "op"}})).unwrap_err();
        assert_eq!(e, "Not expecting a JSON string for field 'operation_id'");
    }

    #[test]
    fn lenient_numbers() {
        let v = json!({"a": {"b": "2.5"}});
        assert_eq!(f64_at(&v, "a.b"), Some(2.5));
    }

    #[test]
    fn base64_is_read_as_stout_reads_it() {
        assert_eq!(stout_base64("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(stout_base64("aGVs bG8").unwrap(), b"hello");
        assert_eq!(stout_base64("aGVsbA==x").unwrap(), b"hell");
        assert_eq!(stout_base64("a").unwrap(), b"");
        assert_eq!(stout_base64("bm90!").unwrap_err(), "Invalid character '!'");
    }
}
