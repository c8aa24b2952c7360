//! Transactional mail through the API against a real database and the
//! sandbox engine: each recipient rendered with their own data, an
//! idempotency key that holds across a retry, a concurrent retry and a
//! restart, files that arrive intact (and files that are refused), a
//! token's limits, and the message log that finds what was sent.

use anyhow::{Context, Result};
use base64::Engine as _;
use chrono::{Duration, Utc};
use delivery::{Engine, EngineConfig, Sandbox};
use mail_parser::{MessageParser, MimeHeaders};
use serde_json::{Value, json};
use tests::{Api, TestApp, http, spawn_app};

fn engine(app: &TestApp) -> Engine<Sandbox> {
    let config = EngineConfig { public_url: app.url.clone(), batch: 500, ..Default::default() };
    Engine::new(app.store.clone(), app.key.clone(), config, Sandbox { store: app.store.clone() })
}

/// POSTs a send with an optional idempotency key: status, answer and the
/// `Retry-After` header.
async fn send(api: &Api, body: &Value, key: Option<&str>) -> Result<(u16, Value, Option<String>)> {
    let mut request = http()
        .post(format!("{}/tx", api.url))
        .bearer_auth(api.token())
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
    Ok((status, serde_json::from_str(&response.text().await?)?, retry_after))
}

/// The kept bytes of a message of the log, parsed by the test.
async fn raw(app: &TestApp, id: &str) -> Result<Vec<u8>> {
    let id = store::LogId::parse(id).context("a log id")?;
    app.store.log_raw(id).await?.context("bytes kept")
}

/// The transactional messages kept, counted in the database itself.
async fn outbox_count(app: &TestApp) -> Result<i64> {
    count(app, "SELECT count(*) FROM outbound_messages WHERE kind = 'transactional'").await
}

async fn count(app: &TestApp, sql: &'static str) -> Result<i64> {
    let mut db = <sqlx::PgConnection as sqlx::Connection>::connect(&app.database_url).await?;
    Ok(sqlx::query_scalar(sql).fetch_one(&mut db).await?)
}

/// `body` with other recipients.
fn with_recipients(body: &Value, recipients: Value) -> Value {
    let mut body = body.clone();
    body["recipients"] = recipients;
    body
}

fn receipt() -> Value {
    json!({
        "name": "order-receipt",
        "from_address": "orders@shop.example",
        "from_name": "Shop",
        "subject": "Order {{ data.order }} for {{ to.name }}",
        "body": "# Thank you\n\n{% for item in data.items %}- {{ item }}\n{% endfor %}\nTotal: {{ data.total }} {{ data.currency }}",
    })
}

#[tokio::test]
async fn each_recipient_of_one_call_gets_their_own_data_and_bad_ones_are_refused_alone() -> Result<()> {
    let app = spawn_app().await?;
    let api = app.api().await?;
    let (status, created) = api.post("/tx/templates", receipt()).await?;
    assert_eq!(status, 201, "{created}");
    app.store
        .add_suppression(
            &store::SuppressionTarget::Address(domain::EmailAddress::parse("gone@example.jp")?),
            "bounced: user unknown",
        )
        .await?;

    let body = json!({
        "template": "order-receipt",
        "data": { "currency": "JPY" },
        "headers": { "X-Shop-Order": "batch-7" },
        "recipients": [
            { "email": "mika@example.jp", "name": "Mika", "data": { "order": "A-1", "items": ["boots"], "total": 1200 } },
            { "email": "ken@example.jp", "name": "Ken", "data": { "order": "A-2", "items": ["scarf", "<hat>"], "total": 300 } },
            { "email": "not an address", "data": { "order": "A-3" } },
            { "email": "gone@example.jp", "data": { "order": "A-4" } },
            { "email": "yuki@example.jp", "name": "Yuki\r\nBcc: x@evil.example", "data": { "order": "A-5" } },
        ],
    });
    let (status, answer, _) = send(&api, &body, None).await?;
    assert_eq!(status, 202, "{answer}");
    let messages = answer["messages"].as_array().context("messages")?;
    let statuses: Vec<&str> = messages.iter().map(|m| m["status"].as_str().unwrap_or_default()).collect();
    assert_eq!(statuses, ["queued", "queued", "refused", "suppressed", "refused"], "{answer}");
    assert!(messages[2]["error"].as_str().is_some_and(|e| !e.is_empty()), "{answer}");
    assert!(messages[3]["error"].as_str().is_some_and(|e| e.contains("user unknown")), "{answer}");

    // Queued ahead of bulk and "sent" by the sandbox engine at once.
    assert_eq!(engine(&app).tick(Utc::now()).await?, 2);
    for (i, (name, order, items)) in
        [("Mika", "A-1", vec!["boots"]), ("Ken", "A-2", vec!["scarf", "&lt;hat&gt;"])].iter().enumerate()
    {
        let id = messages[i]["id"].as_str().context("an id")?;
        let bytes = raw(&app, id).await?;
        let parsed = MessageParser::default().parse(&bytes).context("parses")?;
        assert_eq!(parsed.subject(), Some(format!("Order {order} for {name}").as_str()));
        let html = parsed.body_html(0).context("html")?;
        for item in items {
            assert!(html.contains(item), "{item} in {html}");
        }
        assert!(html.contains("JPY"), "the call's shared data too: {html}");
        assert!(parsed.header_raw("List-Unsubscribe").is_none(), "no list headers unless asked");
        assert_eq!(parsed.header_raw("X-Shop-Order").map(str::trim), Some("batch-7"));
        let message_id = messages[i]["message_id"].as_str().context("a Message-ID")?;
        assert_eq!(parsed.message_id(), Some(message_id));

        // The status endpoint knows it, with its attempt.
        let (status, view) = api.get(&format!("/tx/messages/{id}")).await?;
        assert_eq!(status, 200, "{view}");
        assert_eq!(view["status"], "captured", "{view}");
        assert_eq!(view["kind"], "transactional");
        assert_eq!(view["attempts"].as_array().map(Vec::len), Some(1), "{view}");
    }
    let (status, missing) = api.get("/tx/messages/m999999").await?;
    assert_eq!(status, 404, "{missing}");
    Ok(())
}

#[tokio::test]
async fn an_idempotency_key_sends_once_across_retries_a_race_and_a_restart() -> Result<()> {
    let app = spawn_app().await?;
    let api = app.api().await?;
    let body = json!({
        "from_address": "alerts@shop.example",
        "subject": "Password reset",
        "body": "Your code is {{ data.code }}.",
        "recipients": [{ "email": "mika@example.jp", "data": { "code": "914 207" } }],
    });
    let (status, first, _) = send(&api, &body, Some("reset-mika-1")).await?;
    assert_eq!(status, 202, "{first}");
    let (status, again, _) = send(&api, &body, Some("reset-mika-1")).await?;
    assert_eq!((status, &again), (202, &first), "a retry gets the first answer");
    assert_eq!(outbox_count(&app).await?, 1, "and sends nothing more");

    // Two retries at once: one is carried out, both get its answer.
    let raced = with_recipients(&body, json!([{ "email": "ken@example.jp", "data": { "code": "1" } }]));
    let (a, b) = tokio::join!(send(&api, &raced, Some("race")), send(&api, &raced, Some("race")));
    let (a, b) = (a?, b?);
    assert_eq!((a.0, b.0), (202, 202));
    assert_eq!(a.1, b.1, "the same answer to both");
    assert_eq!(outbox_count(&app).await?, 2);

    // The same key for another request is a mistake, said as such.
    let other = with_recipients(&body, json!([{ "email": "other@example.jp" }]));
    let (status, refused, _) = send(&api, &other, Some("reset-mika-1")).await?;
    assert_eq!(status, 409, "{refused}");

    // After a restart the key still holds.
    let token = api.token().to_owned();
    let app = app.restart().await?;
    let api = Api { url: format!("{}/api/v1", app.url), token };
    let (status, after, _) = send(&api, &body, Some("reset-mika-1")).await?;
    assert_eq!((status, &after), (202, &first));
    assert_eq!(outbox_count(&app).await?, 2);
    Ok(())
}

#[tokio::test]
async fn files_arrive_intact_and_unsafe_ones_are_refused_with_the_reason() -> Result<()> {
    let app = spawn_app().await?;
    let api = app.api().await?;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.extend((0..200_000u32).map(|i| (i % 251) as u8));
    let csv = "商品,数量\nブーツ,1\n".as_bytes().to_vec();
    let body = |files: Value| {
        json!({
            "from_address": "orders@shop.example",
            "subject": "Your invoice",
            "body": "Attached.",
            "recipients": [{ "email": "mika@example.jp" }],
            "attachments": files,
        })
    };
    let files = json!([
        { "filename": "請求書 12月.pdf", "content_type": "application/pdf", "content": b64(&pdf) },
        { "filename": "items.csv", "content_type": "text/csv", "content": b64(&csv) },
    ]);
    let (status, answer, _) = send(&api, &body(files), None).await?;
    assert_eq!(status, 202, "{answer}");
    engine(&app).tick(Utc::now()).await?;
    let id = answer["messages"][0]["id"].as_str().context("an id")?;
    let bytes = raw(&app, id).await?;
    let parsed = MessageParser::default().parse(&bytes).context("parses")?;
    assert_eq!(parsed.attachment_count(), 2);
    let first = parsed.attachment(0).context("the pdf")?;
    assert_eq!(first.attachment_name(), Some("請求書 12月.pdf"));
    assert_eq!(first.contents(), pdf.as_slice(), "the PDF arrives byte for byte");
    assert_eq!(parsed.attachment(1).context("the csv")?.contents(), csv.as_slice());

    let bad = [
        (json!([{ "filename": "setup.exe", "content_type": "application/zip", "content": b64(b"PK\x03\x04") }]), "attachments[0]"),
        (json!([{ "filename": "invoice.pdf", "content_type": "application/pdf", "content": b64(b"MZ\x90\x00") }]), "attachments[0]"),
        (json!([{ "filename": "photo.png", "content_type": "image/png", "content": b64(b"GIF89a....") }]), "attachments[0]"),
        (json!([{ "filename": "../../etc/passwd", "content_type": "text/plain", "content": b64(b"x") }]), "attachments[0]"),
        (json!([{ "filename": "a.txt", "content_type": "text/plain", "content": "not base64!" }]), "attachments[0].content"),
        (json!([{ "filename": "a.bin", "content_type": "application/octet-stream", "content": b64(b"x") }]), "attachments[0]"),
        (json!([{ "filename": "a.txt", "content_type": "text/plain", "content": b64(b"a\0b") }]), "attachments[0]"),
        (json!((0..11).map(|i| json!({ "filename": format!("{i}.txt"), "content_type": "text/plain", "content": b64(b"x") })).collect::<Vec<_>>()), "attachments"),
        (json!([{ "filename": "big.pdf", "content_type": "application/pdf", "content": b64(&[b"%PDF-".as_slice(), &vec![0u8; 11 * 1024 * 1024]].concat()) }]), "attachments[0]"),
    ];
    for (files, field) in bad {
        let (status, refused, _) = send(&api, &body(files), None).await?;
        assert_eq!((status, refused["field"].as_str()), (422, Some(field)), "{refused}");
        assert!(refused["error"].as_str().is_some_and(|e| e.len() > 10), "{refused}");
    }
    assert_eq!(outbox_count(&app).await?, 1, "nothing of a refused call is kept");
    Ok(())
}

#[tokio::test]
async fn a_token_past_its_limit_gets_429_with_retry_after_and_nothing_is_queued() -> Result<()> {
    let app = spawn_app().await?;
    let api = app.api().await?;
    let token_id =
        app.store.api_token_admin(&message::secret::api_token_hash(api.token())).await?.context("token")?.token_id;
    app.store.set_tx_limits(token_id, 3, 100).await?;
    let call = |n: usize| {
        json!({
            "from_address": "alerts@shop.example",
            "subject": "Notice",
            "body": "Hello",
            "recipients": (0..n).map(|i| json!({ "email": format!("r{i}@example.jp") })).collect::<Vec<_>>(),
        })
    };
    assert_eq!(send(&api, &call(2), None).await?.0, 202);
    let (status, refused, retry_after) = send(&api, &call(2), None).await?;
    assert_eq!(status, 429, "{refused}");
    assert!(refused["error"].as_str().is_some_and(|e| e.contains("3 messages a minute")), "{refused}");
    let seconds: i64 = retry_after.context("Retry-After")?.parse()?;
    assert!((1..=60).contains(&seconds), "{seconds}");
    assert_eq!(outbox_count(&app).await?, 2, "the refused call queued nothing");
    assert_eq!(send(&api, &call(1), None).await?.0, 202, "what is left of the minute may still be used");

    app.store.set_tx_limits(token_id, 0, 4).await?;
    let (status, refused, _) = send(&api, &call(2), None).await?;
    assert_eq!(status, 429, "{refused}");
    assert!(refused["error"].as_str().is_some_and(|e| e.contains("a day")), "{refused}");
    Ok(())
}

#[tokio::test]
async fn the_message_log_finds_a_message_its_signed_bytes_verify_and_retention_keeps_the_data() -> Result<()> {
    let app = spawn_app().await?;
    let api = app.api().await?;
    let (_, records) = identity::add_domain(&app.store, &app.key, "shop.example", false).await?;
    let body = json!({
        "from_address": "orders@shop.example",
        "subject": "Shipped: order {{ data.order }}",
        "body": "On its way.",
        "recipients": [{ "email": "Mika@Example.jp", "data": { "order": "Z-9" } }, { "email": "ken@example.jp" }],
    });
    let (status, answer, _) = send(&api, &body, None).await?;
    assert_eq!(status, 202, "{answer}");
    engine(&app).tick(Utc::now()).await?;
    let id = answer["messages"][0]["id"].as_str().context("an id")?.to_owned();
    let message_id = answer["messages"][0]["message_id"].as_str().context("a Message-ID")?.to_owned();

    let (status, by_recipient) = api.get("/messages?recipient=mika@example.jp").await?;
    assert_eq!(status, 200, "{by_recipient}");
    let found: Vec<&str> =
        by_recipient["messages"].as_array().context("list")?.iter().filter_map(|m| m["id"].as_str()).collect();
    assert_eq!(found, [id.as_str()]);
    let (_, by_id) = api.get(&format!("/messages?message_id=%3C{message_id}%3E")).await?;
    assert_eq!(by_id["messages"][0]["id"], id.as_str(), "{by_id}");
    assert_eq!(by_id["messages"][0]["subject"], "Shipped: order Z-9");
    let (_, by_subject) = api.get("/messages?subject=shipped&kind=transactional&status=captured").await?;
    assert_eq!(by_subject["messages"].as_array().map(Vec::len), Some(2), "{by_subject}");
    let (_, none) = api.get("/messages?sender=other.example").await?;
    assert_eq!(none["messages"].as_array().map(Vec::len), Some(0), "{none}");
    let (status, bad) = api.get("/messages?status=lost").await?;
    assert_eq!((status, bad["field"].as_str()), (422, Some("status")), "{bad}");

    // The bytes as signed: the author domain's signature verifies.
    let response = http().get(format!("{}/messages/{id}/raw", api.url)).bearer_auth(api.token()).send().await?;
    assert_eq!(response.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("message/rfc822"));
    let bytes = response.bytes().await?.to_vec();
    let verdicts = message::dkim::verify(&bytes, &records).await;
    assert!(
        verdicts.iter().any(|v| v.passed() && v.domain == "shop.example"),
        "{verdicts:?} {}",
        String::from_utf8_lossy(&bytes[..bytes.len().min(400)])
    );

    // Retention: bytes go after their days, the rest stays until its own.
    app.store.set_log_retention(7, 90).await?;
    let forgotten = app.store.forget_old_messages(Utc::now() + Duration::days(3), 1000).await?;
    assert_eq!(forgotten.total(), 0, "nothing is due yet");
    let forgotten = app.store.forget_old_messages(Utc::now() + Duration::days(8), 1).await?;
    assert_eq!(forgotten.bytes, 1, "bounded work per round");
    app.store.forget_old_messages(Utc::now() + Duration::days(8), 1000).await?;
    let (_, kept) = api.get(&format!("/messages/{id}")).await?;
    assert_eq!(
        (kept["has_raw"].as_bool(), kept["subject"].as_str()),
        (Some(false), Some("Shipped: order Z-9")),
        "{kept}"
    );
    assert!(kept["size"].as_i64().is_some_and(|s| s > 500), "the size stays: {kept}");
    assert_eq!(kept["attempts"].as_array().map(Vec::len), Some(1));
    let (status, _) = api.get(&format!("/messages/{id}/raw")).await?;
    assert_eq!(status, 404);
    app.store.forget_old_messages(Utc::now() + Duration::days(91), 1000).await?;
    let (status, _) = api.get(&format!("/messages/{id}")).await?;
    assert_eq!(status, 404, "the whole entry goes after the log's days");
    assert_eq!(count(&app, "SELECT count(*) FROM message_attempts").await?, 0);
    Ok(())
}

#[tokio::test]
async fn layouts_and_smtp_credentials_are_managed_through_the_api() -> Result<()> {
    let app = spawn_app().await?;
    let api = app.api().await?;
    // Layouts, checked as the page checks them.
    let (status, bad) = api.post("/layouts", json!({ "name": "Broken", "body": "<p>{{ content </p>" })).await?;
    assert_eq!((status, bad["field"].as_str()), (422, Some("body")), "{bad}");
    let (status, none) = api.post("/layouts", json!({ "name": "No slot", "body": "<p>hi</p>" })).await?;
    assert_eq!(status, 422, "a layout without {{{{ content }}}}: {none}");
    let body = "<html><body><div class=\"brand\">{{ content }}</div></body></html>";
    let (status, created) = api.post("/layouts", json!({ "name": "Brand", "body": body })).await?;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().context("an id")?;
    let (status, _) = api.put(&format!("/layouts/{id}"), json!({ "name": "Brand 2", "body": body })).await?;
    assert_eq!(status, 200);
    let (_, all) = api.get("/layouts").await?;
    assert!(all.as_array().is_some_and(|a| a.iter().any(|l| l["name"] == "Brand 2")), "{all}");
    let (status, _) = api.call(reqwest::Method::DELETE, &format!("/layouts/{id}"), None).await?;
    assert_eq!(status, 204);

    // Credentials: the password in the creating answer only.
    let (status, created) = api
        .post(
            "/credentials",
            json!({ "username": "Shop-App", "domains": ["shop.example"], "networks": ["203.0.113.0/24"] }),
        )
        .await?;
    assert_eq!(status, 201, "{created}");
    let password = created["password"].as_str().context("a password")?;
    assert!(password.len() >= 32);
    assert_eq!(created["username"], "shop-app");
    let (_, listed) = api.get("/credentials").await?;
    assert!(!listed.to_string().contains(password), "the password is answered once: {listed}");
    assert_eq!(listed[0]["networks"][0], "203.0.113.0/24");
    let (status, refused) = api
        .post("/credentials", json!({ "username": "printer", "domains": ["shop.example"], "no_password": true }))
        .await?;
    assert_eq!((status, refused["field"].as_str()), (422, Some("networks")), "{refused}");
    let (status, refused) = api.post("/credentials", json!({ "username": "x", "domains": ["localhost"] })).await?;
    assert_eq!((status, refused["field"].as_str()), (422, Some("domains")), "{refused}");
    let (status, taken) =
        api.post("/credentials", json!({ "username": "shop-app", "domains": ["shop.example"] })).await?;
    assert_eq!(status, 409, "{taken}");
    let (status, _) = api.call(reqwest::Method::DELETE, "/credentials/shop-app", None).await?;
    assert_eq!(status, 204);
    let (status, _) = api.call(reqwest::Method::DELETE, "/credentials/shop-app", None).await?;
    assert_eq!(status, 404);
    Ok(())
}
