//! A living inventory: every project names whom to call (its own contact, or its city's
//! from the report) and how current it is ("Stand 2020" until a city edits or confirms
//! it with "Klopt nog"); projects unconfirmed for a year are marked in lists, search and
//! a filter; editors keep a list by age; projects end archived, not deleted; the
//! programme office adds projects for any city. Strangers change nothing.

use serde_json::Value;

use crate::specs;
use crate::support::fixtures::{
    edit_fields, post_fields, project, project_by_ref, signed_in, signed_in_as, with,
};
use crate::support::session::Session;
use crate::support::{eventually, TestApp};

specs![
    shared:
        a_project_without_its_own_contact_names_the_citys_contacts_from_the_report,
        an_untouched_import_is_as_of_the_report_and_possibly_outdated,
        the_project_list_filters_on_how_current_projects_are,
        search_results_mark_possibly_outdated_projects;
    fresh:
        an_editor_confirms_a_project_is_still_correct_in_one_click,
        an_edit_says_which_city_updated_the_project_and_when,
        the_editors_list_puts_the_longest_unconfirmed_first,
        strangers_cannot_confirm_archive_or_see_the_editors_list,
        an_editor_archives_a_stopped_project_which_stays_findable_and_marked,
        a_merged_project_points_to_the_project_it_continues_in,
        a_bad_archive_form_keeps_what_was_typed_and_stores_nothing,
        the_programme_office_adds_a_project_for_any_city,
        the_home_page_shows_what_cities_updated_not_the_import_order,
        the_about_page_says_how_current_the_data_is_and_how_a_city_updates_it,
        search_narrows_to_possibly_outdated_or_confirmed_projects;
];

fn id_of(app: &TestApp, source_ref: &str) -> i64 {
    project_by_ref(app, source_ref)["id"].as_i64().expect("id")
}

fn deventer_editor(app: &TestApp) -> Session<'_> {
    signed_in_as(
        app,
        "redactie@deventer.nl",
        &["--city", "deventer", "--editor"],
    )
}

fn confirm(session: &Session, id: i64) -> u16 {
    session
        .post(&format!("/projecten/{id}/klopt-nog"), &[])
        .status
}

fn archive(session: &Session, id: i64, fields: &[(&str, &str)]) -> crate::support::Response {
    session.post(&format!("/projecten/{id}/archiveren"), fields)
}

fn count_on(page: &str, needle: &str) -> usize {
    page.matches(needle).count()
}

fn a_project_without_its_own_contact_names_the_citys_contacts_from_the_report(app: &TestApp) {
    let id = id_of(app, "11.4");
    assert!(project(app, id)["contact"].is_null());
    let (_, city) = app.get_json("/api/v1/cities/deventer");
    let contact = city["contacts"][0]["name"].as_str().expect("a contact");
    let (status, page) = app.get(&format!("/projecten/{id}"));
    assert_eq!(status, 200);
    assert!(page.contains(contact), "{contact} missing");
    assert!(page.contains("Volgens het rapport van 2020"));
    assert!(page.contains("Vraag het Deventer"));
    let (_, english) = app.get(&format!("/projecten/{id}?lang=en"));
    assert!(english.contains("According to the 2020 report"));
}

fn an_untouched_import_is_as_of_the_report_and_possibly_outdated(app: &TestApp) {
    let id = id_of(app, "11.4");
    let currency = &project(app, id)["currency"];
    assert_eq!(currency["source"], "report");
    assert_eq!(currency["as_of"], "2020-09-25");
    assert_eq!(currency["stale"], true);
    let (_, page) = app.get(&format!("/projecten/{id}"));
    assert!(page.contains("Stand 2020 (G40-inventarisatie)"));
    assert!(page.contains("Mogelijk verouderd"));
    let (_, english) = app.get(&format!("/projecten/{id}?lang=en"));
    assert!(english.contains("As of 2020 (G40 inventory)"));
    assert!(english.contains("Possibly outdated"));
}

fn the_project_list_filters_on_how_current_projects_are(app: &TestApp) {
    let (_, all) = app.get_json("/api/v1/projects?city=deventer");
    let (_, stale) = app.get_json("/api/v1/projects?city=deventer&currency=stale");
    assert_eq!(stale["total"], all["total"]);
    let (_, confirmed) = app.get_json("/api/v1/projects?city=deventer&currency=confirmed");
    assert_eq!(confirmed["total"], 0);
    let (status, page) = app.get("/projecten?city=deventer&currency=stale");
    assert_eq!(status, 200);
    assert!(page.contains("<option value=\"stale\" selected>Mogelijk verouderd</option>"));
    assert_eq!(
        count_on(&page, "badge stale"),
        count_on(&page, "project-card")
    );
    let (status, _) = app.get("/projecten?currency=gisteren");
    assert_eq!(status, 400);
}

fn search_results_mark_possibly_outdated_projects(app: &TestApp) {
    let (status, page) = app.get("/zoeken?q=parkeersensoren");
    assert_eq!(status, 200);
    assert!(count_on(&page, "class=\"card hit\"") > 0);
    assert_eq!(
        count_on(&page, "badge stale"),
        count_on(&page, "/projecten/"),
        "every project hit is marked: {page}"
    );
}

fn an_editor_confirms_a_project_is_still_correct_in_one_click(app: &mut TestApp) {
    let id = id_of(app, "11.4");
    let before = project(app, id);
    let editor = deventer_editor(app);
    let page = editor.get(&format!("/projecten/{id}"));
    assert!(page.body.contains("Klopt nog"));
    let res = editor.post(&format!("/projecten/{id}/klopt-nog"), &[]);
    assert_eq!(res.status, 303);
    assert_eq!(
        res.header("location"),
        Some(format!("/projecten/{id}").as_str())
    );
    let after = project(app, id);
    assert_eq!(after["currency"]["source"], "confirmed");
    assert_eq!(after["currency"]["by"], "Deventer");
    assert_eq!(after["currency"]["stale"], false);
    for unchanged in ["title", "description", "stage", "updated_at", "lessons"] {
        assert_eq!(after[unchanged], before[unchanged], "{unchanged}");
    }
    let page = editor.get(&format!("/projecten/{id}"));
    assert!(
        page.body.contains("Bevestigd door Deventer op"),
        "{}",
        page.body
    );
    assert!(!page
        .body
        .contains("(klopt nog) <span class=\"badge stale\""));
    let history = editor.get(&format!("/projecten/{id}/geschiedenis"));
    assert!(history.body.contains("Bevestigd: het project klopt nog."));
    let (_, confirmed) = app.get_json("/api/v1/projects?city=deventer&currency=confirmed");
    assert_eq!(confirmed["results"][0]["id"], id);
}

fn an_edit_says_which_city_updated_the_project_and_when(app: &mut TestApp) {
    let id = id_of(app, "11.4");
    let editor = deventer_editor(app);
    let fields = with(
        &edit_fields(&editor, id),
        &[("lessons", "Sensoren in de grond gaan lang mee.")],
    );
    let res = post_fields(&editor, &format!("/projecten/{id}/bewerken"), &fields);
    assert_eq!(res.status, 303, "{}", res.body);
    let currency = &project(app, id)["currency"];
    assert_eq!(currency["source"], "edited");
    assert_eq!(currency["by"], "Deventer");
    let (_, page) = app.get(&format!("/projecten/{id}"));
    assert!(page.contains("Bijgewerkt door Deventer op"));
    let (_, english) = app.get(&format!("/projecten/{id}?lang=en"));
    assert!(english.contains("Updated by Deventer on"));
}

fn the_editors_list_puts_the_longest_unconfirmed_first(app: &mut TestApp) {
    let first = id_of(app, "11.1");
    let editor = deventer_editor(app);
    assert_eq!(confirm(&editor, first), 303);
    let res = editor.get("/steden/deventer/actualiteit");
    assert_eq!(res.status, 200, "{}", res.body);
    let rows: Vec<&str> = res.body.split("<tr>").skip(2).collect();
    let (_, city) = app.get_json("/api/v1/cities/deventer");
    assert_eq!(Some(rows.len() as i64), city["project_count"].as_i64());
    assert!(rows
        .last()
        .expect("rows")
        .contains(&format!("/projecten/{first}\"")));
    assert!(rows[0].contains("Mogelijk verouderd"));
    assert!(res
        .body
        .contains("10 projecten zijn meer dan een jaar niet bevestigd"));
    let city_page = editor.get("/steden/deventer");
    assert!(city_page.body.contains("/steden/deventer/actualiteit"));
}

fn strangers_cannot_confirm_archive_or_see_the_editors_list(app: &mut TestApp) {
    let id = id_of(app, "11.4");
    let stopped = [("why", "stopped"), ("note", "Klaar."), ("lessons", "")];
    let visitor = Session::new(app);
    assert_eq!(confirm(&visitor, id), 401);
    assert_eq!(archive(&visitor, id, &stopped).status, 401);
    let list = visitor.get("/steden/deventer/actualiteit");
    assert_eq!(list.status, 303, "a visitor is sent to sign in");
    assert!(list
        .header("location")
        .is_some_and(|l| l.starts_with("/inloggen")));
    let member = signed_in_as(app, "lid@deventer.nl", &["--city", "deventer"]);
    assert_eq!(confirm(&member, id), 403);
    assert_eq!(archive(&member, id, &stopped).status, 403);
    assert_eq!(member.get("/steden/deventer/actualiteit").status, 403);
    assert!(!member
        .get(&format!("/projecten/{id}"))
        .body
        .contains("klopt-nog"));
    let other = signed_in_as(app, "redactie@zwolle.nl", &["--city", "zwolle", "--editor"]);
    assert_eq!(confirm(&other, id), 403);
    assert_eq!(archive(&other, id, &stopped).status, 403);
    assert_eq!(
        other
            .post(&format!("/projecten/{id}/heropenen"), &[])
            .status,
        403
    );
    assert_eq!(other.get("/steden/deventer/actualiteit").status, 403);
    let after = project(app, id);
    assert_eq!(after["currency"]["source"], "report");
    assert!(after["archived"].is_null());
    assert_eq!(confirm(&deventer_editor(app), 999_999), 404);
}

fn an_editor_archives_a_stopped_project_which_stays_findable_and_marked(app: &mut TestApp) {
    let id = id_of(app, "11.4");
    let editor = deventer_editor(app);
    let form = editor.get(&format!("/projecten/{id}/archiveren"));
    assert_eq!(form.status, 200);
    let res = archive(
        &editor,
        id,
        &[
            ("why", "stopped"),
            ("merged_into", ""),
            ("note", "De proef is afgerond en niet opgeschaald."),
            (
                "lessons",
                "Kies sensoren met een batterij die tien jaar meegaat.",
            ),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let after = project(app, id);
    assert_eq!(after["stage"], "stopped");
    assert_eq!(after["archived"]["why"], "stopped");
    assert_eq!(
        after["lessons"],
        "Kies sensoren met een batterij die tien jaar meegaat."
    );
    let page = app.get(&format!("/projecten/{id}")).1;
    assert!(page.contains("Dit project is gestopt en gearchiveerd op"));
    assert!(page.contains("De proef is afgerond en niet opgeschaald."));
    eventually("the archived project is marked in search", || {
        let (_, results) = app.get("/zoeken?q=parkeersensoren+deventer");
        results.contains(&format!("/projecten/{id}\"")) && results.contains("badge archived")
    });
    assert_eq!(
        editor
            .post(&format!("/projecten/{id}/heropenen"), &[])
            .status,
        303
    );
    assert!(project(app, id)["archived"].is_null());
    assert_eq!(
        archive(&editor, id, &[("why", "stopped"), ("note", "Nu echt.")]).status,
        303
    );
    assert_eq!(
        archive(&editor, id, &[("why", "stopped"), ("note", "Nog eens.")]).status,
        409
    );
}

fn a_merged_project_points_to_the_project_it_continues_in(app: &mut TestApp) {
    let id = id_of(app, "11.4");
    let into = id_of(app, "11.1");
    let editor = deventer_editor(app);
    let res = archive(
        &editor,
        id,
        &[
            ("why", "merged"),
            ("merged_into", &into.to_string()),
            ("note", "Opgegaan in het bredere programma."),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let after = project(app, id);
    assert_eq!(
        after["archived"]["merged_into"],
        format!("/projecten/{into}")
    );
    let page = app.get(&format!("/projecten/{id}")).1;
    assert!(page.contains(&format!("<a href=\"/projecten/{into}\" lang=\"nl\">")));
    let (_, archived) = app.get_json("/api/v1/projects?currency=archived");
    assert_eq!(archived["total"], 1);
}

fn a_bad_archive_form_keeps_what_was_typed_and_stores_nothing(app: &mut TestApp) {
    let id = id_of(app, "11.4");
    let zwolle = id_of(app, "40.1");
    let editor = deventer_editor(app);
    let cases: [&[(&str, &str)]; 4] = [
        &[("why", "verhuisd"), ("note", "Mijn reden")],
        &[("why", "stopped"), ("note", "  ")],
        &[
            ("why", "merged"),
            ("merged_into", ""),
            ("note", "Mijn reden"),
        ],
        &[
            ("why", "merged"),
            ("merged_into", &zwolle.to_string()),
            ("note", "Mijn reden"),
        ],
    ];
    for fields in cases {
        let res = archive(&editor, id, fields);
        assert_eq!(res.status, 400, "{fields:?}");
        if fields.iter().any(|(_, v)| *v == "Mijn reden") {
            assert!(
                res.body.contains("Mijn reden"),
                "typed text kept: {fields:?}"
            );
        }
    }
    let after = project(app, id);
    assert!(after["archived"].is_null());
    assert_eq!(after["currency"]["source"], "report");
}

fn the_programme_office_adds_a_project_for_any_city(app: &mut TestApp) {
    let admin = signed_in(app, "bureau@g40.nl", true);
    let form = admin.get("/projecten/nieuw");
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains("<option value=\"zwolle\""));
    let fields = [
        ("title", "Regionale deelmobiliteit"),
        (
            "description",
            "Deelscooters en deelauto's in de regio, met één app.",
        ),
        ("theme", "mobility"),
        ("stage", "idea"),
    ];
    let mut bad = fields.to_vec();
    bad.push(("city", "atlantis"));
    assert_eq!(admin.post("/projecten/nieuw", &bad).status, 400);
    let mut good = fields.to_vec();
    good.push(("city", "zwolle"));
    let res = admin.post("/projecten/nieuw", &good);
    assert_eq!(res.status, 303, "{}", res.body);
    let location = res.header("location").expect("location").to_owned();
    let id: i64 = location
        .trim_start_matches("/projecten/")
        .split('?')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("id");
    let created: Value = project(app, id);
    assert_eq!(created["city"]["slug"], "zwolle");
    assert_eq!(created["currency"]["source"], "edited");
    assert!(created["currency"]["by"].is_null());
    let page = app.get(&format!("/projecten/{id}")).1;
    assert!(page.contains("Bijgewerkt door het G40-programmabureau op"));
    let member = signed_in_as(app, "lid@deventer.nl", &["--city", "deventer"]);
    let mut forged = fields.to_vec();
    forged.push(("city", "zwolle"));
    let res = member.post("/projecten/nieuw", &forged);
    assert_eq!(res.status, 303);
    let location = res.header("location").expect("location").to_owned();
    let own = location
        .trim_start_matches("/projecten/")
        .split('?')
        .next()
        .and_then(|s| s.parse::<i64>().ok())
        .expect("id");
    assert_eq!(project(app, own)["city"]["slug"], "deventer");
}

fn the_home_page_shows_what_cities_updated_not_the_import_order(app: &mut TestApp) {
    let (_, before) = app.get("/");
    assert!(before.contains("Nog geen stad heeft een project op Stadsmaat toegevoegd"));
    let id = id_of(app, "11.4");
    assert_eq!(confirm(&deventer_editor(app), id), 303);
    let (_, after) = app.get("/");
    assert!(
        after.contains(&format!("href=\"/projecten/{id}\"")),
        "{after}"
    );
    assert!(!after.contains("Nog geen stad heeft een project"));
}

/// `/over` is for civil servants: where the data comes from, how current it is now (the
/// counts follow the cities' confirmations) and how a city updates it; no build notes.
fn the_about_page_says_how_current_the_data_is_and_how_a_city_updates_it(app: &mut TestApp) {
    let (_, before) = app.get("/over");
    assert!(before.contains("0 projecten in het afgelopen jaar bijgewerkt of bevestigd"));
    assert!(before.contains("434 projecten mogelijk verouderd"));
    assert!(before.contains("href=\"/account/lidmaatschap\""));
    for build_note in ["build_inventory.py", "sha256", "seed"] {
        assert!(
            !before.contains(build_note),
            "{build_note} belongs in data/README.md"
        );
    }
    let id = id_of(app, "11.4");
    assert_eq!(confirm(&deventer_editor(app), id), 303);
    let (_, after) = app.get("/over");
    assert!(after.contains("1 project in het afgelopen jaar bijgewerkt of bevestigd"));
    assert!(after.contains("433 projecten mogelijk verouderd"));
    let (_, english) = app.get("/over?lang=en");
    assert!(english.contains("How does your city update its data?"));
    assert!(english.contains("433 projects possibly outdated"));
}

/// Search offers how current projects are as a facet, decided on the day of the search
/// (an index-time mark would go stale itself): a confirmation moves a project from
/// possibly outdated to confirmed, and the filter narrows to either.
fn search_narrows_to_possibly_outdated_or_confirmed_projects(app: &mut TestApp) {
    let facets = |app: &TestApp, extra: &str| {
        let (status, body) = app.get_json(&format!(
            "/api/v1/search?q=parkeersensoren&type=project{extra}"
        ));
        assert_eq!(status, 200, "{body}");
        body
    };
    let before = facets(app, "");
    let total = before["total"].as_u64().expect("total");
    assert!(total > 1);
    assert_eq!(before["facets"]["currency"]["stale"].as_u64(), Some(total));
    assert!(before["facets"]["currency"].get("confirmed").is_none());

    let id = id_of(app, "11.4");
    assert_eq!(confirm(&deventer_editor(app), id), 303);
    eventually("the confirmation reaches the search index", || {
        facets(app, "")["facets"]["currency"]["confirmed"].as_u64() == Some(1)
    });
    let confirmed = facets(app, "&currency=confirmed");
    assert_eq!(confirmed["total"], 1);
    assert_eq!(confirmed["results"][0]["id"], id);
    let stale = facets(app, "&currency=stale");
    assert_eq!(stale["total"].as_u64(), Some(total - 1));
    assert!(stale["results"]
        .as_array()
        .expect("results")
        .iter()
        .all(|h| h["id"] != id));

    let (_, page) = app.get("/zoeken?q=parkeersensoren");
    assert!(page.contains("id=\"facet-currency\""));
    assert!(page.contains("Bevestigd in het afgelopen jaar</a> <span class=\"count\">(1)"));
    assert_eq!(app.get("/zoeken?q=parkeersensoren&currency=oud").0, 400);
    assert_eq!(app.get_json("/api/v1/search?q=x&currency=oud").0, 400);
}
