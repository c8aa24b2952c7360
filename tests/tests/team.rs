//! Teams: each role's allowed and refused pages and API routes, tokens
//! narrowed below their owner's role, the audit log (searchable, never
//! editable), and two-factor login in a real browser.

use anyhow::{Context, Result};
use domain::EmailAddress;
use reqwest::header::COOKIE;
use tests::{Browser, fixtures, http, spawn_app};

const PASSWORD: &str = "orbit cactus lantern 47 violet";

/// (method, path, form, allowed for owner, marketer, analyst, operator)
type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, [bool; 4]);

#[tokio::test]
async fn each_role_may_do_what_it_is_for_and_nothing_else() -> Result<()> {
    let app = spawn_app().await?;
    let roles = ["owner", "marketer", "analyst", "operator"];
    let mut people = Vec::new();
    for role in roles {
        people.push(app.person(&format!("{role}@example.jp"), role).await?);
    }
    let list = fixtures::list(&app.store, "Members").await?;
    let campaign = app.store.save_campaign(None, &fixtures::fields("Spring", vec![list])).await?.id;
    let report = format!("/campaigns/{campaign}/report");
    let edit = format!("/campaigns/{campaign}");

    let table: Vec<Case> = vec![
        ("GET", "/", vec![], [true, true, true, true]),
        ("GET", "/tokens", vec![], [true, true, true, true]),
        ("GET", "/subscribers", vec![], [true, true, false, false]),
        ("GET", "/segments", vec![], [true, true, false, false]),
        ("GET", "/imports", vec![], [true, true, false, false]),
        ("GET", "/campaigns", vec![], [true, true, false, false]),
        ("GET", &edit, vec![], [true, true, false, false]),
        ("GET", "/layouts", vec![], [true, true, false, false]),
        ("GET", "/sequences", vec![], [true, true, false, false]),
        ("GET", "/sandbox", vec![], [true, true, false, false]),
        ("GET", &report, vec![], [true, true, true, true]),
        ("GET", "/reports", vec![], [true, true, true, true]),
        ("GET", "/domains", vec![], [true, false, false, true]),
        ("GET", "/team", vec![], [true, false, false, false]),
        ("GET", "/audit", vec![], [true, false, false, false]),
        ("POST", "/team/require-2fa", vec![], [true, false, false, false]),
        ("POST", "/domains/ips", vec![("domain", "none.example"), ("ips", "")], [true, false, false, true]),
    ];
    for (method, path, form, allowed) in &table {
        for (who, may) in people.iter().zip(allowed) {
            let (status, body) = who.page(&app, method, path, form).await?;
            if *may {
                assert!(status != 403 && !body.contains("→ /login"), "{} {method} {path}: {status}", who.email);
            } else {
                assert_eq!(status, 403, "{} {method} {path} should be refused", who.email);
                assert!(body.contains("role may not"), "{} {method} {path}: {body}", who.email);
            }
        }
    }

    // The navigation shows each role the areas it may open.
    let nav = |page: &str| -> Vec<&'static str> {
        let page = page
            .split("<nav id=\"nav\" aria-label=\"Main\">")
            .nth(1)
            .and_then(|rest| rest.split("</nav>").next())
            .unwrap_or_default();
        ["/subscribers", "/campaigns", "/domains", "/reports", "/team", "/webhooks"]
            .into_iter()
            .filter(|href| page.contains(&format!("href=\"{href}\"")))
            .collect()
    };
    let expected: [&[&str]; 4] = [
        &["/subscribers", "/campaigns", "/domains", "/reports", "/team", "/webhooks"],
        &["/subscribers", "/campaigns", "/reports"],
        &["/reports"],
        &["/domains", "/reports"],
    ];
    for (who, links) in people.iter().zip(expected) {
        let (_, home) = who.page(&app, "GET", "/", &[]).await?;
        assert_eq!(nav(&home), links, "{}", who.email);
        // Recent campaigns lead where the role may go: the editor or the report.
        let editor = home.contains(&format!("href=\"/campaigns/{campaign}\""));
        let report_link = home.contains(&format!("href=\"/campaigns/{campaign}/report\""));
        assert_eq!(
            (editor, report_link),
            (links.contains(&"/campaigns"), !links.contains(&"/campaigns")),
            "{}",
            who.email
        );
    }

    // Creating a list: the marketer's works, the analyst's and operator's
    // change nothing.
    let before = app.store.lists().await?.len();
    for (who, name, expected) in
        [(&people[2], "By analyst", 403), (&people[3], "By operator", 403), (&people[1], "By marketer", 200)]
    {
        let form = [("name", name), ("optin", "single"), ("visibility", "public")];
        let (status, _) = who.page(&app, "POST", "/lists", &form).await?;
        assert_eq!(status, expected, "{}", who.email);
    }
    let names: Vec<String> = app.store.lists().await?.into_iter().map(|l| l.name).collect();
    assert_eq!(names.len(), before + 1);
    assert!(names.contains(&"By marketer".to_string()));

    // The API: each token carries its owner's role.
    let new_list = |by: &str| {
        Some(serde_json::json!({"name": format!("API list of {by}"), "optin": "single", "visibility": "public"}))
    };
    for (who, me, subscribers, create, report_ok) in [
        (&people[0], "owner", 200, 201, 200),
        (&people[1], "marketer", 200, 201, 200),
        (&people[2], "analyst", 403, 403, 200),
        (&people[3], "operator", 403, 403, 200),
    ] {
        let (status, body) = who.api(&app, &who.token, "GET", "/me", None).await?;
        assert_eq!((status, body["role"].as_str()), (200, Some(me)));
        assert_eq!(who.api(&app, &who.token, "GET", "/subscribers", None).await?.0, subscribers, "{me}");
        let (status, body) = who.api(&app, &who.token, "POST", "/lists", new_list(me)).await?;
        assert_eq!(status, create, "{me}: {body}");
        if status == 403 {
            assert!(body["error"].as_str().is_some_and(|e| e.contains("role may not change audience")), "{body}");
        }
        let (status, _) = who.api(&app, &who.token, "GET", &format!("/campaigns/{campaign}/report"), None).await?;
        assert_eq!(status, report_ok, "{me}");
    }

    // A marketer's token narrowed to reading the audience reads, and may
    // not write even though its owner may.
    let narrow = message::secret::new_api_token();
    let marketer = EmailAddress::parse(&people[1].email)?;
    let scope = ["audience:read".to_string()];
    app.store
        .create_scoped_api_token(&marketer, "read only", &message::secret::api_token_hash(&narrow), Some(&scope))
        .await?;
    assert_eq!(people[1].api(&app, &narrow, "GET", "/subscribers", None).await?.0, 200);
    let (status, body) = people[1].api(&app, &narrow, "POST", "/lists", new_list("narrow")).await?;
    assert_eq!(status, 403);
    assert!(body["error"].as_str().is_some_and(|e| e.contains("limited to audience:read")), "{body}");
    assert_eq!(people[1].api(&app, &narrow, "GET", "/campaigns", None).await?.0, 403);
    // Counting a segment is a POST that only reads: a read-only token may.
    let filter = serde_json::json!({"filter": {"list": {"list_id": list}}});
    let (status, body) = people[1].api(&app, &narrow, "POST", "/segments/count", Some(filter)).await?;
    assert_eq!(status, 200, "{body}");
    // A revoked token is refused.
    let tokens =
        app.store.api_tokens(app.store.admin_credentials(&people[1].email).await?.context("marketer")?.0.id).await?;
    let read_only = tokens.iter().find(|t| t.name == "read only").context("token")?;
    let (status, _) = people[1].page(&app, "POST", &format!("/tokens/{}/revoke", read_only.id), &[]).await?;
    assert_eq!(status, 303);
    assert_eq!(people[1].api(&app, &narrow, "GET", "/subscribers", None).await?.0, 401);

    // A token cannot be given more than its owner's role: the analyst asks
    // for audience:write and is refused.
    let (status, body) =
        people[2].page(&app, "POST", "/tokens", &[("name", "sneaky"), ("scope", "audience:write")]).await?;
    assert_eq!(status, 422);
    assert!(body.contains("does not have audience:write"), "{body}");

    // Everything that changed something, or tried, is in the audit log with
    // who, how, from where and what; secrets and CSRF tokens are not.
    let entries = app.store.audit_log(Some("POST /lists"), None, 100).await?;
    let by = |actor: &str| entries.iter().find(|e| e.actor == actor && e.action == "POST /lists");
    let marketer_entry = by("marketer@example.jp").context("the marketer's list")?;
    assert_eq!(marketer_entry.status, Some(200));
    assert_eq!(marketer_entry.via, "session");
    assert_eq!(marketer_entry.details["name"], "By marketer");
    assert!(marketer_entry.details.get("csrf").is_none());
    assert_eq!(marketer_entry.ip.map(|ip| ip.addr().to_string()).as_deref(), Some("127.0.0.1"));
    assert_eq!(by("analyst@example.jp").context("the analyst's try")?.status, Some(403));
    let api_entries = app.store.audit_log(Some("token read only"), None, 100).await?;
    assert!(api_entries.iter().any(|e| e.action == "POST /api/v1/lists" && e.status == Some(403)));

    // The dashboard search finds them; other roles cannot open it.
    let (status, page) = people[0].page(&app, "GET", "/audit?q=By+marketer", &[]).await?;
    assert_eq!(status, 200);
    assert!(page.contains("marketer@example.jp") && !page.contains("analyst@example.jp"), "{page}");
    // Logins do not drown out changes: they show only when asked for.
    let login = store::NewAuditEntry {
        admin_id: None,
        actor: "owner@example.jp",
        via: "session",
        ip: None,
        action: "login",
        status: None,
        details: serde_json::json!({"second_factor": false}),
    };
    app.store.record_audit(&login).await?;
    let (_, changes) = people[0].page(&app, "GET", "/audit", &[]).await?;
    assert!(changes.contains("<code>POST /lists</code>") && !changes.contains("<code>login</code>"), "{changes}");
    let (_, logins) = people[0].page(&app, "GET", "/audit?show=logins", &[]).await?;
    assert!(logins.contains("<code>login</code>") && !logins.contains("<code>POST /lists</code>"), "{logins}");

    // Nobody can edit or delete the log, not even with SQL.
    let pool = sqlx::PgPool::connect(&app.database_url).await?;
    let update = sqlx::query("UPDATE audit_log SET actor = 'someone else'").execute(&pool).await;
    assert!(update.is_err_and(|e| e.to_string().contains("cannot be changed")));
    assert!(sqlx::query("DELETE FROM audit_log").execute(&pool).await.is_err());
    assert!(sqlx::query("TRUNCATE audit_log").execute(&pool).await.is_err());
    pool.close().await;

    // The last owner cannot be demoted or removed.
    let owner_id = app.store.admin_credentials("owner@example.jp").await?.context("owner")?.0.id;
    let (status, body) =
        people[0].page(&app, "POST", &format!("/team/{owner_id}/role"), &[("role", "analyst")]).await?;
    assert_eq!(status, 422);
    assert!(body.contains("at least one owner"), "{body}");
    let (status, _) = people[0].page(&app, "POST", &format!("/team/{owner_id}/remove"), &[]).await?;
    assert_eq!(status, 422);
    app.stop().await
}

/// A code of `secret` (base32) for `at` seconds since the epoch.
fn code(secret: &str, at: i64) -> Result<String> {
    let secret = totp_rs::Secret::try_from_base32(secret).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let totp = totp_rs::Builder::new().with_secret(secret).build_noncompliant();
    Ok(totp.generate(u64::try_from(at)?).to_string())
}

async fn log_in(browser: &Browser, url: &str, email: &str) -> Result<()> {
    browser.goto(&format!("{url}/login")).await?;
    browser.fill("input[name=email]", email).await?;
    browser.fill("input[name=password]", PASSWORD).await?;
    browser.click("form[action='/login'] button").await
}

#[tokio::test]
async fn totp_enrolment_and_login_with_a_code_in_a_browser() -> Result<()> {
    let app = spawn_app().await?;
    let browser = app.logged_in_browser().await?;
    let email = "hanako@example.jp";

    // Enrol: the page shows a QR code and the key; a wrong code is refused.
    browser.goto(&format!("{}/account/2fa", app.url)).await?;
    assert!(browser.text("#totp-state").await?.contains("off"));
    let svg = browser.text("#qr").await;
    assert!(svg.is_ok());
    let secret = browser.text("#totp-secret").await?;
    assert!(secret.len() >= 32, "{secret}");
    browser.fill("#enrol input[name=password]", PASSWORD).await?;
    browser.fill("#enrol input[name=code]", "000000").await?;
    browser.click("#enrol button").await?;
    assert!(browser.text("#error").await?.contains("code is not right"));
    // A right code without the password does not turn it on either.
    let secret = browser.text("#totp-secret").await?;
    browser.fill("#enrol input[name=password]", "not my password").await?;
    browser.fill("#enrol input[name=code]", &code(&secret, chrono::Utc::now().timestamp())?).await?;
    browser.click("#enrol button").await?;
    assert!(browser.text("#error").await?.contains("password is not right"));
    // Each page made a new key; the right code of the newest turns it on.
    let secret = browser.text("#totp-secret").await?;
    let now = chrono::Utc::now().timestamp();
    browser.fill("#enrol input[name=password]", PASSWORD).await?;
    browser.fill("#enrol input[name=code]", &code(&secret, now)?).await?;
    browser.click("#enrol button").await?;
    assert!(browser.text("#totp-state").await?.contains("on"));
    let recovery: Vec<String> = browser
        .text("#recovery-codes")
        .await?
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(recovery.len(), 10);
    // Only hashes are stored.
    let admin_id = app.store.admin_credentials(email).await?.context("admin")?.0.id;
    assert_eq!(app.store.recovery_codes_left(admin_id).await?, 10);

    // Log out, log in: after the password the code is asked for.
    browser.click("#logout").await?;
    log_in(&browser, &app.url, email).await?;
    assert_eq!(browser.path().await?, "/login/code");
    // No session yet: the dashboard still sends to login.
    // A wrong code is refused.
    browser.fill("input[name=code]", "123456").await?;
    browser.click("form[action='/login/code'] button").await?;
    assert!(browser.text("#error").await?.contains("not right"));
    // The code used to enrol is used up: replaying it is refused.
    browser.fill("input[name=code]", &code(&secret, now)?).await?;
    browser.click("form[action='/login/code'] button").await?;
    assert!(browser.text("#error").await?.contains("used already"));
    // The next step's code (within the allowed skew) logs in.
    let next = code(&secret, now + 30)?;
    browser.fill("input[name=code]", &next).await?;
    browser.click("form[action='/login/code'] button").await?;
    assert_eq!(browser.path().await?, "/");
    assert!(browser.text(".who").await?.contains(email));

    // The same code again, in a new login: refused (replay).
    browser.click("#logout").await?;
    log_in(&browser, &app.url, email).await?;
    browser.fill("input[name=code]", &next).await?;
    browser.click("form[action='/login/code'] button").await?;
    assert!(browser.text("#error").await?.contains("used already"));
    // A recovery code works once.
    browser.fill("input[name=code]", &recovery[0]).await?;
    browser.click("form[action='/login/code'] button").await?;
    assert_eq!(browser.path().await?, "/");
    assert_eq!(app.store.recovery_codes_left(admin_id).await?, 9);
    browser.click("#logout").await?;
    log_in(&browser, &app.url, email).await?;
    browser.fill("input[name=code]", &recovery[0]).await?;
    browser.click("form[action='/login/code'] button").await?;
    assert!(browser.text("#error").await?.contains("used already"));

    // Logins are in the audit log, with the second factor noted.
    let logins = app.store.audit_log(Some("login"), None, 10).await?;
    assert!(logins.iter().any(|e| e.action == "login" && e.details["second_factor"] == true));
    browser.close().await?;
    app.stop().await
}

#[tokio::test]
async fn an_owner_can_require_two_factor_login_for_everyone() -> Result<()> {
    let app = spawn_app().await?;
    let owner = app.person("owner@example.jp", "owner").await?;
    let marketer = app.person("marketer@example.jp", "marketer").await?;
    let (status, _) = owner.page(&app, "POST", "/team/require-2fa", &[("required", "on")]).await?;
    assert_eq!(status, 303);
    assert!(app.store.require_totp().await?);
    // Without an authenticator, every page leads to enrolment, which opens.
    let response = http()
        .get(format!("{}/campaigns", app.url))
        .header(COOKIE, format!("ninsho_session={}", marketer.session))
        .send()
        .await?;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers().get("location").and_then(|v| v.to_str().ok()), Some("/account/2fa"));
    let (status, page) = marketer.page(&app, "GET", "/account/2fa", &[]).await?;
    assert_eq!(status, 200);
    assert!(page.contains("requires two-factor login"));
    // Their API token stops working too, with the reason.
    let (status, body) = marketer.api(&app, &marketer.token, "GET", "/subscribers", None).await?;
    assert_eq!(status, 403);
    assert!(body["error"].as_str().is_some_and(|e| e.contains("enrol at /account/2fa")), "{body}");
    app.stop().await
}

#[tokio::test]
async fn only_roles_with_the_audience_see_recipients_addresses() -> Result<()> {
    use delivery::{Engine, EngineConfig, Sandbox};
    let app = spawn_app().await?;
    let list = fixtures::list(&app.store, "Members").await?;
    let confirmed = domain::SubscriptionStatus::Confirmed;
    fixtures::subscriber(&app.store, "hanako.yamada@example.jp", "Hanako", serde_json::json!({}), &[(list, confirmed)])
        .await?;
    let campaign = app.store.save_campaign(None, &fixtures::fields("Spring", vec![list])).await?.id;
    let now = chrono::Utc::now();
    app.store.schedule_campaign(campaign, now, None).await?;
    let config = EngineConfig { public_url: app.url.clone(), batch: 10, ..Default::default() };
    Engine::new(app.store.clone(), app.key.clone(), config, Sandbox { store: app.store.clone() })
        .tick(now + chrono::Duration::seconds(1))
        .await?;
    for (role, sees) in [("owner", true), ("marketer", true), ("analyst", false), ("operator", false)] {
        let person = app.person(&format!("{role}@example.jp"), role).await?;
        let (status, page) = person.page(&app, "GET", &format!("/campaigns/{campaign}/report"), &[]).await?;
        assert_eq!(status, 200, "{role}");
        assert_eq!(page.contains("hanako.yamada@example.jp"), sees, "{role} and the address");
        assert_eq!(page.contains("h•••@example.jp"), !sees, "{role} and the masked address");
        // Only those who may open the campaign get a link to it.
        assert_eq!(page.contains(&format!("href=\"/campaigns/{campaign}\"")), sees, "{role} and the editor link");
        // The API's report gives counts and domains, never addresses, and
        // its subscribers refuse the roles without the audience.
        let (status, report) =
            person.api(&app, &person.token, "GET", &format!("/campaigns/{campaign}/report"), None).await?;
        assert_eq!(status, 200, "{role}: {report}");
        assert!(!report.to_string().contains("hanako.yamada"), "{role}: {report}");
        let (status, _) = person.api(&app, &person.token, "GET", "/subscribers", None).await?;
        assert_eq!(status == 200, sees, "{role} and the subscribers API");
    }
    app.stop().await
}
