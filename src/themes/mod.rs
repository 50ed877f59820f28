//! The six Smart City themes of the report: the vocabulary (`Theme`), their definitions
//! and the theme pages `/themas`.

pub mod model;
pub mod pages;

pub use model::Theme;

/// `/themas…`
pub fn page_routes(cfg: &mut actix_web::web::ServiceConfig) {
    use crate::web::get;
    use actix_web::web;
    cfg.service(web::resource("/themas").route(get().to(pages::list_themes)))
        .service(web::resource("/themas/{slug}").route(get().to(pages::show_theme)));
}
