//! `/api/v1/projects`: the filtered list and single projects as JSON.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::view::ProjectView;
use super::ProjectListQuery;
use crate::error::AppResult;
use crate::web::AppState;

#[derive(Serialize)]
struct ProjectList {
    total: i64,
    page: i64,
    per_page: i64,
    results: Vec<ProjectView>,
}

pub async fn list_projects(
    state: web::Data<AppState>,
    query: web::Query<ProjectListQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let page = state.db.run(move |conn| query.load(conn, 20)).await?;
    Ok(HttpResponse::Ok().json(ProjectList {
        total: page.total,
        page: page.paging.page,
        per_page: page.paging.per_page,
        results: page.projects,
    }))
}

pub async fn show_project(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = super::parse_id(&id)?;
    let view = state.db.run(move |conn| super::load_view(conn, id)).await?;
    Ok(HttpResponse::Ok().json(view))
}
