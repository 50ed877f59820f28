//! Page-number navigation for long lists, keeping the list's other query parameters.

use serde::Serialize;

use crate::error::{AppError, AppResult};

/// A validated page request: `page` counts from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paging {
    pub page: i64,
    pub per_page: i64,
}

impl Paging {
    pub fn offset(self) -> i64 {
        (self.page - 1) * self.per_page
    }
}

#[derive(Serialize, Debug)]
pub struct Pagination {
    pub page: i64,
    pub pages: i64,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
}

impl Pagination {
    /// `base` is the list's path, `params` the query parameters other than `page`. A page
    /// past the last does not exist: "page 999 of 18" would show nothing while claiming
    /// results.
    pub fn new(base: &str, params: &[(&str, &str)], paging: Paging, total: i64) -> AppResult<Self> {
        let pages = ((total + paging.per_page - 1) / paging.per_page).max(1);
        if paging.page > pages {
            return Err(AppError::not_found(format!(
                "page {} (the list has {pages})",
                paging.page
            )));
        }
        let url = |page: i64| {
            let page = page.to_string();
            let mut pairs: Vec<(&str, &str)> = params
                .iter()
                .copied()
                .filter(|(_, v)| !v.is_empty())
                .collect();
            if page != "1" {
                pairs.push(("page", &page));
            }
            match serde_urlencoded::to_string(&pairs) {
                Ok(q) if !q.is_empty() => format!("{base}?{q}"),
                _ => base.to_owned(),
            }
        };
        Ok(Pagination {
            page: paging.page,
            pages,
            prev_url: (paging.page > 1).then(|| url(paging.page - 1)),
            next_url: (paging.page < pages).then(|| url(paging.page + 1)),
        })
    }
}
