//! Matchmaking: comparable pilots in other cities and partner cities, each with reasons a
//! civil servant can check at a glance. `network` computes (in memory, derived from the
//! database at start, kept current through the change feed of the search queue and
//! rebuilt from the database once many projects changed);
//! `reasons` words the evidence; `api` and `pages` show it; `map` draws the network.

pub mod api;
pub mod map;
pub mod network;
pub mod pages;
pub mod reasons;
pub mod view;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use diesel::prelude::*;

use crate::cities::model::City;
use crate::db::schema::{city_programmes, programmes};
use crate::db::{Database, DbConnection};
use crate::error::{AppError, AppResult};
use crate::projects::model::Project;
use crate::search::documents::DocKind;
use crate::search::thesaurus::Thesaurus;
use crate::search::Follower;
pub use network::{CityInput, Network, Partner, ProjectInput, Reason, Similar};

/// Largest `limit` for similar projects and partner cities.
pub const MAX_LIMIT: i64 = network::KEEP as i64;

/// The live network, shared by all workers.
pub struct Matchmaking {
    network: RwLock<Network>,
    /// Set when so many changes came that the network is built anew once the queue is
    /// empty; changes arriving meanwhile are left to that build.
    rebuild_pending: AtomicBool,
}

impl Matchmaking {
    /// Builds the network from everything in the database.
    pub fn load(db: &Database, thesaurus: Arc<Thesaurus>) -> Result<Arc<Self>, String> {
        let mut conn = db.connection().map_err(|e| e.to_string())?;
        let network = build(&mut conn, thesaurus).map_err(|e| e.to_string())?;
        Ok(Arc::new(Matchmaking {
            network: RwLock::new(network),
            rebuild_pending: AtomicBool::new(false),
        }))
    }

    pub fn read(&self) -> AppResult<RwLockReadGuard<'_, Network>> {
        self.network.read().map_err(|_| poisoned())
    }

    fn write(&self) -> AppResult<RwLockWriteGuard<'_, Network>> {
        self.network.write().map_err(|_| poisoned())
    }
}

impl Follower for Matchmaking {
    /// Applies changed records (from the search queue, after they committed): projects
    /// are re-read and replaced or removed; a changed city refreshes the city data. A
    /// burst that would put the weights out of date is left to a rebuild instead.
    fn apply_changes(&self, conn: &mut DbConnection, records: &[(DocKind, i32)]) -> AppResult<()> {
        if self.rebuild_pending.load(Ordering::Acquire) || self.read()?.wants_rebuild(records.len())
        {
            self.rebuild_pending.store(true, Ordering::Release);
            return Ok(());
        }
        let project_ids: Vec<i32> = records
            .iter()
            .filter(|(k, _)| *k == DocKind::Project)
            .map(|&(_, id)| id)
            .collect();
        let cities_changed = records.iter().any(|(k, _)| *k == DocKind::City);
        let rows = Project::by_ids(conn, &project_ids)?;
        let cities = if cities_changed {
            Some(load_cities(conn)?)
        } else {
            None
        };
        let mut network = self.write()?;
        if let Some(cities) = cities {
            network.update_cities(cities);
        }
        for id in &project_ids {
            if !rows.iter().any(|p| p.id == *id) {
                network.remove(*id);
            }
        }
        for row in rows {
            network.upsert(project_input(row));
        }
        Ok(())
    }

    /// Builds the network anew from the database when a burst of changes asked for it.
    /// The live network keeps answering meanwhile; changes committed during the build
    /// are in it or still queued, and applying one twice changes nothing.
    fn caught_up(&self, conn: &mut DbConnection) -> AppResult<()> {
        if !self.rebuild_pending.swap(false, Ordering::AcqRel) {
            return Ok(());
        }
        let thesaurus = self.read()?.thesaurus();
        // A failed build is tried again at the next empty queue.
        let fresh = build(conn, thesaurus)
            .inspect_err(|_| self.rebuild_pending.store(true, Ordering::Release))?;
        // The old network is freed after the lock is released.
        let old = std::mem::replace(&mut *self.write()?, fresh);
        drop(old);
        Ok(())
    }
}

fn poisoned() -> AppError {
    AppError::Internal("matchmaking state poisoned".into())
}

/// Builds the network from everything in the database.
fn build(conn: &mut DbConnection, thesaurus: Arc<Thesaurus>) -> AppResult<Network> {
    let started = std::time::Instant::now();
    let cities = load_cities(conn)?;
    let ids = Project::all_ids(conn)?;
    let mut projects = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        projects.extend(Project::by_ids(conn, chunk)?.into_iter().map(project_input));
    }
    let network = Network::build(thesaurus, cities, projects);
    tracing::info!(
        projects = network.project_count(),
        millis = started.elapsed().as_millis() as u64,
        "matchmaking network built"
    );
    Ok(network)
}

fn project_input(project: Project) -> ProjectInput {
    ProjectInput::new(
        project.id,
        project.city_id,
        project.theme(),
        project.stage(),
        project.title,
        project.description,
        &project.description_origin,
    )
}

fn load_cities(conn: &mut DbConnection) -> AppResult<Vec<CityInput>> {
    let memberships: Vec<(i32, String)> = city_programmes::table
        .inner_join(programmes::table)
        .select((city_programmes::city_id, programmes::name))
        .load(conn)?;
    Ok(City::all(conn)?
        .into_iter()
        .map(|city| CityInput {
            programmes: memberships
                .iter()
                .filter(|(id, _)| *id == city.id)
                .map(|(_, name)| name.clone())
                .collect(),
            id: city.id,
            name: city.name,
        })
        .collect())
}
