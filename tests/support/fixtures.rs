//! Fixtures the specifications share: signed-in users, projects by report number, and
//! the project edit form as a browser would fill it in.

use serde_json::Value;

use super::session::Session;
use super::TestApp;

/// Creates a project through the form, as a signed-in member or editor; its id.
pub fn create_project(session: &Session, fields: &[(&str, &str)]) -> i64 {
    let res = session.post("/projecten/nieuw", fields);
    assert_eq!(res.status, 303, "{}", res.body);
    res.header("location")
        .and_then(|l| l.strip_prefix("/projecten/"))
        .and_then(|id| id.parse().ok())
        .expect("redirect to the new project")
}

/// A signed-in user made on the command line; `admin` makes an administrator.
pub fn signed_in<'a>(app: &'a TestApp, email: &str, admin: bool) -> Session<'a> {
    app.create_user(email, admin);
    let session = Session::new(app);
    session.login(email);
    session
}

/// A signed-in user with `user create` flags (`--city apeldoorn --editor`, say).
pub fn signed_in_as<'a>(app: &'a TestApp, email: &str, flags: &[&str]) -> Session<'a> {
    let mut args = vec!["--email", email];
    args.extend_from_slice(flags);
    let out = app.user_create(&args, super::session::PASSWORD);
    assert!(
        out.status.success(),
        "user create {email}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let session = Session::new(app);
    session.login(email);
    session
}

pub fn project_by_ref(app: &TestApp, source_ref: &str) -> Value {
    let (status, body) = app.get_json(&format!("/api/v1/projects?source_ref={source_ref}"));
    assert_eq!(status, 200);
    body["results"][0].clone()
}

/// The ids of project `id`'s comparable pilots as the API lists them, best first.
pub fn similar_ids(app: &TestApp, id: i64, limit: usize) -> Vec<i64> {
    let (status, body) = app.get_json(&format!("/api/v1/projects/{id}/similar?limit={limit}"));
    assert_eq!(status, 200, "{body}");
    body["results"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|s| s["project"]["id"].as_i64())
                .collect()
        })
        .unwrap_or_default()
}

pub fn project(app: &TestApp, id: i64) -> Value {
    let (status, body) = app.get_json(&format!("/api/v1/projects/{id}"));
    assert_eq!(status, 200, "{body}");
    body
}

/// The fields of a project's edit form, as the page fills them.
pub fn edit_fields(session: &Session, id: i64) -> Vec<(String, String)> {
    let page = session.get(&format!("/projecten/{id}/bewerken"));
    assert_eq!(page.status, 200, "{}", page.body);
    let mut fields = Vec::new();
    fields.push(("version".to_owned(), version_in(&page.body)));
    let p = project(session.app, id);
    for key in ["title", "description", "theme", "stage", "lessons"] {
        fields.push((key.to_owned(), p[key].as_str().unwrap_or("").to_owned()));
    }
    fields
}

/// The version an edit form was made from.
pub fn version_in(form: &str) -> String {
    form.split("name=\"version\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("version field")
        .to_owned()
}

pub fn with(fields: &[(String, String)], changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = fields
        .iter()
        .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
        .cloned()
        .collect();
    out.extend(changes.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    out
}

pub fn post_fields(session: &Session, path: &str, fields: &[(String, String)]) -> super::Response {
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    session.post(path, &borrowed)
}
