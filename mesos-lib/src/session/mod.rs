//! The kernel's live Mesos session, from a Rust cell.
//!
//! The Mesos kernel adds this crate (light core plus this module, feature `cell`) to every Rust
//! session and gives its evcxr child the path of a private socket and a secret. These functions
//! ask the kernel over that socket: reads are snapshots of the session's book taken when called,
//! and actions go through the kernel's one scheduler stream and framework (a cell never
//! subscribes itself). Outside a kernel cell they fail with [`CellError::NotInKernel`]. Offers,
//! agents and tasks come as [`crate::bind`]'s model, the types `--bind` hands cells too.
//!
//! ```no_run
//! use mesos_lib::session;
//! let cpus: f64 = session::offers()?.iter().map(|o| o.resources.cpus).sum();
//! println!("{cpus} cpus offered");
//! # Ok::<(), session::CellError>(())
//! ```

mod client;
pub mod proto;

pub use client::CellError;
pub use proto::{Launched, SessionInfo};

use crate::bind::{Agent, Offer, Task};
use crate::v1::{FrameworkId, OfferId, TaskId, TaskInfo};
use proto::{Reply, Request};

fn unexpected(reply: Reply) -> CellError {
    CellError::Protocol(format!("unexpected answer {reply:?}"))
}

fn ids<T: From<String>>(list: impl IntoIterator<Item = impl AsRef<str>>) -> Vec<T> {
    list.into_iter()
        .map(|s| T::from(s.as_ref().to_owned()))
        .collect()
}

fn done(request: Request) -> Result<(), CellError> {
    match client::request(request)? {
        Reply::Done => Ok(()),
        other => Err(unexpected(other)),
    }
}

/// Where the session stands: master, state, framework, counts.
pub fn info() -> Result<SessionInfo, CellError> {
    match client::request(Request::Info)? {
        Reply::Info(i) => Ok(i),
        other => Err(unexpected(other)),
    }
}

/// The framework ID (`None` before `%subscribe`).
pub fn framework_id() -> Result<Option<FrameworkId>, CellError> {
    Ok(info()?.framework_id)
}

/// The scheduler session's state (`None` before `%subscribe`).
pub fn state() -> Result<Option<String>, CellError> {
    Ok(info()?.state)
}

/// The outstanding offers, as the session holds them now.
pub fn offers() -> Result<Vec<Offer>, CellError> {
    match client::request(Request::Offers)? {
        Reply::Offers(o) => Ok(o),
        other => Err(unexpected(other)),
    }
}

/// This framework's tasks with their latest statuses.
pub fn tasks() -> Result<Vec<Task>, CellError> {
    match client::request(Request::Tasks)? {
        Reply::Tasks(t) => Ok(t),
        other => Err(unexpected(other)),
    }
}

/// The cluster's agents (operator GET_AGENTS through the kernel's connection).
pub fn agents() -> Result<Vec<Agent>, CellError> {
    match client::request(Request::Agents)? {
        Reply::Agents(a) => Ok(a),
        other => Err(unexpected(other)),
    }
}

/// Launches `tasks` on one outstanding offer, as `%%launch` does: an empty `task_id` becomes
/// NAME-<random>, an empty `agent_id` the offer's agent, and a task already active (same id,
/// or same name without an id) is not launched again, so re-running the cell is safe.
pub fn launch(offer_id: impl AsRef<str>, tasks: Vec<TaskInfo>) -> Result<Launched, CellError> {
    let request = Request::Launch {
        offer_id: OfferId::new(offer_id.as_ref()),
        tasks,
    };
    match client::request(request)? {
        Reply::Launched(l) => Ok(l),
        other => Err(unexpected(other)),
    }
}

/// Declines offers, refusing them for `refuse_seconds` if given.
pub fn decline(
    offer_ids: impl IntoIterator<Item = impl AsRef<str>>,
    refuse_seconds: Option<f64>,
) -> Result<(), CellError> {
    done(Request::Decline {
        offer_ids: ids(offer_ids),
        refuse_seconds,
    })
}

/// Kills tasks of this framework.
pub fn kill(task_ids: impl IntoIterator<Item = impl AsRef<str>>) -> Result<(), CellError> {
    done(Request::Kill {
        task_ids: ids::<TaskId>(task_ids),
    })
}

/// Reconciles the given tasks; none means implicit reconciliation. Answers arrive as status
/// updates: read them with [`tasks`].
pub fn reconcile(task_ids: impl IntoIterator<Item = impl AsRef<str>>) -> Result<(), CellError> {
    done(Request::Reconcile {
        task_ids: ids::<TaskId>(task_ids),
    })
}
