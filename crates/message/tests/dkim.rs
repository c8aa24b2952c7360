//! Messages signed by `message::dkim` verify as a receiving server would
//! check them (mail-auth's verifier, with the published keys), for both
//! algorithms; and changing what is signed breaks them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::{AuthenticatedMessage, DkimResult, MessageAuthenticator, Parameters, ResolverCache, Txt};
use message::dkim::{self, Signer};
use message::{BodyFormat, Campaign, DEFAULT_LAYOUT, Draft, Recipient, SecretKey, Sender};

/// The published DKIM records, standing in for DNS.
#[derive(Default)]
struct Records(Mutex<HashMap<Box<str>, Txt>>);

impl ResolverCache<Box<str>, Txt> for Records {
    fn get<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        self.0.lock().ok()?.get(name).cloned()
    }
    fn remove<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        self.0.lock().ok()?.remove(name)
    }
    fn insert(&self, key: Box<str>, value: Txt, _valid_until: Instant) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(key, value);
        }
    }
}

fn publish(records: &Records, name: &str, record: &str) {
    let key = DomainKey::parse(record.as_bytes()).expect("a valid DKIM record");
    records.insert(name.into(), Txt::DomainKey(Arc::new(key)), Instant::now());
}

fn campaign_message() -> Vec<u8> {
    let draft = Draft {
        subject: "日本語の件名 {{ subscriber.name }}",
        alt_subjects: &[],
        preheader: "",
        format: BodyFormat::Markdown,
        body: "# Hello\n\n[a link](https://shop.example/a)\n",
        layout: DEFAULT_LAYOUT,
        text: "",
        track_clicks: true,
        track_opens: true,
    };
    let compiled = message::compose::compile(&draft).expect("compiles");
    let sender = Sender {
        from_name: "Shop".into(),
        from_address: "news@shop.example".into(),
        reply_to: None,
        public_url: "https://news.shop.example".into(),
    };
    let campaign = Campaign::new(1, "c", sender, &compiled, false).expect("templates");
    let attributes = serde_json::json!({});
    let to = Recipient {
        delivery_id: 1,
        subscriber_id: 2,
        email: "ann@example.org",
        name: "Ann",
        attributes: &attributes,
        list_id: 3,
        list_name: "Weekly",
        variant: 0,
    };
    campaign.build(&SecretKey::random(), &to, 1_795_000_000).expect("builds").bytes
}

async fn verify(records: &Records, message: &[u8]) -> Vec<(DkimResult, String)> {
    let parsed = AuthenticatedMessage::parse(message).expect("parses");
    let authenticator = MessageAuthenticator::new(Default::default(), Default::default()).expect("resolver");
    let outputs = authenticator.verify_dkim(Parameters::new(&parsed).with_txt_cache(records)).await;
    outputs
        .iter()
        .map(|o| (o.result().clone(), o.signature().map(|s| format!("{}/{}", s.d, s.s)).unwrap_or_default()))
        .collect()
}

#[tokio::test]
async fn rsa_and_ed25519_signatures_verify_and_cover_what_matters() {
    let rsa = dkim::generate_rsa().expect("rsa key");
    let ed = dkim::generate_ed25519().expect("ed25519 key");
    let records = Records::default();
    publish(&records, "r2026._domainkey.shop.example.", &rsa.dns_record);
    publish(&records, "e2026._domainkey.shop.example.", &ed.dns_record);
    let signer =
        Signer::new("shop.example", ("r2026", &rsa.private_pkcs8), Some(("e2026", &ed.private_pkcs8))).expect("signer");
    let signed = signer.sign(&campaign_message()).expect("signs");
    let text = String::from_utf8_lossy(&signed);
    assert!(text.contains("a=rsa-sha256") && text.contains("a=ed25519-sha256"));
    assert!(text.contains("c=relaxed/relaxed"));

    let results = verify(&records, &signed).await;
    assert_eq!(results.len(), 2, "{results:?}");
    for (result, who) in &results {
        assert_eq!(*result, DkimResult::Pass, "{who}");
        assert!(who.starts_with("shop.example/"), "{who}");
    }

    // A From added in transit is caught by the over-signed From.
    let mut extra_from = b"From: attacker@evil.example\r\n".to_vec();
    extra_from.extend_from_slice(&signed);
    assert!(verify(&records, &extra_from).await.iter().all(|(r, _)| *r != DkimResult::Pass));
    // So is a changed unsubscribe header.
    let tampered =
        text.replacen("List-Unsubscribe-Post: List-Unsubscribe=One-Click", "List-Unsubscribe-Post: nothing", 1);
    assert!(verify(&records, tampered.as_bytes()).await.iter().all(|(r, _)| *r != DkimResult::Pass));
    // And a key that is not the published one fails.
    let other = dkim::generate_rsa().expect("rsa key");
    let wrong = Signer::new("shop.example", ("r2026", &other.private_pkcs8), None).expect("signer");
    let results = verify(&records, &wrong.sign(&campaign_message()).expect("signs")).await;
    assert!(matches!(results[0].0, DkimResult::Fail(_)), "{results:?}");
}
