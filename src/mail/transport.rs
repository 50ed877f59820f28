//! Where delivered mail goes: an SMTP server (through lettre) when `SMTP_URL` is set,
//! otherwise `.eml` files in `<data-dir>/outbox/`, which administrators read at
//! `/beheer/post`, so nothing is silently dropped.
//!
//! The URL chooses how the connection is secured ([`SmtpUrl`]): `smtps://` is TLS from
//! the first byte, `smtp://` must upgrade with STARTTLS. Only a relay on this machine
//! (loopback) may be spoken to without TLS, because nothing travels over a network
//! there; anywhere else a password or a message in the clear could be read or changed
//! on the way.

use std::net::{IpAddr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::PoolConfig;
use lettre::{Message, SmtpTransport, Transport as _};

/// How long one SMTP step may take. RFC 5321 (4.5.3.2) lets a server take up to ten
/// minutes to accept the message after its last line; far shorter and a slow relay
/// that does accept gets the same message again and again.
const SMTP_TIMEOUT: Duration = Duration::from_secs(180);

/// How long a pooled connection may sit unused before it is closed. A burst (the
/// weekly digest) keeps its connection busy; between bursts we do not hold one of the
/// relay's connection slots. A connection the relay closed meanwhile is noticed (NOOP)
/// and replaced before use, so this only bounds what we keep open.
const POOL_IDLE: Duration = Duration::from_secs(20);

/// Connections kept open for reuse. The sender delivers one message at a time, so one
/// is in use; the rest is headroom should several threads ever send.
const POOL_SIZE: u32 = 4;

/// What `SMTP_URL` may look like, for start-up errors.
const EXPECTED: &str = "expected smtps://[user:password@]host[:port] (implicit TLS, port \
     465) or smtp://[user:password@]host[:port][?tls=required|none] (STARTTLS, port 587, \
     or 25 on this machine)";

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

/// How the connection to the SMTP server is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// `smtps://`: TLS from the first byte (RFC 8314).
    ImplicitTls,
    /// `smtp://`: the connection is upgraded with STARTTLS, and a server that does not
    /// offer it is refused, so a man in the middle cannot strip the upgrade.
    StartTlsRequired,
    /// `smtp://` to a loopback address: STARTTLS when the server offers it, plain
    /// otherwise (a local relay, a test sink).
    StartTlsWhenOffered,
    /// `smtp://…?tls=none` to a loopback address: never TLS.
    Plain,
}

impl Security {
    fn describe(self) -> &'static str {
        match self {
            Security::ImplicitTls => "implicit TLS",
            Security::StartTlsRequired => "STARTTLS required",
            Security::StartTlsWhenOffered => "STARTTLS when offered",
            Security::Plain => "no TLS",
        }
    }
}

/// A parsed `SMTP_URL`.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    /// A host name or IP address (IPv6 without its brackets).
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// User and password, percent-decoded.
    pub credentials: Option<(String, String)>,
}

/// Never prints the password: the URL ends up in logs and error messages.
impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpUrl")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .finish()
    }
}

impl SmtpUrl {
    /// Parses `smtps://[user:password@]host[:port]` or
    /// `smtp://[user:password@]host[:port][?tls=required|none]`. User and password are
    /// percent-decoded; the last `@` ends them, so an `@` in a password may stay as is.
    pub fn parse(url: &str) -> Result<SmtpUrl, String> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| format!("SMTP_URL is not a URL; {EXPECTED}"))?;
        let implicit_tls = match scheme.to_ascii_lowercase().as_str() {
            "smtps" => true,
            "smtp" => false,
            _ => return Err(format!("SMTP_URL has the scheme {scheme:?}; {EXPECTED}")),
        };
        let (userinfo, address) = match rest.rsplit_once('@') {
            Some((userinfo, address)) => (Some(userinfo), address),
            None => (None, rest),
        };
        let (address, query) = match address.split_once('?') {
            Some((address, query)) => (address, Some(query)),
            None => (address, None),
        };
        let address = address.strip_suffix('/').unwrap_or(address);
        if address.contains(['/', '#']) {
            return Err(format!(
                "SMTP_URL has a path after the host (a `/`, `?` or `#` in the password \
                 must be written %2F, %3F, %23); {EXPECTED}"
            ));
        }
        let (host, port) = split_host_port(address)?;
        let loopback = is_loopback(&host);

        let mut tls = None;
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("tls", value)) if tls.is_none() => tls = Some(value),
                Some(("tls", _)) => return Err("SMTP_URL names tls= twice".into()),
                _ => {
                    return Err(format!(
                        "SMTP_URL has the parameter {pair:?}; only tls=required or tls=none \
                         is understood"
                    ))
                }
            }
        }
        let security = match (implicit_tls, tls) {
            (true, None) => Security::ImplicitTls,
            (true, Some(_)) => {
                return Err(
                    "SMTP_URL: tls= applies to smtp:// only; smtps:// is always TLS \
                            from the first byte"
                        .into(),
                )
            }
            (false, Some("required")) => Security::StartTlsRequired,
            (false, Some("none")) if loopback => Security::Plain,
            (false, Some("none")) => {
                return Err(format!(
                    "SMTP_URL: tls=none (plain SMTP) is allowed only for a relay on this \
                     machine (localhost, 127.0.0.0/8, [::1]); to {host} the password and \
                     the mail would cross the network readable by anyone on the way. Use \
                     smtp:// (STARTTLS) or smtps:// (implicit TLS), with \
                     STADSMAAT_SMTP_CA for a relay with an internal certificate authority"
                ))
            }
            (false, Some(other)) => {
                return Err(format!(
                    "SMTP_URL has tls={other:?}; tls=required (STARTTLS, the default) or \
                     tls=none (plain, on this machine only) is expected"
                ))
            }
            (false, None) if loopback => Security::StartTlsWhenOffered,
            (false, None) => Security::StartTlsRequired,
        };
        // Submission (RFC 6409) for a server elsewhere; a relay on this machine is
        // usually an MTA on 25, which was the default before TLS came in.
        let default_port = match security {
            Security::ImplicitTls => 465,
            _ if loopback => 25,
            _ => 587,
        };
        let credentials = match userinfo {
            None => None,
            Some(userinfo) => {
                let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
                if user.is_empty() {
                    return Err(format!(
                        "SMTP_URL has an `@` but no user name before it; {EXPECTED}"
                    ));
                }
                Some((percent_decode(user), percent_decode(password)))
            }
        };
        Ok(SmtpUrl {
            host,
            port: port.unwrap_or(default_port),
            security,
            credentials,
        })
    }

    /// The server as `host:port`, for logs and error messages (no credentials).
    pub fn server(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// Splits `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_host_port(address: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(bracketed) = address.strip_prefix('[') {
        let (v6, after) = bracketed
            .split_once(']')
            .ok_or_else(|| format!("SMTP_URL has a `[` without `]`; {EXPECTED}"))?;
        v6.parse::<Ipv6Addr>()
            .map_err(|_| format!("SMTP_URL has {v6:?} in brackets, not an IPv6 address"))?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or_else(|| {
                format!("SMTP_URL has {after:?} after the IPv6 address; {EXPECTED}")
            })?),
        };
        (v6, port)
    } else {
        match address.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (address, None),
        }
    };
    if host.is_empty() {
        return Err(format!("SMTP_URL names no host; {EXPECTED}"));
    }
    if !host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
    {
        return Err(format!(
            "SMTP_URL has the host {host:?}; a host name or IP address is expected (IPv6 in \
             brackets)"
        ));
    }
    let port = port
        .map(|p| match p.parse::<u16>() {
            Ok(port) if port > 0 => Ok(port),
            _ => Err(format!(
                "SMTP_URL has the port {p:?}; a number from 1 to 65535 is expected"
            )),
        })
        .transpose()?;
    Ok((host.to_owned(), port))
}

/// Whether `host` is this machine: `localhost`, `127.0.0.0/8` or `::1`. Names are not
/// resolved: only what the URL says counts, so DNS cannot turn TLS off.
fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Where [`Transport::deliver`] hands a message: an SMTP server (pooled connections) or
/// the outbox directory.
pub enum Transport {
    Smtp {
        transport: Box<SmtpTransport>,
        url: SmtpUrl,
    },
    Outbox(PathBuf),
}

impl Transport {
    /// SMTP when `smtp_url` is given (see [`SmtpUrl::parse`]), otherwise the outbox
    /// directory. Certificates are checked against the Mozilla roots built in.
    pub fn from_config(smtp_url: Option<&str>, outbox: PathBuf) -> Result<Self, String> {
        Self::with_ca(smtp_url, None, outbox)
    }

    /// The transport the configuration asks for: `SMTP_URL` with `STADSMAAT_SMTP_CA`, or
    /// the outbox directory. What `serve` and the `digest` command both deliver with.
    pub fn configured(config: &crate::config::Config) -> Result<Self, String> {
        Self::with_ca(
            config.smtp_url.as_deref(),
            config.smtp_ca.as_deref(),
            config.outbox_dir(),
        )
    }

    /// As [`Transport::from_config`], also trusting the root certificates in the PEM
    /// file `ca` (`STADSMAAT_SMTP_CA`), such as a municipality's internal authority.
    pub fn with_ca(
        smtp_url: Option<&str>,
        ca: Option<&Path>,
        outbox: PathBuf,
    ) -> Result<Self, String> {
        // Read even when unused, so a mistyped path shows at start-up, not on the day
        // SMTP_URL is set.
        let ca = ca.map(read_ca).transpose()?;
        let Some(url) = smtp_url.filter(|u| !u.is_empty()) else {
            std::fs::create_dir_all(&outbox)
                .map_err(|e| format!("cannot create {}: {e}", outbox.display()))?;
            return Ok(Transport::Outbox(outbox));
        };
        let url = SmtpUrl::parse(url)?;
        let parameters = || {
            let mut parameters = TlsParameters::builder(url.host.clone());
            if let Some(ca) = ca {
                parameters = parameters.add_root_certificate(ca);
            }
            parameters.build().map_err(|e| {
                format!(
                    "cannot set up TLS for {} (does STADSMAAT_SMTP_CA hold root \
                     certificates?): {e}",
                    url.server()
                )
            })
        };
        let tls = match url.security {
            Security::ImplicitTls => Tls::Wrapper(parameters()?),
            Security::StartTlsRequired => Tls::Required(parameters()?),
            Security::StartTlsWhenOffered => Tls::Opportunistic(parameters()?),
            Security::Plain => Tls::None,
        };
        // "Dangerous" only because lettre leaves TLS to us here; `tls` above sets it.
        let mut builder = SmtpTransport::builder_dangerous(&url.host)
            .port(url.port)
            .tls(tls)
            .timeout(Some(SMTP_TIMEOUT))
            .pool_config(
                PoolConfig::new()
                    .max_size(POOL_SIZE)
                    .idle_timeout(POOL_IDLE),
            );
        if let Some((user, password)) = &url.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Transport::Smtp {
            transport: Box::new(builder.build()),
            url,
        })
    }

    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp { url, .. } => format!(
                "SMTP {} ({}{})",
                url.server(),
                url.security.describe(),
                if url.credentials.is_some() {
                    ", with a password"
                } else {
                    ""
                }
            ),
            Transport::Outbox(dir) => format!("outbox {}", dir.display()),
        }
    }

    /// Hands `message` over; `id` names the outbox file.
    pub fn deliver(&self, id: i32, message: &Message) -> Result<(), Failure> {
        match self {
            Transport::Smtp { transport, url } => transport
                .send(message)
                .map(|_| ())
                .map_err(|e| classify(&url.server(), &e)),
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

/// A 5xx on the message or a recipient is for good; everything else — a 4xx, no
/// connection, a TLS failure, no STARTTLS — may pass, so the message waits. So do the
/// 5xx replies to authentication (RFC 4954: 530, 534, 535, 538): they say our
/// configuration is wrong, not the message, and giving up every message in the queue
/// over a mistyped password would lose them.
fn classify(server: &str, error: &lettre::transport::smtp::Error) -> Failure {
    let why = format!("{server}: {error}");
    let code = error.status().map(|code| code.to_string());
    match code.as_deref() {
        Some("530" | "534" | "535" | "538") => Failure::Temporary(format!(
            "{why}; the login was refused: check the user and password in SMTP_URL"
        )),
        _ if error.is_permanent() => Failure::Permanent(why),
        _ => Failure::Temporary(why),
    }
}

/// The root certificates of `STADSMAAT_SMTP_CA`.
fn read_ca(path: &Path) -> Result<Certificate, String> {
    let pem = std::fs::read(path)
        .map_err(|e| format!("STADSMAAT_SMTP_CA: cannot read {}: {e}", path.display()))?;
    // An empty or wrong file would otherwise be accepted and trust nothing extra.
    if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
        return Err(format!(
            "STADSMAAT_SMTP_CA: {} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    Certificate::from_pem(&pem).map_err(|e| {
        format!(
            "STADSMAAT_SMTP_CA: {} is not valid PEM: {e}",
            path.display()
        )
    })
}

fn percent_decode(s: &str) -> String {
    super::outbox::decode_escapes(s, b'%')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> SmtpUrl {
        SmtpUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    fn refused(url: &str) -> String {
        match SmtpUrl::parse(url) {
            Ok(parsed) => panic!("{url} was accepted: {parsed:?}"),
            Err(why) => why,
        }
    }

    #[test]
    fn smtps_is_implicit_tls_on_465() {
        let url = parse("smtps://mail.gemeente.nl");
        assert_eq!(url.host, "mail.gemeente.nl");
        assert_eq!(url.port, 465);
        assert_eq!(url.security, Security::ImplicitTls);
        assert_eq!(url.credentials, None);
        assert_eq!(parse("SMTPS://mail.gemeente.nl:2465/").port, 2465);
        assert_eq!(
            parse("smtps://127.0.0.1:1465").security,
            Security::ImplicitTls
        );
    }

    #[test]
    fn smtp_requires_starttls_on_587_elsewhere() {
        let url = parse("smtp://relay.zwolle.nl");
        assert_eq!((url.port, url.security), (587, Security::StartTlsRequired));
        assert_eq!(parse("smtp://relay.zwolle.nl:25").port, 25);
        assert_eq!(
            parse("smtp://10.0.0.5:2525").security,
            Security::StartTlsRequired,
            "a private address is still a network"
        );
        assert_eq!(
            parse("smtp://localhost.example.nl").security,
            Security::StartTlsRequired
        );
    }

    #[test]
    fn loopback_takes_starttls_when_offered_on_25() {
        for (url, host) in [
            ("smtp://127.0.0.1", "127.0.0.1"),
            ("smtp://127.8.9.10", "127.8.9.10"),
            ("smtp://localhost", "localhost"),
            ("smtp://LocalHost", "LocalHost"),
            ("smtp://[::1]", "::1"),
        ] {
            let parsed = parse(url);
            assert_eq!(parsed.host, host);
            assert_eq!(parsed.port, 25, "{url}");
            assert_eq!(parsed.security, Security::StartTlsWhenOffered, "{url}");
        }
        assert_eq!(parse("smtp://127.0.0.1:2525").port, 2525);
        assert_eq!(parse("smtp://[::1]:2525").server(), "[::1]:2525");
    }

    #[test]
    fn tls_none_only_on_loopback() {
        let url = parse("smtp://127.0.0.1:2525?tls=none");
        assert_eq!((url.port, url.security), (2525, Security::Plain));
        assert_eq!(
            parse("smtp://localhost/?tls=none").security,
            Security::Plain
        );
        assert_eq!(parse("smtp://[::1]?tls=none").security, Security::Plain);
        for url in [
            "smtp://relay.gemeente.nl?tls=none",
            "smtp://192.168.1.10:25?tls=none",
            "smtp://[2001:db8::1]?tls=none",
        ] {
            let why = refused(url);
            assert!(why.contains("tls=none"), "{url}: {why}");
            assert!(why.contains("this machine"), "{url}: {why}");
        }
    }

    #[test]
    fn tls_required_also_on_loopback() {
        let url = parse("smtp://127.0.0.1:2525?tls=required");
        assert_eq!(url.security, Security::StartTlsRequired);
        assert_eq!(
            parse("smtp://relay.gemeente.nl?tls=required").security,
            Security::StartTlsRequired
        );
    }

    #[test]
    fn credentials_are_percent_decoded() {
        let url = parse("smtps://post%40gemeente.nl:ge%3Aheim%2F!@mail.gemeente.nl:465");
        assert_eq!(
            url.credentials,
            Some(("post@gemeente.nl".to_owned(), "ge:heim/!".to_owned()))
        );
        assert_eq!(url.host, "mail.gemeente.nl");
        // Unencoded `@` and `:` in the password: the last `@` and the first `:` count.
        let url = parse("smtp://post:p@ss:w@relay.gemeente.nl?tls=required");
        assert_eq!(
            url.credentials,
            Some(("post".to_owned(), "p@ss:w".to_owned()))
        );
        assert_eq!(url.host, "relay.gemeente.nl");
        assert_eq!(
            parse("smtp://alleen@localhost").credentials,
            Some(("alleen".to_owned(), String::new()))
        );
    }

    #[test]
    fn the_password_is_never_printed() {
        let url = parse("smtps://post:geheim@mail.gemeente.nl");
        assert!(!format!("{url:?}").contains("geheim"));
        let transport = Transport::from_config(
            Some("smtps://post:geheim@mail.gemeente.nl"),
            PathBuf::from("unused"),
        )
        .expect("transport");
        let described = transport.describe();
        assert_eq!(
            described,
            "SMTP mail.gemeente.nl:465 (implicit TLS, with a password)"
        );
    }

    #[test]
    fn bad_urls_say_what_is_expected() {
        for (url, says) in [
            ("relay.gemeente.nl", "not a URL"),
            ("imap://relay.gemeente.nl", "scheme \"imap\""),
            ("http://relay.gemeente.nl", "smtps://"),
            ("smtp://", "no host"),
            ("smtp://:25", "no host"),
            ("smtps://user:pw@", "no host"),
            ("smtp://relay.gemeente.nl:smtp", "port \"smtp\""),
            ("smtp://relay.gemeente.nl:", "port \"\""),
            ("smtp://relay.gemeente.nl:70000", "1 to 65535"),
            ("smtp://relay.gemeente.nl:0", "1 to 65535"),
            ("smtp://::1", "port"),
            ("smtp://[::1", "without `]`"),
            ("smtp://[relay]:25", "not an IPv6"),
            ("smtp://[::1]x", "after the IPv6"),
            ("smtp://relay gemeente.nl", "host name"),
            ("smtp://relay.gemeente.nl/mail", "path"),
            ("smtp://relay.gemeente.nl?tls=starttls", "tls=\"starttls\""),
            ("smtp://relay.gemeente.nl?tls=", "tls=\"\""),
            (
                "smtp://relay.gemeente.nl?timeout=5",
                "parameter \"timeout=5\"",
            ),
            ("smtp://localhost?tls=none&tls=required", "twice"),
            ("smtps://relay.gemeente.nl?tls=required", "smtp:// only"),
            ("smtp://:geheim@relay.gemeente.nl", "no user name"),
        ] {
            let why = refused(url);
            assert!(why.contains(says), "{url}: {why:?} should say {says:?}");
            assert!(why.starts_with("SMTP_URL"), "{url}: {why}");
        }
        assert!(refused("ftp://x").contains("expected smtps://"));
    }

    #[test]
    fn bad_urls_stop_the_transport_but_no_url_is_the_outbox() {
        let dir = std::env::temp_dir().join(format!("stadsmaat-outbox-{}", std::process::id()));
        assert!(
            Transport::from_config(Some("smtp://relay.gemeente.nl?tls=none"), dir.clone()).is_err()
        );
        let outbox = Transport::from_config(Some(""), dir.clone()).expect("outbox");
        assert!(outbox.describe().starts_with("outbox "));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_ca_file_must_hold_certificates() {
        let dir = std::env::temp_dir().join(format!("stadsmaat-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").expect("write");
        let why = Transport::with_ca(None, Some(&empty), dir.join("outbox"))
            .err()
            .expect("refused");
        assert!(why.contains("no PEM certificate"), "{why}");
        let missing = Transport::with_ca(None, Some(&dir.join("missing.pem")), dir.join("o"))
            .err()
            .expect("refused");
        assert!(missing.contains("cannot read"), "{missing}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
