-- Browsers an account trusts (OWASP's device cookies): each signed in to it, or reset its
-- password, and keeps a cookie whose token is stored here hashed. Failed logins from such
-- a browser count against it alone, so strangers cannot lock the owner out.
CREATE TABLE trusted_devices (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    token_hash TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- When the browser last signed in to the account; trust lapses some time after.
    signed_in_at TIMESTAMP NOT NULL,
    UNIQUE (token_hash, user_id)
);
CREATE INDEX trusted_devices_user ON trusted_devices (user_id);
