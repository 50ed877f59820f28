//! Accounts: registration with e-mail verification, sign-in and sign-out, password reset
//! and change, change of address ([`pages`]); the profile with its sessions, data export
//! and account deletion ([`profile`]); city membership by e-mail domain or by request
//! ([`membership`]); the administration of roles, domains and the audit log ([`admin`],
//! [`audit`]); and `stadsmaat user create` ([`cli`]). Sessions, CSRF, passwords and the
//! authorization policy are the shared core in [`crate::auth`].

pub mod admin;
pub mod audit;
pub mod cli;
pub mod membership;
pub mod model;
pub mod pages;
pub mod profile;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use serde::Deserialize;

use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::mail::{self, Mail};
pub use crate::web::forms::Screen;
use crate::web::forms::{Field, FormView};
use crate::web::i18n::Lang;
use crate::web::render::PageRequest;
use crate::web::AppState;

/// The password fields of account forms, alike everywhere so browsers and password
/// managers recognise them.
pub fn current_password_field(t: &impl Fn(&str) -> String) -> Field {
    Field::new(
        "password",
        "current_password",
        t("account.current_password"),
    )
    .autocomplete("current-password")
    .required()
}

/// A new password with its repetition.
pub fn with_new_password(form: FormView, t: &impl Fn(&str) -> String) -> FormView {
    form.field(
        Field::new("password", "password", t("account.new_password"))
            .hint(t("password.rules"))
            .autocomplete("new-password")
            .required(),
    )
    .field(
        Field::new("password", "password_again", t("account.password_again"))
            .autocomplete("new-password")
            .required(),
    )
}

/// A form shown again with its errors (400).
pub fn show_again(
    state: &AppState,
    page: &PageRequest,
    title: &str,
    form: FormView,
) -> AppResult<HttpResponse> {
    Screen::default()
        .form(form)
        .render(state, page, StatusCode::BAD_REQUEST, title)
}

/// 429 when `check` says the key has used up its window.
pub fn throttled(check: Result<(), u64>) -> AppResult<()> {
    check.map_err(|retry_after_secs| AppError::TooManyRequests { retry_after_secs })
}

/// Queues mail built from the catalogs in the request's language.
pub fn queue_mail(
    conn: &mut DbConnection,
    state: &AppState,
    lang: Lang,
    to: &str,
    key: &str,
    args: &[(&str, &str)],
) -> AppResult<()> {
    let base = state.config.public_url();
    let mut args: Vec<(&str, &str)> = args.to_vec();
    args.push(("site", &base));
    mail::enqueue(
        conn,
        &Mail::from_catalog(state.renderer.catalogs(), lang, to, key, &args),
    )
}

/// A form with nothing but its CSRF token (sign out, end a session).
#[derive(Deserialize)]
pub struct EmptyForm {}

/// The page's texts: `t("key")` in the page's language.
pub fn texts<'a>(
    state: &'a web::Data<AppState>,
    page: &PageRequest,
) -> impl Fn(&str) -> String + 'a {
    let lang = page.lang;
    move |key| state.renderer.text(lang, key).to_owned()
}

/// A 303 to `location`, the answer to every successful form.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location))
        .finish()
}
