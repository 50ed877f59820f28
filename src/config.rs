//! Typed configuration, read once at start-up from flags and environment (clap) and
//! passed through the application state. Every setting is documented in README.md.

use std::path::PathBuf;

use crate::auth::forwarded::Cidr;
use crate::db::{Backend, Synchronous};

pub const DEFAULT_MAIL_FROM: &str = "Stadsmaat <noreply@stadsmaat.localhost>";

#[derive(Clone, Debug)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub bind: String,
    /// Directory for the SQLite file, the search index, the outbox and uploads.
    pub data_dir: PathBuf,
    /// The database: SQLite in `data_dir` unless `DATABASE_URL` says otherwise.
    pub backend: Backend,
    /// `STADSMAAT_SQLITE_SYNC`: how SQLite commits reach the disk (`full` by default).
    pub sqlite_sync: Synchronous,
    /// `SMTP_URL`: deliver mail over SMTP; without it mail goes to `outbox/`.
    pub smtp_url: Option<String>,
    /// `STADSMAAT_SMTP_CA`: a PEM file of root certificates to trust for the SMTP
    /// server besides the built-in ones (a municipality's internal authority).
    pub smtp_ca: Option<PathBuf>,
    /// `STADSMAAT_MAIL_FROM`: the sender of every message.
    pub mail_from: String,
    /// `STADSMAAT_PUBLIC_URL`: the address users reach the site at, for links in mail.
    /// Defaults to `http://` plus the bind address.
    pub public_url: Option<String>,
    /// This data directory's identity among instances sharing one database (set at
    /// start-up from `<data-dir>/instance-id`).
    pub instance: String,
    /// `STADSMAAT_UPLOAD_LIMIT`: the largest attachment accepted, in bytes (20 MiB).
    pub upload_limit: usize,
    /// `STADSMAAT_PDFTOTEXT`: poppler's `pdftotext`, for the text of PDF attachments.
    pub pdftotext: String,
    /// `STADSMAAT_DIGEST_AT`: when the weekly digest goes out, on the Amsterdam clock
    /// ("monday 07:00"); the digest area reads it.
    pub digest_at: String,
    /// `STADSMAAT_TRUSTED_PROXY`: the reverse proxies whose forwarding headers name the
    /// client, its scheme and host; from anyone else those headers are ignored.
    pub trusted_proxies: Vec<Cidr>,
}

impl Config {
    /// The search index lives in the data directory; it is derived data, rebuilt from the
    /// database whenever it is missing.
    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }

    /// Where mail is written when there is no SMTP server.
    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }

    /// The base of links in mail, without a trailing slash.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) if !url.is_empty() => url.trim_end_matches('/').to_owned(),
            _ => format!("http://{}", self.bind),
        }
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
            sqlite_sync: Synchronous::default(),
            smtp_url: None,
            smtp_ca: None,
            mail_from: DEFAULT_MAIL_FROM.to_owned(),
            public_url: None,
            instance: String::new(),
            upload_limit: 20 * 1024 * 1024,
            pdftotext: "pdftotext".to_owned(),
            digest_at: "monday 07:00".to_owned(),
            trusted_proxies: Vec::new(),
        })
    }
}
