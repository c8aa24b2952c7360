//! Campaigns end to end against a real database: the audience a campaign
//! reaches, scheduling driven by an injected clock, the sandbox engine and
//! its crash recovery, the tracking links in the captured messages, and the
//! report they feed.

use anyhow::{Context, Result};
use chrono::{DateTime, Duration, Utc};
use delivery::{Engine, EngineConfig, Sandbox};
use domain::{CampaignStatus, DeliveryStatus, EmailAddress, EventKind, SubscriptionStatus};
use mail_parser::MessageParser;
use store::{Store, SuppressionTarget};
use tests::fixtures::{fields, list, subscriber};
use tests::{TestApp, http, spawn_app};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn engine(app: &TestApp, batch: i64) -> Engine<Sandbox> {
    let config = EngineConfig { public_url: app.url.clone(), batch, lease: Duration::minutes(5), ..Default::default() };
    Engine::new(app.store.clone(), app.key.clone(), config, Sandbox { store: app.store.clone() })
}

/// The captured messages of campaigns: (recipient, raw bytes), oldest first.
async fn captured(store: &Store) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for m in store.outbound_messages(1000).await?.into_iter().rev().filter(|m| m.kind == "campaign") {
        out.push((m.to_address.clone(), store.captured_raw(m.id).await?.context("raw bytes kept")?));
    }
    Ok(out)
}

#[tokio::test]
async fn a_scheduled_campaign_reaches_its_audience_once_at_its_time() -> Result<()> {
    let app = spawn_app().await?;
    let store = &app.store;
    let weekly = list(store, "Weekly").await?;
    let offers = list(store, "Offers").await?;
    let confirmed = SubscriptionStatus::Confirmed;
    subscriber(store, "one@example.org", "One", serde_json::json!({"city": "Osaka"}), &[(weekly, confirmed)]).await?;
    // On both lists: one copy, with the unsubscribe link of the first list.
    let both = subscriber(
        store,
        "both@example.org",
        "Both",
        serde_json::json!({}),
        &[(weekly, confirmed), (offers, confirmed)],
    )
    .await?;
    subscriber(store, "pending@example.org", "", serde_json::json!({}), &[(weekly, SubscriptionStatus::Unconfirmed)])
        .await?;
    subscriber(store, "left@example.org", "", serde_json::json!({}), &[(offers, SubscriptionStatus::Unsubscribed)])
        .await?;
    subscriber(store, "x@blocked.example", "", serde_json::json!({}), &[(weekly, confirmed)]).await?;
    store.add_suppression(&SuppressionTarget::Domain("blocked.example".into()), "test").await?;
    let other = list(store, "Other").await?;
    subscriber(store, "elsewhere@example.org", "", serde_json::json!({}), &[(other, confirmed)]).await?;

    let campaign = store.save_campaign(None, &fields("November", vec![weekly, offers])).await?;
    let send_at = at("2026-12-01T00:00:00Z");
    assert!(store.set_campaign_status(campaign.id, &["draft"], "scheduled", Some(send_at)).await?);

    let mut engine = engine(&app, 100);
    assert_eq!(engine.tick(send_at - Duration::seconds(1)).await?, 0, "nothing before its time");
    assert_eq!(store.campaign(campaign.id).await?.context("campaign")?.status, CampaignStatus::Scheduled);
    assert_eq!(engine.tick(send_at).await?, 2);
    assert_eq!(engine.tick(send_at + Duration::seconds(1)).await?, 0, "each recipient once");
    let after = store.campaign(campaign.id).await?.context("campaign")?;
    assert_eq!((after.status.as_str(), after.recipients), ("finished", 2));
    assert_eq!(after.links, vec!["https://shop.example/sale?x=1".to_owned()]);

    let messages = captured(store).await?;
    let mut to: Vec<&str> = messages.iter().map(|(t, _)| t.as_str()).collect();
    to.sort_unstable();
    assert_eq!(to, ["both@example.org", "one@example.org"]);
    for (address, raw) in &messages {
        let parsed = MessageParser::default().parse(raw).context("parses")?;
        let html = parsed.body_html(0).context("html")?;
        let unsubscribe = parsed.header_raw("List-Unsubscribe").context("List-Unsubscribe")?;
        if address == "one@example.org" {
            assert_eq!(parsed.subject(), Some("Hello One"));
            assert!(html.contains("City: Osaka"), "{html}");
        } else {
            assert_eq!(parsed.subject(), Some("Hello Both"));
            assert!(html.contains("City: unknown"));
            assert!(unsubscribe.contains(&format!("/u/{both}.{weekly}.0.")), "{unsubscribe}");
        }
        assert_eq!(parsed.header_raw("Date").map(str::trim), Some("Tue, 1 Dec 2026 00:00:00 +0000"));
    }
    let report = store.campaign_report(campaign.id).await?;
    assert_eq!(report.by_status, vec![("delivered".to_owned(), 2)]);
    app.stop().await
}

#[tokio::test]
async fn a_killed_worker_loses_nobody_and_leavers_are_not_mailed() -> Result<()> {
    let app = spawn_app().await?;
    let store = &app.store;
    let weekly = list(store, "Weekly").await?;
    let mut ids = Vec::new();
    for i in 0..6 {
        let email = format!("r{i}@example.org");
        ids.push(
            subscriber(store, &email, "", serde_json::json!({}), &[(weekly, SubscriptionStatus::Confirmed)]).await?,
        );
    }
    let campaign = store.save_campaign(None, &fields("Crash", vec![weekly])).await?;
    let now = at("2026-12-01T09:00:00Z");
    store.set_campaign_status(campaign.id, &["draft"], "scheduled", Some(now)).await?;
    // Start it as the engine would, then let a worker lease four rows and die.
    let row = store.campaign(campaign.id).await?.context("campaign")?;
    let layout = prepare::layout(store, &row).await?;
    let compiled = prepare::compile(&row, &layout)?;
    assert_eq!(store.start_campaign(campaign.id, &compiled.links, &layout, None, now).await?, Some(6));
    let dead = store.lease_deliveries(now, 4, Duration::minutes(5)).await?;
    assert_eq!(dead.len(), 4);
    // One recipient leaves after the start: the row ends suppressed, unsent.
    store.unsubscribe(ids[5], weekly).await?;

    let mut engine = engine(&app, 100);
    assert_eq!(engine.tick(now + Duration::minutes(1)).await?, 2, "the dead worker's rows are still leased");
    assert_eq!(engine.tick(now + Duration::minutes(6)).await?, 4, "its lease ran out: they come due again");
    assert_eq!(engine.tick(now + Duration::minutes(7)).await?, 0);
    let report = store.campaign_report(campaign.id).await?;
    let mut statuses = report.by_status.clone();
    statuses.sort();
    assert_eq!(statuses, vec![("delivered".to_owned(), 5), ("suppressed".to_owned(), 1)]);
    let mut to: Vec<String> = captured(store).await?.into_iter().map(|(t, _)| t).collect();
    to.sort();
    assert_eq!(to, (0..5).map(|i| format!("r{i}@example.org")).collect::<Vec<_>>(), "each one exactly once");
    // The sandbox mailbox keeps the newest messages only; the queue keeps its rows.
    assert_eq!(store.prune_captured(2).await?, 3);
    assert_eq!(captured(store).await?.len(), 2);
    assert_eq!(store.prune_captured(2).await?, 0);
    assert_eq!(store.campaign_report(campaign.id).await?.by_status.iter().map(|(_, n)| n).sum::<i64>(), 6);
    assert_eq!(store.campaign(campaign.id).await?.context("campaign")?.status, CampaignStatus::Finished);
    app.stop().await
}

/// The click and open links of one captured message.
fn tracking_links(raw: &[u8]) -> Result<(String, String)> {
    let parsed = MessageParser::default().parse(raw).context("parses")?;
    let html = parsed.body_html(0).context("html")?.into_owned();
    let find = |marker: &str| -> Result<String> {
        let start = html.find(marker).with_context(|| format!("no {marker} in {html}"))?;
        let end = start + html[start..].find('"').context("quoted")?;
        Ok(html[start..end].to_owned())
    };
    Ok((find("http://127.0.0.1")?.replace("&amp;", "&"), find("/t/o/").map(|p| p.to_owned())?))
}

#[tokio::test]
async fn tracking_links_redirect_count_and_refuse_tampering() -> Result<()> {
    let app = spawn_app().await?;
    let store = &app.store;
    let weekly = list(store, "Weekly").await?;
    subscriber(
        store,
        "reader@example.org",
        "Reader",
        serde_json::json!({}),
        &[(weekly, SubscriptionStatus::Confirmed)],
    )
    .await?;
    let campaign = store.save_campaign(None, &fields("Tracked", vec![weekly])).await?;
    // Delivered an hour ago by the engine's clock: clicks now are people's.
    let sent = Utc::now() - Duration::hours(1);
    store.set_campaign_status(campaign.id, &["draft"], "scheduled", Some(sent)).await?;
    engine(&app, 10).tick(sent).await?;
    let (_, raw) = captured(store).await?.pop().context("a captured message")?;
    let (click, open_path) = tracking_links(&raw)?;
    assert!(click.contains("/t/c/"), "{click}");

    let client = http();
    let browser_agent =
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
    let response = client.get(&click).header("user-agent", browser_agent).send().await?;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers().get("location").and_then(|l| l.to_str().ok()), Some("https://shop.example/sale?x=1"));
    // A security gateway following the link is told apart.
    let scanner =
        client.get(&click).header("user-agent", "Mozilla/5.0 (compatible; Barracuda Sentinel)").send().await?;
    assert_eq!(scanner.status().as_u16(), 303);
    // A tampered signature or link index: 404, and nothing is recorded.
    let (prefix, signature) = click.rsplit_once('.').context("signed")?;
    let mut forged = signature.to_owned();
    forged.replace_range(0..1, if signature.starts_with('A') { "B" } else { "A" });
    assert_eq!(client.get(format!("{prefix}.{forged}")).send().await?.status().as_u16(), 404);
    let other_link = click.replacen(&format!("/t/c/{}.0.", campaign.id), &format!("/t/c/{}.1.", campaign.id), 1);
    assert_eq!(client.get(&other_link).send().await?.status().as_u16(), 404);

    let pixel = client.get(format!("{}{open_path}", app.url)).header("user-agent", browser_agent).send().await?;
    assert_eq!(pixel.status().as_u16(), 200);
    assert_eq!(pixel.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("image/gif"));
    // Apple's privacy proxy fetches with a bare agent: a machine open.
    client.get(format!("{}{open_path}", app.url)).header("user-agent", "Mozilla/5.0").send().await?;

    // The writer batches: wait for the batch to land.
    let mut report = store.campaign_report(campaign.id).await?;
    for _ in 0..50 {
        if report.human_clicks + report.machine_clicks + report.human_opens + report.machine_opens >= 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        report = store.campaign_report(campaign.id).await?;
    }
    assert_eq!((report.human_clicks, report.machine_clicks), (1, 1));
    assert_eq!((report.human_opens, report.machine_opens), (1, 1));
    assert_eq!((report.unique_human_opens, report.unique_human_clicks), (1, 1));
    assert_eq!(report.clicks_by_link, vec![(0, 1, 1)]);

    // The subscriber's history shows joining the list, the delivery, the
    // opens and the clicks.
    let reader = store.subscriber_by_email(&EmailAddress::parse("reader@example.org")?).await?.context("reader")?;
    let history = store.subscriber_activity(reader.id, 50).await?;
    let mut what: Vec<(String, String)> = history.iter().map(|a| (a.what.clone(), a.detail.clone())).collect();
    what.sort();
    assert_eq!(
        what,
        [
            ("click", "https://shop.example/sale?x=1"),
            ("click", "https://shop.example/sale?x=1 (machine)"),
            ("delivered", "250 captured in the sandbox mailbox"),
            ("open", ""),
            ("open", "(machine)"),
            ("subscribed", "confirmed"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );

    app.stop().await
}

#[tokio::test]
async fn clicks_right_after_delivery_are_scanners() -> Result<()> {
    let app = spawn_app().await?;
    let store = &app.store;
    let weekly = list(store, "Weekly").await?;
    subscriber(store, "fast@example.org", "", serde_json::json!({}), &[(weekly, SubscriptionStatus::Confirmed)])
        .await?;
    let campaign = store.save_campaign(None, &fields("Fast", vec![weekly])).await?;
    let now = Utc::now();
    store.set_campaign_status(campaign.id, &["draft"], "scheduled", Some(now)).await?;
    engine(&app, 10).tick(now).await?;
    let (_, raw) = captured(store).await?.pop().context("a captured message")?;
    let (click, _) = tracking_links(&raw)?;
    let agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36";
    assert_eq!(http().get(&click).header("user-agent", agent).send().await?.status().as_u16(), 303);
    let mut report = store.campaign_report(campaign.id).await?;
    for _ in 0..50 {
        if report.human_clicks + report.machine_clicks > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        report = store.campaign_report(campaign.id).await?;
    }
    assert_eq!((report.human_clicks, report.machine_clicks), (0, 1), "a click within seconds of delivery");
    app.stop().await
}

#[tokio::test]
async fn recipients_get_it_at_their_local_time_inside_the_window() -> Result<()> {
    let app = spawn_app().await?;
    let store = &app.store;
    let weekly = list(store, "Weekly").await?;
    let on = [(weekly, SubscriptionStatus::Confirmed)];
    subscriber(store, "tokyo@example.org", "", serde_json::json!({"tz": "Asia/Tokyo"}), &on).await?;
    subscriber(store, "newyork@example.org", "", serde_json::json!({"tz": "America/New_York"}), &on).await?;
    subscriber(store, "mars@example.org", "", serde_json::json!({"tz": "Mars/Olympus"}), &on).await?;
    subscriber(store, "nozone@example.org", "", serde_json::json!({}), &on).await?;
    let mut f = fields("Local nine", vec![weekly]);
    f.time_zone = "UTC".into();
    f.recipient_zone_attribute = "tz".into();
    f.window_start = chrono::NaiveTime::from_hms_opt(8, 0, 0);
    f.window_end = chrono::NaiveTime::from_hms_opt(20, 0, 0);
    let campaign = store.save_campaign(None, &f).await?;
    // 09:00 on 1 December in each recipient's zone; the earliest is UTC+14.
    let local = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).and_then(|d| d.and_hms_opt(9, 0, 0)).context("date")?;
    assert!(store.schedule_campaign(campaign.id, local.and_utc() - Duration::hours(14), Some(local)).await?);

    let mut engine = engine(&app, 100);
    let sent_to = |store: Store| async move {
        let mut to: Vec<String> = captured(&store).await?.into_iter().map(|(t, _)| t).collect();
        to.sort();
        anyhow::Ok(to)
    };
    assert_eq!(engine.tick(at("2026-11-30T19:00:00Z")).await?, 0, "started, nobody's 09:00 yet");
    assert_eq!(store.campaign(campaign.id).await?.context("campaign")?.status, CampaignStatus::Sending);
    assert_eq!(engine.tick(at("2026-12-01T00:00:00Z")).await?, 1, "09:00 in Tokyo");
    assert_eq!(sent_to(store.clone()).await?, ["tokyo@example.org"]);
    assert_eq!(engine.tick(at("2026-12-01T09:00:00Z")).await?, 2, "09:00 UTC: no zone, or not a real one");
    assert_eq!(engine.tick(at("2026-12-01T13:59:00Z")).await?, 0);
    assert_eq!(engine.tick(at("2026-12-01T14:00:00Z")).await?, 1, "09:00 in New York");
    assert_eq!(sent_to(store.clone()).await?.len(), 4);

    // Sent "now" at 21:00 UTC with a 08:00–20:00 window: it waits for 08:00.
    let mut late = fields("Late", vec![weekly]);
    late.time_zone = "UTC".into();
    late.window_start = chrono::NaiveTime::from_hms_opt(8, 0, 0);
    late.window_end = chrono::NaiveTime::from_hms_opt(20, 0, 0);
    let late = store.save_campaign(None, &late).await?;
    let evening = at("2026-12-02T21:00:00Z");
    store.schedule_campaign(late.id, evening, None).await?;
    assert_eq!(engine.tick(evening).await?, 0);
    assert_eq!(engine.tick(at("2026-12-03T07:59:00Z")).await?, 0);
    assert_eq!(engine.tick(at("2026-12-03T08:00:00Z")).await?, 4);
    app.stop().await
}

#[tokio::test]
async fn an_ab_test_sends_the_winning_subject_to_the_rest() -> Result<()> {
    let app = spawn_app().await?;
    let store = &app.store;
    let weekly = list(store, "Weekly").await?;
    for i in 0..20 {
        let on = [(weekly, SubscriptionStatus::Confirmed)];
        subscriber(store, &format!("ab{i}@example.org"), "", serde_json::json!({}), &on).await?;
    }
    let mut f = fields("Subject test", vec![weekly]);
    f.subject = "Subject A".into();
    f.ab_subjects = vec!["Subject B for {{ subscriber.email }}".into()];
    f.ab_sample_percent = 50;
    f.ab_wait_minutes = 60;
    let campaign = store.save_campaign(None, &f).await?;
    let start = at("2026-12-01T09:00:00Z");
    store.schedule_campaign(campaign.id, start, None).await?;
    let mut engine = engine(&app, 100);
    assert_eq!(engine.tick(start).await?, 10, "half the audience tests the two subjects");
    let sample = store.outbound_messages(100).await?;
    let b_readers: Vec<String> =
        sample.iter().filter(|m| m.subject.starts_with("Subject B")).map(|m| m.to_address.clone()).collect();
    assert_eq!(b_readers.len(), 5, "split evenly");
    for m in sample.iter().filter(|m| m.subject.starts_with("Subject B")) {
        assert_eq!(m.subject, format!("Subject B for {}", m.to_address), "the B subject is a template too");
    }

    // Three people open B, one opens A, and a privacy proxy opens A twice.
    let mut events = Vec::new();
    let a_reader = sample.iter().find(|m| m.subject == "Subject A").context("an A reader")?;
    for (address, machine) in b_readers
        .iter()
        .take(3)
        .map(|a| (a.as_str(), false))
        .chain([(a_reader.to_address.as_str(), false)])
        .chain(std::iter::repeat_n((a_reader.to_address.as_str(), true), 2))
    {
        let id = store.subscriber_by_email(&EmailAddress::parse(address)?).await?.context("reader")?.id;
        events.push(store::TrackEvent {
            campaign_id: campaign.id,
            subscriber_id: Some(id),
            kind: EventKind::Open,
            link: None,
            machine,
            at: start + Duration::minutes(5),
        });
    }
    store.record_events(&events).await?;

    assert_eq!(engine.tick(start + Duration::minutes(59)).await?, 0, "the rest waits for the result");
    assert_eq!(engine.tick(start + Duration::minutes(60)).await?, 10, "the rest gets the winner");
    let after = store.campaign(campaign.id).await?.context("campaign")?;
    assert_eq!(after.ab_winner, Some(1));
    assert_eq!(after.status, CampaignStatus::Finished);
    let all = store.outbound_messages(100).await?;
    assert_eq!(all.iter().filter(|m| m.subject.starts_with("Subject B")).count(), 15);
    assert_eq!(all.iter().filter(|m| m.subject == "Subject A").count(), 5);
    let variants = store.variant_report(campaign.id).await?;
    assert_eq!(variants, vec![(0, 5, 1, 0), (1, 15, 3, 0)]);

    // Segments on activity: people who opened, never opened, received.
    let activity = |did: store::Activity, campaign_id: Option<i64>, within_days: Option<u32>| {
        store::Filter::Activity(store::ActivityCondition { did, campaign_id, within_days })
    };
    assert_eq!(store.segment_count(&activity(store::Activity::Opened, None, None)).await?, 4);
    assert_eq!(store.segment_count(&activity(store::Activity::Opened, Some(campaign.id), Some(30))).await?, 4);
    assert_eq!(store.segment_count(&activity(store::Activity::Opened, Some(campaign.id + 1), None)).await?, 0);
    let never = store::Filter::Not(Box::new(activity(store::Activity::Opened, None, None)));
    assert_eq!(store.segment_count(&never).await?, 16);
    assert_eq!(store.segment_count(&activity(store::Activity::Received, Some(campaign.id), None)).await?, 20);
    assert_eq!(store.segment_count(&activity(store::Activity::Clicked, None, None)).await?, 0);
    let bad = activity(store::Activity::Bounced, None, Some(0));
    assert!(store.segment_count(&bad).await.is_err(), "0 days is refused");
    app.stop().await
}

#[tokio::test]
async fn messages_from_a_domain_with_keys_carry_its_own_signatures() -> Result<()> {
    let app = spawn_app().await?;
    let store = &app.store;
    let weekly = list(store, "Weekly").await?;
    subscriber(store, "signed@example.org", "", serde_json::json!({}), &[(weekly, SubscriptionStatus::Confirmed)])
        .await?;
    let (_, records) = identity::add_domain(store, &app.key, "Shop.Example", true).await?;
    assert_eq!(records.len(), 2, "an RSA and an Ed25519 record");
    assert!(records.iter().all(|(name, _)| name.ends_with("._domainkey.shop.example")));

    let signed = store.save_campaign(None, &fields("Signed", vec![weekly])).await?;
    let mut unsigned_fields = fields("Unsigned", vec![weekly]);
    unsigned_fields.from_address = "news@nokey.example".into();
    let unsigned = store.save_campaign(None, &unsigned_fields).await?;
    let now = at("2026-12-01T09:00:00Z");
    store.schedule_campaign(signed.id, now, None).await?;
    store.schedule_campaign(unsigned.id, now, None).await?;
    assert_eq!(engine(&app, 10).tick(now).await?, 2);

    let messages = captured(store).await?;
    assert_eq!(messages.len(), 2);
    let mut verdicts = Vec::new();
    for (_, raw) in &messages {
        verdicts.push(message::dkim::verify(raw, &records).await);
    }
    verdicts.sort_by_key(Vec::len);
    assert!(verdicts[0].is_empty(), "the domain without a key goes unsigned: {:?}", verdicts[0]);
    let mut passed: Vec<(String, bool)> = verdicts[1].iter().map(|v| (v.domain.clone(), v.passed())).collect();
    passed.sort();
    assert_eq!(passed, [("shop.example".to_owned(), true), ("shop.example".to_owned(), true)]);
    // The stored keys open only with this server's key (they are sealed).
    let stranger = message::SecretKey::random();
    assert!(identity::signer(store, &stranger, "shop.example").await.is_err());
    app.stop().await
}

#[tokio::test]
async fn campaigns_through_the_api() -> Result<()> {
    let app = spawn_app().await?;
    let weekly = list(&app.store, "Weekly").await?;
    subscriber(&app.store, "api@example.org", "Api", serde_json::json!({}), &[(weekly, SubscriptionStatus::Confirmed)])
        .await?;
    let api = app.api().await?;
    let draft = |body: &str| {
        serde_json::json!({
            "name": "From a script", "from_address": "news@shop.example", "subject": "Hi {{ subscriber.name }}",
            "body": body, "list_ids": [weekly],
        })
    };
    let (status, error) = api.post("/campaigns", draft("Line one\n{% if x %}never closed\n")).await?;
    assert_eq!(status, 422, "{error}");
    assert_eq!(error["field"], "body");
    assert!(error["error"].as_str().unwrap_or_default().starts_with("body, line "), "{error}");
    let (status, error) = api.post("/campaigns", serde_json::json!({"name": "x", "bogus": 1})).await?;
    assert_eq!(status, 422, "unknown fields are refused: {error}");

    let (status, created) = api.post("/campaigns", draft("# Hello {{ subscriber.name }}")).await?;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().context("id")?;
    assert_eq!(created["status"], "draft");
    let (status, error) =
        api.post(&format!("/campaigns/{id}/schedule"), serde_json::json!({"send_at": "tomorrow"})).await?;
    assert_eq!((status, error["field"].as_str()), (422, Some("send_at")), "{error}");
    let (status, scheduled) = api.post(&format!("/campaigns/{id}/schedule"), serde_json::json!({})).await?;
    assert_eq!((status, scheduled["status"].as_str()), (200, Some("scheduled")), "{scheduled}");

    engine(&app, 10).tick(Utc::now() + Duration::seconds(1)).await?;
    let (status, report) = api.get(&format!("/campaigns/{id}/report")).await?;
    assert_eq!(status, 200);
    assert_eq!(report["deliveries"]["delivered"], 1, "{report}");
    let (_, all) = api.get("/campaigns").await?;
    assert_eq!(all[0]["status"], "finished", "{all}");
    let (_, doc) = api.get("/openapi.json").await?;
    assert!(doc["paths"]["/campaigns/{id}/schedule"]["post"].is_object());
    app.stop().await
}

#[tokio::test]
async fn leaving_the_list_or_the_exit_segment_ends_a_sequence() -> Result<()> {
    let app = spawn_app().await?;
    let store = &app.store;
    let trial = list(store, "Trial").await?;
    let exit = store
        .create_segment(
            "Customers",
            &serde_json::from_value(serde_json::json!({"attribute": {"key": "customer", "op": "eq", "value": true}}))?,
        )
        .await?;
    let sequence = store.create_sequence("Onboarding", trial, Some(exit.id), None).await?;
    for (name, days) in [("Day 0", 0), ("Day 2", 2), ("Day 4", 4)] {
        let mut step = fields(name, Vec::new());
        step.subject = name.into();
        store.add_step(sequence.id, days * 1440, &step).await?;
    }
    prepare::activate_sequence(store, &app.key, sequence.id, &app.url).await?;
    let on = [(trial, SubscriptionStatus::Confirmed)];
    let stays = subscriber(store, "stays@example.org", "", serde_json::json!({}), &on).await?;
    let leaves = subscriber(store, "leaves@example.org", "", serde_json::json!({}), &on).await?;
    let buys = subscriber(store, "buys@example.org", "", serde_json::json!({}), &on).await?;
    let joined = Utc::now();
    let mut engine = engine(&app, 100);
    assert_eq!(engine.tick(joined + Duration::seconds(5)).await?, 3, "day 0 for all three");
    store.unsubscribe(leaves, trial).await?;
    store.update_subscriber(buys, None, Some(&serde_json::json!({"customer": true})), None).await?;
    assert_eq!(
        engine.tick(joined + Duration::days(2) + Duration::minutes(1)).await?,
        1,
        "day 2 only for the one who stayed"
    );
    assert_eq!(engine.tick(joined + Duration::days(4) + Duration::minutes(1)).await?, 1);
    let progress = store.sequence_progress(sequence.id, 10).await?;
    let steps = |id: i64| progress.iter().find(|p| p.subscriber_id == id).map(|p| (p.steps_sent, p.on_list));
    assert_eq!(steps(stays), Some((3, true)));
    assert_eq!(steps(leaves), Some((1, false)));
    assert_eq!(steps(buys), Some((1, true)));
    app.stop().await
}

/// A sequence started once by a date (a trial's end): dates from the day of
/// activation on count, even when the step was due earlier that day; an
/// earlier date does not, even when a step would still be due.
#[tokio::test]
async fn a_date_sequence_counts_dates_from_the_day_of_activation() -> Result<()> {
    let app = spawn_app().await?;
    let store = &app.store;
    let trial = list(store, "Trial").await?;
    let trigger = store::DateTrigger { attribute: "trial_ends".into(), yearly: false };
    let sequence = store.create_sequence("Trial end", trial, None, Some(&trigger)).await?;
    for (name, days) in [("Ends today", 0), ("Ended yesterday", 1)] {
        let mut step = fields(name, Vec::new());
        step.subject = name.into();
        store.add_step(sequence.id, days * 1440, &step).await?;
    }
    prepare::activate_sequence(store, &app.key, sequence.id, &app.url).await?;
    let now = Utc::now();
    let today = now.date_naive();
    let on = [(trial, SubscriptionStatus::Confirmed)];
    let ends = |days: i64| serde_json::json!({ "trial_ends": (today + Duration::days(days)).to_string() });
    subscriber(store, "today@example.org", "", ends(0), &on).await?;
    subscriber(store, "earlier@example.org", "", ends(-3), &on).await?;
    subscriber(store, "later@example.org", "", ends(2), &on).await?;
    let midnight = |days: i64| (today + Duration::days(days)).and_hms_opt(0, 5, 0).map(|t| t.and_utc());
    let mut engine = engine(&app, 100);
    assert_eq!(engine.tick(now).await?, 1, "today's, though due at midnight");
    assert_eq!(engine.tick(midnight(1).context("time")?).await?, 1, "today's second step");
    assert_eq!(engine.tick(midnight(2).context("time")?).await?, 1, "later's first");
    assert_eq!(engine.tick(midnight(3).context("time")?).await?, 1, "later's second");
    assert_eq!(engine.tick(midnight(30).context("time")?).await?, 0, "once, not every year");
    let progress = store.sequence_progress(sequence.id, 10).await?;
    let mut got: Vec<(String, i64)> = progress.iter().map(|p| (p.email.clone(), p.steps_sent)).collect();
    got.sort();
    assert_eq!(got, [("later@example.org".to_owned(), 2), ("today@example.org".to_owned(), 2)]);
    app.stop().await
}

/// Answers like receiving servers would, from a script per recipient, until
/// the SMTP lab (real sinks over loopback) exists: the engine's bookkeeping
/// of replies is what this exercises.
struct Scripted {
    replies: std::sync::Mutex<std::collections::HashMap<String, Vec<Reply>>>,
}

/// Code, enhanced code, text.
type Reply = (u16, &'static str, &'static str);

impl delivery::Transport for Scripted {
    async fn deliver(
        &self,
        batch: Vec<delivery::Outgoing>,
    ) -> Result<Vec<(delivery::Queued, delivery::Attempt)>, delivery::EngineError> {
        let mut replies = self.replies.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut attempts = Vec::new();
        for out in batch {
            let script = replies.get_mut(out.queued.recipient()).filter(|s| !s.is_empty());
            let (code, enhanced, text) = match script {
                Some(s) if s.len() > 1 => s.remove(0),
                Some(s) => s[0],
                None => (250, "2.0.0", "OK"),
            };
            let attempt =
                delivery::Attempt::from_reply(code, Some(enhanced.into()), text.into(), Some("mx.test".into()));
            attempts.push((out.queued, attempt));
        }
        Ok(attempts)
    }
}

#[tokio::test]
async fn replies_defer_with_backoff_bounce_and_suppress_or_expire() -> Result<()> {
    let app = spawn_app().await?;
    let store = &app.store;
    let weekly = list(store, "Weekly").await?;
    for who in ["throttled", "unknown", "busy"] {
        subscriber(
            store,
            &format!("{who}@example.org"),
            "",
            serde_json::json!({}),
            &[(weekly, SubscriptionStatus::Confirmed)],
        )
        .await?;
    }
    let script = std::collections::HashMap::from([
        (
            "throttled@example.org".to_owned(),
            vec![(421, "4.7.28", "4.7.28 unusual rate of mail from your IP"), (250, "2.0.0", "OK")],
        ),
        ("unknown@example.org".to_owned(), vec![(550, "5.1.1", "5.1.1 The email account does not exist")]),
        ("busy@example.org".to_owned(), vec![(451, "4.3.0", "Temporary local problem")]),
    ]);
    let transport = Scripted { replies: std::sync::Mutex::new(script) };
    // Retried for one day (the default is three).
    let config = EngineConfig {
        public_url: app.url.clone(),
        batch: 100,
        lease: Duration::minutes(5),
        retry_days: 1,
        ..Default::default()
    };
    let mut engine = Engine::new(store.clone(), app.key.clone(), config, transport);
    let campaign = store.save_campaign(None, &fields("Replies", vec![weekly])).await?;
    let now = Utc::now();
    store.schedule_campaign(campaign.id, now, None).await?;
    assert_eq!(engine.tick(now).await?, 3);
    let rows = store.campaign_deliveries(campaign.id, 10).await?;
    let row = |email: &str| rows.iter().find(|r| r.email == email).cloned().context("row");
    let throttled = row("throttled@example.org")?;
    assert_eq!(
        (throttled.status.as_str(), throttled.last_code, throttled.last_enhanced.as_deref()),
        ("deferred", Some(421), Some("4.7.28"))
    );
    // (The database keeps microseconds, so allow the last one.)
    let minutes = |at: chrono::DateTime<Utc>| ((at - now).num_milliseconds() as f64 / 60_000.0).round() as i64;
    assert_eq!(minutes(throttled.next_attempt_at), 10, "5 minutes, doubled for a throttling reply");
    assert_eq!(row("unknown@example.org")?.status, DeliveryStatus::Bounced);
    assert!(store.is_suppressed(&EmailAddress::parse("unknown@example.org")?).await?, "a dead address is suppressed");
    assert_eq!(minutes(row("busy@example.org")?.next_attempt_at), 5);

    assert_eq!(engine.tick(now + Duration::minutes(4)).await?, 0, "nothing due before its retry time");
    assert_eq!(engine.tick(now + Duration::minutes(10)).await?, 2, "the throttled and the busy one try again");
    let rows = store.campaign_deliveries(campaign.id, 10).await?;
    assert_eq!(rows.iter().find(|r| r.email == "throttled@example.org").map(|r| r.status.as_str()), Some("delivered"));
    // The busy one keeps deferring, further apart each time, until its
    // lifetime (a day here) ends: 32 hours later it has failed.
    let mut at = now + Duration::minutes(10);
    for _ in 0..8 {
        at += Duration::hours(4);
        engine.tick(at).await?;
    }
    let busy = store
        .campaign_deliveries(campaign.id, 10)
        .await?
        .into_iter()
        .find(|r| r.email == "busy@example.org")
        .context("busy")?;
    assert_eq!(busy.status, DeliveryStatus::Failed);
    assert!(busy.last_reply.as_deref().unwrap_or_default().starts_with("expired after"), "{busy:?}");
    assert_eq!(store.campaign(campaign.id).await?.context("campaign")?.status, CampaignStatus::Finished);
    app.stop().await
}

#[tokio::test]
async fn a_campaign_to_a_japanese_list_goes_out_with_japanese_footer_words_and_the_sender_identity() -> Result<()> {
    let app = spawn_app().await?;
    let store = &app.store;
    let news = list(store, "週刊ニュース").await?;
    store.set_list_language(news, "ja").await?;
    tests::fixtures::subscriber(
        store,
        "hanako@example.jp",
        "花子",
        serde_json::json!({}),
        &[(news, domain::SubscriptionStatus::Confirmed)],
    )
    .await?;
    // Created through the API without a language: it takes its list's.
    let api = app.api().await?;
    let (status, created) = api
        .post(
            "/campaigns",
            serde_json::json!({"name": "冬", "from_address": "news@shop.example", "subject": "冬のお知らせ",
                "body": "# 冬のセール\n\n今週末まで。", "list_ids": [news]}),
        )
        .await?;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().context("id")?;
    assert_eq!(store.campaign(id).await?.context("campaign")?.language, "ja");
    let (status, refused) = api
        .post(
            "/campaigns",
            serde_json::json!({"name": "x", "from_address": "news@shop.example", "subject": "x", "body": "x",
                "language": "klingon"}),
        )
        .await?;
    assert_eq!((status, refused["field"].as_str()), (422, Some("language")), "{refused}");

    // The From domain's sender identity block, for the footer (特定電子メール法);
    // the HTML escapes it as all subscriber-facing values (`/` as `&#x2f;`).
    identity::add_domain(store, &app.key, "shop.example", false).await?;
    let who = store::SenderIdentity {
        name: "株式会社ショップ".into(),
        postal_address: "〒530-0001 大阪府大阪市北区梅田1-1-1".into(),
        contact: "https://shop.example/contact".into(),
    };
    assert!(store.set_sender_identity("shop.example", &who).await?);

    let (status, _) = api.post(&format!("/campaigns/{id}/schedule"), serde_json::json!({})).await?;
    assert_eq!(status, 200);
    let mut engine = engine(&app, 100);
    engine.tick(Utc::now() + Duration::seconds(1)).await?;
    engine.tick(Utc::now() + Duration::seconds(2)).await?;
    let messages = captured(store).await?;
    let (_, raw) = messages.first().context("sent")?;
    let parsed = MessageParser::default().parse(raw).context("parses")?;
    let html = parsed.body_html(0).context("html")?;
    assert!(html.contains("<html lang=\"ja\">"), "{html}");
    assert!(
        html.contains(
            "発行：株式会社ショップ<br>住所：〒530-0001 大阪府大阪市北区梅田1-1-1<br>\
             配信停止・お問い合わせ：https:&#x2f;&#x2f;shop.example&#x2f;contact"
        ),
        "{html}"
    );
    assert!(html.contains("このメールは週刊ニュースにご登録いただいた方にお送りしています。"), "{html}");
    for words in ["ブラウザで表示", "配信設定の変更", "配信停止"] {
        assert!(html.contains(words), "{words} in {html}");
    }
    let text = parsed.body_text(0).context("text")?;
    assert!(text.contains("\n配信停止: http"), "{text}");
    assert!(text.contains("\n発行：株式会社ショップ\n住所：〒530-0001 大阪府大阪市北区梅田1-1-1\n"), "{text}");
    assert!(!text.contains("Unsubscribe"), "{text}");
    app.stop().await
}

#[tokio::test]
async fn readers_may_say_why_they_leave_and_the_report_counts_it() -> Result<()> {
    let app = spawn_app().await?;
    let store = &app.store;
    let weekly = list(store, "Weekly").await?;
    let confirmed = domain::SubscriptionStatus::Confirmed;
    let mut readers = Vec::new();
    for email in ["a@example.org", "b@example.org"] {
        readers
            .push(tests::fixtures::subscriber(store, email, "", serde_json::json!({}), &[(weekly, confirmed)]).await?);
    }
    let campaign = store.save_campaign(None, &tests::fixtures::fields("Weekly 1", vec![weekly])).await?;
    store.schedule_campaign(campaign.id, Utc::now(), None).await?;
    let mut engine = engine(&app, 100);
    engine.tick(Utc::now() + Duration::seconds(1)).await?;
    engine.tick(Utc::now() + Duration::seconds(2)).await?;

    // One reader says why, in their words; the other leaves by one click.
    let browser = tests::Browser::launch().await?;
    browser.goto(&app.state.unsubscribe_url(readers[0], weekly)).await?;
    browser.toggle("input[name=reason][value=too_many]").await?;
    browser.fill("textarea[name=detail]", "Twice a week would be fine").await?;
    browser.click("#action").await?;
    assert_eq!(browser.text("h1").await?, "You are unsubscribed");
    let one_click = tests::http()
        .post(app.state.unsubscribe_url(readers[1], weekly))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await?;
    assert!(one_click.status().is_success());

    let (reasons, words) = store.unsubscribe_reasons(campaign.id).await?;
    assert_eq!(reasons, vec![("too_many".to_owned(), 1)], "the one-click leaves no reason");
    assert_eq!(words, vec!["Twice a week would be fine".to_owned()]);
    let admin = app.logged_in_browser().await?;
    admin.goto(&format!("{}/campaigns/{}/report", app.url, campaign.id)).await?;
    let shown = admin.text("#leave-reasons").await?;
    assert!(shown.contains("I get too many emails") && shown.contains('1'), "{shown}");
    assert_eq!(admin.text("#leave-words").await?, "Twice a week would be fine");
    admin.close().await?;
    browser.close().await?;
    app.stop().await
}

#[tokio::test]
async fn an_iso_2022_jp_draft_names_what_it_cannot_carry_and_widens_half_width_katakana() -> Result<()> {
    let app = spawn_app().await?;
    let news = list(&app.store, "週刊ニュース").await?;
    let api = app.api().await?;
    let draft = |body: &str| {
        serde_json::json!({"name": "冬", "from_address": "news@shop.example", "subject": "ｾｰﾙのご案内",
            "body": body, "list_ids": [news], "charset": "iso-2022-jp"})
    };
    // Vendor-specific characters, characters outside JIS X 0208 and emoji
    // are refused with their place, in the client's language.
    let (status, refused) = api.post("/campaigns", draft("ご案内\n\n①会場は㈱ショップ🎉")).await?;
    assert_eq!((status, refused["field"].as_str()), (422, Some("body")), "{refused}");
    let said = refused["error"].as_str().unwrap_or_default();
    assert!(said.starts_with("Body, line 3, column 1: “①” cannot be sent in ISO-2022-JP"), "{said}");
    let (status, _) = api
        .post(
            "/campaigns",
            serde_json::json!({"name": "x", "from_address": "news@shop.example",
        "subject": "x", "body": "x", "charset": "shift_jis"}),
        )
        .await?;
    assert_eq!(status, 422);
    // Half-width katakana are made full-width.
    let (status, created) = api.post("/campaigns", draft("ｶﾞｲﾄﾞﾌﾞｯｸ ﾌﾟﾚｾﾞﾝﾄ")).await?;
    assert_eq!((status, created["charset"].as_str()), (201, Some("iso-2022-jp")), "{created}");
    assert_eq!(created["subject"], "セールのご案内");
    let id = created["id"].as_i64().context("id")?;
    assert_eq!(app.store.campaign(id).await?.context("campaign")?.body, "ガイドブック プレゼント");

    // The page shows each fault with its place, and what it converted.
    let browser = app.logged_in_browser().await?;
    browser.goto(&format!("{}/campaigns/{id}", app.url)).await?;
    browser.fill("textarea[name=body]", "髙島屋のｾｰﾙ").await?;
    browser.click("#save").await?;
    let errors = browser.text("main").await?;
    assert!(
        errors.contains("Body, line 1, column 1: “髙” cannot be sent in ISO-2022-JP (outside JIS X 0208"),
        "{errors}"
    );
    browser.fill("textarea[name=body]", "高島屋のｾｰﾙ").await?;
    browser.click("#save").await?;
    assert!(browser.text("main").await?.contains("ｾｰﾙ → セール"), "the conversion is shown");
    assert_eq!(app.store.campaign(id).await?.context("campaign")?.body, "高島屋のセール");
    browser.close().await?;
    app.stop().await
}
