//! Administration (`/beheer`): users and their roles, e-mail domains of cities, the
//! audit log, and the cities with membership requests waiting. Every route asks the
//! policy; every change is written to the audit log in its own transaction.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::model::{EmailDomain, User};
use super::{audit, see_other, texts};
use crate::auth::csrf::Form;
use crate::auth::policy::authorize;
use crate::auth::{Action, CityRole, SiteRole};
use crate::cities::model::City;
use crate::db::schema::{cities, membership_requests};
use crate::error::{AppError, AppResult};
use crate::web::forms::{Field, FormView};
use crate::web::render::PageRequest;
use crate::web::AppState;

/// Users shown per search.
const USER_LIMIT: i64 = 100;
const AUDIT_LIMIT: i64 = 200;

#[derive(Serialize)]
struct Dashboard {
    waiting: Vec<Waiting>,
    pdftotext: bool,
    /// Attachments per text-extraction state, labelled.
    attachments: Vec<(String, i64)>,
}

#[derive(Serialize)]
struct Waiting {
    slug: String,
    name: String,
    count: i64,
}

pub async fn show_dashboard(
    state: web::Data<AppState>,
    page: PageRequest,
) -> AppResult<HttpResponse> {
    authorize(&page.visitor, Action::ReadAuditLog)?;
    let waiting: Vec<(String, String, i64)> = state
        .db
        .run(|conn| {
            Ok(membership_requests::table
                .inner_join(cities::table)
                .filter(membership_requests::status.eq("pending"))
                .group_by((cities::slug, cities::name))
                .select((cities::slug, cities::name, diesel::dsl::count_star()))
                .load(conn)?)
        })
        .await?;
    let extraction = crate::pools::extraction::Status::load(&state.db, &state.config).await?;
    let t = texts(&state, &page);
    let view = Dashboard {
        pdftotext: extraction.pdftotext,
        attachments: extraction
            .states
            .into_iter()
            .map(|(state, count)| (t(&format!("admin.extraction.{state}")), count))
            .collect(),
        waiting: waiting
            .into_iter()
            .map(|(slug, name, count)| Waiting { slug, name, count })
            .collect(),
    };
    let title = state.renderer.text(page.lang, "admin.title").to_owned();
    state.renderer.page(&page, "accounts/admin", &title, &view)
}

// ---- users and roles ----------------------------------------------------------

#[derive(Serialize)]
struct UsersView {
    query: String,
    users: Vec<UserRow>,
}

#[derive(Serialize)]
struct UserRow {
    id: i32,
    name: String,
    email: String,
    verified: bool,
    /// `None` for the admin's own row: nobody changes their own roles.
    form: Option<FormView>,
}

#[derive(Deserialize)]
pub struct UsersQuery {
    q: Option<String>,
}

pub async fn show_users(
    state: web::Data<AppState>,
    page: PageRequest,
    query: web::Query<UsersQuery>,
) -> AppResult<HttpResponse> {
    let admin = authorize(&page.visitor, Action::ManageDomains)?.clone();
    let t = texts(&state, &page);
    let q = query.into_inner().q.unwrap_or_default().trim().to_owned();
    let search = q.clone();
    let (users, cities) = state
        .db
        .run(move |conn| Ok((User::search(conn, &search, USER_LIMIT)?, City::all(conn)?)))
        .await?;
    let city_options: Vec<(String, String)> = std::iter::once((String::new(), t("admin.no_city")))
        .chain(cities.iter().map(|c| (c.id.to_string(), c.name.clone())))
        .collect();
    let rows = users
        .into_iter()
        .map(|u| {
            let form =
                (u.id != admin.id).then(|| {
                    FormView::new(
                        format!("/beheer/gebruikers/{}", u.id),
                        t("admin.save_roles"),
                        &page.visitor.csrf,
                    )
                    .field(
                        Field::new("select", "city", t("membership.city"))
                            .value(u.city_id.map(|c| c.to_string()).unwrap_or_default())
                            .options(city_options.clone()),
                    )
                    .field(
                        Field::new("select", "city_role", t("admin.city_role"))
                            .value(u.city_role.clone().unwrap_or_else(|| "member".into()))
                            .options([CityRole::Member, CityRole::Editor].map(|r| {
                                (r.slug().to_owned(), t(&format!("role.city.{}", r.slug())))
                            })),
                    )
                    .field(
                        Field::new("select", "site_role", t("admin.site_role"))
                            .value(&u.site_role)
                            .options(SiteRole::ALL.map(|r| {
                                (r.slug().to_owned(), t(&format!("role.site.{}", r.slug())))
                            })),
                    )
                });
            UserRow {
                id: u.id,
                name: u.name,
                email: u.email,
                verified: u.email_verified,
                form: form.map(|f| {
                    // Field ids must be unique on the page.
                    let mut f = f;
                    for field in &mut f.fields {
                        field.id_suffix(u.id);
                    }
                    f
                }),
            }
        })
        .collect();
    let title = t("admin.users_title");
    state.renderer.page(
        &page,
        "accounts/users",
        &title,
        &UsersView {
            query: q,
            users: rows,
        },
    )
}

#[derive(Deserialize)]
pub struct RolesForm {
    #[serde(default)]
    city: String,
    #[serde(default)]
    city_role: String,
    #[serde(default)]
    site_role: String,
}

pub async fn update_roles(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<i32>,
    Form(form): Form<RolesForm>,
) -> AppResult<HttpResponse> {
    let user_id = id.into_inner();
    let admin_id = authorize(&page.visitor, Action::ManageUser { user_id })?.id;
    let city_id: Option<i32> = match form.city.trim() {
        "" => None,
        raw => Some(raw.parse().map_err(|_| {
            AppError::bad_request(
                "invalid_city",
                format!("city must be a city id, got {raw:?}"),
            )
        })?),
    };
    let city_role = CityRole::parse(&form.city_role).ok_or_else(|| {
        AppError::bad_request("invalid_role", "city_role must be member or editor")
    })?;
    let site_role = SiteRole::parse(&form.site_role).ok_or_else(|| {
        AppError::bad_request("invalid_role", "site_role must be none, moderator or admin")
    })?;
    state
        .db
        .run(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let user = User::find(conn, user_id)?;
                let city = city_id.map(|id| City::find(conn, id)).transpose()?;
                let new_city = city.as_ref().map(|c| (c.id, city_role));
                let old_city = user.city_id.zip(user.city_role());
                if new_city != old_city {
                    User::set_city(conn, user_id, new_city)?;
                    let details = match &city {
                        Some(c) => format!("{} ({})", c.name, city_role.slug()),
                        None => "no city".into(),
                    };
                    audit::record(conn, Some(admin_id), Some(user_id), "role.city", &details)?;
                }
                if site_role != user.site_role() {
                    if site_role != SiteRole::Admin {
                        User::keep_an_administrator(conn, user_id)?;
                    }
                    User::set_site_role(conn, user_id, site_role)?;
                    audit::record(
                        conn,
                        Some(admin_id),
                        Some(user_id),
                        "role.site",
                        &format!("{} → {}", user.site_role, site_role.slug()),
                    )?;
                }
                Ok(())
            })
        })
        .await?;
    Ok(see_other("/beheer/gebruikers"))
}

// ---- e-mail domains -----------------------------------------------------------

#[derive(Serialize)]
struct DomainsView {
    domains: Vec<DomainRow>,
    form: FormView,
    csrf: String,
}

#[derive(Serialize)]
struct DomainRow {
    domain: String,
    city: String,
}

#[derive(Deserialize, Default)]
pub struct DomainForm {
    #[serde(default)]
    domain: String,
    #[serde(default)]
    city: String,
}

/// A lower-case host name with at least one dot, such as `apeldoorn.nl`.
fn valid_domain(domain: &str) -> bool {
    domain.len() <= 253
        && domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

async fn domains_page(
    state: &web::Data<AppState>,
    page: &PageRequest,
    form: &DomainForm,
    error: Option<String>,
) -> AppResult<HttpResponse> {
    let t = texts(state, page);
    let (domains, cities) = state
        .db
        .run(|conn| Ok((EmailDomain::all(conn)?, City::all(conn)?)))
        .await?;
    let names: HashMap<i32, String> = cities.iter().map(|c| (c.id, c.name.clone())).collect();
    let mut view = FormView::new(
        "/beheer/domeinen",
        t("admin.domain_add"),
        &page.visitor.csrf,
    )
    .field(
        Field::new("text", "domain", t("admin.domain"))
            .value(&form.domain)
            .hint(t("admin.domain_hint"))
            .required(),
    )
    .field(
        Field::new("select", "city", t("membership.city"))
            .value(&form.city)
            .options(cities.iter().map(|c| (c.slug.clone(), c.name.clone())))
            .required(),
    );
    let status = match error {
        Some(message) => {
            view.field_error("domain", message);
            actix_web::http::StatusCode::BAD_REQUEST
        }
        None => actix_web::http::StatusCode::OK,
    };
    let body = DomainsView {
        domains: domains
            .into_iter()
            .map(|d| DomainRow {
                city: names.get(&d.city_id).cloned().unwrap_or_default(),
                domain: d.domain,
            })
            .collect(),
        form: view,
        csrf: page.visitor.csrf.clone(),
    };
    state.renderer.page_with_status(
        page,
        status,
        "accounts/domains",
        &t("admin.domains_title"),
        &body,
    )
}

pub async fn show_domains(
    state: web::Data<AppState>,
    page: PageRequest,
) -> AppResult<HttpResponse> {
    authorize(&page.visitor, Action::ManageDomains)?;
    domains_page(&state, &page, &DomainForm::default(), None).await
}

pub async fn add_domain(
    state: web::Data<AppState>,
    page: PageRequest,
    Form(form): Form<DomainForm>,
) -> AppResult<HttpResponse> {
    let admin_id = authorize(&page.visitor, Action::ManageDomains)?.id;
    let domain = form.domain.trim().trim_start_matches('@').to_lowercase();
    if !valid_domain(&domain) {
        let message = state
            .renderer
            .text(page.lang, "admin.domain_invalid")
            .to_owned();
        return domains_page(&state, &page, &form, Some(message)).await;
    }
    let slug = form.city.clone();
    state
        .db
        .run(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let city = City::find_by_slug(conn, &slug)?;
                // Mapping a domain again to the same city changes nothing to record.
                if EmailDomain::city_of(conn, &domain)? == Some(city.id) {
                    return Ok(());
                }
                EmailDomain::set(conn, &domain, city.id)?;
                audit::record(
                    conn,
                    Some(admin_id),
                    None,
                    "domain.mapped",
                    &format!("{domain} → {}", city.name),
                )
            })
        })
        .await?;
    Ok(see_other("/beheer/domeinen"))
}

#[derive(Deserialize)]
pub struct RemoveDomainForm {
    domain: String,
}

pub async fn remove_domain(
    state: web::Data<AppState>,
    page: PageRequest,
    Form(form): Form<RemoveDomainForm>,
) -> AppResult<HttpResponse> {
    let admin_id = authorize(&page.visitor, Action::ManageDomains)?.id;
    state
        .db
        .run(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                if EmailDomain::remove(conn, &form.domain)? == 0 {
                    return Err(AppError::not_found(format!("domain {:?}", form.domain)));
                }
                audit::record(conn, Some(admin_id), None, "domain.removed", &form.domain)
            })
        })
        .await?;
    Ok(see_other("/beheer/domeinen"))
}

// ---- audit log ----------------------------------------------------------------

#[derive(Serialize)]
struct AuditRow {
    created_at: String,
    actor: String,
    subject: String,
    action: String,
    details: String,
}

pub async fn show_audit_log(
    state: web::Data<AppState>,
    page: PageRequest,
) -> AppResult<HttpResponse> {
    authorize(&page.visitor, Action::ReadAuditLog)?;
    let t = texts(&state, &page);
    let (entries, names) = state
        .db
        .run(|conn| {
            let entries = audit::recent(conn, AUDIT_LIMIT)?;
            let ids: Vec<i32> = entries
                .iter()
                .flat_map(|e| [e.actor_id, e.subject_user_id])
                .flatten()
                .collect();
            use crate::db::schema::users;
            let names: HashMap<i32, String> = users::table
                .filter(users::id.eq_any(ids))
                .select((users::id, users::name))
                .load::<(i32, String)>(conn)?
                .into_iter()
                .collect();
            Ok((entries, names))
        })
        .await?;
    let name = |id: Option<i32>| match id {
        None => String::new(),
        Some(id) => names.get(&id).cloned().unwrap_or_else(|| {
            state.renderer.catalogs().format(
                page.lang,
                "admin.deleted_user",
                &[("id", &id.to_string())],
            )
        }),
    };
    let rows: Vec<AuditRow> = entries
        .into_iter()
        .map(|e| AuditRow {
            created_at: e.created_at.format("%Y-%m-%d %H:%M").to_string(),
            actor: name(e.actor_id),
            subject: name(e.subject_user_id),
            action: t(&format!("audit.{}", e.action)),
            details: e.details,
        })
        .collect();
    state
        .renderer
        .page(&page, "accounts/audit", &t("admin.audit_title"), &rows)
}

// ---- mail ---------------------------------------------------------------------

/// Outbox messages listed at once.
const OUTBOX_LIMIT: usize = 50;

#[derive(Serialize)]
struct MailView {
    queued: Vec<QueuedRow>,
    outbox: Vec<OutboxRow>,
    smtp: bool,
}

#[derive(Serialize)]
struct QueuedRow {
    recipient: String,
    subject: String,
    attempts: i32,
    next_attempt_at: String,
    last_error: String,
    gave_up: bool,
}

#[derive(Serialize)]
struct OutboxRow {
    file: String,
    to: String,
    subject: String,
    date: String,
    body: String,
}

impl From<crate::mail::OutboxMessage> for OutboxRow {
    fn from(m: crate::mail::OutboxMessage) -> Self {
        OutboxRow {
            file: m.file,
            to: m.to,
            subject: m.subject,
            date: m.date,
            body: crate::auth::token::redact_links(&m.body),
        }
    }
}

/// Mail waiting or given up on, and the outbox (when there is no SMTP server): nothing is
/// dropped without an administrator being able to see it. Tokens in links are hidden.
pub async fn show_mail(state: web::Data<AppState>, page: PageRequest) -> AppResult<HttpResponse> {
    authorize(&page.visitor, Action::ReadAuditLog)?;
    let queued = state.db.run(crate::mail::queued).await?;
    let dir = state.config.outbox_dir();
    let outbox = web::block(move || crate::mail::outbox(&dir, OUTBOX_LIMIT))
        .await
        .map_err(|_| AppError::Internal("outbox reader stopped".into()))?;
    let view = MailView {
        queued: queued
            .into_iter()
            .map(|q| QueuedRow {
                gave_up: q.gave_up(),
                recipient: q.recipient,
                subject: q.subject,
                attempts: q.attempts,
                next_attempt_at: q.next_attempt_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                last_error: q.last_error.unwrap_or_default(),
            })
            .collect(),
        outbox: outbox.into_iter().map(OutboxRow::from).collect(),
        smtp: state
            .config
            .smtp_url
            .as_deref()
            .is_some_and(|u| !u.is_empty()),
    };
    let title = state
        .renderer
        .text(page.lang, "admin.mail_title")
        .to_owned();
    state.renderer.page(&page, "accounts/mail", &title, &view)
}
