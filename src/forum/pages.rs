//! The forum's pages: `/discussies` (latest, unanswered, solved; by theme and city),
//! a thread with its reply form, and the new-thread form reachable from every page a
//! thread can be about — including "Vraag het deze gemeente" on a project page, which
//! addresses the question to the city that ran the pilot. Plain forms and links; no
//! script needed.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::limits::{self, Refusal};
use super::model::{Post, Thread, ThreadFilter, ThreadState};
use super::subject::{About, AboutKind, Subject};
use super::view::{self, Authors, PostActions, PostItem, ThreadView};
use crate::auth::csrf::Form;
use crate::auth::policy::authorize;
use crate::auth::{Action, SessionUser};
use crate::cities::model::City;
use crate::error::{AppError, AppResult};
use crate::follows::pages::FollowButton;
use crate::follows::{Followed, Following};
use crate::jobs::Signal;
use crate::themes::Theme;
use crate::web::forms::{see_other, texts, Field, FormView};
use crate::web::pagination::Pagination;
use crate::web::params;
use crate::web::render::PageRequest;
use crate::web::AppState;

const PER_PAGE: i64 = 20;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    filter: Option<String>,
    theme: Option<String>,
    city: Option<String>,
    over: Option<String>,
    page: Option<String>,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct Tab {
    label_key: String,
    url: String,
    current: bool,
}

#[derive(Serialize)]
struct ListPage {
    threads: Vec<ThreadView>,
    total: i64,
    tabs: Vec<Tab>,
    themes: Vec<Choice>,
    cities: Vec<Choice>,
    filter: String,
    about: Option<view::AboutView>,
    new_thread_url: String,
    pagination: Pagination,
}

fn list_url(filter: &str, theme: &str, city: &str, over: &str) -> String {
    let pairs: Vec<(&str, &str)> = [
        ("filter", filter),
        ("theme", theme),
        ("city", city),
        ("over", over),
    ]
    .into_iter()
    // "nieuw" is the default, so its links stay short.
    .filter(|(k, v)| !(v.is_empty() || (*k == "filter" && *v == "nieuw")))
    .collect();
    match serde_urlencoded::to_string(&pairs) {
        Ok(q) if !q.is_empty() => format!("/discussies?{q}"),
        _ => "/discussies".to_owned(),
    }
}

pub async fn list_threads(
    state: web::Data<AppState>,
    page: PageRequest,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let state_filter = ThreadState::parse(query.filter.as_deref())?;
    let theme: Option<Theme> = params::optional(query.theme.as_deref())?;
    let over = query
        .over
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(About::parse)
        .transpose()?;
    let paging = params::paging(query.page.as_deref(), None, PER_PAGE)?;
    let city_slug = query.city.clone().unwrap_or_default();
    let lang = page.lang;
    let shared = state.clone().into_inner();
    let (result, cities, about) = state
        .db
        .run(move |conn| {
            let city_id = match city_slug.trim() {
                "" => None,
                slug => Some(City::id_for_filter(conn, slug)?),
            };
            let about = match &over {
                Some(about) => Some(Subject::resolve(conn, about)?),
                None => None,
            };
            let filter = ThreadFilter {
                about: over,
                city_id,
                theme,
                addressed_city_id: None,
                state: state_filter,
            };
            let found = Thread::list(conn, &filter, paging.per_page, paging.offset())?;
            let catalogs = shared.renderer.catalogs();
            let views = view::thread_views(conn, found.threads, catalogs, lang)?;
            Ok(((found.total, views), City::all(conn)?, about))
        })
        .await?;
    let (total, threads) = result;
    let t = texts(&state, &page);
    let filter = state_filter.slug().to_owned();
    let theme_slug = theme.map(|t| t.slug()).unwrap_or("");
    let city = query.city.clone().unwrap_or_default();
    let over_code = about
        .as_ref()
        .map(|s| s.about.to_string())
        .unwrap_or_default();
    let pagination = Pagination::new(
        "/discussies",
        &[
            ("filter", if filter == "nieuw" { "" } else { &filter }),
            ("theme", theme_slug),
            ("city", &city),
            ("over", &over_code),
        ],
        paging,
        total,
    )?;
    let view = ListPage {
        tabs: ThreadState::ALL
            .iter()
            .map(|(s, slug)| Tab {
                label_key: format!("forum.filter.{slug}"),
                url: list_url(slug, theme_slug, &city, &over_code),
                current: *s == state_filter,
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
        cities: cities
            .into_iter()
            .map(|c| Choice {
                selected: c.slug == city,
                value: c.slug,
                label: c.name,
            })
            .collect(),
        new_thread_url: format!(
            "/discussies/nieuw?over={}",
            if over_code.is_empty() {
                "category:algemeen"
            } else {
                &over_code
            }
        ),
        about: about.map(|s| subject_view(&s, &t)),
        threads,
        total,
        filter,
        pagination,
    };
    let title = t("forum.title");
    state.renderer.page(&page, "forum/list", &title, &view)
}

/// A resolved subject as the pages show it, its title translated where it is a key.
fn subject_view(subject: &Subject, t: &impl Fn(&str) -> String) -> view::AboutView {
    view::AboutView {
        kind: subject.about.kind.slug().to_owned(),
        key: subject.about.key.clone(),
        title: if subject.title_is_key {
            t(&subject.title)
        } else {
            subject.title.clone()
        },
        url: subject.url.clone(),
    }
}

// ---- a thread ----------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct ThreadQuery {
    /// The post to quote in the reply form.
    citeer: Option<String>,
}

#[derive(Serialize)]
struct ThreadPage {
    thread: ThreadView,
    /// The marked answer, shown first.
    answer: Option<PostItem>,
    posts: Vec<PostItem>,
    reply: Option<FormView>,
    /// For a visitor: where to sign in and come back.
    sign_in_url: Option<String>,
    follow: Option<FollowButton>,
    moderator: bool,
    /// A new message for the moderator's hide form.
    reason_label: String,
}

/// What the page shows for one thread, for a viewer.
struct Loaded {
    thread: Thread,
    view: ThreadView,
    posts: Vec<PostItem>,
    follow: Option<FollowButton>,
}

async fn load_thread(
    state: &web::Data<AppState>,
    page: &PageRequest,
    id: i32,
) -> AppResult<Loaded> {
    let viewer = page.visitor.user.clone();
    let lang = page.lang;
    let path = page.path.clone();
    let shared = state.clone().into_inner();
    state
        .db
        .run(move |conn| {
            let user = viewer.as_ref();
            let catalogs = shared.renderer.catalogs();
            let found = view::load_thread(conn, id, user, catalogs, lang, |p, t, first| {
                actions_for(p, t, first, user)
            })?;
            let follow = FollowButton::load(
                conn,
                user.map(|u| u.id),
                &Following::new(Followed::Thread, id.to_string()),
                path.split('?').next().unwrap_or("/"),
            )?;
            Ok(Loaded {
                thread: found.thread,
                view: found.view,
                posts: found.posts,
                follow,
            })
        })
        .await
}

/// What `viewer` may do with `post` in `thread` (`first`: the opening post, which is
/// no answer), as the policy decides.
fn actions_for(
    post: &Post,
    thread: &Thread,
    first: bool,
    viewer: Option<&SessionUser>,
) -> PostActions {
    let Some(user) = viewer else {
        return PostActions::default();
    };
    PostActions {
        edit: user.may(Action::ChangePost {
            author_id: post.author_id,
        }),
        delete: user.may(Action::ChangePost {
            author_id: post.author_id,
        }),
        mark_answer: !first
            && !post.is_hidden()
            && user.may(Action::MarkAnswer {
                thread_author_id: thread.author_id,
            }),
        moderate: user.may(Action::Moderate),
        flag: post.author_id != Some(user.id),
        quote: !thread.locked && !post.is_hidden(),
    }
}

fn reply_form(t: &impl Fn(&str) -> String, csrf: &str, thread_id: i32, body: &str) -> FormView {
    view::body_form(
        t,
        csrf,
        format!("/discussies/{thread_id}/reageren"),
        "forum.reply.submit",
        body,
    )
}

/// The thread page, with `reply` as the reply form (its errors, the text kept).
async fn render_thread(
    state: &web::Data<AppState>,
    page: &PageRequest,
    id: i32,
    status: StatusCode,
    reply: Option<FormView>,
) -> AppResult<HttpResponse> {
    let t = texts(state, page);
    let loaded = load_thread(state, page, id).await?;
    crate::visits::note(&state.db, &page.visitor, crate::changes::Kind::Thread, id).await;
    let answer = loaded.posts.iter().find(|p| p.post.answer).cloned();
    let user = page.visitor.user.as_ref();
    let reply = match (user, loaded.thread.locked) {
        (Some(_), false) => {
            Some(reply.unwrap_or_else(|| reply_form(&t, &page.visitor.csrf, id, "")))
        }
        _ => None,
    };
    let sign_in_url = user.is_none().then(|| {
        let back = serde_urlencoded::to_string([("terug", format!("/discussies/{id}"))])
            .unwrap_or_default();
        format!("/inloggen?{back}")
    });
    let title = loaded.thread.title.clone();
    let view = ThreadPage {
        thread: loaded.view,
        answer,
        posts: loaded.posts,
        reply,
        sign_in_url,
        follow: loaded.follow,
        moderator: user.is_some_and(|u| u.moderates()),
        reason_label: t("forum.moderate.reason"),
    };
    state
        .renderer
        .page_with_status(page, status, "forum/thread", &title, &view)
}

pub async fn show_thread(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
    query: web::Query<ThreadQuery>,
) -> AppResult<HttpResponse> {
    let id = params::record_id(&id, "discussion")?;
    let quote = match (query.citeer.as_deref(), page.visitor.user.is_some()) {
        (Some(raw), true) => {
            let post_id = params::record_id(raw, "post")?;
            let viewer = page.visitor.user.clone();
            let quoted = state
                .db
                .run(move |conn| {
                    let post = Post::find(conn, post_id)?;
                    if post.thread_id != id
                        || post.is_deleted()
                        || !view::visible_to(&post, viewer.as_ref())
                    {
                        return Err(AppError::not_found(format!("post {post_id} here")));
                    }
                    let authors = Authors::load(conn, post.author_id)?;
                    let author = authors.view(post.author_id, "").name;
                    Ok(super::markdown::quote(&author, &post.body))
                })
                .await?;
            let t = texts(&state, &page);
            Some(reply_form(&t, &page.visitor.csrf, id, &quoted))
        }
        _ => None,
    };
    render_thread(&state, &page, id, StatusCode::OK, quote).await
}

#[derive(Deserialize, Default)]
pub struct BodyInput {
    #[serde(default)]
    body: String,
}

/// Checks a post's text: not empty, not too long. Puts the complaint under the field.
fn check_body(t: &impl Fn(&str) -> String, body: &str, form: &mut FormView) -> String {
    let body = body.trim();
    if body.is_empty() {
        form.field_error("body", t("forum.body_empty"));
    } else if body.chars().count() > limits::MAX_BODY {
        form.field_error("body", t("forum.body_too_long"));
    }
    body.to_owned()
}

/// A form refused by the flood limits: shown again with the text kept, 429 and the
/// time after which to try again.
fn refused(mut response: HttpResponse, refusal: Refusal) -> HttpResponse {
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    if let Ok(value) = refusal.retry_after_secs().to_string().parse() {
        response
            .headers_mut()
            .insert(actix_web::http::header::RETRY_AFTER, value);
    }
    response
}

pub async fn reply(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
    Form(input): Form<BodyInput>,
) -> AppResult<HttpResponse> {
    let id = params::record_id(&id, "discussion")?;
    let user = authorize(&page.visitor, Action::TakePart)?.clone();
    let t = texts(&state, &page);
    let mut form = reply_form(&t, &page.visitor.csrf, id, &input.body);
    let body = check_body(&t, &input.body, &mut form);
    if form.has_errors() {
        return render_thread(&state, &page, id, StatusCode::BAD_REQUEST, Some(form)).await;
    }
    let outcome = state
        .db
        .run(move |conn| {
            let thread = Thread::find(conn, id)?;
            if thread.locked {
                return Err(AppError::Conflict {
                    message: "this discussion is closed; it takes no more replies".into(),
                });
            }
            let links = super::model::render(conn, &body)?.links;
            if let Err(refusal) = limits::check(conn, &user, false, links)? {
                return Ok(Err(refusal));
            }
            let post_id = Thread::reply(conn, id, user.id, &body)?;
            crate::follows::model::follow(
                conn,
                user.id,
                &Following::new(Followed::Thread, id.to_string()),
            )?;
            Ok(Ok(post_id))
        })
        .await?;
    match outcome {
        Ok(post_id) => {
            state.committed(Signal::Changes);
            Ok(see_other(&format!("/discussies/{id}#bericht-{post_id}")))
        }
        Err(refusal) => {
            let form = form.error(Some(t(refusal.message_key())));
            let page_html =
                render_thread(&state, &page, id, StatusCode::TOO_MANY_REQUESTS, Some(form)).await?;
            Ok(refused(page_html, refusal))
        }
    }
}

// ---- a new thread ------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct NewQuery {
    over: Option<String>,
    /// "Vraag het deze gemeente": the slug of the city asked, which must be the
    /// subject's own.
    aan: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ThreadInput {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

#[derive(Serialize)]
struct NewThreadPage {
    about: view::AboutView,
    /// The city asked, by name.
    asking: Option<String>,
    form: FormView,
}

/// The subject (404 when it does not exist) and the city asked, if any (400 when it is
/// not the subject's city).
async fn new_thread_target(
    state: &AppState,
    query: &NewQuery,
) -> AppResult<(Subject, Option<(i32, String)>)> {
    let over = query.over.as_deref().unwrap_or("").trim();
    if over.is_empty() {
        return Err(AppError::bad_request(
            "invalid_about",
            "say what the discussion is about: over=project:12, city:apeldoorn, theme:mobility or category:algemeen",
        ));
    }
    let about = About::parse(over)?;
    let asked = query
        .aan
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned);
    state
        .db
        .run(move |conn| {
            let subject = Subject::resolve(conn, &about)?;
            let asked = match asked {
                None => None,
                Some(slug) => match &subject.city {
                    Some((id, city)) if city.slug == slug => Some((*id, city.name.clone())),
                    _ => {
                        return Err(AppError::bad_request(
                            "invalid_city",
                            format!("a question about {about} can only be asked of its own city, not {slug:?}"),
                        ))
                    }
                },
            };
            Ok((subject, asked))
        })
        .await
}

fn new_thread_form(
    t: &impl Fn(&str) -> String,
    csrf: &str,
    action: String,
    input: &ThreadInput,
) -> FormView {
    FormView::new(action, t("forum.new.submit"), csrf)
        .field(
            Field::new("text", "title", t("forum.new.title"))
                .value(&input.title)
                .required(),
        )
        .field(
            Field::new("textarea", "body", t("forum.new.body"))
                .value(&input.body)
                .hint(t("forum.markdown_hint"))
                .required(),
        )
}

fn new_thread_action(query: &NewQuery) -> String {
    let pairs: Vec<(&str, &str)> = [
        ("over", query.over.as_deref()),
        ("aan", query.aan.as_deref()),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.filter(|v| !v.trim().is_empty()).map(|v| (k, v.trim())))
    .collect();
    format!(
        "/discussies/nieuw?{}",
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    )
}

fn render_new_thread(
    state: &AppState,
    page: &PageRequest,
    status: StatusCode,
    subject: &Subject,
    asked: Option<&str>,
    form: FormView,
) -> AppResult<HttpResponse> {
    let t = |key: &str| state.renderer.text(page.lang, key).to_owned();
    let about = subject_view(subject, &t);
    let title = match asked {
        Some(city) => {
            state
                .renderer
                .catalogs()
                .format(page.lang, "forum.ask.title", &[("city", city)])
        }
        None => t("forum.new.heading"),
    };
    let view = NewThreadPage {
        about,
        asking: asked.map(str::to_owned),
        form,
    };
    state
        .renderer
        .page_with_status(page, status, "forum/new", &title, &view)
}

pub async fn show_new_thread(
    state: web::Data<AppState>,
    page: PageRequest,
    query: web::Query<NewQuery>,
) -> AppResult<HttpResponse> {
    authorize(&page.visitor, Action::TakePart)?;
    let (subject, asked) = new_thread_target(&state, &query).await?;
    let t = texts(&state, &page);
    let form = new_thread_form(
        &t,
        &page.visitor.csrf,
        new_thread_action(&query),
        &ThreadInput::default(),
    );
    render_new_thread(
        &state,
        &page,
        StatusCode::OK,
        &subject,
        asked.as_ref().map(|a| a.1.as_str()),
        form,
    )
}

pub async fn create_thread(
    state: web::Data<AppState>,
    page: PageRequest,
    query: web::Query<NewQuery>,
    Form(input): Form<ThreadInput>,
) -> AppResult<HttpResponse> {
    let user = authorize(&page.visitor, Action::TakePart)?.clone();
    let (subject, asked) = new_thread_target(&state, &query).await?;
    let t = texts(&state, &page);
    let mut form = new_thread_form(&t, &page.visitor.csrf, new_thread_action(&query), &input);
    let title = input.title.trim().to_owned();
    if title.is_empty() {
        form.field_error("title", t("forum.title_empty"));
    } else if title.chars().count() > limits::MAX_TITLE {
        form.field_error("title", t("forum.title_too_long"));
    }
    let body = check_body(&t, &input.body, &mut form);
    let asked_name = asked.as_ref().map(|a| a.1.clone());
    if form.has_errors() {
        return render_new_thread(
            &state,
            &page,
            StatusCode::BAD_REQUEST,
            &subject,
            asked_name.as_deref(),
            form,
        );
    }
    let target = subject.clone();
    let outcome = state
        .db
        .run(move |conn| {
            let links = super::model::render(conn, &body)?.links;
            if let Err(refusal) = limits::check(conn, &user, true, links)? {
                return Ok(Err(refusal));
            }
            let id = Thread::create(conn, &target, asked.map(|a| a.0), user.id, &title, &body)?;
            crate::follows::model::follow(
                conn,
                user.id,
                &Following::new(Followed::Thread, id.to_string()),
            )?;
            Ok(Ok(id))
        })
        .await?;
    match outcome {
        Ok(id) => {
            state.committed(Signal::Changes);
            Ok(see_other(&view::thread_url(id)))
        }
        Err(refusal) => {
            let form = form.error(Some(t(refusal.message_key())));
            let html = render_new_thread(
                &state,
                &page,
                StatusCode::TOO_MANY_REQUESTS,
                &subject,
                asked_name.as_deref(),
                form,
            )?;
            Ok(refused(html, refusal))
        }
    }
}

// ---- threads on other pages ----------------------------------------------------------

/// The latest threads about something, with the link to start one, for the pages of
/// projects, cities and themes.
#[derive(Serialize, Clone, Debug)]
pub struct Discussions {
    pub threads: Vec<ThreadView>,
    pub total: i64,
    pub all_url: String,
    pub new_url: String,
    /// "Vraag het deze gemeente" (project pages): the link and the city's name.
    pub ask_url: Option<String>,
    pub ask_city: Option<String>,
}

impl Discussions {
    /// The latest `limit` threads of `filter`, listed under `about` (whose new-thread
    /// form they link to).
    pub fn load(
        conn: &mut crate::db::DbConnection,
        about: &About,
        filter: &ThreadFilter,
        limit: i64,
        catalogs: &crate::web::i18n::Catalogs,
        lang: crate::web::i18n::Lang,
    ) -> AppResult<Discussions> {
        let found = Thread::list(conn, filter, limit, 0)?;
        Ok(Discussions {
            threads: view::thread_views(conn, found.threads, catalogs, lang)?,
            total: found.total,
            all_url: format!("/discussies?over={about}"),
            new_url: format!("/discussies/nieuw?over={about}"),
            ask_url: None,
            ask_city: None,
        })
    }

    /// On a project page: its threads, and the question to the city that ran it.
    pub fn of_project(
        conn: &mut crate::db::DbConnection,
        project_id: i32,
        city: &crate::cities::model::CityRef,
        catalogs: &crate::web::i18n::Catalogs,
        lang: crate::web::i18n::Lang,
    ) -> AppResult<Discussions> {
        let about = About::project(project_id);
        let filter = ThreadFilter {
            about: Some(about.clone()),
            ..ThreadFilter::default()
        };
        let mut found = Discussions::load(conn, &about, &filter, 5, catalogs, lang)?;
        found.ask_url = Some(format!("/discussies/nieuw?over={about}&aan={}", city.slug));
        found.ask_city = Some(city.name.clone());
        Ok(found)
    }

    /// On a city page: the questions asked of it, answered or not, and its threads.
    pub fn of_city(
        conn: &mut crate::db::DbConnection,
        city_id: i32,
        slug: &str,
        catalogs: &crate::web::i18n::Catalogs,
        lang: crate::web::i18n::Lang,
    ) -> AppResult<(Discussions, Discussions)> {
        let about = About::new(AboutKind::City, slug);
        let questions = ThreadFilter {
            addressed_city_id: Some(city_id),
            ..ThreadFilter::default()
        };
        let mut asked = Discussions::load(conn, &about, &questions, 10, catalogs, lang)?;
        asked.all_url = format!("/discussies?city={slug}");
        let own = ThreadFilter {
            about: Some(about.clone()),
            ..ThreadFilter::default()
        };
        let threads = Discussions::load(conn, &about, &own, 5, catalogs, lang)?;
        Ok((asked, threads))
    }

    /// On a theme page.
    pub fn of_theme(
        conn: &mut crate::db::DbConnection,
        theme: Theme,
        catalogs: &crate::web::i18n::Catalogs,
        lang: crate::web::i18n::Lang,
    ) -> AppResult<Discussions> {
        let about = About::new(AboutKind::Theme, theme.slug());
        let filter = ThreadFilter {
            theme: Some(theme),
            ..ThreadFilter::default()
        };
        let mut found = Discussions::load(conn, &about, &filter, 5, catalogs, lang)?;
        found.all_url = format!("/discussies?theme={}", theme.slug());
        Ok(found)
    }
}
