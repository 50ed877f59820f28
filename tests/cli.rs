//! The command line: start-up on an empty data directory, restarts, `import`,
//! `user create`, and the SQLite durability setting.

use std::io::Write;

use serde_json::Value;

use crate::specs;
use crate::support::session::{Session, PASSWORD};
use crate::support::{Backend, TestApp};

specs! {
    fresh:
        serve_keeps_the_sqlite_database_in_the_data_dir,
        restart_imports_nothing_twice,
        import_updates_projects_by_source_ref_without_duplicates,
        import_refuses_a_file_that_is_not_an_inventory,
        import_with_a_failing_row_leaves_nothing_behind,
        first_serve_explains_how_to_create_an_administrator,
        user_create_makes_a_verified_administrator,
        user_create_refuses_weak_passwords_and_taken_addresses,
        user_create_places_people_in_cities_even_before_the_first_serve;
    plain:
        sqlite_sync_is_full_or_normal;
}

fn shipped_inventory() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/g40-2020.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("inventory")).expect("JSON")
}

fn write_json(app: &TestApp, name: &str, value: &Value) -> std::path::PathBuf {
    let path = app.data_dir().join(name);
    let mut file = std::fs::File::create(&path).expect("file");
    file.write_all(value.to_string().as_bytes()).expect("write");
    path
}

fn run_import(app: &TestApp, file: &std::path::Path) -> std::process::Output {
    app.command()
        .arg("import")
        .arg(file)
        .output()
        .expect("run import")
}

fn total_projects(app: &TestApp) -> i64 {
    app.get_json("/api/v1/projects?per_page=1").1["total"]
        .as_i64()
        .expect("total")
}

fn serve_keeps_the_sqlite_database_in_the_data_dir(app: &mut TestApp) {
    if app.backend == Backend::Sqlite {
        assert!(app.data_dir().join("stadsmaat.sqlite3").is_file());
    }
    assert!(
        app.log().contains("imported the G40 inventory"),
        "{}",
        app.log()
    );
}

fn restart_imports_nothing_twice(app: &mut TestApp) {
    let before = total_projects(app);
    let (_, first) = app.get_json("/api/v1/projects?source_ref=6.3");
    app.restart();
    assert_eq!(total_projects(app), before);
    let (_, again) = app.get_json("/api/v1/projects?source_ref=6.3");
    assert_eq!(first["results"][0]["id"], again["results"][0]["id"]);
    assert!(
        app.log().contains("inventory already loaded"),
        "{}",
        app.log()
    );
}

fn import_updates_projects_by_source_ref_without_duplicates(app: &mut TestApp) {
    let before = total_projects(app);
    let mut inventory = shipped_inventory();
    let projects = inventory["projects"].as_array_mut().expect("projects");
    let talking_traffic = projects
        .iter_mut()
        .find(|p| p["source_ref"] == "6.3")
        .expect("6.3");
    talking_traffic["title"] = "Talking Traffic (stadsbreed)".into();
    talking_traffic["stage"] = "scaled".into();
    let mut extra = talking_traffic.clone();
    extra["source_ref"] = "6.99".into();
    extra["title"] = "Slimme fietsverlichting".into();
    projects.push(extra);
    let file = write_json(app, "refresh.json", &inventory);

    let output = run_import(app, &file);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("1 projects created, 1 updated"), "{stdout}");

    assert_eq!(total_projects(app), before + 1);
    let (_, body) = app.get_json("/api/v1/projects?source_ref=6.3");
    assert_eq!(body["results"][0]["title"], "Talking Traffic (stadsbreed)");
    assert_eq!(body["total"], 1);

    // The same file again changes nothing.
    let output = run_import(app, &file);
    assert!(String::from_utf8_lossy(&output.stdout).contains("0 projects created, 0 updated"));
    assert_eq!(total_projects(app), before + 1);
}

fn import_refuses_a_file_that_is_not_an_inventory(app: &mut TestApp) {
    let before = total_projects(app);
    let file = write_json(app, "wrong.json", &serde_json::json!({"hello": "world"}));
    let output = run_import(app, &file);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("not an inventory file"));

    let mut inventory = shipped_inventory();
    inventory["projects"][3]["city"] = "atlantis".into();
    let file = write_json(app, "bad-city.json", &inventory);
    let output = run_import(app, &file);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown city \"atlantis\""));

    let missing = app.data_dir().join("missing.json");
    assert!(!run_import(app, &missing).status.success());
    assert_eq!(total_projects(app), before);
}

/// A row the database refuses half-way (a theme missing from the file's theme list on
/// an empty database) rolls back everything the import had written before it.
fn import_with_a_failing_row_leaves_nothing_behind(app: &mut TestApp) {
    app.stop();
    app.wipe_database();
    let mut inventory = shipped_inventory();
    inventory["themes"] = serde_json::json!([inventory["themes"][0].clone()]);
    inventory["cities"][0]["name"] = "Testdorp".into();
    let file = write_json(app, "partial.json", &inventory);
    let output = run_import(app, &file);
    assert!(!output.status.success(), "the import must fail");

    app.restart(); // loads the shipped inventory, as the failed import left nothing
    let (_, cities) = app.get_json("/api/v1/cities");
    let names: Vec<&str> = cities["results"]
        .as_array()
        .expect("cities")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names.len(), 40);
    assert!(!names.contains(&"Testdorp"), "rolled back");
}

fn first_serve_explains_how_to_create_an_administrator(app: &mut TestApp) {
    let hint = "stadsmaat user create --email";
    assert!(app.log().contains(hint), "{}", app.log());
    app.create_user("eerste@stadsmaat.test", true);
    app.restart();
    assert!(
        !app.log().contains(hint),
        "no hint once an administrator exists"
    );
}

fn user_create_makes_a_verified_administrator(app: &mut TestApp) {
    let out = app.user_create(
        &[
            "--email",
            "Beheer@Gemeente.nl",
            "--admin",
            "--name",
            "Beheer",
        ],
        PASSWORD,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created user beheer@gemeente.nl"));
    let session = Session::new(app);
    session.login("beheer@gemeente.nl");
    assert_eq!(session.get("/beheer").status, 200);
}

fn user_create_refuses_weak_passwords_and_taken_addresses(app: &mut TestApp) {
    let weak = app.user_create(&["--email", "zwak@example.nl"], "welkom01");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("password refused"));
    app.create_user("dubbel@example.nl", false);
    let taken = app.user_create(&["--email", "dubbel@example.nl"], PASSWORD);
    assert!(!taken.status.success());
    assert!(String::from_utf8_lossy(&taken.stderr).contains("already exists"));
    let bad = app.user_create(&["--email", "geen adres"], PASSWORD);
    assert!(!bad.status.success());
    let no_stdin_flag = app
        .command()
        .args(["user", "create", "--email", "x@example.nl"])
        .output()
        .expect("run");
    assert!(
        !no_stdin_flag.status.success(),
        "the password never goes on the command line"
    );
}

/// `--city`, `--editor` and `--moderator`, on an empty data directory where no `serve`
/// has loaded the inventory yet.
fn user_create_places_people_in_cities_even_before_the_first_serve(app: &mut TestApp) {
    app.stop();
    app.wipe_database();
    let out = app.user_create(
        &[
            "--email",
            "redactie@apeldoorn.nl",
            "--city",
            "apeldoorn",
            "--editor",
        ],
        PASSWORD,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("editor of Apeldoorn"));
    let out = app.user_create(&["--email", "mod@g40.nl", "--moderator"], PASSWORD);
    assert!(String::from_utf8_lossy(&out.stdout).contains("as moderator"));
    let out = app.user_create(&["--email", "x@g40.nl", "--city", "atlantis"], PASSWORD);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("atlantis"));
    let out = app.user_create(&["--email", "y@g40.nl", "--editor"], PASSWORD);
    assert!(!out.status.success(), "--editor needs --city");
    app.restart();
    let editor = Session::new(app);
    editor.login("redactie@apeldoorn.nl");
    assert_eq!(
        editor.get("/steden/apeldoorn/aanvragen").status,
        200,
        "decides Apeldoorn's requests"
    );
    let moderator = Session::new(app);
    moderator.login("mod@g40.nl");
    assert_eq!(moderator.get("/beheer/meldingen").status, 200);
    let (_, projects) = app.get_json("/api/v1/projects?per_page=1");
    assert_eq!(projects["total"], 434, "the inventory was loaded once");
}

/// `STADSMAAT_SQLITE_SYNC` (and `--sqlite-sync`) take `full` or `normal`; a typo is
/// refused before anything opens, naming the choices.
fn sqlite_sync_is_full_or_normal() {
    let dir = crate::support::empty_dir("stadsmaat-sync-");
    let run = |value: &str| {
        std::process::Command::new(crate::support::binary())
            .env_remove("DATABASE_URL")
            .env("STADSMAAT_SQLITE_SYNC", value)
            .args(["reindex", "--data-dir"])
            .arg(dir.path())
            .output()
            .expect("run")
    };
    let refused = run("fast");
    assert!(!refused.status.success());
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(why.contains("expected full or normal"), "{why}");
    assert!(
        std::fs::read_dir(dir.path()).expect("dir").next().is_none(),
        "nothing opened"
    );
    for value in ["normal", "full", "FULL"] {
        let out = run(value);
        assert!(
            out.status.success(),
            "{value}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
