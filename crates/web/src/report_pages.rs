//! DMARC and TLS report analysis: per domain volume and aligned pass rates,
//! each source classified (normal, forwarded, misconfigured, spoofing
//! suspected) with its reverse DNS and blocklist status, drill-down to the
//! report rows, and an upload form.

use std::net::IpAddr;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::CookieJar;
use chrono::{Duration, NaiveDate, Utc};
use identity::score::Listing;
use reports::ingest::{Ingest, Outcome};
use store::{DmarcDomain, DmarcRowView};

use crate::auth::AdminUser;
use crate::csrf;
use crate::pages::{Frame, render};
use crate::{AppError, AppState};

/// A country database (`.mmdb`, MaxMind or IPinfo layout).
pub struct GeoIp(maxminddb::Reader<Vec<u8>>);

impl std::fmt::Debug for GeoIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GeoIp({})", self.0.metadata().database_type)
    }
}

/// The fields a country is found in: MaxMind's `country.iso_code`, or
/// IPinfo's `country` (a code) or `country_code`.
#[derive(serde::Deserialize)]
struct Place {
    country: Option<CountryField>,
    country_code: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum CountryField {
    MaxMind { iso_code: Option<String> },
    Code(String),
}

/// A GeoIP database file that cannot be opened.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct GeoIpError {
    path: std::path::PathBuf,
    source: maxminddb::MaxMindDbError,
}

impl GeoIp {
    /// Opens a database file; the error names the file.
    pub fn open(path: &std::path::Path) -> Result<Self, GeoIpError> {
        maxminddb::Reader::open_readfile(path).map(Self).map_err(|source| GeoIpError { path: path.to_owned(), source })
    }

    /// The ISO country code of an address, when the database knows it.
    pub fn country(&self, ip: IpAddr) -> Option<String> {
        let place: Place = self.0.lookup(ip).ok()?.decode().ok()??;
        match place.country {
            Some(CountryField::MaxMind { iso_code }) => iso_code,
            Some(CountryField::Code(code)) => Some(code),
            None => place.country_code,
        }
    }
}

/// The period the pages sum up: the 30 days up to the newest report (so
/// a backfill of old reports shows too).
const DAYS: i64 = 30;

async fn since(state: &AppState, domain: &str) -> Result<NaiveDate, AppError> {
    let latest = state.store().dmarc_latest_day(domain).await?.unwrap_or_else(|| Utc::now().date_naive());
    Ok(latest - Duration::days(DAYS - 1))
}

fn percent(part: i64, whole: i64) -> String {
    if whole == 0 { "–".into() } else { format!("{:.1} %", part as f64 * 100.0 / whole as f64) }
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    frame: Frame,
    domains: Vec<DmarcDomain>,
    /// (domain, policy type, successes, failures, reports)
    tls: Vec<(String, String, i64, i64, i64)>,
    /// (when, file, reason)
    failures: Vec<(String, String, String)>,
    counts: (i64, i64),
    /// (file, what happened) after an upload.
    outcomes: Vec<(String, String)>,
    days: i64,
}

impl ReportsPage {
    fn rate(&self, part: &i64, whole: &i64) -> String {
        percent(*part, *whole)
    }
}

async fn reports_page(
    state: &AppState,
    jar: CookieJar,
    admin: AdminUser,
    status: StatusCode,
    outcomes: Vec<(String, String)>,
) -> Result<Response, AppError> {
    let store = state.store();
    let (jar, frame) = Frame::issue(state, jar, &admin);
    let failures =
        store.report_failures(20).await?.into_iter().map(|(at, name, reason)| (frame.at(&at), name, reason)).collect();
    let page = ReportsPage {
        frame,
        domains: store.dmarc_domains(DAYS as i32).await?,
        tls: store.tls_summary().await?,
        failures,
        counts: store.report_counts().await?,
        outcomes,
        days: DAYS,
    };
    render(status, jar, page)
}

pub(crate) async fn reports(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
) -> Result<Response, AppError> {
    reports_page(&state, jar, admin, StatusCode::OK, Vec::new()).await
}

/// Upload: a multipart body, `csrf` first, then one or more files (XML,
/// gzip, zip, messages, TLS-RPT JSON).
pub(crate) async fn upload(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    multipart: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let lang = admin.language;
    let ingest = Ingest::new(state.store().clone(), state.config().source_ips.clone(), reports::Limits::default());
    let mut form = csrf::CsrfMultipart::new(&state, &jar, multipart);
    let mut outcomes = Vec::new();
    let mut failed = false;
    while let Some(field) = form.next_field().await? {
        if field.name() == Some("file") {
            let file = field.file_name().unwrap_or("report").chars().take(200).collect::<String>();
            let bytes = field.bytes().await.map_err(csrf::upload_failed)?;
            if bytes.is_empty() {
                continue;
            }
            for (part, outcome) in ingest.import(&file, &bytes, "upload").await? {
                failed |= matches!(outcome, Outcome::Failed(_));
                outcomes.push((part, said(lang, &outcome)));
            }
        }
    }
    if outcomes.is_empty() {
        outcomes.push((String::new(), lang.t("report-choose-files")));
    }
    let status = if failed { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    reports_page(&state, jar, admin, status, outcomes).await
}

/// What happened to an uploaded file, in the admin's language.
fn said(lang: i18n::Language, outcome: &Outcome) -> String {
    use i18n::Arg;
    match outcome {
        Outcome::Imported { kind, org, report_id, domain, rows, skipped, assumed } => {
            let mut text = lang.t_with(
                "report-outcome-imported",
                &[
                    ("kind", Arg::from(*kind)),
                    ("id", Arg::from(report_id.as_str())),
                    ("org", Arg::from(org.as_str())),
                    ("domain", Arg::from(domain.as_str())),
                    ("rows", Arg::from(rows.to_string())),
                ],
            );
            if *skipped > 0 {
                text.push_str(&lang.t1("report-outcome-skipped", "skipped", skipped));
            }
            for note in assumed {
                text.push_str("; ");
                text.push_str(note);
            }
            text
        }
        Outcome::Duplicate { kind, org, report_id } => lang.t_with(
            "report-outcome-duplicate",
            &[("kind", Arg::from(*kind)), ("id", Arg::from(report_id.as_str())), ("org", Arg::from(org.as_str()))],
        ),
        Outcome::Failed(reason) => lang.t1("report-outcome-failed", "reason", reason),
    }
}

/// How a blocklist that could not be asked is kept among the lookups (in
/// no one's language: the lookups are shared): its name, then this.
const UNCHECKED: &str = ": could not check";

/// A source of a domain's mail, with what DNS says of it.
struct SourceView {
    ip: IpAddr,
    messages: i64,
    pass: String,
    class: String,
    why: String,
    header_from: String,
    ptr: String,
    confirmed: bool,
    base: String,
    /// Blocklists that list it; "could not check" ones are named as such.
    listed: Vec<String>,
    /// ISO code, when a country database is configured and knows it.
    country: String,
}

#[derive(Template)]
#[template(path = "report_domain.html")]
struct DomainPage {
    frame: Frame,
    domain: String,
    chart: String,
    sources: Vec<SourceView>,
    /// (reverse-DNS base domain, sources, messages, worst class)
    bases: Vec<(String, usize, i64, String)>,
    days: i64,
}

/// The registrable-looking end of a host name: `mail-x.google.com` →
/// `google.com`, `a.b.example.co.jp` → `example.co.jp`.
fn base_domain(host: &str) -> String {
    let labels: Vec<&str> = host.trim_end_matches('.').split('.').collect();
    let n = labels.len();
    if n <= 2 {
        return host.to_owned();
    }
    let second = labels[n - 2];
    let country = labels[n - 1].len() == 2;
    let keep = if country && matches!(second, "co" | "ne" | "or" | "ac" | "go" | "com" | "net" | "org" | "gov" | "edu")
    {
        3
    } else {
        2
    };
    labels[n.saturating_sub(keep)..].join(".")
}

fn rank(class: &str) -> u8 {
    match class {
        "spoofing" => 4,
        "misconfigured" => 3,
        "forwarded" => 2,
        _ => 1,
    }
}

/// How many sources get their PTR and blocklists looked up on one page.
const LOOKED_UP: usize = 50;
/// Addresses one view of a domain's page may look up that no view has
/// looked up in the last hour.
const NEW_LOOKUPS: usize = 20;

pub(crate) async fn domain(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    Path(domain): Path<String>,
) -> Result<Response, AppError> {
    // A report's domain is a domain name; anything else was never imported.
    let domain = domain::ascii_domain(&domain).ok_or(AppError::NotFound)?;
    let lang = admin.language;
    let store = state.store();
    let since = since(&state, &domain).await?;
    let daily = store.dmarc_daily(&domain, since).await?;
    let found = store.dmarc_sources(&domain, since).await?;
    if daily.is_empty() && found.is_empty() {
        return Err(AppError::NotFound);
    }
    let dns = state.dns().map_err(AppError::internal)?;
    let lists = &state.config().blocklists;
    let mut lookups = tokio::task::JoinSet::new();
    let mut looked = vec![(None, false, Vec::new()); found.len().min(LOOKED_UP)];
    let mut asked = 0;
    for (i, s) in found.iter().enumerate().take(LOOKED_UP) {
        let ip = s.source_ip.addr();
        // Addresses come from reports anyone can send: each is looked up at
        // most once an hour, and one view asks about a few new ones at most.
        if let Some(known) = state.looked_up(ip) {
            looked[i] = known;
            continue;
        }
        if asked == NEW_LOOKUPS {
            looked[i] = (None, false, vec![lang.t("report-not-looked-up")]);
            continue;
        }
        asked += 1;
        let (dns, lists) = (dns.clone(), lists.clone());
        lookups.spawn(async move {
            let ptr = dns.ptr(ip).await.ok().flatten();
            let confirmed = match &ptr {
                Some(name) => dns.addresses(name).await.is_ok_and(|a| a.contains(&ip)),
                None => false,
            };
            let listed: Vec<String> = identity::score::ip_listings(&dns, &lists, ip)
                .await
                .into_iter()
                .filter_map(|(name, l)| match l {
                    Listing::Clear => None,
                    Listing::Listed(code) => Some(format!("{name} ({code})")),
                    Listing::Unknown(_) => Some(format!("{name}{UNCHECKED}")),
                })
                .collect();
            (i, ptr, confirmed, listed)
        });
    }
    while let Some(Ok((i, ptr, confirmed, listed))) = lookups.join_next().await {
        if let Some(s) = found.get(i) {
            state.remember_lookup(s.source_ip.addr(), (ptr.clone(), confirmed, listed.clone()));
        }
        looked[i] = (ptr, confirmed, listed);
    }
    let mut sources = Vec::with_capacity(found.len());
    for (i, s) in found.into_iter().enumerate() {
        let (ptr, confirmed, listed) = looked.get(i).cloned().unwrap_or((None, false, Vec::new()));
        let listed: Vec<String> = listed
            .iter()
            .map(|l| match l.strip_suffix(UNCHECKED) {
                Some(list) => lang.t1("report-list-unchecked", "list", list),
                None => l.clone(),
            })
            .collect();
        let base = ptr.as_deref().map(base_domain).unwrap_or_else(|| lang.t("report-no-ptr"));
        let ip = s.source_ip.addr();
        let country = state.config().geoip.as_ref().and_then(|g| g.country(ip)).unwrap_or_default();
        sources.push(SourceView {
            ip,
            messages: s.messages,
            pass: percent(s.dmarc_pass, s.messages),
            class: s.class,
            why: s.why,
            header_from: s.header_from,
            ptr: ptr.unwrap_or_default(),
            confirmed,
            base,
            listed,
            country,
        });
    }
    let mut bases: Vec<(String, usize, i64, String)> = Vec::new();
    for s in &sources {
        match bases.iter_mut().find(|b| b.0 == s.base) {
            Some(b) => {
                b.1 += 1;
                b.2 += s.messages;
                if rank(&s.class) > rank(&b.3) {
                    b.3 = s.class.clone();
                }
            }
            None => bases.push((s.base.clone(), 1, s.messages, s.class.clone())),
        }
    }
    bases.sort_by_key(|b| std::cmp::Reverse(b.2));
    let (jar, frame) = Frame::issue(&state, jar, &admin);
    let page = DomainPage {
        frame,
        domain: domain.to_ascii_lowercase(),
        chart: crate::chart::daily(&daily, lang),
        sources,
        bases,
        days: DAYS,
    };
    render(StatusCode::OK, jar, page)
}

#[derive(Template)]
#[template(path = "report_source.html")]
struct SourcePage {
    frame: Frame,
    domain: String,
    ip: IpAddr,
    rows: Vec<DmarcRowView>,
}

impl SourcePage {
    fn auth(&self, details: &serde_json::Value, key: &str) -> String {
        details[key]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                let parts: Vec<&str> = r.as_array().into_iter().flatten().filter_map(|p| p.as_str()).collect();
                match parts.as_slice() {
                    [domain, "", result] => format!("{domain}: {result}"),
                    [domain, extra, result] => format!("{domain} ({extra}): {result}"),
                    other => other.join(" "),
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

pub(crate) async fn source(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    Path((domain, ip)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let ip: IpAddr = ip.parse().map_err(|_| AppError::NotFound)?;
    let domain = domain::ascii_domain(&domain).ok_or(AppError::NotFound)?;
    let rows = state.store().dmarc_source_rows(&domain, ip).await?;
    if rows.is_empty() {
        return Err(AppError::NotFound);
    }
    let (jar, frame) = Frame::issue(&state, jar, &admin);
    render(StatusCode::OK, jar, SourcePage { frame, domain: domain.to_ascii_lowercase(), ip, rows })
}

#[cfg(test)]
mod tests {
    #[test]
    fn base_domains_keep_second_level_country_domains() {
        assert_eq!(super::base_domain("mail-x.google.com"), "google.com");
        assert_eq!(super::base_domain("a.b.example.co.jp"), "example.co.jp");
        assert_eq!(super::base_domain("mx.example.de"), "example.de");
        assert_eq!(super::base_domain("localhost"), "localhost");
    }
}
