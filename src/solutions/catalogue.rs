//! The shipped solution catalogue (`data/solutions.tsv`) and the linker that reads a
//! project's text for the solutions it *is*: named in its title or opening, or said
//! more than once further on — not merely mentioned, negated ("er komen geen camera's")
//! or named as a relation ("levert input voor Talking Traffic"; `search::scope` decides
//! both, as it does for matchmaking).

use crate::search::analysis;
use crate::search::scope::{self, Role};
use crate::search::thesaurus::{Concept, Thesaurus};
use crate::themes::Theme;

pub const SHIPPED: &str = include_str!("../../data/solutions.tsv");

crate::slug_enum! {
    /// What kind of thing a solution is.
    pub enum SolutionKind ("solution kind", "invalid_kind") {
        Product = "product",
        Programme = "programme",
        Technique = "technique",
    }
}

/// One solution of the catalogue file.
#[derive(Clone, Debug)]
pub struct CatalogueEntry {
    pub slug: String,
    pub kind: SolutionKind,
    pub name: String,
    pub name_en: String,
    pub themes: Vec<Theme>,
    /// As written in the file: ' | '-separated, `@concept` for a thesaurus concept.
    pub terms: String,
    pub description: String,
    pub description_en: String,
    /// A frame projects work in (a living lab) rather than what they are: only ever
    /// suggested to editors, never counted by itself.
    pub setting: bool,
}

/// The catalogue's solutions; malformed lines are skipped (a unit test keeps the shipped
/// file whole).
pub fn parse(tsv: &str) -> Vec<CatalogueEntry> {
    crate::text::tsv_records(tsv)
        .filter_map(|mut f| {
            let slug = f.next()?.trim().to_owned();
            let kind = SolutionKind::parse(f.next()?.trim())?;
            let name = f.next()?.trim().to_owned();
            let name_en = f.next()?.trim().to_owned();
            let themes = f
                .next()?
                .split_whitespace()
                .filter_map(Theme::parse)
                .collect();
            let terms = f.next()?.trim().to_owned();
            let description = f.next()?.trim().to_owned();
            let description_en = f.next()?.trim().to_owned();
            let setting = match f.next().map(str::trim) {
                None | Some("solution") => false,
                Some("setting") => true,
                Some(_) => return None,
            };
            (!slug.is_empty() && !terms.is_empty()).then_some(CatalogueEntry {
                slug,
                kind,
                name,
                name_en,
                themes,
                terms,
                description,
                description_en,
                setting,
            })
        })
        .collect()
}

/// Confidence of a solution named in the title.
pub const IN_TITLE: f64 = 0.95;
/// Named in the opening sentence of the description: what the project does.
pub const IN_OPENING: f64 = 0.85;
/// Named at least twice further on.
pub const REPEATED: f64 = 0.7;
/// Named once further on: stored for editors to judge, not yet evidence.
pub const MENTIONED: f64 = 0.5;
/// From this confidence on a suggestion counts: it is shown with the project, on the
/// solution's page and in the API, and matchmaking weighs it.
pub const COUNTS_FROM: f64 = REPEATED;

/// Finds the catalogue's solutions in project texts.
pub struct Linker {
    matcher: Thesaurus,
    /// The slugs of settings (see `CatalogueEntry::setting`).
    settings: Vec<String>,
}

impl Linker {
    /// A linker for `(slug, terms)` pairs, `@concept` terms taken from `thesaurus`.
    pub fn new<'a>(
        solutions: impl IntoIterator<Item = (&'a str, &'a str, bool)>,
        thesaurus: &Thesaurus,
    ) -> Self {
        let mut analyzer = analysis::words_analyzer();
        let mut settings = Vec::new();
        let concepts: Vec<Concept> = solutions
            .into_iter()
            .map(|(slug, terms, setting)| {
                if setting {
                    settings.push(slug.to_owned());
                }
                let mut analysed: Vec<Vec<String>> = Vec::new();
                for term in terms.split('|').map(str::trim).filter(|t| !t.is_empty()) {
                    match term.strip_prefix('@') {
                        Some(id) => {
                            if let Some(concept) = thesaurus.concept(id) {
                                analysed.extend(concept.terms.iter().cloned());
                            }
                        }
                        None => {
                            let tokens = analysis::tokens(&mut analyzer, term);
                            if !tokens.is_empty() {
                                analysed.push(tokens);
                            }
                        }
                    }
                }
                Concept {
                    id: slug.to_owned(),
                    label: slug.to_owned(),
                    name: crate::web::i18n::Bilingual::same(slug),
                    terms: analysed,
                }
            })
            .collect();
        Linker {
            matcher: Thesaurus::of(concepts),
            settings,
        }
    }

    /// [`Linker::suggest`] for a project the report gives only the name of: a name says
    /// less than a description, so no suggestion is surer than [`COUNTS_FROM`].
    pub fn suggest_from_name(&self, title: &str) -> Vec<(String, f64)> {
        let mut found = self.suggest(title, "");
        for (_, confidence) in &mut found {
            *confidence = confidence.min(COUNTS_FROM);
        }
        found
    }

    /// The solutions a project is, with a confidence, most confident first; only those
    /// at or above [`MENTIONED`].
    pub fn suggest(&self, title: &str, description: &str) -> Vec<(String, f64)> {
        let mut analyzer = analysis::words_analyzer();
        let mut folded = analysis::folded_analyzer();
        let mut best: std::collections::BTreeMap<String, (f64, u32)> = Default::default();
        let opening_end = opening_end(description);
        for (text, in_title) in [(title, true), (description, false)] {
            let tokens = analysis::tokens_with_offsets(&mut analyzer, text);
            let stems: Vec<String> = tokens.iter().map(|(t, _)| t.clone()).collect();
            let found = self.matcher.matches(&stems);
            let named: Vec<(usize, usize)> = found.iter().map(|m| (m.start, m.len)).collect();
            // Negated ("geen camera's") or named as a relation ("input voor Talking
            // Traffic"): not what the project is.
            let roles = scope::roles(&mut folded, text, &tokens, &named);
            for m in found {
                if roles[m.start] != Role::Subject {
                    continue;
                }
                let at = tokens[m.start].1.start;
                let entry = best.entry(m.concept.id.clone()).or_insert((0.0, 0));
                let confidence = if in_title {
                    IN_TITLE
                } else if at < opening_end {
                    IN_OPENING
                } else {
                    entry.1 += 1;
                    if entry.1 >= 2 {
                        REPEATED
                    } else {
                        MENTIONED
                    }
                };
                entry.0 = entry.0.max(confidence);
            }
        }
        // Whether a project is a setting (a living lab) is for its editors to say: the
        // words say little ("Living Lab Luchtkwaliteit" is an air-quality project).
        let mut found: Vec<(String, f64)> = best
            .into_iter()
            .map(|(slug, (confidence, _))| {
                if self.settings.contains(&slug) {
                    (slug, confidence.min(MENTIONED))
                } else {
                    (slug, confidence)
                }
            })
            .filter(|(_, c)| *c >= MENTIONED)
            .collect();
        found.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        found
    }
}

/// Where the opening sentence of a description ends (within its first 240 bytes).
fn opening_end(description: &str) -> usize {
    description
        .char_indices()
        .take_while(|&(i, _)| i < 240)
        .find(|&(_, c)| matches!(c, '.' | '!' | '?' | '\n'))
        .map_or(description.len().min(240), |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linker() -> Linker {
        let entries = parse(SHIPPED);
        Linker::new(
            entries
                .iter()
                .map(|e| (e.slug.as_str(), e.terms.as_str(), e.setting)),
            &Thesaurus::shipped(),
        )
    }

    fn slugs(found: &[(String, f64)], from: f64) -> Vec<&str> {
        found
            .iter()
            .filter(|(_, c)| *c >= from)
            .map(|(s, _)| s.as_str())
            .collect()
    }

    #[test]
    fn the_shipped_catalogue_is_whole_and_every_concept_it_names_exists() {
        let entries = parse(SHIPPED);
        let lines = crate::text::tsv_records(SHIPPED).count();
        assert_eq!(entries.len(), lines, "a malformed catalogue line");
        let thesaurus = Thesaurus::shipped();
        for entry in &entries {
            for term in entry.terms.split('|').map(str::trim) {
                if let Some(id) = term.strip_prefix('@') {
                    assert!(
                        thesaurus.concept(id).is_some(),
                        "{}: no concept {id}",
                        entry.slug
                    );
                }
            }
            assert!(!entry.themes.is_empty(), "{} has no theme", entry.slug);
        }
    }

    #[test]
    fn a_solution_in_the_title_is_suggested_with_high_confidence() {
        let found = linker().suggest(
            "Talking Traffic",
            "De gemeente plaatst nieuwe installaties.",
        );
        assert_eq!(slugs(&found, IN_TITLE), vec!["talking-traffic"]);
    }

    #[test]
    fn a_relation_names_what_a_project_feeds_not_what_it_is() {
        let found = linker().suggest(
            "Parkeersensoren",
            "Sensoren in de parkeervakken meten de bezetting. De data levert input voor \
             Talking Traffic. Later volgt een koppeling met Talking Traffic.",
        );
        assert_eq!(slugs(&found, MENTIONED), vec!["parkeersensoren"]);
    }

    #[test]
    fn negated_things_are_not_what_a_project_is() {
        let found = linker().suggest(
            "Smart Parking",
            "Sensoren in de grond tonen vrije plekken. Er komen geen camera's en er wordt \
             zonder kentekenherkenning gewerkt.",
        );
        assert!(!slugs(&found, MENTIONED).contains(&"anpr"), "{found:?}");
        assert!(
            !slugs(&found, MENTIONED).contains(&"camera-toezicht"),
            "{found:?}"
        );
        assert!(slugs(&found, IN_TITLE).contains(&"parkeersensoren"));
    }

    #[test]
    fn a_setting_is_only_suggested_to_editors() {
        let found = linker().suggest(
            "Living Lab Luchtkwaliteit",
            "Sensoren meten een jaar lang fijnstof.",
        );
        assert_eq!(slugs(&found, COUNTS_FROM), vec!["luchtkwaliteit"]);
    }

    #[test]
    fn a_name_alone_is_never_sure() {
        let found = linker().suggest_from_name("Drechtsteden on chain blockchain");
        assert!(found.iter().all(|(_, c)| *c <= COUNTS_FROM), "{found:?}");
    }

    #[test]
    fn a_negation_after_the_words_in_dutch_order_counts() {
        let found = linker().suggest(
            "Smart Parking",
            "Detectoren op parkeerplaatsen. Kenteken en gebruiker worden beide niet bekend.",
        );
        assert!(!slugs(&found, MENTIONED).contains(&"anpr"), "{found:?}");
    }

    #[test]
    fn a_passing_mention_is_stored_but_does_not_count() {
        let found = linker().suggest(
            "Wijkaanpak",
            "Bewoners praten mee over groen. Ook de luchtkwaliteit komt aan bod.",
        );
        let air = found.iter().find(|(s, _)| s == "luchtkwaliteit");
        assert!(matches!(air, Some((_, c)) if *c < COUNTS_FROM), "{found:?}");
    }
}
