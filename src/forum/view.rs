//! How threads and posts are shown: one view model for the pages and the JSON API (the
//! API's shapes are in DESIGN.md), built from rows with their authors and subjects
//! looked up in batches.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::model::{Post, Thread};
use super::subject::{AboutKind, CATEGORIES};
use crate::auth::SessionUser;
use crate::db::schema::{cities, projects, users};
use crate::db::DbConnection;
use crate::error::AppResult;
use crate::web::i18n::{Catalogs, Lang};

pub fn thread_url(id: i32) -> String {
    format!("/discussies/{id}")
}

/// RFC 3339 in UTC, as every time of the API.
pub fn rfc3339(at: NaiveDateTime) -> String {
    at.and_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[derive(Serialize, Clone, Debug)]
pub struct AboutView {
    pub kind: String,
    pub key: String,
    pub title: String,
    /// The subject's page.
    pub url: String,
}

#[derive(Serialize, Clone, Debug)]
pub struct AuthorView {
    pub name: String,
    /// The name of their city, if they are a member of one.
    pub city: Option<String>,
    /// Their page (`/mensen/{handle}`); null for a deleted account.
    pub url: Option<String>,
}

#[derive(Serialize, Clone, Debug)]
pub struct ThreadView {
    pub id: i32,
    pub title: String,
    pub url: String,
    pub about: AboutView,
    pub author: AuthorView,
    pub replies: i64,
    pub solved: bool,
    pub locked: bool,
    /// The city asked ("Vraag het deze gemeente"), by name.
    pub addressed_to: Option<String>,
    pub created_at: String,
    pub last_post_at: String,
}

#[derive(Serialize, Clone, Debug)]
pub struct PostView {
    pub id: i32,
    pub author: AuthorView,
    pub body_html: String,
    pub created_at: String,
    pub edited_at: Option<String>,
    pub answer: bool,
    /// Deleted by its author: shown as a placeholder.
    pub deleted: bool,
    /// Hidden by a moderator: only moderators and the author see it, marked.
    pub hidden: bool,
    pub hidden_reason: String,
}

/// A post on the thread page, with what the visitor may do with it.
#[derive(Serialize, Clone, Debug)]
pub struct PostItem {
    #[serde(flatten)]
    pub post: PostView,
    pub actions: PostActions,
}

#[derive(Serialize, Clone, Debug, Default)]
pub struct PostActions {
    pub edit: bool,
    pub delete: bool,
    pub mark_answer: bool,
    pub moderate: bool,
    pub flag: bool,
    pub quote: bool,
}

/// Authors by user id: name, city name, handle.
pub struct Authors(HashMap<i32, (String, Option<String>, Option<String>)>);

impl Authors {
    pub fn load(conn: &mut DbConnection, ids: impl IntoIterator<Item = i32>) -> AppResult<Self> {
        let ids: HashSet<i32> = ids.into_iter().collect();
        let rows: Vec<(i32, String, Option<String>, Option<String>)> = users::table
            .left_join(cities::table)
            .filter(users::id.eq_any(ids))
            .select((
                users::id,
                users::name,
                cities::name.nullable(),
                users::handle,
            ))
            .load(conn)?;
        Ok(Authors(
            rows.into_iter()
                .map(|(id, name, city, handle)| (id, (name, city, handle)))
                .collect(),
        ))
    }

    pub fn view(&self, id: Option<i32>, deleted_label: &str) -> AuthorView {
        match id.and_then(|id| self.0.get(&id)) {
            Some((name, city, handle)) => AuthorView {
                name: name.clone(),
                city: city.clone(),
                url: handle.as_ref().map(|h| format!("/mensen/{h}")),
            },
            None => AuthorView {
                name: deleted_label.to_owned(),
                city: None,
                url: None,
            },
        }
    }
}

/// Subject titles and pages for a batch of threads, in the visitor's language.
pub struct Subjects(HashMap<(String, String), (String, String)>);

impl Subjects {
    pub fn load(
        conn: &mut DbConnection,
        threads: &[&Thread],
        catalogs: &Catalogs,
        lang: Lang,
    ) -> AppResult<Self> {
        let mut found = HashMap::new();
        let project_ids: Vec<i32> = threads
            .iter()
            .filter(|t| t.about_kind == AboutKind::Project.slug())
            .filter_map(|t| t.about_key.parse().ok())
            .collect();
        let titles: Vec<(i32, String)> = projects::table
            .filter(projects::id.eq_any(&project_ids))
            .select((projects::id, projects::title))
            .load(conn)?;
        for (id, title) in titles {
            found.insert(
                ("project".to_owned(), id.to_string()),
                (title, crate::projects::view::project_url(id)),
            );
        }
        let slugs: Vec<&str> = threads
            .iter()
            .filter(|t| t.about_kind == AboutKind::City.slug())
            .map(|t| t.about_key.as_str())
            .collect();
        let names: Vec<(String, String)> = cities::table
            .filter(cities::slug.eq_any(&slugs))
            .select((cities::slug, cities::name))
            .load(conn)?;
        for (slug, name) in names {
            let url = crate::cities::view::city_url(&slug);
            found.insert(("city".to_owned(), slug), (name, url));
        }
        for thread in threads {
            let key = (thread.about_kind.clone(), thread.about_key.clone());
            if found.contains_key(&key) {
                continue;
            }
            let titled = match AboutKind::parse(&thread.about_kind) {
                Some(AboutKind::Theme) => Some((
                    catalogs
                        .text(lang, &format!("theme.{}", thread.about_key))
                        .to_owned(),
                    format!("/themas/{}", thread.about_key),
                )),
                Some(AboutKind::Category) => CATEGORIES
                    .iter()
                    .find(|(slug, _)| *slug == thread.about_key)
                    .map(|(slug, label)| {
                        (
                            catalogs.text(lang, label).to_owned(),
                            format!("/discussies?over=category:{slug}"),
                        )
                    }),
                Some(kind) => super::subject::pool_or_toolkit(
                    conn,
                    &super::subject::About::new(kind, thread.about_key.clone()),
                )?,
                None => None,
            };
            if let Some(titled) = titled {
                found.insert(key, titled);
            }
        }
        Ok(Subjects(found))
    }

    pub fn view(&self, thread: &Thread) -> AboutView {
        let (title, url) = self
            .0
            .get(&(thread.about_kind.clone(), thread.about_key.clone()))
            .cloned()
            .unwrap_or_else(|| (thread.about_key.clone(), String::new()));
        AboutView {
            kind: thread.about_kind.clone(),
            key: thread.about_key.clone(),
            title,
            url,
        }
    }
}

/// City names by id, for "asked of" labels.
pub fn city_names(conn: &mut DbConnection, ids: &[i32]) -> AppResult<HashMap<i32, String>> {
    let rows: Vec<(i32, String)> = cities::table
        .filter(cities::id.eq_any(ids))
        .select((cities::id, cities::name))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// Views of a page of threads with their reply counts.
pub fn thread_views(
    conn: &mut DbConnection,
    threads: Vec<(Thread, i64)>,
    catalogs: &Catalogs,
    lang: Lang,
) -> AppResult<Vec<ThreadView>> {
    let refs: Vec<&Thread> = threads.iter().map(|(t, _)| t).collect();
    let subjects = Subjects::load(conn, &refs, catalogs, lang)?;
    let authors = Authors::load(conn, threads.iter().filter_map(|(t, _)| t.author_id))?;
    let asked: Vec<i32> = threads
        .iter()
        .filter_map(|(t, _)| t.addressed_city_id)
        .collect();
    let asked = city_names(conn, &asked)?;
    let deleted = catalogs.text(lang, "forum.deleted_account");
    Ok(threads
        .into_iter()
        .map(|(t, replies)| ThreadView {
            about: subjects.view(&t),
            author: authors.view(t.author_id, deleted),
            addressed_to: t.addressed_city_id.and_then(|c| asked.get(&c).cloned()),
            url: thread_url(t.id),
            id: t.id,
            title: t.title,
            replies,
            solved: t.answer_post_id.is_some(),
            locked: t.locked,
            created_at: rfc3339(t.created_at),
            last_post_at: rfc3339(t.last_post_at),
        })
        .collect())
}

/// Whether `viewer` may see `post` at all: hidden posts only for moderators and their
/// author.
pub fn visible_to(post: &Post, viewer: Option<&SessionUser>) -> bool {
    !post.is_hidden() || viewer.is_some_and(|u| u.moderates() || post.author_id == Some(u.id))
}

/// The views of a thread's posts the viewer may see, each with what `actions` says they
/// may do with it.
pub fn post_views(
    posts: Vec<Post>,
    thread: &Thread,
    authors: &Authors,
    viewer: Option<&SessionUser>,
    deleted_label: &str,
    actions: impl Fn(&Post) -> PostActions,
) -> Vec<PostItem> {
    posts
        .into_iter()
        .filter(|p| visible_to(p, viewer))
        .map(|p| PostItem {
            actions: if p.is_deleted() {
                PostActions::default()
            } else {
                actions(&p)
            },
            post: post_view(p, thread, authors, deleted_label),
        })
        .collect()
}

fn post_view(p: Post, thread: &Thread, authors: &Authors, deleted_label: &str) -> PostView {
    PostView {
        id: p.id,
        author: authors.view(p.author_id, deleted_label),
        answer: thread.answer_post_id == Some(p.id),
        deleted: p.is_deleted(),
        hidden: p.is_hidden(),
        hidden_reason: p.hidden_reason.clone(),
        body_html: p.body_html,
        created_at: rfc3339(p.created_at),
        edited_at: p.edited_at.map(rfc3339),
    }
}

/// One thread as a viewer sees it: the row, its view, and its posts with what `actions`
/// lets the viewer do with each (`first` tells the opening post).
pub struct ThreadWithPosts {
    pub thread: Thread,
    pub view: ThreadView,
    pub posts: Vec<PostItem>,
}

pub fn load_thread(
    conn: &mut DbConnection,
    id: i32,
    viewer: Option<&SessionUser>,
    catalogs: &Catalogs,
    lang: Lang,
    actions: impl Fn(&Post, &Thread, bool) -> PostActions,
) -> AppResult<ThreadWithPosts> {
    let thread = Thread::find(conn, id)?;
    let posts = Post::of_thread(conn, id)?;
    let replies = posts
        .iter()
        .filter(|p| !p.is_hidden())
        .count()
        .saturating_sub(1) as i64;
    let view = thread_views(conn, vec![(thread.clone(), replies)], catalogs, lang)?
        .pop()
        .ok_or_else(|| crate::error::AppError::Internal("thread view vanished".into()))?;
    let authors = Authors::load(conn, posts.iter().filter_map(|p| p.author_id))?;
    let deleted = catalogs.text(lang, "forum.deleted_account");
    let first = posts.first().map(|p| p.id);
    let posts = post_views(posts, &thread, &authors, viewer, deleted, |p| {
        actions(p, &thread, Some(p.id) == first)
    });
    Ok(ThreadWithPosts {
        thread,
        view,
        posts,
    })
}

/// A form with one Markdown text field `body` (reply, edit).
pub fn body_form(
    t: &impl Fn(&str) -> String,
    csrf: &str,
    action: String,
    submit_key: &str,
    body: &str,
) -> crate::web::forms::FormView {
    use crate::web::forms::{Field, FormView};
    FormView::new(action, t(submit_key), csrf).field(
        Field::new("textarea", "body", t("forum.reply.body"))
            .value(body)
            .hint(t("forum.markdown_hint"))
            .required(),
    )
}

/// A page with one form and the way back: editing, flagging, moving (catalog keys).
pub fn form_screen(
    state: &crate::web::AppState,
    page: &crate::web::PageRequest,
    status: actix_web::http::StatusCode,
    (title_key, lead_key): (&str, &str),
    form: crate::web::forms::FormView,
    back: String,
) -> AppResult<actix_web::HttpResponse> {
    let t = |key: &str| state.renderer.text(page.lang, key).to_owned();
    crate::web::forms::Screen::default()
        .text(t(lead_key))
        .form(form)
        .link(back, t("forum.back_to_thread"))
        .render(state, page, status, &t(title_key))
}
