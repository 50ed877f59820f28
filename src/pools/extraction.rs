//! The text of attachments, for search: a job extracts it off the request path (PDF
//! with poppler's `pdftotext` under time, memory and output limits; DOCX, ODT, XLSX,
//! ODS and CSV read with bounded zip and XML reading) and stores it with the
//! attachment, which sends the toolkit to the index. A failed extraction means no
//! index text, never a failed upload; without `pdftotext`, PDFs are stored but not
//! searched, and the administration says so.

use std::sync::Arc;
use std::time::Duration;

use super::model::Attachment;
use crate::config::Config;
use crate::db::Database;
use crate::error::AppResult;
use crate::jobs::{Job, Pass, Signal};
use crate::uploads::extract::{self, Extracted, Limits};
use crate::uploads::{FileKind, Store};

pub struct Extractor {
    db: Database,
    store: Store,
    limits: Limits,
    jobs: std::sync::Weak<crate::jobs::Jobs>,
}

impl Extractor {
    pub fn new(db: Database, store: Store, config: &Config, jobs: &Arc<crate::jobs::Jobs>) -> Self {
        Extractor {
            db,
            store,
            limits: limits(config),
            jobs: Arc::downgrade(jobs),
        }
    }
}

/// What the administration sees of extraction: whether `pdftotext` runs here, and how
/// many attachments are in each state (`pending`, `done`, `unsupported`, `unavailable`,
/// `failed`).
#[derive(serde::Serialize)]
pub struct Status {
    pub pdftotext: bool,
    pub states: Vec<(String, i64)>,
}

impl Status {
    pub async fn load(db: &Database, config: &Config) -> AppResult<Status> {
        let limits = limits(config);
        let pdftotext = actix_web::web::block(move || extract::pdftotext_available(&limits))
            .await
            .unwrap_or(false);
        let states = db.run(Attachment::count_by_extraction).await?;
        Ok(Status { pdftotext, states })
    }
}

/// The extraction limits, with the configured `pdftotext`.
pub fn limits(config: &Config) -> Limits {
    Limits {
        pdftotext: config.pdftotext.clone().into(),
        ..Limits::default()
    }
}

impl Job for Extractor {
    fn name(&self) -> &str {
        "attachment-text"
    }

    fn run(&self) -> AppResult<Pass> {
        let mut conn = self.db.connection()?;
        let pending = Attachment::pending(&mut conn, 5)?;
        for attachment in &pending {
            let outcome = match (
                FileKind::parse(&attachment.kind),
                self.store.path(&attachment.sha256),
            ) {
                (Some(kind), Some(path)) => extract::text(kind, &path, &self.limits),
                _ => Extracted::Failed("the stored file is missing".into()),
            };
            let (state, text) = match outcome {
                Extracted::Text(text) => ("done", Some(text)),
                Extracted::Unsupported => ("unsupported", None),
                Extracted::Unavailable(why) => {
                    tracing::warn!(id = attachment.id, %why, "attachment text not extracted");
                    ("unavailable", None)
                }
                Extracted::Failed(why) => {
                    tracing::warn!(id = attachment.id, %why, "attachment text extraction failed");
                    ("failed", None)
                }
            };
            Attachment::set_extraction(&mut conn, attachment.id, state, text.as_deref())?;
        }
        if !pending.is_empty() {
            if let Some(jobs) = self.jobs.upgrade() {
                jobs.wake(Signal::Changes);
            }
        }
        Ok(if pending.len() == 5 {
            Pass::More
        } else {
            Pass::Idle
        })
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(5)
    }
}
