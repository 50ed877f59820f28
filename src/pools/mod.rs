//! Expertise pools and their toolkits: the report's "pools of expertise", in which
//! leading cities help the others on its six bottleneck categories, and the toolkits
//! their leads post — with adoption by the cities as the measure of what spreads.
//! Rows and writes (`model`), the pool pages (`pages`), the toolkit pages with
//! uploads, versions and adoption (`toolkits`), attachment text for search
//! (`extraction`), view models (`view`) and `/api/v1/pools`, `/api/v1/toolkits` (`api`).

pub mod api;
pub mod extraction;
pub mod model;
pub mod pages;
pub mod toolkits;
pub mod view;

/// `/api/v1/pools…`, `/api/v1/toolkits…`
pub fn api_routes(cfg: &mut actix_web::web::ServiceConfig) {
    use crate::web::get;
    use actix_web::web;
    cfg.service(web::resource("/pools").route(get().to(api::list_pools)))
        .service(web::resource("/pools/{slug}").route(get().to(api::show_pool)))
        .service(web::resource("/toolkits").route(get().to(api::list_toolkits)))
        .service(web::resource("/toolkits/{id}").route(get().to(api::show_toolkit)));
}

/// `/expertisepools…`, `/toolkits…`
pub fn page_routes(cfg: &mut actix_web::web::ServiceConfig) {
    use crate::web::get;
    use actix_web::web;
    cfg.service(web::resource("/expertisepools").route(get().to(pages::list_pools)))
        .service(
            web::resource("/expertisepools/nieuw")
                .route(get().to(pages::show_new_pool))
                .route(web::post().to(pages::create_pool)),
        )
        .service(web::resource("/expertisepools/{slug}").route(get().to(pages::show_pool)))
        .service(
            web::resource("/expertisepools/{slug}/lidmaatschap")
                .route(web::post().to(pages::change_membership)),
        )
        .service(
            web::resource("/expertisepools/{slug}/rollen").route(web::post().to(pages::set_role)),
        )
        .service(
            web::resource("/expertisepools/{slug}/toolkits/nieuw")
                .route(get().to(toolkits::show_new_toolkit))
                .route(web::post().to(toolkits::create_toolkit)),
        )
        .service(web::resource("/toolkits").route(get().to(toolkits::list_toolkits)))
        .service(web::resource("/toolkits/{id}").route(get().to(toolkits::show_toolkit)))
        .service(
            web::resource("/toolkits/{id}/bewerken")
                .route(get().to(toolkits::show_edit_toolkit))
                .route(web::post().to(toolkits::update_toolkit)),
        )
        .service(
            web::resource("/toolkits/{id}/versies/{n}").route(get().to(toolkits::show_version)),
        )
        .service(
            web::resource("/toolkits/{id}/gebruik")
                .route(web::post().to(toolkits::record_adoption)),
        )
        .service(
            web::resource("/toolkits/{id}/bijlagen/{attachment}/{name}")
                .route(get().to(toolkits::download)),
        );
}
