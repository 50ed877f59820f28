//! Partner cities: for each city, the other cities with the best one-to-one pairs of
//! comparable projects (read from the shown similar lists in both directions) plus the
//! named programmes both take part in. Kept as scores and project ids; the reasons are
//! worded only when a list is read.

use std::collections::{HashMap, HashSet};

use super::{Network, ProjectInput, Reason};
use crate::themes::Theme;

/// A project pair counts toward a partnership from this similarity on.
const PAIR_MIN: f32 = 0.2;
/// Pairs counted per partner city (each project used once).
const PAIRS_PER_PARTNER: usize = 5;
/// Partner cities kept per city.
pub const PARTNERS_KEPT: usize = 20;
/// Partner score for each shared programme, scaled by its rarity.
const PROGRAMME_BONUS: f32 = 0.1;

/// A partner candidate while ranking: city, score, chosen pairs (ours, theirs, score).
type Ranked = (i32, f32, Vec<(u32, u32, f32)>);

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
pub(super) struct Partnership {
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

impl Network {
    /// The partner cities of a city with their reasons, best first; empty for a city
    /// without matches.
    pub fn partners(&self, city_id: i32, limit: usize) -> Vec<Partner> {
        if !self.cities.contains_key(&city_id) {
            return Vec::new();
        }
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
                    programmes: self.shared_programmes(city_id, other.id),
                    shared_themes: top_shared_themes(
                        &our_profile,
                        &self.theme_profile(partnership.city_id),
                    ),
                })
            })
            .collect()
    }

    /// The named programmes both cities take part in, in the first city's order: what
    /// the network map marks on a link without wording a partner's reasons. A programme
    /// more than a quarter of the cities take part in ("City Deal", 15 of the 40, many
    /// deals under one name) says little about two of them and is left out; it still
    /// counts, weakly, in the partner score.
    pub fn shared_programmes(&self, city_id: i32, other_id: i32) -> Vec<String> {
        let (Some(city), Some(other)) = (self.cities.get(&city_id), self.cities.get(&other_id))
        else {
            return Vec::new();
        };
        let distinctive = |programme: &String| {
            let holders = self.programme_cities.get(programme).map_or(0, Vec::len);
            holders * 4 <= self.cities.len()
        };
        city.programmes
            .iter()
            .filter(|p| other.programmes.contains(p) && distinctive(p))
            .cloned()
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

    fn theme_profile(&self, city_id: i32) -> [f32; 6] {
        self.profiles.get(&city_id).copied().unwrap_or_default()
    }

    /// Counts a project in its city (membership and theme profile).
    pub(super) fn join_city(&mut self, project: &ProjectInput, index: u32) {
        self.projects_of_city
            .entry(project.city_id)
            .or_default()
            .insert(index);
        if let Some(theme) = project.theme {
            self.profiles.entry(project.city_id).or_insert([0.0; 6])[theme.index()] += 1.0;
        }
    }

    pub(super) fn leave_city(&mut self, project: &ProjectInput, index: u32) {
        if let Some(set) = self.projects_of_city.get_mut(&project.city_id) {
            set.remove(&index);
        }
        if let (Some(theme), Some(profile)) =
            (project.theme, self.profiles.get_mut(&project.city_id))
        {
            profile[theme.index()] = (profile[theme.index()] - 1.0).max(0.0);
        }
    }

    pub(super) fn refresh_cities(&mut self, cities: HashSet<i32>) -> Vec<i32> {
        let mut cities: Vec<i32> = cities.into_iter().collect();
        cities.sort_unstable();
        for &city in &cities {
            self.refresh_partners(city);
        }
        cities
    }

    /// Recomputes one city's partners: the best one-to-one project pairs with each
    /// other city (from the similar lists in both directions) plus shared programmes,
    /// kept as scores and project ids (`partners` words the reasons when asked).
    pub(super) fn refresh_partners(&mut self, city_id: i32) {
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::{network, traffic};
    use super::*;
    use crate::projects::model::Stage;

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
}
