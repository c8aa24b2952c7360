//! A sending domain's DNS checked in the lab, as receivers will see it: a
//! correct domain passes, and each misconfiguration gets its own diagnosis.

use std::net::IpAddr;

use anyhow::{Context, Result};
use domain::KeyStatus;
use i18n::Language::English;
use identity::doctor::{Check, Status, check_domain};
use tests::lab::{Dns, Zone};
use tests::{TestApp, spawn_app};

const DOMAIN: &str = "news.lab.test";
const SOURCE: [u8; 4] = [127, 0, 0, 2];
const HELO: &str = "mta.lab.test";

/// The records of the lab domain, correct unless a test changes them.
#[derive(Clone)]
struct Records {
    dkim: Vec<(String, String)>,
    spf: Vec<String>,
    dmarc: Vec<String>,
    /// The PTR name of the source address, and whether it resolves back.
    ptr: Option<&'static str>,
    forward: bool,
    /// The bounce subdomain's MX names ninsho's inbound host.
    mx: bool,
}

/// How the lab installation is set up: bounces and reports to mx.lab.test.
fn setup() -> identity::Setup {
    tests::test_config().setup
}

impl Records {
    async fn correct(app: &TestApp) -> Result<Self> {
        let (_, dkim) = identity::add_domain(&app.store, &app.key, DOMAIN, false).await?;
        let who = store::SenderIdentity {
            name: "News Lab".into(),
            postal_address: "1-1 Lab Street, Tokyo".into(),
            contact: "https://news.lab.test/contact".into(),
        };
        app.store.set_sender_identity(DOMAIN, &who).await?;
        Ok(Self {
            dkim,
            spf: vec!["v=spf1 ip4:127.0.0.2 -all".into()],
            dmarc: vec!["v=DMARC1; p=reject; rua=mailto:reports@bounce.news.lab.test".into()],
            ptr: Some(HELO),
            forward: true,
            mx: true,
        })
    }

    fn zone(&self) -> Zone {
        let mut zone = Zone::default();
        for (name, value) in &self.dkim {
            zone = zone.txt(name, value);
        }
        for spf in &self.spf {
            zone = zone.txt(&format!("bounce.{DOMAIN}"), spf);
        }
        for dmarc in &self.dmarc {
            zone = zone.txt(&format!("_dmarc.{DOMAIN}"), dmarc);
        }
        if self.mx {
            zone = zone.mx(&format!("bounce.{DOMAIN}"), 10, "mx.lab.test").a("mx.lab.test", [127, 0, 0, 9]);
        }
        if let Some(name) = self.ptr {
            zone = zone.ptr(SOURCE, name);
            zone = zone.a(name, if self.forward { SOURCE } else { [127, 0, 0, 99] });
        }
        zone
    }

    async fn checks(&self, app: &TestApp) -> Result<Vec<Check>> {
        self.checks_with(app, Zone::default()).await
    }

    /// The checks with `more` records in the world.
    async fn checks_with(&self, app: &TestApp, more: Zone) -> Result<Vec<Check>> {
        let dns = Dns::start(self.zone()).await?;
        dns.add(more).await;
        let resolver = identity::dns::Dns::new(&[dns.addr]).map_err(anyhow::Error::msg)?;
        Ok(check_domain(&app.store, &resolver, DOMAIN, &setup(), &[IpAddr::from(SOURCE)], English).await?)
    }
}

/// The one check whose name starts with `what`.
fn find<'a>(checks: &'a [Check], what: &str) -> &'a Check {
    checks.iter().find(|c| c.what.starts_with(what)).unwrap_or_else(|| panic!("no {what} check in {checks:?}"))
}

fn assert_fails(checks: &[Check], what: &str, reason: &str) {
    let check = find(checks, what);
    assert_eq!(check.status, Status::Fail, "{check:?}");
    assert!(check.detail.contains(reason), "{:?} should say {reason:?}", check.detail);
    let others: Vec<&Check> = checks.iter().filter(|c| !c.what.starts_with(what)).collect();
    assert!(others.iter().all(|c| c.status == Status::Pass), "only {what} is wrong: {others:?}");
}

#[tokio::test]
async fn a_correct_domain_passes_every_check() -> Result<()> {
    let app = spawn_app().await?;
    let checks = Records::correct(&app).await?.checks(&app).await?;
    let names: Vec<&str> = checks.iter().map(|c| c.what.as_str()).collect();
    assert!(names[0].starts_with("DKIM r"), "{names:?}");
    let rest = ["SPF lookups", "SPF 127.0.0.2", "MX bounce.news.lab.test", "DMARC", "DMARC reports", "PTR 127.0.0.2"];
    assert_eq!(names[1..], rest);
    assert!(checks.iter().all(|c| c.status == Status::Pass), "{checks:?}");
    assert!(find(&checks, "PTR").detail.contains(HELO));
    Ok(())
}

#[tokio::test]
async fn each_misconfiguration_gets_its_own_diagnosis() -> Result<()> {
    let app = spawn_app().await?;
    let good = Records::correct(&app).await?;
    let (dkim_name, dkim_value) = good.dkim[0].clone();
    let other_key = identity::add_domain(&app.store, &app.key, "other.lab.test", false).await?.1[0].1.clone();

    let mut r = good.clone();
    r.dkim.clear();
    assert_fails(&r.checks(&app).await?, "DKIM", "no DKIM record at");

    let mut r = good.clone();
    r.dkim = vec![(dkim_name.clone(), other_key.clone())];
    assert_fails(&r.checks(&app).await?, "DKIM", "does not match the stored key");

    let mut r = good.clone();
    r.dkim = vec![(dkim_name.clone(), dkim_value.clone()), (dkim_name.clone(), other_key)];
    assert_fails(&r.checks(&app).await?, "DKIM", "2 DKIM records");

    let mut r = good.clone();
    r.spf.clear();
    assert_fails(&r.checks(&app).await?, "SPF", "no SPF record at bounce.news.lab.test");

    let mut r = good.clone();
    r.spf.push("v=spf1 ip4:127.0.0.3 -all".into());
    assert_fails(&r.checks(&app).await?, "SPF", "2 SPF records");

    let mut r = good.clone();
    r.spf = vec!["v=spf1 ip4:127.0.0.3 -all".into()];
    let checks = r.checks(&app).await?;
    assert_fails(&checks, "SPF 127.0.0.2", "does not cover 127.0.0.2");
    assert!(
        find(&checks, "SPF 127.0.0.2").detail.contains("\"v=spf1 ip4:127.0.0.3 ip4:127.0.0.2 -all\""),
        "the fix merges the address into the existing record: {checks:?}"
    );

    let mut r = good.clone();
    r.spf = vec!["v=spf1 ip4:not-an-address -all".into()];
    assert_fails(&r.checks(&app).await?, "SPF 127.0.0.2", "permerror");

    // Nine lookups through includes: it works, one more include breaks it.
    let mut r = good.clone();
    r.spf = vec!["v=spf1 include:a.spf.lab.test ip4:127.0.0.2 -all".into()];
    let mut includes = Zone::default()
        .txt("a.spf.lab.test", "v=spf1 include:b.spf.lab.test a mx -all")
        .txt("b.spf.lab.test", "v=spf1 a mx ptr exists:x.lab.test a:y.lab.test -all");
    // Every name has an answer: SPF also limits lookups that find nothing.
    for host in ["a.spf.lab.test", "b.spf.lab.test", "x.lab.test", "y.lab.test"] {
        includes = includes.a(host, [127, 0, 0, 50]).mx(host, 10, host);
    }
    let checks = r.checks_with(&app, includes).await?;
    let lookups = find(&checks, "SPF lookups");
    assert_eq!(lookups.status, Status::Warn, "{checks:?}");
    assert!(lookups.detail.starts_with("9 of the 10 DNS lookups"), "{lookups:?}");

    // The configuration expects another PTR name for the address.
    let dns = Dns::start(good.zone()).await?;
    let resolver = identity::dns::Dns::new(&[dns.addr]).map_err(anyhow::Error::msg)?;
    let mut expecting = setup();
    expecting.ptr_names.insert(IpAddr::from(SOURCE), "mail.news.lab.test".into());
    let checks = check_domain(&app.store, &resolver, DOMAIN, &expecting, &[IpAddr::from(SOURCE)], English).await?;
    assert_fails(&checks, "PTR", "the PTR of 127.0.0.2 is mta.lab.test, not mail.news.lab.test");

    let mut r = good.clone();
    r.mx = false;
    assert_fails(&r.checks(&app).await?, "MX bounce", "bounces to bounce.news.lab.test cannot be delivered");

    let mut r = good.clone();
    r.dmarc = vec!["v=DMARC1; p=reject; rua=mailto:someone@elsewhere.example".into()];
    let checks = r.checks(&app).await?;
    let reports = find(&checks, "DMARC reports");
    assert_eq!(reports.status, Status::Warn, "{checks:?}");
    assert!(reports.detail.contains("add rua=mailto:reports@bounce.news.lab.test"), "{reports:?}");

    let mut r = good.clone();
    r.dmarc.clear();
    assert_fails(&r.checks(&app).await?, "DMARC", "no DMARC record");

    let mut r = good.clone();
    r.dmarc = vec!["v=DMARC1; p=sometimes".into()];
    assert_fails(&r.checks(&app).await?, "DMARC", "syntax error");

    let mut r = good.clone();
    r.dmarc = vec!["v=DMARC1; p=none".into()];
    let checks = r.checks(&app).await?;
    assert_eq!(find(&checks, "DMARC").status, Status::Warn, "p=none works but only reports");

    let mut r = good.clone();
    r.ptr = None;
    assert_fails(&r.checks(&app).await?, "PTR", "has no PTR record");

    let mut r = good.clone();
    r.forward = false;
    assert_fails(&r.checks(&app).await?, "PTR", "does not resolve back");
    Ok(())
}

#[tokio::test]
async fn a_domain_without_a_key_is_told_how_to_get_one() -> Result<()> {
    let app = spawn_app().await?;
    let dns = Dns::start(Zone::default()).await?;
    let resolver = identity::dns::Dns::new(&[dns.addr]).map_err(anyhow::Error::msg)?;
    let checks = check_domain(&app.store, &resolver, "Plain.lab.test.", &setup(), &[], English).await?;
    let dkim = find(&checks, "DKIM");
    assert_eq!(dkim.status, Status::Fail);
    assert!(dkim.detail.contains("ninsho domain add plain.lab.test"), "{dkim:?}");
    Ok(())
}

#[tokio::test]
async fn the_domains_page_checks_the_dns_and_names_each_fault() -> Result<()> {
    let dns = Dns::start(Zone::default()).await?;
    let app = tests::spawn_app_with(|c| {
        c.nameservers = vec![dns.addr];
        c.source_ips = vec![IpAddr::from(SOURCE)];
    })
    .await?;
    let mut records = Records::correct(&app).await?;
    records.dmarc.clear();
    dns.add(records.zone()).await;

    let browser = app.logged_in_browser().await?;
    browser.goto(&format!("{}/domains", app.url)).await?;
    browser.click("#check-dns").await?;
    let ok = browser.text(".check-ok").await?;
    assert!(ok.contains("DKIM r") && ok.contains("has the key"), "{ok}");
    let failed = browser.text(".check-fail").await?;
    assert!(failed.contains("DMARC") && failed.contains("no DMARC record at _dmarc.news.lab.test"), "{failed}");
    assert!(browser.text(".checks").await?.contains("mta.lab.test, which resolves back to 127.0.0.2"));
    assert!(browser.text(".verified").await?.contains("verified"), "the check verified the domain");

    // Source addresses from the dashboard: a bad one is named, good ones kept.
    browser.fill("form.ips input[name=ips]", "127.0.0.2 not-an-ip").await?;
    browser.click("form.ips button").await?;
    assert!(browser.text("#error").await?.contains("\"not-an-ip\" is not an IPv4 or IPv6 address"));
    browser.fill("form.ips input[name=ips]", "127.0.0.2 2001:db8::2").await?;
    browser.click("form.ips button").await?;
    let ips = app.store.domain_source_ips(DOMAIN).await?;
    assert_eq!(ips, vec![IpAddr::from(SOURCE), "2001:db8::2".parse::<IpAddr>()?]);

    // A rotation from the dashboard: the new key is listed, waiting for its record.
    browser.click("form.rotate button").await?;
    let records = browser.text("div.records").await?;
    assert!(records.contains("published before it signs"), "{records}");
    Ok(())
}

#[tokio::test]
async fn domain_names_are_normalised_or_refused_with_the_reason() -> Result<()> {
    let app = spawn_app().await?;
    let add = |name: &'static str| identity::add_domain(&app.store, &app.key, name, false);
    assert_eq!(add(" News.Lab.Test. ").await?.0.domain, "news.lab.test", "case, spaces and the final dot");
    assert_eq!(add("ニュース.lab.test").await?.0.domain, "xn--zck9awe6d.lab.test", "IDN in punycode");
    for bad in ["_dmarc.lab.test", "localhost", "a..lab.test", "-x.lab.test"] {
        let e = add(bad).await.expect_err(bad).to_string();
        assert!(e.contains("is not a domain name"), "{bad}: {e}");
    }
    Ok(())
}

#[tokio::test]
async fn an_unreachable_resolver_means_could_not_check_never_fail() -> Result<()> {
    let app = spawn_app().await?;
    Records::correct(&app).await?;
    // Nothing listens there: every lookup fails.
    let closed = std::net::UdpSocket::bind("127.0.0.1:0")?.local_addr()?;
    let wait = std::time::Duration::from_millis(300);
    let resolver = identity::dns::Dns::with_timeout(&[closed], wait).map_err(anyhow::Error::msg)?;
    let checks = check_domain(&app.store, &resolver, DOMAIN, &setup(), &[IpAddr::from(SOURCE)], English).await?;
    assert!(!checks.is_empty());
    assert!(
        checks.iter().all(|c| c.status == Status::Unknown && c.detail.starts_with("could not check")),
        "{checks:?}"
    );
    Ok(())
}

/// The lab world of the score tests: one sending domain per fault, each
/// otherwise correct, and the blocklists `bl.lab.test` (addresses),
/// `zen.lab.test` (answers like Spamhaus to a public resolver) and
/// `dbl.lab.test` (domains).
async fn score_world(app: &TestApp, dns: &Dns) -> Result<()> {
    use tests::lab::sender_zone;
    let (store, key) = (&app.store, &app.key);
    let good = ([127, 0, 0, 2], HELO);
    let zone = sender_zone(store, key, "good.lab.test", false, &[good]).await?;
    // Each fault: the correct zone of a new domain, minus or plus something.
    let faults: Vec<(&str, [u8; 4], &str)> = vec![
        ("nodkim.lab.test", [127, 0, 0, 2], HELO),
        ("nospf.lab.test", [127, 0, 0, 2], HELO),
        ("nodmarc.lab.test", [127, 0, 0, 2], HELO),
        ("noauth.lab.test", [127, 0, 0, 2], HELO),
        ("noptr.lab.test", [127, 0, 0, 3], "mta3.lab.test"),
        ("unconfirmed.lab.test", [127, 0, 0, 4], "mta4.lab.test"),
        ("generic.lab.test", [127, 0, 0, 5], "127-0-0-5.pool.lab.test"),
        ("listed.lab.test", [127, 0, 0, 6], "mta6.lab.test"),
        ("refused.lab.test", [127, 0, 0, 7], "mta7.lab.test"),
    ];
    for (domain, ip, helo) in &faults {
        let mut z = sender_zone(store, key, domain, false, &[(*ip, helo)]).await?;
        let selector = store.active_dkim_keys(domain).await?[0].selector.clone();
        z = match *domain {
            "nodkim.lab.test" => z.without(&format!("{selector}._domainkey.{domain}")),
            "nospf.lab.test" => z.without(&format!("bounce.{domain}")),
            "nodmarc.lab.test" => z.without(&format!("_dmarc.{domain}")),
            "noauth.lab.test" => z
                .without(&format!("{selector}._domainkey.{domain}"))
                .without(&format!("bounce.{domain}"))
                .txt(&format!("bounce.{domain}"), "v=spf1 ip4:127.0.0.99 -all"),
            "noptr.lab.test" => z.without("3.0.0.127.in-addr.arpa"),
            "unconfirmed.lab.test" => z.without("mta4.lab.test").a("mta4.lab.test", [127, 0, 0, 99]),
            "listed.lab.test" => z.a("6.0.0.127.bl.lab.test", [127, 0, 0, 2]),
            "refused.lab.test" => z.a("7.0.0.127.zen.lab.test", [127, 255, 255, 254]),
            _ => z,
        };
        store.set_domain_source_ips(domain, &[IpAddr::from(*ip)]).await?;
        dns.add(z).await;
    }
    dns.add(zone.a("spam.lab.test.dbl.lab.test", [127, 0, 1, 2])).await;
    store.set_domain_source_ips("good.lab.test", &[IpAddr::from(SOURCE)]).await?;
    Ok(())
}

/// A campaign from `news@<domain>` to one subscriber, changed by `edit`;
/// its score through the API: (score, unchecked, [(check, points deducted, reason)]).
async fn score_of(
    app: &TestApp,
    api: &tests::Api,
    domain: &str,
    edit: impl FnOnce(&mut store::CampaignFields),
) -> Result<(f64, u64, Vec<(String, f64, String)>)> {
    use tests::fixtures::{fields, list, subscriber};
    let list = list(&app.store, &format!("Readers of {domain} {}", tests::hex(&tests::rand_bytes::<4>()))).await?;
    let email = format!("reader{}@example.org", tests::hex(&tests::rand_bytes::<4>()));
    subscriber(&app.store, &email, "Reader", serde_json::json!({}), &[(list, domain::SubscriptionStatus::Confirmed)])
        .await?;
    let mut f = fields(&format!("Scored {domain}"), vec![list]);
    f.from_address = format!("news@{domain}");
    f.subject = "Our autumn sale starts today".into();
    f.body = "# Autumn sale\n\nOur autumn sale starts today with warm coats, wool scarves and boots for the \
              whole family. Every order over fifty euros ships free, and returns stay free for thirty days.\n\n\
              [See the coats](https://good.lab.test/coats)\n"
        .into();
    edit(&mut f);
    let id = app.store.save_campaign(None, &f).await?.id;
    let (status, body) = api.get(&format!("/campaigns/{id}/score")).await?;
    anyhow::ensure!(status == 200, "{status}: {body}");
    let deductions = body["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["deducted"].as_f64() > Some(0.0))
        .map(|f| {
            let check = f["check"].as_str().unwrap_or_default().to_owned();
            (check, f["deducted"].as_f64().unwrap_or_default(), f["reason"].as_str().unwrap_or_default().to_owned())
        })
        .collect();
    Ok((body["score"].as_f64().unwrap_or(-1.0), body["unchecked"].as_u64().unwrap_or(99), deductions))
}

#[tokio::test]
async fn a_correct_lab_domain_scores_ten_and_each_fault_loses_its_documented_points() -> Result<()> {
    use identity::score::cost;
    let dns = Dns::start(Zone::default()).await?;
    let app = tests::spawn_app_with(|c| {
        c.public_url = "https://good.lab.test".into();
        c.nameservers = vec![dns.addr];
        c.source_ips = vec![IpAddr::from(SOURCE)];
        c.blocklists = identity::score::Blocklists::new(
            &["bl.lab.test".into(), "zen.lab.test".into()],
            &["dbl.lab.test".into()],
            None,
        );
    })
    .await?;
    score_world(&app, &dns).await?;
    let api = app.api().await?;

    let (score, unchecked, deductions) = score_of(&app, &api, "good.lab.test", |_| {}).await?;
    assert_eq!((score, unchecked), (10.0, 0), "{deductions:?}");

    let points = |tenths: u32| f64::from(tenths) / 10.0;
    /// (check, points in tenths, what its reason says)
    type Deduction = (&'static str, u32, &'static str);
    let cases: Vec<(&str, &str, Vec<Deduction>)> = vec![
        ("nodkim.lab.test", "", vec![("DKIM", cost::DKIM_NONE, "does not verify")]),
        ("nospf.lab.test", "", vec![("SPF", cost::SPF_NOT_PASS, "gives none for 127.0.0.2")]),
        ("nodmarc.lab.test", "", vec![("DMARC", cost::DMARC_MISSING, "has no DMARC record")]),
        (
            "noauth.lab.test",
            "",
            vec![
                ("DKIM", cost::DKIM_NONE, "does not verify"),
                ("SPF", cost::SPF_NOT_PASS, "gives fail for 127.0.0.2"),
                ("DMARC", cost::DMARC_FAIL, "neither DKIM nor SPF passes aligned"),
            ],
        ),
        ("noptr.lab.test", "", vec![("PTR 127.0.0.3", cost::PTR_NONE, "127.0.0.3 has no PTR record")]),
        ("unconfirmed.lab.test", "", vec![("PTR 127.0.0.4", cost::PTR_NOT_CONFIRMED, "does not resolve back")]),
        ("generic.lab.test", "", vec![("PTR name", cost::PTR_GENERIC, "generic")]),
        ("listed.lab.test", "", vec![("127.0.0.6 on bl.lab.test", cost::IP_LISTED, "listed (127.0.0.2)")]),
        ("good.lab.test", "spam", vec![("spam.lab.test on dbl.lab.test", cost::DOMAIN_LISTED, "listed (127.0.1.2)")]),
        ("good.lab.test", "caps", vec![("Subject", cost::CAPS_SUBJECT, "in capitals")]),
        ("good.lab.test", "short", vec![("Links", cost::SHORTENER, "bit.ly")]),
        // Without the footer's identity block (its words would count as text).
        (
            "good.lab.test",
            "image",
            vec![
                ("Images and text", cost::IMAGE_ONLY, "1 image(s)"),
                ("Sender identity", cost::NO_SENDER_IDENTITY, "lacks name, postal address, contact"),
            ],
        ),
        ("good.lab.test", "text", vec![("Text matches HTML", cost::TEXT_MISMATCH, "the text part has only")]),
    ];
    for (domain, edit, expected) in cases {
        let kept = app.store.sender_identity(domain).await?;
        if edit == "image" {
            app.store.set_sender_identity(domain, &store::SenderIdentity::default()).await?;
        }
        let (score, _, deductions) = score_of(&app, &api, domain, |f| match edit {
            "spam" => f.body = f.body.replace("https://good.lab.test/coats", "https://spam.lab.test/coats"),
            "caps" => f.subject = "OUR AUTUMN SALE STARTS TODAY".into(),
            "short" => f.body = f.body.replace("https://good.lab.test/coats", "https://bit.ly/3coats"),
            "image" => {
                f.body = "![Sale](https://good.lab.test/sale.png)\n\n[Shop now](https://good.lab.test/)".into();
            }
            "text" => f.text_body = "View this message in a browser.".into(),
            _ => {}
        })
        .await?;
        let label = format!("{domain} {edit}");
        let found: Vec<(&str, f64)> = deductions.iter().map(|(c, p, _)| (c.as_str(), *p)).collect();
        let wanted: Vec<(&str, f64)> = expected.iter().map(|(c, p, _)| (*c, points(*p))).collect();
        assert_eq!(found, wanted, "{label}: {deductions:?}");
        for ((_, _, reason), (_, _, says)) in deductions.iter().zip(&expected) {
            assert!(reason.contains(says), "{label}: {reason:?} should say {says:?}");
        }
        let lost: f64 = wanted.iter().map(|(_, p)| p).sum();
        assert!((score - (10.0 - lost)).abs() < 1e-9, "{label}: {score}");
        app.store.set_sender_identity(domain, &kept).await?;
    }

    // Spamhaus's 127.255.255.x means the query was refused: could not
    // check, never listed, and no points lost.
    let (score, unchecked, deductions) = score_of(&app, &api, "refused.lab.test", |_| {}).await?;
    assert_eq!((score, unchecked), (10.0, 1), "{deductions:?}");

    // The editor links to the same score.
    let browser = app.logged_in_browser().await?;
    let campaigns = app.store.campaigns(100).await?;
    let good = campaigns.iter().filter(|c| c.name == "Scored good.lab.test").map(|c| c.id).min().unwrap_or_default();
    browser.goto(&format!("{}/campaigns/{good}", app.url)).await?;
    browser.click("#score-link").await?;
    assert_eq!(browser.text("#score").await?, "10.0");
    assert!(browser.text("#findings").await?.contains("Authentication"));
    Ok(())
}

#[tokio::test]
async fn txt_records_split_or_spaced_oddly_still_pass() -> Result<()> {
    let app = spawn_app().await?;
    let mut r = Records::correct(&app).await?;
    let (dkim_name, dkim_value) = r.dkim.remove(0);
    r.spf.clear();
    r.dmarc.clear();
    // Zone files split long values anywhere, even inside a tag or an
    // address; receivers join the strings with nothing between them.
    // (Each string holds at most 255 bytes.)
    let (a, rest) = dkim_value.split_at(9);
    let (b, rest) = rest.split_at(40);
    let (c, d) = rest.split_at(200);
    let odd = Zone::default()
        .txt_strings(&dkim_name, &[a, b, c, d])
        .txt_strings(&format!("bounce.{DOMAIN}"), &["v=spf1 ip4:127.0.", "0.2 -all"])
        .txt_strings(
            &format!("_dmarc.{DOMAIN}"),
            &["v=DMARC1;p=reject;", "  rua=mailto:reports@bounce.news.lab.test "],
        );
    let checks = r.checks_with(&app, odd).await?;
    assert!(checks.iter().all(|c| c.status == Status::Pass), "{checks:?}");
    assert_eq!(checks.len(), 7, "{checks:?}");
    Ok(())
}

#[tokio::test]
async fn keys_rotate_only_once_published_and_a_check_that_breaks_raises_an_alert() -> Result<()> {
    use chrono::{Duration, Utc};
    use identity::watch::Watch;
    let app = spawn_app().await?;
    app.create_admin("ops@example.jp", "orbit cactus lantern 47 violet").await?;
    // A second admin reads the dashboard, and so the alerts, in Japanese.
    app.create_admin("kanri@example.jp", "orbit cactus lantern 47 violet").await?;
    let (kanri, _) = app.store.admin_credentials("kanri@example.jp").await?.context("admin")?;
    app.store.set_admin_language(kanri.id, "ja").await?;
    let records = Records::correct(&app).await?;
    let dns = Dns::start(records.zone()).await?;
    // A new resolver for each round: the lab's answers are not cached between them.
    let watch = || -> Result<Watch> {
        Ok(Watch {
            store: app.store.clone(),
            dns: identity::dns::Dns::new(&[dns.addr]).map_err(anyhow::Error::msg)?,
            setup: setup(),
            source_ips: vec![IpAddr::from(SOURCE)],
            every: Duration::hours(6),
            grace: Duration::days(7),
        })
    };
    let from = format!("news@{DOMAIN}");
    let e = prepare::identity(&app.store, &from).await.expect_err("not verified before a check");
    assert!(e.to_string().contains("is not verified"), "{e}");

    let t0 = Utc::now();
    assert_eq!(watch()?.round(t0).await?, 1, "the new domain is checked at once");
    prepare::identity(&app.store, &from).await?;
    assert_eq!(watch()?.round(t0 + Duration::minutes(5)).await?, 0, "a verified domain waits for its next check");
    let old = app.store.active_dkim_keys(DOMAIN).await?[0].selector.clone();

    // A rotation: the new key waits for its record and the old one signs.
    let new = identity::rotate(&app.store, &app.key, DOMAIN).await?;
    assert_eq!(new.len(), 1);
    let again = identity::rotate(&app.store, &app.key, DOMAIN).await.expect_err("one rotation at a time");
    assert!(again.to_string().contains("rotation in progress"), "{again}");
    assert_eq!(watch()?.round(t0 + Duration::hours(7)).await?, 1, "due again after 6 hours");
    assert_eq!(app.store.active_dkim_keys(DOMAIN).await?[0].selector, old, "unpublished: the old key signs");
    let checks = app.store.domain_checks(DOMAIN).await?.map(|(_, c)| c.to_string()).unwrap_or_default();
    assert!(checks.contains("waiting for its record"), "{checks}");

    // Published: the new key signs, the old one stays in DNS for the grace period.
    dns.add(Zone::default().txt(&new[0].0, &new[0].1)).await;
    watch()?.round(t0 + Duration::hours(14)).await?;
    let active = app.store.active_dkim_keys(DOMAIN).await?;
    assert_eq!(active.len(), 1);
    assert_ne!(active[0].selector, old, "the new key signs");
    assert!(new[0].0.starts_with(&format!("{}._domainkey", active[0].selector)));
    let published: Vec<(String, KeyStatus)> =
        app.store.published_dkim_keys(DOMAIN).await?.into_iter().map(|k| (k.selector, k.status)).collect();
    assert!(published.contains(&(old.clone(), KeyStatus::Retiring)), "{published:?}");
    let signer = identity::signer(&app.store, &app.key, DOMAIN).await?.context("a signer")?;
    let signed = signer.sign(b"From: news@news.lab.test\r\nSubject: x\r\n\r\nHi\r\n")?;
    assert!(String::from_utf8_lossy(&signed).contains(&format!("s={}", active[0].selector)));

    watch()?.round(t0 + Duration::hours(14) + Duration::days(8)).await?;
    let published: Vec<String> = app.store.published_dkim_keys(DOMAIN).await?.into_iter().map(|k| k.selector).collect();
    assert!(!published.contains(&old), "retired after the grace period: {published:?}");

    // Something green breaks (a second DMARC record): an alert, by mail too.
    dns.add(Zone::default().txt(&format!("_dmarc.{DOMAIN}"), "v=DMARC1; p=none")).await;
    watch()?.round(t0 + Duration::days(9)).await?;
    let alerts = app.store.domain_alerts(10).await?;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!((alerts[0].0.as_str(), alerts[0].1.as_str()), (DOMAIN, "DMARC"));
    assert!(alerts[0].2.contains("2 DMARC records"), "{alerts:?}");
    let mail = app.store.outbound_messages(10).await?;
    let alert = mail.iter().find(|m| m.kind == "alert" && m.to_address == "ops@example.jp").context("an alert")?;
    assert!(alert.subject.contains("DMARC of news.lab.test broke"), "{}", alert.subject);
    let japanese = mail.iter().find(|m| m.kind == "alert" && m.to_address == "kanri@example.jp").context("alert")?;
    assert_eq!(japanese.subject, "ninsho: news.lab.test の DMARC チェックが失敗しています");
    assert!(japanese.text_body.contains("以前は成功していましたが") && japanese.text_body.contains("2 DMARC records"));
    // Still broken at the next check: no second alert.
    watch()?.round(t0 + Duration::days(10)).await?;
    assert_eq!(app.store.domain_alerts(10).await?.len(), 1);
    Ok(())
}

#[tokio::test]
async fn alert_webhooks_are_signed_retried_with_backoff_and_delivered_once() -> Result<()> {
    use chrono::{Duration, Utc};
    let app = spawn_app().await?;
    let (added, _) = identity::add_domain(&app.store, &app.key, DOMAIN, false).await?;
    let (url, hits) = tests::webhook_receiver(3).await?;
    app.store.set_alert_webhooks(std::slice::from_ref(&url)).await?;
    let mail = [store::AlertMail { language: "en".into(), subject: "subject".into(), text: "text".into() }];
    app.store.raise_alert(added.id, "DMARC", "news.lab.test has 2 DMARC records", &mail).await?;
    let sender = webhooks::Sender {
        store: app.store.clone(),
        client: webhooks::Sender::client(&tests::loopback_reach()).map_err(anyhow::Error::msg)?,
        reach: tests::loopback_reach(),
        key: app.key.clone(),
        lease: chrono::Duration::minutes(5),
        alert_secret: Some(b"lab secret".to_vec()),
    };
    let t0 = Utc::now();
    assert_eq!(sender.round(t0).await?, 1);
    assert_eq!(sender.round(t0 + Duration::seconds(10)).await?, 0, "the retry waits 30 s");
    assert_eq!(sender.round(t0 + Duration::seconds(31)).await?, 1);
    assert_eq!(sender.round(t0 + Duration::seconds(50)).await?, 0, "then 60 s");
    assert_eq!(sender.round(t0 + Duration::seconds(92)).await?, 1);
    assert_eq!(sender.round(t0 + Duration::seconds(213)).await?, 1, "then 120 s; this one succeeds");
    assert_eq!(sender.round(t0 + Duration::hours(1)).await?, 0, "delivered: never again");

    let hits = hits.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    assert_eq!(hits.len(), 4, "three failures, one success");
    let (status, headers, body) = &hits[3];
    assert_eq!(*status, 200);
    let payload: serde_json::Value = serde_json::from_slice(body)?;
    assert_eq!(payload["event"], "alert");
    assert_eq!(payload["domain"], DOMAIN);
    assert_eq!(payload["what"], "DMARC");
    let timestamp: i64 = headers["ninsho-timestamp"].to_str()?.parse()?;
    let expected = format!("v1={}", webhooks::signature(b"lab secret", timestamp, body));
    assert_eq!(headers["ninsho-signature"].to_str()?, expected, "the signature verifies");
    let forged = format!("v1={}", webhooks::signature(b"other secret", timestamp, body));
    assert_ne!(headers["ninsho-signature"].to_str()?, forged);
    let log = app.store.webhook_deliveries(10).await?;
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].2.as_str(), log[0].3), ("delivered", 4), "{log:?}");
    Ok(())
}

#[tokio::test]
async fn behind_a_relay_spf_must_name_it_and_ptr_is_the_relays() -> Result<()> {
    let app = spawn_app().await?;
    let mut records = Records::correct(&app).await?;
    // No PTR of our own: the relay's addresses send.
    records.ptr = None;
    let relay =
        identity::RelaySetup { host: "smtp.relay.test".into(), spf_include: Some("include:_spf.relay.test".into()) };
    let setup = identity::Setup { relay: Some(relay), ..setup() };
    let (store, setup_ref) = (&app.store, &setup);
    let run = |records: &Records| {
        let zone = records.zone().txt("_spf.relay.test", "v=spf1 ip4:192.0.2.0/24 -all");
        async move {
            let dns = Dns::start(zone).await?;
            let resolver = identity::dns::Dns::new(&[dns.addr]).map_err(anyhow::Error::msg)?;
            Ok::<_, anyhow::Error>(check_domain(store, &resolver, DOMAIN, setup_ref, &[], English).await?)
        }
    };
    // The ip4 record names no relay: SPF fails and says what to publish.
    let checks = run(&records).await?;
    assert_fails(&checks, "SPF", "v=spf1 ip4:127.0.0.2 include:_spf.relay.test -all");
    let ptr = find(&checks, "PTR");
    assert!(ptr.status == Status::Pass && ptr.detail.contains("smtp.relay.test"), "{ptr:?}");
    // With the include, everything passes.
    records.spf = vec!["v=spf1 include:_spf.relay.test -all".into()];
    let checks = run(&records).await?;
    assert!(checks.iter().all(|c| c.status == Status::Pass), "{checks:?}");
    // The records to publish ask for the include and no PTR.
    let keys = app.store.active_dkim_keys(DOMAIN).await?;
    let suggested = identity::records(DOMAIN, &keys, &setup, &[], None, English);
    assert!(
        suggested.iter().any(|r| r.kind == "TXT" && r.value == "v=spf1 include:_spf.relay.test -all"),
        "{suggested:?}"
    );
    assert!(suggested.iter().all(|r| r.kind != "PTR"));
    Ok(())
}

#[tokio::test]
async fn sending_domains_are_added_checked_and_rotated_through_the_api() -> Result<()> {
    let dns = Dns::start(Zone::default()).await?;
    let app = tests::spawn_app_with(|c| c.nameservers = vec![dns.addr]).await?;
    let api = app.api().await?;
    let (status, added) = api.post("/domains", serde_json::json!({ "domain": DOMAIN })).await?;
    assert_eq!(status, 201, "{added}");
    let records = added["records"].as_array().context("records")?;
    let dkim = records
        .iter()
        .find(|r| r["name"].as_str().is_some_and(|n| n.contains("._domainkey.")))
        .context("a DKIM record")?;
    assert_eq!(dkim["type"], "TXT");
    assert!(added["verified_at"].is_null());
    let (status, again) = api.post("/domains", serde_json::json!({ "domain": DOMAIN })).await?;
    assert_eq!(status, 409, "{again}");
    let (status, bad) = api.post("/domains", serde_json::json!({ "domain": "not a domain" })).await?;
    assert_eq!((status, bad["field"].as_str()), (422, Some("domain")), "{bad}");

    // Checked now, as receivers see it: the key published, nothing else yet.
    let check = |checks: &serde_json::Value, what: &str| {
        checks
            .as_array()
            .and_then(|c| c.iter().find(|c| c["what"].as_str().is_some_and(|w| w.starts_with(what))).cloned())
    };
    let name = dkim["name"].as_str().context("name")?;
    dns.add(Zone::default().txt(name, dkim["value"].as_str().context("value")?)).await;
    let (status, checks) = api.get(&format!("/domains/{DOMAIN}/checks")).await?;
    assert_eq!(status, 200, "{checks}");
    assert_eq!(check(&checks, "DKIM").context("a DKIM check")?["status"], "pass", "{checks}");
    let dmarc = check(&checks, "DMARC").context("a DMARC check")?;
    assert_eq!(dmarc["status"], "fail", "{checks}");
    assert!(dmarc["detail"].as_str().is_some_and(|d| d.contains("v=DMARC1; p=none")), "the fix is said: {dmarc}");

    let (status, rotated) = api.post(&format!("/domains/{DOMAIN}/rotate"), serde_json::json!({})).await?;
    assert_eq!(status, 200, "{rotated}");
    assert!(rotated["records"].as_array().is_some_and(|r| r.iter().any(|r| r["pending"] == true)), "{rotated}");
    let (status, _) = api.get("/domains/nowhere.example/checks").await?;
    assert_eq!(status, 404);
    Ok(())
}
