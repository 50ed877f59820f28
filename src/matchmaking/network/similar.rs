//! The similar projects of each project. Its *neighbours* are the most similar projects
//! of other cities by direct similarity, found through the postings of its strongest
//! features; the list shown re-ranks them with shared neighbours. Both lists have a
//! reverse index, so adding, changing or removing a project recomputes only the lists
//! that held it or would now.

use std::collections::{HashMap, HashSet};

use super::vectors::{connections_between, shared_features, Feature};
use super::{entry_at, Entry, Network, Reason};

/// Most similar projects kept per project (neighbours and the list shown).
pub const KEEP: usize = 20;
/// Weight of shared neighbours in the list shown: for each neighbour `b` of `a` whose
/// own neighbours hold `c`, the weaker of the two similarities counts toward `a`–`c`.
const SHARED_NEIGHBOUR_WEIGHT: f32 = 0.2;
/// Below this similarity two projects are not presented as comparable.
pub const MIN_SIMILARITY: f32 = 0.12;
/// Added to the similarity when both projects have the same theme.
const SAME_THEME_BONUS: f32 = 0.05;
/// Added once when one project names as a relation what the other is about or names
/// too: with the same theme enough to be listed, below every project about the same
/// thing.
const CONNECTED_BONUS: f32 = 0.08;
/// Features of a project used to look for candidates, strongest first.
const QUERY_FEATURES: usize = 16;
/// Postings read per feature, highest weights first: at network scale a concept shared
/// by thousands of projects contributes its strongest holders only.
const POSTINGS_READ: usize = 400;
/// Candidates rescored exactly over all features.
const RESCORED: usize = 60;

/// Candidate scores by project index, reused across projects so a network-wide
/// recomputation allocates nothing per project.
#[derive(Default)]
pub(super) struct Scratch {
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

/// The two lists a project keeps, each with a reverse index.
#[derive(Clone, Copy)]
enum List {
    Neighbours,
    Shown,
}

#[derive(Clone, Debug)]
pub struct Similar {
    pub project_id: i32,
    pub score: f32,
    pub reasons: Vec<Reason>,
}

impl Network {
    /// Similarity of two projects: the dot product of their vectors plus the connection
    /// and same-theme bonuses.
    fn similarity(&self, a: &Entry, b: &Entry) -> f32 {
        let mut dot: f32 = shared_features(a, b)
            .map(|(x, y)| x.weight * y.weight)
            .sum();
        if connections_between(a, b).next().is_some() {
            dot += CONNECTED_BONUS;
        }
        if dot > 0.0 && a.input.theme.is_some() && a.input.theme == b.input.theme {
            dot += SAME_THEME_BONUS;
        }
        dot
    }

    /// The part of two neighbours' similarity that says they are alike, for the
    /// shared-neighbour evidence: a connection says one is related to the other, not
    /// that it resembles the other's neighbours (a parking pilot that feeds Talking
    /// Traffic is not thereby like every traffic-light project). Two that name the same
    /// partner ("in samenwerking met het RIVM") are alike in that.
    fn likeness(&self, a: &Entry, b: &Entry, score: f32) -> f32 {
        let one_sided = connections_between(a, b).next().is_some()
            && !a
                .connections
                .iter()
                .any(|&(id, _)| b.connections.binary_search_by_key(&id, |c| c.0).is_ok());
        if one_sided {
            (score - CONNECTED_BONUS - SAME_THEME_BONUS).max(0.0)
        } else {
            score
        }
    }

    /// The neighbours of a project: the most similar projects of other cities, best
    /// first. Candidates come from the postings of the project's strongest features; the
    /// best of them are rescored exactly.
    pub(super) fn best_matches(&self, index: u32, scratch: &mut Scratch) -> Vec<(u32, f32)> {
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
            // Projects that name this feature as a relation.
            for &other in self.vocabulary.connected[feature.id as usize]
                .iter()
                .take(POSTINGS_READ)
            {
                scratch.add(other, CONNECTED_BONUS);
            }
        }
        // Projects about, or also naming, what this one names as a relation.
        for &(id, _) in &entry.connections {
            let about = self.vocabulary.postings[id as usize]
                .iter()
                .map(|&(p, _)| p);
            let naming = self.vocabulary.connected[id as usize].iter().copied();
            for other in about.chain(naming).take(POSTINGS_READ) {
                scratch.add(other, CONNECTED_BONUS);
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
    pub(super) fn best_first(&self, a: &(u32, f32), b: &(u32, f32)) -> std::cmp::Ordering {
        best_first_in(&self.entries, a, b)
    }

    /// Puts a stored project into a feature's posting list, in `best_first` order.
    pub(super) fn add_posting(&mut self, feature: Feature, index: u32) {
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
    pub(super) fn set_neighbours(
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
            let Some(neighbour) = self.entry(b) else {
                continue;
            };
            let ab = self.likeness(entry, neighbour, ab);
            if ab <= 0.0 {
                continue;
            }
            for &(c, bc) in &neighbour.neighbours {
                if c == index {
                    continue;
                }
                let bc = self
                    .entry(c)
                    .map_or(0.0, |theirs| self.likeness(neighbour, theirs, bc));
                if bc > 0.0 {
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
    pub(super) fn rerank(&mut self, dirty: HashSet<u32>, affected: &mut HashSet<i32>) {
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
    pub(super) fn set_similar(
        &mut self,
        index: u32,
        similar: Vec<(u32, f32)>,
        affected: &mut HashSet<i32>,
    ) {
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

    /// The ids and scores of the projects of other cities most like this one, without
    /// wording reasons (for callers that rank many lists and explain a few).
    pub fn similar_ids(&self, project_id: i32, limit: usize) -> Option<Vec<(i32, f32)>> {
        let entry = self.entry_of(project_id)?;
        Some(
            entry
                .similar
                .iter()
                .take(limit)
                .filter_map(|&(other, score)| Some((self.entry(other)?.input.id, score)))
                .collect(),
        )
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
pub(super) fn best_first_in(
    entries: &[Option<Entry>],
    a: &(u32, f32),
    b: &(u32, f32),
) -> std::cmp::Ordering {
    let id = |index: u32| entry_at(entries, index).map(|e| e.input.id);
    b.1.total_cmp(&a.1).then_with(|| id(a.0).cmp(&id(b.0)))
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use crate::projects::model::Stage;

    use super::super::fixtures::{mixed, network, parking, project, traffic};
    use super::Network;

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
}

#[cfg(test)]
mod inventory_tests {
    use super::super::fixtures::{
        inventory, APELDOORN_SMART_PARKING, DEVENTER_PARKING_SENSORS, ENSCHEDE_NUMBER_PLATES,
        HAARLEMMERMEER_SMART_PARKING, HAARLEM_TALKING_TRAFFIC, NIJMEGEN_ANPR,
        ZOETERMEER_FREE_PARKING,
    };

    fn order(id: i32) -> Vec<i32> {
        let net = inventory();
        net.similar(id, 20)
            .unwrap_or_default()
            .iter()
            .map(|s| s.project_id)
            .collect()
    }

    /// Where `id` ranks in `order`; unlisted ranks last.
    fn rank(order: &[i32], id: i32) -> usize {
        order.iter().position(|&p| p == id).unwrap_or(usize::MAX)
    }

    #[test]
    fn parking_sensors_that_feed_talking_traffic_find_parking_pilots_first() {
        let order = order(DEVENTER_PARKING_SENSORS);
        let traffic = rank(&order, HAARLEM_TALKING_TRAFFIC);
        assert!(traffic < usize::MAX, "Talking Traffic is listed: {order:?}");
        for id in [
            APELDOORN_SMART_PARKING,
            HAARLEMMERMEER_SMART_PARKING,
            ZOETERMEER_FREE_PARKING,
        ] {
            assert!(rank(&order, id) < traffic, "{id} in {order:?}");
        }
    }

    #[test]
    fn a_pilot_without_cameras_ranks_number_plate_cameras_below_parking_pilots() {
        let order = order(APELDOORN_SMART_PARKING);
        for camera in [ENSCHEDE_NUMBER_PLATES, NIJMEGEN_ANPR] {
            for parking in [DEVENTER_PARKING_SENSORS, HAARLEMMERMEER_SMART_PARKING] {
                assert!(
                    rank(&order, parking) < rank(&order, camera),
                    "{parking} before {camera} in {order:?}"
                );
            }
        }
    }
}
