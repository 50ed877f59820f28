//! Limits against floods and spam, counted in the database so they hold across restarts
//! and instances: lengths for everyone; in an account's first 24 hours at most three
//! new discussions, ten posts and two links per post; and for everyone a pace of at
//! most five posts a minute.

use chrono::{Duration, Utc};

use super::model::{Post, Thread};
use crate::auth::SessionUser;
use crate::db::DbConnection;
use crate::error::AppResult;

pub const MAX_TITLE: usize = 200;
pub const MAX_BODY: usize = 20_000;
pub const MAX_REASON: usize = 1_000;
/// How long an account counts as new.
pub const NEW_ACCOUNT: Duration = Duration::hours(24);
pub const NEW_ACCOUNT_THREADS: i64 = 3;
pub const NEW_ACCOUNT_POSTS: i64 = 10;
pub const NEW_ACCOUNT_LINKS: usize = 2;
pub const POSTS_PER_MINUTE: i64 = 5;

/// Why a post is refused before it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A new account has started its three discussions.
    NewAccountThreads,
    /// A new account has written its ten posts.
    NewAccountPosts,
    /// A new account's post has more than two links.
    NewAccountLinks,
    /// More than five posts in a minute; try again after the given seconds.
    TooFast { retry_after_secs: u64 },
}

impl Refusal {
    /// The catalog key of the message shown above the form.
    pub fn message_key(self) -> &'static str {
        match self {
            Refusal::NewAccountThreads => "forum.limit.new_threads",
            Refusal::NewAccountPosts => "forum.limit.new_posts",
            Refusal::NewAccountLinks => "forum.limit.new_links",
            Refusal::TooFast { .. } => "forum.limit.too_fast",
        }
    }

    /// Seconds after which trying again can succeed.
    pub fn retry_after_secs(self) -> u64 {
        match self {
            Refusal::TooFast { retry_after_secs } => retry_after_secs,
            // The account stops being new a day after it was made at the latest.
            _ => NEW_ACCOUNT.num_seconds() as u64,
        }
    }
}

/// Checks whether `user` may write a post now (`opens_thread` when it opens a
/// discussion) with `links` web links in it.
pub fn check(
    conn: &mut DbConnection,
    user: &SessionUser,
    opens_thread: bool,
    links: usize,
) -> AppResult<Result<(), Refusal>> {
    let now = Utc::now().naive_utc();
    let minute_ago = now - Duration::minutes(1);
    if Post::count_since(conn, user.id, minute_ago)? >= POSTS_PER_MINUTE {
        return Ok(Err(Refusal::TooFast {
            retry_after_secs: 60,
        }));
    }
    if now - user.created_at < NEW_ACCOUNT {
        if links > NEW_ACCOUNT_LINKS {
            return Ok(Err(Refusal::NewAccountLinks));
        }
        let since = user.created_at;
        if opens_thread && Thread::count_started_since(conn, user.id, since)? >= NEW_ACCOUNT_THREADS
        {
            return Ok(Err(Refusal::NewAccountThreads));
        }
        if Post::count_since(conn, user.id, since)? >= NEW_ACCOUNT_POSTS {
            return Ok(Err(Refusal::NewAccountPosts));
        }
    }
    Ok(Ok(()))
}
