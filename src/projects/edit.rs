//! Cities keep their own projects current: members create projects and edit their own,
//! city editors edit all of their city's (imported ones included), as the policy in
//! `auth::policy` decides. Each saved edit records who changed which fields in the
//! project's history, and queues the project for search and matchmaking in the same
//! transaction, so both follow without a restart.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::model::{Project, Stage};
use super::view::project_url;
use crate::accounts::model::normalize_email;
use crate::auth::policy::authorize;
use crate::auth::{Action, SessionUser};
use crate::changes::{Kind, Operation};
use crate::cities::model::City;
use crate::db::schema::{project_revisions, projects, users};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::themes::Theme;
use crate::web::forms::{see_other, texts};
use crate::web::forms::{Field, FormView, Screen};
use crate::web::render::PageRequest;
use crate::web::AppState;

const MAX_TITLE: usize = 200;
const MAX_TEXT: usize = 20_000;
const MAX_LINE: usize = 500;
const MAX_LINES: usize = 30;

/// The editable fields, validated; inserted and updated as one changeset.
#[derive(Clone, Debug, Default, PartialEq, Eq, Insertable, AsChangeset)]
#[diesel(table_name = projects)]
struct Fields {
    title: String,
    description: String,
    theme: String,
    stage: String,
    lessons: String,
    partners: String,
    contact_name: String,
    contact_email: String,
    links: String,
}

impl Fields {
    fn of(p: &Project) -> Self {
        Fields {
            title: p.title.clone(),
            description: p.description.clone(),
            theme: p.theme.clone(),
            stage: p.stage.clone(),
            lessons: p.lessons.clone(),
            partners: p.partners.clone(),
            contact_name: p.contact_name.clone(),
            contact_email: p.contact_email.clone(),
            links: p.links.clone(),
        }
    }

    fn named(&self) -> [(&'static str, &str); 9] {
        [
            ("title", &self.title),
            ("description", &self.description),
            ("theme", &self.theme),
            ("stage", &self.stage),
            ("lessons", &self.lessons),
            ("partners", &self.partners),
            ("contact_name", &self.contact_name),
            ("contact_email", &self.contact_email),
            ("links", &self.links),
        ]
    }
}

/// One changed field in the history.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Change {
    pub field: String,
    pub from: String,
    pub to: String,
}

fn changes(old: &Fields, new: &Fields) -> Vec<Change> {
    old.named()
        .into_iter()
        .zip(new.named())
        .filter(|((_, a), (_, b))| a != b)
        .map(|((field, from), (_, to))| Change {
            field: field.to_owned(),
            from: from.to_owned(),
            to: to.to_owned(),
        })
        .collect()
}

/// The form as posted; every field optional so a missing one is a message, not a 400.
#[derive(Deserialize, Default)]
pub struct ProjectInput {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    theme: String,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    lessons: String,
    #[serde(default)]
    partners: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    links: String,
    /// The `updated_at` the form was made from, so a concurrent save is noticed.
    #[serde(default)]
    version: String,
}

impl ProjectInput {
    fn from_fields(f: Fields, version: String) -> Self {
        ProjectInput {
            title: f.title,
            description: f.description,
            theme: f.theme,
            stage: f.stage,
            lessons: f.lessons,
            partners: f.partners,
            contact_name: f.contact_name,
            contact_email: f.contact_email,
            links: f.links,
            version,
        }
    }
}

/// Trims each line and drops empty ones.
fn lines(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Validates the input, putting each complaint under its field in `view`.
fn validate(t: &impl Fn(&str) -> String, input: &ProjectInput, view: &mut FormView) -> Fields {
    let title = input.title.trim().to_owned();
    if title.is_empty() || title.chars().count() > MAX_TITLE {
        view.field_error("title", t("edit.title_invalid"));
    }
    let description = input.description.trim().to_owned();
    if description.is_empty() || description.chars().count() > MAX_TEXT {
        view.field_error("description", t("edit.description_invalid"));
    }
    if input.theme.parse::<Theme>().is_err() {
        view.field_error("theme", t("edit.theme_invalid"));
    }
    if input.stage.parse::<Stage>().is_err() {
        view.field_error("stage", t("edit.stage_invalid"));
    }
    let lessons = input.lessons.trim().to_owned();
    if lessons.chars().count() > MAX_TEXT {
        view.field_error("lessons", t("edit.too_long"));
    }
    let partners = lines(&input.partners);
    if partners.lines().count() > MAX_LINES || partners.lines().any(|l| l.len() > MAX_LINE) {
        view.field_error("partners", t("edit.too_long"));
    }
    let contact_name = input.contact_name.trim().to_owned();
    if contact_name.chars().count() > MAX_TITLE {
        view.field_error("contact_name", t("edit.too_long"));
    }
    let contact_email = match input.contact_email.trim() {
        "" => String::new(),
        raw => normalize_email(raw).unwrap_or_else(|| {
            view.field_error("contact_email", t("account.email_invalid"));
            raw.to_owned()
        }),
    };
    let links = lines(&input.links);
    let link_ok = |l: &str| {
        (l.starts_with("https://") || l.starts_with("http://"))
            && l.len() <= MAX_LINE
            && !l.contains(char::is_whitespace)
    };
    if links.lines().count() > MAX_LINES || !links.lines().all(link_ok) {
        view.field_error("links", t("edit.links_invalid"));
    }
    Fields {
        title,
        description,
        theme: input.theme.clone(),
        stage: input.stage.clone(),
        lessons,
        partners,
        contact_name,
        contact_email,
        links,
    }
}

fn project_form(
    t: &impl Fn(&str) -> String,
    csrf: &str,
    action: String,
    input: &ProjectInput,
) -> FormView {
    let themes = Theme::ALL.map(|th| (th.slug().to_owned(), t(&format!("theme.{}", th.slug()))));
    let stages = Stage::ALL.map(|s| (s.slug().to_owned(), t(&format!("stage.{}", s.slug()))));
    FormView::new(action, t("edit.save"), csrf)
        .hidden("version", &input.version)
        .field(
            Field::new("text", "title", t("edit.field.title"))
                .value(&input.title)
                .required(),
        )
        .field(
            Field::new("textarea", "description", t("edit.field.description"))
                .value(&input.description)
                .required(),
        )
        .field(
            Field::new("select", "theme", t("edit.field.theme"))
                .value(&input.theme)
                .options(themes)
                .required(),
        )
        .field(
            Field::new("select", "stage", t("edit.field.stage"))
                .value(&input.stage)
                .options(stages)
                .hint(t("edit.hint.stage"))
                .required(),
        )
        .field(
            Field::new("textarea", "lessons", t("edit.field.lessons"))
                .value(&input.lessons)
                .hint(t("edit.hint.lessons")),
        )
        .field(
            Field::new("textarea", "partners", t("edit.field.partners"))
                .value(&input.partners)
                .hint(t("edit.hint.one_per_line")),
        )
        .field(
            Field::new("text", "contact_name", t("edit.field.contact_name"))
                .value(&input.contact_name),
        )
        .field(
            Field::new("email", "contact_email", t("edit.field.contact_email"))
                .value(&input.contact_email),
        )
        .field(
            Field::new("textarea", "links", t("edit.field.links"))
                .value(&input.links)
                .hint(t("edit.hint.links")),
        )
}

fn version_of(p: &Project) -> String {
    p.updated_at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// Writes the history row and queues the project for search and matchmaking; call in the
/// transaction of the change.
fn record(
    conn: &mut DbConnection,
    project_id: i32,
    user_id: i32,
    changes: &[Change],
    operation: Operation,
) -> AppResult<()> {
    let json =
        serde_json::to_string(changes).map_err(|e| AppError::Internal(format!("history: {e}")))?;
    diesel::insert_into(project_revisions::table)
        .values((
            project_revisions::project_id.eq(project_id),
            project_revisions::user_id.eq(user_id),
            project_revisions::created_at.eq(Utc::now().naive_utc()),
            project_revisions::changes.eq(json),
        ))
        .execute(conn)?;
    crate::changes::record(conn, Kind::Project, project_id, operation)
}

fn form_page(
    state: &AppState,
    page: &PageRequest,
    status: StatusCode,
    title: &str,
    lead: String,
    form: FormView,
) -> AppResult<HttpResponse> {
    Screen::default()
        .text(lead)
        .form(form)
        .render(state, page, status, title)
}

/// The member's own city, where their new projects belong; never taken from the form.
/// Someone without a city (an administrator, say) has nowhere to put one.
fn own_city(page: &PageRequest) -> AppResult<i32> {
    let user: &SessionUser = page.visitor.signed_in()?;
    user.city_id
        .ok_or_else(|| AppError::forbidden("join a city first; new projects belong to your city"))
}

pub async fn show_new(state: web::Data<AppState>, page: PageRequest) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    let city_id = own_city(&page)?;
    authorize(&page.visitor, Action::CreateProject { city_id })?;
    let input = ProjectInput {
        stage: Stage::Idea.slug().into(),
        ..ProjectInput::default()
    };
    let form = project_form(&t, &page.visitor.csrf, "/projecten/nieuw".into(), &input);
    form_page(
        &state,
        &page,
        StatusCode::OK,
        &t("edit.new_title"),
        t("edit.new_lead"),
        form,
    )
}

pub async fn create(
    state: web::Data<AppState>,
    page: PageRequest,
    crate::auth::csrf::Form(input): crate::auth::csrf::Form<ProjectInput>,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    let city_id = own_city(&page)?;
    let user_id = authorize(&page.visitor, Action::CreateProject { city_id })?.id;
    let mut view = project_form(&t, &page.visitor.csrf, "/projecten/nieuw".into(), &input);
    let fields = validate(&t, &input, &mut view);
    if view.has_errors() {
        return form_page(
            &state,
            &page,
            StatusCode::BAD_REQUEST,
            &t("edit.new_title"),
            t("edit.new_lead"),
            view,
        );
    }
    let id = state
        .db
        .run(move |conn| {
            conn.transaction(|conn| {
                let now = Utc::now().naive_utc();
                let id: i32 = diesel::insert_into(projects::table)
                    .values((
                        &fields,
                        projects::city_id.eq(city_id),
                        projects::description_origin.eq("platform"),
                        projects::created_by.eq(user_id),
                        projects::created_at.eq(now),
                        projects::updated_at.eq(now),
                    ))
                    .returning(projects::id)
                    .get_result(conn)?;
                let created = changes(&Fields::default(), &fields);
                record(conn, id, user_id, &created, Operation::Insert)?;
                Ok(id)
            })
        })
        .await?;
    state.committed(crate::jobs::Signal::Changes);
    Ok(see_other(&project_url(id)))
}

async fn editable(state: &AppState, page: &PageRequest, id: i32) -> AppResult<Project> {
    let project = state.db.run(move |conn| Project::find(conn, id)).await?;
    authorize(
        &page.visitor,
        Action::EditProject {
            city_id: project.city_id,
            created_by: project.created_by,
        },
    )?;
    Ok(project)
}

fn edit_title(state: &AppState, page: &PageRequest, project: &Project) -> String {
    state
        .renderer
        .catalogs()
        .format(page.lang, "edit.edit_title", &[("title", &project.title)])
}

pub async fn show_edit(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    let id = super::parse_id(&id)?;
    let project = editable(&state, &page, id).await?;
    let input = ProjectInput::from_fields(Fields::of(&project), version_of(&project));
    let form = project_form(
        &t,
        &page.visitor.csrf,
        format!("/projecten/{id}/bewerken"),
        &input,
    );
    form_page(
        &state,
        &page,
        StatusCode::OK,
        &edit_title(&state, &page, &project),
        t("edit.edit_lead"),
        form,
    )
}

pub async fn update(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
    crate::auth::csrf::Form(input): crate::auth::csrf::Form<ProjectInput>,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    let id = super::parse_id(&id)?;
    let project = editable(&state, &page, id).await?;
    let user_id = page.visitor.signed_in()?.id;
    let mut view = project_form(
        &t,
        &page.visitor.csrf,
        format!("/projecten/{id}/bewerken"),
        &input,
    );
    let fields = validate(&t, &input, &mut view);
    if view.has_errors() {
        let title = edit_title(&state, &page, &project);
        return form_page(
            &state,
            &page,
            StatusCode::BAD_REQUEST,
            &title,
            t("edit.edit_lead"),
            view,
        );
    }
    let version = input.version.clone();
    // Only an edit form made by this site carries it; without it no conflict can be told.
    if version.is_empty() {
        return Err(AppError::bad_request(
            "invalid_form",
            "the form lacks its version field; open the edit page and send it from there",
        ));
    }
    let submitted = fields.clone();
    let saved_first_by_someone_else = state
        .db
        .run(move |conn| {
            conn.transaction(|conn| {
                // Writing first takes the row (PostgreSQL) or the database (SQLite) for
                // this transaction, so a concurrent save waits and then sees this one.
                diesel::update(projects::table.find(id))
                    .set(projects::id.eq(id))
                    .execute(conn)?;
                let current = Project::find(conn, id)?;
                if version_of(&current) != version {
                    return Ok(Some(current));
                }
                let changed = changes(&Fields::of(&current), &fields);
                if changed.is_empty() {
                    return Ok(None);
                }
                // Text the city wrote itself is no longer "name only" from the report.
                let origin = if fields.description != current.description {
                    "platform".to_owned()
                } else {
                    current.description_origin.clone()
                };
                diesel::update(projects::table.find(id))
                    .set((
                        &fields,
                        projects::description_origin.eq(origin),
                        projects::updated_at.eq(Utc::now().naive_utc()),
                    ))
                    .execute(conn)?;
                record(conn, id, user_id, &changed, Operation::Update)?;
                Ok(None)
            })
        })
        .await?;
    if let Some(current) = saved_first_by_someone_else {
        return conflict_page(&state, &page, input, submitted, &current);
    }
    state.committed(crate::jobs::Signal::Changes);
    Ok(see_other(&project_url(id)))
}

/// Someone saved the project after this form was made. The form comes back with what
/// this user typed, made from the saved version, and each field the two differ in says
/// what is saved now: nothing typed is lost, and sending again saves it knowingly.
fn conflict_page(
    state: &web::Data<AppState>,
    page: &PageRequest,
    mut input: ProjectInput,
    submitted: Fields,
    current: &Project,
) -> AppResult<HttpResponse> {
    let t = texts(state, page);
    input.version = version_of(current);
    let mut view = project_form(
        &t,
        &page.visitor.csrf,
        format!("/projecten/{}/bewerken", current.id),
        &input,
    )
    .error(Some(t("edit.conflict")));
    for change in changes(&Fields::of(current), &submitted) {
        let saved = shown_value(&t, &change.field, &change.from);
        let message = state.renderer.catalogs().format(
            page.lang,
            "edit.conflict_field",
            &[("saved", if saved.is_empty() { "—" } else { &saved })],
        );
        view.field_error(&change.field, message);
    }
    let title = edit_title(state, page, current);
    form_page(
        state,
        page,
        StatusCode::CONFLICT,
        &title,
        t("edit.edit_lead"),
        view,
    )
}

/// A stored field value as people read it: themes and stages by name, long texts
/// shortened.
fn shown_value(t: &impl Fn(&str) -> String, field: &str, value: &str) -> String {
    match field {
        "theme" | "stage" if !value.is_empty() => t(&format!("{field}.{value}")),
        _ => shorten(value),
    }
}

// ---- history ------------------------------------------------------------------

#[derive(Serialize)]
struct HistoryView {
    project: ProjectLink,
    revisions: Vec<RevisionView>,
}

#[derive(Serialize)]
struct ProjectLink {
    title: String,
    url: String,
    city: String,
}

#[derive(Serialize)]
struct RevisionView {
    created_at: String,
    author: String,
    changes: Vec<ChangeView>,
}

#[derive(Serialize)]
struct ChangeView {
    field: String,
    from: String,
    to: String,
}

/// Long texts are shortened in the history; the project page has them whole.
fn shorten(text: &str) -> String {
    const KEEP: usize = 300;
    match text.char_indices().nth(KEEP) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

pub async fn show_history(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    let id = super::parse_id(&id)?;
    let (project, city, revisions) = state
        .db
        .run(move |conn| {
            let project = Project::find(conn, id)?;
            let city = City::find(conn, project.city_id)?;
            let revisions: Vec<(NaiveDateTime, Option<String>, String)> = project_revisions::table
                .left_join(users::table.on(project_revisions::user_id.eq(users::id.nullable())))
                .filter(project_revisions::project_id.eq(id))
                .order(project_revisions::id.desc())
                .select((
                    project_revisions::created_at,
                    users::name.nullable(),
                    project_revisions::changes,
                ))
                .load(conn)?;
            Ok((project, city, revisions))
        })
        .await?;
    let view = HistoryView {
        project: ProjectLink {
            url: project_url(project.id),
            title: project.title.clone(),
            city: city.name,
        },
        revisions: revisions
            .into_iter()
            .map(|(at, author, json)| RevisionView {
                created_at: at.format("%Y-%m-%d %H:%M UTC").to_string(),
                author: author.unwrap_or_else(|| t("history.deleted_account")),
                changes: serde_json::from_str::<Vec<Change>>(&json)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|c| ChangeView {
                        field: t(&format!("edit.field.{}", c.field)),
                        from: shown_value(&t, &c.field, &c.from),
                        to: shown_value(&t, &c.field, &c.to),
                    })
                    .collect(),
            })
            .collect(),
    };
    let title =
        state
            .renderer
            .catalogs()
            .format(page.lang, "history.title", &[("title", &project.title)]);
    state
        .renderer
        .page(&page, "projects/history", &title, &view)
}
