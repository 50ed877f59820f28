//! The mails of the signed-out pages and the links in them: the verification link, a
//! link's token looked up without using it, the answer to a dead link, and the database
//! work of a form that must not reveal whether an address has an account.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::model::{self, Registration, TokenPurpose, User};
use super::{queue_mail, Screen};
use crate::auth::token;
use crate::db::DbConnection;
use crate::error::AppResult;
use crate::web::i18n::Lang;
use crate::web::render::PageRequest;
use crate::web::AppState;

/// Runs the database part of a form that must not reveal whether an address has an
/// account after the answer is sent, so its duration tells nothing either. `work` is
/// one transaction: it happens completely or, logged, not at all.
pub(super) fn in_background(
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
pub(super) fn send_verification(
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

/// Looks a token up without using it; only tokens that can be well-formed are looked up.
pub(super) async fn live_token(
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

pub(super) fn invalid_link(state: &AppState, page: &PageRequest) -> AppResult<HttpResponse> {
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
