//! Notifications by mail, as each person prefers: at once (all that are waiting in one
//! mail, at most [`PER_HOUR`] mails an hour — the rest waits for the next), hourly in
//! one mail, only in the weekly digest, or never. A job sends them; the rows it mails
//! are marked in the transaction that queues the mail, and only one instance runs it at
//! a time, so nothing is mailed twice.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::model::NotificationKind;
use crate::config::Config;
use crate::db::schema::{notifications, threads, users};
use crate::db::{Database, DbConnection};
use crate::error::AppResult;
use crate::jobs::{Job, Pass};
use crate::mail::unsubscribe::NotifyMail;
use crate::mail::{Mail, MailList, UNSUBSCRIBE_MARK};
use crate::web::i18n::Lang;
use crate::web::render::Renderer;

/// Mails of notifications per person per hour, at most.
pub const PER_HOUR: i64 = 6;

pub struct NotificationMailer {
    pub db: Database,
    pub config: Config,
    pub renderer: Arc<Renderer>,
    /// Woken: the mail sender, after mail was queued.
    pub jobs: std::sync::Weak<crate::jobs::Jobs>,
}

#[derive(Serialize)]
struct Line {
    text: String,
    url: String,
}

/// A notification not yet mailed.
#[derive(Queryable)]
struct Waiting {
    id: i32,
    user_id: i32,
    kind: NotificationKind,
    thread_id: i32,
    actor_id: Option<i32>,
}

#[derive(Serialize)]
struct MailData {
    name: String,
    lines: Vec<Line>,
    unsubscribe: &'static str,
    preferences: String,
    site: String,
}

impl NotificationMailer {
    fn pass(&self, conn: &mut DbConnection) -> AppResult<usize> {
        // One instance at a time: the consumer row of this job is the lock.
        if crate::changes::claim_durable(conn, "notification-mail")?.is_none() {
            return Ok(0);
        }
        let now = Utc::now().naive_utc();
        let rows: Vec<Waiting> = notifications::table
            .inner_join(users::table.on(users::id.eq(notifications::user_id)))
            .filter(notifications::mailed_at.is_null())
            .filter(notifications::read_at.is_null())
            .filter(users::notify_mail.eq_any([NotifyMail::Immediately, NotifyMail::Hourly]))
            .filter(users::email_failing_at.is_null())
            .order(notifications::id)
            .limit(2_000)
            .select((
                notifications::id,
                notifications::user_id,
                notifications::kind,
                notifications::thread_id,
                notifications::actor_id,
            ))
            .load(conn)?;
        let mut per_user: BTreeMap<i32, Vec<Waiting>> = BTreeMap::new();
        for waiting in rows {
            per_user.entry(waiting.user_id).or_default().push(waiting);
        }
        let mut sent = 0;
        for (user_id, pending) in per_user {
            let (email, name, lang, notify): (String, String, String, NotifyMail) = users::table
                .find(user_id)
                .select((users::email, users::name, users::lang, users::notify_mail))
                .first(conn)?;
            let recent: Vec<Option<NaiveDateTime>> = notifications::table
                .filter(notifications::user_id.eq(user_id))
                .filter(notifications::mailed_at.gt(now - chrono::Duration::hours(1)))
                .select(notifications::mailed_at)
                .distinct()
                .load(conn)?;
            let waiting = match notify {
                NotifyMail::Hourly => !recent.is_empty(),
                _ => recent.len() as i64 >= PER_HOUR,
            };
            if waiting {
                continue;
            }
            let lang = Lang::parse(&lang).unwrap_or_default();
            let mail = self.mail(conn, &email, &name, lang, &pending)?;
            crate::mail::enqueue(conn, &self.config, &mail)?;
            diesel::update(
                notifications::table.filter(notifications::id.eq_any(pending.iter().map(|p| p.id))),
            )
            .set(notifications::mailed_at.eq(now))
            .execute(conn)?;
            sent += 1;
        }
        Ok(sent)
    }

    fn mail(
        &self,
        conn: &mut DbConnection,
        email: &str,
        name: &str,
        lang: Lang,
        pending: &[Waiting],
    ) -> AppResult<Mail> {
        let catalogs = self.renderer.catalogs();
        let base = self.config.public_url();
        let mut lines = Vec::with_capacity(pending.len());
        for Waiting {
            id,
            kind,
            thread_id: thread,
            actor_id: actor,
            ..
        } in pending
        {
            let title: String = threads::table
                .find(thread)
                .select(threads::title)
                .first::<String>(conn)
                .optional()?
                .unwrap_or_default();
            let actor: String = match actor {
                Some(actor) => users::table
                    .find(actor)
                    .select(users::name)
                    .first::<String>(conn)
                    .optional()?
                    .unwrap_or_default(),
                None => catalogs.text(lang, "forum.deleted_account").to_owned(),
            };
            lines.push(Line {
                text: catalogs.format(
                    lang,
                    &format!("notifications.kind.{}", kind.slug()),
                    &[("actor", &actor), ("thread", &title)],
                ),
                url: format!("{base}/meldingen/{id}"),
            });
        }
        let subject = match lines.as_slice() {
            [only] => only.text.clone(),
            _ => catalogs.format(
                lang,
                "notifications.mail_subject",
                &[("n", &lines.len().to_string())],
            ),
        };
        let data = MailData {
            name: name.to_owned(),
            lines,
            unsubscribe: UNSUBSCRIBE_MARK,
            preferences: format!("{UNSUBSCRIBE_MARK}/voorkeuren"),
            site: base,
        };
        Ok(Mail {
            to: email.to_owned(),
            subject,
            body: self
                .renderer
                .render("mail/notifications.txt", lang, &data)?,
            html: Some(
                self.renderer
                    .render("mail/notifications.html", lang, &data)?,
            ),
            list: MailList::Notifications,
            requested: false,
            lang,
        })
    }
}

impl Job for NotificationMailer {
    fn name(&self) -> &str {
        "notification-mail"
    }

    fn run(&self) -> AppResult<Pass> {
        let mut conn = self.db.connection()?;
        let sent = crate::db::write_transaction(&mut conn, |conn| self.pass(conn))?;
        if sent > 0 {
            tracing::info!(mails = sent, "notifications mailed");
            if let Some(jobs) = self.jobs.upgrade() {
                jobs.wake(crate::jobs::Signal::Mail);
            }
        }
        Ok(Pass::Idle)
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(60)
    }
}
