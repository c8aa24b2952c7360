//! Every page of the dashboard and every page a subscriber sees, visited in
//! a real browser at phone and desktop width, with data on them, with the
//! admin's language English and then Japanese. The paths
//! come from the router (`web::paths`), so a page added later is visited
//! too, or this test asks for a value for its placeholders.
//!
//! Each visit fails on what a person would see as broken: a page wider than
//! the window, an element marked `hidden` that shows, text running out of
//! its table cell, an image, chart or table wider than its container (on a
//! phone a table may scroll inside its card). A
//! screenshot of each page is saved under `target/screenshots/` to look at.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use chrono::{Duration, Utc};
use delivery::{Engine, EngineConfig, Sandbox};
use domain::SubscriptionStatus;
use message::links::{self, LinkClaims, Purpose, Track, TrackClaims};
use reports::ingest::Ingest;
use tests::fixtures::{self, dmarc_report};
use tests::{Browser, TestApp, spawn_app};

/// The widths every page is looked at: a phone and a laptop.
const WIDTHS: [u32; 2] = [390, 1280];

/// What a placeholder of each route stands for, by the path before it and
/// its name; several values visit the page once for each.
struct Seeded {
    values: BTreeMap<(&'static str, &'static str), Vec<String>>,
}

impl Seeded {
    /// The URLs a route's path stands for, or None when a placeholder has
    /// no value here.
    fn urls(&self, path: &str) -> Option<Vec<String>> {
        let mut urls = vec![String::new()];
        for (at, segment) in path.match_indices('/').map(|(at, _)| (at, &path[at + 1..])) {
            let segment = segment.split('/').next().unwrap_or_default();
            let choices = match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => self.values.get(&(&path[..at], name))?.clone(),
                None => vec![segment.to_string()],
            };
            urls = urls.iter().flat_map(|url| choices.iter().map(move |c| format!("{url}/{c}"))).collect();
        }
        Some(urls)
    }
}

async fn seed(app: &TestApp, browser: &Browser) -> Result<Seeded> {
    let store = &app.store;
    let list = fixtures::list(store, "Weekly news").await?;
    let emails: Vec<String> = (0..50).map(|i| format!("reader{i}@example.jp")).collect();
    fixtures::bulk_subscribe(store, list, &emails).await?;
    let reader = fixtures::subscriber(
        store,
        "a-rather-long-address.for-testing-wrapping@subdomain.example.co.jp",
        "Aiko Tanaka",
        serde_json::json!({"city": "Sapporo", "plan": "premium", "birthday": "1990-04-01"}),
        &[(list, SubscriptionStatus::Confirmed)],
    )
    .await?;

    // The sending domain, through its page (it makes the DKIM keys).
    browser.goto(&format!("{}/domains", app.url)).await?;
    browser.fill("#domain-form input[name=domain]", "shop.example").await?;
    browser.click("#domain-form button").await?;

    // A campaign sent to the list in the sandbox, with an open and a click.
    let sent = store.save_campaign(None, &fixtures::fields("Spring sale", vec![list])).await?.id;
    store.schedule_campaign(sent, Utc::now(), None).await?;
    let config =
        EngineConfig { public_url: app.url.clone(), batch: 100, lease: Duration::minutes(5), ..Default::default() };
    let mut engine = Engine::new(store.clone(), app.key.clone(), config, Sandbox { store: store.clone() });
    engine.tick(Utc::now() + Duration::seconds(1)).await?;
    engine.tick(Utc::now() + Duration::seconds(2)).await?;
    let track = |kind, link| {
        links::track_url(&app.key, &app.url, kind, TrackClaims { campaign_id: sent, link, subscriber_id: reader })
    };
    let http = tests::http();
    http.get(track(Track::Open, 0)).send().await?;
    http.get(track(Track::Click, 0)).send().await?;
    let draft = store.save_campaign(None, &fixtures::fields("Summer preview", vec![list])).await?.id;

    let api = app.api().await?;
    let (status, segment) = api
        .post(
            "/segments",
            serde_json::json!({"name": "Sapporo readers", "filter": {"and": [
                {"attribute": {"key": "city", "op": "eq", "value": "Sapporo"}},
                {"list": {"list_id": list}}
            ]}}),
        )
        .await?;
    if status != 201 {
        bail!("segment not created: {status} {segment}");
    }
    let segment = segment["id"].as_i64().context("segment id")?;
    let csv = "email,name,city\nnew1@example.jp,New One,Osaka\nnot-an-address,Broken,Kobe\n";
    let (status, import) = api.upload(&format!("/imports?mode=add&lists={list}"), csv.as_bytes().to_vec()).await?;
    if status != 202 {
        bail!("import not started: {status} {import}");
    }
    let import = import["id"].as_i64().context("import id")?;
    api.wait_for_import(import).await?;

    // A transactional message, sent and logged, and the campaign's delivery.
    let (status, sent_tx) = api
        .post(
            "/tx",
            serde_json::json!({"from_address": "orders@shop.example", "subject": "ご注文ありがとうございます（注文番号 A-1024）",
                "body": "Thank you.", "recipients": [{"email": "mika.takahashi.long-address@example.jp"}]}),
        )
        .await?;
    if status != 202 {
        bail!("transactional message not sent: {status} {sent_tx}");
    }
    engine.tick(Utc::now() + Duration::seconds(3)).await?;
    let tx_message = sent_tx["messages"][0]["id"].as_str().context("a message id")?.to_owned();
    let delivery = store.campaign_deliveries(sent, 1).await?.first().context("a delivery")?.id;

    // Two SMTP credentials: one that logs in, one for a network (on hold).
    for (name, networks, with_password) in
        [("shop-app", vec![], true), ("office-printer", vec!["192.0.2.0/24".parse()?], false)]
    {
        let (new, _) = submission::new_credential(
            name,
            &["shop.example".to_owned()],
            &networks,
            600,
            100_000,
            !with_password,
            with_password,
            "the online shop's order mails",
        )?;
        store.create_credential(&new).await?;
    }

    let layout = store.save_template(None, "Plain", message::default_layout(i18n::Language::English)).await?.id;
    let sequence = store.create_sequence("Welcome", list, None, None).await?.id;
    store.add_step(sequence, 0, &fixtures::fields("Welcome 1", vec![list])).await?;
    let webhook = store
        .create_webhook_endpoint("https://hooks.shop.example/ninsho", &["bounced".into()], "CRM", b"sealed")
        .await?;
    store.add_suppression(&store::SuppressionTarget::Domain("spam-trap.example".into()), "a trap").await?;
    let captured = store.outbound_messages(1).await?.first().context("a captured message")?.id;
    let ingest = Ingest::new(store.clone(), vec!["10.0.0.1".parse()?], reports::Limits::default());
    for i in 0..3 {
        ingest.import(&format!("r{i}.xml"), &dmarc_report(&format!("r{i}"), 12, 1), "test").await?;
    }

    let change = store.request_address_change(reader, &domain::EmailAddress::parse("moved@example.jp")?).await?;
    let moving = LinkClaims { subscriber_id: reader, list_id: change, expires: Utc::now().timestamp() + 3600 };
    let claims = LinkClaims { subscriber_id: reader, list_id: list, expires: Utc::now().timestamp() + 3600 };
    let token = |purpose| links::token(&app.key, purpose, claims);
    // The subscribers' pages in Japanese too: a Japanese list the reader is on.
    let japanese = fixtures::list(store, "週刊ニュース").await?;
    store.set_list_language(japanese, "ja").await?;
    store.set_subscription(reader, japanese, SubscriptionStatus::Confirmed).await?;
    let in_japanese = LinkClaims { list_id: japanese, ..claims };
    let japanese_token = |purpose| links::token(&app.key, purpose, in_japanese);
    let one = |v: i64| vec![v.to_string()];
    let values = BTreeMap::from([
        (("/lists", "id"), one(list)),
        (("/subscribers", "id"), one(reader)),
        (("/segments", "id"), one(segment)),
        (("/imports", "id"), one(import)),
        (("/layouts", "id"), one(layout)),
        (("/campaigns", "id"), vec![sent.to_string(), draft.to_string()]),
        (("/sequences", "id"), one(sequence)),
        (("/webhooks", "id"), one(webhook)),
        (("/sandbox", "id"), one(captured)),
        (("/messages", "id"), vec![tx_message, format!("d{delivery}")]),
        (("/reports/domains", "domain"), vec!["shop.example".into()]),
        (("/reports/domains/{domain}/sources", "ip"), vec!["10.0.0.1".into()]),
        (("/s", "list_id"), vec![list.to_string(), japanese.to_string()]),
        (("/c", "token"), vec![token(Purpose::Confirm), japanese_token(Purpose::Confirm)]),
        (("/a", "token"), vec![links::token(&app.key, Purpose::Address, moving)]),
        (("/u", "token"), vec![token(Purpose::Unsubscribe), japanese_token(Purpose::Unsubscribe)]),
        (("/p", "token"), vec![token(Purpose::Profile)]),
        (("/static", "name"), vec!["segment.js".into()]),
        (("/t/v", "token"), vec![track(Track::View, 0).rsplit('/').next().unwrap_or_default().to_string()]),
        (("/t/o", "token"), vec![track(Track::Open, 0).rsplit('/').next().unwrap_or_default().to_string()]),
        (("/t/c", "token"), vec![track(Track::Click, 0).rsplit('/').next().unwrap_or_default().to_string()]),
    ]);
    Ok(Seeded { values })
}

/// What the browser gets for a GET of `url`: status and content type,
/// without following redirects.
async fn probe(browser: &Browser, url: &str) -> Result<(u16, String)> {
    let answer = browser
        .client
        .execute_async(
            "const [url, done] = arguments;
             fetch(url, {redirect: 'manual'}).then(
                 r => done([r.status, r.headers.get('content-type') || '']),
                 e => done([-1, String(e)]));",
            vec![url.into()],
        )
        .await?;
    let status = answer[0].as_i64().unwrap_or(-1);
    Ok((u16::try_from(status).unwrap_or(0), answer[1].as_str().unwrap_or_default().to_string()))
}

/// What is wrong with the page shown, as a person would see it.
const LOOK: &str = r#"
const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
    (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).join('.') : '') +
    ' "' + (e.textContent || '').trim().slice(0, 40) + '"';
const problems = [];
const page = document.documentElement;
if (page.scrollWidth > window.innerWidth) {
    // Name the outermost elements that stick out.
    const out = [...document.querySelectorAll('body *')].filter(e =>
        e.getBoundingClientRect().right > window.innerWidth + 1 &&
        e.parentElement.getBoundingClientRect().right <= window.innerWidth + 1);
    problems.push(`the page is ${page.scrollWidth} px wide in a ${window.innerWidth} px window: ` +
        out.slice(0, 3).map(name).join(', '));
}
for (const e of document.querySelectorAll('[hidden]')) {
    if (getComputedStyle(e).display !== 'none') problems.push(`hidden but shown: ${name(e)}`);
}
for (const cell of document.querySelectorAll('td, th')) {
    if (cell.scrollWidth > cell.clientWidth + 1) problems.push(`text runs out of its cell: ${name(cell)}`);
}
const phone = window.innerWidth < 600;
for (const e of document.querySelectorAll('img, svg:not(svg svg), iframe, canvas, table, pre')) {
    const box = e.parentElement;
    // On a phone a table may scroll sideways inside its card, never the page.
    let scrolls = false;
    for (let up = box; up && up !== document.body && !scrolls; up = up.parentElement) {
        scrolls = ['auto', 'scroll'].includes(getComputedStyle(up).overflowX);
    }
    if (e.tagName === 'TABLE' && phone && scrolls) continue;
    const room = box.clientWidth - parseFloat(getComputedStyle(box).paddingLeft) - parseFloat(getComputedStyle(box).paddingRight);
    const width = e.getBoundingClientRect().width;
    if (width > room + 1) problems.push(`${name(e)} is ${Math.round(width)} px wide in ${Math.round(room)} px`);
}
return problems;
"#;

fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("screenshots")
}

/// A file name for a URL's screenshot.
fn slug(url: &str) -> String {
    let path = url.split("://").nth(1).and_then(|rest| rest.split_once('/')).map_or("", |(_, path)| path);
    // Signed tokens (long segments) differ in every run: named, not spelt.
    let path: Vec<&str> = path.split('/').map(|segment| if segment.len() > 20 { "token" } else { segment }).collect();
    let slug: String = path.join("/").chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    if slug.is_empty() { "home".into() } else { slug }
}

#[tokio::test]
async fn every_page_holds_at_phone_and_desktop_width() -> Result<()> {
    let app = spawn_app().await?;
    let browser = app.logged_in_browser().await?;
    let seeded = seed(&app, &browser).await?;

    let mut pages = Vec::new();
    let mut problems = Vec::new();
    for path in web::paths(&app.state) {
        match seeded.urls(path) {
            Some(urls) => {
                for url in urls {
                    let url = format!("{}{url}", app.url);
                    let (status, kind) = probe(&browser, &url).await?;
                    match status {
                        200 if kind.starts_with("text/html") => pages.push(url),
                        200 | 0 | 301..=308 | 405 => {}
                        _ => problems.push(format!("GET {path} ({url}) answers {status}")),
                    }
                }
            }
            None => {
                // A path with a placeholder this test has no value for must
                // not be a page (it takes only POST).
                let (status, _) = probe(&browser, &format!("{}{}", app.url, zeroed(path))).await?;
                if status != 405 {
                    problems.push(format!("{path} answers GET ({status}): give its placeholders a value here"));
                }
            }
        }
    }
    pages.push(format!("{}/no-such-page", app.url));
    assert!(pages.len() >= 40, "only {} pages were found: {pages:#?}", pages.len());

    // Every page in English, then with the admin's language set to
    // Japanese: the dashboard's pages say `lang="ja"` and nothing in their
    // navigation is left in English.
    let (admin, _) = app.store.admin_credentials("hanako@example.jp").await?.context("the admin")?;
    for language in ["en", "ja"] {
        app.store.set_admin_language(admin.id, language).await?;
        for width in WIDTHS {
            let dir = screenshot_dir().join(format!("{width}-{language}"));
            // Only this run's pictures: a page gone since must not linger.
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir)?;
            browser.client.set_window_size(width, 900).await?;
            for url in &pages {
                browser.goto(url).await?;
                let inner = browser.client.execute("return window.innerWidth;", vec![]).await?;
                assert_eq!(inner.as_u64(), Some(u64::from(width)), "the window is as wide as asked");
                let seen = browser.client.execute(LOOK, vec![]).await?;
                for problem in seen.as_array().into_iter().flatten() {
                    problems.push(format!("{width} px {language} {url}: {}", problem.as_str().unwrap_or_default()));
                }
                let said = browser
                    .client
                    .execute(
                        "const nav = document.querySelector('nav#nav');
                         return [document.documentElement.lang, nav ? nav.innerText : null];",
                        vec![],
                    )
                    .await?;
                if let Some(nav) = said[1].as_str() {
                    if said[0].as_str() != Some(language) {
                        problems.push(format!("{language} {url}: <html lang={}>", said[0]));
                    }
                    let english = nav.contains("Subscribers") || nav.contains("Log out");
                    if english != (language == "en") {
                        problems.push(format!("{language} {url}: the navigation reads {nav:?}"));
                    }
                }
                // Two pages of one route (English and Japanese) get two names.
                let mut name = slug(url);
                while dir.join(format!("{name}.png")).exists() {
                    name.push_str("-2");
                }
                browser.full_screenshot(&dir.join(format!("{name}.png"))).await?;
            }
        }
    }
    app.store.set_admin_language(admin.id, "").await?;
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));

    // Charts of a single point (every delivery in one hour; reports of one
    // day) show a visible mark at both widths.
    let sent = seeded.values[&("/campaigns", "id")][0].clone();
    for width in WIDTHS {
        browser.client.set_window_size(width, 900).await?;
        for page in [format!("/campaigns/{sent}/report"), "/reports/domains/shop.example".to_owned()] {
            browser.goto(&format!("{}{page}", app.url)).await?;
            let marks = browser
                .client
                .execute(
                    "return [...document.querySelectorAll('.chart svg circle')]
                        .filter(c => c.getBoundingClientRect().width >= 2).length;",
                    vec![],
                )
                .await?;
            assert!(marks.as_u64().unwrap_or(0) >= 1, "{width} px {page}: no visible point on the chart");
        }
    }
    browser.close().await?;
    app.stop().await
}

/// `path` with every placeholder replaced by 0.
fn zeroed(path: &str) -> String {
    path.split('/').map(|segment| if segment.starts_with('{') { "0" } else { segment }).collect::<Vec<_>>().join("/")
}
