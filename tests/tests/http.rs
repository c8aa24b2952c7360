//! The web app over plain HTTP: health, metrics, cookies, sessions, the API.

use anyhow::{Context, Result};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, COOKIE, LOCATION, SET_COOKIE};
use tests::{http, spawn_app};

const EMAIL: &str = "ops@example.com";
const PASSWORD: &str = "orbit cactus lantern 47 violet";

/// The `name=value` pairs of a response's Set-Cookie headers, and their attributes.
fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response.headers().get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok().map(String::from)).collect()
}

fn cookie_value<'a>(cookies: &'a [String], name: &str) -> Option<&'a str> {
    cookies.iter().find_map(|c| c.strip_prefix(&format!("{name}="))).and_then(|rest| rest.split(';').next())
}

/// The hidden CSRF field of a page.
fn csrf_field(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().map(String::from)
}

/// Logs in like a browser would: fetch the form, post it with its cookie.
async fn log_in(url: &str, email: &str, password: &str) -> Result<reqwest::Response> {
    let page = http().get(format!("{url}/login")).send().await?;
    let cookies = set_cookies(&page);
    let pre = cookie_value(&cookies, "ninsho_csrf").context("no pre-session cookie")?.to_string();
    let csrf = csrf_field(&page.text().await?).context("no csrf field")?;
    Ok(http()
        .post(format!("{url}/login"))
        .header(COOKIE, format!("ninsho_csrf={pre}"))
        .form(&[("csrf", csrf.as_str()), ("email", email), ("password", password)])
        .send()
        .await?)
}

#[tokio::test]
async fn healthz_checks_the_database() -> Result<()> {
    let app = spawn_app().await?;
    let response = http().get(format!("{}/healthz", app.url)).send().await?;
    assert_eq!(response.status(), StatusCode::OK);
    // Once the database is gone, health says so.
    app.store.close().await;
    let response = http().get(format!("{}/healthz", app.url)).send().await?;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    app.stop().await
}

#[tokio::test]
async fn session_cookie_is_secure_httponly_strict_and_stored_hashed() -> Result<()> {
    let app = spawn_app().await?;
    app.create_admin(EMAIL, PASSWORD).await?;
    let response = log_in(&app.url, EMAIL, PASSWORD).await?;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers().get(LOCATION).and_then(|v| v.to_str().ok()), Some("/"));
    let cookies = set_cookies(&response);
    let session = cookies.iter().find(|c| c.starts_with("ninsho_session=")).context("no session cookie")?;
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(session.contains(attribute), "{attribute} missing from {session}");
    }
    let token = cookie_value(&cookies, "ninsho_session").context("no value")?;
    // The database knows only the hash: the raw token is not a key there.
    let lifetime = chrono::Duration::hours(1);
    assert!(app.store.touch_session(token.as_bytes(), lifetime).await?.is_none());
    // The cookie opens the dashboard.
    let home = http().get(&app.url).header(COOKIE, format!("ninsho_session={token}")).send().await?;
    assert_eq!(home.status(), StatusCode::OK);
    assert!(home.text().await?.contains(EMAIL));
    // A made-up cookie does not.
    let forged = http().get(&app.url).header(COOKIE, "ninsho_session=forged").send().await?;
    assert_eq!(forged.status(), StatusCode::SEE_OTHER);
    app.stop().await
}

#[tokio::test]
async fn a_post_without_csrf_is_403_before_anything_else() -> Result<()> {
    let app = spawn_app().await?;
    app.create_admin(EMAIL, PASSWORD).await?;
    // Correct credentials, no token: refused and no failure or session recorded.
    let response =
        http().post(format!("{}/login", app.url)).form(&[("email", EMAIL), ("password", PASSWORD)]).send().await?;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // A token made for another cookie is refused too.
    let page = http().get(format!("{}/login", app.url)).send().await?;
    let csrf = csrf_field(&page.text().await?).context("no csrf field")?;
    let response = http()
        .post(format!("{}/login", app.url))
        .header(COOKIE, "ninsho_csrf=someone-elses-cookie")
        .form(&[("csrf", csrf.as_str()), ("email", EMAIL), ("password", PASSWORD)])
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // Neither attempt reached the login logic.
    let localhost = std::net::IpAddr::from([127, 0, 0, 1]);
    let failures = app.store.recent_login_failures(EMAIL, localhost, chrono::Duration::hours(1)).await?;
    assert_eq!((failures.pair, failures.address, failures.account), (0, 0, 0));
    app.stop().await
}

#[tokio::test]
async fn a_pre_session_token_does_not_pass_next_to_a_session_cookie() -> Result<()> {
    let app = spawn_app().await?;
    app.create_admin(EMAIL, PASSWORD).await?;
    let session = cookie_value(&set_cookies(&log_in(&app.url, EMAIL, PASSWORD).await?), "ninsho_session")
        .context("no session")?
        .to_string();
    // An attacker's own pre-session cookie and its valid token, planted next
    // to the victim's session cookie.
    let page = http().get(format!("{}/login", app.url)).send().await?;
    let planted = cookie_value(&set_cookies(&page), "ninsho_csrf").context("no pre-session cookie")?.to_string();
    let token = csrf_field(&page.text().await?).context("no csrf field")?;
    let response = http()
        .post(format!("{}/tokens", app.url))
        .header(COOKIE, format!("ninsho_session={session}; ninsho_csrf={planted}"))
        .form(&[("csrf", token.as_str()), ("name", "planted")])
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let admin = app.store.admin_credentials(EMAIL).await?.map(|(a, _)| a.id).unwrap_or_default();
    assert!(app.store.api_tokens(admin).await?.is_empty());
    app.stop().await
}

#[tokio::test]
async fn api_requires_a_valid_token() -> Result<()> {
    let app = spawn_app().await?;
    app.create_admin(EMAIL, PASSWORD).await?;
    let me = format!("{}/api/v1/me", app.url);
    assert_eq!(http().get(&me).send().await?.status(), StatusCode::UNAUTHORIZED);
    let wrong = http().get(&me).header(AUTHORIZATION, "Bearer nsh_made_up").send().await?;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    let token = message::secret::new_api_token();
    let email = domain::EmailAddress::parse(EMAIL)?;
    app.store.create_api_token(&email, "script", &message::secret::api_token_hash(&token)).await?;
    let response = http().get(&me).header(AUTHORIZATION, format!("Bearer {token}")).send().await?;
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = serde_json::from_str(&response.text().await?)?;
    assert_eq!(body["email"], EMAIL);
    let admin = app.store.admin_credentials(EMAIL).await?.map(|(a, _)| a.id).unwrap_or_default();
    assert!(app.store.api_tokens(admin).await?[0].last_used_at.is_some());
    app.stop().await
}

#[tokio::test]
async fn metrics_are_prometheus_text_and_count_logins() -> Result<()> {
    let app = spawn_app().await?;
    app.create_admin(EMAIL, PASSWORD).await?;
    log_in(&app.url, EMAIL, "wrong password here").await?;
    log_in(&app.url, EMAIL, PASSWORD).await?;
    let confirmation = store::NewMessage {
        kind: "confirmation",
        subscriber_id: None,
        to: "new@example.org",
        subject: "Confirm",
        text_body: "Confirm.",
    };
    app.store.enqueue_message(&confirmation).await?;
    let response = http().get(format!("{}/metrics", app.url)).send().await?;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await?;
    assert!(text.contains("ninsho_admin_logins_total{outcome=\"failure\"} 1"), "{text}");
    assert!(text.contains("ninsho_admin_logins_total{outcome=\"success\"} 1"), "{text}");
    assert!(text.contains("ninsho_database_up 1"), "{text}");
    assert!(text.contains("ninsho_delivery_queue{queue=\"outbox\",status=\"queued\"} 1"), "{text}");
    assert!(text.contains("ninsho_delivery_queue{queue=\"campaign\",status=\"deferred\"} 0"), "{text}");
    assert!(text.trim_end().ends_with("# EOF"), "{text}");
    app.stop().await
}

#[tokio::test]
async fn password_reset_ends_sessions() -> Result<()> {
    let app = spawn_app().await?;
    app.create_admin(EMAIL, PASSWORD).await?;
    let response = log_in(&app.url, EMAIL, PASSWORD).await?;
    let cookies = set_cookies(&response);
    let token = cookie_value(&cookies, "ninsho_session").context("no session")?.to_string();
    let email = domain::EmailAddress::parse(EMAIL)?;
    let hash = web::password::hash_blocking("a different long passphrase 93").map_err(|e| anyhow::anyhow!("{e}"))?;
    app.store.set_admin_password(&email, &hash).await?;
    let home = http().get(&app.url).header(COOKIE, format!("ninsho_session={token}")).send().await?;
    assert_eq!(home.status(), StatusCode::SEE_OTHER, "the old session still works");
    assert_eq!(log_in(&app.url, EMAIL, PASSWORD).await?.status(), StatusCode::UNAUTHORIZED);
    app.stop().await
}

#[tokio::test]
async fn an_address_that_keeps_failing_is_slowed_and_nobody_is_locked_out() -> Result<()> {
    // Behind a trusted proxy, so that two client addresses can be tried.
    let app = tests::spawn_app_with(|c| {
        c.max_failures_per_ip = 3;
        c.max_failures_per_account = 2;
        c.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap_or_else(|_| unreachable!())];
    })
    .await?;
    app.create_admin(EMAIL, PASSWORD).await?;
    let attempt = |from: &'static str, email: &'static str, password: &'static str| {
        let url = app.url.clone();
        async move {
            let page = http().get(format!("{url}/login")).header("x-forwarded-for", from).send().await?;
            let cookies = set_cookies(&page);
            let pre = cookie_value(&cookies, "ninsho_csrf").context("no pre-session cookie")?.to_string();
            let csrf = csrf_field(&page.text().await?).context("no csrf field")?;
            let response = http()
                .post(format!("{url}/login"))
                .header(COOKIE, format!("ninsho_csrf={pre}"))
                .header("x-forwarded-for", from)
                .form(&[("csrf", csrf.as_str()), ("email", email), ("password", password)])
                .send()
                .await?;
            anyhow::Ok((response.status(), response.text().await?))
        }
    };
    // A stranger sprays accounts, then this one, from one address.
    for guess in ["a@example.com", "b@example.com", "c@example.com"] {
        assert_eq!(attempt("198.51.100.7", guess, "wrong password").await?.0, StatusCode::UNAUTHORIZED);
    }
    let (status, page) = attempt("198.51.100.7", EMAIL, "still wrong").await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains("each attempt now waits"), "the stranger is slowed: {page}");
    let (status, _) = attempt("198.51.100.7", EMAIL, "wrong again").await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The owner, elsewhere, is not slowed and gets in; so would the owner
    // behind the stranger's address, only more slowly.
    let (status, page) = attempt("203.0.113.20", EMAIL, PASSWORD).await?;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let (status, _) = attempt("198.51.100.7", EMAIL, PASSWORD).await?;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let metrics = http().get(format!("{}/metrics", app.url)).send().await?.text().await?;
    assert!(metrics.contains("ninsho_admin_logins_total{outcome=\"throttled\"} 3"), "{metrics}");
    app.stop().await
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() -> Result<()> {
    let app = spawn_app().await?;
    app.create_admin(EMAIL, PASSWORD).await?;
    let header = |r: &reqwest::Response, name: &str| {
        r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    };
    let login = http().get(format!("{}/login", app.url)).send().await?;
    let policy = header(&login, "content-security-policy");
    for directive in ["script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'"] {
        assert!(policy.contains(directive), "{directive} missing: {policy}");
    }
    assert_eq!(header(&login, "x-frame-options"), "DENY");
    assert_eq!(header(&login, "x-content-type-options"), "nosniff");
    assert_eq!(header(&login, "referrer-policy"), "same-origin");
    assert_eq!(header(&login, "cache-control"), "no-store");
    assert_eq!(header(&login, "strict-transport-security"), "", "not over plain http");
    // The signup form may be framed by the sites that embed it; it sends
    // no referrer. The stylesheet may be cached.
    let list = tests::fixtures::list(&app.store, "News").await?;
    let signup = http().get(format!("{}/s/{list}", app.url)).send().await?;
    assert!(!header(&signup, "content-security-policy").contains("frame-ancestors"));
    assert_eq!(header(&signup, "x-frame-options"), "");
    assert_eq!(header(&signup, "referrer-policy"), "no-referrer");
    let css = http().get(format!("{}/static/app.css", app.url)).send().await?;
    assert!(header(&css, "cache-control").starts_with("public"));
    // The scripts the pages use are files of their own (no inline script).
    for script in ["app.js", "segment.js", "imports.js"] {
        let js = http().get(format!("{}/static/{script}", app.url)).send().await?;
        assert_eq!(
            (js.status(), header(&js, "content-type").as_str()),
            (StatusCode::OK, "text/javascript; charset=utf-8")
        );
    }
    app.stop().await
}

#[tokio::test]
async fn over_https_cookies_are_host_only_and_browsers_are_told_to_stay() -> Result<()> {
    // Served on plain loopback here; the public URL says https (a TLS proxy).
    let app = tests::spawn_app_with(|c| c.public_url = "https://news.example.com".into()).await?;
    app.create_admin(EMAIL, PASSWORD).await?;
    let page = http().get(format!("{}/login", app.url)).send().await?;
    assert_eq!(page.headers().get("strict-transport-security").and_then(|v| v.to_str().ok()), Some("max-age=31536000"));
    let cookies = set_cookies(&page);
    let pre = cookies.iter().find(|c| c.starts_with("__Host-ninsho_csrf=")).context("a __Host- cookie")?;
    assert!(pre.contains("Secure") && pre.contains("Path=/") && !pre.contains("Domain"), "{pre}");
    // An unprefixed cookie, as a sibling site could plant, binds no form.
    let value = cookie_value(&cookies, "__Host-ninsho_csrf").context("value")?;
    let csrf = csrf_field(&page.text().await?).context("csrf")?;
    let planted = http()
        .post(format!("{}/login", app.url))
        .header(COOKIE, format!("ninsho_csrf={value}"))
        .form(&[("csrf", csrf.as_str()), ("email", EMAIL), ("password", PASSWORD)])
        .send()
        .await?;
    assert_eq!(planted.status(), StatusCode::FORBIDDEN);
    app.stop().await
}

#[tokio::test]
async fn a_form_posted_from_another_site_is_refused_even_with_its_token() -> Result<()> {
    let app = spawn_app().await?;
    app.create_admin(EMAIL, PASSWORD).await?;
    let page = http().get(format!("{}/login", app.url)).send().await?;
    let cookies = set_cookies(&page);
    let pre = cookie_value(&cookies, "ninsho_csrf").context("cookie")?.to_string();
    let csrf = csrf_field(&page.text().await?).context("csrf")?;
    let post = |origin: &'static str| {
        http()
            .post(format!("{}/login", app.url))
            .header(COOKIE, format!("ninsho_csrf={pre}"))
            .header("origin", origin)
            .form(&[("csrf", csrf.as_str()), ("email", EMAIL), ("password", PASSWORD)])
            .send()
    };
    let foreign = post("https://evil.example").await?;
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    assert!(foreign.text().await?.contains("came from another site"));
    assert_eq!(post("null").await?.status(), StatusCode::FORBIDDEN);
    // The same form from the site itself logs in.
    let origin: &'static str = Box::leak(app.url.clone().into_boxed_str());
    assert_eq!(post(origin).await?.status(), StatusCode::SEE_OTHER);
    app.stop().await
}

#[tokio::test]
async fn metrics_are_for_this_machine_unless_a_token_or_allowlist_opens_them() -> Result<()> {
    let token = "metrics-token-for-the-collector";
    let app = tests::spawn_app_with(|c| {
        c.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap_or_else(|_| unreachable!())];
        let hash = message::secret::token_hash(token);
        let mut fixed = [0u8; 32];
        fixed.copy_from_slice(&hash);
        c.metrics_token_hash = Some(fixed);
    })
    .await?;
    let metrics = |from: &'static str, bearer: Option<&'static str>| {
        let mut request = http().get(format!("{}/metrics", app.url)).header("x-forwarded-for", from);
        if let Some(bearer) = bearer {
            request = request.header(AUTHORIZATION, format!("Bearer {bearer}"));
        }
        request.send()
    };
    assert_eq!(metrics("203.0.113.5", None).await?.status(), StatusCode::FORBIDDEN);
    assert_eq!(metrics("203.0.113.5", Some("a wrong token")).await?.status(), StatusCode::FORBIDDEN);
    assert_eq!(metrics("203.0.113.5", Some(token)).await?.status(), StatusCode::OK);
    assert_eq!(metrics("127.0.0.1", None).await?.status(), StatusCode::OK);
    app.stop().await?;
    // A proxy on this machine that nobody listed as trusted: what it
    // forwards is not this machine's.
    let app = spawn_app().await?;
    let behind = http().get(format!("{}/metrics", app.url)).header("x-forwarded-for", "203.0.113.5").send().await?;
    assert_eq!(behind.status(), StatusCode::FORBIDDEN);
    assert_eq!(http().get(format!("{}/metrics", app.url)).send().await?.status(), StatusCode::OK);
    app.stop().await
}
