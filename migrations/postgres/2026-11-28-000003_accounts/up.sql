-- Accounts: users with their city membership and roles, server-side sessions, single-use
-- tokens (stored hashed), e-mail domains that place users in a city, membership requests,
-- the admin audit log, the durable mail queue, and the edit history of projects.
CREATE TABLE users (
    id SERIAL PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    city_id INTEGER REFERENCES cities (id),
    city_role TEXT CHECK (city_role IN ('member', 'editor')),
    site_role TEXT NOT NULL DEFAULT 'none' CHECK (site_role IN ('none', 'moderator', 'admin')),
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CHECK ((city_id IS NULL) = (city_role IS NULL))
);
CREATE INDEX users_city ON users (city_id);

CREATE TABLE sessions (
    id SERIAL PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    user_agent TEXT NOT NULL,
    ip TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE account_tokens (
    id SERIAL PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password', 'change_email')),
    new_email TEXT,
    -- A registration's own name and password, applied when its link is followed: an
    -- unverified address can be registered again without anyone taking it over.
    new_name TEXT,
    password_hash TEXT,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX account_tokens_user ON account_tokens (user_id, purpose);

CREATE TABLE email_domains (
    domain TEXT PRIMARY KEY NOT NULL,
    city_id INTEGER NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE membership_requests (
    id SERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    city_id INTEGER NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    motivation TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    decided_at TIMESTAMP,
    decided_by INTEGER REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX membership_requests_city ON membership_requests (city_id, status);
-- One open request per user at a time.
CREATE UNIQUE INDEX membership_requests_one_pending ON membership_requests (user_id)
    WHERE status = 'pending';

-- Actor and subject are plain ids, not foreign keys: the log must outlive the accounts.
CREATE TABLE audit_log (
    id SERIAL PRIMARY KEY,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    actor_id INTEGER,
    subject_user_id INTEGER,
    action TEXT NOT NULL,
    details TEXT NOT NULL
);

-- Mail waiting for delivery; a row is deleted once the transport has the message.
CREATE TABLE mail_queue (
    id SERIAL PRIMARY KEY,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_error TEXT
);

ALTER TABLE projects ADD COLUMN lessons TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN partners TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN contact_name TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN contact_email TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN links TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN created_by INTEGER REFERENCES users (id) ON DELETE SET NULL;

-- Who changed what when: one row per saved edit, the changed fields as JSON
-- ([{"field", "from", "to"}]). An account's deletion keeps its edits, anonymised.
CREATE TABLE project_revisions (
    id SERIAL PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    changes TEXT NOT NULL
);
CREATE INDEX project_revisions_project ON project_revisions (project_id, id);
