//! Users, their single-use e-mail tokens, and the e-mail domains that place a verified
//! address in its city.

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::{token, CityRole, SiteRole};
use crate::db::schema::{account_tokens, email_domains, users};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

#[derive(Queryable, Selectable, Clone, Debug, Serialize)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i32,
    pub email: String,
    pub name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub email_verified: bool,
    pub city_id: Option<i32>,
    pub city_role: Option<String>,
    pub site_role: String,
    pub created_at: NaiveDateTime,
}

/// Gives the user a handle to be mentioned by (`@jan-jansen`): their name as a slug,
/// numbered when taken.
fn assign_handle(conn: &mut DbConnection, id: i32, name: &str) -> AppResult<()> {
    let base = match crate::text::slugify(name) {
        slug if slug.len() >= 2 => slug.chars().take(40).collect::<String>(),
        _ => "deelnemer".to_owned(),
    };
    let base = base.trim_end_matches('-').to_owned();
    for n in 1.. {
        let candidate = if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        let taken: i64 = users::table
            .filter(users::handle.eq(&candidate))
            .count()
            .get_result(conn)?;
        if taken == 0 {
            diesel::update(users::table.find(id))
                .set(users::handle.eq(candidate))
                .execute(conn)?;
            return Ok(());
        }
    }
    Ok(())
}

/// Gives every account made before handles existed its handle.
pub fn assign_missing_handles(conn: &mut DbConnection) -> AppResult<usize> {
    let missing: Vec<(i32, String)> = users::table
        .filter(users::handle.is_null())
        .order(users::id)
        .select((users::id, users::name))
        .load(conn)?;
    for (id, name) in &missing {
        assign_handle(conn, *id, name)?;
    }
    Ok(missing.len())
}

/// Lower-cases and checks an address; `None` when it is not one the mailer can send to.
pub fn normalize_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    (email.len() <= 254 && email.contains('@') && crate::mail::valid_address(&email))
        .then_some(email)
}

pub fn domain_of(email: &str) -> &str {
    email.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
}

impl User {
    pub fn find(conn: &mut DbConnection, id: i32) -> AppResult<User> {
        users::table
            .find(id)
            .select(User::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found(format!("user {id}")))
    }

    pub fn find_by_email(conn: &mut DbConnection, email: &str) -> AppResult<Option<User>> {
        Ok(users::table
            .filter(users::email.eq(email))
            .select(User::as_select())
            .first(conn)
            .optional()?)
    }

    /// A new account; verified only when the caller vouches for the address (the CLI).
    pub fn create(
        conn: &mut DbConnection,
        email: &str,
        name: &str,
        password_hash: &str,
        verified: bool,
        site_role: SiteRole,
    ) -> AppResult<User> {
        let id: i32 = diesel::insert_into(users::table)
            .values((
                users::email.eq(email),
                users::name.eq(name),
                users::password_hash.eq(password_hash),
                users::email_verified.eq(verified),
                users::site_role.eq(site_role.slug()),
                users::created_at.eq(Utc::now().naive_utc()),
            ))
            .returning(users::id)
            .get_result(conn)?;
        assign_handle(conn, id, name)?;
        User::find(conn, id)
    }

    pub fn city_role(&self) -> Option<CityRole> {
        self.city_role.as_deref().and_then(CityRole::parse)
    }

    pub fn site_role(&self) -> SiteRole {
        SiteRole::parse(&self.site_role).unwrap_or_default()
    }

    /// Applies a verified registration's own name and password.
    pub fn set_registration(
        conn: &mut DbConnection,
        id: i32,
        name: &str,
        hash: &str,
    ) -> AppResult<()> {
        diesel::update(users::table.find(id))
            .set((users::name.eq(name), users::password_hash.eq(hash)))
            .execute(conn)?;
        Ok(())
    }

    pub fn set_password(conn: &mut DbConnection, id: i32, hash: &str) -> AppResult<()> {
        diesel::update(users::table.find(id))
            .set(users::password_hash.eq(hash))
            .execute(conn)?;
        Ok(())
    }

    /// Marks the address verified and, when its domain belongs to a city and the user has
    /// none yet, makes them a member there. Returns the city joined, if any.
    pub fn verify_email(conn: &mut DbConnection, user: &User) -> AppResult<Option<i32>> {
        diesel::update(users::table.find(user.id))
            .set(users::email_verified.eq(true))
            .execute(conn)?;
        if user.city_id.is_some() {
            return Ok(None);
        }
        let city = EmailDomain::city_of(conn, domain_of(&user.email))?;
        if let Some(city_id) = city {
            User::set_city(conn, user.id, Some((city_id, CityRole::Member)))?;
        }
        Ok(city)
    }

    pub fn set_city(
        conn: &mut DbConnection,
        id: i32,
        city: Option<(i32, CityRole)>,
    ) -> AppResult<()> {
        diesel::update(users::table.find(id))
            .set((
                users::city_id.eq(city.map(|c| c.0)),
                users::city_role.eq(city.map(|c| c.1.slug())),
            ))
            .execute(conn)?;
        Ok(())
    }

    pub fn set_site_role(conn: &mut DbConnection, id: i32, role: SiteRole) -> AppResult<()> {
        diesel::update(users::table.find(id))
            .set(users::site_role.eq(role.slug()))
            .execute(conn)?;
        Ok(())
    }

    /// Refuses (409) a change that would take the last administrator away: call it in
    /// the transaction that demotes or deletes `user_id`, before the change. The count is
    /// race-free: SQLite's write transaction (`BEGIN IMMEDIATE`) lets one writer at a
    /// time; on PostgreSQL the administrators' rows are locked (`FOR UPDATE`), so a
    /// second demotion waits and then counts without the first one's administrator.
    pub fn keep_an_administrator(conn: &mut DbConnection, user_id: i32) -> AppResult<()> {
        #[derive(QueryableByName)]
        struct Admin {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            id: i32,
        }
        let admins: Vec<i32> = match conn {
            DbConnection::Pg(pg) => diesel::sql_query(
                "SELECT id FROM users WHERE site_role = 'admin' ORDER BY id FOR UPDATE",
            )
            .load::<Admin>(pg)?
            .into_iter()
            .map(|a| a.id)
            .collect(),
            DbConnection::Sqlite(_) => users::table
                .filter(users::site_role.eq(SiteRole::Admin.slug()))
                .select(users::id)
                .load(conn)?,
        };
        if admins.contains(&user_id) && admins.len() <= 1 {
            return Err(AppError::Conflict {
                message: "Stadsmaat cannot be left without an administrator; make someone \
                          else administrator first"
                    .into(),
            });
        }
        Ok(())
    }

    pub fn count_admins(conn: &mut DbConnection) -> AppResult<i64> {
        Ok(users::table
            .filter(users::site_role.eq(SiteRole::Admin.slug()))
            .count()
            .get_result(conn)?)
    }

    /// Users whose e-mail or name contains `query` (any case), alphabetically; at most
    /// `limit`. LIKE's special characters are dropped from the query, so it matches the
    /// same on both databases.
    pub fn search(conn: &mut DbConnection, query: &str, limit: i64) -> AppResult<Vec<User>> {
        let cleaned: String = query
            .to_lowercase()
            .chars()
            .filter(|c| !matches!(c, '%' | '_' | '\\'))
            .collect();
        let pattern = format!("%{cleaned}%");
        Ok(users::table
            .filter(
                lower(users::email)
                    .like(&pattern)
                    .or(lower(users::name).like(&pattern)),
            )
            .order(users::email)
            .limit(limit)
            .select(User::as_select())
            .load(conn)?)
    }

    /// Administrators, who hear of requests for cities without editors.
    pub fn admins(conn: &mut DbConnection) -> AppResult<Vec<User>> {
        Ok(users::table
            .filter(users::site_role.eq(SiteRole::Admin.slug()))
            .select(User::as_select())
            .load(conn)?)
    }

    /// The city's editors, who hear of new membership requests.
    pub fn editors_of(conn: &mut DbConnection, city_id: i32) -> AppResult<Vec<User>> {
        Ok(users::table
            .filter(users::city_id.eq(city_id))
            .filter(users::city_role.eq(CityRole::Editor.slug()))
            .select(User::as_select())
            .load(conn)?)
    }
}

/// What an e-mailed link is for; each has its own lifetime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenPurpose {
    VerifyEmail,
    ResetPassword,
    ChangeEmail,
}

impl TokenPurpose {
    fn slug(self) -> &'static str {
        match self {
            TokenPurpose::VerifyEmail => "verify_email",
            TokenPurpose::ResetPassword => "reset_password",
            TokenPurpose::ChangeEmail => "change_email",
        }
    }

    fn lifetime(self) -> Duration {
        match self {
            TokenPurpose::VerifyEmail | TokenPurpose::ChangeEmail => Duration::hours(24),
            TokenPurpose::ResetPassword => Duration::hours(1),
        }
    }
}

/// A live token: whose it is and what it carries.
pub struct Redeemed {
    pub user_id: i32,
    /// For an address change: the new address.
    pub new_email: Option<String>,
    /// For a registration: the name and password hash it was made with.
    pub new_name: Option<String>,
    pub password_hash: Option<String>,
}

/// The name and password hash a registration chose, kept with its verification link.
pub struct Registration<'a> {
    pub name: &'a str,
    pub password_hash: &'a str,
}

type TokenRow = (
    i32,
    Option<String>,
    Option<String>,
    Option<String>,
    NaiveDateTime,
);

/// Issues a token for `purpose` and returns it for the link; the database keeps its
/// hash. An earlier token of the same purpose stops working (only the newest reset or
/// address link counts) — except registrations: each keeps its own link and password, so
/// registering someone else's unverified address takes nothing from its owner.
pub fn issue_token(
    conn: &mut DbConnection,
    user_id: i32,
    purpose: TokenPurpose,
    new_email: Option<&str>,
    registration: Option<Registration>,
) -> AppResult<String> {
    if registration.is_none() {
        revoke_tokens(conn, user_id, purpose)?;
    }
    let token = token::random_token()?;
    let now = Utc::now().naive_utc();
    diesel::insert_into(account_tokens::table)
        .values((
            account_tokens::token_hash.eq(token::hash_token(&token)),
            account_tokens::user_id.eq(user_id),
            account_tokens::purpose.eq(purpose.slug()),
            account_tokens::new_email.eq(new_email),
            account_tokens::new_name.eq(registration.as_ref().map(|r| r.name)),
            account_tokens::password_hash.eq(registration.as_ref().map(|r| r.password_hash)),
            account_tokens::created_at.eq(now),
            account_tokens::expires_at.eq(now + purpose.lifetime()),
        ))
        .execute(conn)?;
    Ok(token)
}

pub fn revoke_tokens(
    conn: &mut DbConnection,
    user_id: i32,
    purpose: TokenPurpose,
) -> AppResult<()> {
    diesel::delete(
        account_tokens::table
            .filter(account_tokens::user_id.eq(user_id))
            .filter(account_tokens::purpose.eq(purpose.slug())),
    )
    .execute(conn)?;
    Ok(())
}

/// Every outstanding link of the user: after a new password, none of them may still
/// change the account.
pub fn revoke_all_tokens(conn: &mut DbConnection, user_id: i32) -> AppResult<()> {
    diesel::delete(account_tokens::table.filter(account_tokens::user_id.eq(user_id)))
        .execute(conn)?;
    Ok(())
}

fn live(row: Option<TokenRow>) -> Option<Redeemed> {
    row.filter(|r| r.4 >= Utc::now().naive_utc()).map(
        |(user_id, new_email, new_name, password_hash, _)| Redeemed {
            user_id,
            new_email,
            new_name,
            password_hash,
        },
    )
}

/// Whether `token` is a live token for `purpose`, without using it up.
pub fn peek_token(
    conn: &mut DbConnection,
    token: &str,
    purpose: TokenPurpose,
) -> AppResult<Option<Redeemed>> {
    let row: Option<TokenRow> = account_tokens::table
        .filter(account_tokens::token_hash.eq(token::hash_token(token)))
        .filter(account_tokens::purpose.eq(purpose.slug()))
        .select((
            account_tokens::user_id,
            account_tokens::new_email,
            account_tokens::new_name,
            account_tokens::password_hash,
            account_tokens::expires_at,
        ))
        .first(conn)
        .optional()?;
    Ok(live(row))
}

/// Uses up `token`: it works once, and only before it expires. Deleting and reading are
/// one statement, so two requests racing with one link cannot both win.
pub fn redeem_token(
    conn: &mut DbConnection,
    token: &str,
    purpose: TokenPurpose,
) -> AppResult<Option<Redeemed>> {
    let row: Option<TokenRow> = diesel::delete(
        account_tokens::table
            .filter(account_tokens::token_hash.eq(token::hash_token(token)))
            .filter(account_tokens::purpose.eq(purpose.slug())),
    )
    .returning((
        account_tokens::user_id,
        account_tokens::new_email,
        account_tokens::new_name,
        account_tokens::password_hash,
        account_tokens::expires_at,
    ))
    .get_result(conn)
    .optional()?;
    Ok(live(row))
}

#[derive(Queryable, Clone, Debug)]
pub struct EmailDomain {
    pub domain: String,
    pub city_id: i32,
}

impl EmailDomain {
    pub fn city_of(conn: &mut DbConnection, domain: &str) -> AppResult<Option<i32>> {
        Ok(email_domains::table
            .find(domain)
            .select(email_domains::city_id)
            .first(conn)
            .optional()?)
    }

    pub fn all(conn: &mut DbConnection) -> AppResult<Vec<EmailDomain>> {
        Ok(email_domains::table
            .order(email_domains::domain)
            .select((email_domains::domain, email_domains::city_id))
            .load(conn)?)
    }

    /// Maps `domain` to `city_id`, replacing an earlier mapping of the domain.
    pub fn set(conn: &mut DbConnection, domain: &str, city_id: i32) -> AppResult<()> {
        diesel::delete(email_domains::table.find(domain)).execute(conn)?;
        diesel::insert_into(email_domains::table)
            .values((
                email_domains::domain.eq(domain),
                email_domains::city_id.eq(city_id),
                email_domains::created_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)?;
        Ok(())
    }

    pub fn remove(conn: &mut DbConnection, domain: &str) -> AppResult<usize> {
        Ok(diesel::delete(email_domains::table.find(domain)).execute(conn)?)
    }
}
