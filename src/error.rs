//! The one error type of the application and its mapping to HTTP. Every error has a
//! stable `code`; the JSON API answers `{"error": {"code", "message"}}` and HTML pages
//! are rendered from the same error by `web::render::error_pages`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The addressed thing does not exist; `what` says which ("project 12").
    #[error("{what} not found")]
    NotFound { what: String },

    /// The request itself is wrong; `code` is stable, `message` says how to fix it.
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },

    /// The request needs a signed-in user and has none.
    #[error("sign in first")]
    Unauthenticated,

    /// Signed in, but the authorization policy says no; `message` says why.
    /// `without_city` when belonging to a city would have allowed it, so the error page
    /// can offer the membership form.
    #[error("{message}")]
    Forbidden { message: String, without_city: bool },

    /// A form's body is larger than `limit` bytes; it was not read.
    #[error("the form is larger than {limit} bytes")]
    TooLarge { limit: usize },

    /// A form arrived without the CSRF token of the visitor's own page.
    #[error("the form has expired or did not come from this site; reload the page and try again")]
    CsrfRejected,

    /// Throttled (login, mail-sending forms); the client may retry after the given time.
    #[error("too many attempts; try again in {} minutes", retry_after_secs.div_ceil(60))]
    TooManyRequests { retry_after_secs: u64 },

    /// The change collides with the current state (someone else saved first).
    #[error("{message}")]
    Conflict { message: String },

    /// The address exists but does not take this method (a POST to a page).
    #[error("this address does not take this method")]
    MethodNotAllowed,

    /// The database is busy with another write; the client may simply retry.
    #[error("the database is busy; try again in a moment")]
    Busy,

    /// A part of the site is repairing itself (a search index being rebuilt); `message`
    /// says which. The client may retry shortly.
    #[error("{0}")]
    Unavailable(String),

    #[error("database error: {0}")]
    Database(diesel::result::Error),

    #[error("database unavailable: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),

    #[error("template error: {0}")]
    Template(#[from] handlebars::RenderError),

    #[error("{0}")]
    Internal(String),
}

impl AppError {
    pub fn not_found(what: impl Into<String>) -> Self {
        AppError::NotFound { what: what.into() }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        AppError::BadRequest {
            code,
            message: message.into(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        AppError::Forbidden {
            message: message.into(),
            without_city: false,
        }
    }

    /// Refused because the user belongs to no city (yet).
    pub fn forbidden_without_city(message: impl Into<String>) -> Self {
        AppError::Forbidden {
            message: message.into(),
            without_city: true,
        }
    }

    /// The stable code clients (and translated error pages) key on.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound { .. } => "not_found",
            AppError::BadRequest { code, .. } => code,
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden { .. } => "forbidden",
            AppError::CsrfRejected => "csrf",
            AppError::TooLarge { .. } => "too_large",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::Conflict { .. } => "conflict",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::Pool(_) | AppError::Busy | AppError::Unavailable(_) => "unavailable",
            AppError::Database(_) | AppError::Template(_) | AppError::Internal(_) => "internal",
        }
    }

    /// What an error page keys its translated texts and next steps on: the stable code,
    /// made more specific where the page can then offer a better next step.
    pub fn page_key(&self) -> &'static str {
        match self {
            AppError::Forbidden {
                without_city: true, ..
            } => "forbidden_without_city",
            _ => self.code(),
        }
    }

    /// The facts an error page's explanation names (`{minutes}`, `{limit}`).
    pub fn page_facts(&self) -> Vec<(&'static str, String)> {
        match self {
            AppError::TooManyRequests { retry_after_secs } => {
                vec![("minutes", retry_after_secs.div_ceil(60).max(1).to_string())]
            }
            AppError::TooLarge { limit } => {
                vec![("limit", limit.div_ceil(1024 * 1024).to_string())]
            }
            _ => Vec::new(),
        }
    }

    /// What the client may read. Internal details are logged, never sent.
    pub fn public_message(&self) -> String {
        match self {
            AppError::NotFound { .. }
            | AppError::BadRequest { .. }
            | AppError::Unauthenticated
            | AppError::Forbidden { .. }
            | AppError::CsrfRejected
            | AppError::TooLarge { .. }
            | AppError::TooManyRequests { .. }
            | AppError::Conflict { .. }
            | AppError::MethodNotAllowed
            | AppError::Busy
            | AppError::Unavailable(_) => self.to_string(),
            AppError::Pool(_) => "The database is temporarily unavailable.".into(),
            _ => "Something went wrong on our side; it has been logged.".into(),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => AppError::not_found("record"),
            // Two requests raced for the same unique thing (an address, a pending
            // request); the loser is told, not given a 500.
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => AppError::Conflict {
                message: "this was just done by another request; reload and check".into(),
            },
            // SQLite refuses a write that raced another writer; trying again works.
            Error::DatabaseError(_, ref info) if info.message().contains("database is locked") => {
                AppError::Busy
            }
            other => AppError::Database(other),
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: String,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound { .. } => StatusCode::NOT_FOUND,
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden { .. } | AppError::CsrfRejected => StatusCode::FORBIDDEN,
            AppError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Pool(_) | AppError::Busy | AppError::Unavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if self.status_code().is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        if let AppError::TooManyRequests { retry_after_secs } = self {
            response.insert_header((
                actix_web::http::header::RETRY_AFTER,
                retry_after_secs.to_string(),
            ));
        }
        response.json(ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.public_message(),
            },
        })
    }
}
