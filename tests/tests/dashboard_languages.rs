//! The dashboard in each admin's language: the browser's `Accept-Language`
//! until they choose one on their account page, their choice after; every
//! kind of page (home, campaign editor, report, domains, segment editor)
//! reads Japanese, with Japanese dates; errors follow the request's
//! language; and the sender identity block is kept through the domains page.

use anyhow::{Context, Result};
use chrono::Utc;
use domain::SubscriptionStatus;
use tests::fixtures;
use tests::{Browser, TestApp, spawn_app};

const EMAIL: &str = "hanako@example.jp";
const PASSWORD: &str = "orbit cactus lantern 47 violet";

async fn log_in(app: &TestApp, browser: &Browser) -> Result<()> {
    browser.goto(&format!("{}/login", app.url)).await?;
    browser.fill("input[name=email]", EMAIL).await?;
    browser.fill("input[name=password]", PASSWORD).await?;
    browser.click("form[action='/login'] button").await?;
    Ok(())
}

/// The page's `<html lang>` and the navigation's words.
async fn said(browser: &Browser) -> Result<(String, String)> {
    let answer = browser
        .client
        .execute(
            "const nav = document.querySelector('nav#nav');
             return [document.documentElement.lang, nav ? nav.innerText : ''];",
            vec![],
        )
        .await?;
    Ok((answer[0].as_str().unwrap_or_default().into(), answer[1].as_str().unwrap_or_default().into()))
}

async fn choose_language(browser: &Browser, app: &TestApp, code: &str) -> Result<()> {
    browser.goto(&format!("{}/account", app.url)).await?;
    browser
        .client
        .execute(
            "const select = document.querySelector('#language-form select[name=language]');
             select.value = arguments[0];",
            vec![code.into()],
        )
        .await?;
    browser.click("#language-form button").await?;
    Ok(())
}

#[tokio::test]
async fn the_dashboard_speaks_the_browsers_language_until_the_admin_chooses_one() -> Result<()> {
    let app = spawn_app().await?;
    app.create_admin(EMAIL, PASSWORD).await?;
    let store = &app.store;
    let list = fixtures::list(store, "Weekly").await?;
    fixtures::subscriber(
        store,
        "ann@example.org",
        "Ann",
        serde_json::json!({}),
        &[(list, SubscriptionStatus::Confirmed)],
    )
    .await?;
    let campaign = store.save_campaign(None, &fixtures::fields("Spring sale", vec![list])).await?.id;

    // A browser that asks for Japanese gets the login page and, once in,
    // the dashboard in Japanese.
    let browser = Browser::launch_in("ja,en-US;q=0.8").await?;
    browser.goto(&format!("{}/login", app.url)).await?;
    assert_eq!(said(&browser).await?.0, "ja");
    assert_eq!(browser.text("h1").await?, "ログイン");
    log_in(&app, &browser).await?;
    browser.goto(&app.url).await?;
    let (lang, nav) = said(&browser).await?;
    assert_eq!(lang, "ja");
    assert!(nav.contains("購読者") && nav.contains("ログアウト"), "{nav}");
    assert!(!nav.contains("Subscribers"), "{nav}");

    // Every kind of page, in Japanese words.
    let pages = [
        ("/".to_owned(), "ダッシュボード"),
        (format!("/campaigns/{campaign}"), "件名"),
        (format!("/campaigns/{campaign}/report"), "レポート"),
        ("/domains".to_owned(), "送信ドメイン"),
        ("/segments/new".to_owned(), "新しいセグメント"),
    ];
    for (path, words) in &pages {
        browser.goto(&format!("{}{path}", app.url)).await?;
        let text = browser.text("main").await?;
        assert!(text.contains(words), "{path} lacks {words}: {text}");
        assert_eq!(said(&browser).await?.0, "ja", "{path}");
    }
    // Times as Japanese readers write them: 2026年12月4日(金) 09:30 JST.
    browser.goto(&format!("{}/segments", app.url)).await?;
    let segment =
        store.create_segment("札幌", &serde_json::from_value(serde_json::json!({"list": {"list_id": list}}))?).await?;
    browser.goto(&format!("{}/segments", app.url)).await?;
    let table = browser.text("main").await?;
    let year = Utc::now().format("%Y年").to_string();
    assert!(table.contains(&year) && table.contains("月") && table.contains("日("), "{segment:?} {table}");

    // A page that is not there, in the admin's language too.
    browser.goto(&format!("{}/no-such-page", app.url)).await?;
    assert_eq!(browser.text("h1").await?, "見つかりません");

    // The admin's own choice beats the browser's.
    choose_language(&browser, &app, "en").await?;
    browser.goto(&app.url).await?;
    let (lang, nav) = said(&browser).await?;
    assert_eq!(lang, "en");
    assert!(nav.contains("Subscribers") && nav.contains("Log out"), "{nav}");
    // In an English browser, a choice of Japanese holds too.
    let english = Browser::launch().await?;
    log_in(&app, &english).await?;
    choose_language(&english, &app, "ja").await?;
    english.goto(&format!("{}/lists", app.url)).await?;
    assert!(said(&english).await?.1.contains("配信リスト"));
    english.goto(&format!("{}/no-such-page", app.url)).await?;
    assert_eq!(english.text("h1").await?, "見つかりません", "the admin's language, not the browser's");
    // Following the browser again.
    choose_language(&english, &app, "").await?;
    english.goto(&app.url).await?;
    assert_eq!(said(&english).await?.0, "en");
    // A language that is not ours is refused and changes nothing.
    let (admin, _) = store.admin_credentials(EMAIL).await?.context("admin")?;
    assert_eq!(store.admin_language(admin.id).await?, "");
    english.goto(&format!("{}/account", app.url)).await?;
    english
        .client
        .execute(
            "const o = document.createElement('option'); o.value = 'fr'; o.textContent = 'fr';
             const s = document.querySelector('#language-form select[name=language]'); s.appendChild(o); s.value = 'fr';",
            vec![],
        )
        .await?;
    english.click("#language-form button").await?;
    assert_eq!(store.admin_language(admin.id).await?, "");
    english.close().await?;
    browser.close().await?;
    app.stop().await
}

#[tokio::test]
async fn errors_are_worded_in_the_language_the_request_asks_for() -> Result<()> {
    let app = spawn_app().await?;
    let api = app.api().await?;
    let http = tests::http();
    let ask = |path: &str, language: &str, token: bool| {
        let mut request = http.get(format!("{}{path}", app.url)).header("accept-language", language);
        if token {
            request = request.bearer_auth(&api.token);
        }
        request.send()
    };
    // No token: the API's answer in Japanese or English.
    let japanese: serde_json::Value =
        serde_json::from_str(&ask("/api/v1/me", "ja-JP,ja;q=0.9", false).await?.text().await?)?;
    assert_eq!(japanese["error"], "有効なAPIトークンが必要です（Authorization: Bearer nsh_…）");
    let english: serde_json::Value = serde_json::from_str(&ask("/api/v1/me", "en", false).await?.text().await?)?;
    assert_eq!(english["error"], "a valid API token is required (Authorization: Bearer nsh_…)");
    // A page that is not there.
    let page = ask("/no-such-page", "ja", false).await?.text().await?;
    assert!(page.contains("<html lang=\"ja\">") && page.contains("このアドレスにはページがありません。"), "{page}");
    // A field at fault keeps its machine-readable name; its sentence follows the language.
    identity::add_domain(&app.store, &app.key, "shop.example", false).await?;
    let body = serde_json::json!({"name": "株式会社ショップ", "postal_address": "大阪府", "contact": "電話で"});
    let refused = http
        .put(format!("{}/api/v1/domains/shop.example/identity", app.url))
        .bearer_auth(&api.token)
        .header("accept-language", "ja")
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await?
        .text()
        .await?;
    let refused: serde_json::Value = serde_json::from_str(&refused)?;
    assert_eq!(refused["field"], "contact");
    assert_eq!(refused["error"], "メールアドレス、または https:// で始まるURLを入力してください。");
    app.stop().await
}

#[tokio::test]
async fn the_sender_identity_is_kept_through_the_domains_page() -> Result<()> {
    let app = spawn_app().await?;
    let browser = app.logged_in_browser().await?;
    identity::add_domain(&app.store, &app.key, "shop.example", false).await?;
    browser.goto(&format!("{}/domains", app.url)).await?;
    assert!(browser.text(".identity").await?.contains("incomplete"));
    let form = "form.identity";
    browser.fill(&format!("{form} input[name=name]"), "株式会社ショップ").await?;
    browser.fill(&format!("{form} input[name=postal_address]"), "〒530-0001 大阪府大阪市北区梅田1-1-1").await?;
    browser.fill(&format!("{form} input[name=contact]"), "not a contact").await?;
    browser.click(&format!("{form} button")).await?;
    assert!(
        browser.text("main").await?.contains("Contact: Give an email address or a URL"),
        "the fault names its field"
    );
    assert_eq!(app.store.sender_identity("shop.example").await?, store::SenderIdentity::default(), "nothing kept");
    browser.fill(&format!("{form} input[name=name]"), "株式会社ショップ").await?;
    browser.fill(&format!("{form} input[name=postal_address]"), "〒530-0001 大阪府大阪市北区梅田1-1-1").await?;
    browser.fill(&format!("{form} input[name=contact]"), "support@shop.example").await?;
    browser.click(&format!("{form} button")).await?;
    let kept = app.store.sender_identity("shop.example").await?;
    assert_eq!(kept.name, "株式会社ショップ");
    assert!(kept.missing().is_empty(), "{kept:?}");
    assert!(browser.text(".identity").await?.contains("complete"));
    assert!(!browser.text(".identity").await?.contains("incomplete"));
    browser.close().await?;
    app.stop().await
}
