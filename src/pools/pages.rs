//! The pools' pages: `/expertisepools` (every pool with its leads), a pool's page
//! (description, leads and their cities, toolkits, Q&A threads, members, the cities
//! using its toolkits), joining and leaving, and for administrators creating pools and
//! appointing leads (audited).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::model::{Adoption, Pool, PoolRole, Toolkit};
use super::view::{PersonView, PoolView, ToolkitSummary};
use crate::auth::csrf::Form;
use crate::auth::policy::authorize;
use crate::auth::Action;
use crate::error::{AppError, AppResult};
use crate::follows::pages::FollowButton;
use crate::follows::{Followed, Following};
use crate::forum::{About, AboutKind, Discussions};
use crate::jobs::Signal;
use crate::themes::Theme;
use crate::web::forms::{see_other, texts, Field, FormView, Screen};
use crate::web::render::PageRequest;
use crate::web::AppState;

#[derive(Serialize)]
struct ListPage {
    pools: Vec<PoolView>,
    may_create: bool,
}

pub async fn list_pools(state: web::Data<AppState>, page: PageRequest) -> AppResult<HttpResponse> {
    let pools = state
        .db
        .run(|conn| {
            let counts = Pool::counts(conn)?;
            let mut views = Vec::new();
            for pool in Pool::all(conn)? {
                let members = Pool::members(conn, pool.id)?;
                let count = counts.get(&pool.id).copied().unwrap_or_default();
                views.push(PoolView::new(&pool, &members, count));
            }
            Ok(views)
        })
        .await?;
    let view = ListPage {
        pools,
        may_create: page
            .visitor
            .user
            .as_ref()
            .is_some_and(|u| u.may(Action::ManagePools)),
    };
    let title = state.renderer.text(page.lang, "pools.title").to_owned();
    state.renderer.page(&page, "pools/list", &title, &view)
}

#[derive(Serialize)]
struct PoolPage {
    pool: PoolView,
    members: Vec<PersonView>,
    toolkits: Vec<ToolkitSummary>,
    cities: Vec<(String, String)>,
    discussions: Discussions,
    follow: Option<FollowButton>,
    /// The visitor's place in the pool: none, member or lead.
    role: Option<PoolRole>,
    signed_in: bool,
    may_write: bool,
    may_manage: bool,
}

pub async fn show_pool(
    state: web::Data<AppState>,
    page: PageRequest,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let slug = slug.into_inner();
    let user = page.visitor.user.clone();
    let lang = page.lang;
    let back = page.path.clone();
    let shared = state.clone().into_inner();
    let view = state
        .db
        .run(move |conn| {
            let pool = Pool::find_by_slug(conn, &slug)?;
            let members = Pool::members(conn, pool.id)?;
            let counts = Pool::counts(conn)?
                .get(&pool.id)
                .copied()
                .unwrap_or_default();
            let (_, kits) = Toolkit::list(conn, Some(pool.id), None, 100, 0)?;
            let toolkits = kits
                .iter()
                .map(|(t, n)| ToolkitSummary::new(t, &pool, *n))
                .collect();
            let about = About::new(AboutKind::Pool, pool.slug.clone());
            let filter = crate::forum::model::ThreadFilter {
                about: Some(about.clone()),
                ..Default::default()
            };
            let catalogs = shared.renderer.catalogs();
            let discussions = Discussions::load(conn, &about, &filter, 5, catalogs, lang)?;
            let role = match &user {
                Some(u) => Pool::role_of(conn, pool.id, u.id)?,
                None => None,
            };
            let follow = FollowButton::load(
                conn,
                user.as_ref().map(|u| u.id),
                &Following::new(Followed::Pool, pool.slug.clone()),
                &back,
            )?;
            let may_write = user.as_ref().is_some_and(|u| {
                u.may(Action::WriteToolkit {
                    leads_pool: role == Some(PoolRole::Lead),
                })
            });
            Ok(PoolPage {
                pool: PoolView::new(&pool, &members, counts),
                members: members.iter().map(PersonView::from).collect(),
                toolkits,
                cities: Adoption::cities_of_pool(conn, pool.id)?,
                discussions,
                follow,
                role,
                signed_in: user.is_some(),
                may_write,
                may_manage: user.as_ref().is_some_and(|u| u.may(Action::ManagePools)),
            })
        })
        .await?;
    let title = view.pool.name.clone();
    state.renderer.page(&page, "pools/show", &title, &view)
}

#[derive(Deserialize, Default)]
pub struct JoinInput {
    /// "1" joins, "0" leaves.
    #[serde(default)]
    join: String,
}

/// Joining or leaving a pool. A lead who leaves gives up the lead.
pub async fn change_membership(
    state: web::Data<AppState>,
    page: PageRequest,
    slug: web::Path<String>,
    Form(input): Form<JoinInput>,
) -> AppResult<HttpResponse> {
    let user_id = authorize(&page.visitor, Action::TakePart)?.id;
    let join = match input.join.as_str() {
        "1" => true,
        "0" => false,
        other => {
            return Err(AppError::bad_request(
                "invalid_form",
                format!("join must be 1 or 0, got {other:?}"),
            ))
        }
    };
    let slug = slug.into_inner();
    let url = super::view::pool_url(&slug);
    state
        .db
        .run(move |conn| {
            let pool = Pool::find_by_slug(conn, &slug)?;
            let current = Pool::role_of(conn, pool.id, user_id)?;
            match (join, current) {
                (true, None) => Pool::set_role(conn, pool.id, user_id, Some(PoolRole::Member)),
                (false, Some(_)) => Pool::set_role(conn, pool.id, user_id, None),
                _ => Ok(()),
            }
        })
        .await?;
    Ok(see_other(&url))
}

#[derive(Deserialize, Default)]
pub struct LeadInput {
    #[serde(default)]
    email: String,
    /// lead, member or none.
    #[serde(default)]
    role: String,
}

/// An administrator appoints a lead (or makes a lead a member again, or takes someone
/// out), by address; in the audit log.
pub async fn set_role(
    state: web::Data<AppState>,
    page: PageRequest,
    slug: web::Path<String>,
    Form(input): Form<LeadInput>,
) -> AppResult<HttpResponse> {
    let by = authorize(&page.visitor, Action::ManagePools)?.id;
    let role = match input.role.as_str() {
        "none" => None,
        other => Some(other.parse::<PoolRole>()?),
    };
    let email = crate::accounts::model::normalize_email(&input.email)
        .ok_or_else(|| AppError::bad_request("invalid_email", "give the address of the person"))?;
    let slug = slug.into_inner();
    let url = super::view::pool_url(&slug);
    state
        .db
        .run(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let pool = Pool::find_by_slug(conn, &slug)?;
                let user = crate::accounts::model::User::find_by_email(conn, &email)?
                    .filter(|u| u.email_verified)
                    .ok_or_else(|| AppError::not_found(format!("a verified account {email}")))?;
                Pool::set_role(conn, pool.id, user.id, role)?;
                crate::accounts::audit::record(
                    conn,
                    Some(by),
                    Some(user.id),
                    "pool.role",
                    &format!("{}: {}", pool.name, role.map_or("none", PoolRole::slug)),
                )
            })
        })
        .await?;
    Ok(see_other(&url))
}

fn pool_form(t: &impl Fn(&str) -> String, csrf: &str, input: &PoolInput) -> FormView {
    let mut form = FormView::new("/expertisepools/nieuw", t("pools.new.submit"), csrf)
        .field(
            Field::new("text", "name", t("pools.new.name"))
                .value(&input.name)
                .required(),
        )
        .field(
            Field::new("textarea", "description", t("pools.new.description"))
                .value(&input.description)
                .required(),
        );
    let theme = input.theme.clone().unwrap_or_default();
    form = form.field(
        Field::new("select", "theme", t("pools.new.theme"))
            .value(&theme)
            .options(
                std::iter::once((String::new(), t("pools.new.all_themes"))).chain(
                    Theme::ALL.map(|th| (th.slug().to_owned(), t(&format!("theme.{}", th.slug())))),
                ),
            ),
    );
    form
}

#[derive(Deserialize, Default)]
pub struct PoolInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    theme: Option<String>,
}

fn pool_screen(
    state: &AppState,
    page: &PageRequest,
    status: StatusCode,
    form: FormView,
) -> AppResult<HttpResponse> {
    let t = |key: &str| state.renderer.text(page.lang, key).to_owned();
    Screen::default()
        .text(t("pools.new.lead"))
        .form(form)
        .render(state, page, status, &t("pools.new.title"))
}

pub async fn show_new_pool(
    state: web::Data<AppState>,
    page: PageRequest,
) -> AppResult<HttpResponse> {
    authorize(&page.visitor, Action::ManagePools)?;
    let t = texts(&state, &page);
    let form = pool_form(&t, &page.visitor.csrf, &PoolInput::default());
    pool_screen(&state, &page, StatusCode::OK, form)
}

pub async fn create_pool(
    state: web::Data<AppState>,
    page: PageRequest,
    Form(input): Form<PoolInput>,
) -> AppResult<HttpResponse> {
    let by = authorize(&page.visitor, Action::ManagePools)?.id;
    let t = texts(&state, &page);
    let mut form = pool_form(&t, &page.visitor.csrf, &input);
    let name = input.name.trim().to_owned();
    let description = input.description.trim().to_owned();
    if name.is_empty() || name.chars().count() > 120 || crate::text::slugify(&name).is_empty() {
        form.field_error("name", t("pools.new.name_invalid"));
    }
    if description.is_empty() || description.chars().count() > 5_000 {
        form.field_error("description", t("pools.new.description_invalid"));
    }
    let theme = match input
        .theme
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        Some(slug) => match Theme::parse(slug) {
            Some(theme) => vec![theme],
            None => {
                form.field_error("theme", t("edit.theme_invalid"));
                Vec::new()
            }
        },
        None => Vec::new(),
    };
    if form.has_errors() {
        return pool_screen(&state, &page, StatusCode::BAD_REQUEST, form);
    }
    let pool = state
        .db
        .run(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let pool = Pool::create(conn, &name, &description, &theme, None)?;
                crate::accounts::audit::record(conn, Some(by), None, "pool.created", &pool.name)?;
                Ok(pool)
            })
        })
        .await?;
    state.committed(Signal::Changes);
    Ok(see_other(&super::view::pool_url(&pool.slug)))
}
