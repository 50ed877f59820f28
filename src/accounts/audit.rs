//! The audit log: who changed roles, decided memberships, mapped domains or deleted an
//! account, and when. Written in the transaction of the change; read by administrators.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::audit_log;
use crate::db::DbConnection;
use crate::error::AppResult;

pub fn record(
    conn: &mut DbConnection,
    actor_id: Option<i32>,
    subject_user_id: Option<i32>,
    action: &str,
    details: &str,
) -> AppResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::created_at.eq(Utc::now().naive_utc()),
            audit_log::actor_id.eq(actor_id),
            audit_log::subject_user_id.eq(subject_user_id),
            audit_log::action.eq(action),
            audit_log::details.eq(details),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Queryable, Clone, Debug, serde::Serialize)]
pub struct Entry {
    pub id: i32,
    pub created_at: NaiveDateTime,
    pub actor_id: Option<i32>,
    pub subject_user_id: Option<i32>,
    pub action: String,
    pub details: String,
}

const COLUMNS: (
    audit_log::id,
    audit_log::created_at,
    audit_log::actor_id,
    audit_log::subject_user_id,
    audit_log::action,
    audit_log::details,
) = (
    audit_log::id,
    audit_log::created_at,
    audit_log::actor_id,
    audit_log::subject_user_id,
    audit_log::action,
    audit_log::details,
);

/// The newest entries first.
pub fn recent(conn: &mut DbConnection, limit: i64) -> AppResult<Vec<Entry>> {
    Ok(audit_log::table
        .order(audit_log::id.desc())
        .limit(limit)
        .select(COLUMNS)
        .load(conn)?)
}

/// Entries about or by one user, for their data export.
pub fn about(conn: &mut DbConnection, user_id: i32) -> AppResult<Vec<Entry>> {
    Ok(audit_log::table
        .filter(
            audit_log::actor_id
                .eq(user_id)
                .or(audit_log::subject_user_id.eq(user_id)),
        )
        .order(audit_log::id)
        .select(COLUMNS)
        .load(conn)?)
}
