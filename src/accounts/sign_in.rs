//! Signing in and out: the login form (throttled per account for unknown browsers, per
//! trusted browser, and per address and account; sending a new verification link to an
//! unverified account), the sign-in answer with its fresh cookies, and sign-out.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::mail_links::send_verification;
use super::model::User;
use super::{see_other, texts, throttled, EmptyForm, Screen};
use crate::auth::csrf::{self, Form};
use crate::auth::session::{self, Client, Started};
use crate::auth::throttle::Login;
use crate::auth::{devices, password, token, Visitor};
use crate::error::{AppError, AppResult};
use crate::web::forms::{Field, FormView};
use crate::web::render::PageRequest;
use crate::web::{local_path, AppState};

/// The answer to a successful sign-in: a new session cookie, a new CSRF token and the
/// browser's new device cookie.
pub(super) fn signed_in_redirect(
    req: &HttpRequest,
    started: Started,
    location: &str,
) -> AppResult<HttpResponse> {
    let secure = session::is_https(req);
    Ok(HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location.to_owned()))
        .cookie(session::cookie(started.session, secure))
        .cookie(csrf::cookie(token::random_token()?, secure))
        .cookie(devices::cookie(started.device, secure))
        .finish())
}

#[derive(Deserialize, Default)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    terug: String,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    terug: Option<String>,
}

fn login_form(t: &impl Fn(&str) -> String, csrf: &str, form: &LoginForm) -> FormView {
    FormView::new("/inloggen", t("login.submit"), csrf)
        .hidden("terug", local_path(Some(&form.terug)))
        .field(
            Field::new("email", "email", t("account.email"))
                .value(&form.email)
                .autocomplete("username")
                .required(),
        )
        .field(
            Field::new("password", "password", t("account.password"))
                .autocomplete("current-password")
                .required(),
        )
}

fn login_screen(t: &impl Fn(&str) -> String, form: FormView) -> Screen {
    Screen::default()
        .form(form)
        .link("/wachtwoord-vergeten", t("login.forgot"))
        .link("/registreren", t("login.no_account"))
}

pub async fn show_login(
    state: web::Data<AppState>,
    page: PageRequest,
    query: web::Query<LoginQuery>,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    let form = LoginForm {
        terug: query.into_inner().terug.unwrap_or_default(),
        ..LoginForm::default()
    };
    login_screen(&t, login_form(&t, &page.visitor.csrf, &form)).render(
        &state,
        &page,
        StatusCode::OK,
        &t("login.title"),
    )
}

pub async fn login(
    state: web::Data<AppState>,
    page: PageRequest,
    req: HttpRequest,
    Form(form): Form<LoginForm>,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    // Bounded, so the throttle's keys cannot be made arbitrarily large.
    let account_key: String = form.email.trim().to_lowercase().chars().take(254).collect();
    let client = Client::of(&req);
    let ip = client.ip.clone();
    let refuse = |status: StatusCode, message: String| {
        let view = login_form(&t, &page.visitor.csrf, &form).error(Some(message));
        login_screen(&t, view).render(&state, &page, status, &t("login.title"))
    };
    // Whether the account trusts this browser decides whose allowance the attempt uses,
    // so it is looked up before anything is counted.
    let lookup = account_key.clone();
    let device = client.device.clone();
    let (user, trusted) = state
        .db
        .run(move |conn| {
            let user = User::find_by_email(conn, &lookup)?;
            let trusted = match (&user, &device) {
                (Some(user), Some(device)) => devices::trusts(conn, user.id, device)?,
                _ => false,
            };
            Ok((user, trusted))
        })
        .await?;
    let attempt = Login {
        account: &account_key,
        ip: &ip,
        trusted_device: client.device.as_deref().filter(|_| trusted),
    };
    let throttle = &state.throttles;
    // Counted before the password is checked, so parallel guesses are counted too.
    if let Err(secs) = throttle.count_login(&attempt) {
        let minutes = secs.div_ceil(60).to_string();
        let message = state.renderer.catalogs().format(
            page.lang,
            "login.throttled",
            &[("minutes", &minutes)],
        );
        let mut response = refuse(StatusCode::TOO_MANY_REQUESTS, message)?;
        response.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from(secs),
        );
        return Ok(response);
    }
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let password_ok = password::verify(form.password.clone(), stored).await?;
    let Some(user) = user.filter(|_| password_ok) else {
        return refuse(StatusCode::UNAUTHORIZED, t("login.failed"));
    };
    throttle.login_succeeded(&attempt);
    if !user.email_verified {
        throttled(throttle.mail_ip.attempt(&ip))?;
        let shared = state.clone();
        let lang = page.lang;
        state
            .db
            .run(move |conn| {
                crate::db::write_transaction(conn, |conn| {
                    send_verification(conn, &shared, lang, &user, None)
                })
            })
            .await?;
        state.committed(crate::jobs::Signal::Mail);
        return refuse(StatusCode::FORBIDDEN, t("login.unverified"));
    }
    let user_id = user.id;
    let started = state
        .db
        .run(move |conn| {
            crate::db::write_transaction(conn, |conn| session::start(conn, user_id, &client))
        })
        .await?;
    signed_in_redirect(&req, started, local_path(Some(&form.terug)))
}

/// Ends this browser's session and gives it a fresh CSRF token.
pub async fn logout(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
    Form(_): Form<EmptyForm>,
) -> AppResult<HttpResponse> {
    if let Some(user) = visitor.user {
        state
            .db
            .run(move |conn| session::end(conn, user.id, user.session_id))
            .await?;
    }
    signed_out(&req, "/")
}

/// A redirect that also drops the session cookie and replaces the CSRF token.
pub fn signed_out(req: &HttpRequest, location: &str) -> AppResult<HttpResponse> {
    sign_out_cookies(req, see_other(location))
}

/// Adds to `response` the cookies that end the browser's session: the session cookie
/// removed, a new CSRF token.
pub fn sign_out_cookies(req: &HttpRequest, mut response: HttpResponse) -> AppResult<HttpResponse> {
    let secure = session::is_https(req);
    let cookie_error = |e| AppError::Internal(format!("cookie: {e}"));
    response
        .add_cookie(&session::removal(secure))
        .map_err(cookie_error)?;
    response
        .add_cookie(&csrf::cookie(token::random_token()?, secure))
        .map_err(cookie_error)?;
    Ok(response)
}
