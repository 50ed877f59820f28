//! City membership by request: a verified user without a city (or wanting another) asks
//! to join one; that city's editors — or an administrator — approve or reject. Members
//! whose address is on a mapped e-mail domain join at verification instead (`model`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::model::User;
use super::{audit, queue_mail, see_other, show_again, texts, Screen};
use crate::auth::csrf::Form;
use crate::auth::policy::authorize;
use crate::auth::{Action, CityRole};
use crate::cities::model::City;
use crate::db::schema::{membership_requests, users};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::web::forms::{Field, FormView};
use crate::web::render::PageRequest;
use crate::web::AppState;

const MAX_MOTIVATION: usize = 2000;

#[derive(Queryable, Selectable, Serialize, Clone, Debug)]
#[diesel(table_name = membership_requests)]
pub struct MembershipRequest {
    pub id: i32,
    pub user_id: i32,
    pub city_id: i32,
    pub motivation: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub decided_at: Option<NaiveDateTime>,
    pub decided_by: Option<i32>,
}

impl MembershipRequest {
    pub fn pending_of(conn: &mut DbConnection, user_id: i32) -> AppResult<Option<Self>> {
        Ok(membership_requests::table
            .filter(membership_requests::user_id.eq(user_id))
            .filter(membership_requests::status.eq("pending"))
            .select(Self::as_select())
            .first(conn)
            .optional()?)
    }

    pub fn of_user(conn: &mut DbConnection, user_id: i32) -> AppResult<Vec<Self>> {
        Ok(membership_requests::table
            .filter(membership_requests::user_id.eq(user_id))
            .order(membership_requests::id)
            .select(Self::as_select())
            .load(conn)?)
    }

    fn find(conn: &mut DbConnection, id: i32) -> AppResult<Self> {
        membership_requests::table
            .find(id)
            .select(Self::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found(format!("membership request {id}")))
    }
}

// ---- asking -------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct RequestForm {
    #[serde(default)]
    city: String,
    #[serde(default)]
    motivation: String,
}

fn request_form(
    t: &impl Fn(&str) -> String,
    csrf: &str,
    cities: &[City],
    form: &RequestForm,
) -> FormView {
    let options = std::iter::once((String::new(), t("membership.choose_city")))
        .chain(cities.iter().map(|c| (c.slug.clone(), c.name.clone())));
    FormView::new("/account/lidmaatschap", t("membership.submit"), csrf)
        .field(
            Field::new("select", "city", t("membership.city"))
                .value(&form.city)
                .options(options)
                .required(),
        )
        .field(
            Field::new("textarea", "motivation", t("membership.motivation"))
                .value(&form.motivation)
                .hint(t("membership.motivation_hint"))
                .required(),
        )
}

pub async fn show_request(
    state: web::Data<AppState>,
    page: PageRequest,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    authorize(&page.visitor, Action::ManageOwnAccount)?;
    let cities = state.db.run(City::all).await?;
    Screen::default()
        .text(t("membership.lead"))
        .form(request_form(
            &t,
            &page.visitor.csrf,
            &cities,
            &RequestForm::default(),
        ))
        .render(&state, &page, StatusCode::OK, &t("membership.title"))
}

pub async fn request(
    state: web::Data<AppState>,
    page: PageRequest,
    Form(form): Form<RequestForm>,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    let user = authorize(&page.visitor, Action::ManageOwnAccount)?.clone();
    let cities = state.db.run(City::all).await?;
    let mut view = request_form(&t, &page.visitor.csrf, &cities, &form);
    let city = cities.iter().find(|c| c.slug == form.city).cloned();
    let motivation = form.motivation.trim().to_owned();
    match &city {
        None => view.field_error("city", t("membership.city_invalid")),
        Some(c) if user.city_id == Some(c.id) => {
            view.field_error("city", t("membership.already_member"))
        }
        Some(_) => {}
    }
    if motivation.is_empty() || motivation.chars().count() > MAX_MOTIVATION {
        view.field_error("motivation", t("membership.motivation_invalid"));
    }
    let (Some(city), false) = (city, view.has_errors()) else {
        return show_again(&state, &page, &t("membership.title"), view);
    };
    let shared = state.clone();
    let lang = page.lang;
    state
        .db
        .run(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                if MembershipRequest::pending_of(conn, user.id)?.is_some() {
                    return Err(AppError::Conflict {
                        message: "you already have a membership request waiting for a decision"
                            .into(),
                    });
                }
                diesel::insert_into(membership_requests::table)
                    .values((
                        membership_requests::user_id.eq(user.id),
                        membership_requests::city_id.eq(city.id),
                        membership_requests::motivation.eq(&motivation),
                        membership_requests::created_at.eq(Utc::now().naive_utc()),
                    ))
                    .execute(conn)?;
                let link = format!(
                    "{}/steden/{}/aanvragen",
                    shared.config.public_url(),
                    city.slug
                );
                // A city without editors yet has its requests decided by administrators.
                let mut deciders = User::editors_of(conn, city.id)?;
                if deciders.is_empty() {
                    deciders = User::admins(conn)?;
                }
                for editor in deciders {
                    queue_mail(
                        conn,
                        &shared,
                        lang,
                        &editor.email,
                        "membership_requested",
                        &[
                            ("name", &editor.name),
                            ("user", &user.name),
                            ("city", &city.name),
                            ("link", &link),
                        ],
                    )?;
                }
                Ok(())
            })
        })
        .await?;
    state.committed(crate::jobs::Signal::Mail);
    Ok(see_other("/account?gewijzigd=aanvraag"))
}

// ---- deciding -----------------------------------------------------------------

#[derive(Serialize)]
struct RequestsView {
    city: String,
    pending: Vec<RequestRow>,
    members: Vec<MemberRow>,
    csrf: String,
}

#[derive(Serialize)]
struct RequestRow {
    id: i32,
    name: String,
    email: String,
    motivation: String,
    created_at: String,
}

#[derive(Serialize)]
struct MemberRow {
    name: String,
    email: String,
    role: String,
}

/// The city's open requests and its members, for its editors.
pub async fn show_city_requests(
    state: web::Data<AppState>,
    page: PageRequest,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    let slug = slug.into_inner();
    let city = state
        .db
        .run(move |conn| City::find_by_slug(conn, &slug))
        .await?;
    authorize(&page.visitor, Action::DecideMembership { city_id: city.id })?;
    let city_id = city.id;
    let (pending, members) = state
        .db
        .run(move |conn| {
            let pending: Vec<(i32, String, String, String, NaiveDateTime)> =
                membership_requests::table
                    .inner_join(users::table.on(users::id.eq(membership_requests::user_id)))
                    .filter(membership_requests::city_id.eq(city_id))
                    .filter(membership_requests::status.eq("pending"))
                    .order(membership_requests::id)
                    .select((
                        membership_requests::id,
                        users::name,
                        users::email,
                        membership_requests::motivation,
                        membership_requests::created_at,
                    ))
                    .load(conn)?;
            let members: Vec<(String, String, Option<String>)> = users::table
                .filter(users::city_id.eq(city_id))
                .order(users::name)
                .select((users::name, users::email, users::city_role))
                .load(conn)?;
            Ok((pending, members))
        })
        .await?;
    let view = RequestsView {
        city: city.name.clone(),
        pending: pending
            .into_iter()
            .map(|(id, name, email, motivation, created)| RequestRow {
                id,
                name,
                email,
                motivation,
                created_at: created.format("%Y-%m-%d").to_string(),
            })
            .collect(),
        members: members
            .into_iter()
            .map(|(name, email, role)| MemberRow {
                name,
                email,
                role: t(&format!(
                    "role.city.{}",
                    role.as_deref().unwrap_or("member")
                )),
            })
            .collect(),
        csrf: page.visitor.csrf.clone(),
    };
    let title = state.renderer.catalogs().format(
        page.lang,
        "membership.requests_title",
        &[("city", &city.name)],
    );
    state
        .renderer
        .page(&page, "accounts/requests", &title, &view)
}

#[derive(Deserialize)]
pub struct DecisionForm {
    decision: String,
}

/// Approves or rejects a request. The request id comes from the form's address, so the
/// policy is asked about the request's own city, whatever city page the form was on.
pub async fn decide(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<i32>,
    Form(form): Form<DecisionForm>,
) -> AppResult<HttpResponse> {
    let approve = match form.decision.as_str() {
        "approve" => true,
        "reject" => false,
        other => {
            return Err(AppError::bad_request(
                "invalid_decision",
                format!("decision must be approve or reject, got {other:?}"),
            ))
        }
    };
    let id = id.into_inner();
    let visitor = page.visitor.clone();
    let shared = state.clone();
    let lang = page.lang;
    let slug = state
        .db
        .run(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let request = MembershipRequest::find(conn, id)?;
                let decider = authorize(
                    &visitor,
                    Action::DecideMembership {
                        city_id: request.city_id,
                    },
                )?;
                let status = if approve { "approved" } else { "rejected" };
                // Decided only if still pending, in the one statement that decides: two
                // editors clicking at once cannot both decide.
                let decided = diesel::update(
                    membership_requests::table
                        .find(id)
                        .filter(membership_requests::status.eq("pending")),
                )
                .set((
                    membership_requests::status.eq(status),
                    membership_requests::decided_at.eq(Utc::now().naive_utc()),
                    membership_requests::decided_by.eq(decider.id),
                ))
                .execute(conn)?;
                if decided == 0 {
                    return Err(AppError::Conflict {
                        message: format!("this request was already {}", request.status),
                    });
                }
                if approve {
                    User::set_city(
                        conn,
                        request.user_id,
                        Some((request.city_id, CityRole::Member)),
                    )?;
                }
                let city = City::find(conn, request.city_id)?;
                audit::record(
                    conn,
                    Some(decider.id),
                    Some(request.user_id),
                    &format!("membership.{status}"),
                    &city.name,
                )?;
                let member = User::find(conn, request.user_id)?;
                queue_mail(
                    conn,
                    &shared,
                    lang,
                    &member.email,
                    &format!("membership_{status}"),
                    &[("name", &member.name), ("city", &city.name)],
                )?;
                Ok(city.slug)
            })
        })
        .await?;
    state.committed(crate::jobs::Signal::Mail);
    Ok(see_other(&format!("/steden/{slug}/aanvragen")))
}
