//! What the kernel sends: every reply and every IOPub and stdin content as one typed enum.
//! The message type comes from the variant (as [`Request`](super::content::Request) types what
//! arrives), so no reply or status is ever built by editing a JSON value.

use super::content::{ErrorContent, ExecutionState, KernelInfoReply, MimeBundle, StreamName};
use serde::Serialize;
use serde_json::{Map, Value};

/// A message content the kernel sends.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Outgoing {
    /// `kernel_info_reply`.
    KernelInfoReply(Box<KernelInfoReply>),
    /// `execute_reply`.
    ExecuteReply(ExecuteReply),
    /// `complete_reply`.
    CompleteReply(CompleteReply),
    /// `inspect_reply`.
    InspectReply(InspectReply),
    /// `is_complete_reply`.
    IsCompleteReply(IsCompleteReply),
    /// `history_reply`.
    HistoryReply(Done<HistoryReply>),
    /// `comm_info_reply`.
    CommInfoReply(Done<CommInfoReply>),
    /// `shutdown_reply`.
    ShutdownReply(Done<ShutdownReply>),
    /// `interrupt_reply`.
    InterruptReply(Done<Empty>),
    /// `create_subshell_reply`.
    CreateSubshellReply(Done<SubshellId>),
    /// `delete_subshell_reply`.
    DeleteSubshellReply(Outcome<Empty>),
    /// `list_subshell_reply`.
    ListSubshellReply(Done<SubshellIds>),
    /// `usage_reply` (no status, as ipykernel sends it).
    UsageReply(Value),
    /// An error reply of any type: to a request for an unknown subshell, or one whose
    /// handler panicked.
    ErrorReply {
        /// The `*_reply` type (the request's).
        #[serde(skip)]
        reply_type: String,
        /// Why.
        #[serde(flatten)]
        error: Outcome<Empty>,
    },
    /// `status` (IOPub).
    Status {
        /// busy, idle or starting.
        execution_state: ExecutionState,
    },
    /// `stream` (IOPub).
    Stream {
        /// stdout or stderr.
        name: StreamName,
        /// The text.
        text: String,
    },
    /// `display_data` (IOPub).
    DisplayData(Display),
    /// `update_display_data` (IOPub).
    UpdateDisplayData(Display),
    /// `execute_input` (IOPub).
    ExecuteInput {
        /// The cell's code.
        code: String,
        /// Its count.
        execution_count: i64,
    },
    /// `execute_result` (IOPub).
    ExecuteResult {
        /// The cell's count.
        execution_count: i64,
        /// mime → value.
        data: Map<String, Value>,
        /// Metadata.
        metadata: Map<String, Value>,
    },
    /// `error` (IOPub).
    Error(ErrorContent),
    /// `clear_output` (IOPub).
    ClearOutput {
        /// Clear when the next output arrives.
        wait: bool,
    },
    /// `comm_close` (IOPub).
    CommClose {
        /// The comm.
        comm_id: String,
        /// Payload.
        data: Map<String, Value>,
    },
    /// `input_request` (stdin).
    InputRequest {
        /// Prompt text.
        prompt: String,
        /// Hide what is typed.
        password: bool,
    },
}

impl Outgoing {
    /// The message type this content is sent as.
    pub fn msg_type(&self) -> &str {
        match self {
            Self::KernelInfoReply(_) => "kernel_info_reply",
            Self::ExecuteReply(_) => "execute_reply",
            Self::CompleteReply(_) => "complete_reply",
            Self::InspectReply(_) => "inspect_reply",
            Self::IsCompleteReply(_) => "is_complete_reply",
            Self::HistoryReply(_) => "history_reply",
            Self::CommInfoReply(_) => "comm_info_reply",
            Self::ShutdownReply(_) => "shutdown_reply",
            Self::InterruptReply(_) => "interrupt_reply",
            Self::CreateSubshellReply(_) => "create_subshell_reply",
            Self::DeleteSubshellReply(_) => "delete_subshell_reply",
            Self::ListSubshellReply(_) => "list_subshell_reply",
            Self::UsageReply(_) => "usage_reply",
            Self::ErrorReply { reply_type, .. } => reply_type,
            Self::Status { .. } => "status",
            Self::Stream { .. } => "stream",
            Self::DisplayData(_) => "display_data",
            Self::UpdateDisplayData(_) => "update_display_data",
            Self::ExecuteInput { .. } => "execute_input",
            Self::ExecuteResult { .. } => "execute_result",
            Self::Error(_) => "error",
            Self::ClearOutput { .. } => "clear_output",
            Self::CommClose { .. } => "comm_close",
            Self::InputRequest { .. } => "input_request",
        }
    }

    /// A `display_data` (or, `update`, an `update_display_data`) of `bundle`.
    pub fn display(bundle: &MimeBundle, display_id: Option<&str>, update: bool) -> Self {
        let d = Display {
            data: bundle.data.clone(),
            metadata: bundle.metadata.clone(),
            transient: Transient {
                display_id: display_id.map(str::to_owned),
            },
        };
        if update {
            Self::UpdateDisplayData(d)
        } else {
            Self::DisplayData(d)
        }
    }
}

/// A reply that can only succeed: `{"status": "ok", ...}`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Done<T> {
    /// Done.
    Ok(T),
}

/// A reply that succeeded or failed: `{"status": "ok", ...}` or `{"status": "error", ename…}`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Outcome<T> {
    /// Done.
    Ok(T),
    /// Failed.
    Error(ErrorContent),
}

/// No fields besides the status.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Empty {}

/// `execute_reply` content.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum ExecuteReply {
    /// The cell ran.
    Ok {
        /// Its count.
        execution_count: i64,
        /// The values of `user_expressions`.
        user_expressions: Map<String, Value>,
        /// Pager and other payloads.
        payload: Vec<Value>,
    },
    /// The cell failed.
    Error {
        /// What failed.
        #[serde(flatten)]
        error: ErrorContent,
        /// Its count.
        execution_count: i64,
        /// Always empty after an error.
        user_expressions: Map<String, Value>,
        /// Always empty after an error.
        payload: Vec<Value>,
    },
    /// Not run: an earlier cell failed (stop_on_error).
    Aborted {
        /// The count so far.
        execution_count: i64,
    },
}

/// One `user_expressions` value.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum ExpressionValue {
    /// Evaluated.
    Ok {
        /// mime → value.
        data: Map<String, Value>,
        /// Metadata.
        metadata: Map<String, Value>,
    },
    /// Failed.
    Error(ErrorContent),
}

/// `complete_reply` content.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename = "ok")]
pub struct CompleteReply {
    /// Candidates.
    pub matches: Vec<String>,
    /// Start of the replaced text (code points).
    pub cursor_start: usize,
    /// End of the replaced text.
    pub cursor_end: usize,
    /// Extra data.
    pub metadata: Map<String, Value>,
}

/// `inspect_reply` content.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename = "ok")]
pub struct InspectReply {
    /// Whether anything was found.
    pub found: bool,
    /// mime → value.
    pub data: Map<String, Value>,
    /// Metadata.
    pub metadata: Map<String, Value>,
}

/// `is_complete_reply` content.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum IsCompleteReply {
    /// Ready to run.
    Complete,
    /// Needs more; the next line's indent.
    Incomplete {
        /// Indent.
        indent: String,
    },
    /// Never valid.
    Invalid,
    /// Cannot tell.
    Unknown,
}

/// `history_reply` fields.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryReply {
    /// `[session, line, input]` triples.
    pub history: Vec<Value>,
}

/// `comm_info_reply` fields.
#[derive(Debug, Clone, Serialize)]
pub struct CommInfoReply {
    /// comm id → target (we open none).
    pub comms: Map<String, Value>,
}

/// `shutdown_reply` fields.
#[derive(Debug, Clone, Serialize)]
pub struct ShutdownReply {
    /// Whether a restart follows.
    pub restart: bool,
}

/// `create_subshell_reply` fields.
#[derive(Debug, Clone, Serialize)]
pub struct SubshellId {
    /// The new subshell.
    pub subshell_id: String,
}

/// `list_subshell_reply` fields.
#[derive(Debug, Clone, Serialize)]
pub struct SubshellIds {
    /// The child subshells, oldest first.
    pub subshell_id: Vec<String>,
}

/// `display_data` / `update_display_data` content.
#[derive(Debug, Clone, Serialize)]
pub struct Display {
    /// mime → value.
    pub data: Map<String, Value>,
    /// Metadata.
    pub metadata: Map<String, Value>,
    /// Not stored in notebooks.
    pub transient: Transient,
}

/// Transient display data.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Transient {
    /// Lets later updates replace this display.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn wire(c: &Outgoing) -> Value {
        serde_json::to_value(c).unwrap()
    }

    fn boom() -> ErrorContent {
        ErrorContent {
            ename: "Boom".into(),
            evalue: "it failed".into(),
            traceback: vec!["Boom: it failed".into()],
        }
    }

    #[test]
    fn replies_carry_their_status_and_fields() {
        let ok = Outgoing::ExecuteReply(ExecuteReply::Ok {
            execution_count: 3,
            user_expressions: Map::new(),
            payload: vec![],
        });
        assert_eq!(ok.msg_type(), "execute_reply");
        assert_eq!(
            wire(&ok),
            json!({"status": "ok", "execution_count": 3, "user_expressions": {}, "payload": []})
        );
        let error = Outgoing::ExecuteReply(ExecuteReply::Error {
            error: boom(),
            execution_count: 4,
            user_expressions: Map::new(),
            payload: vec![],
        });
        assert_eq!(
            wire(&error),
            json!({"status": "error", "ename": "Boom", "evalue": "it failed",
                   "traceback": ["Boom: it failed"], "execution_count": 4,
                   "user_expressions": {}, "payload": []})
        );
        let aborted = Outgoing::ExecuteReply(ExecuteReply::Aborted { execution_count: 4 });
        assert_eq!(
            wire(&aborted),
            json!({"status": "aborted", "execution_count": 4})
        );
        let deleted = Outgoing::DeleteSubshellReply(Outcome::Error(boom()));
        assert_eq!(wire(&deleted)["status"], "error");
        assert_eq!(
            wire(&Outgoing::InterruptReply(Done::Ok(Empty {}))),
            json!({"status": "ok"})
        );
        assert_eq!(
            wire(&Outgoing::IsCompleteReply(IsCompleteReply::Incomplete {
                indent: "  ".into()
            })),
            json!({"status": "incomplete", "indent": "  "})
        );
        let c = Outgoing::CompleteReply(CompleteReply {
            matches: vec!["x".into()],
            cursor_start: 0,
            cursor_end: 1,
            metadata: Map::new(),
        });
        assert_eq!(wire(&c)["status"], "ok");
        let refused = Outgoing::ErrorReply {
            reply_type: "execute_reply".into(),
            error: Outcome::Error(boom()),
        };
        assert_eq!(refused.msg_type(), "execute_reply");
        assert_eq!(wire(&refused)["ename"], "Boom");
        assert!(wire(&refused).get("reply_type").is_none());
    }

    #[test]
    fn iopub_contents_keep_their_wire_shape() {
        let shown = Outgoing::display(&MimeBundle::text("hi"), Some("d1"), true);
        assert_eq!(shown.msg_type(), "update_display_data");
        assert_eq!(
            wire(&shown),
            json!({"data": {"text/plain": "hi"}, "metadata": {}, "transient": {"display_id": "d1"}})
        );
        let plain = Outgoing::display(&MimeBundle::text("hi"), None, false);
        assert_eq!(wire(&plain)["transient"], json!({}));
        assert_eq!(
            wire(&Outgoing::Status {
                execution_state: ExecutionState::Idle
            }),
            json!({"execution_state": "idle"})
        );
    }
}
