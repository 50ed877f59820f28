//! How pools and toolkits are shown: one view model for the pages and the JSON API (the
//! API's shapes are in DESIGN.md).

use chrono::NaiveDateTime;
use serde::Serialize;

use super::model::{
    Adoption, AdoptionStatus, Attachment, Member, Pool, PoolRole, Toolkit, Version,
};
use crate::themes::Theme;

pub fn pool_url(slug: &str) -> String {
    format!("/expertisepools/{slug}")
}

pub fn toolkit_url(id: i32) -> String {
    format!("/toolkits/{id}")
}

fn rfc3339(at: NaiveDateTime) -> String {
    crate::forum::view::rfc3339(at)
}

#[derive(Serialize, Clone, Debug)]
pub struct PersonView {
    pub name: String,
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl From<&Member> for PersonView {
    fn from(m: &Member) -> Self {
        PersonView {
            name: m.name.clone(),
            city: m.city.clone(),
            url: m.handle.as_ref().map(|h| format!("/mensen/{h}")),
        }
    }
}

#[derive(Serialize, Clone, Debug)]
pub struct PoolRef {
    pub slug: String,
    pub name: String,
}

#[derive(Serialize, Clone, Debug)]
pub struct PoolView {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub themes: Vec<Theme>,
    pub leads: Vec<PersonView>,
    pub members: i64,
    pub toolkits: i64,
    pub url: String,
}

impl PoolView {
    pub fn new(pool: &Pool, members: &[Member], counts: (i64, i64)) -> Self {
        PoolView {
            slug: pool.slug.clone(),
            name: pool.name.clone(),
            description: pool.description.clone(),
            themes: pool.themes(),
            leads: members
                .iter()
                .filter(|m| m.role == PoolRole::Lead)
                .map(PersonView::from)
                .collect(),
            members: counts.0,
            toolkits: counts.1,
            url: pool_url(&pool.slug),
        }
    }
}

#[derive(Serialize, Clone, Debug)]
pub struct ToolkitSummary {
    pub id: i32,
    pub title: String,
    pub summary: String,
    pub pool: PoolRef,
    pub version: i32,
    pub updated_at: String,
    /// Cities using or considering it.
    pub adoptions: i64,
    pub themes: Vec<Theme>,
    pub url: String,
}

impl ToolkitSummary {
    pub fn new(toolkit: &Toolkit, pool: &Pool, adoptions: i64) -> Self {
        ToolkitSummary {
            id: toolkit.id,
            title: toolkit.title.clone(),
            summary: toolkit.summary.clone(),
            pool: PoolRef {
                slug: pool.slug.clone(),
                name: pool.name.clone(),
            },
            version: toolkit.version,
            updated_at: rfc3339(toolkit.updated_at),
            adoptions,
            themes: toolkit.themes(),
            url: toolkit_url(toolkit.id),
        }
    }
}

#[derive(Serialize, Clone, Debug)]
pub struct VersionView {
    pub number: i32,
    pub note: String,
    pub created_at: String,
    /// Its author; absent from the API (people are named on the page).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}

impl VersionView {
    pub fn new(v: &Version, with_author: bool) -> Self {
        VersionView {
            number: v.number,
            note: v.note.clone(),
            created_at: rfc3339(v.created_at),
            author: if with_author { v.author.clone() } else { None },
        }
    }
}

#[derive(Serialize, Clone, Debug)]
pub struct AttachmentView {
    pub name: String,
    pub size: i64,
    pub content_type: String,
    pub url: String,
    /// The version that added it.
    pub version: i32,
}

impl AttachmentView {
    pub fn new(a: &Attachment, content_type: &str) -> Self {
        AttachmentView {
            url: format!("/toolkits/{}/bijlagen/{}/{}", a.toolkit_id, a.id, a.name),
            name: a.name.clone(),
            size: a.size,
            content_type: content_type.to_owned(),
            version: a.version,
        }
    }
}

#[derive(Serialize, Clone, Debug)]
pub struct CityRefView {
    pub slug: String,
    pub name: String,
}

#[derive(Serialize, Clone, Debug)]
pub struct AdoptionView {
    pub city: CityRefView,
    pub version: i32,
    pub status: AdoptionStatus,
    pub note: String,
    /// The project of that city it serves, if they named one.
    pub project_id: Option<i32>,
    /// On an older version than the toolkit's latest.
    pub outdated: bool,
    pub updated_at: String,
}

impl AdoptionView {
    pub fn new(adoption: &Adoption, slug: &str, name: &str, latest: i32) -> Self {
        AdoptionView {
            city: CityRefView {
                slug: slug.to_owned(),
                name: name.to_owned(),
            },
            version: adoption.version,
            status: adoption.status,
            note: adoption.note.clone(),
            project_id: adoption.project_id,
            outdated: adoption.version < latest && adoption.status != AdoptionStatus::Stopped,
            updated_at: rfc3339(adoption.updated_at),
        }
    }
}
