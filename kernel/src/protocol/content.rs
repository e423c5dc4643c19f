//! Typed message contents: the requests the kernel answers and the contents it sends.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A request arriving on shell, control or stdin, typed by `msg_type`.
#[derive(Debug, Clone)]
pub enum Request {
    /// `kernel_info_request`.
    KernelInfo,
    /// `execute_request`.
    Execute(ExecuteRequest),
    /// `complete_request`.
    Complete(CompleteRequest),
    /// `inspect_request`.
    Inspect(InspectRequest),
    /// `is_complete_request`.
    IsComplete(IsCompleteRequest),
    /// `history_request`.
    History(HistoryRequest),
    /// `comm_info_request`.
    CommInfo(CommInfoRequest),
    /// `comm_open`.
    CommOpen(CommOpen),
    /// `comm_msg`.
    CommMsg(CommMsg),
    /// `comm_close`.
    CommClose(CommMsg),
    /// `shutdown_request`.
    Shutdown(ShutdownRequest),
    /// `interrupt_request`.
    Interrupt,
    /// `create_subshell_request` (control, JEP 91).
    CreateSubshell,
    /// `delete_subshell_request` (control, JEP 91).
    DeleteSubshell(DeleteSubshellRequest),
    /// `list_subshell_request` (control, JEP 91).
    ListSubshell,
    /// `usage_request` (control): the kernel's and the host's CPU and memory.
    Usage,
    /// `input_reply` (stdin).
    InputReply(InputReply),
    /// Anything else: answered with busy/idle only.
    Unknown(String),
}

impl Request {
    /// Types a request from its `msg_type` and content.
    pub fn parse(msg_type: &str, content: &Value) -> Result<Request, serde_json::Error> {
        fn de<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, serde_json::Error> {
            T::deserialize(v)
        }
        Ok(match msg_type {
            "kernel_info_request" => Request::KernelInfo,
            "execute_request" => Request::Execute(de(content)?),
            "complete_request" => Request::Complete(de(content)?),
            "inspect_request" => Request::Inspect(de(content)?),
            "is_complete_request" => Request::IsComplete(de(content)?),
            "history_request" => Request::History(de(content)?),
            "comm_info_request" => Request::CommInfo(de(content)?),
            "comm_open" => Request::CommOpen(de(content)?),
            "comm_msg" => Request::CommMsg(de(content)?),
            "comm_close" => Request::CommClose(de(content)?),
            "shutdown_request" => Request::Shutdown(de(content)?),
            "interrupt_request" => Request::Interrupt,
            "create_subshell_request" => Request::CreateSubshell,
            "delete_subshell_request" => Request::DeleteSubshell(de(content)?),
            "list_subshell_request" => Request::ListSubshell,
            "usage_request" => Request::Usage,
            "input_reply" => Request::InputReply(de(content)?),
            other => Request::Unknown(other.to_owned()),
        })
    }

    /// The reply type for a request type (`x_request` → `x_reply`).
    pub fn reply_type(msg_type: &str) -> String {
        match msg_type.strip_suffix("_request") {
            Some(stem) => format!("{stem}_reply"),
            None => format!("{msg_type}_reply"),
        }
    }
}

fn yes() -> bool {
    true
}

/// `execute_request` content.
#[derive(Debug, Clone, Deserialize)]
pub struct ExecuteRequest {
    /// Source of the cell.
    pub code: String,
    /// No output, no counting.
    #[serde(default)]
    pub silent: bool,
    /// Count and record in history.
    #[serde(default = "yes")]
    pub store_history: bool,
    /// Expressions to evaluate after the code.
    #[serde(default)]
    pub user_expressions: BTreeMap<String, String>,
    /// Whether the front end can answer input requests.
    #[serde(default = "yes")]
    pub allow_stdin: bool,
    /// Abort queued executes after an error (spec default true).
    #[serde(default = "yes")]
    pub stop_on_error: bool,
}

/// `complete_request` content.
#[derive(Debug, Clone, Deserialize)]
pub struct CompleteRequest {
    /// The code so far.
    pub code: String,
    /// Cursor in unicode code points.
    pub cursor_pos: usize,
}

/// `inspect_request` content.
#[derive(Debug, Clone, Deserialize)]
pub struct InspectRequest {
    /// The code.
    pub code: String,
    /// Cursor in unicode code points.
    pub cursor_pos: usize,
    /// 0 or 1.
    #[serde(default)]
    pub detail_level: u8,
}

/// `is_complete_request` content.
#[derive(Debug, Clone, Deserialize)]
pub struct IsCompleteRequest {
    /// The code to judge.
    pub code: String,
}

/// `history_request` content.
#[derive(Debug, Clone, Deserialize)]
pub struct HistoryRequest {
    /// Include outputs.
    #[serde(default)]
    pub output: bool,
    /// Raw input (we only have raw).
    #[serde(default)]
    pub raw: bool,
    /// `range`, `tail` or `search`.
    pub hist_access_type: String,
    /// Session number for range (0 = this one).
    #[serde(default)]
    pub session: i64,
    /// First line for range.
    #[serde(default)]
    pub start: i64,
    /// Line after the last for range.
    #[serde(default)]
    pub stop: Option<i64>,
    /// How many for tail/search.
    #[serde(default)]
    pub n: Option<usize>,
    /// Glob for search.
    #[serde(default)]
    pub pattern: Option<String>,
    /// Drop duplicates in search.
    #[serde(default)]
    pub unique: bool,
}

/// `comm_info_request` content.
#[derive(Debug, Clone, Deserialize)]
pub struct CommInfoRequest {
    /// Only comms of this target.
    #[serde(default)]
    pub target_name: Option<String>,
}

/// `comm_open` content.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommOpen {
    /// The comm's id.
    pub comm_id: String,
    /// The registered target it asks for.
    pub target_name: String,
    /// Payload.
    #[serde(default)]
    pub data: Value,
}

/// `comm_msg` / `comm_close` content.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommMsg {
    /// The comm's id.
    pub comm_id: String,
    /// Payload.
    #[serde(default)]
    pub data: Value,
}

/// `shutdown_request` content.
#[derive(Debug, Clone, Deserialize)]
pub struct ShutdownRequest {
    /// Whether the client will start us again.
    #[serde(default)]
    pub restart: bool,
}

/// `delete_subshell_request` content.
#[derive(Debug, Clone, Deserialize)]
pub struct DeleteSubshellRequest {
    /// The subshell to delete.
    pub subshell_id: String,
}

/// `input_reply` content.
#[derive(Debug, Clone, Deserialize)]
pub struct InputReply {
    /// What the user typed.
    #[serde(default)]
    pub value: String,
}

/// A mime bundle with its metadata, as display_data and execute_result carry it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MimeBundle {
    /// mime type → value (JSON mimes unpacked, binary base64).
    pub data: Map<String, Value>,
    /// Per-bundle or per-mime metadata.
    pub metadata: Map<String, Value>,
}

impl MimeBundle {
    /// A bundle with only `text/plain`.
    pub fn text(text: impl Into<String>) -> Self {
        let mut b = Self::default();
        b.data
            .insert("text/plain".into(), Value::String(text.into()));
        b
    }

    /// Adds a mime representation.
    pub fn with(mut self, mime: &str, value: impl Into<Value>) -> Self {
        self.data.insert(mime.into(), value.into());
        self
    }
}

/// `language_info` of kernel_info_reply.
#[derive(Debug, Clone, Serialize)]
pub struct LanguageInfo {
    /// Language name.
    pub name: String,
    /// Language version.
    pub version: String,
    /// Source mime type.
    pub mimetype: String,
    /// File extension with the dot.
    pub file_extension: String,
    /// Pygments lexer.
    pub pygments_lexer: String,
    /// CodeMirror mode.
    pub codemirror_mode: String,
    /// nbconvert exporter.
    pub nbconvert_exporter: String,
}

/// A help link of kernel_info_reply.
#[derive(Debug, Clone, Serialize)]
pub struct HelpLink {
    /// Link text.
    pub text: String,
    /// Target.
    pub url: String,
}

/// `kernel_info_reply` content.
#[derive(Debug, Clone, Serialize)]
pub struct KernelInfoReply {
    /// Always ok.
    pub status: &'static str,
    /// The protocol version implemented.
    pub protocol_version: &'static str,
    /// Implementation name.
    pub implementation: &'static str,
    /// Implementation version.
    pub implementation_version: &'static str,
    /// The language.
    pub language_info: LanguageInfo,
    /// Shown by consoles at start.
    pub banner: String,
    /// Help menu entries.
    pub help_links: Vec<HelpLink>,
    /// Optional features.
    pub supported_features: Vec<String>,
    /// We have no debugger.
    pub debugger: bool,
}

/// An error as `error` output and error replies carry it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorContent {
    /// Error class name.
    pub ename: String,
    /// Error message.
    pub evalue: String,
    /// Lines to show (may contain ANSI colours).
    pub traceback: Vec<String>,
}

/// `is_complete_reply` status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completeness {
    /// Ready to run.
    Complete,
    /// Needs more lines; the indent for the next one.
    Incomplete(String),
    /// Can never be valid.
    Invalid,
    /// Cannot tell.
    Unknown,
}

/// A status update on IOPub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExecutionState {
    /// Published once at start.
    Starting,
    /// Handling a request.
    Busy,
    /// Done with it; all its output has been published.
    Idle,
}

/// Stream name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StreamName {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn execute_defaults_follow_the_spec() {
        let r = Request::parse("execute_request", &json!({"code": "1"})).unwrap();
        let Request::Execute(e) = r else { panic!() };
        assert!(!e.silent && e.store_history && e.allow_stdin && e.stop_on_error);
    }

    #[test]
    fn unknown_types_are_kept_and_bad_content_is_an_error() {
        assert!(matches!(
            Request::parse("frobnicate_request", &json!({})).unwrap(),
            Request::Unknown(t) if t == "frobnicate_request"
        ));
        assert!(Request::parse("execute_request", &json!({"code": 3})).is_err());
        assert_eq!(Request::reply_type("execute_request"), "execute_reply");
    }
}
