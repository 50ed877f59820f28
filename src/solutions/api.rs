//! `/api/v1/solutions` and `/api/v1/solutions/{slug}`: the catalogue with, per
//! solution, its projects (confirmed or suggested) and its cities with their role.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::view::SolutionView;
use crate::error::AppResult;
use crate::web::i18n::Lang;
use crate::web::AppState;

#[derive(Serialize)]
struct Results {
    results: Vec<SolutionView>,
}

pub async fn list_solutions(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let results = state
        .db
        .run(|conn| super::pages::all_views(conn, Lang::Nl))
        .await?;
    Ok(HttpResponse::Ok().json(Results { results }))
}

pub async fn show_solution(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let slug = slug.into_inner();
    let view = state
        .db
        .run(move |conn| super::pages::load_view(conn, &slug, Lang::Nl))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
