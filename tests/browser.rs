//! The pages in a real headless Chromium: styled under the Content-Security-Policy,
//! usable without scripts of our own, and free of automated WCAG 2.1 AA violations.

use crate::specs;
use crate::support::browser::{Browser, BrowserTools};
use crate::support::session::PASSWORD;
use crate::support::TestApp;

specs! {
    browser:
        pages_have_no_wcag_2_1_aa_violations_in_dutch_and_english,
        stylesheet_applies_under_the_content_security_policy,
        filter_form_submits_as_a_plain_form,
        the_network_form_chooses_a_city_without_scripts,
        network_map_labels_overlap_no_label_and_no_dot_as_drawn,
        language_switch_link_switches_and_remembers_english,
        account_pages_have_no_wcag_2_1_aa_violations,
        signing_in_works_with_the_plain_form,
        forum_pages_work_with_plain_forms_and_have_no_wcag_violations,
        pages_fit_a_phone_and_a_laptop_screen;
}

fn browser() -> Browser {
    Browser::start(&BrowserTools::locate().expect("browser tools"))
}

fn pages_have_no_wcag_2_1_aa_violations_in_dutch_and_english(app: &TestApp) {
    let browser = browser();
    let mut problems = Vec::new();
    for lang in ["nl", "en"] {
        for path in [
            "/",
            "/steden",
            "/steden/apeldoorn",
            "/projecten?theme=mobility",
            "/projecten/1",
            "/themas",
            "/themas/living",
            "/wie-doet-wat",
            "/oplossingen",
            "/oplossingen/talking-traffic",
            "/netwerk",
            "/netwerk?stad=apeldoorn",
            "/over",
            "/bestaat-niet",
            "/zoeken?q=luchtkwalitiet",
            "/zoeken?q=fiets&theme=mobility",
        ] {
            let sep = if path.contains('?') { '&' } else { '?' };
            browser.goto(&format!("{}{path}{sep}lang={lang}", app.base_url));
            for violation in browser.accessibility_violations() {
                problems.push(format!("{path} [{lang}]: {violation}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "WCAG violations:\n{}",
        problems.join("\n")
    );
}

/// Every page fits a phone (360 px) and a laptop (1366 px): nothing sticks out of the
/// viewport (wide tables scroll inside their own box). Screenshots of each go to
/// `target/screenshots` for a person to look at.
fn pages_fit_a_phone_and_a_laptop_screen(app: &TestApp) {
    let email = "browser-smal@stadsmaat.test";
    app.create_user(email, true);
    let browser = browser();
    sign_in(&browser, app, email);
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    let _ = std::fs::create_dir_all(&shots);
    let mut problems = Vec::new();
    for width in [360, 1366] {
        browser.resize(width, 800);
        for path in [
            "/",
            "/steden",
            "/steden/apeldoorn",
            "/projecten",
            "/projecten/1",
            "/themas/mobility",
            "/wie-doet-wat",
            "/oplossingen",
            "/oplossingen/talking-traffic",
            "/netwerk",
            "/netwerk?stad=apeldoorn",
            "/over",
            "/zoeken?q=parkeren",
            "/discussies",
            "/expertisepools",
            "/toolkits",
            "/account",
            "/account/post",
            "/steden/apeldoorn/actualiteit",
            "/projecten/1/archiveren",
            "/beheer/gebruikers",
        ] {
            browser.goto(&format!("{}{path}", app.base_url));
            let overflow = browser.overflow();
            if overflow["excess"].as_i64().unwrap_or(0) > 0 {
                problems.push(format!("{path} at {width} px: {overflow}"));
            }
            let name: String = path
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            browser.screenshot(&shots.join(format!("{width}{name}.png")));
        }
    }
    assert!(
        problems.is_empty(),
        "wider than the screen:\n{}",
        problems.join("\n")
    );
}

fn stylesheet_applies_under_the_content_security_policy(app: &TestApp) {
    let browser = browser();
    browser.goto(&format!("{}/", app.base_url));
    let colour = browser
        .script("return getComputedStyle(document.querySelector('.site-header')).backgroundColor;");
    assert_eq!(colour, "rgb(27, 36, 48)");
}

fn filter_form_submits_as_a_plain_form(app: &TestApp) {
    let browser = browser();
    browser.goto(&format!("{}/projecten", app.base_url));
    browser.click("#f-theme option[value='mobility']");
    browser.click("#f-city option[value='apeldoorn']");
    browser.click_to_navigate("form.filters button[type='submit']");
    let url = browser.current_url();
    assert!(
        url.contains("city=apeldoorn") && url.contains("theme=mobility"),
        "{url}"
    );
    let text = browser.script("return document.querySelector('main').innerText;");
    assert!(
        text.as_str().unwrap_or("").contains("Talking Traffic"),
        "{text}"
    );
}

fn the_network_form_chooses_a_city_without_scripts(app: &TestApp) {
    let browser = browser();
    browser.goto(&format!("{}/netwerk", app.base_url));
    browser.click("#network-city option[value='apeldoorn']");
    browser.click_to_navigate("form.network-choose button[type='submit']");
    let url = browser.current_url();
    assert!(url.ends_with("/netwerk?stad=apeldoorn#kaart"), "{url}");
    let heading = browser.script("return document.querySelector('#partners-heading').textContent;");
    assert_eq!(heading, "Partnersteden van Apeldoorn");
}

/// The map's labels as Chromium lays them out in its own font, not as the server
/// estimates them: no two labels share a pixel, no label covers a dot, in the default
/// view and with a city chosen.
fn network_map_labels_overlap_no_label_and_no_dot_as_drawn(app: &TestApp) {
    let browser = browser();
    for path in [
        "/netwerk",
        "/netwerk?stad=apeldoorn",
        "/netwerk?stad=zwolle",
    ] {
        browser.goto(&format!("{}{path}", app.base_url));
        let problems = browser.script(
            "const boxes = s => [...document.querySelectorAll('.network-map ' + s)] \
               .map(e => ({name: e.closest('a').getAttribute('aria-label'), box: e.getBBox()})); \
             const labels = boxes('.map-label'), dots = boxes('.map-dot'); \
             const meet = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width \
               && a.y < b.y + b.height && b.y < a.y + a.height; \
             const out = []; \
             labels.forEach((a, i) => { \
               labels.slice(i + 1).forEach(b => { if (meet(a.box, b.box)) out.push(a.name + ' / ' + b.name); }); \
               dots.forEach(d => { if (meet(a.box, d.box)) out.push(a.name + ' on the dot of ' + d.name); }); \
             }); \
             return {labels: labels.length, out};",
        );
        assert_eq!(problems["labels"], 40, "{path}: {problems}");
        assert_eq!(problems["out"], serde_json::json!([]), "{path}: {problems}");
    }
}

fn language_switch_link_switches_and_remembers_english(app: &TestApp) {
    let browser = browser();
    browser.goto(&format!("{}/steden/apeldoorn", app.base_url));
    browser.click_to_navigate("a.lang-switch");
    assert!(
        browser.current_url().ends_with("/steden/apeldoorn"),
        "{}",
        browser.current_url()
    );
    assert_eq!(
        browser.script("return document.documentElement.lang;"),
        "en"
    );
    browser.click_to_navigate("a[href='/themas']");
    assert_eq!(
        browser.script("return document.documentElement.lang;"),
        "en"
    );
    assert_eq!(
        browser.script("return document.querySelector('h1').innerText;"),
        "The six smart-city themes"
    );
}

/// Signs in through the login form, typing like a user (no script of ours involved).
fn sign_in(browser: &Browser, app: &TestApp, email: &str) {
    browser.goto(&format!("{}/inloggen", app.base_url));
    browser.type_into("#f-email", email);
    browser.type_into("#f-password", PASSWORD);
    browser.click_to_navigate("form.form button[type='submit']");
}

fn account_pages_have_no_wcag_2_1_aa_violations(app: &TestApp) {
    let email = "browser-beheer@stadsmaat.test";
    app.create_user(email, true);
    let browser = browser();
    let mut problems = Vec::new();
    let mut check = |path: &str| {
        for violation in browser.accessibility_violations() {
            problems.push(format!("{path}: {violation}"));
        }
    };
    for path in ["/registreren", "/inloggen", "/wachtwoord-vergeten"] {
        browser.goto(&format!("{}{path}", app.base_url));
        check(path);
    }
    // A form with its errors shown.
    browser.goto(&format!("{}/inloggen", app.base_url));
    browser.type_into("#f-email", email);
    browser.type_into("#f-password", "niet het wachtwoord");
    browser.click_to_navigate("form.form button[type='submit']");
    check("/inloggen (refused)");
    sign_in(&browser, app, email);
    browser.goto(&format!("{}/account", app.base_url));
    assert!(browser.current_url().ends_with("/account"), "signed in");
    for lang in ["nl", "en"] {
        for path in [
            "/account",
            "/account/wachtwoord",
            "/account/email",
            "/account/lidmaatschap",
            "/account/verwijderen",
            "/projecten/1/bewerken",
            "/projecten/1/geschiedenis",
            "/projecten/1",
            "/projecten/1/archiveren",
            "/projecten/nieuw",
            "/steden/alkmaar/actualiteit",
            "/beheer",
            "/beheer/gebruikers",
            "/beheer/domeinen",
            "/beheer/logboek",
            "/beheer/post",
        ] {
            browser.goto(&format!("{}{path}?lang={lang}", app.base_url));
            check(&format!("{path} [{lang}]"));
        }
    }
    assert!(
        problems.is_empty(),
        "WCAG violations:\n{}",
        problems.join("\n")
    );
}

fn signing_in_works_with_the_plain_form(app: &TestApp) {
    let email = "browser-lid@stadsmaat.test";
    app.create_user(email, false);
    let browser = browser();
    sign_in(&browser, app, email);
    assert!(
        browser.current_url().ends_with('/'),
        "{}",
        browser.current_url()
    );
    let header = browser.script("return document.querySelector('.account-nav').innerText;");
    assert!(
        header.as_str().unwrap_or("").contains("browser-lid"),
        "{header}"
    );
    browser.click_to_navigate(".account-nav button[type='submit']");
    let header = browser.script("return document.querySelector('.account-nav').innerText;");
    assert!(
        header.as_str().unwrap_or("").contains("Inloggen"),
        "{header}"
    );
}

fn forum_pages_work_with_plain_forms_and_have_no_wcag_violations(app: &TestApp) {
    let email = "browser-moderator@stadsmaat.test";
    let out = app.user_create(&["--email", email, "--moderator"], PASSWORD);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let browser = browser();
    sign_in(&browser, app, email);
    browser.goto(&format!(
        "{}/discussies/nieuw?over=category:stadsmaat",
        app.base_url
    ));
    browser.type_into("#f-title", "Proefdiscussie in de browser");
    browser.type_into("#f-body", "Werkt **dit** zonder script?");
    browser.click_to_navigate("form.form button[type='submit']");
    let thread = browser.current_url();
    assert!(thread.contains("/discussies/"), "{thread}");
    browser.type_into("#f-body", "Ja, een gewoon formulier.");
    browser.click_to_navigate(
        "#reageren ~ form button[type='submit'], .reply form button[type='submit']",
    );
    let text = browser.script("return document.querySelector('main').innerText;");
    assert!(
        text.as_str()
            .unwrap_or("")
            .contains("Ja, een gewoon formulier."),
        "{text}"
    );
    let thread_path = thread
        .trim_start_matches(&app.base_url)
        .split(['#', '?'])
        .next()
        .unwrap_or("")
        .to_owned();
    let post = browser
        .script("return document.querySelector('article.post').id.replace('bericht-', '');")
        .as_str()
        .unwrap_or("")
        .to_owned();
    let mut problems = Vec::new();
    for lang in ["nl", "en"] {
        for path in [
            "/discussies".to_owned(),
            thread_path.clone(),
            "/discussies/nieuw?over=project:1".to_owned(),
            format!("/berichten/{post}/bewerken"),
            format!("/berichten/{post}/melden"),
            format!("{thread_path}/verplaatsen"),
            "/meldingen".to_owned(),
            "/account/volgen".to_owned(),
            "/beheer/meldingen".to_owned(),
            "/mensen/browser-moderator".to_owned(),
            "/projecten/1".to_owned(),
        ] {
            let sep = if path.contains('?') { '&' } else { '?' };
            browser.goto(&format!("{}{path}{sep}lang={lang}", app.base_url));
            for violation in browser.accessibility_violations() {
                problems.push(format!("{path} [{lang}]: {violation}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "WCAG violations:\n{}",
        problems.join("\n")
    );
}
