//! Why two projects are comparable, in data: the solutions both are, the programmes,
//! concepts and distinctive words they share, the same theme, and how far along each is. `matchmaking::reasons`
//! words it for the reader.

use std::collections::HashSet;

use super::vectors::{shared_features, Kind};
use super::{Entry, Network, SolutionName};
use crate::projects::model::Stage;
use crate::themes::Theme;

/// Words shared by more than this share of projects are too common to be a reason.
const REASON_MAX_SHARE: f32 = 0.05;

/// Why two projects are comparable, in data; the HTTP layer words it.
#[derive(Clone, Debug, PartialEq)]
pub enum Reason {
    /// Both are these catalogue solutions: the strongest evidence, named first.
    Solutions(Vec<SolutionName>),
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

impl Network {
    /// Why `theirs` is comparable to `ours`, strongest evidence first.
    pub(super) fn reasons(&self, ours: &Entry, theirs: &Entry) -> Vec<Reason> {
        let common_limit = (self.live as f32 * REASON_MAX_SHARE).max(2.0) as u32;
        let mut shared: Vec<(f32, Kind, String)> = Vec::new();
        let mut solutions: Vec<(f32, SolutionName)> = Vec::new();
        for (x, y) in shared_features(ours, theirs) {
            let kind = self.vocabulary.kinds[x.id as usize];
            if kind == Kind::Solution {
                let slug = &self.vocabulary.labels[x.id as usize];
                if let Some(link) = theirs.input.solutions.iter().find(|l| &l.slug == slug) {
                    solutions.push((x.weight * y.weight, link.name.clone()));
                }
                continue;
            }
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
        solutions.sort_by(|a, b| b.0.total_cmp(&a.0));
        let solutions: Vec<SolutionName> = solutions
            .into_iter()
            .map(|(_, name)| name)
            .take(2)
            .collect();
        // Each piece of evidence once: a word already said by a solution, programme or
        // concept ("Talking Traffic") is not repeated as a word ("talking", "traffic").
        let said = |text: &str, before: &[String]| {
            let text = text.to_lowercase();
            before.iter().any(|b| b.to_lowercase().contains(&text))
        };
        let solution_names: Vec<String> = solutions
            .iter()
            .flat_map(|n| [n.nl.clone(), n.en.clone()])
            .collect();
        let programmes: Vec<String> = pick(Kind::Programme, 3)
            .into_iter()
            .filter(|p| !said(p, &solution_names))
            .take(2)
            .collect();
        let programmes_said: Vec<String> =
            programmes.iter().chain(&solution_names).cloned().collect();
        let concepts: Vec<String> = pick(Kind::Concept, 5)
            .into_iter()
            .filter(|c| !said(c, &programmes_said))
            .take(3)
            .collect();
        let named: Vec<String> = programmes_said.iter().chain(&concepts).cloned().collect();
        let words: Vec<String> = pick(Kind::Term, 6)
            .into_iter()
            .filter(|w| !said(w, &named))
            .take(3)
            .collect();
        if !solutions.is_empty() {
            reasons.push(Reason::Solutions(solutions));
        }
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
                if let (Some(y), Some(t)) = (yours.rank(), theirs_stage.rank()) {
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
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{network, traffic};
    use super::*;

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
}
