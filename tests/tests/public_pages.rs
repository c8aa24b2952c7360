//! Subscribers' pages in a real browser and over HTTP: signup, double opt-in
//! through the sandbox mailbox, profile, unsubscribe, one-click, the
//! embeddable form on another origin, and abuse resistance.

use anyhow::{Context, Result};
use domain::{ListVisibility, OptIn};
use reqwest::StatusCode;
use store::NewList;
use tests::{Browser, TestApp, http, spawn_app};

const ADMIN: &str = "hanako@example.jp";
const PASSWORD: &str = "orbit cactus lantern 47 violet";

async fn list(app: &TestApp, name: &str, optin: OptIn) -> Result<i64> {
    let new =
        NewList { name, description: "Monthly news", visibility: ListVisibility::Public, optin, signup_fields: &[] };
    Ok(app.store.create_list(&new).await?.id)
}

/// The confirmation link in the newest captured message to `to`.
async fn confirmation_link(app: &TestApp, to: &str) -> Result<String> {
    let messages = app.store.outbound_messages(50).await?;
    let message = messages.iter().find(|m| m.to_address == to).context("no message captured")?;
    let link = message.text_body.split_whitespace().find(|w| w.contains("/c/")).context("no link in message")?;
    Ok(link.to_string())
}

async fn subscription_status(app: &TestApp, email: &str, list_id: i64) -> Result<Option<String>> {
    let Some(subscriber) = app.store.subscriber_by_email(&domain::EmailAddress::parse(email)?).await? else {
        return Ok(None);
    };
    let subs = app.store.subscriptions(subscriber.id).await?;
    Ok(subs.into_iter().find(|s| s.list_id == list_id).map(|s| s.status.as_str().to_owned()))
}

#[tokio::test]
async fn signup_confirm_profile_and_unsubscribe_on_a_phone() -> Result<()> {
    let app = spawn_app().await?;
    let list_id = list(&app, "Ninsho News", OptIn::Double).await?;
    let other = list(&app, "Product updates", OptIn::Single).await?;
    let browser = Browser::launch().await?;
    browser.client.set_window_size(390, 844).await?;

    browser.goto(&format!("{}/s/{list_id}", app.url)).await?;
    assert_eq!(browser.text("h1").await?, "Ninsho News");
    browser.fill("input[name=email]", "taro@example.jp").await?;
    browser.fill("input[name=name]", "Taro").await?;
    browser.click("form button").await?;
    assert!(browser.text("#message").await?.contains("Check your inbox"));
    assert_eq!(subscription_status(&app, "taro@example.jp", list_id).await?.as_deref(), Some("unconfirmed"));
    let overflow: bool = serde_json::from_value(
        browser.client.execute("return document.documentElement.scrollWidth > window.innerWidth;", vec![]).await?,
    )?;
    assert!(!overflow, "the page scrolls sideways on a phone");

    // The admin sees the confirmation in the sandbox mailbox.
    app.create_admin(ADMIN, PASSWORD).await?;
    browser.goto(&format!("{}/login", app.url)).await?;
    browser.fill("input[name=email]", ADMIN).await?;
    browser.fill("input[name=password]", PASSWORD).await?;
    browser.click("form[action='/login'] button").await?;
    browser.goto(&format!("{}/sandbox", app.url)).await?;
    assert_eq!(browser.text(".subject").await?, "Confirm your subscription to Ninsho News");
    assert_eq!(browser.text(".to").await?, "taro@example.jp");

    // The link asks before it confirms (link scanners open links too).
    let link = confirmation_link(&app, "taro@example.jp").await?;
    browser.goto(&link).await?;
    assert_eq!(subscription_status(&app, "taro@example.jp", list_id).await?.as_deref(), Some("unconfirmed"));
    browser.click("#action").await?;
    assert_eq!(browser.text("h1").await?, "Subscription confirmed");
    assert_eq!(subscription_status(&app, "taro@example.jp", list_id).await?.as_deref(), Some("confirmed"));

    // Profile: change the name, join the other list, leave this one.
    browser.click("#link").await?;
    assert_eq!(browser.text("h1").await?, "Your subscriptions");
    browser.fill("input[name=name]", "Taro Yamada").await?;
    browser.toggle(&format!("input[name=list][value='{list_id}']")).await?;
    browser.toggle(&format!("input[name=list][value='{other}']")).await?;
    browser.click("form button[type=submit]").await?;
    assert!(browser.text("#saved").await?.contains("saved"));
    assert_eq!(subscription_status(&app, "taro@example.jp", list_id).await?.as_deref(), Some("unsubscribed"));
    assert_eq!(subscription_status(&app, "taro@example.jp", other).await?.as_deref(), Some("confirmed"));
    let subscriber = app.store.subscriber_by_email(&domain::EmailAddress::parse("taro@example.jp")?).await?;
    assert_eq!(subscriber.as_ref().map(|s| s.name.as_str()), Some("Taro Yamada"));
    assert_eq!(
        subscriber.as_ref().and_then(|s| s.consent_ip).map(|ip| ip.addr().to_string()).as_deref(),
        Some("127.0.0.1")
    );

    // The unsubscribe page of a message's link.
    let id = subscriber.map(|s| s.id).unwrap_or_default();
    browser.goto(&app.state.unsubscribe_url(id, other)).await?;
    assert!(browser.text("#message").await?.contains("Product updates"));
    browser.click("#action").await?;
    assert_eq!(browser.text("h1").await?, "You are unsubscribed");
    assert_eq!(subscription_status(&app, "taro@example.jp", other).await?.as_deref(), Some("unsubscribed"));

    browser.close().await?;
    app.stop().await
}

#[tokio::test]
async fn the_embeddable_form_works_from_another_origin() -> Result<()> {
    let app = spawn_app().await?;
    let list_id = list(&app, "Embedded", OptIn::Double).await?;
    // A page of some other website, on another port, with the snippet.
    let snippet = format!(
        "<!doctype html><html><body><h1>Shop</h1>\
         <form action=\"{}/s/{list_id}\" method=\"post\">\
         <input type=\"email\" name=\"email\" required><input type=\"text\" name=\"name\">\
         <input type=\"text\" name=\"website\" style=\"display:none\" tabindex=\"-1\" autocomplete=\"off\">\
         <button type=\"submit\">Subscribe</button></form></body></html>",
        app.url
    );
    let site = tokio::net::TcpListener::bind("127.0.0.2:0").await?;
    let site_url = format!("http://{}", site.local_addr()?);
    let page = axum::Router::new().route("/", axum::routing::get(move || async move { axum::response::Html(snippet) }));
    let server = tokio::spawn(async move { axum::serve(site, page).await });

    let browser = Browser::launch().await?;
    browser.goto(&site_url).await?;
    browser.fill("input[name=email]", "visitor@example.com").await?;
    browser.click("button").await?;
    assert!(browser.path().await?.starts_with(&format!("/s/{list_id}")));
    assert!(browser.text("#message").await?.contains("Check your inbox"));
    assert!(confirmation_link(&app, "visitor@example.com").await?.starts_with(&app.url));
    browser.close().await?;
    server.abort();
    app.stop().await
}

/// `curl -X POST -d 'List-Unsubscribe=One-Click' <url>`
async fn one_click(url: &str) -> Result<StatusCode> {
    Ok(http()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await?
        .status())
}

#[tokio::test]
async fn one_click_unsubscribes_at_once_and_forged_tokens_change_nothing() -> Result<()> {
    let app = spawn_app().await?;
    let list_id = list(&app, "News", OptIn::Single).await?;
    let api = app.api().await?;
    let mut ids = Vec::new();
    for email in ["one@example.com", "two@example.com"] {
        let (_, s) = api.post("/subscribers", serde_json::json!({"email": email, "lists": [list_id]})).await?;
        ids.push(s["id"].as_i64().unwrap_or_default());
    }
    let url = app.state.unsubscribe_url(ids[0], list_id);
    assert_eq!(one_click(&url).await?, StatusCode::OK);
    assert_eq!(subscription_status(&app, "one@example.com", list_id).await?.as_deref(), Some("unsubscribed"));
    // Idempotent.
    assert_eq!(one_click(&url).await?, StatusCode::OK);

    // Another subscriber's id with this signature, a changed list, a cut
    // signature: all refused, nothing changed.
    let token = url.rsplit("/u/").next().unwrap_or_default();
    let forged = [
        token.replacen(&format!("{}.", ids[0]), &format!("{}.", ids[1]), 1),
        token.replacen(&format!(".{list_id}."), &format!(".{}.", list_id + 1), 1),
        token[..token.len() - 3].to_string(),
        "1.1.0.AAAA".to_string(),
    ];
    for bad in forged {
        let status = one_click(&format!("{}/u/{bad}", app.url)).await?;
        assert!(status.is_client_error(), "{bad}: {status}");
    }
    assert_eq!(subscription_status(&app, "two@example.com", list_id).await?.as_deref(), Some("confirmed"));
    app.stop().await
}

async fn sign_up(app: &TestApp, list_id: i64, fields: &[(&str, &str)]) -> Result<(StatusCode, String)> {
    let response = http().post(format!("{}/s/{list_id}", app.url)).form(fields).send().await?;
    Ok((response.status(), response.text().await?))
}

#[tokio::test]
async fn signups_do_not_reveal_addresses_and_resist_bots() -> Result<()> {
    let app = spawn_app().await?;
    let list_id = list(&app, "Quiet", OptIn::Double).await?;

    let (status, first) = sign_up(&app, list_id, &[("email", "known@example.com")]).await?;
    assert_eq!(status, StatusCode::OK);
    app.store
        .confirm_subscription(
            app.store
                .subscriber_by_email(&domain::EmailAddress::parse("known@example.com")?)
                .await?
                .map(|s| s.id)
                .unwrap_or_default(),
            list_id,
        )
        .await?;
    // Known, confirmed, or new: the same answer.
    let (_, again) = sign_up(&app, list_id, &[("email", "known@example.com")]).await?;
    let (_, fresh) = sign_up(&app, list_id, &[("email", "fresh@example.com")]).await?;
    assert_eq!(first, again);
    assert_eq!(first, fresh);

    // The honeypot: the same answer, and nothing stored or sent.
    let (status, bot) =
        sign_up(&app, list_id, &[("email", "bot@example.com"), ("website", "http://spam.example")]).await?;
    assert_eq!((status, bot == first), (StatusCode::OK, true));
    assert!(app.store.subscriber_by_email(&domain::EmailAddress::parse("bot@example.com")?).await?.is_none());

    // A bad address is refused with the reason.
    let (status, page) = sign_up(&app, list_id, &[("email", "not an address")]).await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("not valid"));

    // Per-IP rate limit: 10 per 10 minutes, 5 used above.
    for i in 0..5 {
        let status = sign_up(&app, list_id, &[("email", &format!("many{i}@example.com"))]).await?.0;
        assert_eq!(status, StatusCode::OK, "signup {} of 10 was refused", i + 6);
    }
    let status = sign_up(&app, list_id, &[("email", "eleventh@example.com")]).await?.0;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);

    // Private lists have no public page.
    let private = app
        .store
        .create_list(&NewList {
            name: "Staff",
            description: "",
            visibility: ListVisibility::Private,
            optin: OptIn::Single,
            signup_fields: &[],
        })
        .await?;
    assert_eq!(http().get(format!("{}/s/{}", app.url, private.id)).send().await?.status(), StatusCode::NOT_FOUND);
    app.stop().await
}

#[tokio::test]
async fn signup_fields_chosen_by_the_marketer_become_attributes() -> Result<()> {
    let app = spawn_app().await?;
    let api = app.api().await?;
    let (status, list) = api
        .post(
            "/lists",
            serde_json::json!({"name": "Seminar", "visibility": "public", "optin": "single", "signup_fields": [
                {"key": "company", "label": "Company"},
                {"key": "prefecture", "label": "都道府県", "required": true}
            ]}),
        )
        .await?;
    assert_eq!(status, 201, "{list}");
    let list_id = list["id"].as_i64().unwrap_or_default();
    let (status, bad) = api
        .post("/lists", serde_json::json!({"name": "Bad", "signup_fields": [{"key": "email", "label": "E-mail"}]}))
        .await?;
    assert_eq!((status, bad["field"].as_str()), (422, Some("signup_fields")), "{bad}");

    let form = http().get(format!("{}/s/{list_id}", app.url)).send().await?.text().await?;
    assert!(form.contains("name=\"attr.company\"") && form.contains("都道府県"), "{form}");
    let (status, page) = sign_up(&app, list_id, &[("email", "k@example.jp"), ("attr.company", "Ninsho KK")]).await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Please fill in 都道府県") && page.contains("Ninsho KK"), "the form keeps what was typed");
    let (status, _) = sign_up(
        &app,
        list_id,
        &[("email", "k@example.jp"), ("attr.company", "Ninsho KK"), ("attr.prefecture", "京都府")],
    )
    .await?;
    assert_eq!(status, StatusCode::OK);
    let subscriber =
        app.store.subscriber_by_email(&domain::EmailAddress::parse("k@example.jp")?).await?.context("not stored")?;
    assert_eq!(subscriber.attributes, serde_json::json!({"company": "Ninsho KK", "prefecture": "京都府"}));
    // A second signup cannot overwrite an existing subscriber's data.
    sign_up(&app, list_id, &[("email", "k@example.jp"), ("attr.prefecture", "沖縄県")]).await?;
    let again = app.store.subscriber_by_email(&domain::EmailAddress::parse("k@example.jp")?).await?.context("gone")?;
    assert_eq!(again.attributes["prefecture"], "京都府");
    app.stop().await
}

#[tokio::test]
async fn an_anonymous_signup_never_undoes_an_unsubscribe() -> Result<()> {
    let app = spawn_app().await?;
    let list_id = list(&app, "Weekly", OptIn::Single).await?;
    let api = app.api().await?;
    let (_, s) = api.post("/subscribers", serde_json::json!({"email": "gone@example.com", "lists": [list_id]})).await?;
    let id = s["id"].as_i64().unwrap_or_default();
    assert_eq!(one_click(&app.state.unsubscribe_url(id, list_id)).await?, StatusCode::OK);

    // Someone posts the (single opt-in) form with the address.
    let (status, _) = sign_up(&app, list_id, &[("email", "gone@example.com")]).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(subscription_status(&app, "gone@example.com", list_id).await?.as_deref(), Some("unsubscribed"));
    // Only the owner, through the link sent to the address, subscribes again.
    let link = confirmation_link(&app, "gone@example.com").await?;
    // Posting the form again within the hour sends no second message.
    sign_up(&app, list_id, &[("email", "gone@example.com")]).await?;
    let sent = app.store.outbound_messages(50).await?.iter().filter(|m| m.to_address == "gone@example.com").count();
    assert_eq!(sent, 1);
    let token = link.rsplit("/c/").next().unwrap_or_default();
    let confirmed = http().post(format!("{}/c/{token}", app.url)).send().await?;
    assert_eq!(confirmed.status(), StatusCode::OK);
    assert_eq!(subscription_status(&app, "gone@example.com", list_id).await?.as_deref(), Some("confirmed"));
    app.stop().await
}

#[tokio::test]
async fn public_pages_carry_the_senders_name_and_readers_leave_everything_at_once() -> Result<()> {
    let app = spawn_app().await?;
    let news = list(&app, "Ninsho News", OptIn::Single).await?;
    let offers = list(&app, "Offers", OptIn::Single).await?;
    let confirmed = domain::SubscriptionStatus::Confirmed;
    let id = tests::fixtures::subscriber(
        &app.store,
        "taro@example.jp",
        "Taro",
        serde_json::json!({}),
        &[(news, confirmed), (offers, confirmed)],
    )
    .await?;
    let browser = Browser::launch().await?;

    // Without a sender's name: no name, and never a link to the dashboard.
    let unsubscribe = app.state.unsubscribe_url(id, news);
    browser.goto(&unsubscribe).await?;
    assert!(browser.client.find(tests::Locator::Css("a[href='/']")).await.is_err(), "no link to the dashboard");
    assert_eq!(browser.title().await?, "Unsubscribe · Subscriptions");

    // With one, it heads every page.
    let mut settings = app.store.sender_settings().await?;
    settings.organization = "Hokkaido Boots".into();
    app.store.save_sender_settings(&settings).await?;
    browser.goto(&unsubscribe).await?;
    assert_eq!(browser.text("#sender").await?, "Hokkaido Boots");
    assert_eq!(browser.title().await?, "Unsubscribe · Hokkaido Boots");
    browser.click("#action").await?;
    assert_eq!(browser.text("h1").await?, "You are unsubscribed");

    // The same link again says so, and does not ask a second time.
    browser.goto(&unsubscribe).await?;
    assert_eq!(browser.text("h1").await?, "You are already unsubscribed");
    assert!(browser.client.find(tests::Locator::Css("#action")).await.is_err(), "no button to unsubscribe again");

    // The preferences page leaves every list at once.
    browser.goto(&app.state.profile_url(id)).await?;
    assert_eq!(browser.text("#sender").await?, "Hokkaido Boots");
    browser.click("#everything").await?;
    assert_eq!(browser.text("#saved").await?, "You are unsubscribed from every newsletter.");
    for list_id in [news, offers] {
        assert_eq!(subscription_status(&app, "taro@example.jp", list_id).await?.as_deref(), Some("unsubscribed"));
    }
    browser.close().await?;
    app.stop().await
}

#[tokio::test]
async fn a_japanese_list_speaks_japanese_from_signup_to_unsubscribe() -> Result<()> {
    let app = spawn_app().await?;
    // The list's language is set through the API (a tag without a catalog is refused).
    let api = app.api().await?;
    let (status, error) =
        api.post("/lists", serde_json::json!({"name": "Nouvelles", "visibility": "public", "language": "fr"})).await?;
    assert_eq!((status, error["field"].as_str()), (422, Some("language")), "{error}");
    let (status, created) = api
        .post(
            "/lists",
            serde_json::json!({"name": "週刊ニュース", "visibility": "public", "optin": "double", "language": "ja-JP"}),
        )
        .await?;
    assert_eq!((status, created["language"].as_str()), (201, Some("ja")), "{created}");
    let list_id = created["id"].as_i64().context("list id")?;
    let browser = Browser::launch().await?;
    let lang = || async {
        let lang = browser.client.execute("return document.documentElement.lang;", vec![]).await?;
        Ok::<_, anyhow::Error>(lang.as_str().unwrap_or_default().to_owned())
    };

    // Signup page and its answer.
    browser.goto(&format!("{}/s/{list_id}", app.url)).await?;
    assert_eq!(lang().await?, "ja");
    assert_eq!(browser.title().await?, "週刊ニュースに登録 · 配信設定");
    assert!(browser.text("form").await?.contains("メールアドレス"));
    browser.fill("input[name=email]", "hanako@example.jp").await?;
    browser.fill("input[name=name]", "山田花子").await?;
    browser.click("form button").await?;
    assert_eq!(browser.text("h1").await?, "仮登録が完了しました");
    assert!(browser.text("#message").await?.contains("週刊ニュースの登録確認メールをお送りしました"));

    // The double opt-in message is Japanese too.
    let messages = app.store.outbound_messages(10).await?;
    let confirmation = messages.iter().find(|m| m.kind == "confirmation").context("confirmation message")?;
    assert_eq!(confirmation.subject, "【登録確認】週刊ニュース");
    assert!(
        confirmation.text_body.contains("7日以内に次のリンクを開いて登録を完了してください"),
        "{}",
        confirmation.text_body
    );
    assert!(confirmation.text_body.contains("\n\n"), "paragraphs stay apart: {}", confirmation.text_body);

    // Confirmation page, then confirmed.
    browser.goto(&confirmation_link(&app, "hanako@example.jp").await?).await?;
    assert_eq!(browser.text("h1").await?, "登録の確認");
    assert_eq!(browser.text("#action").await?, "登録する");
    browser.click("#action").await?;
    assert_eq!(browser.text("h1").await?, "登録が完了しました");
    assert_eq!(subscription_status(&app, "hanako@example.jp", list_id).await?.as_deref(), Some("confirmed"));

    // Preferences, then unsubscribe.
    browser.click("#link").await?;
    assert_eq!(browser.text("h1").await?, "配信設定の変更");
    assert_eq!(lang().await?, "ja");
    let id =
        app.store.subscriber_by_email(&domain::EmailAddress::parse("hanako@example.jp")?).await?.context("reader")?.id;
    browser.goto(&app.state.unsubscribe_url(id, list_id)).await?;
    assert_eq!(browser.text("h1").await?, "配信停止");
    assert_eq!(browser.text("#message").await?, "hanako@example.jp への週刊ニュースの配信を停止しますか？");
    browser.click("#action").await?;
    assert_eq!(browser.text("h1").await?, "配信を停止しました");

    // A broken link has no list: the browser's language decides.
    let broken = format!("{}/u/not-a-token", app.url);
    for (accept, expected) in [
        ("ja-JP,ja;q=0.9", "このリンクは無効です"),
        ("en-US,en;q=0.9", "This link is not valid"),
        ("fr", "This link is not valid"),
    ] {
        let page = http().get(&broken).header("accept-language", accept).send().await?.text().await?;
        assert!(page.contains(expected), "{accept}: {page}");
    }
    browser.close().await?;
    app.stop().await
}

#[tokio::test]
async fn a_reader_changes_address_only_through_the_link_sent_to_the_new_one() -> Result<()> {
    let app = spawn_app().await?;
    let news = list(&app, "Ninsho News", OptIn::Single).await?;
    let confirmed = domain::SubscriptionStatus::Confirmed;
    let id =
        tests::fixtures::subscriber(&app.store, "old@example.jp", "Taro", serde_json::json!({}), &[(news, confirmed)])
            .await?;
    tests::fixtures::subscriber(&app.store, "taken@example.jp", "Other", serde_json::json!({}), &[]).await?;
    let browser = Browser::launch().await?;
    let address_link = |to: &'static str| {
        let app = &app;
        async move {
            let messages = app.store.outbound_messages(50).await?;
            let message = messages.iter().find(|m| m.to_address == to && m.kind == "address-confirmation");
            let message = message.context("no link sent")?;
            let link = message.text_body.split_whitespace().find(|w| w.contains("/a/")).context("no link")?;
            Ok::<_, anyhow::Error>(link.to_owned())
        }
    };

    // Asking: a bad address is refused; a good one gets a link, nothing changes yet.
    browser.goto(&app.state.profile_url(id)).await?;
    browser.client.execute("document.querySelector('#address-form').noValidate = true;", vec![]).await?;
    browser.fill("#address-form input[name=email]", "not-an-address").await?;
    browser.click("#address-form button").await?;
    assert!(browser.text("#error").await?.starts_with("The new address is not valid"));
    browser.fill("#address-form input[name=email]", "new@example.jp").await?;
    browser.click("#address-form button").await?;
    assert!(browser.text("#saved").await?.contains("We sent a link to new@example.jp"));
    let link = address_link("new@example.jp").await?;
    assert_eq!(app.store.subscriber(id).await?.context("reader")?.email, "old@example.jp", "not before the link");

    // A forged link changes nothing.
    // Another subscriber's id under the same signature.
    let forged = link.replacen(&format!("/a/{id}."), &format!("/a/{}.", id + 1), 1);
    assert_ne!(forged, link);
    browser.goto(&forged).await?;
    assert_eq!(browser.text("h1").await?, "This link is not valid");
    assert_eq!(http().post(&forged).send().await?.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.store.subscriber(id).await?.context("reader")?.email, "old@example.jp");

    // The real link asks, then changes; the old address is told.
    browser.goto(&link).await?;
    assert!(browser.text("#message").await?.contains("from old@example.jp to new@example.jp"));
    browser.click("#action").await?;
    assert_eq!(browser.text("h1").await?, "Your address is changed");
    assert_eq!(app.store.subscriber(id).await?.context("reader")?.email, "new@example.jp");
    let told = app.store.outbound_messages(50).await?;
    let told = told.iter().find(|m| m.kind == "address-changed").context("the old address is told")?;
    assert_eq!(told.to_address, "old@example.jp");
    assert!(told.text_body.contains("new@example.jp"), "{}", told.text_body);
    // Still on the list, under the new address.
    assert_eq!(subscription_status(&app, "new@example.jp", news).await?.as_deref(), Some("confirmed"));

    // Used once: a second time changes nothing.
    assert_eq!(http().post(&link).send().await?.status(), StatusCode::GONE);
    assert_eq!(app.store.subscriber(id).await?.context("reader")?.email, "new@example.jp");

    // An address another subscriber has is not taken over.
    browser.goto(&app.state.profile_url(id)).await?;
    browser.fill("#address-form input[name=email]", "taken@example.jp").await?;
    browser.click("#address-form button").await?;
    let link = address_link("taken@example.jp").await?;
    assert_eq!(http().post(&link).send().await?.status(), StatusCode::CONFLICT);
    assert_eq!(app.store.subscriber(id).await?.context("reader")?.email, "new@example.jp");
    browser.close().await?;
    app.stop().await
}
