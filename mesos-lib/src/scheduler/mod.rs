//! The scheduler session: a SUBSCRIBE stream that never silently dies (heartbeat watchdog,
//! jittered reconnects, failover resubscription), automatic acknowledgements, reconciliation
//! after every SUBSCRIBED, and bookkeeping the kernel can show at any moment.

mod acks;
mod book;
mod calls;
mod config;
mod driver;
mod error;
mod offers;
mod reconcile;
mod session;
mod state;
mod tasks;
mod wait;

pub use book::{Book, LeaderChange, LoggedEvent, ReconcileStatus};
pub use config::SchedulerConfig;
pub use error::SessionError;
pub use offers::{OfferBook, OfferEnd};
pub use session::Scheduler;
pub use state::{ReconnectRecord, SessionState};
pub use tasks::{Applied, TaskBook, TaskRecord};
