//! What a project is about, as a weighted vector: its words, the thesaurus concepts and
//! the named programmes it mentions, each a feature of the shared vocabulary, weighted by
//! TF-IDF and divided by a pivoted length (see `LENGTH_SLOPE`). Its subject (the title)
//! counts more than what its description says; what it negates is
//! left out, and what it names as a relation ("input voor Talking Traffic") is kept
//! apart as a connection (see `scope`).

use std::collections::{BTreeMap, HashMap};

use super::{Entry, Network, ProjectInput};
use crate::search::analysis;
use crate::search::scope::{self, Role};
use crate::themes::Theme;

/// Feature weights before normalisation: a shared named programme or thesaurus concept
/// says more than a shared word.
const CONCEPT_WEIGHT: f32 = 2.0;
const PROGRAMME_WEIGHT: f32 = 3.0;
/// A solution the project is (confirmed by its city, or suggested from its subject) is
/// the strongest evidence: it is what the pilot *is*, not a word it uses.
const SOLUTION_WEIGHT: f32 = 4.0;
const TERM_WEIGHT: f32 = 1.0;
/// Words in the title count as this many occurrences.
const TITLE_REPEAT: u32 = 3;
/// Pivoted length normalisation: a vector is divided by
/// `(1 - LENGTH_SLOPE) * pivot + LENGTH_SLOPE * its length`, the pivot being the mean
/// length at the last build. 1 would be plain cosine; halfway favours long descriptions
/// less than raw dot products would.
const LENGTH_SLOPE: f32 = 0.5;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Kind {
    Solution,
    Concept,
    Programme,
    Term,
}

/// One feature of a project: its id in the vocabulary, normalised weight and the words
/// the project used for it (for reasons).
#[derive(Clone, Copy, Debug)]
pub(super) struct Feature {
    pub(super) id: u32,
    pub(super) weight: f32,
    pub(super) surface: u32,
}

#[derive(Default)]
pub(super) struct Vocabulary {
    ids: HashMap<(Kind, String), u32>,
    pub(super) kinds: Vec<Kind>,
    /// What identifies each feature within its kind (a concept's id, a programme's name).
    pub(super) keys: Vec<String>,
    pub(super) labels: Vec<String>,
    pub(super) df: Vec<u32>,
    /// Projects holding the feature, highest weight first.
    pub(super) postings: Vec<Vec<(u32, f32)>>,
    surfaces: HashMap<String, u32>,
    pub(super) surface_text: Vec<String>,
    /// Projects connected with the feature (see `Analyzed::connections`).
    pub(super) connected: Vec<Vec<u32>>,
    /// Projects holding the feature per theme, and all projects per theme: how evenly a
    /// word spreads over the themes (see `spread`).
    themes: Vec<[u32; 6]>,
    theme_totals: [u32; 6],
}

impl Vocabulary {
    fn id(&mut self, kind: Kind, key: &str, label: &str) -> u32 {
        if let Some(&id) = self.ids.get(&(kind, key.to_owned())) {
            return id;
        }
        let id = self.kinds.len() as u32;
        self.ids.insert((kind, key.to_owned()), id);
        self.kinds.push(kind);
        self.keys.push(key.to_owned());
        self.labels.push(label.to_owned());
        self.df.push(0);
        self.postings.push(Vec::new());
        self.connected.push(Vec::new());
        self.themes.push([0; 6]);
        id
    }

    /// Counts a project's features in the document frequencies (`add`), or takes them
    /// out again.
    pub(super) fn count(
        &mut self,
        ids: impl Iterator<Item = u32>,
        theme: Option<Theme>,
        add: bool,
    ) {
        let step = |n: &mut u32| *n = if add { *n + 1 } else { n.saturating_sub(1) };
        if let Some(theme) = theme {
            step(&mut self.theme_totals[theme.index()]);
        }
        for id in ids {
            step(&mut self.df[id as usize]);
            if let Some(theme) = theme {
                step(&mut self.themes[id as usize][theme.index()]);
            }
        }
    }

    /// Over how many themes a feature's projects spread, from 1 (all in one theme) to 6
    /// (as evenly as all projects): the perplexity of its theme distribution, each theme's
    /// count divided by the theme's size so a large theme does not look like a
    /// concentration. 6 when none of its projects has a theme.
    pub(super) fn spread(&self, id: u32) -> f32 {
        let rates: Vec<f32> = self.themes[id as usize]
            .iter()
            .zip(self.theme_totals)
            .filter(|&(&n, total)| n > 0 && total > 0)
            .map(|(&n, total)| n as f32 / total as f32)
            .collect();
        let sum: f32 = rates.iter().sum();
        if sum <= 0.0 {
            return 6.0;
        }
        let entropy: f32 = rates.iter().map(|r| -(r / sum) * (r / sum).ln()).sum();
        entropy.exp()
    }

    fn surface(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.surfaces.get(text) {
            return id;
        }
        let id = self.surface_text.len() as u32;
        self.surfaces.insert(text.to_owned(), id);
        self.surface_text.push(text.to_owned());
        id
    }

    fn idf(&self, id: u32, documents: usize) -> f32 {
        let df = self.df[id as usize].max(1) as f32;
        (1.0 + documents as f32 / df).ln()
    }

    pub(super) fn remove_posting(&mut self, feature: u32, project: u32) {
        self.postings[feature as usize].retain(|&(p, _)| p != project);
    }
}

/// A project's raw features before weighting: occurrences, and the first words used.
pub(super) struct Analyzed {
    pub(super) counts: BTreeMap<u32, (u32, u32)>,
    /// The link weight of each solution feature (see `SolutionLink::weight`).
    solution_weights: HashMap<u32, f32>,
    /// The concepts and programmes the project names only as something it is related to
    /// ("levert input voor Talking Traffic"), with the words it used: evidence of a
    /// connection, not of what it is about, so no feature.
    pub(super) connections: BTreeMap<u32, u32>,
}

impl Network {
    /// The words, concepts and programmes of a project, with counts and the first
    /// wording seen of each.
    pub(super) fn analyze(&mut self, project: &ProjectInput) -> Analyzed {
        let mut counts: BTreeMap<u32, (u32, u32)> = BTreeMap::new();
        let mut connections: BTreeMap<u32, u32> = BTreeMap::new();
        for (text, repeat) in [
            (project.title.as_str(), TITLE_REPEAT),
            (project.description.as_str(), 1),
        ] {
            let tokens = analysis::tokens_with_offsets(&mut self.analyzer, text);
            let stems: Vec<String> = tokens.iter().map(|(s, _)| s.clone()).collect();
            // (kind, key, label, surface, first token)
            let mut found = Vec::new();
            let mut named = Vec::new();
            for m in self.thesaurus.matches(&stems) {
                let words = &tokens[m.start..m.start + m.len];
                let surface = join_surface(text, words);
                named.push((m.start, m.len));
                found.push((
                    Kind::Concept,
                    m.concept.id.clone(),
                    m.concept.label.clone(),
                    surface,
                    m.start,
                ));
            }
            for (name_tokens, name) in &self.programme_names {
                let len = name_tokens.len();
                for (start, _) in stems
                    .windows(len)
                    .enumerate()
                    .filter(|(_, w)| *w == name_tokens.as_slice())
                {
                    named.push((start, len));
                    found.push((
                        Kind::Programme,
                        name.clone(),
                        name.clone(),
                        name.clone(),
                        start,
                    ));
                }
            }
            for (at, (stem, range)) in tokens.iter().enumerate() {
                if stem.chars().count() < 3
                    || stem.chars().all(|c| c.is_ascii_digit())
                    || self.city_stems.contains(stem)
                {
                    continue;
                }
                let surface = text[range.clone()].to_lowercase();
                found.push((Kind::Term, stem.clone(), surface.clone(), surface, at));
            }
            let roles = scope::roles(&mut self.folded, text, &tokens, &named);
            for (kind, key, label, surface, at) in found {
                match roles[at] {
                    Role::Negated => {}
                    // A named thing is a connection; the words around it in the phrase
                    // were said in passing.
                    Role::Related if kind == Kind::Term => {}
                    Role::Related => {
                        let id = self.vocabulary.id(kind, &key, &label);
                        let surface = self.vocabulary.surface(&surface);
                        connections.entry(id).or_insert(surface);
                    }
                    Role::Subject => {
                        let id = self.vocabulary.id(kind, &key, &label);
                        let surface = self.vocabulary.surface(&surface);
                        let entry = counts.entry(id).or_insert((0, surface));
                        entry.0 += repeat;
                    }
                }
            }
        }
        let mut solution_weights = HashMap::new();
        for link in &project.solutions {
            let id = self.vocabulary.id(Kind::Solution, &link.slug, &link.slug);
            let surface = self.vocabulary.surface(&link.slug);
            counts.entry(id).or_insert((1, surface));
            solution_weights.insert(id, link.weight.clamp(0.0, 1.0));
        }
        // What the project is about somewhere (its title, say) is its subject, wherever
        // else it is named as a relation.
        connections.retain(|id, _| !counts.contains_key(id));
        Analyzed {
            counts,
            solution_weights,
            connections,
        }
    }

    /// TF-IDF weights, not yet normalised, sorted by feature id.
    pub(super) fn weigh(&self, analyzed: &Analyzed) -> Vec<Feature> {
        let documents = self.live.max(1);
        analyzed
            .counts
            .iter()
            .map(|(&id, &(count, surface))| {
                let kind_weight = match self.vocabulary.kinds[id as usize] {
                    // A concept named in the title (or often) is what the project is about.
                    Kind::Concept => CONCEPT_WEIGHT * (1.0 + (count as f32).ln()),
                    Kind::Programme => PROGRAMME_WEIGHT,
                    Kind::Solution => {
                        SOLUTION_WEIGHT * analyzed.solution_weights.get(&id).copied().unwrap_or(1.0)
                    }
                    Kind::Term => TERM_WEIGHT * (1.0 + (count as f32).ln()),
                };
                Feature {
                    id,
                    weight: kind_weight * self.vocabulary.idf(id, documents),
                    surface,
                }
            })
            .collect()
    }

    /// Divides a vector by its pivoted length (see `LENGTH_SLOPE`).
    pub(super) fn normalise(&self, features: &mut [Feature]) {
        let own = length(features);
        let pivoted = if self.pivot > 0.0 {
            (1.0 - LENGTH_SLOPE) * self.pivot + LENGTH_SLOPE * own
        } else {
            own
        };
        if pivoted > 0.0 {
            features.iter_mut().for_each(|f| f.weight /= pivoted);
        }
    }
}

/// The features two projects share, as (ours, theirs); both lists are sorted by id.
pub(super) fn shared_features<'a>(
    a: &'a Entry,
    b: &'a Entry,
) -> impl Iterator<Item = (Feature, Feature)> + 'a {
    let (mut i, mut j) = (0, 0);
    std::iter::from_fn(move || {
        while i < a.features.len() && j < b.features.len() {
            let (x, y) = (a.features[i], b.features[j]);
            match x.id.cmp(&y.id) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    i += 1;
                    j += 1;
                    return Some((x, y));
                }
            }
        }
        None
    })
}

/// What one of two projects names as a relation and the other is about or names as well
/// ("levert input voor Talking Traffic" and a Talking Traffic project), as (feature id,
/// the words of the project that names it).
pub(super) fn connections_between<'a>(
    a: &'a Entry,
    b: &'a Entry,
) -> impl Iterator<Item = (u32, u32)> + 'a {
    let about = |e: &Entry, id: u32| e.features.binary_search_by_key(&id, |f| f.id).is_ok();
    let names = |e: &Entry, id: u32| e.connections.binary_search_by_key(&id, |c| c.0).is_ok();
    // A project's features and connections are disjoint, so nothing comes twice.
    let ours = a
        .connections
        .iter()
        .filter(move |&&(id, _)| about(b, id) || names(b, id));
    let theirs = b.connections.iter().filter(move |&&(id, _)| about(a, id));
    ours.chain(theirs).copied()
}

/// The Euclidean length of a vector.
pub(super) fn length(features: &[Feature]) -> f32 {
    features
        .iter()
        .map(|f| f.weight * f.weight)
        .sum::<f32>()
        .sqrt()
}

/// The original words of a run of tokens, as written.
fn join_surface(text: &str, tokens: &[(String, std::ops::Range<usize>)]) -> String {
    match (tokens.first(), tokens.last()) {
        (Some(first), Some(last)) => text
            .get(first.1.start..last.1.end)
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use crate::projects::model::Stage;

    use super::super::fixtures::{network, parking, project};

    #[test]
    fn a_well_described_pilot_is_not_ranked_below_a_terse_one_for_saying_more() {
        let net = network(vec![
            parking(1, 1),
            project(
                2,
                2,
                "Slim parkeren",
                "Parkeersensoren in de binnenstad tonen vrije parkeerplaatsen. De detectoren \
                 meten per parkeervak de bezetting en de wisselingen. Bewoners en ondernemers \
                 zien op een kaart waar plek is. Na een jaar evalueerde de gemeente het gebruik \
                 samen met de hogeschool.",
                Stage::Running,
            ),
            project(
                3,
                3,
                "Slim parkeren",
                "Sensoren tonen vrije plekken.",
                Stage::Pilot,
            ),
        ]);
        let similar = net.similar(1, 10).unwrap_or_default();
        let order: Vec<i32> = similar.iter().map(|s| s.project_id).collect();
        assert_eq!(order, vec![2, 3]);
    }
}
