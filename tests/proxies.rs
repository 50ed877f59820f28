//! Behind a reverse proxy: the forwarding headers (X-Forwarded-For, -Proto, -Host,
//! Forwarded) name the client, its scheme and host only when the connection comes from
//! a trusted proxy (`--trusted-proxy`). The suite connects from 127.0.0.1, so that
//! address is the proxy exactly when the app is started with `127.0.0.1/32` trusted.

use crate::specs;
use crate::support::session::{Session, PASSWORD};
use crate::support::{Response, TestApp};

specs![
    fresh:
        x_forwarded_for_from_an_untrusted_peer_is_ignored,
        x_forwarded_for_from_a_trusted_proxy_names_the_client,
        forwarded_host_and_scheme_from_an_untrusted_peer_do_not_pass_the_origin_check,
        forwarded_host_and_scheme_from_a_trusted_proxy_are_the_origin_checked,
        cookies_are_secure_when_a_trusted_proxy_says_https,
        cookies_are_not_made_secure_by_an_untrusted_peer_saying_https,
];

const EMAIL: &str = "achter@example.nl";
const SITE: &str = "https://stadsmaat.example";
const FORWARDED_HTTPS: [(&str, &str); 3] = [
    ("Origin", SITE),
    ("X-Forwarded-Proto", "https"),
    ("X-Forwarded-Host", "stadsmaat.example"),
];

/// The app started again, with 127.0.0.1 — where the suite connects from — as its
/// trusted reverse proxy.
fn behind_proxy(app: &mut TestApp) -> TestApp {
    let backend = app.backend;
    app.stop();
    TestApp::start_with(backend, &[("STADSMAAT_TRUSTED_PROXY", "127.0.0.1/32")])
}

/// Signs in as [`EMAIL`] with extra request headers, as a proxy would add them.
fn login_with(browser: &Session, headers: &[(&str, &str)]) -> Response {
    let csrf = browser.csrf();
    browser.post_raw(
        "/inloggen",
        &[("csrf", &csrf), ("email", EMAIL), ("password", PASSWORD)],
        headers,
    )
}

/// The addresses the profile lists for the account's sessions.
fn session_addresses(browser: &Session) -> String {
    let profile = browser.get("/account");
    assert_eq!(profile.status, 200, "{}", profile.body);
    profile.body
}

fn session_cookie(res: &Response) -> String {
    res.headers
        .iter()
        .find(|(k, v)| k.eq_ignore_ascii_case("set-cookie") && v.starts_with("stadsmaat_session="))
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("no session cookie: {} {}", res.status, res.body))
}

fn x_forwarded_for_from_an_untrusted_peer_is_ignored(app: &mut TestApp) {
    app.create_user(EMAIL, false);
    let browser = Session::new(app);
    let res = login_with(&browser, &[("X-Forwarded-For", "203.0.113.7")]);
    assert_eq!(res.status, 303, "{}", res.body);
    let profile = session_addresses(&browser);
    assert!(profile.contains("<td>127.0.0.1</td>"), "{profile}");
    assert!(!profile.contains("203.0.113.7"), "{profile}");
}

fn x_forwarded_for_from_a_trusted_proxy_names_the_client(app: &mut TestApp) {
    let app = behind_proxy(app);
    app.create_user(EMAIL, false);
    let browser = Session::new(&app);
    // The client claimed 198.51.100.1 itself; the proxy appended what it saw.
    let res = login_with(
        &browser,
        &[("X-Forwarded-For", "198.51.100.1, 203.0.113.7")],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let profile = session_addresses(&browser);
    assert!(profile.contains("<td>203.0.113.7</td>"), "{profile}");
    assert!(!profile.contains("198.51.100.1"), "{profile}");
}

fn forwarded_host_and_scheme_from_an_untrusted_peer_do_not_pass_the_origin_check(
    app: &mut TestApp,
) {
    app.create_user(EMAIL, false);
    let browser = Session::new(app);
    let res = login_with(&browser, &FORWARDED_HTTPS);
    assert_eq!(res.status, 403, "{}", res.body);
    assert!(!browser.is_signed_in());
}

fn forwarded_host_and_scheme_from_a_trusted_proxy_are_the_origin_checked(app: &mut TestApp) {
    let app = behind_proxy(app);
    app.create_user(EMAIL, false);
    let browser = Session::new(&app);
    // The proxy says the browser asked for https://stadsmaat.example: a post whose
    // Origin is the address the proxy itself used is not from that site.
    let from_inside = login_with(
        &browser,
        &[
            ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-Host", "stadsmaat.example"),
        ],
    );
    assert_eq!(from_inside.status, 403, "{}", from_inside.body);
    let res = login_with(&browser, &FORWARDED_HTTPS);
    assert_eq!(res.status, 303, "{}", res.body);
}

fn cookies_are_secure_when_a_trusted_proxy_says_https(app: &mut TestApp) {
    let app = behind_proxy(app);
    app.create_user(EMAIL, false);
    let res = login_with(&Session::new(&app), &FORWARDED_HTTPS);
    assert!(session_cookie(&res).contains("Secure"), "{:?}", res.headers);
}

fn cookies_are_not_made_secure_by_an_untrusted_peer_saying_https(app: &mut TestApp) {
    app.create_user(EMAIL, false);
    let res = login_with(&Session::new(app), &[("X-Forwarded-Proto", "https")]);
    assert!(
        !session_cookie(&res).contains("Secure"),
        "{:?}",
        res.headers
    );
}
