//! One-click unsubscribe (RFC 8058) and mail preferences. Every message carries a link
//! with an opaque token (stored hashed) naming its recipient and list. A POST to it —
//! from a mail client's "unsubscribe" button, with no cookie and no CSRF token: the one
//! form exempt, by design, because the token itself is the proof — stops that kind of
//! mail. A GET shows a page with the button and a link to the preferences, which the
//! token also opens without signing in. Signed-in people change the same preferences at
//! `/account/post`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::Utc;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::MailList;
use crate::auth::csrf::Form;
use crate::auth::policy::authorize;
use crate::auth::{token, Action};
use crate::config::Config;
use crate::db::schema::{unsubscribe_tokens, users};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::web::forms::{see_other, Field, FormView, Screen};
use crate::web::i18n::Lang;
use crate::web::render::PageRequest;
use crate::web::AppState;

/// A new unsubscribe link for `user_id` and `list`; call in the transaction that queues
/// the message carrying it.
pub fn link(
    conn: &mut DbConnection,
    config: &Config,
    user_id: i32,
    list: MailList,
) -> AppResult<String> {
    let secret = token::random_token()?;
    diesel::insert_into(unsubscribe_tokens::table)
        .values((
            unsubscribe_tokens::token_hash.eq(token::hash_token(&secret)),
            unsubscribe_tokens::user_id.eq(user_id),
            unsubscribe_tokens::list.eq(list.slug()),
            unsubscribe_tokens::created_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(format!("{}/afmelden/{secret}", config.public_url()))
}

/// The person and list a token names; 404 for anything else.
fn redeem(conn: &mut DbConnection, secret: &str) -> AppResult<(i32, MailList)> {
    let unknown = || AppError::not_found("unsubscribe link");
    if !token::well_formed(secret) {
        return Err(unknown());
    }
    let (user_id, list): (i32, String) = unsubscribe_tokens::table
        .find(token::hash_token(secret))
        .select((unsubscribe_tokens::user_id, unsubscribe_tokens::list))
        .first(conn)
        .optional()?
        .ok_or_else(unknown)?;
    Ok((user_id, MailList::parse(&list).ok_or_else(unknown)?))
}

/// Stops `list` for `user_id`.
pub fn stop(conn: &mut DbConnection, user_id: i32, list: MailList) -> AppResult<()> {
    let target = users::table.find(user_id);
    match list {
        MailList::Digest => diesel::update(target)
            .set(users::digest_mail.eq(false))
            .execute(conn)?,
        MailList::Notifications => diesel::update(target)
            .set(users::notify_mail.eq(NotifyMail::Never))
            .execute(conn)?,
        MailList::Account => diesel::update(target)
            .set(users::account_mail.eq(false))
            .execute(conn)?,
    };
    Ok(())
}

crate::slug_enum! {
    /// How someone gets forum notifications by mail.
    pub enum NotifyMail ("notification mail", "invalid_notify_mail") {
        Immediately = "immediately",
        Hourly = "hourly",
        /// Only in the weekly digest.
        Digest = "digest",
        Never = "never",
    }
}

/// A person's mail preferences.
#[derive(Clone, Debug)]
pub struct Preferences {
    pub lang: Lang,
    pub notify: NotifyMail,
    pub digest: bool,
    pub account: bool,
}

impl Preferences {
    pub fn load(conn: &mut DbConnection, user_id: i32) -> AppResult<Preferences> {
        let (lang, notify, digest, account): (String, NotifyMail, bool, bool) = users::table
            .find(user_id)
            .select((
                users::lang,
                users::notify_mail,
                users::digest_mail,
                users::account_mail,
            ))
            .first(conn)?;
        Ok(Preferences {
            lang: Lang::parse(&lang).unwrap_or_default(),
            notify,
            digest,
            account,
        })
    }

    pub fn save(&self, conn: &mut DbConnection, user_id: i32) -> AppResult<()> {
        diesel::update(users::table.find(user_id))
            .set((
                users::lang.eq(self.lang.code()),
                users::notify_mail.eq(self.notify),
                users::digest_mail.eq(self.digest),
                users::account_mail.eq(self.account),
            ))
            .execute(conn)?;
        Ok(())
    }
}

#[derive(Serialize)]
struct UnsubscribePage {
    list: MailList,
    token: String,
    done: bool,
}

pub async fn show_unsubscribe(
    state: web::Data<AppState>,
    page: PageRequest,
    secret: web::Path<String>,
) -> AppResult<HttpResponse> {
    let secret = secret.into_inner();
    let lookup = secret.clone();
    let (_, list) = state.db.run(move |conn| redeem(conn, &lookup)).await?;
    let view = UnsubscribePage {
        list,
        token: secret,
        done: false,
    };
    let title = state
        .renderer
        .text(page.lang, "unsubscribe.title")
        .to_owned();
    state
        .renderer
        .page(&page, "mail/unsubscribe", &title, &view)
}

/// The one-click POST (RFC 8058): no session, no CSRF token — the token in the address
/// is the proof. A mail client sends `List-Unsubscribe=One-Click`; the page's own
/// button sends the same.
pub async fn unsubscribe(
    state: web::Data<AppState>,
    page: PageRequest,
    secret: web::Path<String>,
) -> AppResult<HttpResponse> {
    let secret = secret.into_inner();
    let lookup = secret.clone();
    let list = state
        .db
        .run(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let (user_id, list) = redeem(conn, &lookup)?;
                stop(conn, user_id, list)?;
                Ok(list)
            })
        })
        .await?;
    let view = UnsubscribePage {
        list,
        token: secret,
        done: true,
    };
    let title = state
        .renderer
        .text(page.lang, "unsubscribe.done_title")
        .to_owned();
    state
        .renderer
        .page(&page, "mail/unsubscribe", &title, &view)
}

fn preferences_form(
    t: &impl Fn(&str) -> String,
    csrf: &str,
    action: &str,
    prefs: &Preferences,
) -> FormView {
    let yes_no = |value: bool| (if value { "1" } else { "0" }).to_owned();
    let choices = |on: &str, off: &str| vec![("1".to_owned(), t(on)), ("0".to_owned(), t(off))];
    FormView::new(action, t("mailprefs.save"), csrf)
        .field(
            Field::new("select", "notify", t("mailprefs.notify"))
                .value(prefs.notify.slug())
                .options(NotifyMail::ALL.map(|n| {
                    (
                        n.slug().to_owned(),
                        t(&format!("mailprefs.notify.{}", n.slug())),
                    )
                }))
                .required(),
        )
        .field(
            Field::new("select", "digest", t("mailprefs.digest"))
                .value(yes_no(prefs.digest))
                .options(choices("mailprefs.digest.on", "mailprefs.digest.off"))
                .hint(t("mailprefs.digest_hint"))
                .required(),
        )
        .field(
            Field::new("select", "account", t("mailprefs.account"))
                .value(yes_no(prefs.account))
                .options(choices("mailprefs.account.on", "mailprefs.account.off"))
                .hint(t("mailprefs.account_hint"))
                .required(),
        )
        .field(
            Field::new("select", "lang", t("mailprefs.lang"))
                .value(prefs.lang.code())
                .options(Lang::ALL.map(|l| {
                    (
                        l.code().to_owned(),
                        t(&format!("mailprefs.lang.{}", l.code())),
                    )
                }))
                .required(),
        )
}

#[derive(Deserialize, Default)]
pub struct PreferencesInput {
    #[serde(default)]
    notify: String,
    #[serde(default)]
    digest: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    lang: String,
}

impl PreferencesInput {
    fn parse(&self) -> AppResult<Preferences> {
        let flag = |name: &str, value: &str| match value {
            "1" => Ok(true),
            "0" => Ok(false),
            other => Err(AppError::bad_request(
                "invalid_form",
                format!("{name} must be 1 or 0, got {other:?}"),
            )),
        };
        Ok(Preferences {
            notify: self.notify.parse()?,
            digest: flag("digest", &self.digest)?,
            account: flag("account", &self.account)?,
            lang: Lang::parse(&self.lang).ok_or_else(|| {
                AppError::bad_request(
                    "invalid_form",
                    format!("lang must be nl or en, got {:?}", self.lang),
                )
            })?,
        })
    }
}

async fn preferences_page(
    state: &AppState,
    page: &PageRequest,
    user_id: i32,
    action: String,
    saved: bool,
) -> AppResult<HttpResponse> {
    let prefs = state
        .db
        .run(move |conn| Preferences::load(conn, user_id))
        .await?;
    let t = |key: &str| state.renderer.text(page.lang, key).to_owned();
    let form = preferences_form(&t, &page.visitor.csrf, &action, &prefs);
    let mut screen = Screen::default().text(t("mailprefs.lead"));
    if saved {
        screen = screen.text(t("mailprefs.saved"));
    }
    screen
        .form(form)
        .link("/account/volgen", t("mailprefs.follows_link"))
        .render(state, page, StatusCode::OK, &t("mailprefs.title"))
}

/// `/account/post`, for the signed-in.
pub async fn show_preferences(
    state: web::Data<AppState>,
    page: PageRequest,
) -> AppResult<HttpResponse> {
    let user_id = authorize(&page.visitor, Action::ManageOwnAccount)?.id;
    let saved = page.path.ends_with("?opgeslagen=1");
    preferences_page(&state, &page, user_id, "/account/post".into(), saved).await
}

pub async fn save_preferences(
    state: web::Data<AppState>,
    page: PageRequest,
    Form(input): Form<PreferencesInput>,
) -> AppResult<HttpResponse> {
    let user_id = authorize(&page.visitor, Action::ManageOwnAccount)?.id;
    let prefs = input.parse()?;
    state.db.run(move |conn| prefs.save(conn, user_id)).await?;
    Ok(see_other("/account/post?opgeslagen=1"))
}

/// The preferences a mail's token opens, without signing in.
pub async fn show_token_preferences(
    state: web::Data<AppState>,
    page: PageRequest,
    secret: web::Path<String>,
) -> AppResult<HttpResponse> {
    let secret = secret.into_inner();
    let lookup = secret.clone();
    let (user_id, _) = state.db.run(move |conn| redeem(conn, &lookup)).await?;
    preferences_page(
        &state,
        &page,
        user_id,
        format!("/afmelden/{secret}/voorkeuren"),
        false,
    )
    .await
}

/// Saving preferences through a mail's token: the form carries the visitor's CSRF token
/// like any other (only the one-click POST is exempt).
pub async fn save_token_preferences(
    state: web::Data<AppState>,
    page: PageRequest,
    secret: web::Path<String>,
    Form(input): Form<PreferencesInput>,
) -> AppResult<HttpResponse> {
    let secret = secret.into_inner();
    let prefs = input.parse()?;
    let lookup = secret.clone();
    state
        .db
        .run(move |conn| {
            let (user_id, _) = redeem(conn, &lookup)?;
            prefs.save(conn, user_id)
        })
        .await?;
    preferences_page_for_token(&state, &page, &secret).await
}

async fn preferences_page_for_token(
    state: &AppState,
    page: &PageRequest,
    secret: &str,
) -> AppResult<HttpResponse> {
    let lookup = secret.to_owned();
    let (user_id, _) = state.db.run(move |conn| redeem(conn, &lookup)).await?;
    preferences_page(
        state,
        page,
        user_id,
        format!("/afmelden/{secret}/voorkeuren"),
        true,
    )
    .await
}
