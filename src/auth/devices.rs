//! Device cookies (OWASP's defence against lock-out by strangers): a browser that signed
//! in to an account, or reset its password, keeps a random token naming it, and failed
//! logins from it count against that browser alone ([`super::throttle`]) — strangers who
//! lock the account out of unknown browsers do not lock its owner out. Only the token's
//! SHA-256 is stored.

use actix_web::cookie::{time, Cookie};
use actix_web::HttpRequest;
use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::{session, token};
use crate::db::schema::trusted_devices;
use crate::db::DbConnection;
use crate::error::AppResult;

pub const DEVICE_COOKIE: &str = "stadsmaat_device";
/// A browser stays trusted this long after it last signed in to the account.
const LIFETIME: Duration = Duration::days(180);

/// The device token the browser sent, if it could be one.
pub fn presented(req: &HttpRequest) -> Option<String> {
    req.cookie(DEVICE_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|t| token::well_formed(t))
}

/// Whether `token` names a browser that `user_id` trusts.
pub fn trusts(conn: &mut DbConnection, user_id: i32, token: &str) -> AppResult<bool> {
    let since = Utc::now().naive_utc() - LIFETIME;
    Ok(diesel::select(diesel::dsl::exists(
        trusted_devices::table
            .filter(trusted_devices::token_hash.eq(token::hash_token(token)))
            .filter(trusted_devices::user_id.eq(user_id))
            .filter(trusted_devices::signed_in_at.ge(since)),
    ))
    .get_result(conn)?)
}

/// Makes the browser a trusted one of `user_id` and returns the token for its cookie.
/// The token is always new and takes over whatever accounts the browser's `old` token
/// was trusted by: a device cookie someone planted gains its planter nothing.
pub fn trust(conn: &mut DbConnection, user_id: i32, old: Option<&str>) -> AppResult<String> {
    let fresh = token::random_token()?;
    let fresh_hash = token::hash_token(&fresh);
    let now = Utc::now().naive_utc();
    diesel::delete(trusted_devices::table.filter(trusted_devices::signed_in_at.lt(now - LIFETIME)))
        .execute(conn)?;
    if let Some(old) = old {
        diesel::update(
            trusted_devices::table.filter(trusted_devices::token_hash.eq(token::hash_token(old))),
        )
        .set(trusted_devices::token_hash.eq(&fresh_hash))
        .execute(conn)?;
    }
    let this_account = trusted_devices::table
        .filter(trusted_devices::token_hash.eq(&fresh_hash))
        .filter(trusted_devices::user_id.eq(user_id));
    let renewed = diesel::update(this_account)
        .set(trusted_devices::signed_in_at.eq(now))
        .execute(conn)?;
    if renewed == 0 {
        diesel::insert_into(trusted_devices::table)
            .values((
                trusted_devices::token_hash.eq(&fresh_hash),
                trusted_devices::user_id.eq(user_id),
                trusted_devices::signed_in_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(fresh)
}

/// When each browser `user_id` trusts last signed in, newest first (the data export).
pub fn list(conn: &mut DbConnection, user_id: i32) -> AppResult<Vec<NaiveDateTime>> {
    Ok(trusted_devices::table
        .filter(trusted_devices::user_id.eq(user_id))
        .order(trusted_devices::signed_in_at.desc())
        .select(trusted_devices::signed_in_at)
        .load(conn)?)
}

/// Forgets every browser `user_id` trusted (a password reset: whoever signed in with the
/// old password loses the allowance of a trusted browser).
pub fn forget_all(conn: &mut DbConnection, user_id: i32) -> AppResult<usize> {
    Ok(
        diesel::delete(trusted_devices::table.filter(trusted_devices::user_id.eq(user_id)))
            .execute(conn)?,
    )
}

/// The device cookie; it outlives sign-out, which is its point.
pub fn cookie(token: String, secure: bool) -> Cookie<'static> {
    session::secret_cookie(DEVICE_COOKIE, token, secure)
        .max_age(time::Duration::days(LIFETIME.num_days()))
        .finish()
}
