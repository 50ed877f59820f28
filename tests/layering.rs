//! The shared core imports no domain area: `web`, `db`, `auth`, `jobs`, the change log,
//! backups, errors, configuration, text helpers and uploads sit below cities, projects,
//! search, matchmaking, accounts, mail and the areas still to come. An area may use the core and
//! other areas; the core only itself. (`app.rs`, the composition root, sits above all.)

use std::path::{Path, PathBuf};

use crate::specs;

specs![
    plain: the_core_imports_no_domain_area, every_area_of_the_crate_is_classified
];

/// The core: directories and single files under `src/`.
const CORE: &[&str] = &[
    "web",
    "db",
    "auth",
    "backup",
    "jobs",
    "changes",
    "revisions",
    "error",
    "config",
    "text",
    "uploads",
    "visits",
];
/// Everything above the core, which it may never name.
const AREAS: &[&str] = &[
    "accounts",
    "cities",
    "projects",
    "themes",
    "overview",
    "inventory",
    "search",
    "matchmaking",
    "mail",
    "forum",
    "follows",
    "pools",
    "notifications",
    "digest",
    "solutions",
];
/// The composition root and the crate map, above everything.
const ROOT: &[&str] = &["app", "lib", "main"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).expect("read src").flatten() {
            rust_files(&entry.path(), out);
        }
    } else if path.is_file() && path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_owned());
    }
}

fn identifier(text: &str) -> String {
    text.trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// The module names after `crate::` in a file: every `use crate::x`, every inline path,
/// and each top-level name of a `use crate::{a, b::c}` group.
fn crate_paths(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (at, m) in text.match_indices("crate::") {
        let rest = &text[at + m.len()..];
        let Some(group) = rest.strip_prefix('{') else {
            names.push(identifier(rest));
            continue;
        };
        let mut depth = 0;
        let mut item_start = true;
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => item_start = true,
                c if item_start && !c.is_whitespace() => {
                    names.push(identifier(&group[i..]));
                    item_start = false;
                }
                _ => {}
            }
        }
    }
    names
}

fn the_core_imports_no_domain_area() {
    let mut offences = Vec::new();
    for part in CORE {
        let mut files = Vec::new();
        rust_files(&src().join(part), &mut files);
        rust_files(&src().join(format!("{part}.rs")), &mut files);
        assert!(!files.is_empty(), "core part src/{part} not found");
        for file in files {
            let text = std::fs::read_to_string(&file).expect("read");
            for name in crate_paths(&text) {
                if AREAS.contains(&name.as_str()) {
                    offences.push(format!("{} names crate::{name}", file.display()));
                }
            }
        }
    }
    assert!(
        offences.is_empty(),
        "the core must not depend on a domain area:\n{}",
        offences.join("\n")
    );
}

/// A new top-level module must be placed on one side of the line, or the test above
/// would silently not look at it.
fn every_area_of_the_crate_is_classified() {
    for entry in std::fs::read_dir(src()).expect("read src").flatten() {
        let name = entry
            .file_name()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        assert!(
            CORE.contains(&name.as_str())
                || AREAS.contains(&name.as_str())
                || ROOT.contains(&name.as_str()),
            "src/{name} is neither core nor area: add it to tests/layering.rs"
        );
    }
}
