//! Search that understands Dutch (and English): a tantivy index over projects and
//! cities (`documents` is the one place that lists what is indexed), Dutch analysis
//! (`analysis`), the smart-city thesaurus (`thesaurus`), query building (`query`),
//! execution (`engine`: which documents match in `matching`, facet filters and counts in
//! `filters` and `facets`, snippets in `hits`, suggestions in `suggest`), and the indexer
//! that keeps the index in step with the database by following the change log
//! (`indexer`).

pub mod analysis;
pub mod api;
pub mod documents;
pub mod engine;
pub mod facets;
mod filters;
mod hits;
pub mod index;
pub mod indexer;
mod matching;
pub mod pages;
pub mod places;
pub mod query;
pub mod scope;
pub mod suggest;
pub mod thesaurus;

use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

pub use engine::{Search, SearchRequest, SearchResults};
pub use indexer::IndexFollower;

use crate::cities::model::City;
use crate::db::Database;
use crate::error::{AppError, AppResult};
use crate::text::slugify;
use crate::web::params;
use analysis::Profile;
use index::{OpenError, SearchIndex};

/// Opens the index in `dir` — building it from the database when it is new, of another
/// schema version, or fails its checks (files missing or damaged) — and returns the
/// engine with the follower that keeps it current (catch it up, then run it as a job).
pub fn open(
    dir: &Path,
    db: &Database,
    thesaurus: Arc<thesaurus::Thesaurus>,
) -> Result<(Arc<Search>, Arc<IndexFollower>), String> {
    for leftover in ["rebuilding", "damaged"] {
        let mut path = dir.as_os_str().to_owned();
        path.push(format!(".{leftover}"));
        let _ = std::fs::remove_dir_all(path);
    }
    let (index, fresh) = match SearchIndex::open_in_dir(dir, Profile::Dutch) {
        Err(OpenError::Broken(why)) => {
            // Derived data: a damaged index is thrown away and rebuilt from the database.
            tracing::warn!(%why, "search index unusable; rebuilding it");
            std::fs::remove_dir_all(dir)
                .map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
            let (index, _) =
                SearchIndex::open_in_dir(dir, Profile::Dutch).map_err(|e| e.to_string())?;
            (index, true)
        }
        other => other.map_err(|e| e.to_string())?,
    };
    let search = Arc::new(Search::on_disk(
        index,
        thesaurus,
        dir.to_owned(),
        db.clone(),
    ));
    let follower = Arc::new(IndexFollower::new(Arc::clone(&search)));
    if fresh {
        let mut conn = db.connection().map_err(|e| e.to_string())?;
        crate::jobs::follow::Follower::rebuild(&*follower, &mut conn).map_err(|e| e.to_string())?;
    }
    Ok((search, follower))
}

/// The index for a command that runs beside the server or instead of it (`digest`):
/// when a server holds the index, read as that server keeps it current; otherwise
/// opened as the server opens it and caught up with the database first.
pub fn open_for_command(
    dir: &Path,
    db: &Database,
    thesaurus: Arc<thesaurus::Thesaurus>,
    instance: &str,
) -> Result<Arc<Search>, String> {
    match SearchIndex::open_in_dir(dir, Profile::Dutch) {
        Err(OpenError::Locked) => {
            let index =
                SearchIndex::open_read_only(dir, Profile::Dutch).map_err(|e| e.to_string())?;
            Ok(Arc::new(Search::new(index, thesaurus)))
        }
        // `open` handles a new or broken index; this one only looked.
        looked => {
            drop(looked);
            let (search, follower) = open(dir, db, thesaurus)?;
            crate::jobs::follow::FollowJob::new(follower, db.clone(), instance)
                .catch_up()
                .map_err(|e| e.to_string())?;
            Ok(search)
        }
    }
}

/// Rebuilds the index in `dir` from scratch (`stadsmaat reindex`).
pub fn reindex(dir: &Path, db: &Database) -> Result<usize, String> {
    let (index, _) = SearchIndex::open_in_dir(dir, Profile::Dutch).map_err(|e| e.to_string())?;
    let mut conn = db.connection().map_err(|e| e.to_string())?;
    indexer::fill(&mut conn, &index).map_err(|e| e.to_string())
}

/// Runs a search off the async workers (tantivy searches are blocking work). An unknown
/// city is a mistake to point out, as the project list does, not a search that finds
/// nothing.
pub async fn run(
    db: &Database,
    search: &Arc<Search>,
    request: SearchRequest,
) -> AppResult<SearchResults> {
    if let Some(slug) = request.city.clone() {
        db.run(move |conn| City::id_for_filter(conn, &slug)).await?;
    }
    let search = Arc::clone(search);
    actix_web::web::block(move || search.search(&request))
        .await
        .map_err(|_| AppError::Internal("search worker stopped".into()))?
}

impl crate::web::Probe for Search {
    fn degraded(&self) -> Option<String> {
        self.rebuilding()
            .then(|| "search index rebuilding".to_owned())
    }
}

/// The search parameters as the query string gives them, for the page and the API.
#[derive(Deserialize, Debug, Default, Clone)]
pub struct SearchParams {
    pub q: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub theme: Option<String>,
    pub city: Option<String>,
    pub stage: Option<String>,
    pub currency: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
    pub page: Option<String>,
}

/// Deepest result a client may page to; beyond it results are not meaningful.
const MAX_OFFSET: i64 = 10_000;

impl SearchParams {
    /// The words and filters as query-string pairs, for links that keep or change them.
    pub fn words_and_filters(&self) -> [(&'static str, Option<&str>); 6] {
        [
            ("q", self.q.as_deref()),
            ("type", self.kind.as_deref()),
            ("theme", self.theme.as_deref()),
            ("city", self.city.as_deref()),
            ("stage", self.stage.as_deref()),
            ("currency", self.currency.as_deref()),
        ]
    }

    /// Validates the parameters; `per_page` is used when paging by `page` (the web page)
    /// instead of `limit`/`offset` (the API).
    pub fn request(&self, per_page: Option<i64>) -> AppResult<SearchRequest> {
        let city = match self
            .city
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            Some(city) if slugify(city) == city => Some(city.to_owned()),
            Some(city) => {
                return Err(AppError::bad_request(
                    "invalid_city",
                    format!("city must be a city slug such as \"apeldoorn\", got {city:?}"),
                ))
            }
            None => None,
        };
        let (limit, offset) = match per_page {
            Some(per_page) => {
                let paging = params::paging(self.page.as_deref(), None, per_page)?;
                (paging.per_page, paging.offset().min(MAX_OFFSET))
            }
            None => (
                params::whole_number("limit", self.limit.as_deref(), 10, 1, params::MAX_PER_PAGE)?,
                params::whole_number("offset", self.offset.as_deref(), 0, 0, MAX_OFFSET)?,
            ),
        };
        Ok(SearchRequest {
            text: self.q.clone().unwrap_or_default(),
            kind: params::optional(self.kind.as_deref())?,
            theme: params::optional(self.theme.as_deref())?,
            city,
            stage: params::optional(self.stage.as_deref())?,
            currency: params::optional(self.currency.as_deref())?,
            limit: usize::try_from(limit).unwrap_or(10),
            offset: usize::try_from(offset).unwrap_or(0),
        })
    }
}

/// `/api/v1/search`
pub fn api_routes(cfg: &mut actix_web::web::ServiceConfig) {
    use crate::web::get;
    cfg.service(actix_web::web::resource("/search").route(get().to(api::search)));
}

/// `/zoeken`
pub fn page_routes(cfg: &mut actix_web::web::ServiceConfig) {
    use crate::web::get;
    cfg.service(actix_web::web::resource("/zoeken").route(get().to(pages::show_search)));
}
