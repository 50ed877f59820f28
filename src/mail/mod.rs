//! Outgoing mail. A message is queued in the database in the same transaction as what
//! caused it ([`enqueue`], [`queue_mail`]) with a stable `Message-ID`; the sender job
//! ([`sender`]) claims and delivers the queue through the [`transport`] — SMTP when
//! `SMTP_URL` is set, otherwise `.eml` files in `<data-dir>/outbox/` ([`outbox`]). A
//! crash, an unreachable server or a second instance loses and duplicates nothing.

pub mod outbox;
pub mod sender;
pub mod transport;

use chrono::Utc;
use diesel::prelude::*;

use crate::config::Config;
use crate::db::schema::mail_queue;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::web::i18n::{Catalogs, Lang};
use crate::web::AppState;
pub use outbox::{outbox, OutboxMessage};

/// After this many failures a message is left in the queue for an administrator.
pub const MAX_ATTEMPTS: i32 = 8;

/// A plain-text message to one recipient.
#[derive(Clone, Debug)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl Mail {
    /// A message whose subject and body are the catalog texts `mail.<key>.subject` and
    /// `mail.<key>.body`, placeholders filled, with the common signature.
    pub fn from_catalog(
        catalogs: &Catalogs,
        lang: Lang,
        to: &str,
        key: &str,
        args: &[(&str, &str)],
    ) -> Mail {
        let body = catalogs.format(lang, &format!("mail.{key}.body"), args);
        Mail {
            to: to.to_owned(),
            subject: catalogs.format(lang, &format!("mail.{key}.subject"), args),
            body: format!(
                "{body}\n\n-- \n{}\n",
                catalogs.format(lang, "mail.signature", args)
            ),
        }
    }
}

/// Queues `mail`; call inside the transaction of the change that causes it, then wake
/// the sender after commit (`AppState::committed(Signal::Mail)`).
pub fn enqueue(conn: &mut DbConnection, config: &Config, mail: &Mail) -> AppResult<()> {
    diesel::insert_into(mail_queue::table)
        .values((
            mail_queue::recipient.eq(&mail.to),
            mail_queue::subject.eq(&mail.subject),
            mail_queue::body.eq(&mail.body),
            mail_queue::next_attempt_at.eq(Utc::now().naive_utc()),
            mail_queue::message_id.eq(message_id(config)?),
        ))
        .execute(conn)?;
    Ok(())
}

/// A new globally unique `Message-ID`, on the sender's domain: stored with the message,
/// so a retry after an uncertain delivery carries the same one and receivers can tell.
fn message_id(config: &Config) -> AppResult<String> {
    let domain = config
        .mail_from
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>').trim())
        .filter(|d| !d.is_empty())
        .unwrap_or("stadsmaat.localhost");
    let unique = &crate::auth::token::random_token()?[..32];
    Ok(format!(
        "<{}.{unique}@{domain}>",
        Utc::now().format("%Y%m%d%H%M%S")
    ))
}

/// Queues mail built from the catalogs in the request's language.
pub fn queue_mail(
    conn: &mut DbConnection,
    state: &AppState,
    lang: Lang,
    to: &str,
    key: &str,
    args: &[(&str, &str)],
) -> AppResult<()> {
    let base = state.config.public_url();
    let mut args: Vec<(&str, &str)> = args.to_vec();
    args.push(("site", &base));
    enqueue(
        conn,
        &state.config,
        &Mail::from_catalog(state.renderer.catalogs(), lang, to, key, &args),
    )
}

/// A message still waiting in the queue (or given up on after [`MAX_ATTEMPTS`]).
#[derive(Queryable, Clone, Debug)]
pub struct Queued {
    pub id: i32,
    pub recipient: String,
    pub subject: String,
    pub attempts: i32,
    pub next_attempt_at: chrono::NaiveDateTime,
    pub last_error: Option<String>,
}

impl Queued {
    pub fn gave_up(&self) -> bool {
        self.attempts >= MAX_ATTEMPTS
    }
}

pub fn queued(conn: &mut DbConnection) -> AppResult<Vec<Queued>> {
    Ok(mail_queue::table
        .order(mail_queue::id)
        .select((
            mail_queue::id,
            mail_queue::recipient,
            mail_queue::subject,
            mail_queue::attempts,
            mail_queue::next_attempt_at,
            mail_queue::last_error,
        ))
        .load(conn)?)
}

/// Checks an address the way the transport will, so a form can refuse it up front.
pub fn valid_address(address: &str) -> bool {
    address.parse::<lettre::Address>().is_ok()
}

impl From<lettre::address::AddressError> for AppError {
    fn from(e: lettre::address::AddressError) -> Self {
        AppError::bad_request("invalid_email", format!("not an e-mail address: {e}"))
    }
}
