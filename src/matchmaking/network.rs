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
//!
//! The parts, each readable on its own: `vectors` (what a project is about: vocabulary,
//! features, weights), `similar` (the neighbour and shown lists, with their reverse
//! indexes), `partners` (partner cities from the shown lists) and `evidence` (why two
//! projects are comparable, in data). This file holds the network itself and keeps it
//! current: the full build, and adding, changing or removing one project.

mod evidence;
#[cfg(test)]
mod fixtures;
mod partners;
mod similar;
mod vectors;

use std::collections::{BTreeMap, HashMap, HashSet};

use tantivy::tokenizer::TextAnalyzer;

use crate::projects::model::Stage;
use crate::search::analysis;
use crate::search::thesaurus::Thesaurus;
use crate::themes::Theme;
use crate::web::i18n::Bilingual;
pub use evidence::Reason;
use partners::Partnership;
pub use partners::{PairReason, Partner, PARTNERS_KEPT};
use similar::{best_first_in, Scratch};
pub use similar::{Similar, KEEP, MIN_SIMILARITY};
use vectors::{length, Analyzed, Feature, Vocabulary};

/// A network changed in more than this share of its projects (and at least
/// `REBUILD_MIN_CHANGES` of them) is rebuilt, to weigh everything by current frequencies.
const REBUILD_SHARE: f32 = 0.1;
const REBUILD_MIN_CHANGES: usize = 50;

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
    /// The solutions the project is (confirmed, or suggested with enough confidence).
    pub solutions: Vec<SolutionLink>,
}

/// A project's link to a catalogue solution, as evidence.
#[derive(Clone, Debug, PartialEq)]
pub struct SolutionLink {
    pub slug: String,
    /// Its name in Dutch and in English, for reasons.
    pub name: Bilingual,
    /// 1 for a link an editor confirmed, else the suggestion's confidence.
    pub weight: f32,
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
            solutions: Vec::new(),
        }
    }

    /// The same project, known to be these solutions.
    pub fn with_solutions(mut self, solutions: Vec<SolutionLink>) -> Self {
        self.solutions = solutions;
        self
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

/// A named thing a project is connected with: (feature id, the words it used).
type Connection = (u32, u32);

struct Entry {
    input: ProjectInput,
    features: Vec<Feature>,
    /// What the project names as a relation, not as its subject: (feature id, the words
    /// it used), sorted by id.
    connections: Vec<Connection>,
    /// The most similar projects of other cities by direct similarity, best first.
    neighbours: Vec<(u32, f32)>,
    /// The neighbours re-ranked with shared neighbours: what is shown and what
    /// partnerships are built from.
    similar: Vec<(u32, f32)>,
}

/// Everything the matchmaking knows, kept current one project at a time.
pub struct Network {
    thesaurus: std::sync::Arc<Thesaurus>,
    analyzer: TextAnalyzer,
    /// Words without stop words or stemming, for negations and relation phrases.
    folded: TextAnalyzer,
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
            folded: analysis::folded_analyzer(),
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
        for (a, p) in analyzed.iter().zip(&projects) {
            network
                .vocabulary
                .count(a.counts.keys().copied(), p.theme, true);
        }
        network.live = projects.len();
        // Each analysis is freed as soon as it is weighed, so the two never peak together.
        let mut vectors: Vec<(Vec<Feature>, Vec<Connection>)> = analyzed
            .into_iter()
            .map(|a| (network.weigh(&a), a.connections.into_iter().collect()))
            .collect();
        network.pivot =
            vectors.iter().map(|(v, _)| length(v)).sum::<f32>() / vectors.len().max(1) as f32;
        for (features, _) in &mut vectors {
            network.normalise(features);
        }
        for (project, (features, connections)) in projects.into_iter().zip(vectors) {
            let index = network.entries.len() as u32;
            for &f in &features {
                network.vocabulary.postings[f.id as usize].push((index, f.weight));
            }
            for &(c, _) in &connections {
                network.vocabulary.connected[c as usize].push(index);
            }
            network.index_of.insert(project.id, index);
            network.join_city(&project, index);
            network.entries.push(Some(Entry {
                input: project,
                features,
                connections,
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

    fn entry(&self, index: u32) -> Option<&Entry> {
        entry_at(&self.entries, index)
    }

    /// A stored project by its id.
    fn entry_of(&self, project_id: i32) -> Option<&Entry> {
        self.entry(*self.index_of.get(&project_id)?)
    }

    fn project_id(&self, index: u32) -> Option<i32> {
        self.entry(index).map(|e| e.input.id)
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
        self.vocabulary
            .count(analyzed.counts.keys().copied(), project.theme, true);
        self.live += 1;
        self.changes_since_build += 1;
        let mut features = self.weigh(&analyzed);
        self.normalise(&mut features);
        let postings = features.clone();
        let connections: Vec<Connection> = analyzed.connections.into_iter().collect();
        let index = self.entries.len() as u32;
        for &(c, _) in &connections {
            self.vocabulary.connected[c as usize].push(index);
        }
        self.index_of.insert(project.id, index);
        // Its city's theme profile changed, even when the project matches nothing.
        affected.insert(project.city_id);
        self.join_city(&project, index);
        self.entries.push(Some(Entry {
            input: project,
            features,
            connections,
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
        }
        self.vocabulary.count(
            entry.features.iter().map(|f| f.id),
            entry.input.theme,
            false,
        );
        for &(c, _) in &entry.connections {
            self.vocabulary.connected[c as usize].retain(|&p| p != index);
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
}

/// The live project stored at `index`, if any (removed projects leave an empty slot).
fn entry_at(entries: &[Option<Entry>], index: u32) -> Option<&Entry> {
    entries.get(index as usize).and_then(Option::as_ref)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fixtures::{mixed, network, parking, project, traffic};

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
