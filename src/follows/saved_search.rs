//! Saved searches: a search's words and filters kept so a person can follow it (the
//! digest then brings what is new among its results). Stored as the canonical query
//! string of `/zoeken`, so the same search saved twice is one row, and the link back is
//! the search itself.

use chrono::Utc;
use diesel::prelude::*;

use super::model::{self, Followed, Following};
use crate::db::schema::saved_searches;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::search::SearchParams;

/// More than anyone follows on purpose; a bound so a script cannot grow the table.
pub const MAX_PER_PERSON: i64 = 50;

/// One saved search.
#[derive(Clone, Debug)]
pub struct SavedSearch {
    pub id: i32,
    pub user_id: i32,
    /// The canonical query string (`q=…&theme=…`).
    pub params: String,
}

impl SavedSearch {
    pub fn following(&self) -> Following {
        Following::new(Followed::Search, self.id.to_string())
    }

    /// The words and filters, as the search page reads them.
    pub fn search_params(&self) -> SearchParams {
        serde_urlencoded::from_str(&self.params).unwrap_or_default()
    }

    pub fn url(&self) -> String {
        format!("/zoeken?{}", self.params)
    }
}

/// The query string that stands for the words and filters of `params` (paging left
/// out, words trimmed), or a 400 when they are no search: nothing to look for, or
/// filters the search refuses.
pub fn canonical(params: &SearchParams) -> AppResult<String> {
    params.request(None)?;
    let pairs: Vec<(&str, String)> = params
        .words_and_filters()
        .into_iter()
        .filter_map(|(k, v)| {
            let v = v.map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))?;
            (!v.is_empty()).then_some((k, v))
        })
        .collect();
    if pairs.is_empty() {
        return Err(AppError::bad_request(
            "invalid_search",
            "a saved search needs words or a filter",
        ));
    }
    serde_urlencoded::to_string(&pairs)
        .map_err(|e| AppError::bad_request("invalid_search", e.to_string()))
}

/// The person's saved search for `params` (canonical), if they saved it.
pub fn find(conn: &mut DbConnection, user_id: i32, params: &str) -> AppResult<Option<SavedSearch>> {
    Ok(saved_searches::table
        .filter(saved_searches::user_id.eq(user_id))
        .filter(saved_searches::params.eq(params))
        .select(saved_searches::id)
        .first::<i32>(conn)
        .optional()?
        .map(|id| SavedSearch {
            id,
            user_id,
            params: params.to_owned(),
        }))
}

/// The saved search `id` of `user_id`; someone else's is as good as absent.
pub fn owned(conn: &mut DbConnection, user_id: i32, id: i32) -> AppResult<Option<SavedSearch>> {
    Ok(by_id(conn, id)?.filter(|s| s.user_id == user_id))
}

pub fn by_id(conn: &mut DbConnection, id: i32) -> AppResult<Option<SavedSearch>> {
    Ok(saved_searches::table
        .find(id)
        .select((saved_searches::user_id, saved_searches::params))
        .first::<(i32, String)>(conn)
        .optional()?
        .map(|(user_id, params)| SavedSearch {
            id,
            user_id,
            params,
        }))
}

/// Saves `params` (canonical) for `user_id` and follows it; saving it again changes
/// nothing. Call in a write transaction: the count and the insert belong together.
pub fn save_and_follow(
    conn: &mut DbConnection,
    user_id: i32,
    params: &str,
) -> AppResult<SavedSearch> {
    let saved = match find(conn, user_id, params)? {
        Some(saved) => saved,
        None => {
            let count: i64 = saved_searches::table
                .filter(saved_searches::user_id.eq(user_id))
                .count()
                .get_result(conn)?;
            if count >= MAX_PER_PERSON {
                return Err(AppError::bad_request(
                    "too_many_searches",
                    format!(
                        "you follow {MAX_PER_PERSON} searches already; stop following one first"
                    ),
                ));
            }
            diesel::insert_into(saved_searches::table)
                .values((
                    saved_searches::user_id.eq(user_id),
                    saved_searches::params.eq(params),
                    saved_searches::created_at.eq(Utc::now().naive_utc()),
                ))
                .execute(conn)?;
            find(conn, user_id, params)?
                .ok_or_else(|| AppError::Internal("saved search vanished".into()))?
        }
    };
    model::follow(conn, user_id, &saved.following())?;
    Ok(saved)
}

/// Stops following a saved search, which then is no longer kept.
pub fn forget(conn: &mut DbConnection, saved: &SavedSearch) -> AppResult<()> {
    model::unfollow(conn, saved.user_id, &saved.following())?;
    diesel::delete(saved_searches::table.find(saved.id)).execute(conn)?;
    Ok(())
}

/// How a saved search is named to its owner: its words in quotes, then its filters in
/// their language (`“slim parkeren” · Mobiliteit · Apeldoorn`).
pub fn label(
    conn: &mut DbConnection,
    catalogs: &crate::web::i18n::Catalogs,
    lang: crate::web::i18n::Lang,
    params: &SearchParams,
) -> AppResult<String> {
    let mut parts = Vec::new();
    if let Some(q) = params.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        parts.push(format!("“{q}”"));
    }
    for (prefix, value) in [
        ("type", &params.kind),
        ("theme", &params.theme),
        ("stage", &params.stage),
    ] {
        if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
            parts.push(catalogs.text(lang, &format!("{prefix}.{value}")).to_owned());
        }
    }
    if let Some(slug) = params.city.as_deref().filter(|c| !c.is_empty()) {
        use crate::db::schema::cities;
        let name = cities::table
            .filter(cities::slug.eq(slug))
            .select(cities::name)
            .first::<String>(conn)
            .optional()?;
        parts.push(name.unwrap_or_else(|| slug.to_owned()));
    }
    Ok(parts.join(" · "))
}
