//! The end of a project: a city archives it — stopped, or merged into another project —
//! with why and what it learned, instead of deleting it. Archived projects stay findable
//! and marked; the city can reopen one. Every step is a revision and a change-log entry.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::edit::{editable, titled};
use super::model::{confirmation, Confirmation, Project, Stage};
use super::view::project_url;
use crate::changes::{self, Kind, Operation};
use crate::db::schema::projects;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::revisions::{self, FieldChange};
use crate::web::forms::{see_other, texts, Field, FormView, Screen};
use crate::web::render::PageRequest;
use crate::web::AppState;

const MAX_NOTE: usize = 5_000;
const MAX_LESSONS: usize = 20_000;

crate::slug_enum! {
    /// Why a project ended.
    pub enum Ending ("ending", "invalid_ending") {
        Stopped = "stopped",
        Merged = "merged",
    }
}

/// How an archived project is shown.
#[derive(Serialize, Clone, Debug)]
pub struct Archived {
    pub on: NaiveDate,
    /// `stopped` or `merged`.
    pub why: String,
    pub note: String,
    /// The page of the project it continues in, when merged.
    pub merged_into: Option<String>,
}

impl Archived {
    pub fn of(project: &Project) -> Option<Self> {
        project.archived_at.map(|at| Archived {
            on: at.date(),
            why: project.archived_why.clone(),
            note: project.archive_note.clone(),
            merged_into: project.merged_into.map(project_url),
        })
    }
}

/// A validated decision to archive.
#[derive(Clone, Debug)]
pub struct ArchiveDecision {
    pub why: Ending,
    pub note: String,
    pub lessons: String,
    pub merged_into: Option<i32>,
}

/// Archives project `id` for `user_id`: stopped projects also take the stage "stopped".
/// The lessons replace the project's; all in one transaction with its revision.
pub fn archive(
    conn: &mut DbConnection,
    id: i32,
    user_id: i32,
    end: &ArchiveDecision,
) -> AppResult<()> {
    crate::db::write_transaction(conn, |conn| {
        let current = Project::find(conn, id)?;
        if current.archived_at.is_some() {
            return Err(AppError::Conflict {
                message: "this project is already archived".into(),
            });
        }
        let stage = match end.why {
            Ending::Stopped => Stage::Stopped,
            Ending::Merged => current.stage,
        };
        let now = Utc::now().naive_utc();
        diesel::update(projects::table.find(id))
            .set((
                projects::archived_at.eq(Some(now)),
                projects::archived_why.eq(end.why.slug()),
                projects::archive_note.eq(&end.note),
                projects::merged_into.eq(end.merged_into),
                projects::lessons.eq(&end.lessons),
                projects::stage.eq(stage),
                projects::updated_at.eq(now),
                confirmation(conn, current.city_id, user_id, Confirmation::Edited, now)?,
            ))
            .execute(conn)?;
        let mut changed = vec![
            change("archived", "", end.why.slug()),
            change("archive_note", "", &end.note),
        ];
        if stage != current.stage {
            changed.push(change("stage", current.stage.slug(), stage.slug()));
        }
        if end.lessons != current.lessons {
            changed.push(change("lessons", &current.lessons, &end.lessons));
        }
        revisions::record(conn, Kind::Project, id, Some(user_id), &changed, "")?;
        changes::record(conn, Kind::Project, id, Operation::Update)?;
        Ok(())
    })
}

/// Takes project `id` out of the archive; its stage and lessons stay as they are.
pub fn reopen(conn: &mut DbConnection, id: i32, user_id: i32) -> AppResult<()> {
    crate::db::write_transaction(conn, |conn| {
        let current = Project::find(conn, id)?;
        if current.archived_at.is_none() {
            return Err(AppError::Conflict {
                message: "this project is not archived".into(),
            });
        }
        let now = Utc::now().naive_utc();
        diesel::update(projects::table.find(id))
            .set((
                projects::archived_at.eq(None::<chrono::NaiveDateTime>),
                projects::archived_why.eq(""),
                projects::archive_note.eq(""),
                projects::merged_into.eq(None::<i32>),
                projects::updated_at.eq(now),
                confirmation(conn, current.city_id, user_id, Confirmation::Edited, now)?,
            ))
            .execute(conn)?;
        let changed = [change("archived", &current.archived_why, "")];
        revisions::record(conn, Kind::Project, id, Some(user_id), &changed, "")?;
        changes::record(conn, Kind::Project, id, Operation::Update)?;
        Ok(())
    })
}

fn change(field: &str, from: &str, to: &str) -> FieldChange {
    FieldChange {
        field: field.to_owned(),
        from: from.to_owned(),
        to: to.to_owned(),
    }
}

/// The archive form as posted; every field optional so a missing one is a message.
#[derive(Deserialize, Default)]
pub struct ArchiveInput {
    #[serde(default)]
    why: String,
    #[serde(default)]
    merged_into: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    lessons: String,
}

/// The other projects of its city, that it can be merged into.
async fn merge_targets(state: &AppState, project: &Project) -> AppResult<Vec<(String, String)>> {
    let (city_id, id) = (project.city_id, project.id);
    let titles = state
        .db
        .run(move |conn| Project::titles_of_city(conn, city_id))
        .await?;
    Ok(titles
        .into_iter()
        .filter(|(other, _)| *other != id)
        .map(|(other, title)| (other.to_string(), title))
        .collect())
}

fn archive_form(
    t: &impl Fn(&str) -> String,
    csrf: &str,
    id: i32,
    input: &ArchiveInput,
    targets: Vec<(String, String)>,
) -> FormView {
    let endings =
        Ending::ALL.map(|e| (e.slug().to_owned(), t(&format!("archive.why.{}", e.slug()))));
    let mut merge_options = vec![(String::new(), t("archive.merged_into_none"))];
    merge_options.extend(targets);
    FormView::new(
        format!("/projecten/{id}/archiveren"),
        t("archive.submit"),
        csrf,
    )
    .field(
        Field::new("select", "why", t("archive.field.why"))
            .value(&input.why)
            .options(endings)
            .required(),
    )
    .field(
        Field::new("select", "merged_into", t("archive.field.merged_into"))
            .value(&input.merged_into)
            .options(merge_options)
            .options_in("nl")
            .hint(t("archive.hint.merged_into")),
    )
    .field(
        Field::new("textarea", "note", t("archive.field.note"))
            .value(&input.note)
            .hint(t("archive.hint.note"))
            .required(),
    )
    .field(
        Field::new("textarea", "lessons", t("edit.field.lessons"))
            .value(&input.lessons)
            .hint(t("archive.hint.lessons")),
    )
}

/// Validates the input, putting each complaint under its field in `view`.
fn validate(
    t: &impl Fn(&str) -> String,
    input: &ArchiveInput,
    targets: &[(String, String)],
    view: &mut FormView,
) -> Option<ArchiveDecision> {
    let why = Ending::parse(&input.why);
    if why.is_none() {
        view.field_error("why", t("archive.why_invalid"));
    }
    let merged_into = match input.merged_into.trim() {
        "" => None,
        raw if targets.iter().any(|(id, _)| id == raw) => raw.parse().ok(),
        _ => {
            view.field_error("merged_into", t("archive.merged_into_invalid"));
            None
        }
    };
    if why == Some(Ending::Merged) && merged_into.is_none() && input.merged_into.trim().is_empty() {
        view.field_error("merged_into", t("archive.merged_into_missing"));
    }
    let note = input.note.trim().to_owned();
    if note.is_empty() || note.chars().count() > MAX_NOTE {
        view.field_error("note", t("archive.note_invalid"));
    }
    let lessons = input.lessons.trim().to_owned();
    if lessons.chars().count() > MAX_LESSONS {
        view.field_error("lessons", t("edit.lessons_too_long"));
    }
    Some(ArchiveDecision {
        why: why?,
        note,
        lessons,
        merged_into: merged_into.filter(|_| why == Some(Ending::Merged)),
    })
}

/// `GET /projecten/{id}/archiveren`
pub async fn show_form(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    let id = super::parse_id(&id)?;
    let project = editable(&state, &page, id).await?;
    let input = ArchiveInput {
        lessons: project.lessons.clone(),
        ..ArchiveInput::default()
    };
    let targets = merge_targets(&state, &project).await?;
    let form = archive_form(&t, &page.visitor.csrf, id, &input, targets);
    Screen::default().text(t("archive.lead")).form(form).render(
        &state,
        &page,
        StatusCode::OK,
        &titled(&state, &page, "archive.title", &project),
    )
}

/// `POST /projecten/{id}/archiveren`
pub async fn submit(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
    crate::auth::csrf::Form(input): crate::auth::csrf::Form<ArchiveInput>,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    let id = super::parse_id(&id)?;
    let project = editable(&state, &page, id).await?;
    let user_id = page.visitor.signed_in()?.id;
    let targets = merge_targets(&state, &project).await?;
    let mut form = archive_form(&t, &page.visitor.csrf, id, &input, targets.clone());
    let end = validate(&t, &input, &targets, &mut form);
    let end = match end {
        Some(end) if !form.has_errors() => end,
        _ => {
            return Screen::default().text(t("archive.lead")).form(form).render(
                &state,
                &page,
                StatusCode::BAD_REQUEST,
                &titled(&state, &page, "archive.title", &project),
            )
        }
    };
    state
        .db
        .run(move |conn| archive(conn, id, user_id, &end))
        .await?;
    state.committed(crate::jobs::Signal::Changes);
    Ok(see_other(&project_url(id)))
}

/// `POST /projecten/{id}/heropenen`
pub async fn submit_reopen(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
    crate::auth::csrf::Form(_): crate::auth::csrf::Form<crate::web::forms::EmptyForm>,
) -> AppResult<HttpResponse> {
    let id = super::parse_id(&id)?;
    editable(&state, &page, id).await?;
    let user_id = page.visitor.signed_in()?.id;
    state.db.run(move |conn| reopen(conn, id, user_id)).await?;
    state.committed(crate::jobs::Signal::Changes);
    Ok(see_other(&project_url(id)))
}
