//! Following: people follow threads, projects, cities, themes, pools, toolkits and
//! saved searches to hear of what happens there — in their notifications and in the
//! weekly digest. One table, `follows`; the forum follows a thread for whoever starts or
//! answers it. `/account/volgen` lists and changes it all, the pages of the things
//! followed carry a button (`POST /volgen`), and the search page saves and follows the
//! search it shows (`POST /zoeken/volgen`).

pub mod model;
pub mod pages;
pub mod saved_search;

pub use model::{Followed, Following};

/// `/volgen` and `/account/volgen`.
pub fn page_routes(cfg: &mut actix_web::web::ServiceConfig) {
    use crate::web::get;
    use actix_web::web;
    cfg.service(web::resource("/volgen").route(web::post().to(pages::change_follow)))
        .service(web::resource("/zoeken/volgen").route(web::post().to(pages::follow_search)))
        .service(web::resource("/account/volgen").route(get().to(pages::show_follows)));
}
