-- "Is dit vergelijkbaar?": a member's answer on one suggested comparable pilot, one per
-- person and ordered pair (the project whose page it is, the suggestion shown there);
-- answering again replaces it. Read at request time over the network's suggestions.
CREATE TABLE similarity_answers (
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    suggested_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    comparable BOOLEAN NOT NULL,
    why TEXT NOT NULL DEFAULT '',
    answered_at TIMESTAMP NOT NULL,
    PRIMARY KEY (project_id, suggested_id, user_id)
);
CREATE INDEX similarity_answers_user ON similarity_answers (user_id);
CREATE INDEX similarity_answers_suggested ON similarity_answers (suggested_id);
