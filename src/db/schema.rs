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
        lessons -> Text,
        partners -> Text,
        contact_name -> Text,
        contact_email -> Text,
        links -> Text,
        created_by -> Nullable<Integer>,
        confirmed_at -> Nullable<Timestamp>,
        confirmed_how -> Text,
        confirmed_by_city_id -> Nullable<Integer>,
        archived_at -> Nullable<Timestamp>,
        archived_why -> Text,
        archive_note -> Text,
        merged_into -> Nullable<Integer>,
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

diesel::table! {
    users (id) {
        id -> Integer,
        email -> Text,
        name -> Text,
        password_hash -> Text,
        email_verified -> Bool,
        city_id -> Nullable<Integer>,
        city_role -> Nullable<Text>,
        site_role -> Text,
        created_at -> Timestamp,
        handle -> Nullable<Text>,
        lang -> Text,
        notify_mail -> Text,
        digest_mail -> Bool,
        account_mail -> Bool,
        follows_seeded_at -> Nullable<Timestamp>,
        email_failing_at -> Nullable<Timestamp>,
        email_refusals -> Integer,
        last_seen_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    trusted_devices (id) {
        id -> Integer,
        token_hash -> Text,
        user_id -> Integer,
        signed_in_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> Integer,
        token_hash -> Text,
        user_id -> Integer,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        user_agent -> Text,
        ip -> Text,
    }
}

diesel::table! {
    account_tokens (id) {
        id -> Integer,
        token_hash -> Text,
        user_id -> Integer,
        purpose -> Text,
        new_email -> Nullable<Text>,
        new_name -> Nullable<Text>,
        password_hash -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    email_domains (domain) {
        domain -> Text,
        city_id -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    membership_requests (id) {
        id -> Integer,
        user_id -> Integer,
        city_id -> Integer,
        motivation -> Text,
        status -> Text,
        created_at -> Timestamp,
        decided_at -> Nullable<Timestamp>,
        decided_by -> Nullable<Integer>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Integer,
        created_at -> Timestamp,
        actor_id -> Nullable<Integer>,
        subject_user_id -> Nullable<Integer>,
        action -> Text,
        details -> Text,
    }
}

diesel::table! {
    mail_queue (id) {
        id -> Integer,
        recipient -> Text,
        subject -> Text,
        body -> Text,
        created_at -> Timestamp,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        message_id -> Text,
        claimed_by -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
        html_body -> Nullable<Text>,
        list -> Nullable<Text>,
        unsubscribe_url -> Nullable<Text>,
        user_id -> Nullable<Integer>,
    }
}

diesel::table! {
    revisions (id) {
        id -> Integer,
        subject_kind -> Text,
        subject_id -> Integer,
        number -> Integer,
        user_id -> Nullable<Integer>,
        created_at -> Timestamp,
        changes -> Text,
        note -> Text,
    }
}

diesel::joinable!(city_contacts -> cities (city_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(trusted_devices -> users (user_id));
diesel::joinable!(users -> cities (city_id));
diesel::joinable!(email_domains -> cities (city_id));
diesel::joinable!(membership_requests -> cities (city_id));
diesel::joinable!(revisions -> users (user_id));
diesel::joinable!(posts -> threads (thread_id));
diesel::joinable!(post_flags -> posts (post_id));
diesel::joinable!(post_flags -> users (user_id));
diesel::joinable!(notifications -> threads (thread_id));
diesel::joinable!(pool_members -> pools (pool_id));
diesel::joinable!(pool_members -> users (user_id));
diesel::joinable!(toolkits -> pools (pool_id));
diesel::joinable!(attachments -> toolkits (toolkit_id));
diesel::joinable!(adoptions -> toolkits (toolkit_id));
diesel::joinable!(adoptions -> cities (city_id));
diesel::joinable!(toolkit_projects -> toolkits (toolkit_id));
diesel::joinable!(city_programmes -> cities (city_id));
diesel::joinable!(city_programmes -> programmes (programme_id));
diesel::joinable!(projects -> cities (city_id));
diesel::joinable!(projects -> themes (theme));
diesel::joinable!(saved_searches -> users (user_id));
diesel::joinable!(project_solutions -> projects (project_id));
diesel::joinable!(project_solutions -> solutions (solution_id));
diesel::joinable!(project_solution_events -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    themes,
    bottleneck_categories,
    cities,
    city_contacts,
    programmes,
    city_programmes,
    projects,
    inventory_imports,
    users,
    sessions,
    trusted_devices,
    account_tokens,
    email_domains,
    membership_requests,
    audit_log,
    mail_queue,
    revisions,
    threads,
    posts,
    post_flags,
    follows,
    notifications,
    pools,
    pool_members,
    toolkits,
    toolkit_projects,
    attachments,
    adoptions,
    unsubscribe_tokens,
    digests,
    page_views,
    saved_searches,
    solutions,
    project_solutions,
    project_solution_events,
);

diesel::table! {
    threads (id) {
        id -> Integer,
        title -> Text,
        about_kind -> Text,
        about_key -> Text,
        city_id -> Nullable<Integer>,
        theme -> Nullable<Text>,
        addressed_city_id -> Nullable<Integer>,
        author_id -> Nullable<Integer>,
        created_at -> Timestamp,
        last_post_at -> Timestamp,
        locked -> Bool,
        answer_post_id -> Nullable<Integer>,
    }
}

diesel::table! {
    posts (id) {
        id -> Integer,
        thread_id -> Integer,
        author_id -> Nullable<Integer>,
        body -> Text,
        body_html -> Text,
        created_at -> Timestamp,
        edited_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
        hidden_at -> Nullable<Timestamp>,
        hidden_by -> Nullable<Integer>,
        hidden_reason -> Text,
    }
}

diesel::table! {
    post_flags (post_id, user_id) {
        post_id -> Integer,
        user_id -> Integer,
        reason -> Text,
        created_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    follows (user_id, subject_kind, subject_key) {
        user_id -> Integer,
        subject_kind -> Text,
        subject_key -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    notifications (id) {
        id -> Integer,
        user_id -> Integer,
        kind -> Text,
        thread_id -> Integer,
        post_id -> Integer,
        actor_id -> Nullable<Integer>,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
        mailed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    pools (id) {
        id -> Integer,
        slug -> Text,
        name -> Text,
        description -> Text,
        themes -> Text,
        category -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    pool_members (pool_id, user_id) {
        pool_id -> Integer,
        user_id -> Integer,
        role -> Text,
        joined_at -> Timestamp,
    }
}

diesel::table! {
    toolkits (id) {
        id -> Integer,
        pool_id -> Integer,
        title -> Text,
        summary -> Text,
        body -> Text,
        body_html -> Text,
        themes -> Text,
        tags -> Text,
        version -> Integer,
        created_by -> Nullable<Integer>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    toolkit_projects (toolkit_id, project_id) {
        toolkit_id -> Integer,
        project_id -> Integer,
    }
}

diesel::table! {
    attachments (id) {
        id -> Integer,
        toolkit_id -> Integer,
        version -> Integer,
        name -> Text,
        kind -> Text,
        size -> BigInt,
        sha256 -> Text,
        created_at -> Timestamp,
        extraction -> Text,
        extracted_text -> Nullable<Text>,
    }
}

diesel::table! {
    adoptions (toolkit_id, city_id) {
        toolkit_id -> Integer,
        city_id -> Integer,
        version -> Integer,
        status -> Text,
        note -> Text,
        project_id -> Nullable<Integer>,
        updated_by -> Nullable<Integer>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    unsubscribe_tokens (token_hash) {
        token_hash -> Text,
        user_id -> Integer,
        list -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    digests (user_id, week) {
        user_id -> Integer,
        week -> Text,
        sent_at -> Timestamp,
        items -> Integer,
    }
}

diesel::table! {
    page_views (user_id, kind, record_id) {
        user_id -> Integer,
        kind -> Text,
        record_id -> Integer,
        viewed_at -> Timestamp,
    }
}

diesel::table! {
    change_log (seq) {
        seq -> BigInt,
        kind -> Text,
        record_id -> Integer,
        operation -> Text,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    change_log_state (id) {
        id -> Integer,
        compacted_through -> BigInt,
    }
}

diesel::table! {
    change_consumers (name) {
        name -> Text,
        position -> BigInt,
        durable -> Bool,
        seen_at -> Timestamp,
    }
}

diesel::table! {
    saved_searches (id) {
        id -> Integer,
        user_id -> Integer,
        params -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    solutions (id) {
        id -> Integer,
        slug -> Text,
        kind -> Text,
        name -> Text,
        name_en -> Text,
        description -> Text,
        description_en -> Text,
        themes -> Text,
        terms -> Text,
        setting -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    project_solutions (project_id, solution_id) {
        project_id -> Integer,
        solution_id -> Integer,
        status -> Text,
        confidence -> Double,
        decided_by -> Nullable<Integer>,
        decided_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    project_solution_events (id) {
        id -> Integer,
        project_id -> Integer,
        solution_id -> Integer,
        user_id -> Nullable<Integer>,
        status -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    similarity_answers (project_id, suggested_id, user_id) {
        project_id -> Integer,
        suggested_id -> Integer,
        user_id -> Integer,
        comparable -> Bool,
        why -> Text,
        answered_at -> Timestamp,
    }
}

diesel::joinable!(similarity_answers -> users (user_id));
// Pairwise, so these lines stand apart from the list above.
diesel::allow_tables_to_appear_in_same_query!(similarity_answers, users);
diesel::allow_tables_to_appear_in_same_query!(similarity_answers, projects);
diesel::allow_tables_to_appear_in_same_query!(similarity_answers, cities);
