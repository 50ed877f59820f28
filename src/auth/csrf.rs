//! Cross-site request forgery protection for every form. Each form carries the
//! visitor's token in a hidden `csrf` field; [`Form`] — the only way a handler reads a
//! posted form — refuses the request unless it is the token of the visitor's session.
//! A signed-in visitor's token is an HMAC of their session's secret cookie token
//! ([`for_session`]): only a browser holding that session can know it, so a cookie an
//! attacker planted (and the matching field) gets nowhere. Anonymous visitors (login,
//! registration) get a random token in an HttpOnly, SameSite=Lax cookie that the field
//! must match; a forged form on another site cannot read it to fill the field. That
//! token is replaced at sign-in and sign-out.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::Cookie;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use serde::de::DeserializeOwned;

use super::session::Visitor;
use super::{forwarded, token};
use crate::error::{AppError, AppResult};

pub const CSRF_COOKIE: &str = "stadsmaat_csrf";
/// The largest form body read. A valid post is far smaller (20,000 characters
/// percent-encoded are at most 240 KB), but a text pasted whole may be megabytes: up to
/// this size it is read, and the form shown again with the text kept and its limit
/// named. A larger body gets a page saying this limit.
pub const MAX_FORM_BYTES: usize = 8 * 1024 * 1024;
/// How much of a body above the limit is read and dropped before answering, so the
/// browser, still sending, receives the answer rather than a closed connection.
const MAX_DRAINED_BYTES: usize = 64 * 1024 * 1024;

pub fn cookie(value: String, secure: bool) -> Cookie<'static> {
    super::session::secret_cookie(CSRF_COOKIE, value, secure).finish()
}

/// The form token of the signed-in session whose cookie token is `session_token`.
pub fn for_session(session_token: &str) -> String {
    token::hmac(session_token.as_bytes(), b"stadsmaat csrf")
}

/// A urlencoded form whose CSRF token has been checked, deserialized into `T`.
pub struct Form<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Form<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // Refused before its body is read.
        if !is_urlencoded(req) {
            let error = AppError::bad_request(
                "invalid_form",
                "a form is sent as application/x-www-form-urlencoded",
            );
            return Box::pin(std::future::ready(Err(error.into())));
        }
        let visitor = req.extensions().get::<Visitor>().cloned();
        let same_origin = same_origin(req);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let payload = payload.take();
        Box::pin(async move {
            let body = read_body(payload, declared).await?;
            Ok(Form(check(visitor, same_origin, &body)?))
        })
    }
}

/// The body, up to [`MAX_FORM_BYTES`]; a larger one is drained (up to
/// [`MAX_DRAINED_BYTES`]) and refused with [`AppError::TooLarge`].
async fn read_body(mut payload: Payload, declared: Option<usize>) -> AppResult<web::BytesMut> {
    use futures_util::StreamExt;
    let too_large = AppError::TooLarge {
        limit: MAX_FORM_BYTES,
    };
    let unreadable = || AppError::bad_request("invalid_form", "the form could not be read");
    // A body announced beyond what is drained is refused before it is read.
    if declared.is_some_and(|n| n > MAX_DRAINED_BYTES) {
        return Err(too_large);
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(0).min(MAX_FORM_BYTES));
    let mut seen = 0usize;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| unreadable())?;
        seen += chunk.len();
        if seen > MAX_DRAINED_BYTES {
            return Err(too_large);
        }
        if seen <= MAX_FORM_BYTES {
            body.extend_from_slice(&chunk);
        }
    }
    if seen > MAX_FORM_BYTES {
        return Err(too_large);
    }
    Ok(body)
}

fn check<T: DeserializeOwned>(
    visitor: Option<Visitor>,
    same_origin: bool,
    body: &[u8],
) -> AppResult<T> {
    let fields = strict_fields(body)?;
    let expected = visitor.map(|v| v.csrf).unwrap_or_default();
    let submitted = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    if !same_origin || expected.is_empty() || !token::same_secret(submitted, &expected) {
        return Err(AppError::CsrfRejected);
    }
    serde_urlencoded::from_bytes(body).map_err(|e| {
        AppError::bad_request("invalid_form", format!("the form has a wrong field: {e}"))
    })
}

/// The form's (name, value) pairs, decoded strictly: every part must be UTF-8 without
/// control characters. serde_urlencoded would store a replacement character in place of
/// bad bytes, and a terminal escape or a right-to-left override would show something
/// other than what was written.
fn strict_fields(body: &[u8]) -> AppResult<Vec<(String, String)>> {
    let decode = |part: &[u8]| -> AppResult<String> {
        let spaced: Vec<u8> = part
            .iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect();
        let text = percent_encoding::percent_decode(&spaced)
            .decode_utf8()
            .map_err(|_| AppError::bad_request("invalid_text", "the form is not valid UTF-8"))?;
        if text.chars().any(is_forbidden_character) {
            return Err(AppError::bad_request(
                "invalid_text",
                "the form contains control characters; remove them and send it again",
            ));
        }
        Ok(text.into_owned())
    };
    body.split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut halves = pair.splitn(2, |&b| b == b'=');
            let name = decode(halves.next().unwrap_or_default())?;
            let value = decode(halves.next().unwrap_or_default())?;
            Ok((name, value))
        })
        .collect()
}

/// A file sent with a multipart form, as the browser named it.
#[derive(Debug, Clone)]
pub struct UploadedFile {
    /// The name the browser gave; never trusted for anything but display.
    pub name: String,
    pub bytes: web::Bytes,
}

/// A `multipart/form-data` form (one with a file) whose CSRF token has been checked: its
/// text fields, decoded strictly like [`Form`]'s, and its file, if one was chosen.
#[derive(Debug, Default)]
pub struct MultipartForm {
    /// (name, value) in the order sent; a name may repeat (checkboxes).
    pub fields: Vec<(String, String)>,
    pub file: Option<UploadedFile>,
    /// The file was larger than the limit: it was read past and dropped, so the form
    /// can be shown again with its text and a message.
    pub file_too_large: bool,
}

impl MultipartForm {
    /// The largest file a form takes (the toolkit attachments' limit).
    pub const FILE_LIMIT: usize = 20 * 1024 * 1024;

    /// The first value of `name`, or "".
    pub fn text(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `name` (checkboxes).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

impl FromRequest for MultipartForm {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let visitor = req.extensions().get::<Visitor>().cloned();
        let same_origin = same_origin(req);
        let file_limit = req
            .app_data::<web::Data<crate::web::AppState>>()
            .map_or(MultipartForm::FILE_LIMIT, |s| s.config.upload_limit);
        let multipart = actix_multipart::Multipart::new(req.headers(), payload.take());
        Box::pin(async move {
            let form = read_multipart(multipart, file_limit).await?;
            let expected = visitor.map(|v| v.csrf).unwrap_or_default();
            if !same_origin
                || expected.is_empty()
                || !token::same_secret(form.text("csrf"), &expected)
            {
                return Err(AppError::CsrfRejected.into());
            }
            Ok(form)
        })
    }
}

async fn read_multipart(
    mut multipart: actix_multipart::Multipart,
    file_limit: usize,
) -> AppResult<MultipartForm> {
    use futures_util::StreamExt;
    let unreadable = || AppError::bad_request("invalid_form", "the form could not be read");
    let mut form = MultipartForm::default();
    let mut text_bytes = 0usize;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|_| unreadable())?;
        let name = field.name().unwrap_or("").to_owned();
        let file_name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_owned);
        match file_name {
            Some(file_name) => {
                let bytes = match field.bytes(file_limit).await {
                    Ok(read) => read.map_err(|_| unreadable())?,
                    Err(_) => {
                        form.file_too_large = true;
                        continue;
                    }
                };
                // A file input left empty still sends a part, without content.
                if !bytes.is_empty() && form.file.is_none() {
                    form.file = Some(UploadedFile {
                        name: file_name,
                        bytes,
                    });
                }
            }
            None => {
                let too_large = || AppError::TooLarge {
                    limit: MAX_FORM_BYTES,
                };
                let bytes = field
                    .bytes(MAX_FORM_BYTES)
                    .await
                    .map_err(|_| too_large())?
                    .map_err(|_| unreadable())?;
                text_bytes += bytes.len();
                if text_bytes > MAX_FORM_BYTES {
                    return Err(too_large());
                }
                let text = std::str::from_utf8(&bytes).map_err(|_| {
                    AppError::bad_request("invalid_text", "the form is not valid UTF-8")
                })?;
                if text.chars().any(is_forbidden_character)
                    || name.chars().any(is_forbidden_character)
                {
                    return Err(AppError::bad_request(
                        "invalid_text",
                        "the form contains control characters; remove them and send it again",
                    ));
                }
                form.fields.push((name, text.to_owned()));
            }
        }
    }
    Ok(form)
}

/// C0 and C1 controls other than tab and line breaks, and the bidirectional overrides
/// and isolates.
fn is_forbidden_character(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Forms are urlencoded; a post without a content type is let through for simple tools.
fn is_urlencoded(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// Browsers send `Origin` with every form post; when it is there it must be this site.
/// (Absent, as from older clients and tools, the token alone decides.) The scheme and
/// host are the connection's own unless a trusted proxy forwarded them.
fn same_origin(req: &HttpRequest) -> bool {
    let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return true;
    };
    let client = forwarded::Client::of(req);
    origin == format!("{}://{}", client.scheme, client.host)
}
