//! Mail people keep reading: on Monday a member of Apeldoorn gets a digest naming
//! Arnhem's new iVRI project with the reason it matches; a second run sends nothing; a
//! week with nothing new sends nothing; every mail can be stopped in one click by a
//! mail client without a session; a refusing relay and a restart lose and duplicate
//! nothing; notifications are mailed at once.

use std::time::Duration;

use crate::specs;
use crate::support::fixtures::{create_project, signed_in_as};
use crate::support::smtp::{Received, SmtpSink};
use crate::support::{eventually, poll, TestApp};

specs![
    fresh:
        a_member_gets_a_digest_naming_a_comparable_new_project_with_its_reason,
        a_second_run_the_same_week_sends_nothing_and_an_empty_week_sends_nothing,
        a_dry_run_says_what_would_be_sent_and_sends_nothing,
        what_the_reader_already_opened_is_left_out,
        a_new_discussion_about_a_project_of_a_followed_city_is_in_the_digest,
        a_followed_search_brings_what_is_new_for_it_and_nothing_older,
        who_signs_out_stays_weekly_and_who_stays_away_three_months_gets_it_monthly,
        one_click_unsubscribe_works_from_a_mail_client_without_a_session,
        a_refusing_relay_and_a_restart_lose_and_duplicate_no_mail,
        a_question_to_a_city_is_mailed_to_its_editor_at_once,
        a_city_editor_is_asked_once_a_month_to_confirm_the_oldest_projects;
];

/// Next Monday 07:05 on the Amsterdam clock, as RFC 3339: a moment the digest is due and
/// everything made now lies in its week.
fn next_monday() -> String {
    let now = chrono::Utc::now();
    let schedule = stadsmaat::digest::Schedule::default();
    let due = schedule.due_in_week_of(now + chrono::Duration::days(7));
    (due + chrono::Duration::minutes(5)).to_rfc3339()
}

fn run_digest(app: &TestApp, args: &[&str]) -> String {
    let output = app
        .command()
        .arg("digest")
        .args(args)
        .output()
        .expect("digest");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn header<'a>(mail: &'a Received, name: &str) -> Option<&'a str> {
    mail.data
        .lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(": ")))
}

/// The mail's text as written: quoted-printable soft breaks and escapes undone.
fn decoded(mail: &Received) -> String {
    let joined = mail.data.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            if let Some(hex) = joined.get(i + 1..i + 3) {
                if let Ok(b) = u8::from_str_radix(hex, 16) {
                    out.push(b);
                    i += 3;
                    continue;
                }
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Arnhem adds an iVRI project like Apeldoorn's Talking Traffic pilot.
fn arnhem_adds_ivris(app: &TestApp) -> i64 {
    let arnhem = signed_in_as(app, "verkeer@arnhem.nl", &["--city", "arnhem"]);
    let id = create_project(
        &arnhem,
        &[
            ("title", "iVRI's op de Velperweg"),
            (
                "description",
                "Arnhem vervangt de verkeerslichten op de Velperweg door intelligente \
                 verkeersregelinstallaties (iVRI's) van Talking Traffic, die met auto's, \
                 fietsers en bussen communiceren voor een betere doorstroming.",
            ),
            ("theme", "mobility"),
            ("stage", "pilot"),
            ("version", ""),
        ],
    );
    eventually("matchmaking has the new project", || {
        let (_, body) = app.get_json(&format!("/api/v1/projects/{id}/similar?limit=10"));
        body["results"].as_array().is_some_and(|r| {
            r.iter()
                .any(|s| s["project"]["city"]["slug"] == "apeldoorn")
        })
    });
    id
}

fn smtp_app(app: &mut TestApp, sink: &SmtpSink) -> TestApp {
    let backend = app.backend;
    app.stop();
    TestApp::start_with(backend, &[("SMTP_URL", &sink.url())])
}

fn digests_to<'a>(mails: &'a [Received], to: &str) -> Vec<&'a Received> {
    mails
        .iter()
        .filter(|m| m.to.iter().any(|t| t == to))
        .filter(|m| header(m, "List-Id").is_some_and(|l| l.contains("digest.")))
        .collect()
}

fn a_member_gets_a_digest_naming_a_comparable_new_project_with_its_reason(app: &mut TestApp) {
    let sink = SmtpSink::start();
    let app = smtp_app(app, &sink);
    signed_in_as(&app, "lid@apeldoorn.nl", &["--city", "apeldoorn"]);
    arnhem_adds_ivris(&app);
    let output = run_digest(&app, &["--at", &next_monday()]);
    assert!(output.contains("all mail delivered"), "{output}");
    let mails = sink.received();
    let digest = digests_to(&mails, "lid@apeldoorn.nl");
    assert_eq!(digest.len(), 1, "one digest: {output}");
    let mail = digest[0];
    let text = decoded(mail);
    assert!(
        text.contains("Nieuw en vergelijkbaar met uw projecten"),
        "{text}"
    );
    assert!(
        text.contains("iVRI's op de Velperweg") || text.contains("iVRI&#x27;s op de Velperweg"),
        "{text}"
    );
    assert!(
        text.contains("Lijkt op uw") && text.contains("Talking Traffic"),
        "the reason: {text}"
    );
    assert!(
        text.contains("Content-Type: text/plain") && text.contains("Content-Type: text/html"),
        "both parts"
    );
    let unsubscribe = header(mail, "List-Unsubscribe").expect("List-Unsubscribe");
    assert!(
        unsubscribe.starts_with(&format!("<{}/afmelden/", app.base_url)),
        "{unsubscribe}"
    );
    assert_eq!(
        header(mail, "List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(header(mail, "Message-ID").is_some());
    assert!(header(mail, "Subject").is_some_and(|s| s.contains("Stadsmaat")));
}

fn a_second_run_the_same_week_sends_nothing_and_an_empty_week_sends_nothing(app: &mut TestApp) {
    let sink = SmtpSink::start();
    let app = smtp_app(app, &sink);
    signed_in_as(&app, "lid@apeldoorn.nl", &["--city", "apeldoorn"]);
    // Someone who follows nothing and belongs to no city has nothing new.
    signed_in_as(&app, "stil@example.nl", &[]);
    arnhem_adds_ivris(&app);
    let at = next_monday();
    run_digest(&app, &["--at", &at]);
    let after_first = sink.received();
    assert_eq!(digests_to(&after_first, "lid@apeldoorn.nl").len(), 1);
    assert!(
        digests_to(&after_first, "stil@example.nl").is_empty(),
        "no empty digest"
    );
    let output = run_digest(&app, &["--at", &at]);
    assert!(output.contains("queued 0"), "{output}");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        sink.received().len(),
        after_first.len(),
        "nothing sent twice"
    );
}

fn a_dry_run_says_what_would_be_sent_and_sends_nothing(app: &mut TestApp) {
    let member = signed_in_as(app, "lid@apeldoorn.nl", &["--city", "apeldoorn"]);
    arnhem_adds_ivris(app);
    let at = next_monday();
    let before = app.outbox().len();
    let output = run_digest(app, &["--dry-run", "--at", &at]);
    assert!(
        output.contains("lid@apeldoorn.nl") && output.contains("would send 1"),
        "{output}"
    );
    assert!(
        output.contains("[similar] iVRI's op de Velperweg"),
        "{output}"
    );
    assert_eq!(app.outbox().len(), before, "nothing sent");
    // Nor does it make the default follows it composed with (seen in the data export,
    // which makes none itself).
    let export: serde_json::Value =
        serde_json::from_str(&member.get("/account/gegevens").body).expect("JSON");
    assert_eq!(export["follows"], serde_json::json!([]), "{export}");
    // Not marked either: the real run sends it.
    let output = run_digest(app, &["--at", &at]);
    assert!(output.contains("queued 1"), "{output}");
}

fn what_the_reader_already_opened_is_left_out(app: &mut TestApp) {
    let member = signed_in_as(app, "lid@apeldoorn.nl", &["--city", "apeldoorn"]);
    let id = arnhem_adds_ivris(app);
    assert_eq!(member.get(&format!("/projecten/{id}")).status, 200);
    let output = run_digest(app, &["--dry-run", "--at", &next_monday()]);
    assert!(!output.contains("iVRI's op de Velperweg —"), "{output}");
}

fn a_new_discussion_about_a_project_of_a_followed_city_is_in_the_digest(app: &mut TestApp) {
    signed_in_as(app, "lid@apeldoorn.nl", &["--city", "apeldoorn"]);
    let asker = signed_in_as(app, "vraag@arnhem.nl", &["--city", "arnhem"]);
    let (_, project) = app.get_json("/api/v1/projects?source_ref=6.3");
    let id = project["results"][0]["id"].as_i64().expect("id");
    let res = asker.post(
        &format!("/discussies/nieuw?over=project:{id}"),
        &[
            ("title", "Wie onderhoudt de iVRI's?"),
            ("body", "Graag uw ervaring."),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let output = run_digest(app, &["--dry-run", "--at", &next_monday()]);
    let mine = lines_for(&output, "lid@apeldoorn.nl");
    assert!(
        mine.join("\n")
            .contains("[threads] Wie onderhoudt de iVRI's?"),
        "{output}"
    );
}

/// The lines of one recipient in a dry run's output.
fn lines_for<'a>(output: &'a str, email: &str) -> Vec<&'a str> {
    output
        .lines()
        .skip_while(|l| !l.starts_with(&format!("{email}:")))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .collect()
}

fn a_followed_search_brings_what_is_new_for_it_and_nothing_older(app: &mut TestApp) {
    // No city, so nothing else brings the project: only the search.
    let searcher = signed_in_as(app, "zoekt@example.nl", &[]);
    let res = searcher.post("/zoeken/volgen", &[("q", "iVRI"), ("theme", "mobility")]);
    assert_eq!(res.status, 303, "{}", res.body);
    arnhem_adds_ivris(app);
    eventually("the index has the new project", || {
        let (_, body) = app.get_json("/api/v1/search?q=Velperweg");
        body["total"].as_u64().unwrap_or(0) > 0
    });
    let output = run_digest(app, &["--dry-run", "--at", &next_monday()]);
    let mine = lines_for(&output, "zoekt@example.nl");
    assert_eq!(
        mine,
        vec!["  [searches] iVRI's op de Velperweg — Nieuw bij uw zoekopdracht “iVRI” · Smart Mobility"],
        "only the new project, not the inventory's older iVRI pilots: {output}"
    );
}

fn who_signs_out_stays_weekly_and_who_stays_away_three_months_gets_it_monthly(app: &mut TestApp) {
    let member = signed_in_as(app, "uit@apeldoorn.nl", &["--city", "apeldoorn"]);
    signed_in_as(app, "weg@apeldoorn.nl", &["--city", "apeldoorn"]);
    // Both accounts are old; one was here today and signed out, the other's last visit
    // was in the spring.
    app.execute_sql(
        "UPDATE users SET created_at = '2026-01-01 00:00:00' \
         WHERE email IN ('uit@apeldoorn.nl', 'weg@apeldoorn.nl')",
    );
    assert_eq!(member.post("/uitloggen", &[]).status, 303);
    app.execute_sql(
        "UPDATE users SET last_seen_at = '2026-05-01 00:00:00' WHERE email = 'weg@apeldoorn.nl'; \
         UPDATE sessions SET last_seen_at = '2026-05-01 00:00:00' \
         WHERE user_id = (SELECT id FROM users WHERE email = 'weg@apeldoorn.nl')",
    );
    arnhem_adds_ivris(app);
    let output = run_digest(app, &["--dry-run", "--at", &next_monday()]);
    let summary = |email: &str| {
        output
            .lines()
            .find(|l| l.starts_with(&format!("{email}:")))
            .unwrap_or_else(|| panic!("{email} in {output}"))
            .to_owned()
    };
    assert!(
        !summary("uit@apeldoorn.nl").ends_with(", monthly"),
        "{output}"
    );
    assert!(
        summary("weg@apeldoorn.nl").ends_with(", monthly"),
        "{output}"
    );
}

fn one_click_unsubscribe_works_from_a_mail_client_without_a_session(app: &mut TestApp) {
    let sink = SmtpSink::start();
    let app = smtp_app(app, &sink);
    signed_in_as(&app, "lid@apeldoorn.nl", &["--city", "apeldoorn"]);
    arnhem_adds_ivris(&app);
    run_digest(&app, &["--at", &next_monday()]);
    let mails = sink.received();
    let mail = digests_to(&mails, "lid@apeldoorn.nl")[0];
    let link = header(mail, "List-Unsubscribe")
        .expect("header")
        .trim_matches(['<', '>'])
        .to_owned();
    let path = link.trim_start_matches(&app.base_url).to_owned();
    // A GET only shows the button.
    let (status, page) = app.get(&path);
    assert_eq!(status, 200);
    assert!(page.contains("Afmelden") && page.contains("voorkeuren"));
    // What a mail client sends: no cookie, no CSRF token, no Origin.
    let response = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent()
        .post(&link)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send("List-Unsubscribe=One-Click")
        .expect("post");
    assert!(response.status().is_success(), "{}", response.status());
    // The next week brings something new, but no digest for them.
    arnhem_adds_more(&app);
    let next = {
        let schedule = stadsmaat::digest::Schedule::default();
        let due = schedule.due_in_week_of(chrono::Utc::now() + chrono::Duration::days(14));
        (due + chrono::Duration::minutes(5)).to_rfc3339()
    };
    run_digest(&app, &["--at", &next]);
    assert_eq!(
        digests_to(&sink.received(), "lid@apeldoorn.nl").len(),
        1,
        "stopped"
    );
    let (status, _) =
        app.get("/afmelden/0000000000000000000000000000000000000000000000000000000000000000");
    assert_eq!(status, 404);
}

fn arnhem_adds_more(app: &TestApp) {
    app.import_projects(vec![serde_json::json!({
        "source_ref": "40.901", "city": "arnhem", "title": "Slimme verkeerslichten Arnhem-Noord",
        "description": "Talking Traffic iVRI's in Arnhem-Noord.",
        "description_origin": "report", "theme": "mobility", "stage": "pilot"
    })]);
}

fn a_refusing_relay_and_a_restart_lose_and_duplicate_no_mail(app: &mut TestApp) {
    let sink = SmtpSink::start();
    let mut app = smtp_app(app, &sink);
    signed_in_as(&app, "lid@apeldoorn.nl", &["--city", "apeldoorn"]);
    arnhem_adds_ivris(&app);
    sink.put_off_next(1);
    let output = run_digest(&app, &["--at", &next_monday()]);
    assert!(
        output.contains("queued 1") && output.contains("1 mail(s) still wait"),
        "{output}"
    );
    assert!(digests_to(&sink.received(), "lid@apeldoorn.nl").is_empty());
    app.restart();
    // The server's sender retries after its pause; the relay accepts by then.
    poll(
        Duration::from_secs(90),
        || format!("the digest never arrived:\n{}", app.log()),
        || (!digests_to(&sink.received(), "lid@apeldoorn.nl").is_empty()).then_some(()),
    );
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        digests_to(&sink.received(), "lid@apeldoorn.nl").len(),
        1,
        "exactly once"
    );
}

fn a_question_to_a_city_is_mailed_to_its_editor_at_once(app: &mut TestApp) {
    let sink = SmtpSink::start();
    let app = smtp_app(app, &sink);
    let asker = signed_in_as(&app, "vraag@arnhem.nl", &["--city", "arnhem"]);
    signed_in_as(
        &app,
        "redactie@apeldoorn.nl",
        &["--city", "apeldoorn", "--editor"],
    );
    let (_, project) = app.get_json("/api/v1/projects?source_ref=6.3");
    let id = project["results"][0]["id"].as_i64().expect("id");
    let res = asker.post(
        &format!("/discussies/nieuw?over=project:{id}&aan=apeldoorn"),
        &[
            ("title", "Hoe liep de aanbesteding?"),
            ("body", "Graag uw ervaring."),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let mail = poll(
        Duration::from_secs(20),
        || format!("no notification mail: {:?}", sink.received()),
        || {
            sink.received().into_iter().find(|m| {
                m.to.iter().any(|t| t == "redactie@apeldoorn.nl")
                    && header(m, "List-Id").is_some_and(|l| l.contains("notifications."))
            })
        },
    );
    let text = decoded(&mail);
    assert!(
        text.contains("stelde uw stad een vraag") && text.contains("Hoe liep de aanbesteding?"),
        "{text}"
    );
    assert_eq!(
        header(&mail, "List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
}

/// The digest moment of the week holding day `day` of the month `months` ahead.
fn digest_at(months: u32, day: u32) -> String {
    use chrono::Datelike;
    let now = chrono::Utc::now();
    let first = now
        .date_naive()
        .with_day(1)
        .and_then(|d| d.checked_add_months(chrono::Months::new(months)))
        .and_then(|d| d.with_day(day))
        .expect("a day");
    let at = first.and_hms_opt(12, 0, 0).expect("noon").and_utc();
    let due = stadsmaat::digest::Schedule::default().due_in_week_of(at);
    (due + chrono::Duration::minutes(5)).to_rfc3339()
}

fn a_city_editor_is_asked_once_a_month_to_confirm_the_oldest_projects(app: &mut TestApp) {
    let editor = signed_in_as(
        app,
        "redactie@deventer.nl",
        &["--city", "deventer", "--editor"],
    );
    signed_in_as(app, "lid@deventer.nl", &["--city", "deventer"]);
    let (_, oldest) = app.get_json("/api/v1/projects?source_ref=11.1");
    let confirmed = oldest["results"][0]["id"].as_i64().expect("id");
    assert_eq!(
        editor
            .post(&format!("/projecten/{confirmed}/klopt-nog"), &[])
            .status,
        303
    );
    // The first Monday of a month: the prompt, with the city's ten unconfirmed projects
    // (five shown) and never the one just confirmed.
    let output = run_digest(app, &["--dry-run", "--at", &digest_at(2, 7)]);
    let prompts: Vec<&str> = lines_for(&output, "redactie@deventer.nl")
        .into_iter()
        .filter(|l| l.starts_with("  [outdated]"))
        .collect();
    assert_eq!(prompts.len(), 5, "{output}");
    assert!(prompts.iter().all(|l| l.contains("Stand 2020")), "{output}");
    let (_, confirmed_project) = app.get_json(&format!("/api/v1/projects/{confirmed}"));
    let title = confirmed_project["title"].as_str().expect("title");
    assert!(!prompts.iter().any(|l| l.contains(title)), "{output}");
    // Members who are not editors are not asked; later in the month nobody is.
    assert!(!lines_for(&output, "lid@deventer.nl")
        .iter()
        .any(|l| l.starts_with("  [outdated]")));
    let later = run_digest(app, &["--dry-run", "--at", &digest_at(2, 21)]);
    assert!(!later.contains("[outdated]"), "{later}");
}
