//! Turning what the marketer wrote (subject, preheader, body in Markdown or
//! HTML, a layout, an optional hand-written text version) into templates that
//! are ready to render per subscriber.
//!
//! Everything costly happens here, once per campaign: Markdown, CSS inlining,
//! the text alternative, finding the links to track. Rendering a subscriber's
//! copy is then only template evaluation. Template tags are swapped for inert
//! placeholders while the HTML tools run, so that neither a Markdown parser
//! nor an HTML parser can move or escape them.

use std::ops::Range;
use std::sync::OnceLock;

use i18n::Language;

use crate::links;
use crate::template::{self, TemplateError};

/// The built-in layout's source: its words are `[[key]]` marks filled in
/// from the catalog of the campaign's language (`default_layout`).
const DEFAULT_LAYOUT_SOURCE: &str = include_str!("default_layout.html");

/// The layout every new installation starts with, in `language`:
/// table-based, CSS in a `<style>` block that is inlined at compile time,
/// a media query for phones that stays in the head, and the footer's words
/// in that language.
pub fn default_layout(language: Language) -> &'static str {
    static LAYOUTS: [OnceLock<String>; Language::ALL.len()] = [const { OnceLock::new() }; Language::ALL.len()];
    let index = Language::ALL.iter().position(|l| *l == language).unwrap_or(0);
    LAYOUTS[index].get_or_init(|| {
        let escape = |text: String| text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        // The list's name is a template expression: put in after escaping.
        let reason = escape(language.t_with("layout-reason", &[("list", "\u{1}".into())]));
        let mut layout = DEFAULT_LAYOUT_SOURCE
            .replace("[[lang]]", language.code())
            .replace("[[layout-reason]]", &reason.replace('\u{1}', "{{ list.name }}"));
        for key in ["layout-view", "layout-preferences", "layout-unsubscribe"] {
            layout = layout.replace(&format!("[[{key}]]"), &escape(language.t(key)));
        }
        layout.replace("[[identity]]", &identity_block(language, ["<p>", "<br>", "</p>"], &escape))
    })
}

/// The sender's identity block as a template, its three lines set in
/// `[open, between, close]`: nothing when the sender has no name.
fn identity_block(language: Language, [open, newline, close]: [&str; 3], escape: &dyn Fn(String) -> String) -> String {
    // The values are template expressions: put in after escaping the words.
    let line = |key: &str, expression: &str| {
        escape(language.t_with(key, &[("value", "\u{1}".into())])).replace('\u{1}', expression)
    };
    format!(
        "{{% if sender.name %}}{open}{}{newline}{}{newline}{}{close}{{% endif %}}",
        line("layout-sender", "{{ sender.name }}"),
        line("layout-address", "{{ sender.postal_address }}"),
        line("layout-contact", "{{ sender.contact }}"),
    )
}

/// The footer of a generated text part, in `language`.
fn text_footer(language: Language) -> String {
    let identity = identity_block(language, ["\n\n", "\n", ""], &|text| text);
    format!(
        "\n-- \n{}: {{{{ view_in_browser_url }}}}\n{}: {{{{ profile_url }}}}\n{}: {{{{ unsubscribe_url }}}}{}\n",
        language.t("layout-view"),
        language.t("layout-preferences"),
        language.t("layout-unsubscribe"),
        identity,
    )
}

/// The largest body or layout a campaign may have. Gmail clips messages over
/// 102 KB, so anything near this limit is a mistake.
pub const MAX_SOURCE: usize = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    Markdown,
    Html,
}

impl BodyFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Markdown => "markdown",
            Self::Html => "html",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "markdown" => Some(Self::Markdown),
            "html" => Some(Self::Html),
            _ => None,
        }
    }
}

/// What the marketer wrote.
#[derive(Debug, Clone, Copy)]
pub struct Draft<'a> {
    pub subject: &'a str,
    /// Other subject lines for an A/B test (variants 1, 2, …).
    pub alt_subjects: &'a [String],
    pub preheader: &'a str,
    pub format: BodyFormat,
    pub body: &'a str,
    /// A layout with one `{{ content }}` where the body goes.
    pub layout: &'a str,
    /// A hand-edited text alternative; empty: generated from the HTML.
    pub text: &'a str,
    pub track_clicks: bool,
    pub track_opens: bool,
    /// The language of the generated text part's footer.
    pub language: Language,
    /// Whether a generated text part ends with the list's footer (links to
    /// the copy online, preferences and unsubscribing; the sender's
    /// identity): yes for mail to a list, no for transactional mail.
    pub text_footer: bool,
    /// How the message is encoded (UTF-8, or ISO-2022-JP for readers who
    /// need it).
    pub charset: crate::jis::Charset,
}

/// Templates ready to render, and the links they track (by index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compiled {
    pub subject: String,
    pub alt_subjects: Vec<String>,
    pub preheader: String,
    pub html: String,
    pub text: String,
    pub links: Vec<String>,
    pub charset: crate::jis::Charset,
}

/// Checks every part and compiles the campaign; all faults are reported at
/// once, each with its part, line and column.
pub fn compile(draft: &Draft<'_>) -> Result<Compiled, Vec<TemplateError>> {
    let mut errors = Vec::new();
    for (part, source) in [("body", draft.body), ("layout", draft.layout), ("text", draft.text)] {
        if source.len() > MAX_SOURCE {
            errors.push(TemplateError::new(
                part,
                format!(
                    "is {:.1} MB; the limit is {} MB",
                    source.len() as f64 / (1024.0 * 1024.0),
                    MAX_SOURCE / (1024 * 1024)
                ),
            ));
        }
    }
    if draft.subject.trim().is_empty() {
        errors.push(TemplateError::new("subject", "is empty"));
    }
    let alt_parts: Vec<String> = (0..draft.alt_subjects.len()).map(|i| format!("subject {}", i + 2)).collect();
    let lines = [("subject", draft.subject), ("preheader", draft.preheader)]
        .into_iter()
        .chain(alt_parts.iter().map(String::as_str).zip(draft.alt_subjects.iter().map(String::as_str)));
    for (part, line) in lines {
        if let Err(e) = domain::text::check_line(line) {
            errors.push(TemplateError::new(part, format!("must be a single line without control characters: it {e}")));
        }
    }
    if draft.alt_subjects.iter().any(|s| s.trim().is_empty()) {
        errors.push(TemplateError::new("subject", "an A/B subject line is empty"));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let parts = [
        ("subject", draft.subject),
        ("preheader", draft.preheader),
        ("body", draft.body),
        ("layout", draft.layout),
        ("text", draft.text),
    ];
    errors.extend(parts.iter().filter_map(|(part, source)| template::check(part, source).err()));
    for (i, alt) in draft.alt_subjects.iter().enumerate() {
        errors.extend(template::check(&format!("subject {}", i + 2), alt).err());
    }
    let content = content_tag(draft.layout);
    if content.is_none() && errors.iter().all(|e| e.part != "layout") {
        errors.push(TemplateError::new("layout", "has no {{ content }} where the body goes"));
    }
    let Some(content) = content.filter(|_| errors.is_empty()) else {
        return Err(errors);
    };

    let body = match draft.format {
        BodyFormat::Markdown => markdown_to_html(draft.body),
        BodyFormat::Html => draft.body.to_owned(),
    };
    let page = format!("{}{body}{}", &draft.layout[..content.start], &draft.layout[content.end..]);
    // The bytes of link marks have no business in mail: they are dropped
    // from every text that leaves here, after the HTML tools (which turn
    // `&#1;` into a byte), so that no text can pass for a mark.
    let inlined = links::strip_marks(&inline_css(&page).map_err(|e| vec![e])?).into_owned();
    let (mut html, links) = if draft.track_clicks { track_links(&inlined) } else { (inlined.clone(), Vec::new()) };
    if draft.track_opens {
        insert_open_pixel(&mut html);
    }
    let mut text = if draft.text.trim().is_empty() {
        let footer = if draft.text_footer { text_footer(draft.language) } else { String::new() };
        links::strip_marks(&html_to_text(&body)).into_owned() + &footer
    } else {
        links::strip_marks(draft.text).into_owned()
    };
    if draft.track_clicks {
        text = track_text_links(&text, &links);
    }
    Ok(Compiled {
        subject: links::strip_marks(draft.subject).into_owned(),
        alt_subjects: draft.alt_subjects.iter().map(|s| links::strip_marks(s).into_owned()).collect(),
        preheader: links::strip_marks(draft.preheader).into_owned(),
        html,
        text,
        links,
        charset: draft.charset,
    })
}

/// Byte ranges of the template tags (`{{ }}`, `{% %}`, `{# #}`) in `source`.
fn tags(source: &str) -> Vec<Range<usize>> {
    let bytes = source.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i + 1 < bytes.len() {
        let close = match (bytes[i], bytes[i + 1]) {
            (b'{', b'{') => "}}",
            (b'{', b'%') => "%}",
            (b'{', b'#') => "#}",
            _ => {
                i += 1;
                continue;
            }
        };
        let Some(end) = source[i + 2..].find(close) else { break };
        let end = i + 2 + end + 2;
        found.push(i..end);
        i = end;
    }
    found
}

/// Where the layout's `{{ content }}` is.
fn content_tag(layout: &str) -> Option<Range<usize>> {
    tags(layout).into_iter().find(|r| {
        let tag = &layout[r.clone()];
        tag.starts_with("{{") && tag[2..tag.len() - 2].trim().trim_matches('-').trim() == "content"
    })
}

/// How template tags are hidden while an HTML tool runs.
#[derive(Clone, Copy)]
enum Placeholder {
    /// An HTML comment: kept in place by HTML parsers, even between table rows.
    Comment,
    /// A plain word: survives Markdown and HTML-to-text conversion.
    Word,
}

impl Placeholder {
    fn make(self, i: usize) -> String {
        match self {
            Self::Comment => format!("<!--ninsho-tag-{i}-->"),
            Self::Word => format!("ninshotag{i}q"),
        }
    }
}

struct Protected {
    text: String,
    tags: Vec<String>,
    style: Placeholder,
}

fn protect(source: &str, style: Placeholder) -> Protected {
    let mut text = String::with_capacity(source.len());
    let mut tags_found = Vec::new();
    let mut last = 0;
    for range in tags(source) {
        text.push_str(&source[last..range.start]);
        text.push_str(&style.make(tags_found.len()));
        tags_found.push(source[range.clone()].to_owned());
        last = range.end;
    }
    text.push_str(&source[last..]);
    Protected { text, tags: tags_found, style }
}

impl Protected {
    /// Puts the tags back into what the tool produced. A comment placeholder
    /// inside `<title>` comes back escaped, so that form is accepted too.
    fn restore(&self, mut output: String) -> String {
        for (i, tag) in self.tags.iter().enumerate().rev() {
            let placeholder = self.style.make(i);
            output = output.replace(&placeholder, tag);
            if matches!(self.style, Placeholder::Comment) {
                output = output.replace(&placeholder.replace('<', "&lt;").replace('>', "&gt;"), tag);
            }
        }
        output
    }
}

fn markdown_to_html(source: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let protected = protect(source, Placeholder::Word);
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut out = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut out, Parser::new_ext(&protected.text, options));
    protected.restore(out)
}

/// Inlines the `<style>` rules into `style` attributes (what Gmail and
/// Outlook need) and keeps at-rules such as media queries in the head. No
/// stylesheet is ever fetched: link tags are dropped.
fn inline_css(page: &str) -> Result<String, TemplateError> {
    let protected = protect(page, Placeholder::Comment);
    let options = css_inline::InlineOptions {
        keep_at_rules: true,
        keep_link_tags: false,
        load_remote_stylesheets: false,
        ..Default::default()
    };
    let inlined = css_inline::CSSInliner::new(options)
        .inline(&protected.text)
        .map_err(|e| TemplateError::new("layout", format!("the CSS cannot be inlined: {e}")))?;
    Ok(protected.restore(inlined))
}

fn html_to_text(html: &str) -> String {
    // A heading reads as a paragraph of its own: no Markdown `#` marks
    // in the text a reader sees.
    let html = headings_as_paragraphs(html);
    let protected = protect(&html, Placeholder::Word);
    let text = html2text::from_read(protected.text.as_bytes(), 78).unwrap_or_default();
    protected.restore(text).trim().to_owned() + "\n"
}

/// `html` with each `<h1>`…`<h6>` element (any case) made a `<p>`.
fn headings_as_paragraphs(html: &str) -> String {
    let bytes = html.as_bytes();
    let mut out = String::with_capacity(html.len());
    let mut last = 0;
    let mut at = 0;
    while let Some(found) = html[at..].find('<') {
        let start = at + found;
        at = start + 1;
        let closing = bytes.get(at) == Some(&b'/');
        let name = at + usize::from(closing);
        let is_heading = matches!(bytes.get(name), Some(b'h' | b'H'))
            && matches!(bytes.get(name + 1), Some(b'1'..=b'6'))
            && matches!(bytes.get(name + 2), Some(b'>' | b' ' | b'\t' | b'\n' | b'\r' | b'/'));
        if is_heading {
            out.push_str(&html[last..name]);
            out.push('p');
            last = name + 2;
        }
    }
    out.push_str(&html[last..]);
    out
}

/// Rewrites every `<a href="http(s)://…">` whose URL is fixed (no template
/// tag in it) to the mark of tracked link `i` ([`links::mark`]); the same URL shares one
/// index. Returns the new HTML and the URLs by index.
fn track_links(html: &str) -> (String, Vec<String>) {
    let mut out = String::with_capacity(html.len() + 1024);
    let mut links: Vec<String> = Vec::new();
    let lower = html.to_ascii_lowercase();
    let mut last = 0;
    let mut search = 0;
    while let Some(found) = lower[search..].find("<a") {
        let start = search + found;
        search = start + 2;
        if !lower[search..].starts_with(|c: char| c.is_ascii_whitespace()) {
            continue;
        }
        let Some(value) = href_value(&lower, start) else { continue };
        let url = unescape_attribute(&html[value.clone()]);
        if !(url.starts_with("http://") || url.starts_with("https://")) || url.contains("{{") || url.contains("{%") {
            continue;
        }
        let index = links.iter().position(|l| *l == url).unwrap_or_else(|| {
            links.push(url.clone());
            links.len() - 1
        });
        out.push_str(&html[last..value.start]);
        out.push_str(&links::mark(index));
        last = value.end;
        search = value.end;
    }
    out.push_str(&html[last..]);
    (out, links)
}

/// The byte range of the quoted `href` value in the tag opening at `start`.
fn href_value(lower: &str, start: usize) -> Option<Range<usize>> {
    let bytes = lower.as_bytes();
    let mut i = start + 2;
    while i < bytes.len() && bytes[i] != b'>' {
        if bytes[i] == b'"' || bytes[i] == b'\'' {
            let quote = bytes[i];
            i += 1 + lower[i + 1..].find(quote as char)?;
        } else if lower[i..].starts_with("href") && bytes[i - 1].is_ascii_whitespace() {
            let rest = lower[i + 4..].trim_start();
            let rest = rest.strip_prefix('=')?.trim_start();
            let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
            let value_start = lower.len() - rest.len() + 1;
            let value_end = value_start + lower[value_start..].find(quote)?;
            return Some(value_start..value_end);
        }
        i += 1;
    }
    None
}

fn unescape_attribute(value: &str) -> String {
    value.replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

fn insert_open_pixel(html: &mut String) {
    let pixel = "<img src=\"{{ _open }}\" width=\"1\" height=\"1\" alt=\"\" \
                 style=\"display:block;width:1px;height:1px;border:0\">";
    match html.to_ascii_lowercase().rfind("</body>") {
        Some(at) => html.insert_str(at, pixel),
        None => html.push_str(pixel),
    }
}

/// In the text version, the tracked URLs (longest first, so that one URL
/// inside another is not cut) become their tracked links.
fn track_text_links(text: &str, links: &[String]) -> String {
    let mut order: Vec<usize> = (0..links.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(links[i].len()));
    let mut text = text.to_owned();
    for i in order {
        text = text.replace(&links[i], &links::mark(i));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_become_paragraphs_without_markdown_marks_in_the_text() {
        assert_eq!(
            headings_as_paragraphs("<H2 class=\"x\">News</H2><h1>Hi</h1><hr><header>k</header><h7>no</h7>"),
            "<p class=\"x\">News</p><p>Hi</p><hr><header>k</header><h7>no</h7>"
        );
        let text = html_to_text("<h1>Winter sale</h1><p>Boots for <strong>you</strong>.</p><h2>Hours</h2><p>9-17</p>");
        assert!(!text.contains('#'), "{text}");
        assert!(text.starts_with("Winter sale\n\nBoots for"), "{text}");
        assert!(text.contains("\nHours\n"), "{text}");
    }

    fn draft<'a>(format: BodyFormat, body: &'a str) -> Draft<'a> {
        Draft {
            subject: "Hello {{ subscriber.name }}",
            alt_subjects: &[],
            preheader: "",
            format,
            body,
            layout: default_layout(Language::English),
            text: "",
            track_clicks: true,
            track_opens: true,
            language: i18n::Language::English,
            charset: Default::default(),
            text_footer: true,
        }
    }

    #[test]
    fn markdown_keeps_template_tags_and_links_are_tracked_once() {
        let body = "# Hi {{ subscriber.name | default(\"friend\") }}\n\n\
                    Read [this](https://example.com/a?x=1&y=2) and [that](https://example.com/a?x=1&y=2).\n\n\
                    [yours]({{ profile_url }})\n";
        let c = compile(&draft(BodyFormat::Markdown, body)).expect("compiles");
        assert!(c.html.contains("{{ subscriber.name | default(\"friend\") }}"), "{}", c.html);
        assert_eq!(c.links, vec!["https://example.com/a?x=1&y=2".to_owned()]);
        assert_eq!(c.html.matches(&links::mark(0)).count(), 2);
        assert!(c.html.contains("href=\"{{ profile_url }}\""));
        assert!(c.html.contains("{{ _open }}"));
        assert!(c.text.contains(&links::mark(0)), "{}", c.text);
        assert!(!c.text.contains("example.com"), "{}", c.text);
    }

    #[test]
    fn only_compose_makes_link_marks() {
        let body = "<p>\u{1}0\u{2} &#1;0&#2; <a href=\"https://x.example/\">x</a></p>";
        let c = compile(&draft(BodyFormat::Html, body)).expect("compiles");
        for part in [&c.html, &c.text] {
            assert_eq!(part.matches('\u{1}').count(), 1, "only the real link: {part:?}");
            assert!(part.contains(&links::mark(0)));
        }
        // The bytes of a mark are control characters: a subject refuses them.
        let mut d = draft(BodyFormat::Html, body);
        d.subject = "Hi \u{1}0\u{2}";
        let errors = compile(&d).expect_err("refused");
        assert_eq!(errors[0].part, "subject", "{errors:?}");
    }

    #[test]
    fn css_is_inlined_and_media_queries_stay() {
        let c = compile(&draft(BodyFormat::Html, "<p>Hi</p>")).expect("compiles");
        assert!(c.html.contains("style=\"padding: 32px 40px"), "{}", c.html);
        assert!(c.html.contains("@media only screen and (max-width: 620px)"));
        assert!(c.html.contains("<title>{{ subject }}</title>"), "{}", c.html);
    }

    #[test]
    fn loops_between_table_rows_stay_in_place() {
        let layout = "<html><body><table>{% for i in [1, 2] %}<tr><td>{{ i }}</td></tr>{% endfor %}</table>\
                      {{ content }}</body></html>";
        let c = compile(&Draft { layout, ..draft(BodyFormat::Html, "<p>x</p>") }).expect("compiles");
        let table = c.html.find("<table>").expect("table");
        assert!(c.html[table..].starts_with("<table>{% for i in [1, 2] %}<tbody><tr>"), "{}", c.html);
    }

    #[test]
    fn faults_are_all_reported_with_their_part() {
        let bad = Draft {
            subject: "{{ oops",
            layout: "<p>no content here</p>",
            ..draft(BodyFormat::Html, "<p>{% if x %}</p>")
        };
        let errors = compile(&bad).expect_err("must fail");
        let parts: Vec<_> = errors.iter().map(|e| e.part.as_str()).collect();
        assert_eq!(parts, ["subject", "body", "layout"], "{errors:?}");
        // A line break is named in the part it is in.
        let alt_subjects = ["fine".to_owned(), "two\nlines".to_owned()];
        let bad = Draft { preheader: "one\rtwo", alt_subjects: &alt_subjects, ..draft(BodyFormat::Html, "<p>x</p>") };
        let errors = compile(&bad).expect_err("must fail");
        let parts: Vec<_> = errors.iter().map(|e| e.part.as_str()).collect();
        assert_eq!(parts, ["preheader", "subject 3"], "{errors:?}");
        assert!(errors[0].message.contains("a carriage return (U+000D) at character 4"), "{errors:?}");
        let big = "x".repeat(5 * 1024 * 1024);
        let errors = compile(&draft(BodyFormat::Html, &big)).expect_err("must fail");
        assert_eq!(errors[0].to_string(), "body, line 1, column 1: is 5.0 MB; the limit is 1 MB");
    }
}
