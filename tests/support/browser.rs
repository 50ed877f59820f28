//! A real headless Chromium, driven through chromedriver's W3C WebDriver protocol (plain
//! JSON over loopback HTTP), and axe-core for automated WCAG 2.1 AA checks.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use super::poll;

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// What a browser run needs, found on this machine; `Err` says what is missing.
pub struct BrowserTools {
    chromium: PathBuf,
    chromedriver: PathBuf,
    axe_js: PathBuf,
}

fn find(env: &str, candidates: &[&str]) -> Option<PathBuf> {
    std::env::var_os(env)
        .map(PathBuf::from)
        .into_iter()
        .chain(candidates.iter().map(PathBuf::from))
        .find(|p| p.is_file())
}

impl BrowserTools {
    pub fn locate() -> Result<BrowserTools, String> {
        let axe_default = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/target/axe/node_modules/axe-core/axe.min.js"
        );
        Ok(BrowserTools {
            chromium: find("STADSMAAT_TEST_CHROMIUM", &["/usr/bin/chromium"])
                .ok_or("chromium not found (apt install chromium)")?,
            chromedriver: find("STADSMAAT_TEST_CHROMEDRIVER", &["/usr/bin/chromedriver"])
                .ok_or("chromedriver not found (apt install chromium-driver)")?,
            axe_js: find("STADSMAAT_TEST_AXE", &[axe_default])
                .ok_or("axe-core not found (npm install --prefix target/axe axe-core)")?,
        })
    }
}

/// One browser session, closed (and chromedriver stopped) on drop.
pub struct Browser {
    driver: Child,
    endpoint: String,
    session: String,
    axe_source: String,
    _profile: tempfile::TempDir,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

fn read(mut res: ureq::http::Response<ureq::Body>) -> Value {
    let mut body = String::new();
    let _ = res.body_mut().as_reader().read_to_string(&mut body);
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

impl Browser {
    pub fn start(tools: &BrowserTools) -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("port")
            .port();
        let driver = Command::new(&tools.chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let endpoint = format!("http://127.0.0.1:{port}");
        poll(
            Duration::from_secs(20),
            || "chromedriver did not start".to_owned(),
            || agent().get(&format!("{endpoint}/status")).call().ok(),
        );
        let profile = tempfile::tempdir().expect("profile dir");
        let args = [
            "--headless".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--window-size=1280,900".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": tools.chromium, "args": args}
        }}});
        let mut browser = Browser {
            driver,
            endpoint,
            session: String::new(),
            axe_source: std::fs::read_to_string(&tools.axe_js).expect("axe-core"),
            _profile: profile,
        };
        let created = browser.post("/session", capabilities);
        browser.session = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {created}"))
            .to_owned();
        browser.post_session("/timeouts", json!({"script": 60_000, "pageLoad": 30_000}));
        browser
    }

    fn post(&self, path: &str, body: Value) -> Value {
        self.try_post(path, body)
            .unwrap_or_else(|error| panic!("WebDriver {path}: {error}"))
    }

    /// A WebDriver command whose error is the caller's to judge.
    fn try_post(&self, path: &str, body: Value) -> Result<Value, String> {
        let res = agent()
            .post(&format!("{}{path}", self.endpoint))
            .header("content-type", "application/json")
            .send(body.to_string())
            .map_err(|e| e.to_string())?;
        let value = read(res)["value"].clone();
        match value.get("error") {
            Some(error) => Err(format!("{error}: {}", value["message"])),
            None => Ok(value),
        }
    }

    fn post_session(&self, path: &str, body: Value) -> Value {
        self.post(&format!("/session/{}{path}", self.session), body)
    }

    pub fn goto(&self, url: &str) {
        self.post_session("/url", json!({"url": url}));
    }

    pub fn current_url(&self) -> String {
        let res = agent()
            .get(&format!("{}/session/{}/url", self.endpoint, self.session))
            .call()
            .expect("url");
        read(res)["value"].as_str().unwrap_or("").to_owned()
    }

    /// Sets the window's size in CSS pixels (headless: the viewport's).
    pub fn resize(&self, width: u32, height: u32) {
        self.post_session("/window/rect", json!({"width": width, "height": height}));
    }

    /// How much wider than the viewport the page's document is, in CSS pixels (0: none),
    /// and the widest elements that stick out, for the message.
    pub fn overflow(&self) -> Value {
        self.script(
            "const w = document.documentElement.clientWidth; \
             const out = [...document.querySelectorAll('body *')] \
               .filter(e => e.getBoundingClientRect().right > w + 1 \
                 && !e.closest('.table-scroll, .map-scroll, pre')) \
               .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')); \
             return {excess: document.documentElement.scrollWidth - w, out};",
        )
    }

    /// A PNG of the viewport, written to `path`.
    pub fn screenshot(&self, path: &std::path::Path) {
        use base64::Engine;
        let res = agent()
            .get(&format!(
                "{}/session/{}/screenshot",
                self.endpoint, self.session
            ))
            .call()
            .expect("screenshot");
        let data = read(res)["value"].as_str().unwrap_or("").to_owned();
        if let Ok(png) = base64::engine::general_purpose::STANDARD.decode(data) {
            let _ = std::fs::write(path, png);
        }
    }

    pub fn script(&self, script: &str) -> Value {
        self.post_session("/execute/sync", json!({"script": script, "args": []}))
    }

    fn element(&self, css: &str) -> String {
        let element = self.post_session("/element", json!({"using": "css selector", "value": css}));
        element[ELEMENT_KEY]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}"))
            .to_owned()
    }

    pub fn click(&self, css: &str) {
        let id = self.element(css);
        self.post_session(&format!("/element/{id}/click"), json!({}));
    }

    /// Clicks a link or submit button and waits until the next page has loaded. A
    /// WebDriver click returns once the click is dispatched, which for a form post can be
    /// before the browser has left the old page; a marker on the old window tells them apart.
    pub fn click_to_navigate(&self, css: &str) {
        self.script("window.__stadsmaatOldPage = true;");
        self.click(css);
        poll(
            Duration::from_secs(10),
            || format!("clicking {css} did not load a new page"),
            || {
                // While the pages swap, a script may fail; that only means "not yet".
                let loaded = self.try_post(
                    &format!("/session/{}/execute/sync", self.session),
                    json!({"script": "return window.__stadsmaatOldPage === undefined \
                                      && document.readyState === 'complete';", "args": []}),
                );
                (loaded == Ok(Value::Bool(true))).then_some(())
            },
        );
    }

    /// Types `text` into the element, key by key, as a user would.
    pub fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css);
        self.post_session(&format!("/element/{id}/value"), json!({"text": text}));
    }

    /// Runs axe-core on the current page for WCAG 2.1 A and AA rules; returns one line
    /// per violation (rule, impact, first offending element).
    pub fn accessibility_violations(&self) -> Vec<String> {
        let script = format!(
            "{}\nconst done = arguments[arguments.length - 1];\n\
             axe.run(document, {{runOnly: {{type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}}})\n\
               .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + (v.nodes[0] ? v.nodes[0].target.join(' ') : ''))))\n\
               .catch(e => done(['axe failed: ' + e]));",
            self.axe_source
        );
        let value = self.post_session("/execute/async", json!({"script": script, "args": []}));
        value
            .as_array()
            .map(|v| {
                v.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_else(|| vec![format!("unexpected axe result {value}")])
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = agent()
                .delete(&format!("{}/session/{}", self.endpoint, self.session))
                .call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
