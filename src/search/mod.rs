//! Search that understands Dutch (and English): a tantivy index over projects and
//! cities (`documents` is the one place that lists what is indexed), Dutch analysis
//! (`analysis`), the smart-city thesaurus (`thesaurus`), query building (`query`),
//! execution with facets, snippets and suggestions (`engine`), and the indexer that
//! keeps the index in step with the database through a queue table (`queue`, `indexer`).

pub mod analysis;
pub mod api;
pub mod documents;
pub mod engine;
pub mod facets;
pub mod index;
pub mod indexer;
pub mod pages;
pub mod query;
pub mod queue;
pub mod suggest;
pub mod thesaurus;

use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

pub use engine::{Search, SearchRequest, SearchResults};
pub use indexer::{Follower, Indexer};

use crate::db::Database;
use crate::error::{AppError, AppResult};
use crate::text::slugify;
use crate::web::params;
use analysis::Profile;
use index::{OpenError, SearchIndex};

/// Opens the index in `dir`, brings it up to date with the database (a full rebuild if
/// it is new or of another schema version, else whatever the queue holds) and starts the
/// background indexer.
pub fn open(
    dir: &Path,
    db: &Database,
    thesaurus: Arc<thesaurus::Thesaurus>,
    followers: Vec<Arc<dyn Follower>>,
) -> Result<(Arc<Search>, Arc<Indexer>), String> {
    let (index, fresh) = match SearchIndex::open_in_dir(dir, Profile::Dutch) {
        Err(OpenError::Broken(why)) => {
            // Derived data: a damaged index is thrown away and rebuilt from the database.
            tracing::warn!(%why, "search index unusable; rebuilding it");
            std::fs::remove_dir_all(dir)
                .map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
            SearchIndex::open_in_dir(dir, Profile::Dutch).map_err(|e| e.to_string())?
        }
        other => other.map_err(|e| e.to_string())?,
    };
    let search = Arc::new(Search::new(index, thesaurus));
    let indexer = Indexer::new(Arc::clone(&search), db.clone(), followers);
    if fresh {
        let count = indexer.rebuild().map_err(|e| e.to_string())?;
        tracing::info!(documents = count, "search index built");
    } else {
        let count = indexer.drain().map_err(|e| e.to_string())?;
        tracing::info!(
            records = count,
            documents = search.index.num_docs(),
            "search index caught up"
        );
    }
    indexer
        .spawn()
        .map_err(|e| format!("cannot start the indexer: {e}"))?;
    Ok((search, indexer))
}

/// Rebuilds the index in `dir` from scratch (`stadsmaat reindex`).
pub fn reindex(dir: &Path, db: &Database) -> Result<usize, String> {
    let (index, _) = SearchIndex::open_in_dir(dir, Profile::Dutch).map_err(|e| e.to_string())?;
    let search = Arc::new(Search::new(index, thesaurus::Thesaurus::shipped()));
    Indexer::new(search, db.clone(), Vec::new())
        .rebuild()
        .map_err(|e| e.to_string())
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
    pub limit: Option<String>,
    pub offset: Option<String>,
    pub page: Option<String>,
}

/// Deepest result a client may page to; beyond it results are not meaningful.
const MAX_OFFSET: i64 = 10_000;

impl SearchParams {
    /// The words and filters as query-string pairs, for links that keep or change them.
    pub fn words_and_filters(&self) -> [(&'static str, Option<&str>); 5] {
        [
            ("q", self.q.as_deref()),
            ("type", self.kind.as_deref()),
            ("theme", self.theme.as_deref()),
            ("city", self.city.as_deref()),
            ("stage", self.stage.as_deref()),
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
            limit: usize::try_from(limit).unwrap_or(10),
            offset: usize::try_from(offset).unwrap_or(0),
        })
    }
}
