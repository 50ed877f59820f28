//! Accounts, city membership and roles, and cities editing their own projects — and the
//! attacks on them: forged forms, session fixation, brute force, privilege escalation,
//! ids changed in forms or addresses, stale reset links, user enumeration.

use serde_json::Value;

use crate::specs;
use crate::support::fixtures::{
    create_project, edit_fields, post_fields, project, project_by_ref, signed_in, version_in, with,
};
use crate::support::session::{Session, PASSWORD};
use crate::support::smtp::SmtpSink;
use crate::support::{eventually, Backend, TestApp};

specs![
    fresh:
        racing_demotions_never_leave_the_platform_without_an_administrator,
        registration_mails_a_link_that_verifies_the_address_once,
        registering_an_unverified_address_again_takes_nothing_from_its_owner,
        an_unverified_account_cannot_log_in_and_gets_a_new_link,
        registration_refuses_weak_passwords_with_a_message,
        registering_a_taken_address_looks_like_any_registration,
        a_verified_address_on_a_mapped_domain_joins_its_city,
        login_sets_a_hardened_cookie_and_ignores_a_planted_session,
        wrong_password_and_unknown_address_get_the_same_answer,
        repeated_failed_logins_are_throttled_with_429,
        a_browser_that_signed_in_before_keeps_its_own_allowance_when_strangers_lock_the_account,
        a_trusted_browser_is_locked_after_its_own_five_failures_and_strangers_are_not,
        the_locked_out_owner_resets_by_mail_and_that_browser_signs_in,
        failures_for_other_accounts_from_one_address_do_not_block_an_account_from_it,
        a_device_cookie_planted_before_sign_in_stays_useless_to_its_planter,
        logout_ends_the_session_on_the_server,
        log_out_everywhere_ends_every_session,
        nobody_ends_another_users_session,
        a_form_without_the_visitors_csrf_token_is_refused,
        a_form_posted_from_another_site_is_refused,
        a_planted_csrf_cookie_with_its_field_is_refused_for_a_signed_in_user,
        a_reset_link_works_once_and_signs_out_everywhere,
        a_superseded_reset_link_is_refused,
        two_requests_racing_with_one_reset_link_cannot_both_win,
        reset_requests_answer_the_same_for_unknown_addresses,
        changing_the_password_needs_the_current_one_and_ends_other_sessions,
        a_new_address_counts_only_after_it_is_confirmed,
        a_membership_request_approved_by_the_city_editor_makes_a_member,
        an_editor_cannot_decide_another_citys_requests,
        nobody_grants_himself_a_role,
        a_member_adds_a_project_that_search_and_matchmaking_show_at_once,
        an_editor_edits_an_imported_project_and_the_history_records_it,
        an_import_keeps_what_the_city_edited,
        a_member_cannot_edit_another_citys_project,
        a_city_in_the_form_does_not_move_a_new_project,
        a_member_edits_only_projects_they_created,
        an_edit_on_a_stale_form_is_refused_with_409_and_comes_back_filled_in,
        an_edit_without_its_version_or_not_urlencoded_is_a_400,
        garbled_or_disguised_text_in_a_form_is_refused_and_nothing_is_saved,
        invalid_project_input_is_shown_again_and_nothing_is_saved,
        the_data_export_holds_the_account_and_its_edits,
        the_data_export_holds_what_one_wrote_followed_and_chose,
        deleting_an_account_keeps_its_edits_anonymised,
        role_changes_and_domain_mappings_are_in_the_audit_log,
        the_last_administrator_cannot_delete_their_account,
        administrators_read_the_outbox_without_tokens,
        mail_goes_over_smtp_when_smtp_url_is_set;
    shared:
        strangers_are_sent_to_login_or_refused_on_every_mutating_route,
        members_cannot_reach_administration,
];

const ADMIN: &str = "beheer@stadsmaat.test";

fn map_domain(admin: &Session, domain: &str, city_slug: &str) {
    let res = admin.post(
        "/beheer/domeinen",
        &[("domain", domain), ("city", city_slug)],
    );
    assert_eq!(res.status, 303, "{}", res.body);
}

/// A member of `city_slug`: its domain mapped, the account made on the command line.
fn member<'a>(app: &'a TestApp, admin: &Session, email: &str, city_slug: &str) -> Session<'a> {
    let domain = email.split('@').nth(1).expect("domain");
    map_domain(admin, domain, city_slug);
    signed_in(app, email, false)
}

/// The user's id and the city's id, as the admin's user page offers them.
fn ids_on_user_page(admin: &Session, email: &str, city_name: &str) -> (String, String) {
    let page = admin.get(&format!("/beheer/gebruikers?q={email}")).body;
    let user = id_after(&page, "action=\"/beheer/gebruikers/");
    let city = page
        .split("<option value=\"")
        .find_map(|s| {
            let (value, rest) = s.split_once('"')?;
            rest.contains(&format!(">{city_name}</option>"))
                .then(|| value.to_owned())
        })
        .expect("the city among the options");
    (user, city)
}

fn make_editor(admin: &Session, email: &str, city_name: &str) {
    let (user, city) = ids_on_user_page(admin, email, city_name);
    let res = admin.post(
        &format!("/beheer/gebruikers/{user}"),
        &[
            ("city", &city),
            ("city_role", "editor"),
            ("site_role", "none"),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
}

/// The id in the first address on `page` that starts with `prefix`.
fn id_after(page: &str, prefix: &str) -> String {
    page.split(prefix)
        .nth(1)
        .and_then(|s| s.split(['/', '"']).next())
        .unwrap_or_else(|| panic!("no {prefix} on the page"))
        .to_owned()
}

fn register(
    session: &Session,
    name: &str,
    email: &str,
    password: &str,
) -> crate::support::Response {
    session.post(
        "/registreren",
        &[
            ("name", name),
            ("email", email),
            ("password", password),
            ("password_again", password),
        ],
    )
}

fn search_titles(app: &TestApp, q: &str) -> Vec<String> {
    let (status, body) = app.get_json(&format!("/api/v1/search?q={q}&type=project&limit=20"));
    assert_eq!(status, 200, "{body}");
    body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["title"].as_str().unwrap_or("").to_owned())
        .collect()
}

// ---- registration -------------------------------------------------------------

fn registration_mails_a_link_that_verifies_the_address_once(app: &mut TestApp) {
    let browser = Session::new(app);
    let res = register(&browser, "Jan Jansen", "Jan@Example.nl", PASSWORD);
    assert_eq!(res.status, 200, "{}", res.body);
    let mail = app.wait_for_mail("jan@example.nl", 1);
    let link = mail.link(&app.base_url);
    assert!(link.starts_with("/account/bevestigen/"), "{link}");
    assert_eq!(
        browser.get(&link).status,
        200,
        "the link asks for the password"
    );
    assert!(!browser.is_signed_in());
    let wrong = browser.post(&link, &[("password", "een ander wachtwoord")]);
    assert_eq!(wrong.status, 401);
    let res = browser.post(&link, &[("password", PASSWORD)]);
    assert_eq!(res.status, 303, "{}", res.body);
    assert!(browser.is_signed_in(), "confirming signs in");
    assert_eq!(browser.get(&link).status, 400, "a link works once");
    Session::new(app).login("jan@example.nl");
}

fn registering_an_unverified_address_again_takes_nothing_from_its_owner(app: &mut TestApp) {
    let owner = Session::new(app);
    register(&owner, "Eigenaar", "eigen@example.nl", PASSWORD);
    let attacker = Session::new(app);
    let attackers_password = "het wachtwoord van de aanvaller";
    register(
        &attacker,
        "Aanvaller",
        "eigen@example.nl",
        attackers_password,
    );
    let owners_link = app.wait_for_mail("eigen@example.nl", 1).link(&app.base_url);
    let attackers_link = app.wait_for_mail("eigen@example.nl", 2).link(&app.base_url);
    // The owner, clicking the newest mail with their own password, is refused...
    assert_eq!(
        owner
            .post(&attackers_link, &[("password", PASSWORD)])
            .status,
        401
    );
    // ...and their own link confirms the account with their own password and name.
    assert_eq!(
        owner.post(&owners_link, &[("password", PASSWORD)]).status,
        303
    );
    assert!(owner.get("/account").body.contains("Eigenaar"));
    let res = attacker.post(
        "/inloggen",
        &[
            ("email", "eigen@example.nl"),
            ("password", attackers_password),
        ],
    );
    assert_eq!(res.status, 401);
    assert_eq!(
        attacker
            .post(&attackers_link, &[("password", attackers_password)])
            .status,
        400,
        "links die with verification"
    );
}

fn an_unverified_account_cannot_log_in_and_gets_a_new_link(app: &mut TestApp) {
    let browser = Session::new(app);
    register(&browser, "Piet", "piet@example.nl", PASSWORD);
    app.wait_for_mail("piet@example.nl", 1);
    let res = browser.post(
        "/inloggen",
        &[("email", "piet@example.nl"), ("password", PASSWORD)],
    );
    assert_eq!(res.status, 403);
    assert!(res.body.contains("Bevestig eerst"), "{}", res.body);
    let second = app.wait_for_mail("piet@example.nl", 2);
    assert!(!browser.is_signed_in());
    // Only the newest link works.
    let first = app.mails_to("piet@example.nl")[0].link(&app.base_url);
    assert_eq!(browser.get(&first).status, 400);
    let res = browser.post(&second.link(&app.base_url), &[("password", PASSWORD)]);
    assert_eq!(res.status, 303);
    assert!(browser.is_signed_in());
}

fn registration_refuses_weak_passwords_with_a_message(app: &mut TestApp) {
    let browser = Session::new(app);
    for (password, message) in [
        ("kort", "minstens 12 tekens"),
        ("Wachtwoord2024!", "te gewoon"),
        ("123456789012", "te gewoon"),
        ("lotte.devries2024", "e-mailadres niet bevatten"),
    ] {
        let res = register(&browser, "Lotte", "lotte.devries@example.nl", password);
        assert_eq!(res.status, 400, "{password}");
        assert!(res.body.contains(message), "{password}: {}", res.body);
        assert!(res.body.contains("aria-invalid=\"true\""), "{password}");
    }
    let res = register(&browser, "", "geen-adres", PASSWORD);
    assert_eq!(res.status, 400);
    assert!(res.body.contains("geen geldig e-mailadres"));
    assert!(app.outbox().is_empty(), "nothing was sent");
}

fn registering_a_taken_address_looks_like_any_registration(app: &mut TestApp) {
    app.create_user("bestaand@example.nl", false);
    let browser = Session::new(app);
    let taken = register(
        &browser,
        "Iemand",
        "bestaand@example.nl",
        "een heel ander wachtwoord",
    );
    let fresh = register(&browser, "Nieuw", "nieuw@example.nl", PASSWORD);
    assert_eq!(taken.status, fresh.status);
    let main = |body: &str| body.split("<main").nth(1).unwrap_or("").to_owned();
    assert_eq!(main(&taken.body), main(&fresh.body), "same page either way");
    let mail = app.wait_for_mail("bestaand@example.nl", 1);
    assert!(mail.subject.contains("al een account"), "{mail:?}");
    // The owner's password is untouched.
    Session::new(app).login("bestaand@example.nl");
}

fn a_verified_address_on_a_mapped_domain_joins_its_city(app: &mut TestApp) {
    let admin = signed_in(app, ADMIN, true);
    map_domain(&admin, "apeldoorn.nl", "apeldoorn");
    let browser = Session::new(app);
    register(&browser, "Ambtenaar", "a.ambtenaar@apeldoorn.nl", PASSWORD);
    let link = app
        .wait_for_mail("a.ambtenaar@apeldoorn.nl", 1)
        .link(&app.base_url);
    assert_eq!(browser.post(&link, &[("password", PASSWORD)]).status, 303);
    let profile = browser.get("/account").body;
    assert!(profile.contains("href=\"/steden/apeldoorn\""), "{profile}");
    let log = admin.get("/beheer/logboek").body;
    assert!(
        log.contains("lid geworden via e-maildomein") && !log.contains("joined city"),
        "logged in the reader's words with the city's name: {log}"
    );
}

// ---- sessions -----------------------------------------------------------------

fn login_sets_a_hardened_cookie_and_ignores_a_planted_session(app: &mut TestApp) {
    app.create_user("els@example.nl", false);
    let browser = Session::new(app);
    // Session fixation: an attacker plants a session id before the victim logs in.
    let planted = "a".repeat(64);
    browser.set_cookie("stadsmaat_session", &planted);
    let csrf_before = browser.csrf();
    let res = browser.post(
        "/inloggen",
        &[("email", "els@example.nl"), ("password", PASSWORD)],
    );
    assert_eq!(res.status, 303);
    let set_cookie = res
        .headers
        .iter()
        .find(|(k, v)| k.eq_ignore_ascii_case("set-cookie") && v.starts_with("stadsmaat_session="))
        .map(|(_, v)| v.clone())
        .expect("a session cookie");
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    let issued = browser.cookie("stadsmaat_session").expect("session");
    assert_ne!(issued, planted);
    assert_ne!(
        browser.csrf(),
        csrf_before,
        "the CSRF token is replaced at login"
    );
    let attacker = Session::new(app);
    attacker.set_cookie("stadsmaat_session", &planted);
    assert!(!attacker.is_signed_in());
    let profile = browser.get("/account");
    assert_eq!(profile.status, 200);
    assert_eq!(
        profile.header("cache-control"),
        Some("no-store"),
        "personal pages are not cached"
    );
}

fn wrong_password_and_unknown_address_get_the_same_answer(app: &mut TestApp) {
    app.create_user("kees@example.nl", false);
    let browser = Session::new(app);
    let wrong = browser.post(
        "/inloggen",
        &[
            ("email", "kees@example.nl"),
            ("password", "niet het wachtwoord"),
        ],
    );
    let unknown = browser.post(
        "/inloggen",
        &[
            ("email", "niemand@example.nl"),
            ("password", "niet het wachtwoord"),
        ],
    );
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    let message = |body: &str| {
        body.split("role=\"alert\"")
            .nth(1)
            .unwrap_or("")
            .split("</div>")
            .next()
            .unwrap_or("")
            .to_owned()
    };
    assert_eq!(message(&wrong.body), message(&unknown.body));
    assert!(message(&wrong.body).contains("klopt niet"));
}

fn repeated_failed_logins_are_throttled_with_429(app: &mut TestApp) {
    app.create_user("doelwit@example.nl", false);
    let attacker = Session::new(app);
    for _ in 0..5 {
        let res = attacker.post(
            "/inloggen",
            &[
                ("email", "doelwit@example.nl"),
                ("password", "gok gok gok gok"),
            ],
        );
        assert_eq!(res.status, 401);
    }
    // Even the right password waits now: the account is throttled, not the guess.
    let res = attacker.post(
        "/inloggen",
        &[("email", "doelwit@example.nl"), ("password", PASSWORD)],
    );
    assert_eq!(res.status, 429, "{}", res.body);
    assert!(res.body.contains("Te veel mislukte pogingen"));
    let retry: u64 = res
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
        .and_then(|(_, v)| v.parse().ok())
        .expect("Retry-After");
    assert!(retry > 0 && retry <= 15 * 60);
    assert!(!attacker.is_signed_in());
}

/// The status of a login with `password` from `browser`.
fn login_status(browser: &Session, email: &str, password: &str) -> u16 {
    let res = browser.post("/inloggen", &[("email", email), ("password", password)]);
    assert!(matches!(res.status, 303 | 401 | 429), "{}", res.body);
    res.status
}

/// `times` wrong guesses at `email`'s password from `browser`.
fn guess(browser: &Session, email: &str, times: usize) {
    for _ in 0..times {
        assert_ne!(login_status(browser, email, "gok gok gok gok"), 303);
    }
}

fn a_browser_that_signed_in_before_keeps_its_own_allowance_when_strangers_lock_the_account(
    app: &mut TestApp,
) {
    app.create_user("eigenaar@example.nl", false);
    let owner = Session::new(app);
    owner.login("eigenaar@example.nl");
    assert_eq!(owner.post("/uitloggen", &[]).status, 303);
    let stranger = Session::new(app);
    guess(&stranger, "eigenaar@example.nl", 8);
    assert_eq!(
        login_status(&stranger, "eigenaar@example.nl", PASSWORD),
        429,
        "strangers are locked out"
    );
    assert_eq!(login_status(&owner, "eigenaar@example.nl", PASSWORD), 303);
}

fn a_trusted_browser_is_locked_after_its_own_five_failures_and_strangers_are_not(
    app: &mut TestApp,
) {
    app.create_user("vergeetachtig@example.nl", false);
    let laptop = Session::new(app);
    laptop.login("vergeetachtig@example.nl");
    assert_eq!(laptop.post("/uitloggen", &[]).status, 303);
    guess(&laptop, "vergeetachtig@example.nl", 5);
    assert_eq!(
        login_status(&laptop, "vergeetachtig@example.nl", PASSWORD),
        429
    );
    // Its failures were its own: the account's allowance for other browsers is whole.
    let phone = Session::new(app);
    assert_eq!(
        login_status(&phone, "vergeetachtig@example.nl", PASSWORD),
        303
    );
}

fn the_locked_out_owner_resets_by_mail_and_that_browser_signs_in(app: &mut TestApp) {
    app.create_user("buitengesloten@example.nl", false);
    let stranger = Session::new(app);
    guess(&stranger, "buitengesloten@example.nl", 5);
    let new_laptop = Session::new(app);
    assert_eq!(
        login_status(&new_laptop, "buitengesloten@example.nl", PASSWORD),
        429
    );
    let res = new_laptop.post(
        "/wachtwoord-vergeten",
        &[("email", "buitengesloten@example.nl")],
    );
    assert_eq!(res.status, 200, "the lock-out does not block a reset");
    let link = app
        .wait_for_mail("buitengesloten@example.nl", 1)
        .link(&app.base_url);
    let fresh = "nieuw en nog langer wachtwoord";
    let res = new_laptop.post(&link, &[("password", fresh), ("password_again", fresh)]);
    assert_eq!(res.status, 200, "{}", res.body);
    // The stranger keeps trying; the browser that reset the password is not his.
    guess(&stranger, "buitengesloten@example.nl", 3);
    assert_eq!(
        login_status(&new_laptop, "buitengesloten@example.nl", fresh),
        303
    );
}

fn failures_for_other_accounts_from_one_address_do_not_block_an_account_from_it(app: &mut TestApp) {
    // One town hall, one address: someone behind it sprays fifty accounts.
    app.create_user("collega@example.nl", false);
    let sprayer = Session::new(app);
    for n in 0..50 {
        let status = login_status(&sprayer, &format!("iemand{n}@example.nl"), "gok gok gok");
        assert_eq!(status, 401);
    }
    let colleague = Session::new(app);
    assert_eq!(
        login_status(&colleague, "collega@example.nl", PASSWORD),
        303
    );
}

fn a_device_cookie_planted_before_sign_in_stays_useless_to_its_planter(app: &mut TestApp) {
    app.create_user("planter@example.nl", false);
    app.create_user("doelwit2@example.nl", false);
    let attacker = Session::new(app);
    attacker.login("planter@example.nl");
    let device = attacker
        .cookie("stadsmaat_device")
        .expect("a device cookie");
    // The attacker's device cookie ends up in the victim's browser, who signs in.
    let victim = Session::new(app);
    victim.set_cookie("stadsmaat_device", &device);
    victim.login("doelwit2@example.nl");
    assert_ne!(victim.cookie("stadsmaat_device"), Some(device.clone()));
    // Strangers lock the victim's account; the planted token is not trusted by it.
    guess(&Session::new(app), "doelwit2@example.nl", 5);
    let replay = Session::new(app);
    replay.set_cookie("stadsmaat_device", &device);
    assert_eq!(login_status(&replay, "doelwit2@example.nl", PASSWORD), 429);
}

fn logout_ends_the_session_on_the_server(app: &mut TestApp) {
    let browser = signed_in(app, "uit@example.nl", false);
    let stolen = browser.cookie("stadsmaat_session").expect("session");
    assert_eq!(browser.post("/uitloggen", &[]).status, 303);
    assert!(!browser.is_signed_in());
    let thief = Session::new(app);
    thief.set_cookie("stadsmaat_session", &stolen);
    assert!(
        !thief.is_signed_in(),
        "a copied cookie dies with the session"
    );
}

fn log_out_everywhere_ends_every_session(app: &mut TestApp) {
    let laptop = signed_in(app, "overal@example.nl", false);
    let phone = Session::new(app);
    phone.login("overal@example.nl");
    let profile = laptop.get("/account").body;
    assert_eq!(
        profile.matches("/beeindigen").count(),
        2,
        "both sessions listed"
    );
    assert_eq!(laptop.post("/account/overal-uitloggen", &[]).status, 303);
    assert!(!laptop.is_signed_in());
    assert!(!phone.is_signed_in());
}

fn nobody_ends_another_users_session(app: &mut TestApp) {
    let victim = signed_in(app, "slachtoffer@example.nl", false);
    let attacker = signed_in(app, "aanvaller@example.nl", false);
    let victim_session = id_after(&victim.get("/account").body, "/account/sessies/");
    let res = attacker.post(
        &format!("/account/sessies/{victim_session}/beeindigen"),
        &[],
    );
    assert_eq!(res.status, 404);
    assert!(victim.is_signed_in());
}

// ---- forged forms -------------------------------------------------------------

fn a_form_without_the_visitors_csrf_token_is_refused(app: &mut TestApp) {
    let admin = signed_in(app, ADMIN, true);
    let other = Session::new(app);
    let foreign = other.csrf();
    for fields in [
        vec![("domain", "forged.nl"), ("city", "zwolle")],
        vec![("csrf", ""), ("domain", "forged.nl"), ("city", "zwolle")],
        vec![
            ("csrf", foreign.as_str()),
            ("domain", "forged.nl"),
            ("city", "zwolle"),
        ],
    ] {
        let res = admin.post_raw("/beheer/domeinen", &fields, &[]);
        assert_eq!(res.status, 403, "{fields:?}");
    }
    assert!(!admin.get("/beheer/domeinen").body.contains("forged.nl"));
}

fn a_form_posted_from_another_site_is_refused(app: &mut TestApp) {
    let admin = signed_in(app, ADMIN, true);
    let csrf = admin.csrf();
    let res = admin.post_raw(
        "/beheer/domeinen",
        &[("csrf", &csrf), ("domain", "evil.nl"), ("city", "zwolle")],
        &[("Origin", "https://evil.example")],
    );
    assert_eq!(res.status, 403);
    assert!(!admin.get("/beheer/domeinen").body.contains("evil.nl"));
}

fn a_planted_csrf_cookie_with_its_field_is_refused_for_a_signed_in_user(app: &mut TestApp) {
    let admin = signed_in(app, ADMIN, true);
    // Someone who can set cookies for the site (a sibling subdomain, plain http on the
    // way) plants a CSRF cookie he knows and posts a form that carries it.
    let planted = "b".repeat(64);
    admin.set_cookie("stadsmaat_csrf", &planted);
    let res = admin.post_raw(
        "/beheer/domeinen",
        &[
            ("csrf", &planted),
            ("domain", "geplant.nl"),
            ("city", "zwolle"),
        ],
        &[],
    );
    assert_eq!(res.status, 403, "{}", res.body);
    assert!(!admin.get("/beheer/domeinen").body.contains("geplant.nl"));
}

// ---- password reset -----------------------------------------------------------

fn a_reset_link_works_once_and_signs_out_everywhere(app: &mut TestApp) {
    let old_device = signed_in(app, "vergeten@example.nl", false);
    let browser = Session::new(app);
    assert_eq!(
        browser
            .post("/wachtwoord-vergeten", &[("email", "vergeten@example.nl")])
            .status,
        200
    );
    let link = app
        .wait_for_mail("vergeten@example.nl", 1)
        .link(&app.base_url);
    assert_eq!(browser.get(&link).status, 200);
    let new = "een nieuw lang wachtwoord";
    let res = browser.post(&link, &[("password", new), ("password_again", new)]);
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(!old_device.is_signed_in(), "old sessions end with a reset");
    let again = browser.post(
        &link,
        &[
            ("password", "nog een ander wachtwoord"),
            ("password_again", "nog een ander wachtwoord"),
        ],
    );
    assert_eq!(again.status, 400, "a used link is dead");
    let res = browser.post(
        "/inloggen",
        &[("email", "vergeten@example.nl"), ("password", new)],
    );
    assert_eq!(res.status, 303);
}

fn two_requests_racing_with_one_reset_link_cannot_both_win(app: &mut TestApp) {
    app.create_user("race@example.nl", false);
    let browser = Session::new(app);
    browser.post("/wachtwoord-vergeten", &[("email", "race@example.nl")]);
    let link = app.wait_for_mail("race@example.nl", 1).link(&app.base_url);
    let csrf = browser.csrf();
    let passwords = ["eerste nieuwe wachtwoord", "tweede nieuwe wachtwoord"];
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let racers: Vec<_> = passwords
            .iter()
            .map(|password| {
                let racer = Session::new(app);
                racer.set_cookie("stadsmaat_csrf", &csrf);
                let link = &link;
                scope.spawn(move || {
                    racer
                        .post(
                            link,
                            &[("password", password), ("password_again", password)],
                        )
                        .status
                })
            })
            .collect();
        racers
            .into_iter()
            .map(|r| r.join().expect("racer"))
            .collect()
    });
    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|&s| s == 200 || s == 400 || s == 503),
        "{statuses:?}"
    );
}

fn a_superseded_reset_link_is_refused(app: &mut TestApp) {
    app.create_user("twee@example.nl", false);
    let browser = Session::new(app);
    browser.post("/wachtwoord-vergeten", &[("email", "twee@example.nl")]);
    let first = app.wait_for_mail("twee@example.nl", 1).link(&app.base_url);
    browser.post("/wachtwoord-vergeten", &[("email", "twee@example.nl")]);
    let second = app.wait_for_mail("twee@example.nl", 2).link(&app.base_url);
    let new = "een nieuw lang wachtwoord";
    let res = browser.post(&first, &[("password", new), ("password_again", new)]);
    assert_eq!(res.status, 400);
    assert_eq!(browser.get(&first).status, 400);
    assert_eq!(browser.get(&second).status, 200);
    assert_eq!(
        browser
            .get("/wachtwoord-herstellen/niet-eens-een-token")
            .status,
        400
    );
    browser.login("twee@example.nl");
}

fn reset_requests_answer_the_same_for_unknown_addresses(app: &mut TestApp) {
    app.create_user("bekend@example.nl", false);
    let browser = Session::new(app);
    let known = browser.post("/wachtwoord-vergeten", &[("email", "bekend@example.nl")]);
    let unknown = browser.post("/wachtwoord-vergeten", &[("email", "onbekend@example.nl")]);
    assert_eq!(known.status, unknown.status);
    let main = |body: &str| body.split("<main").nth(1).unwrap_or("").to_owned();
    assert_eq!(main(&known.body), main(&unknown.body));
    app.wait_for_mail("bekend@example.nl", 1);
    assert!(app.mails_to("onbekend@example.nl").is_empty());
}

fn changing_the_password_needs_the_current_one_and_ends_other_sessions(app: &mut TestApp) {
    let here = signed_in(app, "wissel@example.nl", false);
    let elsewhere = Session::new(app);
    elsewhere.login("wissel@example.nl");
    let new = "een nieuw lang wachtwoord";
    let wrong = here.post(
        "/account/wachtwoord",
        &[
            ("current_password", "fout fout fout"),
            ("password", new),
            ("password_again", new),
        ],
    );
    assert_eq!(wrong.status, 400);
    assert!(elsewhere.is_signed_in());
    let res = here.post(
        "/account/wachtwoord",
        &[
            ("current_password", PASSWORD),
            ("password", new),
            ("password_again", new),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    assert!(here.is_signed_in(), "this session stays");
    assert!(!elsewhere.is_signed_in(), "other sessions end");
}

fn a_new_address_counts_only_after_it_is_confirmed(app: &mut TestApp) {
    let browser = signed_in(app, "oud@example.nl", false);
    let res = browser.post(
        "/account/email",
        &[
            ("email", "nieuw@example.nl"),
            ("current_password", PASSWORD),
        ],
    );
    assert_eq!(res.status, 200, "{}", res.body);
    let notice = app.wait_for_mail("oud@example.nl", 1);
    assert!(notice.body.contains("nieuw@example.nl"), "{notice:?}");
    // Not yet changed: the old address still logs in.
    Session::new(app).login("oud@example.nl");
    let link = app.wait_for_mail("nieuw@example.nl", 1).link(&app.base_url);
    assert_eq!(browser.get(&link).status, 200);
    Session::new(app).login("nieuw@example.nl");
    let res = Session::new(app).post(
        "/inloggen",
        &[("email", "oud@example.nl"), ("password", PASSWORD)],
    );
    assert_eq!(res.status, 401);
}

// ---- membership and roles -----------------------------------------------------

fn a_membership_request_approved_by_the_city_editor_makes_a_member(app: &mut TestApp) {
    let admin = signed_in(app, ADMIN, true);
    let editor = signed_in(app, "redacteur@example.nl", false);
    make_editor(&admin, "redacteur@example.nl", "Deventer");
    let applicant = signed_in(app, "sollicitant@example.nl", false);
    let res = applicant.post(
        "/account/lidmaatschap",
        &[("city", "deventer"), ("motivation", "Adviseur mobiliteit")],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let notice = app.wait_for_mail("redacteur@example.nl", 1);
    assert!(
        notice.body.contains("/steden/deventer/aanvragen"),
        "{notice:?}"
    );
    let city_page = editor.get("/steden/deventer").body;
    assert!(
        city_page.contains("href=\"/steden/deventer/aanvragen\""),
        "editors find the requests"
    );
    assert!(!applicant
        .get("/steden/deventer")
        .body
        .contains("/aanvragen\""));
    assert_eq!(
        applicant.get("/projecten/nieuw").status,
        403,
        "not a member yet"
    );
    let page = editor.get("/steden/deventer/aanvragen").body;
    let request = id_after(&page, "action=\"/aanvragen/");
    let res = editor.post(
        &format!("/aanvragen/{request}/besluit"),
        &[("decision", "approve")],
    );
    assert_eq!(res.status, 303);
    assert_eq!(applicant.get("/projecten/nieuw").status, 200);
    let again = editor.post(
        &format!("/aanvragen/{request}/besluit"),
        &[("decision", "reject")],
    );
    assert_eq!(again.status, 409, "a decision is final");
    let mail = app.wait_for_mail("sollicitant@example.nl", 1);
    assert!(mail.subject.contains("Deventer"), "{mail:?}");
}

fn an_editor_cannot_decide_another_citys_requests(app: &mut TestApp) {
    let admin = signed_in(app, ADMIN, true);
    let editor = signed_in(app, "redactie@example.nl", false);
    make_editor(&admin, "redactie@example.nl", "Zwolle");
    let applicant = signed_in(app, "aanvrager@example.nl", false);
    applicant.post(
        "/account/lidmaatschap",
        &[("city", "deventer"), ("motivation", "Ik werk in Deventer")],
    );
    assert_eq!(editor.get("/steden/deventer/aanvragen").status, 403);
    let notice = app.wait_for_mail(ADMIN, 1);
    assert!(
        notice.body.contains("/steden/deventer/aanvragen"),
        "a city without editors: administrators hear of it"
    );
    let page = admin.get("/steden/deventer/aanvragen").body;
    let request = id_after(&page, "action=\"/aanvragen/");
    let res = editor.post(
        &format!("/aanvragen/{request}/besluit"),
        &[("decision", "approve")],
    );
    assert_eq!(res.status, 403);
    assert_eq!(
        applicant.get("/projecten/nieuw").status,
        403,
        "still not a member"
    );
    assert_eq!(
        editor
            .post("/aanvragen/999999/besluit", &[("decision", "approve")])
            .status,
        404
    );
}

/// Two administrators demote each other at the same moment, again and again: one of the
/// two is refused every time (409), so one administrator always remains.
fn racing_demotions_never_leave_the_platform_without_an_administrator(app: &mut TestApp) {
    const SECOND: &str = "tweede@stadsmaat.test";
    let mut first = signed_in(app, ADMIN, true);
    let mut second = signed_in(app, SECOND, true);
    let (second_id, _) = ids_on_user_page(&first, SECOND, "Zwolle");
    let (first_id, _) = ids_on_user_page(&second, ADMIN, "Zwolle");
    let demote = [("city", ""), ("city_role", "member"), ("site_role", "none")];
    let promote = [
        ("city", ""),
        ("city_role", "member"),
        ("site_role", "admin"),
    ];
    for round in 0..12 {
        // Each session goes to its own thread (a session is not shared) and comes back.
        let (a, b);
        (first, a, second, b) = std::thread::scope(|scope| {
            let demote = &demote;
            let (first_path, second_path) = (
                format!("/beheer/gebruikers/{second_id}"),
                format!("/beheer/gebruikers/{first_id}"),
            );
            let one = scope.spawn(move || {
                let status = first.post(&first_path, demote).status;
                (first, status)
            });
            let other = scope.spawn(move || {
                let status = second.post(&second_path, demote).status;
                (second, status)
            });
            let (first, a) = one.join().expect("first");
            let (second, b) = other.join().expect("second");
            (first, a, second, b)
        });
        let statuses = [a, b];
        assert!(
            statuses.contains(&303) && statuses.iter().any(|s| [403, 409].contains(s)),
            "round {round}: exactly one demotion: {statuses:?}"
        );
        let admins = [&first, &second]
            .iter()
            .filter(|s| s.get("/beheer").status == 200)
            .count();
        assert_eq!(admins, 1, "round {round}");
        // The one left makes the other administrator again.
        let res = if a == 303 {
            first.post(&format!("/beheer/gebruikers/{second_id}"), &promote)
        } else {
            second.post(&format!("/beheer/gebruikers/{first_id}"), &promote)
        };
        assert_eq!(res.status, 303, "{}", res.body);
    }
}

fn nobody_grants_himself_a_role(app: &mut TestApp) {
    let admin = signed_in(app, ADMIN, true);
    let member = member(app, &admin, "lid@zwolle.nl", "zwolle");
    let (member_id, zwolle) = ids_on_user_page(&admin, "lid@zwolle.nl", "Zwolle");
    let grab = [
        ("city", zwolle.as_str()),
        ("city_role", "editor"),
        ("site_role", "admin"),
    ];
    let res = member.post(&format!("/beheer/gebruikers/{member_id}"), &grab);
    assert_eq!(res.status, 403);
    assert_eq!(member.get("/beheer").status, 403, "still no administrator");
    // Not even an administrator changes their own roles.
    let page = admin.get(&format!("/beheer/gebruikers?q={ADMIN}")).body;
    assert!(
        !page.contains("action=\"/beheer/gebruikers/"),
        "no form for oneself"
    );
    let own = admin.get("/account").body;
    assert!(own.contains("beheerder"));
}

// ---- projects -----------------------------------------------------------------

const NEW_PROJECT: &[(&str, &str)] = &[
    ("title", "Slimme lantaarnpalen met aanwezigheidsdetectie"),
    ("description", "Lantaarnpalen dimmen tot iemand nadert; de sensoren tellen ook fietsers op het Talking Traffic-kruispunt."),
    ("theme", "environment"),
    ("stage", "pilot"),
    ("lessons", "Begin klein."),
    ("partners", "Netbeheerder\nHogeschool Windesheim"),
    ("contact_name", "Mila de Boer"),
    ("contact_email", "m.deboer@zwolle.nl"),
    ("links", "https://example.org/lantaarns"),
];

fn a_member_adds_a_project_that_search_and_matchmaking_show_at_once(app: &mut TestApp) {
    let admin = signed_in(app, ADMIN, true);
    let member = member(app, &admin, "mila@zwolle.nl", "zwolle");
    let id = create_project(&member, NEW_PROJECT);
    let created = project(app, id);
    assert_eq!(created["city"]["slug"], "zwolle");
    assert_eq!(created["source_ref"], Value::Null);
    assert_eq!(created["partners"][1], "Hogeschool Windesheim");
    eventually("the search finds the new project", || {
        search_titles(app, "aanwezigheidsdetectie")
            .iter()
            .any(|t| t.starts_with("Slimme lantaarnpalen"))
    });
    eventually("the project has comparable pilots elsewhere", || {
        let (_, body) = app.get_json(&format!("/api/v1/projects/{id}/similar?limit=5"));
        body["results"].as_array().is_some_and(|r| !r.is_empty())
    });
    let page = member.get(&format!("/projecten/{id}")).body;
    assert!(page.contains("Begin klein."));
    assert!(page.contains("href=\"mailto:m.deboer@zwolle.nl\""));
    assert!(page.contains(&format!("/projecten/{id}/bewerken")));
}

fn an_editor_edits_an_imported_project_and_the_history_records_it(app: &mut TestApp) {
    let admin = signed_in(app, ADMIN, true);
    let editor = signed_in(app, "e.editor@example.nl", false);
    make_editor(&admin, "e.editor@example.nl", "Apeldoorn");
    let imported = project_by_ref(app, "6.3");
    let id = imported["id"].as_i64().expect("id");
    let fields = edit_fields(&editor, id);
    let lessons = "iVRI's vragen afspraken met de provincie over data.";
    let res = post_fields(
        &editor,
        &format!("/projecten/{id}/bewerken"),
        &with(&fields, &[("stage", "stopped"), ("lessons", lessons)]),
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let edited = project(app, id);
    assert_eq!(edited["stage"], "stopped");
    assert_eq!(edited["lessons"], lessons);
    assert_eq!(edited["source_ref"], "6.3", "still the report's project");
    let history = editor.get(&format!("/projecten/{id}/geschiedenis")).body;
    assert!(history.contains("e.editor"), "who");
    assert!(
        history.contains("<dt>Fase</dt>") && history.contains("<ins>Gestopt</ins>"),
        "what, in words: {history}"
    );
    eventually("search knows the lesson", || {
        search_titles(app, "afspraken%20provincie%20data")
            .contains(&imported["title"].as_str().unwrap_or("").to_owned())
    });
}

fn an_import_keeps_what_the_city_edited(app: &mut TestApp) {
    let admin = signed_in(app, ADMIN, true);
    let editor = signed_in(app, "bewaar@example.nl", false);
    make_editor(&admin, "bewaar@example.nl", "Apeldoorn");
    let id = project_by_ref(app, "6.3")["id"].as_i64().expect("id");
    let fields = edit_fields(&editor, id);
    let path = format!("/projecten/{id}/bewerken");
    assert_eq!(
        post_fields(
            &editor,
            &path,
            &with(
                &fields,
                &[("title", "Talking Traffic (door Apeldoorn bijgewerkt)")]
            )
        )
        .status,
        303
    );
    let mut inventory: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/g40-2020.json"))
            .expect("inventory"),
    )
    .expect("JSON");
    for p in inventory["projects"].as_array_mut().expect("projects") {
        if p["source_ref"] == "6.3" {
            p["title"] = "Talking Traffic (2020)".into();
        }
    }
    let file = app.data_dir().join("reimport.json");
    std::fs::write(&file, inventory.to_string()).expect("write");
    let out = app
        .command()
        .arg("import")
        .arg(&file)
        .output()
        .expect("import");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 kept as edited by their city"));
    assert_eq!(
        project(app, id)["title"],
        "Talking Traffic (door Apeldoorn bijgewerkt)"
    );
}

fn a_member_cannot_edit_another_citys_project(app: &mut TestApp) {
    let admin = signed_in(app, ADMIN, true);
    let editor = signed_in(app, "zwolle.editor@example.nl", false);
    make_editor(&admin, "zwolle.editor@example.nl", "Zwolle");
    let apeldoorn = project_by_ref(app, "6.3");
    let id = apeldoorn["id"].as_i64().expect("id");
    assert_eq!(editor.get(&format!("/projecten/{id}/bewerken")).status, 403);
    let res = editor.post(
        &format!("/projecten/{id}/bewerken"),
        &[
            ("title", "Overgenomen"),
            ("description", "x"),
            ("theme", "mobility"),
            ("stage", "stopped"),
        ],
    );
    assert_eq!(res.status, 403);
    assert_eq!(project(app, id)["title"], apeldoorn["title"]);
    assert!(
        !editor
            .get(&format!("/projecten/{id}"))
            .body
            .contains("/bewerken\""),
        "no edit link offered"
    );
}

fn a_city_in_the_form_does_not_move_a_new_project(app: &mut TestApp) {
    let admin = signed_in(app, ADMIN, true);
    let member = member(app, &admin, "lid@deventer.nl", "deventer");
    let mut fields = NEW_PROJECT.to_vec();
    fields.extend([("city", "apeldoorn"), ("city_id", "1"), ("created_by", "1")]);
    let id = create_project(&member, &fields);
    assert_eq!(project(app, id)["city"]["slug"], "deventer");
}

fn a_member_edits_only_projects_they_created(app: &mut TestApp) {
    let admin = signed_in(app, ADMIN, true);
    let author = member(app, &admin, "auteur@deventer.nl", "deventer");
    let colleague = signed_in(app, "collega@deventer.nl", false);
    let id = create_project(&author, NEW_PROJECT);
    assert_eq!(author.get(&format!("/projecten/{id}/bewerken")).status, 200);
    assert_eq!(
        colleague.get(&format!("/projecten/{id}/bewerken")).status,
        403
    );
    let imported = project_by_ref(app, "11.1")["id"].as_i64().expect("id");
    assert_eq!(
        author
            .get(&format!("/projecten/{imported}/bewerken"))
            .status,
        403,
        "imported ones are for editors"
    );
}

fn an_edit_on_a_stale_form_is_refused_with_409_and_comes_back_filled_in(app: &mut TestApp) {
    let admin = signed_in(app, ADMIN, true);
    let first = signed_in(app, "eerste@example.nl", false);
    make_editor(&admin, "eerste@example.nl", "Apeldoorn");
    let second = signed_in(app, "tweede@example.nl", false);
    make_editor(&admin, "tweede@example.nl", "Apeldoorn");
    let id = project_by_ref(app, "6.3")["id"].as_i64().expect("id");
    let path = format!("/projecten/{id}/bewerken");
    let old = edit_fields(&second, id);
    let fresh = edit_fields(&first, id);
    assert_eq!(
        post_fields(&first, &path, &with(&fresh, &[("lessons", "Eerste les")])).status,
        303
    );
    let res = post_fields(&second, &path, &with(&old, &[("lessons", "Tweede les")]));
    assert_eq!(res.status, 409);
    assert_eq!(
        project(app, id)["lessons"],
        "Eerste les",
        "the first save is not lost"
    );
    assert!(
        res.body.contains(">Tweede les</textarea>")
            && res.body.contains("Nu opgeslagen: Eerste les"),
        "the form comes back with what was typed and what is saved now: {}",
        res.body
    );
    let again = with(
        &old,
        &[
            ("lessons", "Tweede les"),
            ("version", &version_in(&res.body)),
        ],
    );
    assert_eq!(
        post_fields(&second, &path, &again).status,
        303,
        "sent again, knowingly"
    );
    assert_eq!(project(app, id)["lessons"], "Tweede les");
}

/// An editor of Apeldoorn, the id of its project 6.3 and that project's edit form.
fn editing_6_3<'a>(app: &'a TestApp) -> (Session<'a>, i64, Vec<(String, String)>) {
    let admin = signed_in(app, ADMIN, true);
    let editor = signed_in(app, "redacteur@example.nl", false);
    make_editor(&admin, "redacteur@example.nl", "Apeldoorn");
    let id = project_by_ref(app, "6.3")["id"].as_i64().expect("id");
    let fields = edit_fields(&editor, id);
    (editor, id, fields)
}

fn an_edit_without_its_version_or_not_urlencoded_is_a_400(app: &mut TestApp) {
    let (editor, id, fields) = editing_6_3(app);
    let path = format!("/projecten/{id}/bewerken");
    let changed = with(&fields, &[("lessons", "Nieuwe les")]);
    let unversioned: Vec<(String, String)> = changed
        .iter()
        .filter(|(k, _)| k != "version")
        .cloned()
        .collect();
    let res = post_fields(&editor, &path, &unversioned);
    assert_eq!(res.status, 400, "not a conflict with someone else");
    let json = serde_json::to_string(&changed).expect("json");
    let res = editor.post_body(&path, json, &[("Content-Type", "application/json")]);
    assert_eq!(res.status, 400, "not an expired form");
    assert_ne!(project(app, id)["lessons"], "Nieuwe les");
}

fn garbled_or_disguised_text_in_a_form_is_refused_and_nothing_is_saved(app: &mut TestApp) {
    let (editor, id, fields) = editing_6_3(app);
    let path = format!("/projecten/{id}/bewerken");
    let before = project(app, id);
    let others: Vec<(String, String)> = fields.into_iter().filter(|(k, _)| k != "title").collect();
    let valid = format!(
        "csrf={}&{}",
        editor.csrf(),
        serde_urlencoded::to_string(&others).expect("encoding")
    );
    for title in [
        "Talking%FF%FETraffic",
        "Talking%1B%5B31mTraffic",
        "Talking%E2%80%AEciffarT",
    ] {
        let res = editor.post_body(&path, format!("{valid}&title={title}"), &[]);
        assert_eq!(res.status, 400, "{title}");
        assert!(res.body.contains("<html lang=\"nl\">"), "a page saying why");
    }
    assert_eq!(project(app, id), before, "nothing saved");
}

fn invalid_project_input_is_shown_again_and_nothing_is_saved(app: &mut TestApp) {
    let admin = signed_in(app, ADMIN, true);
    let member = member(app, &admin, "fout@zwolle.nl", "zwolle");
    let (_, before) = app.get_json("/api/v1/projects?city=zwolle&per_page=100");
    for (field, value) in [
        ("title", ""),
        ("theme", "weather"),
        ("stage", "finished"),
        ("links", "javascript:alert(1)"),
        ("contact_email", "geen adres"),
    ] {
        let fields: Vec<(&str, &str)> = NEW_PROJECT
            .iter()
            .map(|&(k, v)| if k == field { (k, value) } else { (k, v) })
            .collect();
        let res = member.post("/projecten/nieuw", &fields);
        assert_eq!(res.status, 400, "{field}={value}");
        assert!(
            res.body.contains(&format!("id=\"f-{field}-error\"")),
            "{field}: message under the field"
        );
    }
    let (_, after) = app.get_json("/api/v1/projects?city=zwolle&per_page=100");
    assert_eq!(before["total"], after["total"]);
}

// ---- AVG and administration ---------------------------------------------------

fn the_data_export_holds_the_account_and_its_edits(app: &mut TestApp) {
    let admin = signed_in(app, ADMIN, true);
    let member = member(app, &admin, "export@zwolle.nl", "zwolle");
    let id = create_project(&member, NEW_PROJECT);
    let res = member.get("/account/gegevens");
    assert_eq!(res.status, 200);
    assert!(res
        .header("content-disposition")
        .is_some_and(|d| d.contains("attachment")));
    let export: Value = serde_json::from_str(&res.body).expect("JSON");
    assert_eq!(export["account"]["email"], "export@zwolle.nl");
    assert!(
        export["account"].get("password_hash").is_none(),
        "no hash in the export"
    );
    assert_eq!(export["projects_created"][0]["id"], id);
    assert_eq!(export["project_edits"][0]["project_id"], id);
    assert!(!export["sessions"].as_array().expect("sessions").is_empty());
    assert!(
        export["trusted_browsers"][0]["signed_in_at"].is_string(),
        "{}",
        export["trusted_browsers"]
    );
    assert!(!res
        .body
        .contains(&member.cookie("stadsmaat_device").expect("device")));
    assert_eq!(
        Session::new(app).get("/account/gegevens").status,
        303,
        "strangers go to login"
    );
}

fn the_data_export_holds_what_one_wrote_followed_and_chose(app: &mut TestApp) {
    let admin = signed_in(app, ADMIN, true);
    let member = member(app, &admin, "schrijft@zwolle.nl", "zwolle");
    // New accounts may start no discussion yet; this one is older.
    app.execute_sql(
        "UPDATE users SET created_at = '2026-01-01 00:00:00' WHERE email = 'schrijft@zwolle.nl'",
    );
    let res = member.post(
        "/discussies/nieuw?over=city:zwolle",
        &[
            ("title", "Wie meet fijnstof?"),
            ("body", "Wij zoeken ervaringen."),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        member.post("/zoeken/volgen", &[("q", "fijnstof")]).status,
        303
    );
    let export: Value = serde_json::from_str(&member.get("/account/gegevens").body).expect("JSON");
    assert_eq!(export["threads_started"][0][1], "Wie meet fijnstof?");
    assert_eq!(export["posts"][0]["body"], "Wij zoeken ervaringen.");
    assert_eq!(export["saved_searches"][0][1], "q=fijnstof");
    let follows = export["follows"].to_string();
    assert!(
        follows.contains("search:") && follows.contains("thread:"),
        "{follows}"
    );
    assert_eq!(export["mail_preferences"]["lang"], "nl");
    assert!(export["mail_preferences"]["last_seen_at"].is_string());
}

fn deleting_an_account_keeps_its_edits_anonymised(app: &mut TestApp) {
    let admin = signed_in(app, ADMIN, true);
    let member = member(app, &admin, "weg@zwolle.nl", "zwolle");
    let id = create_project(&member, NEW_PROJECT);
    let wrong = member.post(
        "/account/verwijderen",
        &[("current_password", "niet mijn wachtwoord")],
    );
    assert_eq!(wrong.status, 400);
    assert!(member.is_signed_in());
    let res = member.post("/account/verwijderen", &[("current_password", PASSWORD)]);
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(!member.is_signed_in());
    let res = Session::new(app).post(
        "/inloggen",
        &[("email", "weg@zwolle.nl"), ("password", PASSWORD)],
    );
    assert_eq!(res.status, 401, "the account is gone");
    assert_eq!(
        project(app, id)["title"],
        NEW_PROJECT[0].1,
        "the city's project stays"
    );
    let history = admin.get(&format!("/projecten/{id}/geschiedenis")).body;
    assert!(
        history.contains("verwijderd account") && !history.contains("weg@zwolle"),
        "{history}"
    );
    assert!(admin
        .get("/beheer/logboek")
        .body
        .contains("account verwijderd"));
}

fn role_changes_and_domain_mappings_are_in_the_audit_log(app: &mut TestApp) {
    let admin = signed_in(app, ADMIN, true);
    map_domain(&admin, "almere.nl", "almere");
    map_domain(&admin, "ALMERE.NL", "almere");
    signed_in(app, "rol@example.nl", false);
    make_editor(&admin, "rol@example.nl", "Almere");
    let log = admin.get("/beheer/logboek").body;
    assert!(
        log.contains("domein gekoppeld") && log.contains("almere.nl"),
        "{log}"
    );
    assert_eq!(
        log.matches("domein gekoppeld").count(),
        1,
        "mapping it again to the same city changed nothing"
    );
    assert!(
        log.contains("gemeenterol gewijzigd") && log.contains("Almere (editor)"),
        "{log}"
    );
    let bad = admin.post(
        "/beheer/domeinen",
        &[("domain", "niet een domein!"), ("city", "almere")],
    );
    assert_eq!(bad.status, 400);
    let unknown_city = admin.post(
        "/beheer/domeinen",
        &[("domain", "x.nl"), ("city", "atlantis")],
    );
    assert_eq!(unknown_city.status, 404);
}

fn administrators_read_the_outbox_without_tokens(app: &mut TestApp) {
    let admin = signed_in(app, ADMIN, true);
    let browser = Session::new(app);
    browser.post("/wachtwoord-vergeten", &[("email", ADMIN)]);
    let link = app.wait_for_mail(ADMIN, 1).link(&app.base_url);
    let token = link.rsplit('/').next().expect("token");
    let page = admin.get("/beheer/post");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Nieuw wachtwoord voor Stadsmaat"),
        "{}",
        page.body
    );
    assert!(page.body.contains("/wachtwoord-herstellen/…"));
    assert!(!page.body.contains(token), "no live token on the page");
    assert!(!app.log().contains(token), "nor in the log");
}

fn the_last_administrator_cannot_delete_their_account(app: &mut TestApp) {
    let admin = signed_in(app, ADMIN, true);
    let res = admin.post("/account/verwijderen", &[("current_password", PASSWORD)]);
    assert_eq!(res.status, 409);
    assert!(admin.is_signed_in());
}

fn mail_goes_over_smtp_when_smtp_url_is_set(app: &mut TestApp) {
    let sink = SmtpSink::start();
    let backend = app.backend;
    app.stop();
    let smtp_app = TestApp::start_with(backend, &[("SMTP_URL", &sink.url())]);
    let browser = Session::new(&smtp_app);
    register(&browser, "Per Post", "post@example.nl", PASSWORD);
    let received = sink.wait_for(1);
    assert_eq!(received.len(), 1, "one message over SMTP");
    assert_eq!(received[0].to, vec!["post@example.nl".to_owned()]);
    assert!(
        received[0].from.contains("noreply@stadsmaat.localhost"),
        "{:?}",
        received[0]
    );
    assert!(
        received[0]
            .data
            .contains("Subject: Bevestig uw e-mailadres"),
        "{}",
        received[0].data
    );
    assert!(
        smtp_app.outbox().is_empty(),
        "nothing in the outbox when SMTP is used"
    );
}

// ---- shared, read-only --------------------------------------------------------

fn strangers_are_sent_to_login_or_refused_on_every_mutating_route(app: &TestApp) {
    let stranger = Session::new(app);
    for path in [
        "/account",
        "/account/wachtwoord",
        "/account/email",
        "/account/verwijderen",
        "/account/lidmaatschap",
        "/projecten/nieuw",
        "/projecten/1/bewerken",
        "/steden/zwolle/aanvragen",
        "/beheer",
        "/beheer/gebruikers",
        "/beheer/domeinen",
        "/beheer/logboek",
        "/beheer/post",
    ] {
        let res = stranger.get(path);
        assert_eq!(res.status, 303, "GET {path}");
        assert!(
            res.header("location")
                .is_some_and(|l| l.starts_with("/inloggen?terug=")),
            "GET {path}"
        );
    }
    for path in [
        "/account/wachtwoord",
        "/account/email",
        "/account/verwijderen",
        "/account/lidmaatschap",
        "/account/overal-uitloggen",
        "/account/sessies/1/beeindigen",
        "/projecten/nieuw",
        "/projecten/1/bewerken",
        "/aanvragen/1/besluit",
        "/beheer/gebruikers/1",
        "/beheer/domeinen",
        "/beheer/domeinen/verwijderen",
    ] {
        let res = stranger.post(path, &[("decision", "approve"), ("domain", "x.nl")]);
        assert!(
            matches!(res.status, 401 | 403 | 404),
            "POST {path}: {}",
            res.status
        );
        assert!(!res.body.contains("Something went wrong"), "POST {path}");
    }
    assert_eq!(project(app, 1)["id"], 1, "nothing changed");
    let _ = Backend::Sqlite;
}

fn members_cannot_reach_administration(app: &TestApp) {
    let email = format!("gewoon-lid-{}@example.nl", app.backend.name());
    let member = signed_in(app, &email, false);
    for path in [
        "/beheer",
        "/beheer/gebruikers",
        "/beheer/domeinen",
        "/beheer/logboek",
        "/steden/zwolle/aanvragen",
    ] {
        assert_eq!(member.get(path).status, 403, "GET {path}");
    }
    assert_eq!(
        member
            .post(
                "/beheer/domeinen",
                &[("domain", "x.nl"), ("city", "zwolle")]
            )
            .status,
        403
    );
}
