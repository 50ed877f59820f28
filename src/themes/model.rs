//! The report's six Smart City themes: a closed set whose slugs are part of the API contract.

use diesel::prelude::*;

use crate::db::schema::{bottleneck_categories, themes};
use crate::db::DbConnection;
use crate::error::AppResult;

crate::slug_enum! {
    /// In the report's order, which every table and matrix follows.
    pub enum Theme ("theme", "invalid_theme") {
        Governance = "governance",
        Economy = "economy",
        Mobility = "mobility",
        Environment = "environment",
        Citizen = "citizen",
        Living = "living",
    }
}

impl Theme {
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
