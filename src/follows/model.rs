//! The `follows` rows: who follows what, written `kind:key` like forum subjects
//! (`thread:12`, `project:7`, `city:apeldoorn`, `theme:mobility`, `search:3`).

use chrono::Utc;
use diesel::prelude::*;

use crate::db::schema::follows;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};

crate::slug_enum! {
    /// What can be followed.
    pub enum Followed ("followed kind", "invalid_follow") {
        Thread = "thread",
        Project = "project",
        City = "city",
        Theme = "theme",
        Pool = "pool",
        Toolkit = "toolkit",
        /// A saved search (`saved_search`), key its id.
        Search = "search",
    }
}

/// One thing followed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Following {
    pub kind: Followed,
    pub key: String,
}

impl Following {
    pub fn new(kind: Followed, key: impl Into<String>) -> Self {
        Following {
            kind,
            key: key.into(),
        }
    }

    /// Parses `kind:key` (a 400 says what is wrong).
    pub fn parse(value: &str) -> AppResult<Following> {
        let (kind, key) = value.split_once(':').ok_or_else(|| {
            AppError::bad_request(
                "invalid_follow",
                format!("expected kind:key, got {value:?}"),
            )
        })?;
        let key_ok = !key.is_empty()
            && key.len() <= 100
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !key_ok {
            return Err(AppError::bad_request(
                "invalid_follow",
                format!("{key:?} is not an id or slug"),
            ));
        }
        Ok(Following::new(kind.parse()?, key))
    }

    pub fn code(&self) -> String {
        format!("{}:{}", self.kind, self.key)
    }
}

/// Follows `what` for `user_id` (nothing happens when already followed).
pub fn follow(conn: &mut DbConnection, user_id: i32, what: &Following) -> AppResult<()> {
    if is_following(conn, user_id, what)? {
        return Ok(());
    }
    diesel::insert_into(follows::table)
        .values((
            follows::user_id.eq(user_id),
            follows::subject_kind.eq(what.kind),
            follows::subject_key.eq(&what.key),
            follows::created_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn unfollow(conn: &mut DbConnection, user_id: i32, what: &Following) -> AppResult<()> {
    diesel::delete(
        follows::table
            .filter(follows::user_id.eq(user_id))
            .filter(follows::subject_kind.eq(what.kind))
            .filter(follows::subject_key.eq(&what.key)),
    )
    .execute(conn)?;
    Ok(())
}

pub fn is_following(conn: &mut DbConnection, user_id: i32, what: &Following) -> AppResult<bool> {
    let n: i64 = follows::table
        .filter(follows::user_id.eq(user_id))
        .filter(follows::subject_kind.eq(what.kind))
        .filter(follows::subject_key.eq(&what.key))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Everyone following `what`.
pub fn followers(conn: &mut DbConnection, what: &Following) -> AppResult<Vec<i32>> {
    Ok(follows::table
        .filter(follows::subject_kind.eq(what.kind))
        .filter(follows::subject_key.eq(&what.key))
        .select(follows::user_id)
        .load(conn)?)
}

/// Everything one user follows, oldest first.
pub fn of_user(conn: &mut DbConnection, user_id: i32) -> AppResult<Vec<Following>> {
    let rows: Vec<(Followed, String)> = follows::table
        .filter(follows::user_id.eq(user_id))
        .order(follows::created_at)
        .select((follows::subject_kind, follows::subject_key))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(kind, key)| Following::new(kind, key))
        .collect())
}

/// What a followed thing is called and where it lives, if it still exists; a theme's
/// name is its catalog key (`theme.mobility`).
pub fn describe(conn: &mut DbConnection, what: &Following) -> AppResult<Option<(String, String)>> {
    use crate::db::schema::{cities, projects, threads};
    Ok(match what.kind {
        Followed::Thread => match what.key.parse::<i32>() {
            Ok(id) => threads::table
                .find(id)
                .select(threads::title)
                .first::<String>(conn)
                .optional()?
                .map(|title| (title, format!("/discussies/{id}"))),
            Err(_) => None,
        },
        Followed::Project => match what.key.parse::<i32>() {
            Ok(id) => projects::table
                .find(id)
                .select(projects::title)
                .first::<String>(conn)
                .optional()?
                .map(|title| (title, format!("/projecten/{id}"))),
            Err(_) => None,
        },
        Followed::City => cities::table
            .filter(cities::slug.eq(&what.key))
            .select(cities::name)
            .first::<String>(conn)
            .optional()?
            .map(|name| (name, format!("/steden/{}", what.key))),
        Followed::Theme => crate::themes::Theme::parse(&what.key).map(|t| {
            (
                format!("theme.{}", t.slug()),
                format!("/themas/{}", t.slug()),
            )
        }),
        Followed::Pool => {
            use crate::db::schema::pools;
            pools::table
                .filter(pools::slug.eq(&what.key))
                .select(pools::name)
                .first::<String>(conn)
                .optional()?
                .map(|name| (name, format!("/expertisepools/{}", what.key)))
        }
        Followed::Toolkit => match what.key.parse::<i32>() {
            Ok(id) => {
                use crate::db::schema::toolkits;
                toolkits::table
                    .find(id)
                    .select(toolkits::title)
                    .first::<String>(conn)
                    .optional()?
                    .map(|title| (title, format!("/toolkits/{id}")))
            }
            Err(_) => None,
        },
        // A search is called by its words; the page adds its filters.
        Followed::Search => match what.key.parse::<i32>() {
            Ok(id) => super::saved_search::by_id(conn, id)?
                .map(|saved| (saved.search_params().q.unwrap_or_default(), saved.url())),
            Err(_) => None,
        },
    })
}

/// What someone follows from the start, once they are in a city: their city, its three
/// strongest partner cities (`partners` gives their ids) and the city's two main themes.
/// Done once per person (they may unfollow any of it).
pub fn seed_defaults(
    conn: &mut DbConnection,
    user_id: i32,
    partners: &dyn Fn(i32) -> Vec<i32>,
) -> AppResult<()> {
    use crate::db::schema::{cities, projects, users};
    let (city_id, seeded): (Option<i32>, Option<chrono::NaiveDateTime>) = users::table
        .find(user_id)
        .select((users::city_id, users::follows_seeded_at))
        .first(conn)?;
    let (Some(city_id), None) = (city_id, seeded) else {
        return Ok(());
    };
    let mut city_ids = vec![city_id];
    city_ids.extend(partners(city_id));
    let slugs: Vec<(i32, String)> = cities::table
        .filter(cities::id.eq_any(&city_ids))
        .select((cities::id, cities::slug))
        .load(conn)?;
    for id in &city_ids {
        if let Some((_, slug)) = slugs.iter().find(|(c, _)| c == id) {
            follow(conn, user_id, &Following::new(Followed::City, slug.clone()))?;
        }
    }
    let mut themes: Vec<(String, i64)> = projects::table
        .filter(projects::city_id.eq(city_id))
        .group_by(projects::theme)
        .select((projects::theme, diesel::dsl::count_star()))
        .load(conn)?;
    themes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (theme, _) in themes.into_iter().take(2) {
        follow(conn, user_id, &Following::new(Followed::Theme, theme))?;
    }
    diesel::update(users::table.find(user_id))
        .set(users::follows_seeded_at.eq(Utc::now().naive_utc()))
        .execute(conn)?;
    Ok(())
}
