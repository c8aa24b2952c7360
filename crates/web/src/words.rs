//! The templates hold no words of their own: every text a person reads
//! comes from the catalogs (`locales/`), so a page cannot be half in one
//! language. These tests read every template and fail on a word written
//! into it, and on a message key that no catalog has.

use std::path::{Path, PathBuf};

/// Attributes whose value a person reads.
const READ_ATTRIBUTES: [&str; 6] = ["placeholder", "title", "aria-label", "alt", "data-confirm", "label"];

/// Words a template may hold as they are: the product's name.
const ALLOWED: [&str; 2] = ["ninsho", "認証"];

fn templates() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../templates");
    let mut found = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("the templates directory is readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "html") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// `text` without the spans that open with `open` and close with `close`.
fn without(text: &str, open: &str, close: &str) -> String {
    let mut kept = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(open) {
        kept.push_str(&rest[..start]);
        kept.push(' ');
        match rest[start + open.len()..].find(close) {
            Some(end) => rest = &rest[start + open.len() + end + close.len()..],
            None => return kept,
        }
    }
    kept.push_str(rest);
    kept
}

/// Whether `text` holds a word (a letter outside the allowed names and
/// character references).
fn has_word(text: &str) -> bool {
    let mut text = text.to_owned();
    for name in ALLOWED {
        text = text.replace(name, " ");
    }
    let text = without(&text, "&", ";");
    text.chars().any(char::is_alphabetic)
}

/// The words written into one template (outside `{{ }}`, `{% %}`, `{# #}`,
/// in its text and in the attributes people read), with their context.
fn written_words(source: &str) -> Vec<String> {
    let mut html = without(source, "{#", "#}");
    html = without(&html, "{{", "}}");
    html = without(&html, "{%", "%}");
    html = without(&html, "<style", "</style>");
    html = without(&html, "<script", "</script>");
    let mut found = Vec::new();
    let mut rest = html.as_str();
    while let Some(start) = rest.find('<') {
        let text = &rest[..start];
        if has_word(text) {
            found.push(format!("text {:?}", text.trim()));
        }
        let Some(end) = rest[start..].find('>') else { break };
        let tag = &rest[start..start + end];
        for attribute in READ_ATTRIBUTES {
            for quote in ['"', '\''] {
                let opening = format!(" {attribute}={quote}");
                if let Some(at) = tag.find(&opening) {
                    let value = &tag[at + opening.len()..];
                    let value = &value[..value.find(quote).unwrap_or(value.len())];
                    if has_word(value) {
                        found.push(format!("{attribute}={value:?}"));
                    }
                }
            }
        }
        let is_button =
            tag.starts_with("<button") || tag.contains("type=\"submit\"") || tag.contains("type=\"button\"");
        if is_button && let Some(at) = tag.find(" value=\"") {
            let value = &tag[at + 8..];
            let value = &value[..value.find('"').unwrap_or(value.len())];
            if has_word(value) {
                found.push(format!("button value={value:?}"));
            }
        }
        rest = &rest[start + end + 1..];
    }
    if has_word(rest) {
        found.push(format!("text {:?}", rest.trim()));
    }
    found
}

/// The message keys a template names in `t("…")`, `t1("…"`, `tn("…"` and the like.
fn keys_used(source: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for call in [".t(\"", ".t1(\"", ".t2(\"", ".tn(\""] {
        for part in source.split(call).skip(1) {
            if let Some(end) = part.find('"') {
                keys.push(part[..end].to_owned());
            }
        }
    }
    keys
}

#[test]
fn no_template_holds_words_of_its_own() {
    let mut faults = Vec::new();
    let all = templates();
    assert!(all.len() > 40, "the templates are found: {}", all.len());
    for path in all {
        let source = std::fs::read_to_string(&path).expect("a template is readable");
        for word in written_words(&source) {
            faults.push(format!("{}: {word}", path.file_name().unwrap_or_default().to_string_lossy()));
        }
    }
    assert!(faults.is_empty(), "words outside the catalogs:\n{}", faults.join("\n"));
}

#[test]
fn every_key_a_template_names_is_in_the_catalogs() {
    let known: Vec<String> = i18n::catalog(i18n::Language::English).into_iter().map(|(key, _)| key).collect();
    let mut unknown = Vec::new();
    for path in templates() {
        let source = std::fs::read_to_string(&path).expect("a template is readable");
        for key in keys_used(&source) {
            if !known.contains(&key) {
                unknown.push(format!("{}: {key}", path.file_name().unwrap_or_default().to_string_lossy()));
            }
        }
    }
    assert!(unknown.is_empty(), "keys no catalog has:\n{}", unknown.join("\n"));
}

#[test]
fn the_scan_finds_written_words() {
    assert_eq!(written_words("<p>{{ frame.t(\"x\") }}</p>"), Vec::<String>::new());
    assert_eq!(written_words("<p>Hello {{ name }}</p>").len(), 1);
    assert_eq!(written_words("<input placeholder=\"Search\">").len(), 1);
    assert_eq!(written_words("<input placeholder=\"{{ frame.t(\"s\") }}\">").len(), 0);
    assert_eq!(written_words("<button value=\"Go\">{{ x }}</button>").len(), 1);
    assert_eq!(written_words("{# a comment #}<p>&nbsp;→ · ninsho 認証</p>").len(), 0);
    assert_eq!(written_words("<p>配信</p>").len(), 1);
    assert_eq!(keys_used("{{ frame.t(\"a-b\") }} {{ frame.tn(\"c\", n) }}"), vec!["a-b", "c"]);
}
