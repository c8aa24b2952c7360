//! The audience REST API: lists, subscribers, segments and CSV imports,
//! against a real database.

use anyhow::{Context, Result};
use reqwest::Method;
use serde_json::{Value, json};
use tests::spawn_app;

#[tokio::test]
async fn lists_and_subscribers_round_trip_with_field_errors() -> Result<()> {
    let app = spawn_app().await?;
    let api = app.api().await?;

    let (status, list) =
        api.post("/lists", json!({"name": "Weekly", "optin": "double", "visibility": "public"})).await?;
    assert_eq!(status, 201, "{list}");
    let list_id = list["id"].as_i64().unwrap_or_default();
    let (status, dup) = api.post("/lists", json!({"name": "weekly"})).await?;
    assert_eq!(status, 409, "{dup}");
    let (status, bad) = api.post("/lists", json!({"name": "x", "optin": "triple"})).await?;
    assert_eq!((status, bad["field"].as_str()), (422, Some("optin")));

    let (status, created) = api
        .post(
            "/subscribers",
            json!({"email": " Hanako@Example.JP ", "name": "花子", "attributes": {"plan": "pro"}, "lists": [list_id]}),
        )
        .await?;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["email"], "Hanako@example.jp");
    assert_eq!(created["lists"][0]["status"], "confirmed");
    let id = created["id"].as_i64().unwrap_or_default();

    // Field-level errors.
    for (body, field) in [
        (json!({"email": "not-an-address"}), "email"),
        (json!({"email": "a@example.com", "attributes": [1, 2]}), "attributes"),
        (json!({"email": "a@example.com", "lists": [999999]}), "lists"),
        (json!({"email": "a@example.com", "status": "gone"}), "status"),
        (json!({"name": "no email"}), "email"),
    ] {
        let (status, error) = api.post("/subscribers", body.clone()).await?;
        assert_eq!((status, error["field"].as_str()), (422, Some(field)), "{body} → {error}");
    }
    // The same address in another case is the same subscriber.
    let (status, _) = api.post("/subscribers", json!({"email": "hanako@example.jp"})).await?;
    assert_eq!(status, 409);

    let (status, updated) =
        api.call(Method::PATCH, &format!("/subscribers/{id}"), Some(json!({"attributes": {"plan": "free"}}))).await?;
    assert_eq!((status, &updated["attributes"]["plan"]), (200, &json!("free")));
    let (status, _) = api.call(Method::DELETE, &format!("/subscribers/{id}/lists/{list_id}"), None).await?;
    assert_eq!(status, 204);
    let (_, read) = api.get(&format!("/subscribers/{id}")).await?;
    assert_eq!(read["lists"][0]["status"], "unsubscribed");
    let (status, _) = api.call(Method::DELETE, &format!("/subscribers/{id}"), None).await?;
    assert_eq!(status, 204);
    assert_eq!(api.get(&format!("/subscribers/{id}")).await?.0, 404);
    app.stop().await
}

#[tokio::test]
async fn search_pages_through_everyone_once() -> Result<()> {
    let app = spawn_app().await?;
    let api = app.api().await?;
    for i in 0..25 {
        let plan = if i % 5 == 0 { "pro" } else { "free" };
        let (status, _) = api
            .post("/subscribers", json!({"email": format!("p{i}@example.com"), "attributes": {"plan": plan}}))
            .await?;
        assert_eq!(status, 201);
    }
    let mut seen = Vec::new();
    let mut before: Option<i64> = None;
    loop {
        let path = match before {
            Some(b) => format!("/subscribers?limit=10&before={b}"),
            None => "/subscribers?limit=10".to_string(),
        };
        let (_, page) = api.get(&path).await?;
        let data = page["data"].as_array().cloned().unwrap_or_default();
        seen.extend(data.iter().filter_map(|s| s["email"].as_str().map(String::from)));
        match page["next_before"].as_i64() {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), 25, "a page repeated or skipped someone");
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 25);
    // 25 in pages of 5: the fifth page is exactly full and is the last
    // (no next page that would show nobody).
    let mut pages = 0;
    let mut before: Option<i64> = None;
    loop {
        let path = before.map_or("/subscribers?limit=5".to_owned(), |b| format!("/subscribers?limit=5&before={b}"));
        let (_, page) = api.get(&path).await?;
        pages += 1;
        assert_eq!(page["data"].as_array().map(Vec::len), Some(5), "page {pages}: {page}");
        match page["next_before"].as_i64() {
            Some(next) => before = Some(next),
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, 5);
    let (_, pro) = api.get("/subscribers?attributes=%7B%22plan%22%3A%22pro%22%7D").await?;
    assert_eq!(pro["data"].as_array().map(Vec::len), Some(5));
    let (_, by_email) = api.get("/subscribers?email=p1").await?;
    // p1, p10..p19
    assert_eq!(by_email["data"].as_array().map(Vec::len), Some(11));
    app.stop().await
}

/// Subscribers with known attributes, then each kind of condition counted.
#[tokio::test]
async fn segment_conditions_count_what_they_say() -> Result<()> {
    let app = spawn_app().await?;
    let api = app.api().await?;
    let (_, list) = api.post("/lists", json!({"name": "News"})).await?;
    let list_id = list["id"].as_i64().unwrap_or_default();
    let today = chrono::Utc::now().date_naive();
    let days_ago = |d: i64| (today - chrono::Duration::days(d)).format("%Y-%m-%d").to_string();
    let people = [
        json!({"email": "a@example.com", "attributes": {"plan": "pro", "age": 34, "city": "Tokyo", "since": days_ago(3)}, "lists": [list_id]}),
        json!({"email": "b@example.com", "attributes": {"plan": "pro", "age": 51, "city": "Osaka", "since": days_ago(400)}, "lists": [list_id]}),
        json!({"email": "c@example.com", "attributes": {"plan": "free", "age": 22, "city": "Tokyo"}}),
        json!({"email": "d@example.com", "attributes": {"plan": "free", "age": "unknown"}, "status": "blocklisted"}),
        json!({"email": "e@example.com", "attributes": {}}),
        // An array is not a number, and a key may hold anything printable.
        json!({"email": "f@example.com", "attributes": {"age": [50], "odd \"key\\ $.x": -2.5}}),
    ];
    for person in people {
        assert_eq!(api.post("/subscribers", person).await?.0, 201);
    }
    let attr = |key: &str, op: &str, value: Value| json!({"attribute": {"key": key, "op": op, "value": value}});
    let cases = [
        (attr("plan", "eq", json!("pro")), 2),
        (attr("plan", "ne", json!("pro")), 4),
        (attr("age", "gt", json!(30)), 2),
        (attr("age", "gte", json!(34.0)), 2),
        (attr("age", "lte", json!(22)), 1),
        (attr("city", "contains", json!("oKy")), 2),
        (attr("city", "in", json!(["Osaka", "Nagoya"])), 1),
        (attr("age", "exists", Value::Null), 5),
        (attr("age", "not_exists", Value::Null), 1),
        (attr("since", "within_days", json!(30)), 1),
        (attr("since", "older_than_days", json!(30)), 1),
        (json!({"list": {"list_id": list_id}}), 2),
        (json!({"status": "blocklisted"}), 1),
        (json!({"and": [attr("plan", "eq", json!("pro")), attr("city", "eq", json!("Tokyo"))]}), 1),
        (json!({"and": [attr("city", "eq", json!("Tokyo")), attr("city", "eq", json!("Osaka"))]}), 0),
        (json!({"or": [attr("plan", "eq", json!("pro")), json!({"status": "blocklisted"})]}), 3),
        (json!({"not": attr("age", "gt", json!(30))}), 4),
        (attr("odd \"key\\ $.x", "lt", json!(-2)), 1),
        (attr("odd \"key\\ $.x", "gt", json!(-2.5)), 0),
        (attr("odd \"key\\ $.x", "gte", json!(-25e-1)), 1),
        // A key that tries to end the path's string matches no attribute.
        (attr("odd\" || $.age > 0 || $.\"", "gt", json!(0)), 0),
    ];
    for (filter, expected) in cases {
        let (status, count) = api.post("/segments/count", json!({"filter": filter})).await?;
        assert_eq!((status, count["count"].as_i64()), (200, Some(expected)), "{filter}");
    }
    let (status, error) = api.post("/segments/count", json!({"filter": {"and": [{"status": "nope"}]}})).await?;
    assert_eq!((status, error["field"].as_str()), (422, Some("filter.and[0]")), "{error}");
    let (status, error) = api.post("/segments/count", json!({"filter": {"sql": "DROP TABLE subscribers"}})).await?;
    assert_eq!((status, error["field"].as_str()), (422, Some("filter")), "{error}");

    let (status, saved) =
        api.post("/segments", json!({"name": "Pro in Tokyo", "filter": {"and": [attr("plan", "eq", json!("pro")), attr("city", "eq", json!("Tokyo"))]}})).await?;
    assert_eq!(status, 201, "{saved}");
    let (_, count) = api.get(&format!("/segments/{}/count", saved["id"])).await?;
    assert_eq!(count["count"], 1);
    app.stop().await
}

#[tokio::test]
async fn csv_import_keeps_good_rows_and_reports_every_bad_one() -> Result<()> {
    let app = spawn_app().await?;
    let api = app.api().await?;
    let (_, list) = api.post("/lists", json!({"name": "Imported"})).await?;
    let list_id = list["id"].as_i64().unwrap_or_default();
    let csv = "email,name,plan\n\
               ok1@example.com,One,pro\n\
               broken address,Two,free\n\
               ok2@example.com,\"Two, Jr.\",free\n\
               OK1@example.com,Dup,pro\n\
               ok3@example.com,\"never closed,pro\n\
               ok4@example.com,Four,pro\n\
               ok5@example.com,Five\n";
    let (status, import) = api.upload(&format!("/imports?mode=add&lists={list_id}"), csv.as_bytes().to_vec()).await?;
    assert_eq!(status, 202, "{import}");
    let done = api.wait_for_import(import["id"].as_i64().unwrap_or_default()).await?;
    assert_eq!(done["state"], "finished", "{done}");
    assert_eq!((done["rows_done"].as_i64(), done["rows_failed"].as_i64()), (Some(3), Some(4)), "{done}");
    let report = api.text(&format!("/imports/{}/errors", import["id"])).await?;
    for expected in [
        "3,\"invalid email address",
        "5,duplicate of line 2,",
        "6,\"unterminated quoted field",
        "8,\"has 2 fields, the header has 3\"",
    ] {
        assert!(report.contains(expected), "{expected} missing from:\n{report}");
    }
    let (_, members) = api.post("/segments/count", json!({"filter": {"list": {"list_id": list_id}}})).await?;
    assert_eq!(members["count"], 3);

    // Update mode overwrites attributes; unsubscribe mode leaves the list.
    let (_, update) = api.upload("/imports?mode=update", b"email,plan\nok1@example.com,enterprise\n".to_vec()).await?;
    api.wait_for_import(update["id"].as_i64().unwrap_or_default()).await?;
    let (_, page) = api.get("/subscribers?email=ok1").await?;
    assert_eq!(page["data"][0]["attributes"]["plan"], "enterprise");
    assert_eq!(page["data"][0]["name"], "One", "a file without a name column keeps names");
    let (_, unsub) = api
        .upload(
            &format!("/imports?mode=unsubscribe&lists={list_id}"),
            b"email\nok2@example.com\nstranger@example.com\n".to_vec(),
        )
        .await?;
    let done = api.wait_for_import(unsub["id"].as_i64().unwrap_or_default()).await?;
    assert_eq!(
        (done["rows_done"].as_i64(), done["rows_failed"].as_i64()),
        (Some(1), Some(1)),
        "unknown addresses are reported"
    );
    let (_, members) = api.post("/segments/count", json!({"filter": {"list": {"list_id": list_id}}})).await?;
    assert_eq!(members["count"], 2);
    // Adding again does not undo an unsubscribe.
    let (_, again) =
        api.upload(&format!("/imports?mode=add&lists={list_id}"), b"email\nok2@example.com\n".to_vec()).await?;
    api.wait_for_import(again["id"].as_i64().unwrap_or_default()).await?;
    let (_, members) = api.post("/segments/count", json!({"filter": {"list": {"list_id": list_id}}})).await?;
    assert_eq!(members["count"], 2);
    let (_, block) =
        api.upload("/imports?mode=blocklist", b"email\nok4@example.com\nnew@example.com\n".to_vec()).await?;
    api.wait_for_import(block["id"].as_i64().unwrap_or_default()).await?;
    let (_, blocked) = api.post("/segments/count", json!({"filter": {"status": "blocklisted"}})).await?;
    assert_eq!(blocked["count"], 2);

    // Columns can be renamed (or dropped) with map.<column>=<target>.
    let (_, mapped) = api
        .upload(
            "/imports?map.Mail=email&map.Full%20name=name&map.Secret=-",
            b"Mail,Full name,Secret,Tier
m1@example.com,Mapped One,x,gold
"
            .to_vec(),
        )
        .await?;
    let done = api.wait_for_import(mapped["id"].as_i64().unwrap_or_default()).await?;
    assert_eq!(done["rows_done"], 1, "{done}");
    let (_, page) = api.get("/subscribers?email=m1").await?;
    assert_eq!(page["data"][0]["name"], "Mapped One");
    assert_eq!(page["data"][0]["attributes"], json!({"Tier": "gold"}));

    // A file without an email column fails as a whole, with the reason.
    let (_, nomail) = api.upload("/imports", b"name,plan\nA,pro\n".to_vec()).await?;
    let failed = api.wait_for_import(nomail["id"].as_i64().unwrap_or_default()).await?;
    assert_eq!(failed["state"], "failed");
    assert!(failed["error"].as_str().unwrap_or_default().contains("no email column"), "{failed}");
    // An unknown list is refused before anything is read.
    let (status, error) = api.upload("/imports?lists=424242", b"email\na@example.com\n".to_vec()).await?;
    assert_eq!((status, error["field"].as_str()), (422, Some("lists")));
    app.stop().await
}

#[tokio::test]
async fn shift_jis_from_excel_imports_with_its_japanese_headers() -> Result<()> {
    let app = spawn_app().await?;
    let api = app.api().await?;
    let text =
        "メールアドレス,氏名,都道府県\r\nhanako@example.jp,山田花子,東京都\r\ntaro@example.jp,鈴木太郎,大阪府\r\n";
    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(text);
    let (_, import) = api.upload("/imports", bytes.into_owned()).await?;
    let done = api.wait_for_import(import["id"].as_i64().unwrap_or_default()).await?;
    assert_eq!(
        (done["state"].as_str(), done["encoding"].as_str(), done["rows_done"].as_i64()),
        (Some("finished"), Some("Shift_JIS"), Some(2))
    );
    let (_, page) = api.get("/subscribers?email=hanako").await?;
    assert_eq!(page["data"][0]["name"], "山田花子");
    assert_eq!(page["data"][0]["attributes"]["都道府県"], "東京都");
    app.stop().await
}

#[tokio::test]
async fn a_100_mb_file_imports_while_the_server_keeps_answering() -> Result<()> {
    let app = spawn_app().await?;
    let api = app.api().await?;
    // ~105 MB: 400,000 rows of ~265 bytes, every 1000th row bad.
    let padding = "x".repeat(230);
    let mut csv = String::from("email,name,note\n");
    for i in 0..400_000u32 {
        if i % 1000 == 999 {
            csv.push_str(&format!("bad-row-{i},Name,{padding}\n"));
        } else {
            csv.push_str(&format!("big{i}@example.com,Name {i},{padding}\n"));
        }
    }
    assert!(csv.len() > 100_000_000);
    let (status, import) = api.upload("/imports", csv.into_bytes()).await?;
    assert_eq!(status, 202);
    let id = import["id"].as_i64().unwrap_or_default();
    // While it runs, the server answers other requests.
    let mut answered_while_running = 0;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    loop {
        assert!(std::time::Instant::now() < deadline, "the import did not finish within 3 minutes");
        let (_, progress) = api.get(&format!("/imports/{id}")).await?;
        if progress["state"] != "running" {
            break;
        }
        let health = tests::http().get(format!("{}/healthz", app.url)).send().await?;
        assert_eq!(health.status(), 200);
        answered_while_running += 1;
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(answered_while_running > 0, "the import finished before it could be observed");
    let done = api.wait_for_import(id).await?;
    assert_eq!((done["rows_done"].as_i64(), done["rows_failed"].as_i64()), (Some(399_600), Some(400)), "{done}");
    app.stop().await
}

#[tokio::test]
async fn export_suppression_and_erasure() -> Result<()> {
    let app = spawn_app().await?;
    let api = app.api().await?;
    let (_, list) = api.post("/lists", json!({"name": "Export", "visibility": "public", "optin": "single"})).await?;
    let list_id = list["id"].as_i64().unwrap_or_default();
    let csv = "email,name,plan,city\nx1@example.com,\"Yamada, Taro\",pro,Tokyo\nx2@example.com,=cmd(),free,\nx3@blocked.example,Three,pro,Osaka\n";
    let (_, import) = api.upload(&format!("/imports?lists={list_id}"), csv.as_bytes().to_vec()).await?;
    api.wait_for_import(import["id"].as_i64().unwrap_or_default()).await?;

    let export = api.text(&format!("/lists/{list_id}/export")).await?;
    let lines: Vec<&str> = export.lines().collect();
    assert_eq!(lines[0], "email,name,status,created_at,city,plan");
    assert_eq!(lines.len(), 4, "{export}");
    assert!(
        lines[1].starts_with("x1@example.com,\"Yamada, Taro\",active,") && lines[1].ends_with(",Tokyo,pro"),
        "{export}"
    );
    assert!(lines[2].contains(",'=cmd(),"), "formulas are defused: {export}");

    // Suppressing a domain refuses its addresses at signup (same answer, nothing stored).
    let (status, s) = api.post("/suppressions", json!({"value": "Blocked.Example", "reason": "role accounts"})).await?;
    assert_eq!((status, s["kind"].as_str(), s["value"].as_str()), (201, Some("domain"), Some("blocked.example")));
    let signup =
        tests::http().post(format!("{}/s/{list_id}", app.url)).form(&[("email", "new@blocked.example")]).send().await?;
    assert_eq!(signup.status(), 200);
    assert!(app.store.subscriber_by_email(&domain::EmailAddress::parse("new@blocked.example")?).await?.is_none());
    let (status, bad) = api.post("/suppressions", json!({"value": "not a domain!"})).await?;
    assert_eq!((status, bad["field"].as_str()), (422, Some("value")));

    // A data export, then erasure: the row is gone, the address never returns.
    // Leave traces of the address elsewhere: a rejected import row and a plain suppression.
    let (_, traced) =
        api.upload(&format!("/imports?lists={list_id}"), b"email,plan\nx1@example.com,too,many\n".to_vec()).await?;
    api.wait_for_import(traced["id"].as_i64().unwrap_or_default()).await?;
    assert!(api.text(&format!("/imports/{}/errors", traced["id"])).await?.contains("x1@example.com"));
    api.post("/suppressions", json!({"value": "x1@example.com"})).await?;
    let (_, page) = api.get("/subscribers?email=x1").await?;
    let id = page["data"][0]["id"].as_i64().unwrap_or_default();
    let (status, data) = api.get(&format!("/subscribers/{id}/export")).await?;
    assert_eq!((status, data["email"].as_str()), (200, Some("x1@example.com")));
    assert_eq!(data["subscriptions"][0]["list"], "Export");
    assert_eq!(api.post(&format!("/subscribers/{id}/erase"), json!({})).await?.0, 204);
    assert_eq!(api.get(&format!("/subscribers/{id}")).await?.0, 404);
    assert!(!api.text(&format!("/imports/{}/errors", traced["id"])).await?.contains("x1@example.com"));
    let (_, suppressed) = api.get("/suppressions").await?;
    assert!(!suppressed.to_string().contains("x1@example.com"), "{suppressed}");
    let (_, again) =
        api.upload(&format!("/imports?lists={list_id}"), b"email\nX1@example.com\nx9@example.com\n".to_vec()).await?;
    let done = api.wait_for_import(again["id"].as_i64().unwrap_or_default()).await?;
    assert_eq!((done["rows_done"].as_i64(), done["rows_failed"].as_i64()), (Some(1), Some(1)), "{done}");
    let report = api.text(&format!("/imports/{}/errors", again["id"])).await?;
    assert!(report.contains("2,this address was erased"), "{report}");
    let signup =
        tests::http().post(format!("{}/s/{list_id}", app.url)).form(&[("email", "x1@example.com")]).send().await?;
    assert_eq!(signup.status(), 200);
    assert!(app.store.subscriber_by_email(&domain::EmailAddress::parse("x1@example.com")?).await?.is_none());
    app.stop().await
}

/// The OpenAPI document lists the API's operations, and every operation it
/// lists exists: the router answers it (a JSON "not found" for a missing
/// record is fine; a route that does not exist answers HTML or 405). The
/// document is valid OpenAPI as `openapi-spec-validator` reads it.
#[tokio::test]
async fn the_openapi_document_matches_the_routes() -> Result<()> {
    let app = spawn_app().await?;
    let api = app.api().await?;
    let text = tests::http().get(format!("{}/api/v1/openapi.json", app.url)).send().await?.text().await?;
    let validator = std::env::var("NINSHO_OPENAPI_VALIDATOR").context(
        "NINSHO_OPENAPI_VALIDATOR is not set: run the tests with scripts/test, which installs the validator",
    )?;
    let file = tempfile::Builder::new().suffix(".json").tempfile()?;
    std::fs::write(file.path(), &text)?;
    let checked = std::process::Command::new(&validator).arg(file.path()).output()?;
    assert!(
        checked.status.success(),
        "openapi-spec-validator refuses the document:\n{}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
    let doc: Value = serde_json::from_str(&text)?;
    let import = &doc["paths"]["/imports"]["post"]["parameters"];
    let mode = import.as_array().and_then(|p| p.iter().find(|p| p["name"] == "mode")).context("the mode parameter")?;
    assert_eq!(mode["in"], "query", "{import}");
    assert_eq!(doc["components"]["securitySchemes"]["token"]["scheme"], "bearer");
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    assert!(paths.len() >= 15, "{}", doc);
    let mut operations = 0;
    for (path, item) in &paths {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            operations += 1;
            let concrete = path.replace("{id}", "999999").replace("{list_id}", "999999");
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes())?;
            let response = tests::http()
                .request(method.clone(), format!("{}{concrete}", api.url))
                .header("authorization", format!("Bearer {}", api_token(&api)))
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await?;
            let status = response.status().as_u16();
            let json =
                response.headers().get("content-type").is_some_and(|v| v.to_str().unwrap_or_default().contains("json"));
            assert!(status != 405 && (status != 404 || json), "{method} {path}: {status}");
        }
    }
    assert!(operations >= 28, "{operations} operations documented");
    app.stop().await
}

fn api_token(api: &tests::Api) -> String {
    api.token().to_string()
}
