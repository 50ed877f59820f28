//! The follow button (`POST /volgen`, from any page that shows one, then back there),
//! following the search a page shows (`POST /zoeken/volgen`) and `/account/volgen`, the
//! list of everything a person follows.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::model::{self, Followed, Following};
use super::saved_search;
use crate::auth::csrf::Form;
use crate::auth::policy::authorize;
use crate::auth::Action;
use crate::db::write_transaction;
use crate::error::{AppError, AppResult};
use crate::web::forms::see_other;
use crate::web::render::PageRequest;
use crate::web::{local_path, AppState};

/// A follow button as a page shows it.
#[derive(Serialize, Clone, Debug)]
pub struct FollowButton {
    pub subject: String,
    pub following: bool,
    /// Where the form returns to: the page that shows it.
    pub back: String,
}

impl FollowButton {
    /// The button for `what` on the page `page` shows; `None` for visitors.
    pub fn load(
        conn: &mut crate::db::DbConnection,
        page_user: Option<i32>,
        what: &Following,
        back: &str,
    ) -> AppResult<Option<FollowButton>> {
        let Some(user_id) = page_user else {
            return Ok(None);
        };
        Ok(Some(FollowButton {
            subject: what.code(),
            following: model::is_following(conn, user_id, what)?,
            back: local_path(Some(back)).to_owned(),
        }))
    }
}

#[derive(Deserialize)]
pub struct FollowInput {
    #[serde(default)]
    subject: String,
    /// "1" to follow, "0" to stop.
    #[serde(default)]
    follow: String,
    #[serde(default)]
    terug: String,
}

pub async fn change_follow(
    state: web::Data<AppState>,
    page: PageRequest,
    Form(input): Form<FollowInput>,
) -> AppResult<HttpResponse> {
    let user_id = authorize(&page.visitor, Action::TakePart)?.id;
    let what = Following::parse(&input.subject)?;
    let follow = match input.follow.as_str() {
        "1" => true,
        "0" => false,
        other => {
            return Err(AppError::bad_request(
                "invalid_form",
                format!("follow must be 1 or 0, got {other:?}"),
            ))
        }
    };
    state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                let not_found = || AppError::not_found(format!("{} to follow", what.code()));
                if what.kind == Followed::Search {
                    // Someone else's saved search is as good as absent; one's own is kept
                    // only while followed.
                    let id = what.key.parse().map_err(|_| not_found())?;
                    let saved = saved_search::owned(conn, user_id, id)?.ok_or_else(not_found)?;
                    return if follow {
                        model::follow(conn, user_id, &what)
                    } else {
                        saved_search::forget(conn, &saved)
                    };
                }
                if model::describe(conn, &what)?.is_none() {
                    return Err(not_found());
                }
                if follow {
                    model::follow(conn, user_id, &what)
                } else {
                    model::unfollow(conn, user_id, &what)
                }
            })
        })
        .await?;
    let back = match input.terug.as_str() {
        "" => "/account/volgen",
        back => local_path(Some(back)),
    };
    Ok(see_other(back))
}

/// `POST /zoeken/volgen`: saves the search the page shows (its words and filters, sent
/// as the page's hidden fields) and follows it, then returns to the search.
pub async fn follow_search(
    state: web::Data<AppState>,
    page: PageRequest,
    Form(params): Form<crate::search::SearchParams>,
) -> AppResult<HttpResponse> {
    let user_id = authorize(&page.visitor, Action::TakePart)?.id;
    let canonical = saved_search::canonical(&params)?;
    let saved = state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                saved_search::save_and_follow(conn, user_id, &canonical)
            })
        })
        .await?;
    Ok(see_other(&saved.url()))
}

#[derive(Serialize, Clone)]
struct FollowRow {
    kind: Followed,
    title: String,
    /// The title is a catalog key (a theme).
    title_is_key: bool,
    url: String,
    button: FollowButton,
}

#[derive(Serialize)]
struct FollowsPage {
    groups: Vec<FollowGroup>,
}

#[derive(Serialize)]
struct FollowGroup {
    kind: Followed,
    rows: Vec<FollowRow>,
}

pub async fn show_follows(
    state: web::Data<AppState>,
    matchmaking: web::Data<crate::matchmaking::Matchmaking>,
    page: PageRequest,
) -> AppResult<HttpResponse> {
    let user_id = authorize(&page.visitor, Action::ManageOwnAccount)?.id;
    let lang = page.lang;
    let shared = state.clone();
    let rows = state
        .db
        .run(move |conn| {
            let catalogs = shared.renderer.catalogs();
            // What a city member follows from the start is there the first time they look.
            model::seed_defaults(conn, user_id, &|city| {
                matchmaking.strongest_partners(city, 3)
            })?;
            let mut rows = Vec::new();
            for what in model::of_user(conn, user_id)? {
                // A search is named by its words and filters, read once with its row.
                let described = match what.kind {
                    Followed::Search => match what.key.parse().ok() {
                        Some(id) => saved_search::by_id(conn, id)?
                            .map(|saved| {
                                let label = saved_search::label(
                                    conn,
                                    catalogs,
                                    lang,
                                    &saved.search_params(),
                                )?;
                                Ok::<_, AppError>((label, saved.url()))
                            })
                            .transpose()?,
                        None => None,
                    },
                    _ => model::describe(conn, &what)?,
                };
                if let Some((title, url)) = described {
                    rows.push(FollowRow {
                        kind: what.kind,
                        title_is_key: what.kind == Followed::Theme,
                        title,
                        url,
                        button: FollowButton {
                            subject: what.code(),
                            following: true,
                            back: "/account/volgen".into(),
                        },
                    });
                }
            }
            Ok(rows)
        })
        .await?;
    let groups = Followed::ALL
        .into_iter()
        .map(|kind| FollowGroup {
            kind,
            rows: rows.iter().filter(|r| r.kind == kind).cloned().collect(),
        })
        .filter(|g| !g.rows.is_empty())
        .collect();
    let title = state.renderer.text(page.lang, "follows.title").to_owned();
    state
        .renderer
        .page(&page, "follows/list", &title, &FollowsPage { groups })
}
