//! The signed-out side of accounts: register, verify the address, sign in and out,
//! forgotten password. None of the answers tells whether an address has an account.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use diesel::Connection;
use serde::Deserialize;

use super::model::{self, normalize_email, Registration, TokenPurpose, User};
use super::{
    audit, queue_mail, see_other, show_again, texts, throttled, with_new_password, EmptyForm,
    Screen,
};
use crate::auth::csrf::{self, Form};
use crate::auth::session::{self, client_ip, Client};
use crate::auth::{password, token, SiteRole, Visitor};
use crate::cities::model::City;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::web::forms::{Field, FormView};
use crate::web::i18n::Lang;
use crate::web::render::PageRequest;
use crate::web::{local_path, AppState};

/// Longest display name we accept.
const MAX_NAME: usize = 100;

/// Runs the database part of a form that must not reveal whether an address has an
/// account after the answer is sent, so its duration tells nothing either. `work` is
/// one transaction: it happens completely or, logged, not at all.
fn in_background(
    state: &web::Data<AppState>,
    what: &'static str,
    work: impl FnOnce(&mut DbConnection) -> AppResult<()> + Send + 'static,
) {
    let state = state.clone();
    actix_web::rt::spawn(async move {
        match state.db.run(work).await {
            Ok(()) => state.committed(crate::jobs::Signal::Mail),
            Err(e) => tracing::error!(error = %e, what, "account mail not queued"),
        }
    });
}

/// Issues a verification link and queues the mail carrying it. The mail names no one:
/// whoever registers an address chooses the name, and it is not yet the owner's.
fn send_verification(
    conn: &mut DbConnection,
    state: &AppState,
    lang: Lang,
    user: &User,
    registration: Option<Registration>,
) -> AppResult<()> {
    let token = model::issue_token(conn, user.id, TokenPurpose::VerifyEmail, None, registration)?;
    let link = format!("{}/account/bevestigen/{token}", state.config.public_url());
    queue_mail(conn, state, lang, &user.email, "verify", &[("link", &link)])
}

// ---- registration -------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct RegisterForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

fn register_form(t: &impl Fn(&str) -> String, csrf: &str, form: &RegisterForm) -> FormView {
    FormView::new("/registreren", t("register.submit"), csrf)
        .field(
            Field::new("text", "name", t("account.name"))
                .value(&form.name)
                .autocomplete("name")
                .required(),
        )
        .field(
            Field::new("email", "email", t("account.email"))
                .value(&form.email)
                .hint(t("register.email_hint"))
                .autocomplete("email")
                .required(),
        )
        .with(|f| with_new_password(f, t))
}

pub async fn show_register(
    state: web::Data<AppState>,
    page: PageRequest,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    Screen::default()
        .text(t("register.lead"))
        .form(register_form(
            &t,
            &page.visitor.csrf,
            &RegisterForm::default(),
        ))
        .link("/inloggen", t("register.have_account"))
        .render(&state, &page, StatusCode::OK, &t("register.title"))
}

/// Checks a new password pair, putting any complaint under its field.
pub fn check_new_password(
    t: &impl Fn(&str) -> String,
    view: &mut FormView,
    password: &str,
    again: &str,
    email: &str,
) {
    if let Err(weakness) = password::check_strength(password, email) {
        view.field_error("password", t(weakness.message_key()));
    } else if password != again {
        view.field_error("password_again", t("password.mismatch"));
    }
}

pub async fn register(
    state: web::Data<AppState>,
    page: PageRequest,
    req: HttpRequest,
    Form(form): Form<RegisterForm>,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    let mut view = register_form(&t, &page.visitor.csrf, &form);
    let name = form.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        view.field_error("name", t("account.name_invalid"));
    }
    let email = normalize_email(&form.email);
    match &email {
        None => view.field_error("email", t("account.email_invalid")),
        Some(email) => {
            check_new_password(&t, &mut view, &form.password, &form.password_again, email)
        }
    }
    let (Some(email), false) = (email, view.has_errors()) else {
        return show_again(&state, &page, &t("register.title"), view);
    };
    let ip = client_ip(&req);
    throttled(state.throttles.mail_ip.attempt(&ip))?;
    let hash = password::hash(form.password).await?;
    let shared = state.clone();
    let lang = page.lang;
    in_background(&state, "registration", move |conn| {
        let registration = Registration {
            name: &name,
            password_hash: &hash,
        };
        conn.transaction(|conn| match User::find_by_email(conn, &email)? {
            // The owner already has an account: tell them, not the form.
            Some(user) if user.email_verified => {
                let reset = format!("{}/wachtwoord-vergeten", shared.config.public_url());
                queue_mail(
                    conn,
                    &shared,
                    lang,
                    &email,
                    "already_registered",
                    &[("name", &user.name), ("link", &reset)],
                )
            }
            // Never verified: nobody has proved the address yet. This registration
            // gets its own link with its own password; the owner's link and
            // password stay as they were (no pre-hijacking, no takeover).
            Some(user) => send_verification(conn, &shared, lang, &user, Some(registration)),
            None => {
                let user = User::create(conn, &email, &name, &hash, false, SiteRole::None)?;
                send_verification(conn, &shared, lang, &user, Some(registration))
            }
        })
    });
    Screen::default()
        .text(t("register.sent"))
        .text(t("register.sent_spam"))
        .render(&state, &page, StatusCode::OK, &t("register.sent_title"))
}

#[derive(Deserialize, Default)]
pub struct VerifyForm {
    #[serde(default)]
    password: String,
}

fn verify_form(t: &impl Fn(&str) -> String, csrf: &str, token: &str) -> FormView {
    FormView::new(
        format!("/account/bevestigen/{token}"),
        t("verify.submit"),
        csrf,
    )
    .field(
        Field::new("password", "password", t("account.password"))
            .autocomplete("current-password")
            .required(),
    )
}

/// The link in the verification mail: a form asking for the password chosen at
/// registration. Only the person who registered knows it, so a link from someone
/// else's registration of the same address cannot verify their password.
pub async fn show_verify_email(
    state: web::Data<AppState>,
    page: PageRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    let token = path.into_inner();
    if live_token(&state, &token, TokenPurpose::VerifyEmail)
        .await?
        .is_none()
    {
        return invalid_link(&state, &page);
    }
    Screen::default()
        .text(t("verify.lead"))
        .form(verify_form(&t, &page.visitor.csrf, &token))
        .render(&state, &page, StatusCode::OK, &t("verify.title"))
}

pub async fn verify_email(
    state: web::Data<AppState>,
    page: PageRequest,
    req: HttpRequest,
    path: web::Path<String>,
    Form(form): Form<VerifyForm>,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    let token = path.into_inner();
    let Some((user, found)) = live_token(&state, &token, TokenPurpose::VerifyEmail).await? else {
        return invalid_link(&state, &page);
    };
    throttled(state.throttles.login_account.attempt(&user.email))?;
    let expected = found
        .password_hash
        .clone()
        .unwrap_or_else(|| user.password_hash.clone());
    if !password::verify(form.password, Some(expected)).await? {
        let view =
            verify_form(&t, &page.visitor.csrf, &token).error(Some(t("account.wrong_password")));
        return Screen::default().text(t("verify.lead")).form(view).render(
            &state,
            &page,
            StatusCode::UNAUTHORIZED,
            &t("verify.title"),
        );
    }
    state.throttles.login_account.forgive(&user.email);
    let client = Client::of(&req);
    let session = state
        .db
        .run(move |conn| {
            conn.transaction(|conn| {
                let Some(found) = model::redeem_token(conn, &token, TokenPurpose::VerifyEmail)?
                else {
                    return Ok(None);
                };
                model::revoke_tokens(conn, user.id, TokenPurpose::VerifyEmail)?;
                if let (Some(name), Some(hash)) = (&found.new_name, &found.password_hash) {
                    User::set_registration(conn, user.id, name, hash)?;
                }
                if let Some(city_id) = User::verify_email(conn, &user)? {
                    // The action says what happened, in the reader's language; the
                    // details name the city.
                    let city = City::find(conn, city_id)?;
                    audit::record(
                        conn,
                        Some(user.id),
                        Some(user.id),
                        "membership.domain",
                        &city.name,
                    )?;
                }
                session::start(conn, user.id, &client).map(Some)
            })
        })
        .await?;
    match session {
        Some(token) => signed_in_redirect(&req, token, "/account?gewijzigd=bevestigd"),
        None => invalid_link(&state, &page),
    }
}

/// The answer to a successful sign-in: a new session cookie and a new CSRF token.
fn signed_in_redirect(req: &HttpRequest, token: String, location: &str) -> AppResult<HttpResponse> {
    let secure = session::is_https(req);
    Ok(HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location.to_owned()))
        .cookie(session::cookie(token, secure))
        .cookie(csrf::cookie(token::random_token()?, secure))
        .finish())
}

// ---- sign in and out ----------------------------------------------------------

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
    let ip = client_ip(&req);
    let refuse = |status: StatusCode, message: String| {
        let view = login_form(&t, &page.visitor.csrf, &form).error(Some(message));
        login_screen(&t, view).render(&state, &page, status, &t("login.title"))
    };
    let throttle = &state.throttles;
    // Counted before the password is checked, so parallel guesses are counted too.
    let counted = throttle.login_account.attempt(&account_key).and_then(|()| {
        throttle.login_ip.attempt(&ip).inspect_err(|_| {
            throttle.login_account.forgive(&account_key);
        })
    });
    if let Err(secs) = counted {
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
    let lookup = account_key.clone();
    let user = state
        .db
        .run(move |conn| User::find_by_email(conn, &lookup))
        .await?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let password_ok = password::verify(form.password.clone(), stored).await?;
    let Some(user) = user.filter(|_| password_ok) else {
        return refuse(StatusCode::UNAUTHORIZED, t("login.failed"));
    };
    throttle.login_account.clear(&account_key);
    throttle.login_ip.forgive(&ip);
    if !user.email_verified {
        throttled(throttle.mail_ip.attempt(&ip))?;
        let shared = state.clone();
        let lang = page.lang;
        state
            .db
            .run(move |conn| {
                conn.transaction(|conn| send_verification(conn, &shared, lang, &user, None))
            })
            .await?;
        state.committed(crate::jobs::Signal::Mail);
        return refuse(StatusCode::FORBIDDEN, t("login.unverified"));
    }
    let client = Client::of(&req);
    let user_id = user.id;
    let token = state
        .db
        .run(move |conn| session::start(conn, user_id, &client))
        .await?;
    signed_in_redirect(&req, token, local_path(Some(&form.terug)))
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

// ---- forgotten password -------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

fn forgot_form(t: &impl Fn(&str) -> String, csrf: &str, email: &str) -> FormView {
    FormView::new("/wachtwoord-vergeten", t("forgot.submit"), csrf).field(
        Field::new("email", "email", t("account.email"))
            .value(email)
            .autocomplete("email")
            .required(),
    )
}

pub async fn show_forgot(state: web::Data<AppState>, page: PageRequest) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    Screen::default()
        .text(t("forgot.lead"))
        .form(forgot_form(&t, &page.visitor.csrf, ""))
        .render(&state, &page, StatusCode::OK, &t("forgot.title"))
}

pub async fn forgot(
    state: web::Data<AppState>,
    page: PageRequest,
    req: HttpRequest,
    Form(form): Form<ForgotForm>,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    let Some(email) = normalize_email(&form.email) else {
        let view = forgot_form(&t, &page.visitor.csrf, &form.email)
            .error(Some(t("account.email_invalid")));
        return Screen::default().form(view).render(
            &state,
            &page,
            StatusCode::BAD_REQUEST,
            &t("forgot.title"),
        );
    };
    let ip = client_ip(&req);
    throttled(state.throttles.mail_ip.attempt(&ip))?;
    let shared = state.clone();
    let lang = page.lang;
    in_background(&state, "password reset", move |conn| {
        conn.transaction(|conn| {
            let Some(user) = User::find_by_email(conn, &email)? else {
                return Ok(());
            };
            let token = model::issue_token(conn, user.id, TokenPurpose::ResetPassword, None, None)?;
            let link = format!(
                "{}/wachtwoord-herstellen/{token}",
                shared.config.public_url()
            );
            queue_mail(
                conn,
                &shared,
                lang,
                &email,
                "reset",
                &[("name", &user.name), ("link", &link)],
            )
        })
    });
    Screen::default().text(t("forgot.sent")).render(
        &state,
        &page,
        StatusCode::OK,
        &t("forgot.title"),
    )
}

#[derive(Deserialize, Default)]
pub struct ResetForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

fn reset_form(t: &impl Fn(&str) -> String, csrf: &str, token: &str) -> FormView {
    FormView::new(
        format!("/wachtwoord-herstellen/{token}"),
        t("reset.submit"),
        csrf,
    )
    .with(|f| with_new_password(f, t))
}

fn invalid_link(state: &AppState, page: &PageRequest) -> AppResult<HttpResponse> {
    let t = |k: &str| state.renderer.text(page.lang, k).to_owned();
    Screen::default()
        .text(t("token.invalid"))
        .link("/wachtwoord-vergeten", t("reset.new_link"))
        .render(
            state,
            page,
            StatusCode::BAD_REQUEST,
            &t("token.invalid_title"),
        )
}

/// Looks a token up without using it; only tokens that can be well-formed are looked up.
async fn live_token(
    state: &AppState,
    token: &str,
    purpose: TokenPurpose,
) -> AppResult<Option<(User, model::Redeemed)>> {
    if !token::well_formed(token) {
        return Ok(None);
    }
    let token = token.to_owned();
    state
        .db
        .run(
            move |conn| match model::peek_token(conn, &token, purpose)? {
                Some(found) => Ok(Some((User::find(conn, found.user_id)?, found))),
                None => Ok(None),
            },
        )
        .await
}

pub async fn show_reset(
    state: web::Data<AppState>,
    page: PageRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    let token = path.into_inner();
    if live_token(&state, &token, TokenPurpose::ResetPassword)
        .await?
        .is_none()
    {
        return invalid_link(&state, &page);
    }
    Screen::default()
        .form(reset_form(&t, &page.visitor.csrf, &token))
        .render(&state, &page, StatusCode::OK, &t("reset.title"))
}

pub async fn reset(
    state: web::Data<AppState>,
    page: PageRequest,
    path: web::Path<String>,
    Form(form): Form<ResetForm>,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    let token = path.into_inner();
    let Some((user, _)) = live_token(&state, &token, TokenPurpose::ResetPassword).await? else {
        return invalid_link(&state, &page);
    };
    let mut view = reset_form(&t, &page.visitor.csrf, &token);
    check_new_password(
        &t,
        &mut view,
        &form.password,
        &form.password_again,
        &user.email,
    );
    if view.has_errors() {
        return show_again(&state, &page, &t("reset.title"), view);
    }
    let hash = password::hash(form.password).await?;
    let done = state
        .db
        .run(move |conn| {
            conn.transaction(|conn| {
                // Redeemed inside the change: two tabs cannot both use one link.
                let Some(found) = model::redeem_token(conn, &token, TokenPurpose::ResetPassword)?
                else {
                    return Ok(false);
                };
                User::set_password(conn, found.user_id, &hash)?;
                // Whoever knew the old password is signed out everywhere, and no other
                // link (an address change, say) outlives it. Following the link proved
                // the address, too.
                session::end_all(conn, found.user_id, None)?;
                model::revoke_all_tokens(conn, found.user_id)?;
                if !user.email_verified {
                    User::verify_email(conn, &user)?;
                }
                Ok(true)
            })
        })
        .await?;
    if !done {
        return invalid_link(&state, &page);
    }
    Screen::default()
        .text(t("reset.done"))
        .link("/inloggen", t("nav.login"))
        .render(&state, &page, StatusCode::OK, &t("reset.title"))
}
