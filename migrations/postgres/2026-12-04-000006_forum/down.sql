DROP TABLE notifications;
DROP TABLE follows;
DROP TABLE post_flags;
DROP TABLE posts;
DROP TABLE threads;
DROP INDEX users_handle;
ALTER TABLE users DROP COLUMN handle;
