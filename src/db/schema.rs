//! Diesel's view of the tables. Written by hand because both migration trees
//! (`migrations/sqlite`, `migrations/postgres`) must produce exactly this shape.

diesel::table! {
    themes (slug) {
        slug -> Text,
        position -> Integer,
        name -> Text,
        definition -> Text,
    }
}

diesel::table! {
    bottleneck_categories (slug) {
        slug -> Text,
        position -> Integer,
        name -> Text,
        definition -> Text,
    }
}

diesel::table! {
    cities (id) {
        id -> Integer,
        slug -> Text,
        name -> Text,
        province -> Text,
        population -> Integer,
        area_km2 -> Double,
        latitude -> Double,
        longitude -> Double,
        report_number -> Nullable<Integer>,
        stated_project_count -> Nullable<Integer>,
        notes -> Nullable<Text>,
        focus -> Nullable<Text>,
    }
}

diesel::table! {
    city_contacts (id) {
        id -> Integer,
        city_id -> Integer,
        position -> Integer,
        role -> Text,
        name -> Text,
        title -> Nullable<Text>,
    }
}

diesel::table! {
    programmes (id) {
        id -> Integer,
        slug -> Text,
        name -> Text,
    }
}

diesel::table! {
    city_programmes (city_id, programme_id) {
        city_id -> Integer,
        programme_id -> Integer,
    }
}

diesel::table! {
    projects (id) {
        id -> Integer,
        city_id -> Integer,
        source_ref -> Nullable<Text>,
        title -> Text,
        description -> Text,
        description_origin -> Text,
        theme -> Text,
        stage -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    inventory_imports (id) {
        id -> Integer,
        source -> Text,
        source_updated -> Text,
        cities -> Integer,
        projects_created -> Integer,
        projects_updated -> Integer,
        imported_at -> Timestamp,
    }
}

diesel::joinable!(city_contacts -> cities (city_id));
diesel::joinable!(city_programmes -> cities (city_id));
diesel::joinable!(city_programmes -> programmes (programme_id));
diesel::joinable!(projects -> cities (city_id));
diesel::joinable!(projects -> themes (theme));

diesel::allow_tables_to_appear_in_same_query!(
    themes,
    bottleneck_categories,
    cities,
    city_contacts,
    programmes,
    city_programmes,
    projects,
    inventory_imports,
);

diesel::table! {
    search_queue (id) {
        id -> Integer,
        doc_kind -> Text,
        doc_id -> Integer,
        queued_at -> Timestamp,
    }
}
