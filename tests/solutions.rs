//! Solutions: the catalogue is there on first start with every project's suggested
//! solutions, in the API and on pages with lead cities and followers; negated and
//! related things are not a project's solutions; shared solutions are the first reason
//! projects are comparable; a city's editors confirm and reject, strangers cannot, and
//! what they decide shows at once.

use serde_json::Value;

use crate::specs;
use crate::support::fixtures::{project_by_ref, signed_in_as};
use crate::support::session::Session;
use crate::support::{eventually, TestApp};

specs![
    shared:
        the_catalogue_lists_solutions_with_projects_and_city_roles,
        a_solution_page_shows_its_leading_and_following_cities,
        an_unknown_solution_is_not_found,
        projects_carry_the_solutions_they_are,
        negated_and_related_things_are_not_a_projects_solutions,
        comparable_pilots_name_a_shared_solution_first,
        who_does_what_has_solutions_beside_the_themes;
    fresh:
        an_editor_rejects_a_suggested_solution_and_it_is_gone_at_once,
        an_editor_adds_a_solution_nobody_suggested,
        strangers_members_and_other_cities_cannot_decide,
        bad_decisions_are_refused_with_a_clear_message,
        a_new_project_is_suggested_the_solution_its_text_names;
];

fn solution(app: &TestApp, slug: &str) -> Value {
    let (status, body) = app.get_json(&format!("/api/v1/solutions/{slug}"));
    assert_eq!(status, 200, "{body}");
    body
}

fn solutions_of(app: &TestApp, source_ref: &str) -> Vec<String> {
    project_by_ref(app, source_ref)["solutions"]
        .as_array()
        .expect("solutions")
        .iter()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect()
}

fn city_slugs(solution: &Value) -> Vec<String> {
    solution["cities"]
        .as_array()
        .expect("cities")
        .iter()
        .filter_map(|c| c["slug"].as_str().map(str::to_owned))
        .collect()
}

fn the_catalogue_lists_solutions_with_projects_and_city_roles(app: &TestApp) {
    let (status, body) = app.get_json("/api/v1/solutions");
    assert_eq!(status, 200);
    let results = body["results"].as_array().expect("results");
    assert!(results.len() >= 30, "{}", results.len());
    for s in results {
        assert!(s["slug"].is_string() && s["name"].is_string());
        assert!(["product", "programme", "technique"].contains(&s["kind"].as_str().unwrap_or("")));
        for p in s["projects"].as_array().expect("projects") {
            assert!(p["id"].is_i64() && p["city"]["slug"].is_string(), "{p}");
            assert!(p["city"]["name"].is_string() && p["confirmed"].is_boolean());
            assert!(p.get("source_ref").is_some());
        }
        for c in s["cities"].as_array().expect("cities") {
            assert!(
                ["lead", "follower"].contains(&c["role"].as_str().unwrap_or("")),
                "{c}"
            );
        }
    }
    let traffic = solution(app, "talking-traffic");
    let cities = city_slugs(&traffic);
    for city in [
        "apeldoorn",
        "arnhem",
        "breda",
        "deventer",
        "groningen",
        "haarlem",
    ] {
        assert!(cities.contains(&city.to_owned()), "{city} in {cities:?}");
    }
    assert!(traffic["cities"]
        .as_array()
        .is_some_and(|c| c.iter().any(|c| c["role"] == "lead")));
}

fn a_solution_page_shows_its_leading_and_following_cities(app: &TestApp) {
    let (status, page) = app.get("/oplossingen/talking-traffic");
    assert_eq!(status, 200);
    assert!(
        page.contains("Voorlopers") && page.contains("Volgers"),
        "{page}"
    );
    assert!(page.contains("href=\"/steden/apeldoorn\""));
    let (status, list) = app.get("/oplossingen");
    assert_eq!(status, 200);
    assert!(list.contains("href=\"/oplossingen/talking-traffic\""));
    let (status, english) = app.get("/oplossingen/talking-traffic?lang=en");
    assert_eq!(status, 200);
    assert!(english.contains("Leading cities"), "{english}");
}

fn an_unknown_solution_is_not_found(app: &TestApp) {
    let (status, _) = app.get_json("/api/v1/solutions/geen-oplossing");
    assert_eq!(status, 404);
    let (status, _) = app.get("/oplossingen/geen-oplossing");
    assert_eq!(status, 404);
}

fn projects_carry_the_solutions_they_are(app: &TestApp) {
    assert!(solutions_of(app, "6.3").contains(&"talking-traffic".to_owned()));
    assert!(solutions_of(app, "13.4").contains(&"slimme-verlichting".to_owned()));
    let (_, list) = app.get_json("/api/v1/projects?city=apeldoorn");
    assert!(list["results"][0]["solutions"].is_array(), "{list}");
}

fn negated_and_related_things_are_not_a_projects_solutions(app: &TestApp) {
    // "Dit levert ook weer input voor het project Talking traffic"; "verbonden via het
    // LoRa netwerk".
    let deventer = solutions_of(app, "11.4");
    assert_eq!(deventer, vec!["parkeersensoren".to_owned()]);
    // "Er komen geen camera's. Kenteken en gebruiker worden beide niet bekend."
    let apeldoorn = solutions_of(app, "6.12");
    assert!(
        apeldoorn.contains(&"parkeersensoren".to_owned()),
        "{apeldoorn:?}"
    );
    assert!(!apeldoorn
        .iter()
        .any(|s| s == "anpr" || s == "camera-toezicht"));
}

fn comparable_pilots_name_a_shared_solution_first(app: &TestApp) {
    let id = project_by_ref(app, "6.3")["id"].as_i64().expect("id");
    let (_, body) = app.get_json(&format!("/api/v1/projects/{id}/similar?limit=5"));
    let results = body["results"].as_array().expect("results");
    let traffic = results
        .iter()
        .find(|r| {
            r["project"]["solutions"]
                .as_array()
                .is_some_and(|s| s.contains(&"talking-traffic".into()))
        })
        .expect("a Talking Traffic project among the five");
    let first = &traffic["reasons"][0];
    assert_eq!(first["kind"], "solutions", "{traffic}");
    assert!(
        first["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("Beide gebruiken Talking Traffic")),
        "{first}"
    );
    let (_, english) = app.get_json(&format!("/api/v1/projects/{id}/similar?limit=5&lang=en"));
    let texts = english.to_string();
    assert!(texts.contains("Both use Talking Traffic"), "{texts}");
}

fn who_does_what_has_solutions_beside_the_themes(app: &TestApp) {
    let (status, page) = app.get("/wie-doet-wat");
    assert_eq!(status, 200);
    assert!(
        page.contains("href=\"/oplossingen/talking-traffic\""),
        "{page}"
    );
    assert!(page.contains("href=\"/themas/mobility\""));
}

/// Deventer's editor, signed in.
fn deventer_editor(app: &TestApp) -> Session<'_> {
    signed_in_as(
        app,
        "redactie@deventer.nl",
        &["--city", "deventer", "--editor"],
    )
}

fn decide(session: &Session, project_id: i64, solution: &str, decision: &str) -> u16 {
    session
        .post(
            &format!("/projecten/{project_id}/oplossingen"),
            &[("solution", solution), ("decision", decision)],
        )
        .status
}

fn an_editor_rejects_a_suggested_solution_and_it_is_gone_at_once(app: &mut TestApp) {
    let project = project_by_ref(app, "11.4");
    let id = project["id"].as_i64().expect("id");
    assert!(solutions_of(app, "11.4").contains(&"parkeersensoren".to_owned()));
    let editor = deventer_editor(app);
    let page = editor.get(&format!("/projecten/{id}"));
    assert!(page.body.contains("Afwijzen"), "{}", page.body);
    assert_eq!(decide(&editor, id, "parkeersensoren", "reject"), 303);
    assert!(!solutions_of(app, "11.4").contains(&"parkeersensoren".to_owned()));
    let parking = solution(app, "parkeersensoren");
    assert!(!parking["projects"]
        .as_array()
        .expect("projects")
        .iter()
        .any(|p| p["id"].as_i64() == Some(id)));
    // Matchmaking follows: no reason of its comparable pilots names the solution.
    eventually("matchmaking forgets the rejected solution", || {
        let (_, similar) = app.get_json(&format!("/api/v1/projects/{id}/similar?limit=10"));
        !similar
            .to_string()
            .contains("Beide gebruiken Parkeersensoren")
    });
    // The history keeps the decision.
    let page = editor.get(&format!("/projecten/{id}"));
    assert!(page.body.contains("afgewezen"), "{}", page.body);
}

fn an_editor_adds_a_solution_nobody_suggested(app: &mut TestApp) {
    let id = project_by_ref(app, "11.4")["id"].as_i64().expect("id");
    let editor = deventer_editor(app);
    assert_eq!(decide(&editor, id, "lora", "confirm"), 303);
    assert!(solutions_of(app, "11.4").contains(&"lora".to_owned()));
    let lora = solution(app, "lora");
    let entry = lora["projects"]
        .as_array()
        .expect("projects")
        .iter()
        .find(|p| p["id"].as_i64() == Some(id))
        .cloned()
        .expect("listed under LoRa");
    assert_eq!(entry["confirmed"], true);
}

fn strangers_members_and_other_cities_cannot_decide(app: &mut TestApp) {
    let id = project_by_ref(app, "11.4")["id"].as_i64().expect("id");
    let visitor = Session::new(app);
    assert_eq!(decide(&visitor, id, "parkeersensoren", "reject"), 401);
    let member = signed_in_as(app, "lid@deventer.nl", &["--city", "deventer"]);
    assert_eq!(decide(&member, id, "parkeersensoren", "reject"), 403);
    let other = signed_in_as(app, "redactie@zwolle.nl", &["--city", "zwolle", "--editor"]);
    assert_eq!(decide(&other, id, "parkeersensoren", "reject"), 403);
    assert!(solutions_of(app, "11.4").contains(&"parkeersensoren".to_owned()));
    let page = member.get(&format!("/projecten/{id}"));
    assert!(!page.body.contains("Afwijzen"));
}

fn bad_decisions_are_refused_with_a_clear_message(app: &mut TestApp) {
    let id = project_by_ref(app, "11.4")["id"].as_i64().expect("id");
    let editor = deventer_editor(app);
    let res = editor.post(
        &format!("/projecten/{id}/oplossingen"),
        &[("solution", "geen-oplossing"), ("decision", "confirm")],
    );
    assert_eq!(res.status, 400);
    assert!(res.body.contains("Onbekende oplossing"), "{}", res.body);
    assert_eq!(decide(&editor, id, "lora", "misschien"), 400);
    assert_eq!(decide(&editor, id, "", "confirm"), 400);
    assert_eq!(decide(&editor, 999_999, "lora", "confirm"), 404);
    assert!(!solutions_of(app, "11.4").contains(&"lora".to_owned()));
}

fn a_new_project_is_suggested_the_solution_its_text_names(app: &mut TestApp) {
    let member = signed_in_as(app, "lid@zwolle.nl", &["--city", "zwolle"]);
    let res = member.post(
        "/projecten/nieuw",
        &[
            ("title", "Slimme afvalbakken in het centrum"),
            (
                "description",
                "Afvalbakken melden hun vulgraad, zodat de wagen alleen rijdt waar het nodig is.",
            ),
            ("theme", "environment"),
            ("stage", "pilot"),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let location = res.header("location").expect("location").to_owned();
    let id = location.trim_start_matches("/projecten/");
    let (_, project) = app.get_json(&format!("/api/v1/projects/{id}"));
    let solutions = project["solutions"].to_string();
    assert!(solutions.contains("slim-afval"), "{project}");
}
