//! Thread and post rows and every write to them. Each write keeps its revision (post
//! edits), its audit entry (moderation) and its change-log entries (the thread's search
//! document; a new post for notifications) in the transaction of the change.

use std::collections::HashMap;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use super::markdown;
use super::subject::{About, AboutKind, Subject};
use crate::changes::{self, Kind, Operation};
use crate::db::schema::{post_flags, posts, threads, users};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::revisions;
use crate::themes::Theme;

/// Flags from this many different people hide a post until a moderator looks.
pub const FLAGS_TO_HIDE: i64 = 3;

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = threads)]
pub struct Thread {
    pub id: i32,
    pub title: String,
    pub about_kind: String,
    pub about_key: String,
    pub city_id: Option<i32>,
    pub theme: Option<String>,
    pub addressed_city_id: Option<i32>,
    pub author_id: Option<i32>,
    pub created_at: NaiveDateTime,
    pub last_post_at: NaiveDateTime,
    pub locked: bool,
    pub answer_post_id: Option<i32>,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = posts)]
pub struct Post {
    pub id: i32,
    pub thread_id: i32,
    pub author_id: Option<i32>,
    pub body: String,
    pub body_html: String,
    pub created_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
    pub deleted_at: Option<NaiveDateTime>,
    pub hidden_at: Option<NaiveDateTime>,
    pub hidden_by: Option<i32>,
    pub hidden_reason: String,
}

impl Post {
    pub fn is_hidden(&self) -> bool {
        self.hidden_at.is_some()
    }

    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }
}

/// Which threads a list shows.
#[derive(Clone, Debug, Default)]
pub struct ThreadFilter {
    pub about: Option<About>,
    pub city_id: Option<i32>,
    pub theme: Option<Theme>,
    /// Threads asked of this city ("Vraag het deze gemeente").
    pub addressed_city_id: Option<i32>,
    pub state: ThreadState,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ThreadState {
    #[default]
    All,
    /// No reply yet.
    Unanswered,
    /// An answer is marked.
    Solved,
}

impl ThreadState {
    pub const ALL: [(ThreadState, &'static str); 3] = [
        (ThreadState::All, "nieuw"),
        (ThreadState::Unanswered, "onbeantwoord"),
        (ThreadState::Solved, "opgelost"),
    ];

    pub fn slug(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(s, _)| *s == self)
            .map_or("nieuw", |(_, slug)| slug)
    }

    pub fn parse(value: Option<&str>) -> AppResult<Self> {
        match value.map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(ThreadState::All),
            Some(v) => Self::ALL
                .iter()
                .find(|(_, slug)| *slug == v)
                .map(|(s, _)| *s)
                .ok_or_else(|| {
                    AppError::bad_request(
                        "invalid_filter",
                        format!("filter must be nieuw, onbeantwoord or opgelost, got {v:?}"),
                    )
                }),
        }
    }
}

/// A page of threads with the count of visible replies of each.
pub struct ThreadPage {
    pub total: i64,
    pub threads: Vec<(Thread, i64)>,
}

fn visible_posts() -> diesel::dsl::IsNull<posts::hidden_at> {
    posts::hidden_at.is_null()
}

impl Thread {
    pub fn find(conn: &mut DbConnection, id: i32) -> AppResult<Thread> {
        threads::table
            .find(id)
            .select(Thread::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found(format!("thread {id}")))
    }

    pub fn about(&self) -> About {
        About::new(
            AboutKind::parse(&self.about_kind).unwrap_or(AboutKind::Category),
            self.about_key.clone(),
        )
    }

    pub fn solved(&self) -> bool {
        self.answer_post_id.is_some()
    }

    /// One page of threads, newest activity first.
    pub fn list(
        conn: &mut DbConnection,
        filter: &ThreadFilter,
        limit: i64,
        offset: i64,
    ) -> AppResult<ThreadPage> {
        let query = || {
            let mut q = threads::table.into_boxed();
            if let Some(about) = &filter.about {
                q = q
                    .filter(threads::about_kind.eq(about.kind.slug()))
                    .filter(threads::about_key.eq(about.key.clone()));
            }
            if let Some(city) = filter.city_id {
                q = q.filter(
                    threads::city_id
                        .eq(city)
                        .or(threads::addressed_city_id.eq(city)),
                );
            }
            if let Some(theme) = filter.theme {
                q = q.filter(threads::theme.eq(theme.slug()));
            }
            if let Some(city) = filter.addressed_city_id {
                q = q.filter(threads::addressed_city_id.eq(city));
            }
            match filter.state {
                ThreadState::All => {}
                ThreadState::Solved => q = q.filter(threads::answer_post_id.is_not_null()),
                ThreadState::Unanswered => {
                    // Only the opening post is visible: nobody has answered yet.
                    let replied = posts::table
                        .filter(visible_posts())
                        .filter(posts::deleted_at.is_null())
                        .group_by(posts::thread_id)
                        .having(diesel::dsl::count_star().gt(1))
                        .select(posts::thread_id);
                    q = q.filter(threads::id.ne_all(replied));
                }
            }
            q
        };
        let total: i64 = query().count().get_result(conn)?;
        let rows: Vec<Thread> = query()
            .order((threads::last_post_at.desc(), threads::id.desc()))
            .limit(limit)
            .offset(offset)
            .select(Thread::as_select())
            .load(conn)?;
        let replies = reply_counts(conn, &rows.iter().map(|t| t.id).collect::<Vec<_>>())?;
        Ok(ThreadPage {
            total,
            threads: rows
                .into_iter()
                .map(|t| {
                    let n = replies.get(&t.id).copied().unwrap_or(0);
                    (t, n)
                })
                .collect(),
        })
    }

    /// Opens a thread about `subject` with its first post; returns the thread's id.
    pub fn create(
        conn: &mut DbConnection,
        subject: &Subject,
        addressed_city_id: Option<i32>,
        author_id: i32,
        title: &str,
        body: &str,
    ) -> AppResult<i32> {
        crate::db::write_transaction(conn, |conn| {
            let now = Utc::now().naive_utc();
            let id: i32 = diesel::insert_into(threads::table)
                .values((
                    threads::title.eq(title),
                    threads::about_kind.eq(subject.about.kind.slug()),
                    threads::about_key.eq(&subject.about.key),
                    threads::city_id.eq(subject.city.as_ref().map(|c| c.0)),
                    threads::theme.eq(subject.theme.map(|t| t.slug())),
                    threads::addressed_city_id.eq(addressed_city_id),
                    threads::author_id.eq(author_id),
                    threads::created_at.eq(now),
                    threads::last_post_at.eq(now),
                ))
                .returning(threads::id)
                .get_result(conn)?;
            changes::record(conn, Kind::Thread, id, Operation::Insert)?;
            insert_post(conn, id, author_id, body, now)?;
            Ok(id)
        })
    }

    /// Adds a reply; refused when the thread is locked. Returns the post's id.
    pub fn reply(conn: &mut DbConnection, id: i32, author_id: i32, body: &str) -> AppResult<i32> {
        crate::db::write_transaction(conn, |conn| {
            // Written first, so a concurrent lock or reply waits for this transaction.
            let now = Utc::now().naive_utc();
            diesel::update(threads::table.find(id))
                .set(threads::last_post_at.eq(now))
                .execute(conn)?;
            let thread = Thread::find(conn, id)?;
            if thread.locked {
                return Err(AppError::Conflict {
                    message: "this discussion is closed; it takes no more replies".into(),
                });
            }
            changes::record(conn, Kind::Thread, id, Operation::Update)?;
            insert_post(conn, id, author_id, body, now)
        })
    }

    /// Locks or unlocks the thread (moderators).
    pub fn set_locked(conn: &mut DbConnection, id: i32, locked: bool, by: i32) -> AppResult<()> {
        crate::db::write_transaction(conn, |conn| {
            let n = diesel::update(threads::table.find(id))
                .set(threads::locked.eq(locked))
                .execute(conn)?;
            if n == 0 {
                return Err(AppError::not_found(format!("thread {id}")));
            }
            let action = if locked {
                "forum.locked"
            } else {
                "forum.unlocked"
            };
            crate::accounts::audit::record(conn, Some(by), None, action, &format!("thread {id}"))
        })
    }

    /// Moves the thread to another subject (moderators).
    pub fn move_to(conn: &mut DbConnection, id: i32, subject: &Subject, by: i32) -> AppResult<()> {
        crate::db::write_transaction(conn, |conn| {
            let old = Thread::find(conn, id)?;
            diesel::update(threads::table.find(id))
                .set((
                    threads::about_kind.eq(subject.about.kind.slug()),
                    threads::about_key.eq(&subject.about.key),
                    threads::city_id.eq(subject.city.as_ref().map(|c| c.0)),
                    threads::theme.eq(subject.theme.map(|t| t.slug())),
                ))
                .execute(conn)?;
            changes::record(conn, Kind::Thread, id, Operation::Update)?;
            crate::accounts::audit::record(
                conn,
                Some(by),
                None,
                "forum.moved",
                &format!("thread {id}: {} → {}", old.about(), subject.about),
            )
        })
    }

    /// Marks `post_id` as the thread's answer, or clears the mark (`None`).
    pub fn set_answer(conn: &mut DbConnection, id: i32, post_id: Option<i32>) -> AppResult<()> {
        diesel::update(threads::table.find(id))
            .set(threads::answer_post_id.eq(post_id))
            .execute(conn)?;
        Ok(())
    }

    /// The threads one user opened or replied in, for their data export.
    pub fn count_started_since(
        conn: &mut DbConnection,
        author_id: i32,
        since: NaiveDateTime,
    ) -> AppResult<i64> {
        Ok(threads::table
            .filter(threads::author_id.eq(author_id))
            .filter(threads::created_at.ge(since))
            .count()
            .get_result(conn)?)
    }
}

/// Visible replies per thread (all visible posts but the opening one).
fn reply_counts(conn: &mut DbConnection, ids: &[i32]) -> AppResult<HashMap<i32, i64>> {
    let rows: Vec<(i32, i64)> = posts::table
        .filter(posts::thread_id.eq_any(ids))
        .filter(visible_posts())
        .group_by(posts::thread_id)
        .select((posts::thread_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, n)| (id, (n - 1).max(0)))
        .collect())
}

/// The handles that are people, for rendering `@mentions` as links.
pub fn known_handles(conn: &mut DbConnection, markdown: &str) -> AppResult<Vec<String>> {
    let mentioned = markdown::mentions(markdown);
    if mentioned.is_empty() {
        return Ok(Vec::new());
    }
    Ok(users::table
        .filter(users::handle.eq_any(&mentioned))
        .select(users::handle.assume_not_null())
        .load(conn)?)
}

/// Renders Markdown the way posts are stored: mentions of people become links.
pub fn render(conn: &mut DbConnection, markdown: &str) -> AppResult<markdown::Rendered> {
    let known = known_handles(conn, markdown)?;
    Ok(markdown::render(markdown, &|handle: &str| {
        known
            .iter()
            .any(|k| k == handle)
            .then(|| format!("/mensen/{handle}"))
    }))
}

fn insert_post(
    conn: &mut DbConnection,
    thread_id: i32,
    author_id: i32,
    body: &str,
    now: NaiveDateTime,
) -> AppResult<i32> {
    let html = render(conn, body)?.html;
    let id: i32 = diesel::insert_into(posts::table)
        .values((
            posts::thread_id.eq(thread_id),
            posts::author_id.eq(author_id),
            posts::body.eq(body),
            posts::body_html.eq(html),
            posts::created_at.eq(now),
        ))
        .returning(posts::id)
        .get_result(conn)?;
    changes::record(conn, Kind::Post, id, Operation::Insert)?;
    Ok(id)
}

impl Post {
    pub fn find(conn: &mut DbConnection, id: i32) -> AppResult<Post> {
        posts::table
            .find(id)
            .select(Post::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found(format!("post {id}")))
    }

    /// Every post of a thread, oldest first (hidden ones too: the caller decides).
    pub fn of_thread(conn: &mut DbConnection, thread_id: i32) -> AppResult<Vec<Post>> {
        Ok(posts::table
            .filter(posts::thread_id.eq(thread_id))
            .order(posts::id)
            .select(Post::as_select())
            .load(conn)?)
    }

    /// Posts by one author since a moment (flood limits).
    pub fn count_since(
        conn: &mut DbConnection,
        author_id: i32,
        since: NaiveDateTime,
    ) -> AppResult<i64> {
        Ok(posts::table
            .filter(posts::author_id.eq(author_id))
            .filter(posts::created_at.ge(since))
            .count()
            .get_result(conn)?)
    }

    /// The author's edit: a new body, the old one kept in the post's revision history.
    pub fn edit(conn: &mut DbConnection, id: i32, by: i32, body: &str) -> AppResult<()> {
        crate::db::write_transaction(conn, |conn| {
            let post = Post::find(conn, id)?;
            if post.body == body {
                return Ok(());
            }
            let html = render(conn, body)?.html;
            diesel::update(posts::table.find(id))
                .set((
                    posts::body.eq(body),
                    posts::body_html.eq(html),
                    posts::edited_at.eq(Utc::now().naive_utc()),
                ))
                .execute(conn)?;
            let change =
                revisions::diff(&[("body", post.body.clone())], &[("body", body.to_owned())]);
            revisions::record(conn, Kind::Post, id, Some(by), &change, "")?;
            changes::record(conn, Kind::Post, id, Operation::Update)?;
            changes::record(conn, Kind::Thread, post.thread_id, Operation::Update)
        })
    }

    /// The author's deletion: the text goes, a placeholder stays.
    pub fn delete(conn: &mut DbConnection, id: i32) -> AppResult<()> {
        crate::db::write_transaction(conn, |conn| {
            let post = Post::find(conn, id)?;
            diesel::update(posts::table.find(id))
                .set((
                    posts::body.eq(""),
                    posts::body_html.eq(""),
                    posts::deleted_at.eq(Utc::now().naive_utc()),
                ))
                .execute(conn)?;
            // A deleted answer is no answer.
            diesel::update(threads::table.filter(threads::answer_post_id.eq(id)))
                .set(threads::answer_post_id.eq(None::<i32>))
                .execute(conn)?;
            changes::record(conn, Kind::Post, id, Operation::Delete)?;
            changes::record(conn, Kind::Thread, post.thread_id, Operation::Update)
        })
    }

    /// Hides the post with a reason (moderators; `by` is `None` when flags did it), or
    /// shows it again.
    pub fn set_hidden(
        conn: &mut DbConnection,
        id: i32,
        hidden: Option<&str>,
        by: Option<i32>,
    ) -> AppResult<()> {
        crate::db::write_transaction(conn, |conn| {
            let post = Post::find(conn, id)?;
            let now = Utc::now().naive_utc();
            diesel::update(posts::table.find(id))
                .set((
                    posts::hidden_at.eq(hidden.map(|_| now)),
                    posts::hidden_by.eq(hidden.and(by)),
                    posts::hidden_reason.eq(hidden.unwrap_or("")),
                ))
                .execute(conn)?;
            if hidden.is_none() {
                // A moderator's decision settles the flags.
                diesel::update(post_flags::table.filter(post_flags::post_id.eq(id)))
                    .set(post_flags::resolved_at.eq(now))
                    .execute(conn)?;
            }
            let (action, details) = match hidden {
                Some(reason) => ("forum.hidden", format!("post {id}: {reason}")),
                None => ("forum.unhidden", format!("post {id}")),
            };
            crate::accounts::audit::record(conn, by, None, action, &details)?;
            changes::record(conn, Kind::Post, id, Operation::Update)?;
            changes::record(conn, Kind::Thread, post.thread_id, Operation::Update)
        })
    }

    /// `user_id` flags the post; the third different person hides it pending review.
    /// Returns whether it is now hidden.
    pub fn flag(conn: &mut DbConnection, id: i32, user_id: i32, reason: &str) -> AppResult<bool> {
        crate::db::write_transaction(conn, |conn| {
            let post = Post::find(conn, id)?;
            let already: i64 = post_flags::table
                .filter(post_flags::post_id.eq(id))
                .filter(post_flags::user_id.eq(user_id))
                .count()
                .get_result(conn)?;
            if already == 0 {
                diesel::insert_into(post_flags::table)
                    .values((
                        post_flags::post_id.eq(id),
                        post_flags::user_id.eq(user_id),
                        post_flags::reason.eq(reason),
                        post_flags::created_at.eq(Utc::now().naive_utc()),
                    ))
                    .execute(conn)?;
            }
            let open: i64 = post_flags::table
                .filter(post_flags::post_id.eq(id))
                .filter(post_flags::resolved_at.is_null())
                .count()
                .get_result(conn)?;
            if open >= FLAGS_TO_HIDE && !post.is_hidden() {
                Post::set_hidden(conn, id, Some(super::AUTO_HIDE_REASON), None)?;
                return Ok(true);
            }
            Ok(post.is_hidden())
        })
    }
}

/// A flagged post in the moderators' queue.
pub struct Flagged {
    pub post: Post,
    pub thread_title: String,
    pub reasons: Vec<(String, String)>,
}

/// Posts with unresolved flags, most flagged first.
pub fn flag_queue(conn: &mut DbConnection) -> AppResult<Vec<Flagged>> {
    let rows: Vec<(i32, String, String)> = post_flags::table
        .inner_join(users::table)
        .filter(post_flags::resolved_at.is_null())
        .order((post_flags::post_id, post_flags::created_at))
        .select((post_flags::post_id, users::name, post_flags::reason))
        .load(conn)?;
    let mut by_post: Vec<(i32, Vec<(String, String)>)> = Vec::new();
    for (post_id, who, reason) in rows {
        match by_post.iter_mut().find(|(id, _)| *id == post_id) {
            Some((_, reasons)) => reasons.push((who, reason)),
            None => by_post.push((post_id, vec![(who, reason)])),
        }
    }
    by_post.sort_by_key(|(id, reasons)| (std::cmp::Reverse(reasons.len()), *id));
    let mut queue = Vec::with_capacity(by_post.len());
    for (post_id, reasons) in by_post {
        let post = Post::find(conn, post_id)?;
        let thread_title = Thread::find(conn, post.thread_id)?.title;
        queue.push(Flagged {
            post,
            thread_title,
            reasons,
        });
    }
    Ok(queue)
}

/// Settles a post's flags: the moderator keeps it hidden or shows it.
pub fn resolve_flags(
    conn: &mut DbConnection,
    post_id: i32,
    by: i32,
    keep_hidden: bool,
) -> AppResult<()> {
    crate::db::write_transaction(conn, |conn| {
        let post = Post::find(conn, post_id)?;
        if keep_hidden {
            if !post.is_hidden() {
                Post::set_hidden(conn, post_id, Some(super::FLAGGED_REASON), Some(by))?;
            }
            diesel::update(post_flags::table.filter(post_flags::post_id.eq(post_id)))
                .set(post_flags::resolved_at.eq(Utc::now().naive_utc()))
                .execute(conn)?;
            Ok(())
        } else {
            Post::set_hidden(conn, post_id, None, Some(by))
        }
    })
}
