//! `/themas`: the six themes with the report's definitions, and one theme's projects
//! across all cities.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::model::ThemeDefinition;
use super::Theme;
use crate::cities::model::City;
use crate::error::{AppError, AppResult};
use crate::projects::model::{Project, ThemeCounts};
use crate::projects::view::ProjectView;
use crate::web::render::PageRequest;
use crate::web::AppState;

#[derive(Serialize)]
struct ThemeSummary {
    slug: String,
    name: String,
    definition: String,
    project_count: i64,
    city_count: usize,
}

fn summaries(
    defs: Vec<ThemeDefinition>,
    counts: &ThemeCounts,
    cities: &[City],
) -> Vec<ThemeSummary> {
    let per_theme = counts.per_theme();
    defs.into_iter()
        .filter_map(|d| {
            let theme: Theme = d.slug.parse().ok()?;
            Some(ThemeSummary {
                project_count: per_theme[theme.index()],
                city_count: cities
                    .iter()
                    .filter(|c| counts.for_city(c.id)[theme.index()] > 0)
                    .count(),
                slug: d.slug,
                name: d.name,
                definition: d.definition,
            })
        })
        .collect()
}

#[derive(Serialize)]
struct ThemeListPage {
    themes: Vec<ThemeSummary>,
}

pub async fn list_themes(state: web::Data<AppState>, page: PageRequest) -> AppResult<HttpResponse> {
    let themes = state
        .db
        .run(|conn| {
            Ok(summaries(
                ThemeDefinition::all(conn)?,
                &ThemeCounts::load(conn)?,
                &City::all(conn)?,
            ))
        })
        .await?;
    let title = state.renderer.text(page.lang, "themes.title").to_owned();
    state
        .renderer
        .page(&page, "themes/list", &title, &ThemeListPage { themes })
}

#[derive(Serialize)]
struct CityProjects {
    city_name: String,
    city_url: String,
    projects: Vec<ProjectView>,
}

#[derive(Serialize)]
struct ThemePage {
    theme: ThemeSummary,
    cities: Vec<CityProjects>,
    discussions: crate::forum::Discussions,
    follow: Option<crate::follows::pages::FollowButton>,
}

pub async fn show_theme(
    state: web::Data<AppState>,
    page: PageRequest,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let theme: Theme = slug
        .parse()
        .map_err(|_| AppError::not_found(format!("theme {:?}", slug.as_str())))?;
    let shared = state.clone().into_inner();
    let lang = page.lang;
    let user_id = page.visitor.user.as_ref().map(|u| u.id);
    let back = page.path.clone();
    let view = state
        .db
        .run(move |conn| {
            let cities = City::all(conn)?;
            let counts = ThemeCounts::load(conn)?;
            let summary = summaries(ThemeDefinition::all(conn)?, &counts, &cities)
                .into_iter()
                .find(|s| s.slug == theme.slug())
                .ok_or_else(|| AppError::not_found(format!("theme {theme}")))?;
            let projects = Project::of_theme(conn, theme)?;
            let groups = cities
                .iter()
                .map(|city| CityProjects {
                    city_name: city.name.clone(),
                    city_url: crate::cities::view::city_url(&city.slug),
                    projects: projects
                        .iter()
                        .filter(|p| p.city_id == city.id)
                        .map(|p| ProjectView::new(p.clone(), city.reference()))
                        .collect(),
                })
                .filter(|group| !group.projects.is_empty())
                .collect();
            let catalogs = shared.renderer.catalogs();
            let following =
                crate::follows::Following::new(crate::follows::Followed::Theme, theme.slug());
            Ok(ThemePage {
                theme: summary,
                cities: groups,
                discussions: crate::forum::Discussions::of_theme(conn, theme, catalogs, lang)?,
                follow: crate::follows::pages::FollowButton::load(
                    conn, user_id, &following, &back,
                )?,
            })
        })
        .await?;
    let title = view.theme.name.clone();
    state.renderer.page(&page, "themes/show", &title, &view)
}
