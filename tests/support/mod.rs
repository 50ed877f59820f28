//! Test support: starts the real `stadsmaat` binary on a temporary data directory and
//! a free loopback port, on SQLite or on a throw-away PostgreSQL schema, and talks HTTP
//! to it.

pub mod browser;
pub mod fixtures;
pub mod session;
pub mod smtp;

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use serde_json::Value;
use tempfile::TempDir;

/// Polls `check` until it gives a value. After `limit` the test fails with `what`, built
/// only then so that it can describe the last state. Every wait in the suite goes through
/// here, so none is unbounded.
pub fn poll<T>(
    limit: Duration,
    what: impl FnOnce() -> String,
    mut check: impl FnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check() {
            return value;
        }
        if Instant::now() >= deadline {
            panic!("{} (gave up after {limit:?})", what());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits (at most 15 s) until `check` holds.
pub fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    poll(
        Duration::from_secs(15),
        || format!("never happened: {what}"),
        || check().then_some(()),
    )
}

/// The environment variable naming a PostgreSQL database the suite may use. Each app
/// gets its own schema in it, dropped afterwards.
pub const POSTGRES_ENV: &str = "STADSMAAT_TEST_POSTGRES_URL";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Where PostgreSQL tests go, if anywhere: `Err` says why they are skipped.
pub fn postgres_url() -> Result<String, String> {
    let url = std::env::var(POSTGRES_ENV).map_err(|_| format!("{POSTGRES_ENV} is not set"))?;
    PgConnection::establish(&url)
        .map(|_| url.clone())
        .map_err(|e| format!("cannot connect to {POSTGRES_ENV}: {e}"))
}

/// A PostgreSQL schema of its own for one app, dropped when the app is dropped.
struct PgSchema {
    base_url: String,
    name: String,
}

impl PgSchema {
    fn create(base_url: &str) -> Self {
        let name = format!(
            "t_{}_{}",
            std::process::id(),
            NEXT_SCHEMA.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let mut conn = PgConnection::establish(base_url).expect("connect to test PostgreSQL");
        conn.batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name};"
        ))
        .expect("create test schema");
        PgSchema {
            base_url: base_url.to_owned(),
            name,
        }
    }

    /// The base URL with the schema as search path, so all the app's tables land in it.
    fn url(&self) -> String {
        let sep = if self.base_url.contains('?') {
            '&'
        } else {
            '?'
        };
        format!(
            "{}{sep}options=-csearch_path%3D{}",
            self.base_url, self.name
        )
    }
}

static NEXT_SCHEMA: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.base_url) {
            let _ = conn.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

/// A running `stadsmaat serve`, killed when dropped.
pub struct TestApp {
    pub backend: Backend,
    pub base_url: String,
    child: Option<Child>,
    data_dir: TempDir,
    pg_schema: Option<PgSchema>,
    log_path: std::path::PathBuf,
    /// Extra environment for every command (SMTP_URL, say).
    env: Vec<(String, String)>,
    /// For a second instance: the database it shares with the first.
    shared_database: Option<String>,
}

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_stadsmaat")
}

/// A new empty temporary directory, removed when dropped.
pub fn empty_dir(prefix: &str) -> TempDir {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .expect("temp dir")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl TestApp {
    /// A fresh app on an empty data directory (and an empty schema on PostgreSQL).
    pub fn start(backend: Backend) -> TestApp {
        Self::start_with(backend, &[])
    }

    /// A fresh app whose commands also get `env`.
    pub fn start_with(backend: Backend, env: &[(&str, &str)]) -> TestApp {
        Self::start_in(backend, empty_dir("stadsmaat-test-"), env)
    }

    /// An app on a data directory prepared beforehand (a restored backup, say); on
    /// PostgreSQL with an empty schema of its own.
    pub fn start_in(backend: Backend, data_dir: TempDir, env: &[(&str, &str)]) -> TestApp {
        let pg_schema = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(PgSchema::create(
                &postgres_url().expect("PostgreSQL tests run only when it is reachable"),
            )),
        };
        let mut app = TestApp {
            backend,
            base_url: String::new(),
            child: None,
            log_path: data_dir.path().join("serve.log"),
            data_dir,
            pg_schema,
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            shared_database: None,
        };
        app.launch();
        app
    }

    /// A second instance on the same database (SQLite file or PostgreSQL schema) with
    /// a data directory, search index and outbox of its own — as a second server behind
    /// a load balancer. `env` is added to this app's own environment.
    pub fn start_beside(&self, env: &[(&str, &str)]) -> TestApp {
        let mut app = self.beside(env);
        app.launch();
        app
    }

    /// The second instance of [`TestApp::start_beside`], not yet started.
    fn beside(&self, env: &[(&str, &str)]) -> TestApp {
        let data_dir = empty_dir("stadsmaat-test-b-");
        let database = match &self.pg_schema {
            Some(schema) => schema.url(),
            None => format!(
                "sqlite://{}",
                self.data_dir().join("stadsmaat.sqlite3").display()
            ),
        };
        let mut extra = self.env.clone();
        extra.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        TestApp {
            backend: self.backend,
            base_url: String::new(),
            child: None,
            log_path: data_dir.path().join("serve.log"),
            data_dir,
            pg_schema: None,
            env: extra,
            shared_database: Some(database),
        }
    }

    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// The environment a `stadsmaat` command needs to use this app's database.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(binary());
        cmd.env_remove("DATABASE_URL")
            .env_remove("SMTP_URL")
            .env_remove("STADSMAAT_SMTP_CA")
            .env_remove("STADSMAAT_BIND")
            .env("STADSMAAT_DATA_DIR", self.data_dir.path())
            .env("RUST_LOG", "info");
        // Links in mail a command sends (the digest) lead to where this app listens.
        if !self.base_url.is_empty() {
            cmd.env("STADSMAAT_PUBLIC_URL", &self.base_url);
        }
        if let Some(schema) = &self.pg_schema {
            cmd.env("DATABASE_URL", schema.url());
        }
        if let Some(url) = &self.shared_database {
            cmd.env("DATABASE_URL", url);
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    fn launch(&mut self) {
        self.spawn();
        self.wait_until_healthy();
    }

    /// Two instances on one empty database, started at the same moment.
    pub fn start_pair(backend: Backend) -> (TestApp, TestApp) {
        let mut first = TestApp::start(backend);
        first.stop();
        first.wipe_database();
        let mut second = first.beside(&[]);
        first.spawn();
        second.spawn();
        first.wait_until_healthy();
        second.wait_until_healthy();
        (first, second)
    }

    fn spawn(&mut self) {
        let port = free_port();
        self.base_url = format!("http://127.0.0.1:{port}");
        let log = std::fs::File::create(&self.log_path).expect("log file");
        let child = self
            .command()
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start stadsmaat");
        self.child = Some(child);
    }

    fn wait_until_healthy(&mut self) {
        let log_path = self.log_path.clone();
        poll(
            Duration::from_secs(60),
            || {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                format!("stadsmaat did not become healthy:\n{log}")
            },
            || {
                if let Some(status) = self
                    .child
                    .as_mut()
                    .and_then(|c| c.try_wait().ok().flatten())
                {
                    panic!(
                        "stadsmaat exited with {status} before serving:\n{}",
                        self.log()
                    );
                }
                matches!(self.try_get("/api/v1/health"), Ok((200, _))).then_some(())
            },
        );
    }

    /// Stops the server (SIGKILL: no graceful shutdown to hide behind) and starts it
    /// again on the same data.
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The server's log so far, for failure messages.
    /// Imports the shipped inventory plus `projects` with `stadsmaat import`, beside
    /// the running server, as an administrator refreshing the inventory would.
    pub fn import_projects(&self, projects: Vec<Value>) {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/g40-2020.json");
        let mut inventory: Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("inventory")).expect("JSON");
        inventory["projects"]
            .as_array_mut()
            .expect("projects")
            .extend(projects);
        let file = self.data_dir().join("extra.json");
        std::fs::write(&file, inventory.to_string()).expect("write");
        let output = self
            .command()
            .arg("import")
            .arg(&file)
            .output()
            .expect("import");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    fn agent() -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into()
    }

    fn try_get(&self, path: &str) -> Result<(u16, String), ureq::Error> {
        let mut res = Self::agent()
            .get(&format!("{}{path}", self.base_url))
            .call()?;
        let status = res.status().as_u16();
        let mut body = String::new();
        res.body_mut()
            .as_reader()
            .read_to_string(&mut body)
            .map_err(ureq::Error::Io)?;
        Ok((status, body))
    }

    /// GET returning status and the full response, headers included.
    pub fn get_response(&self, path: &str) -> Response {
        Self::request(Self::agent().get(&format!("{}{path}", self.base_url)), path)
    }

    /// GET a page or API path; panics only if the server cannot be reached at all.
    pub fn get(&self, path: &str) -> (u16, String) {
        let res = self.get_response(path);
        (res.status, res.body)
    }

    /// GET an API path and parse its JSON body.
    pub fn get_json(&self, path: &str) -> (u16, Value) {
        let (status, body) = self.get(path);
        let json = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("GET {path}: body is not JSON ({e}): {body}"));
        (status, json)
    }

    fn request(req: ureq::RequestBuilder<ureq::typestate::WithoutBody>, path: &str) -> Response {
        let mut res = req
            .call()
            .unwrap_or_else(|e| panic!("GET {path}: no answer: {e}"));
        read_response(&mut res, path)
    }

    /// The status, Content-Encoding and body bytes of a GET, nothing decoded.
    pub fn get_raw(&self, path: &str, headers: &[(&str, &str)]) -> (u16, Option<String>, Vec<u8>) {
        let mut res = self
            .get_request(path, headers)
            .call()
            .unwrap_or_else(|e| panic!("GET {path}: no answer: {e}"));
        let encoding = res
            .headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = res
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .unwrap_or_else(|e| panic!("GET {path}: body: {e}"));
        (res.status().as_u16(), encoding, body)
    }

    /// A bodiless request with any method (HEAD, DELETE, …).
    pub fn request_with_method(&self, method: &str, path: &str) -> Response {
        let url = format!("{}{path}", self.base_url);
        let agent = Self::agent();
        let req = match method {
            "HEAD" => agent.head(&url),
            "DELETE" => agent.delete(&url),
            "OPTIONS" => agent.options(&url),
            other => panic!("no helper for {other}"),
        };
        Self::request(req, path)
    }

    /// GET with extra request headers (cookies, Accept-Language).
    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        Self::request(self.get_request(path, headers), path)
    }

    fn get_request(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> ureq::RequestBuilder<ureq::typestate::WithoutBody> {
        let mut req = Self::agent().get(&format!("{}{path}", self.base_url));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        req
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Status, headers (repeated ones kept, such as Set-Cookie) and body of a response.
pub fn read_response(res: &mut ureq::http::Response<ureq::Body>, path: &str) -> Response {
    let status = res.status().as_u16();
    let headers = res
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let mut body = String::new();
    res.body_mut()
        .as_reader()
        .read_to_string(&mut body)
        .unwrap_or_else(|e| panic!("{path}: unreadable body: {e}"));
    Response {
        status,
        headers,
        body,
    }
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Asserts an API error response: the status and the agreed JSON error shape.
pub fn assert_api_error(app: &TestApp, path: &str, status: u16, code: &str) {
    let (got, body) = app.get_json(path);
    assert_eq!(got, status, "GET {path}: {body}");
    assert_eq!(body["error"]["code"], code, "GET {path}: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "GET {path}: error without message: {body}"
    );
}

impl TestApp {
    /// Runs SQL on the app's database, as an operator at the console would: to set up
    /// states that take time (an account older than a day), never to check results.
    pub fn execute_sql(&self, sql: &str) {
        let postgres = match (&self.pg_schema, &self.shared_database) {
            (Some(schema), _) => Some(schema.url()),
            (None, Some(url)) if url.starts_with("postgres") => Some(url.clone()),
            _ => None,
        };
        match postgres {
            Some(url) => PgConnection::establish(&url)
                .expect("connect to PostgreSQL")
                .batch_execute(sql)
                .expect("SQL on PostgreSQL"),
            None => {
                let path = match &self.shared_database {
                    Some(url) => url.trim_start_matches("sqlite://").to_owned(),
                    None => self
                        .data_dir()
                        .join("stadsmaat.sqlite3")
                        .to_string_lossy()
                        .into_owned(),
                };
                diesel::SqliteConnection::establish(&path)
                    .expect("open SQLite")
                    .batch_execute(&format!("PRAGMA busy_timeout = 5000; {sql}"))
                    .expect("SQL on SQLite")
            }
        }
    }

    /// Removes every table, as if the data directory were new (call after `stop`).
    pub fn wipe_database(&mut self) {
        match &self.pg_schema {
            Some(schema) => {
                let mut conn = PgConnection::establish(&schema.base_url).expect("connect");
                conn.batch_execute(&format!(
                    "DROP SCHEMA {0} CASCADE; CREATE SCHEMA {0};",
                    schema.name
                ))
                .expect("recreate schema");
            }
            None => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(
                        self.data_dir().join(format!("stadsmaat.sqlite3{suffix}")),
                    );
                }
            }
        }
    }
}
