//! The search queue: rows naming records whose search documents must be rebuilt. A
//! change writes its row in the same transaction as the record, so the queue — and with
//! it the index — can never miss a committed change, even across a crash.

use diesel::prelude::*;

use super::documents::DocKind;
use crate::db::schema::search_queue;
use crate::db::DbConnection;
use crate::error::AppResult;

/// Marks a record for (re)indexing; call inside the transaction that changes it.
pub fn enqueue(conn: &mut DbConnection, kind: DocKind, id: i32) -> AppResult<()> {
    diesel::insert_into(search_queue::table)
        .values((
            search_queue::doc_kind.eq(kind.slug()),
            search_queue::doc_id.eq(id),
        ))
        .execute(conn)?;
    Ok(())
}

/// A batch of pending work: the highest queue id it covers and the records per kind.
pub struct Batch {
    pub through: i32,
    pub records: Vec<(DocKind, i32)>,
}

/// The oldest pending rows, up to `limit`.
pub fn next_batch(conn: &mut DbConnection, limit: i64) -> AppResult<Option<Batch>> {
    let rows: Vec<(i32, String, i32)> = search_queue::table
        .order(search_queue::id)
        .limit(limit)
        .select((
            search_queue::id,
            search_queue::doc_kind,
            search_queue::doc_id,
        ))
        .load(conn)?;
    let Some(through) = rows.last().map(|r| r.0) else {
        return Ok(None);
    };
    let mut records: Vec<(DocKind, i32)> = rows
        .into_iter()
        .filter_map(|(_, kind, id)| {
            let kind = DocKind::ALL.into_iter().find(|k| k.slug() == kind)?;
            Some((kind, id))
        })
        .collect();
    records.sort_unstable_by_key(|&(k, id)| (k.slug(), id));
    records.dedup();
    Ok(Some(Batch { through, records }))
}

/// Forgets the rows a batch covered, once the index has committed them.
pub fn remove_through(conn: &mut DbConnection, through: i32) -> AppResult<()> {
    diesel::delete(search_queue::table.filter(search_queue::id.le(through))).execute(conn)?;
    Ok(())
}

/// The highest queue id now, so a rebuild can clear exactly what it has covered.
pub fn last_id(conn: &mut DbConnection) -> AppResult<Option<i32>> {
    Ok(search_queue::table
        .select(diesel::dsl::max(search_queue::id))
        .first(conn)?)
}
