//! The shipped inventory (`data/g40-2020.json`) checked against the report's own numbers:
//! the table "Smart City projecten naar 6 Smart City thema's" (transcribed below from the
//! report, not from the extraction) and the totals of its theme index. Where the report
//! contradicts itself, `data/README.md` records the choice; the one exception here is
//! Groningen, which lists 19 projects (and states 19) while its table row sums to 14.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use crate::specs;

specs! {
    plain:
        inventory_has_the_forty_g40_cities_with_report_facts,
        every_city_lists_as_many_projects_as_the_report_table_says,
        every_city_has_the_theme_counts_of_the_report_table,
        theme_totals_match_the_report_index,
        stated_project_counts_match_the_listed_projects,
        source_refs_are_unique_and_numbered_after_their_city,
        every_project_has_a_known_theme_stage_and_description,
        name_only_projects_say_where_their_description_comes_from,
        city_slugs_follow_the_design_rule;
}

/// The report's table, row by row: governance, economy, mobility, environment, citizen,
/// living ("Laatste update: 25-9-20").
const REPORT_TABLE: [(&str, [i64; 6]); 40] = [
    ("alkmaar", [2, 1, 1, 3, 0, 1]),
    ("almelo", [4, 0, 5, 4, 1, 0]),
    ("almere", [5, 2, 1, 2, 1, 1]),
    ("alphen-aan-den-rijn", [1, 0, 1, 0, 1, 0]),
    ("amersfoort", [4, 1, 0, 3, 0, 1]),
    ("apeldoorn", [4, 1, 5, 2, 2, 0]),
    ("arnhem", [1, 4, 2, 4, 1, 1]),
    ("assen", [6, 1, 1, 1, 0, 0]),
    ("breda", [4, 1, 4, 4, 5, 8]),
    ("delft", [4, 5, 4, 13, 1, 3]),
    ("deventer", [2, 0, 4, 4, 0, 1]),
    ("dordrecht", [9, 4, 2, 13, 3, 7]),
    ("ede", [2, 0, 0, 5, 0, 0]),
    ("eindhoven", [5, 0, 1, 5, 0, 1]),
    ("emmen", [2, 4, 0, 1, 2, 0]),
    ("enschede", [1, 0, 3, 3, 2, 2]),
    ("gouda", [1, 0, 1, 1, 1, 0]),
    ("groningen", [3, 0, 2, 7, 1, 1]),
    ("haarlem", [1, 4, 2, 2, 0, 1]),
    ("haarlemmermeer", [0, 0, 2, 0, 0, 0]),
    ("heerlen", [1, 1, 0, 0, 0, 0]),
    ("helmond", [3, 0, 1, 0, 0, 8]),
    ("hengelo", [1, 0, 0, 1, 0, 0]),
    ("hilversum", [3, 0, 1, 2, 3, 1]),
    ("hoorn", [4, 1, 0, 1, 0, 0]),
    ("leeuwarden", [1, 8, 4, 8, 5, 5]),
    ("leiden", [3, 1, 0, 2, 0, 0]),
    ("lelystad", [1, 0, 1, 2, 0, 0]),
    ("maastricht", [0, 0, 1, 0, 0, 2]),
    ("nijmegen", [2, 1, 2, 4, 1, 1]),
    ("oss", [1, 1, 0, 0, 0, 0]),
    ("roosendaal", [1, 3, 0, 1, 0, 0]),
    ("schiedam", [4, 0, 1, 3, 1, 0]),
    ("s-hertogenbosch", [5, 6, 3, 1, 2, 1]),
    ("sittard-geleen", [0, 0, 0, 1, 1, 0]),
    ("tilburg", [2, 0, 4, 0, 0, 2]),
    ("venlo", [0, 0, 1, 2, 0, 0]),
    ("zaanstad", [3, 1, 1, 4, 0, 0]),
    ("zoetermeer", [1, 0, 2, 0, 1, 0]),
    ("zwolle", [11, 1, 2, 4, 6, 2]),
];

/// The table's bottom row, which the theme index agrees with.
const REPORT_THEME_TOTALS: [i64; 6] = [108, 52, 65, 113, 41, 50];
const THEMES: [&str; 6] = [
    "governance",
    "economy",
    "mobility",
    "environment",
    "citizen",
    "living",
];
/// Groningen's five projects beyond its table row (see data/README.md, "Discrepancies").
const GRONINGEN_BEYOND_TABLE: [&str; 5] = ["18.15", "18.16", "18.17", "18.18", "18.19"];

fn inventory() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/g40-2020.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("read inventory")).expect("JSON")
}

fn projects(inv: &Value) -> &Vec<Value> {
    inv["projects"].as_array().expect("projects")
}

fn counts_per_city(inv: &Value, skip: &[&str]) -> BTreeMap<String, [i64; 6]> {
    let mut counts: BTreeMap<String, [i64; 6]> = BTreeMap::new();
    for p in projects(inv) {
        if skip.contains(&p["source_ref"].as_str().unwrap_or("")) {
            continue;
        }
        let theme = THEMES
            .iter()
            .position(|t| p["theme"] == *t)
            .expect("known theme");
        counts
            .entry(p["city"].as_str().expect("city").to_owned())
            .or_default()[theme] += 1;
    }
    counts
}

fn inventory_has_the_forty_g40_cities_with_report_facts() {
    let inv = inventory();
    let cities = inv["cities"].as_array().expect("cities");
    assert_eq!(cities.len(), 40);
    for city in cities {
        let slug = city["slug"].as_str().expect("slug");
        assert!(
            REPORT_TABLE.iter().any(|(s, _)| *s == slug),
            "{slug} is not a G40 city"
        );
        assert!(
            city["population"].as_i64().is_some_and(|n| n > 50_000),
            "{slug}"
        );
        assert!(
            city["area_km2"].as_f64().is_some_and(|a| a > 10.0),
            "{slug}"
        );
        let (lat, lon) = (
            city["latitude"].as_f64().unwrap_or(0.0),
            city["longitude"].as_f64().unwrap_or(0.0),
        );
        assert!(
            (50.7..53.6).contains(&lat) && (3.3..7.3).contains(&lon),
            "{slug} lies outside the Netherlands"
        );
        assert!(
            city["contacts"].as_array().is_some_and(|c| !c.is_empty()),
            "{slug} has no contacts"
        );
    }
    let apeldoorn = cities
        .iter()
        .find(|c| c["slug"] == "apeldoorn")
        .expect("apeldoorn");
    assert_eq!(apeldoorn["population"], 163853);
    assert_eq!(apeldoorn["area_km2"], 341.15);
}

fn every_city_lists_as_many_projects_as_the_report_table_says() {
    let inv = inventory();
    let counts = counts_per_city(&inv, &GRONINGEN_BEYOND_TABLE);
    for (slug, row) in REPORT_TABLE {
        let listed: i64 = counts.get(slug).map(|c| c.iter().sum()).unwrap_or(0);
        assert_eq!(listed, row.iter().sum::<i64>(), "{slug}");
    }
    assert_eq!(projects(&inv).len(), 429 + GRONINGEN_BEYOND_TABLE.len());
}

fn every_city_has_the_theme_counts_of_the_report_table() {
    let counts = counts_per_city(&inventory(), &GRONINGEN_BEYOND_TABLE);
    for (slug, row) in REPORT_TABLE {
        assert_eq!(
            counts.get(slug).copied().unwrap_or_default(),
            row,
            "{slug}: {THEMES:?}"
        );
    }
}

fn theme_totals_match_the_report_index() {
    let counts = counts_per_city(&inventory(), &GRONINGEN_BEYOND_TABLE);
    let mut totals = [0i64; 6];
    for row in counts.values() {
        for (t, n) in totals.iter_mut().zip(row) {
            *t += n;
        }
    }
    assert_eq!(totals, REPORT_THEME_TOTALS);
    let table: [i64; 6] = std::array::from_fn(|i| REPORT_TABLE.iter().map(|(_, r)| r[i]).sum());
    assert_eq!(table, REPORT_THEME_TOTALS, "transcription check");
}

fn stated_project_counts_match_the_listed_projects() {
    let inv = inventory();
    let counts = counts_per_city(&inv, &[]);
    for city in inv["cities"].as_array().expect("cities") {
        let slug = city["slug"].as_str().expect("slug");
        let listed: i64 = counts.get(slug).map(|c| c.iter().sum()).unwrap_or(0);
        assert_eq!(
            city["stated_project_count"].as_i64(),
            Some(listed),
            "{slug}"
        );
    }
}

fn source_refs_are_unique_and_numbered_after_their_city() {
    let inv = inventory();
    let numbers: BTreeMap<&str, i64> = inv["cities"]
        .as_array()
        .expect("cities")
        .iter()
        .map(|c| {
            (
                c["slug"].as_str().unwrap_or(""),
                c["report_number"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    let mut seen = HashSet::new();
    for p in projects(&inv) {
        let source_ref = p["source_ref"].as_str().expect("source_ref");
        assert!(seen.insert(source_ref), "{source_ref} appears twice");
        let (city_number, _) = source_ref.split_once('.').expect("N.k");
        let city = p["city"].as_str().expect("city");
        assert_eq!(
            city_number.parse::<i64>().ok(),
            numbers.get(city).copied(),
            "{source_ref} in {city}"
        );
    }
}

fn every_project_has_a_known_theme_stage_and_description() {
    for p in projects(&inventory()) {
        let r = &p["source_ref"];
        assert!(THEMES.iter().any(|t| p["theme"] == *t), "{r}");
        assert!(
            ["idea", "pilot", "running", "scaled", "stopped"]
                .iter()
                .any(|s| p["stage"] == *s),
            "{r}"
        );
        let title = p["title"].as_str().unwrap_or("");
        let description = p["description"].as_str().unwrap_or("");
        assert!(!title.trim().is_empty() && description.len() > 20, "{r}");
        for noise in [
            "Inwonertal",
            "Oppervlakte:",
            "ThemaNaam",
            "(vervolg)",
            "Overzicht smart City",
        ] {
            assert!(
                !description.contains(noise),
                "{r} keeps extraction noise {noise:?}"
            );
        }
    }
}

fn name_only_projects_say_where_their_description_comes_from() {
    let inv = inventory();
    let name_only: Vec<&Value> = projects(&inv)
        .iter()
        .filter(|p| p["description_origin"] == "name_only")
        .collect();
    for r in ["10.10", "10.30", "12.12", "12.38", "40.9", "40.16"] {
        assert!(
            name_only.iter().any(|p| p["source_ref"] == r),
            "{r} should be name-only"
        );
    }
    for p in name_only {
        assert!(
            p["description"].as_str().unwrap_or("").contains("rapport"),
            "{}",
            p["source_ref"]
        );
    }
}

fn city_slugs_follow_the_design_rule() {
    for city in inventory()["cities"].as_array().expect("cities") {
        assert_eq!(
            city["slug"].as_str(),
            Some(stadsmaat::text::slugify(city["name"].as_str().unwrap_or("")).as_str())
        );
    }
}
