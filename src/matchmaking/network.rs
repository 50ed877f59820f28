//! The matchmaking network in memory: every project as a weighted vector of what it is
//! about (thesaurus concepts, named programmes, significant words), its most similar
//! projects in other cities, and every city's partner cities built from those pairs.
//! Pure computation — the database loading and the HTTP layer live next door — so the
//! bench and tests drive exactly what the server runs.
//!
//! Similarity is the dot product of TF-IDF vectors plus a small bonus for the same theme.
//! The vectors are length-normalised with a pivot (Singhal, Buckley and Mitra, 1996):
//! plain cosine punishes a long description for saying more, although a civil servant
//! finds a well-described pilot the better match.
//! Candidates come from an inverted index over each project's strongest features, so a
//! new or changed project costs work proportional to its neighbourhood, not to the
//! network.
//!
//! A project's nearest projects by that similarity are its *neighbours*. The list shown
//! re-ranks them with shared neighbours: a candidate that is also close to the project's
//! own neighbours moves up. Two air-quality networks that word it differently ("NOx en
//! CO2 sensoren", "fijnstof") are then still found together through the projects both
//! resemble, while every suggestion keeps direct evidence to show as its reasons.

use std::collections::{BTreeMap, HashMap, HashSet};

use tantivy::tokenizer::TextAnalyzer;

use crate::projects::model::Stage;
use crate::search::analysis;
use crate::search::thesaurus::Thesaurus;
use crate::themes::Theme;

/// Most similar projects kept per project (neighbours and the list shown).
pub const KEEP: usize = 20;
/// Weight of shared neighbours in the list shown: for each neighbour `b` of `a` whose
/// own neighbours hold `c`, the weaker of the two similarities counts toward `a`–`c`.
const SHARED_NEIGHBOUR_WEIGHT: f32 = 0.2;
/// Below this similarity two projects are not presented as comparable.
pub const MIN_SIMILARITY: f32 = 0.12;
/// A project pair counts toward a partnership from this similarity on.
const PAIR_MIN: f32 = 0.2;
/// Pairs counted per partner city (each project used once).
const PAIRS_PER_PARTNER: usize = 5;
/// Partner cities kept per city.
pub const PARTNERS_KEPT: usize = 20;
/// A network changed in more than this share of its projects (and at least
/// `REBUILD_MIN_CHANGES` of them) is rebuilt, to weigh everything by current frequencies.
const REBUILD_SHARE: f32 = 0.1;
const REBUILD_MIN_CHANGES: usize = 50;

/// Feature weights before normalisation: a shared named programme or thesaurus concept
/// says more than a shared word.
const CONCEPT_WEIGHT: f32 = 2.0;
const PROGRAMME_WEIGHT: f32 = 3.0;
const TERM_WEIGHT: f32 = 1.0;
/// Words in the title count as this many occurrences.
const TITLE_REPEAT: u32 = 3;
/// Pivoted length normalisation: a vector is divided by
/// `(1 - LENGTH_SLOPE) * pivot + LENGTH_SLOPE * its length`, the pivot being the mean
/// length at the last build. 1 would be plain cosine; halfway favours long descriptions
/// less than raw dot products would.
const LENGTH_SLOPE: f32 = 0.5;
/// Added to the similarity when both projects have the same theme.
const SAME_THEME_BONUS: f32 = 0.05;
/// Features of a project used to look for candidates, strongest first.
const QUERY_FEATURES: usize = 16;
/// Postings read per feature, highest weights first: at network scale a concept shared
/// by thousands of projects contributes its strongest holders only.
const POSTINGS_READ: usize = 400;
/// Candidates rescored exactly over all features.
const RESCORED: usize = 60;
/// Words shared by more than this share of projects are too common to be a reason.
const REASON_MAX_SHARE: f32 = 0.05;
/// Partner score for each shared programme, scaled by its rarity.
const PROGRAMME_BONUS: f32 = 0.1;

/// What the network needs to know of a project.
#[derive(Clone, Debug)]
pub struct ProjectInput {
    pub id: i32,
    pub city_id: i32,
    pub title: String,
    /// The description; empty where the report gives only the name, so boilerplate
    /// ("wegens het laat insturen …") does not make name-only projects alike.
    pub description: String,
    pub theme: Option<Theme>,
    pub stage: Option<Stage>,
}

impl ProjectInput {
    /// `description_origin` as stored: `name_only` descriptions are left out.
    pub fn new(
        id: i32,
        city_id: i32,
        theme: Option<Theme>,
        stage: Option<Stage>,
        title: String,
        description: String,
        description_origin: &str,
    ) -> Self {
        let description = if description_origin == "name_only" {
            String::new()
        } else {
            description
        };
        ProjectInput {
            id,
            city_id,
            title,
            description,
            theme,
            stage,
        }
    }
}

/// What the network needs to know of a city.
#[derive(Clone, Debug)]
pub struct CityInput {
    pub id: i32,
    pub name: String,
    /// The named programmes the city takes part in.
    pub programmes: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    Concept,
    Programme,
    Term,
}

/// One feature of a project: its id in the vocabulary, normalised weight and the words
/// the project used for it (for reasons).
#[derive(Clone, Copy, Debug)]
struct Feature {
    id: u32,
    weight: f32,
    surface: u32,
}

#[derive(Default)]
struct Vocabulary {
    ids: HashMap<(Kind, String), u32>,
    kinds: Vec<Kind>,
    labels: Vec<String>,
    df: Vec<u32>,
    /// Projects holding the feature, highest weight first.
    postings: Vec<Vec<(u32, f32)>>,
    surfaces: HashMap<String, u32>,
    surface_text: Vec<String>,
}

impl Vocabulary {
    fn id(&mut self, kind: Kind, key: &str, label: &str) -> u32 {
        if let Some(&id) = self.ids.get(&(kind, key.to_owned())) {
            return id;
        }
        let id = self.kinds.len() as u32;
        self.ids.insert((kind, key.to_owned()), id);
        self.kinds.push(kind);
        self.labels.push(label.to_owned());
        self.df.push(0);
        self.postings.push(Vec::new());
        id
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

    fn remove_posting(&mut self, feature: u32, project: u32) {
        self.postings[feature as usize].retain(|&(p, _)| p != project);
    }
}

/// A partner candidate while ranking: city, score, chosen pairs (ours, theirs, score).
type Ranked = (i32, f32, Vec<(u32, u32, f32)>);

/// Candidate scores by project index, reused across projects so a network-wide
/// recomputation allocates nothing per project.
#[derive(Default)]
struct Scratch {
    scores: Vec<f32>,
    touched: Vec<u32>,
}

impl Scratch {
    fn reset(&mut self, size: usize) {
        for &t in &self.touched {
            self.scores[t as usize] = 0.0;
        }
        self.touched.clear();
        self.scores.resize(size, 0.0);
    }

    fn add(&mut self, index: u32, score: f32) {
        let slot = &mut self.scores[index as usize];
        if *slot == 0.0 {
            self.touched.push(index);
        }
        *slot += score;
    }
}

/// A project's raw features before weighting: occurrences, and the first words used.
struct Analyzed {
    counts: BTreeMap<u32, (u32, u32)>,
}

/// The two lists a project keeps, each with a reverse index.
#[derive(Clone, Copy)]
enum List {
    Neighbours,
    Shown,
}

struct Entry {
    input: ProjectInput,
    features: Vec<Feature>,
    /// The most similar projects of other cities by direct similarity, best first.
    neighbours: Vec<(u32, f32)>,
    /// The neighbours re-ranked with shared neighbours: what is shown and what
    /// partnerships are built from.
    similar: Vec<(u32, f32)>,
}

/// Why two projects are comparable, in data; the HTTP layer words it.
#[derive(Clone, Debug, PartialEq)]
pub enum Reason {
    /// Both are about these thesaurus concepts (as the suggested project words them).
    Concepts(Vec<String>),
    /// Both take part in these named programmes.
    Programmes(Vec<String>),
    /// Both use these distinctive words.
    Words(Vec<String>),
    SameTheme(Theme),
    /// The other project is further along: a possible mentor.
    FurtherAlong {
        theirs: Stage,
        yours: Stage,
    },
    /// The other project stopped: its lessons learned are worth asking for.
    Stopped,
}

#[derive(Clone, Debug)]
pub struct Similar {
    pub project_id: i32,
    pub score: f32,
    pub reasons: Vec<Reason>,
}

/// A pair of comparable projects behind a partnership: one of this city, one of theirs.
#[derive(Clone, Debug)]
pub struct PairReason {
    pub ours: i32,
    pub theirs: i32,
    pub score: f32,
    pub reasons: Vec<Reason>,
}

/// A partner city as kept: its score and the project pairs behind it, by project id.
/// Reasons, shared programmes and themes are worded only when asked for (`partners`):
/// a list is recomputed far more often than read, and the words took half its time and
/// a fifth of the network's memory at scale.
struct Partnership {
    city_id: i32,
    score: f32,
    /// (our project, their project, similarity)
    pairs: Vec<(i32, i32, f32)>,
}

#[derive(Clone, Debug)]
pub struct Partner {
    pub city_id: i32,
    pub score: f32,
    pub pairs: Vec<PairReason>,
    pub programmes: Vec<String>,
    /// Themes both cities work on most.
    pub shared_themes: Vec<Theme>,
}

impl Partner {
    /// The partner has a comparable project further along than ours.
    pub fn is_mentor(&self) -> bool {
        self.pairs.iter().any(|p| {
            p.reasons
                .iter()
                .any(|r| matches!(r, Reason::FurtherAlong { .. }))
        })
    }

    /// The partner stopped a comparable project and has lessons to share.
    pub fn has_lessons(&self) -> bool {
        self.pairs
            .iter()
            .any(|p| p.reasons.contains(&Reason::Stopped))
    }
}

/// Everything the matchmaking knows, kept current one project at a time.
pub struct Network {
    thesaurus: std::sync::Arc<Thesaurus>,
    analyzer: TextAnalyzer,
    vocabulary: Vocabulary,
    entries: Vec<Option<Entry>>,
    index_of: HashMap<i32, u32>,
    /// For each project, the projects whose neighbour lists hold it.
    cited_by: Vec<HashSet<u32>>,
    /// For each project, the projects whose shown similar lists hold it, with its score
    /// there (partner pairs read it without visiting those lists).
    listed_by: Vec<HashMap<u32, f32>>,
    cities: HashMap<i32, CityInput>,
    projects_of_city: HashMap<i32, HashSet<u32>>,
    partners: HashMap<i32, Vec<Partnership>>,
    /// Projects per theme of each city.
    profiles: HashMap<i32, [f32; 6]>,
    /// The cities taking part in each programme.
    programme_cities: HashMap<String, Vec<i32>>,
    /// Folded programme names (token sequences) → display name.
    programme_names: Vec<(Vec<String>, String)>,
    /// Stems of city names: a city named in a text is not what the project is about.
    city_stems: HashSet<String>,
    live: usize,
    /// Projects added, changed or removed since the build. Their weights use the document
    /// frequencies of their own time, so after many changes the network asks for a rebuild.
    changes_since_build: usize,
    /// Mean vector length at the build (see `LENGTH_SLOPE`); 0 for an empty network.
    pivot: f32,
}

fn stage_rank(stage: Stage) -> Option<u8> {
    match stage {
        Stage::Idea => Some(0),
        Stage::Pilot => Some(1),
        Stage::Running => Some(2),
        Stage::Scaled => Some(3),
        Stage::Stopped => None,
    }
}

impl Network {
    /// Builds the whole network: features, candidates, similar lists and partners.
    pub fn build(
        thesaurus: std::sync::Arc<Thesaurus>,
        cities: Vec<CityInput>,
        projects: Vec<ProjectInput>,
    ) -> Self {
        let mut network = Network {
            thesaurus,
            analyzer: analysis::words_analyzer(),
            vocabulary: Vocabulary::default(),
            entries: Vec::with_capacity(projects.len()),
            index_of: HashMap::with_capacity(projects.len()),
            cited_by: Vec::with_capacity(projects.len()),
            listed_by: Vec::with_capacity(projects.len()),
            cities: HashMap::new(),
            projects_of_city: HashMap::new(),
            partners: HashMap::new(),
            profiles: HashMap::new(),
            programme_cities: HashMap::new(),
            programme_names: Vec::new(),
            city_stems: HashSet::new(),
            live: 0,
            changes_since_build: 0,
            pivot: 0.0,
        };
        network.set_cities(cities);
        // Document frequencies first, so every vector is weighted by the final idf.
        let analyzed: Vec<Analyzed> = projects.iter().map(|p| network.analyze(p)).collect();
        for a in &analyzed {
            for &id in a.counts.keys() {
                network.vocabulary.df[id as usize] += 1;
            }
        }
        network.live = projects.len();
        // Each analysis is freed as soon as it is weighed, so the two never peak together.
        let mut vectors: Vec<Vec<Feature>> =
            analyzed.into_iter().map(|a| network.weigh(&a)).collect();
        network.pivot =
            vectors.iter().map(|v| length(v)).sum::<f32>() / vectors.len().max(1) as f32;
        for features in &mut vectors {
            network.normalise(features);
        }
        for (project, features) in projects.into_iter().zip(vectors) {
            let index = network.entries.len() as u32;
            for &f in &features {
                network.vocabulary.postings[f.id as usize].push((index, f.weight));
            }
            network.index_of.insert(project.id, index);
            network.join_city(&project, index);
            network.entries.push(Some(Entry {
                input: project,
                features,
                neighbours: Vec::new(),
                similar: Vec::new(),
            }));
            network.cited_by.push(HashSet::new());
            network.listed_by.push(HashMap::new());
        }
        // Sorted once here; later changes insert in place.
        let entries = &network.entries;
        for list in &mut network.vocabulary.postings {
            list.sort_by(|a, b| best_first_in(entries, a, b));
        }
        let mut scratch = Scratch::default();
        let mut dirty = HashSet::new();
        for index in 0..network.entries.len() as u32 {
            let neighbours = network.best_matches(index, &mut scratch);
            network.set_neighbours(index, neighbours, &mut dirty);
        }
        network.rerank(dirty, &mut HashSet::new());
        let city_ids: Vec<i32> = network.cities.keys().copied().collect();
        for city in city_ids {
            network.refresh_partners(city);
        }
        network
    }

    fn set_cities(&mut self, cities: Vec<CityInput>) {
        let mut names: BTreeMap<String, (Vec<String>, String)> = BTreeMap::new();
        self.city_stems.clear();
        self.programme_cities.clear();
        for city in &cities {
            for programme in &city.programmes {
                self.programme_cities
                    .entry(programme.clone())
                    .or_default()
                    .push(city.id);
            }
            for token in analysis::tokens(&mut self.analyzer, &city.name) {
                self.city_stems.insert(token);
            }
            for programme in &city.programmes {
                // "Sensorenregister (Kadaster)" is named in texts as "Sensorenregister".
                let bare = programme.split('(').next().unwrap_or(programme).trim();
                let tokens = analysis::tokens(&mut self.analyzer, bare);
                if !tokens.is_empty() {
                    names.insert(tokens.join(" "), (tokens, programme.clone()));
                }
            }
        }
        self.programme_names = names.into_values().collect();
        self.cities = cities.into_iter().map(|c| (c.id, c)).collect();
    }

    /// The words, concepts and programmes of a project, with counts and the first
    /// wording seen of each.
    fn analyze(&mut self, project: &ProjectInput) -> Analyzed {
        let mut counts: BTreeMap<u32, (u32, u32)> = BTreeMap::new();
        for (text, repeat) in [
            (project.title.as_str(), TITLE_REPEAT),
            (project.description.as_str(), 1),
        ] {
            let tokens = surface_tokens(&mut self.analyzer, text);
            let stems: Vec<String> = tokens.iter().map(|(s, _)| s.clone()).collect();
            let mut found = Vec::new();
            for m in self.thesaurus.matches(&stems) {
                let words = &tokens[m.start..m.start + m.len];
                let surface = join_surface(text, words);
                found.push((
                    Kind::Concept,
                    m.concept.id.clone(),
                    m.concept.label.clone(),
                    surface,
                ));
            }
            for (name_tokens, name) in &self.programme_names {
                if stems
                    .windows(name_tokens.len())
                    .any(|w| w == name_tokens.as_slice())
                {
                    found.push((Kind::Programme, name.clone(), name.clone(), name.clone()));
                }
            }
            for (stem, range) in &tokens {
                if stem.chars().count() < 3
                    || stem.chars().all(|c| c.is_ascii_digit())
                    || self.city_stems.contains(stem)
                {
                    continue;
                }
                let surface = text[range.clone()].to_lowercase();
                found.push((Kind::Term, stem.clone(), surface.clone(), surface));
            }
            for (kind, key, label, surface) in found {
                let id = self.vocabulary.id(kind, &key, &label);
                let surface = self.vocabulary.surface(&surface);
                let entry = counts.entry(id).or_insert((0, surface));
                entry.0 += repeat;
            }
        }
        Analyzed { counts }
    }

    /// TF-IDF weights, not yet normalised, sorted by feature id.
    fn weigh(&self, analyzed: &Analyzed) -> Vec<Feature> {
        let documents = self.live.max(1);
        analyzed
            .counts
            .iter()
            .map(|(&id, &(count, surface))| {
                let kind_weight = match self.vocabulary.kinds[id as usize] {
                    // A concept named in the title (or often) is what the project is about.
                    Kind::Concept => CONCEPT_WEIGHT * (1.0 + (count as f32).ln()),
                    Kind::Programme => PROGRAMME_WEIGHT,
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
    fn normalise(&self, features: &mut [Feature]) {
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

    fn entry(&self, index: u32) -> Option<&Entry> {
        entry_at(&self.entries, index)
    }

    /// A stored project by its id.
    fn entry_of(&self, project_id: i32) -> Option<&Entry> {
        self.entry(*self.index_of.get(&project_id)?)
    }

    /// Similarity of two projects: the dot product of their vectors plus the same-theme
    /// bonus.
    fn similarity(&self, a: &Entry, b: &Entry) -> f32 {
        let mut dot: f32 = shared_features(a, b)
            .map(|(x, y)| x.weight * y.weight)
            .sum();
        if dot > 0.0 && a.input.theme.is_some() && a.input.theme == b.input.theme {
            dot += SAME_THEME_BONUS;
        }
        dot
    }

    /// The neighbours of a project: the most similar projects of other cities, best
    /// first. Candidates come from the postings of the project's strongest features; the
    /// best of them are rescored exactly.
    fn best_matches(&self, index: u32, scratch: &mut Scratch) -> Vec<(u32, f32)> {
        let Some(entry) = self.entry(index) else {
            return Vec::new();
        };
        let mut strongest: Vec<Feature> = entry.features.clone();
        // Equal weights go by label, not by vocabulary id (the order words were first seen).
        let label = |f: &Feature| &self.vocabulary.labels[f.id as usize];
        strongest.sort_by(|a, b| {
            b.weight
                .total_cmp(&a.weight)
                .then_with(|| label(a).cmp(label(b)))
                .then_with(|| a.id.cmp(&b.id))
        });
        scratch.reset(self.entries.len());
        for feature in strongest.iter().take(QUERY_FEATURES) {
            let postings = &self.vocabulary.postings[feature.id as usize];
            for &(other, weight) in postings.iter().take(POSTINGS_READ) {
                scratch.add(other, feature.weight * weight);
            }
        }
        let mut candidates: Vec<(u32, f32)> = scratch
            .touched
            .iter()
            .map(|&other| (other, scratch.scores[other as usize]))
            .filter(|&(other, _)| {
                self.entry(other)
                    .is_some_and(|o| o.input.city_id != entry.input.city_id)
            })
            .collect();
        if candidates.len() > RESCORED {
            candidates.select_nth_unstable_by(RESCORED, |a, b| self.best_first(a, b));
            candidates.truncate(RESCORED);
        }
        let mut scored: Vec<(u32, f32)> = Vec::with_capacity(KEEP);
        for (other, _) in candidates {
            let Some(theirs) = self.entry(other) else {
                continue;
            };
            let score = self.similarity(entry, theirs);
            if score >= MIN_SIMILARITY {
                scored.push((other, score));
            }
        }
        scored.sort_by(|a, b| self.best_first(a, b));
        scored.truncate(KEEP);
        scored.shrink_to_fit();
        scored
    }

    /// Orders scored projects best first, ties by project id (see `best_first_in`).
    fn best_first(&self, a: &(u32, f32), b: &(u32, f32)) -> std::cmp::Ordering {
        best_first_in(&self.entries, a, b)
    }

    fn project_id(&self, index: u32) -> Option<i32> {
        self.entry(index).map(|e| e.input.id)
    }

    /// Puts a stored project into a feature's posting list, in `best_first` order.
    fn add_posting(&mut self, feature: Feature, index: u32) {
        let entries = &self.entries;
        let list = &mut self.vocabulary.postings[feature.id as usize];
        let new = (index, feature.weight);
        let at = list.partition_point(|p| best_first_in(entries, p, &new).is_lt());
        list.insert(at, new);
    }

    /// Replaces one of a project's lists and keeps its reverse index; returns the old
    /// list, or `None` for a removed project.
    fn replace_list(
        &mut self,
        list: List,
        index: u32,
        new: Vec<(u32, f32)>,
    ) -> Option<Vec<(u32, f32)>> {
        let entry = self.entries.get_mut(index as usize)?.as_mut()?;
        let old = match list {
            List::Neighbours => {
                let old = std::mem::replace(&mut entry.neighbours, new);
                relink(&mut self.cited_by, index, &old, &entry.neighbours);
                old
            }
            List::Shown => {
                let old = std::mem::replace(&mut entry.similar, new);
                relink(&mut self.listed_by, index, &old, &entry.similar);
                old
            }
        };
        Some(old)
    }

    /// Replaces a project's neighbours. The shown lists that read them — its own and
    /// those of the projects it is a neighbour of — become `dirty`.
    fn set_neighbours(
        &mut self,
        index: u32,
        neighbours: Vec<(u32, f32)>,
        dirty: &mut HashSet<u32>,
    ) {
        if self
            .replace_list(List::Neighbours, index, neighbours)
            .is_some()
        {
            dirty.insert(index);
            dirty.extend(self.cited_by[index as usize].iter().copied());
        }
    }

    /// The shown list of a project: its neighbours and their neighbours, scored by
    /// direct similarity plus the shared-neighbour evidence.
    fn reranked(&self, index: u32) -> Vec<(u32, f32)> {
        let Some(entry) = self.entry(index) else {
            return Vec::new();
        };
        // candidate → (direct similarity where already known, shared-neighbour evidence)
        let mut candidates: HashMap<u32, (Option<f32>, f32)> = entry
            .neighbours
            .iter()
            .map(|&(b, ab)| (b, (Some(ab), 0.0)))
            .collect();
        for &(b, ab) in &entry.neighbours {
            for &(c, bc) in self.entry(b).map_or(&[][..], |e| e.neighbours.as_slice()) {
                if c != index {
                    candidates.entry(c).or_insert((None, 0.0)).1 += ab.min(bc);
                }
            }
        }
        let mut scored: Vec<(u32, f32)> = candidates
            .into_iter()
            .filter_map(|(c, (direct, evidence))| {
                let theirs = self.entry(c)?;
                if theirs.input.city_id == entry.input.city_id {
                    return None;
                }
                let direct = direct.unwrap_or_else(|| self.similarity(entry, theirs));
                (direct >= MIN_SIMILARITY)
                    .then_some((c, direct + SHARED_NEIGHBOUR_WEIGHT * evidence))
            })
            .collect();
        scored.sort_by(|a, b| self.best_first(a, b));
        scored.truncate(KEEP);
        scored.shrink_to_fit();
        scored
    }

    /// Recomputes the shown lists of the `dirty` projects; partner scores read pairs in
    /// both directions, so the cities of each project and of every old and new member
    /// are `affected`.
    fn rerank(&mut self, dirty: HashSet<u32>, affected: &mut HashSet<i32>) {
        let mut dirty: Vec<u32> = dirty.into_iter().collect();
        dirty.sort_unstable();
        let lists: Vec<(u32, Vec<(u32, f32)>)> =
            dirty.into_iter().map(|i| (i, self.reranked(i))).collect();
        for (index, similar) in lists {
            self.set_similar(index, similar, affected);
        }
    }

    /// Replaces a project's shown list; its city and the cities of its old and new
    /// members are `affected`.
    fn set_similar(&mut self, index: u32, similar: Vec<(u32, f32)>, affected: &mut HashSet<i32>) {
        if self.entry(index).is_none_or(|e| e.similar == similar) {
            return;
        }
        let old = self
            .replace_list(List::Shown, index, similar)
            .unwrap_or_default();
        let Some(entry) = self.entry(index) else {
            return;
        };
        affected.insert(entry.input.city_id);
        for &(member, _) in old.iter().chain(&entry.similar) {
            if let Some(e) = self.entry(member) {
                affected.insert(e.input.city_id);
            }
        }
    }

    /// Counts a project in its city (membership and theme profile).
    fn join_city(&mut self, project: &ProjectInput, index: u32) {
        self.projects_of_city
            .entry(project.city_id)
            .or_default()
            .insert(index);
        if let Some(theme) = project.theme {
            self.profiles.entry(project.city_id).or_insert([0.0; 6])[theme.index()] += 1.0;
        }
    }

    fn leave_city(&mut self, project: &ProjectInput, index: u32) {
        if let Some(set) = self.projects_of_city.get_mut(&project.city_id) {
            set.remove(&index);
        }
        if let (Some(theme), Some(profile)) =
            (project.theme, self.profiles.get_mut(&project.city_id))
        {
            profile[theme.index()] = (profile[theme.index()] - 1.0).max(0.0);
        }
    }

    /// Adds a project, or replaces it after an edit; the work is the project's
    /// neighbourhood: the lists it enters or leaves and the partner lists of their cities.
    /// Returns the cities whose partner lists were recomputed.
    pub fn upsert(&mut self, project: ProjectInput) -> Vec<i32> {
        let mut affected: HashSet<i32> = HashSet::new();
        let mut dirty: HashSet<u32> = HashSet::new();
        let mut scratch = Scratch::default();
        if let Some(&old) = self.index_of.get(&project.id) {
            self.detach(old, &mut dirty, &mut affected, &mut scratch);
        }
        let analyzed = self.analyze(&project);
        for &id in analyzed.counts.keys() {
            self.vocabulary.df[id as usize] += 1;
        }
        self.live += 1;
        self.changes_since_build += 1;
        let mut features = self.weigh(&analyzed);
        self.normalise(&mut features);
        let postings = features.clone();
        let index = self.entries.len() as u32;
        self.index_of.insert(project.id, index);
        // Its city's theme profile changed, even when the project matches nothing.
        affected.insert(project.city_id);
        self.join_city(&project, index);
        self.entries.push(Some(Entry {
            input: project,
            features,
            neighbours: Vec::new(),
            similar: Vec::new(),
        }));
        self.cited_by.push(HashSet::new());
        self.listed_by.push(HashMap::new());
        // After the entry is stored: ties in a posting list are ordered by project id.
        for f in postings {
            self.add_posting(f, index);
        }
        let neighbours = self.best_matches(index, &mut scratch);
        // The new project enters the neighbours of those it resembles, where it ranks.
        for &(other, score) in &neighbours {
            let Some(entry) = self.entry(other) else {
                continue;
            };
            let before = |x: &(u32, f32)| self.best_first(x, &(index, score)).is_lt();
            let full = entry.neighbours.len() >= KEEP;
            if full && entry.neighbours.last().is_some_and(before) {
                continue;
            }
            let mut list = entry.neighbours.clone();
            let at = list.partition_point(before);
            list.insert(at, (index, score));
            list.truncate(KEEP);
            self.set_neighbours(other, list, &mut dirty);
        }
        self.set_neighbours(index, neighbours, &mut dirty);
        self.rerank(dirty, &mut affected);
        self.refresh_cities(affected)
    }

    fn refresh_cities(&mut self, cities: HashSet<i32>) -> Vec<i32> {
        let mut cities: Vec<i32> = cities.into_iter().collect();
        cities.sort_unstable();
        for &city in &cities {
            self.refresh_partners(city);
        }
        cities
    }

    /// Removes a project (deleted in the database). Returns the cities whose partner
    /// lists were recomputed.
    pub fn remove(&mut self, project_id: i32) -> Vec<i32> {
        let Some(&index) = self.index_of.get(&project_id) else {
            return Vec::new();
        };
        let (mut dirty, mut affected) = (HashSet::new(), HashSet::new());
        self.detach(index, &mut dirty, &mut affected, &mut Scratch::default());
        self.changes_since_build += 1;
        self.rerank(dirty, &mut affected);
        self.refresh_cities(affected)
    }

    /// Takes a project out of postings and every list that held it; the neighbour lists
    /// that lost it are recomputed, the shown lists that held it become `dirty`.
    fn detach(
        &mut self,
        index: u32,
        dirty: &mut HashSet<u32>,
        affected: &mut HashSet<i32>,
        scratch: &mut Scratch,
    ) {
        // Its own lists go first: those members lose a pair too.
        self.set_neighbours(index, Vec::new(), dirty);
        self.set_similar(index, Vec::new(), affected);
        dirty.extend(
            self.listed_by[index as usize]
                .drain()
                .map(|(member, _)| member),
        );
        let Some(entry) = self.entries.get_mut(index as usize).and_then(Option::take) else {
            return;
        };
        for f in &entry.features {
            self.vocabulary.remove_posting(f.id, index);
            let df = &mut self.vocabulary.df[f.id as usize];
            *df = df.saturating_sub(1);
        }
        self.live = self.live.saturating_sub(1);
        self.index_of.remove(&entry.input.id);
        self.leave_city(&entry.input, index);
        affected.insert(entry.input.city_id);
        let citing: Vec<u32> = self.cited_by[index as usize].drain().collect();
        for other in citing {
            let neighbours = self.best_matches(other, scratch);
            self.set_neighbours(other, neighbours, dirty);
        }
    }

    /// Replaces the cities (names, programmes) and recomputes every partner list; cities
    /// change only with an inventory import.
    pub fn update_cities(&mut self, cities: Vec<CityInput>) {
        self.set_cities(cities);
        let ids: Vec<i32> = self.cities.keys().copied().collect();
        for city in ids {
            self.refresh_partners(city);
        }
    }

    pub fn contains(&self, project_id: i32) -> bool {
        self.index_of.contains_key(&project_id)
    }

    /// The thesaurus the network reads texts with, for building it anew.
    pub fn thesaurus(&self) -> std::sync::Arc<Thesaurus> {
        self.thesaurus.clone()
    }

    pub fn project_count(&self) -> usize {
        self.live
    }

    /// With `coming` more changes, so many projects will have changed since the build
    /// that the weights of the others (document frequencies) are out of date: time to
    /// build anew from the database.
    pub fn wants_rebuild(&self, coming: usize) -> bool {
        let limit = (self.live as f32 * REBUILD_SHARE) as usize;
        self.changes_since_build + coming > limit.max(REBUILD_MIN_CHANGES)
    }

    /// The projects of other cities most like this one, with reasons; `None` for an
    /// unknown project.
    pub fn similar(&self, project_id: i32, limit: usize) -> Option<Vec<Similar>> {
        let entry = self.entry_of(project_id)?;
        Some(
            entry
                .similar
                .iter()
                .take(limit)
                .filter_map(|&(other, score)| {
                    let theirs = self.entry(other)?;
                    Some(Similar {
                        project_id: theirs.input.id,
                        score,
                        reasons: self.reasons(entry, theirs),
                    })
                })
                .collect(),
        )
    }

    /// The partner cities of a city with their reasons, best first; empty for a city
    /// without matches.
    pub fn partners(&self, city_id: i32, limit: usize) -> Vec<Partner> {
        let Some(city) = self.cities.get(&city_id) else {
            return Vec::new();
        };
        let our_profile = self.theme_profile(city_id);
        self.partnerships(city_id, limit)
            .iter()
            .filter_map(|partnership| {
                let other = self.cities.get(&partnership.city_id)?;
                let pairs = partnership
                    .pairs
                    .iter()
                    .filter_map(|&(ours, theirs, score)| {
                        let (x, y) = (self.entry_of(ours)?, self.entry_of(theirs)?);
                        Some(PairReason {
                            ours,
                            theirs,
                            score,
                            reasons: self.reasons(x, y),
                        })
                    })
                    .collect();
                Some(Partner {
                    city_id: partnership.city_id,
                    score: partnership.score,
                    pairs,
                    programmes: city
                        .programmes
                        .iter()
                        .filter(|p| other.programmes.contains(p))
                        .cloned()
                        .collect(),
                    shared_themes: top_shared_themes(
                        &our_profile,
                        &self.theme_profile(partnership.city_id),
                    ),
                })
            })
            .collect()
    }

    /// The partner cities of a city as (city id, score), best first, without the cost of
    /// wording reasons: for the network map.
    pub fn partner_scores(
        &self,
        city_id: i32,
        limit: usize,
    ) -> impl Iterator<Item = (i32, f32)> + '_ {
        self.partnerships(city_id, limit)
            .iter()
            .map(|p| (p.city_id, p.score))
    }

    fn partnerships(&self, city_id: i32, limit: usize) -> &[Partnership] {
        let all = self
            .partners
            .get(&city_id)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        &all[..all.len().min(limit)]
    }

    /// Why `theirs` is comparable to `ours`, strongest evidence first.
    fn reasons(&self, ours: &Entry, theirs: &Entry) -> Vec<Reason> {
        let common_limit = (self.live as f32 * REASON_MAX_SHARE).max(2.0) as u32;
        let mut shared: Vec<(f32, Kind, String)> = Vec::new();
        for (x, y) in shared_features(ours, theirs) {
            let kind = self.vocabulary.kinds[x.id as usize];
            let common = self.vocabulary.df[x.id as usize] > common_limit;
            if kind == Kind::Term && common {
                continue;
            }
            let text = match kind {
                Kind::Programme => self.vocabulary.labels[x.id as usize].clone(),
                _ => self.vocabulary.surface_text[y.surface as usize].clone(),
            };
            shared.push((x.weight * y.weight, kind, text));
        }
        shared.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut reasons = Vec::new();
        let pick = |kind: Kind, max: usize| -> Vec<String> {
            let mut seen = HashSet::new();
            shared
                .iter()
                .filter(|(_, k, _)| *k == kind)
                .map(|(_, _, t)| t.clone())
                .filter(|t| seen.insert(t.to_lowercase()))
                .take(max)
                .collect()
        };
        // Each piece of evidence once: a word already said by a programme or concept
        // ("Talking Traffic") is not repeated as a word ("talking", "traffic").
        let programmes = pick(Kind::Programme, 2);
        let said = |text: &str, before: &[String]| {
            let text = text.to_lowercase();
            before.iter().any(|b| b.to_lowercase().contains(&text))
        };
        let concepts: Vec<String> = pick(Kind::Concept, 4)
            .into_iter()
            .filter(|c| !said(c, &programmes))
            .take(3)
            .collect();
        let named: Vec<String> = programmes.iter().chain(&concepts).cloned().collect();
        let words: Vec<String> = pick(Kind::Term, 6)
            .into_iter()
            .filter(|w| !said(w, &named))
            .take(3)
            .collect();
        if !programmes.is_empty() {
            reasons.push(Reason::Programmes(programmes));
        }
        if !concepts.is_empty() {
            reasons.push(Reason::Concepts(concepts));
        }
        if !words.is_empty() {
            reasons.push(Reason::Words(words));
        }
        if let (Some(a), Some(b)) = (ours.input.theme, theirs.input.theme) {
            if a == b {
                reasons.push(Reason::SameTheme(a));
            }
        }
        match (ours.input.stage, theirs.input.stage) {
            (Some(yours), Some(Stage::Stopped)) if yours != Stage::Stopped => {
                reasons.push(Reason::Stopped)
            }
            (Some(yours), Some(theirs_stage)) => {
                if let (Some(y), Some(t)) = (stage_rank(yours), stage_rank(theirs_stage)) {
                    if y <= 1 && t >= 2 {
                        reasons.push(Reason::FurtherAlong {
                            theirs: theirs_stage,
                            yours,
                        });
                    }
                }
            }
            _ => {}
        }
        reasons
    }

    fn theme_profile(&self, city_id: i32) -> [f32; 6] {
        self.profiles.get(&city_id).copied().unwrap_or_default()
    }

    /// Recomputes one city's partners: the best one-to-one project pairs with each
    /// other city (from the similar lists in both directions) plus shared programmes,
    /// kept as scores and project ids (`partners` words the reasons when asked).
    fn refresh_partners(&mut self, city_id: i32) {
        let Some(city) = self.cities.get(&city_id) else {
            self.partners.remove(&city_id);
            return;
        };
        // (their city) → pairs (our project, their project, score)
        let mut pairs: HashMap<i32, Vec<(u32, u32, f32)>> = HashMap::new();
        let mut seen: HashSet<(u32, u32)> = HashSet::new();
        for &a in self.projects_of_city.get(&city_id).into_iter().flatten() {
            let Some(entry) = self.entry(a) else { continue };
            let forward = entry.similar.iter().copied();
            let backward = self.listed_by[a as usize].iter().map(|(&b, &s)| (b, s));
            for (b, score) in forward.chain(backward) {
                if score < PAIR_MIN {
                    continue;
                }
                let Some(other) = self.entry(b) else { continue };
                if seen.insert((a, b)) {
                    pairs
                        .entry(other.input.city_id)
                        .or_default()
                        .push((a, b, score));
                }
            }
        }
        let mut programme_bonus: HashMap<i32, f32> = HashMap::new();
        for programme in &city.programmes {
            let holders = self
                .programme_cities
                .get(programme)
                .map_or(&[][..], Vec::as_slice);
            let rarity = (self.cities.len() as f32 / holders.len().max(1) as f32).ln();
            for &other in holders.iter().filter(|&&c| c != city_id) {
                *programme_bonus.entry(other).or_default() += PROGRAMME_BONUS * rarity;
            }
        }
        let mut ranked: Vec<Ranked> = Vec::new();
        let mut candidates: Vec<i32> = pairs
            .keys()
            .chain(programme_bonus.keys())
            .copied()
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        for other_id in candidates {
            let mut list = pairs.remove(&other_id).unwrap_or_default();
            list.sort_by(|x, y| {
                self.best_first(&(x.0, x.2), &(y.0, y.2))
                    .then_with(|| self.project_id(x.1).cmp(&self.project_id(y.1)))
            });
            // One-to-one: each project of either city stands in one pair at most.
            let mut chosen: Vec<(u32, u32, f32)> = Vec::with_capacity(PAIRS_PER_PARTNER);
            for (a, b, score) in list {
                if chosen.len() == PAIRS_PER_PARTNER {
                    break;
                }
                if chosen.iter().all(|&(x, y, _)| x != a && y != b) {
                    chosen.push((a, b, score));
                }
            }
            let score = chosen.iter().map(|c| c.2).sum::<f32>()
                + programme_bonus.get(&other_id).copied().unwrap_or_default();
            ranked.push((other_id, score, chosen));
        }
        let by_score = |a: &Ranked, b: &Ranked| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if ranked.len() > PARTNERS_KEPT {
            ranked.select_nth_unstable_by(PARTNERS_KEPT, by_score);
            ranked.truncate(PARTNERS_KEPT);
        }
        ranked.sort_by(by_score);
        let partners = ranked
            .into_iter()
            .filter(|(other_id, ..)| self.cities.contains_key(other_id))
            .map(|(city_id, score, chosen)| Partnership {
                city_id,
                score,
                pairs: chosen
                    .iter()
                    .filter_map(|&(a, b, s)| Some((self.project_id(a)?, self.project_id(b)?, s)))
                    .collect(),
            })
            .collect();
        self.partners.insert(city_id, partners);
    }
}

/// The features two projects share, as (ours, theirs); both lists are sorted by id.
fn shared_features<'a>(
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

/// A reverse index entry: who holds a project in a list (and, for shown lists, at which
/// score, which partner pairs read).
trait Holders {
    fn link(&mut self, holder: u32, score: f32);
    fn unlink(&mut self, holder: u32);
}

impl Holders for HashSet<u32> {
    fn link(&mut self, holder: u32, _score: f32) {
        self.insert(holder);
    }
    fn unlink(&mut self, holder: u32) {
        self.remove(&holder);
    }
}

impl Holders for HashMap<u32, f32> {
    fn link(&mut self, holder: u32, score: f32) {
        self.insert(holder, score);
    }
    fn unlink(&mut self, holder: u32) {
        self.remove(&holder);
    }
}

/// Moves `holder`'s entries in the reverse index from its `old` list to its `new` one.
fn relink<H: Holders>(reverse: &mut [H], holder: u32, old: &[(u32, f32)], new: &[(u32, f32)]) {
    for &(member, _) in old {
        reverse[member as usize].unlink(holder);
    }
    for &(member, score) in new {
        reverse[member as usize].link(holder, score);
    }
}

/// Orders scored projects best first; ties go to the lower project id, so an order never
/// depends on the slot a project happens to be stored in (an edit moves it, a rebuild
/// puts it back).
fn best_first_in(entries: &[Option<Entry>], a: &(u32, f32), b: &(u32, f32)) -> std::cmp::Ordering {
    let id = |index: u32| entry_at(entries, index).map(|e| e.input.id);
    b.1.total_cmp(&a.1).then_with(|| id(a.0).cmp(&id(b.0)))
}

/// The live project stored at `index`, if any (removed projects leave an empty slot).
fn entry_at(entries: &[Option<Entry>], index: u32) -> Option<&Entry> {
    entries.get(index as usize).and_then(Option::as_ref)
}

/// The Euclidean length of a vector.
fn length(features: &[Feature]) -> f32 {
    features
        .iter()
        .map(|f| f.weight * f.weight)
        .sum::<f32>()
        .sqrt()
}

/// The themes both cities have most projects in (up to two).
fn top_shared_themes(a: &[f32; 6], b: &[f32; 6]) -> Vec<Theme> {
    // "Both mostly active in X" holds only for a theme among the two largest of both
    // profiles (ties included); the strongest by the smaller of the two shares first.
    let second_largest = |profile: &[f32; 6]| {
        let mut counts = *profile;
        counts.sort_by(|x, y| y.total_cmp(x));
        counts[1]
    };
    let (a_second, b_second) = (second_largest(a), second_largest(b));
    let main = |profile: &[f32; 6], second: f32, theme: Theme| {
        let count = profile[theme.index()];
        count > 0.0 && count >= second
    };
    let share = |profile: &[f32; 6], theme: Theme| {
        profile[theme.index()] / profile.iter().sum::<f32>().max(1.0)
    };
    let mut themes: Vec<(f32, Theme)> = Theme::ALL
        .into_iter()
        .filter(|&t| main(a, a_second, t) && main(b, b_second, t))
        .map(|t| (share(a, t).min(share(b, t)), t))
        .collect();
    themes.sort_by(|x, y| y.0.total_cmp(&x.0));
    themes.into_iter().take(2).map(|(_, t)| t).collect()
}

/// The analyzed tokens of a text with the byte range each came from.
fn surface_tokens(
    analyzer: &mut TextAnalyzer,
    text: &str,
) -> Vec<(String, std::ops::Range<usize>)> {
    let mut stream = analyzer.token_stream(text);
    let mut tokens = Vec::new();
    while let Some(token) = stream.next() {
        tokens.push((token.text.clone(), token.offset_from..token.offset_to));
    }
    tokens
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
    use std::sync::Arc;

    use super::*;

    fn city(id: i32, name: &str, programmes: &[&str]) -> CityInput {
        CityInput {
            id,
            name: name.into(),
            programmes: programmes.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    fn project(id: i32, city_id: i32, title: &str, text: &str, stage: Stage) -> ProjectInput {
        ProjectInput::new(
            id,
            city_id,
            Some(Theme::Mobility),
            Some(stage),
            title.into(),
            text.into(),
            "report",
        )
    }

    fn network(projects: Vec<ProjectInput>) -> Network {
        let cities = vec![
            city(1, "Apeldoorn", &["Talking Traffic"]),
            city(2, "Arnhem", &["Talking Traffic"]),
            city(3, "Breda", &[]),
        ];
        Network::build(Arc::new(Thesaurus::shipped()), cities, projects)
    }

    fn traffic(id: i32, city_id: i32, stage: Stage) -> ProjectInput {
        project(
            id,
            city_id,
            "Talking Traffic",
            "Slimme verkeerslichten (iVRI's) geven fietsers voorrang.",
            stage,
        )
    }

    fn parking(id: i32, city_id: i32) -> ProjectInput {
        project(
            id,
            city_id,
            "Slim parkeren",
            "Parkeersensoren in de binnenstad tonen vrije parkeerplaatsen.",
            Stage::Pilot,
        )
    }

    #[test]
    fn similar_projects_are_of_other_cities_only() {
        let net = network(vec![
            traffic(1, 1, Stage::Pilot),
            traffic(2, 1, Stage::Pilot),
            traffic(3, 2, Stage::Pilot),
        ]);
        let similar = net.similar(1, 10).unwrap_or_default();
        assert_eq!(
            similar.iter().map(|s| s.project_id).collect::<Vec<_>>(),
            vec![3]
        );
    }

    #[test]
    fn a_further_project_is_a_possible_mentor_and_a_stopped_one_has_lessons() {
        let net = network(vec![
            traffic(1, 1, Stage::Pilot),
            traffic(2, 2, Stage::Scaled),
            traffic(3, 3, Stage::Stopped),
        ]);
        let similar = net.similar(1, 10).unwrap_or_default();
        let reasons = |id: i32| {
            similar
                .iter()
                .find(|s| s.project_id == id)
                .map(|s| s.reasons.clone())
                .unwrap_or_default()
        };
        assert!(reasons(2).contains(&Reason::FurtherAlong {
            theirs: Stage::Scaled,
            yours: Stage::Pilot
        }));
        assert!(reasons(3).contains(&Reason::Stopped));
        assert!(net
            .partners(1, 5)
            .iter()
            .any(|p| p.city_id == 2 && p.is_mentor()));
    }

    #[test]
    fn a_partner_becomes_a_mentor_once_its_pilot_is_scaled() {
        let mut net = network(vec![
            traffic(1, 1, Stage::Pilot),
            traffic(2, 2, Stage::Pilot),
        ]);
        let mentor = |net: &Network| net.partners(1, 5).iter().any(|p| p.is_mentor());
        assert!(!mentor(&net));
        net.upsert(traffic(2, 2, Stage::Scaled));
        assert!(mentor(&net));
    }

    #[test]
    fn shared_themes_are_main_themes_of_both_cities() {
        use Theme::*;
        let profile = |counts: &[(Theme, f32)]| {
            let mut p = [0.0; 6];
            counts.iter().for_each(|&(t, n)| p[t.index()] = n);
            p
        };
        // Living is a main theme of the small city only, Economy of the large one only.
        let small = profile(&[
            (Governance, 4.0),
            (Economy, 1.0),
            (Mobility, 1.0),
            (Living, 3.0),
        ]);
        let large = profile(&[(Governance, 9.0), (Economy, 8.0), (Living, 2.0)]);
        assert_eq!(top_shared_themes(&small, &large), vec![Governance]);
        let other = profile(&[(Mobility, 5.0), (Environment, 4.0)]);
        assert!(top_shared_themes(&small, &other).is_empty(), "no claim");
    }

    #[test]
    fn shared_programme_is_named_once_not_again_as_words() {
        let net = network(vec![
            traffic(1, 1, Stage::Pilot),
            traffic(2, 2, Stage::Pilot),
        ]);
        let reasons = &net.similar(1, 1).unwrap_or_default()[0].reasons;
        assert!(reasons.contains(&Reason::Programmes(vec!["Talking Traffic".into()])));
        assert!(!reasons
            .iter()
            .any(|r| matches!(r, Reason::Words(w) if w.contains(&"traffic".to_owned()))));
    }

    #[test]
    fn a_project_close_to_our_neighbours_ranks_above_an_equally_close_stranger() {
        let words = |id, city_id, text: &str| project(id, city_id, "", text, Stage::Pilot);
        let net = network(vec![
            words(1, 1, "kwartel zwaluw knutsel"),
            words(2, 2, "kwartel zwaluw reiger"),
            // 3 and 4 share exactly as much with 1 ("knutsel" and a word as rare),
            // but 4 also resembles 2, which resembles 1.
            words(3, 3, "knutsel mus"),
            words(4, 3, "knutsel reiger"),
            words(5, 1, "mus"),
        ]);
        let entry = |id| net.entry(net.index_of[&id]).expect("entry");
        let (ours, stranger, close) = (entry(1), entry(3), entry(4));
        assert_eq!(
            net.similarity(ours, stranger),
            net.similarity(ours, close),
            "the direct evidence is the same"
        );
        let order: Vec<i32> = net
            .similar(1, 5)
            .unwrap_or_default()
            .iter()
            .map(|s| s.project_id)
            .collect();
        assert_eq!(order, vec![2, 4, 3]);
    }

    #[test]
    fn equally_close_projects_rank_by_id_also_after_an_edit() {
        let mut net = network(vec![parking(1, 1), parking(2, 2), parking(3, 3)]);
        let order = |net: &Network| -> Vec<i32> {
            let similar = net.similar(3, 10).unwrap_or_default();
            similar.iter().map(|s| s.project_id).collect()
        };
        assert_eq!(order(&net), vec![1, 2]);
        // An edit gives the project a new place in the network's storage.
        net.upsert(parking(1, 1));
        assert_eq!(order(&net), vec![1, 2]);
    }

    #[test]
    fn posting_lists_rank_equal_weights_by_id_also_after_an_edit() {
        let mut net = network(vec![parking(1, 1), parking(2, 2), parking(3, 3)]);
        net.upsert(parking(1, 1));
        for list in &net.vocabulary.postings {
            let ids: Vec<Option<i32>> = list.iter().map(|&(i, _)| net.project_id(i)).collect();
            let mut sorted = list.clone();
            sorted.sort_by(|a, b| net.best_first(a, b));
            assert_eq!(list, &sorted, "posting list of projects {ids:?}");
        }
    }

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

    #[test]
    fn a_project_matching_nothing_still_refreshes_its_city() {
        let mut net = network(vec![
            traffic(1, 1, Stage::Pilot),
            traffic(2, 2, Stage::Pilot),
        ]);
        let lonely = project(3, 3, "Zeppelinhaven", "", Stage::Idea);
        // Its city's theme profile changed, so its partners' shared themes may have too.
        assert_eq!(net.upsert(lonely), vec![3]);
    }

    #[test]
    fn a_network_changed_in_many_projects_asks_for_a_rebuild() {
        let mut net = network(vec![traffic(1, 1, Stage::Pilot), parking(2, 2)]);
        for id in 3..3 + REBUILD_MIN_CHANGES as i32 {
            net.upsert(parking(id, 3));
        }
        assert!(!net.wants_rebuild(0), "a few changes are taken in place");
        assert!(net.wants_rebuild(1), "one more is too many");
        net.remove(3);
        assert!(net.wants_rebuild(0));
    }

    /// Every list entry has its mirror in the reverse index, at the same score, and the
    /// reverse index holds nothing else.
    fn assert_reverse_indexes_mirror_lists(net: &Network) {
        let (mut listed, mut cited) = (0, 0);
        for (holder, entry) in net.entries.iter().enumerate() {
            let Some(entry) = entry else { continue };
            let holder = holder as u32;
            for &(member, score) in &entry.similar {
                assert_eq!(net.listed_by[member as usize].get(&holder), Some(&score));
                listed += 1;
            }
            for &(member, _) in &entry.neighbours {
                assert!(net.cited_by[member as usize].contains(&holder));
                cited += 1;
            }
        }
        assert_eq!(
            net.listed_by.iter().map(HashMap::len).sum::<usize>(),
            listed
        );
        assert_eq!(net.cited_by.iter().map(HashSet::len).sum::<usize>(), cited);
    }

    /// Two kinds of pilot over three cities, one city with both.
    fn mixed() -> Vec<ProjectInput> {
        vec![
            traffic(1, 1, Stage::Pilot),
            parking(2, 1),
            traffic(3, 2, Stage::Running),
            parking(4, 3),
        ]
    }

    #[test]
    fn reverse_indexes_follow_additions_edits_and_removals() {
        let mut projects = mixed();
        projects.push(traffic(5, 3, Stage::Scaled));
        let mut net = network(projects);
        assert_reverse_indexes_mirror_lists(&net);
        net.upsert(parking(6, 2));
        assert_reverse_indexes_mirror_lists(&net);
        // An edit that moves a project from one kind of pilot to another.
        net.upsert(parking(3, 2));
        assert_reverse_indexes_mirror_lists(&net);
        net.remove(4);
        assert_reverse_indexes_mirror_lists(&net);
    }

    #[test]
    fn adding_then_removing_a_project_restores_every_list() {
        let mut net = network(mixed());
        let snapshot = |net: &Network| {
            let similar: Vec<Vec<i32>> = (1..=4)
                .map(|id| {
                    net.similar(id, 20)
                        .unwrap_or_default()
                        .iter()
                        .map(|s| s.project_id)
                        .collect()
                })
                .collect();
            let partners: Vec<Vec<i32>> = (1..=3)
                .map(|c| net.partners(c, 20).iter().map(|p| p.city_id).collect())
                .collect();
            (similar, partners)
        };
        let before = snapshot(&net);
        let recomputed = net.upsert(parking(5, 2));
        assert!(recomputed.contains(&2) && recomputed.contains(&1) && recomputed.contains(&3));
        assert!(net
            .similar(2, 5)
            .unwrap_or_default()
            .iter()
            .any(|s| s.project_id == 5));
        assert!(net.partners(3, 5).iter().any(|p| p.city_id == 2));
        net.remove(5);
        assert_eq!(snapshot(&net), before);
        assert!(!net.contains(5));
    }
}
