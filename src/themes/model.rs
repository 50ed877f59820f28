//! The report's six Smart City themes: a closed set whose slugs are part of the API contract.

use std::fmt;
use std::str::FromStr;

use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{bottleneck_categories, themes};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    Governance,
    Economy,
    Mobility,
    Environment,
    Citizen,
    Living,
}

impl Theme {
    /// In the report's order, which every table and matrix follows.
    pub const ALL: [Theme; 6] = [
        Theme::Governance,
        Theme::Economy,
        Theme::Mobility,
        Theme::Environment,
        Theme::Citizen,
        Theme::Living,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Theme::Governance => "governance",
            Theme::Economy => "economy",
            Theme::Mobility => "mobility",
            Theme::Environment => "environment",
            Theme::Citizen => "citizen",
            Theme::Living => "living",
        }
    }

    /// The report's name, the same in Dutch and English.
    pub fn name(self) -> &'static str {
        match self {
            Theme::Governance => "Smart Governance",
            Theme::Economy => "Smart Economy",
            Theme::Mobility => "Smart Mobility",
            Theme::Environment => "Smart Environment",
            Theme::Citizen => "Smart Citizen",
            Theme::Living => "Smart Living",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Theme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

impl FromStr for Theme {
    type Err = AppError;

    fn from_str(s: &str) -> AppResult<Self> {
        Theme::ALL
            .into_iter()
            .find(|t| t.slug() == s)
            .ok_or_else(|| {
                AppError::bad_request(
                    "invalid_theme",
                    format!(
                        "unknown theme {s:?}; use one of: {}",
                        Theme::ALL.map(Theme::slug).join(", ")
                    ),
                )
            })
    }
}

/// A theme row: the report's definition of the theme.
#[derive(Queryable, Selectable, Insertable, AsChangeset, Clone, Debug)]
#[diesel(table_name = themes)]
pub struct ThemeDefinition {
    pub slug: String,
    pub position: i32,
    pub name: String,
    pub definition: String,
}

impl ThemeDefinition {
    pub fn all(conn: &mut DbConnection) -> AppResult<Vec<Self>> {
        Ok(themes::table
            .order(themes::position)
            .select(Self::as_select())
            .load(conn)?)
    }
}

/// One of the report's six categories of bottlenecks and accelerators, the natural
/// first expertise pools.
#[derive(Queryable, Selectable, Insertable, AsChangeset, Clone, Debug)]
#[diesel(table_name = bottleneck_categories)]
pub struct BottleneckCategory {
    pub slug: String,
    pub position: i32,
    pub name: String,
    pub definition: String,
}

impl BottleneckCategory {
    pub fn all(conn: &mut DbConnection) -> AppResult<Vec<Self>> {
        Ok(bottleneck_categories::table
            .order(bottleneck_categories::position)
            .select(Self::as_select())
            .load(conn)?)
    }
}
