-- Mail people keep reading: each person's language and mail preferences, follows made
-- for them when they join a city, one-click unsubscribe tokens (stored hashed), the
-- weekly digest's "sent for week W" markers, what people opened on the site (left out
-- of their digest), and addresses that keep refusing mail.
ALTER TABLE users ADD COLUMN lang TEXT NOT NULL DEFAULT 'nl';
-- How notifications are mailed: at once, hourly in one mail, or only in the digest.
ALTER TABLE users ADD COLUMN notify_mail TEXT NOT NULL DEFAULT 'immediately'
    CHECK (notify_mail IN ('immediately', 'hourly', 'digest', 'never'));
ALTER TABLE users ADD COLUMN digest_mail BOOLEAN NOT NULL DEFAULT TRUE;
-- Membership decisions and other account news (not the mails one asks for oneself).
ALTER TABLE users ADD COLUMN account_mail BOOLEAN NOT NULL DEFAULT TRUE;
-- When the default follows (own city, its strongest partners, its main themes) were made.
ALTER TABLE users ADD COLUMN follows_seeded_at TIMESTAMP;
-- Set when the address refused mail for good several times; nothing is sent until fixed.
ALTER TABLE users ADD COLUMN email_failing_at TIMESTAMP;
ALTER TABLE users ADD COLUMN email_refusals INTEGER NOT NULL DEFAULT 0;

CREATE TABLE unsubscribe_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    list TEXT NOT NULL CHECK (list IN ('digest', 'notifications', 'account')),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX unsubscribe_tokens_user ON unsubscribe_tokens (user_id);

CREATE TABLE digests (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- ISO week in Amsterdam time, such as 2026-W49.
    week TEXT NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    items INTEGER NOT NULL,
    PRIMARY KEY (user_id, week)
);

CREATE TABLE page_views (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    viewed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, kind, record_id)
);

ALTER TABLE mail_queue ADD COLUMN html_body TEXT;
ALTER TABLE mail_queue ADD COLUMN list TEXT;
ALTER TABLE mail_queue ADD COLUMN unsubscribe_url TEXT;
ALTER TABLE mail_queue ADD COLUMN user_id INTEGER REFERENCES users (id) ON DELETE SET NULL;
