//! The forum: discussions about projects, cities, themes, expertise pools, toolkits and
//! general categories, with "Vraag het deze gemeente" on every project page. Threads and
//! posts (`model`), what they are about (`subject`), safe Markdown (`markdown`), limits
//! against floods (`limits`), the pages (`pages`, `posts`, `moderation`, `people`), the
//! view models (`view`) and `/api/v1/threads` (`api`). Notifications about it are made
//! by `crate::notifications` from the change log.

pub mod api;
pub mod limits;
pub mod markdown;
pub mod model;
pub mod moderation;
pub mod pages;
pub mod people;
pub mod posts;
pub mod subject;
pub mod view;

pub use pages::Discussions;
pub use subject::{About, AboutKind, Subject};

/// Why a post that three people flagged is hidden (catalog key).
pub const AUTO_HIDE_REASON: &str = "forum.hidden.flagged";
/// Why a moderator kept a flagged post hidden (catalog key).
pub const FLAGGED_REASON: &str = "forum.hidden.moderator";

/// `/api/v1/threads…`
pub fn api_routes(cfg: &mut actix_web::web::ServiceConfig) {
    use crate::web::get;
    use actix_web::web;
    cfg.service(web::resource("/threads").route(get().to(api::list_threads)))
        .service(web::resource("/threads/{id}").route(get().to(api::show_thread)));
}

/// `/discussies…`, `/berichten…`, `/mensen/{handle}`, `/beheer/meldingen`.
pub fn page_routes(cfg: &mut actix_web::web::ServiceConfig) {
    use crate::web::get;
    use actix_web::web;
    cfg.service(web::resource("/discussies").route(get().to(pages::list_threads)))
        .service(
            web::resource("/discussies/nieuw")
                .route(get().to(pages::show_new_thread))
                .route(web::post().to(pages::create_thread)),
        )
        .service(web::resource("/discussies/{id}").route(get().to(pages::show_thread)))
        .service(web::resource("/discussies/{id}/reageren").route(web::post().to(pages::reply)))
        .service(
            web::resource("/discussies/{id}/sluiten")
                .route(web::post().to(moderation::lock_thread)),
        )
        .service(
            web::resource("/discussies/{id}/heropenen")
                .route(web::post().to(moderation::unlock_thread)),
        )
        .service(
            web::resource("/discussies/{id}/verplaatsen")
                .route(get().to(moderation::show_move))
                .route(web::post().to(moderation::move_thread)),
        )
        .service(
            web::resource("/berichten/{id}/bewerken")
                .route(get().to(posts::show_edit))
                .route(web::post().to(posts::edit)),
        )
        .service(web::resource("/berichten/{id}/verwijderen").route(web::post().to(posts::delete)))
        .service(
            web::resource("/berichten/{id}/antwoord").route(web::post().to(posts::mark_answer)),
        )
        .service(
            web::resource("/berichten/{id}/melden")
                .route(get().to(posts::show_flag))
                .route(web::post().to(posts::flag)),
        )
        .service(web::resource("/berichten/{id}/geschiedenis").route(get().to(posts::show_history)))
        .service(
            web::resource("/berichten/{id}/verbergen").route(web::post().to(moderation::hide_post)),
        )
        .service(
            web::resource("/berichten/{id}/tonen").route(web::post().to(moderation::unhide_post)),
        )
        .service(web::resource("/beheer/meldingen").route(get().to(moderation::show_flags)))
        .service(
            web::resource("/beheer/meldingen/{id}")
                .route(web::post().to(moderation::resolve_flags)),
        )
        .service(web::resource("/mensen/{handle}").route(get().to(people::show_person)));
}
