-- The change log: one row per change to a record that derived data reads (the search
-- index, matchmaking, and later notifications and digests), appended in the transaction
-- of the change. Each consumer reads forward from its own position (src/changes.rs).
CREATE TABLE change_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    kind TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    operation TEXT NOT NULL CHECK (operation IN ('insert', 'update', 'delete')),
    changed_at TIMESTAMP NOT NULL
);

-- Rows up to `compacted_through` may have been deleted: a consumer whose position is
-- below it rebuilds instead of reading on.
CREATE TABLE change_log_state (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    compacted_through BIGINT NOT NULL
);
INSERT INTO change_log_state (id, compacted_through) VALUES (1, 0);

-- Where each consumer stands. Durable consumers (notifications, digests) keep their
-- position here and hold the log until they have read it; an instance's own derived
-- data (its index, its matchmaking network) reports here so retention waits for it
-- while it is alive.
CREATE TABLE change_consumers (
    name TEXT PRIMARY KEY NOT NULL,
    position BIGINT NOT NULL,
    durable BOOLEAN NOT NULL,
    seen_at TIMESTAMP NOT NULL
);

-- What the search queue still held becomes log entries, so nothing pending is lost.
INSERT INTO change_log (kind, record_id, operation, changed_at)
    SELECT doc_kind, doc_id, 'update', queued_at FROM search_queue ORDER BY id;
DROP TABLE search_queue;

-- Mail: a stable Message-ID per message, and a claim so that of several instances only
-- one sends it.
ALTER TABLE mail_queue ADD COLUMN message_id TEXT NOT NULL DEFAULT '';
UPDATE mail_queue SET message_id = '<queued-' || id || '@stadsmaat.invalid>';
ALTER TABLE mail_queue ADD COLUMN claimed_by TEXT;
ALTER TABLE mail_queue ADD COLUMN claimed_until TIMESTAMP;
CREATE INDEX mail_queue_due ON mail_queue (next_attempt_at);
