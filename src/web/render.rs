//! Server-side rendering: the handlebars registry over the embedded `templates/`, the
//! per-request page context (language, current path), and the middleware that turns
//! any error on a page route into a translated HTML error page.

use std::future::{ready, Ready};
use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, ContentType};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use handlebars::Handlebars;
use rust_embed::RustEmbed;
use serde::Serialize;

use super::i18n::{Catalogs, DateHelper, Lang, NumberHelper, TranslateHelper};
use super::AppState;
use crate::auth::Visitor;
use crate::error::{AppError, AppResult};

#[derive(RustEmbed)]
#[folder = "templates/"]
struct TemplateFiles;

pub const LANG_COOKIE: &str = "lang";

// `{{asset "stadsmaat.css"}}`: the versioned address of a static file.
handlebars::handlebars_helper!(AssetHelper: |path: str| super::assets::url(path));

pub struct Renderer {
    registry: Handlebars<'static>,
    catalogs: Arc<Catalogs>,
}

impl Renderer {
    pub fn new() -> Result<Self, String> {
        let catalogs = Arc::new(Catalogs::load()?);
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        // The HTML-significant characters only: handlebars' default also escapes `=`,
        // which garbles query strings in links.
        registry.register_escape_fn(crate::text::escape_html);
        for file in TemplateFiles::iter().filter(|f| f.ends_with(".hbs")) {
            let content = TemplateFiles::get(&file).ok_or("template vanished")?;
            let source =
                std::str::from_utf8(&content.data).map_err(|e| format!("templates/{file}: {e}"))?;
            let name = file.trim_end_matches(".hbs");
            registry
                .register_template_string(name, source)
                .map_err(|e| format!("templates/{file}: {e}"))?;
        }
        registry.register_helper("t", Box::new(TranslateHelper(catalogs.clone())));
        registry.register_helper("num", Box::new(NumberHelper));
        registry.register_helper("date", Box::new(DateHelper));
        registry.register_helper("asset", Box::new(AssetHelper));
        Ok(Renderer { registry, catalogs })
    }

    pub fn catalogs(&self) -> &Catalogs {
        &self.catalogs
    }

    pub fn template_names(&self) -> impl Iterator<Item = &String> {
        self.registry.get_templates().keys()
    }

    /// Renders `template` inside the page layout.
    pub fn page<T: Serialize>(
        &self,
        page: &PageRequest,
        template: &str,
        title: &str,
        body: &T,
    ) -> AppResult<HttpResponse> {
        self.page_with_status(page, StatusCode::OK, template, title, body)
    }

    /// A page with another status: a form shown again with its errors (400), a refused
    /// login (401), a throttled one (429).
    pub fn page_with_status<T: Serialize>(
        &self,
        page: &PageRequest,
        status: StatusCode,
        template: &str,
        title: &str,
        body: &T,
    ) -> AppResult<HttpResponse> {
        let html = self.page_html(page, template, title, body, None)?;
        Ok(HttpResponse::build(status)
            .content_type(ContentType::html())
            .body(html))
    }

    /// A page that looks again by itself after `seconds` (a meta refresh, no JavaScript):
    /// for work the visitor waits for, such as suggestions still being computed. The
    /// page should also offer a plain link to reload.
    pub fn page_refreshing<T: Serialize>(
        &self,
        page: &PageRequest,
        seconds: u32,
        template: &str,
        title: &str,
        body: &T,
    ) -> AppResult<HttpResponse> {
        let refresh = Refresh {
            seconds,
            url: page.path.clone(),
        };
        let html = self.page_html(page, template, title, body, Some(refresh))?;
        Ok(HttpResponse::Ok()
            .content_type(ContentType::html())
            // Each look must ask the server again.
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(html))
    }

    fn page_html<T: Serialize>(
        &self,
        page: &PageRequest,
        template: &str,
        title: &str,
        body: &T,
        refresh: Option<Refresh>,
    ) -> AppResult<String> {
        let other_lang = match page.lang {
            Lang::Nl => Lang::En,
            Lang::En => Lang::Nl,
        };
        let back = serde_urlencoded::to_string([("terug", without_lang_parameter(&page.path))])
            .unwrap_or_default();
        let context = PageContext {
            lang: page.lang,
            path: &page.path,
            other_lang,
            lang_switch_url: format!("/taal/{}?{back}", other_lang.code()),
            section: page
                .path
                .trim_start_matches('/')
                .split(['/', '?'])
                .next()
                .unwrap_or(""),
            title,
            user: page.visitor.user.as_ref().map(|u| UserContext {
                name: &u.name,
                city_slug: u.city_slug.as_deref(),
                is_admin: u.is_admin(),
                moderates: u.moderates(),
                unread: u.unread,
            }),
            csrf: &page.visitor.csrf,
            refresh,
            page: body,
        };
        Ok(self.registry.render(template, &context)?)
    }

    /// Renders `template` alone, without the page layout: a partial under test.
    #[cfg(test)]
    pub(crate) fn fragment<T: Serialize>(&self, template: &str, data: &T) -> AppResult<String> {
        Ok(self.registry.render(template, data)?)
    }

    /// Renders a template outside the page layout (the text and HTML of a mail), in
    /// `lang`: its data is available as `page`, like a page's.
    pub fn render<T: Serialize>(&self, template: &str, lang: Lang, data: &T) -> AppResult<String> {
        #[derive(Serialize)]
        struct Context<'a, T> {
            lang: Lang,
            page: &'a T,
        }
        Ok(self
            .registry
            .render(template, &Context { lang, page: data })?)
    }

    pub fn text<'a>(&'a self, lang: Lang, key: &'a str) -> &'a str {
        self.catalogs.text(lang, key)
    }
}

/// `path` without its `lang` parameter, which would otherwise override the language
/// just chosen once the switch sends the visitor back.
fn without_lang_parameter(path: &str) -> String {
    let Some((base, query)) = path.split_once('?') else {
        return path.to_owned();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| pair.split('=').next() != Some("lang"))
        .collect();
    if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}

/// What every template can use besides its own `page` data.
#[derive(Serialize)]
struct PageContext<'a, T> {
    lang: Lang,
    other_lang: Lang,
    /// The current path and query.
    path: &'a str,
    /// Switches to `other_lang` and comes back here.
    lang_switch_url: String,
    /// The first path segment, so the navigation can mark where the visitor is.
    section: &'a str,
    title: &'a str,
    /// The signed-in user, for the account links in the header.
    user: Option<UserContext<'a>>,
    /// For the forms the layout itself has (sign out).
    csrf: &'a str,
    /// Set on a page that looks again by itself.
    refresh: Option<Refresh>,
    page: &'a T,
}

/// A meta refresh: after `seconds`, load `url`.
#[derive(Serialize)]
struct Refresh {
    seconds: u32,
    url: String,
}

#[derive(Serialize)]
struct UserContext<'a> {
    name: &'a str,
    city_slug: Option<&'a str>,
    is_admin: bool,
    moderates: bool,
    /// Unread notifications, counted in the header.
    unread: i64,
}

/// The request facts a page needs: its language (cookie, overridable with `?lang=`),
/// its own address, and who is asking.
#[derive(Clone, Debug)]
pub struct PageRequest {
    pub lang: Lang,
    pub path: String,
    pub visitor: Visitor,
}

impl PageRequest {
    pub fn from_request_head(req: &HttpRequest) -> Self {
        let from_query =
            web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
                .ok()
                .and_then(|q| q.get("lang").and_then(|l| Lang::parse(l)));
        let from_cookie = req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value()));
        PageRequest {
            lang: from_query.or(from_cookie).unwrap_or_default(),
            path: req
                .uri()
                .path_and_query()
                .map(|pq| pq.as_str().to_owned())
                .unwrap_or_else(|| "/".into()),
            visitor: req
                .extensions()
                .get::<Visitor>()
                .cloned()
                .unwrap_or_default(),
        }
    }
}

impl FromRequest for PageRequest {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(PageRequest::from_request_head(req)))
    }
}

#[derive(Serialize)]
struct ErrorPage {
    status: u16,
    heading: String,
    /// What happened and what to do, in the page's language.
    explanation: String,
    /// The next steps, each a link that takes it.
    next: Vec<super::forms::Link>,
    /// Offer the search box (a page that does not exist may be found another way).
    search: bool,
}

/// Headers an error keeps when its page replaces the body.
const KEPT_HEADERS: [header::HeaderName; 2] = [header::RETRY_AFTER, header::ALLOW];

/// The key of an error without its own code, by status.
fn status_code_key(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        404 => "not_found",
        405 => "method_not_allowed",
        413 => "too_large",
        _ => "generic",
    }
}

/// The links an error page offers, by its key: (address, text key). Every page also
/// links home. `back` is the page the visitor came from (the form, for a post).
fn next_steps(
    key: &str,
    page: &PageRequest,
    back: &str,
    is_get: bool,
) -> Vec<(String, &'static str)> {
    let this_page = || (page.path.clone(), "error.next.try_again");
    let without_query = || {
        let base = page.path.split('?').next().unwrap_or("/").to_owned();
        (base, "error.next.without_query")
    };
    match key {
        "forbidden_without_city" => vec![("/account/lidmaatschap".into(), "error.next.join_city")],
        "unauthenticated" => {
            let query = serde_urlencoded::to_string([("terug", back)]).unwrap_or_default();
            vec![(format!("/inloggen?{query}"), "error.next.sign_in")]
        }
        "not_found" => vec![
            ("/projecten".into(), "error.next.projects"),
            ("/steden".into(), "error.next.cities"),
        ],
        "csrf" | "conflict" | "too_large" | "too_long" | "invalid_form" | "invalid_text" => {
            vec![(back.to_owned(), "error.next.reload_form")]
        }
        code if code.starts_with("invalid_") && is_get => vec![without_query()],
        code if code.starts_with("invalid_") => vec![(back.to_owned(), "error.next.reload_form")],
        "too_many_requests" | "unavailable" | "internal" | "generic" if is_get => vec![this_page()],
        "too_many_requests" | "unavailable" => vec![(back.to_owned(), "error.next.reload_form")],
        _ => Vec::new(),
    }
}

/// The local path of the page the visitor came from (the form a post was sent from),
/// taken from `Referer` when it is this site; else this page's own path.
fn came_from(req: &HttpRequest, page: &PageRequest) -> String {
    let client = crate::auth::forwarded::Client::of(req);
    let site = format!("{}://{}", client.scheme, client.host);
    let referer = req
        .headers()
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.strip_prefix(&site))
        .filter(|path| path.starts_with('/'));
    match referer {
        Some(path) => super::local_path(Some(path)).to_owned(),
        None => page.path.clone(),
    }
}

/// Page routes answer errors as HTML: the error's page key (its stable code, or a more
/// specific reason) picks the translated heading, explanation and next steps. Technical
/// detail goes to the log, never onto the page. API routes keep the JSON body.
pub async fn error_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(res);
    }
    // A resource answers a method it does not take with a bare 405; it gets the body
    // of every other error.
    let method_not_allowed = (status == StatusCode::METHOD_NOT_ALLOWED
        && res.response().error().is_none())
    .then_some(AppError::MethodNotAllowed);
    let is_api = res.request().path().starts_with("/api/");
    if is_api {
        return Ok(match method_not_allowed {
            Some(error) => replace_body(res, actix_web::ResponseError::error_response(&error)),
            None => res,
        });
    }
    let app_error = res
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>())
        .or(method_not_allowed.as_ref());
    let is_get = res.request().method() == actix_web::http::Method::GET;
    // A page that needs a signed-in user sends a visitor to the login form and back.
    if matches!(app_error, Some(AppError::Unauthenticated)) && is_get {
        let back = serde_urlencoded::to_string([(
            "terug",
            PageRequest::from_request_head(res.request()).path,
        )])
        .unwrap_or_default();
        let (req, _) = res.into_parts();
        let response = HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/inloggen?{back}")))
            .finish();
        return Ok(ServiceResponse::new(req, response));
    }
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    // A handler that rendered its own page (a form with its errors) keeps it.
    if res.response().error().is_none() && is_html {
        return Ok(res);
    }
    let (key, facts) = match (app_error, res.response().error()) {
        (Some(app), _) => (app.page_key(), app.page_facts()),
        // An extractor's refusal (an id that is not a number, a body too large).
        (None, _) => (status_code_key(status), Vec::new()),
    };
    // The technical detail, in English, is for whoever reads the log (server errors
    // are logged where they are answered).
    if status.is_client_error() {
        if let Some(err) = res.response().error() {
            tracing::info!(
                status = status.as_u16(),
                code = key,
                path = %crate::auth::token::redact_links(res.request().path()),
                detail = %err,
                "error page"
            );
        }
    }
    let Some(state) = res.request().app_data::<web::Data<AppState>>().cloned() else {
        return Ok(res);
    };
    let page = PageRequest::from_request_head(res.request());
    let back = came_from(res.request(), &page);
    let renderer = &state.renderer;
    let catalogs = renderer.catalogs();
    let facts: Vec<(&str, &str)> = facts.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // A key without its own texts (a new code) falls back to the generic ones.
    let translated = |key: String, fallback: &str| match catalogs.text(page.lang, &key) {
        text if text == key => catalogs.format(page.lang, fallback, &facts),
        _ => catalogs.format(page.lang, &key, &facts),
    };
    let heading = translated(format!("error.{key}"), "error.generic");
    let next = next_steps(key, &page, &back, is_get)
        .into_iter()
        .map(|(href, text)| super::forms::Link {
            href,
            text: renderer.text(page.lang, text).to_owned(),
        })
        .collect();
    let body = ErrorPage {
        status: status.as_u16(),
        heading: heading.clone(),
        explanation: translated(format!("error.{key}.text"), "error.generic.text"),
        next,
        search: key == "not_found",
    };
    let html = match renderer.page_html(&page, "errors/error", &heading, &body, None) {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            return Ok(res);
        }
    };
    let response = HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(html);
    Ok(replace_body(res, response))
}

/// `response` in place of `res`, keeping the headers an error needs (`KEPT_HEADERS`).
fn replace_body(
    res: ServiceResponse<BoxBody>,
    mut response: HttpResponse,
) -> ServiceResponse<BoxBody> {
    for name in KEPT_HEADERS {
        if let Some(value) = res.headers().get(&name) {
            response.headers_mut().insert(name, value.clone());
        }
    }
    let (req, _) = res.into_parts();
    ServiceResponse::new(req, response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(path: &str) -> PageRequest {
        PageRequest {
            lang: Lang::Nl,
            path: path.to_owned(),
            visitor: Visitor::default(),
        }
    }

    #[test]
    fn every_error_page_has_its_texts_and_translated_next_steps_in_both_languages() {
        let catalogs = Catalogs::load().expect("catalogs");
        let page = page("/projecten?page=x");
        for key in [
            "forbidden",
            "forbidden_without_city",
            "unauthenticated",
            "not_found",
            "csrf",
            "conflict",
            "too_large",
            "too_long",
            "invalid_query",
            "invalid_parameter",
            "too_many_requests",
            "unavailable",
            "internal",
            "generic",
            "method_not_allowed",
        ] {
            for lang in Lang::ALL {
                for text in [format!("error.{key}"), format!("error.{key}.text")] {
                    assert_ne!(catalogs.text(lang, &text), text, "{lang:?}");
                }
                for is_get in [true, false] {
                    for (_, text) in next_steps(key, &page, "/form", is_get) {
                        assert_ne!(catalogs.text(lang, text), text, "{key} {lang:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_bad_query_leads_to_the_page_without_it_and_a_refusal_to_the_membership_form() {
        let page = page("/projecten?page=x&page=y");
        let steps = next_steps("invalid_query", &page, "/projecten", true);
        assert_eq!(steps[0].0, "/projecten");
        let steps = next_steps("forbidden_without_city", &page, "/", true);
        assert_eq!(steps[0].0, "/account/lidmaatschap");
        let steps = next_steps("unauthenticated", &page, "/discussies/4", false);
        assert_eq!(steps[0].0, "/inloggen?terug=%2Fdiscussies%2F4");
    }
}
