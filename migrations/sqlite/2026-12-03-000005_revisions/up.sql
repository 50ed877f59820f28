-- Revision history for every record people edit (projects now; toolkits and forum posts
-- next): who changed which fields ([{"field", "from", "to"}]) when, numbered per record.
-- An account's deletion keeps its revisions, anonymised.
CREATE TABLE revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id INTEGER NOT NULL,
    number INTEGER NOT NULL,
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    changes TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    UNIQUE (subject_kind, subject_id, number)
);
CREATE INDEX revisions_user ON revisions (user_id);

INSERT INTO revisions (subject_kind, subject_id, number, user_id, created_at, changes)
    SELECT 'project', project_id,
           ROW_NUMBER() OVER (PARTITION BY project_id ORDER BY id),
           user_id, created_at, changes
    FROM project_revisions ORDER BY id;
DROP TABLE project_revisions;
