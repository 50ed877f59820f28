//! What a text says a project is, versus what it only mentions: words in the scope of a
//! negation ("Er komen geen camera's") are not about the project at all, and what follows
//! a relation phrase ("levert input voor Talking Traffic", "in samenwerking met",
//! "net als") is something the project is connected with, not what it is.
//!
//! Matchmaking reads it for what a project is about, the solution linker for which
//! solutions a project is.
//!
//! The stemmed words the network reads have lost their stop words ("geen", "met",
//! "voor"), so the phrases are found in the same text analyzed without stop words or
//! stemming, and carried over to the stemmed words by byte offset.

use std::ops::Range;

use tantivy::tokenizer::TextAnalyzer;

/// Phrases after which a text names what the project is related to, folded (lower case,
/// no diacritics) and split into words. Collected from the report's own wording and its
/// English equivalents; "zoals" (such as) is not one: it lists examples of the subject.
const RELATION_PHRASES: &[&str] = &[
    // Feeding another project or programme.
    "input voor",
    "input aan",
    "input for",
    "input to",
    "levert data aan",
    "levert gegevens aan",
    "feeds into",
    // Working together.
    "in samenwerking met",
    "samenwerking met",
    "samen met",
    "in cooperation with",
    "in collaboration with",
    "together with",
    // Like something else.
    "net als",
    "evenals",
    "naar voorbeeld van",
    "naar het voorbeeld van",
    "geinspireerd door",
    "geinspireerd op",
    "just like",
    "similar to",
    "inspired by",
    // Joining or belonging to something.
    "aansluiting op",
    "aansluiting bij",
    "aansluitend op",
    "aansluitend bij",
    "sluit aan op",
    "sluit aan bij",
    "aangesloten op",
    "aangesloten bij",
    "gekoppeld aan",
    "koppeling met",
    "onderdeel van",
    "maakt deel uit van",
    "in het kader van",
    "vervolg op",
    "voortbouwend op",
    "bouwt voort op",
    "met steun van",
    "gefinancierd door",
    "gefinancierd uit",
    "as part of",
    "is part of",
    "linked to",
    "in the context of",
    "building on",
    "funded by",
];

/// Words that negate what follows them.
const NEGATIONS: &[&str] = &[
    "geen", "zonder", "niet", "nooit", "no", "not", "without", "never",
];
/// Negations that also cover what comes before them when they end their clause: Dutch
/// puts "niet" before the final verb or adjective, so "Kenteken en gebruiker worden beide
/// niet bekend" negates the whole clause.
const CLAUSE_NEGATIONS: &[&str] = &["niet", "nooit", "not", "never"];
/// A negation is not one before these words ("niet alleen … maar ook", "not only").
const NOT_NEGATING_BEFORE: &[&str] = &["alleen", "enkel", "slechts", "only", "just"];
/// … nor after these ("al dan niet", "of niet", "wel/niet", "or not").
const NOT_NEGATING_AFTER: &[&str] = &["dan", "of", "wel", "or"];
/// Words that start a new clause: a negation does not reach past them ("geen camera's
/// maar sensoren").
const CLAUSE_WORDS: &[&str] = &["maar", "echter", "but", "however"];
/// Characters that end a clause (sentence ends, commas, brackets).
const CLAUSE_MARKS: &[char] = &['.', ',', ';', ':', '!', '?', '(', ')', '\n'];

/// Content words a negation reaches forward: the negated noun phrase ("geen nieuwe app",
/// "zonder tussenkomst van handhavers"), not the rest of a long clause.
const NEGATION_REACH: usize = 3;
/// A relation phrase covers the named thing (thesaurus concept, programme) that follows
/// it at once ("onderdeel van Snuffelfiets"), or a name (capitalised) within this many
/// content words ("input voor het project Talking Traffic"). Nothing else: in "samen met
/// bewoners geluid meten" the noise measurement is what the project does, and a partner
/// company named in two texts ("in samenwerking met Signify") is real common ground.
const RELATION_REACH: usize = 2;
/// A negation followed by at most this many content words before its clause ends is
/// verb-final and negates the clause.
const VERB_FINAL: usize = 1;

/// What a word of a text is to the project.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Said about the project.
    Subject,
    /// In the scope of a negation: not a feature at all.
    Negated,
    /// Named as something the project is related to.
    Related,
}

/// A word of the text without stop words or stemming, with where it stands.
struct Word {
    text: String,
    range: Range<usize>,
}

/// The role of each content token (`tokens`, the stemmed words with their byte ranges in
/// `text`). `named` gives the spans (start, length in tokens) of the named things found
/// among the tokens (thesaurus concepts, programmes), so a relation phrase covers the
/// whole name.
pub fn roles(
    folded: &mut TextAnalyzer,
    text: &str,
    tokens: &[(String, Range<usize>)],
    named: &[(usize, usize)],
) -> Vec<Role> {
    let mut roles = vec![Role::Subject; tokens.len()];
    if tokens.is_empty() {
        return roles;
    }
    let words = words(folded, text);
    // The first content token at or after a byte offset.
    let token_from = |offset: usize| tokens.partition_point(|(_, r)| r.start < offset);
    let mut i = 0;
    while i < words.len() {
        if let Some(len) = relation_at(&words, i) {
            let after = words[i + len - 1].range.end;
            let first = token_from(after);
            let limit = clause_limit(text, &words, tokens, after, first);
            let next = advance(tokens, first, 1, limit);
            let reach = advance(tokens, first, RELATION_REACH, limit);
            let capitalised = |t: usize| {
                text.get(tokens[t].1.clone())
                    .and_then(|w| w.chars().next())
                    .is_some_and(char::is_uppercase)
            };
            let end = named
                .iter()
                .filter(|&&(start, _)| {
                    start >= first && (start < next || start < reach && capitalised(start))
                })
                .map(|&(start, len)| start + len)
                .max();
            if let Some(end) = end {
                // The phrase's own words ("levert input voor") go with it.
                let phrase = token_from(words[i].range.start);
                mark(&mut roles, phrase..end, Role::Related);
            }
            i += len;
            continue;
        }
        if negates(&words, i) {
            let after = words[i].range.end;
            let first = token_from(after);
            let limit = clause_limit(text, &words, tokens, after, first);
            let scope = if CLAUSE_NEGATIONS.contains(&words[i].text.as_str())
                && advance(tokens, first, VERB_FINAL, limit) == limit
            {
                clause_start(text, &words, tokens, words[i].range.start)..limit
            } else {
                first..advance(tokens, first, NEGATION_REACH, limit)
            };
            // A named thing that starts negated is negated as a whole.
            let end = named
                .iter()
                .filter(|&&(start, _)| scope.contains(&start))
                .map(|&(start, len)| start + len)
                .fold(scope.end, usize::max);
            mark(&mut roles, scope.start..end, Role::Negated);
        }
        i += 1;
    }
    roles
}

fn mark(roles: &mut [Role], range: Range<usize>, role: Role) {
    let end = range.end.min(roles.len());
    for r in &mut roles[range.start.min(end)..end] {
        // A negation wins over a relation: what is not there is not related either.
        if *r != Role::Negated {
            *r = role;
        }
    }
}

/// The words of a text without stop words or stemming, with byte ranges.
fn words(folded: &mut TextAnalyzer, text: &str) -> Vec<Word> {
    let mut stream = folded.token_stream(text);
    let mut words = Vec::new();
    while let Some(token) = stream.next() {
        words.push(Word {
            text: token.text.clone(),
            range: token.offset_from..token.offset_to,
        });
    }
    words
}

/// The number of words of the relation phrase starting at word `i`, if one does.
fn relation_at(words: &[Word], i: usize) -> Option<usize> {
    RELATION_PHRASES
        .iter()
        .filter_map(|phrase| {
            let mut len = 0;
            for part in phrase.split(' ') {
                if words.get(i + len).map(|w| w.text.as_str()) != Some(part) {
                    return None;
                }
                len += 1;
            }
            Some(len)
        })
        .max()
}

/// Word `i` is a negation that negates ("niet alleen" and "al dan niet" do not).
fn negates(words: &[Word], i: usize) -> bool {
    let is = |at: Option<&Word>, list: &[&str]| at.is_some_and(|w| list.contains(&w.text.as_str()));
    is(words.get(i), NEGATIONS)
        && !is(words.get(i + 1), NOT_NEGATING_BEFORE)
        && !is(
            i.checked_sub(1).and_then(|p| words.get(p)),
            NOT_NEGATING_AFTER,
        )
}

/// Between byte offsets `from` and `to` a clause ends: a clause mark, or a word that
/// starts a new clause.
fn ends_clause(text: &str, words: &[Word], from: usize, to: usize) -> bool {
    text.get(from..to)
        .is_some_and(|between| between.contains(CLAUSE_MARKS))
        || words.iter().any(|w| {
            w.range.start >= from && w.range.end <= to && CLAUSE_WORDS.contains(&w.text.as_str())
        })
}

/// The token after `count` words from `first`, not past `limit`. Letters split off by an
/// apostrophe ("camera's" → "camera", "s") do not count as words.
fn advance(tokens: &[(String, Range<usize>)], first: usize, count: usize, limit: usize) -> usize {
    let mut at = first;
    let mut seen = 0;
    while at < limit && seen < count {
        if tokens[at].0.chars().count() > 1 {
            seen += 1;
        }
        at += 1;
    }
    // The split-off letters of the last word belong to it.
    while at < limit && tokens[at].0.chars().count() == 1 {
        at += 1;
    }
    at
}

/// The first content token (from `first`, which starts after byte `after`) that lies in
/// a later clause than `after`; `tokens.len()` if none does.
fn clause_limit(
    text: &str,
    words: &[Word],
    tokens: &[(String, Range<usize>)],
    after: usize,
    first: usize,
) -> usize {
    (first..tokens.len())
        .find(|&t| ends_clause(text, words, after, tokens[t].1.start))
        .unwrap_or(tokens.len())
}

/// The first content token of the clause holding byte `at`.
fn clause_start(text: &str, words: &[Word], tokens: &[(String, Range<usize>)], at: usize) -> usize {
    (0..tokens.len())
        .rev()
        .filter(|&t| tokens[t].1.end <= at)
        .find(|&t| ends_clause(text, words, tokens[t].1.end, at))
        .map_or(0, |t| t + 1)
}

#[cfg(test)]
mod tests {
    use super::{roles, Role};
    use crate::search::analysis;

    /// The words of `text` (as written) that have `role`; `named` as in `roles`.
    fn with_role(text: &str, named: &[(usize, usize)], role: Role) -> Vec<String> {
        let tokens = analysis::tokens_with_offsets(&mut analysis::words_analyzer(), text);
        let found = roles(&mut analysis::folded_analyzer(), text, &tokens, named);
        tokens
            .iter()
            .zip(found)
            .filter(|(_, r)| *r == role)
            .map(|((_, range), _)| text[range.clone()].to_lowercase())
            .collect()
    }

    #[test]
    fn a_negation_covers_the_noun_phrase_after_it_up_to_the_clause_end() {
        let text = "Er komen geen camera’s. De detectoren signaleren de auto zonder kenteken, \
                    maar met massa.";
        assert_eq!(
            with_role(text, &[], Role::Negated),
            vec!["camera", "s", "kenteken"]
        );
    }

    #[test]
    fn a_verb_final_negation_covers_its_whole_clause() {
        let text = "Er komen geen camera’s. Kenteken en gebruiker worden beide niet bekend.";
        let negated = with_role(text, &[], Role::Negated);
        assert!(negated.contains(&"kenteken".to_owned()), "{negated:?}");
        assert!(negated.contains(&"gebruiker".to_owned()), "{negated:?}");
    }

    #[test]
    fn niet_alleen_and_al_dan_niet_negate_nothing() {
        let text = "Niet alleen voor woningen maar ook voor camera’s, al dan niet thuis.";
        assert!(with_role(text, &[], Role::Negated).is_empty());
    }

    #[test]
    fn a_relation_phrase_covers_the_name_that_follows_with_the_phrase() {
        // "Talking traffic" is tokens 8 and 9: in, deventer, binnenstad, liggen, sensoren,
        // levert, input, project, talking, traffic (stop words dropped).
        let text = "In de Deventer binnenstad liggen sensoren. Dit levert input voor het project \
                    Talking traffic (voor bijv. de verwijzing).";
        let tokens = analysis::tokens_with_offsets(&mut analysis::words_analyzer(), text);
        let at = tokens
            .iter()
            .position(|(t, _)| t == "talking")
            .expect("talking");
        assert_eq!(
            with_role(text, &[(at, 2)], Role::Related),
            vec!["input", "project", "talking", "traffic"]
        );
    }

    #[test]
    fn a_relation_phrase_without_a_name_after_it_takes_nothing() {
        // What the project does ("geluid meten") stays its subject.
        let text = "Samen met bewoners geluid meten.";
        let tokens = analysis::tokens_with_offsets(&mut analysis::words_analyzer(), text);
        let geluid = tokens
            .iter()
            .position(|(t, _)| t == "geluid")
            .expect("geluid");
        assert!(with_role(text, &[(geluid, 1)], Role::Related).is_empty());
    }
}
