//! The mail sender: a job that delivers the queue. Each pass claims the due messages in
//! the database — on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so of several instances
//! exactly one takes a message; SQLite has one writer anyway — for a lease longer than
//! any SMTP conversation, sends them outside any transaction, and deletes each one the
//! transport accepted. A refusal or an unreachable server leaves the message for a later
//! attempt with growing pauses; a crash leaves it claimed until the lease runs out.

use std::time::Duration;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};
use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::Message;

use super::transport::{Failure, Transport};
use super::{refusals, MailList, MAX_ATTEMPTS};
use crate::db::schema::mail_queue;
use crate::db::{Database, DbConnection};
use crate::error::AppResult;
use crate::jobs::{Job, Pass};

/// Messages claimed per pass.
const BATCH: i64 = 20;
/// Without a wake-up, the sender still looks for due retries this often.
const INTERVAL: Duration = Duration::from_secs(30);
/// A claim outlives the slowest SMTP conversation (see `transport::SMTP_TIMEOUT`), so a
/// message being sent is never taken by another instance.
const LEASE: chrono::Duration = chrono::Duration::minutes(15);

pub struct MailSender {
    db: Database,
    transport: Transport,
    from: Mailbox,
    /// Who holds a claim: this instance.
    instance: String,
}

impl MailSender {
    pub fn new(db: Database, transport: Transport, from: Mailbox, instance: String) -> Self {
        tracing::info!(transport = %transport.describe(), "mail ready");
        MailSender {
            db,
            transport,
            from,
            instance,
        }
    }
}

impl Job for MailSender {
    fn name(&self) -> &str {
        "mail-sender"
    }

    fn interval(&self) -> Duration {
        INTERVAL
    }

    fn run(&self) -> AppResult<Pass> {
        let mut conn = self.db.connection()?;
        let claimed = claim(&mut conn, &self.instance, Utc::now().naive_utc())?;
        for message in &claimed {
            let outcome =
                build(&self.from, message).and_then(|m| self.transport.deliver(message.id, &m));
            settle(&mut conn, &self.instance, message, outcome)?;
        }
        Ok(if claimed.len() as i64 == BATCH {
            Pass::More
        } else {
            Pass::Idle
        })
    }
}

/// A claimed message.
#[derive(QueryableByName, Debug)]
struct Claimed {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = Text)]
    recipient: String,
    #[diesel(sql_type = Text)]
    subject: String,
    #[diesel(sql_type = Text)]
    body: String,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = Text)]
    message_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    html_body: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    list: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    unsubscribe_url: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    user_id: Option<i32>,
}

const CLAIM_SQLITE: &str = "UPDATE mail_queue SET claimed_by = ?, claimed_until = ? \
     WHERE id IN (SELECT id FROM mail_queue WHERE next_attempt_at <= ? AND attempts < ? \
     AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY id LIMIT ?) \
     RETURNING id, recipient, subject, body, attempts, message_id, html_body, list, \
     unsubscribe_url, user_id";

const CLAIM_POSTGRES: &str = "UPDATE mail_queue SET claimed_by = $1, claimed_until = $2 \
     WHERE id IN (SELECT id FROM mail_queue WHERE next_attempt_at <= $3 AND attempts < $4 \
     AND (claimed_until IS NULL OR claimed_until < $5) ORDER BY id LIMIT $6 \
     FOR UPDATE SKIP LOCKED) \
     RETURNING id, recipient, subject, body, attempts, message_id, html_body, list, \
     unsubscribe_url, user_id";

/// Claims up to [`BATCH`] due messages that nobody holds.
fn claim(conn: &mut DbConnection, instance: &str, now: NaiveDateTime) -> AppResult<Vec<Claimed>> {
    let until = now + LEASE;
    macro_rules! run {
        ($sql:expr, $conn:expr) => {
            diesel::sql_query($sql)
                .bind::<Text, _>(instance)
                .bind::<Timestamp, _>(until)
                .bind::<Timestamp, _>(now)
                .bind::<Integer, _>(MAX_ATTEMPTS)
                .bind::<Timestamp, _>(now)
                .bind::<BigInt, _>(BATCH)
                .load::<Claimed>($conn)
        };
    }
    let mut claimed = match conn {
        DbConnection::Sqlite(c) => run!(CLAIM_SQLITE, c)?,
        DbConnection::Pg(c) => run!(CLAIM_POSTGRES, c)?,
    };
    claimed.sort_by_key(|c| c.id);
    Ok(claimed)
}

/// Records what became of a claimed message: gone when delivered, otherwise released
/// with the next attempt's time (or given up after a permanent refusal or too many
/// failures, for an administrator to see).
fn settle(
    conn: &mut DbConnection,
    instance: &str,
    message: &Claimed,
    outcome: Result<(), Failure>,
) -> AppResult<()> {
    let mine = mail_queue::table
        .filter(mail_queue::id.eq(message.id))
        .filter(mail_queue::claimed_by.eq(instance));
    match outcome {
        Ok(()) => {
            diesel::delete(mine).execute(conn)?;
            if let Some(user_id) = message.user_id {
                refusals::delivered(conn, user_id)?;
            }
            tracing::info!(id = message.id, "mail delivered");
        }
        Err(failure) => {
            if let (Failure::Permanent(_), Some(user_id)) = (&failure, message.user_id) {
                refusals::refused(conn, user_id)?;
            }
            let attempts = match failure {
                Failure::Permanent(_) => MAX_ATTEMPTS,
                Failure::Temporary(_) => message.attempts + 1,
            };
            let pause = chrono::Duration::seconds(30 << message.attempts.clamp(0, 10));
            tracing::warn!(id = message.id, error = %failure, attempt = attempts, "mail not delivered");
            diesel::update(mine)
                .set((
                    mail_queue::attempts.eq(attempts),
                    mail_queue::next_attempt_at.eq(Utc::now().naive_utc() + pause),
                    mail_queue::last_error.eq(failure.to_string()),
                    mail_queue::claimed_by.eq(None::<String>),
                    mail_queue::claimed_until.eq(None::<NaiveDateTime>),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

fn build(from: &Mailbox, message: &Claimed) -> Result<Message, Failure> {
    let to: Mailbox = message
        .recipient
        .parse()
        .map_err(|e| Failure::Permanent(format!("bad recipient {:?}: {e}", message.recipient)))?;
    let unencodable = || Failure::Permanent("the message cannot be encoded".to_owned());
    // Quoted-printable: mostly readable as is, and safe for any line length.
    let encoded = |text: &str| {
        Body::new_with_encoding(text.to_owned(), ContentTransferEncoding::QuotedPrintable)
            .map_err(|_| unencodable())
    };
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(&message.subject)
        .message_id(Some(message.message_id.clone()));
    if let (Some(list), Some(url)) = (
        message.list.as_deref().and_then(MailList::parse),
        &message.unsubscribe_url,
    ) {
        let domain = from.email.domain();
        for (name, value) in [
            ("List-Unsubscribe", format!("<{url}>")),
            (
                "List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click".to_owned(),
            ),
            ("List-Id", list.list_id(domain)),
        ] {
            builder = builder.raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str(name),
                value,
            ));
        }
    }
    let built = match &message.html_body {
        Some(html) => builder.multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(encoded(&message.body)?),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(encoded(html)?),
                ),
        ),
        None => builder
            .header(ContentType::TEXT_PLAIN)
            .body(encoded(&message.body)?),
    };
    built.map_err(|e| Failure::Permanent(format!("cannot build the message: {e}")))
}
