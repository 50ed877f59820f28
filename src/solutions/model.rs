//! Solution rows and project links, and every write to them: the catalogue seeded on
//! first start, suggestions kept in step with a project's text in the same transaction
//! as its save, and editors' decisions (with their history), which suggestions never
//! overwrite.

use std::collections::HashMap;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use super::catalogue::{self, Linker, SolutionKind, COUNTS_FROM};
use crate::changes::{self, Kind, Operation};
use crate::db::schema::{project_solution_events, project_solutions, projects, solutions, users};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::projects::model::{DescriptionOrigin, Project};
use crate::search::thesaurus::Thesaurus;
use crate::themes::Theme;

crate::slug_enum! {
    /// Where a project's link to a solution stands.
    pub enum LinkStatus ("link status", "invalid_status") {
        Suggested = "suggested",
        Confirmed = "confirmed",
        Rejected = "rejected",
    }
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = solutions)]
pub struct Solution {
    pub id: i32,
    pub slug: String,
    pub kind: SolutionKind,
    pub name: String,
    pub name_en: String,
    pub description: String,
    pub description_en: String,
    pub themes: String,
    pub terms: String,
    pub setting: bool,
    pub created_at: NaiveDateTime,
}

impl Solution {
    pub fn themes(&self) -> Vec<Theme> {
        self.themes
            .split_whitespace()
            .filter_map(Theme::parse)
            .collect()
    }

    pub fn all(conn: &mut DbConnection) -> AppResult<Vec<Solution>> {
        Ok(solutions::table
            .order(solutions::name)
            .select(Solution::as_select())
            .load(conn)?)
    }

    pub fn find_by_slug(conn: &mut DbConnection, slug: &str) -> AppResult<Solution> {
        solutions::table
            .filter(solutions::slug.eq(slug))
            .select(Solution::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found(format!("solution {slug}")))
    }
}

/// A project's link to a solution, with the solution.
#[derive(Clone, Debug)]
pub struct Link {
    pub solution: Solution,
    pub status: LinkStatus,
    pub confidence: f64,
}

impl Link {
    /// Whether the link is evidence: confirmed, or suggested with enough confidence.
    pub fn counts(&self) -> bool {
        counts(self.status, self.confidence)
    }
}

fn counts(status: LinkStatus, confidence: f64) -> bool {
    match status {
        LinkStatus::Confirmed => true,
        LinkStatus::Suggested => confidence >= COUNTS_FROM,
        LinkStatus::Rejected => false,
    }
}

/// A counting link as matchmaking and the API see it.
#[derive(Clone, Debug)]
pub struct CountingLink {
    pub slug: String,
    pub name: String,
    pub confirmed: bool,
    pub confidence: f64,
}

/// One decision in a link's history.
#[derive(Queryable, Clone, Debug)]
pub struct Decision {
    pub solution_name: String,
    pub status: LinkStatus,
    pub user_name: Option<String>,
    pub at: NaiveDateTime,
}

/// Makes the shipped catalogue once, on a database without solutions, and suggests
/// solutions for every project. Returns how many solutions it made.
pub fn seed(conn: &mut DbConnection) -> AppResult<usize> {
    let existing: i64 = solutions::table.count().get_result(conn)?;
    if existing > 0 {
        return Ok(0);
    }
    let entries = catalogue::parse(catalogue::SHIPPED);
    crate::db::write_transaction(conn, |conn| {
        let now = Utc::now().naive_utc();
        for entry in &entries {
            diesel::insert_into(solutions::table)
                .values((
                    solutions::slug.eq(&entry.slug),
                    solutions::kind.eq(entry.kind),
                    solutions::name.eq(&entry.name),
                    solutions::name_en.eq(&entry.name_en),
                    solutions::description.eq(&entry.description),
                    solutions::description_en.eq(&entry.description_en),
                    solutions::themes.eq(crate::pools::model::store_themes(&entry.themes)),
                    solutions::terms.eq(&entry.terms),
                    solutions::setting.eq(entry.setting),
                    solutions::created_at.eq(now),
                ))
                .execute(conn)?;
        }
        let suggester = Suggester::load(conn)?;
        for id in Project::all_ids(conn)? {
            suggester.suggest(conn, id)?;
        }
        Ok(entries.len())
    })
}

/// Brings a project's suggestions in step with its text: call inside the transaction
/// that saves it. Decided links (confirmed, rejected) stay as the editors left them.
pub fn suggest_for(conn: &mut DbConnection, project_id: i32) -> AppResult<()> {
    Suggester::load(conn)?.suggest(conn, project_id)
}

/// The catalogue as stored, read once for any number of projects ([`suggest_for`] one
/// at a time; an import or the first start many).
pub struct Suggester {
    linker: Linker,
    ids: HashMap<String, i32>,
}

impl Suggester {
    pub fn load(conn: &mut DbConnection) -> AppResult<Self> {
        let rows: Vec<(i32, String, String, bool)> = solutions::table
            .select((
                solutions::id,
                solutions::slug,
                solutions::terms,
                solutions::setting,
            ))
            .load(conn)?;
        Ok(Suggester {
            linker: Linker::new(
                rows.iter()
                    .map(|(_, slug, terms, setting)| (slug.as_str(), terms.as_str(), *setting)),
                &Thesaurus::shared(),
            ),
            ids: rows
                .iter()
                .map(|(id, slug, _, _)| (slug.clone(), *id))
                .collect(),
        })
    }

    /// [`suggest_for`] with this catalogue.
    pub fn suggest(&self, conn: &mut DbConnection, project_id: i32) -> AppResult<()> {
        let project = Project::find(conn, project_id)?;
        // A name-only import's description is the report's boilerplate, not the project.
        let found = match project.description_origin {
            DescriptionOrigin::NameOnly => self.linker.suggest_from_name(&project.title),
            _ => self.linker.suggest(&project.title, &project.description),
        };
        diesel::delete(
            project_solutions::table
                .filter(project_solutions::project_id.eq(project_id))
                .filter(project_solutions::status.eq(LinkStatus::Suggested)),
        )
        .execute(conn)?;
        if found.is_empty() {
            return Ok(());
        }
        let decided: Vec<i32> = project_solutions::table
            .filter(project_solutions::project_id.eq(project_id))
            .select(project_solutions::solution_id)
            .load(conn)?;
        for (slug, confidence) in found {
            let Some(&solution_id) = self.ids.get(&slug) else {
                continue;
            };
            if decided.contains(&solution_id) {
                continue;
            }
            diesel::insert_into(project_solutions::table)
                .values((
                    project_solutions::project_id.eq(project_id),
                    project_solutions::solution_id.eq(solution_id),
                    project_solutions::status.eq(LinkStatus::Suggested),
                    project_solutions::confidence.eq(confidence),
                ))
                .execute(conn)?;
        }
        Ok(())
    }
}

/// Records an editor's decision on a project's link (confirming one nobody suggested
/// adds it), with its history entry and a change-log entry so matchmaking and search
/// take it in.
pub fn decide(
    conn: &mut DbConnection,
    project_id: i32,
    solution_id: i32,
    status: LinkStatus,
    user_id: i32,
) -> AppResult<()> {
    crate::db::write_transaction(conn, |conn| {
        let now = Utc::now().naive_utc();
        let updated = diesel::update(project_solutions::table.find((project_id, solution_id)))
            .set((
                project_solutions::status.eq(status),
                project_solutions::decided_by.eq(user_id),
                project_solutions::decided_at.eq(now),
            ))
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(project_solutions::table)
                .values((
                    project_solutions::project_id.eq(project_id),
                    project_solutions::solution_id.eq(solution_id),
                    project_solutions::status.eq(status),
                    project_solutions::confidence.eq(1.0),
                    project_solutions::decided_by.eq(user_id),
                    project_solutions::decided_at.eq(now),
                ))
                .execute(conn)?;
        }
        diesel::insert_into(project_solution_events::table)
            .values((
                project_solution_events::project_id.eq(project_id),
                project_solution_events::solution_id.eq(solution_id),
                project_solution_events::user_id.eq(user_id),
                project_solution_events::status.eq(status),
                project_solution_events::created_at.eq(now),
            ))
            .execute(conn)?;
        changes::record(conn, Kind::Project, project_id, Operation::Update)
    })
}

/// Every link of a project (also the low-confidence and rejected ones, for editors),
/// most certain first.
pub fn links_of(conn: &mut DbConnection, project_id: i32) -> AppResult<Vec<Link>> {
    let rows: Vec<(Solution, LinkStatus, f64)> = project_solutions::table
        .inner_join(solutions::table)
        .filter(project_solutions::project_id.eq(project_id))
        .select((
            Solution::as_select(),
            project_solutions::status,
            project_solutions::confidence,
        ))
        .load(conn)?;
    let mut links: Vec<Link> = rows
        .into_iter()
        .map(|(solution, status, confidence)| Link {
            solution,
            status,
            confidence,
        })
        .collect();
    links.sort_by(|a, b| {
        (a.status != LinkStatus::Confirmed)
            .cmp(&(b.status != LinkStatus::Confirmed))
            .then(b.confidence.total_cmp(&a.confidence))
            .then_with(|| a.solution.name.cmp(&b.solution.name))
    });
    Ok(links)
}

/// The counting links of many projects, by project id.
pub fn counting_links(
    conn: &mut DbConnection,
    project_ids: &[i32],
) -> AppResult<HashMap<i32, Vec<CountingLink>>> {
    let mut by_project: HashMap<i32, Vec<CountingLink>> = HashMap::new();
    for chunk in project_ids.chunks(500) {
        let rows: Vec<(i32, String, String, LinkStatus, f64)> = project_solutions::table
            .inner_join(solutions::table)
            .filter(project_solutions::project_id.eq_any(chunk))
            .filter(project_solutions::status.ne(LinkStatus::Rejected))
            .order((project_solutions::project_id, solutions::slug))
            .select((
                project_solutions::project_id,
                solutions::slug,
                solutions::name,
                project_solutions::status,
                project_solutions::confidence,
            ))
            .load(conn)?;
        for (project_id, slug, name, status, confidence) in rows {
            if counts(status, confidence) {
                by_project
                    .entry(project_id)
                    .or_default()
                    .push(CountingLink {
                        slug,
                        name,
                        confirmed: status == LinkStatus::Confirmed,
                        confidence,
                    });
            }
        }
    }
    Ok(by_project)
}

/// Every solution's name in both languages, by slug.
pub fn names(conn: &mut DbConnection) -> AppResult<HashMap<String, crate::web::i18n::Bilingual>> {
    let rows: Vec<(String, String, String)> = solutions::table
        .select((solutions::slug, solutions::name, solutions::name_en))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(slug, nl, en)| (slug, crate::web::i18n::Bilingual { nl, en }))
        .collect())
}

/// The projects each solution counts (all solutions, or only `solution_id`), with
/// whether their link is confirmed, by solution id: one query for any number.
pub fn members(
    conn: &mut DbConnection,
    solution_id: Option<i32>,
) -> AppResult<HashMap<i32, Vec<(Project, bool)>>> {
    let mut query = project_solutions::table
        .inner_join(projects::table)
        .filter(project_solutions::status.ne(LinkStatus::Rejected))
        .into_boxed();
    if let Some(id) = solution_id {
        query = query.filter(project_solutions::solution_id.eq(id));
    }
    let rows: Vec<(i32, Project, LinkStatus, f64)> = query
        .select((
            project_solutions::solution_id,
            Project::as_select(),
            project_solutions::status,
            project_solutions::confidence,
        ))
        .load(conn)?;
    let mut by_solution: HashMap<i32, Vec<(Project, bool)>> = HashMap::new();
    for (solution, project, status, confidence) in rows {
        if counts(status, confidence) {
            by_solution
                .entry(solution)
                .or_default()
                .push((project, status == LinkStatus::Confirmed));
        }
    }
    Ok(by_solution)
}

/// The decisions taken on a project's links, newest first.
pub fn history(conn: &mut DbConnection, project_id: i32) -> AppResult<Vec<Decision>> {
    Ok(project_solution_events::table
        .inner_join(solutions::table.on(solutions::id.eq(project_solution_events::solution_id)))
        .left_join(users::table)
        .filter(project_solution_events::project_id.eq(project_id))
        .order(project_solution_events::id.desc())
        .select((
            solutions::name,
            project_solution_events::status,
            users::name.nullable(),
            project_solution_events::created_at,
        ))
        .load(conn)?)
}
