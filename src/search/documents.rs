//! What the search index holds: one `SearchDoc` shape for every kind of record, and the
//! one registration point (`SOURCES`) listing where each kind comes from. Toolkits, pools
//! and forum threads join by adding a source here.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::cities::model::City;
use crate::cities::model::CityRef;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::projects::model::Project;

/// The kinds of search document; their slugs are the API's `type` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DocKind {
    Project,
    City,
}

impl DocKind {
    pub const ALL: [DocKind; 2] = [DocKind::Project, DocKind::City];
    /// Kinds the API accepts as `type` although no records of them exist yet.
    const RESERVED: [&'static str; 3] = ["toolkit", "pool", "thread"];

    pub fn slug(self) -> &'static str {
        match self {
            DocKind::Project => "project",
            DocKind::City => "city",
        }
    }

    /// The document kind of records of the change log's `kind`, if they are indexed.
    pub fn of(kind: crate::changes::Kind) -> Option<DocKind> {
        match kind {
            crate::changes::Kind::Project => Some(DocKind::Project),
            crate::changes::Kind::City => Some(DocKind::City),
            _ => None,
        }
    }
}

impl fmt::Display for DocKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

/// A `type` filter: a known kind, or one reserved for records that do not exist yet
/// (which then simply has no results).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KindFilter {
    Kind(DocKind),
    NotYetIndexed,
}

impl FromStr for KindFilter {
    type Err = AppError;

    fn from_str(s: &str) -> AppResult<Self> {
        if let Some(kind) = DocKind::ALL.into_iter().find(|k| k.slug() == s) {
            return Ok(KindFilter::Kind(kind));
        }
        if DocKind::RESERVED.contains(&s) {
            return Ok(KindFilter::NotYetIndexed);
        }
        Err(AppError::bad_request(
            "invalid_type",
            format!("unknown type {s:?}; use one of: project, toolkit, pool, thread, city"),
        ))
    }
}

/// One record as the index sees it.
#[derive(Clone, Debug)]
pub struct SearchDoc {
    pub kind: DocKind,
    pub id: i32,
    pub title: String,
    pub body: String,
    /// Words that place the record (city, province, theme name), searched with less weight.
    pub context: String,
    pub city: Option<CityRef>,
    pub theme: Option<String>,
    pub stage: Option<String>,
    pub source_ref: Option<String>,
    pub url: String,
}

/// Where the documents of one kind come from.
pub trait DocumentSource: Sync {
    fn kind(&self) -> DocKind;
    /// Every id of this kind, for a rebuild.
    fn all_ids(&self, conn: &mut DbConnection) -> AppResult<Vec<i32>>;
    /// The documents of these ids; ids that no longer exist are simply absent.
    fn load(&self, conn: &mut DbConnection, ids: &[i32]) -> AppResult<Vec<SearchDoc>>;
}

/// Every kind the index holds.
pub const SOURCES: &[&dyn DocumentSource] = &[&ProjectSource, &CitySource];

pub fn source(kind: DocKind) -> &'static dyn DocumentSource {
    match kind {
        DocKind::Project => &ProjectSource,
        DocKind::City => &CitySource,
    }
}

struct ProjectSource;

impl DocumentSource for ProjectSource {
    fn kind(&self) -> DocKind {
        DocKind::Project
    }

    fn all_ids(&self, conn: &mut DbConnection) -> AppResult<Vec<i32>> {
        Project::all_ids(conn)
    }

    fn load(&self, conn: &mut DbConnection, ids: &[i32]) -> AppResult<Vec<SearchDoc>> {
        let projects = Project::by_ids(conn, ids)?;
        let cities = CityRef::for_projects(conn, &projects)?;
        Ok(projects
            .into_iter()
            .filter_map(|p| {
                let city = cities.get(&p.city_id)?.clone();
                let theme_name = p.theme.name();
                Some(SearchDoc {
                    kind: DocKind::Project,
                    id: p.id,
                    url: crate::projects::view::project_url(p.id),
                    context: format!("{} {theme_name}", city.name),
                    title: p.title,
                    // What the city learned and with whom is as findable as what it did.
                    body: [p.description, p.lessons, p.partners]
                        .into_iter()
                        .filter(|part| !part.is_empty())
                        .collect::<Vec<_>>()
                        .join("\n\n"),
                    city: Some(city),
                    theme: Some(p.theme.slug().to_owned()),
                    stage: Some(p.stage.slug().to_owned()),
                    source_ref: p.source_ref,
                })
            })
            .collect())
    }
}

struct CitySource;

impl DocumentSource for CitySource {
    fn kind(&self) -> DocKind {
        DocKind::City
    }

    fn all_ids(&self, conn: &mut DbConnection) -> AppResult<Vec<i32>> {
        Ok(City::all(conn)?.into_iter().map(|c| c.id).collect())
    }

    fn load(&self, conn: &mut DbConnection, ids: &[i32]) -> AppResult<Vec<SearchDoc>> {
        let mut docs = Vec::new();
        for city in City::all(conn)?.into_iter().filter(|c| ids.contains(&c.id)) {
            let programmes: Vec<String> =
                city.programmes(conn)?.into_iter().map(|p| p.name).collect();
            let body = [city.notes.as_deref().unwrap_or(""), &programmes.join(", ")].join("\n");
            docs.push(SearchDoc {
                kind: DocKind::City,
                id: city.id,
                url: crate::cities::view::city_url(&city.slug),
                title: city.name.clone(),
                body,
                context: city.province.clone(),
                city: Some(city.reference()),
                theme: None,
                stage: None,
                source_ref: None,
            });
        }
        Ok(docs)
    }
}
