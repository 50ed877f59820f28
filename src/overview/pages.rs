//! `/` (home), `/wie-doet-wat` (matrix) and `/over` (about the data).

use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde::Serialize;

use crate::cities::model::City;
use crate::cities::model::CityRef;
use crate::db::schema::inventory_imports;
use crate::error::AppResult;
use crate::inventory::Source;
use crate::projects::currency::CurrencyFilter;
use crate::projects::model::{Project, ProjectFilter, ThemeCounts};
use crate::projects::view::ProjectView;
use crate::themes::model::{BottleneckCategory, ThemeDefinition};
use crate::themes::Theme;
use crate::web::render::PageRequest;
use crate::web::AppState;

#[derive(Serialize)]
struct ThemeCount {
    theme: &'static str,
    count: i64,
    /// Width of the bar in percent of the largest theme.
    bar: i64,
}

#[derive(Serialize)]
struct HomePage {
    /// Searches to try, in the page's language (`home.examples`).
    examples: Vec<SearchExample>,
    city_count: usize,
    project_count: i64,
    themes: Vec<ThemeCount>,
    newest: Vec<ProjectView>,
}

#[derive(Serialize)]
struct SearchExample {
    text: String,
    /// The text as a query string value.
    query: String,
}

fn search_examples(state: &AppState, page: &PageRequest) -> Vec<SearchExample> {
    state
        .renderer
        .text(page.lang, "home.examples")
        .split(" | ")
        .map(|text| SearchExample {
            query: percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
            text: text.to_owned(),
        })
        .collect()
}

pub async fn show_home(state: web::Data<AppState>, page: PageRequest) -> AppResult<HttpResponse> {
    let examples = search_examples(&state, &page);
    let view = state
        .db
        .run(|conn| {
            let counts = ThemeCounts::load(conn)?;
            let per_theme = counts.per_theme();
            let max = per_theme.iter().copied().max().unwrap_or(0).max(1);
            let newest = Project::newest(conn, 6)?;
            let cities = CityRef::for_projects(conn, &newest)?;
            Ok(HomePage {
                examples,
                city_count: City::all(conn)?.len(),
                project_count: counts.total(),
                themes: Theme::ALL
                    .iter()
                    .map(|t| ThemeCount {
                        theme: t.slug(),
                        count: per_theme[t.index()],
                        bar: per_theme[t.index()] * 100 / max,
                    })
                    .collect(),
                newest: ProjectView::many(newest, &cities),
            })
        })
        .await?;
    let title = state.renderer.text(page.lang, "home.title").to_owned();
    state.renderer.page(&page, "overview/home", &title, &view)
}

#[derive(Serialize)]
struct MatrixCell {
    count: i64,
    /// 0–4: how dark the cell is drawn, relative to the busiest cell.
    level: i64,
    url: String,
}

#[derive(Serialize)]
struct MatrixRow {
    slug: String,
    name: String,
    url: String,
    cells: Vec<MatrixCell>,
    total: i64,
}

#[derive(Serialize)]
struct MatrixPage {
    themes: Vec<&'static str>,
    rows: Vec<MatrixRow>,
    totals: Vec<i64>,
    total: i64,
    /// Beside the themes, who does what per named solution, most cities first.
    solutions: Vec<MatrixSolution>,
}

#[derive(Serialize)]
struct MatrixSolution {
    #[serde(flatten)]
    solution: crate::solutions::view::SolutionView,
    project_count: usize,
}

pub async fn show_matrix(state: web::Data<AppState>, page: PageRequest) -> AppResult<HttpResponse> {
    let lang = page.lang;
    let view = state
        .db
        .run(move |conn| {
            let counts = ThemeCounts::load(conn)?;
            let cities = City::all(conn)?;
            let busiest = cities
                .iter()
                .flat_map(|c| counts.for_city(c.id))
                .max()
                .unwrap_or(0)
                .max(1);
            let rows = cities
                .iter()
                .map(|city| {
                    let row = counts.for_city(city.id);
                    MatrixRow {
                        slug: city.slug.clone(),
                        name: city.name.clone(),
                        url: crate::cities::view::city_url(&city.slug),
                        cells: Theme::ALL
                            .iter()
                            .map(|t| {
                                let count = row[t.index()];
                                MatrixCell {
                                    count,
                                    // Any project at all is level 1, so a 1 never looks empty.
                                    level: if count == 0 {
                                        0
                                    } else {
                                        1 + count * 3 / busiest
                                    },
                                    url: format!(
                                        "/projecten?city={}&theme={}",
                                        city.slug,
                                        t.slug()
                                    ),
                                }
                            })
                            .collect(),
                        total: row.iter().sum(),
                    }
                })
                .collect();
            Ok(MatrixPage {
                themes: Theme::ALL.iter().map(|t| t.slug()).collect(),
                rows,
                totals: counts.per_theme().to_vec(),
                total: counts.total(),
                solutions: crate::solutions::pages::all_views(conn, lang)?
                    .into_iter()
                    .filter(|s| !s.cities.is_empty())
                    .map(|solution| MatrixSolution {
                        project_count: solution.projects.len(),
                        solution,
                    })
                    .collect(),
            })
        })
        .await?;
    let title = state.renderer.text(page.lang, "matrix.title").to_owned();
    state.renderer.page(&page, "overview/matrix", &title, &view)
}

#[derive(Serialize)]
struct Definition {
    name: String,
    definition: String,
}

#[derive(Serialize)]
struct ImportRow {
    source: String,
    source_updated: String,
    cities: i32,
    projects_created: i32,
    projects_updated: i32,
    imported_at: String,
}

#[derive(Serialize)]
struct AboutPage {
    source_title: String,
    publisher: String,
    updated: String,
    city_count: usize,
    /// Projects the report listed (the first import), not what the platform holds now.
    report_projects: usize,
    /// Projects now confirmed within the year, possibly outdated and archived.
    confirmed: i64,
    stale: i64,
    archived: i64,
    themes: Vec<Definition>,
    categories: Vec<Definition>,
    imports: Vec<ImportRow>,
}

pub async fn show_about(
    state: web::Data<AppState>,
    source: web::Data<Source>,
    page: PageRequest,
) -> AppResult<HttpResponse> {
    let (themes, categories, imports, [confirmed, stale, archived]) = state
        .db
        .run(|conn| {
            let imports = inventory_imports::table
                .order(inventory_imports::id.desc())
                .limit(20)
                .select((
                    inventory_imports::source,
                    inventory_imports::source_updated,
                    inventory_imports::cities,
                    inventory_imports::projects_created,
                    inventory_imports::projects_updated,
                    inventory_imports::imported_at,
                ))
                .load::<(String, String, i32, i32, i32, chrono::NaiveDateTime)>(conn)?;
            let mut counts = [0; 3];
            for (count, currency) in counts.iter_mut().zip([
                CurrencyFilter::Confirmed,
                CurrencyFilter::Stale,
                CurrencyFilter::Archived,
            ]) {
                let filter = ProjectFilter {
                    currency: Some(currency),
                    ..ProjectFilter::default()
                };
                *count = Project::count(conn, &filter)?;
            }
            Ok((
                ThemeDefinition::all(conn)?,
                BottleneckCategory::all(conn)?,
                imports,
                counts,
            ))
        })
        .await?;
    let view = AboutPage {
        source_title: source.title.clone(),
        publisher: source.publisher.clone(),
        updated: source.updated.clone(),
        city_count: source.city_count,
        report_projects: source.project_count,
        confirmed,
        stale,
        archived,
        themes: themes
            .into_iter()
            .map(|t| Definition {
                name: t.name,
                definition: t.definition,
            })
            .collect(),
        categories: categories
            .into_iter()
            .map(|c| Definition {
                name: c.name,
                definition: c.definition,
            })
            .collect(),
        imports: imports
            .into_iter()
            .map(
                |(source, source_updated, cities, created, updated, at)| ImportRow {
                    source,
                    source_updated,
                    cities,
                    projects_created: created,
                    projects_updated: updated,
                    imported_at: at.format("%Y-%m-%d %H:%M").to_string(),
                },
            )
            .collect(),
    };
    let title = state.renderer.text(page.lang, "about.title").to_owned();
    state.renderer.page(&page, "overview/about", &title, &view)
}
