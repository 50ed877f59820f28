//! The G40 inventory: the JSON shape of `data/g40-2020.json` (made from the 2020 report
//! by `data/build_inventory.py`) and its import, one transaction, updating by slug and
//! `source_ref` so a refreshed file can be loaded again without duplicates.

use std::path::Path;

use diesel::prelude::*;
use serde::Deserialize;

use crate::changes::{self, Kind, Operation};
use crate::cities::model::{CityForm, NewCityContact};
use crate::db::schema::{
    bottleneck_categories, cities, city_contacts, city_programmes, inventory_imports, programmes,
    projects, themes,
};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::projects::model::{Project, ProjectForm, Stage};
use crate::text::slugify;
use crate::themes::Theme;

/// The inventory shipped in the binary, loaded on the first start.
pub const SHIPPED_JSON: &str = include_str!("../../data/g40-2020.json");

#[derive(Deserialize, Debug)]
pub struct Inventory {
    pub source: Source,
    pub themes: Vec<Definition>,
    pub bottleneck_categories: Vec<Definition>,
    pub cities: Vec<InventoryCity>,
    pub projects: Vec<InventoryProject>,
}

#[derive(Deserialize, Debug)]
pub struct Source {
    pub title: String,
    pub publisher: String,
    pub year: i32,
    pub updated: String,
    pub provenance: String,
    pub licence: String,
    /// How many cities and projects the report lists (set from the lists, for `/over`).
    #[serde(skip)]
    pub city_count: usize,
    #[serde(skip)]
    pub project_count: usize,
}

#[derive(Deserialize, Debug)]
pub struct Definition {
    pub slug: String,
    pub name: String,
    pub definition: String,
}

#[derive(Deserialize, Debug)]
pub struct InventoryCity {
    pub slug: String,
    pub name: String,
    pub province: String,
    pub population: i32,
    pub area_km2: f64,
    pub latitude: f64,
    pub longitude: f64,
    pub report_number: Option<i32>,
    pub stated_project_count: Option<i32>,
    #[serde(default)]
    pub contacts: Vec<InventoryContact>,
    pub notes: Option<String>,
    pub focus: Option<String>,
    #[serde(default)]
    pub programmes: Vec<String>,
}

#[derive(Deserialize, Debug)]
pub struct InventoryContact {
    pub role: String,
    pub name: String,
    pub title: Option<String>,
}

#[derive(Deserialize, Debug)]
pub struct InventoryProject {
    pub source_ref: String,
    pub city: String,
    pub title: String,
    pub description: String,
    pub description_origin: String,
    pub theme: String,
    pub stage: String,
}

/// What an import did, for the log and the CLI.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub cities: usize,
    pub projects_created: usize,
    pub projects_updated: usize,
    pub projects_unchanged: usize,
    /// Projects the city has edited on the platform since: the city's version wins.
    pub projects_kept: usize,
}

impl Inventory {
    pub fn parse(json: &str) -> AppResult<Self> {
        serde_json::from_str(json).map_err(|e| {
            AppError::bad_request("invalid_inventory", format!("not an inventory file: {e}"))
        })
    }

    pub fn read(path: &Path) -> AppResult<Self> {
        let json = std::fs::read_to_string(path).map_err(|e| {
            AppError::bad_request(
                "invalid_inventory",
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        Self::parse(&json)
    }

    /// Checks what the database constraints would otherwise reject half-way, so a bad
    /// file is refused with a message naming the offending entry.
    fn validate(&self) -> AppResult<()> {
        let invalid = |message: String| AppError::bad_request("invalid_inventory", message);
        for theme in &self.themes {
            theme.slug.parse::<Theme>().map_err(|_| {
                invalid(format!(
                    "theme {:?} is not one of the six themes",
                    theme.slug
                ))
            })?;
        }
        for city in &self.cities {
            if city.slug.is_empty() || city.slug != slugify(&city.slug) {
                return Err(invalid(format!(
                    "city {:?} has an invalid slug {:?}",
                    city.name, city.slug
                )));
            }
            if let Some(c) = city
                .contacts
                .iter()
                .find(|c| !matches!(c.role.as_str(), "ambtelijk" | "bestuurlijk"))
            {
                return Err(invalid(format!(
                    "contact {:?} of {} has unknown role {:?}",
                    c.name, city.name, c.role
                )));
            }
        }
        for p in &self.projects {
            let context = |what: &str| invalid(format!("project {}: {what}", p.source_ref));
            if !self.cities.iter().any(|c| c.slug == p.city) {
                return Err(context(&format!("unknown city {:?}", p.city)));
            }
            p.theme
                .parse::<Theme>()
                .map_err(|e| context(&e.to_string()))?;
            p.stage
                .parse::<Stage>()
                .map_err(|e| context(&e.to_string()))?;
            if !matches!(p.description_origin.as_str(), "report" | "name_only") {
                return Err(context("description_origin must be report or name_only"));
            }
            if p.title.trim().is_empty() {
                return Err(context("empty title"));
            }
        }
        Ok(())
    }

    /// Loads the inventory in one transaction: all of it or nothing.
    pub fn import(&self, conn: &mut DbConnection) -> AppResult<ImportReport> {
        self.validate()?;
        crate::db::write_transaction(conn, |conn| self.import_within(conn))
    }

    fn import_within(&self, conn: &mut DbConnection) -> AppResult<ImportReport> {
        for (position, theme) in (0..).zip(&self.themes) {
            upsert_definition(conn, Table::Themes, position, theme)?;
        }
        for (position, category) in (0..).zip(&self.bottleneck_categories) {
            upsert_definition(conn, Table::Bottlenecks, position, category)?;
        }
        let mut report = ImportReport::default();
        // Solutions are suggested for what the import changed (none before the catalogue
        // is seeded, which then suggests for everything).
        let suggester = crate::solutions::model::Suggester::load(conn)?;
        let mut city_ids = std::collections::HashMap::new();
        for city in &self.cities {
            let id = upsert_city(conn, city)?;
            changes::record(conn, Kind::City, id, Operation::Update)?;
            city_ids.insert(city.slug.as_str(), id);
            report.cities += 1;
        }
        for p in &self.projects {
            let form = ProjectForm {
                city_id: city_ids[p.city.as_str()],
                source_ref: Some(p.source_ref.clone()),
                title: p.title.clone(),
                description: p.description.clone(),
                description_origin: p.description_origin.parse()?,
                theme: p.theme.parse()?,
                stage: p.stage.parse()?,
            };
            match Project::find_by_source_ref(conn, &p.source_ref)? {
                None => {
                    let id = diesel::insert_into(projects::table)
                        .values(&form)
                        .returning(projects::id)
                        .get_result(conn)?;
                    suggester.suggest(conn, id)?;
                    changes::record(conn, Kind::Project, id, Operation::Insert)?;
                    report.projects_created += 1;
                }
                Some(existing) if edited_on_platform(conn, existing.id)? => {
                    report.projects_kept += 1;
                }
                Some(existing) if !same_content(&existing, &form) => {
                    diesel::update(projects::table.find(existing.id))
                        .set((&form, projects::updated_at.eq(diesel::dsl::now)))
                        .execute(conn)?;
                    suggester.suggest(conn, existing.id)?;
                    changes::record(conn, Kind::Project, existing.id, Operation::Update)?;
                    report.projects_updated += 1;
                }
                Some(_) => report.projects_unchanged += 1,
            }
        }
        let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        diesel::insert_into(inventory_imports::table)
            .values((
                inventory_imports::source.eq(&self.source.title),
                inventory_imports::source_updated.eq(&self.source.updated),
                inventory_imports::cities.eq(count(report.cities)),
                inventory_imports::projects_created.eq(count(report.projects_created)),
                inventory_imports::projects_updated.eq(count(report.projects_updated)),
            ))
            .execute(conn)?;
        Ok(report)
    }
}

/// Whether the city has edited the project on the platform; an import never overwrites
/// that work.
fn edited_on_platform(conn: &mut DbConnection, project_id: i32) -> AppResult<bool> {
    Ok(crate::revisions::count(conn, Kind::Project, project_id)? > 0)
}

/// Imports `inventory` (the shipped one) unless an inventory was loaded before, so a restart
/// never imports twice and never overwrites what cities edited since.
pub fn load_if_empty(
    conn: &mut DbConnection,
    inventory: &Inventory,
) -> AppResult<Option<ImportReport>> {
    let imports: i64 = inventory_imports::table.count().get_result(conn)?;
    if imports > 0 {
        return Ok(None);
    }
    inventory.import(conn).map(Some)
}

fn same_content(existing: &Project, form: &ProjectForm) -> bool {
    existing.city_id == form.city_id
        && existing.title == form.title
        && existing.description == form.description
        && existing.description_origin == form.description_origin
        && existing.theme == form.theme
        && existing.stage == form.stage
}

enum Table {
    Themes,
    Bottlenecks,
}

fn upsert_definition(
    conn: &mut DbConnection,
    table: Table,
    position: i32,
    def: &Definition,
) -> AppResult<()> {
    // Two tables of the same shape; diesel needs each spelled out.
    macro_rules! upsert {
        ($t:ident) => {{
            let exists: i64 = $t::table
                .filter($t::slug.eq(&def.slug))
                .count()
                .get_result(conn)?;
            let values = (
                $t::position.eq(position),
                $t::name.eq(&def.name),
                $t::definition.eq(&def.definition),
            );
            if exists > 0 {
                diesel::update($t::table.find(&def.slug))
                    .set(values)
                    .execute(conn)?;
            } else {
                diesel::insert_into($t::table)
                    .values(($t::slug.eq(&def.slug), values))
                    .execute(conn)?;
            }
        }};
    }
    match table {
        Table::Themes => upsert!(themes),
        Table::Bottlenecks => upsert!(bottleneck_categories),
    }
    Ok(())
}

fn upsert_city(conn: &mut DbConnection, city: &InventoryCity) -> AppResult<i32> {
    let form = CityForm {
        slug: city.slug.clone(),
        name: city.name.clone(),
        province: city.province.clone(),
        population: city.population,
        area_km2: city.area_km2,
        latitude: city.latitude,
        longitude: city.longitude,
        report_number: city.report_number,
        stated_project_count: city.stated_project_count,
        notes: city.notes.clone(),
        focus: city.focus.clone(),
    };
    let existing: Option<i32> = cities::table
        .filter(cities::slug.eq(&city.slug))
        .select(cities::id)
        .first(conn)
        .optional()?;
    let city_id = match existing {
        Some(id) => {
            diesel::update(cities::table.find(id))
                .set(&form)
                .execute(conn)?;
            id
        }
        None => diesel::insert_into(cities::table)
            .values(&form)
            .returning(cities::id)
            .get_result(conn)?,
    };

    // Contacts and programmes are the report's lists: replace them wholesale.
    diesel::delete(city_contacts::table.filter(city_contacts::city_id.eq(city_id)))
        .execute(conn)?;
    // Row by row: diesel's multi-backend connection has no batch insert.
    for (position, c) in (0..).zip(&city.contacts) {
        let contact = NewCityContact {
            city_id,
            position,
            role: c.role.clone(),
            name: c.name.clone(),
            title: c.title.clone(),
        };
        diesel::insert_into(city_contacts::table)
            .values(&contact)
            .execute(conn)?;
    }

    diesel::delete(city_programmes::table.filter(city_programmes::city_id.eq(city_id)))
        .execute(conn)?;
    let mut seen = std::collections::HashSet::new();
    for name in city.programmes.iter().filter(|n| seen.insert(slugify(n))) {
        let programme_id = programme_id(conn, name)?;
        diesel::insert_into(city_programmes::table)
            .values((
                city_programmes::city_id.eq(city_id),
                city_programmes::programme_id.eq(programme_id),
            ))
            .execute(conn)?;
    }
    Ok(city_id)
}

fn programme_id(conn: &mut DbConnection, name: &str) -> AppResult<i32> {
    let slug = slugify(name);
    let existing: Option<i32> = programmes::table
        .filter(programmes::slug.eq(&slug))
        .select(programmes::id)
        .first(conn)
        .optional()?;
    match existing {
        Some(id) => Ok(id),
        None => Ok(diesel::insert_into(programmes::table)
            .values((programmes::slug.eq(&slug), programmes::name.eq(name)))
            .returning(programmes::id)
            .get_result(conn)?),
    }
}
