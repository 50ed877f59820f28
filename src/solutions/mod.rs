//! Solutions: the named products, programmes and techniques cities cluster around
//! (Talking Traffic iVRI's, LoRa networks, parking sensors, …), which projects are
//! which — suggested from their text, confirmed or rejected by the city's editors —
//! and who leads and who follows. Matchmaking weighs confirmed shared solutions most.
//! `catalogue` is the shipped list and the text linker, `model` the rows, `view`,
//! `pages` and `api` the ways they are shown.

pub mod api;
pub mod catalogue;
pub mod model;
pub mod pages;
pub mod view;

/// `/api/v1/solutions`, `/api/v1/solutions/{slug}`.
pub fn api_routes(cfg: &mut actix_web::web::ServiceConfig) {
    use crate::web::get;
    use actix_web::web;
    cfg.service(web::resource("/solutions").route(get().to(api::list_solutions)))
        .service(web::resource("/solutions/{slug}").route(get().to(api::show_solution)));
}

/// `/oplossingen`, `/oplossingen/{slug}`, and a project's decisions.
pub fn page_routes(cfg: &mut actix_web::web::ServiceConfig) {
    use crate::web::get;
    use actix_web::web;
    cfg.service(web::resource("/oplossingen").route(get().to(pages::list_solutions)))
        .service(web::resource("/oplossingen/{slug}").route(get().to(pages::show_solution)))
        .service(web::resource("/projecten/{id}/oplossingen").route(web::post().to(pages::decide)));
}
