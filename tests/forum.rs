//! The forum: a member asks another city about its pilot, the city's editor is notified
//! and answers, the asker marks it solved, and search finds it; posts render inert
//! whatever is written; every boundary of who may do what refuses a stranger; floods
//! and bad input are refused with the text kept.

use serde_json::Value;

use crate::specs;
use crate::support::fixtures::{project_by_ref, signed_in, signed_in_as};
use crate::support::session::Session;
use crate::support::{eventually, Response, TestApp};

specs![
    fresh:
        a_member_asks_another_city_whose_editor_answers_and_the_asker_marks_it_solved,
        posts_render_inert_whatever_the_payload,
        a_visitor_reads_threads_but_cannot_post,
        only_the_author_edits_or_deletes_a_post_and_the_history_is_kept,
        only_moderators_hide_lock_and_move_and_the_audit_log_says_so,
        hidden_posts_are_seen_only_by_moderators_and_their_author,
        a_locked_thread_refuses_replies,
        three_flags_hide_a_post_until_a_moderator_decides,
        new_accounts_are_limited_and_keep_their_text,
        bad_input_is_refused_with_the_form_kept_and_nothing_stored,
        a_mention_links_to_the_person_and_notifies_them,
        following_a_project_brings_news_of_discussions_about_it,
        a_city_member_follows_their_city_and_its_main_themes_from_the_start,
        a_search_is_followed_from_its_page_and_listed_with_what_one_follows,
        only_its_owner_stops_following_a_saved_search,
        a_search_without_words_or_filters_or_with_a_bad_filter_cannot_be_followed,
        the_threads_api_lists_by_subject_in_the_contract_shape;
];

const ASKER: &str = "vraag@arnhem.nl";
const EDITOR: &str = "redactie@apeldoorn.nl";
const MODERATOR: &str = "moderator@g40.nl";

fn member<'a>(app: &'a TestApp, email: &str, city: &str) -> Session<'a> {
    let session = signed_in_as(app, email, &["--city", city]);
    settled(app, email);
    session
}

/// Makes the account older than a day, so the new-account limits do not apply.
fn settled(app: &TestApp, email: &str) {
    app.execute_sql(&format!(
        "UPDATE users SET created_at = '2026-01-01 00:00:00' WHERE email = '{email}'"
    ));
}

fn start_thread(session: &Session, over: &str, title: &str, body: &str) -> i64 {
    let res = session.post(
        &format!("/discussies/nieuw?over={over}"),
        &[("title", title), ("body", body)],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    location_id(&res, "/discussies/")
}

fn location_id(res: &Response, prefix: &str) -> i64 {
    res.header("location")
        .and_then(|l| l.strip_prefix(prefix))
        .and_then(|rest| rest.split(['#', '?']).next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no {prefix} redirect: {:?}", res.header("location")))
}

fn reply(session: &Session, thread: i64, body: &str) -> i64 {
    let res = session.post(&format!("/discussies/{thread}/reageren"), &[("body", body)]);
    assert_eq!(res.status, 303, "{}", res.body);
    res.header("location")
        .and_then(|l| l.split("#bericht-").nth(1))
        .and_then(|id| id.parse().ok())
        .expect("the new post's anchor")
}

fn thread_json(app: &TestApp, id: i64) -> Value {
    let (status, body) = app.get_json(&format!("/api/v1/threads/{id}"));
    assert_eq!(status, 200, "{body}");
    body
}

fn post_ids(app: &TestApp, thread: i64) -> Vec<i64> {
    thread_json(app, thread)["posts"]
        .as_array()
        .expect("posts")
        .iter()
        .filter_map(|p| p["id"].as_i64())
        .collect()
}

fn a_member_asks_another_city_whose_editor_answers_and_the_asker_marks_it_solved(
    app: &mut TestApp,
) {
    let asker = member(app, ASKER, "arnhem");
    let editor = signed_in_as(app, EDITOR, &["--city", "apeldoorn", "--editor"]);
    settled(app, EDITOR);
    let project = project_by_ref(app, "6.3");
    let id = project["id"].as_i64().expect("id");
    let page = asker.get(&format!("/projecten/{id}")).body;
    let ask = format!("/discussies/nieuw?over=project:{id}&amp;aan=apeldoorn");
    assert!(
        page.contains(&ask),
        "the project page offers to ask Apeldoorn"
    );
    let form = asker.get(&format!(
        "/discussies/nieuw?over=project:{id}&aan=apeldoorn"
    ));
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains("name=\"title\"") && form.body.contains("name=\"body\""));
    let res = asker.post(
        &format!("/discussies/nieuw?over=project:{id}&aan=apeldoorn"),
        &[
            (
                "title",
                "Hoe hebben jullie de aanbesteding van de iVRI's gedaan?",
            ),
            (
                "body",
                "Wij willen in Arnhem slimme verkeerslichten aanbesteden. Welke eisen \
                 stelden jullie aan de leverancier, en wat zouden jullie anders doen?",
            ),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let thread = location_id(&res, "/discussies/");

    eventually("the editor of Apeldoorn is notified", || {
        editor.get("/").body.contains("1 ongelezen")
    });
    let notifications = editor.get("/meldingen").body;
    assert!(
        notifications.contains("stelde uw stad een vraag"),
        "{notifications}"
    );
    let answer = reply(
        &editor,
        thread,
        "We hebben via het landelijke raamcontract van Talking Traffic gegund; \
         eis open koppelvlakken (TLC-FI) en data-eigendom bij de gemeente.",
    );
    eventually("the asker hears of the answer", || {
        asker.get("/meldingen").body.contains("reageerde in")
    });
    let res = asker.post(&format!("/berichten/{answer}/antwoord"), &[("answer", "1")]);
    assert_eq!(res.status, 303, "{}", res.body);

    let page = Session::new(app).get(&format!("/discussies/{thread}")).body;
    assert!(page.contains("Opgelost"), "solved shows");
    let first_answer = page.find("raamcontract").expect("the answer is shown");
    let question = page.find("Welke eisen").expect("the question is shown");
    assert!(first_answer < question, "the answer comes first");
    let json = thread_json(app, thread);
    assert_eq!(json["solved"], true);
    assert_eq!(json["about"]["kind"], "project");
    assert_eq!(json["author"]["city"], "Arnhem");
    assert_eq!(json["posts"][1]["answer"], true);
    let city_page = Session::new(app).get("/steden/apeldoorn").body;
    assert!(city_page.contains("Vragen aan Apeldoorn") && city_page.contains("aanbesteding"));

    for query in ["aanbesteding%20ivri", "procurement%20traffic%20lights"] {
        eventually(&format!("search finds the thread for {query}"), || {
            let (_, found) = app.get_json(&format!("/api/v1/search?q={query}&type=thread"));
            found["results"][0]["id"] == thread
        });
    }
    eventually("the discussion makes the project findable", || {
        let (_, found) = app.get_json("/api/v1/search?q=raamcontract&type=project");
        found["results"]
            .as_array()
            .is_some_and(|r| r.iter().any(|h| h["id"] == id))
    });
}

/// Payloads from the usual XSS cheat sheets, in Markdown and HTML.
const XSS: &[&str] = &[
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//xss.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"data:text/html,<script>alert(1)</script>\">",
    "<body onload=alert(1)>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
    "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<form action=\"javascript:alert(1)\"><input type=submit></form>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<marquee onstart=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)>",
    "<base href=\"javascript:alert(1)//\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<link rel=stylesheet href=javascript:alert(1)>",
    "<style>@import 'javascript:alert(1)';</style>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<p title=\"</p><script>alert(1)</script>\">",
    "<<script>script>alert(1)<</script>/script>",
    "<scr<script>ipt>alert(1)</script>",
    "\"><script>alert(1)</script>",
    "'><img src=x onerror=alert(1)>",
    "<!--<img src=\"--><img src=x onerror=alert(1)//\">",
    "<template><script>alert(1)</script></template>",
    "<x onclick=alert(1)>click",
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](  javascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    "![x\" onerror=\"alert(1)](https://example.nl/x.png)",
    "[x](https://example.nl\" onclick=\"alert(1))",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "<https://example.nl/\"onmouseover=\"alert(1)>",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "> <img src=x onerror=alert(1)>",
    "# <script>alert(1)</script>",
    "| a | b |\n|---|---|\n| <img src=x onerror=alert(1)> | [x](javascript:alert(1)) |",
    "**<svg/onload=alert(1)>**",
    "@<script>alert(1)</script>",
];

/// Whether a post's `html` holds anything a browser would run: scripts, event handlers,
/// script or data URLs in links and sources, or elements that carry them.
fn executable(html: &str) -> Option<String> {
    let lower = html.to_lowercase();
    for tag in [
        "<script",
        "<svg",
        "<math",
        "<iframe",
        "<object",
        "<embed",
        "<img",
        "<style",
        "<form",
        "<input",
        "<base",
        "<meta",
        "<link",
        "<video",
        "<audio",
        "<details",
        "<template",
        "<noscript",
        "<body",
        "<marquee",
    ] {
        if lower.contains(tag) {
            return Some(format!("element {tag}"));
        }
    }
    executable_attributes(&lower)
}

/// Event handlers and links that are not http(s), mailto or on the site, in any tag.
fn executable_attributes(html: &str) -> Option<String> {
    let lower = html.to_lowercase();
    for (at, _) in lower.match_indices('<') {
        let tag: String = lower[at..].chars().take_while(|c| *c != '>').collect();
        let attrs = tag.split_whitespace().skip(1);
        for attr in attrs {
            if attr.starts_with("on") && attr.contains('=') {
                return Some(format!("handler in {tag}"));
            }
            if let Some(url) = attr
                .strip_prefix("href=")
                .or_else(|| attr.strip_prefix("src="))
            {
                let url = url.trim_matches(['"', '\'']);
                let allowed = url.starts_with("http://")
                    || url.starts_with("https://")
                    || url.starts_with("mailto:")
                    || url.starts_with('/')
                    || url.starts_with('#');
                if !allowed {
                    return Some(format!("link {url} in {tag}"));
                }
            }
        }
    }
    None
}

fn post_bodies(page: &str) -> Vec<String> {
    page.split("<div class=\"post-body\">")
        .skip(1)
        .filter_map(|rest| rest.split("</div>").next())
        .map(str::to_owned)
        .collect()
}

fn posts_render_inert_whatever_the_payload(app: &mut TestApp) {
    assert!(XSS.len() >= 50);
    let writer = member(app, "schrijver@zwolle.nl", "zwolle");
    let thread = start_thread(&writer, "category:algemeen", "Veilige opmaak", "Begin.");
    let mut checked = 0;
    for (n, payload) in XSS.iter().enumerate() {
        // Create, edit (to another payload) and quote each one.
        let post = reply(&writer, thread, payload);
        let next = XSS[(n + 7) % XSS.len()];
        let res = writer.post(&format!("/berichten/{post}/bewerken"), &[("body", next)]);
        assert_eq!(res.status, 303, "{}", res.body);
        let quoted = writer.get(&format!("/discussies/{thread}?citeer={post}"));
        assert_eq!(quoted.status, 200);
        let quote = quoted
            .body
            .split("name=\"body\"")
            .nth(1)
            .and_then(|s| s.split('>').nth(1))
            .and_then(|s| s.split("</textarea").next())
            .expect("the reply form holds the quote")
            .to_owned();
        let unescaped = quote
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#x27;", "'")
            .replace("&amp;", "&");
        reply(&writer, thread, &unescaped);
        // Keep to the pace limit of five posts a minute.
        writer_pause(app, "schrijver@zwolle.nl");
        checked += 1;
    }
    let page = writer.get(&format!("/discussies/{thread}")).body;
    let bodies = post_bodies(&page);
    assert!(bodies.len() > 2 * XSS.len(), "{} bodies", bodies.len());
    for body in &bodies {
        assert_eq!(executable(body), None, "{body}");
    }
    // The page around them: no script, no handler, no script link anywhere.
    let main = page.split("<main").nth(1).expect("main");
    for element in ["<script", "<iframe", "<svg", "<object", "<embed", "<img"] {
        assert!(!main.contains(element), "{element} on the page");
    }
    assert_eq!(executable_attributes(main), None);
    for post in thread_json(app, thread)["posts"].as_array().expect("posts") {
        let html = post["body_html"].as_str().unwrap_or("");
        assert_eq!(executable(html), None, "{html}");
    }
    eprintln!("{checked} payloads created, edited and quoted");
}

/// The pace limit counts posts in the last minute; moving them back a minute stands for
/// waiting.
fn writer_pause(app: &TestApp, email: &str) {
    app.execute_sql(&format!(
        "UPDATE posts SET created_at = '2026-01-01 00:00:00' \
         WHERE author_id = (SELECT id FROM users WHERE email = '{email}')"
    ));
}

fn a_visitor_reads_threads_but_cannot_post(app: &mut TestApp) {
    let writer = member(app, "lezer@zwolle.nl", "zwolle");
    let thread = start_thread(&writer, "city:zwolle", "Openbaar", "Iedereen leest mee.");
    let visitor = Session::new(app);
    let page = visitor.get(&format!("/discussies/{thread}"));
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Iedereen leest mee.") && page.body.contains("Log in om te reageren")
    );
    assert!(
        !page.body.contains("name=\"body\""),
        "no reply form for a visitor"
    );
    let refused = visitor.post(
        &format!("/discussies/{thread}/reageren"),
        &[("body", "Ik ook")],
    );
    assert_eq!(refused.status, 401);
    let refused = visitor.post(
        "/discussies/nieuw?over=city:zwolle",
        &[("title", "Anoniem"), ("body", "Ik ook")],
    );
    assert_eq!(refused.status, 401);
    assert_eq!(
        visitor.get("/discussies/nieuw?over=city:zwolle").status,
        303,
        "the form sends a visitor to sign in"
    );
    assert_eq!(post_ids(app, thread).len(), 1, "nothing stored");
    let forged = writer.post_raw(
        &format!("/discussies/{thread}/reageren"),
        &[("body", "zonder token")],
        &[],
    );
    assert_eq!(forged.status, 403, "a form without its CSRF token");
    assert_eq!(post_ids(app, thread).len(), 1);
}

fn only_the_author_edits_or_deletes_a_post_and_the_history_is_kept(app: &mut TestApp) {
    let author = member(app, "auteur@zwolle.nl", "zwolle");
    let other = member(app, "ander@zwolle.nl", "zwolle");
    let admin = signed_in(app, "beheer@g40.nl", true);
    let thread = start_thread(&author, "city:zwolle", "Bewerken", "Eerste versie.");
    let post = post_ids(app, thread)[0];
    for stranger in [&other, &admin] {
        let res = stranger.post(
            &format!("/berichten/{post}/bewerken"),
            &[("body", "Gekaapt")],
        );
        assert_eq!(res.status, 403, "{}", res.body);
        let res = stranger.post(&format!("/berichten/{post}/verwijderen"), &[]);
        assert_eq!(res.status, 403);
        assert_eq!(
            stranger.get(&format!("/berichten/{post}/bewerken")).status,
            403
        );
    }
    let res = author.post(
        &format!("/berichten/{post}/bewerken"),
        &[("body", "Tweede versie.")],
    );
    assert_eq!(res.status, 303);
    let page = Session::new(app).get(&format!("/discussies/{thread}")).body;
    assert!(page.contains("Tweede versie.") && !page.contains("Gekaapt"));
    assert!(page.contains("bewerkt"), "the edit shows");
    let history = Session::new(app)
        .get(&format!("/berichten/{post}/geschiedenis"))
        .body;
    assert!(history.contains("Eerste versie.") && history.contains("Tweede versie."));
    let res = author.post(&format!("/berichten/{post}/verwijderen"), &[]);
    assert_eq!(res.status, 303);
    let page = Session::new(app).get(&format!("/discussies/{thread}")).body;
    assert!(page.contains("door de schrijver verwijderd") && !page.contains("Tweede versie."));
}

fn only_moderators_hide_lock_and_move_and_the_audit_log_says_so(app: &mut TestApp) {
    let author = member(app, "plaatser@zwolle.nl", "zwolle");
    let thread = start_thread(&author, "city:zwolle", "Moderatie", "Een bericht.");
    let post = post_ids(app, thread)[0];
    let member = member(app, "lid@zwolle.nl", "zwolle");
    for (path, fields) in [
        (
            format!("/berichten/{post}/verbergen"),
            vec![("reason", "spam")],
        ),
        (format!("/berichten/{post}/tonen"), vec![]),
        (format!("/discussies/{thread}/sluiten"), vec![]),
        (format!("/discussies/{thread}/heropenen"), vec![]),
        (
            format!("/discussies/{thread}/verplaatsen"),
            vec![("over", "city:deventer")],
        ),
        (
            format!("/beheer/meldingen/{post}"),
            vec![("decision", "verbergen")],
        ),
    ] {
        let res = member.post(&path, &fields);
        assert_eq!(res.status, 403, "{path}: {}", res.body);
    }
    assert_eq!(member.get("/beheer/meldingen").status, 403);
    let moderator = signed_in_as(app, MODERATOR, &["--moderator"]);
    let res = moderator.post(
        &format!("/berichten/{post}/verbergen"),
        &[("reason", "Persoonsgegevens")],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let res = moderator.post(&format!("/discussies/{thread}/sluiten"), &[]);
    assert_eq!(res.status, 303);
    let res = moderator.post(
        &format!("/discussies/{thread}/verplaatsen"),
        &[("over", "city:deventer")],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let json = thread_json(app, thread);
    assert_eq!(json["locked"], true);
    assert_eq!(json["about"]["key"], "deventer");
    let admin = signed_in(app, "hoofd@g40.nl", true);
    let log = admin.get("/beheer/logboek").body;
    for action in ["forum.hidden", "forum.locked", "forum.moved"] {
        assert!(log.contains(action), "{action} in the audit log");
    }
}

fn hidden_posts_are_seen_only_by_moderators_and_their_author(app: &mut TestApp) {
    let author = member(app, "verborgen@zwolle.nl", "zwolle");
    let thread = start_thread(&author, "city:zwolle", "Zichtbaarheid", "Openingsvraag.");
    let post = reply(&author, thread, "Dit wordt verborgen.");
    let moderator = signed_in_as(app, MODERATOR, &["--moderator"]);
    let res = moderator.post(
        &format!("/berichten/{post}/verbergen"),
        &[("reason", "Off-topic")],
    );
    assert_eq!(res.status, 303);
    let other = member(app, "buur@zwolle.nl", "zwolle");
    for session in [&other, &Session::new(app)] {
        let page = session.get(&format!("/discussies/{thread}")).body;
        assert!(!page.contains("Dit wordt verborgen."), "hidden from others");
    }
    assert!(
        !post_ids(app, thread).contains(&post),
        "absent from the API"
    );
    for session in [&author, &moderator] {
        let page = session.get(&format!("/discussies/{thread}")).body;
        assert!(page.contains("Dit wordt verborgen.") && page.contains("Off-topic"));
    }
    assert_eq!(thread_json(app, thread)["replies"], 0);
}

fn a_locked_thread_refuses_replies(app: &mut TestApp) {
    let author = member(app, "slot@zwolle.nl", "zwolle");
    let thread = start_thread(&author, "city:zwolle", "Op slot", "Laatste woord.");
    let moderator = signed_in_as(app, MODERATOR, &["--moderator"]);
    assert_eq!(
        moderator
            .post(&format!("/discussies/{thread}/sluiten"), &[])
            .status,
        303
    );
    let res = author.post(
        &format!("/discussies/{thread}/reageren"),
        &[("body", "Toch nog iets")],
    );
    assert_eq!(res.status, 409, "{}", res.body);
    let page = author.get(&format!("/discussies/{thread}")).body;
    assert!(page.contains("gesloten") && !page.contains("Toch nog iets"));
    assert_eq!(post_ids(app, thread).len(), 1);
}

fn three_flags_hide_a_post_until_a_moderator_decides(app: &mut TestApp) {
    let author = member(app, "omstreden@zwolle.nl", "zwolle");
    let thread = start_thread(&author, "city:zwolle", "Meldingen", "Vraag.");
    let post = reply(&author, thread, "Koop nu goedkope sensoren!");
    let own = author.post(&format!("/berichten/{post}/melden"), &[("reason", "Eigen")]);
    assert_eq!(own.status, 403, "no flag on one's own post");
    for n in 0..3 {
        let flagger = member(app, &format!("melder{n}@zwolle.nl"), "zwolle");
        // The first one flags twice: that counts once.
        for _ in 0..if n == 0 { 2 } else { 1 } {
            let res = flagger.post(
                &format!("/berichten/{post}/melden"),
                &[("reason", "Reclame")],
            );
            assert_eq!(res.status, 200, "{}", res.body);
        }
        let hidden = !post_ids(app, thread).contains(&post);
        assert_eq!(hidden, n == 2, "hidden only after the third person");
    }
    let moderator = signed_in_as(app, MODERATOR, &["--moderator"]);
    let queue = moderator.get("/beheer/meldingen").body;
    assert!(queue.contains("Koop nu goedkope sensoren!") && queue.contains("Reclame"));
    let res = moderator.post(
        &format!("/beheer/meldingen/{post}"),
        &[("decision", "tonen")],
    );
    assert_eq!(res.status, 303);
    assert!(post_ids(app, thread).contains(&post), "shown again");
    assert!(!moderator.get("/beheer/meldingen").body.contains("Koop nu"));
}

fn new_accounts_are_limited_and_keep_their_text(app: &mut TestApp) {
    let newcomer = signed_in_as(app, "nieuw@zwolle.nl", &["--city", "zwolle"]);
    let three_links = "Zie https://a.nl, https://b.nl en https://c.nl";
    let res = newcomer.post(
        "/discussies/nieuw?over=city:zwolle",
        &[("title", "Links"), ("body", three_links)],
    );
    assert_eq!(res.status, 429, "{}", res.body);
    assert!(res.body.contains("hoogstens 2 links") && res.body.contains("https://c.nl"));
    assert!(res.header("retry-after").is_some());
    let mut threads = Vec::new();
    for n in 0..3 {
        threads.push(start_thread(
            &newcomer,
            "city:zwolle",
            &format!("Vraag {n}"),
            "Tekst.",
        ));
    }
    let res = newcomer.post(
        "/discussies/nieuw?over=city:zwolle",
        &[
            ("title", "Vraag 4"),
            ("body", "Mijn vierde vraag blijft bewaard."),
        ],
    );
    assert_eq!(res.status, 429);
    assert!(res.body.contains("hoogstens 3 discussies"));
    assert!(
        res.body.contains("Mijn vierde vraag blijft bewaard."),
        "the text is kept"
    );
    // A pace of five a minute holds for everyone.
    let veteran = member(app, "ervaren@zwolle.nl", "zwolle");
    for n in 0..5 {
        reply(&veteran, threads[0], &format!("Snel bericht {n}"));
    }
    let res = veteran.post(
        &format!("/discussies/{}/reageren", threads[0]),
        &[("body", "Het zesde")],
    );
    assert_eq!(res.status, 429);
    assert!(res.body.contains("Het zesde"));
    assert_eq!(res.header("retry-after"), Some("60"));
}

fn bad_input_is_refused_with_the_form_kept_and_nothing_stored(app: &mut TestApp) {
    let writer = member(app, "fout@zwolle.nl", "zwolle");
    let thread = start_thread(&writer, "city:zwolle", "Invoer", "Begin.");
    let long = "lang ".repeat(5000);
    for (fields, kept) in [
        (
            vec![("title", ""), ("body", "Zonder titel")],
            "Zonder titel",
        ),
        (
            vec![("title", "Zonder tekst"), ("body", "   ")],
            "Zonder tekst",
        ),
        (
            vec![("title", "Te lang"), ("body", long.as_str())],
            "lang lang",
        ),
    ] {
        let res = writer.post("/discussies/nieuw?over=city:zwolle", &fields);
        assert_eq!(res.status, 400, "{fields:?}");
        assert!(res.body.contains(kept), "the text is kept");
    }
    let res = writer.post(
        &format!("/discussies/{thread}/reageren"),
        &[("body", long.as_str())],
    );
    assert_eq!(res.status, 400);
    assert!(res.body.contains("20.000 tekens") && res.body.contains("lang lang lang"));
    let res = writer.post(
        &format!("/discussies/{thread}/reageren"),
        &[("body", "bel\u{7}")],
    );
    assert_eq!(res.status, 400, "control characters");
    let res = writer.post_body(
        &format!("/discussies/{thread}/reageren"),
        format!("csrf={}&body=%FF%FE", writer.csrf()),
        &[],
    );
    assert_eq!(res.status, 400, "invalid UTF-8");
    for over in [
        "planeet:1",
        "project:999999",
        "city:nergens",
        "project:abc",
        "",
    ] {
        let res = writer.post(
            &format!("/discussies/nieuw?over={over}"),
            &[("title", "Waarover?"), ("body", "Tekst")],
        );
        assert!(matches!(res.status, 400 | 404), "{over}: {}", res.status);
    }
    let apeldoorns = project_by_ref(app, "6.3")["id"].as_i64().expect("id");
    let res = writer.post(
        &format!("/discussies/nieuw?over=project:{apeldoorns}&aan=arnhem"),
        &[("title", "Verkeerde stad"), ("body", "Tekst")],
    );
    assert_eq!(res.status, 400, "a question goes to the project's own city");
    assert_eq!(post_ids(app, thread).len(), 1, "nothing half-stored");
    let (_, all) = app.get_json("/api/v1/threads");
    assert_eq!(all["total"], 1, "no thread was added");
}

fn a_mention_links_to_the_person_and_notifies_them(app: &mut TestApp) {
    let writer = member(app, "noemer@zwolle.nl", "zwolle");
    let named = member(app, "j.jansen@deventer.nl", "deventer");
    let handle = "j-jansen";
    let thread = start_thread(
        &writer,
        "theme:mobility",
        "Wie weet dit?",
        &format!("Misschien weet @{handle} hoe Deventer het deed."),
    );
    let page = Session::new(app).get(&format!("/discussies/{thread}")).body;
    assert!(
        page.contains(&format!("href=\"/mensen/{handle}\"")),
        "{page}"
    );
    assert_eq!(
        Session::new(app).get(&format!("/mensen/{handle}")).status,
        200
    );
    eventually("the person mentioned is notified", || {
        named.get("/meldingen").body.contains("noemde u")
    });
}

fn a_city_member_follows_their_city_and_its_main_themes_from_the_start(app: &mut TestApp) {
    let newcomer = member(app, "nieuw@apeldoorn.nl", "apeldoorn");
    let page = newcomer.get("/account/volgen").body;
    assert!(page.contains("href=\"/steden/apeldoorn\""), "{page}");
    assert!(page.contains("/themas/"), "two main themes: {page}");
    // Unfollowing sticks: the defaults are made once.
    let res = newcomer.post(
        "/volgen",
        &[
            ("subject", "city:apeldoorn"),
            ("follow", "0"),
            ("terug", "/account/volgen"),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let page = newcomer.get("/account/volgen").body;
    assert!(!page.contains("href=\"/steden/apeldoorn\""), "{page}");
}

fn a_search_is_followed_from_its_page_and_listed_with_what_one_follows(app: &mut TestApp) {
    let follower = member(app, "zoekt@arnhem.nl", "arnhem");
    let page = follower.get("/zoeken?q=slim+parkeren&theme=mobility").body;
    assert!(page.contains("action=\"/zoeken/volgen\""), "{page}");
    assert!(page.contains("Volg deze zoekopdracht"), "{page}");
    let res = follower.post(
        "/zoeken/volgen",
        &[
            ("q", "  slim   parkeren "),
            ("theme", "mobility"),
            ("page", "2"),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        res.header("location"),
        Some("/zoeken?q=slim+parkeren&theme=mobility")
    );
    let page = follower.get("/zoeken?q=slim+parkeren&theme=mobility").body;
    assert!(page.contains("U volgt deze zoekopdracht"), "{page}");
    // Saving it again is the same search, not a second one.
    follower.post(
        "/zoeken/volgen",
        &[("q", "slim parkeren"), ("theme", "mobility")],
    );
    let list = follower.get("/account/volgen").body;
    assert_eq!(
        list.matches("“slim parkeren” · Smart Mobility").count(),
        1,
        "{list}"
    );
    assert!(
        list.contains("href=\"/zoeken?q=slim+parkeren&amp;theme=mobility\""),
        "{list}"
    );
    // A visitor is offered no follow button, and cannot save one by hand.
    let visitor = Session::new(app);
    assert!(!visitor
        .get("/zoeken?q=slim+parkeren")
        .body
        .contains("/zoeken/volgen"));
    assert_eq!(
        visitor.post("/zoeken/volgen", &[("q", "parkeren")]).status,
        401
    );
}

/// The `search:N` subject of the stop-following button on a followed search's page.
fn saved_search_subject(session: &Session, search: &str) -> String {
    let page = session.get(search).body;
    let at = page.find("value=\"search:").expect("a followed search") + "value=\"".len();
    page[at..].split('"').next().expect("subject").to_owned()
}

fn only_its_owner_stops_following_a_saved_search(app: &mut TestApp) {
    let owner = member(app, "eigenaar@arnhem.nl", "arnhem");
    let res = owner.post("/zoeken/volgen", &[("q", "snuffelfiets")]);
    assert_eq!(res.status, 303, "{}", res.body);
    let subject = saved_search_subject(&owner, "/zoeken?q=snuffelfiets");
    let stranger = member(app, "ander@zwolle.nl", "zwolle");
    for follow in ["0", "1"] {
        let res = stranger.post("/volgen", &[("subject", &subject), ("follow", follow)]);
        assert_eq!(res.status, 404, "someone else's search: {}", res.body);
    }
    assert!(!stranger
        .get("/account/volgen")
        .body
        .contains("snuffelfiets"));
    assert!(owner.get("/account/volgen").body.contains("“snuffelfiets”"));
    let res = owner.post("/volgen", &[("subject", &subject), ("follow", "0")]);
    assert_eq!(res.status, 303, "{}", res.body);
    assert!(!owner.get("/account/volgen").body.contains("snuffelfiets"));
    assert!(owner
        .get("/zoeken?q=snuffelfiets")
        .body
        .contains("Volg deze zoekopdracht"));
    // An unfollowed search is not kept: there is nothing left to follow again.
    let res = owner.post("/volgen", &[("subject", &subject), ("follow", "1")]);
    assert_eq!(res.status, 404, "{}", res.body);
}

fn a_search_without_words_or_filters_or_with_a_bad_filter_cannot_be_followed(app: &mut TestApp) {
    let follower = member(app, "zoekt@arnhem.nl", "arnhem");
    for fields in [
        vec![("q", "   ")],
        vec![("q", "parkeren"), ("theme", "nergens")],
        vec![("q", "parkeren"), ("city", "Den Haag!")],
    ] {
        let res = follower.post("/zoeken/volgen", &fields);
        assert_eq!(res.status, 400, "{fields:?}: {}", res.body);
    }
    let list = follower.get("/account/volgen").body;
    assert!(!list.contains("Zoekopdrachten"), "nothing saved: {list}");
}

fn following_a_project_brings_news_of_discussions_about_it(app: &mut TestApp) {
    let follower = member(app, "volger@arnhem.nl", "arnhem");
    let id = project_by_ref(app, "6.3")["id"].as_i64().expect("id");
    let res = follower.post(
        "/volgen",
        &[
            ("subject", &format!("project:{id}")),
            ("follow", "1"),
            ("terug", &format!("/projecten/{id}")),
        ],
    );
    assert_eq!(res.status, 303);
    assert_eq!(
        res.header("location"),
        Some(format!("/projecten/{id}").as_str())
    );
    assert!(follower
        .get("/account/volgen")
        .body
        .contains("Talking Traffic"));
    let writer = member(app, "schrijft@zwolle.nl", "zwolle");
    let thread = start_thread(
        &writer,
        &format!("project:{id}"),
        "Ervaringen",
        "Hoe loopt het?",
    );
    eventually("the follower hears of the new discussion", || {
        follower
            .get("/meldingen")
            .body
            .contains("startte een discussie")
    });
    reply(&writer, thread, "Nog een vraag.");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let notes = follower.get("/meldingen").body;
    assert!(
        !notes.contains("reageerde in"),
        "not following the thread itself"
    );
    let refused = Session::new(app).post("/volgen", &[("subject", "city:zwolle"), ("follow", "1")]);
    assert_eq!(refused.status, 401);
    let res = follower.post("/volgen", &[("subject", "city:nergens"), ("follow", "1")]);
    assert_eq!(res.status, 404);
}

fn the_threads_api_lists_by_subject_in_the_contract_shape(app: &mut TestApp) {
    let writer = member(app, "api@zwolle.nl", "zwolle");
    let zwolle = start_thread(&writer, "city:zwolle", "Over Zwolle", "Tekst.");
    start_thread(&writer, "theme:living", "Over wonen", "Tekst.");
    let (status, body) = app.get_json("/api/v1/threads?about=city:zwolle");
    assert_eq!(status, 200);
    assert_eq!(body["total"], 1);
    let hit = &body["results"][0];
    for key in [
        "id",
        "title",
        "url",
        "about",
        "author",
        "replies",
        "solved",
        "locked",
        "created_at",
        "last_post_at",
    ] {
        assert!(hit.get(key).is_some(), "{key} in {hit}");
    }
    assert_eq!(hit["id"], zwolle);
    assert_eq!(hit["about"]["kind"], "city");
    assert_eq!(hit["about"]["title"], "Zwolle");
    assert!(hit["created_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    let (_, all) = app.get_json("/api/v1/threads");
    assert_eq!(all["total"], 2);
    let detail = thread_json(app, zwolle);
    let post = &detail["posts"][0];
    for key in [
        "id",
        "author",
        "body_html",
        "created_at",
        "edited_at",
        "answer",
    ] {
        assert!(post.get(key).is_some(), "{key} in {post}");
    }
    for (path, status) in [
        ("/api/v1/threads?about=city", 400),
        ("/api/v1/threads?about=city:nergens", 404),
        ("/api/v1/threads?page=0", 400),
        ("/api/v1/threads/999999", 404),
        ("/api/v1/threads/abc", 404),
    ] {
        let (got, body) = app.get_json(path);
        assert_eq!(got, status, "{path}: {body}");
        assert!(body["error"]["code"].is_string());
    }
}
