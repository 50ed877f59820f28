//! Notifications: a durable consumer of the change log turns each new forum post into
//! stored notifications — a question to one's city, a mention, a reply in a followed
//! thread, a new thread about something followed — exactly once across instances
//! (`producer`). People read them at `/meldingen` and see the unread count in the
//! header (`pages`); the mail issue sends them by mail from the same rows.

pub mod mailer;
pub mod model;
pub mod pages;
pub mod producer;

pub use producer::Producer;

/// `/meldingen…`
pub fn page_routes(cfg: &mut actix_web::web::ServiceConfig) {
    use crate::web::get;
    use actix_web::web;
    cfg.service(web::resource("/meldingen").route(get().to(pages::show_notifications)))
        .service(web::resource("/meldingen/gelezen").route(web::post().to(pages::mark_all_read)))
        .service(web::resource("/meldingen/{id}").route(get().to(pages::open_notification)));
}
