//! `/api/v1/projects/{id}/similar` and `/api/v1/cities/{slug}/partners`.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::view::{partner_views, similar_views, PartnerView, SimilarView};
use super::{Matchmaking, MAX_LIMIT};
use crate::cities::model::City;
use crate::error::AppResult;
use crate::projects::model::Project;
use crate::web::params;
use crate::web::render::PageRequest;
use crate::web::AppState;

#[derive(Deserialize)]
pub struct LimitQuery {
    limit: Option<String>,
}

impl LimitQuery {
    fn limit(&self) -> AppResult<usize> {
        let limit = params::whole_number("limit", self.limit.as_deref(), 5, 1, MAX_LIMIT)?;
        Ok(usize::try_from(limit).unwrap_or(5))
    }
}

#[derive(Serialize)]
struct Results<T> {
    results: Vec<T>,
}

pub async fn similar_projects(
    state: web::Data<AppState>,
    matchmaking: web::Data<Matchmaking>,
    page: PageRequest,
    id: web::Path<String>,
    query: web::Query<LimitQuery>,
) -> AppResult<HttpResponse> {
    let id = crate::projects::parse_id(&id)?;
    let limit = query.limit()?;
    let state = state.into_inner();
    let results: Vec<SimilarView> = state
        .db
        .run({
            let state = state.clone();
            move |conn| {
                Project::find(conn, id)?;
                let catalogs = state.renderer.catalogs();
                similar_views(conn, &matchmaking, catalogs, page.lang, id, limit)
            }
        })
        .await?;
    Ok(HttpResponse::Ok().json(Results { results }))
}

pub async fn partner_cities(
    state: web::Data<AppState>,
    matchmaking: web::Data<Matchmaking>,
    page: PageRequest,
    slug: web::Path<String>,
    query: web::Query<LimitQuery>,
) -> AppResult<HttpResponse> {
    let limit = query.limit()?;
    let slug = slug.into_inner();
    let state = state.into_inner();
    let results: Vec<PartnerView> = state
        .db
        .run({
            let state = state.clone();
            move |conn| {
                let city = City::find_by_slug(conn, &slug)?;
                let catalogs = state.renderer.catalogs();
                partner_views(conn, &matchmaking, catalogs, page.lang, city.id, limit)
            }
        })
        .await?;
    Ok(HttpResponse::Ok().json(Results { results }))
}
