//! The SMTP transport against a real server: TLS as `SMTP_URL` says, certificates
//! checked against the built-in roots plus `STADSMAAT_SMTP_CA`, the password from the
//! URL, one connection for a burst, refusals told apart, and a bad setting refused at
//! start-up.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::specs;
use crate::support::fixtures::signed_in;
use crate::support::session::{register, Session};
use crate::support::smtp::{SinkOptions, SinkTls, SmtpSink};
use crate::support::{poll, TestApp};

specs![
    fresh:
        implicit_tls_reaches_a_relay_signed_by_the_configured_authority,
        starttls_is_taken_when_a_local_relay_offers_it,
        a_certificate_from_an_unknown_authority_is_refused,
        required_starttls_refuses_a_relay_without_it,
        the_url_credentials_log_in,
        a_refused_login_keeps_the_mail_for_later,
        a_refused_recipient_is_given_up_and_a_busy_one_retried,
        a_burst_of_mail_shares_one_connection,
        an_address_that_keeps_refusing_is_shown_to_its_owner_until_they_retry;
    plain:
        a_bad_smtp_setting_stops_start_up;
];

const ADMIN: &str = "postmeester@example.nl";

/// `app` restarted with `env`.
fn restart_with(app: &mut TestApp, env: &[(&str, &str)]) -> TestApp {
    let backend = app.backend;
    app.stop();
    TestApp::start_with(backend, env)
}

/// The queue row of `recipient` on `/beheer/post` once it shows an error containing
/// `error` — what an administrator sees.
fn queue_row(admin: &Session, recipient: &str, error: &str) -> String {
    poll(
        Duration::from_secs(20),
        || {
            format!(
                "no queue row for {recipient} with {error:?}:\n{}\n{}",
                admin.get("/beheer/post").body,
                admin.app.log()
            )
        },
        || {
            let page = admin.get("/beheer/post").body;
            page.split("<tr>")
                .find(|row| row.contains(recipient) && row.contains(error))
                .map(str::to_owned)
        },
    )
}

/// With `app` restarted on `smtp_url`, mail to `recipient` reaches nothing and waits
/// in the queue for a later attempt, showing an error that contains `error`.
fn waits_for_later(
    app: &mut TestApp,
    sink: &SmtpSink,
    smtp_url: &str,
    recipient: &str,
    error: &str,
) {
    let app = restart_with(app, &[("SMTP_URL", smtp_url)]);
    let admin = signed_in(&app, ADMIN, true);
    register(&app, recipient);
    let row = queue_row(&admin, recipient, error);
    assert!(!row.contains("badge"), "retried later, not given up: {row}");
    assert!(sink.received().is_empty());
}

fn implicit_tls_reaches_a_relay_signed_by_the_configured_authority(app: &mut TestApp) {
    let sink = SmtpSink::start_with(SinkOptions {
        tls: SinkTls::Implicit,
        ..SinkOptions::default()
    });
    assert!(sink.url().starts_with("smtps://127.0.0.1:"));
    let ca = sink.ca_file().display().to_string();
    let app = restart_with(
        app,
        &[("SMTP_URL", &sink.url()), ("STADSMAAT_SMTP_CA", &ca)],
    );
    register(&app, "versleuteld@example.nl");
    let received = sink.wait_for(1);
    assert_eq!(received[0].to, vec!["versleuteld@example.nl".to_owned()]);
    assert!(received[0].tls, "over TLS");
    assert!(
        app.log().contains("implicit TLS"),
        "the log says how mail goes:\n{}",
        app.log()
    );
}

/// `smtp://` to loopback: STARTTLS is used when offered (and plain SMTP, as in the other
/// mail specifications, when not).
fn starttls_is_taken_when_a_local_relay_offers_it(app: &mut TestApp) {
    let sink = SmtpSink::start_with(SinkOptions {
        tls: SinkTls::StartTls,
        ..SinkOptions::default()
    });
    let ca = sink.ca_file().display().to_string();
    let app = restart_with(
        app,
        &[("SMTP_URL", &sink.url()), ("STADSMAAT_SMTP_CA", &ca)],
    );
    register(&app, "opgewaardeerd@example.nl");
    assert!(sink.wait_for(1)[0].tls, "upgraded with STARTTLS");
}

/// Without `STADSMAAT_SMTP_CA` the test authority is nobody we trust: nothing is sent,
/// and the message waits.
fn a_certificate_from_an_unknown_authority_is_refused(app: &mut TestApp) {
    let sink = SmtpSink::start_with(SinkOptions {
        tls: SinkTls::Implicit,
        ..SinkOptions::default()
    });
    waits_for_later(
        app,
        &sink,
        &sink.url(),
        "onbekend@example.nl",
        "certificate",
    );
}

/// `?tls=required` on loopback stands in for any relay elsewhere (where it is the
/// default): a server that offers no STARTTLS gets nothing.
fn required_starttls_refuses_a_relay_without_it(app: &mut TestApp) {
    let sink = SmtpSink::start();
    let url = format!("{}?tls=required", sink.url());
    waits_for_later(app, &sink, &url, "klaartekst@example.nl", "STARTTLS");
}

/// User and password come from the URL, percent-decoded, and go only over TLS here.
fn the_url_credentials_log_in(app: &mut TestApp) {
    let sink = SmtpSink::start_with(SinkOptions {
        tls: SinkTls::Implicit,
        login: Some(("post@gemeente.nl".into(), "ge:heim/!".into())),
        ..SinkOptions::default()
    });
    let url = format!(
        "smtps://post%40gemeente.nl:ge%3Aheim%2F%21@127.0.0.1:{}",
        sink.port
    );
    let ca = sink.ca_file().display().to_string();
    let app = restart_with(app, &[("SMTP_URL", &url), ("STADSMAAT_SMTP_CA", &ca)]);
    register(&app, "ingelogd@example.nl");
    let received = sink.wait_for(1);
    assert_eq!(received[0].user.as_deref(), Some("post@gemeente.nl"));
    assert!(received[0].tls);
    assert!(!app.log().contains("heim"), "no password in the log");
}

/// A wrong password is our configuration's fault, not the message's: it waits for the
/// administrator to fix `SMTP_URL` instead of being given up.
fn a_refused_login_keeps_the_mail_for_later(app: &mut TestApp) {
    let sink = SmtpSink::start_with(SinkOptions {
        login: Some(("post".into(), "juist".into())),
        ..SinkOptions::default()
    });
    let url = format!("smtp://post:fout@127.0.0.1:{}", sink.port);
    waits_for_later(app, &sink, &url, "wachtend@example.nl", "535");
}

/// 550 for a recipient is final; 451 is worth another try.
fn a_refused_recipient_is_given_up_and_a_busy_one_retried(app: &mut TestApp) {
    let sink = SmtpSink::start();
    let app = restart_with(app, &[("SMTP_URL", &sink.url())]);
    let admin = signed_in(&app, ADMIN, true);
    register(&app, "weigeraar@example.nl");
    register(&app, "drukbezet@example.nl");
    let refused = queue_row(&admin, "weigeraar@example.nl", "550");
    assert!(refused.contains("badge"), "given up: {refused}");
    let busy = queue_row(&admin, "drukbezet@example.nl", "451");
    assert!(!busy.contains("badge"), "retried later: {busy}");
    assert!(sink.received().is_empty());
}

/// The pool keeps the connection open between messages that follow each other, as the
/// weekly digest's do.
fn a_burst_of_mail_shares_one_connection(app: &mut TestApp) {
    let sink = SmtpSink::start();
    let app = restart_with(app, &[("SMTP_URL", &sink.url())]);
    for n in 0..3 {
        register(&app, &format!("reeks{n}@example.nl"));
    }
    assert_eq!(sink.wait_for(3).len(), 3);
    assert_eq!(sink.connections(), 1, "one connection for all three");
}

/// Three permanent refusals in a row mark the address as failing: its owner sees so on
/// their profile and can say it works again.
fn an_address_that_keeps_refusing_is_shown_to_its_owner_until_they_retry(app: &mut TestApp) {
    let sink = SmtpSink::start();
    let app = restart_with(app, &[("SMTP_URL", &sink.url())]);
    let admin = signed_in(&app, ADMIN, true);
    let owner = crate::support::fixtures::signed_in_as(&app, "weigerpost@example.nl", &[]);
    assert!(!owner.get("/account").body.contains("/account/post/opnieuw"));
    for _ in 0..3 {
        let res = Session::new(&app).post(
            "/wachtwoord-vergeten",
            &[("email", "weigerpost@example.nl")],
        );
        assert!(res.status < 400, "{}", res.body);
    }
    poll(
        Duration::from_secs(30),
        || format!("never marked failing:\n{}", admin.get("/beheer/post").body),
        || {
            owner
                .get("/account")
                .body
                .contains("/account/post/opnieuw")
                .then_some(())
        },
    );
    let res = owner.post("/account/post/opnieuw", &[]);
    assert_eq!(res.status, 303, "{}", res.body);
    let profile = owner.get("/account").body;
    assert!(
        !profile.contains("/account/post/opnieuw"),
        "cleared: {profile}"
    );
    // A stranger cannot clear it for someone else: the route needs a session.
    let res = Session::new(&app).post("/account/post/opnieuw", &[]);
    assert!(matches!(res.status, 303 | 401 | 403), "{}", res.status);
    assert!(res
        .header("location")
        .is_none_or(|l| l.starts_with("/inloggen")));
}

/// Each bad setting ends `serve` at once with a message that says what is wrong —
/// and never shows the password.
fn a_bad_smtp_setting_stops_start_up() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing_ca = dir.path().join("geen-ca.pem");
    let missing_ca = missing_ca.to_str().expect("path");
    for (url, ca, says) in [
        (
            "smtp://post:geheim@relay.example.nl?tls=none",
            None,
            "tls=none",
        ),
        ("imap://relay.example.nl", None, "expected smtps://"),
        ("smtp://relay.example.nl:99999", None, "port"),
        ("smtp://relay.example.nl?tls=starttls", None, "tls="),
        (
            "smtps://post:geheim@relay.example.nl",
            Some(missing_ca),
            "STADSMAAT_SMTP_CA",
        ),
    ] {
        let mut cmd = Command::new(crate::support::binary());
        cmd.arg("serve")
            .env_remove("DATABASE_URL")
            .env_remove("STADSMAAT_SMTP_CA")
            .env("STADSMAAT_DATA_DIR", dir.path())
            .env("STADSMAAT_BIND", "127.0.0.1:0")
            .env("SMTP_URL", url)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(ca) = ca {
            cmd.env("STADSMAAT_SMTP_CA", ca);
        }
        let mut child = cmd.spawn().expect("start stadsmaat");
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("serve kept running with SMTP_URL={url}");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut stderr = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().expect("stderr"), &mut stderr)
            .expect("read stderr");
        assert!(!status.success(), "{url}: {stderr}");
        assert!(
            stderr.contains(says),
            "{url}: {stderr:?} should say {says:?}"
        );
        assert!(
            !stderr.contains("geheim"),
            "{url}: password shown: {stderr}"
        );
    }
}
