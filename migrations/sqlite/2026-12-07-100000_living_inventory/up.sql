-- How current a project is, and its end. `confirmed_at` is when a city last edited or
-- confirmed it ("Klopt nog") on the platform; NULL for a report import nobody touched,
-- which is as current as the report. `confirmed_how` is 'edited' or 'confirmed';
-- `confirmed_by_city_id` the city that did it, NULL for the G40 programme office.
ALTER TABLE projects ADD COLUMN confirmed_at TIMESTAMP NULL;
ALTER TABLE projects ADD COLUMN confirmed_how TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN confirmed_by_city_id INTEGER NULL REFERENCES cities (id);
-- A project is archived (stopped, or merged into another) instead of deleted, with why.
ALTER TABLE projects ADD COLUMN archived_at TIMESTAMP NULL;
ALTER TABLE projects ADD COLUMN archived_why TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN archive_note TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN merged_into INTEGER NULL REFERENCES projects (id);

-- What is known already: projects made on the platform are current from their making,
-- imports edited since by a member from their last edit.
UPDATE projects SET confirmed_at = created_at, confirmed_how = 'edited', confirmed_by_city_id = city_id
    WHERE source_ref IS NULL;
UPDATE projects SET confirmed_how = 'edited', confirmed_by_city_id = city_id,
    confirmed_at = (SELECT MAX(r.created_at) FROM revisions r
                    WHERE r.subject_kind = 'project' AND r.subject_id = projects.id
                      AND r.user_id IS NOT NULL)
    WHERE source_ref IS NOT NULL AND EXISTS (
        SELECT 1 FROM revisions r WHERE r.subject_kind = 'project'
            AND r.subject_id = projects.id AND r.user_id IS NOT NULL);
CREATE INDEX projects_confirmed ON projects (city_id, confirmed_at);
