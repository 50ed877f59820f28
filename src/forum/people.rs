//! `/mensen/{handle}`: the page an `@mention` links to — a person's name, city and
//! latest visible posts, so a reader knows whom they are dealing with and how to reach
//! them through the forum.

use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde::Serialize;

use super::view::{rfc3339, thread_url};
use crate::db::schema::{cities, posts, threads, users};
use crate::error::{AppError, AppResult};
use crate::web::render::PageRequest;
use crate::web::AppState;

#[derive(Serialize)]
struct PersonPage {
    name: String,
    handle: String,
    city: Option<(String, String)>,
    posts: Vec<PostLink>,
}

#[derive(Serialize)]
struct PostLink {
    thread_title: String,
    url: String,
    created_at: String,
}

pub async fn show_person(
    state: web::Data<AppState>,
    page: PageRequest,
    handle: web::Path<String>,
) -> AppResult<HttpResponse> {
    let handle = handle.into_inner();
    let view = state
        .db
        .run(move |conn| {
            let found: Option<(i32, String, Option<String>, Option<String>)> = users::table
                .left_join(cities::table)
                .filter(users::handle.eq(&handle))
                .filter(users::email_verified.eq(true))
                .select((
                    users::id,
                    users::name,
                    cities::slug.nullable(),
                    cities::name.nullable(),
                ))
                .first(conn)
                .optional()?;
            let (id, name, city_slug, city_name) =
                found.ok_or_else(|| AppError::not_found(format!("person {handle:?}")))?;
            let recent: Vec<(i32, i32, String, chrono::NaiveDateTime)> = posts::table
                .inner_join(threads::table)
                .filter(posts::author_id.eq(id))
                .filter(posts::hidden_at.is_null())
                .filter(posts::deleted_at.is_null())
                .order(posts::id.desc())
                .limit(20)
                .select((posts::id, threads::id, threads::title, posts::created_at))
                .load(conn)?;
            Ok(PersonPage {
                name,
                handle,
                city: city_slug.zip(city_name),
                posts: recent
                    .into_iter()
                    .map(|(post, thread, title, at)| PostLink {
                        thread_title: title,
                        url: format!("{}#bericht-{post}", thread_url(thread)),
                        created_at: rfc3339(at),
                    })
                    .collect(),
            })
        })
        .await?;
    let title = view.name.clone();
    state.renderer.page(&page, "forum/person", &title, &view)
}
