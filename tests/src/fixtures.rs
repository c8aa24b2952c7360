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
        subject: "Hello {{ subscriber.name | default(\"friend\") }}".into(),
        preheader: "This week".into(),
        body: "# Hi {{ subscriber.name }}\n\nCity: {{ subscriber.attributes.city | default(\"unknown\") }}\n\n\
               [Our sale](https://shop.example/sale?x=1)\n"
            .into(),
        list_ids: lists,
        time_zone: "Asia/Tokyo".into(),
        ..CampaignFields::default()
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

/// A DMARC aggregate report for shop.example of `records` records over
/// `days` days: record `i` comes from its own address (10.x.y.z) and
/// counts `1 + i % 5` messages that failed DKIM and SPF.
pub fn dmarc_report(id: &str, records: usize, days: i64) -> Vec<u8> {
    let mut xml = format!(
        "<feedback><report_metadata><org_name>Flood</org_name><report_id>{id}</report_id>\
         <date_range><begin>1700000000</begin><end>{}</end></date_range></report_metadata>\
         <policy_published><domain>shop.example</domain><p>none</p></policy_published>",
        1_700_000_000 + days * 86_400
    );
    for i in 0..records {
        xml.push_str(&format!(
            "<record><row><source_ip>10.{}.{}.{}</source_ip><count>{}</count><policy_evaluated>\
             <disposition>none</disposition><dkim>fail</dkim><spf>fail</spf></policy_evaluated></row>\
             <identifiers><header_from>shop.example</header_from></identifiers></record>",
            i / 65536,
            (i / 256) % 256,
            i % 256,
            1 + i % 5
        ));
    }
    xml.push_str("</feedback>");
    xml.into_bytes()
}

/// `bytes` gzipped, as reporters send reports.
pub fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes)?;
    Ok(gz.finish()?)
}
