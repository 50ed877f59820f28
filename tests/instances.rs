//! Several `serve` processes on one database, as behind a load balancer: each keeps its
//! own search index and matchmaking network current from the shared change log, mail
//! goes out once, and set-up (migrations, the first import) happens once.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::fixtures::{edit_fields, post_fields, project_by_ref, signed_in_as, with};
use crate::support::session::Session;
use crate::support::smtp::SmtpSink;
use crate::support::{poll, Backend, TestApp};

use crate::specs;

specs![
    fresh: an_edit_through_one_instance_reaches_the_others_search_and_suggestions,
        mail_queued_through_two_instances_is_sent_exactly_once,
        an_import_beside_two_servers_reaches_both,
        two_instances_starting_at_once_set_up_the_database_once
];

fn search_total(app: &TestApp, q: &str) -> u64 {
    let (status, body) = app.get_json(&format!("/api/v1/search?q={q}&type=project"));
    assert_eq!(status, 200, "{body}");
    body["total"].as_u64().unwrap_or(0)
}

fn similar_ids(app: &TestApp, id: i64) -> Vec<i64> {
    crate::support::fixtures::similar_ids(app, id, 5)
}

/// Waits for `check` on the other instance, printing how long it took; its followers
/// poll the log every half second, so a second is the design bound.
fn seen_beside(what: &str, committed: Instant, check: impl FnMut() -> Option<()>) {
    poll(
        Duration::from_secs(5),
        || format!("instance B never saw: {what}"),
        check,
    );
    eprintln!("{what}: {} ms", committed.elapsed().as_millis());
}

fn an_edit_through_one_instance_reaches_the_others_search_and_suggestions(app: &mut TestApp) {
    let other = app.start_beside(&[]);
    let editor = signed_in_as(
        app,
        "redactie@apeldoorn.nl",
        &["--city", "apeldoorn", "--editor"],
    );
    let id = project_by_ref(app, "6.3")["id"].as_i64().expect("id");
    let before = similar_ids(&other, id);
    assert_eq!(search_total(&other, "kwartelkoningweide"), 0);
    let found = |app: &TestApp| {
        let (_, body) = app.get_json("/api/v1/search?q=kwartelkoningweide&type=project");
        body["results"][0]["id"] == id
    };
    let fields = edit_fields(&editor, id);
    let res = post_fields(
        &editor,
        &format!("/projecten/{id}/bewerken"),
        &with(
            &fields,
            &[
                ("title", "Slim parkeren Kwartelkoningweide"),
                (
                    "description",
                    "Parkeersensoren in elk parkeervak van de Kwartelkoningweide melden \
                     vrije parkeerplaatsen; een parkeerverwijssysteem leidt automobilisten \
                     naar een vrije plek en de parkeergarage.",
                ),
                ("theme", "mobility"),
            ],
        ),
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let committed = Instant::now();
    seen_beside("search finds the edit", committed, || {
        found(&other).then_some(())
    });
    seen_beside("suggestions follow the edit", committed, || {
        (similar_ids(&other, id) != before).then_some(())
    });
}

/// Registrations on both instances at once: each wakes its own sender, and both senders
/// claim from the one queue.
fn mail_queued_through_two_instances_is_sent_exactly_once(app: &mut TestApp) {
    let sink = SmtpSink::start();
    let backend = app.backend;
    app.stop();
    let first = TestApp::start_with(backend, &[("SMTP_URL", &sink.url())]);
    let second = first.start_beside(&[]);
    let count = 12;
    for n in 0..count {
        let app = if n % 2 == 0 { &first } else { &second };
        let res = Session::new(app).post(
            "/registreren",
            &[
                ("name", "Twee Servers"),
                ("email", &format!("twee{n}@example.nl")),
                ("password", crate::support::session::PASSWORD),
                ("password_again", crate::support::session::PASSWORD),
            ],
        );
        assert!(res.status < 400, "{}", res.body);
    }
    crate::support::poll(
        Duration::from_secs(15),
        || {
            let mail_lines = |log: String| {
                log.lines()
                    .filter(|l| l.contains("mail"))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            format!(
                "{} of {count} messages arrived\nfirst:\n{}\nsecond:\n{}",
                sink.received().len(),
                mail_lines(first.log()),
                mail_lines(second.log())
            )
        },
        || (sink.received().len() >= count).then_some(()),
    );
    // Both senders have passed over the queue again by now.
    std::thread::sleep(Duration::from_secs(2));
    let received = sink.received();
    let mut recipients: Vec<&str> = received
        .iter()
        .flat_map(|m| m.to.iter().map(String::as_str))
        .collect();
    recipients.sort_unstable();
    recipients.dedup();
    assert_eq!(received.len(), count, "every message once: {recipients:?}");
    assert_eq!(recipients.len(), count);
    let mut ids: Vec<&str> = received
        .iter()
        .filter_map(|m| m.data.lines().find_map(|l| l.strip_prefix("Message-ID: ")))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count, "each message its own Message-ID");
}

fn an_import_beside_two_servers_reaches_both(app: &mut TestApp) {
    let other = app.start_beside(&[]);
    app.import_projects(vec![serde_json::json!({
        "source_ref": "40.900", "city": "zwolle", "title": "Reigerbekdijk",
        "description": "Een proef met sensoren in de Reigerbekdijk die de waterstand meten.",
        "description_origin": "report", "theme": "environment", "stage": "pilot"
    })]);
    let imported = Instant::now();
    for (name, instance) in [("A", &*app), ("B", &other)] {
        seen_beside(
            &format!("instance {name} finds the import"),
            imported,
            || {
                let (_, body) = instance.get_json("/api/v1/search?q=reigerbekdijk&type=project");
                (body["results"][0]["title"] == "Reigerbekdijk").then_some(())
            },
        );
    }
}

fn two_instances_starting_at_once_set_up_the_database_once(app: &mut TestApp) {
    let backend: Backend = app.backend;
    app.stop();
    let (first, second) = TestApp::start_pair(backend);
    let imports = [&first, &second]
        .iter()
        .filter(|a| a.log().contains("imported the G40 inventory"))
        .count();
    assert_eq!(imports, 1, "one of the two imports the inventory");
    for instance in [&first, &second] {
        let (_, projects) = instance.get_json("/api/v1/projects?per_page=1");
        assert_eq!(projects["total"], Value::from(434));
        assert!(search_total(instance, "fiets") > 5, "{}", instance.log());
    }
}
