//! Validation of query parameters shared by pages and the API. Parameters arrive as
//! optional strings and are checked here, so every malformed value gets a 400 that
//! names the parameter and says what is allowed.

use std::str::FromStr;

use super::pagination::Paging;
use crate::error::{AppError, AppResult};

/// The largest page size anyone may ask for.
pub const MAX_PER_PAGE: i64 = 100;
/// Far beyond any real list; guards the offset arithmetic.
const MAX_PAGE: i64 = 1_000_000;

/// An absent or blank parameter counts as not given.
pub fn given(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// A whole number in `min..=max`, or the default when absent.
pub fn whole_number(
    name: &str,
    value: Option<&str>,
    default: i64,
    min: i64,
    max: i64,
) -> AppResult<i64> {
    let Some(raw) = given(value) else {
        return Ok(default);
    };
    let invalid = || {
        AppError::bad_request(
            "invalid_parameter",
            format!("{name} must be a whole number from {min} to {max}, got {raw:?}"),
        )
    };
    let n: i64 = raw.parse().map_err(|_| invalid())?;
    if (min..=max).contains(&n) {
        Ok(n)
    } else {
        Err(invalid())
    }
}

pub fn paging(
    page: Option<&str>,
    per_page: Option<&str>,
    default_per_page: i64,
) -> AppResult<Paging> {
    Ok(Paging {
        page: whole_number("page", page, 1, 1, MAX_PAGE)?,
        per_page: whole_number("per_page", per_page, default_per_page, 1, MAX_PER_PAGE)?,
    })
}

/// A record id in a path: only its canonical spelling ("01" or "+1" would be a second
/// address of one page); anything else is a 404 naming `what`.
pub fn record_id(raw: &str, what: &str) -> AppResult<i32> {
    raw.parse::<i32>()
        .ok()
        .filter(|id| *id > 0 && id.to_string() == raw)
        .ok_or_else(|| AppError::not_found(format!("{what} {raw:?}")))
}

/// An optional value of a closed set (theme, stage), parsed by its `FromStr`, whose error
/// already lists the allowed values.
pub fn optional<T: FromStr<Err = AppError>>(value: Option<&str>) -> AppResult<Option<T>> {
    given(value).map(str::parse).transpose()
}

/// Turns actix's own query/path extraction failures (duplicate or malformed fields) into
/// our 400 shape instead of a plain-text response.
pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    AppError::bad_request("invalid_query", format!("malformed query string: {err}")).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_paging_uses_defaults() {
        assert_eq!(
            paging(None, None, 20).unwrap(),
            Paging {
                page: 1,
                per_page: 20
            }
        );
    }

    #[test]
    fn paging_refuses_text_negative_and_huge_values() {
        for (page, per_page) in [
            (Some("abc"), None),
            (Some("0"), None),
            (None, Some("-5")),
            (None, Some("100000")),
            (Some("99999999999999999999999"), None),
        ] {
            let err = paging(page, per_page, 20).unwrap_err();
            assert_eq!(err.code(), "invalid_parameter", "{page:?} {per_page:?}");
        }
    }
}
