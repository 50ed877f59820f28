-- Saved searches people follow: a search's words and filters, kept as the canonical
-- query string of /zoeken (q, type, theme, city, stage), one row per person and search.
-- Followed through a `follows` row of kind 'search' whose key is the id.
CREATE TABLE saved_searches (
    id SERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    params TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (user_id, params)
);
