//! Following: people follow threads, projects, cities, themes (and pools and toolkits)
//! to hear of what happens there — in their notifications now, in the weekly digest
//! with the mail issue. One table, `follows`; the forum follows a thread for whoever
//! starts or answers it. `/account/volgen` lists and changes it all, and the pages of
//! the things followed carry a button (`POST /volgen`).

pub mod model;
pub mod pages;

pub use model::{Followed, Following};

/// `/volgen` and `/account/volgen`.
pub fn page_routes(cfg: &mut actix_web::web::ServiceConfig) {
    use crate::web::get;
    use actix_web::web;
    cfg.service(web::resource("/volgen").route(web::post().to(pages::change_follow)))
        .service(web::resource("/account/volgen").route(get().to(pages::show_follows)));
}
