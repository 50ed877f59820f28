-- The solution catalogue (named products, programmes and techniques the cities cluster
-- around) and which projects are which solution: suggested automatically from a
-- project's text with a confidence, confirmed or rejected by the city's editors, every
-- decision kept in the history beside it.
CREATE TABLE solutions (
    id SERIAL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('product', 'programme', 'technique')),
    name TEXT NOT NULL,
    name_en TEXT NOT NULL,
    description TEXT NOT NULL,
    description_en TEXT NOT NULL,
    -- The theme slugs it serves, space-separated.
    themes TEXT NOT NULL DEFAULT '',
    -- Its terms as in data/solutions.tsv: ' | '-separated, '@concept' for a thesaurus
    -- concept's terms.
    terms TEXT NOT NULL,
    -- A frame projects work in (a living lab) rather than what they are: suggested to
    -- editors, never counted until one confirms it.
    setting BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE project_solutions (
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    solution_id INTEGER NOT NULL REFERENCES solutions (id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('suggested', 'confirmed', 'rejected')),
    -- How sure the automatic suggestion is (0..1); 1 for a link an editor made.
    confidence DOUBLE PRECISION NOT NULL,
    decided_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    decided_at TIMESTAMP,
    PRIMARY KEY (project_id, solution_id)
);
CREATE INDEX project_solutions_solution ON project_solutions (solution_id);

CREATE TABLE project_solution_events (
    id SERIAL PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    solution_id INTEGER NOT NULL REFERENCES solutions (id) ON DELETE CASCADE,
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX project_solution_events_project ON project_solution_events (project_id);
