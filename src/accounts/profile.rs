//! The signed-in user's own account: the profile with city, roles and sessions (each
//! revocable, or all at once), change of password and address, the AVG data export and
//! deleting the account.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::membership::MembershipRequest;
use super::model::{self, normalize_email, TokenPurpose, User};
use super::pages::{check_new_password, sign_out_cookies, signed_out};
use super::{
    audit, current_password_field, queue_mail, see_other, show_again, texts, throttled,
    with_new_password, EmptyForm, Screen,
};
use crate::auth::csrf::Form;
use crate::auth::policy::authorize;
use crate::auth::session::{self, SessionUser};
use crate::auth::{password, Action, SiteRole, Visitor};
use crate::changes::Kind;
use crate::cities::model::City;
use crate::db::schema::{projects, users};
use crate::error::{AppError, AppResult};
use crate::web::forms::{Field, FormView};
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
    let (sessions, city, pending) = state
        .db
        .run(move |conn| {
            let sessions = session::list(conn, user_id)?;
            let city = user.city_id.map(|id| City::find(conn, id)).transpose()?;
            let pending = MembershipRequest::pending_of(conn, user_id)?
                .map(|r| City::find(conn, r.city_id))
                .transpose()?;
            Ok((sessions, city, pending))
        })
        .await?;
    // Only known notices are shown: the parameter cannot inject text.
    let notice = query
        .gewijzigd
        .as_deref()
        .filter(|k| ["wachtwoord", "aanvraag", "sessie", "bevestigd"].contains(k))
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
            conn.transaction(|conn| {
                session::end_all(conn, user_id, None)?;
                // Someone who had the session may have asked for an address change.
                model::revoke_all_tokens(conn, user_id)
            })
        })
        .await?;
    signed_out(&req, "/inloggen")
}

// ---- password -----------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

fn password_form(t: &impl Fn(&str) -> String, csrf: &str) -> FormView {
    FormView::new("/account/wachtwoord", t("password.change_submit"), csrf)
        .field(current_password_field(t))
        .with(|f| with_new_password(f, t))
}

pub async fn show_change_password(
    state: web::Data<AppState>,
    page: PageRequest,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    authorize(&page.visitor, Action::ManageOwnAccount)?;
    Screen::default()
        .form(password_form(&t, &page.visitor.csrf))
        .render(&state, &page, StatusCode::OK, &t("password.change_title"))
}

/// Checks the current password of a signed-in user, throttled like a login so a stolen
/// session cannot be used to guess it.
async fn confirm_password(state: &AppState, user: &SessionUser, given: String) -> AppResult<bool> {
    throttled(state.throttles.login_account.attempt(&user.email))?;
    let user_id = user.id;
    let stored = state
        .db
        .run(move |conn| Ok(User::find(conn, user_id)?.password_hash))
        .await?;
    let ok = password::verify(given, Some(stored)).await?;
    if ok {
        state.throttles.login_account.forgive(&user.email);
    }
    Ok(ok)
}

pub async fn change_password(
    state: web::Data<AppState>,
    page: PageRequest,
    Form(form): Form<PasswordForm>,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    let user = authorize(&page.visitor, Action::ManageOwnAccount)?.clone();
    let mut view = password_form(&t, &page.visitor.csrf);
    if !confirm_password(&state, &user, form.current_password).await? {
        view.field_error("current_password", t("account.wrong_password"));
    }
    check_new_password(
        &t,
        &mut view,
        &form.password,
        &form.password_again,
        &user.email,
    );
    if view.has_errors() {
        return show_again(&state, &page, &t("password.change_title"), view);
    }
    let hash = password::hash(form.password).await?;
    state
        .db
        .run(move |conn| {
            conn.transaction(|conn| {
                User::set_password(conn, user.id, &hash)?;
                // No reset or address link made before the change may outlive it.
                model::revoke_all_tokens(conn, user.id)?;
                // Other devices signed in with the old password are signed out.
                session::end_all(conn, user.id, Some(user.session_id))?;
                Ok(())
            })
        })
        .await?;
    Ok(see_other("/account?gewijzigd=wachtwoord"))
}

// ---- e-mail address -----------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    current_password: String,
}

fn email_form(t: &impl Fn(&str) -> String, csrf: &str, email: &str) -> FormView {
    FormView::new("/account/email", t("email.change_submit"), csrf)
        .field(
            Field::new("email", "email", t("account.new_email"))
                .value(email)
                .autocomplete("email")
                .required(),
        )
        .field(current_password_field(t))
}

pub async fn show_change_email(
    state: web::Data<AppState>,
    page: PageRequest,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    authorize(&page.visitor, Action::ManageOwnAccount)?;
    Screen::default()
        .text(t("email.change_lead"))
        .form(email_form(&t, &page.visitor.csrf, ""))
        .render(&state, &page, StatusCode::OK, &t("email.change_title"))
}

pub async fn change_email(
    state: web::Data<AppState>,
    page: PageRequest,
    Form(form): Form<EmailForm>,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    let user = authorize(&page.visitor, Action::ManageOwnAccount)?.clone();
    let mut view = email_form(&t, &page.visitor.csrf, &form.email);
    let new_email = normalize_email(&form.email);
    if new_email.is_none() {
        view.field_error("email", t("account.email_invalid"));
    }
    if !confirm_password(&state, &user, form.current_password).await? {
        view.field_error("current_password", t("account.wrong_password"));
    }
    let (Some(new_email), false) = (new_email, view.has_errors()) else {
        return show_again(&state, &page, &t("email.change_title"), view);
    };
    let shared = state.clone();
    let lang = page.lang;
    state
        .db
        .run(move |conn| {
            conn.transaction(|conn| {
                // Whether the new address is taken is told to its owner only, by mail.
                if User::find_by_email(conn, &new_email)?.is_some() {
                    return queue_mail(conn, &shared, lang, &new_email, "email_taken", &[]);
                }
                let token = model::issue_token(
                    conn,
                    user.id,
                    TokenPurpose::ChangeEmail,
                    Some(&new_email),
                    None,
                )?;
                let link = format!(
                    "{}/account/email-bevestigen/{token}",
                    shared.config.public_url()
                );
                queue_mail(
                    conn,
                    &shared,
                    lang,
                    &new_email,
                    "change_email",
                    &[("name", &user.name), ("link", &link)],
                )?;
                queue_mail(
                    conn,
                    &shared,
                    lang,
                    &user.email,
                    "email_change_notice",
                    &[("name", &user.name), ("email", &new_email)],
                )
            })
        })
        .await?;
    state.committed(crate::jobs::Signal::Mail);
    Screen::default()
        .text(t("email.change_sent"))
        .link("/account", t("profile.back"))
        .render(&state, &page, StatusCode::OK, &t("email.change_title"))
}

/// The link in the mail to the new address.
pub async fn confirm_email_change(
    state: web::Data<AppState>,
    page: PageRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    let token = path.into_inner();
    let changed = state
        .db
        .run(move |conn| {
            conn.transaction(|conn| {
                let Some(found) = model::redeem_token(conn, &token, TokenPurpose::ChangeEmail)?
                else {
                    return Ok(false);
                };
                let Some(new_email) = found.new_email else {
                    return Ok(false);
                };
                if User::find_by_email(conn, &new_email)?.is_some() {
                    return Ok(false);
                }
                diesel::update(users::table.find(found.user_id))
                    .set(users::email.eq(&new_email))
                    .execute(conn)?;
                let user = User::find(conn, found.user_id)?;
                User::verify_email(conn, &user)?;
                Ok(true)
            })
        })
        .await?;
    if !changed {
        return Screen::default().text(t("token.invalid")).render(
            &state,
            &page,
            StatusCode::BAD_REQUEST,
            &t("token.invalid_title"),
        );
    }
    Screen::default()
        .text(t("email.changed"))
        .link("/account", t("profile.back"))
        .render(&state, &page, StatusCode::OK, &t("email.change_title"))
}

// ---- AVG: export and deletion -------------------------------------------------

#[derive(Serialize)]
struct Export {
    exported_at: NaiveDateTime,
    account: User,
    sessions: Vec<ExportSession>,
    membership_requests: Vec<MembershipRequest>,
    projects_created: Vec<ExportProject>,
    project_edits: Vec<ExportRevision>,
    audit_log: Vec<audit::Entry>,
}

#[derive(Serialize)]
struct ExportSession {
    created_at: NaiveDateTime,
    last_seen_at: NaiveDateTime,
    user_agent: String,
    ip: String,
}

#[derive(Serialize, Queryable)]
struct ExportProject {
    id: i32,
    title: String,
    created_at: NaiveDateTime,
}

#[derive(Serialize)]
struct ExportRevision {
    project_id: i32,
    created_at: NaiveDateTime,
    changes: Vec<crate::revisions::FieldChange>,
}

/// Everything stored about the user, as a JSON download.
pub async fn export_data(state: web::Data<AppState>, visitor: Visitor) -> AppResult<HttpResponse> {
    let user_id = authorize(&visitor, Action::ManageOwnAccount)?.id;
    let export = state
        .db
        .run(move |conn| {
            Ok(Export {
                exported_at: chrono::Utc::now().naive_utc(),
                account: User::find(conn, user_id)?,
                sessions: session::list(conn, user_id)?
                    .into_iter()
                    .map(|s| ExportSession {
                        created_at: s.created_at,
                        last_seen_at: s.last_seen_at,
                        user_agent: s.user_agent,
                        ip: s.ip,
                    })
                    .collect(),
                membership_requests: MembershipRequest::of_user(conn, user_id)?,
                projects_created: projects::table
                    .filter(projects::created_by.eq(user_id))
                    .select((projects::id, projects::title, projects::created_at))
                    .load(conn)?,
                project_edits: crate::revisions::by_user(conn, Kind::Project, user_id)?
                    .into_iter()
                    .map(|r| ExportRevision {
                        project_id: r.subject_id,
                        created_at: r.created_at,
                        changes: r.changes,
                    })
                    .collect(),
                audit_log: audit::about(conn, user_id)?,
            })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"stadsmaat-gegevens.json\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(export))
}

#[derive(Deserialize, Default)]
pub struct DeleteForm {
    #[serde(default)]
    current_password: String,
}

fn delete_form(t: &impl Fn(&str) -> String, csrf: &str) -> FormView {
    FormView::new("/account/verwijderen", t("delete.submit"), csrf).field(current_password_field(t))
}

fn delete_screen(t: &impl Fn(&str) -> String, form: FormView) -> Screen {
    Screen::default()
        .text(t("delete.lead"))
        .text(t("delete.kept"))
        .text(t("delete.export"))
        .form(form)
        .link("/account/gegevens", t("profile.export"))
}

pub async fn show_delete(state: web::Data<AppState>, page: PageRequest) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    authorize(&page.visitor, Action::ManageOwnAccount)?;
    delete_screen(&t, delete_form(&t, &page.visitor.csrf)).render(
        &state,
        &page,
        StatusCode::OK,
        &t("delete.title"),
    )
}

pub async fn delete_account(
    state: web::Data<AppState>,
    page: PageRequest,
    req: HttpRequest,
    Form(form): Form<DeleteForm>,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    let user = authorize(&page.visitor, Action::ManageOwnAccount)?.clone();
    if !confirm_password(&state, &user, form.current_password).await? {
        let mut view = delete_form(&t, &page.visitor.csrf);
        view.field_error("current_password", t("account.wrong_password"));
        return delete_screen(&t, view).render(
            &state,
            &page,
            StatusCode::BAD_REQUEST,
            &t("delete.title"),
        );
    }
    let user_id = user.id;
    state
        .db
        .run(move |conn| {
            conn.transaction(|conn| {
                if user.is_admin() && User::count_admins(conn)? <= 1 {
                    return Err(AppError::Conflict {
                        message: "the last administrator cannot delete their account; make \
                                  someone else administrator first"
                            .into(),
                    });
                }
                audit::record(conn, Some(user_id), Some(user_id), "account.deleted", "")?;
                // Sessions, tokens and requests go with the row; project edits stay,
                // without the name (ON DELETE SET NULL).
                diesel::delete(users::table.find(user_id)).execute(conn)?;
                Ok(())
            })
        })
        .await?;
    let goodbye = Screen::default().text(t("delete.done")).render(
        &state,
        &PageRequest {
            visitor: Visitor::default(),
            ..page.clone()
        },
        StatusCode::OK,
        &t("delete.title"),
    )?;
    sign_out_cookies(&req, goodbye)
}
