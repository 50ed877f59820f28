//! The change log: every change to a record that derived data reads (projects, cities,
//! threads, posts, toolkits, pools) appends a row in the transaction of the change, with
//! a monotonic sequence number. Consumers — the search index, the matchmaking network,
//! notifications, digests — each read forward from their own position.
//!
//! Order: on SQLite writers are serialised by the database; on PostgreSQL an appending
//! transaction takes a transaction-scoped advisory lock first, so sequence numbers become
//! visible in order and a reader never passes a number whose row is still to commit.
//!
//! Retention ([`compact`]): a row is deleted once it is older than [`KEEP_AT_LEAST`] and
//! every durable consumer, and every instance consumer heard from within
//! [`INSTANCE_TIMEOUT`], has read it. A consumer that finds its position compacted away
//! ([`Read::Compacted`]) rebuilds from the database; none skips silently.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{change_consumers, change_log, change_log_state};
use crate::db::DbConnection;
use crate::error::AppResult;

/// Rows younger than this are never compacted, so a restarting instance catches up
/// rather than rebuilding.
pub const KEEP_AT_LEAST: chrono::Duration = chrono::Duration::hours(24);
/// An instance consumer not heard from for this long no longer holds the log; when it
/// returns it finds its position compacted and rebuilds.
pub const INSTANCE_TIMEOUT: chrono::Duration = chrono::Duration::days(7);

crate::slug_enum! {
    /// The kinds of record the log names.
    pub enum Kind ("record kind", "invalid_kind") {
        Project = "project",
        City = "city",
        Thread = "thread",
        Post = "post",
        Pool = "pool",
        Toolkit = "toolkit",
    }
}

crate::slug_enum! {
    pub enum Operation ("operation", "invalid_operation") {
        Insert = "insert",
        Update = "update",
        Delete = "delete",
    }
}

/// One entry of the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    pub seq: i64,
    pub kind: Kind,
    pub id: i32,
    pub operation: Operation,
    pub at: NaiveDateTime,
}

/// Appends a change; call inside the transaction that makes it, and wake the consumers
/// after it commits.
pub fn record(conn: &mut DbConnection, kind: Kind, id: i32, operation: Operation) -> AppResult<()> {
    if let DbConnection::Pg(pg) = conn {
        use diesel::connection::SimpleConnection;
        // Held until commit: the next appender waits, so sequence numbers commit in order.
        pg.batch_execute("SELECT pg_advisory_xact_lock(7400400001)")?;
    }
    diesel::insert_into(change_log::table)
        .values((
            change_log::kind.eq(kind),
            change_log::record_id.eq(id),
            change_log::operation.eq(operation),
            change_log::changed_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The highest sequence number committed so far (0 for an empty log): a consumer that
/// builds its state from the database starts from here.
pub fn head(conn: &mut DbConnection) -> AppResult<i64> {
    let last: Option<i64> = change_log::table
        .select(diesel::dsl::max(change_log::seq))
        .first(conn)?;
    Ok(last.unwrap_or(0).max(compacted_through(conn)?))
}

fn compacted_through(conn: &mut DbConnection) -> AppResult<i64> {
    Ok(change_log_state::table
        .select(change_log_state::compacted_through)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

/// What a consumer finds after its position.
#[derive(Debug, PartialEq, Eq)]
pub enum Read {
    /// The next changes in order (empty when it is up to date).
    Changes(Vec<Change>),
    /// Changes after the position have been compacted away: rebuild from the database.
    Compacted,
}

/// Up to `limit` changes after `position`.
pub fn read_after(conn: &mut DbConnection, position: i64, limit: i64) -> AppResult<Read> {
    if position < compacted_through(conn)? {
        return Ok(Read::Compacted);
    }
    let rows: Vec<(i64, Kind, i32, Operation, NaiveDateTime)> = change_log::table
        .filter(change_log::seq.gt(position))
        .order(change_log::seq)
        .limit(limit)
        .select((
            change_log::seq,
            change_log::kind,
            change_log::record_id,
            change_log::operation,
            change_log::changed_at,
        ))
        .load(conn)?;
    Ok(Read::Changes(
        rows.into_iter()
            .map(|(seq, kind, id, operation, at)| Change {
                seq,
                kind,
                id,
                operation,
                at,
            })
            .collect(),
    ))
}

/// The distinct records of a batch of changes, per kind, in id order.
pub fn records(changes: &[Change]) -> Vec<(Kind, i32)> {
    let mut records: Vec<(Kind, i32)> = changes.iter().map(|c| (c.kind, c.id)).collect();
    records.sort_unstable();
    records.dedup();
    records
}

/// Reports where a consumer stands: durable consumers hold the log until they have read
/// it; instance consumers only while they keep reporting.
pub fn report_position(
    conn: &mut DbConnection,
    name: &str,
    position: i64,
    durable: bool,
) -> AppResult<()> {
    let now = Utc::now().naive_utc();
    // Update, else insert: an upsert clause is not portable across the two backends.
    let updated = diesel::update(change_consumers::table.find(name))
        .set((
            change_consumers::position.eq(position),
            change_consumers::seen_at.eq(now),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(change_consumers::table)
            .values((
                change_consumers::name.eq(name),
                change_consumers::position.eq(position),
                change_consumers::durable.eq(durable),
                change_consumers::seen_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Takes a durable consumer's position for the current transaction, so that of several
/// instances one handles each change: on PostgreSQL the consumer's row is locked
/// (`FOR UPDATE SKIP LOCKED`: `None` while another instance holds it); SQLite has one
/// writer, taken here by writing first. A consumer seen for the first time starts at
/// the head: it is about what happens from now on. Call inside a transaction, and
/// [`report_position`] before it commits.
pub fn claim_durable(conn: &mut DbConnection, name: &str) -> AppResult<Option<i64>> {
    #[derive(QueryableByName)]
    struct Position {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        position: i64,
    }
    let now = Utc::now().naive_utc();
    let claimed = match conn {
        DbConnection::Pg(pg) => diesel::sql_query(
            "SELECT position FROM change_consumers WHERE name = $1 FOR UPDATE SKIP LOCKED",
        )
        .bind::<diesel::sql_types::Text, _>(name)
        .load::<Position>(pg)?
        .pop()
        .map(|p| p.position),
        DbConnection::Sqlite(_) => {
            diesel::update(change_consumers::table.find(name))
                .set(change_consumers::seen_at.eq(now))
                .execute(conn)?;
            stored_position(conn, name)?
        }
    };
    if claimed.is_some() {
        return Ok(claimed);
    }
    if stored_position(conn, name)?.is_some() {
        // Held by another instance right now.
        return Ok(None);
    }
    let start = head(conn)?;
    report_position(conn, name, start, true)?;
    Ok(Some(start))
}

/// The stored position of a consumer, if it has one.
pub fn stored_position(conn: &mut DbConnection, name: &str) -> AppResult<Option<i64>> {
    Ok(change_consumers::table
        .find(name)
        .select(change_consumers::position)
        .first(conn)
        .optional()?)
}

/// A consumer as the administration pages show it.
#[derive(Queryable, Clone, Debug)]
pub struct ConsumerState {
    pub name: String,
    pub position: i64,
    pub durable: bool,
    pub seen_at: NaiveDateTime,
}

pub fn consumers(conn: &mut DbConnection) -> AppResult<Vec<ConsumerState>> {
    Ok(change_consumers::table
        .order(change_consumers::name)
        .select((
            change_consumers::name,
            change_consumers::position,
            change_consumers::durable,
            change_consumers::seen_at,
        ))
        .load(conn)?)
}

/// Deletes what no consumer still needs (see the module comment); returns how many rows
/// went.
pub fn compact(conn: &mut DbConnection, now: NaiveDateTime) -> AppResult<usize> {
    crate::db::write_transaction(conn, |conn| {
        let holders: Vec<(i64, bool, NaiveDateTime)> = change_consumers::table
            .select((
                change_consumers::position,
                change_consumers::durable,
                change_consumers::seen_at,
            ))
            .load(conn)?;
        let needed_from = holders
            .into_iter()
            .filter(|&(_, durable, seen)| durable || now - seen < INSTANCE_TIMEOUT)
            .map(|(position, _, _)| position)
            .min();
        let old: Option<i64> = change_log::table
            .filter(change_log::changed_at.lt(now - KEEP_AT_LEAST))
            .select(diesel::dsl::max(change_log::seq))
            .first(conn)?;
        let Some(through) = old.map(|old| needed_from.map_or(old, |n| old.min(n))) else {
            return Ok(0);
        };
        if through <= compacted_through(conn)? {
            return Ok(0);
        }
        let deleted =
            diesel::delete(change_log::table.filter(change_log::seq.le(through))).execute(conn)?;
        diesel::update(change_log_state::table)
            .set(change_log_state::compacted_through.eq(through))
            .execute(conn)?;
        Ok(deleted)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Backend, Database};
    use crate::error::AppError;

    fn database() -> (tempfile::TempDir, Database) {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Database::open(Backend::Sqlite {
            path: dir.path().join("test.sqlite3"),
        })
        .expect("open");
        (dir, db)
    }

    fn changes_after(conn: &mut DbConnection, position: i64) -> Vec<(Kind, i32)> {
        match read_after(conn, position, 100).expect("read") {
            Read::Changes(changes) => changes.iter().map(|c| (c.kind, c.id)).collect(),
            Read::Compacted => panic!("compacted"),
        }
    }

    fn age_everything(conn: &mut DbConnection, by: chrono::Duration) {
        diesel::update(change_log::table)
            .set(change_log::changed_at.eq(Utc::now().naive_utc() - by))
            .execute(conn)
            .expect("age");
    }

    #[test]
    fn changes_are_read_in_order_after_a_position() {
        let (_dir, db) = database();
        let mut conn = db.connection().expect("conn");
        record(&mut conn, Kind::Project, 7, Operation::Insert).expect("record");
        record(&mut conn, Kind::City, 2, Operation::Update).expect("record");
        record(&mut conn, Kind::Project, 7, Operation::Update).expect("record");
        let all = changes_after(&mut conn, 0);
        assert_eq!(
            all,
            [(Kind::Project, 7), (Kind::City, 2), (Kind::Project, 7)]
        );
        let first = match read_after(&mut conn, 0, 1).expect("read") {
            Read::Changes(c) => c[0].seq,
            Read::Compacted => panic!("compacted"),
        };
        assert_eq!(changes_after(&mut conn, first).len(), 2);
        assert_eq!(head(&mut conn).expect("head"), first + 2);
    }

    #[test]
    fn a_rolled_back_change_leaves_no_entry() {
        let (_dir, db) = database();
        let mut conn = db.connection().expect("conn");
        let _ = crate::db::write_transaction(&mut conn, |conn| {
            record(conn, Kind::Project, 1, Operation::Update)?;
            Err::<(), _>(AppError::Internal("rolled back".into()))
        });
        assert!(changes_after(&mut conn, 0).is_empty());
    }

    #[test]
    fn compaction_keeps_what_a_durable_consumer_has_not_read() {
        let (_dir, db) = database();
        let mut conn = db.connection().expect("conn");
        for id in 1..=4 {
            record(&mut conn, Kind::Project, id, Operation::Update).expect("record");
        }
        report_position(&mut conn, "digest", 2, true).expect("report");
        age_everything(&mut conn, chrono::Duration::days(30));
        assert_eq!(
            compact(&mut conn, Utc::now().naive_utc()).expect("compact"),
            2
        );
        assert_eq!(
            changes_after(&mut conn, 2),
            [(Kind::Project, 3), (Kind::Project, 4)]
        );
    }

    #[test]
    fn compaction_keeps_young_changes_and_ignores_instances_long_gone() {
        let (_dir, db) = database();
        let mut conn = db.connection().expect("conn");
        for id in 1..=3 {
            record(&mut conn, Kind::Project, id, Operation::Update).expect("record");
        }
        let now = Utc::now().naive_utc();
        assert_eq!(compact(&mut conn, now).expect("compact"), 0, "all young");
        report_position(&mut conn, "search-index@gone", 0, false).expect("report");
        diesel::update(change_consumers::table)
            .set(change_consumers::seen_at.eq(now - chrono::Duration::days(8)))
            .execute(&mut conn)
            .expect("age consumer");
        age_everything(&mut conn, chrono::Duration::days(2));
        assert_eq!(compact(&mut conn, now).expect("compact"), 3);
    }

    #[test]
    fn a_consumer_behind_a_compacted_log_is_told_to_rebuild() {
        let (_dir, db) = database();
        let mut conn = db.connection().expect("conn");
        for id in 1..=3 {
            record(&mut conn, Kind::Project, id, Operation::Update).expect("record");
        }
        age_everything(&mut conn, chrono::Duration::days(2));
        compact(&mut conn, Utc::now().naive_utc()).expect("compact");
        assert_eq!(read_after(&mut conn, 1, 10).expect("read"), Read::Compacted);
        let head = head(&mut conn).expect("head");
        assert_eq!(head, 3, "the head survives compaction");
        assert_eq!(
            read_after(&mut conn, head, 10).expect("read"),
            Read::Changes(vec![])
        );
    }
}
