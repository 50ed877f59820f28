//! Where delivered mail goes: an SMTP server (through lettre) when `SMTP_URL` is set,
//! otherwise `.eml` files in `<data-dir>/outbox/`, which administrators read at
//! `/beheer/post`, so nothing is silently dropped.

use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport as _};

/// How long one SMTP step may take. RFC 5321 (4.5.3.2) lets a server take up to ten
/// minutes to accept the message after its last line; far shorter and a slow relay
/// that does accept gets the same message again and again.
const SMTP_TIMEOUT: Duration = Duration::from_secs(180);

/// Why a delivery failed: worth retrying later, or refused for good (an SMTP 5xx).
#[derive(Debug)]
pub enum Failure {
    Temporary(String),
    Permanent(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Temporary(why) | Failure::Permanent(why) => f.write_str(why),
        }
    }
}

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
            .timeout(Some(SMTP_TIMEOUT));
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

    /// Hands `message` over; `id` names the outbox file.
    pub fn deliver(&self, id: i32, message: &Message) -> Result<(), Failure> {
        match self {
            Transport::Smtp(smtp) => smtp.send(message).map(|_| ()).map_err(|e| {
                if e.is_permanent() {
                    Failure::Permanent(e.to_string())
                } else {
                    Failure::Temporary(e.to_string())
                }
            }),
            Transport::Outbox(dir) => {
                let name = format!("{}-{id:06}.eml", Utc::now().format("%Y%m%dT%H%M%S"));
                let partial = dir.join(format!(".{name}.partial"));
                std::fs::write(&partial, message.formatted())
                    .and_then(|_| std::fs::rename(&partial, dir.join(&name)))
                    .map_err(|e| {
                        Failure::Temporary(format!(
                            "cannot write {}: {e}",
                            dir.join(&name).display()
                        ))
                    })
            }
        }
    }
}

fn percent_decode(s: &str) -> String {
    super::outbox::decode_escapes(s, b'%')
}
