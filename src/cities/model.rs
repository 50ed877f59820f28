//! City rows with the report's facts (contacts, programmes, notes) and their queries.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{cities, city_contacts, city_programmes, programmes};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};

#[derive(Queryable, Selectable, Identifiable, Clone, Debug)]
#[diesel(table_name = cities)]
pub struct City {
    pub id: i32,
    pub slug: String,
    pub name: String,
    pub province: String,
    pub population: i32,
    pub area_km2: f64,
    pub latitude: f64,
    pub longitude: f64,
    pub report_number: Option<i32>,
    pub stated_project_count: Option<i32>,
    pub notes: Option<String>,
    pub focus: Option<String>,
}

#[derive(Insertable, AsChangeset, Clone, Debug)]
#[diesel(table_name = cities)]
#[diesel(treat_none_as_null = true)]
pub struct CityForm {
    pub slug: String,
    pub name: String,
    pub province: String,
    pub population: i32,
    pub area_km2: f64,
    pub latitude: f64,
    pub longitude: f64,
    pub report_number: Option<i32>,
    pub stated_project_count: Option<i32>,
    pub notes: Option<String>,
    pub focus: Option<String>,
}

/// A contact person as the report lists them: civil-service (ambtelijk) or
/// administrative (bestuurlijk, usually a wethouder).
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = city_contacts)]
pub struct CityContact {
    pub role: String,
    pub name: String,
    pub title: Option<String>,
}

#[derive(Insertable, Clone, Debug)]
#[diesel(table_name = city_contacts)]
pub struct NewCityContact {
    pub city_id: i32,
    pub position: i32,
    pub role: String,
    pub name: String,
    pub title: Option<String>,
}

/// A named national or European programme (City Deal, Talking Traffic, …).
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = programmes)]
pub struct Programme {
    pub id: i32,
    pub slug: String,
    pub name: String,
}

impl City {
    /// All cities, alphabetically by slug (so "'s-Hertogenbosch" sorts under s).
    pub fn all(conn: &mut DbConnection) -> AppResult<Vec<Self>> {
        Ok(cities::table
            .order(cities::slug)
            .select(Self::as_select())
            .load(conn)?)
    }

    pub fn find(conn: &mut DbConnection, id: i32) -> AppResult<Self> {
        cities::table
            .find(id)
            .select(Self::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found(format!("city {id}")))
    }

    pub fn reference(&self) -> CityRef {
        CityRef {
            slug: self.slug.clone(),
            name: self.name.clone(),
        }
    }

    pub fn find_by_slug(conn: &mut DbConnection, slug: &str) -> AppResult<Self> {
        cities::table
            .filter(cities::slug.eq(slug))
            .select(Self::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found(format!("city {slug:?}")))
    }

    /// Resolves a slug given as a filter; an unknown one is a bad request, not a 404,
    /// because the list itself exists.
    pub fn id_for_filter(conn: &mut DbConnection, slug: &str) -> AppResult<i32> {
        cities::table
            .filter(cities::slug.eq(slug))
            .select(cities::id)
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::bad_request("invalid_city", format!("unknown city {slug:?}")))
    }

    pub fn contacts(&self, conn: &mut DbConnection) -> AppResult<Vec<CityContact>> {
        Ok(city_contacts::table
            .filter(city_contacts::city_id.eq(self.id))
            .order(city_contacts::position)
            .select(CityContact::as_select())
            .load(conn)?)
    }

    pub fn programmes(&self, conn: &mut DbConnection) -> AppResult<Vec<Programme>> {
        Ok(city_programmes::table
            .inner_join(programmes::table)
            .filter(city_programmes::city_id.eq(self.id))
            .order(programmes::name)
            .select(Programme::as_select())
            .load(conn)?)
    }
}

/// The slug and name of a project's city, for lists that show many projects.
#[derive(Queryable, Clone, Debug, Serialize)]
pub struct CityRef {
    pub slug: String,
    pub name: String,
}

impl CityRef {
    pub fn for_projects(
        conn: &mut DbConnection,
        projects: &[crate::projects::model::Project],
    ) -> AppResult<HashMap<i32, CityRef>> {
        let ids: Vec<i32> = projects.iter().map(|p| p.city_id).collect();
        Self::by_ids(conn, ids)
    }

    /// The cities with these ids (repeats allowed), by id.
    pub fn by_ids(conn: &mut DbConnection, mut ids: Vec<i32>) -> AppResult<HashMap<i32, CityRef>> {
        ids.sort_unstable();
        ids.dedup();
        let rows: Vec<(i32, String, String)> = cities::table
            .filter(cities::id.eq_any(ids))
            .select((cities::id, cities::slug, cities::name))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(id, slug, name)| (id, CityRef { slug, name }))
            .collect())
    }
}
