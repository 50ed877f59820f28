//! View models of HTML forms, rendered by `templates/partials/form.hbs`: every form of
//! the site is built here, so each gets the CSRF field, labels tied to inputs, hints and
//! errors announced through `aria-describedby`, and `autocomplete` purposes (WCAG 1.3.5).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::render::PageRequest;
use super::AppState;
use crate::error::{AppError, AppResult};

/// A plain page of a few paragraphs, perhaps a form, and links onward
/// (`templates/screen.hbs`): most account steps and every simple form page.
#[derive(Serialize, Default)]
pub struct Screen {
    pub lead: Vec<String>,
    pub form: Option<FormView>,
    pub links: Vec<Link>,
}

#[derive(Serialize, Clone, Debug)]
pub struct Link {
    pub href: String,
    pub text: String,
}

impl Screen {
    pub fn text(mut self, paragraph: impl Into<String>) -> Self {
        self.lead.push(paragraph.into());
        self
    }

    pub fn form(mut self, form: FormView) -> Self {
        self.form = Some(form);
        self
    }

    pub fn link(mut self, href: impl Into<String>, text: impl Into<String>) -> Self {
        self.links.push(Link {
            href: href.into(),
            text: text.into(),
        });
        self
    }

    pub fn render(
        self,
        state: &AppState,
        page: &PageRequest,
        status: StatusCode,
        title: &str,
    ) -> AppResult<HttpResponse> {
        state
            .renderer
            .page_with_status(page, status, "screen", title, &self)
    }
}

#[derive(Serialize, Debug, Clone)]
pub struct FormView {
    pub action: String,
    pub submit: String,
    pub csrf: String,
    pub fields: Vec<Field>,
    pub hidden: Vec<Hidden>,
    /// A message about the whole form (wrong password, expired link), shown first.
    pub error: Option<String>,
    /// Whether any field is required, so the form explains the asterisk.
    pub has_required: bool,
    /// Sent as `multipart/form-data` (it has a file field).
    pub multipart: bool,
}

#[derive(Serialize, Debug, Clone)]
pub struct Hidden {
    pub name: String,
    pub value: String,
}

#[derive(Serialize, Debug, Clone)]
pub struct Field {
    pub name: &'static str,
    /// The element id: `f-<name>`, suffixed where a page repeats the form.
    pub id: String,
    pub label: String,
    /// text, email, password, url, textarea, select
    pub kind: &'static str,
    pub value: String,
    pub hint: Option<String>,
    pub error: Option<String>,
    pub autocomplete: Option<&'static str>,
    pub required: bool,
    pub options: Vec<Choice>,
    /// Ids of the hint and error paragraphs, for `aria-describedby`.
    pub described_by: Option<String>,
}

#[derive(Serialize, Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
    /// The label's language when it is not the page's (a Dutch project title).
    pub lang: Option<&'static str>,
}

impl FormView {
    pub fn new(action: impl Into<String>, submit: impl Into<String>, csrf: &str) -> Self {
        FormView {
            action: action.into(),
            submit: submit.into(),
            csrf: csrf.to_owned(),
            fields: Vec::new(),
            hidden: Vec::new(),
            error: None,
            has_required: false,
            multipart: false,
        }
    }

    /// A form with a file field: sent as `multipart/form-data`.
    pub fn multipart(mut self) -> Self {
        self.multipart = true;
        self
    }

    pub fn field(mut self, field: Field) -> Self {
        self.has_required |= field.required;
        self.fields.push(field.finish());
        self
    }

    /// Adds a group of fields several forms share.
    pub fn with(self, add: impl FnOnce(FormView) -> FormView) -> Self {
        add(self)
    }

    pub fn hidden(mut self, name: &str, value: impl Into<String>) -> Self {
        self.hidden.push(Hidden {
            name: name.to_owned(),
            value: value.into(),
        });
        self
    }

    pub fn error(mut self, message: Option<String>) -> Self {
        self.error = message;
        self
    }

    /// Puts `message` under the field called `name`.
    pub fn field_error(&mut self, name: &str, message: String) {
        if let Some(field) = self.fields.iter_mut().find(|f| f.name == name) {
            field.error = Some(message);
            *field = field.clone().finish();
        }
    }

    pub fn has_errors(&self) -> bool {
        self.error.is_some() || self.fields.iter().any(|f| f.error.is_some())
    }
}

impl Field {
    pub fn new(kind: &'static str, name: &'static str, label: impl Into<String>) -> Self {
        Field {
            name,
            id: format!("f-{name}"),
            label: label.into(),
            kind,
            value: String::new(),
            hint: None,
            error: None,
            autocomplete: None,
            required: false,
            options: Vec::new(),
            described_by: None,
        }
    }

    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.value = value.into();
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn autocomplete(mut self, purpose: &'static str) -> Self {
        self.autocomplete = Some(purpose);
        self
    }

    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// A select list; the option whose value equals the field's value is selected.
    pub fn options(mut self, options: impl IntoIterator<Item = (String, String)>) -> Self {
        self.options = options
            .into_iter()
            .map(|(value, label)| Choice {
                selected: value == self.value,
                value,
                label,
                lang: None,
            })
            .collect();
        self
    }

    /// Marks the labels of the options that have a value as written in `lang` (the
    /// empty "choose" option stays in the page's language).
    pub fn options_in(mut self, lang: &'static str) -> Self {
        for choice in self.options.iter_mut().filter(|c| !c.value.is_empty()) {
            choice.lang = Some(lang);
        }
        self
    }

    /// Makes the ids unique when one page shows the form several times (one per row).
    pub fn id_suffix(&mut self, suffix: impl std::fmt::Display) {
        self.id = format!("f-{}-{suffix}", self.name);
        *self = self.clone().finish();
    }

    fn finish(mut self) -> Self {
        let ids: Vec<String> = [
            self.hint.as_ref().map(|_| format!("{}-hint", self.id)),
            self.error.as_ref().map(|_| format!("{}-error", self.id)),
        ]
        .into_iter()
        .flatten()
        .collect();
        self.described_by = (!ids.is_empty()).then(|| ids.join(" "));
        self
    }
}

/// A form shown again with its errors (400).
pub fn show_again(
    state: &AppState,
    page: &PageRequest,
    title: &str,
    form: FormView,
) -> AppResult<HttpResponse> {
    Screen::default()
        .form(form)
        .render(state, page, StatusCode::BAD_REQUEST, title)
}

/// 429 when `check` says the key has used up its window.
pub fn throttled(check: Result<(), u64>) -> AppResult<()> {
    check.map_err(|retry_after_secs| AppError::TooManyRequests { retry_after_secs })
}

/// A form with nothing but its CSRF token (sign out, end a session).
#[derive(Deserialize)]
pub struct EmptyForm {}

/// The page's texts: `t("key")` in the page's language.
pub fn texts<'a>(
    state: &'a web::Data<AppState>,
    page: &PageRequest,
) -> impl Fn(&str) -> String + 'a {
    let lang = page.lang;
    move |key| state.renderer.text(lang, key).to_owned()
}

/// A 303 to `location`, the answer to every successful form.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location))
        .finish()
}
