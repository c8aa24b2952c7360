//! The relay transport against lab smarthosts (ninsho's own SMTP server
//! with a mailbox that wants a login): one that requires STARTTLS and AUTH
//! and takes the mail, one that refuses the login, one that defers and
//! refuses recipients. Messages arrive signed for their author domain and
//! verify; deferrals are retried; a refused login bounces nobody; the
//! password never shows in the logs or the message log.

use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use anyhow::{Context, Result};
use chrono::{Duration, Utc};
use delivery::relay::{Relay, RelayConfig};
use delivery::{Engine, EngineConfig};
use serde_json::json;
use smtpd::{Envelope, Mailbox};
use tests::lab::TestCa;
use tests::{TestApp, spawn_app};

const PASSWORD: &str = "relay-pass-7f3e9c21";

/// A smarthost: takes mail only after a login, as `script` says.
#[derive(Clone)]
struct Smarthost {
    kept: Arc<Mutex<Vec<Envelope<String>>>>,
    /// Every login is refused.
    refuse_logins: bool,
    /// The first N messages get a 451.
    defer_first: Arc<Mutex<usize>>,
    /// These recipients get `550 5.1.1`.
    unknown: Vec<String>,
}

impl Mailbox for Smarthost {
    type Identity = String;
    type Error = std::convert::Infallible;

    fn offers_auth(&self) -> bool {
        true
    }

    async fn authenticate(&self, _: std::net::IpAddr, user: &str, password: &str) -> Result<String, String> {
        if !self.refuse_logins && user == "ninsho" && password == PASSWORD {
            Ok(user.to_owned())
        } else {
            Err("535 5.7.8 Authentication credentials invalid".into())
        }
    }

    async fn accepts(&self, _: Option<&String>, address: &str) -> Option<String> {
        self.unknown.iter().any(|u| u == address).then(|| format!("550 5.1.1 <{address}>: Recipient address rejected"))
    }

    async fn deliver(&self, envelope: Envelope<String>) -> Result<String, Self::Error> {
        {
            let mut left = self.defer_first.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if *left > 0 {
                *left -= 1;
                return Ok("451 4.3.0 Temporary local problem, try again".into());
            }
        }
        self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(envelope);
        Ok("250 2.0.0 Ok: queued".into())
    }
}

impl Smarthost {
    fn new(refuse_logins: bool, defer_first: usize, unknown: &[&str]) -> Self {
        Self {
            kept: Arc::default(),
            refuse_logins,
            defer_first: Arc::new(Mutex::new(defer_first)),
            unknown: unknown.iter().map(|u| (*u).to_owned()).collect(),
        }
    }

    fn kept(&self) -> Vec<Envelope<String>> {
        self.kept.lock().map(|k| k.clone()).unwrap_or_default()
    }
}

/// The smarthost on localhost with a certificate of the test CA; its port.
async fn start(
    host: &Smarthost,
    ca: &TestCa,
    implicit_tls: bool,
) -> Result<(u16, tokio_util::sync::CancellationToken)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let config = smtpd::ListenerConfig {
        hostname: "localhost".into(),
        tls: Some(ca.issue("localhost")?.server_config()?),
        implicit_tls,
        ..Default::default()
    };
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(smtpd::serve(listener, config, host.clone(), stop.clone()));
    Ok((port, stop))
}

fn relay(ca: &TestCa, port: u16, implicit_tls: bool) -> Result<Relay> {
    Ok(Relay::new(RelayConfig {
        host: "localhost".into(),
        port,
        implicit_tls,
        username: Some("ninsho".into()),
        password: Some(PASSWORD.into()),
        connections: 4,
        per_second: 0,
        hello: "mta.shop.example".into(),
        roots_pem: Some(std::fs::read(&ca.pem_file)?),
        timeout: StdDuration::from_secs(20),
    })?)
}

/// Queues transactional messages to `emails` from shop.example: their ids.
async fn queue(app: &TestApp, emails: &[&str]) -> Result<Vec<String>> {
    let api = app.api().await?;
    let recipients: Vec<_> = emails.iter().map(|e| json!({ "email": e })).collect();
    let body = json!({
        "from_address": "orders@shop.example",
        "subject": "Receipt",
        "body": "Thank you.",
        "recipients": recipients,
    });
    let (status, answer) = api.post("/tx", body).await?;
    anyhow::ensure!(status == 202, "{answer}");
    Ok(answer["messages"]
        .as_array()
        .context("messages")?
        .iter()
        .filter_map(|m| m["id"].as_str().map(str::to_owned))
        .collect())
}

async fn entry(app: &TestApp, id: &str) -> Result<store::LogEntry> {
    app.store.log_entry(store::LogId::parse(id).context("an id")?).await?.context("in the log")
}

/// Everything logged while `f` runs on this thread.
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn mail_goes_through_a_relay_with_starttls_and_a_login_signed_for_its_author() -> Result<()> {
    let logged = Arc::new(Mutex::new(Vec::new()));
    let writer = logged.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || Logs(writer.clone()))
        .finish();
    let _logging = tracing::subscriber::set_default(subscriber);

    let app = spawn_app().await?;
    let ca = TestCa::new()?;
    let (_, records) = identity::add_domain(&app.store, &app.key, "shop.example", false).await?;
    for implicit_tls in [false, true] {
        let host = Smarthost::new(false, 0, &[]);
        let (port, _stop) = start(&host, &ca, implicit_tls).await?;
        let ids = queue(&app, &["ann@example.org", "bob@example.net"]).await?;
        let config = EngineConfig { public_url: app.url.clone(), ..Default::default() };
        let mut engine = Engine::new(app.store.clone(), app.key.clone(), config, relay(&ca, port, implicit_tls)?);
        engine.tick(Utc::now()).await?;
        let kept = host.kept();
        assert_eq!(kept.len(), 2, "both through the relay (implicit TLS: {implicit_tls})");
        for envelope in &kept {
            assert!(envelope.tls, "over TLS");
            assert_eq!(envelope.identity.as_deref(), Some("ninsho"), "after the login");
            assert!(envelope.mail_from.ends_with("@bounce.shop.example"), "a VERP envelope: {}", envelope.mail_from);
            let verdicts = message::dkim::verify(&envelope.data, &records).await;
            assert!(verdicts.iter().any(|v| v.passed() && v.domain == "shop.example"), "{verdicts:?}");
        }
        for id in &ids {
            let e = entry(&app, id).await?;
            assert_eq!(e.status, "delivered", "{e:?}");
            let attempts = app.store.log_attempts(store::LogId::parse(id).context("id")?).await?;
            assert_eq!(attempts[0].mx.as_deref(), Some("localhost"), "{attempts:?}");
            assert_eq!(attempts[0].code, Some(250));
        }
    }
    let logs = String::from_utf8_lossy(&logged.lock().map(|l| l.clone()).unwrap_or_default()).into_owned();
    assert!(!logs.contains(PASSWORD), "the password is in the logs");
    Ok(())
}

#[tokio::test]
async fn a_refused_login_defers_everything_and_bounces_nobody() -> Result<()> {
    let logged = Arc::new(Mutex::new(Vec::new()));
    let writer = logged.clone();
    let subscriber = tracing_subscriber::fmt().with_writer(move || Logs(writer.clone())).finish();
    let _logging = tracing::subscriber::set_default(subscriber);

    let app = spawn_app().await?;
    let ca = TestCa::new()?;
    identity::add_domain(&app.store, &app.key, "shop.example", false).await?;
    let host = Smarthost::new(true, 0, &[]);
    let (port, _stop) = start(&host, &ca, false).await?;
    let ids = queue(&app, &["ann@example.org"]).await?;
    let config = EngineConfig { public_url: app.url.clone(), ..Default::default() };
    let mut engine = Engine::new(app.store.clone(), app.key.clone(), config, relay(&ca, port, false)?);
    engine.tick(Utc::now()).await?;
    assert!(host.kept().is_empty());
    let e = entry(&app, &ids[0]).await?;
    assert_eq!(e.status, "deferred", "{e:?}");
    assert!(e.last_reply.as_deref().is_some_and(|r| r.contains("refused our login")), "{e:?}");
    assert!(!app.store.is_suppressed(&domain::EmailAddress::parse("ann@example.org")?).await?, "nobody is suppressed");
    let logs = String::from_utf8_lossy(&logged.lock().map(|l| l.clone()).unwrap_or_default()).into_owned();
    assert!(logs.contains("refused our login"), "the operator is told: {logs}");
    assert!(!logs.contains(PASSWORD), "the password is in the logs");
    assert!(!e.last_reply.unwrap_or_default().contains(PASSWORD));
    Ok(())
}

#[tokio::test]
async fn a_relay_that_defers_is_tried_again_and_its_refusals_bounce_as_an_mx_would() -> Result<()> {
    let app = spawn_app().await?;
    let ca = TestCa::new()?;
    identity::add_domain(&app.store, &app.key, "shop.example", false).await?;
    let host = Smarthost::new(false, 1, &["gone@example.org"]);
    let (port, _stop) = start(&host, &ca, false).await?;
    let ids = queue(&app, &["ann@example.org", "gone@example.org"]).await?;
    let config = EngineConfig { public_url: app.url.clone(), ..Default::default() };
    let mut engine = Engine::new(app.store.clone(), app.key.clone(), config, relay(&ca, port, false)?);
    let now = Utc::now();
    engine.tick(now).await?;
    let ann = entry(&app, &ids[0]).await?;
    assert_eq!(ann.status, "deferred", "the relay's 451: {ann:?}");
    let gone = entry(&app, &ids[1]).await?;
    assert_eq!(gone.status, "bounced", "{gone:?}");
    assert!(app.store.is_suppressed(&domain::EmailAddress::parse("gone@example.org")?).await?, "a 5.1.1 suppresses");

    assert_eq!(engine.tick(now + Duration::seconds(5)).await?, 0, "not before its retry time");
    engine.tick(now + Duration::hours(2)).await?;
    assert_eq!(entry(&app, &ids[0]).await?.status, "delivered");
    assert_eq!(host.kept().len(), 1);
    let attempts = app.store.log_attempts(store::LogId::parse(&ids[0]).context("id")?).await?;
    let statuses: Vec<&str> = attempts.iter().map(|a| a.status.as_str()).collect();
    assert_eq!(statuses, ["deferred", "sent"], "{attempts:?}");
    Ok(())
}
