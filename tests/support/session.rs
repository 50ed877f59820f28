//! A browser-like client for the account specifications: it keeps cookies, sends the
//! CSRF token the site's own pages put in their forms with every form, and reads the
//! mail the app wrote to its outbox.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use super::{poll, Response, TestApp};

/// The password every test account gets: long and uncommon enough for the rules.
pub const PASSWORD: &str = "paars olifantje fietst";

pub struct Session<'a> {
    pub app: &'a TestApp,
    cookies: RefCell<BTreeMap<String, String>>,
    /// The form token read from a page, with the session cookie it was read under.
    page_token: RefCell<Option<(String, String)>>,
}

impl<'a> Session<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Session {
            app,
            cookies: RefCell::new(BTreeMap::new()),
            page_token: RefCell::new(None),
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.borrow().get(name).cloned()
    }

    /// Plants a cookie, as an attacker or a second device might.
    pub fn set_cookie(&self, name: &str, value: &str) {
        self.cookies
            .borrow_mut()
            .insert(name.to_owned(), value.to_owned());
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .borrow()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn remember(&self, response: &Response) {
        for (name, value) in &response.headers {
            if !name.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let pair = value.split(';').next().unwrap_or("");
            let Some((k, v)) = pair.split_once('=') else {
                continue;
            };
            let expired = value.to_ascii_lowercase().contains("max-age=0");
            let mut cookies = self.cookies.borrow_mut();
            if expired || v.is_empty() {
                cookies.remove(k.trim());
            } else {
                cookies.insert(k.trim().to_owned(), v.trim().to_owned());
            }
        }
    }

    pub fn get(&self, path: &str) -> Response {
        let response = self
            .app
            .get_with(path, &[("Cookie", &self.cookie_header())]);
        self.remember(&response);
        response
    }

    /// The CSRF token the site's forms carry for this browser: while signed in, the
    /// session's own token, read from a page's sign-out form (once per session); else
    /// the token of the CSRF cookie (fetching a page first if needed).
    pub fn csrf(&self) -> String {
        if let Some(session) = self.cookie("stadsmaat_session") {
            if let Some((read_under, token)) = self.page_token.borrow().clone() {
                if read_under == session {
                    return token;
                }
            }
            // A session cookie that no longer works yields no form token and is dropped.
            if let Some(token) = form_token(&self.get("/").body) {
                *self.page_token.borrow_mut() = Some((session, token.clone()));
                return token;
            }
        }
        if self.cookie("stadsmaat_csrf").is_none() {
            self.get("/");
        }
        self.cookie("stadsmaat_csrf")
            .expect("the site sets a CSRF cookie")
    }

    /// Posts a form the way the site's own page would: with this browser's CSRF token.
    pub fn post(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let csrf = self.csrf();
        let mut all: Vec<(&str, &str)> = vec![("csrf", &csrf)];
        all.extend_from_slice(fields);
        self.post_raw(path, &all, &[])
    }

    /// Posts exactly `fields` with extra `headers`: for forged requests.
    pub fn post_raw(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Response {
        let body = serde_urlencoded::to_string(fields).expect("form encoding");
        self.post_body(path, body, headers)
    }

    /// Posts `body` as it is (urlencoded unless `headers` say otherwise): for bodies no
    /// browser would send.
    pub fn post_body(&self, path: &str, body: String, headers: &[(&str, &str)]) -> Response {
        let mut req = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .new_agent()
            .post(&format!("{}{path}", self.app.base_url))
            .header("Cookie", &self.cookie_header());
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        {
            req = req.header("Content-Type", "application/x-www-form-urlencoded");
        }
        let origin_given = headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("origin"));
        if !origin_given {
            req = req.header("Origin", &self.app.base_url);
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let mut res = req
            .send(body)
            .unwrap_or_else(|e| panic!("POST {path}: no answer: {e}"));
        let response = super::read_response(&mut res, path);
        self.remember(&response);
        response
    }

    /// Posts a `multipart/form-data` form, as a browser sends one with a file field:
    /// this browser's CSRF token, `fields`, and `file` as (field, file name, content).
    pub fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &str, &[u8])>,
    ) -> Response {
        let boundary = "----stadsmaat-test-boundary-7MA4YWxkTrZu0gW";
        let mut body: Vec<u8> = Vec::new();
        let csrf = self.csrf();
        let mut all: Vec<(&str, &str)> = vec![("csrf", &csrf)];
        all.extend_from_slice(fields);
        for (name, value) in all {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        if let Some((field, file_name, content)) = file {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(content);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        self.post_bytes(
            path,
            body,
            &format!("multipart/form-data; boundary={boundary}"),
        )
    }

    fn post_bytes(&self, path: &str, body: Vec<u8>, content_type: &str) -> Response {
        let mut res = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .new_agent()
            .post(&format!("{}{path}", self.app.base_url))
            .header("Cookie", &self.cookie_header())
            .header("Origin", &self.app.base_url)
            .header("Content-Type", content_type)
            .send(&body[..])
            .unwrap_or_else(|e| panic!("POST {path}: no answer: {e}"));
        let response = super::read_response(&mut res, path);
        self.remember(&response);
        response
    }

    /// Signs in and asserts it worked.
    pub fn login(&self, email: &str) {
        let res = self.post("/inloggen", &[("email", email), ("password", PASSWORD)]);
        assert_eq!(res.status, 303, "login of {email} failed: {}", res.body);
    }

    pub fn is_signed_in(&self) -> bool {
        self.get("/account").status == 200
    }
}

/// The value of the first hidden `csrf` field of a page.
fn form_token(page: &str) -> Option<String> {
    let marker = "name=\"csrf\" value=\"";
    let start = page.find(marker)? + marker.len();
    let end = page[start..].find('"')?;
    Some(page[start..start + end].to_owned())
}

/// A message from the outbox.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl Mail {
    /// The first link to the app in the body, as a path (`/account/bevestigen/…`).
    pub fn link(&self, base_url: &str) -> String {
        let start = self
            .body
            .find(base_url)
            .unwrap_or_else(|| panic!("no link in mail: {}", self.body));
        let rest = &self.body[start + base_url.len()..];
        rest.split_whitespace().next().unwrap_or("").to_owned()
    }
}

impl TestApp {
    /// Every message written to the outbox so far, oldest first, read with the app's
    /// own outbox reader (the one the administration pages use).
    pub fn outbox(&self) -> Vec<Mail> {
        let mut mails: Vec<Mail> =
            stadsmaat::mail::outbox(&self.data_dir().join("outbox"), usize::MAX)
                .into_iter()
                .map(|m| Mail {
                    to: m.to,
                    subject: m.subject,
                    body: m.body,
                })
                .collect();
        mails.reverse();
        mails
    }

    /// Waits (bounded) for the `n`th message to `to` and returns it.
    pub fn wait_for_mail(&self, to: &str, n: usize) -> Mail {
        poll(
            Duration::from_secs(15),
            || format!("no mail #{n} to {to}; outbox: {:?}", self.outbox()),
            || self.mails_to(to).into_iter().nth(n - 1),
        )
    }

    pub fn mails_to(&self, to: &str) -> Vec<Mail> {
        self.outbox().into_iter().filter(|m| m.to == to).collect()
    }

    /// `stadsmaat user create`, with the test password on standard input.
    pub fn user_create(&self, args: &[&str], password: &str) -> std::process::Output {
        let mut child = self
            .command()
            .args(["user", "create", "--password-stdin"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("user create");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{password}\n").as_bytes())
            .expect("write password");
        child.wait_with_output().expect("user create output")
    }

    /// A verified user made on the command line; `admin` makes an administrator.
    pub fn create_user(&self, email: &str, admin: bool) {
        let mut args = vec!["--email", email];
        if admin {
            args.push("--admin");
        }
        let out = self.user_create(&args, PASSWORD);
        assert!(
            out.status.success(),
            "user create {email}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Registers an account for `email` in a fresh browser; the app queues one message to it
/// (the confirmation link).
pub fn register(app: &TestApp, email: &str) {
    let res = Session::new(app).post(
        "/registreren",
        &[
            ("name", "Post Bode"),
            ("email", email),
            ("password", PASSWORD),
            ("password_again", PASSWORD),
        ],
    );
    assert!(res.status < 400, "{}", res.body);
}
