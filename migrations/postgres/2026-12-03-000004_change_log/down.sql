DROP INDEX mail_queue_due;
ALTER TABLE mail_queue DROP COLUMN claimed_until;
ALTER TABLE mail_queue DROP COLUMN claimed_by;
ALTER TABLE mail_queue DROP COLUMN message_id;
CREATE TABLE search_queue (
    id SERIAL PRIMARY KEY,
    doc_kind TEXT NOT NULL,
    doc_id INTEGER NOT NULL,
    queued_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
DROP TABLE change_consumers;
DROP TABLE change_log_state;
DROP TABLE change_log;
