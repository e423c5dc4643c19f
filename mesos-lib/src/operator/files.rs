//! An agent's files API (`/files/debug`, `/files/read`): how a notebook reads a task's sandbox
//! on a real cluster, where the sandbox lives on another machine.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::client::OperatorClient;
use crate::httpcli::{HttpError, parse_base_url};

/// One `/files/read` answer: `data` starting at byte `offset` of the file.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FileChunk {
    /// The bytes read, as text (an agent sends UTF-8).
    pub data: String,
    /// Where `data` starts; with `offset=-1` the file's size.
    pub offset: u64,
}

/// The most a single `/files/read` returns (the agent's own cap is 16 pages).
pub const MAX_READ: u64 = 16 * 4096;

impl OperatorClient {
    /// An agent's `GET /files/debug`: virtual path → real directory of every attached sandbox
    /// (`agent` is its base URL, e.g. `http://host:5051`).
    pub async fn agent_files_debug(
        &self,
        agent: &str,
    ) -> Result<BTreeMap<String, String>, HttpError> {
        let base = parse_base_url(agent)?;
        self.http()
            .get(&base, "/files/debug")
            .await?
            .json("agent /files/debug")
            .await
    }

    /// An agent's `GET /files/read`: up to `length` bytes of `path` from `offset`
    /// (`None`: only the size, answered as the chunk's `offset`).
    pub async fn agent_files_read(
        &self,
        agent: &str,
        path: &str,
        offset: Option<u64>,
        length: u64,
    ) -> Result<FileChunk, HttpError> {
        let base = parse_base_url(agent)?;
        let offset = offset.map_or_else(|| "-1".to_owned(), |o| o.to_string());
        let length = length.min(MAX_READ).to_string();
        self.http()
            .get_query(
                &base,
                "/files/read",
                &[("path", path), ("offset", &offset), ("length", &length)],
            )
            .await?
            .json("agent /files/read")
            .await
    }
}
