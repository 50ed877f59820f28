-- The G40 inventory: themes, bottleneck categories, cities with their report facts, and projects.
CREATE TABLE themes (
    slug TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    definition TEXT NOT NULL
);

CREATE TABLE bottleneck_categories (
    slug TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    definition TEXT NOT NULL
);

CREATE TABLE cities (
    id INTEGER PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    province TEXT NOT NULL,
    population INTEGER NOT NULL,
    area_km2 REAL NOT NULL,
    latitude REAL NOT NULL,
    longitude REAL NOT NULL,
    report_number INTEGER,
    stated_project_count INTEGER,
    notes TEXT,
    focus TEXT
);

CREATE TABLE city_contacts (
    id INTEGER PRIMARY KEY NOT NULL,
    city_id INTEGER NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('ambtelijk', 'bestuurlijk')),
    name TEXT NOT NULL,
    title TEXT
);
CREATE INDEX city_contacts_city ON city_contacts (city_id);

CREATE TABLE programmes (
    id INTEGER PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);

CREATE TABLE city_programmes (
    city_id INTEGER NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    programme_id INTEGER NOT NULL REFERENCES programmes (id) ON DELETE CASCADE,
    PRIMARY KEY (city_id, programme_id)
);

CREATE TABLE projects (
    id INTEGER PRIMARY KEY NOT NULL,
    city_id INTEGER NOT NULL REFERENCES cities (id),
    source_ref TEXT UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    description_origin TEXT NOT NULL CHECK (description_origin IN ('report', 'name_only', 'platform')),
    theme TEXT NOT NULL REFERENCES themes (slug),
    stage TEXT NOT NULL CHECK (stage IN ('idea', 'pilot', 'running', 'scaled', 'stopped')),
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX projects_city_theme ON projects (city_id, theme);
CREATE INDEX projects_theme ON projects (theme);

-- One row per inventory load, so a restart knows the shipped inventory is already in.
CREATE TABLE inventory_imports (
    id INTEGER PRIMARY KEY NOT NULL,
    source TEXT NOT NULL,
    source_updated TEXT NOT NULL,
    cities INTEGER NOT NULL,
    projects_created INTEGER NOT NULL,
    projects_updated INTEGER NOT NULL,
    imported_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
