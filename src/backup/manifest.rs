//! The manifest at the head of every backup archive: what the archive holds and how to
//! check it — each file's size and SHA-256, and the database's row counts per table —
//! and the rule for the paths an archive may hold.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::db::SQLITE_FILE;

/// The manifest's name; it is the archive's first entry, so a restore reads it before
/// anything else.
pub const NAME: &str = "manifest.json";
/// The uploads folder of a data directory (files stored by content hash), kept under
/// the same name in the archive.
pub const UPLOADS: &str = "uploads";
const FORMAT: &str = "stadsmaat-backup";
/// Raised when the archive's layout changes; a restore refuses versions it does not know.
const VERSION: u32 = 1;

/// Which database the backup was made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArchivedBackend {
    /// The database file is in the archive.
    Sqlite,
    /// The database is not: it is dumped with `pg_dump`.
    Postgres,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    /// When the backup was made, RFC 3339 in UTC.
    pub created_at: String,
    pub stadsmaat_version: String,
    pub backend: ArchivedBackend,
    /// Every file of the archive but the manifest, in archive order.
    pub files: Vec<FileEntry>,
    /// Rows per table of the archived database, counted in the snapshot itself (empty
    /// for PostgreSQL, whose dump is made apart).
    pub row_counts: BTreeMap<String, i64>,
}

/// One file of the archive: its path (relative to the data directory), size and SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

impl Manifest {
    pub fn new(
        backend: ArchivedBackend,
        files: Vec<FileEntry>,
        row_counts: BTreeMap<String, i64>,
    ) -> Self {
        Manifest {
            format: FORMAT.to_owned(),
            format_version: VERSION,
            created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            stadsmaat_version: env!("CARGO_PKG_VERSION").to_owned(),
            backend,
            files,
            row_counts,
        }
    }

    pub fn to_json(&self) -> Result<Vec<u8>, String> {
        serde_json::to_vec_pretty(self).map_err(|e| format!("cannot write the manifest: {e}"))
    }

    /// Reads a manifest and checks that a restore can trust its shape: a known format,
    /// paths that stay inside the data directory, each once, and the database file
    /// present exactly when the backend says so.
    pub fn parse(json: &[u8]) -> Result<Self, String> {
        let manifest: Manifest = serde_json::from_slice(json)
            .map_err(|e| format!("its manifest is unreadable ({e}): not a stadsmaat backup?"))?;
        if manifest.format != FORMAT {
            return Err(format!(
                "its manifest is of format {:?}, not a stadsmaat backup",
                manifest.format
            ));
        }
        if manifest.format_version != VERSION {
            return Err(format!(
                "it is a backup of format version {} (made by stadsmaat {}), and this \
                 stadsmaat reads version {VERSION}: restore it with the version that made it",
                manifest.format_version, manifest.stadsmaat_version
            ));
        }
        let mut seen = BTreeSet::new();
        for file in &manifest.files {
            check_path(&file.path)?;
            if !seen.insert(file.path.as_str()) {
                return Err(format!("its manifest lists {} twice", file.path));
            }
            if file.sha256.len() != 64 || !file.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!(
                    "its manifest has no valid SHA-256 for {}",
                    file.path
                ));
            }
        }
        let has_database = seen.contains(SQLITE_FILE);
        match (manifest.backend, has_database) {
            (ArchivedBackend::Sqlite, false) => {
                Err("its manifest says SQLite but lists no database file".to_owned())
            }
            (ArchivedBackend::Postgres, true) => {
                Err("its manifest says PostgreSQL but lists a SQLite database file".to_owned())
            }
            _ => Ok(manifest),
        }
    }

    /// How many of the files are uploads.
    pub fn uploads(&self) -> usize {
        self.files.iter().filter(|f| f.path != SQLITE_FILE).count()
    }
}

/// The paths an archive may hold: the SQLite file, or a file under `uploads/`, written
/// with `/`, without empty, `.` or `..` segments. Anything else — an absolute path, a
/// way out of the data directory, the instance id, the index — is refused, so a crafted
/// archive can place nothing outside what a backup writes.
pub fn check_path(path: &str) -> Result<(), String> {
    let mut segments = path.split('/');
    let plain = |s: &str| !s.is_empty() && s != "." && s != ".." && !s.contains(['\\', '\0']);
    let allowed = match segments.next() {
        Some(first) if first == SQLITE_FILE => segments.next().is_none(),
        Some(first) if first == UPLOADS => {
            let rest: Vec<&str> = segments.collect();
            !rest.is_empty() && rest.into_iter().all(plain)
        }
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(format!(
            "{path:?} is not a path a stadsmaat backup holds (the database or a file \
             under uploads/)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_database_and_uploads_inside_the_data_dir() {
        for good in [SQLITE_FILE, "uploads/ab/abcdef", "uploads/x.pdf"] {
            assert!(check_path(good).is_ok(), "{good}");
        }
        for bad in [
            "/etc/passwd",
            "../stadsmaat.sqlite3",
            "uploads/../../x",
            "uploads/./x",
            "uploads//x",
            "uploads/",
            "uploads",
            "instance-id",
            "index/meta.json",
            "stadsmaat.sqlite3/x",
            "uploads/a\\..\\b",
            "",
        ] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_manifest_round_trips_and_is_checked() {
        let file = FileEntry {
            path: SQLITE_FILE.to_owned(),
            size: 3,
            sha256: "a".repeat(64),
        };
        let manifest = Manifest::new(ArchivedBackend::Sqlite, vec![file.clone()], [].into());
        let json = manifest.to_json().expect("json");
        assert_eq!(Manifest::parse(&json).expect("parse"), manifest);

        let twice = Manifest::new(ArchivedBackend::Sqlite, vec![file.clone(), file], [].into());
        assert!(Manifest::parse(&twice.to_json().expect("json")).is_err());
        let no_database = Manifest::new(ArchivedBackend::Sqlite, vec![], [].into());
        assert!(Manifest::parse(&no_database.to_json().expect("json")).is_err());
        let mut newer = Manifest::new(ArchivedBackend::Postgres, vec![], [].into());
        newer.format_version = VERSION + 1;
        let why = Manifest::parse(&newer.to_json().expect("json")).expect_err("newer");
        assert!(why.contains("format version 2"), "{why}");
        assert!(Manifest::parse(b"{\"hello\": 1}").is_err());
    }
}
