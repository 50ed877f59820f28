//! The signed-in user's own account: the profile with city, roles and sessions (each
//! revocable, or all at once). Changing the password or address is in `credentials`,
//! the AVG data export and deleting the account in `personal_data`.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::membership::MembershipRequest;
use super::model;
use super::sign_in::signed_out;
use super::{see_other, texts, EmptyForm};
use crate::auth::csrf::Form;
use crate::auth::policy::authorize;
use crate::auth::session;
use crate::auth::{Action, SiteRole, Visitor};
use crate::cities::model::City;
use crate::error::{AppError, AppResult};
use crate::web::render::PageRequest;
use crate::web::AppState;

#[derive(Serialize)]
struct ProfileView {
    email: String,
    city: Option<CityLink>,
    city_role: Option<String>,
    site_role: Option<String>,
    pending_request: Option<CityLink>,
    may_decide: bool,
    notice: Option<String>,
    /// Since when mail to their address is refused, if it is.
    mail_failing_since: Option<String>,
    sessions: Vec<SessionView>,
    csrf: String,
}

#[derive(Serialize)]
struct CityLink {
    slug: String,
    name: String,
}

#[derive(Serialize)]
struct SessionView {
    id: i32,
    created_at: String,
    last_seen_at: String,
    user_agent: String,
    ip: String,
    current: bool,
}

#[derive(Deserialize)]
pub struct ProfileQuery {
    gewijzigd: Option<String>,
}

fn when(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub async fn show_profile(
    state: web::Data<AppState>,
    page: PageRequest,
    query: web::Query<ProfileQuery>,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    let user = authorize(&page.visitor, Action::ManageOwnAccount)?.clone();
    let user_id = user.id;
    let (sessions, city, pending, failing) = state
        .db
        .run(move |conn| {
            let failing = crate::mail::refusals::failing_since(conn, user_id)?;
            let sessions = session::list(conn, user_id)?;
            let city = user.city_id.map(|id| City::find(conn, id)).transpose()?;
            let pending = MembershipRequest::pending_of(conn, user_id)?
                .map(|r| City::find(conn, r.city_id))
                .transpose()?;
            Ok((sessions, city, pending, failing))
        })
        .await?;
    // Only known notices are shown: the parameter cannot inject text.
    let notice = query
        .gewijzigd
        .as_deref()
        .filter(|k| ["wachtwoord", "aanvraag", "sessie", "bevestigd", "post"].contains(k))
        .map(|k| t(&format!("profile.notice.{k}")));
    let link = |c: City| CityLink {
        slug: c.slug,
        name: c.name,
    };
    let current = authorize(&page.visitor, Action::ManageOwnAccount)?;
    let view = ProfileView {
        email: current.email.clone(),
        may_decide: current
            .city_id
            .is_some_and(|city_id| current.may(Action::DecideMembership { city_id })),
        city: city.map(link),
        city_role: current
            .city_role
            .map(|r| t(&format!("role.city.{}", r.slug()))),
        site_role: (current.site_role != SiteRole::None)
            .then(|| t(&format!("role.site.{}", current.site_role.slug()))),
        pending_request: pending.map(link),
        notice,
        mail_failing_since: failing.map(when),
        sessions: sessions
            .into_iter()
            .map(|s| SessionView {
                current: s.id == current.session_id,
                id: s.id,
                created_at: when(s.created_at),
                last_seen_at: when(s.last_seen_at),
                user_agent: s.user_agent,
                ip: s.ip,
            })
            .collect(),
        csrf: page.visitor.csrf.clone(),
    };
    state
        .renderer
        .page(&page, "accounts/profile", &current.name, &view)
}

/// Ends one of the user's own sessions (another device, or this one).
pub async fn end_session(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
    path: web::Path<i32>,
    Form(_): Form<EmptyForm>,
) -> AppResult<HttpResponse> {
    let user = authorize(&visitor, Action::ManageOwnAccount)?.clone();
    let session_id = path.into_inner();
    let user_id = user.id;
    // Filtered by owner: another user's session id ends nothing.
    let ended = state
        .db
        .run(move |conn| session::end(conn, user_id, session_id))
        .await?;
    if ended == 0 {
        return Err(AppError::not_found(format!("session {session_id}")));
    }
    if session_id == user.session_id {
        return signed_out(&req, "/inloggen");
    }
    Ok(see_other("/account?gewijzigd=sessie"))
}

/// "Log out everywhere": every session of the user, this one included.
pub async fn end_all_sessions(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
    Form(_): Form<EmptyForm>,
) -> AppResult<HttpResponse> {
    let user_id = authorize(&visitor, Action::ManageOwnAccount)?.id;
    state
        .db
        .run(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                session::end_all(conn, user_id, None)?;
                // Someone who had the session may have asked for an address change.
                model::revoke_all_tokens(conn, user_id)
            })
        })
        .await?;
    signed_out(&req, "/inloggen")
}

/// "My address works again": mail is tried again after the owner fixed their mailbox.
pub async fn retry_mail(
    state: web::Data<AppState>,
    page: PageRequest,
    _form: Form<EmptyForm>,
) -> AppResult<HttpResponse> {
    let user_id = authorize(&page.visitor, Action::ManageOwnAccount)?.id;
    state
        .db
        .run(move |conn| crate::mail::refusals::reset(conn, user_id))
        .await?;
    Ok(see_other("/account?gewijzigd=post"))
}
