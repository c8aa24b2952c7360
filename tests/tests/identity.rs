//! A sending domain's DNS checked in the lab, as receivers will see it: a
//! correct domain passes, and each misconfiguration gets its own diagnosis.

use std::net::IpAddr;

use anyhow::Result;
use delivery::doctor::{Check, Status, check_domain};
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
}

impl Records {
    async fn correct(app: &TestApp) -> Result<Self> {
        let (_, dkim) = delivery::identity::add_domain(&app.store, &app.key, DOMAIN, false).await?;
        Ok(Self {
            dkim,
            spf: vec!["v=spf1 ip4:127.0.0.2 -all".into()],
            dmarc: vec!["v=DMARC1; p=reject; rua=mailto:dmarc@news.lab.test".into()],
            ptr: Some(HELO),
            forward: true,
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
        if let Some(name) = self.ptr {
            zone = zone.ptr(SOURCE, name);
            zone = zone.a(name, if self.forward { SOURCE } else { [127, 0, 0, 99] });
        }
        zone
    }

    async fn checks(&self, app: &TestApp) -> Result<Vec<Check>> {
        let dns = Dns::start(self.zone()).await?;
        let resolver = delivery::dns::Dns::new(&[dns.addr]).map_err(anyhow::Error::msg)?;
        Ok(check_domain(&app.store, &resolver, DOMAIN, "bounce", &[IpAddr::from(SOURCE)]).await?)
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
    assert_eq!(names.len(), 4, "DKIM, SPF, DMARC, PTR: {names:?}");
    assert!(checks.iter().all(|c| c.status == Status::Pass), "{checks:?}");
    assert!(find(&checks, "PTR").detail.contains(HELO));
    Ok(())
}

#[tokio::test]
async fn each_misconfiguration_gets_its_own_diagnosis() -> Result<()> {
    let app = spawn_app().await?;
    let good = Records::correct(&app).await?;
    let (dkim_name, dkim_value) = good.dkim[0].clone();
    let other_key = delivery::identity::add_domain(&app.store, &app.key, "other.lab.test", false).await?.1[0].1.clone();

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
    assert_fails(&r.checks(&app).await?, "SPF", "does not cover 127.0.0.2");

    let mut r = good.clone();
    r.spf = vec!["v=spf1 ip4:not-an-address -all".into()];
    assert_fails(&r.checks(&app).await?, "SPF", "permerror");

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
    let resolver = delivery::dns::Dns::new(&[dns.addr]).map_err(anyhow::Error::msg)?;
    let checks = check_domain(&app.store, &resolver, "Plain.lab.test.", "bounce", &[]).await?;
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
    Ok(())
}

#[tokio::test]
async fn domain_names_are_normalised_or_refused_with_the_reason() -> Result<()> {
    let app = spawn_app().await?;
    let add = |name: &'static str| delivery::identity::add_domain(&app.store, &app.key, name, false);
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
    let resolver = delivery::dns::Dns::with_timeout(&[closed], wait).map_err(anyhow::Error::msg)?;
    let checks = check_domain(&app.store, &resolver, DOMAIN, "bounce", &[IpAddr::from(SOURCE)]).await?;
    assert!(!checks.is_empty());
    assert!(
        checks.iter().all(|c| c.status == Status::Unknown && c.detail.starts_with("could not check")),
        "{checks:?}"
    );
    Ok(())
}
