//! The smart-city thesaurus (`data/thesaurus.tsv`): concepts whose terms — synonyms,
//! abbreviations, Dutch and English — stand in for each other at query time, so
//! "slimme verkeerslichten" also finds "iVRI" and "Talking Traffic".

use std::collections::HashMap;

use tantivy::tokenizer::TextAnalyzer;

use super::analysis;
use crate::web::i18n::Bilingual;

const SHIPPED: &str = include_str!("../../data/thesaurus.tsv");
/// A line that starts a section (a G40 theme or part of one).
const SECTION: &str = "# --- ";

/// A concept's terms, each as the analyzer's tokens (a term may be several words).
#[derive(Debug, Clone)]
pub struct Concept {
    pub id: String,
    /// The first term as written: a stable key for ordering.
    pub label: String,
    /// What readers see: the concept's name on Dutch and English pages.
    pub name: Bilingual,
    pub terms: Vec<Vec<String>>,
}

#[derive(Debug, Default)]
pub struct Thesaurus {
    concepts: Vec<Concept>,
    /// First token of a term → (concept, term) pairs starting with it.
    by_first_token: HashMap<String, Vec<(usize, usize)>>,
    /// Concept id → the section of the file it is listed in (`# --- ` lines).
    sections: HashMap<String, usize>,
    /// Concept id → its place in `concepts`.
    by_id: HashMap<String, usize>,
}

/// A concept found in a query: which query tokens it covers and the concept itself.
#[derive(Debug, Clone)]
pub struct Match<'a> {
    pub start: usize,
    pub len: usize,
    pub concept: &'a Concept,
}

impl Thesaurus {
    pub fn shipped() -> Self {
        Self::parse(SHIPPED, &mut analysis::words_analyzer())
    }

    /// The shipped thesaurus, parsed once per process and shared by its readers
    /// (search, matchmaking, the solution linker).
    pub fn shared() -> std::sync::Arc<Self> {
        static SHARED: std::sync::OnceLock<std::sync::Arc<Thesaurus>> = std::sync::OnceLock::new();
        std::sync::Arc::clone(SHARED.get_or_init(|| std::sync::Arc::new(Thesaurus::shipped())))
    }

    /// Parses `concept<TAB>terms<TAB>label_nl<TAB>label_en<TAB>note` lines; terms are
    /// separated by " | ". Malformed lines are skipped: the thesaurus is curated data,
    /// checked by a test.
    pub fn parse(tsv: &str, analyzer: &mut TextAnalyzer) -> Self {
        let mut thesaurus = Thesaurus::default();
        let mut section = 0;
        for line in tsv.lines() {
            if line.starts_with(SECTION) {
                section += 1;
            } else if let Some((id, _)) = line.split_once('\t') {
                if !line.starts_with('#') {
                    thesaurus.sections.insert(id.trim().to_owned(), section);
                }
            }
        }
        for mut fields in crate::text::tsv_records(tsv) {
            let (Some(id), Some(terms), Some(nl), Some(en)) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            let label = terms
                .split('|')
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned();
            let terms: Vec<Vec<String>> = terms
                .split('|')
                .map(|t| analysis::tokens(analyzer, t.trim()))
                .filter(|t| !t.is_empty())
                .collect();
            if terms.len() < 2 {
                continue;
            }
            thesaurus.push(Concept {
                id: id.trim().to_owned(),
                label,
                name: Bilingual {
                    nl: nl.trim().to_owned(),
                    en: en.trim().to_owned(),
                },
                terms,
            });
        }
        thesaurus
    }

    /// A thesaurus of the given concepts (terms already analysed), for matching other
    /// curated term lists the same way (the solution catalogue).
    pub fn of(concepts: impl IntoIterator<Item = Concept>) -> Self {
        let mut thesaurus = Thesaurus::default();
        for concept in concepts {
            thesaurus.push(concept);
        }
        thesaurus
    }

    fn push(&mut self, concept: Concept) {
        let index = self.concepts.len();
        for (term_index, term) in concept.terms.iter().enumerate() {
            if let Some(first) = term.first() {
                self.by_first_token
                    .entry(first.clone())
                    .or_default()
                    .push((index, term_index));
            }
        }
        self.by_id.insert(concept.id.clone(), index);
        self.concepts.push(concept);
    }

    /// Whether two concepts are listed in one section of the file (one G40 theme, or a
    /// part of one): the concepts feedback may borrow for a query naming one of them.
    pub fn related(&self, a: &str, b: &str) -> bool {
        match (self.sections.get(a), self.sections.get(b)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }

    /// The concept with this id.
    pub fn concept(&self, id: &str) -> Option<&Concept> {
        self.by_id.get(id).map(|&i| &self.concepts[i])
    }

    pub fn len(&self) -> usize {
        self.concepts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.concepts.is_empty()
    }

    /// The concepts a tokenized query mentions, longest term first at each position;
    /// tokens inside a matched multi-word term are not matched again.
    pub fn matches(&self, tokens: &[String]) -> Vec<Match<'_>> {
        let mut found = Vec::new();
        let mut position = 0;
        while position < tokens.len() {
            let best = self
                .by_first_token
                .get(&tokens[position])
                .into_iter()
                .flatten()
                .filter_map(|&(concept, term)| {
                    let term = &self.concepts[concept].terms[term];
                    tokens[position..]
                        .starts_with(term)
                        .then_some((concept, term.len()))
                })
                .max_by_key(|&(_, len)| len);
            match best {
                Some((concept, len)) => {
                    found.push(Match {
                        start: position,
                        len,
                        concept: &self.concepts[concept],
                    });
                    position += len;
                }
                None => position += 1,
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every concept line of the shipped file is read, none is skipped as malformed, and
    /// each names its concept in both languages (pages never fall back to a term).
    #[test]
    fn every_shipped_concept_has_a_dutch_and_an_english_name() {
        let lines = crate::text::tsv_records(SHIPPED).count();
        let thesaurus = Thesaurus::shipped();
        assert_eq!(thesaurus.len(), lines);
        for concept in &thesaurus.concepts {
            assert!(!concept.name.nl.is_empty(), "{}", concept.id);
            assert!(!concept.name.en.is_empty(), "{}", concept.id);
        }
        let parking = thesaurus.concept("parking-sensor").expect("parking-sensor");
        assert_eq!(parking.name.en, "smart parking sensors");
    }
}
