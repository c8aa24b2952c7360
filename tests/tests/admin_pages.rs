//! The admin pages in a real browser: first-admin setup, login, logout,
//! wrong passwords, throttling, CSRF and the IP allowlist.

use anyhow::Result;
use tests::{Browser, spawn_app, spawn_app_with};

const EMAIL: &str = "hanako@example.jp";
const PASSWORD: &str = "orbit cactus lantern 47 violet";

async fn log_in(browser: &Browser, url: &str, email: &str, password: &str) -> Result<()> {
    browser.goto(&format!("{url}/login")).await?;
    browser.fill("input[name=email]", email).await?;
    browser.fill("input[name=password]", password).await?;
    browser.click("form[action='/login'] button").await
}

#[tokio::test]
async fn first_admin_setup_then_logout_and_login() -> Result<()> {
    let app = spawn_app().await?;
    let browser = Browser::launch().await?;

    // The first visit leads to the setup page.
    browser.goto(&app.url).await?;
    assert_eq!(browser.path().await?, "/setup");

    // Without the setup code nothing is created.
    browser.fill("input[name=email]", EMAIL).await?;
    browser.fill("input[name=password]", PASSWORD).await?;
    browser.fill("input[name=confirm]", PASSWORD).await?;
    browser.fill("input[name=token]", "guessed-code").await?;
    browser.click("form[action='/setup'] button").await?;
    assert!(browser.text("#error").await?.contains("setup code is wrong"));
    assert_eq!(app.store.admin_count().await?, 0);

    // A weak password is refused with the reason.
    browser.goto(&app.state.setup_url()).await?;
    browser.fill("input[name=email]", EMAIL).await?;
    browser.fill("input[name=password]", "password1234").await?;
    browser.fill("input[name=confirm]", "password1234").await?;
    browser.click("form[action='/setup'] button").await?;
    assert!(browser.text("#error").await?.contains("too easy to guess"));
    assert_eq!(app.store.admin_count().await?, 0);

    // The printed link carries the code; a strong password creates the admin.
    browser.goto(&app.state.setup_url()).await?;
    browser.fill("input[name=email]", EMAIL).await?;
    browser.fill("input[name=password]", PASSWORD).await?;
    browser.fill("input[name=confirm]", PASSWORD).await?;
    browser.click("form[action='/setup'] button").await?;
    assert_eq!(browser.path().await?, "/");
    assert!(browser.text("h1").await?.contains("Dashboard"));
    assert!(browser.text(".who").await?.contains(EMAIL));
    assert_eq!(app.store.admin_count().await?, 1);
    browser.screenshot(&std::env::temp_dir().join("ninsho-dashboard.png")).await?;

    // The setup page is closed once an admin exists.
    browser.goto(&app.state.setup_url()).await?;
    assert_eq!(browser.path().await?, "/login");

    // Log out: the dashboard is no longer reachable.
    browser.goto(&app.url).await?;
    browser.click("#logout").await?;
    assert_eq!(browser.path().await?, "/login");
    browser.goto(&app.url).await?;
    assert_eq!(browser.path().await?, "/login");

    // And log in again, with the email in another case.
    log_in(&browser, &app.url, "Hanako@Example.JP", PASSWORD).await?;
    assert_eq!(browser.path().await?, "/");
    assert!(browser.text(".who").await?.contains(EMAIL));

    browser.close().await?;
    app.stop().await
}

#[tokio::test]
async fn wrong_password_shows_an_error_and_repeated_failures_are_throttled() -> Result<()> {
    let app = spawn_app_with(|c| c.max_failures_per_account = 3).await?;
    app.create_admin(EMAIL, PASSWORD).await?;
    let browser = Browser::launch().await?;

    log_in(&browser, &app.url, EMAIL, "not the password").await?;
    assert_eq!(browser.path().await?, "/login");
    assert_eq!(browser.text("#error").await?, "Wrong email or password.");

    // An unknown account gets the same answer (no account enumeration).
    log_in(&browser, &app.url, "nobody@example.jp", "not the password").await?;
    assert_eq!(browser.text("#error").await?, "Wrong email or password.");

    log_in(&browser, &app.url, EMAIL, "still not it").await?;
    log_in(&browser, &app.url, EMAIL, "nor this").await?;
    // Past three failures each attempt from this address waits, and says so…
    log_in(&browser, &app.url, EMAIL, "and not this").await?;
    assert!(browser.text("#error").await?.contains("each attempt now waits 1 second."));
    // …and the right password still gets in.
    log_in(&browser, &app.url, EMAIL, PASSWORD).await?;
    assert_eq!(browser.path().await?, "/");
    // The owner was told by mail, once.
    let told = app.store.outbound_messages(20).await?;
    let told: Vec<_> = told.iter().filter(|m| m.kind == "alert" && m.to_address == EMAIL).collect();
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].text_body.contains("failed attempts to log in") && told[0].text_body.contains("127.0.0.1"));

    browser.close().await?;
    app.stop().await
}

#[tokio::test]
async fn a_form_without_a_valid_csrf_token_is_refused() -> Result<()> {
    let app = spawn_app().await?;
    app.create_admin(EMAIL, PASSWORD).await?;
    let browser = Browser::launch().await?;
    log_in(&browser, &app.url, EMAIL, PASSWORD).await?;
    assert_eq!(browser.path().await?, "/");

    // Tamper with the token of the logout form: 403, and the session survives.
    browser.client.execute("document.querySelector('input[name=csrf]').value = 'forged';", vec![]).await?;
    browser.click("#logout").await?;
    assert_eq!(browser.title().await?, "Forbidden · ninsho");
    assert!(browser.text(".error").await?.contains("expired or was not sent from this site"));
    browser.goto(&app.url).await?;
    assert_eq!(browser.path().await?, "/");

    // Remove the token from the API-token form: 403 and no token created.
    browser.goto(&format!("{}/tokens", app.url)).await?;
    browser
        .client
        .execute("document.querySelector(\"form[action='/tokens'] input[name=csrf]\").remove();", vec![])
        .await?;
    browser.fill("input[name=name]", "forged").await?;
    browser.click("form[action='/tokens'] button").await?;
    assert_eq!(browser.title().await?, "Forbidden · ninsho");
    let admin = app.store.admin_credentials(EMAIL).await?.map(|(a, _)| a.id).unwrap_or_default();
    assert!(app.store.api_tokens(admin).await?.is_empty());

    // The genuine form works.
    browser.goto(&format!("{}/tokens", app.url)).await?;
    browser.fill("input[name=name]", "CRM sync").await?;
    browser.click("form[action='/tokens'] button").await?;
    assert!(browser.text("#new-token").await?.starts_with("nsh_"));
    assert_eq!(app.store.api_tokens(admin).await?.len(), 1);

    browser.close().await?;
    app.stop().await
}

#[tokio::test]
async fn clients_outside_the_allowlist_get_403() -> Result<()> {
    let outside =
        spawn_app_with(|c| c.admin_allowlist = vec!["10.0.0.0/8".parse().unwrap_or_else(|_| unreachable!())]).await?;
    outside.create_admin(EMAIL, PASSWORD).await?;
    let inside =
        spawn_app_with(|c| c.admin_allowlist = vec!["127.0.0.0/8".parse().unwrap_or_else(|_| unreachable!())]).await?;
    inside.create_admin(EMAIL, PASSWORD).await?;
    let browser = Browser::launch().await?;

    for page in ["/login", "/setup", "/", "/tokens", "/metrics", "/api/v1/me"] {
        browser.goto(&format!("{}{page}", outside.url)).await?;
        assert_eq!(browser.title().await?, "Forbidden · ninsho", "{page}");
    }
    // Health checks stay reachable for monitoring.
    let health = tests::http().get(format!("{}/healthz", outside.url)).send().await?;
    assert_eq!(health.status(), 200);

    log_in(&browser, &inside.url, EMAIL, PASSWORD).await?;
    assert_eq!(browser.path().await?, "/");

    browser.close().await?;
    outside.stop().await?;
    inside.stop().await
}

/// The sandbox mailbox is in the navigation only in sandbox mode: in
/// production nothing is kept there, and its text would say nothing leaves
/// the machine.
#[tokio::test]
async fn the_sandbox_mailbox_is_offered_only_in_sandbox_mode() -> Result<()> {
    for (mode, offered) in [(domain::DeliveryMode::Sandbox, true), (domain::DeliveryMode::Production, false)] {
        let app = spawn_app_with(move |c| c.delivery_mode = mode).await?;
        let browser = app.logged_in_browser().await?;
        browser.goto(&app.url).await?;
        let links = browser.client.find_all(tests::Locator::Css("nav a[href='/sandbox']")).await?;
        assert_eq!(!links.is_empty(), offered, "{mode}");
        browser.close().await?;
        app.stop().await?;
    }
    Ok(())
}
