-- The forum: threads about a project, city, theme, pool, toolkit or general category,
-- their posts (Markdown as written, and the cleaned HTML made from it), flags for the
-- moderators, follows (watching a thread or a thing) and stored notifications.

-- A name to mention someone by (@jan-jansen), unique; set from the name.
ALTER TABLE users ADD COLUMN handle TEXT;
CREATE UNIQUE INDEX users_handle ON users (handle);

CREATE TABLE threads (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    title TEXT NOT NULL,
    about_kind TEXT NOT NULL
        CHECK (about_kind IN ('project', 'city', 'theme', 'pool', 'toolkit', 'category')),
    about_key TEXT NOT NULL,
    -- Where the subject places the thread, for filters and facets.
    city_id INTEGER REFERENCES cities (id),
    theme TEXT,
    -- "Vraag het deze gemeente": the city asked.
    addressed_city_id INTEGER REFERENCES cities (id),
    author_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    last_post_at TIMESTAMP NOT NULL,
    locked BOOLEAN NOT NULL DEFAULT FALSE,
    -- The reply its author or a moderator marked as the answer.
    answer_post_id INTEGER
);
CREATE INDEX threads_about ON threads (about_kind, about_key, last_post_at);
CREATE INDEX threads_last_post ON threads (last_post_at);
CREATE INDEX threads_addressed ON threads (addressed_city_id, last_post_at);
CREATE INDEX threads_city ON threads (city_id, last_post_at);

CREATE TABLE posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    thread_id INTEGER NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    author_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    body TEXT NOT NULL,
    body_html TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    edited_at TIMESTAMP,
    -- Deleted by its author: a placeholder stays in the thread.
    deleted_at TIMESTAMP,
    -- Hidden by a moderator (or by three flags, pending review).
    hidden_at TIMESTAMP,
    hidden_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    hidden_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX posts_thread ON posts (thread_id, id);
CREATE INDEX posts_author ON posts (author_id, created_at);

CREATE TABLE post_flags (
    post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP,
    PRIMARY KEY (post_id, user_id)
);
CREATE INDEX post_flags_open ON post_flags (resolved_at, post_id);

CREATE TABLE follows (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    subject_kind TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, subject_kind, subject_key)
);
CREATE INDEX follows_subject ON follows (subject_kind, subject_key);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('question', 'mention', 'reply', 'new_thread')),
    thread_id INTEGER NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    actor_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP,
    mailed_at TIMESTAMP,
    UNIQUE (user_id, post_id)
);
CREATE INDEX notifications_user ON notifications (user_id, read_at, id);
