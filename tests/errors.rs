//! Errors that help: every error page says in the page's language what happened and
//! what to do next, with the link to do it, and keeps technical detail for the log; a
//! form whose text is too long keeps the text and names the limit.

use crate::specs;
use crate::support::fixtures::{signed_in, signed_in_as};
use crate::support::TestApp;

specs! {
    shared:
        a_missing_page_offers_search_and_the_lists_in_dutch,
        a_missing_page_offers_search_and_the_lists_in_english,
        a_repeated_query_parameter_is_a_dutch_400_page_without_technical_text,
        a_malformed_query_parameter_is_explained_with_the_page_without_it;
    fresh:
        a_user_without_a_city_is_sent_to_the_membership_form_in_dutch,
        a_user_without_a_city_is_sent_to_the_membership_form_in_english,
        an_overlong_text_of_megabytes_is_kept_and_the_limit_named,
        a_form_above_the_size_limit_is_a_page_naming_the_limit;
}

fn assert_html(res: &crate::support::Response) {
    assert!(
        res.header("content-type")
            .is_some_and(|c| c.starts_with("text/html")),
        "an HTML page"
    );
}

fn a_missing_page_offers_search_and_the_lists_in_dutch(app: &TestApp) {
    let res = app.get_response("/projecten/999999");
    assert_eq!(res.status, 404);
    assert_html(&res);
    assert!(res.body.contains("<html lang=\"nl\">"));
    assert!(res.body.contains("Deze pagina bestaat niet"));
    assert!(res.body.contains("Zoek het op"), "what to do next");
    assert!(res.body.contains("action=\"/zoeken\" role=\"search\""));
    assert!(res
        .body
        .contains("<a href=\"/projecten\">Alle projecten</a>"));
    assert!(res.body.contains("<a href=\"/steden\">Alle steden</a>"));
    assert!(!res.body.contains("not found"), "no English technical text");
}

fn a_missing_page_offers_search_and_the_lists_in_english(app: &TestApp) {
    let res = app.get_response("/bestaat-niet?lang=en");
    assert_eq!(res.status, 404);
    assert!(res.body.contains("<html lang=\"en\">"));
    assert!(res.body.contains("This page does not exist"));
    assert!(res.body.contains("Search for it"));
    assert!(res.body.contains("<a href=\"/projecten\">All projects</a>"));
    assert!(res.body.contains("<a href=\"/steden\">All cities</a>"));
}

fn a_repeated_query_parameter_is_a_dutch_400_page_without_technical_text(app: &TestApp) {
    let res = app.get_response("/zoeken?q=a&q=b");
    assert_eq!(res.status, 400);
    assert_html(&res);
    assert!(res.body.contains("<html lang=\"nl\">"));
    assert!(res.body.contains("Het adres klopt niet"), "{}", res.body);
    assert!(res.body.contains("twee keer"), "says what happened");
    assert!(
        res.body.contains("<a href=\"/zoeken\">"),
        "links to the page without the parameters"
    );
    for technical in ["deserialize", "duplicate"] {
        assert!(
            !res.body.contains(technical),
            "no {technical:?} on the page"
        );
    }
    assert!(
        app.log().contains("duplicate field"),
        "the detail goes to the log"
    );
}

fn a_malformed_query_parameter_is_explained_with_the_page_without_it(app: &TestApp) {
    let res = app.get_response("/projecten?page=abc");
    assert_eq!(res.status, 400);
    assert!(res
        .body
        .contains("Een waarde achter het vraagteken in het adres klopt niet"));
    assert!(res.body.contains("<a href=\"/projecten\">"));
    assert!(
        !res.body.contains("whole number"),
        "no English on a Dutch page"
    );
    let res = app.get_response("/projecten?page=abc&lang=en");
    assert_eq!(res.status, 400);
    assert!(res.body.contains("A value after the question mark"));
}

fn a_user_without_a_city_is_sent_to_the_membership_form_in_dutch(app: &mut TestApp) {
    let user = signed_in(app, "zonderstad@example.nl", false);
    let res = user.get("/projecten/nieuw");
    assert_eq!(res.status, 403);
    assert_html(&res);
    assert!(res.body.contains("<html lang=\"nl\">"));
    assert!(res.body.contains("<h1>Word lid van uw stad</h1>"));
    assert!(res
        .body
        .contains("<a href=\"/account/lidmaatschap\">Vraag het lidmaatschap van uw stad aan</a>"));
    assert!(
        !res.body.contains("join a city"),
        "no English technical text"
    );
    assert!(
        user.get("/account/lidmaatschap").status == 200,
        "the link works"
    );
}

fn a_user_without_a_city_is_sent_to_the_membership_form_in_english(app: &mut TestApp) {
    let user = signed_in(app, "nocity@example.nl", false);
    let res = user.get("/projecten/nieuw?lang=en");
    assert_eq!(res.status, 403);
    assert!(res.body.contains("<html lang=\"en\">"));
    assert!(res.body.contains("<h1>Become a member of your city</h1>"));
    assert!(res
        .body
        .contains("<a href=\"/account/lidmaatschap\">Ask to become a member of your city</a>"));
}

/// Posts a reply of `text` to a new thread of a settled member; the response.
fn reply_with(app: &TestApp, email: &str, text: &str) -> crate::support::Response {
    let writer = signed_in_as(app, email, &["--city", "zwolle"]);
    app.execute_sql(&format!(
        "UPDATE users SET created_at = '2026-01-01 00:00:00' WHERE email = '{email}'"
    ));
    let res = writer.post(
        "/discussies/nieuw?over=city:zwolle",
        &[("title", "Lange tekst"), ("body", "Begin.")],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let thread = res.header("location").expect("location").to_owned();
    writer.post(&format!("{thread}/reageren"), &[("body", text)])
}

fn an_overlong_text_of_megabytes_is_kept_and_the_limit_named(app: &mut TestApp) {
    // Three megabytes: far past the 20,000 characters of a post, within what is read.
    let text = "wegwerkzaamheden ".repeat(180_000) + "EINDE";
    let res = reply_with(app, "lang@zwolle.nl", &text);
    assert_eq!(res.status, 400);
    assert!(res.body.contains("20.000 tekens"), "the limit is named");
    assert!(res.body.contains("EINDE"), "the whole text is kept");
    assert!(res.body.contains("uw tekst is bewaard"));
}

fn a_form_above_the_size_limit_is_a_page_naming_the_limit(app: &mut TestApp) {
    let text = "x".repeat(9 * 1024 * 1024);
    let res = reply_with(app, "te-groot@zwolle.nl", &text);
    assert_eq!(res.status, 413);
    assert_html(&res);
    assert!(res.body.contains("<html lang=\"nl\">"));
    assert!(
        res.body.contains("Formulier te groot"),
        "{}",
        &res.body[..500]
    );
    assert!(res.body.contains("8 MB"), "the limit is named");
    assert!(
        res.body.contains("Open het formulier opnieuw"),
        "what to do next"
    );
}
