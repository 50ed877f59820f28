//! Registering and verifying the address: the registration form, and the link in the
//! verification mail, which asks for the password chosen at registration. None of the
//! answers tells whether an address has an account.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::mail_links::{in_background, invalid_link, live_token, send_verification};
use super::model::{self, normalize_email, Registration, TokenPurpose, User};
use super::sign_in::signed_in_redirect;
use super::{
    audit, check_new_password, queue_mail, show_again, texts, throttled, with_new_password, Screen,
};
use crate::auth::csrf::Form;
use crate::auth::session::{self, client_ip, Client};
use crate::auth::{password, SiteRole};
use crate::cities::model::City;
use crate::error::AppResult;
use crate::web::forms::{Field, FormView};
use crate::web::render::PageRequest;
use crate::web::AppState;

/// Longest display name we accept.
const MAX_NAME: usize = 100;

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
        crate::db::write_transaction(conn, |conn| match User::find_by_email(conn, &email)? {
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
    // Only the holder of the mailed link gets here: its guesses are its own, so a
    // stranger's failed logins do not keep the owner from confirming the address.
    let allowance = format!("verify {}", user.id);
    throttled(state.throttles.trusted.attempt(&allowance))?;
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
    state.throttles.trusted.forgive(&allowance);
    let client = Client::of(&req);
    let session = state
        .db
        .run(move |conn| {
            crate::db::write_transaction(conn, |conn| {
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
        Some(started) => signed_in_redirect(&req, started, "/account?gewijzigd=bevestigd"),
        None => invalid_link(&state, &page),
    }
}
