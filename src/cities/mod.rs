//! The 40 G40 cities: their facts from the report, their projects, the city pages and
//! `/api/v1/cities`.

pub mod api;
pub mod model;
pub mod pages;
pub mod view;

use crate::db::DbConnection;
use crate::error::AppResult;
use crate::projects::model::{Project, ThemeCounts};
use crate::projects::view::ProjectView;
use model::City;
use view::{CityDetail, CitySummary};

/// Every city with its project counts per theme.
pub fn load_summaries(conn: &mut DbConnection) -> AppResult<Vec<CitySummary>> {
    let counts = ThemeCounts::load(conn)?;
    Ok(City::all(conn)?
        .iter()
        .map(|c| CitySummary::new(c, counts.for_city(c.id)))
        .collect())
}

/// One city with its contacts, programmes and projects.
pub fn load_detail(conn: &mut DbConnection, slug: &str) -> AppResult<CityDetail> {
    let city = City::find_by_slug(conn, slug)?;
    detail_of(conn, city)
}

/// The detail view of a city already loaded.
pub fn detail_of(conn: &mut DbConnection, city: City) -> AppResult<CityDetail> {
    let projects = Project::of_city(conn, city.id)?;
    let mut counts = [0i64; 6];
    for project in &projects {
        counts[project.theme.index()] += 1;
    }
    let reference = city.reference();
    Ok(CityDetail {
        summary: CitySummary::new(&city, counts),
        stated_project_count: city.stated_project_count,
        contacts: city.contacts(conn)?.into_iter().map(Into::into).collect(),
        programmes: city.programmes(conn)?.into_iter().map(|p| p.name).collect(),
        projects: projects
            .into_iter()
            .map(|p| ProjectView::new(p, reference.clone()))
            .collect(),
        notes: city.notes,
        focus: city.focus,
    })
}

/// `/api/v1/cities…`
pub fn api_routes(cfg: &mut actix_web::web::ServiceConfig) {
    use crate::web::get;
    use actix_web::web;
    cfg.service(web::resource("/cities").route(get().to(api::list_cities)))
        .service(web::resource("/cities/{slug}").route(get().to(api::show_city)));
}

/// `/steden…`
pub fn page_routes(cfg: &mut actix_web::web::ServiceConfig) {
    use crate::web::get;
    use actix_web::web;
    cfg.service(web::resource("/steden").route(get().to(pages::list_cities)))
        .service(web::resource("/steden/{slug}").route(get().to(pages::show_city)));
}
