//! A PostgreSQL database is backed up and restored with PostgreSQL's own tools
//! (`pg_dump`, `pg_restore`), which know its every object and can dump while it is in
//! use: this writes the commands for the operator, without the password.

use std::path::{Path, PathBuf};

/// Where a `postgres://` URL points, without its password.
#[derive(Debug, Default, PartialEq, Eq)]
struct Target {
    host: Option<String>,
    port: Option<String>,
    user: Option<String>,
    dbname: Option<String>,
}

fn decoded(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| {
        percent_encoding::percent_decode_str(text)
            .decode_utf8_lossy()
            .into_owned()
    })
}

/// Reads `postgres://[user[:password]@][host][:port][/dbname][?…]`; the query's
/// settings are left out of the printed commands.
fn parse(url: &str) -> Target {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.split_once('?').map_or(rest, |(before, _)| before);
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((userinfo, hostport)) => (Some(userinfo), hostport),
        None => (None, authority),
    };
    // The password, after the user's colon, is dropped here and never printed.
    let user = userinfo.and_then(|u| decoded(u.split(':').next().unwrap_or("")));
    let (host, port) = match hostport.strip_prefix('[') {
        // [::1]:5432
        Some(v6) => match v6.split_once(']') {
            Some((host, port)) => (host, port.strip_prefix(':').unwrap_or("")),
            None => (v6, ""),
        },
        None => hostport.rsplit_once(':').unwrap_or((hostport, "")),
    };
    Target {
        host: decoded(host),
        port: decoded(port),
        user,
        dbname: decoded(path),
    }
}

/// A word as a POSIX shell reads it: quoted unless it is plainly safe.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

fn connection_flags(target: &Target) -> String {
    [
        ("--host", &target.host),
        ("--port", &target.port),
        ("--username", &target.user),
    ]
    .into_iter()
    .filter_map(|(flag, value)| value.as_ref().map(|v| format!(" {flag}={}", shell_word(v))))
    .collect()
}

/// The dump belonging to an archive: beside it, named after it
/// (`/var/backups/stadsmaat.tar.gz` → `/var/backups/stadsmaat.pgdump`).
pub fn dump_file(archive: &Path) -> PathBuf {
    let name = archive
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = [".tar.gz", ".tgz", ".tar", ".gz"]
        .iter()
        .find_map(|ext| name.strip_suffix(ext))
        .unwrap_or(&name);
    archive.with_file_name(format!("{stem}.pgdump"))
}

/// The `pg_dump` command that backs up the database at `url` into the dump belonging to
/// `archive`.
pub fn dump_command(url: &str, archive: &Path) -> String {
    let target = parse(url);
    // libpq's default database is the one named after the user.
    let dbname = target.dbname.as_deref().or(target.user.as_deref());
    format!(
        "pg_dump --format=custom --file={}{}{}",
        shell_word(&dump_file(archive).to_string_lossy()),
        connection_flags(&target),
        dbname
            .map(|d| format!(" {}", shell_word(d)))
            .unwrap_or_default()
    )
}

/// The `pg_restore` command that loads the dump belonging to `archive` into the
/// database at `url` (or a placeholder when no PostgreSQL database is configured).
pub fn restore_command(url: Option<&str>, archive: &Path) -> String {
    let target = url.map(parse).unwrap_or_default();
    let dbname = target
        .dbname
        .as_deref()
        .or(target.user.as_deref())
        .map_or("DATABASE".to_owned(), shell_word);
    format!(
        "pg_restore --no-owner --dbname={dbname}{} {}",
        connection_flags(&target),
        shell_word(&dump_file(archive).to_string_lossy())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_name_the_database_and_never_the_password() {
        let archive = Path::new("/var/backups/stadsmaat.tar.gz");
        let dump = dump_command(
            "postgres://dev:geheim@127.0.0.1:5433/dev?sslmode=require",
            archive,
        );
        assert_eq!(
            dump,
            "pg_dump --format=custom --file=/var/backups/stadsmaat.pgdump --host=127.0.0.1 \
             --port=5433 --username=dev dev"
        );
        let restore = restore_command(Some("postgresql://stad%20maat:pw@db/nieuw"), archive);
        assert_eq!(
            restore,
            "pg_restore --no-owner --dbname=nieuw --host=db --username='stad maat' \
             /var/backups/stadsmaat.pgdump"
        );
        assert!(!restore.contains("pw") && !dump.contains("geheim"));
        assert_eq!(
            restore_command(None, Path::new("b.tar")),
            "pg_restore --no-owner --dbname=DATABASE b.pgdump"
        );
        assert_eq!(
            parse("postgres://[::1]:5432/x"),
            Target {
                host: Some("::1".into()),
                port: Some("5432".into()),
                user: None,
                dbname: Some("x".into())
            }
        );
        assert_eq!(
            dump_command("postgres://jan@localhost", Path::new("x")),
            "pg_dump --format=custom --file=x.pgdump --host=localhost --username=jan jan"
        );
    }
}
