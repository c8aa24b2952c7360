//! Audience and campaign fixtures shared by the tests.

use anyhow::Result;
use domain::{EmailAddress, ListVisibility, OptIn, SubscriberStatus, SubscriptionStatus};
use store::{CampaignFields, NewList, NewSubscriber, Store};

/// A public single opt-in list.
pub async fn list(store: &Store, name: &str) -> Result<i64> {
    let new =
        NewList { name, description: "", visibility: ListVisibility::Public, optin: OptIn::Single, signup_fields: &[] };
    Ok(store.create_list(&new).await?.id)
}

/// An active subscriber with these subscriptions.
pub async fn subscriber(
    store: &Store,
    email: &str,
    name: &str,
    attributes: serde_json::Value,
    on: &[(i64, SubscriptionStatus)],
) -> Result<i64> {
    let email = EmailAddress::parse(email)?;
    let new = NewSubscriber {
        email: &email,
        name,
        attributes: &attributes,
        status: SubscriberStatus::Active,
        consent_source: "test",
        consent_ip: None,
        consent_user_agent: None,
    };
    let id = store.create_subscriber(&new).await?.id;
    for (list, status) in on {
        store.set_subscription(id, *list, *status).await?;
    }
    Ok(id)
}

/// A Markdown campaign from news@shop.example to `lists`, tracking on.
pub fn fields(name: &str, lists: Vec<i64>) -> CampaignFields {
    CampaignFields {
        name: name.into(),
        from_name: "Shop News".into(),
        from_address: "news@shop.example".into(),
        reply_to: String::new(),
        subject: "Hello {{ subscriber.name | default(\"friend\") }}".into(),
        preheader: "This week".into(),
        body_format: "markdown".into(),
        body: "# Hi {{ subscriber.name }}\n\nCity: {{ subscriber.attributes.city | default(\"unknown\") }}\n\n\
               [Our sale](https://shop.example/sale?x=1)\n"
            .into(),
        text_body: String::new(),
        template_id: None,
        list_ids: lists,
        segment_id: None,
        track_opens: true,
        track_clicks: true,
        anonymous_tracking: false,
        time_zone: "Asia/Tokyo".into(),
        recipient_zone_attribute: String::new(),
        window_start: None,
        window_end: None,
        ab_subjects: Vec::new(),
        ab_sample_percent: 0,
        ab_wait_minutes: 240,
        ab_metric: "opens".into(),
    }
}

const CITIES: [&str; 4] = ["Osaka", "Sapporo", "Fukuoka", "Nagoya"];

/// Subscribes `emails` (confirmed) to `list` in batches, as an import does;
/// reader `i` is named "Reader i" and has a `city` attribute.
pub async fn bulk_subscribe(store: &Store, list: i64, emails: &[String]) -> Result<()> {
    use domain::ImportMode;
    use store::ImportBatch;
    let import = store.create_import(ImportMode::Add, "fixture.csv", &[list]).await?;
    for (n, chunk) in emails.chunks(5000).enumerate() {
        let first = i64::try_from(n * 5000)?;
        let batch = ImportBatch {
            lines: (first..).take(chunk.len()).collect(),
            emails: chunk.to_vec(),
            names: (first..).take(chunk.len()).map(|i| Some(format!("Reader {i}"))).collect(),
            attributes: (first..)
                .take(chunk.len())
                .map(|i| serde_json::json!({"city": CITIES[(i % 4) as usize]}))
                .collect(),
            ..ImportBatch::default()
        };
        store.apply_import_batch(import, ImportMode::Add, &[list], "fixture", &batch).await?;
    }
    store.finish_import(import, None).await?;
    Ok(())
}
