//! A forgotten password: the form that mails a reset link (whether or not the address
//! has an account, the answer is the same), and the link's form that sets a new
//! password, signing the account out everywhere and making the browser one the account
//! trusts. The login lock-out never blocks either.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::mail_links::{in_background, invalid_link, live_token};
use super::model::{self, normalize_email, TokenPurpose, User};
use super::{
    check_new_password, queue_mail, show_again, texts, throttled, with_new_password, Screen,
};
use crate::auth::csrf::Form;
use crate::auth::session::{self, client_ip};
use crate::auth::{devices, password};
use crate::error::{AppError, AppResult};
use crate::web::forms::{Field, FormView};
use crate::web::render::PageRequest;
use crate::web::AppState;

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
        crate::db::write_transaction(conn, |conn| {
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
    req: HttpRequest,
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
    let presented = devices::presented(&req);
    let device = state
        .db
        .run(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                // Redeemed inside the change: two tabs cannot both use one link.
                let Some(found) = model::redeem_token(conn, &token, TokenPurpose::ResetPassword)?
                else {
                    return Ok(None);
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
                // Browsers trusted under the old password are no longer; this one, which
                // proved the mailbox, is — so no stranger's failed logins keep the owner
                // out, however long they go on.
                devices::forget_all(conn, found.user_id)?;
                devices::trust(conn, found.user_id, presented.as_deref()).map(Some)
            })
        })
        .await?;
    let Some(device) = device else {
        return invalid_link(&state, &page);
    };
    let mut response = Screen::default()
        .text(t("reset.done"))
        .link("/inloggen", t("nav.login"))
        .render(&state, &page, StatusCode::OK, &t("reset.title"))?;
    response
        .add_cookie(&devices::cookie(device, session::is_https(&req)))
        .map_err(|e| AppError::Internal(format!("cookie: {e}")))?;
    Ok(response)
}
