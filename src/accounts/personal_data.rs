//! The AVG rights of a signed-in user: everything stored about them as a JSON download
//! (account, sessions, trusted browsers, projects, forum posts, follows, notifications,
//! pools, mail, answers on suggestions), and deleting the account (never the last
//! administrator's).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::credentials::confirm_password;
use super::membership::MembershipRequest;
use super::model::User;
use super::sign_in::sign_out_cookies;
use super::{audit, current_password_field, texts, Screen};
use crate::auth::csrf::Form;
use crate::auth::policy::authorize;
use crate::auth::{devices, session};
use crate::auth::{Action, Visitor};
use crate::changes::Kind;
use crate::db::schema::{projects, users};
use crate::error::AppResult;
use crate::web::forms::FormView;
use crate::web::render::PageRequest;
use crate::web::AppState;

#[derive(Serialize)]
struct Export {
    exported_at: NaiveDateTime,
    account: User,
    sessions: Vec<ExportSession>,
    /// The browsers the account trusts for sign-in (device cookies), by when they last
    /// signed in; their tokens are stored hashed and not exported.
    trusted_browsers: Vec<ExportBrowser>,
    membership_requests: Vec<MembershipRequest>,
    projects_created: Vec<ExportProject>,
    project_edits: Vec<ExportRevision>,
    audit_log: Vec<audit::Entry>,
    #[serde(flatten)]
    participation: Participation,
}

/// What a person did and chose on the forum, in pools and for mail: their words, what
/// they follow and were told, and what the site noted of their reading.
#[derive(Serialize)]
struct Participation {
    handle: Option<String>,
    mail_preferences: MailPreferences,
    threads_started: Vec<(i32, String, NaiveDateTime)>,
    posts: Vec<ExportPost>,
    post_flags: Vec<(i32, String, NaiveDateTime)>,
    follows: Vec<String>,
    saved_searches: Vec<(i32, String, NaiveDateTime)>,
    notifications: Vec<ExportNotification>,
    pool_memberships: Vec<(String, String, NaiveDateTime)>,
    pages_opened: Vec<(String, i32, NaiveDateTime)>,
    digests: Vec<(String, NaiveDateTime, i32)>,
    /// "Is dit vergelijkbaar?": the answers on suggested comparable pilots.
    similarity_answers: Vec<crate::matchmaking::feedback::ExportedAnswer>,
}

#[derive(Serialize, Queryable)]
struct MailPreferences {
    lang: String,
    notify_mail: String,
    digest_mail: bool,
    account_mail: bool,
    email_failing_at: Option<NaiveDateTime>,
    last_seen_at: Option<NaiveDateTime>,
}

#[derive(Serialize, Queryable)]
struct ExportPost {
    id: i32,
    thread_id: i32,
    body: String,
    created_at: NaiveDateTime,
    edited_at: Option<NaiveDateTime>,
    deleted_at: Option<NaiveDateTime>,
}

#[derive(Serialize, Queryable)]
struct ExportNotification {
    kind: String,
    thread_id: i32,
    post_id: i32,
    created_at: NaiveDateTime,
    read_at: Option<NaiveDateTime>,
    mailed_at: Option<NaiveDateTime>,
}

impl Participation {
    fn of(conn: &mut crate::db::DbConnection, user_id: i32) -> AppResult<Participation> {
        use crate::db::schema::{
            digests, notifications, page_views, pool_members, pools, post_flags, posts,
            saved_searches, threads,
        };
        let user = users::table.find(user_id);
        Ok(Participation {
            handle: user.select(users::handle).first(conn)?,
            mail_preferences: user
                .select((
                    users::lang,
                    users::notify_mail,
                    users::digest_mail,
                    users::account_mail,
                    users::email_failing_at,
                    users::last_seen_at,
                ))
                .first(conn)?,
            threads_started: threads::table
                .filter(threads::author_id.eq(user_id))
                .order(threads::id)
                .select((threads::id, threads::title, threads::created_at))
                .load(conn)?,
            posts: posts::table
                .filter(posts::author_id.eq(user_id))
                .order(posts::id)
                .select((
                    posts::id,
                    posts::thread_id,
                    posts::body,
                    posts::created_at,
                    posts::edited_at,
                    posts::deleted_at,
                ))
                .load(conn)?,
            post_flags: post_flags::table
                .filter(post_flags::user_id.eq(user_id))
                .select((
                    post_flags::post_id,
                    post_flags::reason,
                    post_flags::created_at,
                ))
                .load(conn)?,
            follows: crate::follows::model::of_user(conn, user_id)?
                .iter()
                .map(|f| f.code())
                .collect(),
            saved_searches: saved_searches::table
                .filter(saved_searches::user_id.eq(user_id))
                .select((
                    saved_searches::id,
                    saved_searches::params,
                    saved_searches::created_at,
                ))
                .load(conn)?,
            notifications: notifications::table
                .filter(notifications::user_id.eq(user_id))
                .order(notifications::id)
                .select((
                    notifications::kind,
                    notifications::thread_id,
                    notifications::post_id,
                    notifications::created_at,
                    notifications::read_at,
                    notifications::mailed_at,
                ))
                .load(conn)?,
            pool_memberships: pool_members::table
                .inner_join(pools::table)
                .filter(pool_members::user_id.eq(user_id))
                .select((pools::slug, pool_members::role, pool_members::joined_at))
                .load(conn)?,
            pages_opened: page_views::table
                .filter(page_views::user_id.eq(user_id))
                .select((
                    page_views::kind,
                    page_views::record_id,
                    page_views::viewed_at,
                ))
                .load(conn)?,
            digests: digests::table
                .filter(digests::user_id.eq(user_id))
                .order(digests::sent_at)
                .select((digests::week, digests::sent_at, digests::items))
                .load(conn)?,
            similarity_answers: crate::matchmaking::feedback::of_user(conn, user_id)?,
        })
    }
}

#[derive(Serialize)]
struct ExportSession {
    created_at: NaiveDateTime,
    last_seen_at: NaiveDateTime,
    user_agent: String,
    ip: String,
}

#[derive(Serialize)]
struct ExportBrowser {
    signed_in_at: NaiveDateTime,
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
                trusted_browsers: devices::list(conn, user_id)?
                    .into_iter()
                    .map(|signed_in_at| ExportBrowser { signed_in_at })
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
                participation: Participation::of(conn, user_id)?,
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
            crate::db::write_transaction(conn, |conn| {
                User::keep_an_administrator(conn, user_id)?;
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
