//! What the search index holds: one `SearchDoc` shape for every kind of record, and the
//! one registration point (`SOURCES`) listing where each kind comes from: projects,
//! cities, forum threads, expertise pools and toolkits (with their attachments' text).
//! A project's document also holds what was discussed about it, so its discussions
//! make it findable ([`dependents`]).

use std::collections::HashMap;

use diesel::prelude::*;

use crate::cities::model::City;
use crate::cities::model::CityRef;
use crate::db::DbConnection;
use crate::error::AppResult;
use crate::projects::model::Project;

crate::slug_enum! {
    /// The kinds of search document; their slugs are the API's `type` values.
    pub enum DocKind ("type", "invalid_type") {
        Project = "project",
        City = "city",
        Thread = "thread",
        Pool = "pool",
        Toolkit = "toolkit",
    }
}

impl DocKind {
    /// The document kind of records of the change log's `kind`, if they are indexed.
    pub fn of(kind: crate::changes::Kind) -> Option<DocKind> {
        match kind {
            crate::changes::Kind::Project => Some(DocKind::Project),
            crate::changes::Kind::City => Some(DocKind::City),
            crate::changes::Kind::Thread => Some(DocKind::Thread),
            crate::changes::Kind::Pool => Some(DocKind::Pool),
            crate::changes::Kind::Toolkit => Some(DocKind::Toolkit),
            crate::changes::Kind::Post => None,
        }
    }
}

/// One record as the index sees it.
#[derive(Clone, Debug)]
pub struct SearchDoc {
    pub kind: DocKind,
    pub id: i32,
    pub title: String,
    pub body: String,
    /// Words that place the record (city, province, theme name), searched with less weight.
    pub context: String,
    pub city: Option<CityRef>,
    pub theme: Option<String>,
    pub stage: Option<String>,
    pub source_ref: Option<String>,
    pub url: String,
    /// A project's currency, for the "how current" filter (other kinds have none).
    pub currency: Option<DocCurrency>,
}

/// What the index keeps of how current a project is. Whether it is possibly outdated
/// depends on the day of the search, so it is decided then, from `as_of`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DocCurrency {
    /// The day its facts are from: the report's, or the city's last edit or "Klopt nog".
    pub as_of: chrono::NaiveDate,
    pub archived: bool,
}

/// Where the documents of one kind come from.
pub trait DocumentSource: Sync {
    fn kind(&self) -> DocKind;
    /// Every id of this kind, for a rebuild.
    fn all_ids(&self, conn: &mut DbConnection) -> AppResult<Vec<i32>>;
    /// The documents of these ids; ids that no longer exist are simply absent.
    fn load(&self, conn: &mut DbConnection, ids: &[i32]) -> AppResult<Vec<SearchDoc>>;
}

/// Every kind the index holds.
pub const SOURCES: &[&dyn DocumentSource] = &[
    &ProjectSource,
    &CitySource,
    &ThreadSource,
    &PoolSource,
    &ToolkitSource,
];

pub fn source(kind: DocKind) -> &'static dyn DocumentSource {
    match kind {
        DocKind::Project => &ProjectSource,
        DocKind::City => &CitySource,
        DocKind::Thread => &ThreadSource,
        DocKind::Pool => &PoolSource,
        DocKind::Toolkit => &ToolkitSource,
    }
}

/// `records` with the documents that contain them: a changed thread about a project
/// changes the project's document too.
pub fn dependents(
    conn: &mut DbConnection,
    records: Vec<(DocKind, i32)>,
) -> AppResult<Vec<(DocKind, i32)>> {
    use crate::db::schema::threads;
    let thread_ids: Vec<i32> = records
        .iter()
        .filter(|(k, _)| *k == DocKind::Thread)
        .map(|&(_, id)| id)
        .collect();
    let projects: Vec<String> = threads::table
        .filter(threads::id.eq_any(&thread_ids))
        .filter(threads::about_kind.eq("project"))
        .select(threads::about_key)
        .load(conn)?;
    let mut all = records;
    all.extend(
        projects
            .iter()
            .filter_map(|key| key.parse().ok())
            .map(|id| (DocKind::Project, id)),
    );
    all.sort_unstable();
    all.dedup();
    Ok(all)
}

/// The text of the visible posts of threads, by thread, in order.
fn discussion_text(conn: &mut DbConnection, thread_ids: &[i32]) -> AppResult<HashMap<i32, String>> {
    use crate::db::schema::posts;
    let rows: Vec<(i32, String)> = posts::table
        .filter(posts::thread_id.eq_any(thread_ids))
        .filter(posts::hidden_at.is_null())
        .filter(posts::deleted_at.is_null())
        .order((posts::thread_id, posts::id))
        .select((posts::thread_id, posts::body))
        .load(conn)?;
    let mut text: HashMap<i32, String> = HashMap::new();
    for (thread, body) in rows {
        let entry = text.entry(thread).or_default();
        entry.push_str(&crate::forum::markdown::plain_text(&body));
        entry.push('\n');
    }
    Ok(text)
}

/// What was discussed about each project: its threads' titles and posts.
fn project_discussions(
    conn: &mut DbConnection,
    project_ids: &[i32],
) -> AppResult<HashMap<i32, String>> {
    use crate::db::schema::threads;
    let keys: Vec<String> = project_ids.iter().map(i32::to_string).collect();
    let rows: Vec<(i32, String, String)> = threads::table
        .filter(threads::about_kind.eq("project"))
        .filter(threads::about_key.eq_any(&keys))
        .select((threads::id, threads::about_key, threads::title))
        .load(conn)?;
    let texts = discussion_text(conn, &rows.iter().map(|r| r.0).collect::<Vec<_>>())?;
    let mut by_project: HashMap<i32, String> = HashMap::new();
    for (thread, key, title) in rows {
        if let Ok(project) = key.parse::<i32>() {
            let entry = by_project.entry(project).or_default();
            entry.push_str(&title);
            entry.push('\n');
            entry.push_str(texts.get(&thread).map_or("", String::as_str));
        }
    }
    Ok(by_project)
}

struct ProjectSource;

impl DocumentSource for ProjectSource {
    fn kind(&self) -> DocKind {
        DocKind::Project
    }

    fn all_ids(&self, conn: &mut DbConnection) -> AppResult<Vec<i32>> {
        Project::all_ids(conn)
    }

    fn load(&self, conn: &mut DbConnection, ids: &[i32]) -> AppResult<Vec<SearchDoc>> {
        let projects = Project::by_ids(conn, ids)?;
        let cities = CityRef::for_projects(conn, &projects)?;
        let mut discussed = project_discussions(conn, ids)?;
        Ok(projects
            .into_iter()
            .filter_map(|p| {
                let city = cities.get(&p.city_id)?.clone();
                let theme_name = p.theme.name();
                let currency = DocCurrency {
                    as_of: crate::projects::currency::as_of(&p),
                    archived: p.archived_at.is_some(),
                };
                Some(SearchDoc {
                    kind: DocKind::Project,
                    currency: Some(currency),
                    id: p.id,
                    url: crate::projects::view::project_url(p.id),
                    // What was discussed about it places it too, with less weight.
                    context: format!(
                        "{} {theme_name}\n{}",
                        city.name,
                        discussed.remove(&p.id).unwrap_or_default()
                    ),
                    title: p.title,
                    // What the city learned and with whom is as findable as what it did.
                    body: [p.description, p.lessons, p.partners]
                        .into_iter()
                        .filter(|part| !part.is_empty())
                        .collect::<Vec<_>>()
                        .join("\n\n"),
                    city: Some(city),
                    theme: Some(p.theme.slug().to_owned()),
                    stage: Some(p.stage.slug().to_owned()),
                    source_ref: p.source_ref,
                })
            })
            .collect())
    }
}

struct CitySource;

impl DocumentSource for CitySource {
    fn kind(&self) -> DocKind {
        DocKind::City
    }

    fn all_ids(&self, conn: &mut DbConnection) -> AppResult<Vec<i32>> {
        Ok(City::all(conn)?.into_iter().map(|c| c.id).collect())
    }

    fn load(&self, conn: &mut DbConnection, ids: &[i32]) -> AppResult<Vec<SearchDoc>> {
        let mut docs = Vec::new();
        for city in City::all(conn)?.into_iter().filter(|c| ids.contains(&c.id)) {
            let programmes: Vec<String> =
                city.programmes(conn)?.into_iter().map(|p| p.name).collect();
            let body = [city.notes.as_deref().unwrap_or(""), &programmes.join(", ")].join("\n");
            docs.push(SearchDoc {
                kind: DocKind::City,
                currency: None,
                id: city.id,
                url: crate::cities::view::city_url(&city.slug),
                title: city.name.clone(),
                body,
                context: city.province.clone(),
                city: Some(city.reference()),
                theme: None,
                stage: None,
                source_ref: None,
            });
        }
        Ok(docs)
    }
}

struct ThreadSource;

impl DocumentSource for ThreadSource {
    fn kind(&self) -> DocKind {
        DocKind::Thread
    }

    fn all_ids(&self, conn: &mut DbConnection) -> AppResult<Vec<i32>> {
        use crate::db::schema::threads;
        Ok(threads::table
            .order(threads::id)
            .select(threads::id)
            .load(conn)?)
    }

    fn load(&self, conn: &mut DbConnection, ids: &[i32]) -> AppResult<Vec<SearchDoc>> {
        use crate::db::schema::threads;
        use crate::forum::model::Thread;
        let rows: Vec<Thread> = threads::table
            .filter(threads::id.eq_any(ids))
            .order(threads::id)
            .select(Thread::as_select())
            .load(conn)?;
        let mut texts = discussion_text(conn, ids)?;
        let cities = CityRef::by_ids(conn, rows.iter().filter_map(|t| t.city_id).collect())?;
        Ok(rows
            .into_iter()
            .map(|t| {
                let city = t.city_id.and_then(|c| cities.get(&c).cloned());
                let theme_name = t
                    .theme
                    .as_deref()
                    .and_then(crate::themes::Theme::parse)
                    .map(|th| th.name())
                    .unwrap_or_default();
                SearchDoc {
                    kind: DocKind::Thread,
                    currency: None,
                    id: t.id,
                    url: crate::forum::view::thread_url(t.id),
                    context: format!(
                        "{} {theme_name}",
                        city.as_ref().map_or("", |c| c.name.as_str())
                    ),
                    body: texts.remove(&t.id).unwrap_or_default(),
                    title: t.title,
                    city,
                    theme: t.theme,
                    stage: None,
                    source_ref: None,
                }
            })
            .collect())
    }
}

struct PoolSource;

impl DocumentSource for PoolSource {
    fn kind(&self) -> DocKind {
        DocKind::Pool
    }

    fn all_ids(&self, conn: &mut DbConnection) -> AppResult<Vec<i32>> {
        use crate::db::schema::pools;
        Ok(pools::table.order(pools::id).select(pools::id).load(conn)?)
    }

    fn load(&self, conn: &mut DbConnection, ids: &[i32]) -> AppResult<Vec<SearchDoc>> {
        use crate::db::schema::pools;
        let rows: Vec<(i32, String, String, String)> = pools::table
            .filter(pools::id.eq_any(ids))
            .order(pools::id)
            .select((pools::id, pools::slug, pools::name, pools::description))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(id, slug, name, description)| SearchDoc {
                kind: DocKind::Pool,
                currency: None,
                id,
                url: format!("/expertisepools/{slug}"),
                title: name,
                body: description,
                context: String::new(),
                city: None,
                theme: None,
                stage: None,
                source_ref: None,
            })
            .collect())
    }
}

struct ToolkitSource;

impl DocumentSource for ToolkitSource {
    fn kind(&self) -> DocKind {
        DocKind::Toolkit
    }

    fn all_ids(&self, conn: &mut DbConnection) -> AppResult<Vec<i32>> {
        use crate::db::schema::toolkits;
        Ok(toolkits::table
            .order(toolkits::id)
            .select(toolkits::id)
            .load(conn)?)
    }

    /// A toolkit's title, summary and text, with the text of its attachments.
    fn load(&self, conn: &mut DbConnection, ids: &[i32]) -> AppResult<Vec<SearchDoc>> {
        use crate::db::schema::{attachments, pools, toolkits};
        let rows: Vec<(i32, String, String, String, String, String, String)> = toolkits::table
            .inner_join(pools::table)
            .filter(toolkits::id.eq_any(ids))
            .order(toolkits::id)
            .select((
                toolkits::id,
                toolkits::title,
                toolkits::summary,
                toolkits::body,
                toolkits::themes,
                toolkits::tags,
                pools::name,
            ))
            .load(conn)?;
        let texts: Vec<(i32, Option<String>)> = attachments::table
            .filter(attachments::toolkit_id.eq_any(ids))
            .select((attachments::toolkit_id, attachments::extracted_text))
            .load(conn)?;
        let mut attached: HashMap<i32, String> = HashMap::new();
        for (toolkit, text) in texts {
            if let Some(text) = text {
                let entry = attached.entry(toolkit).or_default();
                entry.push_str(&text);
                entry.push('\n');
            }
        }
        Ok(rows
            .into_iter()
            .map(|(id, title, summary, body, themes, tags, pool)| {
                let theme = themes.split_whitespace().next().map(str::to_owned);
                SearchDoc {
                    kind: DocKind::Toolkit,
                    currency: None,
                    id,
                    url: format!("/toolkits/{id}"),
                    title,
                    body: format!(
                        "{summary}\n\n{}\n\n{}",
                        crate::forum::markdown::plain_text(&body),
                        attached.remove(&id).unwrap_or_default()
                    ),
                    context: format!("{pool} {tags}"),
                    city: None,
                    theme,
                    stage: None,
                    source_ref: None,
                }
            })
            .collect())
    }
}
