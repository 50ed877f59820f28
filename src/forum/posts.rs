//! What people do with a post: its author edits it (the old text stays in its history,
//! the post shows "bewerkt") or deletes it (a placeholder stays); the one who started
//! the discussion, or a moderator, marks a reply as the answer; anyone signed in flags
//! it for the moderators.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::limits;
use super::model::{Post, Thread};
use super::view::{body_form, form_screen, thread_url};
use crate::auth::csrf::Form;
use crate::auth::policy::authorize;
use crate::auth::Action;
use crate::changes::Kind;
use crate::error::{AppError, AppResult};
use crate::jobs::Signal;
use crate::revisions;
use crate::web::forms::{see_other, texts, EmptyForm, Field, FormView, Screen};
use crate::web::params;
use crate::web::render::PageRequest;
use crate::web::AppState;

fn post_id(raw: &str) -> AppResult<i32> {
    params::record_id(raw, "post")
}

/// The post, its thread, and the answer to whether it still takes changes (a deleted
/// post does not).
async fn load(state: &AppState, id: i32) -> AppResult<(Post, Thread)> {
    state
        .db
        .run(move |conn| {
            let post = Post::find(conn, id)?;
            let thread = Thread::find(conn, post.thread_id)?;
            Ok((post, thread))
        })
        .await
}

fn gone() -> AppError {
    AppError::Conflict {
        message: "this post was deleted; it takes no more changes".into(),
    }
}

fn post_url(post: &Post) -> String {
    format!("{}#bericht-{}", thread_url(post.thread_id), post.id)
}

fn edit_form(t: &impl Fn(&str) -> String, csrf: &str, id: i32, body: &str) -> FormView {
    body_form(
        t,
        csrf,
        format!("/berichten/{id}/bewerken"),
        "forum.edit.submit",
        body,
    )
}

fn edit_screen(
    state: &AppState,
    page: &PageRequest,
    status: StatusCode,
    post: &Post,
    form: FormView,
) -> AppResult<HttpResponse> {
    let keys = ("forum.edit.title", "forum.edit.lead");
    form_screen(state, page, status, keys, form, post_url(post))
}

pub async fn show_edit(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = post_id(&id)?;
    let (post, _) = load(&state, id).await?;
    authorize(
        &page.visitor,
        Action::ChangePost {
            author_id: post.author_id,
        },
    )?;
    if post.is_deleted() {
        return Err(gone());
    }
    let t = texts(&state, &page);
    let form = edit_form(&t, &page.visitor.csrf, id, &post.body);
    edit_screen(&state, &page, StatusCode::OK, &post, form)
}

#[derive(Deserialize, Default)]
pub struct BodyInput {
    #[serde(default)]
    body: String,
}

pub async fn edit(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
    Form(input): Form<BodyInput>,
) -> AppResult<HttpResponse> {
    let id = post_id(&id)?;
    let (post, _) = load(&state, id).await?;
    let user_id = authorize(
        &page.visitor,
        Action::ChangePost {
            author_id: post.author_id,
        },
    )?
    .id;
    if post.is_deleted() {
        return Err(gone());
    }
    let t = texts(&state, &page);
    let mut form = edit_form(&t, &page.visitor.csrf, id, &input.body);
    let body = input.body.trim().to_owned();
    if body.is_empty() {
        form.field_error("body", t("forum.body_empty"));
    } else if body.chars().count() > limits::MAX_BODY {
        form.field_error("body", t("forum.body_too_long"));
    }
    if form.has_errors() {
        return edit_screen(&state, &page, StatusCode::BAD_REQUEST, &post, form);
    }
    state
        .db
        .run(move |conn| Post::edit(conn, id, user_id, &body))
        .await?;
    state.committed(Signal::Changes);
    Ok(see_other(&post_url(&post)))
}

pub async fn delete(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
    Form(_): Form<EmptyForm>,
) -> AppResult<HttpResponse> {
    let id = post_id(&id)?;
    let (post, _) = load(&state, id).await?;
    authorize(
        &page.visitor,
        Action::ChangePost {
            author_id: post.author_id,
        },
    )?;
    if !post.is_deleted() {
        state.db.run(move |conn| Post::delete(conn, id)).await?;
        state.committed(Signal::Changes);
    }
    Ok(see_other(&post_url(&post)))
}

#[derive(Deserialize, Default)]
pub struct AnswerInput {
    /// "1" marks the post as the answer, "0" takes the mark away.
    #[serde(default)]
    answer: String,
}

pub async fn mark_answer(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
    Form(input): Form<AnswerInput>,
) -> AppResult<HttpResponse> {
    let id = post_id(&id)?;
    let (post, thread) = load(&state, id).await?;
    authorize(
        &page.visitor,
        Action::MarkAnswer {
            thread_author_id: thread.author_id,
        },
    )?;
    let mark = match input.answer.as_str() {
        "1" => true,
        "0" => false,
        other => {
            return Err(AppError::bad_request(
                "invalid_form",
                format!("answer must be 1 or 0, got {other:?}"),
            ))
        }
    };
    if mark && (post.is_deleted() || post.is_hidden()) {
        return Err(AppError::Conflict {
            message: "a deleted or hidden post cannot be the answer".into(),
        });
    }
    let thread_id = thread.id;
    state
        .db
        .run(move |conn| {
            let first = Post::of_thread(conn, thread_id)?.first().map(|p| p.id);
            if mark && first == Some(id) {
                return Err(AppError::bad_request(
                    "invalid_answer",
                    "the opening post asks the question; mark a reply as its answer",
                ));
            }
            let current = Thread::find(conn, thread_id)?.answer_post_id;
            let answer = match (mark, current) {
                (true, _) => Some(id),
                // Taking the mark away only from the post that has it.
                (false, Some(marked)) if marked == id => None,
                (false, current) => current,
            };
            Thread::set_answer(conn, thread_id, answer)
        })
        .await?;
    Ok(see_other(&post_url(&post)))
}

fn flag_form(t: &impl Fn(&str) -> String, csrf: &str, id: i32, reason: &str) -> FormView {
    FormView::new(
        format!("/berichten/{id}/melden"),
        t("forum.flag.submit"),
        csrf,
    )
    .field(
        Field::new("textarea", "reason", t("forum.flag.reason"))
            .value(reason)
            .hint(t("forum.flag.hint"))
            .required(),
    )
}

fn flag_screen(
    state: &AppState,
    page: &PageRequest,
    status: StatusCode,
    post: &Post,
    form: FormView,
) -> AppResult<HttpResponse> {
    let keys = ("forum.flag.title", "forum.flag.lead");
    form_screen(state, page, status, keys, form, post_url(post))
}

pub async fn show_flag(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    authorize(&page.visitor, Action::TakePart)?;
    let id = post_id(&id)?;
    let (post, _) = load(&state, id).await?;
    if !super::view::visible_to(&post, page.visitor.user.as_ref()) {
        return Err(AppError::not_found(format!("post {id}")));
    }
    let t = texts(&state, &page);
    let form = flag_form(&t, &page.visitor.csrf, id, "");
    flag_screen(&state, &page, StatusCode::OK, &post, form)
}

#[derive(Deserialize, Default)]
pub struct ReasonInput {
    #[serde(default)]
    reason: String,
}

pub async fn flag(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
    Form(input): Form<ReasonInput>,
) -> AppResult<HttpResponse> {
    let user_id = authorize(&page.visitor, Action::TakePart)?.id;
    let id = post_id(&id)?;
    let (post, _) = load(&state, id).await?;
    if !super::view::visible_to(&post, page.visitor.user.as_ref()) {
        return Err(AppError::not_found(format!("post {id}")));
    }
    // The page offers no flag on one's own post; a hand-made request gets none either,
    // or an author could hide their own post from moderators' eyes and blame others.
    if post.author_id == Some(user_id) {
        return Err(AppError::forbidden(
            "you cannot flag your own post; edit or delete it",
        ));
    }
    let t = texts(&state, &page);
    let mut form = flag_form(&t, &page.visitor.csrf, id, &input.reason);
    let reason = input.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > limits::MAX_REASON {
        form.field_error("reason", t("forum.flag.reason_invalid"));
        return flag_screen(&state, &page, StatusCode::BAD_REQUEST, &post, form);
    }
    let hidden = state
        .db
        .run(move |conn| Post::flag(conn, id, user_id, &reason))
        .await?;
    if hidden {
        state.committed(Signal::Changes);
    }
    Screen::default()
        .text(t("forum.flag.thanks"))
        .link(thread_url(post.thread_id), t("forum.back_to_thread"))
        .render(&state, &page, StatusCode::OK, &t("forum.flag.title"))
}

#[derive(Serialize)]
struct HistoryPage {
    back: String,
    revisions: Vec<RevisionView>,
}

#[derive(Serialize)]
struct RevisionView {
    number: i32,
    created_at: String,
    before: String,
    after: String,
}

/// The earlier texts of an edited post, for whoever may read the post.
pub async fn show_history(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = post_id(&id)?;
    let (post, _) = load(&state, id).await?;
    if !super::view::visible_to(&post, page.visitor.user.as_ref()) || post.is_deleted() {
        return Err(AppError::not_found(format!("post {id}")));
    }
    let history = state
        .db
        .run(move |conn| revisions::history(conn, Kind::Post, id))
        .await?;
    let view = HistoryPage {
        back: post_url(&post),
        revisions: history
            .into_iter()
            .map(|r| {
                let body = r.changes.into_iter().find(|c| c.field == "body");
                RevisionView {
                    number: r.number,
                    created_at: r.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                    before: body.as_ref().map(|c| c.from.clone()).unwrap_or_default(),
                    after: body.map(|c| c.to).unwrap_or_default(),
                }
            })
            .collect(),
    };
    let title = state
        .renderer
        .text(page.lang, "forum.history.title")
        .to_owned();
    state
        .renderer
        .page(&page, "forum/post_history", &title, &view)
}
