//! Messages signed by `message::dkim` verify as a receiving server would
//! check them (mail-auth's verifier, with the published keys), for both
//! algorithms; and changing what is signed breaks them.

use message::dkim::{self, Signer};
use message::{BodyFormat, Campaign, Draft, Recipient, SecretKey, Sender, default_layout};

fn campaign_message() -> Vec<u8> {
    let draft = Draft {
        subject: "日本語の件名 {{ subscriber.name }}",
        alt_subjects: &[],
        preheader: "",
        format: BodyFormat::Markdown,
        body: "# Hello\n\n[a link](https://shop.example/a)\n",
        layout: default_layout(i18n::Language::English),
        text: "",
        track_clicks: true,
        track_opens: true,
        language: i18n::Language::English,
        charset: Default::default(),
        text_footer: true,
    };
    let compiled = message::compose::compile(&draft).expect("compiles");
    let sender = Sender {
        from_name: "Shop".into(),
        from_address: "news@shop.example".into(),
        reply_to: None,
        public_url: "https://news.shop.example".into(),
        identity: Default::default(),
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

#[tokio::test]
async fn rsa_and_ed25519_signatures_verify_and_cover_what_matters() {
    let rsa = dkim::generate_rsa().expect("rsa key");
    let ed = dkim::generate_ed25519().expect("ed25519 key");
    let published = vec![
        ("r2026._domainkey.shop.example".to_owned(), rsa.dns_record.clone()),
        ("e2026._domainkey.shop.example".to_owned(), ed.dns_record.clone()),
    ];
    let signer =
        Signer::new("shop.example", ("r2026", &rsa.private_pkcs8), Some(("e2026", &ed.private_pkcs8))).expect("signer");
    let signed = signer.sign(&campaign_message()).expect("signs");
    let text = String::from_utf8_lossy(&signed);
    assert!(text.contains("a=rsa-sha256") && text.contains("a=ed25519-sha256"));
    assert!(text.contains("c=relaxed/relaxed"));

    let verdicts = dkim::verify(&signed, &published).await;
    let mut seen: Vec<(String, String, bool)> =
        verdicts.iter().map(|v| (v.domain.clone(), v.selector.clone(), v.passed())).collect();
    seen.sort();
    assert_eq!(
        seen,
        [("shop.example".to_owned(), "e2026".to_owned(), true), ("shop.example".to_owned(), "r2026".to_owned(), true)]
    );

    // A From added in transit is caught by the over-signed From.
    let mut extra_from = b"From: attacker@evil.example\r\n".to_vec();
    extra_from.extend_from_slice(&signed);
    assert!(dkim::verify(&extra_from, &published).await.iter().all(|v| !v.passed()));
    // So is a changed unsubscribe header.
    let tampered =
        text.replacen("List-Unsubscribe-Post: List-Unsubscribe=One-Click", "List-Unsubscribe-Post: nothing", 1);
    assert!(dkim::verify(tampered.as_bytes(), &published).await.iter().all(|v| !v.passed()));
    // And a key that is not the published one fails.
    let other = dkim::generate_rsa().expect("rsa key");
    let wrong = Signer::new("shop.example", ("r2026", &other.private_pkcs8), None).expect("signer");
    let verdicts = dkim::verify(&wrong.sign(&campaign_message()).expect("signs"), &published).await;
    assert_eq!(verdicts.len(), 1);
    assert!(verdicts[0].result.starts_with("fail"), "{verdicts:?}");
}
