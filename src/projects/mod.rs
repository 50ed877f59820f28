//! Projects (pilots): the lists and pages a civil servant browses and the API
//! `/api/v1/projects`. Queries live in `model`, the shared view model in `view`; how
//! current a project is in `currency`, its end in `archive`.

pub mod api;
pub mod archive;
pub mod currency;
pub mod edit;
pub mod model;
pub mod pages;
pub mod view;

use serde::Deserialize;

use crate::cities::model::City;
use crate::cities::model::CityRef;
use crate::db::DbConnection;
use crate::error::AppResult;
use crate::web::pagination::Paging;
use crate::web::params;
use model::{Project, ProjectFilter};
use view::ProjectView;

/// The filters and paging of a project list, as the query string gives them; the same
/// names serve the page `/projecten` and the API.
#[derive(Deserialize, Debug, Default, Clone)]
pub struct ProjectListQuery {
    pub city: Option<String>,
    pub theme: Option<String>,
    pub stage: Option<String>,
    pub source_ref: Option<String>,
    /// `confirmed`, `stale` or `archived` (`currency::CurrencyFilter`).
    pub currency: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

/// A validated, loaded page of projects.
pub struct ProjectPage {
    pub total: i64,
    pub paging: Paging,
    pub projects: Vec<ProjectView>,
}

impl ProjectListQuery {
    pub fn load(&self, conn: &mut DbConnection, default_per_page: i64) -> AppResult<ProjectPage> {
        let paging = params::paging(
            self.page.as_deref(),
            self.per_page.as_deref(),
            default_per_page,
        )?;
        let city_id = match self
            .city
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(slug) => Some(City::id_for_filter(conn, slug)?),
            None => None,
        };
        let filter = ProjectFilter {
            city_id,
            theme: params::optional(self.theme.as_deref())?,
            stage: params::optional(self.stage.as_deref())?,
            source_ref: self
                .source_ref
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            currency: params::optional(self.currency.as_deref())?,
        };
        let (total, rows) = Project::list(conn, &filter, paging)?;
        let cities = CityRef::for_projects(conn, &rows)?;
        let mut projects = ProjectView::many(rows, &cities);
        ProjectView::with_solutions(conn, &mut projects)?;
        Ok(ProjectPage {
            total,
            paging,
            projects,
        })
    }
}

/// A project id from a URL path; anything that is not a project id is simply not found.
pub fn parse_id(raw: &str) -> AppResult<i32> {
    crate::web::params::record_id(raw, "project")
}

/// One project with its city, ready to show.
pub fn load_view(conn: &mut DbConnection, id: i32) -> AppResult<ProjectView> {
    let project = Project::find(conn, id)?;
    let city = City::find(conn, project.city_id)?;
    let mut view = [ProjectView::new(project, city.reference())];
    ProjectView::with_solutions(conn, &mut view)?;
    let [view] = view;
    Ok(view)
}

/// `/api/v1/projects…`
pub fn api_routes(cfg: &mut actix_web::web::ServiceConfig) {
    use crate::web::get;
    use actix_web::web;
    cfg.service(web::resource("/projects").route(get().to(api::list_projects)))
        .service(web::resource("/projects/{id}").route(get().to(api::show_project)));
}

/// `/projecten…`: lists, the project page, creating and editing, the history.
pub fn page_routes(cfg: &mut actix_web::web::ServiceConfig) {
    use crate::web::get;
    use actix_web::web;
    cfg.service(web::resource("/projecten").route(get().to(pages::list_projects)))
        .service(
            web::resource("/projecten/nieuw")
                .route(get().to(edit::show_new))
                .route(web::post().to(edit::create)),
        )
        .service(web::resource("/projecten/{id}").route(get().to(pages::show_project)))
        .service(
            web::resource("/projecten/{id}/bewerken")
                .route(get().to(edit::show_edit))
                .route(web::post().to(edit::update)),
        )
        .service(web::resource("/projecten/{id}/geschiedenis").route(get().to(edit::show_history)))
        .service(
            web::resource("/projecten/{id}/klopt-nog").route(web::post().to(currency::confirm)),
        )
        .service(
            web::resource("/projecten/{id}/archiveren")
                .route(get().to(archive::show_form))
                .route(web::post().to(archive::submit)),
        )
        .service(
            web::resource("/projecten/{id}/heropenen")
                .route(web::post().to(archive::submit_reopen)),
        )
        .service(
            web::resource("/steden/{slug}/actualiteit").route(get().to(currency::show_city_list)),
        );
}
