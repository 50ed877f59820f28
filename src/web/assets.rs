//! Static files (`static/`), embedded in the binary so the server runs from any directory.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use rust_embed::RustEmbed;

use crate::error::{AppError, AppResult};

#[derive(RustEmbed)]
#[folder = "static/"]
struct StaticFiles;

pub async fn serve_asset(path: web::Path<String>) -> AppResult<HttpResponse> {
    let file = StaticFiles::get(&path)
        .ok_or_else(|| AppError::not_found(format!("file {:?}", path.as_str())))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, file.metadata.mimetype()))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(file.data.into_owned()))
}
