//! Which documents a search's words match: the text query built from them, tried again
//! with typo tolerance when too few documents match, and widened with the concepts of
//! the best hits (feedback).

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query};
use tantivy::{Searcher, TantivyDocument, Term};

use super::analysis::Profile;
use super::engine::{search_failed, Search};
use super::index::SearchIndex;
use super::query;
use crate::error::AppResult;

/// Fewer hits than this and the search tries again with typo tolerance.
const FUZZY_BELOW: usize = 3;
/// How many of the best hits feedback reads.
const FEEDBACK_HITS: usize = 5;
/// Concepts in more than this share of the documents are too common for feedback.
const FEEDBACK_MAX_SHARE: f64 = 0.03;

impl Search {
    /// The text query of `words` (`None` without any), and whether typo tolerance was
    /// needed to find its documents.
    pub(super) fn text_query(
        &self,
        index: &SearchIndex,
        searcher: &Searcher,
        words: &[query::QueryWord],
    ) -> AppResult<(Option<Box<dyn Query>>, bool)> {
        let fields = &index.fields;
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
            query::text_clauses(fields, options, &self.thesaurus, words, &vocabulary)
        };
        // Which documents match is decided by the words alone (typo tolerance, feedback),
        // in cheap passes without filters; the filters then only narrow that set, so a
        // facet's count is exactly what choosing it yields.
        let first = |q: &dyn Query| {
            let best = TopDocs::with_limit(FEEDBACK_HITS).order_by_score();
            searcher.search(q, &(best, Count)).map_err(search_failed)
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
                    self.with_feedback(index, searcher, &*chosen, &best, words)?
                {
                    chosen = widened;
                }
            }
            text = Some(chosen);
        }
        Ok((text, fuzzy))
    }

    /// The query plus feedback clauses from its best hits, if they suggest any. Feedback
    /// only adds documents after the original matches, which keep their lead.
    fn with_feedback(
        &self,
        index: &SearchIndex,
        searcher: &Searcher,
        query: &dyn Query,
        best: &[(tantivy::Score, tantivy::DocAddress)],
        words: &[query::QueryWord],
    ) -> AppResult<Option<Box<dyn Query>>> {
        let mut texts = Vec::with_capacity(best.len());
        for &(_, address) in best {
            let doc: TantivyDocument = searcher.doc(address).map_err(search_failed)?;
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
