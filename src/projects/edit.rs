//! Cities keep their own projects current: members create projects and edit their own,
//! city editors edit all of their city's (imported ones included), as the policy in
//! `auth::policy` decides. The forms, their validation and the history page live here;
//! saving (with the revision and the change-log entry) is the model's
//! (`Project::create`, `Project::update`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::model::{Project, ProjectChanges, Saved, Stage};
use super::view::project_url;
use crate::accounts::model::normalize_email;
use crate::auth::policy::authorize;
use crate::auth::{Action, SessionUser};
use crate::changes::Kind;
use crate::cities::model::City;
use crate::error::{AppError, AppResult};
use crate::matchmaking::judge::landing;
use crate::matchmaking::Matchmaking;
use crate::revisions;
use crate::themes::Theme;
use crate::web::forms::{see_other, texts};
use crate::web::forms::{Field, FormView, Screen};
use crate::web::render::PageRequest;
use crate::web::AppState;

const MAX_TITLE: usize = 200;
const MAX_TEXT: usize = 20_000;
const MAX_LINE: usize = 500;
const MAX_LINES: usize = 30;

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
    /// The city of a new project, chosen by the programme office (administrators)
    /// only; everyone else's new projects belong to their own city.
    #[serde(default)]
    city: String,
}

impl ProjectInput {
    fn from_fields(f: ProjectChanges, version: String) -> Self {
        ProjectInput {
            title: f.title,
            description: f.description,
            theme: f.theme.slug().to_owned(),
            stage: f.stage.slug().to_owned(),
            lessons: f.lessons,
            partners: f.partners,
            contact_name: f.contact_name,
            contact_email: f.contact_email,
            links: f.links,
            version,
            city: String::new(),
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
fn validate(
    t: &impl Fn(&str) -> String,
    input: &ProjectInput,
    view: &mut FormView,
) -> ProjectChanges {
    let title = input.title.trim().to_owned();
    if title.is_empty() || title.chars().count() > MAX_TITLE {
        view.field_error("title", t("edit.title_invalid"));
    }
    let description = input.description.trim().to_owned();
    if description.is_empty() || description.chars().count() > MAX_TEXT {
        view.field_error("description", t("edit.description_invalid"));
    }
    let theme = Theme::parse(&input.theme).unwrap_or_else(|| {
        view.field_error("theme", t("edit.theme_invalid"));
        Theme::Governance
    });
    let stage = Stage::parse(&input.stage).unwrap_or_else(|| {
        view.field_error("stage", t("edit.stage_invalid"));
        Stage::Idea
    });
    let lessons = input.lessons.trim().to_owned();
    if lessons.chars().count() > MAX_TEXT {
        view.field_error("lessons", t("edit.lessons_too_long"));
    }
    let partners = lines(&input.partners);
    if partners.lines().count() > MAX_LINES || partners.lines().any(|l| l.len() > MAX_LINE) {
        view.field_error("partners", t("edit.partners_too_long"));
    }
    let contact_name = input.contact_name.trim().to_owned();
    if contact_name.chars().count() > MAX_TITLE {
        view.field_error("contact_name", t("edit.contact_name_too_long"));
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
    ProjectChanges {
        title,
        description,
        theme,
        stage,
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
    project_form_for(t, csrf, action, input, None)
}

/// The project form; with `cities` (slug, name), a choice of city first.
fn project_form_for(
    t: &impl Fn(&str) -> String,
    csrf: &str,
    action: String,
    input: &ProjectInput,
    cities: Option<Vec<(String, String)>>,
) -> FormView {
    let themes = Theme::ALL.map(|th| (th.slug().to_owned(), t(&format!("theme.{}", th.slug()))));
    let stages = Stage::ALL.map(|s| (s.slug().to_owned(), t(&format!("stage.{}", s.slug()))));
    FormView::new(action, t("edit.save"), csrf)
        .hidden("version", &input.version)
        .with(|form| match cities {
            Some(cities) => form.field(
                Field::new("select", "city", t("edit.field.city"))
                    .value(&input.city)
                    .options(cities)
                    .hint(t("edit.hint.city"))
                    .required(),
            ),
            None => form,
        })
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

/// Where a new project may go. Members put theirs in their own city (never taken from
/// the form); the programme office (administrators) chooses any city, their own first.
enum NewProjectCity {
    Own(i32),
    Chosen {
        own: Option<String>,
        cities: Vec<(String, String)>,
    },
}

async fn new_project_city(state: &AppState, page: &PageRequest) -> AppResult<NewProjectCity> {
    let user: &SessionUser = page.visitor.signed_in()?;
    if user.is_admin() {
        let cities = state
            .db
            .run(|conn| {
                Ok(City::all(conn)?
                    .into_iter()
                    .map(|c| (c.slug, c.name))
                    .collect())
            })
            .await?;
        return Ok(NewProjectCity::Chosen {
            own: user.city_slug.clone(),
            cities,
        });
    }
    user.city_id.map(NewProjectCity::Own).ok_or_else(|| {
        AppError::forbidden_without_city("join a city first; new projects belong to your city")
    })
}

impl NewProjectCity {
    fn choices(&self) -> Option<Vec<(String, String)>> {
        match self {
            NewProjectCity::Own(_) => None,
            NewProjectCity::Chosen { cities, .. } => Some(cities.clone()),
        }
    }

    /// The city the posted form puts the project in, or a complaint under its field.
    async fn resolve(
        &self,
        state: &AppState,
        t: &impl Fn(&str) -> String,
        chosen: &str,
        view: &mut FormView,
    ) -> AppResult<i32> {
        match self {
            NewProjectCity::Own(id) => Ok(*id),
            NewProjectCity::Chosen { cities, .. } => {
                if !cities.iter().any(|(slug, _)| slug == chosen) {
                    view.field_error("city", t("edit.city_invalid"));
                    return Ok(0);
                }
                let slug = chosen.to_owned();
                state
                    .db
                    .run(move |conn| Ok(City::find_by_slug(conn, &slug)?.id))
                    .await
            }
        }
    }
}

pub async fn show_new(state: web::Data<AppState>, page: PageRequest) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    let target = new_project_city(&state, &page).await?;
    let mut input = ProjectInput {
        stage: Stage::Idea.slug().into(),
        ..ProjectInput::default()
    };
    match &target {
        NewProjectCity::Own(city_id) => {
            authorize(&page.visitor, Action::CreateProject { city_id: *city_id })?;
        }
        NewProjectCity::Chosen { own, .. } => input.city = own.clone().unwrap_or_default(),
    }
    let form = project_form_for(
        &t,
        &page.visitor.csrf,
        "/projecten/nieuw".into(),
        &input,
        target.choices(),
    );
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
    matchmaking: web::Data<Matchmaking>,
    page: PageRequest,
    crate::auth::csrf::Form(input): crate::auth::csrf::Form<ProjectInput>,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    let target = new_project_city(&state, &page).await?;
    let mut view = project_form_for(
        &t,
        &page.visitor.csrf,
        "/projecten/nieuw".into(),
        &input,
        target.choices(),
    );
    let city_id = target.resolve(&state, &t, &input.city, &mut view).await?;
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
    let user_id = authorize(&page.visitor, Action::CreateProject { city_id })?.id;
    let (id, seq) = state
        .db
        .run(move |conn| {
            let id = Project::create(conn, city_id, &fields, user_id)?;
            Ok((id, saved_at(conn)?))
        })
        .await?;
    state.committed(crate::jobs::Signal::Changes);
    Ok(see_other(&landing(&matchmaking, id, seq).await))
}

/// The change-log position a save reached, read after it committed: its own change or
/// a later one, so waiting for it waits for the save.
fn saved_at(conn: &mut crate::db::DbConnection) -> AppResult<i64> {
    crate::changes::head(conn)
}

/// The project, if the visitor may edit it (and so confirm, archive or reopen it).
pub(super) async fn editable(state: &AppState, page: &PageRequest, id: i32) -> AppResult<Project> {
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

/// A page title about `project`: the catalog text `key` with its title filled in.
pub(super) fn titled(state: &AppState, page: &PageRequest, key: &str, project: &Project) -> String {
    state
        .renderer
        .catalogs()
        .format(page.lang, key, &[("title", &project.title)])
}

pub async fn show_edit(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    let id = super::parse_id(&id)?;
    let project = editable(&state, &page, id).await?;
    let input = ProjectInput::from_fields(ProjectChanges::of(&project), project.version());
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
        &titled(&state, &page, "edit.edit_title", &project),
        t("edit.edit_lead"),
        form,
    )
}

pub async fn update(
    state: web::Data<AppState>,
    matchmaking: web::Data<Matchmaking>,
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
        let title = titled(&state, &page, "edit.edit_title", &project);
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
    let (saved, seq) = state
        .db
        .run(move |conn| {
            let saved = Project::update(conn, id, &fields, user_id, &version)?;
            Ok((saved, saved_at(conn)?))
        })
        .await?;
    match saved {
        Saved::Conflict(current) => conflict_page(&state, &page, input, submitted, &current),
        Saved::Unchanged => Ok(see_other(&project_url(id))),
        Saved::Updated => {
            state.committed(crate::jobs::Signal::Changes);
            Ok(see_other(&landing(&matchmaking, id, seq).await))
        }
    }
}

/// Someone saved the project after this form was made. The form comes back with what
/// this user typed, made from the saved version, and each field the two differ in says
/// what is saved now: nothing typed is lost, and sending again saves it knowingly.
fn conflict_page(
    state: &web::Data<AppState>,
    page: &PageRequest,
    mut input: ProjectInput,
    submitted: ProjectChanges,
    current: &Project,
) -> AppResult<HttpResponse> {
    let t = texts(state, page);
    input.version = current.version();
    let mut view = project_form(
        &t,
        &page.visitor.csrf,
        format!("/projecten/{}/bewerken", current.id),
        &input,
    )
    .error(Some(t("edit.conflict")));
    for change in revisions::diff(
        &ProjectChanges::of(current).snapshot(),
        &submitted.snapshot(),
    ) {
        let saved = shown_value(&t, &change.field, &change.from);
        let message = state.renderer.catalogs().format(
            page.lang,
            "edit.conflict_field",
            &[("saved", if saved.is_empty() { "—" } else { &saved })],
        );
        view.field_error(&change.field, message);
    }
    let title = titled(state, page, "edit.edit_title", current);
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
        "archived" if !value.is_empty() => t(&format!("archive.why.{value}")),
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
    /// What the revision was, when it changed no field ("Klopt nog").
    note: Option<String>,
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
    let (project, city, history) = state
        .db
        .run(move |conn| {
            let project = Project::find(conn, id)?;
            let city = City::find(conn, project.city_id)?;
            let history = revisions::history(conn, Kind::Project, id)?;
            Ok((project, city, history))
        })
        .await?;
    let view = HistoryView {
        project: ProjectLink {
            url: project_url(project.id),
            title: project.title.clone(),
            city: city.name,
        },
        revisions: history
            .into_iter()
            .map(|revision| RevisionView {
                created_at: revision.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                author: revision
                    .author
                    .unwrap_or_else(|| t("history.deleted_account")),
                note: (revision.note == "klopt-nog").then(|| t("history.confirmed")),
                changes: revision
                    .changes
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
