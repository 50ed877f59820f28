DROP INDEX projects_confirmed;
ALTER TABLE projects DROP COLUMN merged_into;
ALTER TABLE projects DROP COLUMN archive_note;
ALTER TABLE projects DROP COLUMN archived_why;
ALTER TABLE projects DROP COLUMN archived_at;
ALTER TABLE projects DROP COLUMN confirmed_by_city_id;
ALTER TABLE projects DROP COLUMN confirmed_how;
ALTER TABLE projects DROP COLUMN confirmed_at;
