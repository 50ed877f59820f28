//! Keeps the index in step with the database: a full rebuild when the index is new or
//! of an older schema, and a background thread that drains the search queue — woken
//! right after a change commits, and every half second for changes made by other
//! processes (such as `stadsmaat import` beside a running server). Other derived views
//! (matchmaking) follow the same queue: they get each batch after the index has it.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use super::documents::{self, DocKind, SearchDoc};
use super::engine::Search;
use super::queue;
use crate::db::{Database, DbConnection};
use crate::error::AppResult;

const BATCH: i64 = 500;
const POLL: Duration = Duration::from_millis(500);

/// A derived view kept current by the queue's changes, besides the index.
pub trait Follower: Send + Sync {
    fn apply_changes(&self, conn: &mut DbConnection, records: &[(DocKind, i32)]) -> AppResult<()>;

    /// The queue is empty: every committed change has been applied. A follower that put
    /// off work during a burst of changes does it now.
    fn caught_up(&self, _conn: &mut DbConnection) -> AppResult<()> {
        Ok(())
    }
}

pub struct Indexer {
    search: Arc<Search>,
    db: Database,
    followers: Vec<Arc<dyn Follower>>,
    wake: (Mutex<bool>, Condvar),
}

impl Indexer {
    pub fn new(search: Arc<Search>, db: Database, followers: Vec<Arc<dyn Follower>>) -> Arc<Self> {
        Arc::new(Indexer {
            search,
            db,
            followers,
            wake: (Mutex::new(false), Condvar::new()),
        })
    }

    /// Rebuilds the whole index from the database, page by page, in one commit.
    pub fn rebuild(&self) -> AppResult<usize> {
        let mut conn = self.db.connection()?;
        // Queue rows up to here are covered by the rebuild; later ones are drained after.
        let through = queue::last_id(&mut conn)?;
        let mut docs: Vec<SearchDoc> = Vec::new();
        for source in documents::SOURCES {
            for ids in source.all_ids(&mut conn)?.chunks(BATCH as usize) {
                docs.extend(source.load(&mut conn, ids)?);
            }
        }
        let count = docs.len();
        self.search.index.replace_all(docs)?;
        self.search.index.mark_complete()?;
        if let Some(through) = through {
            queue::remove_through(&mut conn, through)?;
        }
        Ok(count)
    }

    /// Indexes everything the queue holds; returns how many records it handled.
    pub fn drain(&self) -> AppResult<usize> {
        let mut conn = self.db.connection()?;
        let mut handled = 0;
        while let Some(batch) = queue::next_batch(&mut conn, BATCH)? {
            let docs = load(&mut conn, &batch.records)?;
            self.search.index.replace(&batch.records, &docs)?;
            for follower in &self.followers {
                // A follower rebuilds itself from the database at start, so a failure
                // here costs freshness until then, never the index.
                if let Err(e) = follower.apply_changes(&mut conn, &batch.records) {
                    tracing::error!(error = %e, "a derived view failed to follow changes");
                }
            }
            // Only after the index committed: a crash in between indexes these again.
            queue::remove_through(&mut conn, batch.through)?;
            handled += batch.records.len();
        }
        for follower in &self.followers {
            if let Err(e) = follower.caught_up(&mut conn) {
                tracing::error!(error = %e, "a derived view failed to catch up");
            }
        }
        Ok(handled)
    }

    /// Wakes the indexer; call after a transaction that enqueued records committed.
    pub fn notify(&self) {
        if let Ok(mut woken) = self.wake.0.lock() {
            *woken = true;
            self.wake.1.notify_one();
        }
    }

    /// Starts the background thread that drains the queue for the life of the process.
    pub fn spawn(self: &Arc<Self>) -> std::io::Result<()> {
        let indexer = Arc::clone(self);
        std::thread::Builder::new()
            .name("search-indexer".into())
            .spawn(move || loop {
                if let Ok(woken) = indexer.wake.0.lock() {
                    if let Ok((mut woken, _)) =
                        indexer.wake.1.wait_timeout_while(woken, POLL, |w| !*w)
                    {
                        *woken = false;
                    }
                }
                match indexer.drain() {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(records = n, "search index updated"),
                    Err(e) => tracing::error!(error = %e, "search indexing failed; will retry"),
                }
            })
            .map(|_| ())
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
