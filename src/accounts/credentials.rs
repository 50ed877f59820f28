//! Changing what a signed-in user signs in with: the password (other devices are signed
//! out) and the e-mail address (confirmed by a link mailed to the new one). Both ask for
//! the current password, throttled like a login.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde::Deserialize;

use super::model::{self, normalize_email, TokenPurpose, User};
use super::{
    check_new_password, current_password_field, queue_mail, see_other, show_again, texts,
    throttled, with_new_password, Screen,
};
use crate::auth::csrf::Form;
use crate::auth::policy::authorize;
use crate::auth::session::{self, SessionUser};
use crate::auth::{password, Action};
use crate::db::schema::users;
use crate::error::AppResult;
use crate::web::forms::{Field, FormView};
use crate::web::render::PageRequest;
use crate::web::AppState;

// ---- password -----------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

fn password_form(t: &impl Fn(&str) -> String, csrf: &str) -> FormView {
    FormView::new("/account/wachtwoord", t("password.change_submit"), csrf)
        .field(current_password_field(t))
        .with(|f| with_new_password(f, t))
}

pub async fn show_change_password(
    state: web::Data<AppState>,
    page: PageRequest,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    authorize(&page.visitor, Action::ManageOwnAccount)?;
    Screen::default()
        .form(password_form(&t, &page.visitor.csrf))
        .render(&state, &page, StatusCode::OK, &t("password.change_title"))
}

/// Checks the current password of a signed-in user, throttled like a login so a stolen
/// session cannot be used to guess it.
pub(super) async fn confirm_password(
    state: &AppState,
    user: &SessionUser,
    given: String,
) -> AppResult<bool> {
    // Per session: a stolen one gets five guesses, and a stranger's failed logins do
    // not keep the owner from changing the password.
    let allowance = format!("session {}", user.session_id);
    throttled(state.throttles.trusted.attempt(&allowance))?;
    let user_id = user.id;
    let stored = state
        .db
        .run(move |conn| Ok(User::find(conn, user_id)?.password_hash))
        .await?;
    let ok = password::verify(given, Some(stored)).await?;
    if ok {
        state.throttles.trusted.forgive(&allowance);
    }
    Ok(ok)
}

pub async fn change_password(
    state: web::Data<AppState>,
    page: PageRequest,
    Form(form): Form<PasswordForm>,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    let user = authorize(&page.visitor, Action::ManageOwnAccount)?.clone();
    let mut view = password_form(&t, &page.visitor.csrf);
    if !confirm_password(&state, &user, form.current_password).await? {
        view.field_error("current_password", t("account.wrong_password"));
    }
    check_new_password(
        &t,
        &mut view,
        &form.password,
        &form.password_again,
        &user.email,
    );
    if view.has_errors() {
        return show_again(&state, &page, &t("password.change_title"), view);
    }
    let hash = password::hash(form.password).await?;
    state
        .db
        .run(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                User::set_password(conn, user.id, &hash)?;
                // No reset or address link made before the change may outlive it.
                model::revoke_all_tokens(conn, user.id)?;
                // Other devices signed in with the old password are signed out.
                session::end_all(conn, user.id, Some(user.session_id))?;
                Ok(())
            })
        })
        .await?;
    Ok(see_other("/account?gewijzigd=wachtwoord"))
}

// ---- e-mail address -----------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    current_password: String,
}

fn email_form(t: &impl Fn(&str) -> String, csrf: &str, email: &str) -> FormView {
    FormView::new("/account/email", t("email.change_submit"), csrf)
        .field(
            Field::new("email", "email", t("account.new_email"))
                .value(email)
                .autocomplete("email")
                .required(),
        )
        .field(current_password_field(t))
}

pub async fn show_change_email(
    state: web::Data<AppState>,
    page: PageRequest,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    authorize(&page.visitor, Action::ManageOwnAccount)?;
    Screen::default()
        .text(t("email.change_lead"))
        .form(email_form(&t, &page.visitor.csrf, ""))
        .render(&state, &page, StatusCode::OK, &t("email.change_title"))
}

pub async fn change_email(
    state: web::Data<AppState>,
    page: PageRequest,
    Form(form): Form<EmailForm>,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    let user = authorize(&page.visitor, Action::ManageOwnAccount)?.clone();
    let mut view = email_form(&t, &page.visitor.csrf, &form.email);
    let new_email = normalize_email(&form.email);
    if new_email.is_none() {
        view.field_error("email", t("account.email_invalid"));
    }
    if !confirm_password(&state, &user, form.current_password).await? {
        view.field_error("current_password", t("account.wrong_password"));
    }
    let (Some(new_email), false) = (new_email, view.has_errors()) else {
        return show_again(&state, &page, &t("email.change_title"), view);
    };
    let shared = state.clone();
    let lang = page.lang;
    state
        .db
        .run(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                // Whether the new address is taken is told to its owner only, by mail.
                if User::find_by_email(conn, &new_email)?.is_some() {
                    return queue_mail(conn, &shared, lang, &new_email, "email_taken", &[]);
                }
                let token = model::issue_token(
                    conn,
                    user.id,
                    TokenPurpose::ChangeEmail,
                    Some(&new_email),
                    None,
                )?;
                let link = format!(
                    "{}/account/email-bevestigen/{token}",
                    shared.config.public_url()
                );
                queue_mail(
                    conn,
                    &shared,
                    lang,
                    &new_email,
                    "change_email",
                    &[("name", &user.name), ("link", &link)],
                )?;
                queue_mail(
                    conn,
                    &shared,
                    lang,
                    &user.email,
                    "email_change_notice",
                    &[("name", &user.name), ("email", &new_email)],
                )
            })
        })
        .await?;
    state.committed(crate::jobs::Signal::Mail);
    Screen::default()
        .text(t("email.change_sent"))
        .link("/account", t("profile.back"))
        .render(&state, &page, StatusCode::OK, &t("email.change_title"))
}

/// The link in the mail to the new address.
pub async fn confirm_email_change(
    state: web::Data<AppState>,
    page: PageRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let t = texts(&state, &page);
    let token = path.into_inner();
    let changed = state
        .db
        .run(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let Some(found) = model::redeem_token(conn, &token, TokenPurpose::ChangeEmail)?
                else {
                    return Ok(false);
                };
                let Some(new_email) = found.new_email else {
                    return Ok(false);
                };
                if User::find_by_email(conn, &new_email)?.is_some() {
                    return Ok(false);
                }
                diesel::update(users::table.find(found.user_id))
                    .set(users::email.eq(&new_email))
                    .execute(conn)?;
                // A new address starts with a clean record of refusals.
                crate::mail::refusals::reset(conn, found.user_id)?;
                let user = User::find(conn, found.user_id)?;
                User::verify_email(conn, &user)?;
                Ok(true)
            })
        })
        .await?;
    if !changed {
        return Screen::default().text(t("token.invalid")).render(
            &state,
            &page,
            StatusCode::BAD_REQUEST,
            &t("token.invalid_title"),
        );
    }
    Screen::default()
        .text(t("email.changed"))
        .link("/account", t("profile.back"))
        .render(&state, &page, StatusCode::OK, &t("email.change_title"))
}
