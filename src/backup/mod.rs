//! Backup and restore of an instance's data, a contract operators' tools depend on:
//! `stadsmaat backup FILE` writes one archive while the server runs — a consistent
//! snapshot of the SQLite database, the uploads, and a manifest to check them by — and
//! `stadsmaat restore FILE --data-dir DIR` unpacks it into an empty data directory,
//! checking everything before anything is put in place.
//!
//! Left out on purpose: the search index (derived data; the next `serve` rebuilds it),
//! the instance id (a restored copy is a new instance), the mail outbox (mail already
//! sent). A PostgreSQL database is dumped with PostgreSQL's own `pg_dump`; the archive
//! then holds the uploads and the manifest.

mod archive;
mod manifest;
mod postgres;
mod sqlite;

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub use manifest::{ArchivedBackend, FileEntry, Manifest};

use crate::config::Config;
use crate::db::{Backend, SQLITE_FILE};

/// The tables the one-line summaries name; the manifest counts every table.
const MAIN_TABLES: [&str; 7] = [
    "cities",
    "projects",
    "users",
    "threads",
    "posts",
    "revisions",
    "change_log",
];

/// A directory of work in progress, removed with everything in it when dropped: on
/// success its content has been moved out, on failure it goes.
struct Scratch(PathBuf);

impl Scratch {
    fn create(path: PathBuf) -> Result<Self, String> {
        fs::create_dir(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(Scratch(path))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// What `backup` wrote.
pub struct BackupReport {
    pub file: PathBuf,
    /// The archive's size in bytes.
    pub size: u64,
    pub manifest: Manifest,
    /// For PostgreSQL: the `pg_dump` command that backs up the database.
    pub pg_dump: Option<String>,
}

/// Writes the archive `file` of the instance `config` describes, while it runs.
pub fn backup(config: &Config, file: &Path) -> Result<BackupReport, String> {
    let uploads = config.data_dir.join(manifest::UPLOADS);
    refuse_inside(file, &uploads)?;
    let mut writer = archive::Writer::create(file)?;
    // Beside the archive, not in the data directory: the space the backup needs is
    // where the operator chose to put it.
    let scratch = archive::with_suffix(file, ".partial.d");
    let _ = fs::remove_dir_all(&scratch); // left by a backup that was killed
    let scratch = Scratch::create(scratch)?;

    let mut sources = Vec::new();
    let (backend, row_counts, pg_dump) = match &config.backend {
        Backend::Sqlite { path } => {
            let snapshot = scratch.0.join(SQLITE_FILE);
            let counts = sqlite::snapshot(path, &snapshot)?;
            sources.push((SQLITE_FILE.to_owned(), snapshot));
            (ArchivedBackend::Sqlite, counts, None)
        }
        Backend::Postgres { url } => (
            ArchivedBackend::Postgres,
            BTreeMap::new(),
            Some(postgres::dump_command(url, file)),
        ),
    };
    // Listed after the snapshot: a stored file is on disk before the row naming it
    // commits, so every upload the snapshot refers to is found now.
    list_uploads(&uploads, manifest::UPLOADS, &mut sources)?;
    let files = sources
        .iter()
        .map(|(name, path)| archive::describe(name.clone(), path))
        .collect::<Result<Vec<_>, _>>()?;
    let manifest = Manifest::new(backend, files, row_counts);
    writer.add_manifest(&manifest)?;
    for ((_, source), entry) in sources.iter().zip(&manifest.files) {
        writer.add_file(source, entry)?;
    }
    let size = writer.commit()?;
    Ok(BackupReport {
        file: file.to_owned(),
        size,
        manifest,
        pg_dump,
    })
}

/// An archive written into `uploads/` would be backed up into itself.
fn refuse_inside(file: &Path, uploads: &Path) -> Result<(), String> {
    let parent = file.parent().filter(|p| !p.as_os_str().is_empty());
    let parent = parent.unwrap_or(Path::new(".")).canonicalize();
    match (parent, uploads.canonicalize()) {
        (Ok(parent), Ok(uploads)) if parent.starts_with(&uploads) => Err(format!(
            "cannot write the backup into {}: it would back up itself",
            uploads.display()
        )),
        _ => Ok(()),
    }
}

/// Adds every regular file under `dir` to `out`, as `(archive path, path on disk)`, in
/// name order. A data directory without `uploads/` has none.
fn list_uploads(dir: &Path, prefix: &str, out: &mut Vec<(String, PathBuf)>) -> Result<(), String> {
    let unreadable = |e: io::Error| format!("cannot read {}: {e}", dir.display());
    let entries = match fs::read_dir(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound && prefix == manifest::UPLOADS => {
            return Ok(())
        }
        other => other.map_err(unreadable)?,
    };
    let mut entries = entries.collect::<Result<Vec<_>, _>>().map_err(unreadable)?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name();
        let name = name
            .to_str()
            .ok_or_else(|| format!("cannot back up {}: its name is not UTF-8", path.display()))?;
        let archive_path = format!("{prefix}/{name}");
        let kind = entry.file_type().map_err(unreadable)?;
        if kind.is_dir() {
            list_uploads(&path, &archive_path, out)?;
        } else if kind.is_file() {
            manifest::check_path(&archive_path)
                .map_err(|why| format!("cannot back up {}: {why}", path.display()))?;
            out.push((archive_path, path));
        } else {
            // Uploads are plain files; a link or socket there is none of ours.
            tracing::warn!(path = %path.display(), "not a regular file; left out of the backup");
        }
    }
    Ok(())
}

/// What `restore` put in place.
pub struct RestoreReport {
    pub file: PathBuf,
    pub data_dir: PathBuf,
    pub manifest: Manifest,
    /// For PostgreSQL: the `pg_restore` command that brings the database back.
    pub pg_restore: Option<String>,
}

/// Restores the archive `file` into the data directory of `config`, which must be empty
/// or absent. Every file is checked (size, SHA-256; for SQLite the integrity check and
/// the row counts) in a directory inside the target before it is moved into place; on
/// any failure the target is left as it was.
pub fn restore(config: &Config, file: &Path) -> Result<RestoreReport, String> {
    let target = &config.data_dir;
    ensure_empty(target)?;
    let manifest = archive::read_manifest(file)?;
    let pg_url = match &config.backend {
        Backend::Postgres { url } => Some(url.as_str()),
        Backend::Sqlite { .. } => None,
    };
    if manifest.backend == ArchivedBackend::Sqlite {
        check_sqlite_target(config)?;
    }
    let created = !target.exists();
    fs::create_dir_all(target).map_err(|e| format!("cannot create {}: {e}", target.display()))?;
    let unpacked = unpack(file, &manifest, target);
    if unpacked.is_err() && created {
        let _ = fs::remove_dir(target);
    }
    unpacked?;
    Ok(RestoreReport {
        file: file.to_owned(),
        data_dir: target.to_owned(),
        pg_restore: (manifest.backend == ArchivedBackend::Postgres)
            .then(|| postgres::restore_command(pg_url, file)),
        manifest,
    })
}

/// Refuses a data directory with anything in it: a restore never overwrites.
fn ensure_empty(dir: &Path) -> Result<(), String> {
    let entries = match fs::read_dir(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        other => other.map_err(|e| format!("cannot restore into {}: {e}", dir.display()))?,
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    names.sort();
    let more = if names.len() > 5 { ", …" } else { "" };
    names.truncate(5);
    Err(format!(
        "the data directory {} is not empty (it holds {}{more}): restore only into an \
         empty or new directory, so that nothing is overwritten",
        dir.display(),
        names.join(", ")
    ))
}

/// A SQLite backup comes back as the data directory's database, where `serve` will
/// look for it.
fn check_sqlite_target(config: &Config) -> Result<(), String> {
    match &config.backend {
        Backend::Sqlite { path } if *path == config.data_dir.join(SQLITE_FILE) => Ok(()),
        Backend::Sqlite { path } => Err(format!(
            "this backup's SQLite database is restored into the data directory, but \
             DATABASE_URL names {}: restore (and serve) without DATABASE_URL",
            path.display()
        )),
        Backend::Postgres { .. } => Err(
            "this backup holds a SQLite database, but DATABASE_URL selects PostgreSQL: \
             restore (and serve) it without DATABASE_URL"
                .to_owned(),
        ),
    }
}

/// Extracts and checks in `<target>/.restoring` — inside the target, on its file system,
/// so that putting things in place is a rename — then moves them into place.
fn unpack(file: &Path, manifest: &Manifest, target: &Path) -> Result<(), String> {
    let staging = Scratch::create(target.join(".restoring"))?;
    archive::extract(file, manifest, &staging.0)?;
    if manifest.backend == ArchivedBackend::Sqlite {
        sqlite::verify(&staging.0.join(SQLITE_FILE), &manifest.row_counts)?;
    }
    // The database last: a data directory with a database has its uploads.
    let mut moved = Vec::new();
    let result = [manifest::UPLOADS, SQLITE_FILE]
        .into_iter()
        .filter(|name| staging.0.join(name).exists())
        .try_for_each(|name| {
            let to = target.join(name);
            fs::rename(staging.0.join(name), &to)
                .map_err(|e| format!("cannot move {name} into {}: {e}", target.display()))?;
            moved.push(to);
            Ok(())
        })
        .and_then(|()| archive::sync_dir(target));
    if result.is_err() {
        // Back to empty: the target held nothing before.
        for path in moved {
            let _ = fs::remove_dir_all(&path).or_else(|_| fs::remove_file(&path));
        }
    }
    result
}

fn human_size(bytes: u64) -> String {
    let units = ["KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = None;
    for next in units {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = Some(next);
    }
    match unit {
        Some(unit) => format!("{value:.1} {unit}"),
        None => format!("{bytes} bytes"),
    }
}

/// "40 cities, 434 projects, …" of the main tables present.
fn counts(manifest: &Manifest) -> String {
    MAIN_TABLES
        .iter()
        .filter_map(|table| {
            manifest
                .row_counts
                .get(*table)
                .map(|n| format!("{n} {table}"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn uploaded_files(manifest: &Manifest) -> String {
    match manifest.uploads() {
        1 => "1 uploaded file".to_owned(),
        n => format!("{n} uploaded files"),
    }
}

impl fmt::Display for BackupReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(command) = &self.pg_dump {
            writeln!(
                f,
                "The PostgreSQL database is not in this archive: dump it with pg_dump, \
                 before each `stadsmaat backup` so that every upload the dump refers to is \
                 in the archive:\n  {command}\n(pg_dump reads the password from PGPASSWORD \
                 or ~/.pgpass, or asks for it.)"
            )?;
        }
        let database = match self.manifest.backend {
            ArchivedBackend::Sqlite => format!("SQLite snapshot with {}", counts(&self.manifest)),
            ArchivedBackend::Postgres => "no database (PostgreSQL: pg_dump)".to_owned(),
        };
        write!(
            f,
            "backup written: {} ({}): {database}; {}",
            self.file.display(),
            human_size(self.size),
            uploaded_files(&self.manifest)
        )
    }
}

impl fmt::Display for RestoreReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let database = match self.manifest.backend {
            ArchivedBackend::Sqlite => format!(
                "SQLite database intact, with the rows the manifest records ({})",
                counts(&self.manifest)
            ),
            ArchivedBackend::Postgres => "no database (PostgreSQL)".to_owned(),
        };
        write!(
            f,
            "restored {} (made {} by stadsmaat {}) into {}: {database}; {}",
            self.file.display(),
            self.manifest.created_at,
            self.manifest.stadsmaat_version,
            self.data_dir.display(),
            uploaded_files(&self.manifest)
        )?;
        if let Some(command) = &self.pg_restore {
            write!(
                f,
                "\nThe database is not in this archive: load the pg_dump made with it into \
                 an empty database, then serve with DATABASE_URL pointing there:\n  \
                 {command}\n(A plain SQL dump loads with psql --file=… instead.)"
            )?;
        }
        write!(
            f,
            "\nThe search index is not in the archive: the next `stadsmaat serve` rebuilds it."
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(512), "512 bytes");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(3 * 1024 * 1024), "3.0 MiB");
    }
}
