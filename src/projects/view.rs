//! How a project is shown: one view model for the JSON API and the pages alike.

use chrono::NaiveDateTime;
use serde::Serialize;

use super::model::{DescriptionOrigin, Project, Stage};
use crate::cities::model::CityRef;
use crate::themes::Theme;

#[derive(Serialize, Clone, Debug)]
pub struct ProjectView {
    pub id: i32,
    /// The report's number ("6.3"); null for projects created on the platform.
    pub source_ref: Option<String>,
    pub title: String,
    pub description: String,
    /// `report`, or `name_only` where the report gives nothing but the name.
    pub description_origin: DescriptionOrigin,
    pub city: CityRef,
    pub theme: Theme,
    pub stage: Stage,
    pub url: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// What the city learned (empty when nothing is recorded yet).
    pub lessons: String,
    /// Partner organisations.
    pub partners: Vec<String>,
    pub contact: Option<Contact>,
    /// Web addresses about the project (http or https only).
    pub links: Vec<String>,
    /// The slugs of the solutions it is (confirmed, or suggested with enough
    /// confidence); filled where a project is served whole (`with_solutions`).
    pub solutions: Vec<String>,
    /// Where its facts come from and how old they are.
    pub currency: super::currency::Currency,
    /// Set once it is archived (stopped or merged).
    pub archived: Option<super::archive::Archived>,
}

#[derive(Serialize, Clone, Debug)]
pub struct Contact {
    pub name: String,
    pub email: Option<String>,
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

impl ProjectView {
    pub fn new(project: Project, city: CityRef) -> Self {
        ProjectView {
            currency: super::currency::Currency::of(&project, &city.name, super::currency::today()),
            archived: super::archive::Archived::of(&project),
            url: project_url(project.id),
            id: project.id,
            source_ref: project.source_ref,
            title: project.title,
            description: project.description,
            description_origin: project.description_origin,
            city,
            theme: project.theme,
            stage: project.stage,
            created_at: project.created_at,
            updated_at: project.updated_at,
            contact: (!project.contact_name.is_empty() || !project.contact_email.is_empty()).then(
                || Contact {
                    name: project.contact_name,
                    email: Some(project.contact_email).filter(|e| !e.is_empty()),
                },
            ),
            lessons: project.lessons,
            partners: lines(&project.partners),
            links: lines(&project.links)
                .into_iter()
                .filter(|l| l.starts_with("https://") || l.starts_with("http://"))
                .collect(),
            solutions: Vec::new(),
        }
    }

    /// Fills in the solutions of these views.
    pub fn with_solutions(
        conn: &mut crate::db::DbConnection,
        views: &mut [ProjectView],
    ) -> crate::error::AppResult<()> {
        let ids: Vec<i32> = views.iter().map(|v| v.id).collect();
        let mut links = crate::solutions::model::counting_links(conn, &ids)?;
        for view in views {
            view.solutions = links
                .remove(&view.id)
                .unwrap_or_default()
                .into_iter()
                .map(|l| l.slug)
                .collect();
        }
        Ok(())
    }

    /// Views for a list of projects whose cities are looked up in `cities`.
    pub fn many(
        projects: Vec<Project>,
        cities: &std::collections::HashMap<i32, CityRef>,
    ) -> Vec<Self> {
        projects
            .into_iter()
            .filter_map(|p| {
                let city = cities.get(&p.city_id)?.clone();
                Some(ProjectView::new(p, city))
            })
            .collect()
    }
}

/// What lists outside the projects' own pages (search results) mark a project with:
/// how current it is and whether it is archived.
#[derive(Serialize, Clone, Debug)]
pub struct ProjectMarks {
    pub currency: super::currency::Currency,
    pub archived: Option<super::archive::Archived>,
}

impl ProjectMarks {
    /// The marks of the projects `ids`, by id (unknown ids left out); `city_names` by
    /// city id, as the caller has them already.
    pub fn load(
        conn: &mut crate::db::DbConnection,
        ids: &[i32],
        city_names: &std::collections::HashMap<i32, String>,
    ) -> crate::error::AppResult<std::collections::HashMap<i32, ProjectMarks>> {
        if ids.is_empty() {
            return Ok(Default::default());
        }
        let today = super::currency::today();
        Ok(Project::by_ids(conn, ids)?
            .into_iter()
            .map(|p| {
                let city = city_names.get(&p.city_id).map_or("", String::as_str);
                let marks = ProjectMarks {
                    currency: super::currency::Currency::of(&p, city, today),
                    archived: super::archive::Archived::of(&p),
                };
                (p.id, marks)
            })
            .collect())
    }
}

pub fn project_url(id: i32) -> String {
    format!("/projecten/{id}")
}
