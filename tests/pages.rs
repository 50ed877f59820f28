//! The server-rendered pages: what a civil servant sees, in Dutch by default and in
//! English through the language switch, and what bad addresses answer.

use crate::specs;
use crate::support::TestApp;

specs! {
    shared:
        home_shows_the_network_at_a_glance,
        home_offers_a_search_box_with_examples_in_its_language,
        cities_page_links_all_forty_cities,
        city_page_shows_facts_programmes_and_projects_by_theme,
        project_page_shows_the_project_and_its_city,
        theme_page_quotes_the_reports_definition,
        matrix_cells_link_to_lists_of_that_many_projects,
        project_list_filters_by_city_theme_and_stage,
        project_list_pages_keep_their_filters,
        a_page_past_the_end_of_a_list_does_not_exist,
        language_switch_sets_english_and_returns,
        language_switch_never_redirects_off_site,
        language_switch_on_a_page_asked_in_english_returns_without_the_request,
        english_is_also_available_per_request,
        text_in_the_other_language_is_marked_with_its_language,
        unknown_page_is_a_dutch_404_page,
        bad_filter_on_a_page_is_a_400_page_saying_why,
        pages_have_landmarks_a_title_and_one_h1,
        head_is_answered_like_get_without_a_body,
        every_page_names_a_site_icon_that_is_served,
        the_stylesheet_has_a_versioned_address_cached_for_good_with_an_etag,
        the_plain_static_address_still_works_with_a_short_cache,
        pages_and_static_files_come_brotli_or_gzip_compressed_as_the_browser_accepts,
        every_page_describes_itself_in_its_language,
        robots_txt_keeps_crawlers_on_public_pages,
        a_method_an_address_does_not_take_is_a_405_naming_those_it_does;
    plain:
        translation_catalogs_have_the_same_keys,
        templates_use_only_known_translation_keys;
}

const PAGES: [&str; 11] = [
    "/",
    "/steden",
    "/steden/apeldoorn",
    "/projecten",
    "/themas",
    "/themas/mobility",
    "/wie-doet-wat",
    "/oplossingen",
    "/oplossingen/lora",
    "/over",
    "/projecten?city=delft&theme=environment",
];

fn page(app: &TestApp, path: &str) -> String {
    let (status, body) = app.get(path);
    assert_eq!(status, 200, "GET {path}");
    body
}

fn home_shows_the_network_at_a_glance(app: &TestApp) {
    let html = page(app, "/");
    assert!(html.contains("<html lang=\"nl\">"));
    for theme in [
        "Smart Governance",
        "Smart Economy",
        "Smart Mobility",
        "Smart Environment",
        "Smart Citizen",
        "Smart Living",
    ] {
        assert!(html.contains(theme), "no {theme}");
    }
    assert!(html.contains("40 steden"));
    assert!(html.contains("href=\"/wie-doet-wat\""));
}

fn home_offers_a_search_box_with_examples_in_its_language(app: &TestApp) {
    let home = page(app, "/");
    let main = home.split("<main").nth(1).expect("a main element");
    assert!(main.contains("<label for=\"home-q\">Zoek een pilot, oplossing of stad</label>"));
    assert!(main.contains("action=\"/zoeken\""));
    assert!(
        main.contains("<a href=\"/zoeken?q=slimme%20verkeerslichten\">slimme verkeerslichten</a>")
    );
    let english = page(app, "/?lang=en");
    assert!(english.contains(">smart traffic lights</a>"));
}

fn cities_page_links_all_forty_cities(app: &TestApp) {
    let html = page(app, "/steden");
    let links = html.matches("<th scope=\"row\"><a href=\"/steden/").count();
    assert_eq!(links, 40);
    assert!(
        html.contains("163.853"),
        "Dutch number format for Apeldoorn's population"
    );
}

fn city_page_shows_facts_programmes_and_projects_by_theme(app: &TestApp) {
    let html = page(app, "/steden/apeldoorn");
    assert!(html.contains("<h1>Apeldoorn</h1>"));
    assert!(html.contains("Talking Traffic"));
    assert!(html.contains("id=\"theme-mobility\""));
    assert!(html.contains("Gelderland"));
}

fn project_page_shows_the_project_and_its_city(app: &TestApp) {
    let (_, body) = app.get_json("/api/v1/projects?source_ref=6.3");
    let url = body["results"][0]["url"].as_str().expect("url").to_owned();
    let html = page(app, &url);
    assert!(html.contains("<h1 lang=\"nl\">Talking Traffic</h1>"));
    assert!(html.contains("href=\"/steden/apeldoorn\""));
    assert!(html.contains("6.3"));
    assert!(html.contains("iVRI"));
}

fn theme_page_quotes_the_reports_definition(app: &TestApp) {
    let (_, cities) = app.get_json("/api/v1/cities");
    let html = page(app, "/themas/mobility");
    assert!(html.contains("<h1>Smart Mobility</h1>"));
    assert!(html.contains("class=\"definition\""));
    let with_mobility = cities["results"]
        .as_array()
        .expect("cities")
        .iter()
        .filter(|c| c["themes"]["mobility"].as_i64().unwrap_or(0) > 0)
        .count();
    assert_eq!(
        html.matches("<section aria-labelledby=\"c-").count(),
        with_mobility
    );
    assert_eq!(app.get("/themas/onbekend").0, 404);
}

fn matrix_cells_link_to_lists_of_that_many_projects(app: &TestApp) {
    let html = page(app, "/wie-doet-wat");
    let cell = "<a href=\"/projecten?city=apeldoorn&amp;theme=mobility\">";
    let start = html.find(cell).expect("Apeldoorn × mobility cell") + cell.len();
    let count: i64 = html[start..]
        .split('<')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("count");
    let (_, body) = app.get_json("/api/v1/projects?city=apeldoorn&theme=mobility");
    assert_eq!(body["total"].as_i64(), Some(count));
    let list = page(app, "/projecten?city=apeldoorn&theme=mobility");
    assert_eq!(
        list.matches("class=\"card project-card\"").count() as i64,
        count
    );
}

fn project_list_filters_by_city_theme_and_stage(app: &TestApp) {
    let html = page(app, "/projecten?city=apeldoorn&theme=mobility&stage=scaled");
    assert!(html.contains("Talking Traffic"));
    assert!(html.contains("<option value=\"apeldoorn\" selected>"));
    assert!(
        html.contains("href=\"/projecten\""),
        "a way to clear the filters"
    );
}

fn project_list_pages_keep_their_filters(app: &TestApp) {
    let html = page(app, "/projecten?theme=environment");
    assert!(
        html.contains("href=\"/projecten?theme=environment&amp;page=2\""),
        "next link keeps the theme"
    );
    let second = page(app, "/projecten?theme=environment&page=2");
    assert!(second.contains("rel=\"prev\""));
}

fn a_page_past_the_end_of_a_list_does_not_exist(app: &TestApp) {
    let html = page(app, "/projecten?theme=citizen");
    let last = html
        .split("Pagina 1 van ")
        .nth(1)
        .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse::<u32>().ok())
        .expect("page count");
    page(app, &format!("/projecten?theme=citizen&page={last}"));
    let past = format!("/projecten?theme=citizen&page={}", last + 1);
    assert_eq!(app.get(&past).0, 404);
    assert_eq!(app.get("/zoeken?q=parkeren&page=1000000").0, 404);
}

fn language_switch_sets_english_and_returns(app: &TestApp) {
    let res = app.get_response("/taal/en?terug=%2Fsteden%3Fx%3D1");
    assert_eq!(res.status, 303);
    assert_eq!(res.header("location"), Some("/steden?x=1"));
    let cookie = res.header("set-cookie").expect("cookie");
    assert!(cookie.starts_with("lang=en"), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let english = app.get_with("/steden", &[("Cookie", "lang=en")]);
    assert!(english.body.contains("<html lang=\"en\">"));
    assert!(english.body.contains("The 40 G40 cities"));
    assert!(english.body.contains("163,853"), "English number format");
}

fn language_switch_never_redirects_off_site(app: &TestApp) {
    for target in [
        "https%3A%2F%2Fevil.example",
        "%2F%2Fevil.example",
        "%2F%5Cevil.example",
        "javascript:alert(1)",
    ] {
        let res = app.get_response(&format!("/taal/en?terug={target}"));
        assert_eq!(res.status, 303);
        assert_eq!(res.header("location"), Some("/"), "{target}");
    }
    assert_eq!(app.get("/taal/fr").0, 404);
}

fn language_switch_on_a_page_asked_in_english_returns_without_the_request(app: &TestApp) {
    let html = page(app, "/projecten?lang=en&theme=mobility");
    assert!(
        html.contains("href=\"/taal/nl?terug=%2Fprojecten%3Ftheme%3Dmobility\""),
        "the way back drops lang=en, which would override the choice of Dutch"
    );
}

/// WCAG 3.1.2: the report's Dutch text on an English page says it is Dutch.
fn text_in_the_other_language_is_marked_with_its_language(app: &TestApp) {
    let theme = page(app, "/themas/mobility?lang=en");
    assert!(theme.contains("<p lang=\"nl\">"), "the report's definition");
    let (_, body) = app.get_json("/api/v1/projects?source_ref=6.3");
    let url = body["results"][0]["url"].as_str().expect("url").to_owned();
    let project = page(app, &format!("{url}?lang=en"));
    assert!(project.contains("<h1 lang=\"nl\">Talking Traffic</h1>"));
    assert!(project.contains("<p class=\"prose\" lang=\"nl\">"));
    assert!(
        project.contains("Project description in Dutch"),
        "introduced once"
    );
    let about = page(app, "/over?lang=en");
    assert!(
        about.contains("<dd lang=\"nl\">"),
        "the report's Dutch title"
    );
}

fn english_is_also_available_per_request(app: &TestApp) {
    let html = page(app, "/wie-doet-wat?lang=en");
    assert!(html.contains("Who does what"));
}

fn unknown_page_is_a_dutch_404_page(app: &TestApp) {
    let res = app.get_response("/bestaat-niet");
    assert_eq!(res.status, 404);
    assert!(res
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/html")));
    assert!(res.body.contains("Deze pagina bestaat niet"));
    assert!(res.body.contains("<html lang=\"nl\">"));
    let (status, html) = app.get("/steden/atlantis");
    assert_eq!(status, 404);
    assert!(html.contains("atlantis"));
}

fn bad_filter_on_a_page_is_a_400_page_saying_why(app: &TestApp) {
    let res = app.get_response("/projecten?page=abc");
    assert_eq!(res.status, 400);
    assert!(res
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/html")));
    assert!(
        res.body.contains("Open de pagina zonder die toevoegingen"),
        "explained in Dutch"
    );
    assert!(
        !res.body.contains("page must be a whole number"),
        "the technical message goes to the log, not the page"
    );
    assert_eq!(app.get("/projecten?theme=%3Cscript%3E").0, 400);
    assert!(
        !app.get("/projecten?theme=%3Cscript%3E")
            .1
            .contains("<script>"),
        "escaped"
    );
}

fn every_page_names_a_site_icon_that_is_served(app: &TestApp) {
    let icon_of = |html: &str| {
        let (_, rest) = html.split_once("<link rel=\"icon\" href=\"")?;
        let (href, rest) = rest.split_once('"')?;
        rest.starts_with(" type=\"image/svg+xml\">")
            .then(|| href.to_owned())
    };
    let icon = icon_of(&page(app, "/")).expect("an icon");
    assert!(
        icon.starts_with("/static/favicon.") && icon.ends_with(".svg"),
        "{icon}"
    );
    for path in PAGES {
        assert_eq!(
            icon_of(&page(app, path)).as_deref(),
            Some(icon.as_str()),
            "{path}"
        );
    }
    let res = app.get_response(&icon);
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("image/svg+xml"));
}

/// The text between `start` and the next `end` in `html`.
fn between<'a>(html: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = html.find(start)? + start.len();
    let len = html[from..].find(end)?;
    Some(&html[from..from + len])
}

fn the_stylesheet_has_a_versioned_address_cached_for_good_with_an_etag(app: &TestApp) {
    let (_, home) = app.get("/");
    let href = between(&home, "<link rel=\"stylesheet\" href=\"", "\"").expect("a stylesheet");
    let name = href.strip_prefix("/static/stadsmaat.").expect(href);
    let hash = name.strip_suffix(".css").expect(href);
    assert!(
        hash.len() >= 8 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
        "{href}"
    );
    let res = app.get_response(href);
    assert_eq!(res.status, 200);
    assert!(res
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/css")));
    assert_eq!(
        res.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let etag = res.header("etag").expect("an ETag").to_owned();
    let again = app.get_with(href, &[("If-None-Match", &etag)]);
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));
}

fn the_plain_static_address_still_works_with_a_short_cache(app: &TestApp) {
    let res = app.get_response("/static/stadsmaat.css");
    assert_eq!(res.status, 200);
    let cache = res.header("cache-control").expect("cache-control");
    assert!(!cache.contains("immutable"), "{cache}");
    assert!(res.header("etag").is_some());
    let outdated = app.get_response("/static/stadsmaat.0123456789abcdef.css");
    assert_eq!(
        outdated.status, 200,
        "a page from before a release keeps its style"
    );
    assert!(!outdated
        .header("cache-control")
        .is_some_and(|c| c.contains("immutable")));
    assert_eq!(app.get("/static/bestaat-niet.css").0, 404);
}

fn every_page_describes_itself_in_its_language(app: &TestApp) {
    for path in PAGES {
        let html = page(app, path);
        assert!(
            html.contains("<meta name=\"description\" content=\"") && html.contains("op Stadsmaat"),
            "{path}"
        );
    }
    assert!(page(app, "/oplossingen?lang=en").contains("Solutions on Stadsmaat: the 40 G40 cities"));
}

fn robots_txt_keeps_crawlers_on_public_pages(app: &TestApp) {
    let res = app.get_response("/robots.txt");
    assert_eq!(res.status, 200);
    assert!(res
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/plain")));
    assert!(res.body.contains("User-agent: *") && res.body.contains("Disallow: /account"));
    assert!(res.body.contains("Allow: /"));
}

fn head_is_answered_like_get_without_a_body(app: &TestApp) {
    for path in ["/", "/steden/apeldoorn", "/api/v1/health", "/api/v1/cities"] {
        let res = app.request_with_method("HEAD", path);
        assert_eq!(res.status, 200, "HEAD {path}");
        assert!(res.body.is_empty(), "HEAD {path}: no body");
        assert_eq!(
            res.header("content-type"),
            app.get_response(path).header("content-type"),
            "HEAD {path}: the type GET would send"
        );
    }
    assert_eq!(app.request_with_method("HEAD", "/bestaat-niet").status, 404);
}

fn a_method_an_address_does_not_take_is_a_405_naming_those_it_does(app: &TestApp) {
    let res = app.request_with_method("DELETE", "/api/v1/projects/1");
    assert_eq!(res.status, 405);
    assert_eq!(res.header("allow"), Some("GET, HEAD"));
    let json: serde_json::Value = serde_json::from_str(&res.body).expect("a JSON error");
    assert_eq!(json["error"]["code"], "method_not_allowed");
    let res = app.request_with_method("DELETE", "/steden");
    assert_eq!(res.status, 405);
    assert!(res.header("allow").is_some());
    assert!(
        res.body.contains("<h1>Niet op deze manier</h1>"),
        "a Dutch page"
    );
}

fn pages_have_landmarks_a_title_and_one_h1(app: &TestApp) {
    for path in PAGES {
        let html = page(app, path);
        assert_eq!(html.matches("<h1").count(), 1, "{path}: one h1");
        assert!(html.contains("<main id=\"main\""), "{path}: main landmark");
        assert!(html.contains("href=\"#main\""), "{path}: skip link");
        assert!(
            html.contains("<title>") && html.contains(" · Stadsmaat</title>"),
            "{path}: title"
        );
        assert!(
            !html.contains("style=\""),
            "{path}: inline styles are blocked by the CSP"
        );
    }
}

pub fn catalog(lang: &str) -> std::collections::BTreeMap<String, String> {
    let path = format!("{}/locales/{lang}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("catalog")).expect("valid JSON")
}

fn translation_catalogs_have_the_same_keys() {
    let nl: Vec<String> = catalog("nl").into_keys().collect();
    let en: Vec<String> = catalog("en").into_keys().collect();
    assert_eq!(nl, en);
}

fn templates_use_only_known_translation_keys() {
    let nl = catalog("nl");
    let mut dirs = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/templates"
    ))];
    let mut checked = 0;
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).expect("templates").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("template");
            for part in text.split("{{t \"").skip(1) {
                let (key, rest) = part.split_once('"').unwrap_or((part, ""));
                let args = rest.split("}}").next().unwrap_or("");
                // `{{t "theme" slug}}` joins a prefix with a value: the prefix must exist.
                let composed = args
                    .split_whitespace()
                    .next()
                    .is_some_and(|w| !w.contains('='));
                let known = if composed {
                    nl.keys().any(|k| k.starts_with(&format!("{key}.")))
                } else {
                    nl.contains_key(key)
                };
                assert!(known, "{}: unknown key {key:?}", path.display());
                checked += 1;
            }
        }
    }
    assert!(checked > 50, "only {checked} keys found");
}

/// Browsers that accept brotli get it (smaller than gzip for text), others gzip, and
/// clients that ask for neither the plain bytes; each decodes to the same page.
fn pages_and_static_files_come_brotli_or_gzip_compressed_as_the_browser_accepts(app: &TestApp) {
    use std::io::Read;
    for path in ["/steden", "/static/stadsmaat.css"] {
        let (status, plain_encoding, plain) = app.get_raw(path, &[]);
        assert_eq!(status, 200);
        assert_eq!(plain_encoding, None, "{path}");
        let (_, encoding, brotli) = app.get_raw(path, &[("Accept-Encoding", "gzip, deflate, br")]);
        assert_eq!(encoding.as_deref(), Some("br"), "{path}");
        let mut decoded = Vec::new();
        brotli_decompressor::Decompressor::new(brotli.as_slice(), 4096)
            .read_to_end(&mut decoded)
            .expect("brotli");
        assert_eq!(decoded, plain, "{path}");
        assert!(
            brotli.len() < plain.len() / 2,
            "{path}: {} of {}",
            brotli.len(),
            plain.len()
        );
        let (_, encoding, _) = app.get_raw(path, &[("Accept-Encoding", "gzip")]);
        assert_eq!(encoding.as_deref(), Some("gzip"), "{path}");
    }
}
