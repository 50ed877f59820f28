//! Moderation: moderators (and administrators) hide and show posts with a reason, lock
//! and unlock threads, move a thread to another subject, and work through the queue of
//! flagged posts at `/beheer/meldingen`. Every action goes to the audit log (in
//! `model`), in the transaction of the change.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::limits;
use super::model::{self, Post, Thread};
use super::subject::{About, Subject};
use super::view::{form_screen, rfc3339, thread_url, Authors};
use crate::auth::csrf::Form;
use crate::auth::policy::authorize;
use crate::auth::Action;
use crate::error::{AppError, AppResult};
use crate::jobs::Signal;
use crate::web::forms::{see_other, texts, EmptyForm, Field, FormView};
use crate::web::params;
use crate::web::render::PageRequest;
use crate::web::AppState;

#[derive(Deserialize, Default)]
pub struct ReasonInput {
    #[serde(default)]
    reason: String,
}

pub async fn hide_post(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
    Form(input): Form<ReasonInput>,
) -> AppResult<HttpResponse> {
    let by = authorize(&page.visitor, Action::Moderate)?.id;
    let id = params::record_id(&id, "post")?;
    let reason = input.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > limits::MAX_REASON {
        return Err(AppError::bad_request(
            "invalid_reason",
            format!(
                "give the reason for hiding the post (at most {} characters)",
                limits::MAX_REASON
            ),
        ));
    }
    let thread_id = state
        .db
        .run(move |conn| {
            let post = Post::find(conn, id)?;
            Post::set_hidden(conn, id, Some(&reason), Some(by))?;
            Ok(post.thread_id)
        })
        .await?;
    state.committed(Signal::Changes);
    Ok(see_other(&format!(
        "{}#bericht-{id}",
        thread_url(thread_id)
    )))
}

pub async fn unhide_post(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
    Form(_): Form<EmptyForm>,
) -> AppResult<HttpResponse> {
    let by = authorize(&page.visitor, Action::Moderate)?.id;
    let id = params::record_id(&id, "post")?;
    let thread_id = state
        .db
        .run(move |conn| {
            let post = Post::find(conn, id)?;
            Post::set_hidden(conn, id, None, Some(by))?;
            Ok(post.thread_id)
        })
        .await?;
    state.committed(Signal::Changes);
    Ok(see_other(&format!(
        "{}#bericht-{id}",
        thread_url(thread_id)
    )))
}

async fn set_locked(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
    locked: bool,
) -> AppResult<HttpResponse> {
    let by = authorize(&page.visitor, Action::Moderate)?.id;
    let id = params::record_id(&id, "discussion")?;
    state
        .db
        .run(move |conn| Thread::set_locked(conn, id, locked, by))
        .await?;
    Ok(see_other(&thread_url(id)))
}

pub async fn lock_thread(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
    Form(_): Form<EmptyForm>,
) -> AppResult<HttpResponse> {
    set_locked(state, page, id, true).await
}

pub async fn unlock_thread(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
    Form(_): Form<EmptyForm>,
) -> AppResult<HttpResponse> {
    set_locked(state, page, id, false).await
}

fn move_form(t: &impl Fn(&str) -> String, csrf: &str, id: i32, over: &str) -> FormView {
    FormView::new(
        format!("/discussies/{id}/verplaatsen"),
        t("forum.move.submit"),
        csrf,
    )
    .field(
        Field::new("text", "over", t("forum.move.over"))
            .value(over)
            .hint(t("forum.move.hint"))
            .required(),
    )
}

fn move_screen(
    state: &AppState,
    page: &PageRequest,
    status: StatusCode,
    id: i32,
    form: FormView,
) -> AppResult<HttpResponse> {
    let keys = ("forum.move.title", "forum.move.lead");
    form_screen(state, page, status, keys, form, thread_url(id))
}

pub async fn show_move(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    authorize(&page.visitor, Action::Moderate)?;
    let id = params::record_id(&id, "discussion")?;
    let thread = state.db.run(move |conn| Thread::find(conn, id)).await?;
    let t = texts(&state, &page);
    let form = move_form(&t, &page.visitor.csrf, id, &thread.about().to_string());
    move_screen(&state, &page, StatusCode::OK, id, form)
}

#[derive(Deserialize, Default)]
pub struct MoveInput {
    #[serde(default)]
    over: String,
}

pub async fn move_thread(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
    Form(input): Form<MoveInput>,
) -> AppResult<HttpResponse> {
    let by = authorize(&page.visitor, Action::Moderate)?.id;
    let id = params::record_id(&id, "discussion")?;
    let t = texts(&state, &page);
    let mut form = move_form(&t, &page.visitor.csrf, id, &input.over);
    let about = match About::parse(input.over.trim()) {
        Ok(about) => about,
        Err(_) => {
            form.field_error("over", t("forum.move.invalid"));
            return move_screen(&state, &page, StatusCode::BAD_REQUEST, id, form);
        }
    };
    let moved = state
        .db
        .run(move |conn| {
            Thread::find(conn, id)?;
            let subject = match Subject::resolve(conn, &about) {
                Ok(subject) => subject,
                Err(AppError::NotFound { .. }) => return Ok(false),
                Err(e) => return Err(e),
            };
            Thread::move_to(conn, id, &subject, by)?;
            Ok(true)
        })
        .await?;
    if !moved {
        form.field_error("over", t("forum.move.unknown"));
        return move_screen(&state, &page, StatusCode::NOT_FOUND, id, form);
    }
    state.committed(Signal::Changes);
    Ok(see_other(&thread_url(id)))
}

#[derive(Serialize)]
struct FlagsPage {
    posts: Vec<FlaggedView>,
}

#[derive(Serialize)]
struct FlaggedView {
    id: i32,
    thread_title: String,
    thread_url: String,
    author: String,
    created_at: String,
    body_html: String,
    hidden: bool,
    reasons: Vec<FlagReason>,
}

#[derive(Serialize)]
struct FlagReason {
    by: String,
    reason: String,
}

pub async fn show_flags(state: web::Data<AppState>, page: PageRequest) -> AppResult<HttpResponse> {
    authorize(&page.visitor, Action::Moderate)?;
    let deleted = state
        .renderer
        .text(page.lang, "forum.deleted_account")
        .to_owned();
    let posts = state
        .db
        .run(move |conn| {
            let queue = model::flag_queue(conn)?;
            let authors = Authors::load(conn, queue.iter().filter_map(|f| f.post.author_id))?;
            Ok(queue
                .into_iter()
                .map(|f| FlaggedView {
                    id: f.post.id,
                    thread_url: format!("{}#bericht-{}", thread_url(f.post.thread_id), f.post.id),
                    thread_title: f.thread_title,
                    author: authors.view(f.post.author_id, &deleted).name,
                    created_at: rfc3339(f.post.created_at),
                    hidden: f.post.is_hidden(),
                    body_html: f.post.body_html,
                    reasons: f
                        .reasons
                        .into_iter()
                        .map(|(by, reason)| FlagReason { by, reason })
                        .collect(),
                })
                .collect())
        })
        .await?;
    let title = state
        .renderer
        .text(page.lang, "forum.flags.title")
        .to_owned();
    state
        .renderer
        .page(&page, "forum/flags", &title, &FlagsPage { posts })
}

#[derive(Deserialize, Default)]
pub struct DecisionInput {
    /// "verbergen" keeps the post hidden, "tonen" shows it.
    #[serde(default)]
    decision: String,
}

pub async fn resolve_flags(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
    Form(input): Form<DecisionInput>,
) -> AppResult<HttpResponse> {
    let by = authorize(&page.visitor, Action::Moderate)?.id;
    let id = params::record_id(&id, "post")?;
    let keep_hidden = match input.decision.as_str() {
        "verbergen" => true,
        "tonen" => false,
        other => {
            return Err(AppError::bad_request(
                "invalid_form",
                format!("decision must be verbergen or tonen, got {other:?}"),
            ))
        }
    };
    state
        .db
        .run(move |conn| model::resolve_flags(conn, id, by, keep_hidden))
        .await?;
    state.committed(Signal::Changes);
    Ok(see_other("/beheer/meldingen"))
}
