//! Outgoing mail. A message is queued in the database in the same transaction as what
//! caused it ([`enqueue`]); a worker thread delivers the queue — over SMTP through lettre
//! when `SMTP_URL` is set, otherwise as `.eml` files in `<data-dir>/outbox/` — and
//! deletes what the transport accepted. A crash or an unreachable server loses nothing:
//! undelivered rows are retried with growing pauses.

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use chrono::Utc;
use diesel::prelude::*;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport as _};

use crate::db::schema::mail_queue;
use crate::db::{Database, DbConnection};
use crate::error::{AppError, AppResult};
use crate::web::i18n::{Catalogs, Lang};

/// Rows delivered per pass.
const BATCH: i64 = 20;
/// Without a wake-up, the worker still looks for due retries this often.
const IDLE_WAKE: Duration = Duration::from_secs(30);
/// After this many failures a message is left in the queue for an administrator.
const MAX_ATTEMPTS: i32 = 8;

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
/// the [`Mailer`] after commit.
pub fn enqueue(conn: &mut DbConnection, mail: &Mail) -> AppResult<()> {
    diesel::insert_into(mail_queue::table)
        .values((
            mail_queue::recipient.eq(&mail.to),
            mail_queue::subject.eq(&mail.subject),
            mail_queue::body.eq(&mail.body),
            mail_queue::next_attempt_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Where delivered mail goes.
pub enum Transport {
    Smtp(Box<SmtpTransport>),
    Outbox(PathBuf),
}

impl Transport {
    /// SMTP when `smtp_url` is given (`smtp://[user:password@]host[:port]`, plain SMTP
    /// such as a local relay), otherwise the outbox directory.
    pub fn from_config(smtp_url: Option<&str>, outbox: PathBuf) -> Result<Self, String> {
        let Some(url) = smtp_url.filter(|u| !u.is_empty()) else {
            std::fs::create_dir_all(&outbox)
                .map_err(|e| format!("cannot create {}: {e}", outbox.display()))?;
            return Ok(Transport::Outbox(outbox));
        };
        let rest = url.strip_prefix("smtp://").ok_or_else(|| {
            "SMTP_URL must look like smtp://[user:password@]host[:port] (TLS is left to a \
             local relay)"
                .to_owned()
        })?;
        let (credentials, host_port) = match rest.rsplit_once('@') {
            Some((auth, host)) => (Some(auth), host),
            None => (None, rest),
        };
        let host_port = host_port.trim_end_matches('/');
        let (host, port) = match host_port.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>()
                    .map_err(|_| format!("SMTP_URL has a bad port: {p:?}"))?,
            ),
            None => (host_port, 25),
        };
        if host.is_empty() {
            return Err("SMTP_URL names no host".into());
        }
        let mut builder = SmtpTransport::builder_dangerous(host)
            .port(port)
            .timeout(Some(Duration::from_secs(10)));
        if let Some(auth) = credentials {
            let (user, password) = auth.split_once(':').unwrap_or((auth, ""));
            builder = builder.credentials(Credentials::new(
                percent_decode(user),
                percent_decode(password),
            ));
        }
        Ok(Transport::Smtp(Box::new(builder.build())))
    }

    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp(_) => "SMTP".into(),
            Transport::Outbox(dir) => format!("outbox {}", dir.display()),
        }
    }

    fn deliver(&self, id: i32, message: &Message) -> Result<(), String> {
        match self {
            Transport::Smtp(smtp) => smtp.send(message).map(|_| ()).map_err(|e| e.to_string()),
            Transport::Outbox(dir) => {
                let name = format!("{}-{id:06}.eml", Utc::now().format("%Y%m%dT%H%M%S"));
                let partial = dir.join(format!(".{name}.partial"));
                std::fs::write(&partial, message.formatted())
                    .and_then(|_| std::fs::rename(&partial, dir.join(&name)))
                    .map_err(|e| format!("cannot write {}: {e}", dir.join(&name).display()))
            }
        }
    }
}

fn percent_decode(s: &str) -> String {
    decode_escapes(s, b'%')
}

/// Replaces each `<marker>XX` (two hex digits) with its byte: `%XX` in URLs, `=XX` in
/// quoted-printable text.
fn decode_escapes(s: &str, marker: u8) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| {
            std::str::from_utf8(h)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        });
        match (bytes[i], hex) {
            (b, Some(decoded)) if b == marker => {
                out.push(decoded);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A message in the outbox, as the administration shows it.
pub struct OutboxMessage {
    pub file: String,
    pub to: String,
    pub subject: String,
    pub date: String,
    pub body: String,
}

/// Reads one `.eml` file the outbox transport wrote (quoted-printable, as [`build`] makes
/// them).
pub fn read_outbox_file(path: &std::path::Path) -> Option<OutboxMessage> {
    let raw = std::fs::read_to_string(path).ok()?.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n")?;
    let header = |name: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(": ")))
            .unwrap_or("")
            .to_owned()
    };
    Some(OutboxMessage {
        file: path.file_name()?.to_string_lossy().into_owned(),
        to: header("To"),
        subject: header("Subject"),
        date: header("Date"),
        body: decode_escapes(&body.replace("=\n", ""), b'='),
    })
}

/// The newest `limit` messages of the outbox directory, newest first.
pub fn outbox(dir: &std::path::Path, limit: usize) -> Vec<OutboxMessage> {
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
    files.sort();
    files
        .iter()
        .rev()
        .take(limit)
        .filter_map(|p| read_outbox_file(p))
        .collect()
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

/// Delivers the queue in a thread of its own; [`Mailer::wake`] after a commit that
/// queued mail makes it go at once.
pub struct Mailer {
    pending: Mutex<bool>,
    signal: Condvar,
}

impl Mailer {
    pub fn start(db: Database, transport: Transport, from: Mailbox) -> Arc<Mailer> {
        let mailer = Arc::new(Mailer {
            pending: Mutex::new(true),
            signal: Condvar::new(),
        });
        tracing::info!(transport = %transport.describe(), "mail ready");
        let worker = mailer.clone();
        std::thread::Builder::new()
            .name("mailer".into())
            .spawn(move || worker.run(&db, &transport, &from))
            .map(|_| ())
            .unwrap_or_else(|e| tracing::error!(error = %e, "mailer thread did not start"));
        mailer
    }

    pub fn wake(&self) {
        *self.pending.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.signal.notify_one();
    }

    fn run(&self, db: &Database, transport: &Transport, from: &Mailbox) {
        loop {
            {
                let pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
                let (mut pending, _) = self
                    .signal
                    .wait_timeout_while(pending, IDLE_WAKE, |p| !*p)
                    .unwrap_or_else(|e| e.into_inner());
                *pending = false;
            }
            loop {
                match deliver_due(db, transport, from) {
                    Ok(n) if n as i64 == BATCH => continue,
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "mail queue unavailable");
                        break;
                    }
                }
            }
        }
    }
}

/// Delivers up to [`BATCH`] due messages; returns how many it tried.
fn deliver_due(db: &Database, transport: &Transport, from: &Mailbox) -> AppResult<usize> {
    let mut conn = db.connection()?;
    let now = Utc::now().naive_utc();
    let due: Vec<(i32, String, String, String, i32)> = mail_queue::table
        .filter(mail_queue::next_attempt_at.le(now))
        .filter(mail_queue::attempts.lt(MAX_ATTEMPTS))
        .order(mail_queue::id)
        .limit(BATCH)
        .select((
            mail_queue::id,
            mail_queue::recipient,
            mail_queue::subject,
            mail_queue::body,
            mail_queue::attempts,
        ))
        .load(&mut conn)?;
    for (id, to, subject, body, attempts) in &due {
        let result = build(from, to, subject, body).and_then(|m| transport.deliver(*id, &m));
        match result {
            Ok(()) => {
                diesel::delete(mail_queue::table.find(id)).execute(&mut conn)?;
                tracing::info!(id, "mail delivered");
            }
            Err(error) => {
                let pause = chrono::Duration::seconds(30 << (*attempts).clamp(0, 10));
                tracing::warn!(id, %error, attempt = attempts + 1, "mail not delivered");
                diesel::update(mail_queue::table.find(id))
                    .set((
                        mail_queue::attempts.eq(attempts + 1),
                        mail_queue::next_attempt_at.eq(now + pause),
                        mail_queue::last_error.eq(&error),
                    ))
                    .execute(&mut conn)?;
            }
        }
    }
    Ok(due.len())
}

fn build(from: &Mailbox, to: &str, subject: &str, body: &str) -> Result<Message, String> {
    let to: Mailbox = to
        .parse()
        .map_err(|e| format!("bad recipient {to:?}: {e}"))?;
    // Quoted-printable: mostly readable as is, and safe for any line length.
    let body = Body::new_with_encoding(body.to_owned(), ContentTransferEncoding::QuotedPrintable)
        .map_err(|_| "the message cannot be encoded".to_owned())?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| format!("cannot build the message: {e}"))
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
