//! Mail: every message has a stable Message-ID, and a slow relay gets each message once.

use std::time::Duration;

use crate::support::session::register;
use crate::support::smtp::SmtpSink;
use crate::support::{poll, TestApp};

use crate::specs;

specs![
    fresh: every_message_carries_its_own_message_id, a_slow_relay_receives_each_message_once
];

fn header<'a>(data: &'a str, name: &str) -> Option<&'a str> {
    data.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(": ")))
}

fn every_message_carries_its_own_message_id(app: &mut TestApp) {
    let sink = SmtpSink::start();
    let backend = app.backend;
    app.stop();
    let app = TestApp::start_with(backend, &[("SMTP_URL", &sink.url())]);
    register(&app, "een@example.nl");
    register(&app, "twee@example.nl");
    let received = sink.wait_for(2);
    let ids: Vec<&str> = received
        .iter()
        .map(|m| header(&m.data, "Message-ID").expect("Message-ID header"))
        .collect();
    for id in &ids {
        assert!(
            id.starts_with('<') && id.ends_with("@stadsmaat.localhost>"),
            "{id}"
        );
    }
    assert_ne!(ids[0], ids[1]);
}

/// The relay accepts after 12 seconds; the sender waits for it (RFC 5321 allows ten
/// minutes) instead of giving up and sending again.
fn a_slow_relay_receives_each_message_once(app: &mut TestApp) {
    let sink = SmtpSink::start_slow(Duration::from_secs(12));
    let backend = app.backend;
    app.stop();
    let app = TestApp::start_with(backend, &[("SMTP_URL", &sink.url())]);
    register(&app, "traag@example.nl");
    poll(
        Duration::from_secs(30),
        || format!("the slow relay never accepted:\n{}", app.log()),
        || app.log().contains("mail delivered").then_some(()),
    );
    assert_eq!(sink.received().len(), 1);
    assert!(
        !app.log().contains("mail not delivered"),
        "no attempt failed, so none is repeated:\n{}",
        app.log()
    );
}
