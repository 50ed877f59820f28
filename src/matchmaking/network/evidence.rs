//! Why two projects are comparable, in data: the solutions both are, the programmes,
//! concepts and distinctive words they share, what one names as a relation and the
//! other is about, the same theme, and how far along each is. `matchmaking::reasons`
//! words it for the reader.

use std::collections::HashSet;

use super::vectors::{connections_between, shared_features, Kind};
use super::{Entry, Network};
use crate::projects::model::Stage;
use crate::themes::Theme;
use crate::web::i18n::Bilingual;

/// A shared word is a reason only when its projects, counted by how evenly they spread
/// over the themes, are at most this share of all projects: `share × spread / 6` (see
/// `Vocabulary::spread`). Measured on the G40 inventory: "basis" and "informatie" (each
/// in 5% of the projects, spread over five themes or more) count as 3.8% and 4.4%,
/// "camera" (2.5%, over three and a half) as 1.5%, "verkeerslichten" (3%, one theme) as
/// 0.5%.
const REASON_MAX_SPREAD_SHARE: f32 = 0.02;
/// A word only two projects use is theirs, however it spreads.
const REASON_ALWAYS_DF: u32 = 2;

/// Why two projects are comparable, in data; the HTTP layer words it.
#[derive(Clone, Debug, PartialEq)]
pub enum Reason {
    /// Both are these catalogue solutions: the strongest evidence, named first.
    Solutions(Vec<Bilingual>),
    /// Both are about these thesaurus concepts, by their names.
    Concepts(Vec<Bilingual>),
    /// Both take part in these named programmes.
    Programmes(Vec<String>),
    /// Both use these distinctive words.
    Words(Vec<String>),
    /// One names these as something it is related to ("levert input voor Talking
    /// Traffic"), the other is about them or names them too.
    Connected(Vec<Bilingual>),
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
        // (weight, kind, feature, the words shown or checked against)
        let mut shared: Vec<(f32, Kind, u32, String)> = Vec::new();
        let mut solutions: Vec<(f32, Bilingual)> = Vec::new();
        for (x, y) in shared_features(ours, theirs) {
            let kind = self.vocabulary.kinds[x.id as usize];
            if kind == Kind::Solution {
                let slug = &self.vocabulary.labels[x.id as usize];
                if let Some(link) = theirs.input.solutions.iter().find(|l| &l.slug == slug) {
                    solutions.push((x.weight * y.weight, link.name.clone()));
                }
                continue;
            }
            if kind == Kind::Term && !self.distinctive(x.id) {
                continue;
            }
            let text = match kind {
                Kind::Programme => self.vocabulary.labels[x.id as usize].clone(),
                _ => self.vocabulary.surface_text[y.surface as usize].clone(),
            };
            shared.push((x.weight * y.weight, kind, x.id, text));
        }
        shared.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut reasons = Vec::new();
        let pick_features = |kind: Kind, max: usize| -> Vec<(u32, String)> {
            let mut seen = HashSet::new();
            shared
                .iter()
                .filter(|(_, k, _, _)| *k == kind)
                .map(|(_, _, id, t)| (*id, t.clone()))
                .filter(|(_, t)| seen.insert(t.to_lowercase()))
                .take(max)
                .collect()
        };
        let pick = |kind: Kind, max: usize| -> Vec<String> {
            pick_features(kind, max)
                .into_iter()
                .map(|(_, t)| t)
                .collect()
        };
        solutions.sort_by(|a, b| b.0.total_cmp(&a.0));
        let solutions: Vec<Bilingual> = solutions
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
        // Checked in the suggested project's words, shown by the concept's name.
        let concepts: Vec<(u32, String)> = pick_features(Kind::Concept, 5)
            .into_iter()
            .filter(|(_, c)| !said(c, &programmes_said))
            .take(3)
            .collect();
        let named: Vec<String> = programmes_said
            .iter()
            .chain(concepts.iter().map(|(_, c)| c))
            .cloned()
            .collect();
        let mut concepts: Vec<Bilingual> = concepts
            .iter()
            .map(|(id, written)| self.concept_name(*id, written))
            .collect();
        // Two wordings of one concept are one reason.
        let mut seen = HashSet::new();
        concepts.retain(|c| seen.insert(c.nl.clone()));
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
        let connected = self.connected_names(ours, theirs);
        if !connected.is_empty() {
            reasons.push(Reason::Connected(connected));
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

    /// The name of concept feature `id` in both languages; as `written` if the thesaurus
    /// no longer has it.
    fn concept_name(&self, id: u32, written: &str) -> Bilingual {
        self.thesaurus
            .concept(&self.vocabulary.keys[id as usize])
            .map(|c| c.name.clone())
            .unwrap_or_else(|| Bilingual::same(written))
    }

    /// A word that says what projects have in common: rare, or concentrated in a theme
    /// (`REASON_MAX_SPREAD_SHARE`), not a word every kind of project uses.
    fn distinctive(&self, id: u32) -> bool {
        let df = self.vocabulary.df[id as usize];
        let share = df as f32 / self.live.max(1) as f32;
        df <= REASON_ALWAYS_DF
            || share * self.vocabulary.spread(id) / 6.0 <= REASON_MAX_SPREAD_SHARE
    }

    /// What connects the two, each once: a programme by its name, a concept in the words
    /// of the project that names it ("Talking traffic" and the programme Talking Traffic
    /// are one).
    fn connected_names(&self, ours: &Entry, theirs: &Entry) -> Vec<Bilingual> {
        let mut found: Vec<(Kind, Bilingual)> = connections_between(ours, theirs)
            .map(|(id, surface)| {
                let kind = self.vocabulary.kinds[id as usize];
                let name = match kind {
                    Kind::Programme => Bilingual::same(&self.vocabulary.labels[id as usize]),
                    _ => {
                        let written = &self.vocabulary.surface_text[surface as usize];
                        // "Talking traffic" as a concept is the programme Talking Traffic.
                        match self
                            .programme_cities
                            .keys()
                            .find(|name| name.eq_ignore_ascii_case(written))
                        {
                            Some(programme) => Bilingual::same(programme),
                            None => self.concept_name(id, written),
                        }
                    }
                };
                (kind, name)
            })
            .collect();
        // Programmes first: their names are spelled as the programme spells them.
        found.sort_by_key(|(kind, _)| *kind != Kind::Programme);
        let mut seen = HashSet::new();
        found
            .into_iter()
            .map(|(_, name)| name)
            .filter(|n| seen.insert(n.nl.to_lowercase()))
            .take(2)
            .collect()
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

#[cfg(test)]
mod inventory_tests {
    use super::super::fixtures::{
        inventory, APELDOORN_SMART_PARKING, DEVENTER_PARKING_SENSORS, HAARLEM_TALKING_TRAFFIC,
    };
    use super::*;

    /// Every reason of every suggestion of the network, worded as data.
    fn all_reasons(net: &Network) -> Vec<(i32, i32, Reason)> {
        (1..=30)
            .flat_map(|id| {
                net.similar(id, 20)
                    .unwrap_or_default()
                    .into_iter()
                    .flat_map(move |s| s.reasons.into_iter().map(move |r| (id, s.project_id, r)))
            })
            .collect()
    }

    fn names(reason: &Reason) -> Vec<String> {
        match reason {
            Reason::Programmes(items) | Reason::Words(items) => {
                items.iter().map(|i| i.to_lowercase()).collect()
            }
            Reason::Concepts(names) | Reason::Connected(names) => names
                .iter()
                .flat_map(|n| [n.nl.to_lowercase(), n.en.to_lowercase()])
                .collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn what_a_pilot_feeds_is_a_connection_not_a_shared_subject() {
        let net = inventory();
        let similar = net
            .similar(DEVENTER_PARKING_SENSORS, 20)
            .unwrap_or_default();
        let talking_traffic = similar
            .iter()
            .find(|s| s.project_id == HAARLEM_TALKING_TRAFFIC)
            .expect("Haarlem's Talking Traffic is listed");
        assert!(talking_traffic
            .reasons
            .contains(&Reason::Connected(vec![Bilingual::same("Talking Traffic")])));
        for s in &similar {
            for reason in &s.reasons {
                if matches!(reason, Reason::Concepts(_) | Reason::Programmes(_)) {
                    assert!(
                        !names(reason).iter().any(|n| n.contains("talking")),
                        "{reason:?} for {}",
                        s.project_id
                    );
                }
            }
        }
    }

    #[test]
    fn a_negated_thing_is_no_reason() {
        let net = inventory();
        for (ours, theirs, reason) in all_reasons(&net) {
            if ours != APELDOORN_SMART_PARKING && theirs != APELDOORN_SMART_PARKING {
                continue;
            }
            for name in names(&reason) {
                assert!(
                    !name.contains("camera") && !name.contains("kenteken"),
                    "{ours} ↔ {theirs}: {reason:?}"
                );
            }
        }
    }

    #[test]
    fn words_every_kind_of_project_uses_are_no_reason() {
        let net = inventory();
        let reasons = all_reasons(&net);
        assert!(!reasons.is_empty());
        for (ours, theirs, reason) in reasons {
            for name in names(&reason) {
                assert!(
                    name != "basis" && name != "informatie",
                    "{ours} ↔ {theirs}: {reason:?}"
                );
            }
        }
    }
}
