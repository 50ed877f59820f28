//! `/meldingen`: a person's notifications, newest first, unread ones marked; opening one
//! marks it read and goes to the post; "alles gelezen" clears the count.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::model::{self, NotificationKind};
use crate::auth::csrf::Form;
use crate::auth::policy::authorize;
use crate::auth::Action;
use crate::error::AppResult;
use crate::forum::model::Thread;
use crate::forum::view::{rfc3339, thread_url, Authors};
use crate::web::forms::{see_other, EmptyForm};
use crate::web::pagination::Pagination;
use crate::web::params;
use crate::web::render::PageRequest;
use crate::web::AppState;

const PER_PAGE: i64 = 30;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    page: Option<String>,
}

#[derive(Serialize)]
struct NotificationView {
    kind: NotificationKind,
    actor: String,
    thread_title: String,
    url: String,
    created_at: String,
    unread: bool,
}

#[derive(Serialize)]
struct NotificationsPage {
    notifications: Vec<NotificationView>,
    unread: usize,
    pagination: Pagination,
}

pub async fn show_notifications(
    state: web::Data<AppState>,
    page: PageRequest,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let user_id = authorize(&page.visitor, Action::ManageOwnAccount)?.id;
    let paging = params::paging(query.page.as_deref(), None, PER_PAGE)?;
    let deleted = state
        .renderer
        .text(page.lang, "forum.deleted_account")
        .to_owned();
    let (total, notifications) = state
        .db
        .run(move |conn| {
            let (total, rows) = model::of_user(conn, user_id, paging.per_page, paging.offset())?;
            let authors = Authors::load(conn, rows.iter().filter_map(|n| n.actor_id))?;
            let mut views = Vec::with_capacity(rows.len());
            for n in rows {
                let thread_title = Thread::find(conn, n.thread_id)
                    .map(|t| t.title)
                    .unwrap_or_default();
                views.push(NotificationView {
                    kind: n.kind,
                    actor: authors.view(n.actor_id, &deleted).name,
                    thread_title,
                    url: format!("/meldingen/{}", n.id),
                    created_at: rfc3339(n.created_at),
                    unread: n.read_at.is_none(),
                });
            }
            Ok((total, views))
        })
        .await?;
    let view = NotificationsPage {
        unread: notifications.iter().filter(|n| n.unread).count(),
        pagination: Pagination::new("/meldingen", &[], paging, total)?,
        notifications,
    };
    let title = state
        .renderer
        .text(page.lang, "notifications.title")
        .to_owned();
    state
        .renderer
        .page(&page, "notifications/list", &title, &view)
}

/// Marks the notification read and goes to its post.
pub async fn open_notification(
    state: web::Data<AppState>,
    page: PageRequest,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let user_id = authorize(&page.visitor, Action::ManageOwnAccount)?.id;
    let id = params::record_id(&id, "notification")?;
    let found = state
        .db
        .run(move |conn| model::open(conn, user_id, id))
        .await?;
    Ok(see_other(&format!(
        "{}#bericht-{}",
        thread_url(found.thread_id),
        found.post_id
    )))
}

pub async fn mark_all_read(
    state: web::Data<AppState>,
    page: PageRequest,
    Form(_): Form<EmptyForm>,
) -> AppResult<HttpResponse> {
    let user_id = authorize(&page.visitor, Action::ManageOwnAccount)?.id;
    state
        .db
        .run(move |conn| model::mark_read(conn, user_id, None))
        .await?;
    Ok(see_other("/meldingen"))
}
