//! Text analysis for search. The Dutch profile lower-cases, drops Dutch and English stop
//! words, folds diacritics and stems with the classic Snowball Dutch stemmer; a secondary field
//! of character trigrams catches compounds ("parkeersensoren" ↔ "sensoren voor
//! parkeren"). The baseline profile is tantivy's default tokenizer, kept for the
//! relevance benchmark.

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, NgramTokenizer, RemoveLongFilter, SimpleTokenizer,
    StopWordFilter, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer, TokenizerManager,
};

/// Which analysis an index uses; part of the index's schema version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// Dutch stemming, folding, stop words, trigram field and thesaurus.
    Dutch,
    /// tantivy's default tokenizer, no trigram field, no thesaurus: the benchmark's baseline.
    Baseline,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::Dutch => "dutch",
            Profile::Baseline => "baseline",
        }
    }

    /// The tokenizer of the word fields (title, body, city).
    pub fn words_tokenizer(self) -> &'static str {
        match self {
            Profile::Dutch => WORDS,
            Profile::Baseline => "default",
        }
    }
}

pub const WORDS: &str = "nl_words";
pub const TRIGRAMS: &str = "nl_trigrams";
pub const FOLDED: &str = "nl_folded";

/// The stop words of a language; empty if tantivy has no list for it.
fn stop_words(language: Language) -> StopWordFilter {
    StopWordFilter::new(language).unwrap_or_else(|| StopWordFilter::remove(Vec::new()))
}

/// The Dutch word analyzer: the same chain at index and at query time.
pub fn words_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(stop_words(Language::Dutch))
        .filter(stop_words(Language::English))
        .filter(AsciiFoldingFilter)
        .filter(DutchStemmer)
        .build()
}

/// Lower-cased, folded words without stemming: the vocabulary for "bedoelde u".
pub fn folded_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// tantivy's "default" analyzer, rebuilt here so the baseline analyzes queries like its index.
pub fn default_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .build()
}

/// Character trigrams of the folded text (applied per word by `trigram_text`).
pub fn trigram_analyzer() -> TextAnalyzer {
    match NgramTokenizer::all_ngrams(3, 3) {
        Ok(trigrams) => TextAnalyzer::builder(trigrams)
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .build(),
        // Only for invalid gram sizes, which 3..3 is not.
        Err(_) => default_analyzer(),
    }
}

pub fn register(manager: &TokenizerManager) {
    manager.register(WORDS, words_analyzer());
    manager.register(FOLDED, folded_analyzer());
    manager.register(TRIGRAMS, trigram_analyzer());
}

/// The tokens an analyzer makes of `text`.
pub fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// The tokens an analyzer makes of `text`, each with the byte range it came from.
pub fn tokens_with_offsets(
    analyzer: &mut TextAnalyzer,
    text: &str,
) -> Vec<(String, std::ops::Range<usize>)> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while let Some(token) = stream.next() {
        out.push((token.text.clone(), token.offset_from..token.offset_to));
    }
    out
}

/// The text of the trigram field: folded words of at least six letters (the ones that
/// can be compounds), so trigrams never span two words.
pub fn trigram_source(text: &str) -> String {
    let mut folded = folded_analyzer();
    tokens(&mut folded, text)
        .into_iter()
        .filter(|w| w.chars().count() >= 6)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The classic Snowball Dutch (Porter) stemmer. tantivy's `Language::Dutch` is the newer
/// Kraaij-Pohlmann algorithm, which also strips "ge-" and "-heid" and so merges unrelated
/// words of this corpus (gezondheid/zon, gemeente/mening, gebied/bieden).
#[derive(Clone, Copy)]
pub struct DutchStemmer;

impl TokenFilter for DutchStemmer {
    type Tokenizer<T: Tokenizer> = DutchStemmerTokenizer<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> DutchStemmerTokenizer<T> {
        DutchStemmerTokenizer { inner }
    }
}

#[derive(Clone)]
pub struct DutchStemmerTokenizer<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for DutchStemmerTokenizer<T> {
    type TokenStream<'a> = DutchStemmerStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        DutchStemmerStream {
            tail: self.inner.token_stream(text),
            stemmer: frostem::Stemmer::new(frostem::Algorithm::DutchPorter),
        }
    }
}

pub struct DutchStemmerStream<T> {
    tail: T,
    stemmer: frostem::Stemmer,
}

impl<T: TokenStream> TokenStream for DutchStemmerStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        let stemmed = self.stemmer.stem(&token.text).into_owned();
        token.text = stemmed;
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::{tokens, words_analyzer};

    #[test]
    fn unrelated_words_keep_different_stems() {
        let mut analyzer = words_analyzer();
        let stem = |w: &str, a: &mut tantivy::tokenizer::TextAnalyzer| tokens(a, w).join(" ");
        assert_ne!(
            stem("gezondheid", &mut analyzer),
            stem("zon", &mut analyzer)
        );
        assert_ne!(
            stem("gemeente", &mut analyzer),
            stem("mening", &mut analyzer)
        );
        assert_eq!(
            stem("verkeerslichten", &mut analyzer),
            stem("verkeerslicht", &mut analyzer)
        );
        assert_eq!(
            stem("Fietsers", &mut analyzer),
            stem("fietser", &mut analyzer)
        );
    }
}
