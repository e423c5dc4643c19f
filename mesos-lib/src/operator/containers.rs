//! An agent's container calls (`POST /api/v1` on the agent): a nested container session
//! (a command run inside a running task's container, its output streamed back as `ProcessIO`
//! records), and waiting for, killing and removing nested containers. The agent is named by
//! its base URL, e.g. `http://host:5051`.

use base64::Engine;
use bytes::Bytes;
use serde_json::{Value, json};

use super::client::OperatorClient;
use crate::httpcli::{EventStream, HttpError, OPERATOR_PATH, RawReply, parse_base_url};

/// One piece of a session's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessOutput {
    /// Bytes the command wrote to its stdout.
    Stdout(Vec<u8>),
    /// Bytes the command wrote to its stderr.
    Stderr(Vec<u8>),
}

/// A running nested container session: its output as it comes, until the command ends.
#[derive(Debug)]
pub struct NestedSession {
    /// The session's `ContainerID` (with its `parent`).
    pub container_id: Value,
    stream: EventStream<Value>,
}

impl NestedSession {
    /// The next output; `None` once the command has ended and its output is drained.
    /// Heartbeats are skipped.
    pub async fn next(&mut self) -> Option<Result<ProcessOutput, HttpError>> {
        loop {
            let record = match self.stream.next().await? {
                Ok(r) => r,
                Err(e) => return Some(Err(e)),
            };
            if record["type"] != "DATA" {
                continue;
            }
            let data = record["data"]["data"].as_str().unwrap_or("");
            let bytes = match base64::engine::general_purpose::STANDARD.decode(data) {
                Ok(b) => b,
                Err(e) => {
                    return Some(Err(HttpError::Decode {
                        what: "ProcessIO data".into(),
                        source: <serde_json::Error as serde::de::Error>::custom(e),
                    }));
                }
            };
            return Some(Ok(match record["data"]["type"].as_str() {
                Some("STDERR") => ProcessOutput::Stderr(bytes),
                _ => ProcessOutput::Stdout(bytes),
            }));
        }
    }
}

/// A `ContainerID` nested in `parent` (itself a `ContainerID`).
pub fn nested_container_id(parent: &Value, value: &str) -> Value {
    json!({"value": value, "parent": parent})
}

/// A wait status as the shell reports it: the exit code, or 128 + the signal.
pub fn exit_code(wait_status: i32) -> i32 {
    let signal = wait_status & 0x7f;
    if signal == 0 {
        (wait_status >> 8) & 0xff
    } else {
        128 + signal
    }
}

impl OperatorClient {
    /// Any call of an agent's operator API, its answer verbatim (non-2xx included).
    pub async fn agent_call(&self, agent: &str, call: &Value) -> Result<RawReply, HttpError> {
        let base = parse_base_url(agent)?;
        let body = Bytes::from(call.to_string());
        self.http().post_raw(&base, OPERATOR_PATH, body, None).await
    }

    /// LAUNCH_NESTED_CONTAINER_SESSION: runs `command` (a CommandInfo) in a container nested
    /// in `parent`, with id `value`; its output streams until the command ends. Dropping the
    /// session closes the connection, which makes the agent destroy the container.
    pub async fn launch_nested_session(
        &self,
        agent: &str,
        parent: &Value,
        value: &str,
        command: &Value,
    ) -> Result<NestedSession, HttpError> {
        let base = parse_base_url(agent)?;
        let container_id = nested_container_id(parent, value);
        let call = json!({
            "type": "LAUNCH_NESTED_CONTAINER_SESSION",
            "launch_nested_container_session": {
                "container_id": container_id,
                "command": command,
            },
        });
        let reply = self
            .http()
            .post_for_records(&base, OPERATOR_PATH, Bytes::from(call.to_string()))
            .await?;
        let max = self.http().config().max_record_size;
        Ok(NestedSession {
            container_id,
            stream: EventStream::new(reply.response, max),
        })
    }

    /// WAIT_NESTED_CONTAINER: the container's wait status once it has ended (`None` when the
    /// agent reports none).
    pub async fn wait_nested_container(
        &self,
        agent: &str,
        container_id: &Value,
    ) -> Result<Option<i32>, HttpError> {
        let call = json!({
            "type": "WAIT_NESTED_CONTAINER",
            "wait_nested_container": {"container_id": container_id},
        });
        let reply = self.checked(agent, &call).await?;
        let answer: Value =
            serde_json::from_str(&reply.body).map_err(|source| HttpError::Decode {
                what: "WAIT_NESTED_CONTAINER".into(),
                source,
            })?;
        Ok(answer["wait_nested_container"]["exit_status"]
            .as_i64()
            .map(|s| s as i32))
    }

    /// KILL_NESTED_CONTAINER with SIGKILL.
    pub async fn kill_nested_container(
        &self,
        agent: &str,
        container_id: &Value,
    ) -> Result<(), HttpError> {
        let call = json!({
            "type": "KILL_NESTED_CONTAINER",
            "kill_nested_container": {"container_id": container_id},
        });
        self.checked(agent, &call).await.map(|_| ())
    }

    /// REMOVE_NESTED_CONTAINER: forgets an ended container and deletes its sandbox.
    pub async fn remove_nested_container(
        &self,
        agent: &str,
        container_id: &Value,
    ) -> Result<(), HttpError> {
        let call = json!({
            "type": "REMOVE_NESTED_CONTAINER",
            "remove_nested_container": {"container_id": container_id},
        });
        self.checked(agent, &call).await.map(|_| ())
    }

    /// An agent call whose non-2xx answer is an error carrying the agent's reason.
    async fn checked(&self, agent: &str, call: &Value) -> Result<RawReply, HttpError> {
        let reply = self.agent_call(agent, call).await?;
        if reply.is_success() {
            return Ok(reply);
        }
        Err(HttpError::Status {
            status: reply.status,
            reason: reply.body,
            url: format!("{}{OPERATOR_PATH}", agent.trim_end_matches('/')),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_statuses_read_as_the_shell_does() {
        assert_eq!(exit_code(3 << 8), 3);
        assert_eq!(exit_code(0), 0);
        assert_eq!(exit_code(9), 137);
    }
}
