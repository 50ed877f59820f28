//! Running a search: the request and its results, and the engine that answers it. A
//! search builds its text query (`matching`: fuzzy second try, feedback), narrows it by
//! the chosen facets and counts them (`filters`, `facets`), assembles the hits with their
//! snippets (`hits`) and adds "bedoelde u" suggestions (`suggest`). A damaged index on
//! disk is rebuilt from the database while the server runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, TermSetQuery};

use super::documents::DocKind;
use super::facets::FacetTables;
use super::filters::{narrowed, Filters};
use super::hits;
use super::index::SearchIndex;
use super::query;
use super::suggest;
use super::thesaurus::Thesaurus;
use crate::cities::model::CityRef;
use crate::db::Database;
use crate::error::{AppError, AppResult};
use crate::projects::currency::CurrencyFilter;
use crate::projects::model::Stage;
use crate::themes::Theme;

#[derive(Clone, Debug, Default)]
pub struct SearchRequest {
    pub text: String,
    pub kind: Option<DocKind>,
    pub theme: Option<Theme>,
    pub city: Option<String>,
    pub stage: Option<Stage>,
    pub currency: Option<CurrencyFilter>,
    pub limit: usize,
    pub offset: usize,
}

impl SearchRequest {
    /// Whether any filter is chosen (type, theme, city, stage or currency).
    pub fn filtered(&self) -> bool {
        self.kind.is_some()
            || self.theme.is_some()
            || self.city.is_some()
            || self.stage.is_some()
            || self.currency.is_some()
    }
}

#[derive(Serialize, Clone, Debug)]
pub struct Hit {
    #[serde(rename = "type")]
    pub kind: DocKind,
    pub id: i32,
    pub title: String,
    pub url: String,
    /// HTML: the text escaped, matches wrapped in `<mark>`.
    pub snippet: String,
    pub score: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<CityRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theme: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
}

/// Counts per value of each facet, over all hits of the query with its filters; a
/// filtered theme, city or stage counts without its own filter, so its other values stay
/// on offer with what switching to them finds.
#[derive(Serialize, Clone, Debug, Default)]
pub struct Facets {
    #[serde(rename = "type")]
    pub kind: BTreeMap<String, u64>,
    pub theme: BTreeMap<String, u64>,
    pub city: BTreeMap<String, u64>,
    pub stage: BTreeMap<String, u64>,
    /// Projects by how current they are today (`confirmed`, `stale`, `archived`);
    /// counted without a chosen currency, like a chosen theme.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub currency: BTreeMap<String, u64>,
}

#[derive(Serialize, Clone, Debug, Default)]
pub struct SearchResults {
    pub total: usize,
    pub results: Vec<Hit>,
    pub facets: Facets,
    /// A corrected query when words were not found ("bedoelde u …").
    pub suggestion: Option<String>,
    /// Whether typo tolerance was needed to find these results.
    pub fuzzy: bool,
}

/// The search engine: an index and the thesaurus applied to its queries.
pub struct Search {
    /// Replaced as a whole when a damaged index is rebuilt ([`Search::search`]).
    current: RwLock<Arc<SearchIndex>>,
    /// Where an on-disk index lives and what it is rebuilt from; `None` in memory.
    store: Option<Store>,
    pub thesaurus: Arc<Thesaurus>,
    /// Whether long query words also match inside compounds (trigrams) and by their
    /// parts (decompounding); off only to measure what it brings.
    pub compounds: bool,
    /// Whether concepts of the best hits widen the rest of the list; off only to measure.
    pub feedback: bool,
    facet_tables: FacetTables,
}

/// An on-disk index's directory and database, for rebuilding it when it turns out
/// damaged while the server runs.
struct Store {
    dir: PathBuf,
    db: Database,
    /// One rebuild at a time; searches that hit the damage meanwhile wait for it.
    healing: Mutex<()>,
    rebuilding: AtomicBool,
}

impl Search {
    pub fn new(index: SearchIndex, thesaurus: impl Into<Arc<Thesaurus>>) -> Self {
        Search {
            current: RwLock::new(Arc::new(index)),
            store: None,
            thesaurus: thesaurus.into(),
            compounds: true,
            feedback: true,
            facet_tables: FacetTables::default(),
        }
    }

    /// An engine over the index in `dir`, which it rebuilds from `db` when a search
    /// finds it damaged.
    pub fn on_disk(
        index: SearchIndex,
        thesaurus: impl Into<Arc<Thesaurus>>,
        dir: PathBuf,
        db: Database,
    ) -> Self {
        Search {
            store: Some(Store {
                dir,
                db,
                healing: Mutex::new(()),
                rebuilding: AtomicBool::new(false),
            }),
            ..Search::new(index, thesaurus)
        }
    }

    /// The index searches and the indexer use now.
    pub fn index(&self) -> Arc<SearchIndex> {
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Whether a damaged index is being rebuilt (the health check reports it).
    pub fn rebuilding(&self) -> bool {
        self.store
            .as_ref()
            .is_some_and(|s| s.rebuilding.load(Ordering::Acquire))
    }

    /// Runs a search. An index damaged on disk (a file deleted or overwritten under the
    /// running server) makes tantivy fail or panic; the search then rebuilds the index
    /// from the database and answers from the new one, instead of failing for good.
    pub fn search(&self, request: &SearchRequest) -> AppResult<SearchResults> {
        let index = self.index();
        let why = match guarded(|| self.search_in(&index, request)) {
            Ok(results) => return Ok(results),
            Err(why) => why,
        };
        let Some(store) = &self.store else {
            return Err(AppError::Internal(why));
        };
        tracing::error!(%why, "search failed on the index; rebuilding it from the database");
        self.heal(store, &index)?;
        guarded(|| self.search_in(&self.index(), request)).map_err(|why| {
            tracing::error!(%why, "search failed again on the rebuilt index");
            AppError::Unavailable("search is being repaired; try again in a moment".into())
        })
    }

    /// Replaces `damaged` by an index rebuilt from the database, unless another search
    /// did so already. The new index is built beside the old one and moved into place.
    fn heal(&self, store: &Store, damaged: &Arc<SearchIndex>) -> AppResult<()> {
        let _one_at_a_time = store.healing.lock().unwrap_or_else(|e| e.into_inner());
        if !Arc::ptr_eq(&self.index(), damaged) {
            return Ok(());
        }
        store.rebuilding.store(true, Ordering::Release);
        let result = self.rebuild_on_disk(store, damaged);
        store.rebuilding.store(false, Ordering::Release);
        result
    }

    fn rebuild_on_disk(&self, store: &Store, damaged: &SearchIndex) -> AppResult<()> {
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            AppError::Unavailable(format!("search index rebuild: {what}: {e}"))
        };
        let fresh_dir = sibling(&store.dir, "rebuilding");
        let old_dir = sibling(&store.dir, "damaged");
        for dir in [&fresh_dir, &old_dir] {
            if dir.exists() {
                std::fs::remove_dir_all(dir).map_err(|e| fail("clear", &e))?;
            }
        }
        {
            let (fresh, _) = SearchIndex::open_in_dir(&fresh_dir, self.index().profile)
                .map_err(|e| fail("create", &e))?;
            let mut conn = store.db.connection()?;
            let count = super::indexer::fill(&mut conn, &fresh)?;
            fresh.close();
            tracing::info!(documents = count, "search index rebuilt");
        }
        // Nothing may write to the old index again: its directory is about to hold the
        // new one.
        damaged.close();
        std::fs::rename(&store.dir, &old_dir).map_err(|e| fail("move aside", &e))?;
        std::fs::rename(&fresh_dir, &store.dir).map_err(|e| fail("move into place", &e))?;
        let (index, _) =
            SearchIndex::open_in_dir(&store.dir, damaged.profile).map_err(|e| fail("open", &e))?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(index);
        // Searches still holding the old index keep its files mapped until they finish.
        let _ = std::fs::remove_dir_all(&old_dir);
        Ok(())
    }

    /// Verifies the index on disk and rebuilds it when its files are damaged; run now
    /// and then by the index watchdog job, so corruption that makes searches quietly
    /// wrong (rather than fail) is repaired too.
    pub fn check(&self) -> AppResult<()> {
        let Some(store) = &self.store else {
            return Ok(());
        };
        let index = self.index();
        if let Err(why) = index.verify() {
            tracing::error!(%why, "search index damaged on disk; rebuilding it from the database");
            self.heal(store, &index)?;
        }
        Ok(())
    }

    /// Of the records `among`, those the search `request` finds (words, typo tolerance
    /// and filters as on the search page), best first, at most `request.limit`: what is
    /// new for a saved search is what it finds among the records changed since.
    pub fn found_among(
        &self,
        request: &SearchRequest,
        among: &[(DocKind, i32)],
    ) -> AppResult<Vec<Hit>> {
        if among.is_empty() {
            return Ok(Vec::new());
        }
        let index = self.index();
        guarded(|| {
            let searcher = index.reader.searcher();
            let Some(built) = self.build_query(&index, &searcher, request)? else {
                return Ok(Vec::new());
            };
            let keys = among
                .iter()
                .map(|&(kind, id)| super::index::key_term(&index.fields, kind, id));
            let only: Box<dyn Query> = Box::new(TermSetQuery::new(keys));
            let query = BooleanQuery::new(vec![
                (Occur::Must, Box::new(built.query) as Box<dyn Query>),
                (Occur::Must, only),
            ]);
            let top = TopDocs::with_limit(request.limit.max(1)).order_by_score();
            let found = searcher.search(&query, &top).map_err(search_failed)?;
            hits::assemble(&index, &searcher, &query, found)
        })
        .map_err(AppError::Internal)
    }

    /// The query of `request`: its words (exact, or with typo tolerance when that finds
    /// more) narrowed by its filters; `None` when it has neither words nor filters.
    fn build_query<'r>(
        &self,
        index: &SearchIndex,
        searcher: &tantivy::Searcher,
        request: &'r SearchRequest,
    ) -> AppResult<Option<BuiltQuery<'r>>> {
        let filters = Filters::new(
            index.fields,
            [
                request.kind.map(|k| k.slug()),
                request.theme.map(|t| t.slug()),
                request.city.as_deref(),
                request.stage.map(|s| s.slug()),
            ],
            request.currency,
            crate::projects::currency::today(),
        );
        let all_filters = filters.but(None);
        let words = query::words(&request.text, index.profile);
        let (text, fuzzy) = self.text_query(index, searcher, &words)?;
        let scoring: Box<dyn Query> = match text {
            Some(text) => text,
            // Only filters: browse everything that passes them.
            None if !all_filters.is_empty() => Box::new(AllQuery),
            None => return Ok(None),
        };
        let query = narrowed(&*scoring, all_filters);
        Ok(Some(BuiltQuery {
            filters,
            words,
            scoring,
            query,
            fuzzy,
        }))
    }

    fn search_in(&self, index: &SearchIndex, request: &SearchRequest) -> AppResult<SearchResults> {
        let searcher = index.reader.searcher();
        let Some(BuiltQuery {
            filters,
            words,
            scoring,
            query,
            fuzzy,
        }) = self.build_query(index, &searcher, request)?
        else {
            return Ok(SearchResults::default());
        };
        let fields = &index.fields;

        self.facet_tables.retain_segments_of(&searcher);
        let top = TopDocs::with_limit(request.limit.max(1))
            .and_offset(request.offset)
            .order_by_score();
        let (top_docs, total, mut facet_counts) = searcher
            .search(&query, &(top, Count, self.facet_tables.counter("facets")))
            .map_err(search_failed)?;
        filters
            .recount_chosen(&searcher, &self.facet_tables, &*scoring, &mut facet_counts)
            .map_err(search_failed)?;

        let results = hits::assemble(index, &searcher, &query, top_docs)?;

        let [kind, theme, city, stage] = facet_counts;
        // Only projects have a currency: not counted when the search is for others.
        let currency = match request.kind {
            None | Some(DocKind::Project) => filters
                .count_currencies(&searcher, &*scoring)
                .map_err(search_failed)?,
            Some(_) => BTreeMap::new(),
        };
        let facets = Facets {
            kind,
            theme,
            city,
            stage,
            currency,
        };
        // "Bedoelde u" only when the search found little and the suggestion, with the
        // same filters, finds more; never for a place outside the G40 ("amsterdam" is
        // not a typo of "amersfoort").
        let suggestion = match suggest::did_you_mean(&searcher, fields, &words) {
            Some(suggested)
                if total < suggest::FOUND_LITTLE
                    && super::places::outside_g40(&request.text).is_none() =>
            {
                let request = SearchRequest {
                    text: suggested.clone(),
                    ..request.clone()
                };
                let finds = match self.build_query(index, &searcher, &request)? {
                    Some(built) => searcher
                        .search(&built.query, &Count)
                        .map_err(search_failed)?,
                    None => 0,
                };
                (finds > total).then_some(suggested)
            }
            _ => None,
        };
        Ok(SearchResults {
            total,
            results,
            facets,
            suggestion,
            fuzzy,
        })
    }
}

/// A request made into a query, with what the rest of the search needs of it.
struct BuiltQuery<'r> {
    filters: Filters<'r>,
    words: Vec<query::QueryWord>,
    /// The words alone, which facet counts narrow again.
    scoring: Box<dyn Query>,
    /// The words narrowed by every filter.
    query: BooleanQuery,
    fuzzy: bool,
}

/// A search step that failed inside tantivy.
pub(super) fn search_failed(e: tantivy::TantivyError) -> AppError {
    AppError::Internal(format!("search failed: {e}"))
}

/// Runs a search step, turning a panic inside tantivy (which a damaged file can cause)
/// into an error like any other failure.
fn guarded<T>(step: impl FnOnce() -> AppResult<T>) -> Result<T, String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(step)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(e.to_string()),
        Err(panic) => Err(panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "tantivy panicked".to_owned())),
    }
}

/// `dir` with `.suffix` appended: a directory beside it.
fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let mut name = dir.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}
