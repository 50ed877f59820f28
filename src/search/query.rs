//! From what a person typed to a tantivy query: the words are analyzed like the
//! documents, thesaurus concepts add their other terms, long words also match inside
//! compounds (trigrams) and compounds by their parts (decompounding against the corpus
//! vocabulary), and typos get a fuzzy second try. The text never reaches a query
//! parser, so no character has a special meaning.

use std::collections::{BTreeMap, BTreeSet};

use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::Term;

use super::analysis::{self, Profile};
use super::index::Fields;
use super::thesaurus::{Concept, Thesaurus};

/// Field weights: a word in the title says more than one in the description.
pub const TITLE_BOOST: f32 = 2.0;
pub const BODY_BOOST: f32 = 1.0;
pub const CONTEXT_BOOST: f32 = 0.3;
/// Thesaurus alternatives count a little less than the words typed.
const SYNONYM_WEIGHT: f32 = 1.0;
/// Concepts borrowed from the best hits (feedback) widen the tail of the list only.
const FEEDBACK_WEIGHT: f32 = 0.3;
/// Score added per word or concept of the query a document matches ("most words
/// matched first"); large enough that BM25 only orders documents matching as many.
const MATCHED_CLAUSE_BONUS: f32 = 30.0;
/// Words in more than this share of the documents do not earn that bonus.
const COORDINATION_MAX_SHARE: f64 = 0.05;
/// Compound matching by trigrams is a hint, not a match.
const TRIGRAM_BOOST: f32 = 0.4;
/// A compound's parts found apart ("beheer van het groen" for "groenbeheer").
const COMPOUND_PARTS_BOOST: f32 = 0.6;
/// Share of a word's trigrams a document must contain.
const TRIGRAM_SHARE: f32 = 0.7;
/// Longest query text considered; the rest is ignored rather than refused.
pub const MAX_QUERY_CHARS: usize = 500;

/// One word of the query: as typed (folded) and as the index stores it (stemmed);
/// stop words have no stem.
#[derive(Clone, Debug)]
pub struct QueryWord {
    pub folded: String,
    pub stem: Option<String>,
}

/// Splits and analyzes the query text.
pub fn words(text: &str, profile: Profile) -> Vec<QueryWord> {
    let text: String = text
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_QUERY_CHARS)
        .collect();
    let mut folded = match profile {
        Profile::Dutch => analysis::folded_analyzer(),
        Profile::Baseline => analysis::default_analyzer(),
    };
    let mut stemmer = analysis::words_analyzer();
    analysis::tokens(&mut folded, &text)
        .into_iter()
        .map(|word| {
            let stem = match profile {
                Profile::Dutch => analysis::tokens(&mut stemmer, &word).into_iter().next(),
                Profile::Baseline => Some(word.clone()),
            };
            QueryWord { folded: word, stem }
        })
        .collect()
}

fn term_query(field: Field, text: &str, boost: f32) -> Box<dyn Query> {
    let query = TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    );
    Box::new(BoostQuery::new(Box::new(query), boost))
}

/// A (possibly multi-word) term in the text fields, weighted by field.
fn text_query(fields: &Fields, tokens: &[String], weight: f32) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for (field, boost, positions) in [
        (fields.title, TITLE_BOOST, true),
        (fields.body, BODY_BOOST, true),
        (fields.context, CONTEXT_BOOST, false),
    ] {
        let query = match tokens {
            [single] => term_query(field, single, boost * weight),
            many if positions => Box::new(BoostQuery::new(
                Box::new(PhraseQuery::new(
                    many.iter()
                        .map(|t| Term::from_field_text(field, t))
                        .collect(),
                )),
                boost * weight,
            )),
            _ => continue,
        };
        clauses.push((Occur::Should, query));
    }
    Box::new(BooleanQuery::new(clauses))
}

fn trigrams(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    let mut grams: Vec<String> = chars.windows(3).map(|w| w.iter().collect()).collect();
    grams.sort_unstable();
    grams.dedup();
    grams
}

/// Matches a long word inside compounds: most of its trigrams must occur.
fn trigram_query(fields: &Fields, word: &str) -> Option<Box<dyn Query>> {
    if word.chars().count() < 6 {
        return None;
    }
    let grams = trigrams(word);
    let required = ((grams.len() as f32) * TRIGRAM_SHARE).ceil() as usize;
    let clauses = grams
        .iter()
        .map(|g| (Occur::Should, term_query(fields.trigrams, g, 1.0)))
        .collect();
    let query = BooleanQuery::with_minimum_required_clauses(clauses, required.max(1));
    Some(Box::new(BoostQuery::new(Box::new(query), TRIGRAM_BOOST)))
}

/// How the words become a query.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub profile: Profile,
    /// Match long words inside compounds (trigrams) and compounds by their parts.
    pub compounds: bool,
    /// Also match words within a small edit distance (the second try).
    pub fuzzy: bool,
    /// Documents in the index, to tell common words from distinctive ones.
    pub documents: u64,
}

/// How often a folded word occurs in the indexed texts (document frequency).
pub type Vocabulary<'a> = &'a dyn Fn(&str) -> u64;

/// Splits a long word into two words the corpus knows, allowing the Dutch linking
/// letters (-s-, -e-, -en-) after the first part: "fietsstromen" → fiets + stromen,
/// "gezondheidsdata" → gezondheid + data. Of several splits, the one whose rarer part is
/// most common wins.
pub fn split_compound(word: &str, vocabulary: Vocabulary) -> Option<(String, String)> {
    let chars: Vec<char> = word.chars().collect();
    if chars.len() < 8 {
        return None;
    }
    let mut best: Option<(u64, String, String)> = None;
    for at in 3..=chars.len() - 3 {
        let right: String = chars[at..].iter().collect();
        let right_count = vocabulary(&right);
        if right_count == 0 {
            continue;
        }
        let left: String = chars[..at].iter().collect();
        let lefts = [
            Some(left.as_str()),
            left.strip_suffix('s'),
            left.strip_suffix("en"),
            left.strip_suffix('e'),
        ];
        for candidate in lefts
            .into_iter()
            .flatten()
            .filter(|l| l.chars().count() >= 3)
        {
            let score = vocabulary(candidate).min(right_count);
            if score > 0 && best.as_ref().is_none_or(|(b, _, _)| score > *b) {
                best = Some((score, candidate.to_owned(), right.clone()));
            }
        }
    }
    best.map(|(_, left, right)| (left, right))
}

/// Both parts of a compound, each in the title or the description.
fn parts_query(fields: &Fields, parts: [&str; 2]) -> Option<Box<dyn Query>> {
    let mut stemmer = analysis::words_analyzer();
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for part in parts {
        let stem = analysis::tokens(&mut stemmer, part).into_iter().next()?;
        let either = BooleanQuery::new(vec![
            (Occur::Should, term_query(fields.title, &stem, TITLE_BOOST)),
            (Occur::Should, term_query(fields.body, &stem, BODY_BOOST)),
        ]);
        clauses.push((Occur::Must, Box::new(either)));
    }
    Some(Box::new(BoostQuery::new(
        Box::new(BooleanQuery::new(clauses)),
        COMPOUND_PARTS_BOOST,
    )))
}

/// The scoring part of a search: one clause per word or thesaurus concept, any of which
/// may match; documents matching more of them score higher. `None` when nothing
/// searchable was typed.
pub fn text_clauses(
    fields: &Fields,
    options: Options,
    thesaurus: &Thesaurus,
    words: &[QueryWord],
    vocabulary: Vocabulary,
) -> Option<Box<dyn Query>> {
    let Options {
        profile,
        compounds,
        fuzzy,
        documents,
    } = options;
    let stems: Vec<String> = words.iter().filter_map(|w| w.stem.clone()).collect();
    let matches = match profile {
        Profile::Dutch => thesaurus.matches(&stems),
        Profile::Baseline => Vec::new(),
    };
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    // Which clauses count toward "most matched first": concepts, and words that are not
    // common (a common word matched says little about what was asked).
    let mut coordinated: Vec<bool> = Vec::new();
    let common = (documents as f64 * COORDINATION_MAX_SHARE) as u64;
    let mut covered = vec![false; stems.len()];
    for m in &matches {
        let typed = &stems[m.start..m.start + m.len];
        let mut alternatives: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Should, text_query(fields, typed, 1.0))];
        for term in m.concept.terms.iter().filter(|t| t.as_slice() != typed) {
            alternatives.push((Occur::Should, text_query(fields, term, SYNONYM_WEIGHT)));
        }
        clauses.push((Occur::Should, Box::new(BooleanQuery::new(alternatives))));
        coordinated.push(true);
        covered[m.start..m.start + m.len]
            .iter_mut()
            .for_each(|c| *c = true);
    }
    let mut stem_index = 0;
    for word in words {
        let Some(stem) = &word.stem else { continue };
        let in_concept = covered[stem_index];
        stem_index += 1;
        if in_concept {
            continue;
        }
        let mut alternatives: Vec<(Occur, Box<dyn Query>)> = vec![(
            Occur::Should,
            text_query(fields, std::slice::from_ref(stem), 1.0),
        )];
        if profile == Profile::Dutch && compounds {
            if let Some(q) = trigram_query(fields, &word.folded) {
                alternatives.push((Occur::Should, q));
            }
            let parts = split_compound(&word.folded, vocabulary);
            if let Some(q) = parts.and_then(|(l, r)| parts_query(fields, [&l, &r])) {
                alternatives.push((Occur::Should, q));
            }
        }
        if fuzzy && stem.chars().count() >= 4 {
            let distance = if stem.chars().count() >= 8 { 2 } else { 1 };
            for (field, boost) in [(fields.title, TITLE_BOOST), (fields.body, BODY_BOOST)] {
                let q = FuzzyTermQuery::new(Term::from_field_text(field, stem), distance, true);
                alternatives.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(q), 0.5 * boost)),
                ));
            }
        }
        clauses.push((Occur::Should, Box::new(BooleanQuery::new(alternatives))));
        coordinated.push(vocabulary(&word.folded) <= common);
    }
    // Documents that match more of what was asked come first, however often a single
    // word occurs elsewhere: each matched clause adds a bonus larger than word weights.
    if clauses.len() > 1 {
        let bonuses: Vec<(Occur, Box<dyn Query>)> = clauses
            .iter()
            .zip(&coordinated)
            .filter(|(_, counts)| **counts)
            .map(|((_, clause), _)| {
                let bonus = ConstScoreQuery::new(clause.box_clone(), MATCHED_CLAUSE_BONUS);
                (Occur::Should, Box::new(bonus) as Box<dyn Query>)
            })
            .collect();
        clauses.extend(bonuses);
    }
    // A title that is the query, word for word, is what was looked for: it comes before
    // projects that match the same words spread over a long description.
    let stems: Vec<&String> = words.iter().filter_map(|w| w.stem.as_ref()).collect();
    if stems.len() > 1 {
        let phrase = PhraseQuery::new(
            stems
                .iter()
                .map(|s| Term::from_field_text(fields.title, s))
                .collect(),
        );
        clauses.push((
            Occur::Should,
            Box::new(ConstScoreQuery::new(Box::new(phrase), MATCHED_CLAUSE_BONUS)),
        ));
    }
    (!clauses.is_empty()).then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>)
}

/// Pseudo-relevance feedback: the thesaurus concepts that the best hits share (or that
/// the single best hit has, when it stands alone), minus those the query already names,
/// as low-weight extra clauses. "Snuffelfiets" then also brings the other air-quality
/// projects, ranked after the ones that say Snuffelfiets.
pub fn feedback_clauses(
    fields: &Fields,
    thesaurus: &Thesaurus,
    words: &[QueryWord],
    best_hits: &[String],
    common: &dyn Fn(&Concept) -> bool,
) -> Option<Box<dyn Query>> {
    let stems: Vec<String> = words.iter().filter_map(|w| w.stem.clone()).collect();
    let mut analyzer = analysis::words_analyzer();
    let hits: Vec<Vec<String>> = best_hits
        .iter()
        .map(|text| analysis::tokens(&mut analyzer, text))
        .collect();
    let clauses: Vec<(Occur, Box<dyn Query>)> = feedback_concepts(thesaurus, &stems, &hits)
        .into_iter()
        .filter(|c| !common(c))
        .flat_map(|concept| concept.terms.iter())
        .map(|term| (Occur::Should, text_query(fields, term, FEEDBACK_WEIGHT)))
        .collect();
    (!clauses.is_empty()).then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>)
}

/// The concepts feedback borrows for a query (its stems) from its best hits (their
/// tokens): shared by two of them (one when it stands alone), not named by the query,
/// and, when the query names concepts, listed in the same section of the thesaurus as
/// one of those. Which hits are best is what one new document changes, so "shared" can
/// tip either way; the thesaurus no document changes. A new parking pilot that mentions
/// its LoRaWAN network thus cannot bring every LoRa network to "slim parkeren" (a share
/// of the query's matches could not stop that: "smart parking" matches four projects).
pub fn feedback_concepts<'a>(
    thesaurus: &'a Thesaurus,
    stems: &[String],
    best_hits: &[Vec<String>],
) -> Vec<&'a Concept> {
    let named: Vec<&str> = thesaurus
        .matches(stems)
        .iter()
        .map(|m| m.concept.id.as_str())
        .collect();
    let related = |concept: &Concept| {
        named.is_empty() || named.iter().any(|n| thesaurus.related(n, &concept.id))
    };
    let mut counts: BTreeMap<&str, (usize, &Concept)> = BTreeMap::new();
    for tokens in best_hits {
        let mut seen = BTreeSet::new();
        for m in thesaurus.matches(tokens) {
            if seen.insert(m.concept.id.as_str()) {
                counts
                    .entry(m.concept.id.as_str())
                    .or_insert((0, m.concept))
                    .0 += 1;
            }
        }
    }
    let needed = if best_hits.len() == 1 { 1 } else { 2 };
    counts
        .into_values()
        .filter(|(n, c)| *n >= needed && !named.contains(&c.id.as_str()) && related(c))
        .map(|(_, concept)| concept)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{feedback_concepts, split_compound};
    use crate::search::analysis;
    use crate::search::thesaurus::Thesaurus;

    const THESAURUS: &str = "concept\tterms\tlabel_nl\tlabel_en\tnote\n\
        # --- Smart Mobility\n\
        parking-sensor\tparkeersensor | slim parkeren\tslim parkeren\tsmart parking\t\n\
        parking-guidance\tparkeerverwijzing | vrije parkeerplaats\tparkeerverwijzing\tparking guidance\t\n\
        # --- Smart Governance\n\
        lora\tlora | lorawan\tLoRa\tLoRa\t\n";

    fn tokens(text: &str) -> Vec<String> {
        analysis::tokens(&mut analysis::words_analyzer(), text)
    }

    /// The ids feedback borrows for `query` from hits of these texts.
    fn borrowed(query: &str, hits: &[&str]) -> Vec<String> {
        let thesaurus = Thesaurus::parse(THESAURUS, &mut analysis::words_analyzer());
        let hits: Vec<Vec<String>> = hits.iter().map(|h| tokens(h)).collect();
        feedback_concepts(&thesaurus, &tokens(query), &hits)
            .into_iter()
            .map(|c| c.id.clone())
            .collect()
    }

    #[test]
    fn feedback_borrows_only_concepts_related_to_the_query() {
        let hits = [
            "Slim parkeren: sensoren melden via LoRaWAN waar een vrije parkeerplaats is.",
            "Parkeersensoren op het LoRa-netwerk tonen de vrije parkeerplaats in een app.",
        ];
        assert_eq!(borrowed("slim parkeren", &hits), ["parking-guidance"]);
    }

    #[test]
    fn one_more_hit_naming_an_unrelated_concept_changes_nothing() {
        let before = [
            "Parkeersensoren op het LoRa-netwerk.",
            "Parkeerverwijzing naar de vrije parkeerplaats.",
            "Slim parkeren in de binnenstad.",
        ];
        let mut after = before.to_vec();
        after.insert(0, "Slim parkeren: sensoren melden het via LoRaWAN.");
        assert!(borrowed("slim parkeren", &before).is_empty());
        assert!(borrowed("slim parkeren", &after).is_empty());
    }

    #[test]
    fn a_query_naming_no_concept_borrows_what_its_hits_share() {
        let hits = ["De snuffelfiets op LoRa.", "Snuffelfiets meet via LoRaWAN."];
        assert_eq!(borrowed("snuffelfiets", &hits), ["lora"]);
        assert_eq!(borrowed("snuffelfiets", &hits[..1]), ["lora"]);
    }

    fn known(word: &str) -> u64 {
        match word {
            "fiets" | "stromen" | "gezondheid" | "data" | "groen" | "beheer" => 5,
            _ => 0,
        }
    }

    #[test]
    fn compounds_split_into_known_words_with_linking_letters() {
        let split = |w| split_compound(w, &known);
        assert_eq!(
            split("fietsstromen"),
            Some(("fiets".into(), "stromen".into()))
        );
        assert_eq!(
            split("gezondheidsdata"),
            Some(("gezondheid".into(), "data".into()))
        );
        assert_eq!(
            split("groenbeheer"),
            Some(("groen".into(), "beheer".into()))
        );
        assert_eq!(split("onbekendwoord"), None);
        assert_eq!(split("fiets"), None);
    }
}
