//! Turns new posts into notifications, as a durable consumer of the change log: each
//! post is handled once across all instances, in the transaction that moves the
//! consumer's position, so a crash neither loses nor repeats a notification.
//!
//! Who hears of a post (never its author), by the first reason that applies:
//! - the editors of the city a question is addressed to, and the project's contact
//!   person when they have an account ("Vraag het deze gemeente");
//! - everyone mentioned (`@handle`);
//! - everyone following the thread (a reply);
//! - everyone following what a new thread is about — and, for a project, its city and
//!   its theme.

use std::collections::HashMap;

use diesel::prelude::*;

use super::model::{self, NotificationKind};
use crate::auth::CityRole;
use crate::changes::{Change, Kind, Operation};
use crate::db::schema::{cities, projects, users};
use crate::db::DbConnection;
use crate::error::AppResult;
use crate::follows::{model as follows, Followed, Following};
use crate::forum::markdown;
use crate::forum::model::{Post, Thread};
use crate::forum::AboutKind;
use crate::jobs::follow::DurableConsumer;
use crate::jobs::{Jobs, Signal};

pub struct Producer {
    /// Woken after notifications were stored (the mail sender reads them).
    jobs: std::sync::Weak<Jobs>,
}

impl Producer {
    pub fn new(jobs: &std::sync::Arc<Jobs>) -> Self {
        Producer {
            jobs: std::sync::Arc::downgrade(jobs),
        }
    }
}

impl DurableConsumer for Producer {
    fn name(&self) -> &'static str {
        "notifications"
    }

    fn handle(&self, conn: &mut DbConnection, changes: &[Change]) -> AppResult<()> {
        for change in changes {
            if change.kind == Kind::Post && change.operation == Operation::Insert {
                notify_about_post(conn, change.id)?;
            }
        }
        Ok(())
    }

    fn handled(&self) {
        if let Some(jobs) = self.jobs.upgrade() {
            jobs.wake(Signal::Mail);
        }
    }
}

/// Stores the notifications a new post causes.
pub fn notify_about_post(conn: &mut DbConnection, post_id: i32) -> AppResult<()> {
    let Ok(post) = Post::find(conn, post_id) else {
        return Ok(()); // gone since (its thread deleted)
    };
    if post.is_hidden() || post.is_deleted() {
        return Ok(());
    }
    let thread = Thread::find(conn, post.thread_id)?;
    let opening = Post::of_thread(conn, thread.id)?
        .first()
        .is_some_and(|p| p.id == post.id);
    let mut recipients: HashMap<i32, NotificationKind> = HashMap::new();
    let mut add = |ids: Vec<i32>, kind: NotificationKind| {
        for id in ids {
            recipients
                .entry(id)
                .and_modify(|k| *k = (*k).min(kind))
                .or_insert(kind);
        }
    };
    if opening {
        if let Some(city_id) = thread.addressed_city_id {
            add(asked(conn, &thread, city_id)?, NotificationKind::Question);
        }
    }
    add(mentioned(conn, &post.body)?, NotificationKind::Mention);
    if opening {
        add(
            subject_followers(conn, &thread)?,
            NotificationKind::NewThread,
        );
    } else {
        let thread_key = Following::new(Followed::Thread, thread.id.to_string());
        add(
            follows::followers(conn, &thread_key)?,
            NotificationKind::Reply,
        );
    }
    for (user_id, kind) in recipients {
        if Some(user_id) != post.author_id {
            model::notify(conn, user_id, kind, thread.id, post.id, post.author_id)?;
        }
    }
    Ok(())
}

/// The editors of the city asked, and the contact person of the project asked about
/// when they have an account.
fn asked(conn: &mut DbConnection, thread: &Thread, city_id: i32) -> AppResult<Vec<i32>> {
    let mut ids: Vec<i32> = users::table
        .filter(users::city_id.eq(city_id))
        .filter(users::city_role.eq(CityRole::Editor))
        .filter(users::email_verified.eq(true))
        .select(users::id)
        .load(conn)?;
    if thread.about_kind == AboutKind::Project.slug() {
        if let Ok(project_id) = thread.about_key.parse::<i32>() {
            let contact: Option<String> = projects::table
                .find(project_id)
                .select(projects::contact_email)
                .first(conn)
                .optional()?;
            if let Some(email) = contact.filter(|e| !e.is_empty()) {
                let person: Option<i32> = users::table
                    .filter(users::email.eq(email.to_lowercase()))
                    .filter(users::email_verified.eq(true))
                    .select(users::id)
                    .first(conn)
                    .optional()?;
                ids.extend(person);
            }
        }
    }
    Ok(ids)
}

fn mentioned(conn: &mut DbConnection, body: &str) -> AppResult<Vec<i32>> {
    let handles = markdown::mentions(body);
    if handles.is_empty() {
        return Ok(Vec::new());
    }
    Ok(users::table
        .filter(users::handle.eq_any(handles))
        .filter(users::email_verified.eq(true))
        .select(users::id)
        .load(conn)?)
}

/// Followers of what a thread is about; for a project also of its city and theme.
fn subject_followers(conn: &mut DbConnection, thread: &Thread) -> AppResult<Vec<i32>> {
    let followed = |kind: Followed, key: &str| Following::new(kind, key);
    let mut subjects = Vec::new();
    match AboutKind::parse(&thread.about_kind) {
        Some(AboutKind::Project) => {
            subjects.push(followed(Followed::Project, &thread.about_key));
            if let Some(city_id) = thread.city_id {
                let slug: Option<String> = cities::table
                    .find(city_id)
                    .select(cities::slug)
                    .first(conn)
                    .optional()?;
                subjects.extend(slug.map(|s| followed(Followed::City, &s)));
            }
            subjects.extend(
                thread
                    .theme
                    .as_deref()
                    .map(|t| followed(Followed::Theme, t)),
            );
        }
        Some(AboutKind::City) => subjects.push(followed(Followed::City, &thread.about_key)),
        Some(AboutKind::Theme) => subjects.push(followed(Followed::Theme, &thread.about_key)),
        Some(AboutKind::Pool) => subjects.push(followed(Followed::Pool, &thread.about_key)),
        Some(AboutKind::Toolkit) => subjects.push(followed(Followed::Toolkit, &thread.about_key)),
        Some(AboutKind::Category) | None => {}
    }
    let mut ids = Vec::new();
    for subject in &subjects {
        ids.extend(follows::followers(conn, subject)?);
    }
    Ok(ids)
}
