//! The application state every handler may read: configuration, database, rendering,
//! background jobs, throttles and health probes. It names only the shared core; each
//! domain area registers its own services (the search engine, the matchmaking network,
//! the mailer) beside it as `web::Data` of their own type, so the core depends on no
//! area.

use std::sync::Arc;

use crate::auth::throttle::Throttles;
use crate::config::Config;
use crate::db::Database;
use crate::jobs::{Jobs, Signal};
use crate::uploads::Store;
use crate::web::render::Renderer;

pub struct AppState {
    pub config: Config,
    pub db: Database,
    pub renderer: Renderer,
    /// Background work; woken after a commit with [`AppState::committed`].
    pub jobs: Arc<Jobs>,
    pub throttles: Throttles,
    /// Stored attachments, by content hash.
    pub uploads: Store,
    /// What `/api/v1/health` asks besides the database.
    pub probes: Vec<Arc<dyn Probe>>,
}

impl AppState {
    /// Call after a transaction commits that appended to the change log (`Changes`) or
    /// queued mail (`Mail`): the jobs that follow it start at once instead of at their
    /// next poll.
    pub fn committed(&self, signal: Signal) {
        self.jobs.wake(signal);
    }
}

/// A part of the application whose state the health check reports.
pub trait Probe: Send + Sync {
    /// `Some(reason)` while the part works in a degraded way (its index rebuilding, say).
    fn degraded(&self) -> Option<String>;
}
