//! Start-up: from a configuration to a ready application state (database migrated,
//! inventory loaded, templates compiled), shared by `serve` and the other commands.

use crate::config::Config;
use crate::db::Database;
use crate::inventory::{self, Inventory, SHIPPED_JSON};
use crate::web::render::Renderer;
use crate::web::AppState;

/// Opens the data directory and database and makes sure the inventory is in.
pub fn open_database(config: &Config) -> Result<Database, String> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        format!(
            "cannot create data directory {}: {e}",
            config.data_dir.display()
        )
    })?;
    let db = Database::open(config.backend.clone())?;
    tracing::info!(backend = db.backend().name(), "database ready");
    Ok(db)
}

/// Everything `serve` needs, with the shipped inventory imported on first start.
pub fn prepare(config: Config) -> Result<AppState, String> {
    crate::auth::password::prepare_hashing();
    let db = open_database(&config)?;
    let mut conn = db.connection().map_err(|e| e.to_string())?;
    // Parsed once: loaded on the first start, and its source described on /over.
    let shipped = Inventory::parse(SHIPPED_JSON).map_err(|e| e.to_string())?;
    match inventory::load_if_empty(&mut conn, &shipped).map_err(|e| e.to_string())? {
        Some(report) => tracing::info!(
            cities = report.cities,
            projects = report.projects_created,
            "imported the G40 inventory"
        ),
        None => tracing::info!("inventory already loaded"),
    }
    drop(conn);
    // Built before the search queue is drained, so whatever the queue still holds
    // reaches it too.
    let thesaurus = std::sync::Arc::new(crate::search::thesaurus::Thesaurus::shipped());
    let matchmaking = crate::matchmaking::Matchmaking::load(&db, thesaurus.clone())?;
    let follower: std::sync::Arc<dyn crate::search::Follower> = matchmaking.clone();
    let (search, indexer) =
        crate::search::open(&config.index_dir(), &db, thesaurus, vec![follower])?;
    let renderer = Renderer::new()?;
    let transport =
        crate::mail::Transport::from_config(config.smtp_url.as_deref(), config.outbox_dir())?;
    let from = config
        .mail_from
        .parse()
        .map_err(|e| format!("STADSMAAT_MAIL_FROM {:?}: {e}", config.mail_from))?;
    let mailer = crate::mail::Mailer::start(db.clone(), transport, from);
    Ok(AppState {
        config,
        db,
        renderer,
        shipped_source: shipped.source,
        search,
        indexer,
        matchmaking,
        mailer,
        throttles: Default::default(),
    })
}
