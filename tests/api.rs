//! The JSON API of DESIGN.md's contract: shapes, filters, paging and error answers.

use serde_json::Value;

use crate::specs;
use crate::support::{assert_api_error, TestApp};

specs! {
    shared:
        health_reports_ok,
        cities_lists_the_forty_g40_cities_with_theme_profiles,
        city_slugs_follow_the_design_rule,
        city_returns_its_facts_and_projects,
        projects_finds_a_project_by_its_report_number,
        projects_filters_by_city_and_theme,
        projects_pages_do_not_overlap,
        project_has_the_contract_fields,
        unknown_project_id_is_404,
        unknown_city_slug_is_404,
        malformed_paging_is_400_naming_the_parameter,
        unknown_filter_values_are_400,
        repeated_parameters_are_400,
        unknown_api_path_is_a_json_404,
        responses_carry_security_headers;
}

fn results(body: &Value) -> &Vec<Value> {
    body["results"].as_array().expect("results array")
}

fn health_reports_ok(app: &TestApp) {
    let (status, body) = app.get_json("/api/v1/health");
    assert_eq!((status, body), (200, serde_json::json!({"status": "ok"})));
}

fn cities_lists_the_forty_g40_cities_with_theme_profiles(app: &TestApp) {
    let (status, body) = app.get_json("/api/v1/cities");
    assert_eq!(status, 200);
    let cities = results(&body);
    assert_eq!(cities.len(), 40);
    for city in cities {
        let themes = city["themes"].as_object().expect("themes object");
        let mut keys: Vec<&str> = themes.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "citizen",
                "economy",
                "environment",
                "governance",
                "living",
                "mobility"
            ]
        );
        let sum: i64 = themes.values().filter_map(Value::as_i64).sum();
        assert_eq!(
            Some(sum),
            city["project_count"].as_i64(),
            "{}",
            city["slug"]
        );
        assert!(
            city["population"].as_i64().unwrap_or(0) > 50_000,
            "{}",
            city["slug"]
        );
        assert!(
            city["area_km2"].as_f64().unwrap_or(0.0) > 10.0,
            "{}",
            city["slug"]
        );
    }
    let total: i64 = cities
        .iter()
        .filter_map(|c| c["project_count"].as_i64())
        .sum();
    let (_, projects) = app.get_json("/api/v1/projects?per_page=1");
    assert_eq!(Some(total), projects["total"].as_i64());
}

fn city_slugs_follow_the_design_rule(app: &TestApp) {
    let (_, body) = app.get_json("/api/v1/cities");
    let slugs: Vec<&str> = results(&body)
        .iter()
        .filter_map(|c| c["slug"].as_str())
        .collect();
    for expected in [
        "alphen-aan-den-rijn",
        "s-hertogenbosch",
        "sittard-geleen",
        "apeldoorn",
    ] {
        assert!(slugs.contains(&expected), "no {expected} in {slugs:?}");
    }
    assert!(slugs.iter().all(|s| s
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')));
}

fn city_returns_its_facts_and_projects(app: &TestApp) {
    let (status, city) = app.get_json("/api/v1/cities/apeldoorn");
    assert_eq!(status, 200);
    assert_eq!(city["name"], "Apeldoorn");
    assert_eq!(city["population"], 163853);
    let projects = city["projects"].as_array().expect("projects");
    assert_eq!(Some(projects.len() as i64), city["project_count"].as_i64());
    assert!(projects
        .iter()
        .any(|p| p["source_ref"] == "6.3" && p["title"] == "Talking Traffic"));
    let programmes: Vec<&str> = city["programmes"]
        .as_array()
        .expect("programmes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(programmes.contains(&"Talking Traffic"), "{programmes:?}");
    assert!(city["contacts"].as_array().is_some_and(|c| !c.is_empty()));
}

fn projects_finds_a_project_by_its_report_number(app: &TestApp) {
    let (status, body) = app.get_json("/api/v1/projects?source_ref=6.3");
    assert_eq!(status, 200);
    assert_eq!(body["total"], 1);
    let project = &results(&body)[0];
    assert_eq!(project["title"], "Talking Traffic");
    assert_eq!(
        project["city"],
        serde_json::json!({"slug": "apeldoorn", "name": "Apeldoorn"})
    );
    assert_eq!(project["theme"], "mobility");
}

fn projects_filters_by_city_and_theme(app: &TestApp) {
    let (_, city) = app.get_json("/api/v1/cities/delft");
    let expected = city["themes"]["environment"].as_i64().expect("count");
    let (status, body) = app.get_json("/api/v1/projects?city=delft&theme=environment&per_page=100");
    assert_eq!(status, 200);
    assert_eq!(body["total"].as_i64(), Some(expected));
    assert_eq!(results(&body).len() as i64, expected);
    assert!(results(&body)
        .iter()
        .all(|p| p["city"]["slug"] == "delft" && p["theme"] == "environment"));
}

fn projects_pages_do_not_overlap(app: &TestApp) {
    let ids = |page: u32| -> Vec<i64> {
        let (_, body) = app.get_json(&format!("/api/v1/projects?per_page=50&page={page}"));
        results(&body)
            .iter()
            .filter_map(|p| p["id"].as_i64())
            .collect()
    };
    let (first, second) = (ids(1), ids(2));
    assert_eq!(first.len(), 50);
    assert!(!second.is_empty());
    assert!(first.iter().all(|id| !second.contains(id)));
    let (_, beyond) = app.get_json("/api/v1/projects?page=1000");
    assert_eq!(results(&beyond).len(), 0);
    assert!(beyond["total"].as_i64().unwrap_or(0) > 400);
}

fn project_has_the_contract_fields(app: &TestApp) {
    let (_, list) = app.get_json("/api/v1/projects?source_ref=7.1");
    let id = results(&list)[0]["id"].as_i64().expect("id");
    let (status, project) = app.get_json(&format!("/api/v1/projects/{id}"));
    assert_eq!(status, 200);
    for field in [
        "id",
        "source_ref",
        "title",
        "description",
        "city",
        "theme",
        "stage",
        "url",
    ] {
        assert!(project.get(field).is_some(), "missing {field}: {project}");
    }
    assert_eq!(project["source_ref"], "7.1");
    assert_eq!(project["city"]["slug"], "arnhem");
    assert_eq!(project["url"], format!("/projecten/{id}"));
    let (page_status, _) = app.get(project["url"].as_str().expect("url"));
    assert_eq!(page_status, 200);
}

fn unknown_project_id_is_404(app: &TestApp) {
    for id in [
        "999999999",
        "0",
        "-1",
        "abc",
        "99999999999999999999",
        "1.5",
        "01",
        "+1",
    ] {
        assert_api_error(app, &format!("/api/v1/projects/{id}"), 404, "not_found");
    }
}

fn unknown_city_slug_is_404(app: &TestApp) {
    assert_api_error(app, "/api/v1/cities/nergens", 404, "not_found");
    assert_api_error(app, "/api/v1/cities/%F0%9F%8F%99", 404, "not_found");
}

fn malformed_paging_is_400_naming_the_parameter(app: &TestApp) {
    for (query, parameter) in [
        ("page=abc", "page"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=99999999999999999999", "page"),
        ("per_page=-5", "per_page"),
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("per_page=1e3", "per_page"),
    ] {
        let path = format!("/api/v1/projects?{query}");
        assert_api_error(app, &path, 400, "invalid_parameter");
        let (_, body) = app.get_json(&path);
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap_or("")
                .starts_with(parameter),
            "{body}"
        );
    }
}

fn unknown_filter_values_are_400(app: &TestApp) {
    assert_api_error(app, "/api/v1/projects?theme=nonsense", 400, "invalid_theme");
    assert_api_error(app, "/api/v1/projects?stage=finished", 400, "invalid_stage");
    assert_api_error(app, "/api/v1/projects?city=atlantis", 400, "invalid_city");
    let (_, body) = app.get_json("/api/v1/projects?theme=nonsense");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("governance"),
        "{body}"
    );
}

fn repeated_parameters_are_400(app: &TestApp) {
    assert_api_error(app, "/api/v1/projects?page=1&page=2", 400, "invalid_query");
}

fn unknown_api_path_is_a_json_404(app: &TestApp) {
    assert_api_error(app, "/api/v1/nothing-here", 404, "not_found");
}

fn responses_carry_security_headers(app: &TestApp) {
    for path in ["/", "/api/v1/cities", "/does-not-exist"] {
        let res = app.get_response(path);
        assert_eq!(
            res.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert!(
            res.header("content-security-policy")
                .is_some_and(|v| v.contains("frame-ancestors 'none'")),
            "{path}"
        );
        assert!(res.header("referrer-policy").is_some(), "{path}");
        assert!(res.header("strict-transport-security").is_some(), "{path}");
        assert!(
            res.header("permissions-policy")
                .is_some_and(|v| v.contains("camera=()")),
            "{path}"
        );
        assert_eq!(
            res.header("cross-origin-opener-policy"),
            Some("same-origin")
        );
        assert_eq!(
            res.header("cross-origin-resource-policy"),
            Some("same-origin")
        );
    }
}
