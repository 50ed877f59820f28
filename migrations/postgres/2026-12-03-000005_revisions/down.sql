CREATE TABLE project_revisions (
    id SERIAL PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    changes TEXT NOT NULL
);
CREATE INDEX project_revisions_project ON project_revisions (project_id, id);
INSERT INTO project_revisions (project_id, user_id, created_at, changes)
    SELECT subject_id, user_id, created_at, changes FROM revisions
    WHERE subject_kind = 'project' ORDER BY id;
DROP TABLE revisions;
