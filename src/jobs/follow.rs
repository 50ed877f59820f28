//! Following the change log with an instance's own derived data (its search index, its
//! matchmaking network): a [`Follower`] knows its position and applies batches; the
//! [`FollowJob`] reads forward from that position, rebuilds the follower when the log
//! was compacted past it, and reports the position so retention waits for it. A
//! [`DurableConsumer`] (notifications, digests) keeps its position in the database and
//! handles each change once across instances ([`DurableJob`]). The [`Compactor`] job
//! deletes what no consumer needs any more.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;

use super::{Job, Pass};
use crate::changes::{self, Change, Read};
use crate::db::{Database, DbConnection};
use crate::error::AppResult;

/// Changes applied per batch.
const BATCH: i64 = 500;
/// How often a follower looks for changes no wake-up announced (other processes').
const POLL: Duration = Duration::from_millis(500);
/// How often an idle follower tells the log it is still alive.
const REPORT_IDLE: Duration = Duration::from_secs(600);

/// Derived data of this instance, kept current from the change log.
pub trait Follower: Send + Sync + 'static {
    /// A short name; with the instance's id it names the consumer in the database.
    fn name(&self) -> &'static str;
    /// Every change up to this sequence number is applied.
    fn position(&self) -> i64;
    /// Applies `changes` (in order, at least one) and then stands at `through`.
    fn apply(&self, conn: &mut DbConnection, changes: &[Change], through: i64) -> AppResult<()>;
    /// Builds everything anew from the database, standing at the log's head as read
    /// before loading (changes committed meanwhile are applied again; that is harmless).
    fn rebuild(&self, conn: &mut DbConnection) -> AppResult<()>;
    /// Every committed change is applied: work put off during a burst is done now.
    fn caught_up(&self, _conn: &mut DbConnection) -> AppResult<()> {
        Ok(())
    }
}

/// The change-log position a follower's derived data reflects, for requests that wait
/// for their own change: the page after saving a project shows that project's
/// suggestions, not the state from before the save.
pub struct Progress(tokio::sync::watch::Sender<i64>);

impl Progress {
    pub fn new(at: i64) -> Self {
        Progress(tokio::sync::watch::Sender::new(at))
    }

    /// Stands at `at` now (lower after a rebuild on a replaced database).
    pub fn set(&self, at: i64) {
        self.0.send_replace(at);
    }

    /// Whether change `seq` is reflected.
    pub fn reached(&self, seq: i64) -> bool {
        *self.0.borrow() >= seq
    }

    /// Waits until change `seq` is reflected, at most `within`; whether it is.
    pub async fn wait_for(&self, seq: i64, within: Duration) -> bool {
        let mut progress = self.0.subscribe();
        let reached = async move { progress.wait_for(|&at| at >= seq).await.is_ok() };
        actix_web::rt::time::timeout(within, reached)
            .await
            .unwrap_or(false)
    }
}

pub struct FollowJob {
    follower: Arc<dyn Follower>,
    db: Database,
    /// `<follower>@<instance>`: the consumer's name in `change_consumers`.
    consumer: String,
    /// The position last reported, and when.
    reported: Mutex<Option<(i64, Instant)>>,
}

impl FollowJob {
    pub fn new(follower: Arc<dyn Follower>, db: Database, instance: &str) -> Self {
        FollowJob {
            consumer: format!("{}@{instance}", follower.name()),
            follower,
            db,
            reported: Mutex::new(None),
        }
    }

    /// Applies everything committed so far, before the server starts answering.
    pub fn catch_up(&self) -> AppResult<()> {
        while self.pass()? == Pass::More {}
        Ok(())
    }

    fn pass(&self) -> AppResult<Pass> {
        let mut conn = self.db.connection()?;
        let pass = match changes::read_after(&mut conn, self.follower.position(), BATCH)? {
            Read::Compacted => {
                tracing::warn!(
                    consumer = %self.consumer,
                    position = self.follower.position(),
                    "the change log was compacted past this consumer; rebuilding"
                );
                self.follower.rebuild(&mut conn)?;
                Pass::More
            }
            Read::Changes(batch) => match batch.last() {
                // Ahead of the log: the database was replaced (restored, recreated)
                // under derived data that outlived it.
                None if self.follower.position() > changes::head(&mut conn)? => {
                    tracing::warn!(
                        consumer = %self.consumer,
                        position = self.follower.position(),
                        "this consumer is ahead of the change log; rebuilding"
                    );
                    self.follower.rebuild(&mut conn)?;
                    Pass::More
                }
                None => {
                    self.follower.caught_up(&mut conn)?;
                    Pass::Idle
                }
                Some(last) => {
                    self.follower.apply(&mut conn, &batch, last.seq)?;
                    Pass::More
                }
            },
        };
        self.report(&mut conn)?;
        Ok(pass)
    }

    /// Tells the log where this consumer stands: after it moved, and now and then while
    /// idle, so retention knows it is alive.
    fn report(&self, conn: &mut DbConnection) -> AppResult<()> {
        let position = self.follower.position();
        let mut reported = self.reported.lock().unwrap_or_else(|e| e.into_inner());
        let due = match *reported {
            None => true,
            Some((at, when)) => at != position || when.elapsed() > REPORT_IDLE,
        };
        if due {
            changes::report_position(conn, &self.consumer, position, false)?;
            *reported = Some((position, Instant::now()));
        }
        Ok(())
    }
}

impl Job for FollowJob {
    fn name(&self) -> &str {
        self.follower.name()
    }

    fn run(&self) -> AppResult<Pass> {
        self.pass()
    }

    fn interval(&self) -> Duration {
        POLL
    }
}

/// Deletes change-log rows no consumer needs (see `changes::compact`).
pub struct Compactor {
    pub db: Database,
}

impl Job for Compactor {
    fn name(&self) -> &str {
        "change-log-compactor"
    }

    fn run(&self) -> AppResult<Pass> {
        let mut conn = self.db.connection()?;
        let deleted = changes::compact(&mut conn, Utc::now().naive_utc())?;
        if deleted > 0 {
            tracing::info!(deleted, "change log compacted");
        }
        Ok(Pass::Idle)
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(3600)
    }
}

/// A consumer of the change log whose output lives in the database (notifications,
/// digests): it handles each change once across all instances, in the transaction that
/// also moves its position.
pub trait DurableConsumer: Send + Sync + 'static {
    /// Its name in `change_consumers`.
    fn name(&self) -> &'static str;
    /// Handles `changes` inside the transaction that records having read them.
    fn handle(&self, conn: &mut DbConnection, changes: &[Change]) -> AppResult<()>;
    /// After a batch committed (to wake whoever uses the output).
    fn handled(&self) {}
}

pub struct DurableJob {
    consumer: Arc<dyn DurableConsumer>,
    db: Database,
}

impl DurableJob {
    pub fn new(consumer: Arc<dyn DurableConsumer>, db: Database) -> Self {
        DurableJob { consumer, db }
    }
}

impl Job for DurableJob {
    fn name(&self) -> &str {
        self.consumer.name()
    }

    fn run(&self) -> AppResult<Pass> {
        let mut conn = self.db.connection()?;
        let name = self.consumer.name();
        let pass = crate::db::write_transaction(&mut conn, |conn| {
            let Some(position) = changes::claim_durable(conn, name)? else {
                return Ok(Pass::Idle);
            };
            let batch = match changes::read_after(conn, position, BATCH)? {
                Read::Changes(batch) => batch,
                Read::Compacted => {
                    // Retention waits for durable consumers, so this means the log was
                    // cleared by hand: say so loudly and go on from the head.
                    let head = changes::head(conn)?;
                    tracing::error!(
                        consumer = name,
                        position,
                        head,
                        "the change log lost changes this durable consumer had not read"
                    );
                    changes::report_position(conn, name, head, true)?;
                    return Ok(Pass::More);
                }
            };
            let Some(last) = batch.last() else {
                return Ok(Pass::Idle);
            };
            self.consumer.handle(conn, &batch)?;
            changes::report_position(conn, name, last.seq, true)?;
            Ok::<_, crate::error::AppError>(Pass::More)
        })?;
        if pass == Pass::More {
            self.consumer.handled();
        }
        Ok(pass)
    }

    fn interval(&self) -> Duration {
        POLL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_waiter_wakes_when_the_position_reaches_its_change_and_gives_up_after_its_time() {
        let progress = Arc::new(Progress::new(10));
        assert!(progress.reached(10) && !progress.reached(11));
        actix_web::rt::System::new().block_on(async {
            let mover = progress.clone();
            let moved = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                mover.set(12);
            });
            let started = Instant::now();
            assert!(progress.wait_for(12, Duration::from_secs(5)).await);
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "woken, not timed out"
            );
            let _ = moved.join();
            let started = Instant::now();
            assert!(!progress.wait_for(13, Duration::from_millis(100)).await);
            assert!(started.elapsed() >= Duration::from_millis(100));
        });
    }
}
