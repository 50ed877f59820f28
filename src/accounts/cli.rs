//! `stadsmaat user create`: makes a verified account from the command line — the way
//! the first administrator of a fresh install comes to be.

use super::model::{normalize_email, User};
use crate::auth::{password, CityRole, SiteRole};
use crate::cities::model::City;
use crate::db::Database;

/// Who the new user is besides their address and password.
#[derive(Clone, Debug, Default)]
pub struct NewUser {
    pub email: String,
    pub name: Option<String>,
    pub site_role: SiteRole,
    /// The city they are a member of (by slug), and whether they are its editor.
    pub city: Option<String>,
    pub editor: bool,
}

/// Creates the user and returns a line describing it. The password obeys the same rules
/// as on the site.
pub fn create_user(db: &Database, new: &NewUser, password: &str) -> Result<String, String> {
    let NewUser {
        email,
        name,
        site_role: role,
        city,
        editor,
    } = new;
    let (role, editor) = (*role, *editor);
    if editor && city.is_none() {
        return Err("--editor needs --city: one is the editor of a city".into());
    }
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
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| email.split('@').next().unwrap_or("").to_owned());
    let hash = password::hash_blocking(password).map_err(|e| e.to_string())?;
    let mut conn = db.connection().map_err(|e| e.to_string())?;
    let city = match city {
        Some(slug) => Some(
            City::find_by_slug(&mut conn, slug)
                .map_err(|_| format!("no G40 city with slug {slug:?} (see /steden)"))?,
        ),
        None => None,
    };
    let user = crate::db::write_transaction(&mut conn, |conn| {
        if User::find_by_email(conn, &email)?.is_some() {
            return Err(crate::error::AppError::Conflict {
                message: format!("a user with address {email} already exists"),
            });
        }
        let user = User::create(conn, &email, &name, &hash, true, role)?;
        // A mapped domain places the user in their city, as verification would;
        // a city named on the command line wins.
        User::verify_email(conn, &user)?;
        if let Some(city) = &city {
            let role = if editor {
                CityRole::Editor
            } else {
                CityRole::Member
            };
            User::set_city(conn, user.id, Some((city.id, role)))?;
        }
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
    let mut roles = Vec::new();
    match role {
        SiteRole::Admin => roles.push("administrator".to_owned()),
        SiteRole::Moderator => roles.push("moderator".to_owned()),
        SiteRole::None => {}
    }
    if let Some(city) = &city {
        let what = if editor { "editor" } else { "member" };
        roles.push(format!("{what} of {}", city.name));
    }
    let roles = if roles.is_empty() {
        String::new()
    } else {
        format!(" as {}", roles.join(", "))
    };
    Ok(format!(
        "created user {} ({}){roles}",
        user.email, user.name
    ))
}

/// Whether any administrator exists, for the hint the first `serve` prints.
pub fn has_admin(db: &Database) -> Result<bool, String> {
    let mut conn = db.connection().map_err(|e| e.to_string())?;
    User::count_admins(&mut conn)
        .map(|n| n > 0)
        .map_err(|e| e.to_string())
}
