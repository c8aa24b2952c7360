//! The words people read, in their language: Fluent catalogs under
//! `locales/<language>/*.ftl`, compiled into the binary, and the choice of
//! a language from a setting or a browser's `Accept-Language`.
//!
//! Adding a language needs a catalog directory and a variant here; a test
//! checks that every catalog has the same messages.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{Loader, static_loader};

static_loader! {
    static LOCALES = {
        locales: "../../locales",
        fallback_language: "en",
        // Numbers and dates are formatted by us; Fluent's isolation marks
        // (U+2068/U+2069) around arguments would end up in mail headers.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A language ninsho speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    #[default]
    English,
    Japanese,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::English, Language::Japanese];

    /// The BCP 47 tag, as stored and as `lang=` carries it.
    pub fn code(self) -> &'static str {
        match self {
            Self::English => "en",
            Self::Japanese => "ja",
        }
    }

    /// The language's own name, for choosing it.
    pub fn name(self) -> &'static str {
        match self {
            Self::English => "English",
            Self::Japanese => "日本語",
        }
    }

    /// A stored or typed tag (`ja`, `ja-JP`, `en-US` …); None for others.
    pub fn parse(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        Self::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// The language a browser prefers most among ours (by `q` weight,
    /// then order), or None.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut best: Option<(f32, usize, Self)> = None;
        for (position, item) in header.split(',').enumerate() {
            let mut parts = item.split(';');
            let Some(language) = Self::parse(parts.next().unwrap_or_default()) else { continue };
            let weight = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())
                .unwrap_or(0.0);
            if weight <= 0.0 {
                continue;
            }
            let better = match best {
                None => true,
                Some((w, p, _)) => weight > w || (weight == w && position < p),
            };
            if better {
                best = Some((weight, position, language));
            }
        }
        best.map(|(_, _, language)| language)
    }

    fn id(self) -> fluent_templates::LanguageIdentifier {
        match self {
            Self::English => fluent_templates::langid!("en"),
            Self::Japanese => fluent_templates::langid!("ja"),
        }
    }

    /// The message `key`; its key itself when no catalog has it (a test
    /// keeps that from happening).
    pub fn t(self, key: &str) -> String {
        LOCALES.try_lookup(&self.id(), key).unwrap_or_else(|| key.to_owned())
    }

    /// The message `key` with its `{ $name }` arguments filled in.
    pub fn t_with(self, key: &str, args: &[(&str, Arg)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(name, value)| {
                let value = match value {
                    Arg::Text(text) => FluentValue::from(text.as_str()),
                    Arg::Number(n) => FluentValue::from(*n),
                };
                (Cow::Owned((*name).to_owned()), value)
            })
            .collect();
        LOCALES.try_lookup_with_args(&self.id(), key, &args).unwrap_or_else(|| key.to_owned())
    }
}

impl Language {
    /// The message `key` with one argument, e.g. `t1("sent-to", "email", address)`.
    pub fn t1(self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        self.t_with(key, &[(name, Arg::Text(value.to_string()))])
    }

    /// The message `key` with two arguments.
    pub fn t2(
        self,
        key: &str,
        first: &str,
        first_value: impl std::fmt::Display,
        second: &str,
        second_value: impl std::fmt::Display,
    ) -> String {
        self.t_with(key, &[(first, Arg::Text(first_value.to_string())), (second, Arg::Text(second_value.to_string()))])
    }

    /// The message `key` about a number of things: `$count` chooses the
    /// plural form, `$n` is the number as the language writes it (1,234).
    pub fn tn(self, key: &str, count: impl Count) -> String {
        let count = count.count();
        self.t_with(key, &[("count", Arg::Number(count)), ("n", Arg::Text(self.number(count)))])
    }

    /// The message named by a stored value: `tk("state", "draft")` reads
    /// `state-draft`; an unknown value is shown as it is.
    pub fn tk(self, prefix: &str, value: impl std::fmt::Display) -> String {
        let value = value.to_string();
        let slug: String =
            value.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
        let key = format!("{prefix}-{slug}");
        match LOCALES.try_lookup(&self.id(), &key) {
            Some(text) => text,
            None => value,
        }
    }

    /// A whole number with the language's digit grouping (both of ours
    /// group thousands with a comma).
    pub fn number(self, n: i64) -> String {
        let digits = n.unsigned_abs().to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 1);
        if n < 0 {
            grouped.push('-');
        }
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        grouped
    }

    /// A moment as this language's readers write it, in `zone`, with the
    /// zone's abbreviation: `2026-12-02 (Wed) 20:01 JST` or
    /// `2026年12月2日(水) 20:01 JST`.
    pub fn moment<Z: chrono::TimeZone>(self, t: &chrono::DateTime<Z>) -> String
    where
        Z::Offset: std::fmt::Display,
    {
        match self {
            Self::English => t.format("%Y-%m-%d %H:%M %Z").to_string(),
            Self::Japanese => format!("{} {}", self.date(t), t.format("%H:%M %Z")),
        }
    }

    /// A date as this language's readers write it: `2026-12-02` or
    /// `2026年12月2日(水)`.
    pub fn date<Z: chrono::TimeZone>(self, t: &chrono::DateTime<Z>) -> String
    where
        Z::Offset: std::fmt::Display,
    {
        use chrono::Datelike;
        match self {
            Self::English => t.format("%Y-%m-%d").to_string(),
            Self::Japanese => {
                const DAYS: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];
                let day = DAYS[t.weekday().num_days_from_monday() as usize];
                format!("{}年{}月{}日({day})", t.year(), t.month(), t.day())
            }
        }
    }

    /// The time zone a new account or list of this language starts in.
    pub fn default_zone(self) -> &'static str {
        match self {
            Self::English => "UTC",
            Self::Japanese => "Asia/Tokyo",
        }
    }
}

/// Something counted: any integer a page holds.
pub trait Count {
    fn count(&self) -> i64;
}

macro_rules! count_for {
    ($($t:ty),*) => {$(
        impl Count for $t {
            fn count(&self) -> i64 {
                i64::try_from(*self).unwrap_or(i64::MAX)
            }
        }
    )*};
}
count_for!(i16, i32, i64, u16, u32, u64, usize);

impl<T: Count> Count for &T {
    fn count(&self) -> i64 {
        (**self).count()
    }
}

/// A value for a message's argument.
#[derive(Debug, Clone)]
pub enum Arg {
    Text(String),
    Number(i64),
}

impl From<&str> for Arg {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<String> for Arg {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<i64> for Arg {
    fn from(n: i64) -> Self {
        Self::Number(n)
    }
}

/// The messages each catalog directory defines (file by file, in order),
/// each with the names of its `{ $arguments }`, for the completeness test.
pub fn catalog(language: Language) -> Vec<(String, Vec<String>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../locales").join(language.code());
    let mut files: Vec<_> = std::fs::read_dir(dir).into_iter().flatten().flatten().map(|e| e.path()).collect();
    files.sort();
    let mut messages: Vec<(String, Vec<String>)> = Vec::new();
    for file in files.iter().filter(|f| f.extension().is_some_and(|e| e == "ftl")) {
        for line in std::fs::read_to_string(file).unwrap_or_default().lines() {
            let starts_message = line.starts_with(|c: char| c.is_ascii_lowercase());
            if let Some((key, _)) = line.split_once('=').filter(|_| starts_message) {
                messages.push((key.trim_end().to_owned(), Vec::new()));
            }
            if line.starts_with('#') {
                continue;
            }
            if let Some((_, arguments)) = messages.last_mut() {
                for part in line.split("{ $").skip(1) {
                    let name: String = part.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                    if !arguments.contains(&name) {
                        arguments.push(name);
                    }
                }
            }
        }
    }
    messages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalog_has_every_message() {
        let english: Vec<String> = catalog(Language::English).into_iter().map(|(key, _)| key).collect();
        assert!(english.len() > 10, "the English catalog is read: {english:?}");
        for language in Language::ALL {
            let messages = catalog(language);
            let keys: Vec<&String> = messages.iter().map(|(key, _)| key).collect();
            let missing: Vec<_> = english.iter().filter(|k| !keys.contains(k)).collect();
            let extra: Vec<_> = keys.iter().filter(|k| !english.contains(k)).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{}: missing {missing:?}, extra {extra:?}",
                language.code()
            );
            for (key, arguments) in &messages {
                let args: Vec<(&str, Arg)> = arguments.iter().map(|a| (a.as_str(), Arg::from("x"))).collect();
                assert_ne!(&language.t_with(key, &args), key, "{} {key} does not resolve", language.code());
            }
        }
    }

    #[test]
    fn numbers_and_dates_as_each_language_writes_them() {
        use chrono::TimeZone;
        assert_eq!(Language::Japanese.number(1234567), "1,234,567");
        assert_eq!(Language::English.number(-1000), "-1,000");
        assert_eq!(Language::English.number(999), "999");
        let t = chrono::Utc.with_ymd_and_hms(2026, 12, 2, 11, 1, 0).unwrap().with_timezone(&chrono_tz::Asia::Tokyo);
        assert_eq!(Language::Japanese.moment(&t), "2026年12月2日(水) 20:01 JST");
        assert_eq!(Language::English.moment(&t), "2026-12-02 20:01 JST");
    }

    #[test]
    fn the_browser_preference_picks_among_our_languages() {
        assert_eq!(Language::from_accept_language("ja-JP,ja;q=0.9,en-US;q=0.8"), Some(Language::Japanese));
        assert_eq!(Language::from_accept_language("fr-FR, en;q=0.5, ja;q=0.7"), Some(Language::Japanese));
        assert_eq!(Language::from_accept_language("en-GB,en;q=0.9"), Some(Language::English));
        assert_eq!(Language::from_accept_language("fr, de;q=0.8"), None);
        assert_eq!(Language::from_accept_language("ja;q=0, en;q=0.1"), Some(Language::English));
        assert_eq!(Language::from_accept_language(""), None);
        assert_eq!(Language::parse("JA_jp"), Some(Language::Japanese));
    }

    #[test]
    fn arguments_are_filled_in_without_isolation_marks() {
        let args = [("list", Arg::from("週刊ニュース")), ("email", Arg::from("a@example.jp"))];
        let text = Language::Japanese.t_with("public-subscribe-question", &args);
        assert_eq!(text, "a@example.jp への週刊ニュースの配信を停止しますか？");
    }
}
