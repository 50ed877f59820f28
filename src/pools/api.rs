//! `/api/v1/pools` and `/api/v1/toolkits`: the pools with their leads, one pool with its
//! toolkits, the toolkits most adopted first (by pool and theme), and one toolkit with
//! its versions, attachments and adoptions — the shapes of DESIGN.md.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::model::{Adoption, Attachment, Pool, Toolkit};
use super::toolkits::load_list;
use super::view::{AdoptionView, AttachmentView, PoolView, ToolkitSummary, VersionView};
use crate::error::AppResult;
use crate::themes::Theme;
use crate::uploads::FileKind;
use crate::web::params;
use crate::web::AppState;

#[derive(Serialize)]
struct Results<T> {
    results: Vec<T>,
}

pub async fn list_pools(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let results = state
        .db
        .run(|conn| {
            let counts = Pool::counts(conn)?;
            let mut views = Vec::new();
            for pool in Pool::all(conn)? {
                let members = Pool::members(conn, pool.id)?;
                let count = counts.get(&pool.id).copied().unwrap_or_default();
                views.push(PoolView::new(&pool, &members, count));
            }
            Ok(views)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Results { results }))
}

#[derive(Serialize)]
struct PoolDetail {
    #[serde(flatten)]
    pool: PoolView,
    toolkits: Vec<ToolkitSummary>,
}

pub async fn show_pool(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let slug = slug.into_inner();
    let detail = state
        .db
        .run(move |conn| {
            let pool = Pool::find_by_slug(conn, &slug)?;
            let members = Pool::members(conn, pool.id)?;
            let counts = Pool::counts(conn)?
                .get(&pool.id)
                .copied()
                .unwrap_or_default();
            let (_, kits) = Toolkit::list(conn, Some(pool.id), None, 1_000, 0)?;
            Ok(PoolDetail {
                toolkits: kits
                    .iter()
                    .map(|(t, n)| ToolkitSummary::new(t, &pool, *n))
                    .collect(),
                pool: PoolView::new(&pool, &members, counts),
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    pool: Option<String>,
    theme: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

#[derive(Serialize)]
struct ToolkitList {
    total: i64,
    page: i64,
    per_page: i64,
    results: Vec<ToolkitSummary>,
}

pub async fn list_toolkits(
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let paging = params::paging(query.page.as_deref(), query.per_page.as_deref(), 20)?;
    let theme: Option<Theme> = params::optional(query.theme.as_deref())?;
    let pool = query
        .pool
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned);
    let (total, results, _) = state
        .db
        .run(move |conn| load_list(conn, pool.as_deref(), theme, paging))
        .await?;
    Ok(HttpResponse::Ok().json(ToolkitList {
        total,
        page: paging.page,
        per_page: paging.per_page,
        results,
    }))
}

#[derive(Serialize)]
struct ToolkitDetail {
    #[serde(flatten)]
    toolkit: ToolkitSummary,
    body_html: String,
    tags: Vec<String>,
    /// The ids of the projects it came from.
    projects: Vec<i32>,
    versions: Vec<VersionView>,
    attachments: Vec<AttachmentView>,
    adoptions: Vec<AdoptionView>,
}

pub async fn show_toolkit(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = params::record_id(&id, "toolkit")?;
    let detail = state
        .db
        .run(move |conn| {
            let toolkit = Toolkit::find(conn, id)?;
            let pool = Pool::find(conn, toolkit.pool_id)?;
            let adoptions = Adoption::of_toolkit(conn, id)?;
            let in_use = adoptions
                .iter()
                .filter(|(a, _, _)| a.status != super::model::AdoptionStatus::Stopped)
                .count() as i64;
            Ok(ToolkitDetail {
                toolkit: ToolkitSummary::new(&toolkit, &pool, in_use),
                body_html: toolkit.body_html.clone(),
                tags: toolkit
                    .tags
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect(),
                projects: Toolkit::project_ids(conn, id)?,
                versions: Toolkit::versions(conn, id)?
                    .iter()
                    .map(|v| VersionView::new(v, false))
                    .collect(),
                attachments: Attachment::of_toolkit(conn, id, toolkit.version)?
                    .iter()
                    .map(|a| {
                        let mime = FileKind::parse(&a.kind)
                            .map_or("application/octet-stream", FileKind::mime);
                        AttachmentView::new(a, mime)
                    })
                    .collect(),
                adoptions: adoptions
                    .iter()
                    .map(|(a, slug, name)| AdoptionView::new(a, slug, name, toolkit.version))
                    .collect(),
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}
