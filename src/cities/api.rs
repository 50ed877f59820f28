//! `/api/v1/cities`: all cities with their theme profile, and one city with its projects.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::view::CitySummary;
use crate::error::AppResult;
use crate::web::AppState;

#[derive(Serialize)]
struct CityList {
    results: Vec<CitySummary>,
}

pub async fn list_cities(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let results = state.db.run(super::load_summaries).await?;
    Ok(HttpResponse::Ok().json(CityList { results }))
}

pub async fn show_city(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let slug = slug.into_inner();
    let detail = state
        .db
        .run(move |conn| super::load_detail(conn, &slug))
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}
