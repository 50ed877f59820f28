//! Toolkits: the G40 overview ranked by adoption (`/toolkits`), a toolkit's page (its
//! text, attachments, versions, the cities using it, its Q&A and the adoption form),
//! posting and editing by the pool's leads (multipart, one file per save; every save a
//! new version), any version and two versions compared field by field, and downloads
//! served as attachments that no browser will run.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::model::{
    Adoption, AdoptionStatus, Attachment, NewAttachment, Pool, PoolRole, Toolkit, ToolkitFields,
};
use super::view::{AdoptionView, AttachmentView, PersonView, PoolRef, ToolkitSummary, VersionView};
use crate::auth::csrf::{Form, MultipartForm};
use crate::auth::policy::authorize;
use crate::auth::{Action, SessionUser};
use crate::error::{AppError, AppResult};
use crate::follows::pages::FollowButton;
use crate::follows::{Followed, Following};
use crate::forum::{About, AboutKind, Discussions};
use crate::jobs::Signal;
use crate::projects::model::Project;
use crate::themes::Theme;
use crate::uploads::{self, FileKind};
use crate::web::forms::{see_other, texts, Field, FormView};
use crate::web::pagination::Pagination;
use crate::web::params;
use crate::web::render::PageRequest;
use crate::web::AppState;

const MAX_TITLE: usize = 200;
const MAX_SUMMARY: usize = 1_000;
const MAX_BODY: usize = 50_000;
const MAX_NOTE: usize = 1_000;
const PER_PAGE: i64 = 20;

fn toolkit_id(raw: &str) -> AppResult<i32> {
    params::record_id(raw, "toolkit")
}

fn content_type(kind: &str) -> &'static str {
    FileKind::parse(kind).map_or("application/octet-stream", FileKind::mime)
}

// ---- the overview ------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct ListQuery {
    pool: Option<String>,
    theme: Option<String>,
    page: Option<String>,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct OverviewPage {
    toolkits: Vec<ToolkitSummary>,
    total: i64,
    pools: Vec<Choice>,
    themes: Vec<Choice>,
    filtered: bool,
    pagination: Pagination,
}

/// The toolkits a list shows, most adopted first, with the pools to filter by.
pub fn load_list(
    conn: &mut crate::db::DbConnection,
    pool_slug: Option<&str>,
    theme: Option<Theme>,
    paging: crate::web::pagination::Paging,
) -> AppResult<(i64, Vec<ToolkitSummary>, Vec<Pool>)> {
    let pools = Pool::all(conn)?;
    let pool_id = match pool_slug {
        Some(slug) => Some(
            pools
                .iter()
                .find(|p| p.slug == slug)
                .map(|p| p.id)
                .ok_or_else(|| {
                    AppError::bad_request(
                        "invalid_pool",
                        format!("no expertise pool {slug:?}; see /api/v1/pools"),
                    )
                })?,
        ),
        None => None,
    };
    let (total, rows) = Toolkit::list(conn, pool_id, theme, paging.per_page, paging.offset())?;
    let summaries = rows
        .iter()
        .filter_map(|(t, n)| {
            let pool = pools.iter().find(|p| p.id == t.pool_id)?;
            Some(ToolkitSummary::new(t, pool, *n))
        })
        .collect();
    Ok((total, summaries, pools))
}

pub async fn list_toolkits(
    state: web::Data<AppState>,
    page: PageRequest,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let paging = params::paging(query.page.as_deref(), None, PER_PAGE)?;
    let theme: Option<Theme> = params::optional(query.theme.as_deref())?;
    let pool = query
        .pool
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned);
    let selected_pool = pool.clone().unwrap_or_default();
    let (total, toolkits, pools) = state
        .db
        .run(move |conn| load_list(conn, pool.as_deref(), theme, paging))
        .await?;
    let t = texts(&state, &page);
    let theme_slug = theme.map(|th| th.slug()).unwrap_or("");
    let view = OverviewPage {
        pagination: Pagination::new(
            "/toolkits",
            &[("pool", &selected_pool), ("theme", theme_slug)],
            paging,
            total,
        )?,
        filtered: !selected_pool.is_empty() || theme.is_some(),
        pools: pools
            .into_iter()
            .map(|p| Choice {
                selected: p.slug == selected_pool,
                value: p.slug,
                label: p.name,
            })
            .collect(),
        themes: Theme::ALL
            .into_iter()
            .map(|th| Choice {
                value: th.slug().to_owned(),
                label: t(&format!("theme.{}", th.slug())),
                selected: theme == Some(th),
            })
            .collect(),
        toolkits,
        total,
    };
    let title = t("toolkits.title");
    state.renderer.page(&page, "pools/toolkits", &title, &view)
}

// ---- a toolkit -----------------------------------------------------------------------

#[derive(Serialize)]
struct ToolkitPage {
    toolkit: ToolkitSummary,
    body_html: String,
    tags: Vec<String>,
    attachments: Vec<AttachmentView>,
    versions: Vec<VersionView>,
    adoptions: Vec<AdoptionView>,
    projects: Vec<crate::projects::view::ProjectView>,
    leads: Vec<PersonView>,
    discussions: Discussions,
    follow: Option<FollowButton>,
    may_edit: bool,
    /// The adoption form, for members of a city.
    adoption: Option<FormView>,
    /// The viewer's city uses an older version than the latest.
    newer_for_city: Option<NewerVersion>,
    /// The map of the cities using it (inline SVG made by `matchmaking::map`).
    /// The cities that use the toolkit on the network map; none when no city does yet.
    map: Option<crate::matchmaking::map::NetworkMap>,
}

#[derive(Serialize)]
struct NewerVersion {
    city: String,
    used: i32,
    latest: i32,
}

/// The form a city member records their city's use with; `city_projects` are the
/// projects of their city the toolkit may serve.
fn adoption_form(
    t: &impl Fn(&str) -> String,
    csrf: &str,
    toolkit: &Toolkit,
    current: Option<&Adoption>,
    city_projects: &[(i32, String)],
) -> FormView {
    let versions = (1..=toolkit.version).rev().map(|n| {
        (
            n.to_string(),
            t("toolkits.version_n").replace("{n}", &n.to_string()),
        )
    });
    let statuses =
        AdoptionStatus::ALL.map(|s| (s.slug().to_owned(), t(&format!("adoption.{}", s.slug()))));
    let version = current.map_or(toolkit.version, |a| a.version).to_string();
    let status = current.map_or(AdoptionStatus::InUse, |a| a.status).slug();
    FormView::new(
        format!("/toolkits/{}/gebruik", toolkit.id),
        t("adoption.submit"),
        csrf,
    )
    .field(
        Field::new("select", "version", t("adoption.version"))
            .value(version)
            .options(versions)
            .required(),
    )
    .field(
        Field::new("select", "status", t("adoption.status"))
            .value(status)
            .options(statuses)
            .required(),
    )
    .field(
        Field::new("textarea", "note", t("adoption.note"))
            .value(current.map_or("", |a| a.note.as_str()))
            .hint(t("adoption.note_hint")),
    )
    .field(
        Field::new("select", "project", t("adoption.project"))
            .value(
                current
                    .and_then(|a| a.project_id)
                    .map(|id| id.to_string())
                    .unwrap_or_default(),
            )
            .options(
                std::iter::once((String::new(), t("adoption.no_project"))).chain(
                    city_projects
                        .iter()
                        .map(|(id, title)| (id.to_string(), title.clone())),
                ),
            ),
    )
}

async fn load_page(
    state: &web::Data<AppState>,
    page: &PageRequest,
    id: i32,
    adoption_override: Option<FormView>,
) -> AppResult<ToolkitPage> {
    let user: Option<SessionUser> = page.visitor.user.clone();
    let lang = page.lang;
    let back = page.path.clone();
    let csrf = page.visitor.csrf.clone();
    let shared = state.clone().into_inner();
    state
        .db
        .run(move |conn| {
            let toolkit = Toolkit::find(conn, id)?;
            let pool = Pool::find(conn, toolkit.pool_id)?;
            let members = Pool::members(conn, pool.id)?;
            let adoptions = Adoption::of_toolkit(conn, id)?;
            let count = adoptions
                .iter()
                .filter(|(a, _, _)| a.status != AdoptionStatus::Stopped)
                .count() as i64;
            let catalogs = shared.renderer.catalogs();
            let t = |key: &str| catalogs.text(lang, key).to_owned();
            let about = About::new(AboutKind::Toolkit, id.to_string());
            let filter = crate::forum::model::ThreadFilter {
                about: Some(about.clone()),
                ..Default::default()
            };
            let discussions = Discussions::load(conn, &about, &filter, 5, catalogs, lang)?;
            let role = match &user {
                Some(u) => Pool::role_of(conn, pool.id, u.id)?,
                None => None,
            };
            let may_edit = user.as_ref().is_some_and(|u| {
                u.may(Action::WriteToolkit {
                    leads_pool: role == Some(PoolRole::Lead),
                })
            });
            let city_adoption = user
                .as_ref()
                .and_then(|u| u.city_id)
                .and_then(|city| adoptions.iter().find(|(a, _, _)| a.city_id == city));
            let adoption = match (&user, adoption_override) {
                (_, Some(form)) => Some(form),
                (Some(u), None) => match u.city_id {
                    Some(city) => Some(adoption_form(
                        &t,
                        &csrf,
                        &toolkit,
                        city_adoption.map(|(a, _, _)| a),
                        &Project::titles_of_city(conn, city)?,
                    )),
                    None => None,
                },
                _ => None,
            };
            let newer_for_city = city_adoption
                .filter(|(a, _, _)| {
                    a.version < toolkit.version && a.status != AdoptionStatus::Stopped
                })
                .map(|(a, _, name)| NewerVersion {
                    city: name.clone(),
                    used: a.version,
                    latest: toolkit.version,
                });
            let projects = {
                let ids = Toolkit::project_ids(conn, id)?;
                let mut views = Vec::new();
                for project_id in ids {
                    views.push(crate::projects::load_view(conn, project_id)?);
                }
                views
            };
            let follow = FollowButton::load(
                conn,
                user.as_ref().map(|u| u.id),
                &Following::new(Followed::Toolkit, id.to_string()),
                &back,
            )?;
            let map = adoption_map(conn, &adoptions, catalogs, lang, &toolkit.title)?;
            Ok(ToolkitPage {
                toolkit: ToolkitSummary::new(&toolkit, &pool, count),
                body_html: toolkit.body_html.clone(),
                tags: toolkit
                    .tags
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect(),
                attachments: Attachment::of_toolkit(conn, id, toolkit.version)?
                    .iter()
                    .map(|a| AttachmentView::new(a, content_type(&a.kind)))
                    .collect(),
                versions: Toolkit::versions(conn, id)?
                    .iter()
                    .map(|v| VersionView::new(v, true))
                    .collect(),
                adoptions: adoptions
                    .iter()
                    .map(|(a, slug, name)| AdoptionView::new(a, slug, name, toolkit.version))
                    .collect(),
                projects,
                leads: members
                    .iter()
                    .filter(|m| m.role == PoolRole::Lead)
                    .map(PersonView::from)
                    .collect(),
                discussions,
                follow,
                may_edit,
                adoption,
                newer_for_city,
                map,
            })
        })
        .await
}

/// The map of where the toolkit is used: the network map's country with only the
/// adopting cities on it.
fn adoption_map(
    conn: &mut crate::db::DbConnection,
    adoptions: &[(Adoption, String, String)],
    catalogs: &crate::web::i18n::Catalogs,
    lang: crate::web::i18n::Lang,
    title: &str,
) -> AppResult<Option<crate::matchmaking::map::NetworkMap>> {
    if adoptions.is_empty() {
        return Ok(None);
    }
    let cities = crate::cities::model::City::all(conn)?;
    let used: Vec<&crate::cities::model::City> = cities
        .iter()
        .filter(|c| {
            adoptions
                .iter()
                .any(|(a, slug, _)| *slug == c.slug && a.status != AdoptionStatus::Stopped)
        })
        .collect();
    if used.is_empty() {
        return Ok(None);
    }
    let map_cities: Vec<crate::matchmaking::map::MapCity> = used
        .iter()
        .map(|c| crate::matchmaking::map::MapCity::of(c, Default::default()))
        .collect();
    let map_title = catalogs.format(lang, "toolkits.map_title", &[("title", title)]);
    let description = catalogs.text(lang, "toolkits.map_description");
    let text = crate::matchmaking::map::MapText {
        title: &map_title,
        description,
    };
    let map = crate::matchmaking::map::network_map(&map_cities, &[], &text, &|slug| {
        format!("/steden/{slug}")
    });
    Ok(Some(map))
}

pub async fn show_toolkit(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = toolkit_id(&id)?;
    let view = load_page(&state, &page, id, None).await?;
    crate::visits::note(&state.db, &page.visitor, crate::changes::Kind::Toolkit, id).await;
    let title = view.toolkit.title.clone();
    state.renderer.page(&page, "pools/toolkit", &title, &view)
}

// ---- posting and editing -----------------------------------------------------------

fn toolkit_form(
    t: &impl Fn(&str) -> String,
    csrf: &str,
    action: String,
    input: &ToolkitFields,
    note: &str,
) -> FormView {
    let theme = input.themes.first().map(|t| t.slug()).unwrap_or("");
    FormView::new(action, t("toolkits.form.submit"), csrf)
        .multipart()
        .field(
            Field::new("text", "title", t("toolkits.form.title"))
                .value(&input.title)
                .required(),
        )
        .field(
            Field::new("textarea", "summary", t("toolkits.form.summary"))
                .value(&input.summary)
                .hint(t("toolkits.form.summary_hint"))
                .required(),
        )
        .field(
            Field::new("textarea", "body", t("toolkits.form.body"))
                .value(&input.body)
                .hint(t("forum.markdown_hint"))
                .required(),
        )
        .field(
            Field::new("select", "theme", t("toolkits.form.theme"))
                .value(theme)
                .options(
                    std::iter::once((String::new(), t("pools.new.all_themes"))).chain(
                        Theme::ALL
                            .map(|th| (th.slug().to_owned(), t(&format!("theme.{}", th.slug())))),
                    ),
                ),
        )
        .field(
            Field::new("text", "tags", t("toolkits.form.tags"))
                .value(&input.tags)
                .hint(t("toolkits.form.tags_hint")),
        )
        .field(
            Field::new("text", "projects", t("toolkits.form.projects"))
                .value(
                    input
                        .projects
                        .iter()
                        .map(i32::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                )
                .hint(t("toolkits.form.projects_hint")),
        )
        .field(
            Field::new("textarea", "note", t("toolkits.form.note"))
                .value(note)
                .hint(t("toolkits.form.note_hint")),
        )
        .field(
            Field::new("file", "bestand", t("toolkits.form.file"))
                .hint(t("toolkits.form.file_hint")),
        )
}

/// Validates the form's text; complaints go under their fields.
fn read_fields(
    t: &impl Fn(&str) -> String,
    form: &MultipartForm,
    view: &mut FormView,
) -> (ToolkitFields, String) {
    let title = form.text("title").trim().to_owned();
    if title.is_empty() || title.chars().count() > MAX_TITLE {
        view.field_error("title", t("toolkits.form.title_invalid"));
    }
    let summary = form.text("summary").trim().to_owned();
    if summary.is_empty() || summary.chars().count() > MAX_SUMMARY {
        view.field_error("summary", t("toolkits.form.summary_invalid"));
    }
    let body = form.text("body").trim().to_owned();
    if body.is_empty() || body.chars().count() > MAX_BODY {
        view.field_error("body", t("toolkits.form.body_invalid"));
    }
    let themes: Vec<Theme> = match form.text("theme").trim() {
        "" => Vec::new(),
        slug => match Theme::parse(slug) {
            Some(theme) => vec![theme],
            None => {
                view.field_error("theme", t("edit.theme_invalid"));
                Vec::new()
            }
        },
    };
    let tags = form
        .text("tags")
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .take(20)
        .collect::<Vec<_>>()
        .join(", ");
    if tags.chars().count() > 500 {
        view.field_error("tags", t("edit.tags_too_long"));
    }
    let note = form.text("note").trim().to_owned();
    if note.chars().count() > MAX_NOTE {
        view.field_error("note", t("edit.note_too_long"));
    }
    let projects = match project_ids(form.text("projects")) {
        Some(ids) => ids,
        None => {
            view.field_error("projects", t("toolkits.form.projects_invalid"));
            Vec::new()
        }
    };
    (
        ToolkitFields {
            title,
            summary,
            body,
            themes,
            tags,
            projects,
        },
        note,
    )
}

/// The projects a toolkit came from, as written: numbers or project addresses
/// (`12`, `/projecten/12`, `https://…/projecten/12`), separated by commas or spaces; at
/// most 20, each once. `None` when something else is written.
fn project_ids(written: &str) -> Option<Vec<i32>> {
    let mut ids = Vec::new();
    for token in written
        .split([',', ' ', '\n', '\r', '\t'])
        .filter(|t| !t.is_empty())
    {
        let token = token.trim_end_matches('/');
        let number = token.rsplit_once("/projecten/").map_or(token, |(_, id)| id);
        let id: i32 = number.parse().ok().filter(|id| *id > 0)?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    (ids.len() <= 20).then_some(ids)
}

/// Names the projects that do not exist under the projects field.
async fn check_projects(
    state: &AppState,
    t: &impl Fn(&str) -> String,
    fields: &ToolkitFields,
    view: &mut FormView,
) -> AppResult<()> {
    let ids = fields.projects.clone();
    if ids.is_empty() {
        return Ok(());
    }
    let unknown = state
        .db
        .run(move |conn| super::model::unknown_projects(conn, &ids))
        .await?;
    if !unknown.is_empty() {
        let list = unknown
            .iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        view.field_error(
            "projects",
            t("toolkits.form.projects_unknown").replace("{ids}", &list),
        );
    }
    Ok(())
}

/// The file of the form, checked by its content and staged in the store; its refusal
/// goes under the file field.
fn stage_file(
    t: &impl Fn(&str) -> String,
    state: &AppState,
    form: &MultipartForm,
    view: &mut FormView,
) -> Option<(uploads::Staged, NewAttachment)> {
    if form.file_too_large {
        let limit = (state.config.upload_limit / (1024 * 1024)).to_string();
        view.field_error(
            "bestand",
            t("toolkits.form.file_too_large").replace("{mb}", &limit),
        );
        return None;
    }
    let file = form.file.as_ref()?;
    let kind = match uploads::check_size(file.bytes.len() as u64, state.config.upload_limit as u64)
        .and_then(|_| uploads::detect(&file.bytes))
    {
        Ok(kind) => kind,
        Err(refusal) => {
            view.field_error(
                "bestand",
                t(&format!("toolkits.form.file_{}", refusal.code())),
            );
            return None;
        }
    };
    let store = &state.uploads;
    match store.stage(&file.bytes) {
        Ok(staged) => {
            let attachment = NewAttachment {
                name: uploads::safe_file_name(&file.name, kind),
                kind: kind.slug().to_owned(),
                size: staged.size() as i64,
                sha256: staged.hash().to_owned(),
            };
            Some((staged, attachment))
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot stage an upload");
            view.field_error("bestand", t("toolkits.form.file_not_stored"));
            None
        }
    }
}

fn form_page(
    state: &AppState,
    page: &PageRequest,
    status: StatusCode,
    title: &str,
    lead: String,
    form: FormView,
) -> AppResult<HttpResponse> {
    crate::web::forms::Screen::default()
        .text(lead)
        .form(form)
        .render(state, page, status, title)
}

/// The pool and whether the visitor may write its toolkits (the policy, with their
/// role in the pool looked up).
async fn writable_pool(
    state: &AppState,
    page: &PageRequest,
    pool: PoolKey,
) -> AppResult<(Pool, i32)> {
    let user_id = page.visitor.signed_in()?.id;
    let (pool, role) = state
        .db
        .run(move |conn| {
            let pool = match pool {
                PoolKey::Slug(slug) => Pool::find_by_slug(conn, &slug)?,
                PoolKey::Id(id) => Pool::find(conn, id)?,
            };
            let role = Pool::role_of(conn, pool.id, user_id)?;
            Ok((pool, role))
        })
        .await?;
    authorize(
        &page.visitor,
        Action::WriteToolkit {
            leads_pool: role == Some(PoolRole::Lead),
        },
    )?;
    Ok((pool, user_id))
}

enum PoolKey {
    Slug(String),
    Id(i32),
}

pub async fn show_new_toolkit(
    state: web::Data<AppState>,
    page: PageRequest,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let (pool, _) = writable_pool(&state, &page, PoolKey::Slug(slug.into_inner())).await?;
    let t = texts(&state, &page);
    let form = toolkit_form(
        &t,
        &page.visitor.csrf,
        format!("/expertisepools/{}/toolkits/nieuw", pool.slug),
        &ToolkitFields::default(),
        "",
    );
    let title =
        state
            .renderer
            .catalogs()
            .format(page.lang, "toolkits.new_title", &[("pool", &pool.name)]);
    form_page(
        &state,
        &page,
        StatusCode::OK,
        &title,
        t("toolkits.new_lead"),
        form,
    )
}

pub async fn create_toolkit(
    state: web::Data<AppState>,
    page: PageRequest,
    slug: web::Path<String>,
    form: MultipartForm,
) -> AppResult<HttpResponse> {
    let (pool, user_id) = writable_pool(&state, &page, PoolKey::Slug(slug.into_inner())).await?;
    let t = texts(&state, &page);
    let action = format!("/expertisepools/{}/toolkits/nieuw", pool.slug);
    let mut view = toolkit_form(
        &t,
        &page.visitor.csrf,
        action,
        &ToolkitFields::default(),
        "",
    );
    let (fields, note) = read_fields(&t, &form, &mut view);
    check_projects(&state, &t, &fields, &mut view).await?;
    let staged = stage_file(&t, &state, &form, &mut view);
    let title =
        state
            .renderer
            .catalogs()
            .format(page.lang, "toolkits.new_title", &[("pool", &pool.name)]);
    if view.has_errors() {
        let refill = toolkit_form(&t, &page.visitor.csrf, view.action.clone(), &fields, &note);
        return refused(
            &state,
            &page,
            &title,
            t("toolkits.new_lead"),
            refill,
            view,
            staged,
        );
    }
    let pool_id = pool.id;
    let (staged, attachment) = staged.unzip();
    let id = state
        .db
        .run(move |conn| {
            Toolkit::create(conn, pool_id, &fields, &note, user_id, attachment.as_ref())
        })
        .await;
    let id = settle_upload(&state, staged, id)?;
    state.committed(Signal::Changes);
    Ok(see_other(&super::view::toolkit_url(id)))
}

/// Moves a staged file into place once its row committed, or drops it when the write
/// failed: a refused or failed save leaves nothing behind.
fn settle_upload<T>(
    state: &AppState,
    staged: Option<uploads::Staged>,
    saved: AppResult<T>,
) -> AppResult<T> {
    let store = &state.uploads;
    match (&saved, staged) {
        (Ok(_), Some(staged)) => {
            if let Err(e) = store.commit(staged) {
                // The row exists; the start-up clean-up reports the missing file.
                tracing::error!(error = %e, "an attachment could not be moved into place");
            }
        }
        (Err(_), Some(staged)) => store.discard(staged),
        (_, None) => {}
    }
    saved
}

/// The form again with its complaints and the text kept; a staged file is discarded.
fn refused(
    state: &AppState,
    page: &PageRequest,
    title: &str,
    lead: String,
    mut refill: FormView,
    checked: FormView,
    staged: Option<(uploads::Staged, NewAttachment)>,
) -> AppResult<HttpResponse> {
    if let Some((staged, _)) = staged {
        state.uploads.discard(staged);
    }
    for field in checked.fields {
        if let Some(error) = field.error {
            refill.field_error(field.name, error);
        }
    }
    form_page(state, page, StatusCode::BAD_REQUEST, title, lead, refill)
}

/// A toolkit and the projects it came from, as the edit form starts from.
fn current_of(conn: &mut crate::db::DbConnection, id: i32) -> AppResult<(Toolkit, Vec<i32>)> {
    Ok((Toolkit::find(conn, id)?, Toolkit::project_ids(conn, id)?))
}

pub async fn show_edit_toolkit(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = toolkit_id(&id)?;
    let (toolkit, projects) = state.db.run(move |conn| current_of(conn, id)).await?;
    writable_pool(&state, &page, PoolKey::Id(toolkit.pool_id)).await?;
    let t = texts(&state, &page);
    let form = toolkit_form(
        &t,
        &page.visitor.csrf,
        format!("/toolkits/{id}/bewerken"),
        &ToolkitFields::of(&toolkit, projects.clone()),
        "",
    );
    let title = state.renderer.catalogs().format(
        page.lang,
        "toolkits.edit_title",
        &[("title", &toolkit.title)],
    );
    form_page(
        &state,
        &page,
        StatusCode::OK,
        &title,
        t("toolkits.edit_lead"),
        form,
    )
}

pub async fn update_toolkit(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
    form: MultipartForm,
) -> AppResult<HttpResponse> {
    let id = toolkit_id(&id)?;
    let (toolkit, projects) = state.db.run(move |conn| current_of(conn, id)).await?;
    let (_, user_id) = writable_pool(&state, &page, PoolKey::Id(toolkit.pool_id)).await?;
    let t = texts(&state, &page);
    let action = format!("/toolkits/{id}/bewerken");
    let mut view = toolkit_form(
        &t,
        &page.visitor.csrf,
        action.clone(),
        &ToolkitFields::of(&toolkit, projects.clone()),
        "",
    );
    let (fields, note) = read_fields(&t, &form, &mut view);
    check_projects(&state, &t, &fields, &mut view).await?;
    let staged = stage_file(&t, &state, &form, &mut view);
    let title = state.renderer.catalogs().format(
        page.lang,
        "toolkits.edit_title",
        &[("title", &toolkit.title)],
    );
    if view.has_errors() {
        let refill = toolkit_form(&t, &page.visitor.csrf, action, &fields, &note);
        return refused(
            &state,
            &page,
            &title,
            t("toolkits.edit_lead"),
            refill,
            view,
            staged,
        );
    }
    let (staged, attachment) = staged.unzip();
    let saved = state
        .db
        .run(move |conn| Toolkit::update(conn, id, &fields, &note, user_id, attachment.as_ref()))
        .await;
    settle_upload(&state, staged, saved)?;
    state.committed(Signal::Changes);
    Ok(see_other(&super::view::toolkit_url(id)))
}

// ---- versions ------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct VersionQuery {
    /// Another version to compare this one with.
    vergelijk: Option<String>,
}

#[derive(Serialize)]
struct VersionPage {
    toolkit: PoolRefTitle,
    number: i32,
    latest: i32,
    fields: FieldsView,
    attachments: Vec<AttachmentView>,
    versions: Vec<VersionView>,
    /// Field by field against another version.
    comparison: Option<Comparison>,
}

#[derive(Serialize)]
struct PoolRefTitle {
    id: i32,
    title: String,
    url: String,
    pool: PoolRef,
}

#[derive(Serialize)]
struct FieldsView {
    title: String,
    summary: String,
    body_html: String,
    themes: Vec<Theme>,
    tags: String,
}

#[derive(Serialize)]
struct Comparison {
    other: i32,
    changes: Vec<crate::revisions::FieldChange>,
}

pub async fn show_version(
    state: web::Data<AppState>,
    page: PageRequest,
    path: web::Path<(String, String)>,
    query: web::Query<VersionQuery>,
) -> AppResult<HttpResponse> {
    let (raw_id, raw_number) = path.into_inner();
    let id = toolkit_id(&raw_id)?;
    let number = params::record_id(&raw_number, "version")?;
    let other = query
        .vergelijk
        .as_deref()
        .map(|raw| params::record_id(raw, "version"))
        .transpose()?;
    let view = state
        .db
        .run(move |conn| {
            let toolkit = Toolkit::find(conn, id)?;
            let pool = Pool::find(conn, toolkit.pool_id)?;
            let fields = Toolkit::at_version(conn, id, number)?
                .ok_or_else(|| AppError::not_found(format!("version {number} of toolkit {id}")))?;
            let comparison = match other {
                Some(other) => {
                    let theirs = Toolkit::at_version(conn, id, other)?.ok_or_else(|| {
                        AppError::not_found(format!("version {other} of toolkit {id}"))
                    })?;
                    let (older, newer) = if other < number {
                        (theirs.snapshot(), fields.snapshot())
                    } else {
                        (fields.snapshot(), theirs.snapshot())
                    };
                    Some(Comparison {
                        other,
                        changes: crate::revisions::diff(&older, &newer),
                    })
                }
                None => None,
            };
            let body_html = crate::forum::model::render(conn, &fields.body)?.html;
            Ok(VersionPage {
                toolkit: PoolRefTitle {
                    id,
                    title: toolkit.title.clone(),
                    url: super::view::toolkit_url(id),
                    pool: PoolRef {
                        slug: pool.slug,
                        name: pool.name,
                    },
                },
                number,
                latest: toolkit.version,
                attachments: Attachment::of_toolkit(conn, id, number)?
                    .iter()
                    .map(|a| AttachmentView::new(a, content_type(&a.kind)))
                    .collect(),
                versions: Toolkit::versions(conn, id)?
                    .iter()
                    .map(|v| VersionView::new(v, true))
                    .collect(),
                fields: FieldsView {
                    title: fields.title,
                    summary: fields.summary,
                    body_html,
                    themes: fields.themes,
                    tags: fields.tags,
                },
                comparison,
            })
        })
        .await?;
    let title = state.renderer.catalogs().format(
        page.lang,
        "toolkits.version_title",
        &[("title", &view.toolkit.title), ("n", &number.to_string())],
    );
    state.renderer.page(&page, "pools/version", &title, &view)
}

// ---- downloads -----------------------------------------------------------------------

/// An attachment as a download: `Content-Disposition: attachment` with a safe name, the
/// type decided when it was uploaded, `nosniff`, and a CSP that sandboxes it should a
/// browser open it anyway.
pub async fn download(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> AppResult<HttpResponse> {
    let (raw_toolkit, raw_attachment, _name) = path.into_inner();
    let toolkit = toolkit_id(&raw_toolkit)?;
    let attachment_id = params::record_id(&raw_attachment, "attachment")?;
    let attachment = state
        .db
        .run(move |conn| Attachment::find(conn, attachment_id))
        .await?;
    if attachment.toolkit_id != toolkit {
        return Err(AppError::not_found(format!("attachment {attachment_id}")));
    }
    let store = &state.uploads;
    let path = store
        .path(&attachment.sha256)
        .ok_or_else(|| AppError::not_found("the attachment's file"))?;
    let bytes = web::block(move || std::fs::read(path))
        .await
        .map_err(|_| AppError::Internal("file reader stopped".into()))?
        .map_err(|_| AppError::not_found("the attachment's file"))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type(&attachment.kind)))
        .insert_header((
            header::CONTENT_DISPOSITION,
            uploads::content_disposition(&attachment.name),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; sandbox",
        ))
        .insert_header((header::CACHE_CONTROL, "private, max-age=3600"))
        .body(bytes))
}

// ---- adoption ------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct AdoptionInput {
    #[serde(default)]
    version: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    note: String,
    /// Optionally the id of the city's project the toolkit serves.
    #[serde(default)]
    project: String,
}

/// A member records what their city does with the toolkit: which version, in use,
/// considered or stopped (with the reason), and a note.
pub async fn record_adoption(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
    Form(input): Form<AdoptionInput>,
) -> AppResult<HttpResponse> {
    let id = toolkit_id(&id)?;
    let user = page.visitor.signed_in()?.clone();
    let city_id = user.city_id.ok_or_else(|| {
        AppError::forbidden_without_city(
            "only members of a city record what it uses; join your city first",
        )
    })?;
    authorize(&page.visitor, Action::RecordAdoption { city_id })?;
    let (toolkit, city_projects) = state
        .db
        .run(move |conn| {
            Ok((
                Toolkit::find(conn, id)?,
                Project::titles_of_city(conn, city_id)?,
            ))
        })
        .await?;
    let t = texts(&state, &page);
    let mut form = adoption_form(&t, &page.visitor.csrf, &toolkit, None, &city_projects);
    for field in form.fields.iter_mut() {
        field.value = match field.name {
            "version" => input.version.clone(),
            "status" => input.status.clone(),
            "note" => input.note.clone(),
            "project" => input.project.clone(),
            _ => continue,
        };
    }
    let version = input
        .version
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|v| (1..=toolkit.version).contains(v));
    if version.is_none() {
        form.field_error("version", t("adoption.version_invalid"));
    }
    let status = AdoptionStatus::parse(input.status.trim());
    if status.is_none() {
        form.field_error("status", t("adoption.status_invalid"));
    }
    let note = input.note.trim().to_owned();
    if note.chars().count() > MAX_NOTE {
        form.field_error("note", t("edit.note_too_long"));
    } else if status == Some(AdoptionStatus::Stopped) && note.is_empty() {
        form.field_error("note", t("adoption.reason_needed"));
    }
    // Only a project of the city itself.
    let project = match input.project.trim() {
        "" => None,
        raw => {
            let chosen = raw
                .parse::<i32>()
                .ok()
                .filter(|id| city_projects.iter().any(|(p, _)| p == id));
            if chosen.is_none() {
                form.field_error("project", t("adoption.project_invalid"));
            }
            chosen
        }
    };
    let (Some(version), Some(status), false) = (version, status, form.has_errors()) else {
        let view = load_page(&state, &page, id, Some(form)).await?;
        let title = view.toolkit.title.clone();
        return state.renderer.page_with_status(
            &page,
            StatusCode::BAD_REQUEST,
            "pools/toolkit",
            &title,
            &view,
        );
    };
    state
        .db
        .run(move |conn| {
            Adoption::record(conn, id, city_id, version, status, &note, project, user.id)
        })
        .await?;
    state.committed(Signal::Changes);
    Ok(see_other(&format!(
        "{}#gebruik",
        super::view::toolkit_url(id)
    )))
}
