//! One language per page: every page, public and signed in, rendered in Dutch and in
//! English, shows no catalog key and no text of the other language's catalog or thesaurus
//! labels, except inside an element marked with that language (`lang="nl"` around the
//! report's text on an English page).

use std::collections::BTreeMap;

use crate::pages::catalog;
use crate::specs;
use crate::support::fixtures::{project_by_ref, signed_in};
use crate::support::TestApp;

specs![
    shared:
        every_page_speaks_the_language_it_is_asked_in;
];

/// Pages anyone sees; `{p}` stands for a project's page address.
const PUBLIC: &[&str] = &[
    "/",
    "/steden",
    "/steden/apeldoorn",
    "/projecten",
    "/projecten?currency=stale",
    "{p}",
    "{p}/geschiedenis",
    "/themas",
    "/themas/mobility",
    "/wie-doet-wat",
    "/oplossingen",
    "/oplossingen/lora",
    "/netwerk",
    "/netwerk?stad=apeldoorn",
    "/over",
    "/zoeken?q=parkeren",
    "/zoeken?q=fiets&theme=mobility",
    "/zoeken?q=qqqzzzxx",
    "/discussies",
    "/expertisepools",
    "/toolkits",
    "/inloggen",
    "/registreren",
    "/bestaat-niet",
    "/steden/atlantis",
];

/// Pages of a signed-in administrator (who sees every editor's form too).
const SIGNED_IN: &[&str] = &[
    "/account",
    "/account/lidmaatschap",
    "/steden/apeldoorn/actualiteit",
    "{p}/bewerken",
    "{p}/archiveren",
    "/projecten/nieuw",
    "/beheer/gebruikers",
    "/beheer/suggesties",
    "/meldingen",
];

fn every_page_speaks_the_language_it_is_asked_in(app: &TestApp) {
    let project = project_by_ref(app, "6.3")["url"]
        .as_str()
        .expect("url")
        .to_owned();
    let admin = signed_in(app, "talen@stadsmaat.test", true);
    let catalogs = [("nl", catalog("nl")), ("en", catalog("en"))];
    let mut problems = Vec::new();
    for (lang, own) in &catalogs {
        let (other_lang, other) = catalogs
            .iter()
            .find(|(l, _)| l != lang)
            .expect("two catalogs");
        let foreign = foreign_phrases(own, other, other_lang);
        for (signed, path) in PUBLIC
            .iter()
            .map(|p| (false, p))
            .chain(SIGNED_IN.iter().map(|p| (true, p)))
        {
            let path = path.replace("{p}", &project);
            let sep = if path.contains('?') { '&' } else { '?' };
            let url = format!("{path}{sep}lang={lang}");
            let html = if signed {
                admin.get(&url).body
            } else {
                app.get(&url).1
            };
            let text = text_in_language(&html, lang);
            assert!(text.len() > 100, "{url}: no text read from\n{html}");
            for key in own.keys() {
                if contains_word(&text, key) {
                    problems.push(format!("{url}: catalog key {key}"));
                }
            }
            for phrase in &foreign {
                if text.contains(phrase.as_str()) {
                    problems.push(format!("{url}: {other_lang} text {phrase:?}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Phrases only the other language uses: the literal parts (between `{placeholders}`) of
/// its catalog values and, for English pages, the Dutch thesaurus labels, long enough to
/// be a language's own and appearing nowhere in this language's catalog or labels. (Dutch
/// pages may use English loanwords, "real-time data", as the report does.)
fn foreign_phrases(
    own: &BTreeMap<String, String>,
    other: &BTreeMap<String, String>,
    other_lang: &str,
) -> Vec<String> {
    let (own_labels, other_labels) = thesaurus_labels(other_lang);
    let own_text: Vec<&str> = own
        .values()
        .map(String::as_str)
        .chain(own_labels.iter().map(String::as_str))
        .collect();
    let mut phrases: Vec<String> = other
        .values()
        .flat_map(|v| literal_parts(v))
        .filter(|p| p.chars().count() >= 14)
        .chain(
            other_labels
                .into_iter()
                .filter(|l| other_lang == "nl" && l.chars().count() >= 12),
        )
        .filter(|p| !own_text.iter().any(|o| o.contains(p.as_str())))
        .collect();
    phrases.sort();
    phrases.dedup();
    phrases
}

/// The thesaurus labels: (this language's, the other's) for `other_lang`.
fn thesaurus_labels(other_lang: &str) -> (Vec<String>, Vec<String>) {
    let tsv = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/thesaurus.tsv"))
        .expect("thesaurus");
    let (mut nl, mut en) = (Vec::new(), Vec::new());
    for line in tsv.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        if let [_, _, label_nl, label_en, ..] = fields[..] {
            if label_nl != label_en {
                nl.push(label_nl.to_owned());
                en.push(label_en.to_owned());
            }
        }
    }
    if other_lang == "nl" {
        (en, nl)
    } else {
        (nl, en)
    }
}

fn literal_parts(value: &str) -> Vec<String> {
    value
        .split(['{', '}'])
        .step_by(2)
        .map(|p| p.trim().to_owned())
        .collect()
}

fn contains_word(text: &str, word: &str) -> bool {
    let part = |c: char| c.is_alphanumeric() || c == '_' || c == '.';
    text.match_indices(word)
        .any(|(at, _)| !text[..at].ends_with(part) && !text[at + word.len()..].starts_with(part))
}

/// What a reader of `lang` reads: the text and the labelling attributes of the page,
/// leaving out scripts, styles, form fields' contents and elements marked with another
/// language.
fn text_in_language(html: &str, lang: &str) -> String {
    const VOID: [&str; 8] = ["br", "img", "input", "meta", "link", "hr", "source", "wbr"];
    const READ: [&str; 4] = ["aria-label", "title", "placeholder", "alt"];
    let mut text = String::new();
    // Open elements: (name, marked with another language).
    let mut open: Vec<(String, bool)> = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let foreign = open.iter().any(|(_, f)| *f);
        if !foreign {
            text.push_str(&decode(&rest[..start]));
        }
        rest = &rest[start..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.split_once("-->").map_or("", |(_, r)| r);
            continue;
        }
        let Some(end) = rest.find('>') else { break };
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim().to_ascii_lowercase();
            if let Some(at) = open.iter().rposition(|(n, _)| *n == name) {
                open.truncate(at);
            }
            continue;
        }
        let name: String = tag
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if name.starts_with('!') {
            continue;
        }
        // Form fields hold the user's data, in whatever language it was written.
        if name == "script" || name == "style" || name == "textarea" {
            let close = format!("</{name}>");
            rest = rest.split_once(close.as_str()).map_or("", |(_, r)| r);
            continue;
        }
        let marked = attribute(tag, "lang").is_some_and(|l| l != lang);
        let hidden_input = name == "input"
            && attribute(tag, "type").is_some_and(|t| t == "hidden" || t == "password");
        if !foreign && !marked && !hidden_input {
            for attr in READ {
                if let Some(value) = attribute(tag, attr) {
                    text.push(' ');
                    text.push_str(&decode(value));
                    text.push(' ');
                }
            }
        }
        if !VOID.contains(&name.as_str()) && !tag.ends_with('/') {
            open.push((name, marked));
        }
    }
    text
}

/// The value of a double-quoted attribute of a start tag.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let needle = format!(" {name}=\"");
    let at = tag.find(&needle)? + needle.len();
    tag[at..].split('"').next()
}

fn decode(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}
