//! What a thread is about: a project, a city, a theme, an expertise pool, a toolkit, or
//! a general category — written `kind:key` in addresses and the API (`project:12`,
//! `city:apeldoorn`, `theme:mobility`, `category:algemeen`), and resolved against the
//! database to its title, page and the city and theme it places the thread in.

use crate::cities::model::{City, CityRef};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::projects::model::Project;
use crate::themes::Theme;

crate::slug_enum! {
    pub enum AboutKind ("subject kind", "invalid_about") {
        Project = "project",
        City = "city",
        Theme = "theme",
        Pool = "pool",
        Toolkit = "toolkit",
        Category = "category",
    }
}

/// The general categories, for threads about nothing more specific; the label is a
/// catalog key.
pub const CATEGORIES: [(&str, &str); 3] = [
    ("algemeen", "forum.category.algemeen"),
    ("vraag-en-aanbod", "forum.category.vraag_en_aanbod"),
    ("stadsmaat", "forum.category.stadsmaat"),
];

/// A `kind:key` reference, parsed but not yet looked up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct About {
    pub kind: AboutKind,
    pub key: String,
}

impl About {
    pub fn new(kind: AboutKind, key: impl Into<String>) -> Self {
        About {
            kind,
            key: key.into(),
        }
    }

    /// Parses `kind:key`; a 400 names what is wrong.
    pub fn parse(value: &str) -> AppResult<About> {
        let (kind, key) = value.split_once(':').ok_or_else(|| {
            AppError::bad_request(
                "invalid_about",
                format!(
                    "about must be kind:key, such as project:12 or city:apeldoorn, got {value:?}"
                ),
            )
        })?;
        let kind: AboutKind = kind.parse()?;
        let key = key.trim();
        let well_formed = !key.is_empty()
            && key.len() <= 100
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !well_formed {
            return Err(AppError::bad_request(
                "invalid_about",
                format!("{key:?} is not an id or slug"),
            ));
        }
        Ok(About::new(kind, key))
    }

    pub fn project(id: i32) -> About {
        About::new(AboutKind::Project, id.to_string())
    }
}

impl std::fmt::Display for About {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.kind, self.key)
    }
}

/// A subject that exists, with what the forum shows and files under.
#[derive(Clone, Debug)]
pub struct Subject {
    pub about: About,
    /// Its name; for a theme and a category a catalog key (`theme.mobility`), marked by
    /// `title_is_key`.
    pub title: String,
    pub title_is_key: bool,
    pub url: String,
    /// The city it belongs to: a project's city, or the city itself.
    pub city: Option<(i32, CityRef)>,
    pub theme: Option<Theme>,
}

impl Subject {
    /// Looks `about` up: 404 when it does not exist.
    pub fn resolve(conn: &mut DbConnection, about: &About) -> AppResult<Subject> {
        let missing = || AppError::not_found(format!("subject {about}"));
        let key = about.key.as_str();
        let subject = match about.kind {
            AboutKind::Project => {
                let id: i32 = key.parse().map_err(|_| missing())?;
                let project = Project::find(conn, id).map_err(|_| missing())?;
                let city = City::find(conn, project.city_id)?;
                Subject {
                    about: about.clone(),
                    title: project.title,
                    title_is_key: false,
                    url: crate::projects::view::project_url(id),
                    city: Some((city.id, city.reference())),
                    theme: Some(project.theme),
                }
            }
            AboutKind::City => {
                let city = City::find_by_slug(conn, key).map_err(|_| missing())?;
                Subject {
                    about: about.clone(),
                    title: city.name.clone(),
                    title_is_key: false,
                    url: crate::cities::view::city_url(&city.slug),
                    city: Some((city.id, city.reference())),
                    theme: None,
                }
            }
            AboutKind::Theme => {
                let theme = Theme::parse(key).ok_or_else(missing)?;
                Subject {
                    about: about.clone(),
                    title: format!("theme.{}", theme.slug()),
                    title_is_key: true,
                    url: format!("/themas/{}", theme.slug()),
                    city: None,
                    theme: Some(theme),
                }
            }
            AboutKind::Category => {
                let (slug, label) = CATEGORIES
                    .iter()
                    .find(|(slug, _)| *slug == key)
                    .ok_or_else(missing)?;
                Subject {
                    about: about.clone(),
                    title: (*label).to_owned(),
                    title_is_key: true,
                    url: format!("/discussies?over=category:{slug}"),
                    city: None,
                    theme: None,
                }
            }
            AboutKind::Pool | AboutKind::Toolkit => {
                let (title, url) = pool_or_toolkit(conn, about)?.ok_or_else(missing)?;
                Subject {
                    about: about.clone(),
                    title,
                    title_is_key: false,
                    url,
                    city: None,
                    theme: None,
                }
            }
        };
        Ok(subject)
    }
}

/// The title and page of a pool (by slug) or toolkit (by id), read from their tables:
/// the forum names them without depending on the pools area.
pub fn pool_or_toolkit(
    conn: &mut DbConnection,
    about: &About,
) -> AppResult<Option<(String, String)>> {
    use crate::db::schema::{pools, toolkits};
    use diesel::prelude::*;
    Ok(match about.kind {
        AboutKind::Pool => pools::table
            .filter(pools::slug.eq(&about.key))
            .select(pools::name)
            .first::<String>(conn)
            .optional()?
            .map(|name| (name, format!("/expertisepools/{}", about.key))),
        AboutKind::Toolkit => match about.key.parse::<i32>() {
            Ok(id) => toolkits::table
                .find(id)
                .select(toolkits::title)
                .first::<String>(conn)
                .optional()?
                .map(|title| (title, format!("/toolkits/{id}"))),
            Err(_) => None,
        },
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn about_parses_kind_and_key_and_refuses_the_rest() {
        assert_eq!(
            About::parse("project:12").ok(),
            Some(About::new(AboutKind::Project, "12"))
        );
        assert_eq!(
            About::parse("city:s-hertogenbosch")
                .map(|a| a.to_string())
                .ok()
                .as_deref(),
            Some("city:s-hertogenbosch")
        );
        for bad in [
            "project",
            "planet:1",
            "project:",
            "city:Apeldoorn",
            "city:a/b",
            "city:<x>",
        ] {
            assert!(About::parse(bad).is_err(), "{bad}");
        }
    }
}
