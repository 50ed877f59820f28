-- Records whose search documents must be (re)built. Written in the same transaction as
-- the record change, drained by the indexer after commit, so the index catches up after
-- any crash.
CREATE TABLE search_queue (
    id INTEGER PRIMARY KEY NOT NULL,
    doc_kind TEXT NOT NULL,
    doc_id INTEGER NOT NULL,
    queued_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
