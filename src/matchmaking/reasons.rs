//! The network's evidence in words: one sentence per reason, in the reader's language,
//! the same for the pages and the API ("Beide over Talking Traffic: Apeldoorn 6.3 ↔
//! Arnhem 7.7").

use serde::Serialize;

use super::network::{Partner, Reason};
use crate::projects::view::ProjectView;
use crate::web::i18n::{Catalogs, Lang};

/// One reason as shown and as the API returns it.
#[derive(Serialize, Clone, Debug)]
pub struct ReasonView {
    /// `solutions`, `concepts`, `programmes`, `words`, `connected`, `theme`, `mentor`,
    /// `lessons` (a project pair's evidence), and for partners also `pair`, `programme`
    /// and `themes`.
    pub kind: &'static str,
    pub text: String,
    /// The projects the reason is about (report number, or id for projects made on the
    /// platform): for a partner's pair, ours first.
    pub projects: Vec<serde_json::Value>,
    /// Links to those projects for the pages (a partner's pairs only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<ProjectLink>,
}

/// A project named in a reason, as a link: "Apeldoorn 6.3".
#[derive(Serialize, Clone, Debug)]
pub struct ProjectLink {
    pub label: String,
    pub url: String,
}

impl ProjectLink {
    fn to(project: &ProjectView) -> Self {
        let reference = project.source_ref.as_deref().unwrap_or(&project.title);
        ProjectLink {
            label: format!("{} {reference}", project.city.name),
            url: project.url.clone(),
        }
    }
}

/// How a project is referred to in a reason: its report number, else its id.
pub fn project_reference(project: &ProjectView) -> serde_json::Value {
    match &project.source_ref {
        Some(source_ref) => serde_json::Value::String(source_ref.clone()),
        None => serde_json::Value::from(project.id),
    }
}

fn label(project: &ProjectView) -> String {
    match &project.source_ref {
        Some(r) => format!("{} {r} {}", project.city.name, project.title),
        None => format!("{} {}", project.city.name, project.title),
    }
}

pub struct Wording<'a> {
    pub catalogs: &'a Catalogs,
    pub lang: Lang,
}

impl Wording<'_> {
    fn text(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.catalogs.format(self.lang, key, args)
    }

    fn list(&self, items: &[String]) -> String {
        let and = self.catalogs.text(self.lang, "match.and");
        match items {
            [] => String::new(),
            [one] => one.clone(),
            [init @ .., last] => format!("{} {and} {last}", init.join(", ")),
        }
    }

    /// Solution names in the reader's language.
    fn solution_names(&self, names: &[super::SolutionName]) -> Vec<String> {
        names
            .iter()
            .map(|n| match self.lang {
                Lang::En => n.en.clone(),
                _ => n.nl.clone(),
            })
            .collect()
    }

    fn stage(&self, stage: crate::projects::model::Stage) -> String {
        self.catalogs
            .text(self.lang, &format!("stage.{}", stage.slug()))
            .to_lowercase()
    }

    /// The reasons one project is comparable to another (`theirs`).
    pub fn project_reasons(&self, reasons: &[Reason], theirs: &ProjectView) -> Vec<ReasonView> {
        reasons
            .iter()
            .map(|reason| {
                let (kind, text) = match reason {
                    Reason::Solutions(names) => (
                        "solutions",
                        self.text(
                            "match.reason.solutions",
                            &[("names", &self.list(&self.solution_names(names)))],
                        ),
                    ),
                    Reason::Concepts(terms) => (
                        "concepts",
                        self.text("match.reason.concepts", &[("terms", &self.list(terms))]),
                    ),
                    Reason::Programmes(names) => (
                        "programmes",
                        self.text("match.reason.programmes", &[("names", &self.list(names))]),
                    ),
                    Reason::Words(words) => (
                        "words",
                        self.text("match.reason.words", &[("words", &words.join(", "))]),
                    ),
                    Reason::Connected(names) => (
                        "connected",
                        self.text("match.reason.connected", &[("names", &self.list(names))]),
                    ),
                    Reason::SameTheme(theme) => (
                        "theme",
                        self.text(
                            "match.reason.theme",
                            &[(
                                "theme",
                                self.catalogs
                                    .text(self.lang, &format!("theme.{}", theme.slug())),
                            )],
                        ),
                    ),
                    Reason::FurtherAlong { theirs: t, yours } => (
                        "mentor",
                        self.text(
                            "match.reason.mentor",
                            &[
                                ("city", &theirs.city.name),
                                ("theirs", &self.stage(*t)),
                                ("yours", &self.stage(*yours)),
                            ],
                        ),
                    ),
                    Reason::Stopped => (
                        "lessons",
                        self.text("match.reason.lessons", &[("city", &theirs.city.name)]),
                    ),
                };
                ReasonView {
                    kind,
                    text,
                    projects: vec![project_reference(theirs)],
                    links: Vec::new(),
                }
            })
            .collect()
    }

    /// The reasons a city is a partner: each matching project pair (ours ↔ theirs),
    /// mentorship or lessons where a pair shows them, shared programmes and themes.
    /// `project` finds the loaded view of a project id.
    pub fn partner_reasons(
        &self,
        partner: &Partner,
        project: &dyn Fn(i32) -> Option<ProjectView>,
    ) -> Vec<ReasonView> {
        let mut views = Vec::new();
        let mut extra = Vec::new();
        for pair in &partner.pairs {
            let (Some(ours), Some(theirs)) = (project(pair.ours), project(pair.theirs)) else {
                continue;
            };
            let refs = vec![project_reference(&ours), project_reference(&theirs)];
            let links = vec![ProjectLink::to(&ours), ProjectLink::to(&theirs)];
            // What both are about; else what connects them.
            let about = pair.reasons.iter().find_map(|r| match r {
                Reason::Solutions(names) => {
                    Some(("match.reason.pair", self.list(&self.solution_names(names))))
                }
                Reason::Programmes(items) | Reason::Concepts(items) | Reason::Words(items) => {
                    Some(("match.reason.pair", self.list(items)))
                }
                _ => None,
            });
            let connected = || {
                pair.reasons.iter().find_map(|r| match r {
                    Reason::Connected(items) => {
                        Some(("match.reason.pair_connected", self.list(items)))
                    }
                    _ => None,
                })
            };
            let (key, about) = about
                .or_else(connected)
                .map_or(("match.reason.pair", None), |(k, a)| (k, Some(a)));
            let pair_text = self.text(
                key,
                &[
                    ("about", about.as_deref().unwrap_or_default()),
                    ("ours", &label(&ours)),
                    ("theirs", &label(&theirs)),
                ],
            );
            views.push(ReasonView {
                kind: "pair",
                text: pair_text,
                projects: refs.clone(),
                links: links.clone(),
            });
            for reason in &pair.reasons {
                match reason {
                    Reason::FurtherAlong { theirs: t, yours } => extra.push(ReasonView {
                        kind: "mentor",
                        text: self.text(
                            "match.partner.mentor",
                            &[
                                ("city", &theirs.city.name),
                                ("project", &theirs.title),
                                ("theirs", &self.stage(*t)),
                                ("yours", &self.stage(*yours)),
                                ("our_project", &ours.title),
                            ],
                        ),
                        projects: refs.clone(),
                        links: links.clone(),
                    }),
                    Reason::Stopped => extra.push(ReasonView {
                        kind: "lessons",
                        text: self.text(
                            "match.partner.lessons",
                            &[("city", &theirs.city.name), ("project", &theirs.title)],
                        ),
                        projects: refs.clone(),
                        links: links.clone(),
                    }),
                    _ => {}
                }
            }
        }
        views.extend(extra);
        if !partner.programmes.is_empty() {
            views.push(ReasonView {
                kind: "programme",
                text: self.text(
                    "match.partner.programmes",
                    &[("names", &self.list(&partner.programmes))],
                ),
                projects: Vec::new(),
                links: Vec::new(),
            });
        }
        if !partner.shared_themes.is_empty() {
            let themes: Vec<String> = partner
                .shared_themes
                .iter()
                .map(|t| {
                    self.catalogs
                        .text(self.lang, &format!("theme.{}", t.slug()))
                        .to_owned()
                })
                .collect();
            views.push(ReasonView {
                kind: "themes",
                text: self.text("match.partner.themes", &[("themes", &self.list(&themes))]),
                projects: Vec::new(),
                links: Vec::new(),
            });
        }
        views
    }
}
