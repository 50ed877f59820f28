//! Typed configuration, read once at start-up from flags and environment (clap) and
//! passed through the application state. Every setting is documented in README.md.

use std::path::PathBuf;

use crate::db::Backend;

#[derive(Clone, Debug)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub bind: String,
    /// Directory for the SQLite file, the search index, the outbox and uploads.
    pub data_dir: PathBuf,
    /// The database: SQLite in `data_dir` unless `DATABASE_URL` says otherwise.
    pub backend: Backend,
}

impl Config {
    /// The search index lives in the data directory; it is derived data, rebuilt from the
    /// database whenever it is missing.
    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }
}

impl Config {
    pub fn new(
        bind: String,
        data_dir: PathBuf,
        database_url: Option<String>,
    ) -> Result<Self, String> {
        let backend =
            Backend::from_config(database_url.as_deref().filter(|u| !u.is_empty()), &data_dir)?;
        Ok(Config {
            bind,
            data_dir,
            backend,
        })
    }
}
