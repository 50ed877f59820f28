//! What people opened on the site: a project, a discussion or a toolkit page seen by a
//! signed-in person is recorded (one row per person and record, the last time), so the
//! weekly digest leaves out what they already read.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::auth::session::Visitor;
use crate::changes::Kind;
use crate::db::schema::page_views;
use crate::db::{Database, DbConnection};
use crate::error::AppResult;

/// Records that `user_id` opened `kind` `id` now.
pub fn record(conn: &mut DbConnection, user_id: i32, kind: Kind, id: i32) -> AppResult<()> {
    let now = Utc::now().naive_utc();
    let row = page_views::table.find((user_id, kind.slug(), id));
    let updated = diesel::update(row)
        .set(page_views::viewed_at.eq(now))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(page_views::table)
            .values((
                page_views::user_id.eq(user_id),
                page_views::kind.eq(kind.slug()),
                page_views::record_id.eq(id),
                page_views::viewed_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Records that the signed-in visitor opened `kind` `id`, after their page loaded. A
/// failure is logged, never shown: the page matters more than the bookkeeping.
pub async fn note(db: &Database, visitor: &Visitor, kind: Kind, id: i32) {
    let Some(user_id) = visitor.user.as_ref().map(|u| u.id) else {
        return;
    };
    if let Err(error) = db.run(move |conn| record(conn, user_id, kind, id)).await {
        tracing::warn!(%error, kind = kind.slug(), id, "visit not recorded");
    }
}

/// When `user_id` last opened each of `ids` of `kind`.
pub fn opened(
    conn: &mut DbConnection,
    user_id: i32,
    kind: Kind,
    ids: &[i32],
) -> AppResult<std::collections::HashMap<i32, NaiveDateTime>> {
    Ok(page_views::table
        .filter(page_views::user_id.eq(user_id))
        .filter(page_views::kind.eq(kind.slug()))
        .filter(page_views::record_id.eq_any(ids))
        .select((page_views::record_id, page_views::viewed_at))
        .load::<(i32, NaiveDateTime)>(conn)?
        .into_iter()
        .collect())
}
