//! `/api/v1/threads`: the threads about something (or all, newest activity first) and a
//! thread with its posts, in the shapes of DESIGN.md. Hidden posts are absent for
//! everyone who may not see them on the page either.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::model::{Thread, ThreadFilter};
use super::subject::{About, Subject};
use super::view::{self, PostView, ThreadView};
use crate::error::AppResult;
use crate::web::params;
use crate::web::render::PageRequest;
use crate::web::AppState;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    about: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

#[derive(Serialize)]
struct ThreadList {
    total: i64,
    page: i64,
    per_page: i64,
    results: Vec<ThreadView>,
}

pub async fn list_threads(
    state: web::Data<AppState>,
    page: PageRequest,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let paging = params::paging(query.page.as_deref(), query.per_page.as_deref(), 20)?;
    let about = query
        .about
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(About::parse)
        .transpose()?;
    let shared = state.clone().into_inner();
    let lang = page.lang;
    let (total, results) = state
        .db
        .run(move |conn| {
            if let Some(about) = &about {
                // An unknown subject is a 404, not an empty list.
                Subject::resolve(conn, about)?;
            }
            let filter = ThreadFilter {
                about,
                ..ThreadFilter::default()
            };
            let found = Thread::list(conn, &filter, paging.per_page, paging.offset())?;
            let catalogs = shared.renderer.catalogs();
            Ok((
                found.total,
                view::thread_views(conn, found.threads, catalogs, lang)?,
            ))
        })
        .await?;
    Ok(HttpResponse::Ok().json(ThreadList {
        total,
        page: paging.page,
        per_page: paging.per_page,
        results,
    }))
}

#[derive(Serialize)]
struct ThreadDetail {
    #[serde(flatten)]
    thread: ThreadView,
    posts: Vec<PostView>,
}

pub async fn show_thread(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = params::record_id(&id, "discussion")?;
    let shared = state.clone().into_inner();
    let viewer = page.visitor.user.clone();
    let lang = page.lang;
    let detail = state
        .db
        .run(move |conn| {
            let catalogs = shared.renderer.catalogs();
            let found = view::load_thread(conn, id, viewer.as_ref(), catalogs, lang, |_, _, _| {
                view::PostActions::default()
            })?;
            Ok(ThreadDetail {
                thread: found.view,
                posts: found.posts.into_iter().map(|item| item.post).collect(),
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}
