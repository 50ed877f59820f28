//! Server-side sessions. The cookie holds a random token; the database holds its hash,
//! the user, and when it was made and last used, so every session can be listed and
//! revoked. A middleware resolves the cookie once per page request into a [`Visitor`]
//! (with the CSRF token of [`super::csrf`]) that handlers and templates read.

use std::future::{ready, Ready};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::policy::{CityRole, SiteRole};
use super::{csrf, devices, forwarded, token};
use crate::db::schema::{cities, notifications, sessions, users};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::web::AppState;

pub const SESSION_COOKIE: &str = "stadsmaat_session";
/// A session ends after this long without use...
const IDLE_LIMIT: Duration = Duration::days(14);
/// ...and in any case this long after sign-in.
const ABSOLUTE_LIMIT: Duration = Duration::days(30);
/// `last_seen_at` is refreshed at most this often, so reading pages rarely writes.
const TOUCH_EVERY: Duration = Duration::minutes(5);

/// The signed-in user of a request, as the session found them.
#[derive(Clone, Debug)]
pub struct SessionUser {
    pub id: i32,
    pub session_id: i32,
    pub email: String,
    pub name: String,
    pub city_id: Option<i32>,
    pub city_role: Option<CityRole>,
    pub city_slug: Option<String>,
    pub site_role: SiteRole,
    /// When the account was made (new accounts have tighter forum limits).
    pub created_at: NaiveDateTime,
    /// Notifications not yet read, for the count in the header.
    pub unread: i64,
}

/// Whoever sent the request: the signed-in user, if any, and the CSRF token their
/// forms must carry (bound to the session when signed in, see [`csrf::for_session`]).
#[derive(Clone, Debug, Default)]
pub struct Visitor {
    pub user: Option<SessionUser>,
    pub csrf: String,
}

impl Visitor {
    /// The signed-in user, or 401 (which pages turn into a redirect to the login form).
    pub fn signed_in(&self) -> AppResult<&SessionUser> {
        self.user.as_ref().ok_or(AppError::Unauthenticated)
    }
}

impl FromRequest for Visitor {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(req
            .extensions()
            .get::<Visitor>()
            .cloned()
            .unwrap_or_default()))
    }
}

/// The client facts stored with a session, to help its owner recognise it, and the
/// device cookie it presented.
pub struct Client {
    pub user_agent: String,
    pub ip: String,
    pub device: Option<String>,
}

impl Client {
    pub fn of(req: &HttpRequest) -> Self {
        let user_agent = req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(200)
            .collect();
        Client {
            user_agent,
            ip: client_ip(req),
            device: devices::presented(req),
        }
    }
}

/// The client's address: the peer's, or the one a trusted proxy forwarded.
pub fn client_ip(req: &HttpRequest) -> String {
    forwarded::Client::of(req).ip_text()
}

/// The tokens of a sign-in, for its cookies.
pub struct Started {
    pub session: String,
    pub device: String,
}

/// Signs `user_id` in on this browser: a new session, and the account trusts the
/// browser from now on (its device cookie, [`devices`]). Always new tokens: whatever
/// session id the browser had before is never promoted (session fixation).
pub fn start(conn: &mut DbConnection, user_id: i32, client: &Client) -> AppResult<Started> {
    let token = token::random_token()?;
    let now = Utc::now().naive_utc();
    diesel::delete(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::expires_at.lt(now)),
    )
    .execute(conn)?;
    diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(token::hash_token(&token)),
            sessions::user_id.eq(user_id),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(now + IDLE_LIMIT),
            sessions::user_agent.eq(&client.user_agent),
            sessions::ip.eq(&client.ip),
        ))
        .execute(conn)?;
    note_seen(conn, user_id, now)?;
    let device = devices::trust(conn, user_id, client.device.as_deref())?;
    Ok(Started {
        session: token,
        device,
    })
}

/// Records on the account that its owner used the site at `now`: it outlives the
/// session (the digest tells the inactive from those who sign out).
fn note_seen(conn: &mut DbConnection, user_id: i32, now: NaiveDateTime) -> AppResult<()> {
    diesel::update(users::table.find(user_id))
        .set(users::last_seen_at.eq(now))
        .execute(conn)?;
    Ok(())
}

/// Ends one session of `user_id` (a user can only end their own).
pub fn end(conn: &mut DbConnection, user_id: i32, session_id: i32) -> AppResult<usize> {
    Ok(diesel::delete(
        sessions::table
            .filter(sessions::id.eq(session_id))
            .filter(sessions::user_id.eq(user_id)),
    )
    .execute(conn)?)
}

/// Ends every session of `user_id` except `keep` (after a password change, reset or
/// "log out everywhere").
pub fn end_all(conn: &mut DbConnection, user_id: i32, keep: Option<i32>) -> AppResult<usize> {
    Ok(diesel::delete(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::id.ne(keep.unwrap_or(-1))),
    )
    .execute(conn)?)
}

/// A session as its owner sees it in their profile.
#[derive(Queryable, Clone, Debug)]
pub struct SessionRow {
    pub id: i32,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub user_agent: String,
    pub ip: String,
}

pub fn list(conn: &mut DbConnection, user_id: i32) -> AppResult<Vec<SessionRow>> {
    Ok(sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::expires_at.ge(Utc::now().naive_utc()))
        .order(sessions::last_seen_at.desc())
        .select((
            sessions::id,
            sessions::created_at,
            sessions::last_seen_at,
            sessions::user_agent,
            sessions::ip,
        ))
        .load(conn)?)
}

type Found = (
    (i32, NaiveDateTime, NaiveDateTime, NaiveDateTime),
    (i32, String, String, bool, NaiveDateTime),
    (Option<i32>, Option<CityRole>, SiteRole, Option<String>),
);

/// The user behind a cookie token, if the session is live; refreshes its idle limit.
fn resolve(conn: &mut DbConnection, token: &str) -> AppResult<Option<SessionUser>> {
    let found: Option<Found> = sessions::table
        .inner_join(users::table.left_join(cities::table))
        .filter(sessions::token_hash.eq(token::hash_token(token)))
        .select((
            (
                sessions::id,
                sessions::created_at,
                sessions::last_seen_at,
                sessions::expires_at,
            ),
            (
                users::id,
                users::email,
                users::name,
                users::email_verified,
                users::created_at,
            ),
            (
                users::city_id,
                users::city_role,
                users::site_role,
                cities::slug.nullable(),
            ),
        ))
        .first(conn)
        .optional()?;
    let Some((
        (session_id, created, seen, expires),
        (id, email, name, verified, user_created),
        (city_id, city_role, site_role, city_slug),
    )) = found
    else {
        return Ok(None);
    };
    let now = Utc::now().naive_utc();
    if expires < now || !verified {
        diesel::delete(sessions::table.find(session_id)).execute(conn)?;
        return Ok(None);
    }
    if now - seen > TOUCH_EVERY {
        diesel::update(sessions::table.find(session_id))
            .set((
                sessions::last_seen_at.eq(now),
                sessions::expires_at.eq((now + IDLE_LIMIT).min(created + ABSOLUTE_LIMIT)),
            ))
            .execute(conn)?;
        note_seen(conn, id, now)?;
    }
    let unread: i64 = notifications::table
        .filter(notifications::user_id.eq(id))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)?;
    Ok(Some(SessionUser {
        id,
        session_id,
        email,
        name,
        city_id,
        city_role,
        city_slug,
        site_role,
        created_at: user_created,
        unread,
    }))
}

/// A cookie holding a secret of ours (session, CSRF, device): for the whole site, out
/// of scripts' reach (HttpOnly), not sent with other sites' posts (SameSite=Lax), and
/// only over https when the browser uses it.
pub fn secret_cookie(
    name: &'static str,
    value: String,
    secure: bool,
) -> actix_web::cookie::CookieBuilder<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
}

/// The session cookie.
pub fn cookie(token: String, secure: bool) -> Cookie<'static> {
    secret_cookie(SESSION_COOKIE, token, secure)
        .max_age(time::Duration::days(ABSOLUTE_LIMIT.num_days()))
        .finish()
}

/// An expired session cookie, which makes the browser forget it.
pub fn removal(secure: bool) -> Cookie<'static> {
    let mut cookie = cookie(String::new(), secure);
    cookie.make_removal();
    cookie
}

/// Whether the browser used https (as a trusted proxy says), so cookies get `Secure`.
pub fn is_https(req: &HttpRequest) -> bool {
    forwarded::Client::of(req).is_https()
}

/// Resolves the session and CSRF cookies of every page request into a [`Visitor`]; sets
/// a CSRF cookie on first visit and drops a session cookie that no longer works. API and
/// static routes are public and skip it.
pub async fn load_visitor(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let path = req.path();
    if path.starts_with("/api/") || path.starts_with("/static/") {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let mut user = None;
    let mut session_csrf = None;
    let mut stale_cookie = false;
    let state = req.app_data::<web::Data<AppState>>().cloned();
    if let (Some(cookie), Some(state)) = (req.cookie(SESSION_COOKIE), state) {
        let token = cookie.value().to_owned();
        session_csrf = Some(csrf::for_session(&token));
        user = state.db.run(move |conn| resolve(conn, &token)).await?;
        stale_cookie = user.is_none();
    }
    let (cookie_csrf, fresh_csrf) = match req.cookie(csrf::CSRF_COOKIE) {
        Some(c) if token::well_formed(c.value()) => (c.value().to_owned(), false),
        _ => (token::random_token()?, true),
    };
    // Signed in, the forms carry the session's own token and the cookie's is unused.
    let csrf = match session_csrf.filter(|_| user.is_some()) {
        Some(bound) => bound,
        None => cookie_csrf.clone(),
    };
    let secure = is_https(req.request());
    // Personal pages and pages with a live token must not be kept by shared caches or
    // the browser's back button after sign-out.
    let private = user.is_some() || path.starts_with("/wachtwoord-herstellen/");
    req.extensions_mut().insert(Visitor { user, csrf });
    let mut res = next.call(req).await?.map_into_boxed_body();
    // Sign-in and sign-out set these cookies themselves; theirs win.
    let set_by_handler = |name: &str| res.response().cookies().any(|c| c.name() == name);
    let add_csrf = fresh_csrf && !set_by_handler(csrf::CSRF_COOKIE);
    let drop_session = stale_cookie && !set_by_handler(SESSION_COOKIE);
    if add_csrf {
        res.response_mut()
            .add_cookie(&csrf::cookie(cookie_csrf, secure))
            .map_err(actix_web::error::ErrorInternalServerError)?;
    }
    if private {
        res.headers_mut().insert(
            actix_web::http::header::CACHE_CONTROL,
            actix_web::http::header::HeaderValue::from_static("no-store"),
        );
    }
    if drop_session {
        res.response_mut()
            .add_cookie(&removal(secure))
            .map_err(actix_web::error::ErrorInternalServerError)?;
    }
    Ok(res)
}
