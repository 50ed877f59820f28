//! `stadsmaat backup` and `stadsmaat restore`, the operators' contract: a consistent
//! archive made while the server writes, restored only into an empty data directory,
//! and only when every check passes.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use sha2::{Digest, Sha256};
use tempfile::TempDir;

use crate::specs;
use crate::support::{empty_dir, eventually, Backend, TestApp};

specs! {
    fresh:
        backup_under_write_load_restores_every_acknowledged_write,
        restore_refuses_a_data_dir_that_is_not_empty,
        restore_refuses_a_damaged_archive_and_leaves_the_target_empty,
        postgres_backup_points_to_pg_dump_and_keeps_the_uploads;
}

const UPLOAD: &str = "uploads/9f/9f86d081884c7d659a2feaa0c55ad015";

fn backup(app: &TestApp, file: &Path) -> Output {
    app.command()
        .arg("backup")
        .arg(file)
        .arg("--data-dir")
        .arg(app.data_dir())
        .output()
        .expect("run backup")
}

fn restore(app: &TestApp, file: &Path, into: &Path) -> Output {
    app.command()
        .arg("restore")
        .arg(file)
        .arg("--data-dir")
        .arg(into)
        .output()
        .expect("run restore")
}

fn succeeded(what: &str, output: &Output) -> String {
    assert!(
        output.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn failed(what: &str, output: &Output) -> String {
    assert!(
        !output.status.success(),
        "{what} should fail: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A file stored as uploads will be (by content hash), before that feature exists, and
/// an empty directory for backups with the path of an archive in it.
fn upload_and_backup_dir(app: &TestApp) -> (TempDir, PathBuf) {
    let path = app.data_dir().join(UPLOAD);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("uploads dir");
    std::fs::write(path, b"raadsbesluit.pdf").expect("upload");
    let backups = empty_dir("stadsmaat-backups-");
    let file = backups.path().join("stadsmaat.tar.gz");
    (backups, file)
}

/// Two projects in one transaction: a consistent snapshot has both or neither.
fn insert_pair(app: &TestApp, n: usize) {
    let project = |side: &str| {
        format!(
            "INSERT INTO projects (city_id, source_ref, title, description, \
             description_origin, theme, stage) \
             SELECT id, 'last-{n}-{side}', 'Zwaluwtil {n} {side}', \
             'Een proef die onder schrijflast ontstond.', 'platform', \
             (SELECT slug FROM themes ORDER BY slug LIMIT 1), 'pilot' \
             FROM cities WHERE slug = 'apeldoorn';"
        )
    };
    app.execute_sql(&format!("BEGIN; {} {} COMMIT;", project("a"), project("b")));
}

fn has_project(app: &TestApp, source_ref: &str) -> bool {
    let (status, body) = app.get_json(&format!("/api/v1/projects?source_ref={source_ref}"));
    assert_eq!(status, 200, "{body}");
    body["total"] == 1
}

/// The count of `table` in the backup summary ("… 434 projects, …").
fn count_in(summary: &str, table: &str) -> i64 {
    let before = summary.split(&format!(" {table}")).next().expect("summary");
    before
        .rsplit(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count of {table} in {summary}"))
}

fn total_projects(app: &TestApp) -> i64 {
    app.get_json("/api/v1/projects?per_page=1").1["total"]
        .as_i64()
        .expect("total")
}

/// While a writer commits pairs of projects as fast as it can, `backup` makes an
/// archive; restored into an empty directory and served, it holds every pair committed
/// before the backup began, no half pair, the upload, a new instance id, and a search
/// index rebuilt from the restored database. SQLite only: on PostgreSQL the database is
/// dumped with pg_dump (see the last specification).
fn backup_under_write_load_restores_every_acknowledged_write(app: &mut TestApp) {
    if app.backend != Backend::Sqlite {
        eprintln!("SQLite only: a PostgreSQL database is backed up with pg_dump");
        return;
    }
    let (backups, file) = upload_and_backup_dir(app);
    let app = &*app;
    let stop = AtomicBool::new(false);
    let committed = AtomicUsize::new(0);
    let (acknowledged, during, output) = std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                insert_pair(app, n);
                n += 1;
                committed.store(n, Ordering::SeqCst);
            }
        });
        eventually("the writer commits", || {
            committed.load(Ordering::SeqCst) >= 5
        });
        let acknowledged = committed.load(Ordering::SeqCst);
        let output = backup(app, &file);
        let during = committed.load(Ordering::SeqCst) - acknowledged;
        stop.store(true, Ordering::SeqCst);
        writer.join().expect("writer");
        (acknowledged, during, output)
    });
    let summary = succeeded("backup", &output);
    assert!(during > 0, "the writer kept committing during the backup");
    assert!(summary.starts_with("backup written: "), "{summary}");
    assert!(summary.contains("1 uploaded file"), "{summary}");
    assert_eq!(
        names_in(backups.path()),
        ["stadsmaat.tar.gz"],
        "no partial file or snapshot left behind"
    );

    let restored = empty_dir("stadsmaat-restored-");
    let report = succeeded("restore", &restore(app, &file, restored.path()));
    assert!(report.contains("SQLite database intact"), "{report}");
    assert!(report.contains("rebuilds"), "{report}");
    assert_eq!(
        names_in(restored.path()),
        ["stadsmaat.sqlite3", "uploads"],
        "the database and the uploads; no index, no instance id"
    );
    assert_eq!(
        std::fs::read(restored.path().join(UPLOAD)).expect("upload restored"),
        b"raadsbesluit.pdf"
    );

    let copy = TestApp::start_in(Backend::Sqlite, restored, &[]);
    // Pairs committed before the backup began are all there; after that, a prefix of
    // the later ones, each pair whole.
    let mut pairs = 0;
    while has_project(&copy, &format!("last-{pairs}-a")) {
        assert!(
            has_project(&copy, &format!("last-{pairs}-b")),
            "pair {pairs} is whole"
        );
        pairs += 1;
    }
    assert!(
        pairs >= acknowledged,
        "{pairs} pairs restored, {acknowledged} acknowledged before the backup"
    );
    assert!(!has_project(&copy, &format!("last-{pairs}-b")));
    assert_eq!(total_projects(&copy), count_in(&summary, "projects"));
    assert_eq!(total_projects(&copy), 434 + 2 * pairs as i64);

    // The index was rebuilt from the restored database: it finds the projects the
    // writer added behind the server's back, and the shipped ones.
    let (status, found) = copy.get_json("/api/v1/search?q=zwaluwtil&type=project&limit=5");
    assert_eq!(status, 200, "{found}");
    assert!(
        found["results"][0]["title"]
            .as_str()
            .is_some_and(|t| t.starts_with("Zwaluwtil")),
        "{found}"
    );
    let (_, traffic) = copy.get_json("/api/v1/search?q=talking+traffic&type=project");
    assert!(
        !traffic["results"].as_array().expect("results").is_empty(),
        "{traffic}"
    );
    let instance = |dir: &Path| std::fs::read_to_string(dir.join("instance-id")).expect("id");
    assert_ne!(
        instance(copy.data_dir()),
        instance(app.data_dir()),
        "a restored copy is a new instance"
    );
}

/// A restore never writes into a directory holding anything: not a stranger's file, not
/// a live data directory.
fn restore_refuses_a_data_dir_that_is_not_empty(app: &mut TestApp) {
    let (_backups, file) = upload_and_backup_dir(app);
    succeeded("backup", &backup(app, &file));

    let target = empty_dir("stadsmaat-occupied-");
    std::fs::write(target.path().join("notities.txt"), "van mij").expect("file");
    let why = failed("restore", &restore(app, &file, target.path()));
    assert!(why.contains("is not empty"), "{why}");
    assert!(why.contains("notities.txt"), "{why}");
    assert_eq!(names_in(target.path()), ["notities.txt"], "nothing touched");
    assert_eq!(
        std::fs::read_to_string(target.path().join("notities.txt")).expect("read"),
        "van mij"
    );

    let live = names_in(app.data_dir());
    let why = failed("restore", &restore(app, &file, app.data_dir()));
    assert!(why.contains("is not empty"), "{why}");
    assert_eq!(
        names_in(app.data_dir()),
        live,
        "the live data dir untouched"
    );

    let not_a_dir = target.path().join("notities.txt");
    failed("restore", &restore(app, &file, &not_a_dir));
    assert_eq!(names_in(target.path()), ["notities.txt"]);
}

/// The byte range of an entry's content in an uncompressed tar archive.
fn entry_content(tar: &[u8], name: &str) -> std::ops::Range<usize> {
    let mut at = 0;
    while at + 512 <= tar.len() {
        let header = &tar[at..at + 512];
        let entry = String::from_utf8_lossy(&header[..100]);
        let size_field = String::from_utf8_lossy(&header[124..136]);
        let size = usize::from_str_radix(size_field.trim_matches(['\0', ' ']), 8).expect("size");
        if entry.trim_end_matches('\0') == name {
            return at + 512..at + 512 + size;
        }
        at += 512 + size.div_ceil(512) * 512;
    }
    panic!("{name} is not in the archive");
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Replaces `from` by `to` (of the same length) in the manifest, the first entry: the
/// archive stays a valid tar, only what it claims changes.
fn forge_manifest(tar: &mut [u8], from: &str, to: &str) {
    assert_eq!(from.len(), to.len());
    let range = entry_content(tar, "manifest.json");
    let manifest = &mut tar[range];
    let at = manifest
        .windows(from.len())
        .position(|w| w == from.as_bytes())
        .unwrap_or_else(|| panic!("{from} not in the manifest"));
    manifest[at..at + from.len()].copy_from_slice(to.as_bytes());
}

/// Damage in the database entry (a flipped byte; a damaged page whose checksum was
/// forged to match; a row count that does not), in the compressed stream, or a missing
/// entry: each restore fails with a message saying so, and the target stays as it was —
/// absent or empty. SQLite only: a PostgreSQL archive holds no database.
fn restore_refuses_a_damaged_archive_and_leaves_the_target_empty(app: &mut TestApp) {
    if app.backend != Backend::Sqlite {
        eprintln!("SQLite only: a PostgreSQL archive holds no database to damage");
        return;
    }
    let backups = empty_dir("stadsmaat-backups-");
    let plain = backups.path().join("stadsmaat.tar");
    succeeded("backup", &backup(app, &plain));
    let good = std::fs::read(&plain).expect("archive");
    let database = entry_content(&good, "stadsmaat.sqlite3");
    assert!(database.len() > 3 * 4096, "a database of several pages");

    let damaged = |name: &str, bytes: Vec<u8>| -> PathBuf {
        let path = backups.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        path
    };
    let mut flipped = good.clone();
    let middle = database.start + database.len() / 2;
    for byte in &mut flipped[middle..middle + 16] {
        *byte ^= 0xff;
    }

    let mut bad_page = good.clone();
    let page = database.start + 2 * 4096..database.start + 3 * 4096;
    let original_hash = sha256_hex(&good[database.clone()]);
    bad_page[page].fill(0xab);
    let forged_hash = sha256_hex(&bad_page[database.clone()]);
    forge_manifest(&mut bad_page, &original_hash, &forged_hash);

    let mut miscounted = good.clone();
    forge_manifest(&mut miscounted, "\"cities\": 40", "\"cities\": 41");

    let mut truncated = good[..database.start + 1024].to_vec();
    truncated.extend_from_slice(&[0; 1024]);

    let gzip = backups.path().join("stadsmaat.tar.gz");
    succeeded("backup", &backup(app, &gzip));
    let mut gz_flipped = std::fs::read(&gzip).expect("archive");
    let middle = gz_flipped.len() / 2;
    for byte in &mut gz_flipped[middle..middle + 16] {
        *byte ^= 0x55;
    }

    let cases = [
        ("flipped.tar", flipped, "does not match its manifest"),
        ("bad-page.tar", bad_page, "restored database"),
        (
            "miscounted.tar",
            miscounted,
            "cities: manifest 41 rows, database 40 rows",
        ),
        ("truncated.tar", truncated, "is damaged"),
        ("flipped.tar.gz", gz_flipped, "is damaged"),
    ];
    for (name, bytes, expected) in cases {
        let file = damaged(name, bytes);
        let parent = empty_dir("stadsmaat-target-");
        let absent = parent.path().join("nieuw");
        let why = failed(name, &restore(app, &file, &absent));
        assert!(why.contains(expected), "{name}: {why}");
        assert!(
            !absent.exists(),
            "{name}: the new data dir is not left behind"
        );
        let why = failed(name, &restore(app, &file, parent.path()));
        assert!(why.contains(expected), "{name}: {why}");
        assert!(
            names_in(parent.path()).is_empty(),
            "{name}: the empty data dir stays empty"
        );
    }

    // The undamaged archive restores: the failures above were the damage's doing.
    let target = empty_dir("stadsmaat-target-");
    succeeded("restore", &restore(app, &plain, target.path()));
}

/// On PostgreSQL `backup` says how to dump the database (named, without its password)
/// and still archives the uploads, which `restore` brings back with the pg_restore
/// command. PostgreSQL only; on SQLite the first specification covers the same ground.
fn postgres_backup_points_to_pg_dump_and_keeps_the_uploads(app: &mut TestApp) {
    if app.backend != Backend::Postgres {
        eprintln!("PostgreSQL only: a SQLite backup holds its database");
        return;
    }
    let (backups, file) = upload_and_backup_dir(app);
    let out = succeeded("backup", &backup(app, &file));
    let url = crate::support::postgres_url().expect("PostgreSQL");
    let dbname = url
        .rsplit('/')
        .next()
        .and_then(|d| d.split('?').next())
        .expect("database name");
    let dump = backups.path().join("stadsmaat.pgdump");
    assert!(
        out.contains(&format!(
            "pg_dump --format=custom --file={}",
            dump.display()
        )),
        "{out}"
    );
    assert!(out.contains(&format!(" {dbname}\n")), "{out}");
    if let Some((_, password)) = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
    {
        assert!(!out.contains(&format!(":{password}@")), "{out}");
        assert!(!out.contains("--password"), "{out}");
    }
    assert!(
        out.contains("no database (PostgreSQL: pg_dump); 1 uploaded file"),
        "{out}"
    );

    let restored = empty_dir("stadsmaat-restored-");
    let report = succeeded("restore", &restore(app, &file, restored.path()));
    assert!(report.contains("pg_restore --no-owner"), "{report}");
    assert_eq!(names_in(restored.path()), ["uploads"]);
    assert_eq!(
        std::fs::read(restored.path().join(UPLOAD)).expect("upload restored"),
        b"raadsbesluit.pdf"
    );
}
