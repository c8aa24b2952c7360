//! Outgoing webhooks against a local receiver: an endpoint set up on the
//! dashboard gets every kind of event, signed with its own secret; a
//! receiver that fails three times then recovers gets each event exactly
//! once and each subscriber's events in order, across a sender that dies
//! holding a lease; the test button and the delivery history.

use anyhow::{Context, Result};
use chrono::{Duration, Utc};
use delivery::{Engine, EngineConfig, Sandbox};
use domain::{EventKind, SubscriptionStatus, WebhookStatus};
use store::{NewBounce, TrackEvent};
use tests::fixtures::{fields, list, subscriber};
use tests::{spawn_app, webhook_receiver};

fn sender(app: &tests::TestApp) -> Result<webhooks::Sender> {
    Ok(webhooks::Sender {
        store: app.store.clone(),
        client: webhooks::Sender::client(&tests::loopback_reach()).map_err(anyhow::Error::msg)?,
        reach: tests::loopback_reach(),
        key: app.key.clone(),
        lease: chrono::Duration::minutes(5),
        alert_secret: None,
    })
}

fn text_between<'a>(html: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = html.find(start)? + start.len();
    html[from..].split(end).next()
}

#[tokio::test]
async fn every_event_arrives_once_in_order_per_subscriber_despite_failures_and_a_dead_sender() -> Result<()> {
    let app = spawn_app().await?;
    let owner = app.person("owner@example.jp", "owner").await?;
    let (url, log) = webhook_receiver(3).await?;

    // The owner adds the endpoint for every subscriber and delivery event.
    let mut form = vec![("url", url.as_str()), ("description", "CRM")];
    for event in ["subscribed", "confirmed", "unsubscribed", "delivered", "bounced", "complained", "opened", "clicked"]
    {
        form.push(("event", event));
    }
    let (status, to) = owner.page(&app, "POST", "/webhooks", &form).await?;
    assert_eq!(status, 303, "{to}");
    let endpoint: i64 = to.trim_start_matches("→ /webhooks/").parse()?;
    let (_, page) = owner.page(&app, "GET", &format!("/webhooks/{endpoint}"), &[]).await?;
    let secret = text_between(&page, "<code id=\"secret\">", "</code>").context("the secret is shown")?.to_string();
    assert!(secret.starts_with("whsec_"));
    // Bad input: not a URL, no event.
    let (status, page) =
        owner.page(&app, "POST", "/webhooks", &[("url", "ftp://x.example/"), ("event", "opened")]).await?;
    assert!(status == 422 && page.contains("not an http(s) URL"), "{page}");
    let (status, page) = owner.page(&app, "POST", "/webhooks", &[("url", "https://y.example/")]).await?;
    assert!(status == 422 && page.contains("at least one event"), "{page}");

    // Two subscribers join; one confirms, receives a campaign, opens,
    // clicks, bounces softly, complains and leaves; the other confirms.
    let store = &app.store;
    let news = list(store, "News").await?;
    let unconfirmed = SubscriptionStatus::Unconfirmed;
    let aiko = subscriber(store, "aiko@example.org", "Aiko", serde_json::json!({}), &[(news, unconfirmed)]).await?;
    let ben = subscriber(store, "ben@example.org", "Ben", serde_json::json!({}), &[(news, unconfirmed)]).await?;
    store.set_subscription(aiko, news, SubscriptionStatus::Confirmed).await?;
    store.set_subscription(ben, news, SubscriptionStatus::Confirmed).await?;
    let campaign = store.save_campaign(None, &fields("Autumn", vec![news])).await?;
    let now = Utc::now();
    assert!(store.set_campaign_status(campaign.id, &["draft"], "scheduled", Some(now)).await?);
    let config =
        EngineConfig { public_url: app.url.clone(), batch: 10, lease: Duration::minutes(5), ..Default::default() };
    let mut engine = Engine::new(store.clone(), app.key.clone(), config, Sandbox { store: store.clone() });
    assert_eq!(engine.tick(now).await?, 2);
    let deliveries = store.campaign_deliveries(campaign.id, 10).await?;
    let aikos = deliveries.iter().find(|d| d.subscriber_id == aiko).context("Aiko's delivery")?;
    let event = |kind, link| TrackEvent {
        campaign_id: campaign.id,
        subscriber_id: Some(aiko),
        kind,
        link,
        machine: false,
        at: now + Duration::minutes(5),
    };
    store.record_events(&[event(EventKind::Open, None), event(EventKind::Click, Some(0))]).await?;
    let bounced = store.delivery_for_feedback(aikos.id).await?.context("feedback target")?;
    let bounce = NewBounce {
        email: "aiko@example.org",
        reason: "mailbox_full",
        effect: "soft",
        status: "4.2.2",
        diagnostic: "452 4.2.2 Mailbox full",
        arrived_later: true,
    };
    store.record_bounce(Some(&bounced), &bounce).await?;
    store.record_complaint(Some(&bounced), "aiko@example.org", "abuse", "Test/1.0").await?;
    store.set_subscription(aiko, news, SubscriptionStatus::Unsubscribed).await?;

    let queued = store.endpoint_deliveries(endpoint, 100).await?;
    let of = |who: i64| -> Vec<String> {
        let mut rows: Vec<_> = queued.iter().filter(|d| d.subscriber_id == Some(who)).collect();
        rows.sort_by_key(|d| d.id);
        rows.iter().map(|d| d.event.clone()).collect()
    };
    let aiko_expected =
        ["subscribed", "confirmed", "delivered", "opened", "clicked", "bounced", "complained", "unsubscribed"];
    assert_eq!(of(aiko), aiko_expected);
    assert_eq!(of(ben), ["subscribed", "confirmed", "delivered"]);

    // Send, with the clock moving a minute a round. A sender dies after its
    // second round holding a lease on what it had just taken; a new one
    // takes over once the lease ends.
    let first = sender(&app)?;
    let mut t = Utc::now();
    for _ in 0..2 {
        first.round(t).await?;
        t += Duration::minutes(1);
    }
    let orphaned = store.lease_webhooks(t, 100, 100, Duration::minutes(5)).await?;
    assert!(!orphaned.is_empty(), "the dead sender held something");
    drop(first);
    let second = sender(&app)?;
    for _ in 0..60 {
        t += Duration::minutes(1);
        second.round(t).await?;
    }
    let left = store.endpoint_deliveries(endpoint, 100).await?;
    assert!(left.iter().all(|d| d.status == WebhookStatus::Delivered), "{left:#?}");

    // The receiver: three failures, then every delivery exactly once.
    let log = log.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    assert_eq!(log.iter().filter(|(status, _, _)| *status == 500).count(), 3);
    let accepted: Vec<(i64, String, serde_json::Value)> = log
        .iter()
        .filter(|(status, _, _)| *status == 200)
        .map(|(_, headers, body)| {
            let timestamp: i64 = headers["ninsho-timestamp"].to_str()?.parse()?;
            let expected = format!("v1={}", webhooks::signature(secret.as_bytes(), timestamp, body));
            assert_eq!(headers["ninsho-signature"].to_str()?, expected, "signed with the endpoint's secret");
            let json: serde_json::Value = serde_json::from_slice(body)?;
            assert_eq!(headers["ninsho-event"].to_str()?, json["event"]);
            Ok((json["id"].as_i64().context("id")?, json["event"].as_str().context("event")?.to_string(), json))
        })
        .collect::<Result<_>>()?;
    let mut ids: Vec<i64> = accepted.iter().map(|(id, _, _)| *id).collect();
    ids.sort_unstable();
    let mut all: Vec<i64> = queued.iter().map(|d| d.id).collect();
    all.sort_unstable();
    assert_eq!(ids, all, "each event accepted exactly once");
    for (who, expected) in [(aiko, &aiko_expected[..]), (ben, &["subscribed", "confirmed", "delivered"][..])] {
        let order: Vec<&str> = accepted
            .iter()
            .filter(|(_, _, json)| json["subscriber"]["id"].as_i64() == Some(who))
            .map(|(_, event, _)| event.as_str())
            .collect();
        assert_eq!(order, expected, "subscriber {who}'s events in order");
    }
    // The payloads say what happened.
    let find = |event: &str| {
        accepted.iter().find(|(_, e, json)| e == event && json["subscriber"]["id"] == aiko).map(|(_, _, j)| j.clone())
    };
    assert_eq!(find("bounced").context("bounced")?["bounce"]["class"], "mailbox_full");
    assert_eq!(find("bounced").context("bounced")?["bounce"]["effect"], "soft");
    assert_eq!(find("clicked").context("clicked")?["url"], "https://shop.example/sale?x=1");
    assert_eq!(find("delivered").context("delivered")?["campaign"]["name"], "Autumn");
    assert_eq!(find("unsubscribed").context("unsubscribed")?["list"]["name"], "News");
    assert_eq!(find("complained").context("complained")?["complaint"]["feedback_type"], "abuse");

    // The test button queues a test event; the history shows it delivered.
    let (status, _) = owner.page(&app, "POST", &format!("/webhooks/{endpoint}/test"), &[]).await?;
    assert_eq!(status, 303);
    assert_eq!(second.round(t + Duration::minutes(1)).await?, 1);
    let (_, page) = owner.page(&app, "GET", &format!("/webhooks/{endpoint}"), &[]).await?;
    let history = text_between(&page, "<table id=\"deliveries\">", "</table>").context("history")?;
    assert!(history.contains("<td>test</td>") && history.contains("<td>bounced</td>"), "{history}");
    // Every attempt is counted: the accepted ones and the three failures.
    let attempts: i32 = store.endpoint_deliveries(endpoint, 100).await?.iter().map(|d| d.attempts).sum();
    assert_eq!(attempts, i32::try_from(accepted.len())? + 1 + 3, "the test event, and three failures");
    // Only owners see webhooks.
    let marketer = app.person("marketer@example.jp", "marketer").await?;
    assert_eq!(marketer.page(&app, "GET", "/webhooks", &[]).await?.0, 403);
    app.stop().await
}

#[tokio::test]
async fn an_endpoint_gets_only_the_events_it_asked_for() -> Result<()> {
    let app = spawn_app().await?;
    let store = &app.store;
    let sealed = app.key.seal(webhooks::SEAL_PURPOSE, b"whsec_x");
    let endpoint =
        store.create_webhook_endpoint("http://127.0.0.1:9/hook", &["unsubscribed".into()], "", &sealed).await?;
    let news = list(store, "News").await?;
    let id = subscriber(store, "c@example.org", "C", serde_json::json!({}), &[(news, SubscriptionStatus::Unconfirmed)])
        .await?;
    store.set_subscription(id, news, SubscriptionStatus::Confirmed).await?;
    assert!(store.endpoint_deliveries(endpoint, 10).await?.is_empty(), "subscribed and confirmed were not asked for");
    store.set_subscription(id, news, SubscriptionStatus::Unsubscribed).await?;
    // Unsubscribing twice is one change.
    store.set_subscription(id, news, SubscriptionStatus::Unsubscribed).await?;
    let queued = store.endpoint_deliveries(endpoint, 10).await?;
    assert_eq!(queued.iter().map(|d| d.event.as_str()).collect::<Vec<_>>(), ["unsubscribed"]);
    // A removed list unsubscribes who was still on it (status "removed").
    let other =
        subscriber(store, "d@example.org", "D", serde_json::json!({}), &[(news, SubscriptionStatus::Confirmed)])
            .await?;
    store.delete_list(news).await?;
    let queued = store.endpoint_deliveries(endpoint, 10).await?;
    let removed = queued.iter().find(|d| d.subscriber_id == Some(other)).context("an event for D")?;
    assert_eq!((removed.event.as_str(), &removed.payload["status"]), ("unsubscribed", &serde_json::json!("removed")));
    assert_eq!(removed.payload["subscriber"]["email"], "d@example.org");
    // Erasing a subscriber erases the deliveries about them too.
    store.erase_subscriber(other).await?;
    assert!(store.endpoint_deliveries(endpoint, 10).await?.iter().all(|d| d.subscriber_id != Some(other)));
    app.stop().await
}

#[tokio::test]
async fn the_running_sender_delivers_everything_in_order_as_slots_free_up() -> Result<()> {
    let app = spawn_app().await?;
    let store = &app.store;
    let (url, log) = webhook_receiver(0).await?;
    let sealed = app.key.seal(webhooks::SEAL_PURPOSE, b"whsec_run");
    let events = ["subscribed".to_string(), "confirmed".to_string(), "unsubscribed".to_string()];
    let endpoint = store.create_webhook_endpoint(&url, &events, "", &sealed).await?;
    let news = list(store, "News").await?;
    let mut people = Vec::new();
    for n in 0..12 {
        let email = format!("reader{n}@example.org");
        let id =
            subscriber(store, &email, "R", serde_json::json!({}), &[(news, SubscriptionStatus::Unconfirmed)]).await?;
        store.set_subscription(id, news, SubscriptionStatus::Confirmed).await?;
        store.set_subscription(id, news, SubscriptionStatus::Unsubscribed).await?;
        people.push(id);
    }
    // The node's own loop, as `ninsho serve` runs it.
    let cancel = tokio_util::sync::CancellationToken::new();
    let running = tokio::spawn(sender(&app)?.run(cancel.clone()));
    let mut done = false;
    for _ in 0..200 {
        let rows = store.endpoint_deliveries(endpoint, 100).await?;
        if rows.len() == 36 && rows.iter().all(|d| d.status == WebhookStatus::Delivered) {
            done = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    cancel.cancel();
    running.await?;
    assert!(done, "all 36 events delivered within 20 s");
    let log = log.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    assert_eq!(log.len(), 36, "each once");
    for id in people {
        let order: Vec<String> = log
            .iter()
            .filter_map(|(_, _, body)| serde_json::from_slice::<serde_json::Value>(body).ok())
            .filter(|json| json["subscriber"]["id"].as_i64() == Some(id))
            .filter_map(|json| json["event"].as_str().map(String::from))
            .collect();
        assert_eq!(order, events, "subscriber {id}");
    }
    app.stop().await
}

#[tokio::test]
async fn webhooks_never_reach_internal_addresses_unless_allowed() -> Result<()> {
    let app = spawn_app().await?;
    let (url, log) = webhook_receiver(0).await?;
    let port = url.rsplit(':').next().and_then(|p| p.split('/').next()).context("port")?;
    let secret = app.key.seal(webhooks::SEAL_PURPOSE, b"whsec_x");
    // Loopback spelled three ways, and a name that resolves to it.
    for target in [format!("http://127.1:{port}/hook"), format!("http://2130706433:{port}/hook"), url.clone()] {
        app.store.create_webhook_endpoint(&target, &["subscribed".into()], "", &secret).await?;
    }
    app.store
        .create_webhook_endpoint(&format!("http://localhost:{port}/hook"), &["subscribed".into()], "", &secret)
        .await?;
    let news = list(&app.store, "News").await?;
    subscriber(&app.store, "a@example.org", "A", serde_json::json!({}), &[(news, SubscriptionStatus::Confirmed)])
        .await?;
    let guarded = webhooks::Reach::default();
    let by_default = webhooks::Sender {
        client: webhooks::Sender::client(&guarded).map_err(anyhow::Error::msg)?,
        reach: guarded,
        ..sender(&app)?
    };
    assert_eq!(by_default.round(Utc::now()).await?, 4);
    assert!(log.lock().map_err(|e| anyhow::anyhow!("{e}"))?.is_empty(), "nothing reached the receiver");
    let attempts = app.store.webhook_deliveries(10).await?;
    assert_eq!(attempts.len(), 4);
    for (_, url, _, _, error) in &attempts {
        let error = error.as_deref().unwrap_or_default();
        assert!(error.contains("refused:") && error.contains("internal address"), "{url}: {error}");
    }
    // The operator allows the loopback network: the same deliveries go through.
    assert_eq!(sender(&app)?.round(Utc::now() + Duration::hours(1)).await?, 4);
    assert_eq!(log.lock().map_err(|e| anyhow::anyhow!("{e}"))?.len(), 4);
    app.stop().await
}
