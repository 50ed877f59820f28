//! Project rows, their lifecycle stage, and the queries over them.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::projects;
use crate::db::{DbConnection, MultiBackend};
use crate::error::{AppError, AppResult};
use crate::themes::Theme;
use crate::web::pagination::Paging;

/// Where a project stands, from idea to scaled (or stopped, with lessons to share).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Idea,
    Pilot,
    Running,
    Scaled,
    Stopped,
}

impl Stage {
    pub const ALL: [Stage; 5] = [
        Stage::Idea,
        Stage::Pilot,
        Stage::Running,
        Stage::Scaled,
        Stage::Stopped,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Stage::Idea => "idea",
            Stage::Pilot => "pilot",
            Stage::Running => "running",
            Stage::Scaled => "scaled",
            Stage::Stopped => "stopped",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

impl FromStr for Stage {
    type Err = AppError;

    fn from_str(s: &str) -> AppResult<Self> {
        Stage::ALL
            .into_iter()
            .find(|t| t.slug() == s)
            .ok_or_else(|| {
                AppError::bad_request(
                    "invalid_stage",
                    format!(
                        "unknown stage {s:?}; use one of: {}",
                        Stage::ALL.map(Stage::slug).join(", ")
                    ),
                )
            })
    }
}

#[derive(Queryable, Selectable, Identifiable, Clone, Debug)]
#[diesel(table_name = projects)]
pub struct Project {
    pub id: i32,
    pub city_id: i32,
    pub source_ref: Option<String>,
    pub title: String,
    pub description: String,
    pub description_origin: String,
    pub theme: String,
    pub stage: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// What the city learned; most valuable for stopped projects.
    pub lessons: String,
    /// Partner organisations, one per line.
    pub partners: String,
    pub contact_name: String,
    pub contact_email: String,
    /// Web addresses, one per line (validated as http(s) when saved).
    pub links: String,
    /// The member who created it on the platform; `None` for imported projects and for
    /// deleted accounts.
    pub created_by: Option<i32>,
}

/// The fields an import or an edit sets; timestamps are the database's business.
#[derive(Insertable, AsChangeset, Clone, Debug)]
#[diesel(table_name = projects)]
pub struct ProjectForm {
    pub city_id: i32,
    pub source_ref: Option<String>,
    pub title: String,
    pub description: String,
    pub description_origin: String,
    pub theme: String,
    pub stage: String,
}

/// Which projects a list shows. `city_id` rather than a slug: callers resolve the slug
/// first so an unknown city is reported as such instead of as an empty list.
#[derive(Clone, Debug, Default)]
pub struct ProjectFilter {
    pub city_id: Option<i32>,
    pub theme: Option<Theme>,
    pub stage: Option<Stage>,
    pub source_ref: Option<String>,
}

impl ProjectFilter {
    fn query(&self) -> projects::BoxedQuery<'_, MultiBackend> {
        let mut query = projects::table.into_boxed();
        if let Some(city_id) = self.city_id {
            query = query.filter(projects::city_id.eq(city_id));
        }
        if let Some(theme) = self.theme {
            query = query.filter(projects::theme.eq(theme.slug()));
        }
        if let Some(stage) = self.stage {
            query = query.filter(projects::stage.eq(stage.slug()));
        }
        if let Some(source_ref) = &self.source_ref {
            query = query.filter(projects::source_ref.eq(source_ref));
        }
        query
    }
}

impl Project {
    pub fn find(conn: &mut DbConnection, id: i32) -> AppResult<Self> {
        projects::table
            .find(id)
            .select(Self::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found(format!("project {id}")))
    }

    pub fn find_by_source_ref(
        conn: &mut DbConnection,
        source_ref: &str,
    ) -> AppResult<Option<Self>> {
        Ok(projects::table
            .filter(projects::source_ref.eq(source_ref))
            .select(Self::as_select())
            .first(conn)
            .optional()?)
    }

    /// One page of the filtered list, ordered the way the report numbers projects
    /// (imported ones first by city and number, then projects made on the platform).
    pub fn list(
        conn: &mut DbConnection,
        filter: &ProjectFilter,
        paging: Paging,
    ) -> AppResult<(i64, Vec<Self>)> {
        let total = filter.query().count().get_result::<i64>(conn)?;
        let rows = filter
            .query()
            .order((projects::city_id, projects::id))
            .limit(paging.per_page)
            .offset(paging.offset())
            .select(Self::as_select())
            .load(conn)?;
        Ok((total, rows))
    }

    /// All projects of one city, in report order.
    pub fn of_city(conn: &mut DbConnection, city_id: i32) -> AppResult<Vec<Self>> {
        Ok(projects::table
            .filter(projects::city_id.eq(city_id))
            .order(projects::id)
            .select(Self::as_select())
            .load(conn)?)
    }

    pub fn all_ids(conn: &mut DbConnection) -> AppResult<Vec<i32>> {
        Ok(projects::table
            .order(projects::id)
            .select(projects::id)
            .load(conn)?)
    }

    pub fn by_ids(conn: &mut DbConnection, ids: &[i32]) -> AppResult<Vec<Self>> {
        Ok(projects::table
            .filter(projects::id.eq_any(ids))
            .order(projects::id)
            .select(Self::as_select())
            .load(conn)?)
    }

    /// All projects of one theme, by city and report number.
    pub fn of_theme(conn: &mut DbConnection, theme: Theme) -> AppResult<Vec<Self>> {
        Ok(projects::table
            .filter(projects::theme.eq(theme.slug()))
            .order((projects::city_id, projects::id))
            .select(Self::as_select())
            .load(conn)?)
    }

    /// The most recently added or changed projects.
    pub fn newest(conn: &mut DbConnection, limit: i64) -> AppResult<Vec<Self>> {
        Ok(projects::table
            .order((projects::updated_at.desc(), projects::id.desc()))
            .limit(limit)
            .select(Self::as_select())
            .load(conn)?)
    }

    pub fn theme(&self) -> Option<Theme> {
        self.theme.parse().ok()
    }

    pub fn stage(&self) -> Option<Stage> {
        self.stage.parse().ok()
    }
}

/// Project counts per city and theme: the data behind the "wie doet wat" matrix and
/// every per-city theme profile.
#[derive(Clone, Debug, Default)]
pub struct ThemeCounts {
    by_city: HashMap<i32, [i64; 6]>,
}

impl ThemeCounts {
    pub fn load(conn: &mut DbConnection) -> AppResult<Self> {
        let rows: Vec<(i32, String, i64)> = projects::table
            .group_by((projects::city_id, projects::theme))
            .select((projects::city_id, projects::theme, count_star()))
            .load(conn)?;
        let mut by_city: HashMap<i32, [i64; 6]> = HashMap::new();
        for (city_id, theme, n) in rows {
            if let Ok(theme) = theme.parse::<Theme>() {
                by_city.entry(city_id).or_default()[theme.index()] += n;
            }
        }
        Ok(ThemeCounts { by_city })
    }

    pub fn for_city(&self, city_id: i32) -> [i64; 6] {
        self.by_city.get(&city_id).copied().unwrap_or_default()
    }

    pub fn per_theme(&self) -> [i64; 6] {
        let mut totals = [0; 6];
        for counts in self.by_city.values() {
            for (total, n) in totals.iter_mut().zip(counts) {
                *total += n;
            }
        }
        totals
    }

    pub fn total(&self) -> i64 {
        self.per_theme().iter().sum()
    }
}
