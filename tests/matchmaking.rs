//! Matchmaking: comparable pilots in other cities and partner cities, each with reasons,
//! on the project and city pages, in the API and on the network map — current without a
//! restart when projects change, right away on the page after a save, and taught by the
//! cities' answers to "Is dit vergelijkbaar?".

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::specs;
use crate::support::fixtures::{self, edit_fields, post_fields, signed_in, signed_in_as, with};
use crate::support::session::Session;
use crate::support::{assert_api_error, poll, Response, TestApp};

specs![
    shared:
        similar_projects_are_in_other_cities_and_carry_reasons,
        talking_traffic_finds_the_other_talking_traffic_cities,
        similar_projects_name_what_they_share,
        partners_are_other_cities_with_the_project_pairs_as_reasons,
        partner_reasons_refer_to_projects_of_both_cities,
        limits_are_validated,
        unknown_projects_and_cities_are_not_found,
        reasons_follow_the_requested_language,
        project_page_shows_comparable_pilots_elsewhere,
        city_page_shows_partner_cities_with_reasons,
        network_page_draws_every_city_on_the_map_with_a_text_alternative,
        the_network_map_draws_at_most_one_strongest_line_per_city,
        every_city_with_a_partner_has_a_line_on_the_network_map,
        the_network_offers_a_plain_form_to_choose_a_city,
        a_chosen_city_is_highlighted_with_lines_to_its_partners_only,
        a_chosen_city_lists_its_partners_with_reasons_in_dutch,
        a_chosen_city_lists_its_partners_with_reasons_in_english,
        the_network_table_lists_every_city_in_the_chosen_language,
        an_unknown_city_on_the_network_is_not_found,
        a_repeated_city_on_the_network_is_a_bad_request,
        visitors_see_no_answer_form_but_a_sign_in_link;
    fresh:
        imported_project_changes_suggestions_without_restart,
        many_changes_rebuild_the_network_from_the_database,
        a_member_answers_on_a_suggestion_and_answering_again_replaces_the_answer,
        a_no_from_the_projects_own_city_removes_the_suggestion_for_everyone,
        a_no_from_another_city_leaves_the_suggestion_shown,
        a_yes_moves_a_suggestion_up,
        strangers_cannot_answer_and_nothing_is_stored,
        bad_answers_are_refused_with_a_clear_error_and_nothing_is_stored,
        administrators_see_the_disputed_suggestions_and_others_do_not,
        answers_are_exported_as_judged_pairs,
        the_data_export_holds_ones_answers,
        the_page_after_saving_a_new_project_lists_its_comparable_pilots,
        the_page_after_editing_a_project_lists_its_new_comparable_pilots,
];

fn project_id(app: &TestApp, source_ref: &str) -> i64 {
    let (status, body) = app.get_json(&format!("/api/v1/projects?source_ref={source_ref}"));
    assert_eq!(status, 200);
    body["results"][0]["id"].as_i64().expect("project id")
}

fn similar(app: &TestApp, source_ref: &str, limit: usize) -> Vec<Value> {
    let id = project_id(app, source_ref);
    let (status, body) = app.get_json(&format!("/api/v1/projects/{id}/similar?limit={limit}"));
    assert_eq!(status, 200, "{body}");
    body["results"].as_array().cloned().unwrap_or_default()
}

fn partners(app: &TestApp, slug: &str) -> Vec<Value> {
    let (status, body) = app.get_json(&format!("/api/v1/cities/{slug}/partners?limit=10"));
    assert_eq!(status, 200, "{body}");
    body["results"].as_array().cloned().unwrap_or_default()
}

fn similar_projects_are_in_other_cities_and_carry_reasons(app: &TestApp) {
    let results = similar(app, "6.3", 10);
    assert!(results.len() >= 5, "{results:?}");
    for result in &results {
        assert_ne!(result["project"]["city"]["slug"], "apeldoorn");
        assert!(result["score"].as_f64().is_some_and(|s| s > 0.0));
        let reasons = result["reasons"].as_array().expect("reasons");
        assert!(!reasons.is_empty(), "{result}");
        for reason in reasons {
            assert!(
                reason["kind"].is_string() && reason["text"].is_string(),
                "{reason}"
            );
        }
    }
    let scores: Vec<f64> = results.iter().filter_map(|r| r["score"].as_f64()).collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "best first: {scores:?}"
    );
}

fn talking_traffic_finds_the_other_talking_traffic_cities(app: &TestApp) {
    let refs: Vec<String> = similar(app, "6.3", 5)
        .iter()
        .filter_map(|r| r["project"]["source_ref"].as_str().map(String::from))
        .collect();
    // Arnhem, Breda, Deventer, Groningen, Haarlem: Talking Traffic too.
    let twins = ["7.7", "9.8", "11.1", "18.3", "19.10"];
    let found = refs.iter().filter(|r| twins.contains(&r.as_str())).count();
    assert!(found >= 4, "top 5 of Apeldoorn 6.3: {refs:?}");
}

fn similar_projects_name_what_they_share(app: &TestApp) {
    let results = similar(app, "6.3", 5);
    let arnhem = results
        .iter()
        .find(|r| r["project"]["source_ref"] == "7.7")
        .expect("Arnhem's Talking Traffic");
    let texts: Vec<&str> = arnhem["reasons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["text"].as_str())
        .collect();
    assert!(
        texts.iter().any(|t| t.contains("Talking Traffic")),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.contains("Smart Mobility")),
        "same theme: {texts:?}"
    );
}

fn partners_are_other_cities_with_the_project_pairs_as_reasons(app: &TestApp) {
    let results = partners(app, "apeldoorn");
    assert!(results.len() >= 5, "{results:?}");
    for result in &results {
        assert_ne!(result["city"]["slug"], "apeldoorn");
        assert!(result["city"]["name"].is_string());
        assert!(result["score"].as_f64().is_some());
        let reasons = result["reasons"].as_array().expect("reasons");
        assert!(!reasons.is_empty(), "{result}");
        for reason in reasons {
            assert!(reason["kind"].is_string() && reason["text"].is_string());
            assert!(reason["projects"].is_array(), "{reason}");
        }
    }
    let slugs: Vec<&str> = results
        .iter()
        .take(5)
        .filter_map(|r| r["city"]["slug"].as_str())
        .collect();
    // Both run Talking Traffic and other shared pilots (the partner truth of
    // data/eval/partner-cities.tsv lists Nijmegen with five shared solutions).
    assert!(slugs.contains(&"nijmegen"), "{slugs:?}");
}

fn partner_reasons_refer_to_projects_of_both_cities(app: &TestApp) {
    let results = partners(app, "apeldoorn");
    let pair = results
        .iter()
        .flat_map(|r| r["reasons"].as_array().cloned().unwrap_or_default())
        .find(|reason| reason["kind"] == "pair")
        .expect("a project pair");
    let projects = pair["projects"].as_array().expect("projects");
    assert_eq!(projects.len(), 2, "{pair}");
    assert!(
        projects[0].as_str().is_some_and(|r| r.starts_with("6.")),
        "ours first (Apeldoorn is number 6): {pair}"
    );
    assert!(pair["text"].as_str().is_some_and(|t| t.contains('↔')));
}

fn limits_are_validated(app: &TestApp) {
    let id = project_id(app, "6.3");
    for bad in ["0", "-1", "21", "abc", "1e3", "5.5"] {
        assert_api_error(
            app,
            &format!("/api/v1/projects/{id}/similar?limit={bad}"),
            400,
            "invalid_parameter",
        );
        assert_api_error(
            app,
            &format!("/api/v1/cities/apeldoorn/partners?limit={bad}"),
            400,
            "invalid_parameter",
        );
    }
    assert_eq!(similar(app, "6.3", 2).len(), 2);
}

fn unknown_projects_and_cities_are_not_found(app: &TestApp) {
    for id in ["0", "999999", "abc", "-3", "99999999999999999999"] {
        assert_api_error(
            app,
            &format!("/api/v1/projects/{id}/similar"),
            404,
            "not_found",
        );
    }
    assert_api_error(app, "/api/v1/cities/atlantis/partners", 404, "not_found");
}

fn reasons_follow_the_requested_language(app: &TestApp) {
    let id = project_id(app, "6.3");
    let text = |lang: &str| {
        let (_, body) = app.get_json(&format!("/api/v1/projects/{id}/similar?lang={lang}"));
        body["results"][0]["reasons"].to_string()
    };
    assert!(text("nl").contains("Beide"), "{}", text("nl"));
    assert!(text("en").contains("Both"), "{}", text("en"));
}

fn project_page_shows_comparable_pilots_elsewhere(app: &TestApp) {
    let id = project_id(app, "6.3");
    let (status, html) = app.get(&format!("/projecten/{id}"));
    assert_eq!(status, 200);
    assert!(html.contains("Vergelijkbare pilots elders"));
    let arnhem = project_id(app, "7.7");
    assert!(
        html.contains(&format!("href=\"/projecten/{arnhem}\"")),
        "links Arnhem 7.7"
    );
    assert!(html.contains("class=\"reasons\""));
    let (_, english) = app.get(&format!("/projecten/{id}?lang=en"));
    assert!(english.contains("Comparable pilots elsewhere"));
}

fn city_page_shows_partner_cities_with_reasons(app: &TestApp) {
    let (status, html) = app.get("/steden/apeldoorn");
    assert_eq!(status, 200);
    assert!(html.contains("Partnersteden"));
    assert!(html.contains("href=\"/steden/nijmegen\""));
    let pair = html
        .split("class=\"reason reason-pair\">")
        .nth(1)
        .expect("a pair of projects as a reason");
    let pair = pair.split("</li>").next().unwrap_or_default();
    assert!(pair.starts_with("Beide "), "what both are about: {pair}");
    assert!(
        pair.contains(" ↔ <a href=\"/projecten/"),
        "ours ↔ theirs: {pair}"
    );
    let talking_traffic = project_id(app, "6.3");
    assert!(
        html.contains(&format!(
            "href=\"/projecten/{talking_traffic}\">Apeldoorn 6.3</a> <span lang=\"nl\">Talking Traffic</span>"
        )),
        "Apeldoorn's own project linked, its title marked as Dutch"
    );
    let (_, english) = app.get("/steden/apeldoorn?lang=en");
    assert!(english.contains("class=\"reason reason-pair\">Both "));
}

/// The network map of a page: its inline SVG, and where it ends.
fn network_map(html: &str) -> (&str, usize) {
    let start = html
        .find("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"network-map\"")
        .expect("an inline SVG map");
    let end = html[start..].find("</svg>").expect("closed") + start;
    (&html[start..end], end)
}

/// Value of the `name="…"` attribute in a tag.
fn attribute<'a>(tag: &'a str, name: &str) -> &'a str {
    let needle = format!(" {name}=\"");
    let start = tag
        .find(&needle)
        .unwrap_or_else(|| panic!("{name} in {tag}"))
        + needle.len();
    &tag[start..tag[start..].find('"').expect("closing quote") + start]
}

/// The map's cities: (slug, class, dot position as the SVG writes it).
fn map_cities(svg: &str) -> Vec<(String, String, (String, String))> {
    svg.split("<a class=\"map-city ")
        .skip(1)
        .map(|tag| {
            let class = &tag[..tag.find('"').expect("class")];
            let href = attribute(tag, "href");
            let slug = href
                .strip_prefix("/netwerk?stad=")
                .and_then(|s| s.strip_suffix("#kaart"))
                .unwrap_or_else(|| panic!("a dot chooses its city: {href}"));
            let point = (
                attribute(tag, "cx").to_owned(),
                attribute(tag, "cy").to_owned(),
            );
            (slug.to_owned(), class.to_owned(), point)
        })
        .collect()
}

/// The map's lines: their class and both ends as the SVG writes them.
fn map_lines(svg: &str) -> Vec<(String, [(String, String); 2])> {
    svg.split("<line class=\"map-link ")
        .skip(1)
        .map(|tag| {
            let end =
                |x: &str, y: &str| (attribute(tag, x).to_owned(), attribute(tag, y).to_owned());
            let class = tag[..tag.find('"').expect("class")].to_owned();
            (class, [end("x1", "y1"), end("x2", "y2")])
        })
        .collect()
}

/// The section listing a chosen city's partners.
fn partner_section(html: &str) -> &str {
    let start = html
        .find("<h2 id=\"partners-heading\">")
        .expect("a partner list");
    &html[start..html[start..].find("</section>").expect("closed") + start]
}

fn network_page_draws_every_city_on_the_map_with_a_text_alternative(app: &TestApp) {
    let (status, html) = app.get("/netwerk");
    assert_eq!(status, 200);
    let (svg, svg_end) = network_map(&html);
    assert!(svg.contains("aria-labelledby="));
    assert!(svg.contains("<title"));
    assert_eq!(svg.matches("<a ").count(), 40, "one link per city");
    assert!(
        svg.contains("<line") || svg.contains("<path"),
        "partner lines"
    );
    let table = &html[svg_end..];
    assert_eq!(table.matches("<th scope=\"row\">").count(), 40);
    assert!(!html.contains("<script"), "works without JavaScript");
}

fn the_network_map_draws_at_most_one_strongest_line_per_city(app: &TestApp) {
    let (status, html) = app.get("/netwerk");
    assert_eq!(status, 200);
    let (svg, _) = network_map(&html);
    let lines = map_lines(svg);
    assert!(!lines.is_empty(), "partner lines");
    assert!(lines.len() <= 40, "{} lines for 40 cities", lines.len());
    let mut pairs: Vec<_> = lines
        .iter()
        .map(|(_, [a, b])| if a < b { (a, b) } else { (b, a) })
        .collect();
    pairs.sort();
    pairs.dedup();
    assert_eq!(pairs.len(), lines.len(), "each pair drawn once");
    // Every line joins a city to its strongest partner (as the API ranks them).
    let points: std::collections::HashMap<String, (String, String)> = map_cities(svg)
        .into_iter()
        .map(|(slug, _, point)| (slug, point))
        .collect();
    let strongest: Vec<(&String, String)> = points
        .keys()
        .map(|slug| {
            let partner = partners(app, slug)
                .first()
                .and_then(|p| p["city"]["slug"].as_str())
                .unwrap_or_default()
                .to_owned();
            (slug, partner)
        })
        .collect();
    for (_, [a, b]) in &lines {
        assert!(
            strongest.iter().any(|(city, partner)| {
                let (from, to) = (&points[*city], points.get(partner));
                to.is_some_and(|to| (from == a && to == b) || (from == b && to == a))
            }),
            "the line {a:?}–{b:?} joins a city to its strongest partner"
        );
    }
}

fn every_city_with_a_partner_has_a_line_on_the_network_map(app: &TestApp) {
    let (_, html) = app.get("/netwerk");
    let (svg, _) = network_map(&html);
    let ends: Vec<(String, String)> = map_lines(svg)
        .into_iter()
        .flat_map(|(_, ends)| ends)
        .collect();
    let cities = map_cities(svg);
    assert_eq!(cities.len(), 40);
    for (slug, _, point) in cities {
        if !partners(app, &slug).is_empty() {
            assert!(ends.contains(&point), "{slug} has a partner but no line");
        }
    }
}

fn the_network_offers_a_plain_form_to_choose_a_city(app: &TestApp) {
    let (_, html) = app.get("/netwerk");
    let form = &html[html
        .find("<form method=\"get\" action=\"/netwerk#kaart\"")
        .expect("a GET form")..];
    let form = &form[..form.find("</form>").expect("closed")];
    assert!(form.contains("<label for=\"network-city\">Kies een stad</label>"));
    assert!(form.contains("<select id=\"network-city\" name=\"stad\">"));
    assert_eq!(
        form.matches("<option value=\"").count(),
        41,
        "all cities and the 40"
    );
    assert!(form.contains("<option value=\"apeldoorn\">Apeldoorn</option>"));
    assert!(form.contains("<button type=\"submit\">"));
    let (_, chosen) = app.get("/netwerk?stad=apeldoorn");
    assert!(chosen.contains("<option value=\"apeldoorn\" selected>Apeldoorn</option>"));
}

fn a_chosen_city_is_highlighted_with_lines_to_its_partners_only(app: &TestApp) {
    let (status, html) = app.get("/netwerk?stad=apeldoorn");
    assert_eq!(status, 200);
    let (svg, _) = network_map(&html);
    let cities = map_cities(svg);
    let class = |slug: &str| {
        cities
            .iter()
            .find(|c| c.0 == slug)
            .map(|c| c.1.clone())
            .unwrap_or_default()
    };
    assert_eq!(class("apeldoorn"), "chosen");
    assert!(svg.contains(
        "href=\"/netwerk?stad=apeldoorn#kaart\" aria-label=\"Apeldoorn\" aria-current=\"page\""
    ));
    let expected: Vec<String> = partners(app, "apeldoorn")
        .iter()
        .take(5)
        .map(|p| p["city"]["slug"].as_str().expect("slug").to_owned())
        .collect();
    assert_eq!(expected.len(), 5, "Apeldoorn has five partners");
    for slug in &expected {
        assert_eq!(class(slug), "partner", "{slug}");
    }
    assert_eq!(cities.iter().filter(|c| c.1 == "dimmed").count(), 40 - 6);
    let apeldoorn = &cities.iter().find(|c| c.0 == "apeldoorn").expect("drawn").2;
    let lines = map_lines(svg);
    assert_eq!(lines.len(), 5);
    assert!(
        lines.iter().all(|(_, ends)| ends.contains(apeldoorn)),
        "all from Apeldoorn"
    );
    assert!(
        html.contains("Gekozen stad"),
        "the legend names the highlight"
    );
}

/// The network page with Apeldoorn chosen, in `lang`: its title, the partner list's
/// heading and introduction and the first words of a project pair's reason are `words`;
/// the partner list is returned for more checks.
fn apeldoorn_chosen_reads(app: &TestApp, lang: &str, words: [&str; 4]) -> String {
    let (status, html) = app.get(&format!("/netwerk?stad=apeldoorn&lang={lang}"));
    assert_eq!(status, 200);
    let [title, heading, intro, reason] = words;
    assert!(html.contains(&format!("<h1>{title}</h1>")), "{title}");
    let list = partner_section(&html);
    assert!(list.contains(&format!("{heading}</h2>")), "{heading}");
    assert!(list.contains(intro), "{intro}");
    assert!(
        list.contains(&format!("class=\"reason reason-pair\">{reason}")),
        "{list}"
    );
    assert!(list.contains("↔"), "project pairs named");
    assert_eq!(list.matches("<li class=\"card\">").count(), 5, "{list}");
    list.to_owned()
}

fn a_chosen_city_lists_its_partners_with_reasons_in_dutch(app: &TestApp) {
    let list = apeldoorn_chosen_reads(
        app,
        "nl",
        [
            "Het netwerk van Apeldoorn",
            "Partnersteden van Apeldoorn",
            "Steden die aan hetzelfde werken als Apeldoorn",
            "Beide over",
        ],
    );
    assert!(list.contains("href=\"/steden/nijmegen\""), "{list}");
}

fn a_chosen_city_lists_its_partners_with_reasons_in_english(app: &TestApp) {
    let list = apeldoorn_chosen_reads(
        app,
        "en",
        [
            "The network of Apeldoorn",
            "Partner cities of Apeldoorn",
            "Cities working on the same things as Apeldoorn",
            "Both about",
        ],
    );
    assert!(!list.contains("Beide"), "no Dutch reasons: {list}");
}

fn the_network_table_lists_every_city_in_the_chosen_language(app: &TestApp) {
    for path in ["/netwerk?lang=en", "/netwerk?stad=apeldoorn&lang=en"] {
        let (status, html) = app.get(path);
        assert_eq!(status, 200);
        let table = &html[html.find("id=\"network-table\"").expect("the table")..];
        assert!(table.contains(">Strongest partner city</th>"), "{path}");
        assert!(table.contains(">Next</th>"), "{path}");
        assert_eq!(table.matches("<th scope=\"row\">").count(), 40, "{path}");
    }
}

fn an_unknown_city_on_the_network_is_not_found(app: &TestApp) {
    for slug in ["atlantis", "Apeldoorn", "apeldoorn%2F.."] {
        let (status, html) = app.get(&format!("/netwerk?stad={slug}"));
        assert_eq!(status, 404, "{slug}");
        assert!(html.contains("Deze pagina bestaat niet"), "{slug}: {html}");
    }
    // Blank is no choice: the whole network.
    assert_eq!(app.get("/netwerk?stad=").0, 200);
}

fn a_repeated_city_on_the_network_is_a_bad_request(app: &TestApp) {
    let (status, html) = app.get("/netwerk?stad=apeldoorn&stad=arnhem");
    assert_eq!(status, 400);
    assert!(html.contains("Het adres klopt niet"), "{html}");
}

fn imported_project_changes_suggestions_without_restart(app: &mut TestApp) {
    let before: Vec<Value> = similar(app, "6.3", 20);
    assert!(before
        .iter()
        .all(|r| r["project"]["source_ref"] != "40.150"));
    app.import_projects(vec![serde_json::json!({
        "source_ref": "40.150", "city": "zwolle", "title": "Talking Traffic Zwolle",
        "description": "Zwolle vervangt verkeerslichten door iVRI's in het landelijke programma Talking Traffic, zodat fietsers en nooddiensten voorrang krijgen.",
        "description_origin": "report", "theme": "mobility", "stage": "pilot"
    })]);
    let imported = Instant::now();
    let is_new = |r: &Value| r["project"]["source_ref"] == "40.150";
    poll(
        Duration::from_secs(10),
        || {
            let now = similar(app, "6.3", 5);
            format!("not among Apeldoorn's comparable pilots after the import: {now:?}")
        },
        || similar(app, "6.3", 5).iter().any(is_new).then_some(()),
    );
    eprintln!(
        "suggested {} ms after the import committed",
        imported.elapsed().as_millis()
    );
    let zwolle = partners(app, "zwolle");
    assert!(
        zwolle.iter().any(
            |p| p["city"]["slug"] == "apeldoorn" && p["reasons"].to_string().contains("40.150")
        ),
        "Zwolle's partners now name the new pair"
    );
}

fn many_changes_rebuild_the_network_from_the_database(app: &mut TestApp) {
    let builds = |app: &TestApp| app.log().matches("matchmaking network built").count();
    assert_eq!(builds(app), 1, "built once at start");
    // More new projects than the network takes before its weights are out of date.
    let projects: Vec<Value> = (0..60)
        .map(|n| {
            serde_json::json!({
                "source_ref": format!("40.{}", 200 + n), "city": "zwolle",
                "title": format!("Talking Traffic kruispunt {n}"),
                "description": "Zwolle vervangt verkeerslichten door iVRI's in het programma Talking Traffic.",
                "description_origin": "report", "theme": "mobility", "stage": "pilot"
            })
        })
        .collect();
    app.import_projects(projects);
    poll(
        Duration::from_secs(15),
        || format!("the network was not rebuilt:\n{}", app.log()),
        || (builds(app) >= 2).then_some(()),
    );
    let suggested = similar(app, "6.3", 20);
    assert!(
        suggested.iter().any(|r| r["project"]["source_ref"]
            .as_str()
            .is_some_and(|s| s.starts_with("40.2"))),
        "the rebuilt network holds the new projects: {suggested:?}"
    );
}

// ---- "Is dit vergelijkbaar?" ----------------------------------------------------------

/// All of a project's comparable pilots (the network keeps 20), best first.
fn similar_ids(app: &TestApp, project: i64) -> Vec<i64> {
    fixtures::similar_ids(app, project, 20)
}

/// A signed-in member of `city`.
fn member_of<'a>(app: &'a TestApp, email: &str, city: &str) -> Session<'a> {
    signed_in_as(app, email, &["--city", city])
}

/// Answers "Is dit vergelijkbaar?" on `suggestion` of `project` as the page's form does.
fn answer(session: &Session, project: i64, suggestion: i64, verdict: &str, why: &str) -> Response {
    session.post(
        &format!("/projecten/{project}/vergelijkbaar"),
        &[
            ("suggestion", &suggestion.to_string()),
            ("verdict", verdict),
            ("why", why),
        ],
    )
}

fn answered(session: &Session, project: i64, suggestion: i64, verdict: &str, why: &str) {
    let res = answer(session, project, suggestion, verdict, why);
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        res.header("location"),
        Some(format!("/projecten/{project}#vergelijkbaar").as_str())
    );
}

/// `stadsmaat judgments` on the app's database: the TSV it writes.
fn judgments(app: &TestApp) -> String {
    let out = app.command().arg("judgments").output().expect("judgments");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

const NO_JUDGMENTS: &str = "a\tb\tverdict\tanswers\n";

fn visitors_see_no_answer_form_but_a_sign_in_link(app: &TestApp) {
    let id = project_id(app, "6.3");
    let (status, html) = app.get(&format!("/projecten/{id}"));
    assert_eq!(status, 200);
    assert!(!html.contains("name=\"verdict\""), "no answer form");
    assert!(
        html.contains("href=\"/inloggen?terug=%2Fprojecten%2F"),
        "a sign-in link back to the page"
    );
}

fn a_member_answers_on_a_suggestion_and_answering_again_replaces_the_answer(app: &mut TestApp) {
    let project = project_id(app, "6.3");
    let arnhem = project_id(app, "7.7");
    let member = member_of(app, "lid@breda.nl", "breda");
    let page = member.get(&format!("/projecten/{project}")).body;
    assert!(
        page.contains("Is dit vergelijkbaar?"),
        "a form per suggestion"
    );
    assert!(page.contains(&format!("name=\"suggestion\" value=\"{arnhem}\"")));
    answered(&member, project, arnhem, "ja", "Beide Talking Traffic");
    let page = member.get(&format!("/projecten/{project}")).body;
    assert!(page.contains("Uw antwoord: Ja"), "the answer is shown");
    assert!(page.contains("value=\"Beide Talking Traffic\""));
    answered(&member, project, arnhem, "nee", "");
    let page = member.get(&format!("/projecten/{project}")).body;
    assert!(page.contains("Uw antwoord: Nee"), "replaced");
    assert_eq!(
        judgments(app),
        format!("{NO_JUDGMENTS}6.3\t7.7\tno\tyes=0 no=1\n"),
        "one answer per person and pair"
    );
}

fn a_no_from_the_projects_own_city_removes_the_suggestion_for_everyone(app: &mut TestApp) {
    let project = project_id(app, "6.3");
    let arnhem = project_id(app, "7.7");
    assert!(similar_ids(app, project).contains(&arnhem));
    let apeldoorn = member_of(app, "lid@apeldoorn.nl", "apeldoorn");
    answered(&apeldoorn, project, arnhem, "nee", "Wij doen iets anders");
    assert!(
        !similar_ids(app, project).contains(&arnhem),
        "gone from the API at once"
    );
    let (_, page) = app.get(&format!("/projecten/{project}"));
    assert!(
        !page.contains(&format!("href=\"/projecten/{arnhem}\"")),
        "gone from the page for visitors"
    );
    let (_, listed) = app.get_json(&format!("/api/v1/projects/{project}/similar"));
    assert_eq!(
        listed["results"].as_array().map(Vec::len),
        Some(5),
        "the next suggestion takes its place"
    );
}

fn a_no_from_another_city_leaves_the_suggestion_shown(app: &mut TestApp) {
    let project = project_id(app, "6.3");
    let arnhem = project_id(app, "7.7");
    let breda = member_of(app, "lid@breda.nl", "breda");
    answered(&breda, project, arnhem, "nee", "");
    assert!(similar_ids(app, project).contains(&arnhem));
}

fn a_yes_moves_a_suggestion_up(app: &mut TestApp) {
    let project = project_id(app, "6.3");
    let (_, before) = app.get_json(&format!("/api/v1/projects/{project}/similar?limit=20"));
    let list = before["results"].as_array().cloned().unwrap_or_default();
    let score = |i: usize| list[i]["score"].as_f64().expect("score");
    // The first suggestion that one "ja" (a lift of 15 %) takes past the one above it.
    let rank = (1..list.len())
        .find(|&i| score(i) * 1.15 > score(i - 1) * 1.001)
        .expect("two suggestions of about the same strength");
    let lifted = list[rank]["project"]["id"].as_i64().expect("id");
    let member = member_of(app, "lid@breda.nl", "breda");
    answered(&member, project, lifted, "ja", "");
    let after = similar_ids(app, project);
    let now = after
        .iter()
        .position(|&id| id == lifted)
        .expect("still listed");
    assert!(now < rank, "from {rank} to {now}: {after:?}");
}

fn strangers_cannot_answer_and_nothing_is_stored(app: &mut TestApp) {
    let project = project_id(app, "6.3");
    let arnhem = project_id(app, "7.7");
    let visitor = Session::new(app);
    assert_eq!(answer(&visitor, project, arnhem, "ja", "").status, 401);
    let without_city = signed_in(app, "zonder@stad.nl", false);
    let page = without_city.get(&format!("/projecten/{project}")).body;
    assert!(!page.contains("name=\"verdict\""), "no form without a city");
    assert_eq!(answer(&without_city, project, arnhem, "ja", "").status, 403);
    let member = member_of(app, "lid@breda.nl", "breda");
    let forged = member.post_raw(
        &format!("/projecten/{project}/vergelijkbaar"),
        &[("suggestion", &arnhem.to_string()), ("verdict", "ja")],
        &[],
    );
    assert_eq!(forged.status, 403, "without the form token");
    assert_eq!(judgments(app), NO_JUDGMENTS);
}

fn bad_answers_are_refused_with_a_clear_error_and_nothing_is_stored(app: &mut TestApp) {
    let project = project_id(app, "6.3");
    let arnhem = project_id(app, "7.7");
    let own = project_id(app, "6.12");
    let member = member_of(app, "lid@breda.nl", "breda");
    let unknown = answer(&member, 999_999, arnhem, "ja", "");
    assert_eq!(unknown.status, 404, "unknown project");
    let not_suggested = answer(&member, project, own, "ja", "");
    assert_eq!(not_suggested.status, 400);
    assert!(
        not_suggested
            .body
            .contains("Geen suggestie bij dit project"),
        "{}",
        not_suggested.body
    );
    let long = answer(&member, project, arnhem, "ja", &"x".repeat(501));
    assert_eq!(long.status, 400);
    assert!(long.body.contains("hoogstens 500 tekens"), "{}", long.body);
    assert_eq!(
        answer(&member, project, arnhem, "misschien", "").status,
        400
    );
    assert_eq!(judgments(app), NO_JUDGMENTS);
}

fn administrators_see_the_disputed_suggestions_and_others_do_not(app: &mut TestApp) {
    let project = project_id(app, "6.3");
    let list = similar_ids(app, project);
    let (rejected, split, agreed) = (list[0], list[1], list[2]);
    let apeldoorn = member_of(app, "lid@apeldoorn.nl", "apeldoorn");
    let breda = member_of(app, "lid@breda.nl", "breda");
    let zwolle = member_of(app, "lid@zwolle.nl", "zwolle");
    answered(
        &apeldoorn,
        project,
        rejected,
        "nee",
        "Ander soort kruispunten",
    );
    answered(&breda, project, split, "ja", "");
    answered(&zwolle, project, split, "nee", "Te algemeen");
    answered(&zwolle, project, agreed, "ja", "");
    assert_eq!(breda.get("/beheer/suggesties").status, 403);
    let admin = signed_in(app, "beheer@example.nl", true);
    let page = admin.get("/beheer/suggesties");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Ander soort kruispunten"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Afgewezen door Apeldoorn"));
    assert!(page
        .body
        .contains(&format!("href=\"/projecten/{rejected}\"")));
    assert!(page.body.contains("Te algemeen"));
    assert!(page.body.contains(&format!("href=\"/projecten/{split}\"")));
    let third = agreed;
    assert!(
        !page.body.contains(&format!("href=\"/projecten/{third}\"")),
        "agreement is no dispute"
    );
    assert!(admin
        .get("/beheer")
        .body
        .contains("href=\"/beheer/suggesties\""));
}

fn answers_are_exported_as_judged_pairs(app: &mut TestApp) {
    let project = project_id(app, "6.3");
    let arnhem = project_id(app, "7.7");
    let breda = member_of(app, "lid@breda.nl", "breda");
    let zwolle = member_of(app, "lid@zwolle.nl", "zwolle");
    answered(&breda, project, arnhem, "ja", "");
    answered(&zwolle, project, arnhem, "ja", "");
    let file = app.data_dir().join("judged.tsv");
    let out = app
        .command()
        .arg("judgments")
        .arg(&file)
        .output()
        .expect("judgments");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 judged pairs"));
    assert_eq!(
        std::fs::read_to_string(&file).expect("written"),
        format!("{NO_JUDGMENTS}6.3\t7.7\tyes\tyes=2 no=0\n")
    );
}

fn the_data_export_holds_ones_answers(app: &mut TestApp) {
    let project = project_id(app, "6.3");
    let arnhem = project_id(app, "7.7");
    let member = member_of(app, "lid@breda.nl", "breda");
    answered(&member, project, arnhem, "ja", "Zelfde programma");
    let export: Value = serde_json::from_str(&member.get("/account/gegevens").body).expect("JSON");
    let answers = &export["similarity_answers"];
    assert_eq!(answers[0]["project_id"], project);
    assert_eq!(answers[0]["suggested_id"], arnhem);
    assert_eq!(answers[0]["comparable"], true);
    assert_eq!(answers[0]["why"], "Zelfde programma");
}

// ---- right away after a save ------------------------------------------------------

/// The projects listed under "Vergelijkbare pilots elders" on a page.
fn listed_pilots(page: &str) -> Vec<String> {
    let section = page
        .split("id=\"vergelijkbaar\"")
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .expect("the comparable-pilots section");
    section
        .split("class=\"card-title\" lang=\"nl\"><a href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next().map(str::to_owned))
        .collect()
}

fn parking_pilots(app: &TestApp) -> Vec<String> {
    ["6.12", "11.4", "20.1", "39.1", "34.17", "10.12"]
        .iter()
        .map(|r| format!("/projecten/{}", project_id(app, r)))
        .collect()
}

fn the_page_after_saving_a_new_project_lists_its_comparable_pilots(app: &mut TestApp) {
    let editor = signed_in_as(app, "redactie@zwolle.nl", &["--city", "zwolle", "--editor"]);
    let saved = editor.post(
        "/projecten/nieuw",
        &[
            ("title", "Parkeersensoren in de binnenstad"),
            (
                "description",
                "Zwolle legt parkeersensoren in de parkeervakken van de binnenstad. \
                 Automobilisten zien via een app en borden waar een vrije parkeerplaats is, \
                 zodat er minder zoekverkeer is.",
            ),
            ("theme", "mobility"),
            ("stage", "pilot"),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    let landing = saved.header("location").expect("redirect").to_owned();
    assert!(landing.starts_with("/projecten/"), "{landing}");
    let page = editor.get(&landing);
    assert_eq!(page.status, 200);
    assert!(
        !page
            .body
            .contains("Er zijn nog geen vergelijkbare projecten"),
        "the first page already has them"
    );
    let listed = listed_pilots(&page.body);
    let parking = parking_pilots(app);
    assert!(
        listed.iter().any(|p| parking.contains(p)),
        "parking pilots among {listed:?}"
    );
}

fn the_page_after_editing_a_project_lists_its_new_comparable_pilots(app: &mut TestApp) {
    // Zwolle's first project, rewritten into a parking-sensor pilot.
    let id = {
        let (_, body) = app.get_json("/api/v1/projects?city=zwolle");
        body["results"][0]["id"].as_i64().expect("a Zwolle project")
    };
    let editor = signed_in_as(app, "redactie@zwolle.nl", &["--city", "zwolle", "--editor"]);
    let fields = with(
        &edit_fields(&editor, id),
        &[
            ("title", "Parkeersensoren"),
            (
                "description",
                "Sensoren in parkeervakken melden of een parkeerplaats vrij is; een app wijst \
                 automobilisten de weg naar een vrije parkeerplek.",
            ),
            ("theme", "mobility"),
        ],
    );
    let saved = post_fields(&editor, &format!("/projecten/{id}/bewerken"), &fields);
    assert_eq!(saved.status, 303, "{}", saved.body);
    let page = editor.get(saved.header("location").expect("redirect"));
    let listed = listed_pilots(&page.body);
    let parking = parking_pilots(app);
    assert!(
        listed.iter().any(|p| parking.contains(p)),
        "parking pilots among {listed:?}"
    );
}
