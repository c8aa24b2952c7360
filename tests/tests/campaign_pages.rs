//! Campaigns in a real browser: write one, meet a template error with its
//! line and column, preview it at phone width, schedule it, see it sent in
//! the sandbox and read its report.

use anyhow::{Context, Result};
use chrono::{Datelike, Duration, Utc};
use delivery::{Engine, EngineConfig, Sandbox};
use domain::{EmailAddress, ListVisibility, OptIn, SubscriberStatus, SubscriptionStatus};
use store::{NewList, NewSubscriber};
use tests::{Browser, Locator, spawn_app};

/// Sets a textarea's value directly (typing megabytes would take minutes).
async fn set_value(browser: &Browser, css: &str, value: &str) -> Result<()> {
    browser
        .client
        .execute("document.querySelector(arguments[0]).value = arguments[1];", vec![css.into(), value.into()])
        .await?;
    Ok(())
}

#[tokio::test]
async fn write_preview_schedule_and_report_a_campaign() -> Result<()> {
    let app = spawn_app().await?;
    let new_list = NewList {
        name: "Weekly",
        description: "",
        visibility: ListVisibility::Public,
        optin: OptIn::Single,
        signup_fields: &[],
    };
    let list = app.store.create_list(&new_list).await?.id;
    let email = EmailAddress::parse("aiko@example.jp")?;
    let attributes = serde_json::json!({"city": "札幌"});
    let reader = NewSubscriber {
        email: &email,
        name: "Aiko",
        attributes: &attributes,
        status: SubscriberStatus::Active,
        consent_source: "test",
        consent_ip: None,
        consent_user_agent: None,
    };
    let sid = app.store.create_subscriber(&reader).await?.id;
    app.store.set_subscription(sid, list, SubscriptionStatus::Confirmed).await?;

    let browser = app.logged_in_browser().await?;
    browser.goto(&format!("{}/campaigns/new", app.url)).await?;
    browser.fill("input[name=name]", "Winter news").await?;
    browser.fill("input[name=from_address]", "news@shop.example").await?;
    browser.fill("input[name=subject]", "Winter for {{ subscriber.name }}").await?;
    browser.fill("input[name=time_zone]", "Asia/Tokyo").await?;
    browser.toggle("input[name=list]").await?;
    set_value(&browser, "#body", "# Hello {{ subscriber.name }}\n\nSnow in {{ subscriber.attributes.city }\n").await?;
    browser.click("#save").await?;
    let error = browser.text("p.error").await?;
    assert!(error.starts_with("body, line 3, column"), "{error}");
    assert!(error.contains("syntax error"), "{error}");
    // What was typed is still there to fix.
    let kept = browser.client.find(Locator::Css("#body")).await?.prop("value").await?.unwrap_or_default();
    assert!(kept.contains("Snow in"), "{kept}");

    set_value(
        &browser,
        "#body",
        "# Hello {{ subscriber.name }}\n\nSnow in {{ subscriber.attributes.city }}, {{ subscriber.attributes.plan | default(\"free\") }} plan.\n\n[Boots](https://shop.example/boots)\n",
    )
    .await?;
    browser.click("#save").await?;
    assert_eq!(browser.text("#notice").await?, "Saved.");
    let path = browser.path().await?;
    let id: i64 = path.trim_start_matches("/campaigns/").parse().context("campaign id in the path")?;
    assert_eq!(browser.text("#audience").await?, "1");
    // The send-time choices sit next to their words (a radio button was
    // once stretched over a line of its own, far from "Send now").
    let width = browser
        .client
        .execute("return document.querySelector('input[name=when][value=now]').getBoundingClientRect().width;", vec![])
        .await?
        .as_f64()
        .unwrap_or(f64::MAX);
    assert!(width < 40.0, "the radio button is {width} px wide");

    // Preview: as the first recipient, in a phone-wide and a desktop frame.
    browser.click("#preview-link").await?;
    assert_eq!(browser.text("#shown-for").await?, "aiko@example.jp");
    assert_eq!(browser.text("#subject").await?, "Winter for Aiko");
    let phone = browser.client.find(Locator::Css("#phone")).await?;
    assert_eq!(phone.attr("width").await?.as_deref(), Some("375"));
    let frame_html = browser
        .client
        .execute_async(
            "const done = arguments[0]; fetch(document.querySelector('#phone').src).then(r => r.text()).then(done);",
            vec![],
        )
        .await?;
    let frame_html = frame_html.as_str().context("frame html")?;
    assert!(frame_html.contains("Snow in 札幌, free plan."), "{frame_html}");
    assert!(frame_html.contains("max-width: 620px"), "the phone media query is in the page");
    assert!(browser.text("#text").await?.contains("Hello Aiko"));
    // Looking at the preview is nobody's open (the frames' pixel goes nowhere).
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let report = app.store.campaign_report(id).await?;
    assert_eq!((report.human_opens, report.machine_opens), (0, 0), "the preview counted as an open");

    // The From domain gets its keys on the Domains page; a bad name is refused.
    browser.goto(&format!("{}/domains", app.url)).await?;
    browser.fill("#domain-form input[name=domain]", "not a domain").await?;
    browser.click("#domain-form button").await?;
    assert!(browser.text("#error").await?.contains("is not a domain name"));
    browser.fill("#domain-form input[name=domain]", "shop.example").await?;
    browser.click("#domain-form button").await?;
    let records = browser.content("pre.zone").await?;
    assert!(records.contains("._domainkey.shop.example. 3600 IN TXT ( \"v=DKIM1; k=rsa; p="), "{records}");
    for line in [
        "bounce.shop.example. 3600 IN MX 10 mx.lab.test.",
        "_dmarc.shop.example. 3600 IN TXT ( \"v=DMARC1; p=none; rua=mailto:reports@bounce.shop.example; adkim=r; aspf=r\" )",
        "_smtp._tls.shop.example. 3600 IN TXT",
    ] {
        assert!(records.contains(line), "{line} in {records}");
    }

    // Test sends: a bad address is named; good ones get the real message.
    browser.goto(&format!("{}/campaigns/{id}", app.url)).await?;
    browser.fill("#test-addresses", "qa@shop.example, not-an-address").await?;
    browser.click("#test-form button").await?;
    assert!(browser.text("p.error").await?.contains("\"not-an-address\""));
    browser.fill("#test-addresses", "qa@shop.example").await?;
    browser.click("#test-form button").await?;
    assert!(browser.text("#notice").await?.starts_with("Test sent to 1 address"));
    let test = app.store.outbound_messages(10).await?.into_iter().find(|m| m.kind == "test").context("test message")?;
    assert_eq!((test.to_address.as_str(), test.subject.as_str()), ("qa@shop.example", "[Test] Winter for Aiko"));
    let raw = String::from_utf8(app.store.captured_raw(test.id).await?.context("raw test message")?)?;
    assert!(raw.contains("To: \"Aiko\" <qa@shop.example>"), "{raw}");

    // "Send now" is not chosen for the marketer: without a choice the form
    // is refused by the browser, and by the server when the browser lets it
    // through.
    browser.goto(&format!("{}/campaigns/{id}", app.url)).await?;
    for choice in ["now", "later"] {
        let checked = browser
            .client
            .execute(&format!("return document.querySelector('input[name=when][value={choice}]').checked;"), vec![])
            .await?;
        assert_eq!(checked, serde_json::Value::Bool(false), "{choice} is not preselected");
    }
    browser.client.execute("document.querySelector('#schedule-form').noValidate = true;", vec![]).await?;
    browser.click("#schedule").await?;
    assert!(browser.text("p.error").await?.contains("Choose when to send it"));

    // Send now: a confirmation page first, with the audience, the domain and
    // the time in the campaign's zone; nothing is scheduled before it.
    browser.toggle("input[name=when][value=now]").await?;
    browser.click("#schedule").await?;
    assert_eq!(browser.text("#confirm-count").await?, "1");
    assert!(browser.text("#confirm").await?.contains("on Weekly"));
    assert!(browser.text("#confirm-domain").await?.starts_with("shop.example, DKIM-signed"));
    let when = browser.text("#confirm-when").await?;
    assert!(when.starts_with("Right away (") && when.ends_with("JST)"), "{when}");
    assert_eq!(browser.text("#confirm-send").await?, "Send now to 1 recipients");
    let campaign = app.store.campaign(id).await?.context("campaign")?;
    assert_eq!(campaign.status, domain::CampaignStatus::Draft, "nothing is scheduled before the confirmation");
    assert_eq!(app.store.outbound_messages(10).await?.iter().filter(|m| m.kind == "campaign").count(), 0);
    // "Back" leaves it a draft; confirming schedules it.
    browser.click("#confirm-back").await?;
    assert_eq!(browser.text("#status").await?, "draft");
    browser.toggle("input[name=when][value=now]").await?;
    browser.click("#schedule").await?;
    browser.click("#confirm-send").await?;
    let notice = browser.text("#notice").await?;
    assert!(notice.starts_with("Scheduled for 1 recipients"), "{notice}");
    assert_eq!(browser.text("#status").await?, "scheduled");
    let mut engine = sandbox_engine(&app);
    assert_eq!(engine.tick(Utc::now() + Duration::seconds(1)).await?, 1);
    engine.tick(Utc::now() + Duration::seconds(2)).await?;

    browser.goto(&format!("{}/campaigns/{id}", app.url)).await?;
    assert_eq!(browser.text("#status").await?, "finished");
    browser.click("#report-link").await?;
    assert_eq!(browser.text("#recipients").await?, "1");
    assert_eq!(browser.text("#delivered").await?, "1");
    assert!(browser.text("#deliveries").await?.contains("aiko@example.jp"));
    let domains = browser.text("#domains tbody").await?;
    assert!(domains.starts_with("example.jp") && domains.contains('1'), "{domains}");
    // The reader's page: the delivery in the history, and no card claiming
    // nothing was ever sent to them.
    browser.goto(&format!("{}/subscribers/{sid}", app.url)).await?;
    let history = browser.text("#activity").await?;
    assert!(history.contains("delivered") && history.contains("Winter news"), "{history}");
    let page = browser.text("main").await?;
    assert!(!page.contains("No messages sent to this address"), "{page}");
    browser.goto(&format!("{}/", app.url)).await?;
    let overview = browser.text("#recent-campaigns").await?;
    assert!(overview.contains("Winter news") && overview.contains("1 / 1"), "{overview}");
    browser.goto(&format!("{}/sandbox", app.url)).await?;
    assert!(browser.text(".subject").await?.contains("Winter for Aiko"));
    let dkim = browser.text(".dkim").await?;
    assert!(dkim.starts_with("DKIM: pass for shop.example (r"), "{dkim}");
    browser.click("a.raw").await?;
    let raw = browser.text("body").await?;
    assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"), "{raw}");

    // A 5 MB body is refused, naming the limit.
    browser.goto(&format!("{}/campaigns/new", app.url)).await?;
    browser.fill("input[name=name]", "Huge").await?;
    browser.fill("input[name=subject]", "Huge").await?;
    browser.client.execute("document.querySelector('#body').value = 'x'.repeat(5 * 1024 * 1024);", vec![]).await?;
    browser.click("#save").await?;
    assert_eq!(browser.text("p.error").await?, "body, line 1, column 1: is 5.0 MB; the limit is 1 MB");

    // The dashboard's campaign pages fit a phone.
    browser.client.set_window_size(390, 844).await?;
    browser.goto(&format!("{}/campaigns/{id}", app.url)).await?;
    let overflow =
        browser.client.execute("return document.documentElement.scrollWidth > window.innerWidth;", vec![]).await?;
    assert_eq!(overflow, serde_json::Value::Bool(false), "the page scrolls sideways on a phone");
    browser.close().await?;
    app.stop().await
}

/// The delivery engine, sending into the sandbox.
fn sandbox_engine(app: &tests::TestApp) -> Engine<Sandbox> {
    let config =
        EngineConfig { public_url: app.url.clone(), batch: 100, lease: Duration::minutes(5), ..Default::default() };
    Engine::new(app.store.clone(), app.key.clone(), config, Sandbox { store: app.store.clone() })
}

/// The subjects of the campaign messages in the sandbox, sorted.
async fn campaign_subjects(store: &store::Store) -> Result<Vec<String>> {
    let mut all: Vec<String> =
        store.outbound_messages(100).await?.into_iter().filter(|m| m.kind == "campaign").map(|m| m.subject).collect();
    all.sort();
    Ok(all)
}

#[tokio::test]
async fn a_step_sequence_sends_day_0_and_day_3_to_a_new_subscriber() -> Result<()> {
    let app = spawn_app().await?;
    let new_list = NewList {
        name: "Trial",
        description: "",
        visibility: ListVisibility::Public,
        optin: OptIn::Single,
        signup_fields: &[],
    };
    let list = app.store.create_list(&new_list).await?.id;
    let browser = app.logged_in_browser().await?;
    browser.goto(&format!("{}/sequences", app.url)).await?;
    browser.fill("#sequence-form input[name=name]", "Onboarding").await?;
    browser.click("#sequence-form button").await?;
    let sequence_path = browser.path().await?;
    for (name, days, subject) in [("Welcome", "0", "Welcome, {{ subscriber.name }}"), ("Tips", "3", "Three days in")] {
        browser.goto(&format!("{}{sequence_path}", app.url)).await?;
        browser.fill("#step-form input[name=name]", name).await?;
        browser.fill("#step-form input[name=delay_days]", days).await?;
        browser.fill("#step-form input[name=from_address]", "hello@trial.example").await?;
        browser.click("#step-form button").await?;
        assert!(browser.text("#step-of").await?.contains("A step of"));
        browser.fill("input[name=subject]", subject).await?;
        browser.click("#save").await?;
        assert_eq!(browser.text("#notice").await?, "Saved.");
    }
    browser.goto(&format!("{}{sequence_path}", app.url)).await?;
    let steps = browser.text("#steps").await?;
    assert!(steps.contains("day 0") && steps.contains("day 3"), "{steps}");
    browser.click("#activate").await?;
    assert_eq!(browser.text("#status").await?, "active");

    // A new subscriber joins through the public signup form.
    let joined = Utc::now();
    let response = tests::http()
        .post(format!("{}/s/{list}", app.url))
        .form(&[("email", "newbie@example.org"), ("name", "Newbie"), ("website", "")])
        .send()
        .await?;
    assert!(response.status().is_success() || response.status().is_redirection(), "{}", response.status());

    let mut engine = sandbox_engine(&app);
    assert_eq!(engine.tick(joined + Duration::seconds(5)).await?, 1);
    assert_eq!(campaign_subjects(&app.store).await?, ["Welcome, Newbie"]);
    assert_eq!(engine.tick(joined + Duration::days(1)).await?, 0, "day 1: nothing due");
    assert_eq!(engine.tick(joined + Duration::days(3) + Duration::minutes(1)).await?, 1);
    assert_eq!(campaign_subjects(&app.store).await?, ["Three days in", "Welcome, Newbie"]);
    assert_eq!(engine.tick(joined + Duration::days(10)).await?, 0, "each step once");

    browser.goto(&format!("{}{sequence_path}", app.url)).await?;
    assert_eq!(browser.text("#progress .steps-sent").await?, "2 of 2");
    browser.close().await?;
    app.stop().await
}

/// A birthday sequence, made in the browser: each step goes once a year,
/// counted from the anniversary (29 February on the 28th in other years);
/// dates that are none are skipped, and so is a step more than a week late.
#[tokio::test]
async fn a_birthday_sequence_sends_its_steps_every_year() -> Result<()> {
    use tests::fixtures::{list, subscriber};
    let app = spawn_app().await?;
    let members = list(&app.store, "Members").await?;
    let browser = app.logged_in_browser().await?;
    browser.goto(&format!("{}/sequences", app.url)).await?;
    browser.fill("#sequence-form input[name=name]", "Birthdays").await?;
    browser.click("#starts-date").await?;
    browser.click("#sequence-form button").await?;
    let error = browser.text("[role=alert]").await?;
    assert!(error.contains("needs the name of a date attribute"), "{error}");
    browser.fill("#sequence-form input[name=name]", "Birthdays").await?;
    browser.click("#starts-date").await?;
    browser.fill("#sequence-form input[name=date_attribute]", "birthday").await?;
    browser.click("#sequence-form input[name=yearly]").await?;
    browser.click("#sequence-form button").await?;
    let sequence_path = browser.path().await?;
    let starts = browser.text("#starts").await?;
    assert!(starts.contains("birthday") && starts.contains("every year"), "{starts}");
    for (name, days, subject) in
        [("Greeting", "0", "Happy birthday, {{ subscriber.name }}"), ("Gift", "1", "Your gift")]
    {
        browser.goto(&format!("{}{sequence_path}", app.url)).await?;
        browser.fill("#step-form input[name=name]", name).await?;
        browser.fill("#step-form input[name=delay_days]", days).await?;
        browser.fill("#step-form input[name=from_address]", "hello@members.example").await?;
        browser.click("#step-form button").await?;
        browser.fill("input[name=subject]", subject).await?;
        browser.click("#save").await?;
        assert_eq!(browser.text("#notice").await?, "Saved.");
    }
    browser.goto(&format!("{}{sequence_path}", app.url)).await?;
    browser.click("#activate").await?;
    assert!(browser.text("#notice").await?.contains("on their birthday every year"));

    let on = [(members, SubscriptionStatus::Confirmed)];
    let born = |day: &str| serde_json::json!({ "birthday": day });
    subscriber(&app.store, "march@example.org", "March", born("1990-03-10"), &on).await?;
    subscriber(&app.store, "leap@example.org", "Leap", born("2000-02-29T08:00:00Z"), &on).await?;
    for (email, day) in
        [("none@example.org", "soon"), ("bad@example.org", "2023-02-30"), ("zero@example.org", "0000-03-10")]
    {
        subscriber(&app.store, email, "Other", born(day), &on).await?;
    }
    subscriber(&app.store, "elsewhere@example.org", "Away", born("1990-03-10"), &[]).await?;

    let mut engine = sandbox_engine(&app);
    // A leap year, and the ordinary year before it, both after today.
    let leap =
        (Utc::now().year() + 2..).find(|y| chrono::NaiveDate::from_ymd_opt(*y, 2, 29).is_some()).context("leap")?;
    let plain = leap - 1;
    let at = |year: i32, month: u32, day: u32| -> Result<chrono::DateTime<Utc>> {
        let date = chrono::NaiveDate::from_ymd_opt(year, month, day).context("date")?;
        Ok(date.and_hms_opt(0, 5, 0).context("time")?.and_utc())
    };
    for (when, sent, why) in [
        (at(plain, 2, 27)?, 0, "nobody's day"),
        (at(plain, 2, 28)?, 1, "29 February falls on the 28th in an ordinary year"),
        (at(plain, 3, 1)?, 1, "the leap one's gift"),
        (at(plain, 3, 10)?, 1, "March's greeting; the other dates are none"),
        (at(plain, 3, 11)?, 1, "March's gift"),
        (at(plain, 3, 20)?, 0, "each step once a year"),
        (at(leap, 2, 29)?, 1, "a leap year: on the day"),
        (at(leap, 3, 10)?, 1, "March again; the leap one's gift is nine days late and skipped"),
        (at(leap, 3, 11)?, 1, "March's gift again"),
    ] {
        assert_eq!(engine.tick(when).await?, sent, "{when}: {why}");
    }
    let subjects = campaign_subjects(&app.store).await?;
    assert_eq!(subjects.iter().filter(|s| *s == "Happy birthday, March").count(), 2, "{subjects:?}");
    assert_eq!(subjects.iter().filter(|s| *s == "Happy birthday, Leap").count(), 2, "{subjects:?}");
    assert_eq!(subjects.iter().filter(|s| *s == "Your gift").count(), 3, "{subjects:?}");

    browser.goto(&format!("{}{sequence_path}", app.url)).await?;
    let progress = browser.text("#progress").await?;
    assert!(progress.contains("march@example.org") && progress.contains("1990-03-10"), "{progress}");
    assert!(!progress.contains("none@example.org"), "{progress}");
    browser.close().await?;
    app.stop().await
}

#[tokio::test]
async fn template_errors_point_at_the_line_and_column_the_marketer_wrote() -> Result<()> {
    let app = spawn_app().await?;
    let browser = app.logged_in_browser().await?;
    let shown = |css: &'static str| {
        let browser = &browser;
        async move { browser.text(css).await }
    };

    // A one-line body with an unknown filter: line 1 of the body, not of
    // the layout it is poured into.
    browser.goto(&format!("{}/campaigns/new", app.url)).await?;
    browser.fill("input[name=name]", "Faults").await?;
    browser.fill("input[name=subject]", "Hello").await?;
    set_value(&browser, "#body", "Hello {{ subscriber.name | shout }}").await?;
    browser.click("#save").await?;
    let error = shown("p.error").await?;
    // The column is the unknown filter's.
    assert!(error.starts_with("body, line 1, column 28:") && error.contains("shout"), "{error}");
    // The page shows the line with a mark under the place.
    let excerpt = shown("pre.excerpt").await?;
    assert!(excerpt.contains("Hello {{ subscriber.name | shout }}") && excerpt.contains('^'), "{excerpt}");

    // On the third line of a Markdown body, after a heading and a list.
    set_value(&browser, "#body", "# News\n\n- one {{ subscriber.name | nope }}\n").await?;
    browser.click("#save").await?;
    let error = shown("p.error").await?;
    assert!(error.starts_with("body, line 3, column 28:"), "{error}");
    assert!(shown("pre.excerpt").await?.starts_with("3 | - one {{"));

    // In the subject.
    browser.fill("input[name=subject]", "Hi {{ subscriber.name | shout }}").await?;
    set_value(&browser, "#body", "Fine").await?;
    browser.click("#save").await?;
    let error = shown("p.error").await?;
    assert!(error.starts_with("subject, line 1, column 25:"), "{error}");

    // A fault only some subscribers reach (the example subscriber has no
    // name) is saved, and found by the preview for one who has: in the
    // body's own line and column, not the compiled message's.
    let list = tests::fixtures::list(&app.store, "Weekly").await?;
    tests::fixtures::subscriber(
        &app.store,
        "aiko@example.jp",
        "Aiko",
        serde_json::json!({}),
        &[(list, SubscriptionStatus::Confirmed)],
    )
    .await?;
    browser.goto(&format!("{}/campaigns/new", app.url)).await?;
    browser.fill("input[name=name]", "Only some").await?;
    browser.fill("input[name=subject]", "Hello").await?;
    browser.toggle("input[name=list]").await?;
    set_value(
        &browser,
        "#body",
        "Dear reader,\n\n{% if subscriber.name %}Hi {{ subscriber.name | shout }}{% endif %}\n",
    )
    .await?;
    browser.click("#save").await?;
    assert_eq!(shown("#notice").await?, "Saved.");
    browser.click("#preview-link").await?;
    let error = shown("#error").await?;
    assert!(error.starts_with("body, line 3, column 49:") && error.contains("shout"), "{error}");

    // In a layout: its own line.
    browser.goto(&format!("{}/layouts/new", app.url)).await?;
    browser.fill("input[name=name]", "Broken").await?;
    set_value(
        &browser,
        "textarea[name=body]",
        "<html>\n<body>\n{{ content }}\n<p>{{ list.name | nope }}</p>\n</body></html>",
    )
    .await?;
    browser.click("#save").await?;
    let error = shown("p.error").await?;
    assert!(error.starts_with("layout, line 4, column 19:"), "{error}");
    assert!(shown("pre.excerpt").await?.starts_with("4 | <p>{{ list.name | nope }}</p>"));
    assert!(app.store.templates().await?.is_empty(), "a layout that fails is not saved");
    browser.close().await?;
    app.stop().await
}
