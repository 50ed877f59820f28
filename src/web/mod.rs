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
use actix_web::{guard, web, App, HttpRequest, HttpResponse, HttpServer, Route};
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

/// GET, answering HEAD as well: uptime monitors and link checkers send it, and the
/// server leaves the body out. Each path is one resource, so a method it does not take
/// gets 405 with an `Allow` header rather than 404.
fn get() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// Every route of the application, in one place.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .service(web::resource("/health").route(get().to(show_health)))
            .service(web::resource("/cities").route(get().to(cities::api::list_cities)))
            .service(web::resource("/cities/{slug}").route(get().to(cities::api::show_city)))
            .service(web::resource("/projects").route(get().to(projects::api::list_projects)))
            .service(web::resource("/projects/{id}").route(get().to(projects::api::show_project)))
            .service(
                web::resource("/projects/{id}/similar")
                    .route(get().to(matchmaking::api::similar_projects)),
            )
            .service(
                web::resource("/cities/{slug}/partners")
                    .route(get().to(matchmaking::api::partner_cities)),
            )
            .service(web::resource("/search").route(get().to(search::api::search))),
    )
    .service(web::resource("/").route(get().to(overview::pages::show_home)))
    .service(web::resource("/wie-doet-wat").route(get().to(overview::pages::show_matrix)))
    .service(web::resource("/netwerk").route(get().to(matchmaking::pages::show_network)))
    .service(web::resource("/over").route(get().to(overview::pages::show_about)))
    .service(web::resource("/steden").route(get().to(cities::pages::list_cities)))
    .service(web::resource("/steden/{slug}").route(get().to(cities::pages::show_city)))
    .service(web::resource("/projecten").route(get().to(projects::pages::list_projects)))
    .service(
        web::resource("/projecten/nieuw")
            .route(get().to(projects::edit::show_new))
            .route(web::post().to(projects::edit::create)),
    )
    .service(web::resource("/projecten/{id}").route(get().to(projects::pages::show_project)))
    .service(
        web::resource("/projecten/{id}/bewerken")
            .route(get().to(projects::edit::show_edit))
            .route(web::post().to(projects::edit::update)),
    )
    .service(
        web::resource("/projecten/{id}/geschiedenis").route(get().to(projects::edit::show_history)),
    )
    .service(web::resource("/themas").route(get().to(themes::pages::list_themes)))
    .service(web::resource("/themas/{slug}").route(get().to(themes::pages::show_theme)))
    .service(web::resource("/zoeken").route(get().to(search::pages::show_search)))
    .configure(account_routes)
    .service(web::resource("/taal/{lang}").route(get().to(switch_language)))
    .service(web::resource("/static/{path:.*}").route(get().to(assets::serve_asset)));
}

fn account_routes(cfg: &mut web::ServiceConfig) {
    use accounts::{admin, membership, pages, profile};
    cfg.service(
        web::resource("/registreren")
            .route(get().to(pages::show_register))
            .route(web::post().to(pages::register)),
    )
    .service(
        web::resource("/account/bevestigen/{token}")
            .route(get().to(pages::show_verify_email))
            .route(web::post().to(pages::verify_email)),
    )
    .service(
        web::resource("/inloggen")
            .route(get().to(pages::show_login))
            .route(web::post().to(pages::login)),
    )
    .service(web::resource("/uitloggen").route(web::post().to(pages::logout)))
    .service(
        web::resource("/wachtwoord-vergeten")
            .route(get().to(pages::show_forgot))
            .route(web::post().to(pages::forgot)),
    )
    .service(
        web::resource("/wachtwoord-herstellen/{token}")
            .route(get().to(pages::show_reset))
            .route(web::post().to(pages::reset)),
    )
    .service(web::resource("/account").route(get().to(profile::show_profile)))
    .service(
        web::resource("/account/wachtwoord")
            .route(get().to(profile::show_change_password))
            .route(web::post().to(profile::change_password)),
    )
    .service(
        web::resource("/account/email")
            .route(get().to(profile::show_change_email))
            .route(web::post().to(profile::change_email)),
    )
    .service(
        web::resource("/account/email-bevestigen/{token}")
            .route(get().to(profile::confirm_email_change)),
    )
    .service(
        web::resource("/account/sessies/{id}/beeindigen")
            .route(web::post().to(profile::end_session)),
    )
    .service(
        web::resource("/account/overal-uitloggen").route(web::post().to(profile::end_all_sessions)),
    )
    .service(web::resource("/account/gegevens").route(get().to(profile::export_data)))
    .service(
        web::resource("/account/verwijderen")
            .route(get().to(profile::show_delete))
            .route(web::post().to(profile::delete_account)),
    )
    .service(
        web::resource("/account/lidmaatschap")
            .route(get().to(membership::show_request))
            .route(web::post().to(membership::request)),
    )
    .service(
        web::resource("/steden/{slug}/aanvragen").route(get().to(membership::show_city_requests)),
    )
    .service(web::resource("/aanvragen/{id}/besluit").route(web::post().to(membership::decide)))
    .service(web::resource("/beheer").route(get().to(admin::show_dashboard)))
    .service(web::resource("/beheer/gebruikers").route(get().to(admin::show_users)))
    .service(web::resource("/beheer/gebruikers/{id}").route(web::post().to(admin::update_roles)))
    .service(
        web::resource("/beheer/domeinen")
            .route(get().to(admin::show_domains))
            .route(web::post().to(admin::add_domain)),
    )
    .service(
        web::resource("/beheer/domeinen/verwijderen").route(web::post().to(admin::remove_domain)),
    )
    .service(web::resource("/beheer/logboek").route(get().to(admin::show_audit_log)))
    .service(web::resource("/beheer/post").route(get().to(admin::show_mail)));
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
