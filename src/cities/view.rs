//! How cities are shown, in the API and on the pages.

use serde::Serialize;

use super::model::{City, CityContact};
use crate::projects::view::ProjectView;
use crate::themes::Theme;

/// Project counts per theme, serialized with the theme slugs as keys.
#[derive(Serialize, Clone, Copy, Debug, Default)]
pub struct ThemeProfile {
    pub governance: i64,
    pub economy: i64,
    pub mobility: i64,
    pub environment: i64,
    pub citizen: i64,
    pub living: i64,
}

impl From<[i64; 6]> for ThemeProfile {
    fn from([governance, economy, mobility, environment, citizen, living]: [i64; 6]) -> Self {
        ThemeProfile {
            governance,
            economy,
            mobility,
            environment,
            citizen,
            living,
        }
    }
}

/// A city as lists show it.
#[derive(Serialize, Clone, Debug)]
pub struct CitySummary {
    pub slug: String,
    pub name: String,
    pub province: String,
    pub population: i32,
    pub area_km2: f64,
    pub latitude: f64,
    pub longitude: f64,
    pub project_count: i64,
    pub themes: ThemeProfile,
    pub url: String,
}

impl CitySummary {
    pub fn new(city: &City, counts: [i64; 6]) -> Self {
        CitySummary {
            slug: city.slug.clone(),
            name: city.name.clone(),
            province: city.province.clone(),
            population: city.population,
            area_km2: city.area_km2,
            latitude: city.latitude,
            longitude: city.longitude,
            project_count: counts.iter().sum(),
            themes: counts.into(),
            url: city_url(&city.slug),
        }
    }
}

#[derive(Serialize, Clone, Debug)]
pub struct ContactView {
    pub role: String,
    pub name: String,
    pub title: Option<String>,
}

impl From<CityContact> for ContactView {
    fn from(c: CityContact) -> Self {
        ContactView {
            role: c.role,
            name: c.name,
            title: c.title,
        }
    }
}

/// A city's contacts from the report, by role: whom to call about its projects.
#[derive(Serialize, Clone, Debug, Default)]
pub struct CityContacts {
    pub ambtelijk: Vec<ContactView>,
    pub bestuurlijk: Vec<ContactView>,
    /// Whether there is anyone at all.
    pub any: bool,
}

impl CityContacts {
    pub fn new(contacts: impl IntoIterator<Item = ContactView>) -> Self {
        let (ambtelijk, bestuurlijk): (Vec<_>, Vec<_>) =
            contacts.into_iter().partition(|c| c.role == "ambtelijk");
        CityContacts {
            any: !ambtelijk.is_empty() || !bestuurlijk.is_empty(),
            ambtelijk,
            bestuurlijk,
        }
    }
}

/// Projects of one theme, for the city page's grouping.
#[derive(Serialize, Clone, Debug)]
pub struct ThemeGroup {
    pub theme: String,
    pub projects: Vec<ProjectView>,
}

/// A city with everything the report says about it and all its projects.
#[derive(Serialize, Clone, Debug)]
pub struct CityDetail {
    #[serde(flatten)]
    pub summary: CitySummary,
    pub stated_project_count: Option<i32>,
    pub notes: Option<String>,
    pub focus: Option<String>,
    pub contacts: Vec<ContactView>,
    pub programmes: Vec<String>,
    pub projects: Vec<ProjectView>,
}

impl CityDetail {
    /// The city's projects grouped by theme in the report's theme order, empty themes left out.
    pub fn by_theme(&self) -> Vec<ThemeGroup> {
        Theme::ALL
            .iter()
            .map(|t| ThemeGroup {
                theme: t.slug().to_owned(),
                projects: self
                    .projects
                    .iter()
                    .filter(|p| p.theme == *t)
                    .cloned()
                    .collect(),
            })
            .filter(|g| !g.projects.is_empty())
            .collect()
    }
}

pub fn city_url(slug: &str) -> String {
    format!("/steden/{slug}")
}
