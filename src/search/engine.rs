//! Running a search: the query with its filters, total, facet counts, highlighted
//! snippets, the fuzzy second try and "bedoelde u" suggestions.

use std::collections::BTreeMap;
use std::sync::Arc;

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
use crate::error::{AppError, AppResult};
use crate::projects::model::{CityRef, Stage};
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
    pub index: SearchIndex,
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

impl Search {
    pub fn new(index: SearchIndex, thesaurus: impl Into<Arc<Thesaurus>>) -> Self {
        Search {
            index,
            thesaurus: thesaurus.into(),
            compounds: true,
            feedback: true,
            facet_tables: FacetTables::default(),
        }
    }

    pub fn search(&self, request: &SearchRequest) -> AppResult<SearchResults> {
        let kind = match request.kind {
            Some(KindFilter::NotYetIndexed) => return Ok(SearchResults::default()),
            Some(KindFilter::Kind(kind)) => Some(kind),
            None => None,
        };
        let fields = &self.index.fields;
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

        let words = query::words(&request.text, self.index.profile);
        let searcher = self.index.reader.searcher();
        let build = |fuzzy: bool| {
            let options = query::Options {
                profile: self.index.profile,
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
            if self.feedback && !fuzzy && self.index.profile == Profile::Dutch {
                if let Some(widened) = self.with_feedback(&searcher, &*chosen, &best, &words)? {
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
            let stored = self.index.stored(&doc);
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
        searcher: &tantivy::Searcher,
        query: &dyn Query,
        best: &[(tantivy::Score, tantivy::DocAddress)],
        words: &[query::QueryWord],
    ) -> AppResult<Option<Box<dyn Query>>> {
        let error = |e: tantivy::TantivyError| AppError::Internal(format!("search failed: {e}"));
        let mut texts = Vec::with_capacity(best.len());
        for &(_, address) in best {
            let doc: TantivyDocument = searcher.doc(address).map_err(error)?;
            let stored = self.index.stored(&doc);
            texts.push(format!("{} {}", stored.title, stored.body));
        }
        // A concept found in many documents says little about what the hits share.
        let fields = &self.index.fields;
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
