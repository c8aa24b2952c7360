//! The audience pages of the dashboard in a real browser: import with its
//! progress and report, subscriber search, pagination and detail.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use tests::{Browser, spawn_app};

#[tokio::test]
async fn import_from_the_dashboard_shows_progress_and_a_report() -> Result<()> {
    let app = spawn_app().await?;
    let browser = app.logged_in_browser().await?;
    browser.goto(&format!("{}/lists", app.url)).await?;
    browser.fill("input[name=name]", "Customers").await?;
    browser.click("form[action='/lists'] button").await?;
    assert!(browser.text("table").await?.contains("Customers"));

    let dir = tempfile::tempdir()?;
    let path = dir.path().join("customers.csv");
    let mut csv = String::from("email,name,plan\n");
    for i in 0..120 {
        csv.push_str(&format!("c{i}@example.com,Customer {i},pro\n"));
    }
    csv.push_str("broken,Nobody,free\n");
    std::fs::write(&path, csv)?;

    browser.goto(&format!("{}/imports", app.url)).await?;
    browser.toggle("input[name=list]").await?;
    let file = browser.client.find(tests::Locator::Css("input[type=file]")).await?;
    file.send_keys(&path.display().to_string()).await?;
    browser.click("form[action='/imports'] button").await?;
    assert!(browser.path().await?.starts_with("/imports/"));
    // The page refreshes itself until the import is done.
    let mut state = String::new();
    for _ in 0..60 {
        state = browser.text("#state").await.unwrap_or_default();
        if state != "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(state, "finished");
    assert_eq!(browser.text("#done").await?, "120");
    assert_eq!(browser.text("#failed").await?, "1");
    let report = browser
        .client
        .execute_async(
            "const done = arguments[0]; fetch(document.querySelector('#report').href).then(r => r.text()).then(done);",
            vec![],
        )
        .await?;
    let report = report.as_str().context("no report text")?;
    assert!(report.contains("122,\"invalid email address \"\"broken\"\""), "{report}");

    // Subscriber search and keyset pagination (50 a page).
    browser.goto(&format!("{}/subscribers", app.url)).await?;
    let mut seen = 0;
    loop {
        seen += browser.client.find_all(tests::Locator::Css("#subscribers tbody tr")).await?.len();
        if browser.client.find(tests::Locator::Css("#next")).await.is_err() {
            break;
        }
        browser.click("#next").await?;
        if seen > 200 {
            bail!("pagination does not end");
        }
    }
    assert_eq!(seen, 120);
    browser.goto(&format!("{}/subscribers?q=c11", app.url)).await?;
    let rows = browser.client.find_all(tests::Locator::Css("#subscribers tbody tr")).await?;
    assert_eq!(rows.len(), 11, "c11 and c110..c119");
    browser.click("#subscribers tbody tr:last-child a").await?;
    assert!(browser.text("h1").await?.starts_with("c11@example.com"));
    let attributes = browser
        .client
        .execute(
            "return [...document.querySelectorAll('.attr-row:not(.attr-head)')].map(r => r.querySelector('[name=attr_key]').value + '=' + r.querySelector('[name=attr_value]').value);",
            vec![],
        )
        .await?;
    assert!(attributes.as_array().is_some_and(|a| a.contains(&"plan=pro".into())), "{attributes}");
    assert!(browser.text("main").await?.contains("Customers"));

    // The home page counts the audience, and the dashboard fits a phone.
    browser.goto(&app.url).await?;
    assert!(browser.text("#audience").await?.contains("120 subscribers on 1 list"));
    browser.client.set_window_size(390, 844).await?;
    for page in ["/", "/subscribers", "/imports", "/lists", "/segments/new"] {
        browser.goto(&format!("{}{page}", app.url)).await?;
        let overflow: bool = serde_json::from_value(
            browser.client.execute("return document.documentElement.scrollWidth > window.innerWidth;", vec![]).await?,
        )?;
        assert!(!overflow, "{page} scrolls sideways on a phone");
    }

    browser.close().await?;
    app.stop().await
}

/// Waits until `#count` shows `expected`.
async fn count_becomes(browser: &Browser, expected: &str) -> Result<()> {
    let mut shown = String::new();
    for _ in 0..50 {
        shown = browser.text("#count").await?;
        if shown == expected {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the live count shows {shown:?}, not {expected:?}")
}

#[tokio::test]
async fn the_segment_editor_counts_live_and_saves() -> Result<()> {
    let app = spawn_app().await?;
    let api = app.api().await?;
    let (_, list) = api.post("/lists", serde_json::json!({"name": "Members"})).await?;
    let list_id = list["id"].as_i64().unwrap_or_default();
    for (email, plan, on_list) in
        [("a@example.com", "pro", true), ("b@example.com", "pro", false), ("c@example.com", "free", true)]
    {
        let lists = if on_list { vec![list_id] } else { vec![] };
        api.post("/subscribers", serde_json::json!({"email": email, "attributes": {"plan": plan}, "lists": lists}))
            .await?;
    }
    let browser = app.logged_in_browser().await?;
    browser.goto(&format!("{}/segments/new", app.url)).await?;
    browser.fill("input[name=name]", "Pro members").await?;
    browser.fill("#rows .key", "plan").await?;
    browser.fill("#rows .value", "pro").await?;
    count_becomes(&browser, "2").await?;
    // A condition row shows only the controls of its kind: nothing marked
    // hidden is displayed (the stylesheet once made every label a block).
    let shown = browser
        .client
        .execute(
            "return [...document.querySelectorAll('#rows [hidden]')].filter(e => getComputedStyle(e).display !== 'none').length;",
            vec![],
        )
        .await?;
    assert_eq!(shown, serde_json::json!(0), "hidden controls are displayed");
    let hidden = browser.client.execute("return document.querySelectorAll('#rows [hidden]').length;", vec![]).await?;
    assert!(hidden.as_u64().is_some_and(|n| n > 0), "the row has controls of other kinds, hidden: {hidden}");
    browser.toggle("#add-row").await?;
    let kinds = browser.client.find_all(tests::Locator::Css("#rows .kind")).await?;
    kinds.last().context("no second row")?.select_by_value("list").await?;
    count_becomes(&browser, "1").await?;
    browser.click("#segment-form button[type=submit]").await?;
    assert!(browser.path().await?.starts_with("/segments/"));
    let saved = app.store.segments().await?;
    assert_eq!(saved.len(), 1);
    assert_eq!(app.store.segment_count(&saved[0].definition.0).await?, 1);
    // Reloaded, the rows show the saved filter and the count again.
    count_becomes(&browser, "1").await?;
    assert_eq!(browser.client.find_all(tests::Locator::Css("#rows .cond")).await?.len(), 2);

    // A filter the server refuses says why, live and on save.
    browser.client.execute("const f = document.getElementById('filter'); f.value = '{\"status\": \"gone\"}'; f.dispatchEvent(new Event('input'));", vec![]).await?;
    let mut said = String::new();
    for _ in 0..50 {
        said = browser.text("#count-error").await?;
        if !said.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(said.contains("unknown subscriber status"), "{said}");
    browser.click("#segment-form button[type=submit]").await?;
    assert!(browser.text("#error").await?.contains("unknown subscriber status"));
    browser.close().await?;
    app.stop().await
}

#[tokio::test]
async fn lists_are_edited_and_deleted_from_the_dashboard() -> Result<()> {
    let app = spawn_app().await?;
    let api = app.api().await?;
    let (_, list) = api.post("/lists", serde_json::json!({"name": "Draft", "optin": "double"})).await?;
    let list_id = list["id"].as_i64().unwrap_or_default();
    api.post("/subscribers", serde_json::json!({"email": "m@example.com", "lists": [list_id]})).await?;
    let browser = app.logged_in_browser().await?;
    browser.goto(&format!("{}/lists", app.url)).await?;
    browser.click(&format!("a[href='/lists/{list_id}']")).await?;
    browser.fill("input[name=name]", "Weekly news").await?;
    browser.fill("textarea[name=signup_fields]", "company | Company\nprefecture | 都道府県 | required").await?;
    browser.click(&format!("form[action='/lists/{list_id}'] button")).await?;
    assert_eq!(browser.path().await?, "/lists");
    let saved = app.store.list(list_id).await?.context("list gone")?;
    assert_eq!(saved.name, "Weekly news");
    assert_eq!(saved.signup_fields.0.len(), 2);
    assert!(saved.signup_fields.0[1].required);

    // A bad field line is refused with the reason, and nothing changes.
    browser.goto(&format!("{}/lists/{list_id}", app.url)).await?;
    browser.fill("textarea[name=signup_fields]", "email | E-mail").await?;
    browser.click(&format!("form[action='/lists/{list_id}'] button")).await?;
    assert!(browser.text("#error").await?.contains("built into the form"));
    assert_eq!(app.store.list(list_id).await?.map(|l| l.signup_fields.0.len()), Some(2));

    browser.goto(&format!("{}/lists/{list_id}", app.url)).await?;
    browser.client.execute("window.confirm = () => true;", vec![]).await?;
    browser.click("#delete").await?;
    assert!(app.store.list(list_id).await?.is_none());
    let (_, subscriber) = api.get("/subscribers?email=m@example.com").await?;
    let id = subscriber["data"][0]["id"].as_i64().unwrap_or_default();
    assert!(app.store.subscriptions(id).await?.is_empty(), "the list's subscriptions went with it");
    browser.close().await?;
    app.stop().await
}

#[tokio::test]
async fn the_import_page_maps_columns_from_the_files_header() -> Result<()> {
    let app = spawn_app().await?;
    let browser = app.logged_in_browser().await?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("crm.csv");
    std::fs::write(&path, "Mail,Full name,Plan,Notes\nm1@example.com,Mapped One,gold,secret\n")?;
    browser.goto(&format!("{}/imports", app.url)).await?;
    let file = browser.client.find(tests::Locator::Css("input[type=file]")).await?;
    file.send_keys(&path.display().to_string()).await?;
    // The rows appear once the header is read; "Mail" is recognised as the email.
    let mut selects = Vec::new();
    for _ in 0..50 {
        selects = browser.client.find_all(tests::Locator::Css("select.map")).await?;
        if selects.len() == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(selects.len(), 4, "one row per column");
    assert_eq!(selects[0].prop("value").await?.as_deref(), Some("email"));
    selects[1].select_by_value("name").await?;
    selects[3].select_by_value("-").await?;
    browser.click("form[action='/imports'] button").await?;
    // Until the progress page is there and the import has ended (up to 30 s
    // on a loaded machine).
    let mut state = String::new();
    for _ in 0..120 {
        state = browser.text("#state").await.unwrap_or_default();
        if state == "finished" || state == "failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(state, "finished");
    let who =
        app.store.subscriber_by_email(&domain::EmailAddress::parse("m1@example.com")?).await?.context("imported")?;
    assert_eq!(who.name, "Mapped One");
    assert_eq!(who.attributes, serde_json::json!({"Plan": "gold"}), "Notes was skipped");
    browser.close().await?;
    app.stop().await
}

/// A search whose results fill exactly one page offers no next page (it
/// once led to "Nobody matches this search"); one more subscriber does.
#[tokio::test]
async fn exactly_one_page_of_subscribers_offers_no_next_page() -> Result<()> {
    let app = spawn_app().await?;
    let list = tests::fixtures::list(&app.store, "News").await?;
    let emails: Vec<String> = (0..50).map(|i| format!("reader{i}@example.jp")).collect();
    tests::fixtures::bulk_subscribe(&app.store, list, &emails).await?;
    let browser = app.logged_in_browser().await?;
    browser.goto(&format!("{}/subscribers", app.url)).await?;
    let rows = browser.client.find_all(tests::Locator::Css("tbody tr")).await?.len();
    assert_eq!(rows, 50);
    assert!(browser.client.find_all(tests::Locator::Css("#next")).await?.is_empty(), "a next page that shows nobody");
    tests::fixtures::bulk_subscribe(&app.store, list, &["one-more@example.jp".to_owned()]).await?;
    browser.goto(&format!("{}/subscribers", app.url)).await?;
    browser.click("#next").await?;
    assert_eq!(browser.client.find_all(tests::Locator::Css("tbody tr")).await?.len(), 1);
    browser.close().await?;
    app.stop().await
}
