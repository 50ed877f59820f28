//! `/zoeken`: the search page with facets to narrow down, highlighted snippets,
//! "bedoelde u" and paging; plain links and a plain form, no script needed.

use std::collections::{BTreeMap, HashMap};

use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::documents::DocKind;
use super::engine::{Hit, Search, SearchRequest, SearchResults};
use super::SearchParams;
use crate::cities::model::City;
use crate::error::AppResult;
use crate::follows::pages::FollowButton;
use crate::follows::saved_search;
use crate::projects::view::ProjectMarks;
use crate::themes::Theme;
use crate::web::pagination::Pagination;
use crate::web::pagination::Paging;
use crate::web::render::PageRequest;
use crate::web::AppState;

const PER_PAGE: i64 = 10;

/// One value of a facet, with the link that applies (or removes) it.
#[derive(Serialize)]
struct FacetValue {
    value: String,
    /// Shown instead of the translated value (city names).
    label: Option<String>,
    count: u64,
    url: String,
    active: bool,
}

#[derive(Serialize)]
struct FacetGroup {
    name: &'static str,
    values: Vec<FacetValue>,
}

#[derive(Serialize)]
struct SearchPage {
    query: String,
    searched: bool,
    total: usize,
    results: Vec<HitView>,
    facets: Vec<FacetGroup>,
    suggestion: Option<(String, String)>,
    fuzzy: bool,
    pagination: Pagination,
    filters_active: bool,
    /// The same words without any filter.
    clear_url: String,
    /// For a signed-in member: follow this search, or stop following it.
    follow: Option<FollowSearch>,
    /// A place the query names that is not a G40 city.
    place_outside_g40: Option<&'static str>,
    /// What to try when nothing was found.
    no_results: Option<NoResults>,
}

/// Ways on from a search that found nothing. (Several words are matched as any of
/// them, so fewer words cannot find more; dropping the filters can.)
#[derive(Serialize)]
struct NoResults {
    /// What the words find without the filters, when filters were chosen.
    without_filters: Option<usize>,
    /// The themes, to browse instead.
    themes: Vec<&'static str>,
}

/// What the words of `request` find without its filters.
async fn found_without_filters(
    state: &AppState,
    search: &web::Data<Search>,
    request: &SearchRequest,
) -> AppResult<usize> {
    let request = SearchRequest {
        text: request.text.clone(),
        limit: 0,
        ..SearchRequest::default()
    };
    Ok(super::run(&state.db, search, request).await?.total)
}

/// A hit as the page shows it: a project with how current it is and whether archived
/// (read from the database, so a "Klopt nog" shows at once).
#[derive(Serialize)]
struct HitView {
    #[serde(flatten)]
    hit: Hit,
    marks: Option<ProjectMarks>,
}

/// Following the search on the page: the hidden fields that save it, or, once saved and
/// followed, the button that stops it.
#[derive(Serialize)]
struct FollowSearch {
    fields: Vec<(&'static str, String)>,
    following: Option<FollowButton>,
}

/// The follow form of the search in `params` for `user_id`; none for a search that
/// cannot be saved (nothing to look for).
async fn follow_search(
    state: &AppState,
    user_id: i32,
    params: &SearchParams,
    back: String,
) -> AppResult<Option<FollowSearch>> {
    let Ok(canonical) = saved_search::canonical(params) else {
        return Ok(None);
    };
    let fields = params
        .words_and_filters()
        .into_iter()
        .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k, v.to_owned())))
        .collect();
    let saved = state
        .db
        .run(move |conn| saved_search::find(conn, user_id, &canonical))
        .await?;
    Ok(Some(FollowSearch {
        fields,
        following: saved.map(|saved| FollowButton {
            subject: saved.following().code(),
            following: true,
            back,
        }),
    }))
}

fn url_with(params: &SearchParams, change: (&str, Option<&str>)) -> String {
    let pairs: Vec<(&str, &str)> = params
        .words_and_filters()
        .into_iter()
        .map(|(k, v)| if k == change.0 { (k, change.1) } else { (k, v) })
        .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k, v)))
        .collect();
    match serde_urlencoded::to_string(&pairs) {
        Ok(q) if !q.is_empty() => format!("/zoeken?{q}"),
        _ => "/zoeken".to_owned(),
    }
}

pub async fn show_search(
    state: web::Data<AppState>,
    search: web::Data<Search>,
    page: PageRequest,
    params: web::Query<SearchParams>,
) -> AppResult<HttpResponse> {
    let params = params.into_inner();
    let request = params.request(Some(PER_PAGE))?;
    let searched = !request.text.trim().is_empty() || request.filtered();
    let paging = Paging {
        page: (request.offset as i64) / PER_PAGE + 1,
        per_page: PER_PAGE,
    };
    let results = if searched {
        super::run(&state.db, &search, request.clone()).await?
    } else {
        SearchResults::default()
    };
    let project_ids: Vec<i32> = results
        .results
        .iter()
        .filter(|h| h.kind == DocKind::Project)
        .map(|h| h.id)
        .collect();
    let (city_names, mut marks) = state
        .db
        .run(move |conn| {
            let cities = City::all(conn)?;
            let by_id: HashMap<i32, String> =
                cities.iter().map(|c| (c.id, c.name.clone())).collect();
            let marks = ProjectMarks::load(conn, &project_ids, &by_id)?;
            let by_slug: HashMap<String, String> =
                cities.into_iter().map(|c| (c.slug, c.name)).collect();
            Ok((by_slug, marks))
        })
        .await?;
    let facet =
        |name: &'static str, key: &str, counts: &BTreeMap<String, u64>, current: Option<&str>| {
            let mut values: Vec<FacetValue> = counts
                .iter()
                .map(|(value, &count)| {
                    let active = current == Some(value.as_str());
                    FacetValue {
                        url: url_with(&params, (key, if active { None } else { Some(value) })),
                        label: match key {
                            "city" => Some(
                                city_names
                                    .get(value)
                                    .cloned()
                                    .unwrap_or_else(|| value.clone()),
                            ),
                            "currency" => Some(
                                state
                                    .renderer
                                    .text(page.lang, &format!("currency.filter.{value}"))
                                    .to_owned(),
                            ),
                            _ => None,
                        },
                        value: value.clone(),
                        count,
                        active,
                    }
                })
                .collect();
            values.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
            FacetGroup { name, values }
        };
    let facets = vec![
        facet("type", "type", &results.facets.kind, params.kind.as_deref()),
        facet(
            "theme",
            "theme",
            &results.facets.theme,
            params.theme.as_deref(),
        ),
        facet(
            "stage",
            "stage",
            &results.facets.stage,
            params.stage.as_deref(),
        ),
        facet("city", "city", &results.facets.city, params.city.as_deref()),
        facet(
            "currency",
            "currency",
            &results.facets.currency,
            params.currency.as_deref(),
        ),
    ];
    let follow = match (&page.visitor.user, searched) {
        (Some(user), true) => follow_search(&state, user.id, &params, page.path.clone()).await?,
        _ => None,
    };
    let query = params.q.clone().unwrap_or_default();
    let base_params: Vec<(&str, &str)> = params
        .words_and_filters()
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
    let no_results = if searched && results.total == 0 {
        Some(NoResults {
            without_filters: match request.filtered() && !request.text.trim().is_empty() {
                true => Some(found_without_filters(&state, &search, &request).await?),
                false => None,
            },
            themes: Theme::ALL.iter().map(|t| t.slug()).collect(),
        })
    } else {
        None
    };
    let view = SearchPage {
        place_outside_g40: super::places::outside_g40(&query),
        no_results,
        pagination: Pagination::new("/zoeken", &base_params, paging, results.total as i64)?,
        suggestion: results
            .suggestion
            .clone()
            .map(|s| (url_with(&params, ("q", Some(&s))), s)),
        filters_active: params.kind.is_some()
            || params.theme.is_some()
            || params.city.is_some()
            || params.stage.is_some()
            || params.currency.is_some(),
        clear_url: match serde_urlencoded::to_string([("q", query.as_str())]) {
            Ok(q) if !query.is_empty() => format!("/zoeken?{q}"),
            _ => "/zoeken".to_owned(),
        },
        follow,
        query,
        searched,
        total: results.total,
        fuzzy: results.fuzzy,
        results: results
            .results
            .into_iter()
            .map(|hit| HitView {
                marks: (hit.kind == DocKind::Project)
                    .then(|| marks.remove(&hit.id))
                    .flatten(),
                hit,
            })
            .collect(),
        facets,
    };
    let title = state.renderer.text(page.lang, "search.title").to_owned();
    state.renderer.page(&page, "search/results", &title, &view)
}
