//! The project pages: `/projecten` (filterable list) and `/projecten/{id}`.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::currency::CurrencyFilter;
use super::model::{Project, ProjectFilter, Stage};
use super::view::ProjectView;
use super::ProjectListQuery;
use crate::auth::Action;
use crate::cities::model::City;
use crate::error::AppResult;
use crate::matchmaking::judge::{AfterSave, SimilarSection, REFRESH_SECONDS};
use crate::matchmaking::Matchmaking;
use crate::themes::Theme;
use crate::web::pagination::Pagination;
use crate::web::pagination::Paging;
use crate::web::render::PageRequest;
use crate::web::AppState;

#[derive(Serialize)]
struct SelectOption {
    value: String,
    label: String,
    selected: bool,
}

fn options<I: IntoIterator<Item = (String, String)>>(
    items: I,
    current: Option<&str>,
) -> Vec<SelectOption> {
    items
        .into_iter()
        .map(|(value, label)| SelectOption {
            selected: current == Some(value.as_str()),
            value,
            label,
        })
        .collect()
}

#[derive(Serialize)]
struct ProjectListPage {
    total: i64,
    projects: Vec<ProjectView>,
    cities: Vec<SelectOption>,
    themes: Vec<SelectOption>,
    stages: Vec<SelectOption>,
    currencies: Vec<SelectOption>,
    pagination: Pagination,
    filtered: bool,
}

pub async fn list_projects(
    state: web::Data<AppState>,
    page: PageRequest,
    query: web::Query<ProjectListQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let (list, cities) = {
        let query = query.clone();
        state
            .db
            .run(move |conn| Ok((query.load(conn, 25)?, City::all(conn)?)))
            .await?
    };
    let params = [
        ("city", query.city.as_deref().unwrap_or("")),
        ("theme", query.theme.as_deref().unwrap_or("")),
        ("stage", query.stage.as_deref().unwrap_or("")),
        ("currency", query.currency.as_deref().unwrap_or("")),
        ("per_page", query.per_page.as_deref().unwrap_or("")),
    ];
    let view = ProjectListPage {
        total: list.total,
        pagination: Pagination::new("/projecten", &params, list.paging, list.total)?,
        projects: list.projects,
        cities: options(
            cities.into_iter().map(|c| (c.slug, c.name)),
            query.city.as_deref(),
        ),
        // Theme and stage labels are translated in the template from their slug.
        themes: options(
            Theme::ALL.map(|t| (t.slug().to_owned(), t.slug().to_owned())),
            query.theme.as_deref(),
        ),
        stages: options(
            Stage::ALL.map(|s| (s.slug().to_owned(), s.slug().to_owned())),
            query.stage.as_deref(),
        ),
        currencies: options(
            CurrencyFilter::ALL.map(|c| (c.slug().to_owned(), c.slug().to_owned())),
            query.currency.as_deref(),
        ),
        filtered: params.iter().take(4).any(|(_, v)| !v.is_empty()),
    };
    let title = state.renderer.text(page.lang, "projects.title").to_owned();
    state.renderer.page(&page, "projects/list", &title, &view)
}

#[derive(Serialize)]
struct ProjectPage {
    project: ProjectView,
    /// Other projects of the same city in the same theme.
    related: Vec<ProjectView>,
    /// Comparable projects of other cities, with reasons and the forms to answer on them.
    similar: SimilarSection,
    /// Whether the visitor may edit it (the policy decides; the edit route asks again).
    may_edit: bool,
    /// Its discussions, with "Vraag het deze gemeente".
    discussions: crate::forum::Discussions,
    follow: Option<crate::follows::pages::FollowButton>,
    /// The solutions it is, and for its city's editors the decisions on them.
    solutions: crate::solutions::view::ProjectSolutions,
    /// Whom to call when the project names no contact of its own: the city's, from
    /// the report.
    city_contacts: crate::cities::view::CityContacts,
    /// The project it continues in, when merged.
    merged_into: Option<MergedInto>,
    /// Whether the visitor keeps all of the city's projects current (its editors).
    may_see_currency_list: bool,
}

#[derive(Serialize)]
struct MergedInto {
    title: String,
    url: String,
}

pub async fn show_project(
    state: web::Data<AppState>,
    matchmaking: web::Data<Matchmaking>,
    page: PageRequest,
    id: web::Path<String>,
    after_save: web::Query<AfterSave>,
) -> AppResult<HttpResponse> {
    let id = super::parse_id(&id)?;
    let after = after_save.position();
    let lang = page.lang;
    let shared = state.clone().into_inner();
    let user = page.visitor.user.clone();
    let back = page.path.clone();
    let view = state
        .db
        .run(move |conn| {
            let project = Project::find(conn, id)?;
            let user_id = user.as_ref().map(|u| u.id);
            let may_edit = user.as_ref().is_some_and(|u| {
                u.may(Action::EditProject {
                    city_id: project.city_id,
                    created_by: project.created_by,
                })
            });
            let may_decide = user.as_ref().is_some_and(|u| {
                u.may(Action::DecideSolutions {
                    city_id: project.city_id,
                })
            });
            let may_see_currency_list = user.as_ref().is_some_and(|u| {
                u.may(Action::EditProject {
                    city_id: project.city_id,
                    created_by: None,
                })
            });
            let merged_into = match project.merged_into {
                Some(other) => Some(Project::find(conn, other).map(|p| MergedInto {
                    url: super::view::project_url(p.id),
                    title: p.title,
                })?),
                None => None,
            };
            let solutions = crate::solutions::view::ProjectSolutions::new(
                id,
                crate::solutions::model::links_of(conn, id)?,
                may_decide,
                if may_decide {
                    crate::solutions::model::Solution::all(conn)?
                } else {
                    Vec::new()
                },
                crate::solutions::model::history(conn, id)?,
                lang,
            );
            let catalogs = shared.renderer.catalogs();
            let similar = crate::matchmaking::judge::section(
                conn,
                &matchmaking,
                catalogs,
                lang,
                &project,
                user.as_ref(),
                after,
            )?;
            let city = City::find(conn, project.city_id)?;
            let city_contacts = crate::cities::view::CityContacts::new(
                city.contacts(conn)?.into_iter().map(Into::into),
            );
            let city = city.reference();
            let filter = ProjectFilter {
                city_id: Some(project.city_id),
                theme: Some(project.theme),
                ..Default::default()
            };
            let paging = Paging {
                page: 1,
                per_page: 12,
            };
            let (_, rows) = Project::list(conn, &filter, paging)?;
            let related = rows
                .into_iter()
                .filter(|p| p.id != id)
                .map(|p| ProjectView::new(p, city.clone()))
                .collect();
            let discussions =
                crate::forum::Discussions::of_project(conn, id, &city, catalogs, lang)?;
            let following =
                crate::follows::Following::new(crate::follows::Followed::Project, id.to_string());
            let follow =
                crate::follows::pages::FollowButton::load(conn, user_id, &following, &back)?;
            Ok(ProjectPage {
                project: ProjectView::new(project, city),
                related,
                similar,
                may_edit,
                discussions,
                follow,
                solutions,
                city_contacts,
                merged_into,
                may_see_currency_list,
            })
        })
        .await?;
    crate::visits::note(&state.db, &page.visitor, crate::changes::Kind::Project, id).await;
    let title = view.project.title.clone();
    if view.similar.pending {
        return state.renderer.page_refreshing(
            &page,
            REFRESH_SECONDS,
            "projects/show",
            &title,
            &view,
        );
    }
    state.renderer.page(&page, "projects/show", &title, &view)
}
