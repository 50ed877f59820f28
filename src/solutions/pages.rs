//! `/oplossingen` (the catalogue, most used first), `/oplossingen/{slug}` (who does
//! what with one solution: lead cities and followers, its projects, discussions and
//! toolkits) and the editors' decisions on a project's solutions.

use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::model::{self, LinkStatus, Solution};
use super::view::{CityRoleView, SolutionView};
use crate::auth::policy::authorize;
use crate::auth::Action;
use crate::cities::model::CityRef;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::projects::model::Project;
use crate::web::forms::see_other;
use crate::web::i18n::Lang;
use crate::web::render::PageRequest;
use crate::web::AppState;

/// A solution in the catalogue list.
#[derive(Serialize)]
struct ListedSolution {
    slug: String,
    name: String,
    kind: super::catalogue::SolutionKind,
    url: String,
    description: String,
    cities: usize,
    projects: usize,
}

#[derive(Serialize)]
struct ListPage {
    solutions: Vec<ListedSolution>,
}

/// Every solution with the number of cities and projects using it, most cities first.
fn listed(conn: &mut DbConnection, lang: Lang) -> AppResult<Vec<ListedSolution>> {
    let mut listed: Vec<ListedSolution> = all_views(conn, lang)?
        .into_iter()
        .map(|v| ListedSolution {
            name: match lang {
                Lang::En => v.name_en,
                Lang::Nl => v.name,
            },
            slug: v.slug,
            kind: v.kind,
            url: v.url,
            description: v.description,
            cities: v.cities.len(),
            projects: v.projects.len(),
        })
        .collect();
    listed.sort_by(|a, b| {
        b.cities
            .cmp(&a.cities)
            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
    });
    Ok(listed)
}

pub async fn list_solutions(
    state: web::Data<AppState>,
    page: PageRequest,
) -> AppResult<HttpResponse> {
    let lang = page.lang;
    let solutions = state.db.run(move |conn| listed(conn, lang)).await?;
    let title = state.renderer.text(page.lang, "solutions.title").to_owned();
    state
        .renderer
        .page(&page, "solutions/list", &title, &ListPage { solutions })
}

/// One solution with everything about it, as the API and the page show it.
pub fn load_view(conn: &mut DbConnection, slug: &str, lang: Lang) -> AppResult<SolutionView> {
    let solution = Solution::find_by_slug(conn, slug)?;
    let mut members = model::members(conn, Some(solution.id))?;
    let members = members.remove(&solution.id).unwrap_or_default();
    let projects: Vec<Project> = members.iter().map(|(p, _)| p.clone()).collect();
    let cities = CityRef::for_projects(conn, &projects)?;
    Ok(SolutionView::new(&solution, members, &cities, lang))
}

/// Every solution with its projects and cities, those used by most cities first.
pub fn all_views(conn: &mut DbConnection, lang: Lang) -> AppResult<Vec<SolutionView>> {
    let mut members = model::members(conn, None)?;
    let projects: Vec<Project> = members.values().flatten().map(|(p, _)| p.clone()).collect();
    let cities = CityRef::for_projects(conn, &projects)?;
    let mut views: Vec<SolutionView> = Solution::all(conn)?
        .into_iter()
        .map(|s| {
            let of = members.remove(&s.id).unwrap_or_default();
            SolutionView::new(&s, of, &cities, lang)
        })
        .collect();
    views.sort_by_key(|v| std::cmp::Reverse(v.cities.len()));
    Ok(views)
}

/// A discussion or toolkit named on a solution's page.
#[derive(Serialize, Queryable)]
struct Titled {
    id: i32,
    title: String,
}

#[derive(Serialize)]
struct ShowPage {
    solution: SolutionView,
    leads: Vec<CityRoleView>,
    followers: Vec<CityRoleView>,
    threads: Vec<Titled>,
    toolkits: Vec<Titled>,
}

pub async fn show_solution(
    state: web::Data<AppState>,
    page: PageRequest,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let slug = slug.into_inner();
    let lang = page.lang;
    let view = state
        .db
        .run(move |conn| {
            let solution = load_view(conn, &slug, lang)?;
            let ids: Vec<i32> = solution.projects.iter().map(|p| p.id).collect();
            let by_role = |role: &str| {
                solution
                    .cities
                    .iter()
                    .filter(|c| c.role == role)
                    .cloned()
                    .collect::<Vec<_>>()
            };
            Ok(ShowPage {
                leads: by_role("lead"),
                followers: by_role("follower"),
                threads: threads_about(conn, &ids)?,
                toolkits: toolkits_from(conn, &ids)?,
                solution,
            })
        })
        .await?;
    let title = match page.lang {
        Lang::En => view.solution.name_en.clone(),
        Lang::Nl => view.solution.name.clone(),
    };
    state.renderer.page(&page, "solutions/show", &title, &view)
}

/// The latest discussions about these projects.
fn threads_about(conn: &mut DbConnection, project_ids: &[i32]) -> AppResult<Vec<Titled>> {
    use crate::db::schema::threads;
    let keys: Vec<String> = project_ids.iter().map(i32::to_string).collect();
    Ok(threads::table
        .filter(threads::about_kind.eq("project"))
        .filter(threads::about_key.eq_any(keys))
        .order(threads::last_post_at.desc())
        .limit(10)
        .select((threads::id, threads::title))
        .load(conn)?)
}

/// The toolkits that came from these projects.
fn toolkits_from(conn: &mut DbConnection, project_ids: &[i32]) -> AppResult<Vec<Titled>> {
    use crate::db::schema::{toolkit_projects, toolkits};
    Ok(toolkits::table
        .inner_join(toolkit_projects::table)
        .filter(toolkit_projects::project_id.eq_any(project_ids))
        .select((toolkits::id, toolkits::title))
        .distinct()
        .order(toolkits::title)
        .load(conn)?)
}

/// An editor's decision as posted from a project page.
#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    solution: String,
    #[serde(default)]
    decision: String,
}

/// `POST /projecten/{id}/oplossingen`: confirm or reject one of the project's solutions
/// (confirming one nobody suggested adds it).
pub async fn decide(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
    crate::auth::csrf::Form(form): crate::auth::csrf::Form<DecisionForm>,
) -> AppResult<HttpResponse> {
    let id = crate::projects::parse_id(&id)?;
    let status = match form.decision.as_str() {
        "confirm" => LinkStatus::Confirmed,
        "reject" => LinkStatus::Rejected,
        _ => {
            return Err(AppError::bad_request(
                "invalid_decision",
                "decision must be confirm or reject",
            ))
        }
    };
    let project = state.db.run(move |conn| Project::find(conn, id)).await?;
    let user_id = authorize(
        &page.visitor,
        Action::DecideSolutions {
            city_id: project.city_id,
        },
    )?
    .id;
    let slug = form.solution.trim().to_owned();
    if slug.is_empty() {
        return Err(AppError::bad_request(
            "invalid_solution",
            "choose a solution",
        ));
    }
    state
        .db
        .run(move |conn| {
            let solution = match Solution::find_by_slug(conn, &slug) {
                Err(AppError::NotFound { .. }) => Err(AppError::bad_request(
                    "invalid_solution",
                    format!("there is no solution {slug}"),
                )),
                found => found,
            }?;
            model::decide(conn, id, solution.id, status, user_id)
        })
        .await?;
    state.committed(crate::jobs::Signal::Changes);
    Ok(see_other(&format!(
        "{}#solutions-heading",
        crate::projects::view::project_url(id)
    )))
}
