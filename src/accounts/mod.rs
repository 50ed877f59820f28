//! Accounts: registration with e-mail verification ([`registration`]), sign-in and
//! sign-out ([`sign_in`]), password reset ([`password_reset`]), with the mails and links
//! they share ([`mail_links`]); the profile with its sessions ([`profile`]), change of
//! password and address ([`credentials`]), data export and account deletion
//! ([`personal_data`]); city membership by e-mail domain or by request
//! ([`membership`]); the administration of roles, domains and the audit log ([`admin`],
//! [`audit`]); and `stadsmaat user create` ([`cli`]). Sessions, CSRF, passwords and the
//! authorization policy are the shared core in [`crate::auth`].

pub mod admin;
pub mod audit;
pub mod cli;
pub mod credentials;
pub mod mail_links;
pub mod membership;
pub mod model;
pub mod password_reset;
pub mod personal_data;
pub mod profile;
pub mod registration;
pub mod sign_in;

use crate::auth::password;
pub use crate::mail::queue_mail;
pub use crate::web::forms::{see_other, show_again, texts, throttled, EmptyForm, Screen};
use crate::web::forms::{Field, FormView};

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

/// Registration, sign-in, the profile, membership and the administration.
pub fn page_routes(cfg: &mut actix_web::web::ServiceConfig) {
    use crate::web::get;
    use actix_web::web;
    cfg.service(
        web::resource("/registreren")
            .route(get().to(registration::show_register))
            .route(web::post().to(registration::register)),
    )
    .service(
        web::resource("/account/bevestigen/{token}")
            .route(get().to(registration::show_verify_email))
            .route(web::post().to(registration::verify_email)),
    )
    .service(
        web::resource("/inloggen")
            .route(get().to(sign_in::show_login))
            .route(web::post().to(sign_in::login)),
    )
    .service(web::resource("/uitloggen").route(web::post().to(sign_in::logout)))
    .service(
        web::resource("/wachtwoord-vergeten")
            .route(get().to(password_reset::show_forgot))
            .route(web::post().to(password_reset::forgot)),
    )
    .service(
        web::resource("/wachtwoord-herstellen/{token}")
            .route(get().to(password_reset::show_reset))
            .route(web::post().to(password_reset::reset)),
    )
    .service(web::resource("/account").route(get().to(profile::show_profile)))
    .service(
        web::resource("/account/wachtwoord")
            .route(get().to(credentials::show_change_password))
            .route(web::post().to(credentials::change_password)),
    )
    .service(
        web::resource("/account/email")
            .route(get().to(credentials::show_change_email))
            .route(web::post().to(credentials::change_email)),
    )
    .service(
        web::resource("/account/email-bevestigen/{token}")
            .route(get().to(credentials::confirm_email_change)),
    )
    .service(
        web::resource("/account/sessies/{id}/beeindigen")
            .route(web::post().to(profile::end_session)),
    )
    .service(
        web::resource("/account/overal-uitloggen").route(web::post().to(profile::end_all_sessions)),
    )
    .service(web::resource("/account/post/opnieuw").route(web::post().to(profile::retry_mail)))
    .service(web::resource("/account/gegevens").route(get().to(personal_data::export_data)))
    .service(
        web::resource("/account/verwijderen")
            .route(get().to(personal_data::show_delete))
            .route(web::post().to(personal_data::delete_account)),
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
