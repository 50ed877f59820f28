//! Running a search: the query with its filters, total, facet counts, highlighted
//! snippets, the fuzzy second try and "bedoelde u" suggestions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{Facet, IndexRecordOption};
use tantivy::snippet::SnippetGenerator;
use tantivy::{TantivyDocument, Term};

use super::analysis::Profile;
use super::documents::{DocKind, KindFilter};
use super::facets::{FacetTables, DIMENSIONS};
use super::index::SearchIndex;
use super::query;
use super::suggest;
use super::thesaurus::Thesaurus;
use crate::cities::model::CityRef;
use crate::db::Database;
use crate::error::{AppError, AppResult};
use crate::projects::model::Stage;
use crate::text::escape_html;
use crate::themes::Theme;

/// Fewer hits than this and the search tries again with typo tolerance.
const FUZZY_BELOW: usize = 3;
const SNIPPET_CHARS: usize = 220;

#[derive(Clone, Debug, Default)]
pub struct SearchRequest {
    pub text: String,
    pub kind: Option<KindFilter>,
    pub theme: Option<Theme>,
    pub city: Option<String>,
    pub stage: Option<Stage>,
    pub limit: usize,
    pub offset: usize,
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

/// How many of the best hits feedback reads.
const FEEDBACK_HITS: usize = 5;
/// Concepts in more than this share of the documents are too common for feedback.
const FEEDBACK_MAX_SHARE: f64 = 0.03;

fn facet_filter(
    field: tantivy::schema::Field,
    dimension: &str,
    value: &str,
) -> (Occur, Box<dyn Query>) {
    let term = Term::from_facet(field, &Facet::from_path([dimension, value]));
    (
        Occur::Must,
        Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
    )
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

    fn search_in(&self, index: &SearchIndex, request: &SearchRequest) -> AppResult<SearchResults> {
        let kind = match request.kind {
            Some(KindFilter::NotYetIndexed) => return Ok(SearchResults::default()),
            Some(KindFilter::Kind(kind)) => Some(kind),
            None => None,
        };
        let fields = &index.fields;
        // One optional value per dimension of `facets::DIMENSIONS`, in that order.
        let chosen: [Option<&str>; 4] = [
            kind.map(|k| k.slug()),
            request.theme.map(|t| t.slug()),
            request.city.as_deref(),
            request.stage.map(|s| s.slug()),
        ];
        // The filters, leaving out the dimension `except`.
        let filters_but = |except: Option<usize>| -> Vec<(Occur, Box<dyn Query>)> {
            chosen
                .iter()
                .enumerate()
                .filter(|&(d, _)| Some(d) != except)
                .filter_map(|(d, value)| {
                    value.map(|v| facet_filter(fields.facets, DIMENSIONS[d], v))
                })
                .collect()
        };
        let filters = filters_but(None);

        let words = query::words(&request.text, index.profile);
        let searcher = index.reader.searcher();
        let build = |fuzzy: bool| {
            let options = query::Options {
                profile: index.profile,
                compounds: self.compounds,
                fuzzy,
                documents: searcher.num_docs(),
            };
            let vocabulary = |word: &str| {
                searcher
                    .doc_freq(&Term::from_field_text(fields.words, word))
                    .unwrap_or(0)
            };
            query::text_clauses(fields, options, &self.thesaurus, &words, &vocabulary)
        };
        let error = |e: tantivy::TantivyError| AppError::Internal(format!("search failed: {e}"));
        // Which documents match is decided by the words alone (typo tolerance, feedback),
        // in cheap passes without filters; the filters then only narrow that set, so a
        // facet's count is exactly what choosing it yields.
        let first = |q: &dyn Query| {
            let best = TopDocs::with_limit(FEEDBACK_HITS).order_by_score();
            searcher.search(q, &(best, Count)).map_err(error)
        };
        let mut fuzzy = false;
        let mut text = build(false);
        if let Some(exact_query) = text.take() {
            let (mut best, exact) = first(&*exact_query)?;
            let mut chosen = exact_query;
            if exact < FUZZY_BELOW {
                if let Some(fuzzy_query) = build(true) {
                    let (fuzzy_best, n) = first(&*fuzzy_query)?;
                    if n > exact {
                        (chosen, best, fuzzy) = (fuzzy_query, fuzzy_best, true);
                    }
                }
            }
            if self.feedback && !fuzzy && index.profile == Profile::Dutch {
                if let Some(widened) =
                    self.with_feedback(index, &searcher, &*chosen, &best, &words)?
                {
                    chosen = widened;
                }
            }
            text = Some(chosen);
        }
        let scoring: Box<dyn Query> = match text {
            Some(text) => text,
            // Only filters: browse everything that passes them.
            None if !filters.is_empty() => Box::new(AllQuery),
            None => return Ok(SearchResults::default()),
        };
        let filtered = |filters: Vec<(Occur, Box<dyn Query>)>| {
            let mut clauses: Vec<(Occur, Box<dyn Query>)> =
                vec![(Occur::Must, scoring.box_clone())];
            clauses.extend(filters);
            BooleanQuery::new(clauses)
        };
        let query = filtered(filters);

        self.facet_tables.retain_segments_of(&searcher);
        let top = TopDocs::with_limit(request.limit.max(1))
            .and_offset(request.offset)
            .order_by_score();
        let (top_docs, total, mut facet_counts) = searcher
            .search(&query, &(top, Count, self.facet_tables.counter("facets")))
            .map_err(error)?;
        // A chosen theme, city or stage counts its values without its own filter, so the
        // other themes (say) stay on offer, each with what switching to it would find.
        // Each costs a second pass over the hits (p50 +45 % at 100,000 projects), so the
        // type, which nearly every search of the site sets, keeps its plain count.
        for (dimension, value) in chosen.iter().enumerate() {
            if value.is_some() && DIMENSIONS[dimension] != "type" {
                let counts = searcher
                    .search(
                        &filtered(filters_but(Some(dimension))),
                        &self.facet_tables.counter("facets"),
                    )
                    .map_err(error)?;
                facet_counts[dimension] = counts[dimension].clone();
            }
        }

        let mut snippets =
            SnippetGenerator::create(&searcher, &query, fields.body).map_err(error)?;
        snippets.set_max_num_chars(SNIPPET_CHARS);
        let mut results = Vec::with_capacity(top_docs.len());
        for (score, address) in top_docs {
            let doc: TantivyDocument = searcher.doc(address).map_err(error)?;
            let snippet = snippets.snippet_from_doc(&doc);
            let stored = index.stored(&doc);
            results.push(Hit {
                snippet: render_snippet(&snippet, &stored.body),
                kind: stored.kind,
                id: stored.id,
                title: stored.title,
                url: stored.url,
                score,
                source_ref: stored.source_ref,
                city: stored.city,
                theme: stored.theme,
                stage: stored.stage,
            });
        }

        let [kind, theme, city, stage] = facet_counts;
        let facets = Facets {
            kind,
            theme,
            city,
            stage,
        };
        let suggestion = suggest::did_you_mean(&searcher, fields, &words);
        Ok(SearchResults {
            total,
            results,
            facets,
            suggestion,
            fuzzy,
        })
    }
}

impl Search {
    /// The query plus feedback clauses from its best hits, if they suggest any. Feedback
    /// only adds documents after the original matches, which keep their lead.
    fn with_feedback(
        &self,
        index: &SearchIndex,
        searcher: &tantivy::Searcher,
        query: &dyn Query,
        best: &[(tantivy::Score, tantivy::DocAddress)],
        words: &[query::QueryWord],
    ) -> AppResult<Option<Box<dyn Query>>> {
        let error = |e: tantivy::TantivyError| AppError::Internal(format!("search failed: {e}"));
        let mut texts = Vec::with_capacity(best.len());
        for &(_, address) in best {
            let doc: TantivyDocument = searcher.doc(address).map_err(error)?;
            let stored = index.stored(&doc);
            texts.push(format!("{} {}", stored.title, stored.body));
        }
        // A concept found in many documents says little about what the hits share.
        let fields = &index.fields;
        let limit = (searcher.num_docs() as f64 * FEEDBACK_MAX_SHARE) as u64;
        let common = |concept: &super::thesaurus::Concept| {
            concept.terms.iter().any(|term| {
                let [single] = term.as_slice() else {
                    return false;
                };
                searcher
                    .doc_freq(&Term::from_field_text(fields.body, single))
                    .unwrap_or(0)
                    > limit
            })
        };
        let extra = query::feedback_clauses(fields, &self.thesaurus, words, &texts, &common);
        Ok(extra.map(|extra| {
            Box::new(BooleanQuery::new(vec![
                (Occur::Should, query.box_clone()),
                (Occur::Should, extra),
            ])) as Box<dyn Query>
        }))
    }
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

/// The snippet as HTML: escaped text with the matched words in `<mark>`. Without a match
/// in the text, its beginning.
fn render_snippet(snippet: &tantivy::snippet::Snippet, body: &str) -> String {
    let fragment = snippet.fragment();
    if snippet.highlighted().is_empty() || fragment.is_empty() {
        let mut start: String = body.chars().take(SNIPPET_CHARS).collect();
        if start.len() < body.len() {
            start.push('…');
        }
        return escape_html(&start);
    }
    let mut html = String::new();
    let mut at = 0;
    for range in snippet.highlighted() {
        if range.start < at || range.end > fragment.len() {
            continue;
        }
        html.push_str(&escape_html(&fragment[at..range.start]));
        html.push_str("<mark>");
        html.push_str(&escape_html(&fragment[range.clone()]));
        html.push_str("</mark>");
        at = range.end;
    }
    html.push_str(&escape_html(&fragment[at..]));
    html
}
