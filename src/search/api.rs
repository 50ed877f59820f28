//! `GET /api/v1/search`: hits of every type with snippets, facets and a suggestion.

use actix_web::{web, HttpResponse};

use super::{Search, SearchParams};
use crate::error::AppResult;
use crate::web::AppState;

pub async fn search(
    state: web::Data<AppState>,
    search: web::Data<Search>,
    params: web::Query<SearchParams>,
) -> AppResult<HttpResponse> {
    let request = params.request(None)?;
    let results = super::run(&state.db, &search, request).await?;
    Ok(HttpResponse::Ok().json(results))
}
