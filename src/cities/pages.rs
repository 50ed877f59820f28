//! The city pages: `/steden` (all 40) and `/steden/{slug}`.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::model::City;
use super::view::{CityDetail, CitySummary, ThemeGroup};
use crate::error::AppResult;
use crate::matchmaking::view::{partner_views, PartnerView};
use crate::matchmaking::Matchmaking;
use crate::web::render::PageRequest;
use crate::web::AppState;

#[derive(Serialize)]
struct CityListPage {
    cities: Vec<CitySummary>,
    total_projects: i64,
}

pub async fn list_cities(state: web::Data<AppState>, page: PageRequest) -> AppResult<HttpResponse> {
    let cities = state.db.run(super::load_summaries).await?;
    let view = CityListPage {
        total_projects: cities.iter().map(|c| c.project_count).sum(),
        cities,
    };
    let title = state.renderer.text(page.lang, "cities.title").to_owned();
    state.renderer.page(&page, "cities/list", &title, &view)
}

#[derive(Serialize)]
struct CityPage {
    city: CityDetail,
    groups: Vec<ThemeGroup>,
    contacts: super::view::CityContacts,
    /// Partner cities with the reasons, best first.
    partners: Vec<PartnerView>,
    /// Whether the visitor decides this city's membership requests (the policy says).
    may_decide: bool,
    /// Whether the visitor keeps the city's projects current (its editors, admins).
    may_update: bool,
    /// The questions asked of the city, answered or not, and its own discussions.
    questions: crate::forum::Discussions,
    discussions: crate::forum::Discussions,
    follow: Option<crate::follows::pages::FollowButton>,
}

pub async fn show_city(
    state: web::Data<AppState>,
    matchmaking: web::Data<Matchmaking>,
    page: PageRequest,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let slug = slug.into_inner();
    let lang = page.lang;
    let shared = state.clone().into_inner();
    let user = page.visitor.user.clone();
    let back = page.path.clone();
    let (city, partners, (may_decide, may_update), (questions, discussions), follow) = state
        .db
        .run(move |conn| {
            let city = City::find_by_slug(conn, &slug)?;
            let may = |action| user.as_ref().is_some_and(|u| u.may(action));
            let may_decide = may(crate::auth::Action::DecideMembership { city_id: city.id });
            let may_update = may(crate::auth::Action::EditProject {
                city_id: city.id,
                created_by: None,
            });
            let catalogs = shared.renderer.catalogs();
            let partners = partner_views(conn, &matchmaking, catalogs, lang, city.id, 5)?;
            let forum =
                crate::forum::Discussions::of_city(conn, city.id, &city.slug, catalogs, lang)?;
            let following =
                crate::follows::Following::new(crate::follows::Followed::City, city.slug.clone());
            let follow = crate::follows::pages::FollowButton::load(
                conn,
                user.as_ref().map(|u| u.id),
                &following,
                &back,
            )?;
            Ok((
                super::detail_of(conn, city)?,
                partners,
                (may_decide, may_update),
                forum,
                follow,
            ))
        })
        .await?;
    let view = CityPage {
        groups: city.by_theme(),
        contacts: super::view::CityContacts::new(city.contacts.iter().cloned()),
        may_update,
        partners,
        city,
        may_decide,
        questions,
        discussions,
        follow,
    };
    let title = view.city.summary.name.clone();
    state.renderer.page(&page, "cities/show", &title, &view)
}
