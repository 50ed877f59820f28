//! "Bedoelde u …": for words the index has never seen, the closest word it has (by edit
//! distance with transpositions), preferring frequent words.

use tantivy::Searcher;

use super::index::Fields;
use super::query::QueryWord;

/// Edit distance where swapping two neighbours counts once (optimal string alignment).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

fn doc_freq(searcher: &Searcher, fields: &Fields, word: &str) -> u64 {
    let term = tantivy::Term::from_field_text(fields.words, word);
    searcher.doc_freq(&term).unwrap_or(0)
}

/// The closest known word, if one is close enough to be a typo of `word`.
fn closest(searcher: &Searcher, fields: &Fields, word: &str) -> Option<String> {
    let len = word.chars().count();
    let max_distance = if len >= 8 { 2 } else { 1 };
    let first = word.chars().next()?;
    let mut best: Option<(usize, std::cmp::Reverse<u32>, String)> = None;
    for segment in searcher.segment_readers() {
        let Ok(inverted) = segment.inverted_index(fields.words) else {
            continue;
        };
        let Ok(mut terms) = inverted.terms().stream() else {
            continue;
        };
        while terms.advance() {
            let Ok(candidate) = std::str::from_utf8(terms.key()) else {
                continue;
            };
            // Typos rarely hit the first letter; checking it keeps the scan cheap.
            if !candidate.starts_with(first)
                || candidate.chars().count().abs_diff(len) > max_distance
            {
                continue;
            }
            let distance = edit_distance(word, candidate);
            if distance == 0 || distance > max_distance {
                continue;
            }
            let rank = (
                distance,
                std::cmp::Reverse(terms.value().doc_freq),
                candidate.to_owned(),
            );
            if best.as_ref().is_none_or(|b| rank < *b) {
                best = Some(rank);
            }
        }
    }
    best.map(|(_, _, word)| word)
}

/// A search that finds fewer documents than this found little: only then is a
/// correction offered (and only if it finds more).
pub const FOUND_LITTLE: usize = 5;

/// The query with each unknown word replaced by its closest known word, if any changed.
pub fn did_you_mean(searcher: &Searcher, fields: &Fields, words: &[QueryWord]) -> Option<String> {
    let mut changed = false;
    let corrected: Vec<String> = words
        .iter()
        .map(|w| {
            if w.stem.is_none()
                || w.folded.chars().count() < 4
                || doc_freq(searcher, fields, &w.folded) > 0
            {
                return w.folded.clone();
            }
            match closest(searcher, fields, &w.folded) {
                Some(better) => {
                    changed = true;
                    better
                }
                None => w.folded.clone(),
            }
        })
        .collect();
    changed.then(|| corrected.join(" "))
}

#[cfg(test)]
mod tests {
    use super::edit_distance;

    #[test]
    fn a_swap_of_neighbours_is_one_edit() {
        assert_eq!(edit_distance("luchtkwalitiet", "luchtkwaliteit"), 1);
        assert_eq!(edit_distance("verkeerslihten", "verkeerslichten"), 1);
        assert_eq!(edit_distance("fiets", "fiets"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
