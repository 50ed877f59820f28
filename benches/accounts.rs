//! Accounts benchmark: what signing in costs, measured against the real binary over
//! loopback. It prints
//! - page latency for a visitor and for a signed-in user (the session lookup per request),
//! - login latency for a right password, a wrong one and an unknown address — the three
//!   should cost the same, or timing would tell which addresses have accounts —
//! - login throughput with 8 clients at once, and the server's peak memory (argon2id
//!   takes 19 MiB per hash; at most four run at once).
//!
//! `cargo bench --bench accounts`. Every request goes to 127.0.0.1 and the counts are
//! fixed, so the run is bounded (about half a minute).

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{heading, Table};

const PASSWORD: &str = "paars olifantje fietst";
const PAGE_REQUESTS: usize = 400;
const LOGINS: usize = 20;
const PARALLEL_CLIENTS: usize = 8;
const LOGINS_PER_CLIENT: usize = 5;

struct Server {
    child: Child,
    base: String,
    data_dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn start() -> Server {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_stadsmaat"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("STADSMAAT_DATA_DIR", data_dir.path())
        .env_remove("DATABASE_URL")
        .env_remove("SMTP_URL")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start stadsmaat");
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while agent()
        .get(&format!("{base}/api/v1/health"))
        .call()
        .is_err()
    {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Server {
        child,
        base,
        data_dir,
    }
}

fn create_user(server: &Server, email: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stadsmaat"))
        .args(["user", "create", "--password-stdin", "--email", email])
        .env("STADSMAAT_DATA_DIR", server.data_dir.path())
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("user create");
    let _ = writeln!(child.stdin.take().expect("stdin"), "{PASSWORD}");
    assert!(child.wait().expect("wait").success());
}

/// A client with the cookies the site gave it.
struct Client {
    base: String,
    cookies: Vec<(String, String)>,
}

impl Client {
    fn new(server: &Server) -> Self {
        let mut client = Client {
            base: server.base.clone(),
            cookies: Vec::new(),
        };
        client.get("/");
        client
    }

    fn header(&self) -> String {
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        pairs.join("; ")
    }

    fn keep(&mut self, res: &ureq::http::Response<ureq::Body>) {
        for value in res.headers().get_all("set-cookie") {
            let value = value.to_str().unwrap_or("");
            if let Some((k, v)) = value.split(';').next().and_then(|p| p.split_once('=')) {
                self.cookies.retain(|(name, _)| name != k);
                self.cookies.push((k.to_owned(), v.to_owned()));
            }
        }
    }

    fn get(&mut self, path: &str) -> u16 {
        let mut res = agent()
            .get(&format!("{}{path}", self.base))
            .header("Cookie", &self.header())
            .call()
            .expect("GET");
        let _ = res.body_mut().as_reader().read_to_end(&mut Vec::new());
        self.keep(&res);
        res.status().as_u16()
    }

    /// Signs in from a signed-out browser that keeps its other cookies (the device cookie
    /// too): a signed-in one's forms would carry its session's token, not the cookie's.
    fn login(&mut self, email: &str, password: &str) -> u16 {
        self.cookies.retain(|(name, _)| name != "stadsmaat_session");
        let csrf = self
            .cookies
            .iter()
            .find(|(k, _)| k == "stadsmaat_csrf")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let body = format!(
            "csrf={csrf}&email={}&password={}",
            email.replace('@', "%40"),
            password.replace(' ', "+")
        );
        let mut res = agent()
            .post(&format!("{}/inloggen", self.base))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Cookie", &self.header())
            .send(body)
            .expect("POST");
        let _ = res.body_mut().as_reader().read_to_end(&mut Vec::new());
        self.keep(&res);
        res.status().as_u16()
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Times `n` calls of `f`, in milliseconds, sorted.
fn runs(n: usize, mut f: impl FnMut(usize)) -> Vec<f64> {
    let mut times: Vec<f64> = (0..n)
        .map(|i| {
            let started = Instant::now();
            f(i);
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times
}

fn row(table: &mut Table, what: &str, times: &[f64]) {
    table.row(vec![
        what.to_owned(),
        times.len().to_string(),
        format!("{:.2}", percentile(times, 0.5)),
        format!("{:.2}", percentile(times, 0.99)),
    ]);
}

fn server_peak_kb(server: &Server) -> u64 {
    std::fs::read_to_string(format!("/proc/{}/status", server.child.id()))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    let server = start();
    let accounts: Vec<String> = (0..5).map(|i| format!("bench{i}@example.nl")).collect();
    // The parallel clients get accounts of their own, untouched by the wrong guesses.
    let parallel: Vec<String> = (0..PARALLEL_CLIENTS)
        .map(|i| format!("parallel{i}@example.nl"))
        .collect();
    for email in accounts.iter().chain(&parallel) {
        create_user(&server, email);
    }
    heading("Pages: visitor vs signed-in user (GET /projecten/1)");
    let mut visitor = Client::new(&server);
    let mut member = Client::new(&server);
    assert_eq!(member.login(&accounts[0], PASSWORD), 303);
    for _ in 0..20 {
        visitor.get("/projecten/1");
        member.get("/projecten/1");
    }
    let mut table = Table::new(&["who", "requests", "p50 ms", "p99 ms"]);
    row(
        &mut table,
        "visitor",
        &runs(PAGE_REQUESTS, |_| {
            assert_eq!(visitor.get("/projecten/1"), 200)
        }),
    );
    row(
        &mut table,
        "signed in",
        &runs(PAGE_REQUESTS, |_| {
            assert_eq!(member.get("/projecten/1"), 200)
        }),
    );
    table.print();

    let peak_before_logins = server_peak_kb(&server);
    heading("Logins: right password, wrong password, unknown address (interleaved)");
    let mut table = Table::new(&["attempt", "requests", "p50 ms", "p99 ms"]);
    let mut client = Client::new(&server);
    let mut times: [Vec<f64>; 3] = Default::default();
    for i in 0..LOGINS {
        let account = &accounts[i % accounts.len()];
        let unknown = format!("niemand{i}@example.nl");
        // Rotated so no kind always runs first; a right password clears the failures of
        // the account's trusted browser (this one), so the wrong guesses stay under the
        // throttle.
        let attempts: [(&str, &str, u16); 3] = [
            (account, PASSWORD, 303),
            (account, "fout fout fout fout", 401),
            (&unknown, PASSWORD, 401),
        ];
        for k in 0..3 {
            let kind = (i + k) % 3;
            let (email, password, status) = attempts[kind];
            let started = Instant::now();
            assert_eq!(client.login(email, password), status);
            times[kind].push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    for (name, mut t) in ["right password", "wrong password", "unknown address"]
        .into_iter()
        .zip(times)
    {
        t.sort_by(f64::total_cmp);
        row(&mut table, name, &t);
    }
    table.print();

    heading("Login throughput, 8 clients at once");
    let started = Instant::now();
    std::thread::scope(|scope| {
        for email in &parallel {
            let server = &server;
            let email = email.clone();
            scope.spawn(move || {
                let mut client = Client::new(server);
                for _ in 0..LOGINS_PER_CLIENT {
                    assert_eq!(client.login(&email, PASSWORD), 303);
                }
            });
        }
    });
    let total = PARALLEL_CLIENTS * LOGINS_PER_CLIENT;
    let seconds = started.elapsed().as_secs_f64();
    let mut table = Table::new(&[
        "logins",
        "seconds",
        "logins/s",
        "server peak RSS before logins MB",
        "after MB",
    ]);
    let mb = |kb: u64| format!("{:.0}", kb as f64 / 1024.0);
    table.row(vec![
        total.to_string(),
        format!("{seconds:.2}"),
        format!("{:.1}", total as f64 / seconds),
        mb(peak_before_logins),
        mb(server_peak_kb(&server)),
    ]);
    table.print();
}
