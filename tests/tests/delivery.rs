//! Direct-to-MX delivery in the lab: real SMTP sinks with STARTTLS on
//! 127.0.0.x, found through an authoritative DNS server serving the test
//! zones, each accepted message checked as a receiving server would (DKIM,
//! SPF, DMARC, the PTR of the connecting address).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration as StdDuration;

use anyhow::{Context, Result};
use chrono::{DateTime, Duration, Utc};
use delivery::shaping::Shaping;
use delivery::smtp::{Smtp, Timeouts};
use delivery::{Engine, EngineConfig};
use domain::{CampaignStatus, DeliveryStatus, EmailAddress, OutboxStatus, SubscriberStatus, SubscriptionStatus};
use identity::dns::Dns as Resolver;
use store::DeliveryRow;
use tests::fixtures::{fields, list, subscriber};
use tests::lab::{
    Certificate, Dns, PolicyServer, Script, Sink, TestCa, TransportOptions as Options, Zone, check, transport,
};
use tests::{TestApp, spawn_app};

const FROM_DOMAIN: &str = "news.lab.test";
use tests::lab::SOURCE;
const HELO: &str = "mta.lab.test";

async fn sender_zone(app: &TestApp) -> Result<Zone> {
    tests::lab::sender_zone(&app.store, &app.key, FROM_DOMAIN, true, &[(SOURCE, HELO)]).await
}

fn engine(app: &TestApp, smtp: Smtp) -> Engine<Smtp> {
    let config =
        EngineConfig { public_url: app.url.clone(), batch: 100, lease: Duration::minutes(5), ..Default::default() };
    Engine::new(app.store.clone(), app.key.clone(), config, smtp)
}

/// Subscribes `emails` to a new list and schedules a campaign from the lab
/// domain to it at `now`.
async fn campaign(app: &TestApp, emails: &[&str], now: DateTime<Utc>) -> Result<i64> {
    let weekly = list(&app.store, &format!("Weekly for {}", emails.first().unwrap_or(&""))).await?;
    for email in emails {
        subscriber(&app.store, email, "Reader", serde_json::json!({}), &[(weekly, SubscriptionStatus::Confirmed)])
            .await?;
    }
    let mut f = fields("Lab", vec![weekly]);
    f.from_address = format!("news@{FROM_DOMAIN}");
    let campaign = app.store.save_campaign(None, &f).await?;
    app.store.schedule_campaign(campaign.id, now, None).await?;
    Ok(campaign.id)
}

async fn rows(app: &TestApp, campaign: i64) -> Result<Vec<DeliveryRow>> {
    Ok(app.store.campaign_deliveries(campaign, 100).await?)
}

fn row<'a>(rows: &'a [DeliveryRow], email: &str) -> Result<&'a DeliveryRow> {
    rows.iter().find(|r| r.email == email).with_context(|| format!("a delivery to {email}"))
}

#[tokio::test]
async fn messages_reach_the_mx_over_verified_tls_and_pass_dkim_spf_dmarc_and_iprev() -> Result<()> {
    let app = spawn_app().await?;
    let ca = TestCa::new()?;
    let script = Script { unknown_users: vec!["gone@example.org".into()], ..Script::default() };
    let sink = Sink::start([127, 0, 0, 10], 0, ca.issue("mx.example.org")?, script).await?;
    let zone = sender_zone(&app)
        .await?
        .mx("example.org", 10, "mx.example.org")
        .a("mx.example.org", [127, 0, 0, 10])
        .null_mx("nomail.lab.test");
    let dns = Dns::start(zone).await?;
    let smtp = transport(&dns, &ca, sink.addr.port(), Options::default()).await?;
    let now = Utc::now();
    let recipients = ["ann@example.org", "bob@example.org", "gone@example.org", "x@nomail.lab.test", "y@void.lab.test"];
    let id = campaign(&app, &recipients, now).await?;

    assert_eq!(engine(&app, smtp).tick(now).await?, 5);

    let rows = rows(&app, id).await?;
    for email in ["ann@example.org", "bob@example.org"] {
        let r = row(&rows, email)?;
        assert_eq!((r.status.as_str(), r.last_code), ("delivered", Some(250)), "{r:?}");
        assert_eq!((r.mx.as_deref(), r.tls.map(|s| s.as_str())), (Some("mx.example.org"), Some("verified")));
    }
    let gone = row(&rows, "gone@example.org")?;
    assert_eq!(
        (gone.status.as_str(), gone.last_code, gone.last_enhanced.as_deref()),
        ("bounced", Some(550), Some("5.1.1"))
    );
    let nomail = row(&rows, "x@nomail.lab.test")?;
    assert_eq!(nomail.status, DeliveryStatus::Bounced);
    assert!(nomail.last_reply.as_deref().is_some_and(|r| r.contains("null MX")), "{nomail:?}");
    let void = row(&rows, "y@void.lab.test")?;
    assert_eq!(void.status, DeliveryStatus::Bounced);
    assert!(void.last_reply.as_deref().is_some_and(|r| r.contains("does not exist")), "{void:?}");
    for dead in ["gone@example.org", "x@nomail.lab.test", "y@void.lab.test"] {
        assert!(app.store.is_suppressed(&EmailAddress::parse(dead)?).await?, "{dead} is suppressed");
    }

    let received = sink.received();
    assert_eq!(received.len(), 2, "only the two real mailboxes got mail");
    assert_eq!(sink.connections(), 1, "one connection carried every message to the MX");
    for r in &received {
        assert!(r.tls, "sent over STARTTLS");
        assert_eq!(r.helo, HELO, "EHLO is the PTR name of the source address");
        assert_eq!(r.peer, IpAddr::from(SOURCE), "sent from the configured source address");
        let bounced = message::verp::parse(&app.key, &r.mail_from).context("a VERP bounce address")?;
        assert!(r.mail_from.ends_with(&format!("@bounce.{FROM_DOMAIN}")), "{}", r.mail_from);
        let delivery = message::verp::Bounced::Delivery(row(&rows, &r.rcpt)?.id);
        assert_eq!(bounced, delivery, "the bounce address names this recipient's delivery");

        let verdict = check(dns.addr, r).await?;
        assert_eq!(
            verdict.dkim_pass,
            vec![FROM_DOMAIN.to_owned(); 2],
            "RSA and Ed25519 signatures of the author domain"
        );
        assert_eq!(verdict.spf, "pass");
        assert!(verdict.dmarc_dkim && verdict.dmarc_spf, "DMARC passes aligned through both: {verdict:?}");
        assert_eq!(verdict.ptr, vec![HELO.to_owned()], "the connecting address has a PTR that resolves back");
    }
    Ok(())
}

/// What Python's `email` package (an independent decoder) reads in a
/// message: subject, From's display name, the text and the HTML part.
fn decoded_by_python(raw: &[u8]) -> Result<serde_json::Value> {
    let file = tempfile::NamedTempFile::new()?;
    std::fs::write(file.path(), raw)?;
    let script = "import email, email.policy, json, sys\n\
        m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)\n\
        parts = {p.get_content_type(): p.get_content() for p in m.walk() if p.get_content_maintype() == 'text'}\n\
        print(json.dumps({'subject': str(m['subject']), 'from': m['from'].addresses[0].display_name,\n\
            'charsets': [p.get_content_charset() for p in m.walk() if p.get_content_maintype() == 'text'],\n\
            'text': parts.get('text/plain', ''), 'html': parts.get('text/html', '')}))\n";
    let out = std::process::Command::new("python3").arg("-c").arg(script).arg(file.path()).output()?;
    anyhow::ensure!(out.status.success(), "python3: {}", String::from_utf8_lossy(&out.stderr));
    Ok(serde_json::from_slice(&out.stdout)?)
}

#[tokio::test]
async fn an_iso_2022_jp_campaign_goes_out_in_seven_bit_jis_that_passes_dkim_and_decodes_elsewhere() -> Result<()> {
    let app = spawn_app().await?;
    let ca = TestCa::new()?;
    let sink = Sink::start([127, 0, 0, 10], 0, ca.issue("mx.example.org")?, Script::default()).await?;
    let zone = sender_zone(&app).await?.mx("example.org", 10, "mx.example.org").a("mx.example.org", [127, 0, 0, 10]);
    let dns = Dns::start(zone).await?;
    let smtp = transport(&dns, &ca, sink.addr.port(), Options::default()).await?;
    let news = list(&app.store, "週刊ニュース").await?;
    app.store.set_list_language(news, "ja").await?;
    // 髙 is outside JIS X 0208: a subscriber's name may hold it; it goes out as 〓.
    subscriber(
        &app.store,
        "hanako@example.org",
        "山田 髙子",
        serde_json::json!({}),
        &[(news, SubscriptionStatus::Confirmed)],
    )
    .await?;
    let mut f = fields("冬", vec![news]);
    f.from_address = format!("news@{FROM_DOMAIN}");
    f.from_name = "ショップ通信".into();
    f.subject = "【冬のセール】{{ subscriber.name }}様へのご案内".into();
    f.body = "# 冬のセール\n\n大阪の冬のセールが始まりました。[会場へ](https://shop.example/sale)\n".into();
    f.language = "ja".into();
    f.charset = "iso-2022-jp".into();
    let campaign = app.store.save_campaign(None, &f).await?;
    let now = Utc::now();
    app.store.schedule_campaign(campaign.id, now, None).await?;
    assert_eq!(engine(&app, smtp).tick(now).await?, 1);

    let received = sink.received();
    let r = received.first().context("delivered")?;
    let raw = &r.data;
    assert!(raw.is_ascii(), "7bit on the wire");
    assert!(raw.split(|b| *b == b'\n').all(|line| line.len() <= 998));
    let text = String::from_utf8_lossy(raw);
    assert!(text.contains("Subject: =?ISO-2022-JP?B?"), "{text}");
    assert_eq!(text.matches("Content-Type: text/plain; charset=\"ISO-2022-JP\"").count(), 1, "{text}");
    assert_eq!(text.matches("Content-Transfer-Encoding: 7bit").count(), 2, "{text}");
    // Signed over the encoded bytes: the receiver's check passes.
    let verdict = check(dns.addr, r).await?;
    assert_eq!(verdict.dkim_pass, vec![FROM_DOMAIN.to_owned(); 2]);
    assert!(verdict.dmarc_dkim, "{verdict:?}");

    let read = decoded_by_python(raw)?;
    assert_eq!(read["subject"], "【冬のセール】山田 〓子様へのご案内");
    assert_eq!(read["from"], "ショップ通信");
    assert_eq!(read["charsets"], serde_json::json!(["iso-2022-jp", "iso-2022-jp"]));
    let (plain, html) = (read["text"].as_str().unwrap_or_default(), read["html"].as_str().unwrap_or_default());
    assert!(plain.contains("大阪の冬のセールが始まりました。") && plain.contains("配信停止: http"), "{plain}");
    assert!(html.contains("<html lang=\"ja\">") && html.contains("charset=\"iso-2022-jp\""), "{html}");
    assert!(html.contains("大阪の冬のセールが始まりました。") && html.contains("発行：Lab Shop Ltd."), "{html}");
    Ok(())
}

/// A shaping file where `strict.lab.test`'s MX requires TLS.
fn strict_shaping() -> Result<Shaping> {
    let text = format!(
        "{}\n[destinations.strict]\nmx_suffixes = [\"strict.lab.test\"]\ntls = \"required\"\n",
        delivery::shaping::BUILTIN
    );
    Shaping::parse(&text).map_err(anyhow::Error::msg)
}

#[tokio::test]
async fn receivers_that_defer_throttle_drop_stall_or_lack_tls_are_handled_as_their_replies_mean() -> Result<()> {
    let app = spawn_app().await?;
    let ca = TestCa::new()?;
    let defer =
        Sink::start([127, 0, 0, 11], 0, ca.issue("mx.defer.lab.test")?, Script { defer_first: 1, ..Script::default() })
            .await?;
    let port = defer.addr.port();
    let throttle = Sink::start(
        [127, 0, 0, 12],
        port,
        ca.issue("mx.throttle.lab.test")?,
        Script { throttle: true, ..Script::default() },
    )
    .await?;
    let drop = Sink::start(
        [127, 0, 0, 13],
        port,
        ca.issue("mx.drop.lab.test")?,
        Script { drop_in_data: 1, ..Script::default() },
    )
    .await?;
    let plain = Sink::start(
        [127, 0, 0, 14],
        port,
        ca.issue("mx.plain.lab.test")?,
        Script { no_starttls: true, ..Script::default() },
    )
    .await?;
    let untrusted =
        Sink::start([127, 0, 0, 15], port, Certificate::self_signed("mx.untrusted.lab.test")?, Script::default())
            .await?;
    let slow = Script { delay: StdDuration::from_millis(600), ..Script::default() };
    let slow = Sink::start([127, 0, 0, 16], port, ca.issue("mx.slow.lab.test")?, slow).await?;
    let mut zone = sender_zone(&app).await?;
    for (domain, ip) in [("defer", 11), ("throttle", 12), ("drop", 13), ("plain", 14), ("untrusted", 15), ("slow", 16)]
    {
        let mx = format!("mx.{domain}.lab.test");
        zone = zone.mx(&format!("{domain}.lab.test"), 10, &mx).a(&mx, [127, 0, 0, ip]);
    }
    // strict.lab.test is served by the sink without STARTTLS, but requires TLS.
    zone = zone.mx("strict.lab.test", 10, "mx.strict.lab.test").a("mx.strict.lab.test", [127, 0, 0, 14]);
    let dns = Dns::start(zone).await?;
    // Replies slower than the command timeout count as no reply.
    let timeouts = Timeouts { command: StdDuration::from_millis(300), ..Timeouts::default() };
    let smtp =
        transport(&dns, &ca, port, Options { shaping: strict_shaping()?, timeouts, ..Options::default() }).await?;
    let now = Utc::now();
    let recipients = [
        "a@defer.lab.test",
        "a@throttle.lab.test",
        "b@throttle.lab.test",
        "a@drop.lab.test",
        "a@plain.lab.test",
        "a@untrusted.lab.test",
        "a@slow.lab.test",
        "a@strict.lab.test",
    ];
    let id = campaign(&app, &recipients, now).await?;
    let mut engine = engine(&app, smtp);
    assert_eq!(engine.tick(now).await?, 8);

    let first = rows(&app, id).await?;
    let status = |rows: &[DeliveryRow], email: &str| row(rows, email).map(|r| r.status);
    let reply = |rows: &[DeliveryRow], email: &str| row(rows, email).map(|r| r.last_reply.clone().unwrap_or_default());
    // Accepted at once, each with the protection it got.
    assert_eq!(status(&first, "a@plain.lab.test")?, DeliveryStatus::Delivered);
    assert_eq!(
        row(&first, "a@plain.lab.test")?.tls.map(|s| s.as_str()),
        Some("none"),
        "no STARTTLS offered: clear text"
    );
    assert_eq!(status(&first, "a@untrusted.lab.test")?, DeliveryStatus::Delivered);
    assert_eq!(
        row(&first, "a@untrusted.lab.test")?.tls.map(|s| s.as_str()),
        Some("unverified"),
        "encrypted, not verified"
    );
    assert!(untrusted.received()[0].tls);
    // 451 after the data: deferred with the server's words, for a later retry.
    let deferred = row(&first, "a@defer.lab.test")?;
    assert_eq!(
        (deferred.status.as_str(), deferred.last_code, deferred.last_enhanced.as_deref()),
        ("deferred", Some(451), Some("4.3.0"))
    );
    // 421 4.7.28: deferred, and the destination suspended, so the second
    // recipient there waits without another connection.
    assert_eq!(status(&first, "a@throttle.lab.test")?, DeliveryStatus::Deferred);
    assert_eq!(status(&first, "b@throttle.lab.test")?, DeliveryStatus::Deferred);
    let throttled: Vec<String> =
        ["a@throttle.lab.test", "b@throttle.lab.test"].iter().map(|e| reply(&first, e)).collect::<Result<_>>()?;
    assert!(throttled.iter().any(|r| r.contains("unusual rate")), "{throttled:?}");
    assert!(throttled.iter().any(|r| r.contains("suspended")), "{throttled:?}");
    assert_eq!(throttle.connections(), 1);
    // The connection dropped in the middle of the data: deferred, not lost.
    assert_eq!(status(&first, "a@drop.lab.test")?, DeliveryStatus::Deferred);
    assert!(reply(&first, "a@drop.lab.test")?.contains("DATA"), "{:?}", reply(&first, "a@drop.lab.test"));
    // A server slower than the timeout: deferred.
    assert_eq!(status(&first, "a@slow.lab.test")?, DeliveryStatus::Deferred);
    assert!(reply(&first, "a@slow.lab.test")?.contains("in time"), "{:?}", reply(&first, "a@slow.lab.test"));
    // TLS required and not offered: never sent in clear text.
    assert_eq!(status(&first, "a@strict.lab.test")?, DeliveryStatus::Deferred);
    assert!(reply(&first, "a@strict.lab.test")?.contains("STARTTLS"));
    assert!(plain.received().iter().all(|r| r.rcpt != "a@strict.lab.test"));

    // The dashboard's view: per domain, and the recent rate.
    let progress = app.store.campaign_progress(id, Utc::now()).await?;
    let throttled = progress.domains.iter().find(|d| d.domain == "throttle.lab.test").context("throttle.lab.test")?;
    assert_eq!((throttled.deferred, throttled.delivered), (2, 0));
    assert_eq!((progress.finished_last_5_min, progress.waiting), (2, 6), "two delivered, six waiting");

    // The retry, past the back-off: the deferring and dropping servers take
    // the message now; the suspended destination is still left alone.
    let later = now + Duration::hours(1);
    engine.tick(later).await?;
    let second = rows(&app, id).await?;
    assert_eq!(status(&second, "a@defer.lab.test")?, DeliveryStatus::Delivered);
    assert_eq!(status(&second, "a@drop.lab.test")?, DeliveryStatus::Delivered);
    assert_eq!(defer.received().len(), 1);
    assert_eq!(drop.received().len(), 1, "the dropped message was sent again, once accepted");
    assert_eq!(status(&second, "a@throttle.lab.test")?, DeliveryStatus::Deferred);
    assert!(reply(&second, "a@throttle.lab.test")?.contains("suspended"));
    assert_eq!(throttle.connections(), 1, "no new connection to a suspended destination");
    assert!(slow.received().is_empty());
    Ok(())
}

#[tokio::test]
async fn confirmations_go_out_before_bulk_signed_for_the_system_sender() -> Result<()> {
    let app = spawn_app().await?;
    let ca = TestCa::new()?;
    let script = Script { unknown_users: vec!["gone@example.org".into()], ..Script::default() };
    let sink = Sink::start([127, 0, 0, 10], 0, ca.issue("mx.example.org")?, script).await?;
    let zone = sender_zone(&app).await?.mx("example.org", 10, "mx.example.org").a("mx.example.org", [127, 0, 0, 10]);
    let dns = Dns::start(zone).await?;
    let smtp = transport(&dns, &ca, sink.addr.port(), Options::default()).await?;
    let config = EngineConfig {
        public_url: app.url.clone(),
        system_from: format!("Lab News <news@{FROM_DOMAIN}>"),
        ..Default::default()
    };
    let mut engine = Engine::new(app.store.clone(), app.key.clone(), config, smtp);
    let mut ids = Vec::new();
    for to in ["new@example.org", "gone@example.org"] {
        let text = "Confirm by opening https://lab.test/c/token";
        let message =
            store::NewMessage { kind: "confirmation", subscriber_id: None, to, subject: "Confirm", text_body: text };
        ids.push(app.store.enqueue_message(&message).await?);
    }
    let now = Utc::now();
    campaign(&app, &["ann@example.org"], now).await?;

    assert_eq!(engine.tick(now).await?, 3);

    let received = sink.received();
    let rcpts: Vec<&str> = received.iter().map(|r| r.rcpt.as_str()).collect();
    assert_eq!(rcpts, ["new@example.org", "ann@example.org"], "the confirmation before the campaign");
    let confirmation = &received[0];
    let bounce = message::verp::parse(&app.key, &confirmation.mail_from);
    assert_eq!(bounce, Some(message::verp::Bounced::Message(ids[0])), "{}", confirmation.mail_from);
    let verdict = check(dns.addr, confirmation).await?;
    assert_eq!(verdict.dkim_pass.len(), 2, "{verdict:?}");
    assert!(verdict.spf == "pass" && verdict.dmarc_dkim && verdict.dmarc_spf, "{verdict:?}");
    let parsed = mail_parser::MessageParser::default().parse(&confirmation.data).context("a message")?;
    assert_eq!(parsed.from().and_then(|f| f.first()).and_then(|a| a.address()), Some("news@news.lab.test"));
    assert!(parsed.body_text(0).is_some_and(|t| t.contains("https://lab.test/c/token")));

    let outbox = app.store.outbound_messages(10).await?;
    let status = |id: i64| outbox.iter().find(|m| m.id == id).map(|m| m.status);
    assert_eq!(status(ids[0]).map(|s| s.as_str()), Some("sent"));
    assert_eq!(status(ids[1]).map(|s| s.as_str()), Some("bounced"), "550 5.1.1 ends it");
    // A refused message of ours is a bounce like a campaign's: the address
    // is suppressed by its reason's rule.
    let refused = outbox.iter().find(|m| m.id == ids[1]).context("the refused message")?;
    assert!(app.store.is_suppressed(&EmailAddress::parse(&refused.to_address)?).await?, "{refused:?}");
    // Nothing is sent twice on the next round.
    assert_eq!(engine.tick(now + Duration::minutes(1)).await?, 0);
    assert_eq!(sink.count(), 2);
    Ok(())
}

#[tokio::test]
async fn production_sends_nothing_from_a_domain_without_a_dkim_key() -> Result<()> {
    let app = spawn_app().await?;
    let config = EngineConfig {
        public_url: app.url.clone(),
        system_from: "news@unsigned.example".into(),
        require_identity: true,
        ..Default::default()
    };
    let mut engine =
        Engine::new(app.store.clone(), app.key.clone(), config, delivery::Sandbox { store: app.store.clone() });
    let message = store::NewMessage {
        kind: "confirmation",
        subscriber_id: None,
        to: "new@example.org",
        subject: "Confirm",
        text_body: "Confirm.",
    };
    let confirmation = app.store.enqueue_message(&message).await?;
    let weekly = list(&app.store, "Weekly").await?;
    subscriber(&app.store, "ann@example.org", "Ann", serde_json::json!({}), &[(weekly, SubscriptionStatus::Confirmed)])
        .await?;
    // The fixture's From is news@shop.example, which has no key.
    let id = app.store.save_campaign(None, &fields("Unsigned", vec![weekly])).await?.id;
    let now = Utc::now();
    app.store.schedule_campaign(id, now, None).await?;

    engine.tick(now).await?;

    let campaign = app.store.campaign(id).await?.context("the campaign")?;
    assert_eq!(campaign.status, CampaignStatus::Draft, "it did not start");
    let error = campaign.error.unwrap_or_default();
    assert!(error.contains("shop.example") && error.contains("ninsho domain add"), "{error}");
    assert!(rows(&app, id).await?.is_empty(), "no delivery was queued");
    let outbox = app.store.outbound_messages(10).await?;
    let m = outbox.iter().find(|m| m.id == confirmation).context("the confirmation")?;
    assert_eq!(m.status, OutboxStatus::Failed);
    assert!(!m.has_raw, "nothing was built for sending");
    Ok(())
}

#[tokio::test]
async fn in_production_a_campaign_needs_a_verified_domain_with_a_sender_identity() -> Result<()> {
    let app = tests::spawn_app_with(|c| c.delivery_mode = domain::DeliveryMode::Production).await?;
    let weekly = list(&app.store, "Weekly").await?;
    subscriber(&app.store, "ann@example.org", "Ann", serde_json::json!({}), &[(weekly, SubscriptionStatus::Confirmed)])
        .await?;
    let api = app.api().await?;
    let unsigned = app.store.save_campaign(None, &fields("Unsigned", vec![weekly])).await?.id;
    let (status, body) = api.post(&format!("/campaigns/{unsigned}/schedule"), serde_json::json!({})).await?;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("ninsho domain add shop.example"), "{body}");

    let (_, records) = identity::add_domain(&app.store, &app.key, "shop.example", false).await?;
    let (status, body) = api.post(&format!("/campaigns/{unsigned}/schedule"), serde_json::json!({})).await?;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("is not verified"), "a key whose record nobody has seen: {body}");

    // Its record published and checked, the domain is verified.
    let mut zone = Zone::default();
    for (name, value) in &records {
        zone = zone.txt(name, value);
    }
    let dns = Dns::start(zone).await?;
    let resolver = Resolver::new(&[dns.addr]).map_err(anyhow::Error::msg)?;
    let setup = tests::test_config().setup;
    let shop = app.store.sending_domains().await?.into_iter().next().context("the domain")?;
    let checks =
        identity::doctor::check_domain(&app.store, &resolver, "shop.example", &setup, &[], i18n::Language::English)
            .await?;
    identity::watch::record(&app.store, &shop, &checks, Utc::now(), identity::watch::GRACE).await?;
    // Verified, but advertising mail must say who sends it (特定電子メール法).
    let (status, body) = api.post(&format!("/campaigns/{unsigned}/schedule"), serde_json::json!({})).await?;
    assert_eq!(status, 422, "{body}");
    let said = body["error"].as_str().unwrap_or_default();
    assert!(said.contains("sender identity of \"shop.example\" lacks name, postal address, contact"), "{body}");
    // The page says so too, in the admin's language.
    let browser = app.logged_in_browser().await?;
    browser.goto(&format!("{}/campaigns/{unsigned}", app.url)).await?;
    browser.click("input[name=when][value=now]").await?;
    browser.click("#schedule").await?;
    let page = browser.text("main").await?;
    assert!(page.contains("sender identity of \"shop.example\" lacks name, postal address, contact"), "{page}");
    let (admin, _) = app.store.admin_credentials("hanako@example.jp").await?.context("admin")?;
    app.store.set_admin_language(admin.id, "ja").await?;
    browser.goto(&format!("{}/campaigns/{unsigned}", app.url)).await?;
    browser.click("input[name=when][value=now]").await?;
    browser.click("#schedule").await?;
    let page = browser.text("main").await?;
    assert!(
        page.contains("shop.example の送信者情報に未入力の項目があります（送信者の氏名・名称、住所、連絡先）"),
        "{page}"
    );
    browser.close().await?;
    let (status, body) = api.get("/domains/shop.example/identity").await?;
    assert_eq!((status, &body["missing"]), (200, &serde_json::json!(["name", "postal_address", "contact"])), "{body}");
    // A contact that is neither an address nor a URL is refused, by field, in the client's language.
    let block = |contact: &str| serde_json::json!({ "name": "株式会社ショップ", "postal_address": "大阪府大阪市北区梅田1-1-1", "contact": contact });
    let (status, body) = api.put("/domains/shop.example/identity", block("call us")).await?;
    assert_eq!((status, body["field"].as_str()), (422, Some("contact")), "{body}");
    let (status, body) = api.put("/domains/shop.example/identity", block("support@shop.example")).await?;
    assert_eq!((status, &body["missing"]), (200, &serde_json::json!([])), "{body}");
    let (status, _) = api.put("/domains/nowhere.example/identity", block("support@shop.example")).await?;
    assert_eq!(status, 404);
    let (status, body) = api.post(&format!("/campaigns/{unsigned}/schedule"), serde_json::json!({})).await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "scheduled");
    Ok(())
}

#[tokio::test]
async fn an_enforced_mta_sts_policy_means_verified_tls_to_the_hosts_it_names_only() -> Result<()> {
    let app = spawn_app().await?;
    let ca = TestCa::new()?;
    let good = Sink::start([127, 0, 0, 30], 0, ca.issue("mx.sts.lab.test")?, Script::default()).await?;
    let port = good.addr.port();
    let untrusted =
        Sink::start([127, 0, 0, 31], port, Certificate::self_signed("mx.stsbad.lab.test")?, Script::default()).await?;
    let policy = |mx: &str| format!("version: STSv1\nmode: enforce\nmx: {mx}\nmax_age: 86400\n");
    let sts =
        PolicyServer::start([127, 0, 0, 40], 0, ca.issue("mta-sts.sts.lab.test")?, &policy("*.sts.lab.test")).await?;
    let https = sts.addr.port();
    let _bad = PolicyServer::start(
        [127, 0, 0, 41],
        https,
        ca.issue("mta-sts.stsbad.lab.test")?,
        &policy("mx.stsbad.lab.test"),
    )
    .await?;
    let _other = PolicyServer::start(
        [127, 0, 0, 42],
        https,
        ca.issue("mta-sts.stsother.lab.test")?,
        &policy("mx.elsewhere.example"),
    )
    .await?;
    let mut zone = sender_zone(&app).await?;
    // (domain, MX address, policy host address; 43 has no server: the policy cannot be fetched)
    for (domain, mx, policy_host) in [("sts", 30, 40), ("stsbad", 31, 41), ("stsother", 30, 42), ("stsdown", 30, 43)] {
        let (name, mx_host) = (format!("{domain}.lab.test"), format!("mx.{domain}.lab.test"));
        zone = zone
            .mx(&name, 10, &mx_host)
            .a(&mx_host, [127, 0, 0, mx])
            .txt(&format!("_mta-sts.{name}"), "v=STSv1; id=20261123;")
            .a(&format!("mta-sts.{name}"), [127, 0, 0, policy_host]);
    }
    let dns = Dns::start(zone).await?;
    let smtp = transport(&dns, &ca, port, Options { mta_sts_port: https, ..Options::default() }).await?;
    let now = Utc::now();
    let to = ["a@sts.lab.test", "a@stsbad.lab.test", "a@stsother.lab.test", "a@stsdown.lab.test"];
    let id = campaign(&app, &to, now).await?;
    assert_eq!(engine(&app, smtp).tick(now).await?, 4);

    let rows = rows(&app, id).await?;
    let ok = row(&rows, "a@sts.lab.test")?;
    assert_eq!((ok.status.as_str(), ok.tls.map(|s| s.as_str())), ("delivered", Some("verified")), "{ok:?}");
    // Enforced: a certificate that does not verify means no delivery (without
    // a policy the message would have gone, TLS unverified).
    let bad = row(&rows, "a@stsbad.lab.test")?;
    assert_eq!(bad.status, DeliveryStatus::Deferred, "{bad:?}");
    assert!(untrusted.received().is_empty());
    let other = row(&rows, "a@stsother.lab.test")?;
    assert_eq!(other.status, DeliveryStatus::Deferred);
    assert!(other.last_reply.as_deref().is_some_and(|r| r.contains("MTA-STS")), "{other:?}");
    // No policy could be fetched and none is cached: as without a policy.
    assert_eq!(row(&rows, "a@stsdown.lab.test")?.status, DeliveryStatus::Delivered);
    let rcpts: Vec<String> = good.received().into_iter().map(|r| r.rcpt).collect();
    assert_eq!(rcpts.len(), 2, "{rcpts:?}");
    assert!(rcpts.contains(&"a@sts.lab.test".to_owned()) && !rcpts.contains(&"a@stsother.lab.test".to_owned()));
    Ok(())
}

/// A lab with two source addresses (each with its PTR) and one sink as
/// example.org's MX.
struct TwoSources {
    app: TestApp,
    ca: TestCa,
    sink: Sink,
    dns: Dns,
    sources: [([u8; 4], &'static str); 2],
}

async fn two_sources() -> Result<TwoSources> {
    let app = spawn_app().await?;
    let ca = TestCa::new()?;
    let sink = Sink::start([127, 0, 0, 10], 0, ca.issue("mx.example.org")?, Script::default()).await?;
    let sources = [([127, 0, 0, 2], "mta1.lab.test"), ([127, 0, 0, 3], "mta2.lab.test")];
    let zone = tests::lab::sender_zone(&app.store, &app.key, FROM_DOMAIN, false, &sources)
        .await?
        .mx("example.org", 10, "mx.example.org")
        .a("mx.example.org", [127, 0, 0, 10]);
    let dns = Dns::start(zone).await?;
    Ok(TwoSources { app, ca, sink, dns, sources })
}

#[tokio::test]
async fn a_warm_up_ramp_caps_each_source_address_per_day_across_restarts() -> Result<()> {
    let TwoSources { app, ca, sink, dns, sources } = two_sources().await?;
    let shaping = Shaping::parse(&delivery::shaping::BUILTIN.replace("daily = []", "daily = [2, 100]"))
        .map_err(anyhow::Error::msg)?;
    let ips = vec![IpAddr::from(sources[0].0), IpAddr::from(sources[1].0)];
    let warm_transport = || {
        let options = Options {
            shaping: shaping.clone(),
            ips: ips.clone(),
            store: Some(app.store.clone()),
            ..Options::default()
        };
        transport(&dns, &ca, sink.addr.port(), options)
    };
    let now = Utc::now();
    let readers: Vec<String> = (0..5).map(|i| format!("r{i}@example.org")).collect();
    let id = campaign(&app, &readers.iter().map(String::as_str).collect::<Vec<_>>(), now).await?;
    engine(&app, warm_transport().await?).tick(now).await?;

    // Day one: two messages from each address, the fifth waits for tomorrow.
    let first = rows(&app, id).await?;
    let delivered = first.iter().filter(|r| r.status == DeliveryStatus::Delivered).count();
    let waiting: Vec<&DeliveryRow> = first.iter().filter(|r| r.status == DeliveryStatus::Deferred).collect();
    assert_eq!((delivered, waiting.len()), (4, 1), "{first:?}");
    assert!(waiting[0].last_reply.as_deref().is_some_and(|r| r.contains("warm-up")), "{:?}", waiting[0]);
    let tomorrow = (now.date_naive() + chrono::Days::new(1)).and_time(chrono::NaiveTime::MIN).and_utc();
    assert!(waiting[0].next_attempt_at >= tomorrow, "retried tomorrow: {}", waiting[0].next_attempt_at);
    for (ip, _) in sources {
        assert_eq!(sink.received().iter().filter(|r| r.peer == IpAddr::from(ip)).count(), 2);
    }

    // A restarted node knows what was sent today: nothing more goes out
    // (unless the UTC day ended meanwhile: then a new allowance applies).
    let later = Utc::now();
    if later.date_naive() != now.date_naive() {
        return Ok(());
    }
    let second = campaign(&app, &["late@example.org"], later).await?;
    engine(&app, warm_transport().await?).tick(later).await?;
    assert_eq!(rows(&app, second).await?[0].status, DeliveryStatus::Deferred);
    assert_eq!(sink.count(), 4);
    let usage = app.store.source_ip_usage(&[IpAddr::from(sources[0].0)], later.date_naive()).await?;
    assert_eq!(usage[0].sent_today, 2);
    Ok(())
}

#[tokio::test]
async fn a_domain_sends_only_from_its_own_source_addresses() -> Result<()> {
    let TwoSources { app, ca, sink, dns, sources } = two_sources().await?;
    let ips = vec![IpAddr::from(sources[0].0), IpAddr::from(sources[1].0)];
    let both = || Options { ips: ips.clone(), ..Options::default() };
    let smtp = transport(&dns, &ca, sink.addr.port(), both()).await?;
    assert!(app.store.set_domain_source_ips(FROM_DOMAIN, &[ips[1]]).await?);
    let mut first = engine(&app, smtp);
    let now = Utc::now();
    let readers: Vec<String> = (0..6).map(|i| format!("r{i}@example.org")).collect();
    let id = campaign(&app, &readers.iter().map(String::as_str).collect::<Vec<_>>(), now).await?;
    first.tick(now).await?;
    assert!(rows(&app, id).await?.iter().all(|r| r.status == DeliveryStatus::Delivered));
    let received = sink.received();
    assert_eq!(received.len(), 6);
    assert!(received.iter().all(|r| r.peer == ips[1] && r.helo == "mta2.lab.test"), "only from the domain's address");

    // An address this node does not have: the mail waits, saying why.
    assert!(app.store.set_domain_source_ips(FROM_DOMAIN, &["127.0.0.9".parse()?]).await?);
    // A new transport and engine: nothing cached from before.
    let mut fresh = engine(&app, transport(&dns, &ca, sink.addr.port(), both()).await?);
    let later = Utc::now();
    let second = campaign(&app, &["late@example.org"], later).await?;
    fresh.tick(later).await?;
    let row = &rows(&app, second).await?[0];
    assert_eq!(row.status, DeliveryStatus::Deferred);
    assert!(row.last_reply.as_deref().is_some_and(|r| r.contains("may send from")), "{row:?}");
    assert_eq!(sink.count(), 6);
    Ok(())
}

#[tokio::test]
async fn a_suspension_holds_for_every_delivery_node() -> Result<()> {
    let app = spawn_app().await?;
    let ca = TestCa::new()?;
    let throttle = Script { throttle: true, ..Script::default() };
    let sink = Sink::start([127, 0, 0, 12], 0, ca.issue("mx.throttle.lab.test")?, throttle).await?;
    let zone = sender_zone(&app)
        .await?
        .mx("throttle.lab.test", 10, "mx.throttle.lab.test")
        .a("mx.throttle.lab.test", [127, 0, 0, 12]);
    let dns = Dns::start(zone).await?;
    let node =
        || transport(&dns, &ca, sink.addr.port(), Options { store: Some(app.store.clone()), ..Options::default() });
    let now = Utc::now();
    let first = campaign(&app, &["a@throttle.lab.test"], now).await?;
    engine(&app, node().await?).tick(now).await?;
    assert_eq!(rows(&app, first).await?[0].status, DeliveryStatus::Deferred);
    let shared = app.store.destination_suspensions(Utc::now()).await?;
    assert_eq!(shared.len(), 1);
    assert_eq!(shared[0].0, "throttle.lab.test");
    assert!(shared[0].2.contains("4.7.28") || shared[0].2.contains("unusual rate"), "{shared:?}");

    // Another node has not seen the reply itself, and still leaves it alone.
    let later = Utc::now();
    let second = campaign(&app, &["b@throttle.lab.test"], later).await?;
    engine(&app, node().await?).tick(later).await?;
    let row = &rows(&app, second).await?[0];
    assert_eq!(row.status, DeliveryStatus::Deferred);
    assert!(row.last_reply.as_deref().is_some_and(|r| r.contains("suspended")), "{row:?}");
    assert_eq!(sink.connections(), 1, "the second node did not connect");
    Ok(())
}

/// ninsho's inbound listener on a port of its own, with STARTTLS.
async fn inbound_listener(app: &TestApp, ca: &TestCa) -> Result<(SocketAddr, tokio_util::sync::CancellationToken)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let config = inbound::smtp::ListenerConfig {
        hostname: "mx.lab.test".into(),
        tls: Some(ca.issue("mx.lab.test")?.server_config()?),
        max_message_bytes: 256 * 1024,
        ..Default::default()
    };
    let mailbox = inbound::act::Inbox {
        store: app.store.clone(),
        key: app.key.clone(),
        bounce_subdomain: "bounce".into(),
        report_address: None,
        reports: reports::ingest::Ingest::new(
            app.store.clone(),
            vec![IpAddr::from(SOURCE)],
            reports::Limits::default(),
        ),
        domains: Default::default(),
    };
    let cancel = tokio_util::sync::CancellationToken::new();
    tokio::spawn(inbound::smtp::serve(listener, config, mailbox, cancel.clone()));
    Ok((addr, cancel))
}

#[tokio::test]
async fn bounces_complaints_and_unsubscribes_come_back_by_smtp_and_act_on_the_audience() -> Result<()> {
    let app = spawn_app().await?;
    app.create_admin("ops@example.jp", "orbit cactus lantern 47 violet").await?;
    let ca = TestCa::new()?;
    let sink = Sink::start([127, 0, 0, 12], 0, ca.issue("mx.example.org")?, Script::default()).await?;
    let zone = sender_zone(&app).await?.mx("example.org", 10, "mx.example.org").a("mx.example.org", [127, 0, 0, 12]);
    let dns = Dns::start(zone).await?;
    let smtp = transport(&dns, &ca, sink.addr.port(), Options::default()).await?;
    let now = Utc::now();
    let people = ["ann@example.org", "bob@example.org", "cid@example.org", "dan@example.org", "eve@example.org"];
    let id = campaign(&app, &people, now).await?;
    assert_eq!(engine(&app, smtp).tick(now).await?, 5);
    let received = sink.received();
    let got = |to: &str| received.iter().find(|r| r.rcpt == to).with_context(|| format!("the message to {to}"));
    let (inbound, _stop) = inbound_listener(&app, &ca).await?;
    let (mut mta, greeting) = tests::lab::SmtpClient::connect(inbound).await?;
    assert!(greeting.starts_with("220 mx.lab.test"), "{greeting}");
    assert!(mta.secure(&ca, "mx.lab.test").await?.contains("250"), "STARTTLS with a certificate the CA vouches for");

    // Receivers bounce after accepting: 5.1.1 (hard) and 4.2.2 (soft),
    // back to each message's VERP address.
    let ann = got("ann@example.org")?;
    let dsn = tests::lab::dsn(ann, "failed", "5.1.1", "550 5.1.1 <ann@example.org>: User unknown");
    assert!(mta.mail("", &ann.mail_from, &dsn).await?.starts_with("250"));
    let bob = got("bob@example.org")?;
    let full = tests::lab::dsn(bob, "failed", "4.2.2", "452 4.2.2 Mailbox full");
    assert!(mta.mail("", &bob.mail_from, &full).await?.starts_with("250"));
    // The same bounce again (a sender retrying) counts once.
    assert!(mta.mail("", &bob.mail_from, &full).await?.starts_with("250"));
    // A feedback loop reports a complaint to the report address.
    let cid = got("cid@example.org")?;
    let complaint = tests::lab::arf(cid, "reports@bounce.news.lab.test");
    assert!(mta.mail("fbl@example.org", "reports@bounce.news.lab.test", &complaint).await?.starts_with("250"));
    assert!(mta.mail("fbl@example.org", "reports@bounce.news.lab.test", &complaint).await?.starts_with("250"));
    // A DMARC aggregate report mailed to the report address is imported.
    let report = std::fs::read(tests::samples("dmarc-aggregate").join("google.xml"))?;
    let mailed = format!(
        "From: noreply-dmarc-support@google.com\r\nTo: reports@bounce.news.lab.test\r\nSubject: Report domain: foo-bar.io\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"r\"\r\n\r\n--r\r\nContent-Type: text/plain\r\n\r\nReport.\r\n\
         --r\r\nContent-Type: text/xml\r\nContent-Disposition: attachment; filename=\"google.xml\"\r\n\r\n{}\r\n--r--\r\n",
        // On the wire every line ends with CRLF.
        String::from_utf8_lossy(&report).replace("\r\n", "\n").replace('\n', "\r\n")
    );
    assert!(
        mta.mail("noreply@google.com", "reports@bounce.news.lab.test", mailed.as_bytes()).await?.starts_with("250")
    );
    // A vacation reply is not a bounce.
    let dan = got("dan@example.org")?;
    let away =
        "From: dan@example.org\r\nTo: x\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\n\r\nAway.\r\n";
    assert!(mta.mail("dan@example.org", &dan.mail_from, away.as_bytes()).await?.starts_with("250"));
    // A complaint naming Dan without a signed VERP address is ignored:
    // anyone can mail the report address.
    let forged = String::from_utf8_lossy(&tests::lab::arf(dan, "reports@bounce.news.lab.test"))
        .replace(&format!("Return-Path: <{}>", dan.mail_from), "Return-Path: <someone@example.org>")
        .replace(&format!("Original-Mail-From: <{}>", dan.mail_from), "Original-Mail-From: <someone@example.org>");
    assert!(mta.mail("fbl@example.org", "reports@bounce.news.lab.test", forged.as_bytes()).await?.starts_with("250"));
    // Eve unsubscribes through the List-Unsubscribe mailto of her message.
    let eve = got("eve@example.org")?;
    let headers = String::from_utf8_lossy(&eve.data).into_owned();
    let subject = headers
        .split("subject=")
        .nth(1)
        .and_then(|s| s.split('>').next())
        .map(|s| s.replace("%20", " "))
        .context("the mailto's subject")?;
    let request =
        format!("From: eve@example.org\r\nTo: unsubscribe@bounce.news.lab.test\r\nSubject: {subject}\r\n\r\n\r\n");
    assert!(
        mta.mail("eve@example.org", "unsubscribe@bounce.news.lab.test", request.as_bytes()).await?.starts_with("250")
    );

    // Never a relay; forged bounce tokens and strangers' domains refused.
    for (to, code) in [
        ("someone@example.org", "550 5.7.1"),
        ("b-1-00000000000000000@bounce.news.lab.test", "550 5.1.1"),
        ("reports@bounce.other.example", "550 5.7.1"),
    ] {
        let refused = mta.mail("x@example.org", to, b"Subject: x\r\n\r\nx\r\n").await?;
        assert!(refused.starts_with(code), "{to}: {refused}");
    }
    assert!(mta.command("QUIT").await?.starts_with("221"));

    let rows = rows(&app, id).await?;
    let status = |email: &str| rows.iter().find(|r| r.email == email).map(|r| r.status);
    assert_eq!(status("ann@example.org"), Some(DeliveryStatus::Bounced), "accepted, then bounced");
    assert_eq!(status("bob@example.org"), Some(DeliveryStatus::Bounced));
    assert_eq!(status("dan@example.org"), Some(DeliveryStatus::Delivered), "an auto-reply changes nothing");
    let store = &app.store;
    let suppressed = |email: &'static str| async move {
        Ok::<_, anyhow::Error>(store.is_suppressed(&EmailAddress::parse(email)?).await?)
    };
    assert!(suppressed("ann@example.org").await?, "a hard bounce suppresses at once");
    assert!(!suppressed("bob@example.org").await?, "one soft bounce does not");
    assert!(suppressed("cid@example.org").await?, "a complaint suppresses");
    assert!(!suppressed("dan@example.org").await?);
    let reasons = app.store.bounce_reasons(id).await?;
    assert!(reasons.contains(&("user-unknown".into(), "hard".into(), 1)), "{reasons:?}");
    assert!(reasons.contains(&("mailbox-full".into(), "soft".into(), 1)), "{reasons:?}");
    assert_eq!(app.store.complaint_count(id).await?, 1);
    let report = app.store.campaign_report(id).await?;
    assert!(report.by_status.contains(&("bounced".into(), 2)), "{:?}", report.by_status);
    let alerts = app.store.domain_alerts(10).await?;
    assert!(alerts.iter().any(|a| a.1 == "Complaint rate" && a.2.contains("over Gmail's 0.3 % limit")), "{alerts:?}");
    assert_eq!(
        alerts.iter().filter(|a| a.1 == "Complaint rate").count(),
        1,
        "the resent report alerts once: {alerts:?}"
    );
    let lists = |email: &'static str| async move {
        let s = store.subscriber_by_email(&EmailAddress::parse(email)?).await?.context("the subscriber")?;
        let subs = store.subscriptions(s.id).await?;
        Ok::<_, anyhow::Error>(subs.into_iter().map(|s| s.status.as_str().to_owned()).collect::<Vec<_>>())
    };
    assert_eq!(lists("cid@example.org").await?, ["unsubscribed"], "the complaint unsubscribed");
    assert_eq!(lists("eve@example.org").await?, ["unsubscribed"], "the mailto request unsubscribed");
    assert_eq!(lists("dan@example.org").await?, ["confirmed"]);
    let (_, api_report) = app.api().await?.get(&format!("/campaigns/{id}/report")).await?;
    assert_eq!(api_report["complaints"], 1, "{api_report}");
    assert_eq!(api_report["complaints_by_domain"], serde_json::json!([["example.org", 1, 5]]), "{api_report}");
    assert_eq!(api_report["deliveries"]["bounced"], 2, "{api_report}");
    assert!(api_report["bounces_by_reason"].to_string().contains("user-unknown"), "{api_report}");
    let log = app.store.inbound_messages(10).await?;
    assert_eq!(log.len(), 9, "every accepted message is recorded: {log:?}");
    assert!(
        log.iter().any(|(_, _, kind, outcome)| kind == "complaint"
            && outcome.contains("dan@example.org")
            && outcome.contains("no valid VERP")),
        "{log:?}"
    );
    assert_eq!(app.store.report_counts().await?, (1, 0), "the mailed DMARC report was imported");

    // A bare LF in the message ends the session (what follows could be
    // read as commands: SMTP smuggling); garbage gets an answer; the
    // listener serves everyone else all the while.
    let (mut smuggler, _) = tests::lab::SmtpClient::connect(inbound).await?;
    smuggler.command("EHLO mx.example.org").await?;
    smuggler.command("MAIL FROM:<>").await?;
    smuggler.command(&format!("RCPT TO:<{}>", dan.mail_from)).await?;
    smuggler.command("DATA").await?;
    smuggler.send(b"Subject: smuggled\r\n\r\nhello\n.\r\nMAIL FROM:<evil@example.org>\r\n").await?;
    let refused = smuggler.reply().await?;
    assert!(refused.starts_with("521 5.5.2"), "{refused}");
    assert!(smuggler.command("NOOP").await.is_err(), "the session is over");
    let (mut other, _) = tests::lab::SmtpClient::connect(inbound).await?;
    assert!(other.command("HELLO THERE").await?.starts_with("500 5.5.1"));
    assert!(other.command("EHLO mx.example.org").await?.contains("STARTTLS"));
    assert_eq!(app.store.inbound_messages(10).await?.len(), 9, "nothing was accepted");
    assert_eq!(app.store.prune_inbound(Duration::days(90)).await?, 0, "all recent");
    assert_eq!(app.store.prune_inbound(Duration::zero()).await?, 9, "the log is pruned by age");
    Ok(())
}

/// `openssl cms -verify` of a received message against the lab CA: true
/// when the S/MIME signature verifies.
fn openssl_verifies(message: &[u8], ca: &TestCa) -> Result<bool> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("message.eml");
    std::fs::write(&path, message)?;
    let status = std::process::Command::new("openssl")
        .args(["cms", "-verify", "-CAfile"])
        .arg(&ca.pem_file)
        .arg("-in")
        .arg(&path)
        .args(["-out", "/dev/null"])
        .stderr(std::process::Stdio::null())
        .status()
        .context("running openssl (Debian package openssl)")?;
    Ok(status.success())
}

#[tokio::test]
async fn an_smime_signed_message_verifies_with_openssl_and_still_passes_dkim() -> Result<()> {
    let app = spawn_app().await?;
    let ca = TestCa::new()?;
    let sink = Sink::start([127, 0, 0, 12], 0, ca.issue("mx.example.org")?, Script::default()).await?;
    let zone = sender_zone(&app).await?.mx("example.org", 10, "mx.example.org").a("mx.example.org", [127, 0, 0, 12]);
    let dns = Dns::start(zone).await?;
    let operator = app.person("ops@example.jp", "operator").await?;
    let bundle = ca.issue_smime(&format!("news@{FROM_DOMAIN}"))?;

    // Bad uploads are refused with the reason and change nothing.
    let domain = [("domain", FROM_DOMAIN)];
    let (status, page) = operator.upload(&app, "/domains/smime", &domain, b"").await?;
    assert!(status == 422 && page.contains("Choose a PEM file"), "{page}");
    let other = ca.issue_smime("someone@else.example")?;
    let cert_only = bundle.split("-----BEGIN PRIVATE KEY-----").next().unwrap_or_default();
    let key_only = &other[other.find("-----BEGIN PRIVATE KEY-----").unwrap_or(0)..];
    let mismatched = format!("{cert_only}{key_only}");
    let (status, page) = operator.upload(&app, "/domains/smime", &domain, mismatched.as_bytes()).await?;
    assert!(status == 422 && page.contains("none of the certificates belongs to the private key"), "{page}");
    let (status, page) = operator.upload(&app, "/domains/smime", &domain, b"\x30\x82garbage").await?;
    assert!(status == 422 && page.contains("PKCS#12 file cannot be opened"), "{page}");
    // An encrypted key without its password is refused (never a prompt).
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("id.pem"), &bundle)?;
    let encrypted = std::process::Command::new("openssl")
        .args(["pkey", "-in", "id.pem", "-aes256", "-passout", "pass:pem secret", "-out", "key.pem"])
        .current_dir(dir.path())
        .status()?;
    assert!(encrypted.success());
    let locked = format!("{cert_only}{}", std::fs::read_to_string(dir.path().join("key.pem"))?);
    let (status, page) = operator.upload(&app, "/domains/smime", &domain, locked.as_bytes()).await?;
    assert!(status == 422 && page.contains("encrypted and the password is wrong"), "{page}");
    // A PKCS#12 file: a wrong password is refused, the right one works.
    let exported = std::process::Command::new("openssl")
        .args(["pkcs12", "-export", "-in", "id.pem", "-out", "id.p12", "-passout", "pass:correct horse"])
        .current_dir(dir.path())
        .status()?;
    assert!(exported.success());
    let p12 = std::fs::read(dir.path().join("id.p12"))?;
    let wrong = [("domain", FROM_DOMAIN), ("password", "wrong")];
    let (status, page) = operator.upload(&app, "/domains/smime", &wrong, &p12).await?;
    assert!(status == 422 && page.contains("is the password right?"), "{page}");
    assert!(app.store.domain_smime(FROM_DOMAIN).await?.is_none());
    let right = [("domain", FROM_DOMAIN), ("password", "correct horse")];
    let (status, to) = operator.upload(&app, "/domains/smime", &right, &p12).await?;
    assert_eq!((status, to.as_str()), (303, "→ /domains"));
    // The audit log says which domain, and not the password.
    let noted = app.store.audit_log(Some("S/MIME signing"), None, 10).await?;
    assert!(noted.iter().any(|e| e.details["domain"] == FROM_DOMAIN && e.details["error"].is_null()));
    assert!(!noted.iter().any(|e| e.details.to_string().contains("correct horse")));
    let (_, page) = operator.page(&app, "GET", "/domains", &[]).await?;
    assert!(page.contains(&format!("CN=news@{FROM_DOMAIN}")), "the page names the certificate");
    // A marketer may not set it.
    let marketer = app.person("mk@example.jp", "marketer").await?;
    assert_eq!(marketer.upload(&app, "/domains/smime", &domain, bundle.as_bytes()).await?.0, 403);

    // Send: the message is S/MIME-signed, then DKIM-signed.
    let smtp = transport(&dns, &ca, sink.addr.port(), Options::default()).await?;
    let now = Utc::now();
    campaign(&app, &["ann@example.org"], now).await?;
    assert_eq!(engine(&app, smtp).tick(now).await?, 1);
    let received = sink.received();
    let r = received.first().context("a message")?;
    let text = String::from_utf8_lossy(&r.data);
    assert!(text.contains("Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256"));
    assert!(openssl_verifies(&r.data, &ca)?, "openssl cms -verify accepts the signature");
    let verdict = check(dns.addr, r).await?;
    assert_eq!(verdict.dkim_pass, vec![FROM_DOMAIN.to_owned(); 2], "DKIM still passes over the signed message");
    assert!(verdict.dmarc_dkim);
    // A changed byte inside the signed part breaks the S/MIME signature.
    let at = text.find("Hi Reader").context("the greeting")?;
    let mut tampered = r.data.clone();
    tampered[at] = b'J';
    assert!(!openssl_verifies(&tampered, &ca)?, "a tampered body fails");
    // Signed by another CA: not trusted.
    assert!(!openssl_verifies(&r.data, &TestCa::new()?)?);

    // Turned off, messages are plain again.
    let (status, _) = operator.upload(&app, "/domains/smime", &[("domain", FROM_DOMAIN), ("remove", "1")], b"").await?;
    assert_eq!(status, 303);
    assert!(app.store.domain_smime(FROM_DOMAIN).await?.is_none());
    Ok(())
}

#[tokio::test]
async fn a_refusal_during_delivery_and_a_bounce_message_with_the_same_words_end_the_same_way() -> Result<()> {
    let app = spawn_app().await?;
    let ca = TestCa::new()?;
    // The sink refuses gone@ at RCPT with these words; ann@ is accepted and
    // then bounced later by a DSN that quotes the same reply.
    let words = "550 5.1.1 The email account that you tried to reach does not exist";
    let script = Script { unknown_users: vec!["gone@example.org".into()], ..Script::default() };
    let sink = Sink::start([127, 0, 0, 13], 0, ca.issue("mx.example.org")?, script).await?;
    let zone = sender_zone(&app).await?.mx("example.org", 10, "mx.example.org").a("mx.example.org", [127, 0, 0, 13]);
    let dns = Dns::start(zone).await?;
    let smtp = transport(&dns, &ca, sink.addr.port(), Options::default()).await?;
    let now = Utc::now();
    let id = campaign(&app, &["gone@example.org", "ann@example.org"], now).await?;
    assert_eq!(engine(&app, smtp).tick(now).await?, 2);
    let rows = rows(&app, id).await?;
    assert_eq!(row(&rows, "gone@example.org")?.status, DeliveryStatus::Bounced, "refused at RCPT");
    assert_eq!(row(&rows, "ann@example.org")?.status, DeliveryStatus::Delivered);
    assert!(row(&rows, "gone@example.org")?.last_reply.as_deref().is_some_and(|r| words.ends_with(r)), "{rows:?}");

    let (inbound, _stop) = inbound_listener(&app, &ca).await?;
    let (mut mta, _) = tests::lab::SmtpClient::connect(inbound).await?;
    mta.secure(&ca, "mx.lab.test").await?;
    let ann = sink.received().into_iter().find(|r| r.rcpt == "ann@example.org").context("ann's message")?;
    let dsn = tests::lab::dsn(&ann, "failed", "5.1.1", words);
    assert!(mta.mail("", &ann.mail_from, &dsn).await?.starts_with("250"));

    // One reason and effect for both, and the same suppression.
    let reasons = app.store.bounce_reasons(id).await?;
    assert_eq!(reasons, vec![("user-unknown".to_owned(), "hard".to_owned(), 2)], "{reasons:?}");
    for email in ["gone@example.org", "ann@example.org"] {
        let address = EmailAddress::parse(email)?;
        assert!(app.store.is_suppressed(&address).await?, "{email} is suppressed");
        let subscriber = app.store.subscriber_by_email(&address).await?.context("the subscriber")?;
        assert_eq!(subscriber.status, SubscriberStatus::Bounced, "{email}");
    }
    Ok(())
}

#[tokio::test]
async fn error_address_rules_and_the_high_error_rate_alert_act_as_configured() -> Result<()> {
    let app = spawn_app().await?;
    let ops = app.person("ops@example.jp", "owner").await?;
    let ca = TestCa::new()?;

    // The operator's rules: an unknown user never suppressed (a receiver
    // known to answer 5.1.1 for full mailboxes, say), a full mailbox after
    // 2 bounces in 10 days; the others as built in.
    let mut form: Vec<(String, String)> = Vec::new();
    for reason in replies::Reason::ALL {
        let rule = match reason {
            replies::Reason::UserUnknown => replies::Rule { bounces: 0, days: 30 },
            replies::Reason::MailboxFull => replies::Rule { bounces: 2, days: 10 },
            other => replies::Rule::default_for(other),
        };
        form.push((format!("bounces-{}", reason.as_str()), rule.bounces.to_string()));
        form.push((format!("days-{}", reason.as_str()), rule.days.to_string()));
    }
    form.push(("error_rate".into(), "5".into()));
    let with = |edit: &[(&str, &str)]| -> Vec<(String, String)> {
        form.iter()
            .map(|(k, v)| {
                let changed = edit.iter().find(|(name, _)| name == k).map(|(_, value)| value.to_string());
                (k.clone(), changed.unwrap_or_else(|| v.clone()))
            })
            .collect()
    };
    let post = |fields: Vec<(String, String)>| {
        let ops = &ops;
        let app = &app;
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            ops.page(app, "POST", "/bounce-rules", &pairs).await
        }
    };
    // A rule out of bounds is refused with the reason's name; nothing is kept.
    let (status, page) = post(with(&[("days-mailbox-full", "0")])).await?;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("Mailbox full"), "the page names the reason");
    assert!(app.store.bounce_rules().await?.is_empty(), "nothing saved");
    let (status, to) = post(with(&[])).await?;
    assert_eq!((status, to.as_str()), (303, "→ /bounce-rules?notice=Saved."), "{to}");
    let kept = app.store.bounce_rules().await?;
    assert_eq!(kept.len(), 2, "only the changed rules are kept: {kept:?}");
    let (_, page) = ops.page(&app, "GET", "/bounce-rules", &[]).await?;
    assert!(page.contains(r#"name="days-mailbox-full" value="10""#), "the page shows the rule");

    // A campaign of 60 of which 6 are unknown at RCPT: 10 %, over 5 %.
    let gone: Vec<String> = (1..=6).map(|n| format!("gone{n}@example.org")).collect();
    let script = Script { unknown_users: gone.clone(), ..Script::default() };
    let sink = Sink::start([127, 0, 0, 14], 0, ca.issue("mx.example.org")?, script).await?;
    let zone = sender_zone(&app).await?.mx("example.org", 10, "mx.example.org").a("mx.example.org", [127, 0, 0, 14]);
    let dns = Dns::start(zone).await?;
    let smtp = transport(&dns, &ca, sink.addr.port(), Options::default()).await?;
    let mut emails: Vec<String> = (0..54).map(|n| format!("reader{n:02}@example.org")).collect();
    emails.extend(gone.iter().cloned());
    let emails: Vec<&str> = emails.iter().map(String::as_str).collect();
    let now = Utc::now();
    let first = campaign(&app, &emails, now).await?;
    let mut engine = engine(&app, smtp);
    assert_eq!(engine.tick(now).await?, 60);
    let rows = rows(&app, first).await?;
    assert_eq!(row(&rows, "gone1@example.org")?.status, DeliveryStatus::Bounced);
    let gone1 = EmailAddress::parse("gone1@example.org")?;
    assert!(!app.store.is_suppressed(&gone1).await?, "the operator's rule never suppresses an unknown user");
    assert_eq!(app.store.bounce_reasons(first).await?, vec![("user-unknown".to_owned(), "hard".to_owned(), 6)]);

    // The watch alerts once, whichever round sees it.
    let watch = identity::watch::Watch {
        store: app.store.clone(),
        dns: identity::dns::Dns::new(&[dns.addr]).map_err(anyhow::Error::msg)?,
        setup: tests::test_config().setup,
        source_ips: vec![IpAddr::from(SOURCE)],
        every: Duration::hours(6),
        grace: Duration::days(7),
    };
    watch.round(now).await?;
    watch.round(now).await?;
    let alerts: Vec<_> =
        app.store.domain_alerts(20).await?.into_iter().filter(|(_, what, _, _)| what == "High error rate").collect();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let (domain, _, detail, _) = &alerts[0];
    assert_eq!(domain, FROM_DOMAIN);
    assert!(detail.contains(&format!("campaign {first} (Lab): 6 of 60 messages bounced = 10.0 %")), "{detail}");
    assert!(detail.contains("threshold of 5 %"), "{detail}");

    // A full mailbox: kept after the first bounce, suppressed at the second
    // (two campaigns, each bounced later by a DSN).
    let (inbound, _stop) = inbound_listener(&app, &ca).await?;
    let ann = "reader00@example.org";
    let again = list(&app.store, "Second issue").await?;
    let ann_id = app.store.subscriber_by_email(&EmailAddress::parse(ann)?).await?.context("ann")?.id;
    app.store.set_subscription(ann_id, again, SubscriptionStatus::Confirmed).await?;
    let mut f = fields("Lab again", vec![again]);
    f.from_address = format!("news@{FROM_DOMAIN}");
    let second = app.store.save_campaign(None, &f).await?.id;
    app.store.schedule_campaign(second, now, None).await?;
    assert_eq!(engine.tick(now).await?, 1);
    for (n, id) in [first, second].into_iter().enumerate() {
        let copy = sink
            .received()
            .into_iter()
            .filter(|r| r.rcpt == ann)
            .nth(n)
            .with_context(|| format!("ann's message of campaign {id}"))?;
        let dsn = tests::lab::dsn(&copy, "failed", "5.2.2", "552 5.2.2 Mailbox full");
        let (mut mta, _) = tests::lab::SmtpClient::connect(inbound).await?;
        mta.secure(&ca, "mx.lab.test").await?;
        assert!(mta.mail("", &copy.mail_from, &dsn).await?.starts_with("250"));
        let suppressed = app.store.is_suppressed(&EmailAddress::parse(ann)?).await?;
        assert_eq!(suppressed, n == 1, "bounce {} of 2", n + 1);
    }
    // Back to the built-in rules: an unknown user is suppressed at once again.
    let (status, _) = ops.page(&app, "POST", "/bounce-rules", &[("reset", "1")]).await?;
    assert_eq!(status, 303);
    assert!(app.store.bounce_rules().await?.is_empty());
    Ok(())
}
