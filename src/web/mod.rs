//! The HTTP layer's shared core: application state, the one list of every route, the
//! middleware stack (request log, security headers, HTML error pages) and the server.

pub mod assets;
pub mod forms;
pub mod i18n;
pub mod pagination;
pub mod params;
pub mod render;

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{from_fn, Compress, DefaultHeaders, Next};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde::Deserialize;

use crate::config::Config;
use crate::db::Database;
use crate::error::{AppError, AppResult};
use crate::inventory::Source;
use crate::{accounts, auth, cities, matchmaking, overview, projects, search, themes};
use render::{Renderer, LANG_COOKIE};

/// Everything a handler may need, shared by all workers.
pub struct AppState {
    pub config: Config,
    pub db: Database,
    pub renderer: Renderer,
    pub shipped_source: Source,
    pub search: std::sync::Arc<search::Search>,
    /// Woken after a transaction that changed indexed records commits.
    pub indexer: std::sync::Arc<search::Indexer>,
    pub matchmaking: std::sync::Arc<matchmaking::Matchmaking>,
    /// Delivers queued mail; woken after a transaction that queued some commits.
    pub mailer: std::sync::Arc<crate::mail::Mailer>,
    pub throttles: auth::throttle::Throttles,
}

/// Every route of the application, in one place.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .route("/health", web::get().to(show_health))
            .route("/cities", web::get().to(cities::api::list_cities))
            .route("/cities/{slug}", web::get().to(cities::api::show_city))
            .route("/projects", web::get().to(projects::api::list_projects))
            .route("/projects/{id}", web::get().to(projects::api::show_project))
            .route(
                "/projects/{id}/similar",
                web::get().to(matchmaking::api::similar_projects),
            )
            .route(
                "/cities/{slug}/partners",
                web::get().to(matchmaking::api::partner_cities),
            )
            .route("/search", web::get().to(search::api::search)),
    )
    .route("/", web::get().to(overview::pages::show_home))
    .route("/wie-doet-wat", web::get().to(overview::pages::show_matrix))
    .route("/netwerk", web::get().to(matchmaking::pages::show_network))
    .route("/over", web::get().to(overview::pages::show_about))
    .route("/steden", web::get().to(cities::pages::list_cities))
    .route("/steden/{slug}", web::get().to(cities::pages::show_city))
    .route("/projecten", web::get().to(projects::pages::list_projects))
    .route("/projecten/nieuw", web::get().to(projects::edit::show_new))
    .route("/projecten/nieuw", web::post().to(projects::edit::create))
    .route(
        "/projecten/{id}",
        web::get().to(projects::pages::show_project),
    )
    .route(
        "/projecten/{id}/bewerken",
        web::get().to(projects::edit::show_edit),
    )
    .route(
        "/projecten/{id}/bewerken",
        web::post().to(projects::edit::update),
    )
    .route(
        "/projecten/{id}/geschiedenis",
        web::get().to(projects::edit::show_history),
    )
    .route("/themas", web::get().to(themes::pages::list_themes))
    .route("/themas/{slug}", web::get().to(themes::pages::show_theme))
    .route("/zoeken", web::get().to(search::pages::show_search))
    .configure(account_routes)
    .route("/taal/{lang}", web::get().to(switch_language))
    .route("/static/{path:.*}", web::get().to(assets::serve_asset));
}

/// Accounts, membership and administration: every POST reads its form through
/// `auth::csrf::Form` and asks `auth::policy` before it changes anything.
fn account_routes(cfg: &mut web::ServiceConfig) {
    use accounts::{admin, membership, pages, profile};
    cfg.route("/registreren", web::get().to(pages::show_register))
        .route("/registreren", web::post().to(pages::register))
        .route(
            "/account/bevestigen/{token}",
            web::get().to(pages::show_verify_email),
        )
        .route(
            "/account/bevestigen/{token}",
            web::post().to(pages::verify_email),
        )
        .route("/inloggen", web::get().to(pages::show_login))
        .route("/inloggen", web::post().to(pages::login))
        .route("/uitloggen", web::post().to(pages::logout))
        .route("/wachtwoord-vergeten", web::get().to(pages::show_forgot))
        .route("/wachtwoord-vergeten", web::post().to(pages::forgot))
        .route(
            "/wachtwoord-herstellen/{token}",
            web::get().to(pages::show_reset),
        )
        .route(
            "/wachtwoord-herstellen/{token}",
            web::post().to(pages::reset),
        )
        .route("/account", web::get().to(profile::show_profile))
        .route(
            "/account/wachtwoord",
            web::get().to(profile::show_change_password),
        )
        .route(
            "/account/wachtwoord",
            web::post().to(profile::change_password),
        )
        .route("/account/email", web::get().to(profile::show_change_email))
        .route("/account/email", web::post().to(profile::change_email))
        .route(
            "/account/email-bevestigen/{token}",
            web::get().to(profile::confirm_email_change),
        )
        .route(
            "/account/sessies/{id}/beeindigen",
            web::post().to(profile::end_session),
        )
        .route(
            "/account/overal-uitloggen",
            web::post().to(profile::end_all_sessions),
        )
        .route("/account/gegevens", web::get().to(profile::export_data))
        .route("/account/verwijderen", web::get().to(profile::show_delete))
        .route(
            "/account/verwijderen",
            web::post().to(profile::delete_account),
        )
        .route(
            "/account/lidmaatschap",
            web::get().to(membership::show_request),
        )
        .route("/account/lidmaatschap", web::post().to(membership::request))
        .route(
            "/steden/{slug}/aanvragen",
            web::get().to(membership::show_city_requests),
        )
        .route(
            "/aanvragen/{id}/besluit",
            web::post().to(membership::decide),
        )
        .route("/beheer", web::get().to(admin::show_dashboard))
        .route("/beheer/gebruikers", web::get().to(admin::show_users))
        .route(
            "/beheer/gebruikers/{id}",
            web::post().to(admin::update_roles),
        )
        .route("/beheer/domeinen", web::get().to(admin::show_domains))
        .route("/beheer/domeinen", web::post().to(admin::add_domain))
        .route(
            "/beheer/domeinen/verwijderen",
            web::post().to(admin::remove_domain),
        )
        .route("/beheer/logboek", web::get().to(admin::show_audit_log))
        .route("/beheer/post", web::get().to(admin::show_mail));
}

/// Starts the HTTP server; returns when it stops (Ctrl-C or SIGTERM).
pub async fn serve(state: AppState) -> std::io::Result<()> {
    let bind = state.config.bind.clone();
    let state = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::QueryConfig::default().error_handler(params::query_error))
            .configure(routes)
            .default_service(web::to(not_found))
            .wrap(from_fn(render::error_pages))
            .wrap(from_fn(auth::session::load_visitor))
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
}

/// Healthy once the database answers; the server only listens after the inventory
/// import and the search index are ready, so a healthy server can answer searches.
async fn show_health(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    state
        .db
        .run(|conn| {
            use diesel::connection::SimpleConnection;
            conn.batch_execute("SELECT 1")?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Ok().json(Health { status: "ok" }))
}

#[derive(Deserialize)]
struct SwitchLanguage {
    terug: Option<String>,
}

/// Sets the language cookie and returns to the page the visitor came from. Only local
/// paths are followed, so the link cannot be abused as an open redirect.
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
        .secure(req.connection_info().scheme() == "https")
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
