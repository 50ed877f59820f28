//! The one translation mechanism: flat key → text catalogs in `locales/` (Dutch is the
//! default, English on request), used by templates through the `t` helper and by Rust
//! code through `Catalogs::text`. `{name}` placeholders are filled from helper hash args.

use std::collections::HashMap;

use handlebars::{Context, Handlebars, Helper, HelperDef, RenderContext, RenderError, ScopedJson};
use serde::Serialize;
use serde_json::Value;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Nl,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Nl, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Nl => "nl",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    /// A moment as people in the Netherlands read it: the Amsterdam clock (summer time
    /// included), day, month name and time — "3 december 2026, 23:13".
    pub fn date_time(self, at: chrono::DateTime<chrono::Utc>) -> String {
        use chrono::Timelike;
        let local = at.with_timezone(&chrono_tz::Europe::Amsterdam);
        format!(
            "{}, {:02}:{:02}",
            self.day(local.date_naive()),
            local.hour(),
            local.minute()
        )
    }

    /// A day with its month name — "3 december 2026" / "3 December 2026".
    pub fn day(self, date: chrono::NaiveDate) -> String {
        use chrono::Datelike;
        const NL: [&str; 12] = [
            "januari",
            "februari",
            "maart",
            "april",
            "mei",
            "juni",
            "juli",
            "augustus",
            "september",
            "oktober",
            "november",
            "december",
        ];
        const EN: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        let months = match self {
            Lang::Nl => NL,
            Lang::En => EN,
        };
        format!(
            "{} {} {}",
            date.day(),
            months[date.month0() as usize],
            date.year()
        )
    }

    /// Formats a whole number the way the language writes it (163.853 / 163,853).
    pub fn number(self, n: i64) -> String {
        let sep = match self {
            Lang::Nl => '.',
            Lang::En => ',',
        };
        let digits = n.unsigned_abs().to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(sep);
            }
            out.push(c);
        }
        if n < 0 {
            out.insert(0, '-');
        }
        out
    }

    /// Formats a decimal with one fraction digit (341,2 / 341.2).
    pub fn decimal(self, x: f64) -> String {
        let s = format!("{x:.1}");
        let (whole, frac) = s.split_once('.').unwrap_or((&s, "0"));
        let whole = whole
            .parse::<i64>()
            .map(|w| self.number(w))
            .unwrap_or_default();
        match self {
            Lang::Nl => format!("{whole},{frac}"),
            Lang::En => format!("{whole}.{frac}"),
        }
    }
}

/// A name that data (not the catalogs) carries in both languages: a catalogue solution,
/// a thesaurus concept. Pages and the API show the reader's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bilingual {
    pub nl: String,
    pub en: String,
}

impl Bilingual {
    /// A name that is the same in both languages (a programme's proper name).
    pub fn same(name: &str) -> Self {
        Bilingual {
            nl: name.to_owned(),
            en: name.to_owned(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Nl => &self.nl,
            Lang::En => &self.en,
        }
    }
}

const NL: &str = include_str!("../../locales/nl.json");
const EN: &str = include_str!("../../locales/en.json");

pub struct Catalogs {
    nl: HashMap<String, String>,
    en: HashMap<String, String>,
}

impl Catalogs {
    pub fn load() -> Result<Self, String> {
        let parse = |name: &str, json: &str| {
            serde_json::from_str::<HashMap<String, String>>(json)
                .map_err(|e| format!("locales/{name}.json: {e}"))
        };
        Ok(Catalogs {
            nl: parse("nl", NL)?,
            en: parse("en", EN)?,
        })
    }

    fn catalog(&self, lang: Lang) -> &HashMap<String, String> {
        match lang {
            Lang::Nl => &self.nl,
            Lang::En => &self.en,
        }
    }

    /// The text for `key`, or the key itself so a missing translation is visible
    /// (a test keeps both catalogs complete).
    pub fn text<'a>(&'a self, lang: Lang, key: &'a str) -> &'a str {
        self.catalog(lang)
            .get(key)
            .map(String::as_str)
            .unwrap_or(key)
    }

    /// The text for `key` with its `{name}` placeholders filled, for text made in Rust
    /// (such as matchmaking reasons, which the API returns too).
    pub fn format(&self, lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
        fill(
            self.text(lang, key),
            args.iter().map(|&(name, value)| (name, value.to_owned())),
        )
    }

    pub fn keys(&self, lang: Lang) -> impl Iterator<Item = &String> {
        self.catalog(lang).keys()
    }
}

/// Replaces each `{name}` in `template` with its value.
fn fill<'a>(template: &str, args: impl IntoIterator<Item = (&'a str, String)>) -> String {
    let mut out = template.to_owned();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), &value);
    }
    out
}

fn root_lang(ctx: &Context) -> Lang {
    ctx.data()
        .get("lang")
        .and_then(Value::as_str)
        .and_then(Lang::parse)
        .unwrap_or_default()
}

/// `{{t "key" name=value}}`: the translation of `key` in the page's language.
/// `{{t "stage" stage}}` joins its parameters with dots, so enum values pick their label
/// ("stage.pilot") without a key per call site.
pub struct TranslateHelper(pub std::sync::Arc<Catalogs>);

impl HelperDef for TranslateHelper {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let parts: Vec<&str> = h
            .params()
            .iter()
            .filter_map(|p| p.value().as_str())
            .collect();
        if parts.is_empty() {
            return Err(handlebars::RenderErrorReason::ParamNotFoundForIndex("t", 0).into());
        }
        let key = parts.join(".");
        let lang = root_lang(ctx);
        let args: serde_json::Map<String, Value> = h
            .hash()
            .iter()
            .map(|(k, v)| (k.to_string(), v.value().clone()))
            .collect();
        // A `.one` variant, where the catalog has one, serves n = 1.
        let singular = format!("{key}.one");
        let key = match args.get("n").and_then(Value::as_i64) {
            Some(1) if self.0.text(lang, &singular) != singular => singular,
            _ => key,
        };
        let values = args.iter().map(|(name, value)| {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (name.as_str(), text)
        });
        let text = fill(self.0.text(lang, &key), values);
        Ok(ScopedJson::Derived(Value::String(text)))
    }
}

/// `{{date t}}`: an RFC 3339 time (as the views carry it) for people to read, in the
/// page's language and the Amsterdam clock; a plain day (`2026-12-03`) as a day;
/// anything else is shown as it is.
pub struct DateHelper;

impl HelperDef for DateHelper {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let lang = root_lang(ctx);
        let raw = h.param(0).and_then(|p| p.value().as_str()).unwrap_or("");
        let text = match chrono::DateTime::parse_from_rfc3339(raw) {
            Ok(at) => lang.date_time(at.with_timezone(&chrono::Utc)),
            Err(_) => chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map(|day| lang.day(day))
                .unwrap_or_else(|_| raw.to_owned()),
        };
        Ok(ScopedJson::Derived(Value::String(text)))
    }
}

/// `{{num n}}`: a number formatted for the page's language.
pub struct NumberHelper;

impl HelperDef for NumberHelper {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let lang = root_lang(ctx);
        let text = match h.param(0).map(|p| p.value()) {
            Some(Value::Number(n)) if n.is_i64() => lang.number(n.as_i64().unwrap_or_default()),
            Some(Value::Number(n)) => lang.decimal(n.as_f64().unwrap_or_default()),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        Ok(ScopedJson::Derived(Value::String(text)))
    }
}

#[cfg(test)]
mod tests {
    use super::Lang;

    #[test]
    fn numbers_use_the_languages_separators() {
        assert_eq!(Lang::Nl.number(163853), "163.853");
        assert_eq!(Lang::En.number(163853), "163,853");
        assert_eq!(Lang::Nl.number(429), "429");
        assert_eq!(Lang::Nl.decimal(341.15), "341,1");
        assert_eq!(Lang::En.decimal(1234.56), "1,234.6");
    }

    #[test]
    fn times_are_read_on_the_amsterdam_clock_across_summer_time() {
        use chrono::TimeZone;
        let winter = chrono::Utc
            .with_ymd_and_hms(2026, 12, 3, 23, 13, 0)
            .unwrap();
        assert_eq!(Lang::Nl.date_time(winter), "4 december 2026, 00:13");
        let summer = chrono::Utc.with_ymd_and_hms(2026, 7, 1, 10, 0, 0).unwrap();
        assert_eq!(Lang::En.date_time(summer), "1 July 2026, 12:00");
    }
}
