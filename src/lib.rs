//! Stadsmaat: the knowledge-sharing platform of the G40 network of Dutch cities.
//!
//! A map of the crate:
//! - `main.rs` parses the command line and calls into `app`.
//! - [`app`] opens the database, loads the inventory and builds the shared state.
//! - [`web`] is the HTTP core: [`web::routes`] lists every route; rendering with
//!   translations ([`web::render`], [`web::i18n`]), parameter validation, static files.
//! - Domain areas, each owning its queries (`model`), view models (`view`), JSON API
//!   handlers (`api`) and page handlers (`pages`); templates mirror them in `templates/`:
//!   - [`cities`]: the 40 G40 cities and their report facts;
//!   - [`projects`]: the projects (pilots) of those cities;
//!   - [`themes`]: the report's six Smart City themes and bottleneck categories;
//!   - [`overview`]: home, the "wie doet wat" matrix, the page about the data;
//!   - [`inventory`]: the shipped G40 inventory and its import;
//!   - [`search`]: the Dutch-aware tantivy index, its queue-driven indexer, the search
//!     page and `/api/v1/search`;
//!   - [`matchmaking`]: comparable pilots in other cities and partner cities with reasons,
//!     kept in memory and current through the search queue; the network map `/netwerk`.
//!   - [`accounts`]: registration, sign-in, profile, city membership, administration;
//!     project editing lives with [`projects`] (`projects::edit`);
//!   - [`mail`]: the durable mail queue and its SMTP or outbox transport.
//! - Shared core: [`auth`] (sessions, CSRF, passwords, throttling, the authorization
//!   policy), [`backup`] (the `backup` and `restore` commands' archive), [`config`],
//!   [`db`] (SQLite or PostgreSQL, migrations, pool), [`error`] (the one error type and
//!   its HTTP mapping), [`text`] (slugs, folding), [`uploads`] (attachments: type by
//!   content, limits, safe names, storage, text).

pub mod accounts;
pub mod app;
pub mod auth;
pub mod backup;
pub mod changes;
pub mod cities;
pub mod config;
pub mod db;
pub mod digest;
pub mod error;
pub mod follows;
pub mod forum;
pub mod inventory;
pub mod jobs;
pub mod mail;
pub mod matchmaking;
pub mod notifications;
pub mod overview;
pub mod pools;
pub mod projects;
pub mod revisions;
pub mod search;
pub mod solutions;
pub mod text;
pub mod themes;
pub mod uploads;
pub mod visits;
pub mod web;
