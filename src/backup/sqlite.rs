//! The SQLite side of a backup: a consistent snapshot of the live database while the
//! server keeps writing (`VACUUM INTO`, never a copy of the file and its write-ahead
//! log), the row counts the manifest records, and the checks of a restored file.

use std::collections::BTreeMap;
use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};

/// Writes a snapshot of the database at `live` to the new file `into` and counts its
/// rows. `VACUUM INTO` reads in one transaction, so the snapshot is the database as of
/// one commit; in WAL mode that read blocks no writer.
pub fn snapshot(live: &Path, into: &Path) -> Result<BTreeMap<String, i64>, String> {
    // Opening a missing file would create an empty database and back that up.
    if !live.is_file() {
        return Err(format!(
            "there is no SQLite database at {}: is --data-dir right?",
            live.display()
        ));
    }
    let mut conn = open(live)?;
    let target = into
        .to_str()
        .ok_or_else(|| format!("cannot use {} for the snapshot: not UTF-8", into.display()))?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(target)
        .execute(&mut conn)
        .map_err(|e| format!("cannot take a snapshot of {}: {e}", live.display()))?;
    drop(conn);
    let mut snapshot = open(into)?;
    // A self-contained file: restored, it opens without -wal and -shm files beside it
    // (the next `serve` turns write-ahead logging on again).
    snapshot
        .batch_execute("PRAGMA journal_mode = DELETE")
        .map_err(|e| format!("cannot prepare the snapshot {}: {e}", into.display()))?;
    row_counts(&mut snapshot)
}

/// Checks a restored database: SQLite's own integrity check, then the row counts the
/// manifest recorded when the snapshot was taken.
pub fn verify(restored: &Path, expected: &BTreeMap<String, i64>) -> Result<(), String> {
    #[derive(QueryableByName)]
    struct Check {
        #[diesel(sql_type = Text)]
        integrity_check: String,
    }
    let mut conn = open(restored)?;
    let report: Vec<String> = diesel::sql_query("PRAGMA integrity_check")
        .load::<Check>(&mut conn)
        .map_err(|e| format!("the restored database cannot be checked: {e}"))?
        .into_iter()
        .map(|c| c.integrity_check)
        .collect();
    if report != ["ok"] {
        return Err(format!(
            "the restored database fails SQLite's integrity check: {}",
            report.into_iter().take(5).collect::<Vec<_>>().join("; ")
        ));
    }
    let found = row_counts(&mut conn)?;
    let differences: Vec<String> = expected
        .keys()
        .chain(found.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|table| expected.get(*table) != found.get(*table))
        .map(|table| {
            let show = |n: Option<&i64>| n.map_or("no table".to_owned(), |n| format!("{n} rows"));
            format!(
                "{table}: manifest {}, database {}",
                show(expected.get(table)),
                show(found.get(table))
            )
        })
        .collect();
    if differences.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the restored database does not match the manifest's row counts ({})",
            differences.join(", ")
        ))
    }
}

fn open(path: &Path) -> Result<SqliteConnection, String> {
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    // The server may hold the write lock for a moment; wait as its own connections do.
    conn.batch_execute("PRAGMA busy_timeout = 5000")
        .map_err(|e| format!("cannot use {}: {e}", path.display()))?;
    Ok(conn)
}

/// Rows per table, every table of the schema (whatever the migrations made), by name.
fn row_counts(conn: &mut SqliteConnection) -> Result<BTreeMap<String, i64>, String> {
    #[derive(QueryableByName)]
    struct Table {
        #[diesel(sql_type = Text)]
        name: String,
    }
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        total: i64,
    }
    let failed = |e: diesel::result::Error| format!("cannot count the snapshot's rows: {e}");
    let tables = diesel::sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    )
    .load::<Table>(conn)
    .map_err(failed)?;
    let mut counts = BTreeMap::new();
    for Table { name } in tables {
        let quoted = name.replace('"', "\"\"");
        let count = diesel::sql_query(format!("SELECT COUNT(*) AS total FROM \"{quoted}\""))
            .get_result::<Count>(conn)
            .map_err(failed)?;
        counts.insert(name, count.total);
    }
    Ok(counts)
}
