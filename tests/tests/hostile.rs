//! Hostile input at the edges, end to end: what an attacker can type into
//! the public form, the profile page, the API, a CSV file or the dashboard,
//! and what still could not hurt if it were already in the database.

use anyhow::{Context, Result};
use chrono::{Duration, Utc};
use delivery::{Engine, EngineConfig, Sandbox};
use domain::SubscriptionStatus;
use mail_parser::MessageParser;
use message::links::{LinkClaims, Purpose};
use serde_json::json;
use tests::fixtures::{fields, list, subscriber};
use tests::{TestApp, http, spawn_app};

/// Values that would end a header early; each must be refused.
const HOSTILE_NAMES: [&str; 5] = [
    "B\r\nReply-To: attacker@evil.example",
    "B\nReply-To: attacker@evil.example",
    "B\rX",
    "nul\0here",
    "B\r\n\r\n<p>attacker body</p>",
];

async fn form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Result<(u16, String)> {
    let response = http().post(format!("{}{path}", app.url)).form(fields).send().await?;
    Ok((response.status().as_u16(), response.text().await?))
}

#[tokio::test]
async fn control_characters_are_refused_at_every_edge_with_the_reason() -> Result<()> {
    let app = spawn_app().await?;
    let store = &app.store;
    let weekly = list(store, "Weekly").await?;
    let api = app.api().await?;
    let owner = app.person("owner@example.jp", "owner").await?;
    let reader =
        subscriber(store, "reader@example.jp", "Reader", json!({}), &[(weekly, SubscriptionStatus::Confirmed)]).await?;
    let profile = message::links::token(
        &app.key,
        Purpose::Profile,
        LinkClaims { subscriber_id: reader, list_id: 0, expires: Utc::now().timestamp() + 3600 },
    );

    for (i, name) in HOSTILE_NAMES.iter().enumerate() {
        let email = format!("attacker{i}@example.org");
        // The public signup form.
        let (status, page) = form(&app, &format!("/s/{weekly}"), &[("email", &email), ("name", name)]).await?;
        assert_eq!(status, 422, "{name:?}: {page}");
        assert!(page.contains("Your name contains a"), "{name:?}: {page}");
        // The API, creating and changing.
        let (status, error) = api.post("/subscribers", json!({"email": email, "name": name})).await?;
        assert_eq!((status, error["field"].as_str()), (422, Some("name")), "{name:?}: {error}");
        let (status, error) =
            api.call(reqwest::Method::PATCH, &format!("/subscribers/{reader}"), Some(json!({"name": name}))).await?;
        assert_eq!((status, error["field"].as_str()), (422, Some("name")), "{name:?}: {error}");
        let (status, error) =
            api.post("/subscribers", json!({"email": email, "attributes": {"city": format!("Osaka{name}")}})).await?;
        if name.contains('\0') {
            assert_eq!((status, error["field"].as_str()), (422, Some("attributes")), "{name:?}: {error}");
            assert!(error["error"].as_str().unwrap_or_default().contains("NUL"), "{error}");
        } else {
            // Line breaks are fine in a free-text attribute; headers clean them.
            assert_eq!(status, 201, "{name:?}: {error}");
        }
        // The subscriber's own profile page keeps what was typed and says why.
        let (status, page) = form(&app, &format!("/p/{profile}"), &[("name", name)]).await?;
        assert_eq!(status, 422, "{name:?}: {page}");
        assert!(page.contains("id=\"error\""), "{page}");
        // A list's and a campaign's names, by API and by dashboard form.
        let (status, error) = api.post("/lists", json!({"name": name})).await?;
        assert_eq!((status, error["field"].as_str()), (422, Some("name")), "{name:?}: {error}");
        let (status, page) = owner
            .page(&app, "POST", "/lists", &[("name", name), ("optin", "single"), ("visibility", "public")])
            .await?;
        assert!(status == 422 && page.contains("s name contains a"), "{name:?}: {status} {page}");
        let campaign = json!({"name": name, "from_address": "news@shop.example", "subject": "Hi", "body": "x"});
        let (status, error) = api.post("/campaigns", campaign).await?;
        assert_eq!((status, error["field"].as_str()), (422, Some("name")), "{name:?}: {error}");
        let campaign =
            json!({"name": "ok", "from_name": name, "from_address": "news@shop.example", "subject": "Hi", "body": "x"});
        let (status, error) = api.post("/campaigns", campaign).await?;
        assert_eq!((status, error["field"].as_str()), (422, Some("from_name")), "{name:?}: {error}");
    }
    let reader = store.subscriber(reader).await?.context("reader")?;
    assert_eq!(reader.name, "Reader", "no refused change was kept");
    for i in 0..HOSTILE_NAMES.len() {
        let email = domain::EmailAddress::parse(&format!("attacker{i}@example.org"))?;
        let kept = store.subscriber_by_email(&email).await?;
        assert!(kept.as_ref().is_none_or(|s| s.name.is_empty()), "the hostile name was stored: {kept:?}");
    }
    assert_eq!(store.lists().await?.len(), 1, "no hostile list name was stored");

    // A CSV file: the rows with control characters are reported, the others imported.
    let csv = "email,name,note\n\
               good@example.org,Good,\"two\nlines\"\n\
               cr@example.org,\"B\r\nReply-To: attacker@evil.example\",x\n\
               nul@example.org,Nul,a\0b\n\
               fine@example.org,Fine,y\n";
    let (status, import) = api.upload(&format!("/imports?mode=add&lists={weekly}"), csv.as_bytes().to_vec()).await?;
    assert_eq!(status, 202, "{import}");
    let done = api.wait_for_import(import["id"].as_i64().context("id")?).await?;
    assert_eq!((done["rows_done"].as_i64(), done["rows_failed"].as_i64()), (Some(2), Some(2)), "{done}");
    let report = api.text(&format!("/imports/{}/errors", import["id"])).await?;
    assert!(report.contains("4,the name contains a carriage return (U+000D) at character 2"), "{report}");
    assert!(report.contains("6,\"the value of \"\"note\"\" contains a NUL character (U+0000)"), "{report}");
    app.stop().await
}

#[tokio::test]
async fn values_already_stored_cannot_add_a_header_to_signed_mail() -> Result<()> {
    let app = spawn_app().await?;
    let store = &app.store;
    let (_, records) = identity::add_domain(store, &app.key, "shop.example", true).await?;
    // As if written by an older version, or straight into the database.
    let list_name = "Weekly\r\nBcc: spy@evil.example";
    let hostile = store
        .create_list(&store::NewList {
            name: list_name,
            description: "",
            visibility: domain::ListVisibility::Public,
            optin: domain::OptIn::Single,
            signup_fields: &[],
        })
        .await?
        .id;
    // (PostgreSQL stores no NUL: that one cannot be in the database.)
    let stored: Vec<&str> =
        HOSTILE_NAMES.iter().copied().filter(|n| !n.contains('\0')).chain(["B\u{85}X-Injected: 1"]).collect();
    for (i, name) in stored.iter().enumerate() {
        let city = json!({ "city": format!("Osaka\r\nX-Injected: {i}") });
        subscriber(store, &format!("r{i}@example.org"), name, city, &[(hostile, SubscriptionStatus::Confirmed)])
            .await?;
    }
    let mut campaign = fields("News\nX-Campaign: injected", vec![hostile]);
    campaign.from_name = "Shop\r\nSender: spy@evil.example".into();
    campaign.subject =
        "Hello {{ subscriber.name }} in {{ subscriber.attributes.city }} ({{ list.name }}, {{ campaign.name }})".into();
    let campaign = store.save_campaign(None, &campaign).await?;
    let now = Utc::now();
    store.schedule_campaign(campaign.id, now, None).await?;
    let config =
        EngineConfig { public_url: app.url.clone(), batch: 10, lease: Duration::minutes(5), ..Default::default() };
    let mut engine = Engine::new(store.clone(), app.key.clone(), config, Sandbox { store: store.clone() });
    assert_eq!(engine.tick(now + Duration::seconds(1)).await?, stored.len());

    let mut seen = 0;
    for m in store.outbound_messages(100).await?.into_iter().filter(|m| m.kind == "campaign") {
        let raw = store.captured_raw(m.id).await?.context("raw bytes kept")?;
        let parsed = MessageParser::default().parse(&raw).context("parses")?;
        let mut names: Vec<String> = parsed.headers().iter().map(|h| h.name.as_str().to_ascii_lowercase()).collect();
        names.sort();
        names.dedup();
        for injected in ["bcc", "sender", "x-injected", "x-campaign", "reply-to"] {
            assert!(!names.contains(&injected.to_owned()), "{injected} was added: {names:?}");
        }
        let subject = parsed.subject().context("subject")?;
        assert!(subject.starts_with("Hello B "), "{subject:?}");
        assert!(!subject.contains(|c: char| c.is_control()), "{subject:?}");
        let verdicts = message::dkim::verify(&raw, &records).await;
        assert!(!verdicts.is_empty() && verdicts.iter().all(|v| v.passed()), "signatures: {verdicts:?}");
        let text = parsed.body_text(0).context("text part")?;
        assert!(text.trim_start().starts_with("# Hi") || text.trim_start().starts_with("Hi"), "{text:?}");
        seen += 1;
    }
    assert_eq!(seen, stored.len());
    app.stop().await
}

#[tokio::test]
async fn a_template_that_would_eat_memory_is_refused_with_its_place() -> Result<()> {
    let app = spawn_app().await?;
    let weekly = list(&app.store, "Weekly").await?;
    subscriber(&app.store, "r@example.org", "R", json!({}), &[(weekly, SubscriptionStatus::Confirmed)]).await?;
    let api = app.api().await?;
    let bomb = "Hello\n\n{% set a = 'x' * 100000000 %}{% set b = a ~ a ~ a ~ a %}{{ b|length }}";
    let draft = json!({"name": "Bomb", "from_address": "news@shop.example", "subject": "Hi", "body": bomb,
                       "list_ids": [weekly]});
    let (status, error) = api.post("/campaigns", draft).await?;
    assert_eq!((status, error["field"].as_str()), (422, Some("body")), "{error}");
    let text = error["error"].as_str().unwrap_or_default();
    assert!(text.starts_with("body, line 3") && text.contains("too much work"), "{error}");

    // A subject that only explodes for some subscribers is caught when the
    // campaign is scheduled (rendered for its audience) or sent.
    let (status, created) = api
        .post(
            "/campaigns",
            json!({"name": "Data bomb", "from_address": "news@shop.example", "list_ids": [weekly],
                   "subject": "{{ 'x' * (subscriber.attributes.n | default(1)) }}", "body": "x"}),
        )
        .await?;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().context("id")?;
    app.store
        .update_subscriber(
            app.store.subscriber_by_email(&domain::EmailAddress::parse("r@example.org")?).await?.context("r")?.id,
            None,
            Some(&json!({"n": 100_000_000})),
            None,
        )
        .await?;
    let (status, error) = api.post(&format!("/campaigns/{id}/schedule"), json!({})).await?;
    assert_eq!(status, 422, "{error}");
    assert!(error["error"].as_str().unwrap_or_default().contains("subject"), "{error}");
    app.stop().await
}
