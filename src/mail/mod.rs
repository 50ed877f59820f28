//! Outgoing mail. A message is queued in the database in the same transaction as what
//! caused it ([`enqueue`], [`queue_mail`]) with a stable `Message-ID`; the sender job
//! ([`sender`]) claims and delivers the queue through the [`transport`] — SMTP when
//! `SMTP_URL` is set, otherwise `.eml` files in `<data-dir>/outbox/` ([`outbox`]). A
//! crash, an unreachable server or a second instance loses and duplicates nothing.

pub mod outbox;
pub mod refusals;
pub mod sender;
pub mod transport;
pub mod unsubscribe;

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

crate::slug_enum! {
    /// What kind of mail a message is: each can be stopped on its own, in one click.
    pub enum MailList ("mail list", "invalid_list") {
        /// The weekly (or monthly) digest.
        Digest = "digest",
        /// Forum notifications mailed at once or hourly.
        Notifications = "notifications",
        /// Account news: membership requests and decisions. Mails a person asks for
        /// themselves (confirming an address, resetting a password) come whatever this
        /// says, but carry the header too.
        Account = "account",
    }
}

impl MailList {
    /// The `List-Id` of the list: a name and a stable identifier.
    pub fn list_id(self, domain: &str) -> String {
        let name = match self {
            MailList::Digest => "Stadsmaat weekoverzicht",
            MailList::Notifications => "Stadsmaat meldingen",
            MailList::Account => "Stadsmaat account",
        };
        format!("{name} <{}.{domain}>", self.slug())
    }
}

/// Where the unsubscribe link goes in a message's text and HTML; replaced when queued,
/// because the link's token is made then.
pub const UNSUBSCRIBE_MARK: &str = "%%UNSUBSCRIBE%%";

/// A message to one recipient: plain text, and HTML where it helps (the digest).
#[derive(Clone, Debug)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
    pub html: Option<String>,
    pub list: MailList,
    /// The recipient asked for it (a confirmation link): sent even when they stopped
    /// the list's other mail.
    pub requested: bool,
    pub lang: Lang,
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
                "{body}\n\n-- \n{}\n{}\n",
                catalogs.format(lang, "mail.signature", args),
                catalogs.format(lang, "mail.unsubscribe_line", &[("link", UNSUBSCRIBE_MARK)])
            ),
            html: None,
            list: MailList::Account,
            // Only membership news is unrequested account mail.
            requested: !key.starts_with("membership"),
            lang,
        }
    }
}

/// Queues `mail`; call inside the transaction of the change that causes it, then wake
/// the sender after commit (`AppState::committed(Signal::Mail)`). Each message gets a
/// one-click unsubscribe link for its list (a token stored hashed) and is not queued at
/// all when its recipient stopped that list or their address keeps refusing mail.
/// Returns whether it was queued.
pub fn enqueue(conn: &mut DbConnection, config: &Config, mail: &Mail) -> AppResult<bool> {
    use crate::db::schema::users;
    let recipient: Option<(i32, bool, bool, bool, Option<chrono::NaiveDateTime>)> = users::table
        .filter(users::email.eq(mail.to.to_lowercase()))
        .select((
            users::id,
            users::digest_mail,
            users::notify_mail.ne("never"),
            users::account_mail,
            users::email_failing_at,
        ))
        .first(conn)
        .optional()?;
    let mut unsubscribe = None;
    if let Some((user_id, digest, notifications, account, failing)) = recipient {
        let wanted = match mail.list {
            MailList::Digest => digest,
            MailList::Notifications => notifications,
            MailList::Account => account || mail.requested,
        };
        if !wanted || (failing.is_some() && !mail.requested) {
            return Ok(false);
        }
        unsubscribe = Some((
            user_id,
            unsubscribe::link(conn, config, user_id, mail.list)?,
        ));
    }
    let url = unsubscribe.as_ref().map(|(_, url)| url.as_str());
    let fill = |text: &str| text.replace(UNSUBSCRIBE_MARK, url.unwrap_or(&config.public_url()));
    diesel::insert_into(mail_queue::table)
        .values((
            mail_queue::recipient.eq(&mail.to),
            mail_queue::subject.eq(&mail.subject),
            mail_queue::body.eq(fill(&mail.body)),
            mail_queue::html_body.eq(mail.html.as_deref().map(fill)),
            mail_queue::list.eq(mail.list.slug()),
            mail_queue::unsubscribe_url.eq(url),
            mail_queue::user_id.eq(unsubscribe.as_ref().map(|(id, _)| *id)),
            mail_queue::next_attempt_at.eq(Utc::now().naive_utc()),
            mail_queue::message_id.eq(message_id(config)?),
        ))
        .execute(conn)?;
    Ok(true)
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
    .map(|_| ())
}

/// How many messages are still to be delivered, due now or waiting for a retry (those
/// given up on after [`MAX_ATTEMPTS`] are not counted).
pub fn waiting_count(db: &crate::db::Database) -> AppResult<i64> {
    let mut conn = db.connection()?;
    Ok(mail_queue::table
        .filter(mail_queue::attempts.lt(MAX_ATTEMPTS))
        .count()
        .get_result(&mut conn)?)
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

/// `/afmelden/{token}` (one-click unsubscribe and its page), the preferences the token
/// opens, and `/account/post`.
pub fn page_routes(cfg: &mut actix_web::web::ServiceConfig) {
    use crate::web::get;
    use actix_web::web;
    cfg.service(
        web::resource("/afmelden/{token}")
            .route(get().to(unsubscribe::show_unsubscribe))
            .route(web::post().to(unsubscribe::unsubscribe)),
    )
    .service(
        web::resource("/afmelden/{token}/voorkeuren")
            .route(get().to(unsubscribe::show_token_preferences))
            .route(web::post().to(unsubscribe::save_token_preferences)),
    )
    .service(
        web::resource("/account/post")
            .route(get().to(unsubscribe::show_preferences))
            .route(web::post().to(unsubscribe::save_preferences)),
    );
}
