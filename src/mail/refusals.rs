//! Addresses that keep refusing mail: a permanent refusal (an SMTP 5xx) counts against
//! the address; after [`FAILING_AFTER`] in a row it is marked as failing, its owner sees
//! that on their profile, and nothing but mail they ask for themselves is tried until
//! they fix it (a new address, or "try again"). A delivery clears the count.

use chrono::Utc;
use diesel::prelude::*;

use crate::db::schema::users;
use crate::db::DbConnection;
use crate::error::AppResult;

/// Permanent refusals in a row that mark an address as failing.
pub const FAILING_AFTER: i32 = 3;

pub fn refused(conn: &mut DbConnection, user_id: i32) -> AppResult<()> {
    let refusals: i32 = users::table
        .find(user_id)
        .select(users::email_refusals)
        .first::<i32>(conn)
        .optional()?
        .unwrap_or(0)
        + 1;
    let failing = (refusals >= FAILING_AFTER).then(|| Utc::now().naive_utc());
    diesel::update(users::table.find(user_id))
        .set(users::email_refusals.eq(refusals))
        .execute(conn)?;
    if let Some(at) = failing {
        diesel::update(
            users::table
                .find(user_id)
                .filter(users::email_failing_at.is_null()),
        )
        .set(users::email_failing_at.eq(at))
        .execute(conn)?;
        tracing::warn!(user_id, refusals, "address marked as failing");
    }
    Ok(())
}

pub fn delivered(conn: &mut DbConnection, user_id: i32) -> AppResult<()> {
    diesel::update(
        users::table
            .find(user_id)
            .filter(users::email_refusals.gt(0)),
    )
    .set((
        users::email_refusals.eq(0),
        users::email_failing_at.eq(None::<chrono::NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(())
}

/// The owner says the address works again (or changed it): try mail again.
pub fn reset(conn: &mut DbConnection, user_id: i32) -> AppResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::email_refusals.eq(0),
            users::email_failing_at.eq(None::<chrono::NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whether the owner's address is marked as failing, and since when.
pub fn failing_since(
    conn: &mut DbConnection,
    user_id: i32,
) -> AppResult<Option<chrono::NaiveDateTime>> {
    Ok(users::table
        .find(user_id)
        .select(users::email_failing_at)
        .first::<Option<chrono::NaiveDateTime>>(conn)
        .optional()?
        .flatten())
}
