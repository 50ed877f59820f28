//! The weekly digest: per person, what is new among what they follow, with "nieuw en
//! vergelijkbaar met uw projecten" first (`compose`), sent once per ISO week on the
//! Amsterdam clock (`schedule`) — by `serve` on its schedule (`DigestJob`) and by
//! `stadsmaat digest` — in the reader's language, with one-click unsubscribe. Composing
//! stores the mail and the "sent for week W" marker in one transaction, so a second run
//! or a second instance sends nothing twice; a week with nothing new sends nothing.

pub mod cli;
pub mod compose;
pub mod schedule;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::config::Config;
use crate::db::schema::digests;
use crate::db::{Database, DbConnection};
use crate::error::AppResult;
use crate::jobs::{Job, Pass, Signal};
use crate::mail::{Mail, MailList, UNSUBSCRIBE_MARK};
use crate::matchmaking::Matchmaking;
use crate::search::Search;
use crate::web::render::Renderer;
use compose::{Context, Digest, Recipient};
pub use schedule::Schedule;

/// What a run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Digests queued (or, in a dry run, that would be).
    pub sent: usize,
    /// People with nothing new this week.
    pub empty: usize,
    /// People who had this week's digest already (or their monthly one recently).
    pub already: usize,
    /// Whether the digest of this week is due yet at all.
    pub due: bool,
}

/// Everything a run needs.
pub struct Digester<'a> {
    pub db: &'a Database,
    pub config: &'a Config,
    pub renderer: &'a Renderer,
    pub matchmaking: &'a Matchmaking,
    pub search: &'a Search,
    pub schedule: Schedule,
}

/// How often an inactive person gets a digest, and the furthest a digest looks back.
const MONTHLY: chrono::Duration = chrono::Duration::days(28);

impl Digester<'_> {
    /// Composes and queues the digests due at `at`; with `dry_run`, writes what would be
    /// sent to `out` and stores nothing.
    pub fn run(
        &self,
        at: DateTime<Utc>,
        dry_run: bool,
        out: &mut dyn std::io::Write,
    ) -> AppResult<Report> {
        let mut report = Report {
            due: self.schedule.is_due(at),
            ..Report::default()
        };
        if !report.due {
            return Ok(report);
        }
        let week = Schedule::week(at);
        let until = at.naive_utc();
        let mut conn = self.db.connection()?;
        let recipients = compose::recipients(&mut conn, until)?;
        let mut context = Context::new(
            self.matchmaking,
            self.renderer.catalogs(),
            self.search,
            self.config.public_url(),
        );
        for who in &recipients {
            let compose = |conn: &mut DbConnection| {
                crate::follows::model::seed_defaults(conn, who.id, &|city| {
                    self.matchmaking.strongest_partners(city, 3)
                })?;
                self.one(conn, &mut context, who, &week, until, dry_run, out)
            };
            // A dry run sees the default follows a real run would make, and keeps none.
            let outcome = if dry_run {
                crate::db::rolled_back(&mut conn, compose)?
            } else {
                crate::db::write_transaction(&mut conn, compose)?
            };
            match outcome {
                Outcome::Sent => report.sent += 1,
                Outcome::Empty => report.empty += 1,
                Outcome::Already => report.already += 1,
            }
        }
        Ok(report)
    }

    #[allow(clippy::too_many_arguments)]
    fn one(
        &self,
        conn: &mut DbConnection,
        context: &mut Context,
        who: &Recipient,
        week: &str,
        until: NaiveDateTime,
        dry_run: bool,
        out: &mut dyn std::io::Write,
    ) -> AppResult<Outcome> {
        let done: i64 = digests::table
            .filter(digests::user_id.eq(who.id))
            .filter(digests::week.eq(week))
            .count()
            .get_result(conn)?;
        if done > 0 {
            return Ok(Outcome::Already);
        }
        let last: Option<NaiveDateTime> = digests::table
            .filter(digests::user_id.eq(who.id))
            .filter(digests::items.gt(0))
            .select(diesel::dsl::max(digests::sent_at))
            .first(conn)?;
        if who.inactive && last.is_some_and(|l| until - l < MONTHLY) {
            return Ok(Outcome::Already);
        }
        let window = if who.inactive {
            MONTHLY
        } else {
            chrono::Duration::days(7)
        };
        // A first digest looks back a week, but not to before they joined: the inventory
        // loaded when the platform started is not news to someone who signs up later.
        let since = last
            .unwrap_or((until - window).max(who.joined))
            .max(until - MONTHLY);
        let digest = compose::compose(conn, context, who, since, until, !dry_run)?;
        let items = digest.as_ref().map_or(0, |d| d.items);
        if dry_run {
            if let Some(digest) = &digest {
                describe(out, who, digest);
            }
        } else {
            if let Some(digest) = &digest {
                let mail = self.mail(who, digest, week)?;
                crate::mail::enqueue(conn, self.config, &mail)?;
            }
            // Marked even when empty: a week with nothing new is done too.
            diesel::insert_into(digests::table)
                .values((
                    digests::user_id.eq(who.id),
                    digests::week.eq(week),
                    digests::sent_at.eq(until),
                    digests::items.eq(items as i32),
                ))
                .execute(conn)?;
        }
        Ok(if digest.is_some() {
            Outcome::Sent
        } else {
            Outcome::Empty
        })
    }

    fn mail(&self, who: &Recipient, digest: &Digest, week: &str) -> AppResult<Mail> {
        #[derive(serde::Serialize)]
        struct MailData<'a> {
            #[serde(flatten)]
            digest: &'a Digest,
            unsubscribe: &'a str,
            preferences: String,
            site: String,
        }
        let data = MailData {
            digest,
            unsubscribe: UNSUBSCRIBE_MARK,
            preferences: format!("{UNSUBSCRIBE_MARK}/voorkeuren"),
            site: self.config.public_url(),
        };
        let catalogs = self.renderer.catalogs();
        let subject = if digest.inactive {
            catalogs.format(
                who.lang,
                "digest.subject_monthly",
                &[("n", &digest.items.to_string())],
            )
        } else {
            let key = if digest.items == 1 {
                "digest.subject.one"
            } else {
                "digest.subject"
            };
            catalogs.format(
                who.lang,
                key,
                &[("n", &digest.items.to_string()), ("week", week)],
            )
        };
        Ok(Mail {
            to: who.email.clone(),
            subject,
            body: self.renderer.render("mail/digest.txt", who.lang, &data)?,
            html: Some(self.renderer.render("mail/digest.html", who.lang, &data)?),
            list: MailList::Digest,
            requested: false,
            lang: who.lang,
        })
    }
}

enum Outcome {
    Sent,
    Empty,
    Already,
}

/// One line per recipient of a dry run: who, how much, which groups.
fn describe(out: &mut dyn std::io::Write, who: &Recipient, digest: &Digest) {
    let groups: Vec<String> = digest
        .groups
        .iter()
        .map(|g| format!("{} {}", g.kind, g.items.len() + g.more))
        .collect();
    let _ = writeln!(
        out,
        "{}: {} items ({}){}",
        who.email,
        digest.items,
        groups.join(", "),
        if digest.inactive { ", monthly" } else { "" }
    );
    for group in &digest.groups {
        for item in &group.items {
            let _ = writeln!(out, "  [{}] {} — {}", group.kind, item.title, item.reason);
        }
    }
}

/// `serve`'s digest: every ten minutes it looks whether this week's digest is due and
/// sends what is (nothing twice: the markers decide).
pub struct DigestJob {
    pub db: Database,
    pub config: Config,
    pub renderer: Arc<Renderer>,
    pub matchmaking: Arc<Matchmaking>,
    pub search: Arc<Search>,
    pub schedule: Schedule,
    pub jobs: std::sync::Weak<crate::jobs::Jobs>,
}

impl Job for DigestJob {
    fn name(&self) -> &str {
        "digest"
    }

    fn run(&self) -> AppResult<Pass> {
        let digester = Digester {
            db: &self.db,
            config: &self.config,
            renderer: &self.renderer,
            matchmaking: &self.matchmaking,
            search: &self.search,
            schedule: self.schedule,
        };
        let report = digester.run(Utc::now(), false, &mut std::io::sink())?;
        if report.sent > 0 {
            tracing::info!(sent = report.sent, empty = report.empty, "digests queued");
            if let Some(jobs) = self.jobs.upgrade() {
                jobs.wake(Signal::Mail);
            }
        }
        Ok(Pass::Idle)
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(600)
    }
}
