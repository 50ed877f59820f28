//! Start-up, the composition root: from a configuration to a ready application — the
//! database migrated and the inventory loaded (one process at a time), the areas'
//! services built (search index, matchmaking network, mail), the background jobs
//! started — and [`routes`], the one list of the areas whose routes the site serves.

use std::path::Path;
use std::sync::Arc;

use actix_web::web;

use crate::config::Config;
use crate::db::Database;
use crate::inventory::{self, Inventory, Source, SHIPPED_JSON};
use crate::jobs::follow::{Compactor, DurableJob, FollowJob};
use crate::jobs::{Jobs, Signal};
use crate::matchmaking::Matchmaking;
use crate::search::Search;
use crate::web::render::Renderer;
use crate::web::AppState;
use crate::{
    accounts, cities, follows, forum, matchmaking, notifications, overview, pools, projects,
    search, solutions, themes,
};

/// Opens the data directory and database (migrating it) for any command.
pub fn open_database(config: &Config) -> Result<Database, String> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        format!(
            "cannot create data directory {}: {e}",
            config.data_dir.display()
        )
    })?;
    let db = Database::open_with(config.backend.clone(), config.sqlite_sync)?;
    tracing::info!(backend = db.backend().name(), "database ready");
    Ok(db)
}

/// Opens the database with the shipped inventory in it — loaded now if this is the
/// first command on an empty data directory — so commands that name cities (`user
/// create --city`) work before the first `serve`.
pub fn open_with_inventory(config: &Config) -> Result<(Database, Inventory), String> {
    let db = open_database(config)?;
    let shipped = Inventory::parse(SHIPPED_JSON).map_err(|e| e.to_string())?;
    {
        // Two instances starting on one empty database import it once.
        let _lock = db.setup_lock()?;
        let mut conn = db.connection().map_err(|e| e.to_string())?;
        match inventory::load_if_empty(&mut conn, &shipped).map_err(|e| e.to_string())? {
            Some(report) => tracing::info!(
                cities = report.cities,
                projects = report.projects_created,
                "imported the G40 inventory"
            ),
            None => tracing::info!("inventory already loaded"),
        }
        accounts::model::assign_missing_handles(&mut conn).map_err(|e| e.to_string())?;
        let made =
            pools::model::Pool::seed_from_categories(&mut conn).map_err(|e| e.to_string())?;
        if made > 0 {
            tracing::info!(
                pools = made,
                "made the expertise pools of the report's categories"
            );
        }
        let made = solutions::model::seed(&mut conn).map_err(|e| e.to_string())?;
        if made > 0 {
            tracing::info!(
                solutions = made,
                "made the solution catalogue and suggested solutions for every project"
            );
        }
    }
    Ok((db, shipped))
}

/// The running application: the core state and the areas' services.
pub struct Application {
    pub state: web::Data<AppState>,
    search: Arc<Search>,
    matchmaking: Arc<Matchmaking>,
    source: Arc<Source>,
}

impl Application {
    /// Registers the areas' services and every route, for each server worker.
    pub fn configure(&self) -> impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static {
        let search = web::Data::from(Arc::clone(&self.search));
        let matchmaking = web::Data::from(Arc::clone(&self.matchmaking));
        let source = web::Data::from(Arc::clone(&self.source));
        move |cfg: &mut web::ServiceConfig| {
            cfg.app_data(search.clone())
                .app_data(matchmaking.clone())
                .app_data(source.clone())
                .configure(routes);
        }
    }
}

/// Every route of the site, area by area; each area lists its own.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .configure(crate::web::api_routes)
            .configure(cities::api_routes)
            .configure(projects::api_routes)
            .configure(matchmaking::api_routes)
            .configure(search::api_routes)
            .configure(forum::api_routes)
            .configure(pools::api_routes)
            .configure(solutions::api_routes),
    )
    .configure(overview::page_routes)
    .configure(cities::page_routes)
    .configure(projects::page_routes)
    .configure(themes::page_routes)
    .configure(matchmaking::page_routes)
    .configure(search::page_routes)
    .configure(forum::page_routes)
    .configure(pools::page_routes)
    .configure(solutions::page_routes)
    .configure(follows::page_routes)
    .configure(notifications::page_routes)
    .configure(crate::mail::page_routes)
    .configure(accounts::page_routes)
    .configure(crate::web::page_routes);
}

/// Everything `serve` needs, with the shipped inventory imported on first start and the
/// derived data (index, network) caught up with the database before the first request.
pub fn prepare(mut config: Config) -> Result<Application, String> {
    // First, so a bad SMTP_URL or STADSMAAT_SMTP_CA stops start-up before any work.
    let transport = crate::mail::transport::Transport::configured(&config)?;
    crate::auth::password::prepare_hashing();
    // The inventory is parsed once: loaded on the first start, described on /over.
    let (db, shipped) = open_with_inventory(&config)?;
    config.instance = instance_id(&config.data_dir)?;
    let thesaurus = crate::search::thesaurus::Thesaurus::shared();
    let matchmaking = Matchmaking::load(&db, thesaurus.clone())?;
    let (search, indexer) = crate::search::open(&config.index_dir(), &db, thesaurus)?;

    let jobs = Jobs::new();
    for follower in [
        indexer as Arc<dyn crate::jobs::follow::Follower>,
        matchmaking.clone(),
    ] {
        let job = Arc::new(FollowJob::new(follower, db.clone(), &config.instance));
        job.catch_up().map_err(|e| e.to_string())?;
        jobs.spawn(job, &[Signal::Changes])?;
    }
    jobs.spawn(Arc::new(Compactor { db: db.clone() }), &[])?;
    let uploads = crate::uploads::Store::in_data_dir(&config.data_dir)
        .map_err(|e| format!("cannot open the uploads directory: {e}"))?;
    clean_uploads(&db, &uploads)?;
    jobs.spawn(
        Arc::new(pools::extraction::Extractor::new(
            db.clone(),
            uploads.clone(),
            &config,
            &jobs,
        )),
        &[Signal::Changes],
    )?;
    let mail_renderer = Arc::new(Renderer::new()?);
    jobs.spawn(
        Arc::new(notifications::mailer::NotificationMailer {
            db: db.clone(),
            config: config.clone(),
            renderer: mail_renderer.clone(),
            jobs: Arc::downgrade(&jobs),
        }),
        &[Signal::Mail],
    )?;
    jobs.spawn(
        Arc::new(crate::digest::DigestJob {
            db: db.clone(),
            config: config.clone(),
            renderer: mail_renderer,
            matchmaking: matchmaking.clone(),
            search: search.clone(),
            schedule: crate::digest::Schedule::parse(&config.digest_at)?,
            jobs: Arc::downgrade(&jobs),
        }),
        &[],
    )?;
    let producer = Arc::new(notifications::Producer::new(&jobs));
    jobs.spawn(
        Arc::new(DurableJob::new(producer, db.clone())),
        &[Signal::Changes],
    )?;
    jobs.spawn(
        Arc::new(crate::search::indexer::IndexWatchdog(search.clone())),
        &[],
    )?;
    let from = config
        .mail_from
        .parse()
        .map_err(|e| format!("STADSMAAT_MAIL_FROM {:?}: {e}", config.mail_from))?;
    let sender =
        crate::mail::sender::MailSender::new(db.clone(), transport, from, config.instance.clone());
    jobs.spawn(Arc::new(sender), &[Signal::Mail])?;

    let state = AppState {
        renderer: Renderer::new()?,
        probes: vec![search.clone()],
        config,
        db,
        jobs,
        throttles: Default::default(),
        uploads,
    };
    Ok(Application {
        state: web::Data::new(state),
        search,
        matchmaking,
        source: Arc::new(Source {
            city_count: shipped.cities.len(),
            project_count: shipped.projects.len(),
            ..shipped.source
        }),
    })
}

/// Removes what an interrupted upload left: staged files, and stored ones no attachment
/// refers to (a crash between the database commit and the move, or a failed save).
fn clean_uploads(db: &Database, store: &crate::uploads::Store) -> Result<(), String> {
    let mut conn = db.connection().map_err(|e| e.to_string())?;
    let stored = pools::model::Attachment::all_hashes(&mut conn).map_err(|e| e.to_string())?;
    let report = store
        .cleanup(|hash| stored.contains(hash))
        .map_err(|e| format!("cannot clean the uploads directory: {e}"))?;
    tracing::info!(?report, "uploads checked");
    Ok(())
}

/// This data directory's lasting identity among instances sharing one database: the
/// name under which its index and network report their change-log positions and claim
/// mail. Made once, kept in `<data-dir>/instance-id`.
pub fn instance_id(data_dir: &Path) -> Result<String, String> {
    let path = data_dir.join("instance-id");
    if let Ok(id) = std::fs::read_to_string(&path) {
        let id = id.trim();
        if !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Ok(id.to_owned());
        }
    }
    let id = crate::auth::token::random_token().map_err(|e| e.to_string())?[..16].to_owned();
    std::fs::write(&path, &id).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(id)
}
