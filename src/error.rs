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

    /// The stable code clients (and translated error pages) key on.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound { .. } => "not_found",
            AppError::BadRequest { code, .. } => code,
            AppError::Pool(_) => "unavailable",
            AppError::Database(_) | AppError::Template(_) | AppError::Internal(_) => "internal",
        }
    }

    /// What the client may read. Internal details are logged, never sent.
    pub fn public_message(&self) -> String {
        match self {
            AppError::NotFound { .. } | AppError::BadRequest { .. } => self.to_string(),
            AppError::Pool(_) => "The database is temporarily unavailable.".into(),
            _ => "Something went wrong on our side; it has been logged.".into(),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => AppError::not_found("record"),
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
            AppError::Pool(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if self.status_code().is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        HttpResponse::build(self.status_code()).json(ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.public_message(),
            },
        })
    }
}
