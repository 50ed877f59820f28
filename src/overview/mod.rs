//! The network at a glance, for the G40 programme office: the home page, the
//! "wie doet wat" cities × themes matrix the report's foreword asks for, and the page
//! about the data and its source.

pub mod pages;

/// The home page, the matrix and the page about the data.
pub fn page_routes(cfg: &mut actix_web::web::ServiceConfig) {
    use crate::web::get;
    use actix_web::web;
    cfg.service(web::resource("/").route(get().to(pages::show_home)))
        .service(web::resource("/wie-doet-wat").route(get().to(pages::show_matrix)))
        .service(web::resource("/over").route(get().to(pages::show_about)));
}
