-- Expertise pools and their toolkits: leads (appointed per pool) and members, toolkits
-- whose versions are their revisions (the shared revision history), attachments
-- stored by content hash under <data-dir>/uploads/, the projects a toolkit came from,
-- and each city's adoption of a toolkit.
CREATE TABLE pools (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    -- The six theme slugs it serves, space-separated.
    themes TEXT NOT NULL DEFAULT '',
    -- The report's bottleneck category it was made from, if any.
    category TEXT,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE pool_members (
    pool_id INTEGER NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('lead', 'member')),
    joined_at TIMESTAMP NOT NULL,
    PRIMARY KEY (pool_id, user_id)
);
CREATE INDEX pool_members_user ON pool_members (user_id);

CREATE TABLE toolkits (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    pool_id INTEGER NOT NULL REFERENCES pools (id),
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    body TEXT NOT NULL,
    body_html TEXT NOT NULL,
    themes TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '',
    -- The number of its latest revision.
    version INTEGER NOT NULL,
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX toolkits_pool ON toolkits (pool_id);

CREATE TABLE toolkit_projects (
    toolkit_id INTEGER NOT NULL REFERENCES toolkits (id) ON DELETE CASCADE,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    PRIMARY KEY (toolkit_id, project_id)
);

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    toolkit_id INTEGER NOT NULL REFERENCES toolkits (id) ON DELETE CASCADE,
    -- The toolkit version that added it.
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    -- Text for search, extracted off the request path: pending, done, failed,
    -- unavailable (no extractor installed) or unsupported (images).
    extraction TEXT NOT NULL DEFAULT 'pending',
    extracted_text TEXT
);
CREATE INDEX attachments_toolkit ON attachments (toolkit_id);
CREATE INDEX attachments_extraction ON attachments (extraction);

CREATE TABLE adoptions (
    toolkit_id INTEGER NOT NULL REFERENCES toolkits (id) ON DELETE CASCADE,
    city_id INTEGER NOT NULL REFERENCES cities (id),
    version INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('overwogen', 'in-gebruik', 'gestopt')),
    note TEXT NOT NULL DEFAULT '',
    project_id INTEGER REFERENCES projects (id) ON DELETE SET NULL,
    updated_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (toolkit_id, city_id)
);
CREATE INDEX adoptions_city ON adoptions (city_id);
