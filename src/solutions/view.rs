//! How solutions are shown: one view for the API and the pages — the solution with its
//! projects and its cities, each city marked as lead (furthest along), follower or
//! stopped — and the solutions block of a project page.

use std::collections::BTreeMap;

use serde::Serialize;

use super::model::{Decision, Link, LinkStatus, Solution};
use crate::cities::model::CityRef;
use crate::projects::model::{Project, Stage};
use crate::web::i18n::Lang;

pub fn solution_url(slug: &str) -> String {
    format!("/oplossingen/{slug}")
}

/// A project using a solution.
#[derive(Serialize, Clone, Debug)]
pub struct MemberView {
    pub id: i32,
    pub source_ref: Option<String>,
    pub title: String,
    pub url: String,
    pub city: CityRef,
    pub stage: Stage,
    /// Confirmed by the city (else suggested from its text).
    pub confirmed: bool,
}

/// A city using a solution and its place among the others.
#[derive(Serialize, Clone, Debug)]
pub struct CityRoleView {
    pub slug: String,
    pub name: String,
    /// `lead` (furthest along) or `follower`.
    pub role: &'static str,
    /// Every project of it stopped: it has lessons rather than a stage.
    pub stopped: bool,
}

#[derive(Serialize, Clone, Debug)]
pub struct SolutionView {
    pub slug: String,
    pub name: String,
    pub name_en: String,
    pub kind: super::catalogue::SolutionKind,
    pub description: String,
    pub themes: Vec<crate::themes::Theme>,
    pub url: String,
    pub projects: Vec<MemberView>,
    pub cities: Vec<CityRoleView>,
}

impl SolutionView {
    /// `members` with their cities; `lang` picks the description's language.
    pub fn new(
        solution: &Solution,
        members: Vec<(Project, bool)>,
        cities: &std::collections::HashMap<i32, CityRef>,
        lang: Lang,
    ) -> Self {
        let mut projects: Vec<MemberView> = members
            .into_iter()
            .filter_map(|(p, confirmed)| {
                Some(MemberView {
                    city: cities.get(&p.city_id)?.clone(),
                    url: crate::projects::view::project_url(p.id),
                    id: p.id,
                    source_ref: p.source_ref,
                    title: p.title,
                    stage: p.stage,
                    confirmed,
                })
            })
            .collect();
        projects.sort_by(|a, b| {
            b.confirmed
                .cmp(&a.confirmed)
                .then_with(|| a.city.name.cmp(&b.city.name))
                .then_with(|| a.title.cmp(&b.title))
        });
        SolutionView {
            cities: city_roles(&projects),
            slug: solution.slug.clone(),
            name: solution.name.clone(),
            name_en: solution.name_en.clone(),
            kind: solution.kind,
            description: match lang {
                Lang::En => solution.description_en.clone(),
                Lang::Nl => solution.description.clone(),
            },
            themes: solution.themes(),
            url: solution_url(&solution.slug),
            projects,
        }
    }
}

/// The cities of a solution's projects: those furthest along lead, the others follow
/// (a city whose every project stopped follows, with lessons to share). Leads first,
/// then by name.
fn city_roles(projects: &[MemberView]) -> Vec<CityRoleView> {
    let mut furthest: BTreeMap<(String, String), Option<u8>> = BTreeMap::new();
    for p in projects {
        let entry = furthest
            .entry((p.city.name.clone(), p.city.slug.clone()))
            .or_insert(None);
        *entry = (*entry).max(p.stage.rank());
    }
    let top = furthest.values().flatten().max().copied();
    let mut roles: Vec<CityRoleView> = furthest
        .into_iter()
        .map(|((name, slug), rank)| CityRoleView {
            role: match rank {
                Some(r) if Some(r) == top => "lead",
                _ => "follower",
            },
            stopped: rank.is_none(),
            slug,
            name,
        })
        .collect();
    roles.sort_by_key(|c| c.role != "lead");
    roles
}

/// A project's link as its page shows it.
#[derive(Serialize, Clone, Debug)]
pub struct LinkView {
    pub slug: String,
    pub name: String,
    pub url: String,
    pub status: LinkStatus,
    /// Counts as evidence (confirmed, or suggested with enough confidence).
    pub counts: bool,
    /// The suggestion's confidence in percent.
    pub percent: u32,
}

/// One decision in the history, as shown.
#[derive(Serialize, Clone, Debug)]
pub struct DecisionView {
    pub solution: String,
    pub status: LinkStatus,
    pub by: Option<String>,
    pub at: String,
}

/// The solutions block of a project page.
#[derive(Serialize, Clone, Debug, Default)]
pub struct ProjectSolutions {
    pub project_id: i32,
    /// Links that count, for everyone.
    pub shown: Vec<LinkView>,
    /// For editors: uncertain and rejected links too, the catalogue to add from, and the
    /// history.
    pub may_decide: bool,
    pub review: Vec<LinkView>,
    pub catalogue: Vec<(String, String)>,
    pub history: Vec<DecisionView>,
}

impl ProjectSolutions {
    pub fn new(
        project_id: i32,
        links: Vec<Link>,
        may_decide: bool,
        catalogue: Vec<Solution>,
        history: Vec<Decision>,
        lang: Lang,
    ) -> Self {
        let name = |s: &Solution| match lang {
            Lang::En => s.name_en.clone(),
            Lang::Nl => s.name.clone(),
        };
        let views: Vec<LinkView> = links
            .iter()
            .map(|l| LinkView {
                slug: l.solution.slug.clone(),
                name: name(&l.solution),
                url: solution_url(&l.solution.slug),
                status: l.status,
                counts: l.counts(),
                percent: (l.confidence * 100.0).round() as u32,
            })
            .collect();
        let linked: Vec<&str> = links.iter().map(|l| l.solution.slug.as_str()).collect();
        ProjectSolutions {
            project_id,
            shown: views.iter().filter(|v| v.counts).cloned().collect(),
            review: if may_decide { views } else { Vec::new() },
            catalogue: if may_decide {
                catalogue
                    .iter()
                    .filter(|s| !linked.contains(&s.slug.as_str()))
                    .map(|s| (s.slug.clone(), name(s)))
                    .collect()
            } else {
                Vec::new()
            },
            history: if may_decide {
                history
                    .into_iter()
                    .map(|d| DecisionView {
                        solution: d.solution_name,
                        status: d.status,
                        by: d.user_name,
                        at: d.at.format("%Y-%m-%d %H:%M").to_string(),
                    })
                    .collect()
            } else {
                Vec::new()
            },
            may_decide,
        }
    }
}
