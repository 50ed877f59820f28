//! A real SMTP server on loopback for the mail specifications. It speaks enough of the
//! protocol for any client (EHLO/HELO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, RSET,
//! NOOP, QUIT) and keeps what it accepted, so a specification can check the
//! conversation's outcome. It can speak TLS — from the first byte or after STARTTLS —
//! with a certificate made for `127.0.0.1` by a test authority made at start
//! ([`SmtpSink::ca_file`] is that authority's certificate, for `STADSMAAT_SMTP_CA`).
//!
//! Recipients tell it how to answer: a local part starting with `weiger` is refused for
//! good (550), one starting with `druk` for now (451).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

use super::poll;

#[derive(Clone, Debug)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
    /// Whether the message came over TLS.
    pub tls: bool,
    /// The user that authenticated before sending it, if any.
    pub user: Option<String>,
}

/// How the sink secures its connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SinkTls {
    /// Plain SMTP only; no STARTTLS offered.
    None,
    /// Plain at first, offering STARTTLS.
    StartTls,
    /// TLS from the first byte (`smtps://`).
    Implicit,
}

/// What a sink is to be like; [`SmtpSink::start`] is the plain, prompt one.
pub struct SinkOptions {
    pub tls: SinkTls,
    /// How long it takes to accept each message after its last line.
    pub delay: Duration,
    /// Required user and password (AUTH PLAIN), if any.
    pub login: Option<(String, String)>,
}

impl Default for SinkOptions {
    fn default() -> Self {
        SinkOptions {
            tls: SinkTls::None,
            delay: Duration::ZERO,
            login: None,
        }
    }
}

pub struct SmtpSink {
    pub port: u16,
    tls: SinkTls,
    received: Arc<Mutex<Vec<Received>>>,
    connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    put_off: Arc<AtomicUsize>,
    ca_file: tempfile::NamedTempFile,
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        Self::start_with(SinkOptions::default())
    }

    /// A relay that takes `delay` to accept each message after its last line, as a
    /// busy one does (RFC 5321 allows up to ten minutes).
    pub fn start_slow(delay: Duration) -> SmtpSink {
        Self::start_with(SinkOptions {
            delay,
            ..SinkOptions::default()
        })
    }

    pub fn start_with(options: SinkOptions) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind SMTP sink");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let mut ca_file = tempfile::NamedTempFile::new().expect("CA file");
        ca_file
            .write_all(test_authority().ca_pem.as_bytes())
            .expect("write CA file");
        let received = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let put_off = Arc::new(AtomicUsize::new(0));
        let tls = options.tls;
        let sink = Arc::new(Shared {
            options,
            received: received.clone(),
            put_off: put_off.clone(),
        });
        let (count, s) = (connections.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        count.fetch_add(1, Ordering::SeqCst);
                        let sink = sink.clone();
                        std::thread::spawn(move || {
                            let _ = converse(stream, &sink);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        SmtpSink {
            port,
            tls,
            received,
            connections,
            stop,
            put_off,
            ca_file,
        }
    }

    /// `smtps://127.0.0.1:PORT` for a sink that is TLS from the first byte, otherwise
    /// `smtp://127.0.0.1:PORT`.
    /// Puts off the next `n` recipients for now (451), then accepts again.
    pub fn put_off_next(&self, n: usize) {
        self.put_off.store(n, Ordering::SeqCst);
    }

    pub fn url(&self) -> String {
        let scheme = match self.tls {
            SinkTls::Implicit => "smtps",
            SinkTls::None | SinkTls::StartTls => "smtp",
        };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// A PEM file with the certificate of the authority that signed the sink's.
    pub fn ca_file(&self) -> &Path {
        self.ca_file.path()
    }

    /// How many connections were opened to the sink so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// What has arrived so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }

    /// Waits (at most 15 s) until `n` messages have arrived.
    pub fn wait_for(&self, n: usize) -> Vec<Received> {
        let received = || self.received.lock().expect("lock").clone();
        poll(
            Duration::from_secs(15),
            || format!("{} of {n} messages arrived", received().len()),
            || Some(received()).filter(|got| got.len() >= n),
        )
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// What every connection of one sink shares.
struct Shared {
    options: SinkOptions,
    received: Arc<Mutex<Vec<Received>>>,
    /// How many of the next recipients are put off for now (451), as a relay under load
    /// does (see [`SmtpSink::put_off_next`]).
    put_off: Arc<AtomicUsize>,
}

/// The test certificate authority and the sink's certificate, made once per run.
struct TestAuthority {
    ca_pem: String,
    server: Arc<ServerConfig>,
}

fn test_authority() -> &'static TestAuthority {
    static AUTHORITY: OnceLock<TestAuthority> = OnceLock::new();
    AUTHORITY.get_or_init(|| {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
            KeyPair, KeyUsagePurpose,
        };
        let mut ca = CertificateParams::new(Vec::new()).expect("CA parameters");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "Stadsmaat test authority");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().expect("CA key");
        let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
        let issuer = Issuer::new(ca, ca_key);

        let mut leaf = CertificateParams::new(vec![
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
            "localhost".to_owned(),
        ])
        .expect("sink parameters");
        leaf.distinguished_name
            .push(DnType::CommonName, "sink.test");
        leaf.use_authority_key_identifier_extension = true;
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let leaf_key = KeyPair::generate().expect("sink key");
        let leaf_cert = leaf
            .signed_by(&leaf_key, &issuer)
            .expect("sink certificate");

        let chain: Vec<CertificateDer<'static>> = vec![leaf_cert.der().clone()];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let server =
            ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .expect("TLS versions")
                .with_no_client_auth()
                .with_single_cert(chain, key)
                .expect("sink TLS configuration");
        TestAuthority {
            ca_pem: ca_cert.pem(),
            server: Arc::new(server),
        }
    })
}

fn converse(stream: TcpStream, sink: &Shared) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let tls =
        || ServerConnection::new(test_authority().server.clone()).map_err(std::io::Error::other);
    let mut session = Session {
        tls: false,
        offer_starttls: sink.options.tls == SinkTls::StartTls,
        user: None,
    };
    match sink.options.tls {
        SinkTls::Implicit => {
            session.tls = true;
            talk(StreamOwned::new(tls()?, stream), sink, &mut session, true)?;
        }
        SinkTls::None | SinkTls::StartTls => {
            if let Some(plain) = talk(stream, sink, &mut session, true)? {
                // STARTTLS: the conversation starts over, encrypted (RFC 3207).
                session = Session {
                    tls: true,
                    offer_starttls: false,
                    user: None,
                };
                talk(StreamOwned::new(tls()?, plain), sink, &mut session, false)?;
            }
        }
    }
    Ok(())
}

/// The state of one conversation.
struct Session {
    tls: bool,
    offer_starttls: bool,
    user: Option<String>,
}

/// Speaks SMTP on `stream` until the client leaves (`None`) or asks for STARTTLS (the
/// stream back, to be wrapped in TLS).
fn talk<S: Read + Write>(
    stream: S,
    sink: &Shared,
    session: &mut Session,
    greet: bool,
) -> std::io::Result<Option<S>> {
    let mut lines = BufReader::new(stream);
    let reply = |lines: &mut BufReader<S>, text: &str| -> std::io::Result<()> {
        let out = lines.get_mut();
        out.write_all(text.as_bytes())?;
        out.flush()
    };
    if greet {
        reply(&mut lines, "220 sink.test ESMTP\r\n")?;
    }
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            let mut ehlo = String::from("250-sink.test\r\n");
            if session.offer_starttls && !session.tls {
                ehlo.push_str("250-STARTTLS\r\n");
            }
            if sink.options.login.is_some() {
                ehlo.push_str("250-AUTH PLAIN\r\n");
            }
            ehlo.push_str("250-8BITMIME\r\n250 SMTPUTF8\r\n");
            reply(&mut lines, &ehlo)?;
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            reply(&mut lines, "250 ok\r\n")?;
        } else if upper == "STARTTLS" && session.offer_starttls && !session.tls {
            reply(&mut lines, "220 go ahead\r\n")?;
            return Ok(Some(lines.into_inner()));
        } else if upper.starts_with("AUTH PLAIN") && sink.options.login.is_some() {
            let mut token = command[10..].trim().to_owned();
            if token.is_empty() {
                reply(&mut lines, "334 \r\n")?;
                line.clear();
                lines.read_line(&mut line)?;
                token = line.trim().to_owned();
            }
            // PLAIN is "authorization-id NUL user NUL password" (RFC 4616).
            let decoded = base64_decode(&token).unwrap_or_default();
            let parts: Vec<&[u8]> = decoded.split(|b| *b == 0).collect();
            let given = match parts.as_slice() {
                [_, user, password] => Some((
                    String::from_utf8_lossy(user).into_owned(),
                    String::from_utf8_lossy(password).into_owned(),
                )),
                _ => None,
            };
            if given.is_some() && given == sink.options.login {
                session.user = given.map(|(user, _)| user);
                reply(&mut lines, "235 2.7.0 authenticated\r\n")?;
            } else {
                reply(&mut lines, "535 5.7.8 bad credentials\r\n")?;
            }
        } else if upper.starts_with("RSET") {
            (from, to) = (String::new(), Vec::new());
            reply(&mut lines, "250 ok\r\n")?;
        } else if upper.starts_with("MAIL FROM:") {
            if sink.options.login.is_some() && session.user.is_none() {
                reply(&mut lines, "530 5.7.0 authentication required\r\n")?;
                continue;
            }
            from = command[10..].trim().to_owned();
            reply(&mut lines, "250 ok\r\n")?;
        } else if upper.starts_with("RCPT TO:") {
            let address = command[8..].trim().trim_matches(['<', '>']).to_owned();
            if address.starts_with("weiger") {
                reply(&mut lines, "550 5.1.1 no such mailbox\r\n")?;
            } else if address.starts_with("druk")
                || sink
                    .put_off
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok()
            {
                reply(&mut lines, "451 4.3.0 try again later\r\n")?;
            } else {
                to.push(address);
                reply(&mut lines, "250 ok\r\n")?;
            }
        } else if upper == "DATA" {
            reply(&mut lines, "354 go ahead\r\n")?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line)? == 0 {
                    return Ok(None);
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(
                    line.strip_prefix('.')
                        .filter(|_| line.starts_with(".."))
                        .unwrap_or(&line),
                );
            }
            std::thread::sleep(sink.options.delay);
            sink.received.lock().expect("lock").push(Received {
                from: std::mem::take(&mut from),
                to: std::mem::take(&mut to),
                data,
                tls: session.tls,
                user: session.user.clone(),
            });
            reply(&mut lines, "250 queued\r\n")?;
        } else if upper.starts_with("QUIT") {
            reply(&mut lines, "221 bye\r\n")?;
            return Ok(None);
        } else {
            reply(&mut lines, "502 not implemented\r\n")?;
        }
    }
}

/// Standard base64 (RFC 4648), as AUTH PLAIN sends it.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut bits, mut count) = (0u32, 0);
    for c in text.trim_end_matches('=').bytes() {
        let value = ALPHABET.iter().position(|a| *a == c)? as u32;
        bits = (bits << 6) | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(out)
}
