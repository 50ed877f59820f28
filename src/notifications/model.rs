//! Stored notifications: one per person and post, of the most important kind that
//! applies, read or not, mailed or not.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::notifications;
use crate::db::DbConnection;
use crate::error::AppResult;

crate::slug_enum! {
    /// Why someone hears of a post; in order of importance, the first that applies wins.
    pub enum NotificationKind ("notification kind", "invalid_notification") {
        /// A question asked of one's city (editors, the project's contact).
        Question = "question",
        Mention = "mention",
        /// A reply in a thread one follows.
        Reply = "reply",
        /// A new thread about something one follows.
        NewThread = "new_thread",
    }
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = notifications)]
pub struct Notification {
    pub id: i32,
    pub user_id: i32,
    pub kind: NotificationKind,
    pub thread_id: i32,
    pub post_id: i32,
    pub actor_id: Option<i32>,
    pub created_at: NaiveDateTime,
    pub read_at: Option<NaiveDateTime>,
    pub mailed_at: Option<NaiveDateTime>,
}

/// Stores a notification unless the person already has one for this post.
pub fn notify(
    conn: &mut DbConnection,
    user_id: i32,
    kind: NotificationKind,
    thread_id: i32,
    post_id: i32,
    actor_id: Option<i32>,
) -> AppResult<bool> {
    let exists: i64 = notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::post_id.eq(post_id))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    diesel::insert_into(notifications::table)
        .values((
            notifications::user_id.eq(user_id),
            notifications::kind.eq(kind),
            notifications::thread_id.eq(thread_id),
            notifications::post_id.eq(post_id),
            notifications::actor_id.eq(actor_id),
            notifications::created_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(true)
}

/// One person's notifications, newest first, with the total.
pub fn of_user(
    conn: &mut DbConnection,
    user_id: i32,
    limit: i64,
    offset: i64,
) -> AppResult<(i64, Vec<Notification>)> {
    let total = notifications::table
        .filter(notifications::user_id.eq(user_id))
        .count()
        .get_result(conn)?;
    let rows = notifications::table
        .filter(notifications::user_id.eq(user_id))
        .order(notifications::id.desc())
        .limit(limit)
        .offset(offset)
        .select(Notification::as_select())
        .load(conn)?;
    Ok((total, rows))
}

/// Marks one of the person's own notifications read; returns it (404 for anyone
/// else's).
pub fn open(conn: &mut DbConnection, user_id: i32, id: i32) -> AppResult<Notification> {
    let found: Notification = notifications::table
        .filter(notifications::id.eq(id))
        .filter(notifications::user_id.eq(user_id))
        .select(Notification::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| crate::error::AppError::not_found(format!("notification {id}")))?;
    if found.read_at.is_none() {
        diesel::update(notifications::table.find(id))
            .set(notifications::read_at.eq(Utc::now().naive_utc()))
            .execute(conn)?;
    }
    Ok(found)
}

/// Marks everything of the person read (or only what is about `thread_id`).
pub fn mark_read(conn: &mut DbConnection, user_id: i32, thread_id: Option<i32>) -> AppResult<()> {
    let mut query = diesel::update(notifications::table)
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null())
        .into_boxed();
    if let Some(thread) = thread_id {
        query = query.filter(notifications::thread_id.eq(thread));
    }
    query
        .set(notifications::read_at.eq(Utc::now().naive_utc()))
        .execute(conn)?;
    Ok(())
}
