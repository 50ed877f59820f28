//! The forum and digest benchmark: what wave 2 costs once the platform is in use. On a
//! SQLite data directory with the G40 inventory it writes, straight into the database
//! (the server stopped; `reindex` then builds the search index as after a restore),
//! 2,000 members spread over the 40 cities, each following their city, a theme and a
//! saved search,
//! 10,000 discussions of 10 posts about random pilots (100,000 posts), and one long
//! discussion of 500 posts
//! (texts are sentences of the report's project descriptions, rendered by the forum's
//! own Markdown renderer). It then prints
//! - page latency (p50/p99) of a thread of 10 posts next to one of 500, and of the
//!   forum's list `/discussies`,
//! - search latency for the same queries restricted to projects (the wave-1 index)
//!   next to all types, posts included,
//! - the weekly digest as an operator runs it (`digest --dry-run`): wall time and peak
//!   memory for 200 members next to 2,000, so the cost per member shows, and 2,000
//!   again without their saved searches (what following a search costs);
//! - at scale (skipped with `STADSMAAT_BENCH=small`): the digests of 10,000 members
//!   over 1,000 cities of 100 projects each (100,000 projects: the 40 real cities, the
//!   rest synthetic, each a deterministic pick of 100 inventory projects, all new this
//!   week), next to 1,000 members over the same corpus.
//!
//! `cargo bench --bench forum`. Every request goes to 127.0.0.1 and all counts are fixed
//! (about three minutes on two cores).

mod support;

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use support::{heading, sentences, Table, XorShift};

const MEMBERS: usize = 2_000;
const SMALL_DIGEST: usize = 200;
const THREADS: usize = 10_000;
const POSTS_PER_THREAD: usize = 10;
const LONG_THREAD_POSTS: usize = 500;
const PAGE_REQUESTS: usize = 200;
const SCALE_CITIES: usize = 1_000;
const SCALE_PROJECTS_PER_CITY: usize = 100;
const SCALE_MEMBERS: usize = 10_000;
const SEARCH_QUERIES: [&str; 8] = [
    "slimme verkeerslichten",
    "zonnepanelen op daken",
    "luchtkwaliteit meten sensoren",
    "aanbesteding",
    "wijkbewoners participatie",
    "parkeren sensoren",
    "energietransitie warmtenet",
    "datagedreven werken",
];

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_stadsmaat"))
}

fn command(dir: &Path) -> Command {
    let mut cmd = binary();
    cmd.env("STADSMAAT_DATA_DIR", dir)
        .env_remove("DATABASE_URL")
        .env_remove("SMTP_URL")
        .env("RUST_LOG", "warn");
    cmd
}

struct Server {
    child: Child,
    base: String,
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
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

fn start(dir: &Path) -> Server {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let child = command(dir)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        // The server sends a week's digest it finds due; this one is due only in the
        // last minute of the week, so the server's own run stays out of the figures.
        .env("STADSMAAT_DIGEST_AT", "sunday 23:59")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start stadsmaat");
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let ready = agent()
            .get(&format!("{base}/api/v1/health"))
            .call()
            .is_ok_and(|r| r.status() == 200);
        if ready {
            break;
        }
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Server { child, base }
}

fn get(base: &str, path: &str) -> u16 {
    let mut res = agent().get(&format!("{base}{path}")).call().expect("GET");
    let _ = res.body_mut().as_reader().read_to_end(&mut Vec::new());
    res.status().as_u16()
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

fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// What the benchmark writes: members, discussions and their posts.
struct Written {
    small_thread: i64,
    long_thread: i64,
}

/// Writes the members and discussions in one transaction, as SQL (SQLite).
fn write_forum(dir: &Path) -> Written {
    let path = dir.join("stadsmaat.sqlite3");
    let mut conn = SqliteConnection::establish(&path.to_string_lossy()).expect("open database");
    #[derive(QueryableByName)]
    struct Project {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        id: i32,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        city_id: i32,
        #[diesel(sql_type = diesel::sql_types::Text)]
        theme: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        title: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        description: String,
    }
    let projects: Vec<Project> =
        diesel::sql_query("SELECT id, city_id, theme, title, description FROM projects")
            .load(&mut conn)
            .expect("projects");
    let mut said: Vec<String> = projects
        .iter()
        .flat_map(|p| sentences(&p.description).into_iter().map(str::to_owned))
        .filter(|s| s.len() > 40)
        .collect();
    said.truncate(5_000);
    let mut rng = XorShift::new(0x5eed_f0e5);
    // One argon2 hash for all: nobody signs in here, and hashing 2,000 would dominate.
    let hash = "$argon2id$v=19$m=19456,t=2,p=1$YmVuY2htYXJrc2FsdA$3b7Yb2y0yQ7bO0hZ1r8n8Xn5M0cFq2bO8mZr1h0w9dA";
    let now = chrono::Utc::now().naive_utc();
    let at = |ago: chrono::Duration| quoted(&(now - ago).format("%Y-%m-%d %H:%M:%S").to_string());
    let joined = at(chrono::Duration::days(3));
    let mut sql = String::from("BEGIN;\n");
    for n in 0..MEMBERS {
        let project = rng.pick(&projects);
        sql.push_str(&format!(
            "INSERT INTO users (email, name, password_hash, email_verified, city_id, city_role, \
             site_role, created_at, lang, notify_mail, digest_mail, account_mail, \
             follows_seeded_at, email_refusals) VALUES ('lid{n}@bench.example', 'Lid {n}', {}, \
             1, {}, 'member', 'none', {joined}, 'nl', 'digest', 1, 1, {joined}, 0);\n",
            quoted(hash),
            project.city_id
        ));
        let user = n + 1;
        sql.push_str(&format!(
            "INSERT INTO follows (user_id, subject_kind, subject_key, created_at) \
             SELECT {user}, 'city', slug, {joined} FROM cities WHERE id = {};\n\
             INSERT INTO follows (user_id, subject_kind, subject_key, created_at) \
             VALUES ({user}, 'theme', {}, {joined});\n",
            project.city_id,
            quoted(&project.theme)
        ));
        // And one saved search, as people follow them from the search page.
        let params = serde_urlencoded::to_string([("q", SEARCH_QUERIES[n % SEARCH_QUERIES.len()])])
            .expect("query string");
        sql.push_str(&format!(
            "INSERT INTO saved_searches (id, user_id, params, created_at) \
             VALUES ({user}, {user}, {}, {joined});\n\
             INSERT INTO follows (user_id, subject_kind, subject_key, created_at) \
             VALUES ({user}, 'search', '{user}', {joined});\n",
            quoted(&params)
        ));
    }
    let mut thread_id = 0;
    let mut write_thread = |sql: &mut String, rng: &mut XorShift, posts: usize| {
        thread_id += 1;
        let project = rng.pick(&projects);
        let asked = at(chrono::Duration::hours(2));
        sql.push_str(&format!(
            "INSERT INTO threads (id, title, about_kind, about_key, city_id, theme, \
             addressed_city_id, author_id, created_at, last_post_at, locked) VALUES \
             ({thread_id}, {}, 'project', '{}', {}, {}, {}, {}, {asked}, {asked}, 0);\n",
            quoted(&format!("Ervaringen met {}?", project.title)),
            project.id,
            project.city_id,
            quoted(&project.theme),
            project.city_id,
            rng.below(MEMBERS) + 1,
        ));
        for _ in 0..posts {
            let body = format!(
                "{} {}\n\n{}",
                rng.pick(&said),
                rng.pick(&said),
                rng.pick(&said)
            );
            let html = stadsmaat::forum::markdown::render(&body, &|_| None).html;
            sql.push_str(&format!(
                "INSERT INTO posts (thread_id, author_id, body, body_html, created_at, \
                 hidden_reason) VALUES ({thread_id}, {}, {}, {}, {asked}, '');\n",
                rng.below(MEMBERS) + 1,
                quoted(&body),
                quoted(&html)
            ));
        }
        thread_id
    };
    let mut small_thread = 0;
    for _ in 0..THREADS {
        small_thread = write_thread(&mut sql, &mut rng, POSTS_PER_THREAD);
    }
    let long_thread = write_thread(&mut sql, &mut rng, LONG_THREAD_POSTS);
    sql.push_str("COMMIT;\n");
    conn.batch_execute(&sql).expect("write the forum");
    Written {
        small_thread: small_thread as i64,
        long_thread: long_thread as i64,
    }
}

/// Runs `sql` on the data directory's database (the server stopped).
fn sql(dir: &Path, sql: &str) {
    let path = dir.join("stadsmaat.sqlite3");
    SqliteConnection::establish(&path.to_string_lossy())
        .expect("open database")
        .batch_execute(sql)
        .expect(sql);
}

/// Runs `digest --dry-run` with only the first `members` members wanting it; wall time
/// in seconds and peak memory in MiB (from `/usr/bin/time`, when present).
fn digest_run(dir: &Path, members: usize) -> (f64, Option<f64>, String) {
    sql(
        dir,
        &format!("UPDATE users SET digest_mail = (id <= {members});"),
    );
    let monday = {
        let schedule = stadsmaat::digest::Schedule::default();
        let due = schedule.due_in_week_of(chrono::Utc::now() + chrono::Duration::days(7));
        (due + chrono::Duration::minutes(5)).to_rfc3339()
    };
    let timed = Path::new("/usr/bin/time").exists();
    let mut cmd = if timed {
        let mut cmd = Command::new("/usr/bin/time");
        cmd.args(["-f", "peak-kb %M"])
            .arg(env!("CARGO_BIN_EXE_stadsmaat"));
        cmd
    } else {
        binary()
    };
    cmd.env("STADSMAAT_DATA_DIR", dir)
        .env_remove("DATABASE_URL")
        .env_remove("SMTP_URL")
        .env("RUST_LOG", "warn")
        .args(["digest", "--dry-run", "--at", &monday]);
    let started = Instant::now();
    let output = cmd.output().expect("digest");
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let peak = String::from_utf8_lossy(&output.stderr)
        .lines()
        .find_map(|l| l.strip_prefix("peak-kb "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0);
    let stdout = String::from_utf8_lossy(&output.stdout);
    if std::env::var_os("STADSMAAT_BENCH_DEBUG").is_some() {
        eprintln!("{}", stdout.lines().take(40).collect::<Vec<_>>().join("\n"));
    }
    let summary = stdout.lines().last().unwrap_or_default().to_owned();
    (seconds, peak, summary)
}

/// A data directory with `SCALE_CITIES` cities of `SCALE_PROJECTS_PER_CITY` projects
/// and `SCALE_MEMBERS` members, each following their city and a theme.
fn write_scale(dir: &Path) {
    let path = dir.join("stadsmaat.sqlite3");
    let mut conn = SqliteConnection::establish(&path.to_string_lossy()).expect("open database");
    let now = chrono::Utc::now().naive_utc();
    let joined = quoted(
        &(now - chrono::Duration::days(3))
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
    );
    let mut sql = String::from("BEGIN;\n");
    for n in 41..=SCALE_CITIES {
        // A deterministic pick of inventory projects per city: ordered by a multiplier
        // of the id modulo a prime.
        sql.push_str(&format!(
            "INSERT INTO cities (slug, name, province, population, area_km2, latitude, \
             longitude) VALUES ('synthstad-{n}', 'Synthstad {n}', 'Gelderland', 100000, 100.0, \
             52.0, 5.9);\n\
             INSERT INTO projects (city_id, title, description, description_origin, theme, stage) \
             SELECT (SELECT id FROM cities WHERE slug = 'synthstad-{n}'), title, description, \
             description_origin, theme, stage FROM projects WHERE source_ref IS NOT NULL \
             ORDER BY (id * {}) % 1009 LIMIT {SCALE_PROJECTS_PER_CITY};\n",
            n * 7 + 3
        ));
    }
    let hash = "$argon2id$v=19$m=19456,t=2,p=1$YmVuY2htYXJrc2FsdA$unused";
    for n in 0..SCALE_MEMBERS {
        let city = n % SCALE_CITIES + 1;
        let user = n + 1;
        sql.push_str(&format!(
            "INSERT INTO users (id, email, name, password_hash, email_verified, city_id, \
             city_role, site_role, created_at, lang, notify_mail, digest_mail, account_mail, \
             follows_seeded_at, email_refusals) VALUES ({user}, 'lid{n}@schaal.example', \
             'Lid {n}', {}, 1, {city}, 'member', 'none', {joined}, 'nl', 'digest', 1, 1, \
             {joined}, 0);\n\
             INSERT INTO follows (user_id, subject_kind, subject_key, created_at) \
             SELECT {user}, 'city', slug, {joined} FROM cities WHERE id = {city};\n\
             INSERT INTO follows (user_id, subject_kind, subject_key, created_at) \
             SELECT {user}, 'theme', theme, {joined} FROM projects WHERE city_id = {city} \
             GROUP BY theme ORDER BY count(*) DESC, theme LIMIT 1;\n",
            quoted(hash)
        ));
    }
    sql.push_str("COMMIT;\n");
    conn.batch_execute(&sql).expect("write the corpus");
}

fn scale() {
    let dir = tempfile::tempdir().expect("temp dir");
    drop(start(dir.path()));
    let started = Instant::now();
    write_scale(dir.path());
    println!(
        "\nWrote {SCALE_CITIES} cities, {} projects and {SCALE_MEMBERS} members in {:.1} s.",
        SCALE_CITIES * SCALE_PROJECTS_PER_CITY,
        started.elapsed().as_secs_f64()
    );
    digest_table(
        dir.path(),
        "Weekly digest at scale, dry run (100,000 projects, all new this week)",
        &[SCALE_MEMBERS / 10, SCALE_MEMBERS],
    );
}

/// Runs the digest for each number of readers and prints the figures.
fn digest_table(dir: &Path, title: &str, readers: &[usize]) {
    heading(title);
    let mut table = Table::new(&["readers", "wall s", "ms per reader", "peak MiB", "summary"]);
    for &members in readers {
        let (seconds, peak, summary) = digest_run(dir, members);
        table.row(vec![
            members.to_string(),
            format!("{seconds:.1}"),
            format!("{:.1}", seconds * 1000.0 / members as f64),
            peak.map_or("n/a".to_owned(), |p| format!("{p:.0}")),
            summary,
        ]);
    }
    table.print();
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    // First start: migrations and the inventory.
    drop(start(dir.path()));
    let started = Instant::now();
    let written = write_forum(dir.path());
    let wrote = started.elapsed();
    let status = command(dir.path())
        .arg("reindex")
        .stdout(Stdio::null())
        .status()
        .expect("reindex");
    assert!(status.success(), "reindex");
    println!(
        "Wrote {MEMBERS} members, {THREADS} threads of {POSTS_PER_THREAD} posts and one of \
         {LONG_THREAD_POSTS} in {:.1} s; reindexed in {:.1} s.",
        wrote.as_secs_f64(),
        started.elapsed().as_secs_f64() - wrote.as_secs_f64()
    );

    let server = start(dir.path());
    heading("Forum pages (SQLite, one client, loopback)");
    let mut table = Table::new(&["page", "requests", "p50 ms", "p99 ms"]);
    for (what, path) in [
        (
            format!("thread, {POSTS_PER_THREAD} posts"),
            format!("/discussies/{}", written.small_thread),
        ),
        (
            format!("thread, {LONG_THREAD_POSTS} posts"),
            format!("/discussies/{}", written.long_thread),
        ),
        (
            "forum list /discussies".to_owned(),
            "/discussies".to_owned(),
        ),
    ] {
        assert_eq!(get(&server.base, &path), 200, "{path}");
        let times = runs(PAGE_REQUESTS, |_| {
            get(&server.base, &path);
        });
        row(&mut table, &what, &times);
    }
    table.print();

    heading("Search with the forum in the index (8 queries, 25 rounds)");
    let mut table = Table::new(&["search", "requests", "p50 ms", "p99 ms"]);
    for (what, filter) in [
        ("projects only (type=project)", "&type=project"),
        ("all types, posts included", ""),
    ] {
        let times = runs(SEARCH_QUERIES.len() * 25, |i| {
            let q = SEARCH_QUERIES[i % SEARCH_QUERIES.len()].replace(' ', "+");
            get(&server.base, &format!("/api/v1/search?q={q}{filter}"));
        });
        row(&mut table, what, &times);
    }
    table.print();
    drop(server);

    digest_table(
        dir.path(),
        "Weekly digest, dry run (every member has a busy week and follows a search)",
        &[SMALL_DIGEST, MEMBERS],
    );
    // The peer: the same readers without their saved searches.
    sql(
        dir.path(),
        "UPDATE follows SET subject_kind = 'off' WHERE subject_kind = 'search';",
    );
    digest_table(
        dir.path(),
        "Weekly digest, dry run, the same readers following no search",
        &[MEMBERS],
    );
    if std::env::var("STADSMAAT_BENCH").as_deref() != Ok("small") {
        scale();
    }
}
