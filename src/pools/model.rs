//! Pool, toolkit, attachment and adoption rows, and every write to them. A toolkit's
//! versions are its revisions (the shared history): each save records the changed
//! fields with its change note, and any version is read back by replaying them.

use std::collections::HashMap;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::changes::{self, Kind, Operation};
use crate::db::schema::{
    adoptions, attachments, cities, pool_members, pools, toolkit_projects, toolkits, users,
};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::revisions::{self, Snapshot};
use crate::themes::Theme;

crate::slug_enum! {
    /// Someone's place in a pool: leads (appointed by administrators) post toolkits.
    pub enum PoolRole ("pool role", "invalid_pool_role") {
        Lead = "lead",
        Member = "member",
    }
}

crate::slug_enum! {
    /// Where a city stands with a toolkit.
    pub enum AdoptionStatus ("adoption status", "invalid_status") {
        Considered = "overwogen",
        InUse = "in-gebruik",
        Stopped = "gestopt",
    }
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = pools)]
pub struct Pool {
    pub id: i32,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub themes: String,
    pub category: Option<String>,
    pub created_at: NaiveDateTime,
}

/// Theme slugs stored space-separated, read back as themes.
pub fn parse_themes(stored: &str) -> Vec<Theme> {
    stored.split_whitespace().filter_map(Theme::parse).collect()
}

pub fn store_themes(themes: &[Theme]) -> String {
    themes
        .iter()
        .map(|t| t.slug())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A pool's member as the pages show them.
#[derive(Clone, Debug, Queryable)]
pub struct Member {
    pub user_id: i32,
    pub name: String,
    pub handle: Option<String>,
    pub city: Option<String>,
    pub role: PoolRole,
}

impl Pool {
    pub fn all(conn: &mut DbConnection) -> AppResult<Vec<Pool>> {
        Ok(pools::table
            .order(pools::name)
            .select(Pool::as_select())
            .load(conn)?)
    }

    pub fn find_by_slug(conn: &mut DbConnection, slug: &str) -> AppResult<Pool> {
        pools::table
            .filter(pools::slug.eq(slug))
            .select(Pool::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found(format!("expertise pool {slug:?}")))
    }

    pub fn find(conn: &mut DbConnection, id: i32) -> AppResult<Pool> {
        pools::table
            .find(id)
            .select(Pool::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found(format!("expertise pool {id}")))
    }

    pub fn themes(&self) -> Vec<Theme> {
        parse_themes(&self.themes)
    }

    /// Creates a pool (administrators); its slug comes from the name, or is the report
    /// category's own slug for the pools made from the categories.
    pub fn create(
        conn: &mut DbConnection,
        name: &str,
        description: &str,
        themes: &[Theme],
        category: Option<&str>,
    ) -> AppResult<Pool> {
        crate::db::write_transaction(conn, |conn| {
            let base = category.map_or_else(|| crate::text::slugify(name), str::to_owned);
            let mut slug = base.clone();
            let mut n = 1;
            while pools::table
                .filter(pools::slug.eq(&slug))
                .count()
                .get_result::<i64>(conn)?
                > 0
            {
                n += 1;
                slug = format!("{base}-{n}");
            }
            let id: i32 = diesel::insert_into(pools::table)
                .values((
                    pools::slug.eq(&slug),
                    pools::name.eq(name),
                    pools::description.eq(description),
                    pools::themes.eq(store_themes(themes)),
                    pools::category.eq(category),
                    pools::created_at.eq(Utc::now().naive_utc()),
                ))
                .returning(pools::id)
                .get_result(conn)?;
            changes::record(conn, Kind::Pool, id, Operation::Insert)?;
            Pool::find(conn, id)
        })
    }

    /// The pools of the report's six bottleneck categories, made once with the report's
    /// definitions and no leads; an existing one is left as it is.
    pub fn seed_from_categories(conn: &mut DbConnection) -> AppResult<usize> {
        use crate::db::schema::bottleneck_categories;
        let categories: Vec<(String, String, String)> = bottleneck_categories::table
            .order(bottleneck_categories::position)
            .select((
                bottleneck_categories::slug,
                bottleneck_categories::name,
                bottleneck_categories::definition,
            ))
            .load(conn)?;
        let mut made = 0;
        for (slug, name, definition) in categories {
            let exists: i64 = pools::table
                .filter(pools::category.eq(&slug))
                .count()
                .get_result(conn)?;
            if exists == 0 {
                Pool::create(conn, &name, &definition, &[], Some(&slug))?;
                made += 1;
            }
        }
        Ok(made)
    }

    /// Members and leads, leads first.
    pub fn members(conn: &mut DbConnection, pool_id: i32) -> AppResult<Vec<Member>> {
        let mut members: Vec<Member> = pool_members::table
            .inner_join(users::table.left_join(cities::table))
            .filter(pool_members::pool_id.eq(pool_id))
            .order((pool_members::role, users::name))
            .select((
                users::id,
                users::name,
                users::handle,
                cities::name.nullable(),
                pool_members::role,
            ))
            .load(conn)?;
        members.sort_by_key(|m| (m.role != PoolRole::Lead, m.name.to_lowercase()));
        Ok(members)
    }

    pub fn role_of(
        conn: &mut DbConnection,
        pool_id: i32,
        user_id: i32,
    ) -> AppResult<Option<PoolRole>> {
        Ok(pool_members::table
            .find((pool_id, user_id))
            .select(pool_members::role)
            .first(conn)
            .optional()?)
    }

    /// Puts `user_id` in the pool with `role`, or takes them out (`None`).
    pub fn set_role(
        conn: &mut DbConnection,
        pool_id: i32,
        user_id: i32,
        role: Option<PoolRole>,
    ) -> AppResult<()> {
        let row = pool_members::table.find((pool_id, user_id));
        match role {
            None => {
                diesel::delete(row).execute(conn)?;
            }
            Some(role) => {
                let updated = diesel::update(row)
                    .set(pool_members::role.eq(role))
                    .execute(conn)?;
                if updated == 0 {
                    diesel::insert_into(pool_members::table)
                        .values((
                            pool_members::pool_id.eq(pool_id),
                            pool_members::user_id.eq(user_id),
                            pool_members::role.eq(role),
                            pool_members::joined_at.eq(Utc::now().naive_utc()),
                        ))
                        .execute(conn)?;
                }
            }
        }
        Ok(())
    }

    /// Counts per pool: (members, toolkits).
    pub fn counts(conn: &mut DbConnection) -> AppResult<HashMap<i32, (i64, i64)>> {
        let members: Vec<(i32, i64)> = pool_members::table
            .group_by(pool_members::pool_id)
            .select((pool_members::pool_id, diesel::dsl::count_star()))
            .load(conn)?;
        let kits: Vec<(i32, i64)> = toolkits::table
            .group_by(toolkits::pool_id)
            .select((toolkits::pool_id, diesel::dsl::count_star()))
            .load(conn)?;
        let mut counts: HashMap<i32, (i64, i64)> = HashMap::new();
        for (pool, n) in members {
            counts.entry(pool).or_default().0 = n;
        }
        for (pool, n) in kits {
            counts.entry(pool).or_default().1 = n;
        }
        Ok(counts)
    }
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = toolkits)]
pub struct Toolkit {
    pub id: i32,
    pub pool_id: i32,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub body_html: String,
    pub themes: String,
    pub tags: String,
    pub version: i32,
    pub created_by: Option<i32>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The fields a lead writes, validated; compared field by field between versions.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ToolkitFields {
    pub title: String,
    pub summary: String,
    pub body: String,
    pub themes: Vec<Theme>,
    /// Comma-separated, as written.
    pub tags: String,
    /// The projects it came from, by id.
    pub projects: Vec<i32>,
}

/// Project ids as a version stores them: "12, 40".
fn store_ids(ids: &[i32]) -> String {
    ids.iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_ids(stored: &str) -> Vec<i32> {
    stored
        .split(',')
        .filter_map(|id| id.trim().parse().ok())
        .collect()
}

impl ToolkitFields {
    /// The current fields of `toolkit`, which came from `projects`.
    pub fn of(toolkit: &Toolkit, projects: Vec<i32>) -> Self {
        ToolkitFields {
            title: toolkit.title.clone(),
            summary: toolkit.summary.clone(),
            body: toolkit.body.clone(),
            themes: parse_themes(&toolkit.themes),
            tags: toolkit.tags.clone(),
            projects,
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        vec![
            ("title", self.title.clone()),
            ("summary", self.summary.clone()),
            ("body", self.body.clone()),
            ("themes", store_themes(&self.themes)),
            ("tags", self.tags.clone()),
            ("projects", store_ids(&self.projects)),
        ]
    }

    /// The fields of a snapshot (one replayed from the history).
    pub fn from_snapshot(snapshot: &Snapshot) -> Self {
        let get = |name: &str| {
            snapshot
                .iter()
                .find(|(f, _)| *f == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        ToolkitFields {
            title: get("title"),
            summary: get("summary"),
            body: get("body"),
            themes: parse_themes(&get("themes")),
            tags: get("tags"),
            projects: parse_ids(&get("projects")),
        }
    }
}

/// Replaces the projects a toolkit came from.
fn set_projects(conn: &mut DbConnection, toolkit_id: i32, projects: &[i32]) -> AppResult<()> {
    diesel::delete(toolkit_projects::table.filter(toolkit_projects::toolkit_id.eq(toolkit_id)))
        .execute(conn)?;
    for project_id in projects {
        diesel::insert_into(toolkit_projects::table)
            .values((
                toolkit_projects::toolkit_id.eq(toolkit_id),
                toolkit_projects::project_id.eq(project_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Which of `ids` are projects; the others are returned, to be named in a complaint.
pub fn unknown_projects(conn: &mut DbConnection, ids: &[i32]) -> AppResult<Vec<i32>> {
    use crate::db::schema::projects;
    let known: Vec<i32> = projects::table
        .filter(projects::id.eq_any(ids))
        .select(projects::id)
        .load(conn)?;
    Ok(ids
        .iter()
        .copied()
        .filter(|id| !known.contains(id))
        .collect())
}

/// A file to attach, already staged in the upload store (`crate::uploads`).
#[derive(Clone, Debug)]
pub struct NewAttachment {
    pub name: String,
    pub kind: String,
    pub size: i64,
    pub sha256: String,
}

/// A version of a toolkit, as its history tells.
#[derive(Clone, Debug)]
pub struct Version {
    pub number: i32,
    pub note: String,
    pub author: Option<String>,
    pub created_at: NaiveDateTime,
}

impl Toolkit {
    pub fn find(conn: &mut DbConnection, id: i32) -> AppResult<Toolkit> {
        toolkits::table
            .find(id)
            .select(Toolkit::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found(format!("toolkit {id}")))
    }

    pub fn themes(&self) -> Vec<Theme> {
        parse_themes(&self.themes)
    }

    /// Creates a toolkit in `pool_id` as version 1 (its first revision, with `note`), with
    /// its attachment if any; returns its id.
    pub fn create(
        conn: &mut DbConnection,
        pool_id: i32,
        fields: &ToolkitFields,
        note: &str,
        by: i32,
        attachment: Option<&NewAttachment>,
    ) -> AppResult<i32> {
        crate::db::write_transaction(conn, |conn| {
            let now = Utc::now().naive_utc();
            let html = crate::forum::model::render(conn, &fields.body)?.html;
            let id: i32 = diesel::insert_into(toolkits::table)
                .values((
                    toolkits::pool_id.eq(pool_id),
                    toolkits::title.eq(&fields.title),
                    toolkits::summary.eq(&fields.summary),
                    toolkits::body.eq(&fields.body),
                    toolkits::body_html.eq(html),
                    toolkits::themes.eq(store_themes(&fields.themes)),
                    toolkits::tags.eq(&fields.tags),
                    toolkits::version.eq(1),
                    toolkits::created_by.eq(by),
                    toolkits::created_at.eq(now),
                    toolkits::updated_at.eq(now),
                ))
                .returning(toolkits::id)
                .get_result(conn)?;
            let created = revisions::diff(&[], &fields.snapshot());
            revisions::record(conn, Kind::Toolkit, id, Some(by), &created, note)?;
            set_projects(conn, id, &fields.projects)?;
            if let Some(file) = attachment {
                insert_attachment(conn, id, 1, file)?;
            }
            changes::record(conn, Kind::Toolkit, id, Operation::Insert)?;
            Ok(id)
        })
    }

    /// Saves a new version: the fields, the change note, and the attachment if any. Every
    /// save is a version, also one that only adds a file or a note. Returns its number.
    pub fn update(
        conn: &mut DbConnection,
        id: i32,
        fields: &ToolkitFields,
        note: &str,
        by: i32,
        attachment: Option<&NewAttachment>,
    ) -> AppResult<i32> {
        crate::db::write_transaction(conn, |conn| {
            let current = Toolkit::find(conn, id)?;
            let before = ToolkitFields::of(&current, Toolkit::project_ids(conn, id)?);
            let changed = revisions::diff(&before.snapshot(), &fields.snapshot());
            set_projects(conn, id, &fields.projects)?;
            let html = crate::forum::model::render(conn, &fields.body)?.html;
            let number = revisions::record(conn, Kind::Toolkit, id, Some(by), &changed, note)?;
            diesel::update(toolkits::table.find(id))
                .set((
                    toolkits::title.eq(&fields.title),
                    toolkits::summary.eq(&fields.summary),
                    toolkits::body.eq(&fields.body),
                    toolkits::body_html.eq(html),
                    toolkits::themes.eq(store_themes(&fields.themes)),
                    toolkits::tags.eq(&fields.tags),
                    toolkits::version.eq(number),
                    toolkits::updated_at.eq(Utc::now().naive_utc()),
                ))
                .execute(conn)?;
            if let Some(file) = attachment {
                insert_attachment(conn, id, number, file)?;
            }
            changes::record(conn, Kind::Toolkit, id, Operation::Update)?;
            Ok(number)
        })
    }

    /// The versions, newest first.
    pub fn versions(conn: &mut DbConnection, id: i32) -> AppResult<Vec<Version>> {
        Ok(revisions::history(conn, Kind::Toolkit, id)?
            .into_iter()
            .map(|r| Version {
                number: r.number,
                note: r.note,
                author: r.author,
                created_at: r.created_at,
            })
            .collect())
    }

    /// The fields as they were in version `number`, replayed from the history.
    pub fn at_version(
        conn: &mut DbConnection,
        id: i32,
        number: i32,
    ) -> AppResult<Option<ToolkitFields>> {
        let mut history = revisions::history(conn, Kind::Toolkit, id)?;
        if !history.iter().any(|r| r.number == number) {
            return Ok(None);
        }
        history.sort_by_key(|r| r.number);
        let mut snapshot: HashMap<String, String> = HashMap::new();
        for revision in history.into_iter().take_while(|r| r.number <= number) {
            for change in revision.changes {
                snapshot.insert(change.field, change.to);
            }
        }
        let fields = ["title", "summary", "body", "themes", "tags", "projects"]
            .into_iter()
            .map(|f| (f, snapshot.remove(f).unwrap_or_default()))
            .collect();
        Ok(Some(ToolkitFields::from_snapshot(&fields)))
    }

    /// The projects it came from, in the order given.
    pub fn project_ids(conn: &mut DbConnection, id: i32) -> AppResult<Vec<i32>> {
        Ok(toolkit_projects::table
            .filter(toolkit_projects::toolkit_id.eq(id))
            .order(toolkit_projects::project_id)
            .select(toolkit_projects::project_id)
            .load(conn)?)
    }

    /// One page of toolkits, the most adopted (in use) first, with the adoption counts.
    pub fn list(
        conn: &mut DbConnection,
        pool_id: Option<i32>,
        theme: Option<Theme>,
        limit: i64,
        offset: i64,
    ) -> AppResult<(i64, Vec<(Toolkit, i64)>)> {
        let mut rows: Vec<Toolkit> = {
            let mut q = toolkits::table.into_boxed();
            if let Some(pool) = pool_id {
                q = q.filter(toolkits::pool_id.eq(pool));
            }
            q.select(Toolkit::as_select()).load(conn)?
        };
        if let Some(theme) = theme {
            rows.retain(|t| t.themes().contains(&theme));
        }
        let counts = adoption_counts(conn)?;
        let count = |id: i32| counts.get(&id).copied().unwrap_or(0);
        rows.sort_by(|a, b| {
            count(b.id)
                .cmp(&count(a.id))
                .then(b.updated_at.cmp(&a.updated_at))
                .then(a.id.cmp(&b.id))
        });
        let total = rows.len() as i64;
        let page = rows
            .into_iter()
            .skip(offset.max(0) as usize)
            .take(limit.max(0) as usize)
            .map(|t| {
                let n = count(t.id);
                (t, n)
            })
            .collect();
        Ok((total, page))
    }
}

/// Adoptions in use or considered (not stopped), per toolkit.
fn adoption_counts(conn: &mut DbConnection) -> AppResult<HashMap<i32, i64>> {
    let rows: Vec<(i32, i64)> = adoptions::table
        .filter(adoptions::status.ne(AdoptionStatus::Stopped))
        .group_by(adoptions::toolkit_id)
        .select((adoptions::toolkit_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

fn insert_attachment(
    conn: &mut DbConnection,
    toolkit_id: i32,
    version: i32,
    file: &NewAttachment,
) -> AppResult<()> {
    diesel::insert_into(attachments::table)
        .values((
            attachments::toolkit_id.eq(toolkit_id),
            attachments::version.eq(version),
            attachments::name.eq(&file.name),
            attachments::kind.eq(&file.kind),
            attachments::size.eq(file.size),
            attachments::sha256.eq(&file.sha256),
            attachments::created_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = attachments)]
pub struct Attachment {
    pub id: i32,
    pub toolkit_id: i32,
    pub version: i32,
    pub name: String,
    pub kind: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: NaiveDateTime,
    pub extraction: String,
    pub extracted_text: Option<String>,
}

impl Attachment {
    /// The attachments of a toolkit up to `version`, oldest first.
    pub fn of_toolkit(
        conn: &mut DbConnection,
        toolkit_id: i32,
        version: i32,
    ) -> AppResult<Vec<Attachment>> {
        Ok(attachments::table
            .filter(attachments::toolkit_id.eq(toolkit_id))
            .filter(attachments::version.le(version))
            .order(attachments::id)
            .select(Attachment::as_select())
            .load(conn)?)
    }

    pub fn find(conn: &mut DbConnection, id: i32) -> AppResult<Attachment> {
        attachments::table
            .find(id)
            .select(Attachment::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found(format!("attachment {id}")))
    }

    /// The content hashes attachments refer to (the upload store's clean-up).
    pub fn all_hashes(conn: &mut DbConnection) -> AppResult<std::collections::HashSet<String>> {
        Ok(attachments::table
            .select(attachments::sha256)
            .load::<String>(conn)?
            .into_iter()
            .collect())
    }

    /// How many attachments are in each extraction state.
    pub fn count_by_extraction(conn: &mut DbConnection) -> AppResult<Vec<(String, i64)>> {
        Ok(attachments::table
            .group_by(attachments::extraction)
            .select((attachments::extraction, diesel::dsl::count_star()))
            .order(attachments::extraction)
            .load(conn)?)
    }

    /// Attachments whose text is still to be extracted.
    pub fn pending(conn: &mut DbConnection, limit: i64) -> AppResult<Vec<Attachment>> {
        Ok(attachments::table
            .filter(attachments::extraction.eq("pending"))
            .order(attachments::id)
            .limit(limit)
            .select(Attachment::as_select())
            .load(conn)?)
    }

    /// Stores what extraction found, and marks the toolkit for the index.
    pub fn set_extraction(
        conn: &mut DbConnection,
        id: i32,
        outcome: &str,
        text: Option<&str>,
    ) -> AppResult<()> {
        crate::db::write_transaction(conn, |conn| {
            let attachment = Attachment::find(conn, id)?;
            diesel::update(attachments::table.find(id))
                .set((
                    attachments::extraction.eq(outcome),
                    attachments::extracted_text.eq(text),
                ))
                .execute(conn)?;
            changes::record(
                conn,
                Kind::Toolkit,
                attachment.toolkit_id,
                Operation::Update,
            )
        })
    }

    /// Counts per extraction outcome, for the administration.
    pub fn extraction_counts(conn: &mut DbConnection) -> AppResult<Vec<(String, i64)>> {
        Ok(attachments::table
            .group_by(attachments::extraction)
            .select((attachments::extraction, diesel::dsl::count_star()))
            .load(conn)?)
    }
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = adoptions)]
pub struct Adoption {
    pub toolkit_id: i32,
    pub city_id: i32,
    pub version: i32,
    pub status: AdoptionStatus,
    pub note: String,
    pub project_id: Option<i32>,
    pub updated_by: Option<i32>,
    pub updated_at: NaiveDateTime,
}

impl Adoption {
    /// Records what `city_id` does with the toolkit (one row per city, replaced).
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        conn: &mut DbConnection,
        toolkit_id: i32,
        city_id: i32,
        version: i32,
        status: AdoptionStatus,
        note: &str,
        project_id: Option<i32>,
        by: i32,
    ) -> AppResult<()> {
        crate::db::write_transaction(conn, |conn| {
            let now = Utc::now().naive_utc();
            let row = adoptions::table.find((toolkit_id, city_id));
            let updated = diesel::update(row)
                .set((
                    adoptions::version.eq(version),
                    adoptions::status.eq(status),
                    adoptions::note.eq(note),
                    adoptions::project_id.eq(project_id),
                    adoptions::updated_by.eq(by),
                    adoptions::updated_at.eq(now),
                ))
                .execute(conn)?;
            if updated == 0 {
                diesel::insert_into(adoptions::table)
                    .values((
                        adoptions::toolkit_id.eq(toolkit_id),
                        adoptions::city_id.eq(city_id),
                        adoptions::version.eq(version),
                        adoptions::status.eq(status),
                        adoptions::note.eq(note),
                        adoptions::project_id.eq(project_id),
                        adoptions::updated_by.eq(by),
                        adoptions::updated_at.eq(now),
                    ))
                    .execute(conn)?;
            }
            // The toolkit's document counts its adoptions.
            changes::record(conn, Kind::Toolkit, toolkit_id, Operation::Update)
        })
    }

    /// A toolkit's adoptions with the cities' slugs and names, by city name.
    pub fn of_toolkit(
        conn: &mut DbConnection,
        toolkit_id: i32,
    ) -> AppResult<Vec<(Adoption, String, String)>> {
        let rows: Vec<(Adoption, (String, String))> = adoptions::table
            .inner_join(cities::table)
            .filter(adoptions::toolkit_id.eq(toolkit_id))
            .order(cities::name)
            .select((Adoption::as_select(), (cities::slug, cities::name)))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(a, (slug, name))| (a, slug, name))
            .collect())
    }

    /// The cities that use or consider any toolkit of a pool.
    pub fn cities_of_pool(
        conn: &mut DbConnection,
        pool_id: i32,
    ) -> AppResult<Vec<(String, String)>> {
        let mut rows: Vec<(String, String)> = adoptions::table
            .inner_join(toolkits::table)
            .inner_join(cities::table)
            .filter(toolkits::pool_id.eq(pool_id))
            .filter(adoptions::status.ne(AdoptionStatus::Stopped))
            .select((cities::slug, cities::name))
            .load(conn)?;
        rows.sort();
        rows.dedup();
        Ok(rows)
    }
}
