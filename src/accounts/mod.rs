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

/// Registration, sign-in, the profile, membership and the administration.
pub fn page_routes(cfg: &mut actix_web::web::ServiceConfig) {
    use crate::web::get;
    use actix_web::web;
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
