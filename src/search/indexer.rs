//! Keeps the index in step with the database: it follows the change log (each commit of
//! the index records the log position it took in, so index and position can never
//! disagree), and builds the index from scratch when it is new, of another schema,
//! damaged, or behind a compacted log.

use std::sync::Arc;

use super::documents::{self, DocKind, SearchDoc};
use super::engine::Search;
use super::index::SearchIndex;
use crate::changes::{self, Change};
use crate::db::DbConnection;
use crate::error::AppResult;
use crate::jobs::follow::Follower;

const BATCH: usize = 500;

/// The search index as a follower of the change log.
pub struct IndexFollower {
    search: Arc<Search>,
}

impl IndexFollower {
    pub fn new(search: Arc<Search>) -> Self {
        IndexFollower { search }
    }
}

impl Follower for IndexFollower {
    fn name(&self) -> &'static str {
        "search-index"
    }

    fn position(&self) -> i64 {
        self.search.index().position()
    }

    fn apply(&self, conn: &mut DbConnection, changes: &[Change], through: i64) -> AppResult<()> {
        let records: Vec<(DocKind, i32)> = changes::records(changes)
            .into_iter()
            .filter_map(|(kind, id)| Some((DocKind::of(kind)?, id)))
            .collect();
        let records = documents::dependents(conn, records)?;
        let docs = load(conn, &records)?;
        self.search.index().replace(&records, &docs, through)
    }

    fn rebuild(&self, conn: &mut DbConnection) -> AppResult<()> {
        let count = fill(conn, &self.search.index())?;
        tracing::info!(documents = count, "search index built");
        Ok(())
    }
}

/// Fills `index` with every document of the database, in one commit standing at the
/// log's head as it was before loading.
pub fn fill(conn: &mut DbConnection, index: &SearchIndex) -> AppResult<usize> {
    let through = changes::head(conn)?;
    let mut docs: Vec<SearchDoc> = Vec::new();
    for source in documents::SOURCES {
        for ids in source.all_ids(conn)?.chunks(BATCH) {
            docs.extend(source.load(conn, ids)?);
        }
    }
    let count = docs.len();
    index.replace_all(docs, through)?;
    index.mark_complete()?;
    Ok(count)
}

/// Checks the index files every minute (see `Search::check`).
pub struct IndexWatchdog(pub Arc<Search>);

impl crate::jobs::Job for IndexWatchdog {
    fn name(&self) -> &str {
        "search-index-watchdog"
    }

    fn run(&self) -> AppResult<crate::jobs::Pass> {
        self.0.check()?;
        Ok(crate::jobs::Pass::Idle)
    }

    fn interval(&self) -> std::time::Duration {
        std::time::Duration::from_secs(60)
    }
}

fn load(conn: &mut DbConnection, records: &[(DocKind, i32)]) -> AppResult<Vec<SearchDoc>> {
    let mut docs = Vec::new();
    for kind in DocKind::ALL {
        let ids: Vec<i32> = records
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|&(_, id)| id)
            .collect();
        if !ids.is_empty() {
            docs.extend(documents::source(kind).load(conn, &ids)?);
        }
    }
    Ok(docs)
}
