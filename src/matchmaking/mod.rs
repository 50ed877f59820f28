//! Matchmaking: comparable pilots in other cities and partner cities, each with reasons a
//! civil servant can check at a glance. `network` computes (in memory, derived from the
//! database at start, kept current by following the change log and rebuilt from the
//! database once many projects changed);
//! `reasons` words the evidence; `api` and `pages` show it; `map` draws the network;
//! `feedback` applies the cities' answers on the suggestions and `judge` takes them.

pub mod api;
pub mod feedback;
pub mod judge;
pub mod map;
pub mod network;
pub mod pages;
pub mod reasons;
pub mod view;

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use diesel::prelude::*;

use crate::changes::{self, Change, Kind};
use crate::cities::model::City;
use crate::db::schema::{city_programmes, programmes};
use crate::db::{Database, DbConnection};
use crate::error::{AppError, AppResult};
use crate::jobs::follow::{Follower, Progress};
use crate::projects::model::Project;
use crate::search::thesaurus::Thesaurus;
pub use network::{CityInput, Network, Partner, ProjectInput, Reason, Similar, SolutionLink};

/// Largest `limit` for similar projects and partner cities.
pub const MAX_LIMIT: i64 = network::KEEP as i64;

/// How long saving a project waits for its own suggestions before the page it lands on
/// says they are being computed: the network takes in one project in milliseconds, so
/// this is only reached under a burst (an import) or a rebuild.
pub const SAVE_WAIT: Duration = Duration::from_secs(2);

/// The live network, shared by all workers.
pub struct Matchmaking {
    network: RwLock<Network>,
    /// Set when so many changes came that the network is built anew once the log is
    /// read to its end; changes arriving meanwhile are left to that build.
    rebuild_pending: AtomicBool,
    /// The change-log position the network has taken in.
    position: AtomicI64,
    /// The position the network's content reflects: behind `position` while changes are
    /// left to a pending rebuild.
    applied: Progress,
}

impl Matchmaking {
    /// Builds the network from everything in the database.
    pub fn load(db: &Database, thesaurus: Arc<Thesaurus>) -> Result<Arc<Self>, String> {
        let mut conn = db.connection().map_err(|e| e.to_string())?;
        let position = changes::head(&mut conn).map_err(|e| e.to_string())?;
        let network = build(&mut conn, thesaurus).map_err(|e| e.to_string())?;
        Ok(Arc::new(Matchmaking {
            network: RwLock::new(network),
            rebuild_pending: AtomicBool::new(false),
            position: AtomicI64::new(position),
            applied: Progress::new(position),
        }))
    }

    /// Whether the suggestions reflect change `seq` of the log.
    pub fn reflects(&self, seq: i64) -> bool {
        self.applied.reached(seq)
    }

    /// Waits until the suggestions reflect change `seq`, at most `within`; whether they
    /// do.
    pub async fn wait_for(&self, seq: i64, within: Duration) -> bool {
        self.applied.wait_for(seq, within).await
    }

    /// Stands at `through`; the content reflects it unless a rebuild is still to come.
    fn advance(&self, through: i64) {
        self.position.store(through, Ordering::Release);
        if !self.rebuild_pending.load(Ordering::Acquire) {
            self.applied.set(through);
        }
    }

    pub fn read(&self) -> AppResult<RwLockReadGuard<'_, Network>> {
        self.network.read().map_err(|_| poisoned())
    }

    /// The ids of `city_id`'s `n` strongest partner cities, strongest first.
    pub fn strongest_partners(&self, city_id: i32, n: usize) -> Vec<i32> {
        self.read()
            .map(|network| {
                network
                    .partner_scores(city_id, n)
                    .map(|(id, _)| id)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn write(&self) -> AppResult<RwLockWriteGuard<'_, Network>> {
        self.network.write().map_err(|_| poisoned())
    }
}

impl Follower for Matchmaking {
    fn name(&self) -> &'static str {
        "matchmaking"
    }

    fn position(&self) -> i64 {
        self.position.load(Ordering::Acquire)
    }

    /// Applies changed records (after they committed): projects are re-read and replaced
    /// or removed; a changed city refreshes the city data. A burst that would put the
    /// weights out of date is left to a rebuild instead.
    fn apply(&self, conn: &mut DbConnection, changes: &[Change], through: i64) -> AppResult<()> {
        let records = changes::records(changes);
        let project_ids: Vec<i32> = records
            .iter()
            .filter(|(k, _)| *k == Kind::Project)
            .map(|&(_, id)| id)
            .collect();
        let cities_changed = records.iter().any(|(k, _)| *k == Kind::City);
        if project_ids.is_empty() && !cities_changed {
            self.advance(through);
            return Ok(());
        }
        if self.rebuild_pending.load(Ordering::Acquire)
            || self.read()?.wants_rebuild(project_ids.len())
        {
            self.rebuild_pending.store(true, Ordering::Release);
            self.position.store(through, Ordering::Release);
            return Ok(());
        }
        let rows = project_inputs(conn, &project_ids)?;
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
        for input in rows {
            network.upsert(input);
        }
        drop(network);
        self.advance(through);
        Ok(())
    }

    fn rebuild(&self, conn: &mut DbConnection) -> AppResult<()> {
        self.rebuild_pending.store(true, Ordering::Release);
        self.caught_up(conn)
    }

    /// Builds the network anew from the database when a burst of changes asked for it.
    /// The live network keeps answering meanwhile; changes committed during the build
    /// are in it or still to be read, and applying one twice changes nothing.
    fn caught_up(&self, conn: &mut DbConnection) -> AppResult<()> {
        if !self.rebuild_pending.swap(false, Ordering::AcqRel) {
            return Ok(());
        }
        let thesaurus = self.read()?.thesaurus();
        let head = changes::head(conn)
            .inspect_err(|_| self.rebuild_pending.store(true, Ordering::Release))?;
        // A failed build is tried again at the next pass.
        let fresh = build(conn, thesaurus)
            .inspect_err(|_| self.rebuild_pending.store(true, Ordering::Release))?;
        // The old network is freed after the lock is released.
        let old = std::mem::replace(&mut *self.write()?, fresh);
        drop(old);
        self.position.store(head, Ordering::Release);
        self.applied.set(head);
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
        projects.extend(project_inputs(conn, chunk)?);
    }
    let network = Network::build(thesaurus, cities, projects);
    tracing::info!(
        projects = network.project_count(),
        millis = started.elapsed().as_millis() as u64,
        "matchmaking network built"
    );
    Ok(network)
}

/// What the network needs of these projects: their rows and the solutions they are.
fn project_inputs(conn: &mut DbConnection, ids: &[i32]) -> AppResult<Vec<ProjectInput>> {
    let mut links = crate::solutions::model::counting_links(conn, ids)?;
    let names = crate::solutions::model::names(conn)?;
    Ok(Project::by_ids(conn, ids)?
        .into_iter()
        .map(|project| {
            let solutions = links
                .remove(&project.id)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|link| {
                    let name = names.get(&link.slug)?.clone();
                    Some(SolutionLink {
                        weight: if link.confirmed {
                            1.0
                        } else {
                            link.confidence as f32
                        },
                        slug: link.slug,
                        name,
                    })
                })
                .collect();
            ProjectInput::new(
                project.id,
                project.city_id,
                Some(project.theme),
                Some(project.stage),
                project.title,
                project.description,
                project.description_origin.slug(),
            )
            .with_solutions(solutions)
        })
        .collect())
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

/// `/api/v1/projects/{id}/similar`, `/api/v1/cities/{slug}/partners`.
pub fn api_routes(cfg: &mut actix_web::web::ServiceConfig) {
    use crate::web::get;
    use actix_web::web;
    cfg.service(web::resource("/projects/{id}/similar").route(get().to(api::similar_projects)))
        .service(web::resource("/cities/{slug}/partners").route(get().to(api::partner_cities)));
}

/// `/netwerk`, the answers on suggestions and `/beheer/suggesties`.
pub fn page_routes(cfg: &mut actix_web::web::ServiceConfig) {
    use crate::web::get;
    use actix_web::web;
    cfg.service(web::resource("/netwerk").route(get().to(pages::show_network)))
        .service(web::resource("/projecten/{id}/vergelijkbaar").route(web::post().to(judge::judge)))
        .service(web::resource("/beheer/suggesties").route(get().to(judge::show_disputed)));
}
