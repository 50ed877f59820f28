//! The HTTP layer's shared core: application state, the middleware stack (request log,
//! security headers, HTML error pages), the server, and the few routes of the core
//! itself. The areas register their own routes; `app::configure` lists the areas. The
//! core imports no area (a test in `tests/layering.rs` keeps it so).

pub mod assets;
pub mod forms;
pub mod i18n;
pub mod pagination;
pub mod params;
pub mod render;
pub mod state;

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{from_fn, Compress, DefaultHeaders, Next};
use actix_web::{guard, web, App, HttpRequest, HttpResponse, HttpServer, Route};
use serde::Deserialize;

use crate::error::{AppError, AppResult};
pub use render::PageRequest;
use render::LANG_COOKIE;
pub use state::{AppState, Probe};

/// GET, answering HEAD as well: uptime monitors and link checkers send it, and the
/// server leaves the body out. Each path is one resource, so a method it does not take
/// gets 405 with an `Allow` header rather than 404.
pub fn get() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// The routes of the core itself: health, the language switch, static files.
pub fn api_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/health").route(get().to(show_health)));
}

pub fn page_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/taal/{lang}").route(get().to(switch_language)))
        .service(web::resource("/robots.txt").route(get().to(robots)))
        .service(web::resource("/static/{path:.*}").route(get().to(assets::serve_asset)));
}

/// Starts the HTTP server; returns when it stops (Ctrl-C or SIGTERM). `configure`
/// registers the areas' services and routes (see `app::configure`).
pub async fn serve(
    state: web::Data<AppState>,
    configure: impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
) -> std::io::Result<()> {
    let bind = state.config.bind.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::QueryConfig::default().error_handler(params::query_error))
            .configure(configure.clone())
            .default_service(web::to(not_found))
            .wrap(from_fn(render::error_pages))
            .wrap(from_fn(crate::auth::session::load_visitor))
            .wrap(security_headers())
            .wrap(Compress::default())
            .wrap(from_fn(log_request))
    })
    .bind(&bind)?;
    for addr in server.addrs() {
        tracing::info!("listening on http://{addr}");
    }
    server.run().await
}

async fn not_found(req: HttpRequest) -> AppResult<HttpResponse> {
    Err(AppError::not_found(format!("page {:?}", req.path())))
}

#[derive(serde::Serialize)]
struct Health {
    status: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    degraded: Vec<String>,
}

/// Healthy once the database answers; the server only listens after the inventory
/// import and the search index are ready, so a healthy server can answer searches.
/// "degraded" while a part repairs itself (searches then wait for it rather than fail).
async fn show_health(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    state
        .db
        .run(|conn| {
            use diesel::connection::SimpleConnection;
            conn.batch_execute("SELECT 1")?;
            Ok(())
        })
        .await?;
    let degraded: Vec<String> = state.probes.iter().filter_map(|p| p.degraded()).collect();
    let status = if degraded.is_empty() {
        "ok"
    } else {
        "degraded"
    };
    Ok(HttpResponse::Ok().json(Health { status, degraded }))
}

#[derive(Deserialize)]
struct SwitchLanguage {
    terug: Option<String>,
}

/// Sets the language cookie and returns to the page the visitor came from. Only local
/// paths are followed, so the link cannot be abused as an open redirect.
/// Crawlers are welcome on the public pages, not on personal, administrative or
/// form pages, nor on the API (which has its own clients).
async fn robots() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(
            "User-agent: *\n\
             Disallow: /account\n\
             Disallow: /beheer\n\
             Disallow: /meldingen\n\
             Disallow: /inloggen\n\
             Disallow: /registreren\n\
             Disallow: /taal/\n\
             Disallow: /api/\n\
             Allow: /\n",
        )
}

async fn switch_language(
    lang: web::Path<String>,
    query: web::Query<SwitchLanguage>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let lang = i18n::Lang::parse(&lang)
        .ok_or_else(|| AppError::not_found(format!("language {:?}", lang.as_str())))?;
    let back = local_path(query.terug.as_deref());
    let cookie = Cookie::build(LANG_COOKIE, lang.code())
        .path("/")
        .same_site(SameSite::Lax)
        .secure(crate::auth::session::is_https(&req))
        .http_only(true)
        .max_age(actix_web::cookie::time::Duration::days(365))
        .finish();
    Ok(HttpResponse::SeeOther()
        .cookie(cookie)
        .insert_header((header::LOCATION, back))
        .finish())
}

/// `path` if it is a path on this site, else `/`: only local paths are followed, so a
/// `terug` parameter cannot be abused as an open redirect.
pub fn local_path(path: Option<&str>) -> &str {
    // Visible ASCII only: browsers drop tabs and newlines (`/\t/evil` becomes `//evil`),
    // and control characters cannot go into a Location header.
    path.filter(|p| {
        p.starts_with('/')
            && !p.starts_with("//")
            && !p.contains('\\')
            && p.bytes().all(|b| b.is_ascii_graphic())
    })
    .unwrap_or("/")
}

fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
        ))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "same-origin"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        // No page needs the camera, the microphone or where someone is.
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
        ))
        .add((header::CROSS_ORIGIN_OPENER_POLICY, "same-origin"))
        .add((header::CROSS_ORIGIN_RESOURCE_POLICY, "same-origin"))
        // Browsers ignore it over plain http; behind https it keeps them there.
        .add((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"))
}

/// One log line per request: method, path, status and duration.
async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().clone();
    // Tokens of e-mailed links never reach the log.
    let path = crate::auth::token::redact_links(req.path());
    let res = next.call(req).await?;
    tracing::info!(
        %method,
        %path,
        status = res.status().as_u16(),
        ms = format_args!("{:.1}", started.elapsed().as_secs_f64() * 1000.0),
        "request"
    );
    Ok(res)
}
