//! How current a project's facts are: where they come from (the 2020 report, or a city's
//! edit or "Klopt nog"), when they were last confirmed, and which are possibly outdated.
//! City editors confirm in one click and keep a list of their city's projects by age.

use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::model::Project;
use super::view::ProjectView;
use crate::auth::policy::authorize;
use crate::auth::Action;
use crate::cities::model::City;
use crate::error::AppResult;
use crate::web::forms::see_other;
use crate::web::render::PageRequest;
use crate::web::AppState;

/// The day the G40 inventory (`data/g40-2020.json`, its `source.updated`) describes: what an
/// import nobody has touched since is current as of.
pub const REPORT_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2020, 9, 25) {
    Some(day) => day,
    None => panic!("a valid date"),
};

/// A project unconfirmed for this long is marked as possibly outdated.
pub const STALE_AFTER_DAYS: i64 = 365;

crate::slug_enum! {
    /// How current a list's projects are, as a filter: confirmed within the year,
    /// possibly outdated, or archived.
    pub enum CurrencyFilter ("currency", "invalid_currency") {
        Confirmed = "confirmed",
        Stale = "stale",
        Archived = "archived",
    }
}

/// The first day whose facts are not possibly outdated on `today`.
pub fn first_current_day(today: NaiveDate) -> NaiveDate {
    today - chrono::Duration::days(STALE_AFTER_DAYS - 1)
}

/// The moment before which an unconfirmed project counts as possibly outdated.
pub fn stale_before(today: NaiveDate) -> chrono::NaiveDateTime {
    first_current_day(today)
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
}

/// Where a project's facts come from and how old they are, as every list shows it.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Currency {
    /// `report` (as the 2020 inventory describes it), `edited` or `confirmed` (by a
    /// city's "Klopt nog", or the programme office's).
    pub source: &'static str,
    /// The day the facts are from.
    pub as_of: NaiveDate,
    /// The city that edited or confirmed it; `None` for the report and for the G40
    /// programme office.
    pub by: Option<String>,
    /// Unconfirmed for [`STALE_AFTER_DAYS`]: possibly outdated.
    pub stale: bool,
}

/// The day a project's facts are from: the report's for an untouched import, else its
/// last edit or confirmation.
pub fn as_of(project: &Project) -> NaiveDate {
    project.confirmed_at.map_or(REPORT_DATE, |at| at.date())
}

impl Currency {
    /// The currency of `project` (of the city named `city_name`) on `today`.
    pub fn of(project: &Project, city_name: &str, today: NaiveDate) -> Self {
        let (source, by) = match project.confirmed_at {
            None => ("report", None),
            Some(_) => (
                if project.confirmed_how == "confirmed" {
                    "confirmed"
                } else {
                    "edited"
                },
                (project.confirmed_by_city_id == Some(project.city_id))
                    .then(|| city_name.to_owned()),
            ),
        };
        let as_of = as_of(project);
        Currency {
            source,
            as_of,
            by,
            stale: as_of < first_current_day(today),
        }
    }
}

/// Today, for currency: the UTC day (a day's difference at midnight does not matter
/// against a year).
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// `POST /projecten/{id}/klopt-nog`: a city editor (or the programme office) says the
/// project is still as described.
#[derive(Deserialize)]
pub struct ConfirmForm {
    /// Where to go back to: the project page or the editor's list.
    #[serde(default)]
    back: Option<String>,
}

pub async fn confirm(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
    crate::auth::csrf::Form(form): crate::auth::csrf::Form<ConfirmForm>,
) -> AppResult<HttpResponse> {
    let id = super::parse_id(&id)?;
    super::edit::editable(&state, &page, id).await?;
    let user_id = page.visitor.signed_in()?.id;
    state
        .db
        .run(move |conn| Project::confirm_current(conn, id, user_id))
        .await?;
    state.committed(crate::jobs::Signal::Changes);
    let back = crate::web::local_path(form.back.as_deref());
    let back = if back == "/" {
        super::view::project_url(id)
    } else {
        back.to_owned()
    };
    Ok(see_other(&back))
}

#[derive(Serialize)]
struct CurrencyPage {
    city: crate::cities::model::CityRef,
    /// The city's projects, least recently confirmed first.
    projects: Vec<ProjectView>,
    stale: usize,
    /// Where "Klopt nog" returns to.
    back: String,
}

/// `GET /steden/{slug}/actualiteit`: the city's projects by how long ago they were
/// confirmed, for its editors (and the programme office) to work through.
pub async fn show_city_list(
    state: web::Data<AppState>,
    page: PageRequest,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let slug = slug.into_inner();
    let city = state
        .db
        .run(move |conn| City::find_by_slug(conn, &slug))
        .await?;
    authorize(
        &page.visitor,
        Action::EditProject {
            city_id: city.id,
            created_by: None,
        },
    )?;
    let reference = city.reference();
    let city_id = city.id;
    let rows = state
        .db
        .run(move |conn| Project::of_city(conn, city_id))
        .await?;
    let mut projects: Vec<ProjectView> = rows
        .into_iter()
        .map(|p| ProjectView::new(p, reference.clone()))
        .collect();
    projects.sort_by(|a, b| {
        (a.archived.is_some(), a.currency.as_of, a.id).cmp(&(
            b.archived.is_some(),
            b.currency.as_of,
            b.id,
        ))
    });
    let stale = projects
        .iter()
        .filter(|p| p.currency.stale && p.archived.is_none())
        .count();
    let title =
        state
            .renderer
            .catalogs()
            .format(page.lang, "currency.title", &[("city", &reference.name)]);
    let view = CurrencyPage {
        back: page.path.clone(),
        city: reference,
        projects,
        stale,
    };
    state
        .renderer
        .page(&page, "projects/currency", &title, &view)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;

    fn project(confirmed_at: Option<NaiveDateTime>, how: &str, by: Option<i32>) -> Project {
        let at = REPORT_DATE.and_hms_opt(0, 0, 0).expect("midnight");
        Project {
            id: 1,
            city_id: 7,
            source_ref: Some("11.4".into()),
            title: "Parkeersensoren".into(),
            description: String::new(),
            description_origin: super::super::model::DescriptionOrigin::Report,
            theme: crate::themes::Theme::Mobility,
            stage: super::super::model::Stage::Running,
            created_at: at,
            updated_at: at,
            lessons: String::new(),
            partners: String::new(),
            contact_name: String::new(),
            contact_email: String::new(),
            links: String::new(),
            created_by: None,
            confirmed_at,
            confirmed_how: how.into(),
            confirmed_by_city_id: by,
            archived_at: None,
            archived_why: String::new(),
            archive_note: String::new(),
            merged_into: None,
        }
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a date")
    }

    #[test]
    fn an_untouched_import_is_as_of_the_report_and_possibly_outdated() {
        let c = Currency::of(&project(None, "", None), "Deventer", day(2026, 12, 4));
        assert_eq!(
            (c.source, c.as_of, c.by, c.stale),
            ("report", REPORT_DATE, None, true)
        );
    }

    #[test]
    fn a_confirmation_by_the_city_names_the_city_and_is_current_for_a_year() {
        let at = day(2026, 1, 10).and_hms_opt(9, 0, 0);
        let p = project(at, "confirmed", Some(7));
        let c = Currency::of(&p, "Deventer", day(2027, 1, 9));
        assert_eq!(
            (c.source, c.by.as_deref(), c.stale),
            ("confirmed", Some("Deventer"), false)
        );
        assert!(Currency::of(&p, "Deventer", day(2027, 1, 10)).stale);
    }

    #[test]
    fn an_edit_by_the_programme_office_names_no_city() {
        let at = day(2026, 11, 1).and_hms_opt(9, 0, 0);
        let c = Currency::of(&project(at, "edited", None), "Deventer", day(2026, 12, 4));
        assert_eq!((c.source, c.by), ("edited", None));
    }

    #[test]
    fn the_report_date_is_the_inventory_s_own() {
        let json: serde_json::Value =
            serde_json::from_str(include_str!("../../data/g40-2020.json"))
                .expect("the inventory parses");
        assert_eq!(
            json["source"]["updated"].as_str(),
            Some(REPORT_DATE.to_string().as_str())
        );
    }
}
