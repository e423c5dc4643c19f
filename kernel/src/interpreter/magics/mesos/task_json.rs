//! The `%%launch` body: one TaskInfo, or a JSON list of them, in Mesos JSON, where `name`,
//! `task_id` and `agent_id` may be left out (they are filled in once the offer is chosen).

use mesos_lib::v1::TaskInfo;
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

/// A TaskInfo from the cell, and which of its required fields the cell left out.
#[derive(Debug, Clone)]
pub(super) struct TaskDraft {
    /// The task; `task_id` and `agent_id` are empty when left out.
    pub info: TaskInfo,
    /// The cell gave `task_id`.
    pub has_id: bool,
}

/// Why the body is not TaskInfo JSON, at a 1-based line and column of the body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub(super) struct JsonError {
    /// Line in the body.
    pub line: usize,
    /// Column in that line.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// Reads the body: an object is one task, an array is several.
pub(super) fn parse(body: &str) -> Result<Vec<TaskDraft>, JsonError> {
    let trimmed = body.trim_start();
    if trimmed.is_empty() {
        return Err(JsonError {
            line: 1,
            column: 1,
            message: "the cell body is empty; give a TaskInfo (or a list of them) in JSON".into(),
        });
    }
    let parsed = if trimmed.starts_with('[') {
        serde_json::from_str::<Vec<TaskDraft>>(body)
    } else {
        serde_json::from_str::<TaskDraft>(body).map(|d| vec![d])
    };
    let drafts = parsed.map_err(|e| {
        let full = e.to_string();
        // serde_json appends " at line L column C"; the position is reported on its own.
        let message = match full.rfind(" at line ") {
            Some(i) => full[..i].to_owned(),
            None => full,
        };
        JsonError {
            line: e.line(),
            column: e.column(),
            message,
        }
    })?;
    if drafts.is_empty() {
        return Err(JsonError {
            line: 1,
            column: 1,
            message: "the list holds no TaskInfo".into(),
        });
    }
    Ok(drafts)
}

impl<'de> Deserialize<'de> for TaskDraft {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Through a map visitor, so serde_json tags any error with the object's position.
        d.deserialize_map(DraftVisitor)
    }
}

struct DraftVisitor;

impl<'de> Visitor<'de> for DraftVisitor {
    type Value = TaskDraft;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a TaskInfo object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TaskDraft, A::Error> {
        // The raw-JSON edge: the object is held as JSON only to fill in what was left out.
        let mut fields = Map::new();
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            fields.insert(k, v);
        }
        let has_id = fields.contains_key("task_id");
        let placeholder = || Value::Object(Map::from_iter([("value".into(), "".into())]));
        fields.entry("task_id").or_insert_with(placeholder);
        fields.entry("agent_id").or_insert_with(placeholder);
        fields.entry("name").or_insert_with(|| "task".into());
        let info = match TaskInfo::deserialize(Value::Object(fields.clone())) {
            Ok(info) => info,
            Err(e) => return Err(de::Error::custom(locate_field(&fields, e))),
        };
        Ok(TaskDraft { info, has_id })
    }
}

/// Names the first field that alone makes the TaskInfo invalid, since errors decoded from a
/// held object carry no path.
fn locate_field(fields: &Map<String, Value>, e: serde_json::Error) -> String {
    let required = ["name", "task_id", "agent_id"];
    let base: Map<String, Value> = fields
        .iter()
        .filter(|(k, _)| required.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, v) in fields {
        let mut one = base.clone();
        one.insert(k.clone(), v.clone());
        if TaskInfo::deserialize(Value::Object(one)).is_err() {
            return format!("in `{k}`: {e}");
        }
    }
    e.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_in_what_is_left_out() {
        let d = parse(
            r#"{"name": "web", "command": {"value": "true"},
                "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}}]}"#,
        )
        .unwrap();
        assert_eq!(d.len(), 1);
        assert!(!d[0].has_id);
        assert_eq!(d[0].info.name, "web");
        assert_eq!(d[0].info.task_id.value, "");
        assert_eq!(d[0].info.resources.len(), 1);
        let d = parse(r#"[{"task_id": {"value": "a"}}, {"name": "b"}]"#).unwrap();
        assert_eq!(d.len(), 2);
        assert!(d[0].has_id);
        assert_eq!(d[1].info.name, "b");
        assert_eq!(d[0].info.name, "task");
        assert_eq!(d[0].info.task_id.value, "a");
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let e = parse("{\n  \"name\": \"web\"\n  \"command\": {}\n}").unwrap_err();
        assert_eq!((e.line, e.column), (3, 3));
        assert!(e.message.contains("expected `,` or `}`"), "{e}");
    }

    #[test]
    fn type_errors_name_the_field() {
        let e = parse("{\n\"name\": \"web\",\n\"resources\": {\"cpus\": 1}\n}").unwrap_err();
        assert!(e.message.contains("in `resources`"), "{e}");
        assert!(e.line >= 3, "{e:?}");
        let e = parse("[1]").unwrap_err();
        assert!(e.message.contains("a TaskInfo object"), "{e}");
        assert!(parse("  ").is_err());
        assert!(parse("[]").is_err());
    }
}
