//! DMARC aggregate and TLS reports: every real sample imports once, in any
//! wrapping (gzip, zip, a message), bad files are kept with the reason, and
//! the dashboard shows each source classified with a drill-down to its rows.

use std::net::IpAddr;

use anyhow::Result;
use reports::ingest::{Ingest, Outcome};
use tests::fixtures::{dmarc_report, gzip};
use tests::{TestApp, samples};

/// acme.xml reports mail from this address: make it one of ours.
const OURS: &str = "72.150.241.94";

fn ingest(app: &TestApp) -> Result<Ingest> {
    Ok(Ingest::new(app.store.clone(), vec![OURS.parse::<IpAddr>()?], reports::Limits::default()))
}

/// The sample files of a kind: (name, bytes), licence files aside.
fn files(kind: &str) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(samples(kind))? {
        let path = entry?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if !name.starts_with("LICENSE") {
            out.push((name, std::fs::read(&path)?));
        }
    }
    out.sort();
    Ok(out)
}

#[tokio::test]
async fn every_sample_imports_once_in_any_wrapping_and_bad_files_are_kept_with_the_reason() -> Result<()> {
    let app = tests::spawn_app().await?;
    let ingest = ingest(&app)?;
    let dmarc = files("dmarc-aggregate")?;
    let tls = files("tls-rpt")?;
    assert!(dmarc.len() >= 10 && tls.len() >= 6, "the samples are there");
    for (name, bytes) in dmarc.iter().chain(&tls) {
        let outcomes = ingest.import(name, bytes, "test").await?;
        assert_eq!(outcomes.len(), 1, "{name}");
        assert!(matches!(outcomes[0].1, Outcome::Imported { .. }), "{name}: {}", outcomes[0].1);
    }
    assert_eq!(app.store.report_counts().await?, (i64::try_from(dmarc.len())?, i64::try_from(tls.len())?));

    // The same reports gzipped, zipped or mailed are the same reports.
    use std::io::Write;
    let (name, xml) = &dmarc[0];
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(xml)?;
    let gz = gz.finish()?;
    let again = ingest.import(&format!("{name}.gz"), &gz, "test").await?;
    assert!(matches!(again[0].1, Outcome::Duplicate { .. }), "{:?}", again);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in &dmarc[1..3] {
        zip.start_file(name.as_str(), zip::write::SimpleFileOptions::default())?;
        zip.write_all(bytes)?;
    }
    let zip = zip.finish()?.into_inner();
    let again = ingest.import("reports.zip", &zip, "test").await?;
    assert_eq!(again.len(), 2);
    assert!(again.iter().all(|(_, o)| matches!(o, Outcome::Duplicate { .. })), "{again:?}");
    let (tls_name, tls_json) = &tls[0];
    let mail = format!(
        "From: noreply@reporter.example\r\nTo: reports@bounce.shop.example\r\nSubject: Report\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nA report.\r\n\
         --b\r\nContent-Type: application/tlsrpt+json\r\nContent-Disposition: attachment; filename=\"{tls_name}\"\r\n\r\n{}\r\n--b--\r\n",
        String::from_utf8_lossy(tls_json)
    );
    let again = ingest.import("report.eml", mail.as_bytes(), "test").await?;
    assert!(matches!(again[0].1, Outcome::Duplicate { kind: "TLS", .. }), "{again:?}");

    // Bad files: each kept with its reason, none aborting the others.
    let broken = dmarc[3].1[..dmarc[3].1.len() / 2].to_vec();
    let mut bomb = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    bomb.write_all(&vec![b' '; 32 * 1024 * 1024])?;
    let bomb = bomb.finish()?;
    for (name, bytes, reason) in [
        ("notes.txt", b"just some text".to_vec(), "neither a DMARC aggregate report"),
        ("cut.xml", broken, "not well-formed XML"),
        ("bomb.xml.gz", bomb, "decompression bomb"),
    ] {
        let outcome = ingest.import(name, &bytes, "test").await?;
        match &outcome[0].1 {
            Outcome::Failed(why) => assert!(why.contains(reason), "{name}: {why}"),
            other => panic!("{name}: {other}"),
        }
    }
    let kept = app.store.report_failures(10).await?;
    assert_eq!(kept.len(), 3, "{kept:?}");
    assert_eq!(app.store.report_counts().await?.0, i64::try_from(dmarc.len())?, "nothing imported twice");
    Ok(())
}

#[tokio::test]
async fn the_dashboard_shows_each_source_classified_down_to_its_rows() -> Result<()> {
    let ours: IpAddr = OURS.parse()?;
    // A country database that places our network in the United States.
    let dir = tempfile::tempdir()?;
    let mmdb = dir.path().join("country.mmdb");
    std::fs::write(&mmdb, tests::lab::geoip_mmdb([72, 150, 241], "US"))?;
    let geoip = web::GeoIp::open(&mmdb).map_err(anyhow::Error::msg)?;
    assert_eq!(geoip.country(ours).as_deref(), Some("US"));
    assert_eq!(geoip.country("42.42.42.42".parse()?), None);
    let geoip = std::sync::Arc::new(geoip);
    let app = tests::spawn_app_with(|c| {
        c.source_ips = vec![ours];
        c.geoip = Some(geoip);
    })
    .await?;
    let ingest = ingest(&app)?;
    for (name, bytes) in files("dmarc-aggregate")?.iter().chain(&files("tls-rpt")?) {
        ingest.import(name, bytes, "test").await?;
    }
    let browser = app.logged_in_browser().await?;
    browser.goto(&format!("{}/reports", app.url)).await?;
    let domains = browser.text("#report-domains").await?;
    for domain in ["example.com", "foo-bar.io", "mydomain.org", "bix-business.com"] {
        assert!(domains.contains(domain), "{domain} in {domains}");
    }
    assert!(browser.text("#tls-reports").await?.contains("sts"));

    // Our own address failing DKIM: misconfigured, and said why.
    browser.goto(&format!("{}/reports/domains/example.com", app.url)).await?;
    let sources = browser.text("#sources").await?;
    assert!(sources.contains(OURS) && sources.contains("misconfigured"), "{sources}");
    assert!(sources.contains("our address"), "{sources}");
    assert_eq!(browser.text("#sources .country").await?, "US", "the country of our address");
    // Nothing passes and nothing authorises it.
    browser.goto(&format!("{}/reports/domains/mydomain.org", app.url)).await?;
    let sources = browser.text("#sources").await?;
    assert!(sources.contains("42.42.42.42") && sources.contains("spoofing"), "{sources}");
    // Aligned DKIM and SPF from someone else's address: an authorised sender.
    browser.goto(&format!("{}/reports/domains/foo-bar.io", app.url)).await?;
    assert!(browser.text("#sources").await?.contains("normal"));

    browser.click("#sources a").await?;
    let rows = browser.text("#rows").await?;
    assert!(rows.contains("google.com") && rows.contains("3166094538684628578"), "{rows}");
    assert!(rows.contains("foo-bar.io (krs): pass"), "the DKIM results with selector: {rows}");
    let path = browser.path().await?;
    assert_eq!(path, "/reports/domains/foo-bar.io/sources/1.2.3.4");
    browser.goto(&format!("{}/reports/domains/nobody.example", app.url)).await?;
    assert!(browser.title().await?.starts_with("Not found"), "a domain without reports");
    Ok(())
}

#[tokio::test]
async fn a_report_over_a_year_keeps_every_message_in_bounded_rows() -> Result<()> {
    let app = tests::spawn_app().await?;
    let ingest = ingest(&app)?;
    let xml = dmarc_report("year", 7000, 365);
    let gz = gzip(&xml)?;
    assert!(gz.len() < 200 * 1024, "a small file: {} bytes", gz.len());
    let outcomes = ingest.import("year.xml.gz", &gz, "test").await?;
    let pool = sqlx::PgPool::connect(&app.database_url).await?;
    assert!(matches!(outcomes[..], [(_, Outcome::Imported { rows: 7000, .. })]), "{outcomes:?}");
    let (rows, messages, days): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), sum(count)::bigint, count(DISTINCT day) FROM dmarc_rows WHERE domain = 'shop.example'",
    )
    .fetch_one(&pool)
    .await?;
    let sent: i64 = (0..7000).map(|i| 1 + i % 5).sum();
    assert_eq!(messages, sent, "every message counted");
    assert!(rows <= i64::try_from(reports::ingest::MAX_ROWS)?, "{rows} rows");
    assert!(days > 1 && days < 366, "spread over periods: {days}");
    let skipped: Vec<String> = sqlx::query_scalar("SELECT unnest(skipped) FROM dmarc_reports WHERE report_id = 'year'")
        .fetch_all(&pool)
        .await?;
    assert!(skipped.iter().any(|s| s.contains("periods of up to")), "{skipped:?}");
    app.stop().await
}

#[tokio::test]
async fn each_part_of_a_message_stands_alone_and_what_arrived_is_kept_once() -> Result<()> {
    let app = tests::spawn_app().await?;
    let ingest = ingest(&app)?;
    let bomb = gzip(&vec![b'<'; 30 * 1024 * 1024])?;
    let nul = String::from_utf8(dmarc_report("nul\u{0}", 3, 1))?.replace("<org_name>Flood", "<org_name>Fl&#0;ood");
    let attach = |name: &str, bytes: &[u8]| {
        use base64::Engine;
        format!(
            "--b\r\nContent-Type: application/gzip\r\nContent-Transfer-Encoding: base64\r\n\
             Content-Disposition: attachment; filename=\"{name}\"\r\n\r\n{}\r\n",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        )
    };
    let mail = format!(
        "From: noreply@reporter.example\r\nTo: reports@bounce.shop.example\r\nSubject: Reports\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n{}{}{}{}--b--\r\n",
        attach("good-1.xml.gz", &gzip(&dmarc_report("good-1", 3, 1))?),
        attach("bomb.xml.gz", &bomb),
        attach("nul.xml.gz", &gzip(nul.as_bytes())?),
        attach("good-2.xml.gz", &gzip(&dmarc_report("good-2", 3, 1))?),
    );
    let outcomes = ingest.import("message", mail.as_bytes(), "listener").await?;
    let said: Vec<String> = outcomes.iter().map(|(f, o)| format!("{f}: {o}")).collect();
    assert_eq!(outcomes.len(), 4, "{said:?}");
    assert!(said[0].starts_with("good-1.xml: imported"), "{said:?}");
    assert!(said[1].starts_with("bomb.xml.gz: not imported: refused"), "{said:?}");
    assert!(said[2].starts_with("nul.xml: imported"), "{said:?}");
    assert!(said[3].starts_with("good-2.xml: imported"), "{said:?}");
    let pool = sqlx::PgPool::connect(&app.database_url).await?;
    let kept: Vec<(String, i32)> =
        sqlx::query_as("SELECT name, octet_length(raw) FROM report_failures").fetch_all(&pool).await?;
    assert_eq!(kept, [("bomb.xml.gz".to_owned(), i32::try_from(mail.len())?)], "the message as it arrived, once");

    // Failures keep their bytes only while the space for them lasts, and go
    // with the inbound retention.
    let twenty = vec![7u8; 20 * 1024 * 1024];
    let mut kept = Vec::new();
    for i in 0..4 {
        kept.push(app.store.keep_report_failure(&format!("big-{i}"), "test", "test", &twenty).await?);
    }
    assert_eq!(kept, [true, true, true, false]);
    assert_eq!(app.store.prune_report_failures(chrono::Duration::days(90)).await?, 0);
    assert_eq!(app.store.prune_report_failures(chrono::Duration::zero()).await?, 5);
    app.stop().await
}

#[tokio::test]
async fn a_domain_page_looks_up_few_new_addresses_per_view_and_odd_paths_are_not_found() -> Result<()> {
    let app = tests::spawn_app().await?;
    let owner = app.person("owner@example.jp", "owner").await?;
    let outcomes = ingest(&app)?.import("thirty.xml", &dmarc_report("thirty", 30, 1), "test").await?;
    assert!(matches!(outcomes[..], [(_, Outcome::Imported { rows: 30, .. })]), "{outcomes:?}");
    let not_yet = |page: &str| page.matches("not looked up yet").count();
    let (status, first) = owner.page(&app, "GET", "/reports/domains/shop.example", &[]).await?;
    assert_eq!(status, 200, "{first}");
    assert_eq!(not_yet(&first), 10, "twenty new addresses looked up, ten left for later");
    let (_, second) = owner.page(&app, "GET", "/reports/domains/shop.example", &[]).await?;
    assert_eq!(not_yet(&second), 0, "the first twenty come from the cache, the rest are looked up now");
    for odd in ["/reports/domains/%00", "/reports/domains/a%0Ab", "/reports/domains/shop.example/sources/%00"] {
        let (status, _) = owner.page(&app, "GET", odd, &[]).await?;
        assert_eq!(status, 404, "{odd}");
    }
    app.stop().await
}
