//! The network's evidence in words: one sentence per reason, in the reader's language,
//! the same for the pages and the API ("Beide over Talking Traffic: Apeldoorn 6.3 ↔
//! Arnhem 7.7").

use serde::Serialize;

use super::network::{Partner, Reason};
use crate::projects::view::ProjectView;
use crate::web::i18n::{Bilingual, Catalogs, Lang};

/// One reason as shown and as the API returns it.
#[derive(Serialize, Clone, Debug)]
pub struct ReasonView {
    /// `solutions`, `concepts`, `programmes`, `words`, `connected`, `theme`, `mentor`,
    /// `lessons` (a project pair's evidence), and for partners also `pair`, `programme`
    /// and `themes`.
    pub kind: &'static str,
    pub text: String,
    /// For a reason about a pair of projects: what it says without naming them, for the
    /// pages, which name the projects through `links` (their titles marked as Dutch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    /// The projects the reason is about (report number, or id for projects made on the
    /// platform): for a partner's pair, ours first.
    pub projects: Vec<serde_json::Value>,
    /// Links to those projects for the pages (a partner's pairs only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<ProjectLink>,
}

/// A project named in a reason, as a link: "Apeldoorn 6.3", and its title.
#[derive(Serialize, Clone, Debug)]
pub struct ProjectLink {
    pub label: String,
    pub title: String,
    pub url: String,
}

impl ProjectLink {
    fn to(project: &ProjectView) -> Self {
        let reference = project.source_ref.as_deref().unwrap_or_default();
        ProjectLink {
            label: format!("{} {reference}", project.city.name)
                .trim_end()
                .to_owned(),
            title: project.title.clone(),
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

/// For a pair of projects: the key of the sentence that names them, and of the one that
/// does not (the pages name them as links), with that one's placeholder.
type PairKeys = (&'static str, &'static str, &'static str);
const PAIR_ABOUT: PairKeys = ("match.reason.pair", "match.reason.concepts", "terms");
const PAIR_WORDS: PairKeys = ("match.reason.pair_words", "match.reason.words", "words");
const PAIR_CONNECTED: PairKeys = (
    "match.reason.pair_connected",
    "match.reason.connected",
    "names",
);

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

    /// Names (solutions, concepts) in the reader's language.
    fn names(&self, names: &[Bilingual]) -> Vec<String> {
        names.iter().map(|n| n.get(self.lang).to_owned()).collect()
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
                            &[("names", &self.list(&self.names(names)))],
                        ),
                    ),
                    Reason::Concepts(names) => (
                        "concepts",
                        self.text(
                            "match.reason.concepts",
                            &[("terms", &self.list(&self.names(names)))],
                        ),
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
                        self.text(
                            "match.reason.connected",
                            &[("names", &self.list(&self.names(names)))],
                        ),
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
                    about: None,
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
                Reason::Solutions(names) | Reason::Concepts(names) => {
                    Some((PAIR_ABOUT, self.list(&self.names(names))))
                }
                Reason::Programmes(items) => Some((PAIR_ABOUT, self.list(items))),
                // The report's words are Dutch: an English page says so.
                Reason::Words(items) => Some((PAIR_WORDS, self.list(items))),
                _ => None,
            });
            let connected = || {
                pair.reasons.iter().find_map(|r| match r {
                    Reason::Connected(names) => {
                        Some((PAIR_CONNECTED, self.list(&self.names(names))))
                    }
                    _ => None,
                })
            };
            let pair_view = |kind, text, about| ReasonView {
                kind,
                text,
                about: Some(about),
                projects: refs.clone(),
                links: links.clone(),
            };
            if let Some(((key, short, placeholder), about)) = about.or_else(connected) {
                let text = self.text(
                    key,
                    &[
                        ("about", &about),
                        ("ours", &label(&ours)),
                        ("theirs", &label(&theirs)),
                    ],
                );
                let short = self.text(short, &[(placeholder, &about)]);
                views.push(pair_view("pair", text, short));
            }
            for reason in &pair.reasons {
                match reason {
                    Reason::FurtherAlong { theirs: t, yours } => {
                        let (theirs_stage, yours_stage) = (self.stage(*t), self.stage(*yours));
                        let stages = [
                            ("city", theirs.city.name.as_str()),
                            ("theirs", &theirs_stage),
                            ("yours", &yours_stage),
                        ];
                        let text = self.text(
                            "match.partner.mentor",
                            &[
                                ("project", &theirs.title),
                                ("our_project", &ours.title),
                                stages[0],
                                stages[1],
                                stages[2],
                            ],
                        );
                        let short = self.text("match.reason.mentor", &stages);
                        extra.push(pair_view("mentor", text, short));
                    }
                    Reason::Stopped => {
                        let city = [("city", theirs.city.name.as_str())];
                        let text = self.text(
                            "match.partner.lessons",
                            &[city[0], ("project", &theirs.title)],
                        );
                        let short = self.text("match.reason.lessons", &city);
                        extra.push(pair_view("lessons", text, short));
                    }
                    _ => {}
                }
            }
        }
        views.extend(extra);
        if !partner.programmes.is_empty() {
            views.push(ReasonView {
                about: None,
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
                about: None,
                kind: "themes",
                text: self.text("match.partner.themes", &[("themes", &self.list(&themes))]),
                projects: Vec::new(),
                links: Vec::new(),
            });
        }
        views
    }
}
