//! `stadsmaat user create`: makes a verified account from the command line — the way
//! the first administrator of a fresh install comes to be.

use diesel::Connection;

use super::model::{normalize_email, User};
use crate::auth::{password, SiteRole};
use crate::db::Database;

/// Creates the user and returns a line describing it. The password obeys the same rules
/// as on the site.
pub fn create_user(
    db: &Database,
    email: &str,
    name: Option<&str>,
    admin: bool,
    password: &str,
) -> Result<String, String> {
    let email =
        normalize_email(email).ok_or_else(|| format!("not an e-mail address: {email:?}"))?;
    let password = password.trim_end_matches(['\r', '\n']);
    password::check_strength(password, &email).map_err(|w| {
        format!(
            "password refused: {}",
            match w {
                password::Weakness::TooShort =>
                    format!("shorter than {} characters", password::MIN_LENGTH),
                password::Weakness::TooLong =>
                    format!("longer than {} characters", password::MAX_LENGTH),
                password::Weakness::Common => "on the list of common passwords".into(),
                password::Weakness::ContainsAccount => "contains the e-mail address".into(),
            }
        )
    })?;
    let name = name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| email.split('@').next().unwrap_or("").to_owned());
    let hash = password::hash_blocking(password).map_err(|e| e.to_string())?;
    let role = if admin {
        SiteRole::Admin
    } else {
        SiteRole::None
    };
    let mut conn = db.connection().map_err(|e| e.to_string())?;
    let user = conn
        .transaction(|conn| {
            if User::find_by_email(conn, &email)?.is_some() {
                return Err(crate::error::AppError::Conflict {
                    message: format!("a user with address {email} already exists"),
                });
            }
            let user = User::create(conn, &email, &name, &hash, true, role)?;
            // A mapped domain places the user in their city, as verification would.
            User::verify_email(conn, &user)?;
            super::audit::record(
                conn,
                None,
                Some(user.id),
                "account.created_cli",
                role.slug(),
            )?;
            Ok(user)
        })
        .map_err(|e: crate::error::AppError| e.to_string())?;
    Ok(format!(
        "created user {} ({}){}",
        user.email,
        user.name,
        if admin { " as administrator" } else { "" }
    ))
}

/// Whether any administrator exists, for the hint the first `serve` prints.
pub fn has_admin(db: &Database) -> Result<bool, String> {
    let mut conn = db.connection().map_err(|e| e.to_string())?;
    User::count_admins(&mut conn)
        .map(|n| n > 0)
        .map_err(|e| e.to_string())
}
