//! The everyday actions of the dashboard in a real browser: adding and
//! editing a subscriber, searching by name, acting on many at once.

use anyhow::{Context, Result};
use domain::{EmailAddress, SubscriberStatus, SubscriptionStatus};
use serde_json::json;
use tests::{Browser, Locator, fixtures, spawn_app};

/// Sets a field's value directly (a value with characters a keyboard
/// would not type).
async fn set_value(browser: &Browser, css: &str, value: &str) -> Result<()> {
    browser
        .client
        .execute("document.querySelector(arguments[0]).value = arguments[1];", vec![css.into(), value.into()])
        .await?;
    Ok(())
}

/// The rows of the subscribers table.
async fn rows(browser: &Browser) -> Result<usize> {
    Ok(browser.client.find_all(Locator::Css("#subscribers tbody tr")).await?.len())
}

#[tokio::test]
async fn add_edit_and_search_a_subscriber_by_hand() -> Result<()> {
    let app = spawn_app().await?;
    let weekly = fixtures::list(&app.store, "Weekly").await?;
    let offers = fixtures::list(&app.store, "Offers").await?;
    let browser = app.logged_in_browser().await?;

    // Add one: a bad address is refused with the reason and what was typed stays.
    browser.goto(&format!("{}/subscribers", app.url)).await?;
    browser.click("#add-subscriber").await?;
    browser.fill("input[name=name]", "Tanaka Aiko").await?;
    set_value(&browser, "input[name=email]", "not-an-address").await?;
    // The server checks what the browser's own check would have stopped.
    browser.client.execute("document.querySelector('#subscriber-form').noValidate = true;", vec![]).await?;
    browser.click("#save").await?;
    assert!(browser.text("#error").await?.starts_with("Email:"));
    assert_eq!(
        browser.client.find(Locator::Css("input[name=name]")).await?.prop("value").await?.as_deref(),
        Some("Tanaka Aiko")
    );
    browser.fill("input[name=email]", "aiko@example.jp").await?;
    browser.toggle(&format!("input[name=list][value='{weekly}']")).await?;
    browser.fill(".attr-row:not(.attr-head) input[name=attr_key]", "city").await?;
    browser.fill(".attr-row:not(.attr-head) input[name=attr_value]", "Osaka").await?;
    browser.click("#save").await?;
    assert_eq!(browser.text("#notice").await?, "Added.");
    let aiko = app.store.subscriber_by_email(&EmailAddress::parse("aiko@example.jp")?).await?.context("added")?;
    assert_eq!((aiko.name.as_str(), &aiko.attributes), ("Tanaka Aiko", &json!({"city": "Osaka"})));
    assert_eq!(aiko.consent_source, "dashboard:hanako@example.jp", "the record says who added them");
    let lists = app.store.subscriptions(aiko.id).await?;
    assert_eq!(
        lists.iter().map(|x| (x.list_id, x.status)).collect::<Vec<_>>(),
        vec![(weekly, SubscriptionStatus::Confirmed)]
    );

    // The same address again is refused.
    browser.goto(&format!("{}/subscribers/new", app.url)).await?;
    browser.fill("input[name=email]", "Aiko@Example.JP").await?;
    browser.click("#save").await?;
    assert!(browser.text("#error").await?.contains("is a subscriber already"));

    // Edit: name, an attribute changed and one added; a number stays a
    // number, and text where a number was is refused.
    let api = app.api().await?;
    api.call(
        reqwest::Method::PATCH,
        &format!("/subscribers/{}", aiko.id),
        Some(json!({"attributes": {"city": "Osaka", "points": 5}})),
    )
    .await?;
    browser.goto(&format!("{}/subscribers/{}", app.url, aiko.id)).await?;
    browser.fill("#name", "Tanaka Aiko (Osaka)").await?;
    let points =
        "//input[@name='attr_key' and @value='points']/ancestor::div[@class='attr-row']//input[@name='attr_value']";
    let field = browser.client.find(Locator::XPath(points)).await?;
    field.clear().await?;
    field.send_keys("seven").await?;
    browser.click("#save").await?;
    assert!(browser.text("#error").await?.contains("\"points\""), "text where a number was is refused");
    let field = browser.client.find(Locator::XPath(points)).await?;
    field.clear().await?;
    field.send_keys("7").await?;
    let new_key = "(//input[@name='attr_key' and @value=''])[1]";
    browser.client.find(Locator::XPath(new_key)).await?.send_keys("plan").await?;
    let new_value =
        "(//input[@name='attr_key' and @value=''])[1]/ancestor::div[@class='attr-row']//input[@name='attr_value']";
    browser.client.find(Locator::XPath(new_value)).await?.send_keys("premium").await?;
    browser.click("#save").await?;
    assert_eq!(browser.text("#notice").await?, "Saved.");
    let edited = app.store.subscriber(aiko.id).await?.context("still there")?;
    assert_eq!(edited.name, "Tanaka Aiko (Osaka)");
    assert_eq!(edited.attributes, json!({"city": "Osaka", "points": 7, "plan": "premium"}));

    // Lists: onto Offers, off Weekly.
    browser.click("#add-to-list button").await?;
    assert_eq!(browser.text("#notice").await?, "Added to the list.");
    let on: Vec<i64> = app.store.subscriptions(aiko.id).await?.iter().map(|x| x.list_id).collect();
    assert!(on.contains(&offers) && on.contains(&weekly), "{on:?}");
    browser
        .client
        .execute("document.querySelectorAll('form[data-confirm]').forEach(f => delete f.dataset.confirm);", vec![])
        .await?;
    browser.click(&format!("#lists form:has(input[value='{weekly}']) button")).await?;
    let on: Vec<i64> = app.store.subscriptions(aiko.id).await?.iter().map(|x| x.list_id).collect();
    assert_eq!(on, vec![offers]);

    // An unsubscribe shows in the history.
    app.store.unsubscribe(aiko.id, offers).await?;
    browser.goto(&format!("{}/subscribers/{}", app.url, aiko.id)).await?;
    let history = browser.text("#activity").await?;
    assert!(history.contains("unsubscribed") && history.contains("Offers"), "{history}");

    // Blocklist through the status.
    browser.client.find(Locator::Css("#status-select")).await?.select_by_value("blocklisted").await?;
    browser.click("#save").await?;
    assert_eq!(app.store.subscriber(aiko.id).await?.context("there")?.status, SubscriberStatus::Blocklisted);

    // Search finds a name, not only an address.
    fixtures::subscriber(&app.store, "other@example.jp", "Sato Ken", json!({}), &[]).await?;
    browser.goto(&format!("{}/subscribers?q=tanaka", app.url)).await?;
    assert_eq!(rows(&browser).await?, 1);
    assert!(browser.text("#subscribers").await?.contains("aiko@example.jp"));
    browser.close().await?;
    app.stop().await
}

#[tokio::test]
async fn act_on_ticked_subscribers_or_on_everyone_a_search_matches() -> Result<()> {
    let app = spawn_app().await?;
    let weekly = fixtures::list(&app.store, "Weekly").await?;
    let vip = fixtures::list(&app.store, "VIP").await?;
    let emails: Vec<String> = (0..60).map(|i| format!("reader{i}@example.jp")).collect();
    fixtures::bulk_subscribe(&app.store, weekly, &emails).await?;
    fixtures::subscriber(&app.store, "gone@example.jp", "Gone", json!({}), &[(vip, SubscriptionStatus::Unsubscribed)])
        .await?;
    let browser = app.logged_in_browser().await?;
    browser.goto(&format!("{}/subscribers", app.url)).await?;
    // Forms that ask first are answered by the test.
    let no_questions = "document.querySelectorAll('form[data-confirm]').forEach(f => delete f.dataset.confirm);";

    // Nothing ticked: told so, nothing changed.
    browser.client.execute(no_questions, vec![]).await?;
    browser.client.find(Locator::Css("select[name=action]")).await?.select_by_value("blocklist").await?;
    browser.click("#apply").await?;
    assert!(browser.text("#error").await?.contains("Tick the subscribers"));

    // Two ticked onto VIP (the first row is the newest, gone@).
    browser.client.execute(no_questions, vec![]).await?;
    browser.toggle("#subscribers tbody tr:nth-child(2) input[name=id]").await?;
    browser.toggle("#subscribers tbody tr:nth-child(3) input[name=id]").await?;
    browser.client.find(Locator::Css("select[name=action]")).await?.select_by_value("add_to_list").await?;
    browser.client.find(Locator::Css("select[name=target_list]")).await?.select_by_value(&vip.to_string()).await?;
    browser.click("#apply").await?;
    assert_eq!(browser.text("#notice").await?, "2 subscribers added to the list.");
    let segment = store::Filter::List(store::ListCondition { list_id: vip, status: Vec::new() });
    assert_eq!(app.store.audience_count(&[], Some(&segment)).await?, 2);

    // Everyone matching "reader1" (reader1, reader10..19): blocklisted, all
    // eleven, though one page shows fewer than all results of a wider search.
    browser.goto(&format!("{}/subscribers?q=reader1", app.url)).await?;
    assert_eq!(rows(&browser).await?, 11);
    browser.client.execute(no_questions, vec![]).await?;
    browser.client.find(Locator::Css("select[name=action]")).await?.select_by_value("blocklist").await?;
    browser.client.find(Locator::Css("select[name=scope]")).await?.select_by_value("matching").await?;
    browser.click("#apply").await?;
    assert_eq!(browser.text("#notice").await?, "11 subscribers blocklisted.");
    let query = store::SubscriberQuery {
        email_contains: None,
        text_contains: None,
        attributes: None,
        list_id: None,
        status: Some(SubscriberStatus::Blocklisted),
        before_id: None,
        limit: 100,
    };
    assert_eq!(app.store.subscribers(&query).await?.0.len(), 11);

    // Adding to a list never resubscribes someone who left it.
    browser.goto(&format!("{}/subscribers?q=gone", app.url)).await?;
    browser.client.execute(no_questions, vec![]).await?;
    browser.toggle("#subscribers tbody tr:nth-child(1) input[name=id]").await?;
    browser.client.find(Locator::Css("select[name=action]")).await?.select_by_value("add_to_list").await?;
    browser.client.find(Locator::Css("select[name=target_list]")).await?.select_by_value(&vip.to_string()).await?;
    browser.click("#apply").await?;
    assert_eq!(browser.text("#notice").await?, "0 subscribers added to the list.");

    // Delete the page's first subscriber.
    browser.goto(&format!("{}/subscribers?q=reader59", app.url)).await?;
    browser.client.execute(no_questions, vec![]).await?;
    browser.toggle("#subscribers tbody tr:nth-child(1) input[name=id]").await?;
    browser.client.find(Locator::Css("select[name=action]")).await?.select_by_value("delete").await?;
    browser.click("#apply").await?;
    assert_eq!(browser.text("#notice").await?, "1 subscriber deleted.");
    assert!(app.store.subscriber_by_email(&EmailAddress::parse("reader59@example.jp")?).await?.is_none());

    // The API does the same.
    let api = app.api().await?;
    let (status, done) = api
        .post(
            "/subscribers/bulk",
            json!({"action": "remove_from_list", "list_id": weekly, "matching": {"q": "reader2"}}),
        )
        .await?;
    assert_eq!((status, done["changed"].as_u64()), (200, Some(11)), "{done}");
    let (status, error) = api.post("/subscribers/bulk", json!({"action": "add_to_list", "ids": [1]})).await?;
    assert_eq!((status, error["field"].as_str()), (422, Some("list_id")), "{error}");
    browser.close().await?;
    app.stop().await
}

#[tokio::test]
async fn times_are_shown_in_the_admins_zone_taken_from_the_browser() -> Result<()> {
    let app = spawn_app().await?;
    app.create_admin("hanako@example.jp", "orbit cactus lantern 47 violet").await?;
    let id = fixtures::subscriber(&app.store, "aiko@example.jp", "Aiko", json!({}), &[]).await?;
    let browser = Browser::launch().await?;
    browser.goto(&format!("{}/login", app.url)).await?;
    // The page's script fills in the browser's zone; this browser says Tokyo.
    let filled = browser.client.execute("return document.querySelector('input[name=zone]').value;", vec![]).await?;
    assert!(filled.as_str().is_some_and(|z| !z.is_empty()), "the script filled in a zone: {filled}");
    set_value(&browser, "input[name=zone]", "Asia/Tokyo").await?;
    browser.fill("input[name=email]", "hanako@example.jp").await?;
    browser.fill("input[name=password]", "orbit cactus lantern 47 violet").await?;
    browser.click("form[action='/login'] button").await?;

    let created = app.store.subscriber(id).await?.context("subscriber")?.created_at;
    let tokyo = created.with_timezone(&chrono_tz::Asia::Tokyo).format("%Y-%m-%d %H:%M JST").to_string();
    browser.goto(&format!("{}/subscribers/{id}", app.url)).await?;
    let page = browser.text("main").await?;
    assert!(page.contains(&format!("Added {tokyo}")), "{tokyo} in {page}");
    assert!(!page.contains(" UTC"), "no time in another zone: {page}");

    // A zone chosen on the account page wins over the browser's, at the
    // next login too; a made-up zone is refused.
    browser.goto(&format!("{}/account", app.url)).await?;
    browser.fill("#zone-form input[name=zone]", "Mars/Olympus").await?;
    browser.click("#zone-form button").await?;
    assert!(browser.text("#error").await?.contains("is not a time zone"));
    browser.fill("#zone-form input[name=zone]", "America/New_York").await?;
    browser.click("#zone-form button").await?;
    assert_eq!(browser.text("#zone").await?, "America/New_York");
    browser.click("#logout").await?;
    browser.fill("input[name=email]", "hanako@example.jp").await?;
    browser.fill("input[name=password]", "orbit cactus lantern 47 violet").await?;
    browser.click("form[action='/login'] button").await?;
    browser.goto(&format!("{}/subscribers/{id}", app.url)).await?;
    let new_york = created.with_timezone(&chrono_tz::America::New_York).format("%Y-%m-%d %H:%M %Z").to_string();
    assert!(browser.text("main").await?.contains(&format!("Added {new_york}")), "{new_york}");
    browser.close().await?;
    app.stop().await
}

#[tokio::test]
async fn an_admin_changes_their_password_and_their_other_sessions_end() -> Result<()> {
    let app = spawn_app().await?;
    let browser = app.logged_in_browser().await?;
    let other = app.logged_in_browser_again().await?;
    browser.goto(&format!("{}/account", app.url)).await?;
    let change = |current: &'static str, new: &'static str, again: &'static str| {
        let browser = &browser;
        async move {
            browser.fill("input[name=current]", current).await?;
            browser.fill("input[name=password]", new).await?;
            browser.fill("input[name=confirm]", again).await?;
            browser.click("#change-password").await
        }
    };
    change("not the password", "quiet harbour 93 maple kite", "quiet harbour 93 maple kite").await?;
    assert_eq!(browser.text("#error").await?, "The current password is wrong.");
    change("orbit cactus lantern 47 violet", "quiet harbour 93 maple kite", "quiet harbour 93 maple kit").await?;
    assert_eq!(browser.text("#error").await?, "The two new passwords differ.");
    change("orbit cactus lantern 47 violet", "password1234", "password1234").await?;
    assert!(browser.text("#error").await?.contains("too easy to guess"));
    change("orbit cactus lantern 47 violet", "quiet harbour 93 maple kite", "quiet harbour 93 maple kite").await?;
    assert!(browser.text("#notice").await?.starts_with("Password changed."));
    // This browser stays in; the other session is over.
    browser.goto(&format!("{}/subscribers", app.url)).await?;
    assert_eq!(browser.path().await?, "/subscribers");
    other.goto(&format!("{}/subscribers", app.url)).await?;
    assert_eq!(other.path().await?, "/login");
    let (_, hash) = app.store.admin_credentials("hanako@example.jp").await?.context("admin")?;
    assert!(web::password::verify_blocking("quiet harbour 93 maple kite", &hash));
    assert!(!web::password::verify_blocking("orbit cactus lantern 47 violet", &hash));
    other.close().await?;
    browser.close().await?;
    app.stop().await
}

#[tokio::test]
async fn lists_campaigns_settings_layouts_and_suppressions_have_their_everyday_actions() -> Result<()> {
    let app = spawn_app().await?;
    let weekly = fixtures::list(&app.store, "Weekly").await?;
    let emails: Vec<String> = (0..24).map(|i| format!("reader{i}@example.jp")).collect();
    fixtures::bulk_subscribe(&app.store, weekly, &emails).await?;
    fixtures::subscriber(&app.store, "left@example.jp", "", json!({}), &[(weekly, SubscriptionStatus::Unsubscribed)])
        .await?;
    let browser = app.logged_in_browser().await?;

    // A list's page counts its members, links to them, and gives its signup URL.
    browser.goto(&format!("{}/lists/{weekly}", app.url)).await?;
    assert_eq!(browser.text("#confirmed").await?, "24");
    assert_eq!(browser.text("#unsubscribed").await?, "1");
    assert_eq!(browser.text("#signup-url").await?, format!("{}/s/{weekly}", app.url));
    browser.click("#members").await?;
    assert_eq!(rows(&browser).await?, 24, "the members link shows the list's members");

    // Sender settings: refused with the reason, then saved; a new campaign
    // starts from them.
    browser.goto(&format!("{}/settings", app.url)).await?;
    browser.fill("input[name=organization]", "Hokkaido Boots").await?;
    browser.fill("input[name=from_name]", "Hokkaido Boots News").await?;
    set_value(&browser, "input[name=from_address]", "news@").await?;
    browser.fill("input[name=time_zone]", "Asia/Tokyo").await?;
    browser.client.execute("document.querySelector('#settings-form').noValidate = true;", vec![]).await?;
    browser.click("#save").await?;
    assert!(browser.text("#error").await?.starts_with("From address:"));
    browser.fill("input[name=from_address]", "news@boots.example").await?;
    browser.toggle("input[name=track_opens]").await?;
    browser.click("#save").await?;
    assert_eq!(browser.text("#notice").await?, "Saved.");
    let settings = app.store.sender_settings().await?;
    assert_eq!((settings.organization.as_str(), settings.time_zone.as_str()), ("Hokkaido Boots", "Asia/Tokyo"));
    assert!(!settings.track_opens && settings.track_clicks);
    // The API reads and replaces the same settings, refusing a bad field by name.
    let api = app.api().await?;
    let (_, read) = api.get("/settings").await?;
    assert_eq!(read["organization"], "Hokkaido Boots");
    let mut changed = read.clone();
    changed["time_zone"] = json!("Mars/Olympus");
    let (status, error) = api.call(reqwest::Method::PUT, "/settings", Some(changed.clone())).await?;
    assert_eq!((status, error["field"].as_str()), (422, Some("time_zone")), "{error}");
    changed["time_zone"] = json!("Asia/Tokyo");
    changed["reply_to"] = json!("support@boots.example");
    let (status, saved) = api.call(reqwest::Method::PUT, "/settings", Some(changed)).await?;
    assert_eq!((status, saved["reply_to"].as_str()), (200, Some("support@boots.example")), "{saved}");
    browser.goto(&format!("{}/campaigns/new", app.url)).await?;
    let value = |css: &'static str| {
        let browser = &browser;
        async move {
            Ok::<_, anyhow::Error>(
                browser.client.find(Locator::Css(css)).await?.prop("value").await?.unwrap_or_default(),
            )
        }
    };
    assert_eq!(value("input[name=from_address]").await?, "news@boots.example");
    assert_eq!(value("input[name=from_name]").await?, "Hokkaido Boots News");
    assert_eq!(value("input[name=time_zone]").await?, "Asia/Tokyo");
    let opens = browser.client.find(Locator::Css("input[name=track_opens]")).await?.prop("checked").await?;
    assert_eq!(opens.as_deref(), Some("false"));

    // The campaigns list: subject, a draft's audience now, and once sent,
    // open and click shares.
    browser.fill("input[name=name]", "Boots").await?;
    browser.fill("input[name=subject]", "New boots are in").await?;
    browser.toggle(&format!("input[name=list][value='{weekly}']")).await?;
    browser.click("#save").await?;
    let draft: i64 = browser.path().await?.trim_start_matches("/campaigns/").parse()?;
    browser.goto(&format!("{}/campaigns", app.url)).await?;
    let row = browser.text("#campaigns tbody tr").await?;
    assert!(row.contains("New boots are in"), "{row}");
    assert_eq!(browser.text("#campaigns tbody tr .recipients").await?, "24", "a draft shows its audience");

    // Make a copy: a new draft with the same content.
    browser.goto(&format!("{}/campaigns/{draft}", app.url)).await?;
    browser.click("#copy").await?;
    let copy: i64 = browser.path().await?.trim_start_matches("/campaigns/").parse()?;
    assert_ne!(copy, draft);
    let copied = app.store.campaign(copy).await?.context("the copy")?;
    assert_eq!((copied.name.as_str(), copied.subject.as_str()), ("Copy of Boots", "New boots are in"));
    assert_eq!(copied.list_ids, vec![weekly]);
    assert_eq!(copied.status, domain::CampaignStatus::Draft);
    let (status, through_api) = app.api().await?.post(&format!("/campaigns/{draft}/copy"), json!({})).await?;
    assert_eq!((status, through_api["name"].as_str()), (201, Some("Copy of Boots")), "{through_api}");

    // Layouts: in the menu, and previewed around an example body.
    browser.goto(&app.url).await?;
    browser.click("nav a[href='/layouts']").await?;
    let layout = app.store.save_template(None, "Plain", message::default_layout(i18n::Language::English)).await?.id;
    browser.goto(&format!("{}/layouts/{layout}", app.url)).await?;
    let frame = browser
        .client
        .execute_async(
            "const done = arguments[0]; fetch(document.querySelector('#layout-phone').src).then(r => r.text()).then(done);",
            vec![],
        )
        .await?;
    let frame = frame.as_str().context("preview html")?;
    assert!(frame.contains("A paragraph of example text") && frame.contains("max-width: 620px"), "{frame}");

    // The suppression list: a bad entry is refused, an address added and lifted.
    browser.goto(&format!("{}/suppressions", app.url)).await?;
    browser.fill("#suppress-form input[name=value]", "not an address").await?;
    browser.click("#suppress-form button").await?;
    assert!(browser.text("#error").await?.starts_with("\"not an address\":"));
    browser.fill("#suppress-form input[name=value]", "Reader3@Example.JP").await?;
    browser.fill("#suppress-form input[name=reason]", "asked by phone").await?;
    browser.click("#suppress-form button").await?;
    assert!(browser.text("#notice").await?.starts_with("reader3@example.jp is suppressed"));
    assert!(app.store.is_suppressed(&EmailAddress::parse("reader3@example.jp")?).await?);
    assert!(browser.text("#suppressions").await?.contains("asked by phone"));
    browser
        .client
        .execute("document.querySelectorAll('form[data-confirm]').forEach(f => delete f.dataset.confirm);", vec![])
        .await?;
    browser.click("#suppressions tbody tr button").await?;
    assert!(!app.store.is_suppressed(&EmailAddress::parse("reader3@example.jp")?).await?);

    // A sequence not yet active says what activating it will do, not that
    // nobody joined since it was activated.
    let sequence = app.store.create_sequence("Welcome", weekly, None, None).await?.id;
    browser.goto(&format!("{}/sequences/{sequence}", app.url)).await?;
    let said = browser.text("#no-progress").await?;
    assert!(said.starts_with("Not active yet: once you activate it, everyone who joins Weekly"), "{said}");
    browser.close().await?;
    app.stop().await
}

#[tokio::test]
async fn the_menu_is_a_sidebar_on_a_desk_and_a_button_on_a_phone() -> Result<()> {
    let app = spawn_app().await?;
    let browser = app.logged_in_browser().await?;
    let shown = |css: &'static str| {
        let browser = &browser;
        async move {
            let visible = browser
                .client
                .execute(
                    "const e = document.querySelector(arguments[0]); return !!e && e.getClientRects().length > 0;",
                    vec![css.into()],
                )
                .await?;
            Ok::<_, anyhow::Error>(visible == serde_json::Value::Bool(true))
        }
    };
    browser.client.set_window_size(1280, 900).await?;
    browser.goto(&format!("{}/subscribers", app.url)).await?;
    assert!(shown("nav a[href='/campaigns']").await? && !shown(".menu-button").await?);
    // The page's own entry is marked.
    let current = browser
        .client
        .execute("return document.querySelector('nav a[aria-current=page]').getAttribute('href');", vec![])
        .await?;
    assert_eq!(current, "/subscribers");
    // Grouped: the audience's pages under one heading.
    let groups = browser.text("nav").await?;
    assert!(groups.contains("AUDIENCE") || groups.contains("Audience"), "{groups}");

    browser.client.set_window_size(390, 844).await?;
    browser.goto(&format!("{}/subscribers", app.url)).await?;
    assert!(shown(".menu-button").await? && !shown("nav a[href='/campaigns']").await?, "the menu is closed");
    browser.toggle(".menu-button").await?;
    assert!(shown("nav a[href='/campaigns']").await?, "the button opens it");
    browser.click("nav a[href='/campaigns']").await?;
    assert_eq!(browser.path().await?, "/campaigns");
    browser.close().await?;
    app.stop().await
}
