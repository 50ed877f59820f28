//! Revision history, one mechanism for every record people edit — projects now, toolkits
//! and forum posts next: each save records who changed which fields from what to what,
//! and when, numbered per record, in the transaction of the change. A record's fields
//! are compared as a [`Snapshot`] (name and value of each, in a fixed order), so two
//! versions can be set side by side field by field.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::changes::Kind;
use crate::db::schema::{revisions, users};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};

/// One field's change.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct FieldChange {
    pub field: String,
    pub from: String,
    pub to: String,
}

/// A record's editable fields as (name, value), always in the same order.
pub type Snapshot = Vec<(&'static str, String)>;

/// The fields whose values differ between two snapshots of one record.
pub fn diff(old: &[(&'static str, String)], new: &[(&'static str, String)]) -> Vec<FieldChange> {
    new.iter()
        .filter_map(|(field, to)| {
            let from = old
                .iter()
                .find(|(f, _)| f == field)
                .map_or("", |(_, v)| v.as_str());
            (from != to).then(|| FieldChange {
                field: (*field).to_owned(),
                from: from.to_owned(),
                to: to.clone(),
            })
        })
        .collect()
}

/// Records a revision of `kind` `id` by `user_id` (none for the system); returns its
/// number, counting from 1 per record. Call in the transaction of the change.
pub fn record(
    conn: &mut DbConnection,
    kind: Kind,
    id: i32,
    user_id: Option<i32>,
    changes: &[FieldChange],
    note: &str,
) -> AppResult<i32> {
    let json =
        serde_json::to_string(changes).map_err(|e| AppError::Internal(format!("revision: {e}")))?;
    let last: Option<i32> = revisions::table
        .filter(revisions::subject_kind.eq(kind.slug()))
        .filter(revisions::subject_id.eq(id))
        .select(diesel::dsl::max(revisions::number))
        .first(conn)?;
    let number = last.unwrap_or(0) + 1;
    diesel::insert_into(revisions::table)
        .values((
            revisions::subject_kind.eq(kind.slug()),
            revisions::subject_id.eq(id),
            revisions::number.eq(number),
            revisions::user_id.eq(user_id),
            revisions::created_at.eq(Utc::now().naive_utc()),
            revisions::changes.eq(json),
            revisions::note.eq(note),
        ))
        .execute(conn)?;
    Ok(number)
}

/// A revision as read back.
#[derive(Clone, Debug)]
pub struct Revision {
    pub subject_id: i32,
    pub number: i32,
    pub user_id: Option<i32>,
    /// The author's name; `None` once their account is deleted.
    pub author: Option<String>,
    pub created_at: NaiveDateTime,
    pub changes: Vec<FieldChange>,
    pub note: String,
}

type Row = (
    i32,
    i32,
    Option<i32>,
    Option<String>,
    NaiveDateTime,
    String,
    String,
);

fn revision((subject_id, number, user_id, author, created_at, changes, note): Row) -> Revision {
    Revision {
        subject_id,
        number,
        user_id,
        author,
        created_at,
        changes: serde_json::from_str(&changes).unwrap_or_default(),
        note,
    }
}

macro_rules! select_revisions {
    () => {
        revisions::table.left_join(users::table).select((
            revisions::subject_id,
            revisions::number,
            revisions::user_id,
            users::name.nullable(),
            revisions::created_at,
            revisions::changes,
            revisions::note,
        ))
    };
}

/// Every revision of one record, newest first.
pub fn history(conn: &mut DbConnection, kind: Kind, id: i32) -> AppResult<Vec<Revision>> {
    let rows: Vec<Row> = select_revisions!()
        .filter(revisions::subject_kind.eq(kind.slug()))
        .filter(revisions::subject_id.eq(id))
        .order(revisions::number.desc())
        .load(conn)?;
    Ok(rows.into_iter().map(revision).collect())
}

/// How many times a record was edited on the platform.
pub fn count(conn: &mut DbConnection, kind: Kind, id: i32) -> AppResult<i64> {
    Ok(revisions::table
        .filter(revisions::subject_kind.eq(kind.slug()))
        .filter(revisions::subject_id.eq(id))
        .count()
        .get_result(conn)?)
}

/// Everything one user changed of one kind of record, oldest first (their data export).
pub fn by_user(conn: &mut DbConnection, kind: Kind, user_id: i32) -> AppResult<Vec<Revision>> {
    let rows: Vec<Row> = select_revisions!()
        .filter(revisions::subject_kind.eq(kind.slug()))
        .filter(revisions::user_id.eq(user_id))
        .order(revisions::id)
        .load(conn)?;
    Ok(rows.into_iter().map(revision).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(title: &str, stage: &str) -> Snapshot {
        vec![("title", title.to_owned()), ("stage", stage.to_owned())]
    }

    #[test]
    fn a_diff_names_only_the_fields_that_changed() {
        let changes = diff(
            &snapshot("Talking Traffic", "pilot"),
            &snapshot("Talking Traffic", "running"),
        );
        assert_eq!(
            changes,
            [FieldChange {
                field: "stage".into(),
                from: "pilot".into(),
                to: "running".into()
            }]
        );
        assert_eq!(
            diff(&[], &snapshot("Nieuw", "idea")).len(),
            2,
            "a new record: every field"
        );
    }

    #[test]
    fn revisions_are_numbered_per_record_and_read_newest_first() {
        let dir = tempfile::tempdir().expect("dir");
        let db = crate::db::Database::open(crate::db::Backend::Sqlite {
            path: dir.path().join("t.sqlite3"),
        })
        .expect("open");
        let mut conn = db.connection().expect("conn");
        let change = diff(&[], &snapshot("A", "idea"));
        assert_eq!(
            record(&mut conn, Kind::Project, 1, None, &change, "").expect("1"),
            1
        );
        assert_eq!(
            record(&mut conn, Kind::Project, 2, None, &change, "").expect("1"),
            1
        );
        assert_eq!(
            record(&mut conn, Kind::Project, 1, None, &change, "tweede").expect("2"),
            2
        );
        let history = history(&mut conn, Kind::Project, 1).expect("history");
        assert_eq!(history.iter().map(|r| r.number).collect::<Vec<_>>(), [2, 1]);
        assert_eq!(history[0].note, "tweede");
        assert_eq!(history[1].changes, change);
        assert_eq!(count(&mut conn, Kind::Toolkit, 1).expect("count"), 0);
    }
}
