//! Project rows, their lifecycle stage, and the queries over them.

use std::collections::HashMap;

use chrono::{NaiveDateTime, Utc};
use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::changes::{self, Kind, Operation};
use crate::db::schema::projects;
use crate::db::{DbConnection, MultiBackend};
use crate::error::{AppError, AppResult};
use crate::revisions::{self, Snapshot};
use crate::themes::Theme;
use crate::web::pagination::Paging;

crate::slug_enum! {
    /// Where a project stands, from idea to scaled (or stopped, with lessons to share).
    pub enum Stage ("stage", "invalid_stage") {
        Idea = "idea",
        Pilot = "pilot",
        Running = "running",
        Scaled = "scaled",
        Stopped = "stopped",
    }
}

impl Stage {
    /// How far along a project is, from idea (0) to scaled (3); `None` once stopped.
    pub fn rank(self) -> Option<u8> {
        match self {
            Stage::Idea => Some(0),
            Stage::Pilot => Some(1),
            Stage::Running => Some(2),
            Stage::Scaled => Some(3),
            Stage::Stopped => None,
        }
    }
}

crate::slug_enum! {
    /// Where a project's description comes from: the report's text, only the report's
    /// project name, or written on the platform.
    pub enum DescriptionOrigin ("description origin", "invalid_origin") {
        Report = "report",
        NameOnly = "name_only",
        Platform = "platform",
    }
}

#[derive(Queryable, Selectable, Identifiable, Clone, Debug)]
#[diesel(table_name = projects)]
pub struct Project {
    pub id: i32,
    pub city_id: i32,
    pub source_ref: Option<String>,
    pub title: String,
    pub description: String,
    pub description_origin: DescriptionOrigin,
    pub theme: Theme,
    pub stage: Stage,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// What the city learned; most valuable for stopped projects.
    pub lessons: String,
    /// Partner organisations, one per line.
    pub partners: String,
    pub contact_name: String,
    pub contact_email: String,
    /// Web addresses, one per line (validated as http(s) when saved).
    pub links: String,
    /// The member who created it on the platform; `None` for imported projects and for
    /// deleted accounts.
    pub created_by: Option<i32>,
    /// When a city last edited or confirmed it on the platform; `None` for an import
    /// nobody has touched, which is as current as the report (see `currency`).
    pub confirmed_at: Option<NaiveDateTime>,
    /// `edited` or `confirmed` ("Klopt nog"); empty while `confirmed_at` is `None`.
    pub confirmed_how: String,
    /// The city that edited or confirmed it; `None` for the G40 programme office.
    pub confirmed_by_city_id: Option<i32>,
    /// Set once the project is archived (see `archive`): stopped or merged, not deleted.
    pub archived_at: Option<NaiveDateTime>,
    /// `stopped` or `merged` while archived.
    pub archived_why: String,
    /// The city's own words on why it ended.
    pub archive_note: String,
    /// The project it continues in, when merged.
    pub merged_into: Option<i32>,
}

/// The fields an import or an edit sets; timestamps are the database's business.
#[derive(Insertable, AsChangeset, Clone, Debug)]
#[diesel(table_name = projects)]
pub struct ProjectForm {
    pub city_id: i32,
    pub source_ref: Option<String>,
    pub title: String,
    pub description: String,
    pub description_origin: DescriptionOrigin,
    pub theme: Theme,
    pub stage: Stage,
}

/// The fields people edit on the platform, validated (`projects::edit`): one changeset
/// for creating and updating, compared field by field for the history.
#[derive(Insertable, AsChangeset, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = projects)]
pub struct ProjectChanges {
    pub title: String,
    pub description: String,
    pub theme: Theme,
    pub stage: Stage,
    pub lessons: String,
    pub partners: String,
    pub contact_name: String,
    pub contact_email: String,
    pub links: String,
}

impl ProjectChanges {
    pub fn of(p: &Project) -> Self {
        ProjectChanges {
            title: p.title.clone(),
            description: p.description.clone(),
            theme: p.theme,
            stage: p.stage,
            lessons: p.lessons.clone(),
            partners: p.partners.clone(),
            contact_name: p.contact_name.clone(),
            contact_email: p.contact_email.clone(),
            links: p.links.clone(),
        }
    }

    /// The fields by name, as the history compares and stores them.
    pub fn snapshot(&self) -> Snapshot {
        vec![
            ("title", self.title.clone()),
            ("description", self.description.clone()),
            ("theme", self.theme.slug().to_owned()),
            ("stage", self.stage.slug().to_owned()),
            ("lessons", self.lessons.clone()),
            ("partners", self.partners.clone()),
            ("contact_name", self.contact_name.clone()),
            ("contact_email", self.contact_email.clone()),
            ("links", self.links.clone()),
        ]
    }
}

/// What became of an update.
#[derive(Debug)]
pub enum Saved {
    Updated,
    /// Nothing differed from what is stored.
    Unchanged,
    /// Someone saved after the form was made: this is what is stored now.
    Conflict(Box<Project>),
}

/// Which projects a list shows. `city_id` rather than a slug: callers resolve the slug
/// first so an unknown city is reported as such instead of as an empty list.
#[derive(Clone, Debug, Default)]
pub struct ProjectFilter {
    pub city_id: Option<i32>,
    pub theme: Option<Theme>,
    pub stage: Option<Stage>,
    pub source_ref: Option<String>,
    pub currency: Option<super::currency::CurrencyFilter>,
}

impl ProjectFilter {
    fn query(&self) -> projects::BoxedQuery<'_, MultiBackend> {
        let mut query = projects::table.into_boxed();
        if let Some(city_id) = self.city_id {
            query = query.filter(projects::city_id.eq(city_id));
        }
        if let Some(theme) = self.theme {
            query = query.filter(projects::theme.eq(theme));
        }
        if let Some(stage) = self.stage {
            query = query.filter(projects::stage.eq(stage));
        }
        if let Some(source_ref) = &self.source_ref {
            query = query.filter(projects::source_ref.eq(source_ref));
        }
        if let Some(currency) = self.currency {
            use super::currency::{stale_before, today, CurrencyFilter, REPORT_DATE};
            let before = stale_before(today());
            // An untouched import is as current as the report.
            let report_is_stale = REPORT_DATE.and_hms_opt(0, 0, 0).unwrap_or_default() < before;
            query = match currency {
                CurrencyFilter::Archived => query.filter(projects::archived_at.is_not_null()),
                CurrencyFilter::Stale if report_is_stale => {
                    query.filter(projects::archived_at.is_null()).filter(
                        projects::confirmed_at
                            .lt(before)
                            .or(projects::confirmed_at.is_null()),
                    )
                }
                CurrencyFilter::Stale => query
                    .filter(projects::archived_at.is_null())
                    .filter(projects::confirmed_at.lt(before)),
                CurrencyFilter::Confirmed => query
                    .filter(projects::archived_at.is_null())
                    .filter(projects::confirmed_at.ge(before)),
            };
        }
        query
    }
}

impl Project {
    /// The ids and titles of a city's projects, by title: for choosing one in a form.
    pub fn titles_of_city(conn: &mut DbConnection, city_id: i32) -> AppResult<Vec<(i32, String)>> {
        Ok(projects::table
            .filter(projects::city_id.eq(city_id))
            .order(projects::title)
            .select((projects::id, projects::title))
            .load(conn)?)
    }

    /// Creates a project of `city_id` by `user_id`, with its first revision and its
    /// change-log entry, in one transaction; returns its id.
    pub fn create(
        conn: &mut DbConnection,
        city_id: i32,
        fields: &ProjectChanges,
        user_id: i32,
    ) -> AppResult<i32> {
        crate::db::write_transaction(conn, |conn| {
            let now = Utc::now().naive_utc();
            let id: i32 = diesel::insert_into(projects::table)
                .values((
                    fields,
                    projects::city_id.eq(city_id),
                    projects::description_origin.eq(DescriptionOrigin::Platform),
                    projects::created_by.eq(user_id),
                    projects::created_at.eq(now),
                    projects::updated_at.eq(now),
                    confirmation(conn, city_id, user_id, Confirmation::Edited, now)?,
                ))
                .returning(projects::id)
                .get_result(conn)?;
            let created = revisions::diff(&[], &fields.snapshot());
            revisions::record(conn, Kind::Project, id, Some(user_id), &created, "")?;
            crate::solutions::model::suggest_for(conn, id)?;
            changes::record(conn, Kind::Project, id, Operation::Insert)?;
            Ok(id)
        })
    }

    /// Saves `fields` over project `id` for `user_id`, if it is still at `version` (the
    /// [`Project::version`] the form was made from): with its revision and change-log
    /// entry, in one transaction.
    pub fn update(
        conn: &mut DbConnection,
        id: i32,
        fields: &ProjectChanges,
        user_id: i32,
        version: &str,
    ) -> AppResult<Saved> {
        crate::db::write_transaction(conn, |conn| {
            // Writing first takes the row (PostgreSQL) or the database (SQLite) for this
            // transaction, so a concurrent save waits and then sees this one.
            diesel::update(projects::table.find(id))
                .set(projects::id.eq(id))
                .execute(conn)?;
            let current = Project::find(conn, id)?;
            if current.version() != version {
                return Ok(Saved::Conflict(Box::new(current)));
            }
            let changed =
                revisions::diff(&ProjectChanges::of(&current).snapshot(), &fields.snapshot());
            if changed.is_empty() {
                return Ok(Saved::Unchanged);
            }
            // Text the city wrote itself is no longer "name only" from the report.
            let origin = if fields.description != current.description {
                DescriptionOrigin::Platform
            } else {
                current.description_origin
            };
            let now = Utc::now().naive_utc();
            diesel::update(projects::table.find(id))
                .set((
                    fields,
                    projects::description_origin.eq(origin),
                    projects::updated_at.eq(now),
                    confirmation(conn, current.city_id, user_id, Confirmation::Edited, now)?,
                ))
                .execute(conn)?;
            revisions::record(conn, Kind::Project, id, Some(user_id), &changed, "")?;
            crate::solutions::model::suggest_for(conn, id)?;
            changes::record(conn, Kind::Project, id, Operation::Update)?;
            Ok(Saved::Updated)
        })
    }

    /// Records that `user_id` says the project is still as described ("Klopt nog"):
    /// the date and who, with a revision saying so and a change-log entry (so lists and
    /// search drop the "possibly outdated" mark), and nothing else changed.
    pub fn confirm_current(conn: &mut DbConnection, id: i32, user_id: i32) -> AppResult<()> {
        crate::db::write_transaction(conn, |conn| {
            let project = Project::find(conn, id)?;
            let now = Utc::now().naive_utc();
            diesel::update(projects::table.find(id))
                .set(confirmation(
                    conn,
                    project.city_id,
                    user_id,
                    Confirmation::Confirmed,
                    now,
                )?)
                .execute(conn)?;
            revisions::record(conn, Kind::Project, id, Some(user_id), &[], "klopt-nog")?;
            changes::record(conn, Kind::Project, id, Operation::Update)?;
            Ok(())
        })
    }

    /// What an edit form carries to notice a save made after it: the time of the last
    /// change, to the microsecond.
    pub fn version(&self) -> String {
        self.updated_at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
    }

    pub fn find(conn: &mut DbConnection, id: i32) -> AppResult<Self> {
        projects::table
            .find(id)
            .select(Self::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found(format!("project {id}")))
    }

    pub fn find_by_source_ref(
        conn: &mut DbConnection,
        source_ref: &str,
    ) -> AppResult<Option<Self>> {
        Ok(projects::table
            .filter(projects::source_ref.eq(source_ref))
            .select(Self::as_select())
            .first(conn)
            .optional()?)
    }

    /// How many projects the filter lets through.
    pub fn count(conn: &mut DbConnection, filter: &ProjectFilter) -> AppResult<i64> {
        Ok(filter.query().count().get_result(conn)?)
    }

    /// One page of the filtered list, ordered the way the report numbers projects
    /// (imported ones first by city and number, then projects made on the platform).
    pub fn list(
        conn: &mut DbConnection,
        filter: &ProjectFilter,
        paging: Paging,
    ) -> AppResult<(i64, Vec<Self>)> {
        let total = Self::count(conn, filter)?;
        let rows = filter
            .query()
            .order((projects::city_id, projects::id))
            .limit(paging.per_page)
            .offset(paging.offset())
            .select(Self::as_select())
            .load(conn)?;
        Ok((total, rows))
    }

    /// All projects of one city, in report order.
    pub fn of_city(conn: &mut DbConnection, city_id: i32) -> AppResult<Vec<Self>> {
        Ok(projects::table
            .filter(projects::city_id.eq(city_id))
            .order(projects::id)
            .select(Self::as_select())
            .load(conn)?)
    }

    pub fn all_ids(conn: &mut DbConnection) -> AppResult<Vec<i32>> {
        Ok(projects::table
            .order(projects::id)
            .select(projects::id)
            .load(conn)?)
    }

    pub fn by_ids(conn: &mut DbConnection, ids: &[i32]) -> AppResult<Vec<Self>> {
        Ok(projects::table
            .filter(projects::id.eq_any(ids))
            .order(projects::id)
            .select(Self::as_select())
            .load(conn)?)
    }

    /// All projects of one theme, by city and report number.
    pub fn of_theme(conn: &mut DbConnection, theme: Theme) -> AppResult<Vec<Self>> {
        Ok(projects::table
            .filter(projects::theme.eq(theme))
            .order((projects::city_id, projects::id))
            .select(Self::as_select())
            .load(conn)?)
    }

    /// The projects cities most recently added, edited or confirmed on the platform
    /// (never the import order of the report).
    pub fn newest(conn: &mut DbConnection, limit: i64) -> AppResult<Vec<Self>> {
        Ok(projects::table
            .filter(projects::confirmed_at.is_not_null())
            .order((projects::confirmed_at.desc(), projects::id.desc()))
            .limit(limit)
            .select(Self::as_select())
            .load(conn)?)
    }
}

/// How a city last vouched for a project: by editing it or by confirming it unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confirmation {
    Edited,
    Confirmed,
}

impl Confirmation {
    pub fn slug(self) -> &'static str {
        match self {
            Confirmation::Edited => "edited",
            Confirmation::Confirmed => "confirmed",
        }
    }
}

type ConfirmationColumns = (
    diesel::dsl::Eq<projects::confirmed_at, Option<NaiveDateTime>>,
    diesel::dsl::Eq<projects::confirmed_how, &'static str>,
    diesel::dsl::Eq<projects::confirmed_by_city_id, Option<i32>>,
);

/// The columns saying `user_id` vouched for a project of `city_id` at `at`: for the
/// city when they belong to it, else for the programme office (an administrator).
pub(super) fn confirmation(
    conn: &mut DbConnection,
    city_id: i32,
    user_id: i32,
    how: Confirmation,
    at: NaiveDateTime,
) -> AppResult<ConfirmationColumns> {
    use crate::db::schema::users;
    let own_city: Option<i32> = users::table
        .find(user_id)
        .select(users::city_id)
        .first(conn)
        .optional()?
        .flatten();
    Ok((
        projects::confirmed_at.eq(Some(at)),
        projects::confirmed_how.eq(how.slug()),
        projects::confirmed_by_city_id.eq(own_city.filter(|c| *c == city_id)),
    ))
}

/// Project counts per city and theme: the data behind the "wie doet wat" matrix and
/// every per-city theme profile.
#[derive(Clone, Debug, Default)]
pub struct ThemeCounts {
    by_city: HashMap<i32, [i64; 6]>,
}

impl ThemeCounts {
    pub fn load(conn: &mut DbConnection) -> AppResult<Self> {
        let rows: Vec<(i32, Theme, i64)> = projects::table
            .group_by((projects::city_id, projects::theme))
            .select((projects::city_id, projects::theme, count_star()))
            .load(conn)?;
        let mut by_city: HashMap<i32, [i64; 6]> = HashMap::new();
        for (city_id, theme, n) in rows {
            by_city.entry(city_id).or_default()[theme.index()] += n;
        }
        Ok(ThemeCounts { by_city })
    }

    pub fn for_city(&self, city_id: i32) -> [i64; 6] {
        self.by_city.get(&city_id).copied().unwrap_or_default()
    }

    pub fn per_theme(&self) -> [i64; 6] {
        let mut totals = [0; 6];
        for counts in self.by_city.values() {
            for (total, n) in totals.iter_mut().zip(counts) {
                *total += n;
            }
        }
        totals
    }

    pub fn total(&self) -> i64 {
        self.per_theme().iter().sum()
    }
}
