//! The deliverability score of one real message, out of 10, the way a
//! receiver and a spam filter would judge it: authentication verified as a
//! receiver verifies it, the source address's reverse DNS, blocklists, the
//! content and the format. Every deduction comes with its reason and a fix;
//! a check that cannot run is "could not check" and costs nothing.
//!
//! The points each fault costs are the constants below (in tenths), listed
//! in README.md under "Deliverability score".

use std::collections::BTreeSet;
use std::net::IpAddr;

use mail_auth::dmarc::verify::DmarcParameters;
use mail_auth::spf::verify::SpfParameters;
use mail_auth::{AuthenticatedMessage, DkimResult, DmarcResult, Parameters, SpfResult};
use mail_parser::{HeaderName, MessageParser, MimeHeaders, PartType};

use i18n::Language;

use crate::dns::{Dns, LookupError};
use crate::doctor::Status;
use crate::say;

/// What each fault costs, in tenths of a point.
pub mod cost {
    pub const DKIM_NONE: u32 = 30;
    pub const DKIM_UNALIGNED: u32 = 15;
    pub const SPF_NOT_PASS: u32 = 20;
    pub const DMARC_MISSING: u32 = 10;
    pub const DMARC_FAIL: u32 = 20;
    pub const PTR_NONE: u32 = 15;
    pub const PTR_NOT_CONFIRMED: u32 = 10;
    pub const PTR_GENERIC: u32 = 5;
    pub const IP_LISTED: u32 = 20;
    pub const DOMAIN_LISTED: u32 = 20;
    pub const NO_TEXT_PART: u32 = 10;
    pub const TEXT_MISMATCH: u32 = 5;
    pub const IMAGE_ONLY: u32 = 10;
    pub const CAPS_SUBJECT: u32 = 5;
    pub const SHORTENER: u32 = 10;
    pub const NO_LIST_UNSUBSCRIBE: u32 = 10;
    pub const NO_ONE_CLICK: u32 = 5;
    pub const NO_SENDER_IDENTITY: u32 = 10;
    pub const NO_MESSAGE_ID: u32 = 5;
    pub const NO_DATE: u32 = 5;
    pub const FROM_NOT_ONE: u32 = 10;
    pub const MIME_INVALID: u32 = 10;
    pub const LONG_LINE: u32 = 5;
}

/// URL shorteners: their links hide the destination, so filters distrust them.
const SHORTENERS: &[&str] = &[
    "bit.ly",
    "bitly.com",
    "tinyurl.com",
    "t.co",
    "goo.gl",
    "ow.ly",
    "is.gd",
    "buff.ly",
    "rebrand.ly",
    "cutt.ly",
    "shorturl.at",
    "tiny.cc",
    "rb.gy",
    "t.ly",
    "s.id",
    "v.gd",
    "bl.ink",
    "lnkd.in",
];

/// Fewer visible words than this next to an image is an image-only message.
const IMAGE_ONLY_WORDS: usize = 25;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Area {
    Authentication,
    #[serde(rename = "reverse-dns")]
    ReverseDns,
    Blocklists,
    Content,
    Format,
}

impl Area {
    pub fn label(self) -> &'static str {
        match self {
            Self::Authentication => "Authentication",
            Self::ReverseDns => "Reverse DNS",
            Self::Blocklists => "Blocklists",
            Self::Content => "Content",
            Self::Format => "Format",
        }
    }
}

/// One line of the score: a check, what it found, and what it cost.
#[derive(Debug, Clone)]
pub struct Finding {
    pub area: Area,
    pub what: String,
    pub status: Status,
    /// Tenths of a point deducted (0 unless the check failed).
    pub deducted: u32,
    pub reason: String,
    /// How to fix it (empty when nothing is wrong).
    pub fix: String,
}

impl Finding {
    fn pass(area: Area, what: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { area, what: what.into(), status: Status::Pass, deducted: 0, reason: reason.into(), fix: String::new() }
    }

    fn fail(area: Area, what: impl Into<String>, cost: u32, reason: impl Into<String>, fix: impl Into<String>) -> Self {
        Self { area, what: what.into(), status: Status::Fail, deducted: cost, reason: reason.into(), fix: fix.into() }
    }

    fn unknown(lang: Language, area: Area, what: impl Into<String>, reason: impl std::fmt::Display) -> Self {
        Self {
            area,
            what: what.into(),
            status: Status::Unknown,
            deducted: 0,
            reason: lang.t1("score-finding-unknown", "reason", reason),
            fix: String::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Score {
    pub findings: Vec<Finding>,
}

impl Score {
    /// Out of 100 tenths, never below 0.
    pub fn tenths(&self) -> u32 {
        100u32.saturating_sub(self.findings.iter().map(|f| f.deducted).sum())
    }

    /// "9.5"
    pub fn display(&self) -> String {
        let t = self.tenths();
        format!("{}.{}", t / 10, t % 10)
    }

    /// The checks that could not run: the score says nothing about them.
    pub fn unchecked(&self) -> usize {
        self.findings.iter().filter(|f| f.status == Status::Unknown).count()
    }

    /// The findings that cost points.
    pub fn deductions(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.deducted > 0)
    }
}

/// A DNS blocklist: the name it is shown by, and the zone queried (which
/// holds the Spamhaus DQS key when one is set, so it is never shown).
#[derive(Clone)]
pub struct Blocklist {
    pub name: String,
    zone: String,
}

impl std::fmt::Debug for Blocklist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

/// The blocklists checked: zones listing addresses, and zones listing domains.
#[derive(Debug, Clone, Default)]
pub struct Blocklists {
    pub ip: Vec<Blocklist>,
    pub domain: Vec<Blocklist>,
}

impl Blocklists {
    /// With a Spamhaus DQS key, the public Spamhaus zones (which refuse
    /// queries from public resolvers) are asked through DQS instead.
    pub fn new(ip: &[String], domain: &[String], spamhaus_dqs_key: Option<&str>) -> Self {
        let list = |zones: &[String]| {
            zones
                .iter()
                .map(|zone| {
                    let zone = zone.trim().trim_end_matches('.').to_ascii_lowercase();
                    let dqs = zone.strip_suffix(".spamhaus.org").zip(spamhaus_dqs_key);
                    match dqs {
                        Some((list, key)) => {
                            Blocklist { name: format!("{zone} (DQS)"), zone: format!("{key}.{list}.dq.spamhaus.net") }
                        }
                        None => Blocklist { name: zone.clone(), zone },
                    }
                })
                .collect()
        };
        Self { ip: list(ip), domain: list(domain) }
    }
}

/// The message to score and how it would leave.
pub struct Input<'a> {
    /// The message as it would be sent: rendered for a real subscriber and signed.
    pub message: &'a [u8],
    pub envelope_from: &'a str,
    /// The address it would leave from; None when none is configured.
    pub source: Option<IpAddr>,
    /// The URLs the message links to behind its tracking redirects.
    pub targets: &'a [String],
    /// The parts of the From domain's sender identity block still missing
    /// (`name`, `postal_address`, `contact`).
    pub identity_missing: &'a [&'a str],
    /// The language the findings are said in.
    pub lang: Language,
}

/// Scores a message.
pub async fn score(dns: &Dns, lists: &Blocklists, input: &Input<'_>) -> Score {
    let lang = input.lang;
    let mut findings = format(input.message, lang);
    let parsed = MessageParser::default().parse(input.message);
    let from_domain = parsed
        .as_ref()
        .and_then(|m| m.from())
        .and_then(|f| f.first())
        .and_then(|a| a.address())
        .map(|a| domain::domain_of(a).to_ascii_lowercase())
        .filter(|d| !d.is_empty());
    if let Some(parsed) = &parsed {
        findings.extend(content(parsed, input.targets, lang));
    }
    findings.push(sender_identity(from_domain.as_deref().unwrap_or_default(), input.identity_missing, lang));
    let ptr = match input.source {
        Some(ip) => Some(dns.ptr(ip).await),
        None => None,
    };
    let helo = ptr.as_ref().and_then(|p| p.as_ref().ok()).and_then(Clone::clone);
    findings.extend(authentication(dns, input, from_domain.as_deref(), helo.as_deref()).await);
    findings.extend(reverse_dns(dns, input.source, ptr, lang).await);
    let mut domains = BTreeSet::new();
    domains.extend(from_domain);
    domains.extend(Some(domain::domain_of(input.envelope_from).to_ascii_lowercase()).filter(|d| !d.is_empty()));
    if let Some(parsed) = &parsed {
        let html: String = (0..parsed.html_body_count()).filter_map(|i| parsed.body_html(i)).collect();
        domains.extend(links(&html).iter().chain(input.targets).filter_map(|u| host(u)));
    }
    findings.extend(blocklists(dns, lists, input.source, &domains, lang).await);
    Score { findings }
}

// ---------------------------------------------------------------- format

/// Message-ID, Date, one From, MIME structure, line length: pure checks of
/// the bytes, said in `lang`.
pub fn format(message: &[u8], lang: Language) -> Vec<Finding> {
    use cost::*;
    let area = Area::Format;
    let mut findings = Vec::new();
    let Some(parsed) = MessageParser::default().parse(message) else {
        findings.push(Finding::fail(
            area,
            "MIME",
            MIME_INVALID,
            lang.t("score-finding-unparsable"),
            lang.t("score-finding-unparsable-fix"),
        ));
        return findings;
    };
    findings.push(match parsed.message_id() {
        Some(_) => Finding::pass(area, "Message-ID", lang.t("score-finding-present")),
        None => Finding::fail(
            area,
            "Message-ID",
            NO_MESSAGE_ID,
            lang.t("score-finding-no-message-id"),
            lang.t("score-finding-no-message-id-fix"),
        ),
    });
    findings.push(match parsed.date() {
        Some(_) => Finding::pass(area, "Date", lang.t("score-finding-present")),
        None => {
            Finding::fail(area, "Date", NO_DATE, lang.t("score-finding-no-date"), lang.t("score-finding-no-date-fix"))
        }
    });
    let from_headers = parsed.headers().iter().filter(|h| h.name == HeaderName::From).count();
    let from_addresses = parsed.from().map_or(0, |f| f.iter().count());
    findings.push(if from_headers == 1 && from_addresses == 1 {
        Finding::pass(area, "From", lang.t("score-finding-one-from"))
    } else {
        Finding::fail(
            area,
            "From",
            FROM_NOT_ONE,
            lang.t2("score-finding-from-count", "headers", from_headers, "addresses", from_addresses),
            lang.t("score-finding-from-count-fix"),
        )
    });
    findings.push(match mime_fault(message, &parsed, lang) {
        None => Finding::pass(area, "MIME", lang.t("score-finding-mime-ok")),
        Some(fault) => Finding::fail(area, "MIME", MIME_INVALID, fault, lang.t("score-finding-mime-fix")),
    });
    let longest = message.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l).len()).max().unwrap_or(0);
    let line_length = lang.t("score-finding-line-length");
    findings.push(if longest <= 998 {
        Finding::pass(area, line_length, lang.t1("score-finding-line-ok", "octets", longest))
    } else {
        Finding::fail(
            area,
            line_length,
            LONG_LINE,
            lang.t1("score-finding-line-long", "octets", longest),
            lang.t("score-finding-line-long-fix"),
        )
    });
    findings
}

/// What is wrong with the MIME structure, if anything.
fn mime_fault(raw: &[u8], parsed: &mail_parser::Message<'_>, lang: Language) -> Option<String> {
    let content_type = parsed.content_type()?;
    if parsed.header(HeaderName::MimeVersion).is_none() {
        return Some(lang.t("score-finding-mime-no-version"));
    }
    if !content_type.ctype().eq_ignore_ascii_case("multipart") {
        return None;
    }
    let Some(boundary) = content_type.attribute("boundary") else {
        return Some(lang.t("score-finding-mime-no-boundary"));
    };
    let closing = format!("--{boundary}--");
    if !raw.windows(closing.len()).any(|w| w == closing.as_bytes()) {
        return Some(lang.t1("score-finding-mime-unclosed", "boundary", format!("{boundary:?}")));
    }
    None
}

// ---------------------------------------------------------------- content

/// Text part, HTML/text agreement, image-only, subject case, shorteners,
/// List-Unsubscribe and one-click: checks of the parsed message, said in
/// `lang`.
pub fn content(parsed: &mail_parser::Message<'_>, targets: &[String], lang: Language) -> Vec<Finding> {
    use cost::*;
    let area = Area::Content;
    let mut findings = Vec::new();
    let text: String = parsed
        .parts
        .iter()
        .filter_map(|p| match &p.body {
            PartType::Text(t) => Some(t.as_ref()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let html: String = parsed
        .parts
        .iter()
        .filter_map(|p| match &p.body {
            PartType::Html(h) => Some(h.as_ref()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let has_text = parsed.parts.iter().any(|p| matches!(p.body, PartType::Text(_)));
    let has_html = !html.is_empty();
    let visible = mail_parser::decoders::html::html_to_text(&html);

    let text_part = lang.t("score-finding-text-part");
    findings.push(if has_text || !has_html {
        Finding::pass(area, text_part, lang.t("score-finding-text-part-ok"))
    } else {
        Finding::fail(
            area,
            text_part,
            NO_TEXT_PART,
            lang.t("score-finding-html-only"),
            lang.t("score-finding-html-only-fix"),
        )
    });
    if has_text && has_html {
        let covered = coverage(&visible, &text);
        let percent = format!("{:.0}", covered * 100.0);
        let what = lang.t("score-finding-text-matches");
        findings.push(if covered >= 0.5 {
            Finding::pass(area, what, lang.t1("score-finding-text-matches-ok", "percent", percent))
        } else {
            Finding::fail(
                area,
                what,
                TEXT_MISMATCH,
                lang.t1("score-finding-text-mismatch", "percent", percent),
                lang.t("score-finding-text-mismatch-fix"),
            )
        });
    }
    if has_html {
        let words = tokens(&visible).len();
        let images = images(&html);
        let what = lang.t("score-finding-images");
        findings.push(if images > 0 && words < IMAGE_ONLY_WORDS {
            Finding::fail(
                area,
                what,
                IMAGE_ONLY,
                lang.t2("score-finding-image-only", "images", images, "words", words),
                lang.t("score-finding-image-only-fix"),
            )
        } else {
            Finding::pass(area, what, lang.t2("score-finding-images-ok", "words", words, "images", images))
        });
    }
    let subject = parsed.subject().unwrap_or_default();
    let cased: Vec<char> = subject.chars().filter(|c| c.is_uppercase() || c.is_lowercase()).collect();
    let upper = cased.iter().filter(|c| c.is_uppercase()).count();
    let what = lang.t("score-finding-subject");
    findings.push(if cased.len() >= 10 && upper * 10 >= cased.len() * 8 {
        Finding::fail(
            area,
            what,
            CAPS_SUBJECT,
            lang.t1("score-finding-caps", "subject", format!("{subject:?}")),
            lang.t("score-finding-caps-fix"),
        )
    } else {
        Finding::pass(area, what, lang.t("score-finding-not-shouted"))
    });
    let mut urls = links(&html);
    urls.extend(targets.iter().cloned());
    let short: BTreeSet<String> =
        urls.iter().filter_map(|u| host(u)).filter(|h| SHORTENERS.contains(&h.as_str())).collect();
    let what = lang.t("score-finding-links");
    findings.push(if short.is_empty() {
        Finding::pass(area, what, lang.t1("score-finding-links-ok", "n", urls.len()))
    } else {
        let hosts = short.into_iter().collect::<Vec<_>>().join(&lang.t("score-finding-separator"));
        Finding::fail(
            area,
            what,
            SHORTENER,
            lang.t1("score-finding-shorteners", "hosts", hosts),
            lang.t("score-finding-shorteners-fix"),
        )
    });
    findings.push(list_unsubscribe(parsed, lang));
    findings
}

/// The `List-Unsubscribe` header: present, well formed, and one-click (RFC 8058).
/// Advertising mail must say who sends it: Japan's 特定電子メール法 wants
/// the sender's name, postal address and an opt-out contact, CAN-SPAM the
/// postal address. Filters and carriers treat mail without them as spam.
fn sender_identity(domain: &str, missing: &[&str], lang: Language) -> Finding {
    let what = lang.t("score-finding-identity");
    if missing.is_empty() {
        return Finding::pass(Area::Content, what, lang.t("score-finding-identity-ok"));
    }
    let parts: Vec<String> = missing.iter().map(|p| lang.tk("score-finding-identity-part", p)).collect();
    Finding::fail(
        Area::Content,
        what,
        cost::NO_SENDER_IDENTITY,
        lang.t2(
            "score-finding-identity-missing",
            "domain",
            domain,
            "missing",
            parts.join(&lang.t("score-finding-separator")),
        ),
        lang.t1("score-finding-identity-fix", "domain", domain),
    )
}

fn list_unsubscribe(parsed: &mail_parser::Message<'_>, lang: Language) -> Finding {
    use cost::*;
    let area = Area::Content;
    let what = "List-Unsubscribe";
    let raw = |name: &str| {
        parsed.headers().iter().find(|h| h.name.as_str().eq_ignore_ascii_case(name)).and_then(|h| {
            let bytes = parsed.raw_message().get(h.offset_start as usize..h.offset_end as usize)?;
            Some(String::from_utf8_lossy(bytes).split_whitespace().collect::<Vec<_>>().join(" "))
        })
    };
    let Some(value) = raw("List-Unsubscribe") else {
        return Finding::fail(
            area,
            what,
            NO_LIST_UNSUBSCRIBE,
            lang.t("score-finding-no-list-unsubscribe"),
            lang.t("score-finding-no-list-unsubscribe-fix"),
        );
    };
    let targets: Vec<&str> = value.split(',').map(str::trim).collect();
    let broken = targets.iter().any(|t| {
        let inner = t.strip_prefix('<').and_then(|t| t.strip_suffix('>'));
        !inner.is_some_and(|u| u.starts_with("https://") || u.starts_with("http://") || u.starts_with("mailto:"))
    });
    if broken {
        return Finding::fail(
            area,
            what,
            NO_LIST_UNSUBSCRIBE,
            lang.t1("score-finding-list-unsubscribe-malformed", "value", format!("{value:?}")),
            lang.t("score-finding-list-unsubscribe-malformed-fix"),
        );
    }
    let https = targets.iter().any(|t| t.starts_with("<https://"));
    let post = raw("List-Unsubscribe-Post").is_some_and(|v| v.trim() == "List-Unsubscribe=One-Click");
    if https && post {
        Finding::pass(area, what, lang.t("score-finding-one-click-ok"))
    } else {
        let missing = if https {
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click".to_owned()
        } else {
            lang.t("score-finding-https-target")
        };
        Finding::fail(
            area,
            what,
            NO_ONE_CLICK,
            lang.t1("score-finding-not-one-click", "missing", missing),
            lang.t("score-finding-not-one-click-fix"),
        )
    }
}

/// The words of a text: runs of letters and digits, lowercased; long runs
/// without spaces (Japanese, Chinese) as character pairs.
fn tokens(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for run in text.split(|c: char| !c.is_alphanumeric()).filter(|r| !r.is_empty()) {
        let chars: Vec<char> = run.to_lowercase().chars().collect();
        if chars.iter().all(char::is_ascii) || chars.len() < 3 {
            out.insert(chars.into_iter().collect());
        } else {
            out.extend(chars.windows(2).map(|w| w.iter().collect::<String>()));
        }
    }
    out
}

/// The share of the HTML's words that the text part also has.
fn coverage(html_text: &str, text: &str) -> f64 {
    let html = tokens(html_text);
    if html.is_empty() {
        return 1.0;
    }
    let text = tokens(text);
    html.iter().filter(|w| text.contains(*w)).count() as f64 / html.len() as f64
}

/// The images of an HTML body, not counting 1×1 tracking pixels.
fn images(html: &str) -> usize {
    let lower = html.to_ascii_lowercase();
    lower
        .split("<img")
        .skip(1)
        .filter(|tag| {
            let tag = tag.split('>').next().unwrap_or_default();
            !(tag.contains("width=\"1\"") && tag.contains("height=\"1\""))
        })
        .count()
}

/// The `href` targets of an HTML body.
fn links(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut rest = 0;
    while let Some(at) = lower[rest..].find("href=") {
        let start = rest + at + 5;
        let quote = html[start..].chars().next();
        let (from, end) = match quote {
            Some(q @ ('"' | '\'')) => (start + 1, html[start + 1..].find(q).map(|e| start + 1 + e)),
            _ => (start, html[start..].find(|c: char| c.is_whitespace() || c == '>').map(|e| start + e)),
        };
        let Some(end) = end else { break };
        out.push(html[from..end].replace("&amp;", "&"));
        rest = end;
    }
    out
}

/// The host of an http(s) URL, lowercased; None for addresses and
/// single-label names, which no domain blocklist lists.
fn host(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = host.split(':').next()?.trim_end_matches('.').to_ascii_lowercase();
    (host.contains('.') && host.parse::<IpAddr>().is_err()).then_some(host)
}

// ------------------------------------------------------- authentication

async fn authentication(dns: &Dns, input: &Input<'_>, from: Option<&str>, helo: Option<&str>) -> Vec<Finding> {
    use cost::*;
    let area = Area::Authentication;
    let lang = input.lang;
    let Some(message) = AuthenticatedMessage::parse(input.message) else {
        return vec![Finding::unknown(lang, area, "DKIM", lang.t("score-finding-unparsable"))];
    };
    let auth = dns.authenticator();
    let from = from.unwrap_or_default();
    let mut findings = Vec::new();

    let dkim = auth.verify_dkim(Parameters::new(&message)).await;
    let passed: Vec<&str> = dkim
        .iter()
        .filter(|o| *o.result() == DkimResult::Pass)
        .filter_map(|o| o.signature().map(|s| s.d.as_str()))
        .collect();
    let aligned = passed.iter().find(|d| aligned(d, from));
    findings.push(if let Some(d) = aligned {
        Finding::pass(area, "DKIM", lang.t1("score-finding-dkim-ok", "domain", d))
    } else if let Some(d) = passed.first() {
        Finding::fail(
            area,
            "DKIM",
            DKIM_UNALIGNED,
            lang.t2("score-finding-dkim-unaligned", "signer", d, "from", from),
            lang.t1("score-finding-dkim-unaligned-fix", "from", from),
        )
    } else if let Some(DkimResult::TempError(e)) = dkim.first().map(|o| o.result()) {
        Finding::unknown(lang, area, "DKIM", e)
    } else {
        let reason = match dkim.first().map(|o| o.result()) {
            None | Some(DkimResult::None) => lang.t("score-finding-dkim-none"),
            Some(other) => lang.t1("score-finding-dkim-invalid", "error", dkim_error(other)),
        };
        Finding::fail(area, "DKIM", DKIM_NONE, reason, lang.t1("score-finding-dkim-fix", "from", from))
    });

    let mail_from_domain = domain::domain_of(input.envelope_from);
    let spf = match input.source {
        Some(ip) => {
            let helo = helo.unwrap_or(mail_from_domain);
            let spf = auth
                .verify_spf(Parameters::new(SpfParameters::verify_mail_from(ip, helo, helo, input.envelope_from)))
                .await;
            findings.push(match spf.result() {
                SpfResult::Pass => {
                    Finding::pass(area, "SPF", lang.t2("score-finding-spf-ok", "domain", mail_from_domain, "ip", ip))
                }
                SpfResult::TempError => Finding::unknown(lang, area, "SPF", lang.t("score-finding-lookup-failed")),
                other => {
                    let result = format!("{other:?}").to_lowercase();
                    let record = format!("v=spf1 ip{}:{ip} -all", if ip.is_ipv4() { 4 } else { 6 });
                    let args: [(&str, &dyn std::fmt::Display); 3] =
                        [("domain", &mail_from_domain), ("result", &result), ("ip", &ip)];
                    Finding::fail(
                        area,
                        "SPF",
                        SPF_NOT_PASS,
                        say(lang, "score-finding-spf-fail", &args),
                        lang.t2("score-finding-spf-fix", "record", record, "domain", mail_from_domain),
                    )
                }
            });
            spf
        }
        None => {
            findings.push(Finding::unknown(lang, area, "SPF", lang.t("score-finding-no-source")));
            mail_auth::SpfOutput::new(mail_from_domain.to_owned())
        }
    };

    let dmarc = auth.verify_dmarc(Parameters::new(DmarcParameters::new(&message, &dkim, mail_from_domain, &spf))).await;
    findings.push(match (dmarc.dmarc_record(), dmarc.result()) {
        (_, DmarcResult::TempError(e)) => Finding::unknown(lang, area, "DMARC", e),
        (None, _) => Finding::fail(
            area,
            "DMARC",
            DMARC_MISSING,
            lang.t1("score-finding-dmarc-missing", "domain", from),
            lang.t1("score-finding-dmarc-missing-fix", "domain", from),
        ),
        (Some(_), DmarcResult::Pass) => Finding::pass(area, "DMARC", lang.t("score-finding-dmarc-ok")),
        (Some(_), _) => Finding::fail(
            area,
            "DMARC",
            DMARC_FAIL,
            lang.t1("score-finding-dmarc-fail", "domain", from),
            lang.t("score-finding-dmarc-fail-fix"),
        ),
    });
    findings
}

fn dkim_error(result: &DkimResult) -> String {
    match result {
        DkimResult::Neutral(e) | DkimResult::Fail(e) | DkimResult::PermError(e) | DkimResult::TempError(e) => {
            e.to_string()
        }
        DkimResult::Pass | DkimResult::None => String::new(),
    }
}

/// Relaxed alignment: the same domain, or one a subdomain of the other.
fn aligned(signer: &str, from: &str) -> bool {
    let (s, f) = (signer.to_ascii_lowercase(), from.to_ascii_lowercase());
    s == f || f.ends_with(&format!(".{s}")) || s.ends_with(&format!(".{f}"))
}

// ---------------------------------------------------------- reverse DNS

async fn reverse_dns(
    dns: &Dns,
    source: Option<IpAddr>,
    ptr: Option<Result<Option<String>, LookupError>>,
    lang: Language,
) -> Vec<Finding> {
    use cost::*;
    let area = Area::ReverseDns;
    let (Some(ip), Some(ptr)) = (source, ptr) else {
        return vec![Finding::unknown(lang, area, "PTR", lang.t("score-finding-no-source"))];
    };
    let what = format!("PTR {ip}");
    let name = match ptr {
        Err(e) => return vec![Finding::unknown(lang, area, what, e)],
        Ok(None) => {
            return vec![Finding::fail(
                area,
                what,
                PTR_NONE,
                lang.t1("score-finding-ptr-none", "ip", ip),
                lang.t1("score-finding-ptr-none-fix", "ip", ip),
            )];
        }
        Ok(Some(name)) => name,
    };
    let mut findings = vec![match dns.addresses(&name).await {
        Err(e) => Finding::unknown(lang, area, what.clone(), e),
        Ok(a) if a.contains(&ip) => {
            Finding::pass(area, what.clone(), lang.t2("score-finding-ptr-ok", "name", &name, "ip", ip))
        }
        Ok(_) => Finding::fail(
            area,
            what.clone(),
            PTR_NOT_CONFIRMED,
            lang.t2("score-finding-ptr-unconfirmed", "name", &name, "ip", ip),
            lang.t2("score-finding-ptr-unconfirmed-fix", "name", &name, "ip", ip),
        ),
    }];
    let what = lang.t("score-finding-ptr-name");
    findings.push(if generic(&name, ip) {
        Finding::fail(
            area,
            what,
            PTR_GENERIC,
            lang.t1("score-finding-ptr-generic", "name", &name),
            lang.t("score-finding-ptr-generic-fix"),
        )
    } else {
        Finding::pass(area, what, lang.t1("score-finding-ptr-own", "name", &name))
    });
    findings
}

/// A PTR name a provider gives every address: the address's digits in it,
/// or words like "dynamic" or "pool".
fn generic(name: &str, ip: IpAddr) -> bool {
    const WORDS: &[&str] = &["dynamic", "dyn", "dhcp", "pool", "dsl", "adsl", "cable", "ppp", "dialup", "broadband"];
    let name = name.to_ascii_lowercase();
    let words: Vec<&str> = name.split(|c: char| !c.is_ascii_alphabetic()).collect();
    if words.iter().any(|w| WORDS.contains(w)) {
        return true;
    }
    let IpAddr::V4(v4) = ip else { return false };
    let numbers: Vec<u8> = name.split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse().ok()).collect();
    let octets = v4.octets();
    let mut reversed = octets;
    reversed.reverse();
    numbers.windows(4).any(|w| w == octets || w == reversed)
}

// ------------------------------------------------------------ blocklists

/// How a blocklist answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    Clear,
    Listed(IpAddr),
    /// The list refused or failed the query.
    Unknown(String),
}

async fn ask(dns: &Dns, name: &str, list: &Blocklist, lang: Language) -> Listing {
    match dns.addresses(name).await {
        Err(e) => Listing::Unknown(e.to_string()),
        Ok(answers) => {
            let Some(&answer) = answers.iter().find(|a| a.is_ipv4()) else { return Listing::Clear };
            match answer {
                // Spamhaus: 127.255.255.x is an error (public resolver, too
                // many queries, bad DQS key), never a listing.
                IpAddr::V4(a) if a.octets()[..3] == [127, 255, 255] || a.octets() == [127, 0, 1, 255] => {
                    Listing::Unknown(lang.t2("score-finding-list-refused", "list", &list.name, "code", a))
                }
                IpAddr::V4(a) if a.octets()[0] == 127 => Listing::Listed(answer),
                other => Listing::Unknown(lang.t2("score-finding-list-odd", "list", &list.name, "answer", other)),
            }
        }
    }
}

/// How each address blocklist answers about `ip`: (list name, listing).
pub async fn ip_listings(dns: &Dns, lists: &Blocklists, ip: IpAddr) -> Vec<(String, Listing)> {
    let mut out = Vec::with_capacity(lists.ip.len());
    for list in &lists.ip {
        let name = format!("{}.{}", reversed(ip), list.zone);
        out.push((list.name.clone(), ask(dns, &name, list, Language::English).await));
    }
    out
}

/// The name to ask a blocklist about an address: its octets (IPv4) or
/// nibbles (IPv6) reversed.
fn reversed(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => v6
            .octets()
            .iter()
            .rev()
            .flat_map(|b| [b & 0xf, b >> 4])
            .map(|n| format!("{n:x}"))
            .collect::<Vec<_>>()
            .join("."),
    }
}

async fn blocklists(
    dns: &Dns,
    lists: &Blocklists,
    source: Option<IpAddr>,
    domains: &BTreeSet<String>,
    lang: Language,
) -> Vec<Finding> {
    use cost::*;
    let area = Area::Blocklists;
    let mut findings = Vec::new();
    let mut check = |what: String, listing: Listing, cost: u32, fix: &str| match listing {
        Listing::Clear => findings.push(Finding::pass(area, what, lang.t("score-finding-not-listed"))),
        Listing::Unknown(e) => findings.push(Finding::unknown(lang, area, what, e)),
        Listing::Listed(code) => {
            let reason = lang.t2("score-finding-listed", "what", &what, "code", code);
            findings.push(Finding::fail(area, what, cost, reason, lang.t(fix)));
        }
    };
    if let Some(ip) = source {
        for list in &lists.ip {
            let listing = ask(dns, &format!("{}.{}", reversed(ip), list.zone), list, lang).await;
            check(
                lang.t2("score-finding-on-list", "subject", ip, "list", &list.name),
                listing,
                IP_LISTED,
                "score-finding-ip-listed-fix",
            );
        }
    }
    for domain in domains {
        for list in &lists.domain {
            let listing = ask(dns, &format!("{domain}.{}", list.zone), list, lang).await;
            check(
                lang.t2("score-finding-on-list", "subject", domain, "list", &list.name),
                listing,
                DOMAIN_LISTED,
                "score-finding-domain-listed-fix",
            );
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(headers: &str, body: &str) -> Vec<u8> {
        format!("{headers}\r\n\r\n{body}").into_bytes()
    }

    const GOOD_HEADERS: &str = "From: Shop <news@shop.example>\r\nTo: a@b.example\r\nSubject: Autumn sale\r\n\
        Date: Tue, 24 Nov 2026 10:00:00 +0000\r\nMessage-ID: <1@shop.example>\r\nMIME-Version: 1.0\r\n\
        List-Unsubscribe: <https://shop.example/u/x>, <mailto:u@shop.example>\r\n\
        List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\
        Content-Type: multipart/alternative; boundary=\"b1\"";

    fn alternative(text: &str, html: &str) -> String {
        format!(
            "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n--b1\r\n\
             Content-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--b1--\r\n"
        )
    }

    const WORDS: &str = "Our autumn sale starts today with warm coats, wool scarves and boots for the whole family. \
        Every order over fifty euros ships free and returns stay free for thirty days.";

    fn deductions(findings: &[Finding]) -> Vec<(&str, u32)> {
        findings.iter().filter(|f| f.deducted > 0).map(|f| (f.what.as_str(), f.deducted)).collect()
    }

    fn good() -> Vec<u8> {
        message(
            GOOD_HEADERS,
            &alternative(WORDS, &format!("<p>{WORDS}</p><a href=\"https://shop.example/coats\">Coats</a>")),
        )
    }

    fn score_of(raw: &[u8]) -> Vec<Finding> {
        score_in(raw, Language::English)
    }

    fn score_in(raw: &[u8], lang: Language) -> Vec<Finding> {
        let mut f = format(raw, lang);
        f.extend(content(&MessageParser::default().parse(raw).expect("a message"), &[], lang));
        f
    }

    #[test]
    fn a_missing_sender_identity_costs_a_point_and_says_how_to_fix_it() {
        let complete = sender_identity("shop.example", &[], Language::English);
        assert_eq!((complete.status, complete.deducted), (Status::Pass, 0));
        let lacking = sender_identity("shop.example", &["postal_address", "contact"], Language::English);
        assert_eq!((lacking.status, lacking.deducted), (Status::Fail, cost::NO_SENDER_IDENTITY));
        assert_eq!(lacking.reason, "the sender identity of shop.example lacks postal address, contact");
        assert!(lacking.fix.contains("domains page"), "{}", lacking.fix);
        let japanese = sender_identity("shop.example", &["postal_address", "contact"], Language::Japanese);
        assert_eq!(japanese.what, "送信者情報");
        assert_eq!(japanese.reason, "shop.example の送信者情報に、住所、連絡先が入力されていません。");
    }

    #[test]
    fn a_well_made_message_loses_nothing_on_format_and_content() {
        let findings = score_of(&good());
        assert_eq!(deductions(&findings), vec![], "{findings:#?}");
    }

    #[test]
    fn each_format_fault_costs_its_points() {
        let raw = String::from_utf8(good()).expect("UTF-8");
        let cases = [
            (raw.replace("Message-ID: <1@shop.example>\r\n", ""), "Message-ID", cost::NO_MESSAGE_ID),
            (raw.replace("Date: Tue, 24 Nov 2026 10:00:00 +0000\r\n", ""), "Date", cost::NO_DATE),
            (raw.replace("To: a@b.example", "From: other@else.example"), "From", cost::FROM_NOT_ONE),
            (raw.replace("--b1--", "--b1"), "MIME", cost::MIME_INVALID),
            (raw.replace("; boundary=\"b1\"", ""), "MIME", cost::MIME_INVALID),
            (raw.replace(WORDS, &"x".repeat(1200)), "Line length", cost::LONG_LINE),
        ];
        for (raw, what, points) in cases {
            let findings = format(raw.as_bytes(), Language::English);
            assert_eq!(deductions(&findings), vec![(what, points)], "{what}: {findings:#?}");
        }
    }

    #[test]
    fn each_content_fault_costs_its_points() {
        let raw = String::from_utf8(good()).expect("UTF-8");
        let html_only = message(
            &GOOD_HEADERS.replace("multipart/alternative; boundary=\"b1\"", "text/html; charset=utf-8"),
            &format!("<p>{WORDS}</p>"),
        );
        let cases = [
            (html_only, "Text part", cost::NO_TEXT_PART),
            (
                raw.replacen(WORDS, "View this message in a browser.", 1).into_bytes(),
                "Text matches HTML",
                cost::TEXT_MISMATCH,
            ),
            (
                message(GOOD_HEADERS, &alternative("Sale", "<img src=\"https://shop.example/sale.png\"> Sale")),
                "Images and text",
                cost::IMAGE_ONLY,
            ),
            (raw.replace("Autumn sale", "HUGE AUTUMN SALE NOW").into_bytes(), "Subject", cost::CAPS_SUBJECT),
            (raw.replace("https://shop.example/coats", "https://bit.ly/3xYz").into_bytes(), "Links", cost::SHORTENER),
            (
                raw.replace("List-Unsubscribe: <https://shop.example/u/x>, <mailto:u@shop.example>\r\n", "")
                    .replace("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n", "")
                    .into_bytes(),
                "List-Unsubscribe",
                cost::NO_LIST_UNSUBSCRIBE,
            ),
            (
                raw.replace("<https://shop.example/u/x>, <mailto:u@shop.example>", "https://shop.example/u/x")
                    .into_bytes(),
                "List-Unsubscribe",
                cost::NO_LIST_UNSUBSCRIBE,
            ),
            (
                raw.replace("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n", "").into_bytes(),
                "List-Unsubscribe",
                cost::NO_ONE_CLICK,
            ),
        ];
        for (raw, what, points) in cases {
            let findings = score_of(&raw);
            assert_eq!(deductions(&findings), vec![(what, points)], "{what}: {findings:#?}");
        }
    }

    #[test]
    fn findings_are_said_in_the_admins_language() {
        let raw = String::from_utf8(good()).expect("UTF-8");
        let shouted = raw
            .replace("Autumn sale", "HUGE AUTUMN SALE NOW")
            .replace("https://shop.example/coats", "https://bit.ly/3xYz");
        let english = score_in(shouted.as_bytes(), Language::English);
        let japanese = score_in(shouted.as_bytes(), Language::Japanese);
        assert_eq!(english.len(), japanese.len());
        let english_subject = english.iter().find(|f| f.what == "Subject").expect("a subject check");
        assert_eq!(english_subject.reason, "the subject is in capitals: \"HUGE AUTUMN SALE NOW\"");
        let subject = japanese.iter().find(|f| f.what == "件名").expect("a subject check");
        assert_eq!(subject.reason, "件名がすべて大文字です: \"HUGE AUTUMN SALE NOW\"");
        let links = japanese.iter().find(|f| f.what == "リンク").expect("a links check");
        assert_eq!(
            (links.reason.as_str(), links.deducted),
            ("短縮URLを経由するリンクがあります: bit.ly", cost::SHORTENER)
        );
        for (en, ja) in english.iter().zip(&japanese) {
            assert_eq!((en.area, en.status, en.deducted), (ja.area, ja.status, ja.deducted));
            assert!(!ja.reason.is_ascii() || ja.reason == en.reason, "{ja:?}");
        }
    }

    #[test]
    fn japanese_text_is_compared_by_character_pairs() {
        let text = "秋のセールが今日から始まります。コートとマフラーがお得です。";
        assert!(coverage(text, text) > 0.99);
        assert!(coverage(text, "ブラウザで表示") < 0.2);
        let subject_ja =
            String::from_utf8(good()).expect("UTF-8").replace("Autumn sale", "=?UTF-8?B?56eL44Gu44K744O844Or?=");
        let findings = score_of(subject_ja.as_bytes());
        assert_eq!(deductions(&findings), vec![], "a subject without letter case is not shouting");
    }

    #[test]
    fn generic_ptr_names_are_recognised() {
        let ip: IpAddr = "203.0.113.5".parse().expect("an address");
        assert!(generic("203-0-113-5.dsl.isp.example", ip));
        assert!(generic("5.113.0.203.static.isp.example", ip));
        assert!(generic("host.dynamic.isp.example", ip));
        assert!(!generic("mail.shop.example", ip));
        assert!(!generic("mta1.shop.example", ip));
    }

    #[test]
    fn blocklist_names_reverse_the_address_and_hide_the_dqs_key() {
        assert_eq!(reversed("203.0.113.5".parse().expect("an address")), "5.113.0.203");
        assert!(reversed("2001:db8::1".parse().expect("an address")).starts_with("1.0.0.0.0.0.0.0"));
        assert!(reversed("2001:db8::1".parse().expect("an address")).ends_with("8.b.d.0.1.0.0.2"));
        let lists = Blocklists::new(&["zen.spamhaus.org".into(), "bl.lab.test".into()], &[], Some("k3y"));
        assert_eq!(lists.ip[0].zone, "k3y.zen.dq.spamhaus.net");
        assert_eq!(lists.ip[0].name, "zen.spamhaus.org (DQS)");
        assert_eq!(lists.ip[1].zone, "bl.lab.test");
        assert!(!format!("{lists:?}").contains("k3y"));
    }

    #[test]
    fn tracking_pixels_are_not_images() {
        let html = "<img src=\"a.png\"><IMG width=\"1\" height=\"1\" src=\"o\"><img src=\"b.png\" width=\"1\">";
        assert_eq!(images(html), 2);
    }

    #[test]
    fn hosts_and_links_are_read_from_html() {
        let html = "<a href=\"https://Shop.Example/a?x=1&amp;y=2\">a</a> <a href='http://bit.ly/x'>b</a> <a href=mailto:x@y>c</a>";
        let found = links(html);
        assert_eq!(found, vec!["https://Shop.Example/a?x=1&y=2", "http://bit.ly/x", "mailto:x@y"]);
        assert_eq!(host(&found[0]).as_deref(), Some("shop.example"));
        assert_eq!(host("https://127.0.0.1:8080/x"), None);
        assert_eq!(host("mailto:x@y"), None);
    }
}
