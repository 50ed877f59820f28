//! Static files (`static/`), embedded in the binary so the server runs from any directory,
//! under versioned addresses: `/static/stadsmaat.<hash>.css`, the hash taken from the
//! file's content, so browsers may keep a file for a year and still get a changed one at
//! once (its address changes with it). Templates name files through [`url`] only.

use std::collections::HashMap;
use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use rust_embed::RustEmbed;

use crate::error::{AppError, AppResult};

#[derive(RustEmbed)]
#[folder = "static/"]
struct StaticFiles;

/// A versioned address never changes content.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// An unversioned (or outdated) address may change with the next release.
const SHORT: &str = "public, max-age=300";
/// Hex digits of the content hash in a versioned address.
const HASH_LEN: usize = 16;

/// The content hash of every static file, by path; computed once.
fn hashes() -> &'static HashMap<String, String> {
    static HASHES: OnceLock<HashMap<String, String>> = OnceLock::new();
    HASHES.get_or_init(|| {
        StaticFiles::iter()
            .filter_map(|path| {
                let file = StaticFiles::get(&path)?;
                let hex: String = file.metadata.sha256_hash()[..HASH_LEN / 2]
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                Some((path.into_owned(), hex))
            })
            .collect()
    })
}

/// The versioned address of the static file `path` ("stadsmaat.css"); a file that does
/// not exist keeps its plain address (and answers 404).
pub fn url(path: &str) -> String {
    match hashes().get(path) {
        Some(hash) => match path.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() && !stem.ends_with('/') => {
                format!("/static/{stem}.{hash}.{ext}")
            }
            _ => format!("/static/{path}?v={hash}"),
        },
        None => format!("/static/{path}"),
    }
}

/// The file a requested path names, and whether it named the current version.
/// `stadsmaat.<hash>.css` names `stadsmaat.css`; a hash of an earlier release still
/// gets the current file, with a short cache, so a page cached from before a release
/// keeps its stylesheet.
fn resolve(requested: &str) -> Option<(String, bool)> {
    if hashes().contains_key(requested) {
        return Some((requested.to_owned(), false));
    }
    let (rest, ext) = requested.rsplit_once('.')?;
    let (stem, hash) = rest.rsplit_once('.')?;
    if hash.len() != HASH_LEN || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let path = format!("{stem}.{ext}");
    let current = hashes().get(&path)?;
    let is_current = current == hash;
    Some((path, is_current))
}

pub async fn serve_asset(req: HttpRequest, path: web::Path<String>) -> AppResult<HttpResponse> {
    let not_found = || AppError::not_found(format!("file {:?}", path.as_str()));
    let (file_path, current) = resolve(&path).ok_or_else(not_found)?;
    let file = StaticFiles::get(&file_path).ok_or_else(not_found)?;
    let hash = hashes().get(&file_path).ok_or_else(not_found)?;
    let etag = format!("\"{hash}\"");
    let cache = if current { IMMUTABLE } else { SHORT };
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == etag || t == "*")
        });
    if unchanged {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, cache))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, file.metadata.mimetype()))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::ETAG, etag))
        .body(file.data.into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_versioned_address_names_the_file_and_its_current_hash() {
        let address = url("stadsmaat.css");
        let name = address.trim_start_matches("/static/");
        assert!(
            name.starts_with("stadsmaat.") && name.ends_with(".css"),
            "{address}"
        );
        assert_eq!(resolve(name), Some(("stadsmaat.css".to_owned(), true)));
        assert_eq!(
            resolve("stadsmaat.0000000000000000.css"),
            Some(("stadsmaat.css".to_owned(), false)),
            "an earlier release's address still works"
        );
        assert_eq!(
            resolve("stadsmaat.css"),
            Some(("stadsmaat.css".to_owned(), false))
        );
        assert_eq!(resolve("nothing.0000000000000000.css"), None);
        assert_eq!(url("missing.css"), "/static/missing.css");
    }
}
